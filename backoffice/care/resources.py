"""Import/export of customer care records.

Importable: maintenance plans. Visits, update notices, their recipients and follow-ups
are export-only: they come from generators and workflow buttons whose side effects an
import would skip.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from backoffice.care.models import (
    FollowUp,
    MaintenancePlan,
    MaintenanceVisit,
    UpdateNotice,
    UpdateRecipient,
)
from backoffice.care.workflows import MaintenanceCycle
from backoffice.desk.models import Customer, Product
from backoffice.platform.resources import BackofficeResource, ChoiceWidget, LookupWidget, user_field


class MaintenancePlanResource(BackofficeResource):
    customer = fields.Field(attribute="customer", column_name="customer",
                            widget=LookupWidget(Customer, field="code"))
    product = fields.Field(attribute="product", column_name="product",
                           widget=LookupWidget(Product, field="code"))
    cycle = fields.Field(attribute="cycle", column_name="cycle",
                         widget=ChoiceWidget(MaintenanceCycle))
    owner = user_field("owner")
    template_example = {"title": "季度巡检", "content": "检查服务器、数据库备份和系统日志"}

    class Meta:
        model = MaintenancePlan
        fields = ("number", "customer", "product", "title", "system_check", "data_backup",
                  "performance_tuning", "content", "cycle", "starts_on", "ends_on", "next_due",
                  "lead_days", "owner", "is_active")
        export_order = fields
        import_id_fields = ("number",)

    def before_import_row(self, row, **kwargs):
        if not str(row.get("owner") or "").strip():
            raise ValidationError({"owner": _("Every plan needs an owner (a username).")})

    def before_save_instance(self, instance, row, **kwargs):
        if instance.next_due is None:
            instance.next_due = instance.starts_on


class _ExportOnly(BackofficeResource):
    class Meta:
        abstract = True


class MaintenanceVisitResource(_ExportOnly):
    plan = fields.Field(attribute="plan__number", column_name="plan", readonly=True)
    customer = fields.Field(attribute="plan__customer__name", column_name="customer",
                            readonly=True)
    engineer = user_field("engineer", readonly=True)

    class Meta:
        model = MaintenanceVisit
        fields = ("number", "plan", "customer", "due_on", "state", "engineer", "appointment",
                  "performed_on", "findings", "work_done", "signed_by")
        export_order = fields


class UpdateNoticeResource(_ExportOnly):
    product = fields.Field(attribute="product__code", column_name="product", readonly=True)
    new_version = fields.Field(attribute="new_version__version", column_name="new_version",
                               readonly=True)

    class Meta:
        model = UpdateNotice
        fields = ("number", "title", "product", "new_version", "state", "release_notes",
                  "update_from", "update_until", "announced_at")
        export_order = fields


class UpdateRecipientResource(_ExportOnly):
    column_labels = {"customer_code": Customer._meta.get_field("code").verbose_name,
                     "customer_name": gettext_lazy("customer name"),
                     "version_before": gettext_lazy("version before")}

    notice = fields.Field(attribute="notice__number", column_name="notice", readonly=True)
    customer_code = fields.Field(attribute="customer__code", column_name="customer_code",
                                 readonly=True)
    customer_name = fields.Field(attribute="customer__name", column_name="customer_name",
                                 readonly=True)
    from_version = fields.Field(attribute="from_version__version", column_name="version_before",
                                readonly=True)

    class Meta:
        model = UpdateRecipient
        fields = ("notice", "customer_code", "customer_name", "from_version", "state",
                  "channel", "contact_person", "notified_at", "updated_on", "remarks")
        export_order = fields


class FollowUpResource(_ExportOnly):
    ticket = fields.Field(attribute="ticket__number", column_name="ticket", readonly=True)
    customer = fields.Field(attribute="customer__name", column_name="customer", readonly=True)
    assignee = user_field("clerk", attribute="assignee", readonly=True)

    class Meta:
        model = FollowUp
        fields = ("number", "kind", "subject", "ticket", "customer", "assignee", "due_on",
                  "state", "attempts", "outcome", "rating", "remarks", "done_at")
        export_order = fields
