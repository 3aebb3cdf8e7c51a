"""Expense claims (费用报销): staff claim service costs with receipts; the manager approves,
finance pays, and the budget guard watches every approval."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Max, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Customer, Ticket
from backoffice.platform import budget as seam
from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from backoffice.platform.workflow import journal_note
from billing import workflows as wf
from billing.money import ZERO, to_money
from billing.receipts import ReceiptValidator, receipt_path, receipt_storage
from billing.workflows import ClaimStatus, ExpenseCategory

MONEY = {"max_digits": 12, "decimal_places": 2}


def sees_all_claims(user) -> bool:
    """Approvers, payers and auditors see everyone's claims; others only their own."""
    return user.is_superuser or any(user.has_perm(f"billing.{p}") for p in (
        "approve_expenseclaim", "pay_expenseclaim", "audit_expenseclaim"))


class ExpenseClaimQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if sees_all_claims(user) else self.filter(claimant=user)

    def awaiting(self, user):
        """Claims waiting for this user's decision (approval or payment), never their own."""
        q = models.Q(pk__in=[])
        if user.has_perm("billing.approve_expenseclaim"):
            q |= models.Q(state=ClaimStatus.SUBMITTED)
        if user.has_perm("billing.pay_expenseclaim"):
            q |= models.Q(state=ClaimStatus.APPROVED)
        return self.filter(q).exclude(claimant=user)


