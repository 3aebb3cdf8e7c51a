"""The dashboard contract (pending approvals, cards), the sidebar and stock transfers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform.workflow import apply_transition
from inventory import dashboard
from inventory import workflows as wf
from inventory.models import PurchasePlan, StockEntry, Stocktake, StockTransfer
from tests.inventory.factories import (
    PartFactory,
    WarehouseFactory,
    balance,
    ledger_sum,
    purchase_order,
    scrap_request,
    stock,
)

pytestmark = pytest.mark.django_db


def by_title(items):
    return {item["title"]: item for item in items}


@pytest.fixture
def waiting(make_user, engineer, warehouse, stocked, main):
    """Two scrap requests, an urgent and a normal order, a plan and a count to approve."""
    for _ in range(2):
        apply_transition(scrap_request(requester=engineer, part=stocked, warehouse=main),
                         "submit", actor=engineer)
    for urgent in (True, False):
        order = purchase_order(created_by=warehouse, warehouse=main, urgent=urgent,
                               lines=[(stocked, 1, "5")])
        apply_transition(order, "submit", actor=warehouse)
    plan = PurchasePlan.objects.create(title="计划", warehouse=main, created_by=warehouse)
    plan.lines.create(part=stocked, quantity=1)
    apply_transition(plan, "submit", actor=warehouse)
    take = Stocktake.objects.create(warehouse=main)
    apply_transition(take, "start", actor=warehouse)
    take.lines.update(counted_quantity=10)
    apply_transition(take, "submit", actor=warehouse)


def test_pending_approvals_for_the_manager(waiting, manager, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        items = dashboard.pending_approvals(manager)
    counts = {item["link"].split("/")[-2]: item["count"] for item in items}
    assert counts == {"scraprequest": 2, "purchaseorder": 2, "purchaseplan": 1, "stocktake": 1}
    orders = next(i for i in items if "purchaseorder" in i["link"])
    assert "1 urgent" in orders["title"] and orders["link"].endswith("?state__exact=submitted")
    assert all(set(i) == {"title", "count", "link"} for i in items)


def test_nobody_is_asked_to_approve_their_own_documents(waiting, make_user, manager, warehouse,
                                                        engineer, stocked, main):
    both = make_user("warehouse", "keeper_manager")
    both.groups.add(*manager.groups.all())
    own = purchase_order(created_by=both, warehouse=main, lines=[(stocked, 1, "5")])
    apply_transition(own, "submit", actor=both)

    def orders(user):
        return next(i["count"] for i in dashboard.pending_approvals(user)
                    if "purchaseorder" in i["link"])

    assert orders(manager) == 3 and orders(both) == 2
    assert dashboard.pending_approvals(warehouse) == []
    assert dashboard.pending_approvals(engineer) == []


def test_dashboard_cards_respect_permissions(manager, clerk, trainer, warehouse, main,
                                             django_assert_max_num_queries):
    low = PartFactory(code="LOW", reorder_point=5)
    stock(low, main, 1, warehouse)
    PartFactory(code="EMPTY", reorder_point=2)
    PartFactory(code="IGNORED", reorder_point=0)
    with django_assert_max_num_queries(8):
        cards = by_title(dashboard.dashboard_cards(manager))
    below = cards["Parts below reorder point"]
    assert below["value"] == 2 and below["link"].endswith("/inventory/part/?level=below")
    assert cards["Parts out of stock"]["value"] == 1
    assert cards["Stock value (standard cost)"]["value"] == "¥100.00"
    assert "Purchase orders awaiting delivery" in cards
    clerk_cards = by_title(dashboard.dashboard_cards(clerk))
    assert "Parts below reorder point" in clerk_cards
    assert "Purchase orders awaiting delivery" not in clerk_cards
    assert dashboard.dashboard_cards(trainer) == []


def test_below_reorder_link_opens_the_filtered_on_hand_list(client, manager, main, warehouse):
    stock(PartFactory(code="LOW", reorder_point=5), main, 1, warehouse)
    link = by_title(dashboard.dashboard_cards(manager))["Parts below reorder point"]["link"]
    client.force_login(manager)
    assert "LOW" in client.get(link).content.decode()


def test_sidebar_lists_inventory_pages(client, warehouse):
    client.force_login(warehouse)
    page = client.get("/admin/").content.decode()
    assert "/admin/inventory/requisition/?state__exact=submitted" in page
    assert "/admin/inventory/stockentry/" in page


# -- transfers -----------------------------------------------------------------------------
def test_transfer_moves_stock_between_warehouses(stocked, main, warehouse, engineer):
    branch = WarehouseFactory(code="SH", name="上海备件库")
    transfer = StockTransfer.objects.create(from_warehouse=main, to_warehouse=branch)
    transfer.lines.create(part=stocked, quantity=4)
    with pytest.raises(PermissionDenied):
        apply_transition(transfer, "post", actor=engineer)
    apply_transition(transfer, "post", actor=warehouse)
    transfer.refresh_from_db()
    assert transfer.state == wf.TransferStatus.POSTED and transfer.posted_by == warehouse
    assert balance(stocked, main) == 6 == ledger_sum(stocked, main)
    assert balance(stocked, branch) == 4 == ledger_sum(stocked, branch)
    assert StockEntry.objects.filter(transfer=transfer).count() == 2


def test_transfer_needs_two_warehouses_and_enough_stock(stocked, main, warehouse):
    same = StockTransfer.objects.create(from_warehouse=main, to_warehouse=main)
    same.lines.create(part=stocked, quantity=1)
    with pytest.raises(ValidationError, match="two different"):
        apply_transition(same, "post", actor=warehouse)
    too_much = StockTransfer.objects.create(from_warehouse=main,
                                            to_warehouse=WarehouseFactory(code="BJ2"))
    too_much.lines.create(part=stocked, quantity=11)
    with pytest.raises(ValidationError, match="Not enough stock"):
        apply_transition(too_much, "post", actor=warehouse)
    assert balance(stocked, main) == 10


def test_every_dashboard_link_opens_for_its_user(client, waiting, manager, warehouse, clerk):
    for user in (manager, warehouse, clerk):
        client.force_login(user)
        items = dashboard.pending_approvals(user) + dashboard.dashboard_cards(user)
        for item in items:
            assert client.get(item["link"]).status_code == 200, (user, item)
