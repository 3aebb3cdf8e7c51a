"""Import/export of training plans, sessions, attendance and results, and appraisals.

All files are all-or-nothing: one bad row and nothing is written; the preview names the
row, the column and the reason. States are never imported (``BackofficeResource``):
imported appraisals always start as drafts and move on through their workflow.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets
from import_export.instance_loaders import ModelInstanceLoader

from backoffice.desk.models import Contact, Customer, Product
from backoffice.platform.resources import BackofficeResource, ChoiceWidget, LookupWidget
from training import selectors
from training.models import (
    Appraisal,
    AppraisalPeriod,
    KpiTarget,
    SessionAttendee,
    TrainingNeed,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from training.workflows import (
    AppraisalSource,
    AppraisalStatus,
    Audience,
    Kpi,
    Method,
    NeedSource,
    Outcome,
    PracticalResult,
    RequesterKind,
    TrainerKind,
    TrainingPlanStatus,
    TrainingSessionStatus,
    Urgency,
)

User = get_user_model()


# -- widgets ------------------------------------------------------------------------------
class TextWidget(widgets.CharWidget):
    """Text cells, stripped; numbers typed into a text column come back without ".0"."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class YesNoWidget(widgets.BooleanWidget):
    """Yes/no cells in English or Chinese; empty means "not recorded"."""

    TRUE_VALUES = [*widgets.BooleanWidget.TRUE_VALUES, "yes", "Yes", "YES", "y", "Y", "是",
                   "出席", "到", "√"]
    FALSE_VALUES = [*widgets.BooleanWidget.FALSE_VALUES, "no", "No", "NO", "n", "N", "否",
                    "缺席", "未到", "×"]

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        if value in self.NULL_VALUES:
            return None
        if value in self.TRUE_VALUES:
            return True
        if value in self.FALSE_VALUES:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": value})


class PercentWidget(widgets.DecimalWidget):
    """A percentage written 95.5 or 95.5%."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip().rstrip("%").strip()
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None


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


class BlankChoiceWidget(ChoiceWidget):
    """A choices column of a model field stored as "" when empty (not NULL)."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs) or ""


class OrderedManyToManyWidget(StrictManyToManyWidget):
    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(str(getattr(o, self.field)) for o in value.all()))


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


class ContactWidget(LookupWidget):
    """A customer's contact by the customer's code (column ``customer``) and the name."""

    def __init__(self, **kwargs):
        super().__init__(Contact, field="name", **kwargs)

    def cache_key(self, value, row):
        name = str(value).strip()
        if not name:
            return None
        return str((row or {}).get("customer") or "").strip().upper(), name

    def _lookup(self, key, row, **kwargs):
        code, name = key
        matches = list(Contact.objects.filter(customer__code=code, name=name)[:2])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            return ValueError(_("Customer %(code)s has no contact “%(name)s”.")
                              % {"code": code or "-", "name": name})
        return ValueError(_("Customer %(code)s has more than one contact “%(name)s”.")
                          % {"code": code, "name": name})


class MonthWidget(widgets.Widget):
    """A month written 2026-03, 2026/3, 2026-03-01 or as a spreadsheet date."""

    PATTERN = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})?\s*日?)?\s*$")

    def parse(self, value) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date().replace(day=1)
        if isinstance(value, dt.date):
            return value.replace(day=1)
        match = self.PATTERN.match(str(value or ""))
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(_("“%(value)s” is not a month like 2026-03.") % {"value": value})
        return dt.date(int(match.group(1)), int(match.group(2)), 1)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            raise ValueError(_("The month is missing."))
        month = self.parse(value)
        try:
            return AppraisalPeriod.objects.get(month=month)
        except AppraisalPeriod.DoesNotExist:  # created by before_import; safety net
            raise ValueError(_("No appraisal period %(month)s.") % {"month": f"{month:%Y-%m}"}) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value.month:%Y-%m}"


def user_widget():
    return LookupWidget(User, field="username")


