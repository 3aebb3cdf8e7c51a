"""Import/export of customers, tickets and the calendar's holidays and make-up days."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from import_export import fields

from backoffice.desk import calendar_data, services
from backoffice.desk.models import BusinessCalendar, CalendarDay, Customer, Product, Ticket
from backoffice.desk.workflows import Category, Channel, Priority, RatingSource
from backoffice.platform import roles
from backoffice.platform.resources import BackofficeResource, ChoiceWidget, user_field
from backoffice.platform.resources import LookupWidget as ForeignKeyWidget


class ReplansDeadlines:
    """An import that changes what plans a ticket's deadlines (``planning_fields``) re-plans
    the open tickets concerned once the rows are written (``replan(ids, actor)``)."""

    planning_fields: tuple[str, ...] = ()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance._planned_by = None if new else self._planning(instance)

    def _planning(self, instance):
        return tuple(getattr(instance, name) for name in self.planning_fields)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        before = getattr(instance, "_planned_by", None)
        if before is not None and before != self._planning(instance):
            self.__dict__.setdefault("_replan_ids", set()).add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        ids = self.__dict__.pop("_replan_ids", set())
        if ids and not kwargs.get("dry_run") and not result.has_errors() \
                and not result.has_validation_errors():
            self.replan(ids, kwargs.get("user") or roles.system_user())


class CustomerResource(ReplansDeadlines, BackofficeResource):
    consultant = fields.Field(attribute="consultant", column_name="consultant",
                              widget=ForeignKeyWidget(get_user_model(), field="username"))
    template_example = {"code": "C0101", "name": "杭州西湖软件有限公司", "industry": "软件",
                        "region": "浙江", "address": "杭州市西湖区文三路 90 号",
                        "phone": "0571-88886666"}

    class Meta:
        model = Customer
        fields = ("code", "name", "is_vip", "consultant", "industry", "region", "address",
                  "phone", "notes", "is_active")
        import_id_fields = ("code",)

    planning_fields = ("is_vip",)

    def replan(self, ids, actor):
        services.replan_for_customers(ids, actor=actor)

    def before_import_row(self, row, **kwargs):
        if row.get("code") is not None:
            row["code"] = str(row["code"]).strip().upper()


class TicketResource(ReplansDeadlines, BackofficeResource):
    # tickets enter the workflow at "new"; only their intake data can be imported; the
    # deadlines are planned, never imported
    never_import = (*BackofficeResource.never_import, "first_response_at", "resolved_at",
                    "satisfaction", "satisfaction_source", "first_contact_resolution",
                    "sla_policy", "response_due", "resolution_due")
    planning_fields = ("priority", "customer_id")
    template_example = {"subject": "打印凭证时金额列错位",
                        "description": "客户来电：升级后打印凭证，金额列向右错位。"}

    customer = fields.Field(attribute="customer", column_name="customer",
                            widget=ForeignKeyWidget(Customer, field="code"))
    product = fields.Field(attribute="product", column_name="product",
                           widget=ForeignKeyWidget(Product, field="code"))
    channel = fields.Field(attribute="channel", column_name="channel",
                           widget=ChoiceWidget(Channel))
    category = fields.Field(attribute="category", column_name="category",
                            widget=ChoiceWidget(Category))
    priority = fields.Field(attribute="priority", column_name="priority",
                            widget=ChoiceWidget(Priority))
    assignee = fields.Field(attribute="assignee", column_name="engineer", readonly=True,
                            widget=ForeignKeyWidget(get_user_model(), field="username"))
    # who entered the customer's rating (never the assignee): exported, never imported
    confirmation_entered_by = user_field("confirmation_entered_by", readonly=True)
    satisfaction_source = fields.Field(attribute="satisfaction_source",
                                       column_name="satisfaction_source", readonly=True,
                                       widget=ChoiceWidget(RatingSource))
    resolved_by = user_field("resolved_by", readonly=True)

    class Meta:
        model = Ticket
        fields = ("number", "received_at", "channel", "category", "priority", "customer",
                  "product", "subject", "description", "state", "assignee", "first_response_at",
                  "resolved_at", "resolved_by", "first_contact_resolution", "satisfaction",
                  "satisfaction_source", "confirmation_entered_by")
        export_order = fields
        import_id_fields = ("number",)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk is None:
            instance.schedule_deadlines()

    def replan(self, ids, actor):
        services.replan_deadlines(Ticket.objects.filter(pk__in=ids), actor=actor,
                                  reason=_("Priority or customer changed by an import"))

class CalendarDayResource(BackofficeResource):
    """The State Council's yearly notice as a spreadsheet: one row per day off or make-up
    working day (kind in either language or as its code). An imported day is the import's
    (``source``): the data source's load never overwrites it."""

    calendar = fields.Field(attribute="calendar", column_name="calendar",
                            widget=ForeignKeyWidget(BusinessCalendar, field="name"))
    source = fields.Field(attribute="source", column_name="source", readonly=True,
                          widget=ChoiceWidget(CalendarDay.Source))
    template_columns = ("calendar", "date", "kind", "name")
    template_example = {"calendar": lambda: getattr(BusinessCalendar.default(), "name",
                                                    "标准工作日历"),
                        "date": "2027-01-01", "kind": CalendarDay.Kind.HOLIDAY, "name": "元旦"}

    class Meta:
        model = CalendarDay
        fields = ("calendar", "date", "kind", "name", "source")
        export_order = fields
        import_id_fields = ("calendar", "date")

    def before_save_instance(self, instance, row, **kwargs):
        instance.source = CalendarDay.Source.IMPORT

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        names = {str(v).strip() for v in (dataset["calendar"] if "calendar" in
                                          (dataset.headers or []) else []) if v}
        for calendar in BusinessCalendar.objects.filter(name__in=names):
            calendar_data.calendar_changed(calendar, actor=kwargs.get("user"))
