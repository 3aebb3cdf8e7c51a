"""The clerk's KPIs (seed 001 §4, seed 002) on a hand-built March 2026: time from the call
to forwarding, first-call answers, follow-up calls on time and spot-check scores; targets
per role; the clerk's appraisal made by the period like an engineer's."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from backoffice.care.models import FollowUp
from backoffice.care.workflows import FollowUpStatus
from backoffice.desk import services as desk_services
from backoffice.desk import workflows as dwf
from backoffice.platform.workflow import apply_transition
from tests.conftest import aware
from tests.factories import TicketFactory
from training import selectors, services
from training.models import Appraisal, AppraisalPeriod, KpiTarget
from training.workflows import AppraisalRole

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
C = dwf.Category


def recorded(clerk, received, **fields):
    with time_machine.travel(received, tick=False):
        return TicketFactory(recorded_by=clerk, received_at=received, **fields)


def step(ticket, name, at, actor, **kwargs):
    """A workflow step run at ``at`` (the journal's time is the step's)."""
    with time_machine.travel(at, tick=False):
        ticket.refresh_from_db()
        apply_transition(ticket, name, actor=actor, **kwargs)


def followup(clerk, ticket, due, state=FollowUpStatus.OPEN, done_at=None):
    return FollowUp.objects.create(ticket=ticket, customer=ticket.customer, assignee=clerk,
                                   due_on=due, state=state, done_at=done_at,
                                   done_by=clerk if done_at else None)


def call(ticket, who, at):
    return desk_services.post_message(ticket, direction=dwf.MessageDirection.FROM_CUSTOMER,
                                      channel=dwf.Channel.PHONE, body="来电", author=who,
                                      sent_at=at, check_author=False)


@pytest.fixture
def clerks_march(clerk, engineer, manager, make_user):
    """The clerk's March; comments say what each record counts for."""
    other = make_user("clerk", "clerk_b")
    # forwarded 20 minutes after the call
    t1 = recorded(clerk, aware(2026, 3, 2, 9))
    step(t1, "assign", aware(2026, 3, 2, 9, 20), clerk, assignee=engineer)
    # forwarded after 40 minutes; the reassignment later does not count again
    t2 = recorded(clerk, aware(2026, 3, 5, 14))
    step(t2, "assign", aware(2026, 3, 5, 14, 40), clerk, assignee=engineer)
    step(t2, "assign", aware(2026, 3, 5, 15, 30), clerk, assignee=engineer)
    # a complaint referred to the manager after 30 minutes
    t3 = recorded(clerk, aware(2026, 3, 9, 10), category=C.COMPLAINT)
    step(t3, "refer_complaint", aware(2026, 3, 9, 10, 30), clerk)
    # a consultation answered on the first call: a question, answered at once
    t4 = recorded(clerk, aware(2026, 3, 10, 11), category=C.CONSULTATION)
    step(t4, "resolve_on_first_contact", aware(2026, 3, 10, 11, 5), clerk,
         answer="在系统设置里打开即可")
    # a usage question forwarded to an engineer after an hour: a question, not answered
    t5 = recorded(clerk, aware(2026, 3, 12, 9), category=C.OPERATION)
    step(t5, "assign", aware(2026, 3, 12, 10), clerk, assignee=engineer)
    # received in February: not March's
    t6 = recorded(clerk, aware(2026, 2, 27, 9))
    step(t6, "assign", aware(2026, 3, 2, 9), clerk, assignee=engineer)
    # cancelled: left out; another clerk's: theirs
    t7 = recorded(clerk, aware(2026, 3, 15, 9), category=C.CONSULTATION)
    step(t7, "cancel", aware(2026, 3, 15, 9, 10), clerk, note="重复来电")
    t8 = recorded(other, aware(2026, 3, 3, 9))
    step(t8, "assign", aware(2026, 3, 3, 12), other, assignee=engineer)
    # follow-up calls: on time, late, given up on its day, still open, cancelled, April's
    followup(clerk, t1, dt.date(2026, 3, 3), FollowUpStatus.DONE, aware(2026, 3, 3, 16))
    followup(clerk, t2, dt.date(2026, 3, 10), FollowUpStatus.DONE, aware(2026, 3, 11, 9))
    followup(clerk, t3, dt.date(2026, 3, 20), FollowUpStatus.UNREACHABLE,
             aware(2026, 3, 20, 17))
    followup(clerk, t4, dt.date(2026, 3, 25))
    followup(clerk, t5, dt.date(2026, 3, 15), FollowUpStatus.CANCELLED)
    followup(clerk, t6, dt.date(2026, 4, 1), FollowUpStatus.DONE, aware(2026, 4, 1, 9))
    # spot checks of the clerk's calls: two in March (80, 90), one of February's (40)
    for ticket, at, score in [(t1, aware(2026, 3, 4, 10), 80), (t2, aware(2026, 3, 18, 15), 90),
                              (t6, aware(2026, 2, 27, 9, 5), 40)]:
        desk_services.spot_check_record(message=call(ticket, clerk, at), score=score,
                                        comment="抽查", actor=manager)
    return clerk