class ExpenseClaim(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A claim of one staff member, with one line per receipt."""

    number_prefix = "EC"

    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                 related_name="expense_claims", verbose_name=_("claimant"))
    title = models.CharField(_("purpose"), max_length=200,
                             help_text=_("e.g. On-site visit to a customer, March 2026"))
    notes = models.TextField(_("notes"), blank=True)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO, editable=False)
    state = FSMField(_("state"), max_length=16, choices=ClaimStatus.choices,
                     default=ClaimStatus.DRAFT, protected=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("decided by"))
    approved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    budget_note = models.TextField(
        _("budget check"), blank=True,
        help_text=_("Budget overruns the approver confirmed for this claim."))
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("paid by"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])
    objects = ExpenseClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_expenseclaim", _("Can approve or reject expense claims")),
            ("pay_expenseclaim", _("Can pay approved expense claims")),
            ("audit_expenseclaim", _("Can see everyone's expense claims")),
        ]
        indexes = [models.Index(fields=["claimant", "state"], name="claim_claimant_state")]
        constraints = [models.CheckConstraint(condition=models.Q(total__gte=0),
                                              name="claim_total_not_negative")]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_editable(self):
        return self.state in wf.CLAIM_EDITABLE

    def compute_total(self) -> Decimal:
        return to_money(self.lines.aggregate(t=Sum("amount"))["t"])

    def spend_by_year_category(self):
        """[(year, category, amount, last date)]: what this claim asks of each budget."""
        rows = (self.lines.annotate(year=ExtractYear("date"))
                .values("year", "category").annotate(amount=Sum("amount"), last=Max("date"))
                .order_by("year", "category"))
        return [(r["year"], r["category"], r["amount"], r["last"]) for r in rows]

    def budget_requests(self):
        """[(category, date, amount)] per year and category (``platform.budget``)."""
        return [(category, last, amount)
                for _year, category, amount, last in self.spend_by_year_category()]

    # -- workflow ------------------------------------------------------------------------
    @transition(field=state, source=[ClaimStatus.DRAFT, ClaimStatus.REJECTED],
                target=ClaimStatus.SUBMITTED, permission=wf.is_claimant,
                conditions=[wf.claim_has_lines, wf.claim_receipts_attached],
                custom={"label": _("Submit"), "icon": "send", "variant": "primary",
                        "form": "billing.forms.ClaimSubmitForm"})
    def submit(self, actor, confirm_overrun=False):
        """The claimant meets the budget now, not at the approver's refusal: a "stop"
        overrun refuses the submit, a "warn" one needs their confirmation (journaled and
        kept for the approver in ``budget_note``)."""
        text = seam.check_document(self, actor=actor, confirmed=bool(confirm_overrun),
                                   dry_run=True)
        self.budget_note = text
        journal_note(self, text)
        self.total = self.compute_total()
        self.submitted_at = timezone.now()

    @transition(field=state, source=ClaimStatus.SUBMITTED, target=ClaimStatus.DRAFT,
                permission=wf.is_claimant,
                custom={"label": _("Withdraw"), "icon": "undo"})
    def withdraw(self):
        self.submitted_at = None
        self.budget_note = ""

    @transition(field=state, source=ClaimStatus.SUBMITTED, target=ClaimStatus.APPROVED,
                permission=wf.can_approve_claim,
                custom={"label": _("Approve"), "icon": "check_circle", "variant": "success",
                        "form": "billing.forms.ClaimApproveForm"})
    def approve(self, actor, confirm_overrun=False):
        """Ask the budget guard for every (year, category) the claim spends in; a "stop"
        overrun or an unconfirmed "warn" raises and nothing is approved."""
        self.budget_note = seam.check_document(self, actor=actor,
                                               confirmed=bool(confirm_overrun))
        self.total = self.compute_total()
        self.approved_by = actor
        self.approved_at = timezone.now()
        self.rejection_reason = ""

    @transition(field=state, source=ClaimStatus.SUBMITTED, target=ClaimStatus.REJECTED,
                permission=wf.can_approve_claim,
                custom={"label": _("Reject"), "icon": "block", "variant": "danger",
                        "form": "billing.forms.ReasonForm"})
    def reject(self, actor, reason):
        if not (reason or "").strip():
            raise ValidationError(_("Give the reason for the rejection."))
        self.rejection_reason = reason.strip()
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=ClaimStatus.APPROVED, target=ClaimStatus.PAID,
                permission=wf.can_pay_claim,
                custom={"label": _("Record payment"), "icon": "payments",
                        "variant": "success", "form": "billing.forms.PayForm"})
    def pay(self, actor, payment_reference, paid_on=None):
        if not (payment_reference or "").strip():
            raise ValidationError(_("Give the payment reference."))
        paid_on = paid_on or timezone.localdate()
        if paid_on > timezone.localdate():
            raise ValidationError(_("The payment date cannot be in the future."))
        if self.approved_at and paid_on < timezone.localdate(self.approved_at):
            raise ValidationError(_("The payment date is before the approval."))
        self.payment_reference = payment_reference.strip()
        self.paid_on = paid_on
        self.paid_by = actor


class ExpenseClaimEvent(JournalEntry):
    claim = models.ForeignKey(ExpenseClaim, models.CASCADE, related_name="events",
                              verbose_name=_("expense claim"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("claim journal entry")
        verbose_name_plural = _("claim journal")


class ExpenseLine(TimeStampedModel):
    """One expense with its receipt, and optionally the ticket or customer it served."""

    claim = models.ForeignKey(ExpenseClaim, models.CASCADE, related_name="lines",
                              verbose_name=_("expense claim"))
    date = models.DateField(_("date"), db_index=True)
    category = models.CharField(_("category"), max_length=16, choices=ExpenseCategory.choices,
                                db_index=True)
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount"), **MONEY,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, storage=receipt_storage,
                               blank=True, max_length=200, validators=[ReceiptValidator()],
                               help_text=_("PDF, JPG or PNG."))
    ticket = models.ForeignKey(Ticket, models.PROTECT, null=True, blank=True,
                               related_name="expense_lines", verbose_name=_("ticket"))
    customer = models.ForeignKey(Customer, models.PROTECT, null=True, blank=True,
                                 related_name="expense_lines", verbose_name=_("customer"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expense line")
        verbose_name_plural = _("expense lines")
        ordering = ["claim", "date", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0),
                                              name="expense_line_amount_positive")]

    def __str__(self):
        return f"{self.date} {self.get_category_display()} {self.amount}"

    def clean(self):
        super().clean()
        errors = {}
        if self.claim_id and not self.claim.is_editable:
            raise ValidationError(_("The claim is %(state)s: its lines can no longer change.")
                                  % {"state": self.claim.get_state_display()})
        if self.date and self.date > timezone.localdate():
            errors["date"] = _("The expense date cannot be in the future.")
        if self.ticket_id:
            if self.customer_id is None:
                self.customer_id = self.ticket.customer_id
            elif self.customer_id != self.ticket.customer_id:
                errors["customer"] = _("The ticket belongs to another customer.")
        if errors:
            raise ValidationError(errors)
