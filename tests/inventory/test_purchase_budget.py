"""The buyer meets the parts budget on the purchase order's page and at submit, before the
approver does: the position panel, and a "stop" overrun refused with the figures."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from inventory import workflows as wf
from tests.billing.factories import approved_budget
from tests.inventory.factories import purchase_order

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:inventory_{name}", args=args)


@pytest.fixture
def parts_budget(manager, finance):
    return approved_budget(manager, finance, amounts={"parts": Decimal("1000")},
                           policies={"parts": "stop"})


def test_the_order_page_shows_the_parts_position(client, warehouse, part, main, parts_budget,
                                                 django_assert_max_num_queries):
    order = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 5, "300")])
    client.force_login(warehouse)
    with django_assert_max_num_queries(28):
        response = client.get(url("purchaseorder_change", order.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-budget-category="parts"' in page and 'data-budget-level="stop"' in page
    for figure in ("CNY 1,000.00", "CNY 1,500.00", "CNY -500.00"):
        assert figure in page
    # the add page knows the category already: its position, nothing asked yet
    page = client.get(url("purchaseorder_add")).content.decode()
    assert 'data-budget-category="parts"' in page and 'data-budget-level="ok"' in page


def test_a_stop_overrun_is_refused_at_submit_with_the_figures(client, warehouse, part, main,
                                                              parts_budget):
    order = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 5, "300")])
    client.force_login(warehouse)
    page = client.post(url("purchaseorder_transition_submit", order.pk),
                       {"_form_submitted": "on", "confirm_overrun": "on"},
                       follow=True).content.decode()
    order.refresh_from_db()
    assert order.state == wf.PurchaseOrderStatus.DRAFT and not order.events.exists()
    for text in ("budget CNY 1,000.00", "this document CNY 1,500.00", "over by CNY 500.00",
                 "cannot be submitted"):
        assert text in page


def test_an_order_within_the_budget_submits_and_counts_once_approved(
        warehouse, manager, part, main, parts_budget):
    from backoffice.platform import budget

    first = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 6, "100")])
    apply_transition(first, "submit", actor=warehouse)
    apply_transition(first, "approve", actor=manager)
    assert first.state == wf.PurchaseOrderStatus.APPROVED
    second = purchase_order(created_by=warehouse, warehouse=main, lines=[(part, 5, "100")])
    [position] = budget.positions_of(second)
    assert (position.committed, position.remaining, position.after) == (
        Decimal("600.00"), Decimal("400.00"), Decimal("-100.00"))
    with pytest.raises(budget.BudgetOverrun, match="over by CNY 100.00"):
        apply_transition(second, "submit", actor=warehouse)
