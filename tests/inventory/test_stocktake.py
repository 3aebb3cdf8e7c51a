"""Stocktakes (盘点): snapshot, count, review, four-eyes approval, adjustments posted."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform.workflow import apply_transition, available_transitions
from inventory import services
from inventory import workflows as wf
from inventory.models import StockEntry, Stocktake, StocktakeLine
from inventory.services import Move
from tests.inventory.factories import PartCategoryFactory, PartFactory, balance, ledger_sum, stock

pytestmark = pytest.mark.django_db
S = wf.StocktakeStatus


def run(doc, name, actor, **kw):
    apply_transition(doc, name, actor=actor, **kw)
    doc.refresh_from_db()
    return doc


def count(stocktake, **counted):
    for line in stocktake.lines.select_related("part"):
        if line.part.code in counted:
            line.counted_quantity = counted[line.part.code]
            line.save()


@pytest.fixture
def two_parts(stocked, main, warehouse):
    fan = PartFactory(code="FAN-01")
    stock(fan, main, 4, warehouse)
    return stocked, fan


def test_count_and_post_adjustments(two_parts, main, warehouse, manager):
    hdd, fan = two_parts
    take = Stocktake.objects.create(warehouse=main)
    run(take, "start", warehouse)
    assert take.state == S.COUNTING and take.snapshot_at and take.started_by == warehouse
    assert dict(take.lines.values_list("part__code", "book_quantity")) == {"HDD-1T": 10,
                                                                          "FAN-01": 4}
    count(take, **{"HDD-1T": 8})
    with pytest.raises(ValidationError, match="not every line"):
        apply_transition(take, "submit", actor=warehouse)
    count(take, **{"FAN-01": 5})
    run(take, "submit", warehouse)
    run(take, "approve", manager)
    assert take.state == S.POSTED and take.approved_by == manager and take.posted_at
    assert balance(hdd, main) == 8 == ledger_sum(hdd, main)
    assert balance(fan, main) == 5 == ledger_sum(fan, main)
    adjustments = StockEntry.objects.filter(stocktake=take).order_by("part__code")
    assert [(e.part.code, e.quantity, e.kind) for e in adjustments] == [
        ("FAN-01", 1, wf.EntryKind.ADJUSTMENT), ("HDD-1T", -2, wf.EntryKind.ADJUSTMENT)]
    assert list(take.events.order_by("id").values_list("action", flat=True)) == [
        "start", "submit", "approve"]


def test_movements_during_the_count_are_kept(stocked, main, warehouse, manager, engineer):
    """Book 10 at the snapshot; 3 issued while counting; the shelf held 9 at the start.

    The shortage of 1 is posted on top of the live balance: 10 − 3 − 1 = 6.
    """
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    services.post_moves([Move(stocked, main, -3, wf.EntryKind.ISSUE)], actor=warehouse)
    line = take.lines.get()
    assert line.book_quantity == 10
    line.counted_quantity = 9
    line.reason = wf.VarianceReason.SHORTAGE
    line.save()
    run(take, "submit", warehouse)
    run(take, "approve", manager)
    assert balance(stocked, main) == 6 == ledger_sum(stocked, main)
    assert StockEntry.objects.get(stocktake=take).note == str(wf.VarianceReason.SHORTAGE.label)


def test_a_part_added_during_the_count_gets_its_book_quantity_at_the_snapshot(
        part, main, warehouse):
    other = PartFactory(code="PSU-500")
    stock(other, main, 6, warehouse)
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    StocktakeLine.objects.filter(stocktake=take).delete()  # as if it was missed
    stock(other, main, 2, warehouse)  # received after the snapshot
    added = StocktakeLine.objects.create(stocktake=take, part=other, counted_quantity=6)
    assert added.book_quantity == 6 and added.variance == 0


def test_a_shortage_larger_than_the_live_balance_is_refused(stocked, main, warehouse, manager):
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    services.post_moves([Move(stocked, main, -9, wf.EntryKind.ISSUE)], actor=warehouse)
    count(take, **{"HDD-1T": 5})  # 5 short at the snapshot, but only 1 left now
    run(take, "submit", warehouse)
    with pytest.raises(ValidationError, match="Not enough stock"):
        apply_transition(take, "approve", actor=manager)
    take.refresh_from_db()
    assert take.state == S.SUBMITTED and balance(stocked, main) == 1


def test_nobody_approves_a_count_they_ran(stocked, main, make_user, manager, warehouse):
    both = make_user("warehouse", "keeper_manager")
    both.groups.add(*manager.groups.all())
    take = run(Stocktake.objects.create(warehouse=main), "start", both)
    count(take, **{"HDD-1T": 10})
    run(take, "submit", both)
    assert "approve" not in available_transitions(take, both)
    with pytest.raises(PermissionDenied):
        apply_transition(take, "approve", actor=both)
    with pytest.raises(PermissionDenied):
        apply_transition(take, "approve", actor=warehouse)  # keepers do not approve
    run(take, "approve", manager)


def test_recount_and_cancel(stocked, main, warehouse, manager, engineer):
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    count(take, **{"HDD-1T": 3})
    with pytest.raises(PermissionDenied):
        apply_transition(take, "submit", actor=engineer)
    run(take, "submit", warehouse)
    run(take, "recount", manager, note="差异太大，请复盘")
    assert take.state == S.COUNTING
    run(take, "cancel", warehouse, note="改期")
    assert take.state == S.CANCELLED and balance(stocked, main) == 10
    assert not StockEntry.objects.filter(stocktake=take).exists()


def test_scope_by_category_and_all_parts(main, warehouse):
    cables = PartCategoryFactory(code="CABLE")
    cable = PartFactory(code="CAB-1", category=cables)
    never_stocked = PartFactory(code="CAB-2", category=cables)
    stock(cable, main, 2, warehouse)
    stock(PartFactory(code="OTHER"), main, 2, warehouse)
    take = Stocktake.objects.create(warehouse=main, category=cables, include_all_parts=True)
    run(take, "start", warehouse)
    assert dict(take.lines.values_list("part__code", "book_quantity")) == {"CAB-1": 2,
                                                                          "CAB-2": 0}
    assert never_stocked.pk in take.lines.values_list("part_id", flat=True)


def test_pointing_a_line_to_another_part_takes_that_parts_book_quantity(stocked, main,
                                                                         warehouse):
    other = PartFactory(code="OTHER-1")
    stock(other, main, 3, warehouse)
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    line = take.lines.get(part=stocked)
    StocktakeLine.objects.filter(stocktake=take, part=other).delete()
    line.part = other
    line.save()
    assert line.book_quantity == 3 and str(line) == "OTHER-1: ?"  # blind: a line names its count only
