"""Budgets and their adjustments: transitions, permissions, four-eyes, the figures."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform.workflow import available_transitions
from billing import selectors, services
from billing.models import Budget, BudgetAdjustment, BudgetControl, BudgetLine
from billing.workflows import AdjustmentKind as K
from billing.workflows import AdjustmentStatus as A
from billing.workflows import BudgetPeriod as P
from billing.workflows import BudgetStatus as S
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import (
    BudgetFactory,
    BudgetLineFactory,
    approved_budget,
    submitted_claim,
    this_year,
)

pytestmark = pytest.mark.django_db


def by_category(budget_or_year):
    return {f.category: f for f in selectors.budget_position(budget_or_year)}


def test_new_budget_has_a_control_row_per_category():
    budget = BudgetFactory()
    assert sorted(budget.controls.values_list("category", flat=True)) == sorted(C.values)
    assert set(budget.controls.values_list("overrun_policy", flat=True)) == {"warn"}


def test_prepare_submit_approve(manager, finance):
    budget = services.budget_create(year=2031, actor=manager, title="2031年预算", lines=[
        (C.TRAVEL, P.YEAR, "120000"), (C.TRAINING, P.Q1, "10000"),
        (C.TRAINING, P.Q2, "20000")])
    assert budget.state == S.DRAFT and budget.prepared_by == manager
    services.budget_submit(budget=budget, actor=manager)
    assert budget.state == S.SUBMITTED and budget.submitted_by == manager
    services.budget_approve(budget=budget, actor=finance, note="同意")
    budget.refresh_from_db()
    assert budget.state == S.APPROVED and budget.approved_by == finance
    assert [e.action for e in budget.events.order_by("created_at", "id")] == ["submit",
                                                                              "approve"]
    figures = by_category(budget)
    assert figures[C.TRAINING].original == Decimal("30000")
    assert figures[C.TRAVEL].current == Decimal("120000")


def test_submit_needs_the_right_lines_and_permission(manager, engineer, finance):
    budget = services.budget_create(year=2032, actor=manager)
    with pytest.raises(ValidationError, match="no lines"):
        services.budget_submit(budget=budget, actor=manager)
    BudgetLineFactory(budget=budget, category=C.TRAINING, period=P.YEAR)
    BudgetLineFactory(budget=budget, category=C.TRAINING, period=P.M03)
    with pytest.raises(ValidationError, match="mixes"):
        services.budget_submit(budget=budget, actor=manager)
    BudgetLine.objects.filter(budget=budget, period=P.M03).delete()
    for outsider in (engineer, finance):
        with pytest.raises(PermissionDenied):
            services.budget_submit(budget=budget, actor=outsider)
    services.budget_submit(budget=budget, actor=manager)


def test_leadership_approves_never_their_own(manager, finance, make_user):
    budget = services.budget_create(year=2033, actor=finance,
                                    lines=[(C.OFFICE, P.YEAR, "1000")])
    finance.user_permissions.add(*_perms("submit_budget"))
    finance = type(finance).objects.get(pk=finance.pk)
    services.budget_submit(budget=budget, actor=finance)
    assert "approve" not in available_transitions(budget, finance)
    with pytest.raises(PermissionDenied):
        services.budget_approve(budget=budget, actor=finance)
    with pytest.raises(PermissionDenied):
        services.budget_approve(budget=budget, actor=manager)  # not leadership
    services.budget_approve(budget=budget, actor=make_user("finance"))


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)


def test_return_for_revision_needs_a_reason_and_allows_resubmission(manager, finance):
    budget = services.budget_create(year=2034, actor=manager, lines=[(C.OFFICE, P.YEAR, "1")])
    services.budget_submit(budget=budget, actor=manager)
    with pytest.raises(ValidationError, match="reason"):
        services.budget_return(budget=budget, actor=finance, reason="")
    services.budget_return(budget=budget, actor=finance, reason="差旅预算偏高，请压缩10%")
    budget.refresh_from_db()
    assert budget.state == S.RETURNED and "压缩" in budget.return_reason
    assert budget.is_editable
    line = budget.lines.get()
    line.amount = Decimal("2")
    line.full_clean()
    line.save()
    services.budget_submit(budget=budget, actor=manager)
    services.budget_approve(budget=budget, actor=finance)
    budget.refresh_from_db()
    assert budget.state == S.APPROVED and budget.return_reason == ""


def test_approved_budget_lines_change_only_through_adjustments(manager, finance):
    budget = approved_budget(manager, finance)
    line = budget.lines.get()
    line.amount = Decimal("999999")
    with pytest.raises(ValidationError, match="adjustment"):
        line.full_clean()


def test_one_budget_per_year(manager):
    services.budget_create(year=2035, actor=manager)
    with pytest.raises(ValidationError):
        services.budget_create(year=2035, actor=manager)


def test_history_rows_and_actor(manager, finance):
    budget = approved_budget(manager, finance, year=2036)
    latest = budget.history.first()
    assert latest.state == S.APPROVED and latest.history_user == finance


# -- adjustments -------------------------------------------------------------------------------
@pytest.fixture
def budget(manager, finance):
    return approved_budget(manager, finance, amounts={
        C.TRAVEL: Decimal("10000"), C.TRAINING: Decimal("5000"), C.OFFICE: Decimal("2000")})


def _adjust(budget, actor, approver, **kw):
    adjustment = services.adjustment_create(budget=budget, actor=actor, **kw)
    services.adjustment_submit(adjustment=adjustment, actor=actor)
    services.adjustment_approve(adjustment=adjustment, actor=approver)
    return adjustment


def test_increase_decrease_transfer_shape_the_current_amounts(budget, manager, finance):
    _adjust(budget, manager, finance, kind=K.INCREASE, category=C.TRAVEL, amount="3000",
            reason="新增两个驻场项目")
    _adjust(budget, manager, finance, kind=K.DECREASE, category=C.OFFICE, amount="500",
            reason="办公用品集中采购")
    _adjust(budget, manager, finance, kind=K.TRANSFER, from_category=C.TRAINING,
            category=C.TRAVEL, amount="1000", reason="培训改为线上")
    figures = by_category(budget)
    assert figures[C.TRAVEL].original == Decimal("10000")
    assert figures[C.TRAVEL].adjustments == Decimal("4000")
    assert figures[C.TRAVEL].current == Decimal("14000")
    assert figures[C.TRAINING].current == Decimal("4000")
    assert figures[C.OFFICE].current == Decimal("1500")
    assert sum(f.current for f in figures.values()) == Decimal("19500")


def test_unapproved_adjustments_do_not_count(budget, manager, finance):
    draft = services.adjustment_create(budget=budget, actor=manager, kind=K.INCREASE,
                                       category=C.TRAVEL, amount="3000", reason="x")
    services.adjustment_submit(adjustment=draft, actor=manager)
    assert by_category(budget)[C.TRAVEL].current == Decimal("10000")


def test_adjustment_reject_needs_reason_then_resubmit(budget, manager, finance):
    adjustment = services.adjustment_create(budget=budget, actor=manager, kind=K.INCREASE,
                                            category=C.TRAVEL, amount="3000", reason="x")
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    with pytest.raises(ValidationError, match="reason"):
        services.adjustment_reject(adjustment=adjustment, actor=finance, reason="")
    services.adjustment_reject(adjustment=adjustment, actor=finance, reason="理由不充分")
    adjustment.refresh_from_db()
    assert adjustment.state == A.REJECTED and adjustment.rejection_reason == "理由不充分"
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    services.adjustment_approve(adjustment=adjustment, actor=finance)
    assert adjustment.state == A.APPROVED and adjustment.decided_by == finance


def test_adjustment_four_eyes_and_roles(budget, manager, finance, engineer, make_user):
    adjustment = services.adjustment_create(budget=budget, actor=finance, kind=K.INCREASE,
                                            category=C.TRAVEL, amount="1", reason="x")
    with pytest.raises(PermissionDenied):
        services.adjustment_submit(adjustment=adjustment, actor=manager)  # not the requester
    services.adjustment_submit(adjustment=adjustment, actor=finance)
    for outsider in (finance, manager, engineer):
        with pytest.raises(PermissionDenied):
            services.adjustment_approve(adjustment=adjustment, actor=outsider)
    services.adjustment_approve(adjustment=adjustment, actor=make_user("finance"))


def test_adjustments_only_on_approved_budgets(manager):
    draft = BudgetFactory()
    with pytest.raises(ValidationError) as exc:
        services.adjustment_create(budget=draft, actor=manager, kind=K.INCREASE,
                                   category=C.TRAVEL, amount="1", reason="x")
    assert "budget" in exc.value.message_dict


def test_transfer_needs_two_categories(budget, manager):
    with pytest.raises(ValidationError) as exc:
        services.adjustment_create(budget=budget, actor=manager, kind=K.TRANSFER,
                                   category=C.TRAVEL, amount="1", reason="x")
    assert "from_category" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.adjustment_create(budget=budget, actor=manager, kind=K.TRANSFER,
                                   from_category=C.TRAVEL, category=C.TRAVEL, amount="1",
                                   reason="x")
    with pytest.raises(ValidationError):
        services.adjustment_create(budget=budget, actor=manager, kind=K.INCREASE,
                                   from_category=C.OFFICE, category=C.TRAVEL, amount="1",
                                   reason="x")
    with pytest.raises(ValidationError):
        services.adjustment_create(budget=budget, actor=manager, kind=K.INCREASE,
                                   category=C.TRAVEL, amount="0", reason="x")


def test_cannot_take_away_money_already_spent_or_committed(budget, manager, finance,
                                                            engineer, make_user):
    claim = submitted_claim(engineer, (C.OFFICE, "1800"))
    services.claim_approve(claim=claim, actor=manager)  # 1800 of 2000 committed
    adjustment = services.adjustment_create(budget=budget, actor=manager, kind=K.TRANSFER,
                                            from_category=C.OFFICE, category=C.TRAVEL,
                                            amount="500", reason="x")
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    with pytest.raises(ValidationError, match="cannot give"):
        services.adjustment_approve(adjustment=adjustment, actor=finance)
    adjustment.refresh_from_db()
    assert adjustment.state == A.SUBMITTED
    small = _adjust(budget, manager, finance, kind=K.DECREASE, category=C.OFFICE,
                    amount="200", reason="x")
    assert small.state == A.APPROVED
    assert by_category(budget)[C.OFFICE].remaining == Decimal("0")


def test_controls_are_recreated_if_missing(manager, finance):
    budget = approved_budget(manager, finance, year=2037)
    BudgetControl.objects.filter(budget=budget, category=C.PARTS).delete()
    services._lock_control(budget, C.PARTS)
    assert budget.controls.filter(category=C.PARTS).exists()


def test_budget_of_this_year_is_found(manager, finance):
    approved_budget(manager, finance)
    assert selectors.approved_budget(this_year()) == Budget.objects.get()
    assert BudgetAdjustment.objects.count() == 0
