"""The inventory admin pages render for the people who use them, with bounded queries, and
show the right buttons; the ticket's service record lists the parts used."""

import datetime as dt

import pytest
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from inventory import workflows as wf
from inventory.models import (
    DisposalBatch,
    PurchasePlan,
    StockEntry,
    Stocktake,
    StockTransfer,
    SupplierContract,
)
from tests.factories import TicketFactory
from tests.inventory.factories import (
    PartCategoryFactory,
    PartFactory,
    SupplierFactory,
    balance,
    purchase_order,
    requisition,
    scrap_request,
    stock,
)

pytestmark = pytest.mark.django_db

MODELS = ["part", "partcategory", "warehouse", "supplier", "suppliercontract", "stockbalance",
          "stockentry", "requisition", "stocktake", "stocktakeline", "scraprequest",
          "disposalbatch", "stocktransfer", "purchaseplan", "purchaseorder"]


def url(name, *args):
    return reverse(f"admin:inventory_{name}", args=args)


def populate(n, warehouse, engineer, main, scrap_area):
    for i in range(n):
        category = PartCategoryFactory()
        supplier = SupplierFactory()
        SupplierContract.objects.create(supplier=supplier, number=f"HT-{supplier.code}",
                                        title="年度框架合同", valid_from=dt.date(2026, 1, 1),
                                        valid_to=dt.date(2026, 12, 31))
        part = PartFactory(reorder_point=5 if i % 2 else 0, category=category,
                           preferred_supplier=supplier)
        stock(part, main, 3, warehouse)
        req = requisition(requester=engineer, warehouse=main, lines=[(part, 1)])
        apply_transition(req, "submit", actor=engineer)
        scrap_request(requester=engineer, part=part, warehouse=main)
        purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 2, "9.90")],
                       urgent=bool(i % 3 == 0))
        apply_transition(Stocktake.objects.create(warehouse=main), "start", actor=warehouse)
        PurchasePlan.objects.create(title=f"计划{i}", warehouse=main, created_by=warehouse)
        DisposalBatch.objects.create(warehouse=scrap_area, method=wf.DisposalMethod.RECYCLE)
        StockTransfer.objects.create(from_warehouse=main, to_warehouse=main)


@pytest.mark.parametrize("name", MODELS)
def test_changelists_render_with_a_bounded_number_of_queries(
        client, superuser, warehouse, engineer, main, scrap_area, name,
        django_assert_max_num_queries):
    populate(2, warehouse, engineer, main, scrap_area)
    client.force_login(superuser)
    with django_assert_max_num_queries(15) as few:
        assert client.get(url(f"{name}_changelist")).status_code == 200
    populate(18, warehouse, engineer, main, scrap_area)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(f"{name}_changelist")).status_code == 200


@pytest.mark.parametrize("name", [m for m in MODELS if m not in {"stockbalance", "stockentry",
                                                                     "stocktakeline"}])
def test_add_pages_render(client, superuser, main, name):
    client.force_login(superuser)
    assert client.get(url(f"{name}_add")).status_code == 200


def test_change_pages_render(client, superuser, warehouse, engineer, main, scrap_area):
    populate(1, warehouse, engineer, main, scrap_area)
    client.force_login(superuser)
    from django.apps import apps

    for name in MODELS:
        obj = apps.get_model("inventory", name).objects.first()
        response = client.get(url(f"{name}_change", obj.pk))
        assert response.status_code == 200, name
        history = client.get(url(f"{name}_history", obj.pk))
        assert history.status_code in (200, 302), name


def test_keeper_and_engineer_see_their_pages(client, warehouse, engineer, clerk, main):
    for user, allowed, refused in [
        (warehouse, ["part", "stockentry", "requisition", "purchaseorder", "stocktake"], []),
        (engineer, ["part", "requisition", "scraprequest", "stockbalance"],
         ["purchaseorder", "stocktake"]),
        (clerk, ["part", "stockentry", "stockbalance"], ["requisition", "purchaseorder"]),
    ]:
        client.force_login(user)
        for name in allowed:
            assert client.get(url(f"{name}_changelist")).status_code == 200, (user, name)
        for name in refused:
            assert client.get(url(f"{name}_changelist")).status_code == 403, (user, name)


def test_on_hand_list_highlights_parts_below_reorder_point(client, warehouse, main):
    low = PartFactory(code="LOW-1", reorder_point=5)
    ok = PartFactory(code="OK-1", reorder_point=1)
    stock(low, main, 2, warehouse)
    stock(ok, main, 2, warehouse)
    client.force_login(warehouse)
    page = client.get(url("part_changelist")).content.decode()
    assert "below reorder point" in page and "MAIN: 2" in page
    filtered = client.get(url("part_changelist") + "?level=below").content.decode()
    assert "LOW-1" in filtered and "OK-1" not in filtered
    by_warehouse = client.get(url("stockbalance_changelist") + "?level=below").content.decode()
    assert "LOW-1" in by_warehouse and "OK-1" not in by_warehouse


