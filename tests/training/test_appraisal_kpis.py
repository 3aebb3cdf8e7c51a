"""Appraisal KPIs on a hand-built March 2026, with every expected figure worked out here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import workflows as dwf
from tests.conftest import aware
from tests.factories import TicketFactory
from training import selectors, services
from training.models import Appraisal, AppraisalPeriod, KpiTarget
from training.workflows import AppraisalSource, AppraisalStatus

pytestmark = pytest.mark.django_db
S = dwf.TicketStatus
MARCH = dt.date(2026, 3, 1)

FULL_RECORD = {"diagnosis": "日志定位", "process": "远程修复", "solution": "更新补丁",
               "customer_feedback": "满意", "confirmed_by": "王建国"}


def ticket(assignee, received, **fields):
    return TicketFactory(assignee=assignee, received_at=received, **fields)


def first_call(clerk, resolved, **fields):
    """A consultation the clerk answered on the first call: no engineer."""
    fields.setdefault("state", S.RESOLVED)
    return TicketFactory(category=dwf.Category.CONSULTATION, received_at=resolved,
                         resolved_at=resolved, resolved_by=clerk, first_contact_resolution=True,
                         solution="在系统设置里打开即可", **fields)


@pytest.fixture
def march(engineer, make_user, clerk):
    """Engineer A (``engineer``) gets ten tickets around March; engineer B one; the clerk
    one, and answers two questions on the first call; clerk C only answers one on the
    first call; engineer D none. Comments give what each ticket counts for in March."""
    a = engineer
    b = make_user("engineer", "engineer_b")
    d = make_user("engineer", "engineer_d")
    c = make_user("clerk", "clerk_c")
    # 1 received, resolved, rated 5, closed with a complete record; 0.5 h, in time
    ticket(a, aware(2026, 3, 2, 10), state=S.CLOSED, resolved_at=aware(2026, 3, 3, 11),
           closed_at=aware(2026, 3, 5, 9), confirmed_at=aware(2026, 3, 4, 9), satisfaction=5,
           first_response_seconds=1800, response_met=True, **FULL_RECORD)
    # 2 received, resolved, rated 3, closed without customer feedback; 2 h, late
    ticket(a, aware(2026, 3, 10, 14), state=S.CLOSED, resolved_at=aware(2026, 3, 11, 10),
           closed_at=aware(2026, 3, 12, 10), confirmed_at=aware(2026, 3, 12, 9), satisfaction=3,
           first_response_seconds=7200, response_met=False,
           **{**FULL_RECORD, "customer_feedback": ""})
    # 3 received, still in progress; 1 h, in time
    ticket(a, aware(2026, 3, 20, 9), state=S.IN_PROGRESS, first_response_seconds=3600,
           response_met=True)
    # 4 received in February, resolved 1 March 09:00, rated 4; its response is February's
    ticket(a, aware(2026, 2, 25, 9), state=S.RESOLVED, resolved_at=aware(2026, 3, 1, 9),
           satisfaction=4, first_response_seconds=99999, response_met=False)
    # 5 received in March but cancelled: counts for nothing (closed_at is not a closing)
    ticket(a, aware(2026, 3, 15, 9), state=S.CANCELLED, closed_at=aware(2026, 3, 16, 9))
    # 6 received, not answered yet
    ticket(a, aware(2026, 3, 28, 9), state=S.NEW)
    # 7 received on the last evening of the month (local time)
    ticket(a, aware(2026, 3, 31, 23, 30), state=S.ASSIGNED)
    # 8 received at the first instant of April: not March
    ticket(a, aware(2026, 4, 1, 0, 0), state=S.ASSIGNED, first_response_seconds=60,
           response_met=True)
    # 9 received in March, answered in 1.5 h (in time), resolved in April
    ticket(a, aware(2026, 3, 5, 9), state=S.RESOLVED, resolved_at=aware(2026, 4, 2, 9),
           satisfaction=1, first_response_seconds=5400, response_met=True)
    # 10 received in January, resolved in February (rated 2 then), closed 2 March with a
    #    diagnosis of blanks: counts as closed, incomplete
    ticket(a, aware(2026, 1, 20, 9), state=S.CLOSED, resolved_at=aware(2026, 2, 27, 9),
           closed_at=aware(2026, 3, 2, 9), confirmed_at=aware(2026, 2, 28, 9), satisfaction=2,
           **{**FULL_RECORD, "diagnosis": "   "})
    # B: one perfect ticket, answered in 10 minutes
    ticket(b, aware(2026, 3, 9, 10), state=S.CLOSED, resolved_at=aware(2026, 3, 9, 15),
           closed_at=aware(2026, 3, 10, 9), confirmed_at=aware(2026, 3, 10, 8), satisfaction=5,
           first_response_seconds=600, response_met=True, **FULL_RECORD)
    # the clerk had one ticket assigned (not an engineer, still appraised)
    ticket(clerk, aware(2026, 3, 3, 10), state=S.ASSIGNED)
    # the clerk answers two questions on the first call in March (one confirmed, rated 5
    # by the customer's link: still nobody's satisfaction) and one in February
    first_call(clerk, aware(2026, 3, 4, 10), state=S.CONFIRMED, satisfaction=5,
               satisfaction_source=dwf.RatingSource.CUSTOMER_LINK,
               confirmed_at=aware(2026, 3, 4, 12), confirmed_by="王主任")
    first_call(clerk, aware(2026, 3, 31, 23, 0))
    first_call(clerk, aware(2026, 2, 27, 10))
    # clerk C only answers a first call: counted, not appraised
    first_call(c, aware(2026, 3, 6, 10))
    # a first-call ticket reopened to the desk and assigned to B: an ordinary ticket now
    TicketFactory(category=dwf.Category.CONSULTATION, assignee=b, state=S.ASSIGNED,
                  received_at=aware(2026, 3, 20, 10))
    # nobody's ticket
    TicketFactory(received_at=aware(2026, 3, 3, 10))
    return {"a": a, "b": b, "c": c, "d": d, "clerk": clerk}


def test_engineer_a_figures(march):
    counts = selectors.ticket_kpis(MARCH)[march["a"].pk]
    # received: 1 2 3 6 7 9 (5 cancelled, 4 February, 8 April, 10 January)
    assert counts.received == 6
    # resolved in March: 1 (3 Mar), 2 (11 Mar), 4 (1 Mar); 9 is April's, 10 February's
    assert counts.resolved == 3
    # of the six received, resolved before April: 1 and 2 (9 was resolved in April)
    assert counts.received_resolved == 2
    # rated among those: 5, 3, 4 -> mean 12 / 3 = 4.00; satisfied (>= 4): 2 of 3
    assert (counts.rated, counts.satisfied, counts.satisfaction_sum) == (3, 2, 12)
    # answered among the received: 1800 + 7200 + 3600 + 5400 = 18000 s over 4 tickets
    assert (counts.responded, counts.response_seconds) == (4, 18000)
    # response targets among the received: 1 yes, 2 no, 3 yes, 9 yes
    assert (counts.response_measured, counts.answered_in_time) == (4, 3)
    # closed in March: 1, 2, 10; complete: only 1
    assert (counts.closed, counts.records_complete) == (3, 1)
    # none of A's ratings came by the customer's own link
    assert counts.rated_by_link == 0 and counts.first_contact == 0
    assert counts.figures == {
        "satisfaction_mean": Decimal("4.00"),
        "satisfied_share": Decimal("66.67"),     # 2 / 3
        "self_rated_share": Decimal("0.00"),     # 0 / 3
        "resolution_rate": Decimal("33.33"),     # 2 of the 6 received
        "avg_response_hours": Decimal("1.25"),   # 18000 / 4 / 3600
        "response_in_time_share": Decimal("75.00"),  # 3 / 4
        "record_completeness": Decimal("33.33"),  # 1 / 3
        "avg_held_hours": None,  # no level clock ran: the tickets were made finished
        # the clerk's figures: A recorded, followed up and was spot-checked on nothing
        "avg_forward_minutes": None, "first_contact_share": None,
        "followup_on_time_share": None, "spot_check_score": None,
    }


def test_engineer_b_and_the_clerk(march):
    kpis = selectors.ticket_kpis(MARCH)
    b = kpis[march["b"].pk].figures
    assert kpis[march["b"].pk].received == 2  # hers, and the reopened first-call ticket
    assert b["resolution_rate"] == Decimal("50.00")
    assert b["satisfaction_mean"] == Decimal("5.00")
    assert b["avg_response_hours"] == Decimal("0.17")  # 600 s = 0.1667 h
    assert b["record_completeness"] == Decimal("100.00")
    clerk = kpis[march["clerk"].pk]
    assert clerk.received == 1 and clerk.resolved == 0
    assert clerk.figures["resolution_rate"] == Decimal("0.00")
    assert clerk.figures["satisfaction_mean"] is None  # nothing rated: not judged
    assert march["d"].pk not in kpis
    assert set(kpis) == {march["a"].pk, march["b"].pk, march["clerk"].pk, march["c"].pk}


def test_the_whole_month_is_one_query(march, django_assert_num_queries):
    # one over the tickets, one over the level clock (the time each engineer held them),
    # and the clerk's three: the tickets they recorded, follow-ups due, spot checks
    with django_assert_num_queries(5):
        selectors.ticket_kpis(MARCH)


def test_first_call_answers_count_for_the_clerk_and_in_no_engineers_figures(march):
    kpis = selectors.ticket_kpis(MARCH)
    clerk = kpis[march["clerk"].pk]
    # 4 and 31 March (the last evening, local time); not the February one
    assert clerk.first_contact == 2
    # and nothing else: the clerk's received/resolved/rated are their assigned ticket's
    assert (clerk.received, clerk.resolved, clerk.rated, clerk.closed) == (1, 0, 0, 0)
    c = kpis[march["c"].pk]
    assert c.first_contact == 1 and c.assigned == 0
    assert (c.received, c.resolved, c.rated, c.responded) == (0, 0, 0, 0)
    assert all(v is None for v in c.figures.values())
    for engineer in ("a", "b"):
        assert kpis[march[engineer].pk].first_contact == 0
    # the rating 5 of the confirmed first-call answer is in nobody's satisfaction
    assert sum(k.rated for k in kpis.values()) == 3 + 1  # A's three, B's one
    # restricted to the clerks (a recompute): the same counts, still one query
    only = selectors.ticket_kpis(MARCH, employee_ids=[march["clerk"].pk, march["c"].pk])
    assert {pk: k.first_contact for pk, k in only.items()} == {march["clerk"].pk: 2,
                                                              march["c"].pk: 1}
    assert only[march["clerk"].pk].received == 1


def test_first_call_answer_through_the_workflow(clerk, engineer):
    """The real transition stamps resolved_by: this month's count is the clerk's."""
    from backoffice.platform.workflow import apply_transition

    ticket = TicketFactory(category=dwf.Category.CONSULTATION)
    apply_transition(ticket, "resolve_on_first_contact", actor=clerk,
                     answer="在“系统设置-打印”里选择纸张大小")
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.resolved_by == clerk
    kpis = selectors.ticket_kpis(timezone.localdate())
    assert kpis[clerk.pk].first_contact == 1 and kpis[clerk.pk].resolved == 0
    assert engineer.pk not in kpis


@pytest.fixture
def rated_month(engineer, make_user):
    """Four tickets of one engineer resolved in March with ratings from each source."""
    def rated(rating, source, day):
        return ticket(engineer, aware(2026, 3, day, 9), state=S.CONFIRMED,
                      resolved_at=aware(2026, 3, day, 15), confirmed_at=aware(2026, 3, day, 16),
                      confirmed_by="王主任", satisfaction=rating, satisfaction_source=source)

    rated(5, dwf.RatingSource.CUSTOMER_LINK, 2)
    rated(4, dwf.RatingSource.PHONE, 3)
    rated(3, dwf.RatingSource.PHONE, 4)
    # migrated from the time a follow-up survey overwrote the confirmation: not counted
    rated(1, dwf.RatingSource.FOLLOW_UP, 5)
    return engineer


def test_satisfaction_counts_confirmation_ratings_not_follow_up_surveys(rated_month):
    counts = selectors.ticket_kpis(MARCH)[rated_month.pk]
    assert counts.resolved == 4
    # link 5, phone 4, phone 3; the survey's 1 is left out
    assert (counts.rated, counts.satisfied, counts.satisfaction_sum) == (3, 2, 12)
    assert counts.figures["satisfaction_mean"] == Decimal("4.00")   # not 13 / 4 = 3.25
    assert counts.figures["satisfied_share"] == Decimal("66.67")    # not 2 / 4


def test_share_rated_by_the_customer_themself(rated_month, manager):
    counts = selectors.ticket_kpis(MARCH)[rated_month.pk]
    assert counts.rated_by_link == 1
    assert counts.figures["self_rated_share"] == Decimal("33.33")   # 1 / 3, not 1 / 4
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    a = Appraisal.objects.get(period=period, employee=rated_month)
    assert (a.tickets_rated, a.tickets_rated_by_link) == (3, 1)
    assert a.self_rated_share == Decimal("33.33")
    # no default target: shown, not judged until the manager sets one
    results = {kpi: (value, target, met) for kpi, _l, value, target, met in a.kpi_results()}
    assert results["self_rated_share"] == (Decimal("33.33"), None, None)
    KpiTarget.objects.create(kpi="self_rated_share", target=Decimal("50"))
    services.appraisal_recompute(appraisal=a, actor=manager)
    a.refresh_from_db()
    met = {kpi: m for kpi, _l, _v, _t, m in a.kpi_results()}
    assert met["self_rated_share"] is False


def test_the_appraisal_page_spells_out_the_sources_and_the_first_calls(client, manager,
                                                                       rated_month, clerk):
    ticket(clerk, aware(2026, 3, 3, 10), state=S.ASSIGNED)  # the clerk is appraised
    first_call(clerk, aware(2026, 3, 4, 10))
    first_call(clerk, aware(2026, 3, 5, 10))
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    client.force_login(manager)
    engineer_page = client.get(reverse(
        "admin:training_appraisal_change",
        args=[Appraisal.objects.get(period=period, employee=rated_month).pk])).content.decode()
    assert "Rated by the customer themself (%)" in engineer_page
    assert "33.33" in engineer_page and "1 of 3 ratings" in engineer_page
    assert ("Counts the ratings given at confirmation: by the customer&#x27;s own link and by "
            "phone (recorded by staff); follow-up surveys are not counted.") in engineer_page
    clerk_appraisal = Appraisal.objects.get(period=period, employee=clerk)
    assert clerk_appraisal.tickets_first_contact == 2
    clerk_page = client.get(reverse("admin:training_appraisal_change",
                                    args=[clerk_appraisal.pk])).content.decode()
    assert 'id="first-contact"><strong>Answered on the first call</strong>: 2 ' in clerk_page
    period_page = client.get(reverse("admin:training_appraisalperiod_change",
                                     args=[period.pk])).content.decode()
    assert "answered on the first call" in period_page.lower()


def test_generate_creates_one_draft_per_staff_member(march, manager, django_assert_max_num_queries):
    period = AppraisalPeriod.objects.create(month=MARCH)
    with django_assert_max_num_queries(18):
        result = services.appraisals_generate(period=period, actor=manager)
    # engineers A, B, D (no tickets) and both clerks, appraised as clerks (on the clerk's
    # KPIs); not the manager
    assert {a.employee for a in result.created} == {march["a"], march["b"], march["d"],
                                                     march["clerk"], march["c"]}
    clerk = Appraisal.objects.get(period=period, employee=march["clerk"])
    assert clerk.role == "clerk"
    assert clerk.tickets_first_contact == 2 and clerk.tickets_received == 1
    a = Appraisal.objects.get(period=period, employee=march["a"])
    assert a.state == AppraisalStatus.DRAFT and a.source == AppraisalSource.COMPUTED
    assert (a.tickets_received, a.tickets_resolved, a.tickets_closed) == (6, 3, 3)
    assert a.tickets_received_resolved == 2  # the rate: 2 of the 6 received, not 3 / 6
    assert a.resolution_rate == Decimal("33.33") and a.avg_response_hours == Decimal("1.25")
    assert a.targets["response_in_time_share"] == "95.00"
    assert a.history.get().history_change_reason == "computed"
    assert a.history.get().history_user == manager
    d = Appraisal.objects.get(period=period, employee=march["d"])
    assert d.tickets_received == 0 and d.resolution_rate is None
    # A misses the in-time target (75 < 95) and the completeness one; meets mean 4.00
    results = {kpi: met for kpi, _label, _v, _t, met in a.kpi_results()}
    assert results["satisfaction_mean"] is True
    assert results["response_in_time_share"] is False
    assert results["avg_response_hours"] is True  # 1.25 h <= 4 h
    # the defaults were written for the manager: the engineer's six and the clerk's four
    assert KpiTarget.objects.filter(role="engineer").count() == 6
    assert KpiTarget.objects.filter(role="clerk").count() == 4


def test_generation_query_count_does_not_grow_with_staff(manager, make_user,
                                                         django_assert_max_num_queries):
    for i in range(15):
        engineer = make_user("engineer", f"eng{i}")
        TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10))
    period = AppraisalPeriod.objects.create(month=MARCH)
    with django_assert_max_num_queries(18):
        services.appraisals_generate(period=period, actor=manager)
    assert Appraisal.objects.count() == 15


def test_targets_are_configurable_and_copied(march, manager):
    KpiTarget.objects.create(kpi="resolution_rate", target=Decimal("30"))
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    a = Appraisal.objects.get(period=period, employee=march["a"])
    assert a.targets["resolution_rate"] == "30.00"
    KpiTarget.objects.filter(kpi="resolution_rate").update(target=Decimal("60"))
    a.refresh_from_db()
    met = {kpi: m for kpi, _l, _v, _t, m in a.kpi_results()}
    assert met["resolution_rate"] is True  # judged by the targets of its computation
