"""Monthly appraisals (考核): periods, KPI targets and one appraisal per staff member."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, TimeStampedModel, VersionedModel
from backoffice.platform.people import display_name
from training import workflows as wf
from training.workflows import AppraisalRole, AppraisalSource, AppraisalStatus, Kpi, Outcome

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class KpiTarget(TimeStampedModel):
    """The target of one KPI for one role; appraisals keep a copy of the targets they were
    judged by (those of the appraised person's role)."""

    role = models.CharField(_("role"), max_length=16, choices=AppraisalRole.choices,
                            default=AppraisalRole.ENGINEER)
    kpi = models.CharField(_("KPI"), max_length=32, choices=Kpi.choices)
    target = models.DecimalField(_("target"), max_digits=8, decimal_places=2,
                                 validators=NON_NEGATIVE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["role", "kpi"]
        constraints = [models.UniqueConstraint(fields=["role", "kpi"],
                                               name="uniq_kpitarget_role_kpi")]

    def __str__(self):
        sign = "≤" if self.kpi in wf.LOWER_IS_BETTER else "≥"
        return f"{self.get_role_display()}: {self.get_kpi_display()} {sign} {self.target}"

    def clean(self):
        if self.kpi == Kpi.SATISFACTION_MEAN and self.target is not None and self.target > 5:
            raise ValidationError({"target": _("Satisfaction is rated from 1 to 5.")})
        if self.kpi and self.role and self.kpi not in wf.ROLE_KPIS.get(self.role, []):
            raise ValidationError({"kpi": _("This KPI is not one of the role's figures.")})
        if (self.kpi not in {Kpi.SATISFACTION_MEAN, *wf.DURATION_KPIS}
                and self.target is not None and self.target > 100):
            raise ValidationError({"target": _("A percentage cannot exceed 100.")})


class AppraisalPeriod(VersionedModel):
    """A calendar month that is appraised (考核周期)."""

    month = models.DateField(_("month"), unique=True,
                             help_text=_("Any day of the month; stored as its first day."))
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("appraisal period")
        verbose_name_plural = _("appraisal periods")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}" if self.month else "-"

    def save(self, *args, **kwargs):
        if self.month:
            self.month = self.month.replace(day=1)
        super().save(*args, **kwargs)


class Appraisal(ConcurrentTransitionMixin, VersionedModel):
    """One staff member's appraisal for one month.

    The ticket counts and the KPI figures derived from them are written by
    ``training.services`` (computed) or by an import of the old spreadsheet (imported);
    the manager's spot check, score and outcome are entered while the appraisal is a
    draft; the state only moves through the workflow buttons.
    """

    state = FSMField(_("state"), max_length=16, choices=AppraisalStatus.choices,
                     default=AppraisalStatus.DRAFT, protected=True, db_index=True)
    period = models.ForeignKey(AppraisalPeriod, models.PROTECT, related_name="appraisals",
                               verbose_name=_("period"))
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                 related_name="appraisals", verbose_name=_("employee"))
    role = models.CharField(_("appraised as"), max_length=16, choices=AppraisalRole.choices,
                            default=AppraisalRole.ENGINEER,
                            help_text=_("Which KPIs and targets judge this person: their "
                                        "role when the month was computed."))
    source = models.CharField(_("figures from"), max_length=16, choices=AppraisalSource.choices,
                              default=AppraisalSource.COMPUTED)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    # ticket counts behind the figures (see training.selectors.ticket_kpis)
    tickets_received = models.PositiveIntegerField(_("tickets received"), null=True, blank=True)
    tickets_resolved = models.PositiveIntegerField(
        _("tickets resolved in the month"), null=True, blank=True,
        help_text=_("Resolved in the month, whenever received: the throughput."))
    tickets_received_resolved = models.PositiveIntegerField(
        _("of the tickets received, resolved in the month"), null=True, blank=True,
        help_text=_("The resolution rate's numerator (its denominator: tickets received)."))
    tickets_rated = models.PositiveIntegerField(_("tickets rated"), null=True, blank=True)
    tickets_satisfied = models.PositiveIntegerField(_("rated 4 or 5"), null=True, blank=True)
    tickets_rated_by_link = models.PositiveIntegerField(
        _("rated by the customer's own link"), null=True, blank=True)
    tickets_responded = models.PositiveIntegerField(_("tickets answered"), null=True, blank=True)
    tickets_response_measured = models.PositiveIntegerField(
        _("tickets with a response target"), null=True, blank=True)
    tickets_answered_in_time = models.PositiveIntegerField(_("answered in time"), null=True,
                                                           blank=True)
    tickets_closed = models.PositiveIntegerField(_("tickets closed"), null=True, blank=True)
    records_complete = models.PositiveIntegerField(_("complete service records"), null=True,
                                                   blank=True)
    records_reviewed = models.PositiveIntegerField(
        _("service records reviewed"), null=True, blank=True,
        help_text=_("Of the tickets closed, those whose service record the after-sales "
                    "manager reviewed: their review score counts in the completeness."))
    tickets_first_contact = models.PositiveIntegerField(
        _("answered on the first call"), null=True, blank=True,
        help_text=_("Consultations and usage questions this person answered at once, "
                    "without an engineer; in none of the figures above."))
    tickets_held = models.PositiveIntegerField(
        _("resolved tickets held"), null=True, blank=True,
        help_text=_("Tickets resolved in the month that this person held at their support "
                    "level (the level clock)."))
    # the clerk's counts (see training.selectors.clerk_kpis)
    calls_forwarded = models.PositiveIntegerField(
        _("recorded tickets forwarded"), null=True, blank=True,
        help_text=_("Tickets this person recorded in the month that were assigned or referred."))
    forward_seconds = models.PositiveIntegerField(
        _("time from the call to forwarding, in total (seconds)"), null=True, blank=True)
    first_contact_questions = models.PositiveIntegerField(
        _("consultations and usage questions recorded"), null=True, blank=True)
    first_contact_answered = models.PositiveIntegerField(
        _("of those, answered on the first call"), null=True, blank=True)
    followups_due = models.PositiveIntegerField(_("follow-up calls due"), null=True, blank=True)
    followups_on_time = models.PositiveIntegerField(_("follow-up calls done on time"),
                                                    null=True, blank=True)
    spot_checks = models.PositiveIntegerField(
        _("calls spot-checked"), null=True, blank=True,
        help_text=_("The manager's spot checks of this person's calls of the month."))

    # KPI figures
    satisfaction_mean = models.DecimalField(
        _("mean satisfaction"), max_digits=3, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))])
    satisfied_share = models.DecimalField(_("satisfied (%)"), max_digits=5, decimal_places=2,
                                          null=True, blank=True, validators=PERCENT)
    self_rated_share = models.DecimalField(_("rated by the customer themself (%)"),
                                           max_digits=5, decimal_places=2, null=True,
                                           blank=True, validators=PERCENT)
    resolution_rate = models.DecimalField(_("resolution rate (%)"), max_digits=7,
                                          decimal_places=2, null=True, blank=True,
                                          validators=NON_NEGATIVE)
    avg_response_hours = models.DecimalField(_("average first response (working hours)"),
                                             max_digits=8, decimal_places=2, null=True,
                                             blank=True, validators=NON_NEGATIVE)
    response_in_time_share = models.DecimalField(_("answered within target (%)"), max_digits=5,
                                                 decimal_places=2, null=True, blank=True,
                                                 validators=PERCENT)
    record_completeness = models.DecimalField(_("service-record completeness (%)"),
                                              max_digits=5, decimal_places=2, null=True,
                                              blank=True, validators=PERCENT)
    avg_held_hours = models.DecimalField(
        _("average time holding a resolved ticket (working hours)"), max_digits=8,
        decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE,
        help_text=_("Their own level's time on the ticket, waits for the customer or R&D "
                    "and the other levels' time left out."))
    avg_forward_minutes = models.DecimalField(
        _("average time from the call to forwarding (minutes)"), max_digits=9,
        decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    first_contact_share = models.DecimalField(_("answered on the first call (%)"),
                                              max_digits=5, decimal_places=2, null=True,
                                              blank=True, validators=PERCENT)
    followup_on_time_share = models.DecimalField(_("follow-up calls on time (%)"),
                                                 max_digits=5, decimal_places=2, null=True,
                                                 blank=True, validators=PERCENT)
    spot_check_score = models.DecimalField(_("average spot-check score (0-100)"),
                                           max_digits=5, decimal_places=2, null=True,
                                           blank=True, validators=PERCENT)
    targets = models.JSONField(_("targets applied"), default=dict, blank=True)

    # the manager's review
    spot_check_notes = models.TextField(
        _("spot-check notes"), blank=True,
        help_text=_("What the spot checks found (the calls checked and their scores are "
                    "the spot-check records, counted in the figures)."))
    manager_score = models.PositiveSmallIntegerField(
        _("manager's score (0-100)"), null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_amount = models.DecimalField(
        _("bonus or deduction amount"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=NON_NEGATIVE)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    employee_comment = models.TextField(_("employee's comment"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-period__month", "employee__username"]
        permissions = [("review_appraisal", _("Can compute and review appraisals"))]
        constraints = [models.UniqueConstraint(fields=["period", "employee"],
                                               name="uniq_appraisal_period_employee")]

    def __str__(self):
        who = display_name(self.employee) if self.employee_id else "-"
        return f"{self.period} {who}"

    #: the figure fields, in KPI order
    KPI_FIELDS = [k.value for k in Kpi]
    COUNT_FIELDS = ["tickets_received", "tickets_received_resolved", "tickets_resolved",
                    "tickets_rated",
                    "tickets_satisfied", "tickets_rated_by_link", "tickets_responded",
                    "tickets_response_measured", "tickets_answered_in_time",
                    "tickets_closed", "records_complete", "records_reviewed",
                    "tickets_first_contact",
                    "tickets_held", "calls_forwarded", "forward_seconds",
                    "first_contact_questions", "first_contact_answered", "followups_due",
                    "followups_on_time", "spot_checks"]

    def role_kpis(self):
        return wf.ROLE_KPIS.get(self.role, wf.ROLE_KPIS[AppraisalRole.ENGINEER])

    def kpi_results(self):
        """[(kpi, label, value, target, met)] of the person's role's KPIs, with met None
        when there is nothing to judge."""
        rows = []
        for kpi in self.role_kpis():
            label = kpi.label
            value = getattr(self, kpi)
            target = self.targets.get(kpi)
            target = Decimal(str(target)) if target not in (None, "") else None
            met = None
            if value is not None and target is not None:
                met = value <= target if kpi in wf.LOWER_IS_BETTER else value >= target
            rows.append((kpi, label, value, target, met))
        return rows

    def targets_met(self):
        results = [met for *_ignored, met in self.kpi_results() if met is not None]
        return sum(results), len(results)

    @transition(field=state, source=AppraisalStatus.DRAFT, target=AppraisalStatus.REVIEWED,
                permission=wf.can_review_appraisal,
                conditions=[wf.appraisal_has_figures, wf.appraisal_scored,
                            wf.appraisal_outcome_chosen],
                custom={"label": _("Complete review"), "icon": "rate_review",
                        "variant": "primary"})
    def review(self, actor):
        self.reviewed_by = actor
        self.reviewed_at = timezone.now()

    @transition(field=state, source=AppraisalStatus.REVIEWED, target=AppraisalStatus.DRAFT,
                permission=wf.can_review_appraisal,
                custom={"label": _("Reopen review"), "icon": "replay", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def reopen(self):
        self.reviewed_at = None

    @transition(field=state, source=AppraisalStatus.REVIEWED, target=AppraisalStatus.DRAFT,
                permission=wf.is_appraised_employee,
                # the verb (提出异议), not the noun of the history page's "Object" (对象)
                custom={"label": pgettext_lazy("appraisal step", "Object"), "icon": "feedback",
                        "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def dispute(self):
        self.reviewed_at = None

    @transition(field=state, source=AppraisalStatus.REVIEWED, target=AppraisalStatus.ACKNOWLEDGED,
                permission=wf.is_appraised_employee,
                custom={"label": _("Acknowledge"), "icon": "how_to_reg", "variant": "success",
                        "form": "training.forms.AcknowledgeForm"})
    def acknowledge(self, employee_comment=""):
        self.employee_comment = employee_comment
        self.acknowledged_at = timezone.now()


class AppraisalEvent(JournalEntry):
    appraisal = models.ForeignKey(Appraisal, models.CASCADE, related_name="events",
                                  verbose_name=_("appraisal"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("appraisal journal entry")
        verbose_name_plural = _("appraisal journal")
