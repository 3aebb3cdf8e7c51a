"""Appraisals: review, objection, acknowledgement; recomputation only in draft."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.desk import workflows as dwf
from backoffice.platform.workflow import apply_transition, available_transitions
from tests.conftest import aware
from tests.factories import TicketFactory
from training import services
from training.models import Appraisal, AppraisalPeriod
from training.workflows import AppraisalSource, Outcome
from training.workflows import AppraisalStatus as A

from .factories import AppraisalFactory

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


def run(obj, name, actor, **kw):
    apply_transition(obj, name, actor=actor, **kw)
    obj.refresh_from_db()
    return obj


def scored(appraisal, score=85, outcome=Outcome.REWARD):
    appraisal.manager_score = score
    appraisal.outcome = outcome
    appraisal.spot_check_notes = "抽查服务记录3份、通话录音2段，规范"
    appraisal.save()
    return appraisal


def test_full_appraisal_flow(engineer, manager):
    appraisal = scored(AppraisalFactory(employee=engineer))
    run(appraisal, "review", manager, note="本月表现良好")
    assert appraisal.state == A.REVIEWED and appraisal.reviewed_by == manager
    assert "acknowledge" in available_transitions(appraisal, engineer)
    run(appraisal, "acknowledge", engineer, employee_comment="收到，继续努力")
    assert appraisal.state == A.ACKNOWLEDGED
    assert appraisal.employee_comment == "收到，继续努力" and appraisal.acknowledged_at
    assert list(appraisal.events.order_by("created_at", "id").values_list("action", flat=True)) \
        == ["review", "acknowledge"]
    assert appraisal.history.first().history_user == engineer


def test_review_needs_score_outcome_and_figures(manager, engineer):
    appraisal = AppraisalFactory(employee=engineer)
    with pytest.raises(ValidationError) as err:
        apply_transition(appraisal, "review", actor=manager)
    assert "score" in str(err.value) and "outcome" in str(err.value)
    blank = scored(AppraisalFactory(employee=engineer, period__month=dt.date(2026, 4, 1),
                                    computed_at=None))
    with pytest.raises(ValidationError, match="figures"):
        apply_transition(blank, "review", actor=manager)


def test_only_a_manager_reviews_and_never_their_own(engineer, manager, make_user, trainer):
    appraisal = scored(AppraisalFactory(employee=engineer))
    for outsider in (engineer, trainer):
        with pytest.raises(PermissionDenied):
            apply_transition(appraisal, "review", actor=outsider)
    own = scored(AppraisalFactory(employee=manager))
    with pytest.raises(PermissionDenied):
        apply_transition(own, "review", actor=manager)
    run(own, "review", make_user("manager", "director"))


def test_only_the_employee_acknowledges_or_objects(engineer, manager, make_user):
    appraisal = run(scored(AppraisalFactory(employee=engineer)), "review", manager)
    colleague = make_user("engineer", "colleague")
    for outsider in (colleague, manager):
        with pytest.raises(PermissionDenied):
            apply_transition(appraisal, "acknowledge", actor=outsider)
        with pytest.raises(PermissionDenied):
            apply_transition(appraisal, "dispute", actor=outsider, note="x")
    run(appraisal, "dispute", engineer, note="3月12日的工单是客户原因延误")
    assert appraisal.state == A.DRAFT
    assert appraisal.events.get(action="dispute").note.startswith("3月12日")


def test_manager_reopens_a_review(engineer, manager):
    appraisal = run(scored(AppraisalFactory(employee=engineer)), "review", manager)
    run(appraisal, "reopen", manager, note="补充抽查结果")
    assert appraisal.state == A.DRAFT and appraisal.reviewed_at is None
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(appraisal, "acknowledge", actor=engineer)


def test_acknowledged_is_final(engineer, manager):
    appraisal = run(run(scored(AppraisalFactory(employee=engineer)), "review", manager),
                    "acknowledge", engineer)
    assert available_transitions(appraisal, manager) == []
    assert available_transitions(appraisal, engineer) == []


def test_recompute_only_in_draft(engineer, manager):
    TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10),
                  state=dwf.TicketStatus.RESOLVED, resolved_at=aware(2026, 3, 4, 10))
    appraisal = scored(AppraisalFactory(employee=engineer, tickets_received=99,
                                        resolution_rate=Decimal("1.00")))
    services.appraisal_recompute(appraisal=appraisal, actor=manager)
    appraisal.refresh_from_db()
    assert (appraisal.tickets_received, appraisal.resolution_rate) == (1, Decimal("100.00"))
    assert appraisal.manager_score == 85  # the manager's part is kept
    assert appraisal.history.first().history_change_reason == "recomputed"
    run(appraisal, "review", manager)
    with pytest.raises(ValidationError, match="Only draft"):
        services.appraisal_recompute(appraisal=appraisal, actor=manager)


def test_recompute_needs_the_manager(engineer):
    appraisal = AppraisalFactory(employee=engineer)
    with pytest.raises(PermissionDenied):
        services.appraisal_recompute(appraisal=appraisal, actor=engineer)


def test_generation_leaves_reviewed_and_imported_alone(engineer, manager, make_user):
    other = make_user("engineer", "other")
    period = AppraisalPeriod.objects.create(month=MARCH)
    reviewed = run(scored(AppraisalFactory(period=period, employee=engineer,
                                           tickets_received=50)), "review", manager)
    imported = AppraisalFactory(period=period, employee=other, source=AppraisalSource.IMPORTED,
                                computed_at=None, tickets_received=7)
    result = services.appraisals_generate(period=period, actor=manager)
    assert {a.pk for a in result.skipped} == {reviewed.pk, imported.pk}
    reviewed.refresh_from_db()
    imported.refresh_from_db()
    assert reviewed.tickets_received == 50 and imported.tickets_received == 7
    # recomputing the imported draft explicitly turns it into a computed one
    services.appraisal_recompute(appraisal=imported, actor=manager)
    imported.refresh_from_db()
    assert imported.source == AppraisalSource.COMPUTED and imported.tickets_received == 0


def test_generation_twice_recomputes_drafts_and_bumps_version(engineer, manager):
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    appraisal = Appraisal.objects.get(employee=engineer)
    assert appraisal.tickets_received == 0
    TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10))
    result = services.appraisals_generate(period=period, actor=manager)
    assert [a.pk for a in result.updated] == [appraisal.pk]
    fresh = Appraisal.objects.get(pk=appraisal.pk)
    assert fresh.tickets_received == 1 and fresh.version == appraisal.version + 1
    assert fresh.history.count() == 2
    # a form opened before the recomputation cannot overwrite it
    appraisal.spot_check_notes = "旧页面"
    with pytest.raises(Exception, match="changed by someone else"):
        appraisal.save()


def test_generate_needs_the_manager(engineer):
    period = AppraisalPeriod.objects.create(month=MARCH)
    with pytest.raises(PermissionDenied):
        services.appraisals_generate(period=period, actor=engineer)
    assert not Appraisal.objects.exists()


def test_period_is_stored_as_the_first_of_the_month():
    period = AppraisalPeriod.objects.create(month=dt.date(2026, 5, 17))
    assert period.month == dt.date(2026, 5, 1) and str(period) == "2026-05"


def test_compute_appraisals_command(engineer, manager):
    from io import StringIO

    from django.core.management import CommandError, call_command

    TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10))
    out = StringIO()
    call_command("compute_appraisals", "2026-03", "--as", "manager", stdout=out)
    assert "2026-03: 1 created" in out.getvalue()
    assert Appraisal.objects.get(employee=engineer).tickets_received == 1
    with pytest.raises(CommandError, match="after-sales manager"):
        call_command("compute_appraisals", "2026-03", "--as", "engineer")
    with pytest.raises(CommandError, match="2026-03"):
        call_command("compute_appraisals", "March", "--as", "manager")
