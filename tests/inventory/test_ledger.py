"""The ledger: never below zero, immutable, corrected by reversing lines, checked for drift."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from inventory import services
from inventory import workflows as wf
from inventory.models import LedgerImmutable, StockBalance, StockEntry
from inventory.services import InsufficientStock, Move
from tests.inventory.factories import PartFactory, WarehouseFactory, balance, ledger_sum, stock

pytestmark = pytest.mark.django_db


def test_receipt_creates_the_balance_and_one_ledger_line(part, main, warehouse):
    (entry,) = stock(part, main, 7, warehouse)
    assert balance(part, main) == 7 == ledger_sum(part, main)
    assert entry.kind == wf.EntryKind.RECEIPT and entry.actor == warehouse
    assert entry.unit_cost == part.unit_cost
    stock(part, main, 3, warehouse)
    assert StockBalance.objects.get(part=part, warehouse=main).quantity == 10


def test_taking_more_than_on_hand_is_refused_with_a_clear_message(stocked, main, warehouse):
    before = StockEntry.objects.count()
    with pytest.raises(InsufficientStock) as exc:
        services.post_moves([Move(stocked, main, -11, wf.EntryKind.ISSUE)], actor=warehouse)
    message = exc.value.messages[0]
    assert "HDD-1T" in message and "10 块 on hand" in message and "11 needed" in message
    assert balance(stocked, main) == 10 and StockEntry.objects.count() == before


def test_a_document_posts_all_lines_or_none(stocked, main, warehouse):
    other = PartFactory()
    stock(other, main, 1, warehouse)
    with pytest.raises(InsufficientStock):
        services.post_moves([Move(stocked, main, -5, wf.EntryKind.ISSUE),
                             Move(other, main, -2, wf.EntryKind.ISSUE)], actor=warehouse)
    assert balance(stocked, main) == 10 and balance(other, main) == 1
    assert ledger_sum(stocked, main) == 10


def test_taking_exactly_what_is_on_hand_leaves_zero(stocked, main, warehouse):
    services.post_moves([Move(stocked, main, -10, wf.EntryKind.ISSUE)], actor=warehouse)
    assert balance(stocked, main) == 0 == ledger_sum(stocked, main)


def test_the_database_refuses_a_negative_balance(stocked, main):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(part=stocked, warehouse=main).update(quantity=-1)


def test_ledger_lines_are_never_changed_or_deleted(stocked, main):
    entry = StockEntry.objects.get(part=stocked)
    entry.quantity = 99
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        StockEntry.objects.filter(pk=entry.pk).update(quantity=99)
    with pytest.raises(LedgerImmutable):
        StockEntry.objects.all().delete()
    assert StockEntry.objects.get(pk=entry.pk).quantity == 10


def test_a_reversing_line_cancels_a_wrong_issue(stocked, main, warehouse):
    (issue,) = services.post_moves([Move(stocked, main, -4, wf.EntryKind.ISSUE)],
                                   actor=warehouse)
    reversal = services.stock_entry_reverse(entry=issue, actor=warehouse, reason="发错了型号")
    assert reversal.quantity == 4 and reversal.kind == wf.EntryKind.ISSUE
    assert reversal.reverses == issue and "发错了型号" in reversal.note
    assert balance(stocked, main) == 10 == ledger_sum(stocked, main)
    assert StockEntry.objects.get(pk=issue.pk).quantity == -4  # the original stays as it was


def test_a_line_is_reversed_once_and_reversals_are_not_reversed(stocked, main, warehouse):
    entry = StockEntry.objects.get(part=stocked)
    reversal = services.stock_entry_reverse(entry=entry, actor=warehouse, reason="重复入库")
    with pytest.raises(ValidationError, match="already been reversed"):
        services.stock_entry_reverse(entry=entry, actor=warehouse, reason="again")
    with pytest.raises(ValidationError, match="itself a reversal"):
        services.stock_entry_reverse(entry=reversal, actor=warehouse, reason="undo")
    assert balance(stocked, main) == 0


def test_reversing_a_receipt_whose_parts_are_gone_is_refused(stocked, main, warehouse):
    receipt = StockEntry.objects.get(part=stocked)
    services.post_moves([Move(stocked, main, -8, wf.EntryKind.ISSUE)], actor=warehouse)
    with pytest.raises(InsufficientStock):
        services.stock_entry_reverse(entry=receipt, actor=warehouse, reason="错误入库")
    assert balance(stocked, main) == 2 and not StockEntry.objects.filter(reverses=receipt).exists()


def test_reversal_needs_the_right_and_a_reason(stocked, main, warehouse, engineer, clerk):
    entry = StockEntry.objects.get(part=stocked)
    for outsider in (engineer, clerk):
        with pytest.raises(PermissionDenied):
            services.stock_entry_reverse(entry=entry, actor=outsider, reason="x")
    with pytest.raises(ValidationError, match="why"):
        services.stock_entry_reverse(entry=entry, actor=warehouse, reason=" ")


def test_paired_moves_are_corrected_through_their_document(stocked, main, scrap_area,
                                                           warehouse):
    moves = [Move(stocked, main, -1, wf.EntryKind.TRANSFER),
             Move(stocked, scrap_area, 1, wf.EntryKind.TRANSFER)]
    out, _in = services.post_moves(moves, actor=warehouse)
    with pytest.raises(ValidationError, match="through their document"):
        services.stock_entry_reverse(entry=out, actor=warehouse, reason="x")


def test_opening_balance_only_before_any_movement(part, main, warehouse):
    services.opening_balance_post(part=part, warehouse=main, quantity=5, actor=warehouse)
    assert balance(part, main) == 5
    with pytest.raises(ValidationError, match="already has an opening balance"):
        services.opening_balance_post(part=part, warehouse=main, quantity=5, actor=warehouse)
    other = WarehouseFactory()
    services.post_moves([Move(part, other, 1, wf.EntryKind.RECEIPT)], actor=warehouse)
    with pytest.raises(ValidationError, match="already has movements"):
        services.opening_balance_post(part=part, warehouse=other, quantity=5, actor=warehouse)
    with pytest.raises(ValidationError):
        services.opening_balance_post(part=part, warehouse=WarehouseFactory(), quantity=0,
                                      actor=warehouse)


def test_stock_moves_need_an_actor(part, main):
    with pytest.raises(PermissionDenied):
        services.post_moves([Move(part, main, 1, wf.EntryKind.RECEIPT)], actor=None)


# -- the drift check -----------------------------------------------------------------------
def test_check_stock_passes_when_balances_match_the_ledger(stocked, main, warehouse):
    services.post_moves([Move(stocked, main, -3, wf.EntryKind.ISSUE)], actor=warehouse)
    out = StringIO()
    call_command("check_stock", stdout=out)
    assert "no drift" in out.getvalue()


def test_check_stock_reports_drift_and_fails(stocked, main, warehouse):
    other = PartFactory(code="FAN-01")
    stock(other, main, 2, warehouse)
    StockBalance.objects.filter(part=stocked).update(quantity=7)  # simulate a bad write
    StockBalance.objects.filter(part=other).delete()              # and a lost row
    out = StringIO()
    with pytest.raises(CommandError, match="2 part"):
        call_command("check_stock", stdout=out)
    report = out.getvalue()
    assert "HDD-1T" in report and "balance 7" in report and "ledger 10" in report
    assert "FAN-01" in report and "balance 0" in report


def test_check_stock_repair_rebuilds_balances_from_the_ledger(stocked, main):
    StockBalance.objects.filter(part=stocked).update(quantity=3)
    with pytest.raises(CommandError):
        call_command("check_stock", stdout=StringIO())
    call_command("check_stock", "--repair", stdout=StringIO())
    assert balance(stocked, main) == 10
    call_command("check_stock", stdout=StringIO())
    assert services.stock_drift() == []
