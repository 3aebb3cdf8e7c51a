"""The training demo loads on top of the service desk's demo, once."""

import pytest

from backoffice.desk import demo as desk_demo
from backoffice.platform.demo import ensure_users
from training import demo
from training.models import Appraisal, AppraisalPeriod, SessionAttendee, TrainingPlan
from training.workflows import AppraisalStatus, TrainingPlanStatus, TrainingSessionStatus

pytestmark = pytest.mark.django_db


def test_demo_loads_a_plan_sessions_and_three_months_of_appraisals(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = ensure_users()
    desk_demo.load(users, ticket_count=60)
    demo.load(users=users)
    plan = TrainingPlan.objects.get()
    assert plan.state == TrainingPlanStatus.APPROVED and plan.items.count() == 8
    assert plan.items.filter(needs__isnull=False).distinct().count() == 8
    held = plan.items.filter(sessions__state=TrainingSessionStatus.HELD)
    if held.exists():  # sessions in the past (depends on today's date)
        assert SessionAttendee.objects.filter(exam_score__isnull=False).exists()
    assert AppraisalPeriod.objects.count() == 3
    states = set(Appraisal.objects.values_list("state", flat=True))
    assert AppraisalStatus.DRAFT in states and AppraisalStatus.ACKNOWLEDGED in states
    assert Appraisal.objects.filter(employee__username="engineer").count() == 3
    assert all(a.events.exists() for a in Appraisal.objects.exclude(state=AppraisalStatus.DRAFT))
    demo.load(users=users)  # idempotent
    assert TrainingPlan.objects.count() == 1 and AppraisalPeriod.objects.count() == 3
