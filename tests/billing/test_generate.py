"""The synthetic billing volume of ``manage.py generate_data``."""

from collections import Counter

import pytest
from django.db.models import Sum

from backoffice.desk import generate as desk
from billing import generate
from billing.models import Budget, ExpenseClaim, ExpenseLine
from billing.workflows import BudgetStatus, ClaimStatus


@pytest.mark.django_db
def test_generate_claims_and_budgets():
    desk.generate(tickets=200)
    result = generate.generate(scale=200)

    claims = ExpenseClaim.objects.all()
    assert claims.count() == result["claims"] > 0
    states = Counter(claims.values_list("state", flat=True))
    assert len(states) >= 3, states
    assert states[ClaimStatus.PAID] == max(states.values())

    sums = dict(ExpenseLine.objects.values_list("claim").annotate(s=Sum("amount")).order_by())
    for pk, total in claims.values_list("pk", "total"):
        assert pk in sums, "claim without lines"
        assert total == sums[pk]
    per_claim = Counter(ExpenseLine.objects.values_list("claim", flat=True))
    assert set(per_claim.values()) <= {1, 2, 3, 4}

    numbers = list(claims.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith("EC") for n in numbers)
    assert ExpenseClaim.history.count() == 0  # synthetic volume has no history

    paid = claims.filter(state=ClaimStatus.PAID)
    assert not paid.filter(paid_on=None).exists()
    assert not paid.filter(approved_by=None).exists()

    budgets = Budget.objects.all()
    assert budgets.exists()
    assert not budgets.exclude(state=BudgetStatus.APPROVED).exists()
    for budget in budgets:
        assert budget.lines.count() == budget.controls.count() == 6
