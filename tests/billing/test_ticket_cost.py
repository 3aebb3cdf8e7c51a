"""What a ticket cost: parts (ledger unit cost, returns deducted), claim lines (submitted,
approved, paid; not drafts), time at the role's rate on the day; the quotes against it;
and the cost report (grouped, exported, charted)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import services as desk_services
from backoffice.desk import workflows as desk
from backoffice.platform.workflow import apply_transition
from billing import services
from billing.models import CostRate, CustomerCharge
from billing.selectors import cost_report, ticket_cost
from tests.billing.factories import a_day, receipt, submitted_claim
from tests.factories import CustomerFactory, TicketFactory
from tests.inventory.factories import PartFactory, WarehouseFactory, requisition, stock

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture
def rates(finance):
    CostRate.objects.create(role="engineer", hourly_rate=Decimal("100.00"),
                            valid_from=dt.date(2000, 1, 1))
    CostRate.objects.create(role="manager", hourly_rate=Decimal("150.00"),
                            valid_from=dt.date(2000, 1, 1))


@pytest.fixture
def costed(clerk, engineer, warehouse, manager, business, rates):
    """A ticket with 3 parts issued and 1 returned (80.00 each), a submitted claim of
    553.00 and a draft claim of 99.00, 2 h of the engineer (200.00) and an accepted quote
    of 1,000.00 (and a draft quote that does not count)."""
    ticket = TicketFactory(category=desk.Category.REQUIREMENT,
                           received_at=timezone.now().replace(month=1, day=5))
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    ticket.refresh_from_db()
    main = WarehouseFactory()
    part = PartFactory(unit_cost=Decimal("80.00"))
    stock(part, main, 10, warehouse)
    req = requisition(requester=engineer, warehouse=main, lines=[(part, 3)], ticket=ticket)
    for name, actor in [("submit", engineer), ("issue", warehouse),
                        ("confirm_receipt", engineer)]:
        apply_transition(req, name, actor=actor)
    apply_transition(req, "return_parts", actor=engineer,
                     quantities={req.lines.get().pk: 1})
    submitted_claim(engineer, ("travel", "553.00"))
    services.claim_create(claimant=engineer, title="草稿", lines=[{
        "date": a_day(), "category": "travel", "description": "出租车", "amount": Decimal("99"),
        "receipt": receipt(), "ticket": ticket}])
    from billing.models import ExpenseLine

    ExpenseLine.objects.filter(description="费用").update(ticket=ticket,
                                                         customer=ticket.customer)
    desk_services.time_entry_record(ticket=ticket, hours=Decimal("2"), actor=engineer,
                                    worked_on=timezone.localdate())
    quote = CustomerCharge.objects.create(ticket=ticket, title="定制", amount=Decimal("1000"))
    apply_transition(quote, "send", actor=business)
    apply_transition(quote, "accept", actor=business, accepted_by="王总")
    CustomerCharge.objects.create(ticket=ticket, title="草稿报价", amount=Decimal("5000"))
    return ticket


def test_the_figure_adds_up_the_three_sources(costed):
    cost = ticket_cost(costed)
    assert cost.parts_total == Decimal("160.00")  # 3 issued - 1 returned, at 80.00
    assert [r["quantity"] for r in cost.parts] == [3, -1]
    assert cost.expenses_total == Decimal("553.00")  # the draft's 99.00 does not count
    assert cost.time_total == Decimal("200.00")
    assert cost.total == Decimal("913.00")
    assert cost.quoted == Decimal("1000.00") and cost.margin == Decimal("87.00")


def test_the_rate_valid_on_the_day_and_the_highest_role_count(costed, engineer):
    CostRate.objects.create(role="engineer", hourly_rate=Decimal("120.00"),
                            valid_from=timezone.localdate() + dt.timedelta(days=1))
    assert ticket_cost(costed).time_total == Decimal("200.00")  # the new rate is not yet
    from django.contrib.auth.models import Group

    from backoffice.platform.roles import group_name

    engineer.groups.add(Group.objects.get(name=group_name("manager")))
    assert ticket_cost(costed).time_total == Decimal("300.00")  # the manager's 150.00


def test_the_manager_sees_the_three_sources_and_the_total_with_links(client, manager, costed):
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[costed.pk])
                      ).content.decode()
    assert 'data-row="total"' in page and 'data-value="913.00"' in page
    assert 'data-value="87.00"' in page  # margin
    entry = costed.stock_entries.filter(kind="issue").get()
    assert reverse("admin:inventory_stockentry_change", args=[entry.pk]) in page
    claim = costed.expense_lines.get(claim__state="submitted").claim
    assert reverse("admin:billing_expenseclaim_change", args=[claim.pk]) in page
    time_entry = costed.time_entries.get()
    assert reverse("admin:backoffice_timeentry_change", args=[time_entry.pk]) in page
    for name in ("inventory_stockentry", "billing_expenseline", "backoffice_timeentry"):
        assert reverse(f"admin:{name}_changelist") + f"?ticket__id__exact={costed.pk}" in page
    assert 'data-counts="0"' in page  # the draft claim is shown, struck out


def test_the_engineer_sees_hours_but_no_money(client, engineer, costed):
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[costed.pk])
                      ).content.decode()
    assert "data-cost-time" in page and "data-cost-summary" not in page
    assert "913.00" not in page


def test_the_ticket_page_queries_stay_bounded(client, manager, costed, engineer):
    url = reverse("admin:backoffice_ticket_change", args=[costed.pk])
    client.force_login(manager)
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _i in range(10):
        desk_services.time_entry_record(ticket=costed, hours=Decimal("1"), actor=engineer)
    assert count() == few  # not one query per entry
    assert few <= 60  # tests/platform/test_admin_everywhere.py's ceiling for a change form


def test_the_report_groups_by_customer_category_and_month(costed):
    other = TicketFactory(customer=CustomerFactory(name="另一家"),
                          received_at=timezone.now().replace(month=1, day=6))
    by_customer = cost_report("customer", YEAR)
    assert [(r.label, r.tickets, r.total) for r in by_customer["rows"]] == [
        (costed.customer.name, 1, Decimal("913.00")), ("另一家", 1, Decimal("0.00"))]
    assert by_customer["total"].quoted == Decimal("1000.00")
    assert by_customer["total"].margin == Decimal("87.00")
    by_category = {r.key: r for r in cost_report("category", YEAR)["rows"]}
    assert by_category[desk.Category.REQUIREMENT].time == Decimal("200.00")
    assert by_category[other.category].tickets == 1
    (january,) = cost_report("month", YEAR)["rows"]
    assert january.label == f"{YEAR}-01" and january.tickets == 2
    assert cost_report("customer", YEAR, 2, 12)["rows"] == []  # received in January


def test_the_report_page_export_and_chart(client, manager, costed, engineer,
                                          django_assert_max_num_queries):
    from openpyxl import load_workbook

    url = reverse("admin:billing_cost_report") + f"?by=customer&year={YEAR}&from=1&to=12"
    client.force_login(manager)
    client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and "cost-chart" in page
    assert costed.customer.name in page and "913.00" in page
    export = client.get(reverse("admin:billing_cost_report_export")
                        + f"?by=customer&year={YEAR}&from=1&to=12")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == costed.customer.name
    assert [float(v) for v in rows[1][1:]] == [1, 160, 553, 2, 200, 913, 1000, 87]
    assert len(rows) == 1 + page.count("data-row>") + 1  # header, the page's rows, total
    client.force_login(engineer)
    assert client.get(url).status_code == 403
