"""Writes of the billing app: the budget guard, totals, and the workflow entry points.

Every state change goes through ``backoffice.platform.workflow.apply_transition``; the functions
here name the common ones for demo data, commands and tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.platform.budget import BudgetOverrun, BudgetWarning
from backoffice.platform.notifications import (
    event,
    needs,
    notify,
    page_of,
    permission_holders,
)
from backoffice.platform.people import display_name
from backoffice.platform.workflow import apply_transition, side_effect
from billing import selectors
from billing.models import (
    Budget,
    BudgetAdjustment,
    BudgetControl,
    BudgetLine,
    ExpenseClaim,
    OverrunConfirmation,
)
from billing.money import format_money, to_money
from billing.workflows import (
    AdjustmentStatus,
    BudgetStatus,
    ClaimStatus,
    ExpenseCategory,
    OverrunPolicy,
)

LABELS = dict(ExpenseCategory.choices)


def _label(category):
    return str(LABELS.get(category, category))


def _year_of(on_date) -> int:
    if isinstance(on_date, dt.datetime):
        if timezone.is_aware(on_date):
            on_date = timezone.localtime(on_date)
        return on_date.year
    if isinstance(on_date, dt.date):
        return on_date.year
    return timezone.localdate().year


def no_budget_policy() -> str:
    """What spending in a year without an approved budget meets: ``BILLING_NO_BUDGET_POLICY``,
    "ignore" by default - until leadership approves the year's budget there is nothing to
    check against (as with no guard at all); set "warn" or "stop" to be stricter."""
    return getattr(settings, "BILLING_NO_BUDGET_POLICY", OverrunPolicy.IGNORE)


def _lock_control(budget, category):
    """Lock the category's control row until the caller's transaction ends, so that two
    approvals racing for the same remaining money are checked one after the other
    (PostgreSQL: row lock; SQLite: the IMMEDIATE transaction already serialises writers)."""
    control = BudgetControl.objects.select_for_update().filter(
        budget=budget, category=category).first()
    if control is None:
        budget.ensure_controls()
        control = BudgetControl.objects.select_for_update().get(budget=budget, category=category)
    return control


def budget_guard(*, category, amount, on_date, actor, confirmed=False, reference="",
                 exclude=None, dry_run=False):
    """The guard behind ``backoffice.platform.budget.check_spend`` (registered in BillingConfig).

    Raises ``BudgetOverrun`` ("stop") or ``BudgetWarning`` ("warn", not confirmed); when a
    warning was confirmed it records an ``OverrunConfirmation`` and returns a text for
    the journal. Must run inside the approval's transaction: the lock lasts until it ends.
    A ``dry_run`` (the submit of a document) neither locks nor records: it tells the
    submitter now what the approver will be told, with the figures.
    """
    amount = to_money(amount)
    year = _year_of(on_date)
    with transaction.atomic():
        budget = selectors.approved_budget(year)
        if budget is None:
            policy = no_budget_policy()
            if policy == OverrunPolicy.IGNORE:
                return None
            figures = selectors.category_position(year, category, budget=None, exclude=exclude)
        else:
            policy = (selectors.policies(budget).get(category, OverrunPolicy.WARN) if dry_run
                      else _lock_control(budget, category).overrun_policy)
            if policy == OverrunPolicy.IGNORE:
                return None
            figures = selectors.category_position(year, category, budget=budget,
                                                  exclude=exclude)
        remaining = figures.remaining
        if amount <= remaining:
            return None
        params = {"category": _label(category), "year": year,
                  "amount": format_money(amount), "remaining": format_money(remaining),
                  "over": format_money(amount - max(remaining, Decimal(0))),
                  "budget": format_money(figures.current), "used": format_money(figures.used)}
        if budget is None:
            message = _("There is no approved %(year)s budget for %(category)s; this spends "
                        "%(amount)s without one.") % params
        elif dry_run:
            message = _("%(category)s %(year)s: budget %(budget)s, already spent or committed "
                        "%(used)s, this document %(amount)s: over by %(over)s.") % params
        else:
            message = _("%(category)s %(year)s: this needs %(amount)s but only %(remaining)s "
                        "is left (over by %(over)s).") % params
        if policy == OverrunPolicy.STOP:
            if dry_run:
                raise BudgetOverrun(message + " " + _("The category's policy is to stop: it "
                                                      "cannot be submitted; ask for a budget "
                                                      "adjustment first."),
                                    code="budget_overrun")
            raise BudgetOverrun(message + " " + _("The category's policy is to stop: ask "
                                                  "for a budget adjustment first."),
                                code="budget_overrun")
        if dry_run:
            if not confirmed:
                raise BudgetWarning(message + " " + _("Tick “I confirm the overrun” to submit "
                                                      "anyway: the approver will see it."),
                                    code="budget_warning")
            return _("Overrun confirmed at submit by %(user)s: %(message)s") % {
                "user": display_name(actor), "message": message}
        if not confirmed:
            raise BudgetWarning(message + " " + _("Tick “confirm budget overrun” to approve "
                                                  "anyway."), code="budget_warning")
        OverrunConfirmation.objects.create(
            budget=budget, year=year, category=category, amount=amount, remaining=remaining,
            reference=str(reference)[:100], actor=actor)
        return _("Budget overrun confirmed by %(user)s: %(message)s") % {
            "user": display_name(actor), "message": message}


def budget_position(*, category, on_date, amount, exclude=None):
    """The reader behind ``backoffice.platform.budget.positions_of`` (registered in
    BillingConfig): the category's figures without ``exclude``, and what ``amount`` leaves."""
    return selectors.spend_position(category=category, year=_year_of(on_date),
                                    amount=to_money(amount), exclude=exclude,
                                    no_budget_policy=no_budget_policy())


