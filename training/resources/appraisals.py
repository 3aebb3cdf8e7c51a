"""Spreadsheets of appraisals, KPI targets and appraisal periods."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from import_export import fields, widgets
from import_export.instance_loaders import ModelInstanceLoader

from backoffice.platform.people import display_name
from backoffice.platform.resources import ChoiceWidget
from training import selectors
from training.models import Appraisal, AppraisalPeriod, KpiTarget
from training.resources.common import BlankChoiceWidget, TrainingResource, user_widget
from training.workflows import (
    DURATION_KPIS,
    AppraisalRole,
    AppraisalSource,
    AppraisalStatus,
    Kpi,
    Outcome,
)


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


class AppraisalResource(TrainingResource):
    """Appraisal records, e.g. from the department's old spreadsheet.

    A row creates (or updates) the *draft* appraisal of ``employee`` for ``month`` with
    the figures given; missing periods are created. Reviewed or acknowledged
    appraisals are never overwritten; the state column is only exported.
    """

    never_import = (*TrainingResource.never_import, "source", "computed_at", "reviewed_by",
                    "reviewed_at", "acknowledged_at", "employee_comment", "targets")
    column_labels = {"name": pgettext_lazy("person", "Name")}
    template_example = {
        "month": lambda: f"{dt.date.today():%Y-%m}", "tickets_received": 42,
        "tickets_received_resolved": 40,
        "tickets_resolved": 41, "tickets_rated": 30, "tickets_satisfied": 28,
        "tickets_rated_by_link": 12, "tickets_responded": 42, "tickets_response_measured": 40,
        "tickets_answered_in_time": 38, "tickets_closed": 39, "records_complete": 39,
        "records_reviewed": 4,
        "tickets_first_contact": 5, "satisfaction_mean": "4.60", "satisfied_share": "93.3",
        "self_rated_share": "40", "resolution_rate": "95.24", "avg_response_hours": "1.80",
        "response_in_time_share": "95", "record_completeness": "97.5", "manager_score": 88,
        "outcome": "none", "outcome_amount": ""}

    period = fields.Field(attribute="period", column_name="month", widget=MonthWidget())
    employee = fields.Field(attribute="employee", column_name="employee", widget=user_widget())
    employee_name = fields.Field(column_name="name", readonly=True)
    role = fields.Field(attribute="role", column_name="role",
                        widget=ChoiceWidget(AppraisalRole, empty=AppraisalRole.ENGINEER))
    outcome = fields.Field(attribute="outcome", column_name="outcome", widget=BlankChoiceWidget(Outcome))
    reviewed_by = fields.Field(attribute="reviewed_by", column_name="reviewed_by",
                               widget=user_widget(), readonly=True)

    class Meta:
        model = Appraisal
        fields = ("period", "employee", "employee_name", "role", "state", "source",
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
        return display_name(appraisal.employee)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for kpi in Kpi.values:
            if kpi not in {Kpi.SATISFACTION_MEAN, Kpi.SPOT_CHECK_SCORE, *DURATION_KPIS}:
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
            instance.targets = selectors.kpi_targets(instance.role or AppraisalRole.ENGINEER)
        super().before_save_instance(instance, row, **kwargs)


class KpiTargetResource(TrainingResource):
    """One row per role and KPI; a sheet without the role column (before targets were
    per role) sets the engineer's."""

    role = fields.Field(attribute="role", column_name="role",
                        widget=ChoiceWidget(AppraisalRole, empty=AppraisalRole.ENGINEER))
    kpi = fields.Field(attribute="kpi", column_name="kpi", widget=ChoiceWidget(Kpi))
    template_example = {"role": "engineer", "kpi": "satisfaction_mean", "target": "4.5"}

    class Meta:
        model = KpiTarget
        fields = ("role", "kpi", "target", "note")
        import_id_fields = ("role", "kpi")
        instance_loader_class = ModelInstanceLoader  # a composite key

    def before_import(self, dataset, **kwargs):
        if dataset.headers and "role" not in dataset.headers:
            dataset.append_col([AppraisalRole.ENGINEER] * len(dataset), header="role")
        super().before_import(dataset, **kwargs)


class AppraisalPeriodResource(TrainingResource):
    template_example = {"month": lambda: dt.date.today().replace(day=1)}

    class Meta:
        model = AppraisalPeriod
        fields = ("month", "notes")
        import_id_fields = ("month",)
