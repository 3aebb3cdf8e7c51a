"""Training needs and the annual plan: every transition, its permission and conditions."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform import budget
from backoffice.platform.workflow import apply_transition, available_transitions
from training.models import TrainingPlan
from training.workflows import TrainingNeedStatus as N
from training.workflows import TrainingPlanStatus as P
from training.workflows import TrainingSessionStatus as SS

from .factories import (
    TrainingNeedFactory,
    TrainingPlanFactory,
    TrainingPlanItemFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


def run(obj, name, actor, **kw):
    apply_transition(obj, name, actor=actor, **kw)
    obj.refresh_from_db()
    return obj


@pytest.fixture
def plan(trainer):
    plan = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=plan, budget_estimate=Decimal("3000.00"))
    TrainingPlanItemFactory(plan=plan, budget_estimate=Decimal("2000.00"))
    return plan


# -- needs ------------------------------------------------------------------------------
def test_need_is_planned_only_when_a_plan_item_answers_it(trainer, plan):
    need = TrainingNeedFactory()
    with pytest.raises(ValidationError, match="not answered by any plan item"):
        apply_transition(need, "plan", actor=trainer)
    plan.items.first().needs.add(need)
    run(need, "plan", trainer)
    assert need.state == N.PLANNED
    run(need, "reopen", trainer, note="计划调整")
    assert need.state == N.OPEN


def test_need_drop_and_reopen(trainer, engineer):
    need = TrainingNeedFactory()
    with pytest.raises(PermissionDenied):
        apply_transition(need, "drop", actor=engineer, note="no")
    run(need, "drop", trainer, note="客户已自行解决")
    assert need.state == N.DROPPED
    assert need.events.get().note == "客户已自行解决"
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(need, "plan", actor=trainer)
    run(need, "reopen", trainer, note="客户再次提出")
    assert need.state == N.OPEN


def test_need_requires_its_requester(make_user):
    from training.workflows import RequesterKind

    need = TrainingNeedFactory.build(customer=None)
    with pytest.raises(ValidationError) as err:
        need.full_clean(exclude=["number", "state"])
    assert "customer" in err.value.message_dict
    staff_need = TrainingNeedFactory.build(customer=None, requester_kind=RequesterKind.STAFF)
    with pytest.raises(ValidationError) as err:
        staff_need.full_clean(exclude=["number", "state"])
    assert "staff" in err.value.message_dict


# -- plan -------------------------------------------------------------------------------
def test_full_plan_flow(trainer, manager):
    plan = TrainingPlanFactory(prepared_by=trainer)
    item = TrainingPlanItemFactory(plan=plan)
    need = TrainingNeedFactory()
    item.needs.add(need)
    run(plan, "submit", trainer, note="请审批")
    assert plan.state == P.SUBMITTED and plan.submitted_by == trainer
    run(plan, "approve", manager)
    assert plan.state == P.APPROVED and plan.approved_by == manager
    need.refresh_from_db()
    assert need.state == N.PLANNED  # the approval planned the need it answers
    assert need.events.get().actor == manager
    TrainingSessionFactory(plan_item=item, state=SS.HELD)
    run(plan, "close", manager)
    assert plan.state == P.CLOSED and plan.closed_at is not None
    journal = list(plan.events.order_by("created_at", "id").values_list("action", "actor__username"))
    assert journal == [("submit", "trainer"), ("approve", "manager"), ("close", "manager")]
    assert [h.state for h in plan.history.order_by("history_id")][-3:] == [
        P.SUBMITTED, P.APPROVED, P.CLOSED]


def test_submit_needs_goals_and_items(trainer):
    empty = TrainingPlanFactory(prepared_by=trainer, goals="")
    with pytest.raises(ValidationError) as err:
        apply_transition(empty, "submit", actor=trainer)
    assert "no goals" in str(err.value) and "no items" in str(err.value)


def test_only_the_training_specialist_submits(plan, engineer, manager):
    for outsider in (engineer, manager):
        with pytest.raises(PermissionDenied):
            apply_transition(plan, "submit", actor=outsider)
    assert TrainingPlan.objects.get(pk=plan.pk).state == P.DRAFT


def test_only_the_manager_approves_and_never_their_own_plan(plan, trainer, manager, make_user):
    run(plan, "submit", trainer)
    with pytest.raises(PermissionDenied):
        apply_transition(plan, "approve", actor=trainer)
    assert "approve" not in available_transitions(plan, trainer)
    own = TrainingPlanFactory(prepared_by=manager)
    TrainingPlanItemFactory(plan=own)
    manager.user_permissions.add(*_perms("submit_trainingplan"))
    manager = type(manager).objects.get(pk=manager.pk)  # fresh permission cache
    run(own, "submit", manager)
    with pytest.raises(PermissionDenied):  # four eyes
        apply_transition(own, "approve", actor=manager)
    other = make_user("manager", "manager2")
    run(own, "approve", other)
    assert own.state == P.APPROVED


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames, content_type__app_label="training")


def test_manager_sends_back_with_a_reason(plan, trainer, manager):
    run(plan, "submit", trainer)
    run(plan, "reject", manager, note="预算过高，请压缩外聘讲师费用")
    assert plan.state == P.DRAFT
    assert plan.events.filter(action="reject").get().note.startswith("预算过高")


def test_trainer_withdraws_a_submitted_plan(plan, trainer):
    run(plan, "submit", trainer)
    run(plan, "withdraw", trainer)
    assert plan.state == P.DRAFT


def test_close_refused_while_sessions_are_planned(plan, trainer, manager):
    run(plan, "submit", trainer)
    run(plan, "approve", manager)
    session = TrainingSessionFactory(plan_item=plan.items.first())
    with pytest.raises(ValidationError, match="still planned"):
        apply_transition(plan, "close", actor=trainer)
    run(session, "cancel", trainer, note="讲师临时有事")
    run(plan, "close", trainer)
    assert plan.state == P.CLOSED


def test_engineer_may_not_close(plan, trainer, manager, engineer):
    run(plan, "submit", trainer)
    run(plan, "approve", manager)
    with pytest.raises(PermissionDenied):
        apply_transition(plan, "close", actor=engineer)


def test_approval_asks_the_training_budget(plan, trainer, manager, monkeypatch):
    calls = []

    def guard(*, category, amount, on_date, actor, confirmed, reference, exclude,
              dry_run=False):
        if dry_run:  # the submit's look-ahead: this test is about the approval
            return None
        calls.append((category, amount, confirmed, reference, exclude))
        if not confirmed:
            raise budget.BudgetWarning("培训预算剩余 4000.00，本计划 5000.00")
        return "超预算已确认"

    monkeypatch.setattr(budget, "_guard", guard)
    run(plan, "submit", trainer)
    with pytest.raises(ValidationError, match="培训预算"):
        apply_transition(plan, "approve", actor=manager)
    plan.refresh_from_db()
    assert plan.state == P.SUBMITTED and not plan.events.filter(action="approve").exists()
    run(plan, "approve", manager, confirm_over_budget=True)
    assert plan.state == P.APPROVED and plan.budget_remark == "超预算已确认"
    assert calls[-1] == ("training", Decimal("5000.00"), True, plan.number, plan)


def test_failed_approval_rolls_back_planned_needs(plan, trainer, manager, monkeypatch):
    need = TrainingNeedFactory()
    plan.items.first().needs.add(need)

    def guard(**kwargs):
        if kwargs.get("dry_run"):
            return None
        raise budget.BudgetOverrun("培训预算不足")

    monkeypatch.setattr(budget, "_guard", guard)
    run(plan, "submit", trainer)
    with pytest.raises(ValidationError):
        apply_transition(plan, "approve", actor=manager)
    need.refresh_from_db()
    assert need.state == N.OPEN and not need.events.exists()


def test_state_cannot_be_assigned(plan):
    with pytest.raises(AttributeError):
        plan.state = P.APPROVED


def test_changes_after_approval_keep_history(plan, trainer, manager):
    run(plan, "submit", trainer)
    run(plan, "approve", manager)
    item = plan.items.first()
    item.budget_estimate = Decimal("3500.00")
    item._history_user = trainer
    item.save()
    old, new = item.history.order_by("history_id")[:2]
    delta = new.diff_against(old)
    assert [c.field for c in delta.changes] == ["budget_estimate"]
    assert new.history_user == trainer


def test_no_new_session_on_a_closed_plan(plan, trainer, manager):
    run(plan, "submit", trainer)
    run(plan, "approve", manager)
    run(plan, "close", manager)
    session = TrainingSessionFactory.build(plan_item=plan.items.first())
    with pytest.raises(ValidationError) as err:
        session.full_clean(exclude=["number", "state"])
    assert "plan_item" in err.value.message_dict


def test_copy_plan_to_next_year(plan, trainer, manager):
    from training import services

    plan.items.first().needs.add(TrainingNeedFactory())
    with pytest.raises(PermissionDenied):
        services.plan_copy(plan=plan, actor=manager)
    copy = services.plan_copy(plan=plan, actor=trainer)
    assert copy.state == P.DRAFT and copy.year == 2027 and copy.prepared_by == trainer
    assert copy.title == plan.title.replace("2026", "2027")
    items = list(copy.items.order_by("seq"))
    assert len(items) == 2 and items[0].planned_start.year == 2027
    assert not items[0].needs.exists()
    assert items[0].history.get().history_change_reason == f"copied from {plan.number}"
