"""Sessions: held or cancelled; results, pass rate, coaching flags, the plan summary."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.platform.workflow import apply_transition
from training import selectors
from training.models import SessionAttendee, TrainingSession
from training.workflows import PracticalResult
from training.workflows import TrainingSessionStatus as SS

from .factories import (
    ContactAttendeeFactory,
    StaffAttendeeFactory,
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
def approved_item(trainer, manager):
    plan = TrainingPlanFactory(prepared_by=trainer)
    item = TrainingPlanItemFactory(plan=plan, pass_mark=Decimal("60"),
                                   budget_estimate=Decimal("5000.00"))
    run(plan, "submit", trainer)
    run(plan, "approve", manager)
    return item


def test_session_takes_its_defaults_from_the_item(approved_item):
    session = TrainingSessionFactory(plan_item=approved_item)
    assert session.title == approved_item.title
    assert session.method == approved_item.method
    assert session.trainer_name == "外聘讲师"
    assert session.number.startswith("TS")


def test_hold_needs_approval_start_and_attendance(trainer, manager):
    draft_item = TrainingPlanItemFactory()
    session = TrainingSessionFactory(plan_item=draft_item)
    StaffAttendeeFactory(session=session, attended=True)
    with pytest.raises(ValidationError, match="not approved"):
        apply_transition(session, "hold", actor=trainer)


def test_hold_refused_before_the_start_and_without_attendance(trainer, approved_item):
    future = TrainingSessionFactory(plan_item=approved_item,
                                    starts_at=timezone.now() + dt.timedelta(days=2))
    StaffAttendeeFactory(session=future, attended=True)
    with pytest.raises(ValidationError, match="not started"):
        apply_transition(future, "hold", actor=trainer)
    nobody = TrainingSessionFactory(plan_item=approved_item)
    StaffAttendeeFactory(session=nobody)  # invited, attendance not taken
    with pytest.raises(ValidationError, match="present"):
        apply_transition(nobody, "hold", actor=trainer)


def test_hold_and_cancel_permissions(trainer, engineer, manager, approved_item):
    session = TrainingSessionFactory(plan_item=approved_item)
    StaffAttendeeFactory(session=session, attended=True)
    for outsider in (engineer, manager):
        with pytest.raises(PermissionDenied):
            apply_transition(session, "hold", actor=outsider)
    run(session, "hold", trainer)
    assert session.state == SS.HELD and session.held_at is not None
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(session, "cancel", actor=trainer, note="x")


def test_cancel_with_reason(trainer, approved_item):
    session = TrainingSessionFactory(plan_item=approved_item)
    run(session, "cancel", trainer, note="场地不可用")
    assert session.state == SS.CANCELLED
    assert session.events.get().note == "场地不可用"


def test_attendee_is_a_contact_or_a_staff_member_never_both(approved_item, engineer):
    session = TrainingSessionFactory(plan_item=approved_item)
    contact = ContactAttendeeFactory(session=session).contact
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionAttendee.objects.create(session=session, contact=contact, staff=engineer)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionAttendee.objects.create(session=session, contact=contact)  # twice


def test_results_need_presence(approved_item):
    attendee = StaffAttendeeFactory.build(
        session=TrainingSessionFactory(plan_item=approved_item), attended=False,
        exam_score=Decimal("80"))
    attendee.staff.save()
    attendee.staff_id = attendee.staff.pk
    with pytest.raises(ValidationError) as err:
        attendee.full_clean()
    assert "attended" in err.value.message_dict


def _results(session):
    """Six attendees: the figures below are worked out by hand (pass mark 60)."""
    rows = [
        # attended, exam, practical, survey
        (True, Decimal("90"), PracticalResult.PASSED, 5),   # passed
        (True, Decimal("60"), "", 4),                       # passed (exactly the mark)
        (True, Decimal("59.5"), "", 3),                     # below the mark -> coaching
        (True, Decimal("85"), PracticalResult.FAILED, 2),   # practical failed -> coaching
        (True, None, "", None),                             # present, not evaluated
        (False, None, "", None),                            # absent
    ]
    for attended, exam, practical, survey in rows:
        StaffAttendeeFactory(session=session, attended=attended, exam_score=exam,
                             practical_result=practical, survey_rating=survey)


def test_session_averages_and_pass_rate(trainer, approved_item, django_assert_num_queries):
    session = TrainingSessionFactory(plan_item=approved_item)
    _results(session)
    with django_assert_num_queries(1):
        s = selectors.session_with_results(TrainingSession.objects.filter(pk=session.pk)).get()
    assert (s.attendee_count, s.attended_count) == (6, 5)
    assert (s.evaluated_count, s.passed_count, s.coaching_count) == (4, 2, 2)
    assert s.pass_rate == pytest.approx(50.0)
    # exam average over the present with a score: (90 + 60 + 59.5 + 85) / 4 = 73.625
    assert float(s.avg_exam) == pytest.approx(73.625)
    # survey: (5 + 4 + 3 + 2) / 4 = 3.5
    assert float(s.avg_survey) == pytest.approx(3.5)


def test_coaching_flags_and_their_follow_up(approved_item):
    session = TrainingSessionFactory(plan_item=approved_item)
    _results(session)
    flagged = SessionAttendee.objects.filter(selectors.coaching_pending_q())
    assert sorted(float(a.exam_score) for a in flagged) == [59.5, 85.0]
    annotated = {a.pk: a for a in selectors.attendee_with_outcome(SessionAttendee.objects.all())}
    assert sum(a.needs_coaching for a in annotated.values()) == 2
    first = flagged.first()
    first.coached_on = timezone.localdate()
    first.save()
    assert SessionAttendee.objects.filter(selectors.coaching_pending_q()).count() == 1


def test_plan_effectiveness_summary(trainer, approved_item, django_assert_max_num_queries):
    plan = approved_item.plan
    other = TrainingPlanItemFactory(plan=plan, budget_estimate=Decimal("1000.00"))
    held = TrainingSessionFactory(plan_item=approved_item, actual_cost=Decimal("4200.00"))
    _results(held)
    run(held, "hold", trainer)
    TrainingSessionFactory(plan_item=approved_item)  # still planned
    cancelled = TrainingSessionFactory(plan_item=other)
    run(cancelled, "cancel", trainer, note="取消")
    with django_assert_max_num_queries(3):
        rows, total = selectors.plan_effectiveness(plan)
    first, second = rows
    assert (first.sessions_held, first.sessions_planned, first.sessions_cancelled) == (1, 1, 0)
    assert (first.invited, first.attended, first.evaluated, first.passed) == (6, 5, 4, 2)
    assert first.pass_rate == pytest.approx(50.0) and first.coaching == 2
    assert first.actual_cost == Decimal("4200.00")
    assert second.sessions_cancelled == 1 and second.attended == 0
    assert total.sessions_held == 1 and total.passed == 2
    assert total.avg_exam == pytest.approx(73.625)
    assert total.avg_survey == pytest.approx(3.5)