def test_part_page_shows_its_balances_and_ledger(client, warehouse, stocked, main):
    client.force_login(warehouse)
    page = client.get(url("part_change", stocked.pk)).content.decode()
    assert "MAIN" in page and "Full ledger of this part" in page and "+10" in page


def test_requisition_queue_puts_critical_tickets_first(client, warehouse, engineer, stocked,
                                                       main):
    normal = requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)],
                         ticket=TicketFactory(priority="normal"))
    critical = requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)],
                           ticket=TicketFactory(priority="critical"))
    for req in (normal, critical):
        apply_transition(req, "submit", actor=engineer)
    client.force_login(warehouse)
    page = client.get(url("requisition_changelist") + "?state__exact=submitted").content.decode()
    assert page.index(critical.number) < page.index(normal.number)


def test_requisition_buttons_follow_the_workflow(client, warehouse, engineer, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 2)])
    client.force_login(engineer)
    page = client.get(url("requisition_change", req.pk)).content.decode()
    assert "transition/submit" in page and "transition/issue" not in page
    assert 'name="lines-0-quantity"' in page  # the draft is editable by its engineer
    apply_transition(req, "submit", actor=engineer)
    client.force_login(warehouse)
    page = client.get(url("requisition_change", req.pk)).content.decode()
    assert "transition/issue" in page and "transition/submit" not in page
    assert 'name="lines-0-quantity"' not in page  # read-only for the keeper
    response = client.post(url("requisition_transition_issue", req.pk),
                           {"_form_submitted": "on", "note": "已出库"})
    assert response.headers["HX-Redirect"].endswith(f"/{req.pk}/change/")
    req.refresh_from_db()
    assert req.state == wf.RequisitionStatus.ISSUED and balance(stocked, main) == 8


def test_issue_refusal_is_shown_as_a_message(client, warehouse, engineer, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 50)])
    apply_transition(req, "submit", actor=engineer)
    client.force_login(warehouse)
    client.post(url("requisition_transition_issue", req.pk), {"_form_submitted": "on"})
    page = client.get(url("requisition_change", req.pk)).content.decode()
    assert "Not enough stock" in page
    req.refresh_from_db()
    assert req.state == wf.RequisitionStatus.SUBMITTED


def test_return_dialog_has_one_field_per_taken_line(client, warehouse, engineer, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 3)])
    for name, actor in [("submit", engineer), ("issue", warehouse),
                        ("confirm_receipt", engineer)]:
        apply_transition(req, name, actor=actor)
    line = req.lines.get()
    client.force_login(engineer)
    dialog = client.get(url("requisition_transition_return_parts", req.pk)).content.decode()
    assert f'name="line_{line.pk}"' in dialog
    client.post(url("requisition_transition_return_parts", req.pk),
                {"_form_submitted": "on", f"line_{line.pk}": "2"})
    assert balance(stocked, main) == 9


def test_receive_dialog_and_approve_dialog(client, warehouse, manager, part, main):
    order = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 5, "10")],
                           supplier=SupplierFactory())
    apply_transition(order, "submit", actor=warehouse)
    client.force_login(manager)
    dialog = client.get(url("purchaseorder_transition_approve", order.pk)).content.decode()
    assert 'name="confirm_budget_overrun"' in dialog
    client.post(url("purchaseorder_transition_approve", order.pk), {"_form_submitted": "on"})
    order.refresh_from_db()
    assert order.state == wf.PurchaseOrderStatus.APPROVED
    line = order.lines.get()
    client.force_login(warehouse)
    client.post(url("purchaseorder_transition_receive", order.pk),
                {"_form_submitted": "on", f"line_{line.pk}": "3", "delivery_note": "D-9"})
    order.refresh_from_db()
    assert order.state == wf.PurchaseOrderStatus.PARTIALLY_RECEIVED and balance(part, main) == 3


def test_budget_refusal_reaches_the_manager_as_a_message(client, warehouse, manager, part, main):
    from backoffice.platform import budget

    def guard(**kwargs):
        if kwargs.get("dry_run"):  # the submit's look-ahead passes
            return None
        raise budget.BudgetOverrun("零配件预算不足")

    previous = budget._guard
    budget.register_guard(guard)
    try:
        order = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 5, "10")])
        apply_transition(order, "submit", actor=warehouse)
        client.force_login(manager)
        client.post(url("purchaseorder_transition_approve", order.pk),
                    {"_form_submitted": "on", "confirm_budget_overrun": "on"})
        page = client.get(url("purchaseorder_change", order.pk)).content.decode()
    finally:
        budget._guard = previous
    assert "零配件预算不足" in page
    order.refresh_from_db()
    assert order.state == wf.PurchaseOrderStatus.SUBMITTED


