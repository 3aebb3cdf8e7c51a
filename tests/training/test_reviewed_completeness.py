"""Issue 19: service-record completeness in the appraisal becomes the manager's review
score where a review is done; the appraisal shows how many records were reviewed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.desk import workflows as dwf
from backoffice.desk.models import ServiceRecordReview
from tests.conftest import aware
from tests.factories import TicketFactory
from training import selectors, services
from training.models import Appraisal, AppraisalPeriod
from training.workflows import Kpi

pytestmark = pytest.mark.django_db
S = dwf.TicketStatus
MARCH = dt.date(2026, 3, 1)
FULL_RECORD = {"diagnosis": "日志定位", "process": "远程修复", "solution": "更新补丁",
               "customer_feedback": "满意", "confirmed_by": "王建国"}


def closed(engineer, day, **record):
    return TicketFactory(assignee=engineer, state=S.CLOSED, received_at=aware(2026, 3, day, 9),
                         resolved_at=aware(2026, 3, day, 15), confirmed_at=aware(2026, 3, day, 16),
                         closed_at=aware(2026, 3, day, 17), **{**FULL_RECORD, **record})


def review(ticket, verdicts, state=dwf.ReviewStatus.REVIEWED):
    """A review as the queue and the manager left it (verdicts: six letters c/i/w)."""
    names = {"c": "complete", "i": "incomplete", "w": "wrong"}
    return ServiceRecordReview.objects.create(
        ticket=ticket, engineer=ticket.assignee, month=MARCH, reason="sampled", state=state,
        **{aspect: names[v] for aspect, v in zip(dwf.REVIEW_ASPECTS, verdicts, strict=True)})


@pytest.fixture
def reviewed_month(engineer, make_user):
    """Engineer A closes four records in March: one reviewed at 50 % (3 of 6 complete)
    although its five fields are filled; one unreviewed and complete (100 %); one
    unreviewed without customer feedback (0 %); one whose review still waits (counted
    by the five fields: 100 %). (50 + 100 + 0 + 100) / 4 = 62.50 %."""
    review(closed(engineer, 2), "cccwii")
    closed(engineer, 3)
    closed(engineer, 4, customer_feedback="")
    review(closed(engineer, 5), "wwwwww", state=dwf.ReviewStatus.PENDING)
    return engineer


def test_completeness_counts_the_review_score_where_a_review_is_done(reviewed_month):
    counts = selectors.ticket_kpis(MARCH)[reviewed_month.pk]
    assert (counts.closed, counts.records_complete, counts.records_reviewed) == (4, 3, 1)
    assert counts.reviewed_score_sum == Decimal("50.00")
    assert counts.figures[Kpi.RECORD_COMPLETENESS] == Decimal("62.50")
    assert "review score" in str(selectors.KPI_DEFINITIONS[Kpi.RECORD_COMPLETENESS])


def test_without_reviews_the_five_field_check_stands(engineer):
    closed(engineer, 2)
    closed(engineer, 3, diagnosis="")
    counts = selectors.ticket_kpis(MARCH)[engineer.pk]
    assert counts.records_reviewed == 0
    assert counts.figures[Kpi.RECORD_COMPLETENESS] == Decimal("50.00")


def test_the_month_stays_five_grouped_queries(reviewed_month, make_user,
                                             django_assert_num_queries):
    for i in range(5):  # more people, more reviews: the same queries (tickets, level
        # clock, the front desk, follow-ups, spot checks: one grouped query each)
        other = make_user("engineer", f"eng{i}")
        review(closed(other, 10 + i), "cccccc")
    with django_assert_num_queries(5):
        kpis = selectors.ticket_kpis(MARCH)
    assert kpis[reviewed_month.pk].figures[Kpi.RECORD_COMPLETENESS] == Decimal("62.50")


def test_the_appraisal_page_shows_the_share_reviewed(client, manager, reviewed_month):
    period = AppraisalPeriod.objects.create(month=MARCH)
    services.appraisals_generate(period=period, actor=manager)
    appraisal = Appraisal.objects.get(period=period, employee=reviewed_month)
    assert (appraisal.record_completeness, appraisal.records_reviewed) == (Decimal("62.50"), 1)
    client.force_login(manager)
    page = client.get(reverse("admin:training_appraisal_change",
                              args=[appraisal.pk])).content.decode()
    assert 'id="records-reviewed">(reviewed 1 of 4 records)' in page
    assert "62.50" in page
