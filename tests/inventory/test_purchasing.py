"""Purchasing: suppliers' qualification, plans proposed from stock and demand, orders with
four-eyes approval and the budget check, partial receipts, and the budget spending source."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from backoffice.platform import budget
from backoffice.platform.workflow import apply_transition, available_transitions
from inventory import services
from inventory import workflows as wf
from inventory.models import PurchaseOrder, PurchasePlan, StockEntry, SupplierContract
from tests.inventory.factories import (
    PartFactory,
    SupplierFactory,
    balance,
    ledger_sum,
    purchase_order,
    requisition,
    stock,
)

pytestmark = pytest.mark.django_db
PO = wf.PurchaseOrderStatus


def run(doc, name, actor, **kw):
    apply_transition(doc, name, actor=actor, **kw)
    doc.refresh_from_db()
    return doc


@pytest.fixture
def guard():
    """Register a budget guard for the test (billing's is built elsewhere) and remove it."""
    calls = []
    behaviour = {"raise": None, "text": "超预算已确认"}

    def check(*, category, amount, on_date, actor, confirmed, reference, exclude,
              dry_run=False):
        if dry_run:  # the submit's look-ahead: these tests are about the approval
            return None
        calls.append({"category": category, "amount": amount, "on_date": on_date,
                      "actor": actor, "confirmed": confirmed, "reference": reference,
                      "exclude": exclude})
        error = behaviour["raise"]
        if error is budget.BudgetOverrun:
            raise budget.BudgetOverrun("零配件采购预算已用完：剩余 100.00，本单 3000.00")
        if error is budget.BudgetWarning:
            if not confirmed:
                raise budget.BudgetWarning("本单将超出零配件采购预算 500.00，请确认")
            return behaviour["text"]
        return None

    previous = budget._guard
    budget.register_guard(check)
    yield calls, behaviour
    budget._guard = previous


def approved_order(warehouse, manager, main, lines, **kwargs):
    order = purchase_order(created_by=warehouse, warehouse=main, lines=lines, **kwargs)
    run(order, "submit", warehouse)
    return run(order, "approve", manager)


# -- suppliers ------------------------------------------------------------------------------
def test_supplier_qualification_is_the_managers_call(manager, warehouse):
    supplier = SupplierFactory(state=wf.SupplierStatus.PENDING, qualified_until=None)
    until = timezone.localdate() + dt.timedelta(days=365)
    with pytest.raises(PermissionDenied):
        apply_transition(supplier, "qualify", actor=warehouse, qualified_until=until)
    run(supplier, "qualify", manager, qualified_until=until, evaluation="资质齐全，样品合格")
    assert supplier.is_qualified() and supplier.evaluation.startswith("资质")
    run(supplier, "suspend", manager, note="交货严重延误")
    assert not supplier.is_qualified()
    run(supplier, "disqualify", manager, note="质量问题")
    run(supplier, "reapply", manager)
    assert supplier.state == wf.SupplierStatus.PENDING


def test_orders_go_only_to_qualified_suppliers_under_a_valid_contract(warehouse, part, main):
    pending = SupplierFactory(state=wf.SupplierStatus.PENDING)
    order = purchase_order(created_by=warehouse, warehouse=main, supplier=pending,
                           lines=[(part, 1, "10")])
    with pytest.raises(ValidationError, match="not qualified"):
        apply_transition(order, "submit", actor=warehouse)
    expired = SupplierFactory(qualified_until=timezone.localdate() - dt.timedelta(days=1))
    order = purchase_order(created_by=warehouse, warehouse=main, supplier=expired,
                           lines=[(part, 1, "10")])
    with pytest.raises(ValidationError, match="expired"):
        apply_transition(order, "submit", actor=warehouse)
    supplier = SupplierFactory()
    old = SupplierContract.objects.create(supplier=supplier, number="HT-2020-01", title="旧合同",
                                          valid_from=dt.date(2020, 1, 1),
                                          valid_to=dt.date(2020, 12, 31))
    order = purchase_order(created_by=warehouse, warehouse=main, supplier=supplier,
                           contract=old, lines=[(part, 1, "10")])
    with pytest.raises(ValidationError, match="contract is not valid"):
        apply_transition(order, "submit", actor=warehouse)


# -- purchase orders ----------------------------------------------------------------------
def test_order_flow_with_partial_receipts(warehouse, manager, part, main):
    fan = PartFactory(code="FAN-01")
    order = purchase_order(created_by=warehouse, warehouse=main,
                           lines=[(part, 10, "80.50"), (fan, 4, "25")])
    assert order.total_amount() == Decimal("905.00")
    run(order, "submit", warehouse)
    run(order, "approve", manager)
    assert order.state == PO.APPROVED and order.approved_by == manager and order.approved_at
    hdd_line, fan_line = order.lines.order_by("id")
    run(order, "receive", warehouse, quantities={hdd_line.pk: 6}, delivery_note="SH-001")
    assert order.state == PO.PARTIALLY_RECEIVED and balance(part, main) == 6
    receipt = StockEntry.objects.get(purchase_line=hdd_line)
    assert receipt.unit_cost == Decimal("80.50") and receipt.kind == wf.EntryKind.RECEIPT
    assert "SH-001" in receipt.note and receipt.reference == order.number
    with pytest.raises(ValidationError, match="only 4 still on order"):
        apply_transition(order, "receive", actor=warehouse, quantities={hdd_line.pk: 5})
    run(order, "receive", warehouse, quantities={hdd_line.pk: 4, fan_line.pk: 4})
    assert order.state == PO.RECEIVED and order.open_quantity() == 0
    assert balance(part, main) == 10 == ledger_sum(part, main) and balance(fan, main) == 4
    assert "receive" not in available_transitions(order, warehouse)


def test_reversing_a_receipt_reopens_a_received_order(warehouse, manager, part, main):
    order = approved_order(warehouse, manager, main, [(part, 3, "10")])
    line = order.lines.get()
    run(order, "receive", warehouse, quantities={line.pk: 3})
    assert order.state == PO.RECEIVED
    services.stock_entry_reverse(entry=StockEntry.objects.get(purchase_line=line),
                                 actor=warehouse, reason="数量录错")
    order.refresh_from_db()
    assert order.state == PO.APPROVED and order.open_quantity() == 3
    assert order.events.first().action == "reopen"
    run(order, "receive", warehouse, quantities={line.pk: 2})
    assert order.state == PO.PARTIALLY_RECEIVED and balance(part, main) == 2


def test_the_buyer_never_approves_their_own_order(make_user, warehouse, manager, part, main):
    both = make_user("warehouse", "buyer_manager")
    both.groups.add(*manager.groups.all())
    order = run(purchase_order(created_by=both, warehouse=main, lines=[(part, 1, "10")]),
                "submit", both)
    assert "approve" not in available_transitions(order, both)
    with pytest.raises(PermissionDenied):
        apply_transition(order, "approve", actor=both)
    with pytest.raises(PermissionDenied):
        apply_transition(order, "approve", actor=warehouse)
    run(order, "send_back", manager, note="请补充合同")
    assert order.state == PO.DRAFT


def test_close_short_and_cancel(warehouse, manager, part, main):
    order = approved_order(warehouse, manager, main, [(part, 5, "10")])
    run(order, "receive", warehouse, quantities={order.lines.get().pk: 2})
    run(order, "close", manager, note="供应商停产，余量不再交货")
    assert order.state == PO.CLOSED and order.closed_at
    other = approved_order(warehouse, manager, main, [(part, 5, "10")])
    run(other, "cancel", warehouse, note="需求取消")
    assert other.state == PO.CANCELLED


def test_urgent_orders_sort_first(warehouse, part, main):
    normal = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 1, "1")])
    urgent = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 1, "1")],
                            urgent=True, order_date=timezone.localdate() - dt.timedelta(days=3))
    assert list(PurchaseOrder.objects.all()) == [urgent, normal]