def test_a_clerks_month_gives_the_figures(clerks_march):
    counts = selectors.ticket_kpis(MARCH)[clerks_march.pk]
    assert (counts.forwarded, counts.forward_seconds) == (4, (20 + 40 + 30 + 60) * 60)
    assert (counts.questions, counts.answered_first) == (2, 1)
    assert (counts.followups_due, counts.followups_on_time) == (4, 2)
    assert (counts.spot_checks, counts.spot_check_sum) == (2, 170)
    figures = counts.figures
    assert figures["avg_forward_minutes"] == Decimal("37.50")  # 150 min / 4
    assert figures["first_contact_share"] == Decimal("50.00")  # 1 of 2 questions
    assert figures["followup_on_time_share"] == Decimal("50.00")  # 2 of 4 due
    assert figures["spot_check_score"] == Decimal("85.00")  # (80 + 90) / 2


def test_the_period_makes_the_clerks_appraisal_judged_by_the_clerks_targets(
        clerks_march, engineer, manager, client):
    KpiTarget.objects.create(role=AppraisalRole.CLERK, kpi="avg_forward_minutes",
                             target=Decimal("40"))
    KpiTarget.objects.create(role=AppraisalRole.ENGINEER, kpi="avg_response_hours",
                             target=Decimal("1"))
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    mine = Appraisal.objects.get(period=period, employee=clerks_march)
    assert mine.role == AppraisalRole.CLERK
    assert (mine.calls_forwarded, mine.forward_seconds, mine.spot_checks) == (4, 9000, 2)
    assert mine.targets == {"avg_forward_minutes": "40.00", "first_contact_share": "50.00",
                            "followup_on_time_share": "95.00", "spot_check_score": "80.00"}
    met = {kpi: m for kpi, _label, _v, _t, m in mine.kpi_results()}
    assert met == {"avg_forward_minutes": True,  # 37.5 <= 40 (the clerk's own target)
                   "first_contact_share": True, "followup_on_time_share": False,
                   "spot_check_score": True}
    engineers = Appraisal.objects.get(period=period, employee=engineer)
    assert engineers.role == AppraisalRole.ENGINEER
    assert engineers.targets["avg_response_hours"] == "1.00"
    assert "avg_forward_minutes" not in engineers.targets
    # the page shows the clerk's KPIs with their definitions, and the spot checks linked
    client.force_login(manager)
    html = client.get(reverse("admin:training_appraisal_change",
                              args=[mine.pk])).content.decode()
    for kpi in ("avg_forward_minutes", "first_contact_share", "followup_on_time_share",
                "spot_check_score"):
        assert f'data-definition="{kpi}"' in html
        assert escape(str(selectors.KPI_DEFINITIONS[kpi])) in html
    assert 'data-definition="resolution_rate"' not in html
    listing = (reverse("admin:backoffice_callspotcheck_changelist")
               + f"?agent__id__exact={clerks_march.pk}&amp;month=2026-03")
    assert f'href="{listing}">2</a>' in html
    rows = client.get(listing.replace("&amp;", "&"))
    assert rows.context["cl"].result_count == 2


def test_the_clerk_never_reviews_their_own_appraisal(clerks_march, manager, client):
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    mine = Appraisal.objects.get(period=period, employee=clerks_march)
    client.force_login(clerks_march)
    html = client.get(reverse("admin:training_appraisal_change",
                              args=[mine.pk])).content.decode()
    assert 'name="manager_score"' not in html and "Complete review" not in html
    assert 'data-definition="spot_check_score"' in html


def test_targets_are_one_per_role_and_kpi(manager, client):
    services.ensure_default_targets()
    assert set(KpiTarget.objects.filter(role="clerk").values_list("kpi", flat=True)) == {
        "avg_forward_minutes", "first_contact_share", "followup_on_time_share",
        "spot_check_score"}
    client.force_login(manager)
    add = reverse("admin:training_kpitarget_add")
    # the same KPI for another role is another target; a second one for a role is refused
    response = client.post(add, {"role": "clerk", "kpi": "avg_forward_minutes",
                                 "target": "20"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    response = client.post(add, {"role": "clerk", "kpi": "resolution_rate", "target": "90"})
    assert response.status_code == 200
    assert "not one of the role" in response.content.decode()
    # minutes are not a percentage: a target above 100 is fine
    target = KpiTarget.objects.get(role="clerk", kpi="avg_forward_minutes")
    target.target = Decimal("120")
    target.full_clean()
    assert KpiTarget.objects.filter(kpi="avg_forward_minutes").count() == 1


def test_generation_queries_stay_flat_with_clerks(manager, make_user, engineer,
                                                  django_assert_max_num_queries):
    for i in range(12):
        clerk = make_user("clerk", f"desk{i}")
        ticket = TicketFactory(recorded_by=clerk, received_at=aware(2026, 3, 3, 10))
        apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
        followup(clerk, ticket, dt.date(2026, 3, 4))
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.ensure_default_targets()
    with django_assert_max_num_queries(20):
        services.appraisals_generate(period=period, actor=manager)
    assert Appraisal.objects.filter(role="clerk").count() == 12