@side_effect(BudgetAdjustment, "approve")
def check_adjustment_leaves_enough(adjustment: BudgetAdjustment) -> None:
    """A decrease or transfer may not take a category below what is already spent or
    committed; the affected control rows are locked like for a spend."""
    budget = adjustment.budget
    for category, delta in sorted(adjustment.deltas().items()):
        if delta >= 0:
            continue
        _lock_control(budget, category)
        figures = selectors.category_position(budget.year, category, budget=budget)
        if figures.remaining + delta < 0:
            raise ValidationError(
                _("%(category)s has only %(remaining)s left that is neither spent nor "
                  "committed; it cannot give %(amount)s.")
                % {"category": _label(category), "remaining": format_money(figures.remaining),
                   "amount": format_money(-delta)})


# -- budgets -------------------------------------------------------------------------------
@transaction.atomic
def budget_create(*, year: int, actor, title: str = "", lines=(), policies=None) -> Budget:
    """A draft budget with its lines: ``lines`` = [(category, period, amount), ...]."""
    budget = Budget(year=year, title=title, prepared_by=actor)
    budget._history_user = actor
    budget.full_clean(exclude=["state"])
    budget.save()
    for category, period, amount in lines:
        line = BudgetLine(budget=budget, category=category, period=period,
                          amount=to_money(amount))
        line.full_clean()
        line.save()
    for category, policy in (policies or {}).items():
        control = budget.controls.get(category=category)
        control.overrun_policy = policy
        control.save()
    return budget


def budget_submit(*, budget, actor, note=""):
    return apply_transition(budget, "submit", actor=actor, note=note)


def budget_approve(*, budget, actor, note=""):
    return apply_transition(budget, "approve", actor=actor, note=note)


def budget_return(*, budget, actor, reason):
    return apply_transition(budget, "return_for_revision", actor=actor, note=reason,
                            reason=reason)


@transaction.atomic
def adjustment_create(*, budget, actor, kind, category, amount, reason, from_category=""):
    adjustment = BudgetAdjustment(budget=budget, kind=kind, category=category,
                                  from_category=from_category, amount=to_money(amount),
                                  reason=reason, requested_by=actor)
    adjustment._history_user = actor
    adjustment.full_clean(exclude=["state", "number"])
    adjustment.save()
    return adjustment


def adjustment_submit(*, adjustment, actor, note=""):
    return apply_transition(adjustment, "submit", actor=actor, note=note)


def adjustment_approve(*, adjustment, actor, note=""):
    return apply_transition(adjustment, "approve", actor=actor, note=note)


def adjustment_reject(*, adjustment, actor, reason):
    return apply_transition(adjustment, "reject", actor=actor, note=reason, reason=reason)


