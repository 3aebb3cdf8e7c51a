"""The annual after-sales budget (售后服务费用预算), its category controls and adjustments."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from billing import workflows as wf
from billing.workflows import (
    AdjustmentKind,
    AdjustmentStatus,
    BudgetPeriod,
    BudgetStatus,
    ExpenseCategory,
    OverrunPolicy,
)

MONEY = {"max_digits": 12, "decimal_places": 2}

#: the policy a new budget's categories start with
DEFAULT_POLICY = OverrunPolicy.WARN


class Budget(ConcurrentTransitionMixin, VersionedModel):
    """One fiscal (calendar) year's budget; its money lives in lines per category."""

    year = models.PositiveSmallIntegerField(
        _("fiscal year"), unique=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    title = models.CharField(_("title"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    state = FSMField(_("state"), max_length=16, choices=BudgetStatus.choices,
                     default=BudgetStatus.DRAFT, protected=True, db_index=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("prepared by"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-year"]
        permissions = [
            ("submit_budget", _("Can submit budgets for approval")),
            ("approve_budget", _("Can approve or return budgets")),
        ]

    def __str__(self):
        return self.title or str(_("Budget %(year)s") % {"year": self.year})

    @property
    def is_editable(self):
        return self.state in (BudgetStatus.DRAFT, BudgetStatus.RETURNED)

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            self.ensure_controls()

    def ensure_controls(self):
        """One control row per category: it holds the overrun policy and is the row the
        budget guard locks, so it must exist before anyone spends."""
        have = set(self.controls.values_list("category", flat=True))
        BudgetControl.objects.bulk_create(
            [BudgetControl(budget=self, category=c, overrun_policy=DEFAULT_POLICY)
             for c in ExpenseCategory.values if c not in have])

    # -- workflow ------------------------------------------------------------------------
    @transition(field=state, source=[BudgetStatus.DRAFT, BudgetStatus.RETURNED],
                target=BudgetStatus.SUBMITTED, permission=wf.can_submit_budget,
                conditions=[wf.budget_has_lines, wf.budget_periods_consistent],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary"})
    def submit(self, actor):
        self.submitted_by = actor
        self.submitted_at = timezone.now()

    @transition(field=state, source=BudgetStatus.SUBMITTED, target=BudgetStatus.APPROVED,
                permission=wf.can_approve_budget,
                custom={"label": _("Approve budget"), "icon": "verified",
                        "variant": "success"})
    def approve(self, actor):
        self.approved_by = actor
        self.approved_at = timezone.now()
        self.return_reason = ""
        self.ensure_controls()

    @transition(field=state, source=BudgetStatus.SUBMITTED, target=BudgetStatus.RETURNED,
                permission=wf.can_approve_budget,
                custom={"label": _("Return for revision"), "icon": "undo",
                        "variant": "warning", "form": "billing.forms.ReasonForm"})
    def return_for_revision(self, reason):
        if not (reason or "").strip():
            raise ValidationError(_("Give the reason for returning the budget."))
        self.return_reason = reason.strip()


class BudgetEvent(JournalEntry):
    budget = models.ForeignKey(Budget, models.CASCADE, related_name="events",
                               verbose_name=_("budget"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("budget journal entry")
        verbose_name_plural = _("budget journal")


class BudgetLine(TimeStampedModel):
    """An original amount for one category over the year, a quarter or a month."""

    budget = models.ForeignKey(Budget, models.CASCADE, related_name="lines",
                               verbose_name=_("budget"))
    category = models.CharField(_("category"), max_length=16, choices=ExpenseCategory.choices)
    period = models.CharField(_("period"), max_length=4, choices=BudgetPeriod.choices,
                              default=BudgetPeriod.YEAR)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["budget", "category", "period"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "category", "period"],
                                    name="uniq_budget_line"),
            models.CheckConstraint(condition=models.Q(amount__gte=0),
                                   name="budget_line_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} · {self.get_period_display()}"

    def clean(self):
        super().clean()
        if self.budget_id and not self.budget.is_editable:
            raise ValidationError(_("The budget is %(state)s: change it through an adjustment.")
                                  % {"state": self.budget.get_state_display()})


class BudgetControl(TimeStampedModel):
    """Per budget and category: the overrun policy; the row locked while spending is checked."""

    budget = models.ForeignKey(Budget, models.CASCADE, related_name="controls",
                               verbose_name=_("budget"))
    category = models.CharField(_("category"), max_length=16, choices=ExpenseCategory.choices)
    overrun_policy = models.CharField(_("overrun policy"), max_length=8,
                                      choices=OverrunPolicy.choices, default=DEFAULT_POLICY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category overrun policy")
        verbose_name_plural = _("overrun policy per category")
        ordering = ["budget", "category"]
        constraints = [models.UniqueConstraint(fields=["budget", "category"],
                                               name="uniq_budget_control")]

    def __str__(self):
        return f"{self.get_category_display()}: {self.get_overrun_policy_display()}"


class BudgetAdjustment(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A change to an approved budget: increase, decrease or transfer, with its reason."""

    number_prefix = "BA"

    budget = models.ForeignKey(Budget, models.PROTECT, related_name="adjustments",
                               verbose_name=_("budget"))
    kind = models.CharField(_("kind"), max_length=16, choices=AdjustmentKind.choices)
    from_category = models.CharField(
        _("from category"), max_length=16, choices=ExpenseCategory.choices, blank=True,
        help_text=_("Transfers only: the category that gives the money."))
    category = models.CharField(
        _("category"), max_length=16, choices=ExpenseCategory.choices,
        help_text=_("The category increased or decreased; for a transfer, the one receiving."))
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.TextField(_("reason"))
    state = FSMField(_("state"), max_length=16, choices=AdjustmentStatus.choices,
                     default=AdjustmentStatus.DRAFT, protected=True, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("budget adjustment")
        verbose_name_plural = _("budget adjustments")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_budgetadjustment", _("Can approve budget adjustments"))]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0),
                                              name="budget_adjustment_amount_positive")]

    def __str__(self):
        return f"{self.number} {self.get_kind_display()}"

    @property
    def is_editable(self):
        return self.state in (AdjustmentStatus.DRAFT, AdjustmentStatus.REJECTED)

    def clean(self):
        super().clean()
        if self.kind == AdjustmentKind.TRANSFER:
            if not self.from_category:
                raise ValidationError({"from_category": _("A transfer needs a source category.")})
            if self.from_category == self.category:
                raise ValidationError({"from_category": _("Choose two different categories.")})
        elif self.from_category:
            raise ValidationError({"from_category": _("Only transfers take money from a "
                                                      "second category.")})
        if self.budget_id and self.budget.state != BudgetStatus.APPROVED:
            raise ValidationError({"budget": _("Only approved budgets are adjusted; edit the "
                                               "draft budget directly.")})

    def deltas(self) -> dict[str, "object"]:
        """category -> signed change of its current amount once approved."""
        if self.kind == AdjustmentKind.INCREASE:
            return {self.category: self.amount}
        if self.kind == AdjustmentKind.DECREASE:
            return {self.category: -self.amount}
        return {self.category: self.amount, self.from_category: -self.amount}

    # -- workflow ------------------------------------------------------------------------
    @transition(field=state, source=[AdjustmentStatus.DRAFT, AdjustmentStatus.REJECTED],
                target=AdjustmentStatus.SUBMITTED, permission=wf.is_requester,
                conditions=[wf.adjustment_budget_approved, wf.adjustment_categories_valid],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary"})
    def submit(self):
        self.rejection_reason = ""

    @transition(field=state, source=AdjustmentStatus.SUBMITTED,
                target=AdjustmentStatus.APPROVED, permission=wf.can_approve_adjustment,
                conditions=[wf.adjustment_budget_approved, wf.adjustment_categories_valid],
                custom={"label": _("Approve adjustment"), "icon": "verified",
                        "variant": "success"})
    def approve(self, actor):
        # side effect (a refusal): services.check_adjustment_leaves_enough
        self.decided_by = actor
        self.decided_at = timezone.now()

    @transition(field=state, source=AdjustmentStatus.SUBMITTED,
                target=AdjustmentStatus.REJECTED, permission=wf.can_approve_adjustment,
                custom={"label": _("Reject"), "icon": "block", "variant": "danger",
                        "form": "billing.forms.ReasonForm"})
    def reject(self, actor, reason):
        if not (reason or "").strip():
            raise ValidationError(_("Give the reason for the rejection."))
        self.rejection_reason = reason.strip()
        self.decided_by = actor
        self.decided_at = timezone.now()


class BudgetAdjustmentEvent(JournalEntry):
    adjustment = models.ForeignKey(BudgetAdjustment, models.CASCADE, related_name="events",
                                   verbose_name=_("budget adjustment"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("adjustment journal entry")
        verbose_name_plural = _("adjustment journal")


class OverrunConfirmation(models.Model):
    """Who approved spending beyond the budget under a "warn" policy, and by how much."""

    budget = models.ForeignKey(Budget, models.PROTECT, null=True, blank=True,
                               related_name="overrun_confirmations", verbose_name=_("budget"))
    year = models.PositiveSmallIntegerField(_("fiscal year"))
    category = models.CharField(_("category"), max_length=16, choices=ExpenseCategory.choices)
    amount = models.DecimalField(_("amount approved"), **MONEY)
    remaining = models.DecimalField(_("remaining before"), **MONEY)
    reference = models.CharField(_("document"), max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("confirmed by"))
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("confirmed budget overrun")
        verbose_name_plural = _("confirmed budget overruns")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.reference} {self.get_category_display()} {self.amount}"

    @property
    def overrun(self):
        return self.amount - max(self.remaining, 0)
