"""The admin index as a dashboard: by role, with the other apps' contracts, bounded queries."""

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.platform import dashboard
from backoffice.reports.dashboard import dashboard_callback
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
INDEX = "admin:index"


def tickets(n):
    now = timezone.now()
    for i in range(n):
        TicketFactory(state=["new", "assigned", "in_progress", "closed"][i % 4],
                      priority=["critical", "high", "normal", "low"][i % 4],
                      received_at=now - dt.timedelta(days=i % 60),
                      resolved_at=(now - dt.timedelta(days=i % 50)) if i % 4 == 3 else None,
                      satisfaction=(i % 5) + 1 if i % 4 == 3 else None)


@pytest.fixture
def contracts(monkeypatch):
    """Fake inventory/billing/training dashboard contracts (each app brings its own)."""
    fakes = {
        "inventory": {
            "pending_approvals": lambda user: [
                {"title": "报废申请待审批", "count": 3, "link": "/admin/inventory/scrap/"},
                {"title": "没有待办", "count": 0, "link": "/x/"}],
            "dashboard_cards": lambda user: [
                {"title": "低于再订货点的配件", "value": 7, "link": "/admin/inventory/part/"}]},
        "billing": {
            "pending_approvals": lambda user: [
                {"title": "报销单待审批", "count": 2, "link": "/admin/billing/claim/"}],
            "budget_usage": lambda user, year: [
                {"category": "差旅", "budget": Decimal("10000.00"), "actual": Decimal("6000.00"),
                 "committed": Decimal("5000.00"), "link": "/admin/billing/budget/"},
                {"category": "培训", "budget": Decimal("20000.00"), "actual": Decimal("5000.00"),
                 "committed": Decimal("0.00"), "link": "/admin/billing/budget/?c=training"}]},
        "training": {},  # offers nothing yet: skipped
    }
    for app, funcs in fakes.items():
        module = types.ModuleType(f"{app}.dashboard")
        module.SIDEBAR_ITEMS = []
        for name, func in funcs.items():
            setattr(module, name, func)
        monkeypatch.setitem(sys.modules, f"{app}.dashboard", module)
    return fakes


def test_manager_sees_every_figure(client, manager, contracts):
    tickets(8)
    client.force_login(manager)
    page = client.get(reverse(INDEX)).content.decode()
    for marker in ('data-figure="open"', 'data-figure="overdue"', 'data-figure="due_soon"',
                   'data-figure="response_share"', 'id="open-by-state"', 'id="recurring"',
                   'data-type="line"', 'data-type="bar"', 'id="approvals"', 'id="budget"',
                   'id="app-cards"'):
        assert marker in page, marker
    assert "报废申请待审批" in page and "报销单待审批" in page and "没有待办" not in page
    assert "低于再订货点的配件" in page
    assert reverse("admin:backoffice_report_changelist") in page


def test_budget_rows_add_paid_and_committed(manager, contracts):
    rows = {r["category"]: r for r in dashboard.budget_rows(manager, 2026)}
    assert rows["差旅"]["used"] == Decimal("11000.00") and rows["差旅"]["over"]
    assert rows["差旅"]["share"] == 110.0 and rows["差旅"]["bar"] == 100
    assert rows["培训"]["share"] == 25.0 and not rows["培训"]["over"]


def test_a_broken_contract_does_not_take_the_dashboard_down(client, manager, monkeypatch,
                                                            caplog):
    module = types.ModuleType("billing.dashboard")
    module.SIDEBAR_ITEMS = []
    module.pending_approvals = lambda user: 1 / 0
    monkeypatch.setitem(sys.modules, "billing.dashboard", module)
    client.force_login(manager)
    assert client.get(reverse(INDEX)).status_code == 200
    assert "billing.dashboard.pending_approvals failed" in caplog.text


def test_clerk_sees_the_desk_but_no_charts(client, clerk):
    tickets(4)
    client.force_login(clerk)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'data-figure="open"' in page and 'id="open-by-state"' in page
    assert "My follow-up calls due" in page
    assert 'data-type="line"' not in page and 'id="recurring"' not in page


def test_engineer_sees_their_own_work(client, engineer):
    tickets(4)
    client.force_login(engineer)
    page = client.get(reverse(INDEX)).content.decode()
    assert "My open tickets" in page and "My overdue tickets" in page
    assert 'data-figure="open"' not in page and 'data-type="line"' not in page


def test_finance_sees_the_reports_but_not_the_desk_queue(client, finance):
    tickets(4)
    client.force_login(finance)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'data-type="line"' in page and 'data-figure="open"' in page
    assert "My open tickets" not in page


def test_warehouse_sees_no_ticket_figures(client, warehouse, contracts):
    tickets(4)
    client.force_login(warehouse)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'data-figure="open"' not in page and 'data-type="line"' not in page
    assert "低于再订货点的配件" in page  # the inventory contract decides what it shows


