"""Two managers approve two claims at the same moment and the budget has room for only
one: under "stop" exactly one approval may pass (the guard locks the category's control
row; SQLite's IMMEDIATE transactions serialise the writers)."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from backoffice.platform.budget import BudgetOverrun
from billing import selectors, services
from billing.models import BudgetAdjustment, ExpenseClaim, OverrunConfirmation
from billing.workflows import AdjustmentKind as K
from billing.workflows import AdjustmentStatus as A
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


# -- 20 simultaneous attempts per money entry point (issue "Nothing lost, nothing leaked") --
TWENTY = 20


def at_once(jobs):
    """Run the callables in threads released together, each on its own connection;
    return the outcomes in order ("ok" or the exception raised)."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=30)
            job()
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is what the tests assert on
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def kinds(outcomes):
    return sorted("ok" if o == "ok" else type(o).__name__ for o in outcomes)


@pytest.mark.django_db(transaction=True)
def test_twenty_claims_race_for_the_last_budget_under_stop(make_user):
    """Room for 6 claims of 150 in 1000: 6 approved, 14 refused, never more spent."""
    preparer, leader = make_user("manager"), make_user("finance")
    approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: P.STOP})
    claims = [submitted_claim(make_user("engineer"), (C.TRAVEL, "150")) for _ in range(TWENTY)]
    approvers = [make_user("manager") for _ in range(TWENTY)]

    def approve(claim, approver):
        return lambda: services.claim_approve(claim=ExpenseClaim.objects.get(pk=claim.pk),
                                              actor=approver)

    outcomes = at_once([approve(c, a) for c, a in zip(claims, approvers, strict=True)])

    assert kinds(outcomes) == ["BudgetOverrun"] * 14 + ["ok"] * 6, outcomes
    assert ExpenseClaim.objects.filter(state=S.APPROVED).count() == 6
    figures = selectors.category_position(this_year(), C.TRAVEL)
    assert figures.committed == Decimal("900") and figures.remaining == Decimal("100")


@pytest.mark.django_db(transaction=True)
def test_twenty_managers_approving_the_same_claim_approve_it_once(make_user):
    preparer, leader = make_user("manager"), make_user("finance")
    approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: P.WARN})
    claim = submitted_claim(make_user("engineer"), (C.TRAVEL, "1200"))  # a confirmed overrun
    approvers = [make_user("manager") for _ in range(TWENTY)]

    def approve(approver):
        return lambda: services.claim_approve(claim=ExpenseClaim.objects.get(pk=claim.pk),
                                              actor=approver, confirm_overrun=True)

    outcomes = at_once([approve(a) for a in approvers])

    assert outcomes.count("ok") == 1, outcomes
    assert all(isinstance(o, ValidationError) for o in outcomes if o != "ok"), outcomes
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.events.filter(action="approve").count() == 1
    assert OverrunConfirmation.objects.count() == 1  # the overrun is recorded once
    assert selectors.category_position(this_year(), C.TRAVEL).committed == Decimal("1200")


@pytest.mark.django_db(transaction=True)
def test_twenty_budget_decreases_race_for_what_is_left(make_user):
    """1000 budgeted, 450 committed: of 20 decreases of 100, exactly 5 may pass."""
    preparer, leader = make_user("manager"), make_user("finance")
    budget = approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")},
                             policies={C.TRAVEL: P.STOP})
    claim = submitted_claim(make_user("engineer"), (C.TRAVEL, "450"))
    services.claim_approve(claim=claim, actor=make_user("manager"))
    adjustments = []
    for _ in range(TWENTY):
        adjustment = services.adjustment_create(budget=budget, actor=preparer, kind=K.DECREASE,
                                                category=C.TRAVEL, amount="100", reason="收回")
        services.adjustment_submit(adjustment=adjustment, actor=preparer)
        adjustments.append(adjustment)
    approvers = [make_user("finance") for _ in range(TWENTY)]

    def approve(adjustment, approver):
        return lambda: services.adjustment_approve(
            adjustment=BudgetAdjustment.objects.get(pk=adjustment.pk), actor=approver)

    outcomes = at_once([approve(a, f) for a, f in zip(adjustments, approvers, strict=True)])

    assert kinds(outcomes) == ["ValidationError"] * 15 + ["ok"] * 5, outcomes
    assert all("cannot give" in " ".join(o.messages) for o in outcomes if o != "ok")
    assert BudgetAdjustment.objects.filter(state=A.APPROVED).count() == 5
    figures = selectors.category_position(this_year(), C.TRAVEL)
    assert figures.current == Decimal("500") and figures.remaining == Decimal("50")


@pytest.mark.django_db(transaction=True)
def test_twenty_approvers_of_the_same_budget_adjustment_apply_it_once(make_user):
    preparer, leader = make_user("manager"), make_user("finance")
    budget = approved_budget(preparer, leader, amounts={C.TRAVEL: Decimal("1000")})
    adjustment = services.adjustment_create(budget=budget, actor=preparer, kind=K.INCREASE,
                                            category=C.TRAVEL, amount="300", reason="新项目")
    services.adjustment_submit(adjustment=adjustment, actor=preparer)
    approvers = [make_user("finance") for _ in range(TWENTY)]

    def approve(approver):
        return lambda: services.adjustment_approve(
            adjustment=BudgetAdjustment.objects.get(pk=adjustment.pk), actor=approver)

    outcomes = at_once([approve(f) for f in approvers])

    assert outcomes.count("ok") == 1, outcomes
    assert all(isinstance(o, ValidationError) for o in outcomes if o != "ok"), outcomes
    adjustment.refresh_from_db()
    assert adjustment.state == A.APPROVED
    assert adjustment.events.filter(action="approve").count() == 1
    assert selectors.category_position(this_year(), C.TRAVEL).current == Decimal("1300")
