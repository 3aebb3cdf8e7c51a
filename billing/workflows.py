"""Money workflows: states, choices, permission rules and conditions of the billing app.

Never imports models (STYLE.md): permission functions receive ``(document, user)`` and
conditions receive the document.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.desk.workflows import Category as TicketCategory
from backoffice.platform import budget as seam
from backoffice.platform.workflow import condition


# -- choices ---------------------------------------------------------------------------
class ExpenseCategory(models.TextChoices):
    """Budget categories; the keys are shared with every spender (backoffice.platform.budget)."""

    SALARIES = "salaries", _("Staff salaries")
    TRAINING = "training", _("Training")
    PARTS = "parts", _("Parts purchases")
    TRAVEL = "travel", _("Travel")
    OFFICE = "office", _("Office")
    OTHER = "other", _("Other")


assert tuple(ExpenseCategory.values) == seam.CATEGORIES, "categories drifted from the seam"


class OverrunPolicy(models.TextChoices):
    """What happens when an approval would spend more than the category has left."""

    STOP = "stop", _("Stop: refuse the approval")
    WARN = "warn", _("Warn: approve only after confirmation")
    IGNORE = "ignore", _("Ignore: no check")


class BudgetPeriod(models.TextChoices):
    """The span a budget line covers: the whole year, a quarter or a month."""

    YEAR = "year", _("Whole year")
    Q1 = "q1", _("1st quarter")
    Q2 = "q2", _("2nd quarter")
    Q3 = "q3", _("3rd quarter")
    Q4 = "q4", _("4th quarter")
    M01 = "m01", _("January")
    M02 = "m02", _("February")
    M03 = "m03", _("March")
    M04 = "m04", _("April")
    M05 = "m05", _("May")
    M06 = "m06", _("June")
    M07 = "m07", _("July")
    M08 = "m08", _("August")
    M09 = "m09", _("September")
    M10 = "m10", _("October")
    M11 = "m11", _("November")
    M12 = "m12", _("December")


def period_kind(period: str) -> str:
    """"year", "quarter" or "month"."""
    return {"y": "year", "q": "quarter", "m": "month"}[period[0]]


def period_months(period: str) -> list[int]:
    """The calendar months (1-12) a period covers."""
    if period == BudgetPeriod.YEAR:
        return list(range(1, 13))
    if period.startswith("q"):
        q = int(period[1])
        return [3 * q - 2, 3 * q - 1, 3 * q]
    return [int(period[1:])]


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


class BudgetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")


class AdjustmentKind(models.TextChoices):
    INCREASE = "increase", _("Increase")
    DECREASE = "decrease", _("Decrease")
    TRANSFER = "transfer", _("Transfer between categories")


class AdjustmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved, awaiting payment")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")


#: claim states whose lines count against the budget
CLAIM_COMMITTED = ClaimStatus.APPROVED
CLAIM_ACTUAL = ClaimStatus.PAID
CLAIM_EDITABLE = (ClaimStatus.DRAFT, ClaimStatus.REJECTED)


class ChargeKind(models.TextChoices):
    REQUIREMENT = "requirement", _("Chargeable requirement change")
    CUSTOM = "custom", _("Custom development")
    SPECIAL = "special", _("Special service")


class ChargeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to customer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


# -- permission rules --------------------------------------------------------------------
def _perm(user, codename):
    return bool(user and user.is_active and user.has_perm(f"billing.{codename}"))


def can_submit_budget(budget, user):
    return _perm(user, "submit_budget")


def can_approve_budget(budget, user):
    """Leadership approves; never a budget they prepared or submitted themselves."""
    return (_perm(user, "approve_budget")
            and user.pk not in {budget.prepared_by_id, budget.submitted_by_id})


def is_requester(adjustment, user):
    return _perm(user, "add_budgetadjustment") and adjustment.requested_by_id == user.pk


def can_approve_adjustment(adjustment, user):
    return _perm(user, "approve_budgetadjustment") and adjustment.requested_by_id != user.pk


def is_claimant(claim, user):
    return bool(user and user.is_active and claim.claimant_id == user.pk)


def can_approve_claim(claim, user):
    """The after-sales manager decides; nobody decides on their own claim."""
    return _perm(user, "approve_expenseclaim") and claim.claimant_id != user.pk


def can_pay_claim(claim, user):
    return _perm(user, "pay_expenseclaim") and claim.claimant_id != user.pk


def can_manage_charge(charge, user):
    return _perm(user, "manage_customercharge")


# -- conditions --------------------------------------------------------------------------
@condition(_("the budget has no lines"))
def budget_has_lines(budget):
    return budget.lines.exists()


@condition(_("a category mixes whole-year, quarterly and monthly lines"))
def budget_periods_consistent(budget):
    kinds: dict[str, set[str]] = {}
    for category, period in budget.lines.values_list("category", "period"):
        kinds.setdefault(category, set()).add(period_kind(period))
    return all(len(k) == 1 for k in kinds.values())


@condition(_("the budget is not approved yet"))
def adjustment_budget_approved(adjustment):
    return adjustment.budget.state == BudgetStatus.APPROVED


@condition(_("a transfer needs two different categories"))
def adjustment_categories_valid(adjustment):
    if adjustment.kind == AdjustmentKind.TRANSFER:
        return bool(adjustment.from_category) and adjustment.from_category != adjustment.category
    return True


@condition(_("the claim has no lines"))
def claim_has_lines(claim):
    return claim.lines.exists()


@condition(_("a line has no receipt attached"))
def claim_receipts_attached(claim):
    return not claim.lines.filter(models.Q(receipt="") | models.Q(receipt__isnull=True)).exists()


@condition(_("the amount must be greater than zero"))
def charge_has_amount(charge):
    return charge.amount is not None and charge.amount > 0


@condition(_("the business manager decided not to charge this requirement"))
def charge_ticket_chargeable(charge):
    ticket = charge.ticket
    if ticket.category == TicketCategory.REQUIREMENT:
        return ticket.requirement_chargeable is not False
    return True


#: claim states whose lines count in a ticket's cost: claimed and not refused (a draft
#: may still change, a rejected claim was refused; a withdrawn one is a draft again)
COST_CLAIM_STATES = [ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID]
#: quotes that count as revenue against a ticket's cost
REVENUE_CHARGE_STATES = [ChargeStatus.ACCEPTED]