# -- expense claims ------------------------------------------------------------------------
def claim_recompute_total(claim: ExpenseClaim) -> Decimal:
    """Store the sum of the lines on the claim (called whenever lines change)."""
    total = claim.compute_total()
    if claim.total != total:
        claim.total = total
        claim._change_reason = "total"
        claim.save(update_fields=["total", "updated_at"])
    return total


@transaction.atomic
def claim_create(*, claimant, title, lines=(), notes="") -> ExpenseClaim:
    """A draft claim; ``lines`` = [dict(date=, category=, description=, amount=,
    receipt=, ticket=, customer=), ...]."""
    from billing.models import ExpenseLine

    claim = ExpenseClaim(claimant=claimant, title=title, notes=notes)
    claim._history_user = claimant
    claim.full_clean(exclude=["number", "state"])
    claim.save()
    for data in lines:
        line = ExpenseLine(claim=claim, **{**data, "amount": to_money(data["amount"])})
        line.full_clean()
        line.save()
    claim_recompute_total(claim)
    return claim


def claim_submit(*, claim, actor, note="", confirm_overrun=False):
    claim_recompute_total(claim)
    return apply_transition(claim, "submit", actor=actor, note=note,
                            confirm_overrun=confirm_overrun)


def claim_withdraw(*, claim, actor, note=""):
    return apply_transition(claim, "withdraw", actor=actor, note=note)


def claim_approve(*, claim, actor, confirm_overrun=False, note=""):
    return apply_transition(claim, "approve", actor=actor, note=note,
                            confirm_overrun=confirm_overrun)


def claim_reject(*, claim, actor, reason):
    return apply_transition(claim, "reject", actor=actor, note=reason, reason=reason)


def claim_pay(*, claim, actor, payment_reference, paid_on=None, note=""):
    return apply_transition(claim, "pay", actor=actor, note=note,
                            payment_reference=payment_reference, paid_on=paid_on)


# -- whom billing tells (notifications) ----------------------------------------------------
# What starts waiting for someone is told to those who may act on it (never the actor, and
# never the document's owner where the four-eyes rule keeps them out); a decision is told
# to whoever asked for it. Titles are built in each recipient's language (lambdas).


CLAIM_TO_APPROVE = event("claim_to_approve",
                         gettext_lazy("An expense claim waits for my approval"))
CLAIM_TO_PAY = event("claim_to_pay", gettext_lazy("An approved expense claim waits for payment"))
CLAIM_DECIDED = event("claim_decided",
                      gettext_lazy("My expense claim was approved, rejected or paid"))
BUDGET_TO_APPROVE = event("budget_to_approve", gettext_lazy("A budget waits for my approval"))
BUDGET_DECIDED = event("budget_decided",
                       gettext_lazy("A budget I prepared was approved or returned"))
ADJUSTMENT_TO_APPROVE = event("adjustment_to_approve",
                              gettext_lazy("A budget adjustment waits for my approval"))
ADJUSTMENT_DECIDED = event("adjustment_decided",
                           gettext_lazy("My budget adjustment was approved or rejected"))


def _name(user) -> str:
    return display_name(user)


@side_effect(ExpenseClaim, "submit")
def tell_claim_approvers(claim):
    total = format_money(claim.compute_total())
    notify(permission_holders("billing.approve_expenseclaim", excluding=(claim.claimant_id,)),
           CLAIM_TO_APPROVE.name,
           lambda: _("Expense claim %(number)s of %(who)s to approve: %(title)s, %(total)s")
           % {"number": claim.number, "who": _name(claim.claimant), "title": claim.title,
              "total": total},
           url=page_of(claim), body=claim.notes, actor=claim.claimant)


@side_effect(ExpenseClaim, "approve")
def tell_claim_approved(claim, actor):
    notify([claim.claimant_id], CLAIM_DECIDED.name,
           lambda: _("Your expense claim %(number)s was approved") % {"number": claim.number},
           url=page_of(claim), actor=actor)
    total = format_money(claim.compute_total())
    notify(permission_holders("billing.pay_expenseclaim", excluding=(claim.claimant_id,)),
           CLAIM_TO_PAY.name,
           lambda: _("Expense claim %(number)s of %(who)s approved: %(total)s to pay")
           % {"number": claim.number, "who": _name(claim.claimant), "total": total},
           url=page_of(claim), actor=actor)