def test_ledger_is_read_only_and_reversed_from_its_page(client, warehouse, stocked, main):
    entry = StockEntry.objects.get(part=stocked)
    client.force_login(warehouse)
    assert client.get(url("stockentry_add")).status_code == 403
    page = client.get(url("stockentry_change", entry.pk)).content.decode()
    assert 'name="quantity"' not in page and "stockentry/" in page and "/reverse/" in page
    assert client.post(url("stockentry_delete", entry.pk), {"post": "yes"}).status_code == 403
    response = client.post(url("stockentry_reverse_action", entry.pk),
                           {"_form_submitted": "on", "reason": "重复入库"})
    assert response.status_code == 200
    assert StockEntry.objects.filter(reverses=entry).exists() and balance(stocked, main) == 0
    page = client.get(url("stockentry_change", entry.pk)).content.decode()
    assert "/reverse/" not in page  # reversed once only


def test_engineer_cannot_reverse(client, engineer, stocked):
    entry = StockEntry.objects.get(part=stocked)
    client.force_login(engineer)
    response = client.post(url("stockentry_reverse_action", entry.pk),
                           {"_form_submitted": "on", "reason": "x"})
    assert response.status_code == 403
    assert not StockEntry.objects.filter(reverses=entry).exists()


def test_plan_propose_and_disposal_actions(client, warehouse, manager, engineer, stocked, main,
                                           scrap_area):
    stocked.reorder_point = 20
    stocked.save()
    plan = PurchasePlan.objects.create(title="计划", warehouse=main, created_by=warehouse)
    client.force_login(warehouse)
    client.post(url("purchaseplan_propose_action", plan.pk), {"_form_submitted": "on"})
    assert plan.lines.get().part == stocked
    scrap = scrap_request(requester=engineer, part=stocked, warehouse=main)
    apply_transition(scrap, "submit", actor=engineer)
    apply_transition(scrap, "approve", actor=manager)
    batch = DisposalBatch.objects.create(warehouse=scrap_area, method=wf.DisposalMethod.RECYCLE)
    client.post(url("disposalbatch_add_scrap_action", batch.pk), {"_form_submitted": "on"})
    assert batch.lines.get().scrap_request == scrap


def test_ticket_service_record_lists_parts_used(client, clerk, warehouse, engineer, stocked,
                                                main):
    ticket = TicketFactory()
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(stocked, 2)])
    for name, actor in [("submit", engineer), ("issue", warehouse)]:
        apply_transition(req, name, actor=actor)
    client.force_login(clerk)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert "HDD-1T" in page.content.decode() and "× 2" in page.content.decode()


def test_engineer_files_a_requisition_from_the_add_form(client, engineer, stocked, main):
    ticket = TicketFactory()
    client.force_login(engineer)
    response = client.post(url("requisition_add"), {
        "ticket": ticket.pk, "warehouse": main.pk, "purpose": "更换硬盘",
        "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 0,
        "lines-0-part": stocked.pk, "lines-0-quantity": 2, "lines-0-note": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    req = ticket.requisitions.get()
    assert req.requester == engineer and req.lines.get().quantity == 2


def test_count_sheet_lists_variances(client, warehouse, stocked, main):
    """An open (not blind) count: the keeper reviews the variances while counting."""
    other = PartFactory(code="OTHER-1")
    stock(other, main, 2, warehouse)
    take = Stocktake.objects.create(warehouse=main, blind=False)
    apply_transition(take, "start", actor=warehouse)
    take.lines.filter(part=stocked).update(counted_quantity=9)
    take.lines.filter(part=other).update(counted_quantity=2)
    client.force_login(warehouse)
    page = client.get(url("stocktakeline_changelist")
                      + f"?stocktake__id__exact={take.pk}&variance=yes").content.decode()
    assert "HDD-1T" in page and "-1" in page and "OTHER-1" not in page
    assert "Review the variances" in client.get(url("stocktake_change", take.pk)).content.decode()


def test_ledger_and_balance_history_open_the_ledger(client, warehouse, stocked, main):
    from inventory.models import StockBalance

    client.force_login(warehouse)
    entry = StockEntry.objects.get(part=stocked)
    for name, pk in [("stockentry", entry.pk),
                     ("stockbalance", StockBalance.objects.get(part=stocked).pk)]:
        response = client.get(url(f"{name}_history", pk))
        assert response.status_code == 302
        assert f"part__id__exact={stocked.pk}&warehouse__id__exact={main.pk}" in response.url
        assert client.get(response.url).status_code == 200
