"""Maintenance plans, their visits and the visit journal, with the schedule arithmetic."""

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.care import workflows as cw
from backoffice.care.workflows import MaintenanceCycle, VisitStatus
from backoffice.desk.models import Customer, Product
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel

MAX_LEAD_DAYS = 90


# -- schedule arithmetic ---------------------------------------------------------------
def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """``day`` moved by ``months``, on ``anchor_day`` or the month's last day if shorter.

    Anchoring keeps a plan that started on the 31st on the last day of every month
    (31 Jan → 28 Feb → 31 Mar) instead of drifting to the 28th for good.
    """
    anchor = anchor_day or day.day
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return dt.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def advance(day: dt.date, cycle: str, anchor_day: int | None = None) -> dt.date:
    """The due date one cycle after ``day``."""
    months, days = cw.CYCLE_STEP[cycle]
    if months:
        return add_months(day, months, anchor_day)
    return day + dt.timedelta(days=days)


# -- maintenance -----------------------------------------------------------------------
class MaintenancePlan(NumberedModel, VersionedModel):
    """Periodic maintenance a customer is owed: what, how often, by whom, when next."""

    number_prefix = "MP"

    customer = models.ForeignKey(Customer, models.PROTECT, related_name="maintenance_plans",
                                 verbose_name=_("customer"))
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True,
                                related_name="maintenance_plans", verbose_name=_("product"))
    title = models.CharField(_("title"), max_length=200)
    system_check = models.BooleanField(_("system check"), default=True)
    data_backup = models.BooleanField(_("data backup"), default=False)
    performance_tuning = models.BooleanField(_("performance tuning"), default=False)
    content = models.TextField(_("content"), blank=True,
                               help_text=_("Checklist and details of each visit."))
    cycle = models.CharField(_("cycle"), max_length=16, choices=MaintenanceCycle.choices,
                             default=MaintenanceCycle.QUARTERLY)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               help_text=_("End of the maintenance contract; empty: open-ended."))
    next_due = models.DateField(_("next due"), null=True, blank=True, db_index=True,
                                help_text=_("Due date of the next visit not yet planned; "
                                            "empty: the start date."))
    lead_days = models.PositiveSmallIntegerField(
        _("plan ahead (days)"), default=7, validators=[MaxValueValidator(MAX_LEAD_DAYS)],
        help_text=_("The visit is created this many days before it is due."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["customer", "title"]
        constraints = [models.CheckConstraint(
            condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
            name="maintenance_plan_ends_after_start")]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    def clean(self):
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})

    def save(self, *args, **kwargs):
        if self.next_due is None:
            self.next_due = self.starts_on
        super().save(*args, **kwargs)

    def following(self, day: dt.date) -> dt.date:
        """The due date one cycle after ``day``, anchored on the start date's day."""
        return advance(day, self.cycle, self.starts_on.day)

    def tasks(self) -> list[str]:
        names = [("system_check", _("system check")), ("data_backup", _("data backup")),
                 ("performance_tuning", _("performance tuning"))]
        return [str(label) for name, label in names if getattr(self, name)]


class MaintenanceVisit(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """One visit of a plan, with what the engineer found."""

    number_prefix = "MV"

    state = FSMField(_("state"), max_length=32, choices=VisitStatus.choices,
                     default=VisitStatus.PLANNED, protected=True, db_index=True)
    plan = models.ForeignKey(MaintenancePlan, models.PROTECT, related_name="visits",
                             verbose_name=_("maintenance plan"))
    due_on = models.DateField(_("due on"), db_index=True)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("engineer"))
    appointment = models.DateTimeField(_("appointment"), null=True, blank=True)
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    signed_by = models.CharField(_("signed by (customer)"), max_length=100, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("maintenance visit")
        verbose_name_plural = _("maintenance visits")
        ordering = ["due_on", "id"]
        permissions = [
            ("record_maintenancevisit", _("Can record own maintenance visits")),
            ("supervise_maintenancevisit", _("Can record or skip any maintenance visit")),
        ]
        constraints = [models.UniqueConstraint(fields=["plan", "due_on"],
                                               name="uniq_visit_per_due_date")]

    def __str__(self):
        return f"{self.number} {self.due_on}"

    def is_overdue(self, today=None):
        return self.state == VisitStatus.PLANNED and self.due_on < (today or timezone.localdate())

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.PLANNED,
                permission=cw.can_record_visit,
                custom={"label": _("Make appointment"), "icon": "event",
                        "form": "backoffice.care.forms.VisitAppointmentForm"})
    def make_appointment(self, appointment):
        self.appointment = appointment

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.DONE,
                permission=cw.can_record_visit,
                custom={"label": _("Record visit"), "icon": "task_alt", "variant": "success",
                        "form": "backoffice.care.forms.VisitRecordForm"})
    def complete(self, performed_on, findings, work_done="", signed_by="", actor=None):
        self.performed_on = performed_on
        self.findings = findings
        self.work_done = work_done
        self.signed_by = signed_by
        if self.engineer_id is None and actor is not None:
            self.engineer = actor

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.SKIPPED,
                permission=cw.can_skip_visit,
                custom={"label": _("Skip this visit"), "icon": "event_busy",
                        "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def skip(self):
        pass


class MaintenanceVisitEvent(JournalEntry):
    visit = models.ForeignKey(MaintenanceVisit, models.CASCADE, related_name="events",
                              verbose_name=_("maintenance visit"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("visit journal entry")
        verbose_name_plural = _("visit journal")
