"""The figures billing offers the manager's dashboard, and the sidebar entries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from billing.dashboard import SIDEBAR_ITEMS, budget_usage, pending_approvals
from billing.workflows import AdjustmentKind as K
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import approved_budget, submitted_claim, this_year

pytestmark = pytest.mark.django_db


def counts(user):
    return {item["title"]: item["count"] for item in pending_approvals(user)}


def test_pending_approvals_per_role_never_own(manager, finance, engineer, make_user):
    other_manager = make_user("manager")
    budget = approved_budget(manager, finance)
    submitted_claim(engineer, (C.TRAVEL, "10"))
    submitted_claim(manager, (C.TRAVEL, "10"))  # the manager's own: not for them
    approved = submitted_claim(engineer, (C.TRAVEL, "10"))
    services.claim_approve(claim=approved, actor=manager)
    adjustment = services.adjustment_create(budget=budget, actor=manager, kind=K.INCREASE,
                                            category=C.TRAVEL, amount="1", reason="x")
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    draft_budget = services.budget_create(year=this_year() + 1, actor=manager,
                                          lines=[(C.TRAVEL, "year", "1")])
    services.budget_submit(budget=draft_budget, actor=manager)

    assert counts(manager) == {"Expense claims to approve": 1}
    assert counts(other_manager) == {"Expense claims to approve": 2}
    assert counts(finance) == {"Approved claims to pay": 1, "Budgets to approve": 1,
                               "Budget adjustments to approve": 1}
    assert counts(engineer) == {}
    for item in pending_approvals(finance):
        assert item["link"].startswith("/admin/billing/")
        assert isinstance(item["count"], int)


def test_pending_links_open_the_awaiting_list(client, manager, engineer, finance):
    approved_budget(manager, finance)
    submitted_claim(engineer, (C.TRAVEL, "10"))
    submitted_claim(manager, (C.TRAVEL, "10"))
    client.force_login(manager)
    item = pending_approvals(manager)[0]
    response = client.get(item["link"])
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_budget_usage_per_category(manager, finance, engineer, django_assert_max_num_queries):
    approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("1000"),
                                               C.OFFICE: Decimal("300")})
    claim = submitted_claim(engineer, (C.TRAVEL, "200"), (C.OFFICE, "50"))
    services.claim_approve(claim=claim, actor=manager)
    paid = submitted_claim(engineer, (C.TRAVEL, "100"))
    services.claim_approve(claim=paid, actor=manager)
    services.claim_pay(claim=paid, actor=finance, payment_reference="X")
    with django_assert_max_num_queries(8):
        usage = {row["category"]: row for row in budget_usage(finance, this_year())}
    assert list(usage) == ["Staff salaries", "Training", "Parts purchases", "Travel",
                           "Office", "Other"]
    travel = usage["Travel"]
    assert (travel["budget"], travel["actual"], travel["committed"]) == (
        Decimal("1000"), Decimal("100"), Decimal("200"))
    assert isinstance(travel["budget"], Decimal)
    for key in ("budget", "actual", "committed"):  # cents, on every database
        assert travel[key].as_tuple().exponent == -2, travel[key]
    assert travel["link"] == reverse("admin:billing_budget_report") + f"?year={this_year()}"
    assert usage["Office"]["committed"] == Decimal("50")
    assert budget_usage(engineer, this_year()) == []


def test_budget_usage_without_a_budget_shows_spending(manager, engineer, finance):
    claim = submitted_claim(engineer, (C.TRAVEL, "20"))
    services.claim_approve(claim=claim, actor=manager)
    travel = next(r for r in budget_usage(manager, this_year()) if r["category"] == "Travel")
    assert travel["budget"] == Decimal("0") and travel["committed"] == Decimal("20")


def test_sidebar_items_resolve_for_the_roles(client, engineer, manager):
    from backoffice.platform.navigation import sidebar

    class Request:
        def __init__(self, user):
            self.user = user

    groups = sidebar(Request(manager))
    billing = next(g for g in groups if g["title"] == "Budgets and expenses")
    links = [i["link"] for i in billing["items"]]
    assert "/admin/billing/budget/report/" in links
    for item in billing["items"]:
        assert item["permission"](Request(manager))
    visible = [i["title"] for i in billing["items"] if i["permission"](Request(engineer))]
    assert [str(t) for t in visible] == ["Expense claims", "Claim lines"]
    client.force_login(manager)
    for link in links:
        assert client.get(link).status_code == 200, link
    assert len(SIDEBAR_ITEMS) == len(links)