@side_effect(ExpenseClaim, "reject")
def tell_claim_rejected(claim, actor, reason):
    notify([claim.claimant_id], CLAIM_DECIDED.name,
           lambda: _("Your expense claim %(number)s was rejected") % {"number": claim.number},
           url=page_of(claim), body=reason or "", actor=actor)


@side_effect(ExpenseClaim, "pay")
def tell_claim_paid(claim, actor, payment_reference):
    notify([claim.claimant_id], CLAIM_DECIDED.name,
           lambda: _("Your expense claim %(number)s was paid (%(reference)s)")
           % {"number": claim.number, "reference": payment_reference},
           url=page_of(claim), actor=actor)


@side_effect(Budget, "submit")
def tell_budget_approvers(budget, actor):
    notify(permission_holders("billing.approve_budget", excluding=(budget.prepared_by_id, actor.pk)),
           BUDGET_TO_APPROVE.name,
           lambda: _("The %(year)s budget waits for your approval: %(title)s")
           % {"year": budget.year, "title": budget.title},
           url=page_of(budget), actor=actor)


@side_effect(Budget, "approve")
def tell_budget_approved(budget, actor):
    notify([budget.prepared_by_id, budget.submitted_by_id], BUDGET_DECIDED.name,
           lambda: _("The %(year)s budget was approved") % {"year": budget.year},
           url=page_of(budget), actor=actor)


@side_effect(Budget, "return_for_revision")
def tell_budget_returned(budget, reason):
    notify([budget.prepared_by_id, budget.submitted_by_id], BUDGET_DECIDED.name,
           lambda: _("The %(year)s budget was returned for revision") % {"year": budget.year},
           url=page_of(budget), body=reason or "")


@side_effect(BudgetAdjustment, "submit")
def tell_adjustment_approvers(adjustment):
    notify(permission_holders("billing.approve_budgetadjustment", excluding=(adjustment.requested_by_id,)),
           ADJUSTMENT_TO_APPROVE.name,
           lambda: _("Budget adjustment %(number)s of %(who)s to approve: %(amount)s")
           % {"number": adjustment.number, "who": _name(adjustment.requested_by),
              "amount": format_money(adjustment.amount)},
           url=page_of(adjustment), body=adjustment.reason, actor=adjustment.requested_by)


@side_effect(BudgetAdjustment, "approve")
def tell_adjustment_approved(adjustment, actor):
    notify([adjustment.requested_by_id], ADJUSTMENT_DECIDED.name,
           lambda: _("Your budget adjustment %(number)s was approved")
           % {"number": adjustment.number},
           url=page_of(adjustment), actor=actor)


@side_effect(BudgetAdjustment, "reject")
def tell_adjustment_rejected(adjustment, actor, reason):
    notify([adjustment.requested_by_id], ADJUSTMENT_DECIDED.name,
           lambda: _("Your budget adjustment %(number)s was rejected")
           % {"number": adjustment.number},
           url=page_of(adjustment), body=reason or "", actor=actor)


@needs
def what_waits_in_billing(user):
    """What the inbox lists besides the decisions the dashboard counts: one's own claims
    sent back, and budgets returned for revision to whoever submits budgets."""
    claims = reverse("admin:billing_expenseclaim_changelist")
    lines = [(gettext_lazy("My expense claims rejected: correct and resubmit"),
              ExpenseClaim.objects.filter(claimant=user, state=ClaimStatus.REJECTED).count(),
              f"{claims}?todo=mine&state__exact={ClaimStatus.REJECTED}")]
    if user.has_perm("billing.submit_budget"):
        lines.append((gettext_lazy("Budgets returned for revision"),
                      Budget.objects.filter(state=BudgetStatus.RETURNED).count(),
                      reverse("admin:billing_budget_changelist")
                      + f"?state__exact={BudgetStatus.RETURNED}"))
    if user.has_perm("billing.add_budgetadjustment"):
        lines.append((gettext_lazy("My budget adjustments rejected"),
                      BudgetAdjustment.objects.filter(requested_by=user,
                                                      state=AdjustmentStatus.REJECTED).count(),
                      reverse("admin:billing_budgetadjustment_changelist")
                      + f"?state__exact={AdjustmentStatus.REJECTED}"))
    return lines
