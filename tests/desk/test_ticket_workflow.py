"""The ticket's state machine: every transition, its permission and its conditions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition, available_transitions
from tests.factories import ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db
S = wf.TicketStatus


def run(ticket, name, actor, **kw):
    apply_transition(ticket, name, actor=actor, **kw)
    ticket.refresh_from_db()
    return ticket


def test_full_flow_from_call_to_archive(clerk, engineer, make_user):
    ticket = TicketFactory(contact=ContactFactory())
    run(ticket, "assign", clerk, assignee=engineer, support_level=1, note="请尽快处理")
    assert ticket.state == S.ASSIGNED and ticket.assignee == engineer
    run(ticket, "start", engineer)
    assert ticket.state == S.IN_PROGRESS and ticket.first_response_at is None
    services.post_message(ticket, direction=wf.MessageDirection.TO_CUSTOMER,
                          channel=wf.Channel.PHONE, body="已联系客户", author=engineer)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None  # the first answer, not the button
    run(ticket, "wait_for_customer", engineer, note="等客户数据库备份")
    assert ticket.state == S.WAITING and ticket.paused_since is not None
    run(ticket, "resume", engineer)
    assert ticket.state == S.IN_PROGRESS and ticket.paused_since is None
    run(ticket, "schedule_visit", engineer, visit_at=ticket.received_at)
    assert ticket.state == S.ON_SITE
    run(ticket, "finish_visit", engineer, findings="更换网卡")
    assert "更换网卡" in ticket.process
    ticket.solution = "重新配置数据库连接池"
    ticket.save()
    run(ticket, "resolve", engineer)
    assert ticket.state == S.RESOLVED and ticket.resolved_at is not None
    run(ticket, "confirm", clerk, confirmed_by="王建国", satisfaction=5, feedback="满意")
    assert ticket.state == S.CONFIRMED and ticket.satisfaction == 5
    run(ticket, "close", clerk)
    assert ticket.state == S.CLOSED and ticket.closed_at is not None

    journal = list(ticket.events.order_by("created_at", "id")
                   .values_list("action", "source", "target", "actor__username"))
    assert journal[0] == ("assign", "new", "assigned", "clerk")
    assert journal[-1] == ("close", "confirmed", "closed", "clerk")
    assert len(journal) == 9
    assert ticket.events.get(action="assign").note == "请尽快处理"


def test_each_transition_writes_one_history_row(clerk, engineer):
    ticket = TicketFactory()
    before = ticket.history.count()
    run(ticket, "assign", clerk, assignee=engineer)
    run(ticket, "start", engineer)
    assert ticket.history.count() == before + 2
    latest = ticket.history.first()
    assert latest.state == S.IN_PROGRESS
    assert latest.history_user == engineer
    assert latest.history_change_reason == "start"


def test_state_field_cannot_be_assigned():
    ticket = TicketFactory()
    with pytest.raises(AttributeError):
        ticket.state = S.CLOSED


def test_permission_is_checked_not_just_the_state(clerk, engineer, make_user):
    """django-fsm leaves `permission=` to the caller; apply_transition enforces it."""
    ticket = TicketFactory()
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "assign", actor=engineer, assignee=engineer)
    ticket.refresh_from_db()
    assert ticket.state == S.NEW and not ticket.events.exists()


def test_only_the_assigned_engineer_works_the_ticket(clerk, engineer, make_user):
    other = make_user("engineer", "other")
    ticket = run(TicketFactory(), "assign", clerk, assignee=engineer)
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "start", actor=other)
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "start", actor=clerk)
    run(ticket, "start", engineer)


def test_manager_may_step_in_on_any_ticket(clerk, engineer, manager):
    ticket = run(TicketFactory(), "assign", clerk, assignee=engineer)
    run(ticket, "start", manager)
    assert ticket.state == S.IN_PROGRESS


def test_cannot_resolve_without_a_solution(clerk, engineer):
    ticket = run(run(TicketFactory(), "assign", clerk, assignee=engineer), "start", engineer)
    with pytest.raises(ValidationError, match="solution"):
        apply_transition(ticket, "resolve", actor=engineer)


def test_wrong_state_is_refused_with_a_clear_message(engineer):
    ticket = TicketFactory()
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(ticket, "resolve", actor=engineer)


def _resolved(clerk, engineer, **kwargs):
    ticket = run(run(TicketFactory(**kwargs), "assign", clerk, assignee=engineer), "start",
                 engineer)
    ticket.solution = "已修复"
    ticket.save()
    return run(ticket, "resolve", engineer)


def test_engineer_cannot_close_an_unconfirmed_ticket(clerk, engineer):
    ticket = _resolved(clerk, engineer)
    assert "close" not in available_transitions(ticket, engineer)
    with pytest.raises(ValidationError):
        apply_transition(ticket, "close", actor=engineer)
    run(ticket, "confirm", clerk, confirmed_by="客户", satisfaction=4)  # never the assignee
    run(ticket, "close", engineer)
    assert ticket.state == S.CLOSED


def test_reopen_when_customer_not_satisfied(clerk, engineer):
    ticket = _resolved(clerk, engineer)
    run(ticket, "reopen", clerk, note="客户反馈问题仍然存在")
    assert ticket.state == S.IN_PROGRESS and ticket.resolved_at is None


def test_escalation_raises_the_support_level_up_to_three(clerk, engineer, make_user):
    expert = make_user("engineer", "expert")
    ticket = run(TicketFactory(), "assign", clerk, assignee=engineer)
    run(ticket, "escalate", engineer, assignee=expert)
    assert ticket.support_level == 2 and ticket.assignee == expert
    run(ticket, "escalate", expert)
    assert ticket.support_level == 3
    with pytest.raises(ValidationError, match="highest support level"):
        apply_transition(ticket, "escalate", actor=expert)


def test_requirement_goes_to_the_business_manager(clerk, engineer, business):
    ticket = TicketFactory(category=wf.Category.REQUIREMENT)
    run(ticket, "refer_requirement", clerk)
    assert ticket.state == S.REQUIREMENT_REVIEW
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "evaluate_requirement", actor=clerk, decision="change",
                         chargeable=True)
    run(ticket, "evaluate_requirement", business, decision="custom", chargeable=True,
        effort_days=5, approach="定制开发", assignee=engineer)
    assert ticket.state == S.IN_PROGRESS
    assert ticket.requirement_chargeable is True and ticket.requirement_decision == "custom"


def test_only_requirements_can_be_referred_to_business(clerk):
    with pytest.raises(ValidationError, match="new requirement"):
        apply_transition(TicketFactory(), "refer_requirement", actor=clerk)


def test_only_the_after_sales_manager_handles_complaints(clerk, engineer, manager):
    ticket = TicketFactory(category=wf.Category.COMPLAINT)
    with pytest.raises(ValidationError, match="after-sales manager"):
        apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    run(ticket, "refer_complaint", clerk)
    assert ticket.state == S.COMPLAINT_HANDLING
    with pytest.raises(ValidationError, match="cause"):
        apply_transition(ticket, "resolve_complaint", actor=manager)
    ticket.complaint_cause = "未按约定时间上门"
    ticket.complaint_plan = "道歉并赠送一个月服务"
    ticket.save()
    for outsider in (clerk, engineer):
        with pytest.raises(PermissionDenied):
            apply_transition(ticket, "resolve_complaint", actor=outsider)
    run(ticket, "resolve_complaint", manager)
    assert ticket.state == S.RESOLVED
    run(ticket, "reopen_complaint", clerk, note="客户不满意")
    assert ticket.state == S.COMPLAINT_HANDLING


def test_cancel_needs_the_right(clerk, engineer):
    ticket = TicketFactory()
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "cancel", actor=engineer)
    run(ticket, "cancel", clerk, note="重复报修")
    assert ticket.state == S.CANCELLED


def test_failed_transition_body_rolls_back_state_and_journal(clerk, engineer):
    ticket = TicketFactory()
    with pytest.raises(TypeError):
        apply_transition(ticket, "assign", actor=clerk)  # assignee missing
    assert Ticket.objects.get(pk=ticket.pk).state == S.NEW
    assert not ticket.events.exists()


def test_concurrent_transition_exactly_one_wins(clerk, engineer, make_user):
    other = make_user("engineer", "other")
    ticket = TicketFactory()
    first = Ticket.objects.get(pk=ticket.pk)
    second = Ticket.objects.get(pk=ticket.pk)
    apply_transition(first, "assign", actor=clerk, assignee=engineer)
    with pytest.raises(ValidationError, match="Someone else"):
        apply_transition(second, "assign", actor=clerk, assignee=other)
    ticket.refresh_from_db()
    assert ticket.assignee == engineer and ticket.events.count() == 1


def test_numbers_are_human_readable_and_unique():
    a, b = TicketFactory(), TicketFactory()
    assert a.number.startswith("SR") and a.number != b.number
    assert a.number[:8] == b.number[:8]


def test_queryset_update_cannot_change_the_state():
    """Pitfall 7: a bulk update would bypass permission, journal and history."""
    ticket = TicketFactory()
    with pytest.raises(TypeError, match="apply_transition"):
        Ticket.objects.filter(pk=ticket.pk).update(state=S.CLOSED)
    assert Ticket.objects.get(pk=ticket.pk).state == S.NEW
    Ticket.objects.filter(pk=ticket.pk).update(subject="其他字段照常")  # other fields: fine


def test_refresh_from_db_works_on_the_protected_state(clerk, engineer):
    """Pitfall 4: refresh_from_db must reload a protected FSM field."""
    ticket = TicketFactory()
    other = Ticket.objects.get(pk=ticket.pk)
    apply_transition(other, "assign", actor=clerk, assignee=engineer)
    ticket.refresh_from_db()
    assert ticket.state == S.ASSIGNED