def test_dashboard_queries_do_not_grow_with_tickets(client, manager, contracts,
                                                    django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    tickets(4)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(INDEX))
    tickets(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(INDEX)).status_code == 200
    assert len(few.captured_queries) <= 32  # 30, plus the week's cohort and resolution times


def test_callback_figures_are_database_aggregates(rf, manager, contracts,
                                                  django_assert_max_num_queries):
    """The callback alone: a fixed set of aggregate queries (24 for the manager, who sees
    every figure: 20, plus the open incidents with the problem records behind the recurring
    tickets, whether every calendar has the coming year, and this week's cohort and
    resolution times), whatever the data."""
    tickets(40)
    request = rf.get("/admin/")
    request.user = manager
    manager.has_perm("backoffice.view_ticket")  # load the permission cache first
    with django_assert_max_num_queries(24):
        context = dashboard_callback(request, {})
    assert context["dashboard"]["open"]["total"] == 30


def doubted(n=1, **fields):
    """Confirmed tickets whose "solved" contradicts itself, the newest last."""
    now = timezone.now()
    return [TicketFactory(state="confirmed", received_at=now - dt.timedelta(days=3),
                          resolved_at=now - dt.timedelta(days=2),
                          confirmed_at=now - dt.timedelta(hours=n - i), confirmed_by="王主任",
                          satisfaction=2, satisfaction_source="link",
                          confirmation_doubt=f"rated 2 of 5 ({i})", **fields)
            for i in range(n)]


def test_manager_sees_the_confirmations_that_contradict_themselves(client, manager, engineer):
    older, newer = doubted(2, assignee=engineer)
    calm = TicketFactory(state="confirmed", satisfaction=5, satisfaction_source="phone",
                         confirmed_at=timezone.now(), confirmed_by="李经理")
    TicketFactory(state="closed", confirmation_doubt="rated 1 of 5")  # closed anyway
    client.force_login(manager)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'id="doubted-confirmations"' in page
    panel = page[page.index('id="doubted-confirmations"'):]
    panel = panel[:panel.index("</table>")]
    assert panel.index(newer.number) < panel.index(older.number)  # newest first
    assert reverse("admin:backoffice_ticket_change", args=[newer.pk]) in panel
    assert newer.customer.name in panel and "rated 2 of 5 (1)" in panel
    assert '<td class="px-2 py-1">engineer</td>' in panel
    assert "2/5" in panel and "Customer, by confirmation link" in panel
    assert calm.number not in panel
    link = "/admin/backoffice/ticket/?state__exact=confirmed&amp;confirmation_doubt__gt="
    assert link in page
    # the link opens the doubted confirmations, not the calm one
    listing = client.get(link.replace("&amp;", "&")).content.decode()
    assert older.number in listing and newer.number in listing
    assert calm.number not in listing


def test_the_panel_shows_the_clerk_of_a_first_call_answer(client, manager, clerk):
    (ticket,) = doubted(1, category="consultation", first_contact_resolution=True,
                        resolved_by=clerk)
    client.force_login(manager)
    page = client.get(reverse(INDEX)).content.decode()
    panel = page[page.index('id="doubted-confirmations"'):]
    assert ticket.number in panel and '<td class="px-2 py-1">clerk <span' in panel
    assert "answered on the first call" in panel


def test_no_panel_without_the_close_or_supervise_permission(client, business, make_user):
    from django.contrib.auth.models import Permission

    doubted(1)
    client.force_login(business)  # sees tickets, closes none
    assert 'id="doubted-confirmations"' not in client.get(reverse(INDEX)).content.decode()
    # an engineer's account without the permission (the role grants close_ticket)
    reader = make_user(username="engineer_reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_ticket",
                                                       content_type__app_label="backoffice"))
    client.force_login(reader)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'id="doubted-confirmations"' not in page and "rated 2 of 5" not in page


def test_no_panel_when_nothing_is_in_doubt(client, manager):
    TicketFactory(state="confirmed", satisfaction=4, confirmed_at=timezone.now())
    client.force_login(manager)
    assert 'id="doubted-confirmations"' not in client.get(reverse(INDEX)).content.decode()


def test_the_panel_is_one_bounded_query(client, manager, contracts,
                                        django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    doubted(1)
    client.get(reverse(INDEX))  # warm: caches of the first page view
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(INDEX))
    doubted(25)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse(INDEX)).content.decode()
    panel = page[page.index('id="doubted-confirmations"'):]
    panel = panel[:panel.index("</table>")]
    assert panel.count("align-top") == 10  # at most ten, and a link to all of them
    assert "All of them" in page
    doubts = [q["sql"] for q in one.captured_queries if "confirmation_doubt" in q["sql"]
              and "LIMIT" in q["sql"]]
    assert len(doubts) == 1
