"""``manage.py generate_data``: the training app's synthetic volume on top of the desk's."""

import pytest

from backoffice.desk import generate as desk_generate
from training import generate
from training.models import (
    Appraisal,
    AppraisalPeriod,
    SessionAttendee,
    TrainingPlan,
    TrainingSession,
)
from training.workflows import AppraisalStatus, TrainingSessionStatus

pytestmark = pytest.mark.django_db


def test_generate_periods_appraisals_and_plans(django_assert_max_num_queries):
    desk_generate.generate(tickets=300, years=1)
    result = generate.generate(scale=300)

    periods = AppraisalPeriod.objects.count()
    assert periods >= 6 and result["periods"] == periods
    months_with_appraisals = (Appraisal.objects.values("period").distinct().count())
    assert months_with_appraisals == periods
    assert set(Appraisal.objects.values_list("state", flat=True)) == {AppraisalStatus.DRAFT}
    # every generated engineer has one appraisal per month
    engineers = Appraisal.objects.filter(employee__username__startswith="gen_engineer")
    assert engineers.count() == 12 * periods
    # the figures are computed from the tickets, not left empty
    with_figures = engineers.filter(tickets_received__gt=0, resolution_rate__isnull=False)
    assert with_figures.values("period").distinct().count() >= periods // 2
    assert engineers.filter(satisfaction_mean__isnull=False).exists()
    assert engineers.filter(avg_response_hours__gt=0).exists()
    assert all(a.targets for a in engineers[:5])

    plans = TrainingPlan.objects.all()
    assert plans.count() == result["plans"] >= 1
    assert all(p.items.count() >= 3 for p in plans)
    assert TrainingSession.objects.count() == result["sessions"] > 0
    if TrainingSession.objects.filter(state=TrainingSessionStatus.HELD).exists():
        assert SessionAttendee.objects.filter(exam_score__isnull=False).exists()
    # no history rows for synthetic volume
    assert not Appraisal.history.exists() and not TrainingPlan.history.exists()

    # idempotent, and five KPI queries per month (tickets, level clock, the front desk,
    # follow-ups, spot checks; plus a handful of fixed ones)
    appraisals = Appraisal.objects.count()
    with django_assert_max_num_queries(5 * periods + 20):
        again = generate.generate(scale=300)
    assert again["appraisals"] == 0 and again["plans"] == 0
    assert Appraisal.objects.count() == appraisals
