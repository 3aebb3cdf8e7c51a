"""The demo data: a year's budget with adjustments, claims in every state, idempotent."""

import pytest

from backoffice.desk import workflows as desk
from backoffice.platform.demo import ensure_users
from billing import demo
from billing.models import (
    Budget,
    BudgetAdjustment,
    CustomerCharge,
    ExpenseClaim,
    OverrunConfirmation,
)
from billing.workflows import AdjustmentStatus, BudgetStatus, ChargeStatus, ClaimStatus
from tests.billing.factories import this_year
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_demo_has_every_state_and_loads_once():
    users = ensure_users()
    for _ in range(4):
        TicketFactory(category=desk.Category.REQUIREMENT)
    TicketFactory(category=desk.Category.ENVIRONMENT)
    demo.load(users)

    budget = Budget.objects.get(year=this_year())
    assert budget.state == BudgetStatus.APPROVED
    assert budget.events.filter(action="return_for_revision").exists()
    assert Budget.objects.get(year=this_year() + 1).state == BudgetStatus.SUBMITTED
    assert set(BudgetAdjustment.objects.values_list("state", flat=True)) == set(
        AdjustmentStatus.values)
    assert set(ExpenseClaim.objects.values_list("state", flat=True)) == set(ClaimStatus.values)
    assert set(CustomerCharge.objects.values_list("state", flat=True)) == set(
        ChargeStatus.values)
    assert OverrunConfirmation.objects.count() == 1
    assert all(line.receipt for claim in ExpenseClaim.objects.all()
               for line in claim.lines.all())
    paid = ExpenseClaim.objects.filter(state=ClaimStatus.PAID).first()
    assert [e.action for e in paid.events.order_by("created_at", "id")] == [
        "submit", "approve", "pay"]

    before = (ExpenseClaim.objects.count(), BudgetAdjustment.objects.count())
    demo.load(users)
    assert (ExpenseClaim.objects.count(), BudgetAdjustment.objects.count()) == before
