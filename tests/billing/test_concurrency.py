"""Two managers approve two claims at the same moment and the budget has room for only
one: under "stop" exactly one approval may pass (the guard locks the category's control
row; SQLite's IMMEDIATE transactions serialise the writers)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from backoffice.platform.budget import BudgetOverrun
from billing import selectors, services
from billing.models import ExpenseClaim, OverrunConfirmation
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from billing.workflows import OverrunPolicy as P
from tests.billing.factories import approved_budget, submitted_claim, this_year


def slow_reads(monkeypatch, seconds=0.4):
    """Widen the race: pause after the guard has read the figures, before it decides.
    Without the lock both approvals would read the same remaining amount here."""
    original = selectors.category_position

    def slow(*args, **kwargs):
        figures = original(*args, **kwargs)
        time.sleep(seconds)
        return figures

    monkeypatch.setattr(selectors, "category_position", slow)


def race(claims, approvers, confirm=False):
    barrier = threading.Barrier(len(claims))
    outcomes = {}

    def approve(claim_id, approver):
        try:
            barrier.wait()
            claim = ExpenseClaim.objects.get(pk=claim_id)
            services.claim_approve(claim=claim, actor=approver, confirm_overrun=confirm)
            outcomes[claim_id] = "approved"
        except BudgetOverrun:
            outcomes[claim_id] = "refused"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[claim_id] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c.pk, a))
               for c, a in zip(claims, approvers, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_approvals_race_for_the_last_budget_only_one_wins(make_user, monkeypatch):
    preparer, leader = make_user("manager"), make_user("finance")
    approvers = [make_user("manager"), make_user("manager")]
    approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: P.STOP})
    claims = [submitted_claim(make_user("engineer"), (C.TRAVEL, "600")) for _ in range(2)]
    slow_reads(monkeypatch)

    outcomes = race(claims, approvers)

    assert sorted(outcomes.values()) == ["approved", "refused"], outcomes
    states = sorted(ExpenseClaim.objects.values_list("state", flat=True))
    assert states == [S.APPROVED, S.SUBMITTED]
    figures = selectors.category_position(this_year(), C.TRAVEL)
    assert figures.committed == Decimal("600") and figures.remaining == Decimal("400")


@pytest.mark.django_db(transaction=True)
def test_racing_approvals_within_budget_both_pass(make_user, monkeypatch):
    preparer, leader = make_user("manager"), make_user("finance")
    approvers = [make_user("manager"), make_user("manager")]
    approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: P.STOP})
    claims = [submitted_claim(make_user("engineer"), (C.TRAVEL, "500")) for _ in range(2)]
    slow_reads(monkeypatch, 0.2)

    outcomes = race(claims, approvers)

    assert list(outcomes.values()) == ["approved", "approved"], outcomes
    assert selectors.category_position(this_year(), C.TRAVEL).remaining == Decimal("0")
    assert not OverrunConfirmation.objects.exists()