# -- the base -------------------------------------------------------------------------------
class TrainingResource(BackofficeResource):
    """BackofficeResource, all-or-nothing, with lookups of the id columns as row errors."""

    class Meta:
        abstract = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None  # the same lookup fails again in import_instance, on its column

    def before_save_instance(self, instance, row, **kwargs):
        user = getattr(self, "_import_user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user
        super().before_save_instance(instance, row, **kwargs)

    def row_errors(self, instance, row) -> dict:
        """Business rules of a row that the model's own validation cannot see."""
        return {}

    def duplicate_key(self, row):
        """What two rows of one file may not share; ``None`` for a row without one (a new
        document). Default: the import key columns, when all are filled."""
        columns = [self.fields[name].column_name for name in self.get_import_id_fields()]
        key = tuple(str(row.get(c) or "").strip().upper() for c in columns)
        return key if all(key) else None

    def _find_duplicate_keys(self, dataset):
        """The foundation's newer key check compares raw import-key cells; these
        resources have composite or optional keys, so :meth:`duplicate_key` decides."""
        return {}

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        first_seen, self._duplicate_rows = {}, {}
        for number, row in enumerate(dataset.dict, 1):
            key = self.duplicate_key(row)
            if key is None:
                continue
            if key in first_seen:
                self._duplicate_rows[number] = first_seen[key]
            else:
                first_seen[key] = number

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for name, message in self.row_errors(instance, getattr(self, "_current_row", {})).items():
            errors.setdefault(name, ValidationError(message))
        earlier = getattr(self, "_duplicate_rows", {}).get(getattr(self, "_row_number", None))
        if earlier:
            name = self.fields[self.get_import_id_fields()[0]].attribute
            errors.setdefault(name, ValidationError(
                _("Row %(row)s of this file already has this key.") % {"row": earlier}))
        super().validate_instance(instance, errors, validate_unique)

    def before_import_row(self, row, **kwargs):
        self._current_row = row
        self._row_number = kwargs.get("row_number")
        super().before_import_row(row, **kwargs)


# -- needs and plans -------------------------------------------------------------------------
class TrainingNeedResource(TrainingResource):
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


# -- sessions and attendance ------------------------------------------------------------------
class TrainingSessionResource(TrainingResource):
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

    session = fields.Field(attribute="session", column_name="session",
                           widget=LookupWidget(TrainingSession, field="number"))
    staff = fields.Field(attribute="staff", column_name="staff", widget=user_widget())
    customer = fields.Field(attribute="contact__customer__code", column_name="customer",
                            readonly=True)
    contact = fields.Field(attribute="contact", column_name="contact", widget=ContactWidget())
    name = fields.Field(attribute="name", column_name="name", readonly=True)
    attended = fields.Field(attribute="attended", column_name="attended", widget=YesNoWidget())
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


# -- appraisals ---------------------------------------------------------------------------------
class AppraisalResource(TrainingResource):
    """Appraisal records, e.g. from the department's old spreadsheet.

    A row creates (or updates) the *draft* appraisal of ``employee`` for ``month`` with
    the figures given; missing periods are created. Reviewed or acknowledged
    appraisals are never overwritten; the state column is only exported.
    """

    never_import = (*TrainingResource.never_import, "source", "computed_at", "reviewed_by",
                    "reviewed_at", "acknowledged_at", "employee_comment", "targets")

    period = fields.Field(attribute="period", column_name="month", widget=MonthWidget())
    employee = fields.Field(attribute="employee", column_name="employee", widget=user_widget())
    employee_name = fields.Field(column_name="name", readonly=True)
    outcome = fields.Field(attribute="outcome", column_name="outcome", widget=BlankChoiceWidget(Outcome))
    reviewed_by = fields.Field(attribute="reviewed_by", column_name="reviewed_by",
                               widget=user_widget(), readonly=True)

    class Meta:
        model = Appraisal
        fields = ("period", "employee", "employee_name", "state", "source",
                  *Appraisal.COUNT_FIELDS, *Appraisal.KPI_FIELDS, "spot_check_notes",
                  "manager_score", "outcome", "outcome_amount", "reviewed_by",
                  "employee_comment")
        export_order = fields
        import_id_fields = ("period", "employee")
        instance_loader_class = ModelInstanceLoader  # a composite key
        use_bulk = False  # a few rows per month; saved one by one, each with its history

    def duplicate_key(self, row):
        try:
            month = MonthWidget().parse(row.get("month"))
        except ValueError:
            return None
        employee = str(row.get("employee") or "").strip().lower()
        return (month, employee) if employee else None

    def dehydrate_employee_name(self, appraisal):
        return appraisal.employee.get_full_name()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for kpi in Kpi.values:
            if kpi != Kpi.SATISFACTION_MEAN and kpi != Kpi.AVG_RESPONSE_HOURS:
                self.fields[kpi].widget = PercentWidget()

    def before_import(self, dataset, **kwargs):
        """Create the months the file names (inside the import's transaction)."""
        super().before_import(dataset, **kwargs)
        if "month" not in (dataset.headers or []):
            return
        widget = MonthWidget()
        months = set()
        for value in dataset["month"]:
            try:
                months.add(widget.parse(value))
            except ValueError:
                continue  # reported on its row
        existing = set(AppraisalPeriod.objects.filter(month__in=months)
                       .values_list("month", flat=True))
        for month in sorted(months - existing):
            AppraisalPeriod.objects.create(month=month)

    def row_errors(self, instance, row):
        errors = {}
        if instance.pk and instance.state != AppraisalStatus.DRAFT:
            errors["employee"] = _("The appraisal of %(who)s for %(month)s is already “%(state)s” "
                                   "and cannot be overwritten.") % {
                "who": instance.employee.username, "month": instance.period,
                "state": instance.get_state_display()}
        return errors

    def before_save_instance(self, instance, row, **kwargs):
        instance.source = AppraisalSource.IMPORTED
        instance.computed_at = None
        if not instance.targets:
            instance.targets = selectors.kpi_targets()
        super().before_save_instance(instance, row, **kwargs)


class KpiTargetResource(TrainingResource):
    kpi = fields.Field(attribute="kpi", column_name="kpi", widget=ChoiceWidget(Kpi))

    class Meta:
        model = KpiTarget
        fields = ("kpi", "target", "note")
        import_id_fields = ("kpi",)


class AppraisalPeriodResource(TrainingResource):
    class Meta:
        model = AppraisalPeriod
        fields = ("month", "notes")
        import_id_fields = ("month",)