# -- the budget ------------------------------------------------------------------------------
def test_approval_asks_the_budget_owner(guard, warehouse, manager, part, main):
    calls, _behaviour = guard
    order = approved_order(warehouse, manager, main, [(part, 3, "100")])
    (call,) = calls
    assert call["category"] == "parts" and call["amount"] == Decimal("300.00")
    assert call["reference"] == order.number and call["exclude"] == order
    assert call["actor"] == manager and call["confirmed"] is False
    assert call["on_date"] == timezone.localdate()
    assert order.budget_note == ""


def test_a_budget_warning_stops_approval_until_confirmed(guard, warehouse, manager, part, main):
    _calls, behaviour = guard
    behaviour["raise"] = budget.BudgetWarning
    order = run(purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 30, "100")]),
                "submit", warehouse)
    with pytest.raises(ValidationError, match="请确认"):
        apply_transition(order, "approve", actor=manager)
    order.refresh_from_db()
    assert order.state == PO.SUBMITTED and not order.events.filter(action="approve").exists()
    run(order, "approve", manager, confirm_budget_overrun=True)
    assert order.state == PO.APPROVED and order.budget_note == "超预算已确认"


def test_a_budget_overrun_refuses_even_when_confirmed(guard, warehouse, manager, part, main):
    _calls, behaviour = guard
    behaviour["raise"] = budget.BudgetOverrun
    order = run(purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 30, "100")]),
                "submit", warehouse)
    with pytest.raises(ValidationError, match="预算已用完"):
        apply_transition(order, "approve", actor=manager, confirm_budget_overrun=True)
    order.refresh_from_db()
    assert order.state == PO.SUBMITTED


