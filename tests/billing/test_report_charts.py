"""The budget report's charts: each bar opens the lines behind it."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import a_day, approved_budget, submitted_claim, this_year

pytestmark = pytest.mark.django_db


def charts(client):
    response = client.get(reverse("admin:billing_budget_report"))
    assert response.status_code == 200
    return ({name: json.loads(response.context[name]["data"])
             for name in ("category_chart", "period_chart")},
            {name: json.loads(response.context[name]["options"])
             for name in ("category_chart", "period_chart")},
            response.content.decode())


def test_bars_link_to_the_claim_lines_and_budget_lines_behind_them(client, manager, finance,
                                                                    engineer):
    budget = approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("5000")})
    paid = submitted_claim(engineer, (C.TRAVEL, "300.00", a_day()), title="已付差旅")
    services.claim_approve(claim=paid, actor=manager)
    services.claim_pay(claim=paid, actor=finance, payment_reference="PAY-1")
    waiting = submitted_claim(engineer, (C.TRAVEL, "120.00", a_day()), title="待付差旅")
    services.claim_approve(claim=waiting, actor=manager)
    client.force_login(manager)

    data, options, page = charts(client)
    categories = data["category_chart"]
    travel = categories["labels"].index("Travel")
    budget_set, actual, committed = categories["datasets"]
    assert (actual["data"][travel], committed["data"][travel]) == ("300.00", "120.00")
    assert all(d["grouped"] for d in categories["datasets"])  # side by side

    # the travel budget bar: the budget's travel lines
    budget_lines = client.get(budget_set["links"][travel]).content.decode()
    assert budget_set["links"][travel].startswith(reverse("admin:billing_budgetline_changelist"))
    assert f"budget__id__exact={budget.pk}" in budget_set["links"][travel]
    assert "5,000.00" in budget_lines
    # actual: the paid claim's line; committed: the approved, unpaid one
    paid_lines = client.get(actual["links"][travel]).content.decode()
    assert paid.number in paid_lines and waiting.number not in paid_lines
    open_lines = client.get(committed["links"][travel]).content.decode()
    assert waiting.number in open_lines and paid.number not in open_lines

    # per period: the month of the expense
    month = a_day().month - 1
    periods = data["period_chart"]
    assert len(periods["labels"]) == 12 and len(periods["datasets"][0]["links"]) == 12
    month_lines = client.get(periods["datasets"][0]["links"][month]).content.decode()
    assert paid.number in month_lines and waiting.number not in month_lines
    year = this_year()
    assert f"date__gte={year}-01-01" in periods["datasets"][0]["links"][0]

    for chart_options in options.values():
        assert chart_options["plugins"]["legend"]["display"] is True
        assert chart_options["scales"]["y"]["beginAtZero"] is True
    assert page.count("data-chart-options=") == 2


def test_without_an_approved_budget_the_budget_bars_open_nothing(client, manager):
    client.force_login(manager)
    data, _options, _page = charts(client)
    assert data["category_chart"]["datasets"][0]["links"] == [None] * len(C.values)


def test_quarters_have_four_periods(client, manager):
    client.force_login(manager)
    response = client.get(reverse("admin:billing_budget_report"), {"by": "quarter"})
    periods = json.loads(response.context["period_chart"]["data"])
    links = periods["datasets"][0]["links"]
    assert len(links) == 4
    year = this_year()
    assert f"date__gte={year}-04-01" in links[1] and f"date__lte={year}-06-30" in links[1]
