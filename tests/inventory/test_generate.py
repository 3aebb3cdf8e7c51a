"""The synthetic stock history of ``manage.py generate_data``: varied, and no drift."""

import pytest
from django.core.management import call_command

from backoffice.desk import generate as desk_generate
from inventory import generate
from inventory.models import StockBalance, StockEntry
from inventory.workflows import EntryKind


@pytest.mark.django_db(transaction=False)
def test_generated_stock_history_balances_match_ledger():
    desk_generate.generate(tickets=200)
    result = generate.generate(scale=200)

    kinds = set(StockEntry.objects.values_list("kind", flat=True).distinct())
    assert {EntryKind.OPENING, EntryKind.RECEIPT, EntryKind.ISSUE, EntryKind.TRANSFER,
            EntryKind.SCRAP} <= kinds
    assert len(kinds) >= 6
    assert StockEntry.objects.count() == result["ledger_lines"] >= 100
    issued = StockEntry.objects.filter(kind=EntryKind.ISSUE)
    assert issued.filter(ticket__isnull=False).count() == issued.count()
    assert not StockBalance.objects.filter(quantity__lt=0).exists()
    call_command("check_stock")  # raises CommandError (exit 1) on drift

    # a second run adds volume on top and keeps balance == sum(ledger)
    generate.generate(scale=200, seed=2)
    assert StockEntry.objects.count() > result["ledger_lines"]
    call_command("check_stock")
