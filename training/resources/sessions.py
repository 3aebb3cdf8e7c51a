"""Spreadsheets of training sessions, and of attendance and results."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from import_export import fields
from import_export.instance_loaders import ModelInstanceLoader

from backoffice.platform.resources import ChoiceWidget, LookupWidget, YesNoWidget
from training.models import SessionAttendee, TrainingPlanItem, TrainingSession
from training.resources.common import (
    BlankChoiceWidget,
    ContactWidget,
    TextWidget,
    TrainingResource,
    user_widget,
)
from training.workflows import Method, PracticalResult, TrainingPlanStatus, TrainingSessionStatus


class PlanItemWidget(LookupWidget):
    """A plan item by the plan's number (column ``plan``) and the item's no."""

    def __init__(self, **kwargs):
        super().__init__(TrainingPlanItem, field="seq", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value in (None, "") or not self._plan(row):
            raise ValueError(_("Give the plan number and the item no."))
        return super().clean(value, row, **kwargs)

    @staticmethod
    def _plan(row):
        return str((row or {}).get("plan") or "").strip()

    def cache_key(self, value, row):
        try:
            seq = int(float(value))
        except (TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not an item no.") % {"value": value}) from None
        return self._plan(row), seq

    def _lookup(self, key, row, **kwargs):
        plan, seq = key
        try:
            return TrainingPlanItem.objects.select_related("plan").get(plan__number=plan, seq=seq)
        except TrainingPlanItem.DoesNotExist:
            return ValueError(_("Plan %(plan)s has no item %(seq)s.")
                              % {"plan": plan, "seq": seq})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.seq


class TrainingSessionResource(TrainingResource):
    # the item is found by the plan's number and its no.: both are in the template
    template_columns = ("number", "plan", "item", "title", "starts_at", "ends_at", "method",
                        "place", "link", "trainer", "external_trainer", "capacity",
                        "actual_cost", "notes")
    template_example = {"title": "第一期", "method": "on_site", "place": "三楼会议室",
                        "link": "", "external_trainer": "", "capacity": 30,
                        "actual_cost": "0.00"}

    plan = fields.Field(attribute="plan_item__plan__number", column_name="plan", readonly=True)
    plan_item = fields.Field(attribute="plan_item", column_name="item", widget=PlanItemWidget())
    method = fields.Field(attribute="method", column_name="method", widget=ChoiceWidget(Method))
    trainer = fields.Field(attribute="trainer", column_name="trainer", widget=user_widget())
    external_trainer = fields.Field(attribute="external_trainer", column_name="external_trainer",
                                    widget=TextWidget())

    class Meta:
        model = TrainingSession
        fields = ("number", "plan", "plan_item", "title", "starts_at", "ends_at", "method",
                  "place", "link", "trainer", "external_trainer", "capacity", "actual_cost",
                  "notes", "state")
        export_order = fields
        import_id_fields = ("number",)

    def row_errors(self, instance, row):
        errors = {}
        if instance.pk and instance.state == TrainingSessionStatus.CANCELLED:
            errors["number"] = _("Session %(number)s was cancelled.") % {"number": instance.number}
        if instance.plan_item_id and instance.plan_item.plan.state == TrainingPlanStatus.CLOSED:
            errors["plan_item"] = _("Plan %(number)s is closed.") % {
                "number": instance.plan_item.plan.number}
        return errors

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            item = instance.plan_item
            instance.title = instance.title or item.title
            instance.method = instance.method or item.method
            if not instance.trainer_id and not instance.external_trainer:
                instance.trainer_id, instance.external_trainer = (item.trainer_id,
                                                                  item.external_trainer)
        super().before_save_instance(instance, row, **kwargs)


class AttendanceResource(TrainingResource):
    """Attendance and results: one row per attendee of a session.

    An attendee is a staff member (column ``staff``: username) or a customer's contact
    (``customer``: customer code, ``contact``: the contact's name). Rows for people not
    yet on the session's list add them.
    """

    column_labels = {"name": pgettext_lazy("person", "Name"), "outcome": gettext_lazy("result")}
    # a contact is found by the customer's code and the contact's name: both are in it
    template_columns = ("session", "staff", "customer", "contact", "attended", "exam_score",
                        "practical_result", "survey_rating", "comments", "coached_on",
                        "coaching_note")
    template_example = {"contact": "", "attended": True, "exam_score": "88",
                        "practical_result": "passed", "survey_rating": 5, "coached_on": ""}

    session = fields.Field(attribute="session", column_name="session",
                           widget=LookupWidget(TrainingSession, field="number"))
    staff = fields.Field(attribute="staff", column_name="staff", widget=user_widget())
    customer = fields.Field(attribute="contact__customer__code", column_name="customer",
                            readonly=True)
    contact = fields.Field(attribute="contact", column_name="contact", widget=ContactWidget())
    name = fields.Field(attribute="name", column_name="name", readonly=True)
    # the shared yes/no spellings, and the words of an attendance sheet; empty: not recorded
    attended = fields.Field(attribute="attended", column_name="attended", widget=YesNoWidget(
        extra_true=("y", "出席", "到", "√"), extra_false=("n", "缺席", "未到", "×")))
    practical_result = fields.Field(attribute="practical_result", column_name="practical_result",
                                    widget=BlankChoiceWidget(PracticalResult))
    outcome = fields.Field(column_name="outcome", readonly=True)

    class Meta:
        model = SessionAttendee
        fields = ("session", "staff", "customer", "contact", "name", "attended", "exam_score",
                  "practical_result", "survey_rating", "comments", "coached_on",
                  "coaching_note", "outcome")
        export_order = fields
        import_id_fields = ("session",)
        instance_loader_class = ModelInstanceLoader  # get_instance below decides

    def duplicate_key(self, row):
        person = (str(row.get("staff") or "").strip().lower(),
                  str(row.get("customer") or "").strip().upper(),
                  str(row.get("contact") or "").strip())
        session = str(row.get("session") or "").strip().upper()
        return (session, *person) if session and any(person) else None

    def get_instance(self, instance_loader, row):
        """The attendee row of this session for this staff member or contact, if any."""
        try:
            session = self.fields["session"].clean(row)
            staff = self.fields["staff"].clean(row) if row.get("staff") else None
            contact = self.fields["contact"].clean(row) if row.get("contact") else None
        except ValueError:
            return None  # reported on the row by import_instance
        if staff is None and contact is None:
            return None
        return SessionAttendee.objects.filter(session=session, staff=staff,
                                              contact=contact).first()

    def dehydrate_outcome(self, attendee):
        passed = getattr(attendee, "passed", None)
        if not getattr(attendee, "evaluated", False):
            return ""
        return _("passed") if passed else _("below pass mark")

    def before_import_row(self, row, **kwargs):
        for name in ("staff", "contact", "customer"):
            row.setdefault(name, "")
        super().before_import_row(row, **kwargs)

    def row_errors(self, instance, row):
        if instance.session_id and instance.session.state == TrainingSessionStatus.CANCELLED:
            return {"session": _("Session %(number)s was cancelled.")
                    % {"number": instance.session.number}}
        return {}
