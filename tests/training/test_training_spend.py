"""Training spends the training budget: approved plans are committed, held sessions are
actual (a plan that became sessions counted once), in billing's budget vs actual, and the
guard refuses a second plan beyond a "stop" budget. The plan page shows the position."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from backoffice.platform import budget
from backoffice.platform.workflow import apply_transition
from billing import selectors as billing
from tests.billing.factories import approved_budget
from tests.training.factories import (
    StaffAttendeeFactory,
    TrainingPlanFactory,
    TrainingPlanItemFactory,
    TrainingSessionFactory,
)
from training.workflows import TrainingPlanStatus as P

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def plan_of(trainer, *estimates):
    plan = TrainingPlanFactory(prepared_by=trainer, year=YEAR, title=f"{YEAR}年度培训计划")
    for estimate in estimates:
        TrainingPlanItemFactory(plan=plan, budget_estimate=Decimal(estimate),
                                planned_start=dt.date(YEAR, 1, 5),
                                planned_end=dt.date(YEAR, 1, 9))
    return plan


def approve(plan, trainer, manager):
    apply_transition(plan, "submit", actor=trainer)
    apply_transition(plan, "approve", actor=manager)
    plan.refresh_from_db()
    assert plan.state == P.APPROVED
    return plan


def training_row(year=YEAR):
    report = billing.budget_vs_actual(year)
    return next(r for r in report["rows"] if r.figures.category == "training")


@pytest.fixture
def training_budget(manager, finance):
    return approved_budget(manager, finance, year=YEAR, amounts={"training": Decimal("6000")},
                           policies={"training": "stop"})


def test_an_approved_plan_is_committed_and_a_held_session_actual(
        client, trainer, manager, finance, training_budget):
    plan = approve(plan_of(trainer, "3000", "2000"), trainer, manager)
    row = training_row()
    assert (row.figures.committed, row.figures.actual) == (Decimal("5000.00"), Decimal("0"))
    assert row.cells[0].committed == Decimal("5000.00")  # by the month it is planned from

    session = TrainingSessionFactory(plan_item=plan.items.get(budget_estimate=3000),
                                     actual_cost=Decimal("1200.00"))
    StaffAttendeeFactory(session=session, attended=True)
    apply_transition(session, "hold", actor=trainer)
    row = training_row()
    # the item's estimate less what its held session cost, plus the untouched item
    assert (row.figures.actual, row.figures.committed) == (Decimal("1200.00"),
                                                           Decimal("3800.00"))
    assert row.cells[timezone.localtime(session.starts_at).month - 1].actual == Decimal("1200.00")

    client.force_login(finance)
    page = client.get(reverse("admin:billing_budget_report")).content.decode()
    assert "3,800.00" in page and "1,200.00" in page


def test_a_session_costing_more_than_its_estimate_is_not_counted_twice(
        trainer, manager, training_budget):
    plan = approve(plan_of(trainer, "1000"), trainer, manager)
    session = TrainingSessionFactory(plan_item=plan.items.get(), actual_cost=Decimal("1500"))
    StaffAttendeeFactory(session=session, attended=True)
    apply_transition(session, "hold", actor=trainer)
    row = training_row()
    assert (row.figures.actual, row.figures.committed) == (Decimal("1500.00"), Decimal("0"))


def test_the_guard_refuses_a_second_plan_over_a_stop_budget(trainer, manager, training_budget):
    approve(plan_of(trainer, "3000", "2000"), trainer, manager)
    second = plan_of(trainer, "1500")
    with pytest.raises(ValidationError, match="over by CNY 500.00"):
        apply_transition(second, "submit", actor=trainer)
    second.refresh_from_db()
    assert second.state == P.DRAFT
    with pytest.raises(budget.BudgetOverrun):  # and the approval's own check agrees
        budget.check_document(second, actor=manager)
    assert approve(plan_of(trainer, "1000"), trainer, manager).state == P.APPROVED


def test_the_plan_page_shows_the_training_position(client, trainer, manager, training_budget,
                                                   django_assert_max_num_queries):
    approve(plan_of(trainer, "5000"), trainer, manager)
    plan = plan_of(trainer, "1500")
    client.force_login(trainer)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("admin:training_trainingplan_change", args=[plan.pk]))
    page = response.content.decode()
    assert 'data-budget-category="training"' in page and 'data-budget-level="stop"' in page
    for figure in ("CNY 6,000.00", "CNY 5,000.00", "CNY 1,000.00", "CNY 1,500.00",
                   "CNY -500.00"):
        assert figure in page
