"""Spreadsheets of training needs, plans and plan items."""

from django.utils.translation import gettext as _
from import_export import fields, widgets
from import_export.instance_loaders import ModelInstanceLoader

from backoffice.desk.models import Customer, Product
from backoffice.platform.resources import ChoiceWidget, LookupWidget
from training.models import TrainingNeed, TrainingPlan, TrainingPlanItem
from training.resources.common import ContactWidget, TextWidget, TrainingResource, user_widget
from training.workflows import Audience, Method, NeedSource, RequesterKind, TrainerKind, Urgency


class StrictManyToManyWidget(widgets.ManyToManyWidget):
    """Like ManyToManyWidget, but a key that matches nothing is an error, not ignored."""

    def clean(self, value, row=None, **kwargs):
        if not value:
            return self.model.objects.none()
        keys = [k.strip() for k in str(value).replace("；", ";").split(self.separator) if k.strip()]
        found = self.model.objects.filter(**{f"{self.field}__in": keys})
        missing = sorted(set(keys) - {str(getattr(o, self.field)) for o in found})
        if missing:
            raise ValueError(_("Unknown %(model)s: %(keys)s") % {
                "model": self.model._meta.verbose_name, "keys": ", ".join(missing)})
        return found


class OrderedManyToManyWidget(StrictManyToManyWidget):
    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(str(getattr(o, self.field)) for o in value.all()))


def _next_year():
    from django.utils import timezone

    return timezone.localdate().year + 1


class TrainingNeedResource(TrainingResource):
    template_example = {"topic": "财务模块月末结账培训", "requester_kind": "customer",
                        "contact": "", "staff": "", "urgency": "normal", "source": "survey"}

    requester_kind = fields.Field(attribute="requester_kind", column_name="requester_kind",
                                  widget=ChoiceWidget(RequesterKind))
    customer = fields.Field(attribute="customer", column_name="customer",
                            widget=LookupWidget(Customer, field="code"))
    contact = fields.Field(attribute="contact", column_name="contact", widget=ContactWidget())
    staff = fields.Field(attribute="staff", column_name="staff", widget=user_widget())
    product = fields.Field(attribute="product", column_name="product",
                           widget=LookupWidget(Product, field="code"))
    urgency = fields.Field(attribute="urgency", column_name="urgency", widget=ChoiceWidget(Urgency))
    source = fields.Field(attribute="source", column_name="source",
                          widget=ChoiceWidget(NeedSource))

    class Meta:
        model = TrainingNeed
        fields = ("number", "topic", "description", "requester_kind", "customer", "contact",
                  "staff", "product", "urgency", "source", "state")
        export_order = fields
        import_id_fields = ("number",)


class TrainingPlanResource(TrainingResource):
    template_example = {"year": _next_year, "title": "年度客户培训计划",
                        "goals": "客户能自行完成月末结账"}

    prepared_by = fields.Field(attribute="prepared_by", column_name="prepared_by",
                               widget=user_widget(), readonly=True)
    approved_by = fields.Field(attribute="approved_by", column_name="approved_by",
                               widget=user_widget(), readonly=True)

    class Meta:
        model = TrainingPlan
        fields = ("number", "year", "title", "goals", "state", "prepared_by", "approved_by")
        export_order = fields
        import_id_fields = ("number",)

    def row_errors(self, instance, row):
        if instance.pk and not instance.is_editable:
            return {"number": _("Plan %(number)s is “%(state)s” and cannot be changed.")
                    % {"number": instance.number, "state": instance.get_state_display()}}
        return {}

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None and not instance.prepared_by_id:
            user = getattr(self, "_import_user", None)
            if user is not None and user.is_authenticated:
                instance.prepared_by = user
        super().before_save_instance(instance, row, **kwargs)


class TrainingPlanItemResource(TrainingResource):
    """The plan's items, keyed by plan number and item no. (empty no.: a new item)."""

    template_example = {"seq": "", "title": "财务模块培训", "content": "凭证录入与月末结账",
                        "audience": "customers", "method": "on_site",
                        "trainer_kind": "internal", "external_trainer": "",
                        "budget_estimate": "3000.00", "pass_mark": "60", "needs": ""}

    plan = fields.Field(attribute="plan", column_name="plan",
                        widget=LookupWidget(TrainingPlan, field="number"))
    audience = fields.Field(attribute="audience", column_name="audience",
                            widget=ChoiceWidget(Audience))
    method = fields.Field(attribute="method", column_name="method", widget=ChoiceWidget(Method))
    product = fields.Field(attribute="product", column_name="product",
                           widget=LookupWidget(Product, field="code"))
    trainer_kind = fields.Field(attribute="trainer_kind", column_name="trainer_kind",
                                widget=ChoiceWidget(TrainerKind))
    trainer = fields.Field(attribute="trainer", column_name="trainer", widget=user_widget())
    external_trainer = fields.Field(attribute="external_trainer", column_name="external_trainer",
                                    widget=TextWidget())
    needs = fields.Field(attribute="needs", column_name="needs",
                         widget=OrderedManyToManyWidget(TrainingNeed, separator=";",
                                                        field="number"))

    class Meta:
        model = TrainingPlanItem
        fields = ("plan", "seq", "title", "content", "audience", "method", "product",
                  "planned_start", "planned_end", "trainer_kind", "trainer", "external_trainer",
                  "budget_estimate", "pass_mark", "needs")
        export_order = fields
        import_id_fields = ("plan", "seq")
        instance_loader_class = ModelInstanceLoader  # a composite key
        use_bulk = False  # the needs are a many-to-many: saved row by row, with history

    def get_instance(self, instance_loader, row):
        if not str(row.get("seq") or "").strip():
            return None
        return super().get_instance(instance_loader, row)

    def row_errors(self, instance, row):
        errors = {}
        if instance.plan_id and not instance.plan.is_editable:
            errors["plan"] = _("Plan %(number)s is “%(state)s”: its items cannot be changed.") % {
                "number": instance.plan.number, "state": instance.plan.get_state_display()}
        if "needs" in row:
            try:
                self.fields["needs"].widget.clean(row.get("needs"))
            except ValueError as exc:
                errors["needs"] = str(exc)
        return errors
