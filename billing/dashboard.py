"""Sidebar entries of the billing app and the figures it offers the manager's dashboard.

Contract for the dashboard (aggregates only, a handful of queries):
- ``pending_approvals(user)`` -> ``[{"title", "count", "link"}]``: one entry per kind of
  decision the user may take (claims to approve, claims to pay, budgets to approve,
  adjustments to approve), counting only documents that are not the user's own; entries
  with ``count == 0`` are included so a manager sees "nothing waiting" too.
- ``budget_usage(user, year)`` -> ``[{"category", "budget", "actual", "committed",
  "link"}]`` per category (label translated, money as ``Decimal``); empty when the user may
  not view budgets. ``budget`` is the current approved amount (0 without an approved
  budget).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: (model name, icon[, query string appended to the changelist URL, title])
SIDEBAR_ITEMS = [
    ("expenseclaim", "receipt_long"),
    ("expenseline", "list_alt", "", gettext_lazy("Claim lines")),
    ("budget", "account_balance"),
    # "report/" lands on the budget admin's custom page /admin/billing/budget/report/
    ("budget", "monitoring", "report/", gettext_lazy("Budget vs actual")),
    ("budgetadjustment", "tune"),
    ("overrunconfirmation", "warning"),
    ("customercharge", "request_quote"),
    # the cost rate admin's custom page /admin/billing/costrate/report/
    ("costrate", "paid", "report/", gettext_lazy("Cost of tickets")),
    ("costrate", "schedule"),
]


def pending_approvals(user) -> list[dict]:
    from backoffice.platform.dashboard import deferred_count, settled  # read with the others
    from billing.models import Budget, BudgetAdjustment, ExpenseClaim
    from billing.workflows import AdjustmentStatus, BudgetStatus, ClaimStatus

    items = []
    claims_url = reverse("admin:billing_expenseclaim_changelist")
    if user.has_perm("billing.approve_expenseclaim"):
        items.append({
            "title": _("Expense claims to approve"),
            "count": deferred_count(ExpenseClaim.objects.awaiting(user)
                                    .filter(state=ClaimStatus.SUBMITTED)),
            "link": f"{claims_url}?todo=1&state__exact={ClaimStatus.SUBMITTED}"})
    if user.has_perm("billing.pay_expenseclaim"):
        items.append({
            "title": _("Approved claims to pay"),
            "count": deferred_count(ExpenseClaim.objects.awaiting(user)
                                    .filter(state=ClaimStatus.APPROVED)),
            "link": f"{claims_url}?todo=1&state__exact={ClaimStatus.APPROVED}"})
    if user.has_perm("billing.approve_budget"):
        items.append({
            "title": _("Budgets to approve"),
            "count": deferred_count(Budget.objects.filter(state=BudgetStatus.SUBMITTED)
                                    .exclude(submitted_by=user).exclude(prepared_by=user)),
            "link": reverse("admin:billing_budget_changelist")
            + f"?state__exact={BudgetStatus.SUBMITTED}"})
    if user.has_perm("billing.approve_budgetadjustment"):
        items.append({
            "title": _("Budget adjustments to approve"),
            "count": deferred_count(BudgetAdjustment.objects.filter(
                state=AdjustmentStatus.SUBMITTED).exclude(requested_by=user)),
            "link": reverse("admin:billing_budgetadjustment_changelist") + "?todo=1"})
    return settled(items)


def budget_usage(user, year) -> list[dict]:
    from billing import selectors

    if not user.has_perm("billing.view_budget"):
        return []
    link = reverse("admin:billing_budget_report") + f"?year={int(year)}"
    return [{"category": f.label, "budget": f.current, "actual": f.actual,
             "committed": f.committed, "link": link}
            for f in selectors.budget_position(int(year))]