def test_purchases_feed_the_budget_as_a_spending_source(warehouse, manager, part, main):
    order = approved_order(warehouse, manager, main, [(part, 10, "50")])
    run(order, "receive", warehouse, quantities={order.lines.get().pk: 4})
    purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 99, "1")])  # draft
    today = timezone.localdate()
    figures = [s for s in budget.spending(today.year) if s.category == "parts"]
    assert figures == [budget.Spend(category="parts", month=today.month,
                                    actual=Decimal("200.00"), committed=Decimal("300.00"))]
    assert not [s for s in budget.spending(today.year - 1) if s.category == "parts"]


# -- purchase plans -------------------------------------------------------------------------
def test_plan_proposes_parts_below_reorder_point_and_waiting_repairs(warehouse, engineer,
                                                                      manager, main):
    preferred = SupplierFactory(code="S-PREF")
    low = PartFactory(code="LOW", reorder_point=5, reorder_quantity=10, unit_cost=Decimal("12"),
                      preferred_supplier=preferred)
    stock(low, main, 2, warehouse)
    wanted = PartFactory(code="WANTED", preferred_supplier=preferred)  # no stock, a repair waits
    fine = PartFactory(code="FINE", reorder_point=2)
    stock(fine, main, 5, warehouse)
    ordered = PartFactory(code="ORDERED", reorder_point=5, preferred_supplier=preferred)
    order = purchase_order(created_by=warehouse, warehouse=main, supplier=preferred,
                           lines=[(ordered, 6, "1")])
    run(order, "submit", warehouse)  # already on order: not proposed again
    req = requisition(requester=engineer, warehouse=main, lines=[(wanted, 3)])
    run(req, "submit", engineer)

    plan = PurchasePlan.objects.create(title="三月采购计划", warehouse=main, created_by=warehouse)
    assert services.purchase_plan_propose(plan, actor=warehouse) == 2
    lines = {line.part.code: line for line in plan.lines.select_related("part")}
    assert set(lines) == {"LOW", "WANTED"}
    assert lines["LOW"].quantity == 10 and not lines["LOW"].urgent  # reorder quantity
    assert lines["LOW"].reason == wf.ProposalReason.REORDER and lines["LOW"].on_hand == 2
    assert lines["LOW"].unit_price == Decimal("12.00")
    assert lines["WANTED"].quantity == 3 and lines["WANTED"].urgent
    assert lines["WANTED"].reason == wf.ProposalReason.DEMAND and lines["WANTED"].open_demand == 3
    assert services.purchase_plan_propose(plan, actor=warehouse) == 0  # idempotent

    run(plan, "submit", warehouse)
    with pytest.raises(PermissionDenied):
        apply_transition(plan, "approve", actor=warehouse)
    run(plan, "approve", manager)
    run(plan, "order", warehouse)
    assert plan.state == wf.PurchasePlanStatus.ORDERED
    orders = list(PurchaseOrder.objects.filter(plan=plan))
    assert [o.urgent for o in orders] == [True, False]  # urgent first
    assert all(o.supplier == preferred and o.state == PO.DRAFT for o in orders)
    assert all(o.created_by == warehouse for o in orders)
    assert not plan.lines.filter(purchase_order__isnull=True).exists()


def test_plan_lines_need_a_supplier_before_ordering(warehouse, manager, part, main):
    plan = PurchasePlan.objects.create(title="计划", warehouse=main, created_by=warehouse)
    plan.lines.create(part=part, quantity=1)
    run(plan, "submit", warehouse)
    run(plan, "approve", manager)
    with pytest.raises(ValidationError, match="needs a supplier"):
        apply_transition(plan, "order", actor=warehouse)


def test_only_draft_plans_get_proposals(warehouse, engineer, main):
    plan = PurchasePlan.objects.create(title="计划", warehouse=main, created_by=warehouse)
    with pytest.raises(PermissionDenied):
        services.purchase_plan_propose(plan, actor=engineer)
    plan.lines.create(part=PartFactory(), quantity=1)
    run(plan, "submit", warehouse)
    with pytest.raises(ValidationError, match="draft"):
        services.purchase_plan_propose(plan, actor=warehouse)


def test_waiting_repairs_that_would_eat_the_safety_stock_make_it_urgent(warehouse, engineer,
                                                                        main):
    part = PartFactory(code="SAFE-1", reorder_point=4, safety_stock=3,
                       preferred_supplier=SupplierFactory())
    stock(part, main, 5, warehouse)  # not below the reorder point by itself
    req = requisition(requester=engineer, warehouse=main, lines=[(part, 3)])
    run(req, "submit", engineer)
    plan = PurchasePlan.objects.create(title="计划", warehouse=main, created_by=warehouse)
    services.purchase_plan_propose(plan, actor=warehouse)
    line = plan.lines.get()
    assert line.quantity == 2 and line.urgent and line.reason == wf.ProposalReason.DEMAND
