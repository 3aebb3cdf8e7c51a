"""Issue 19, first bullet: the manager's review of service records.

Resolving a ticket queues its record when it is one of the engineer's monthly sample or a
complaint; a low rating at confirmation queues it too. The manager scores it on its page
(never a ticket they worked); the engineer reads the finished review of their own records.
"""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.models import ServiceRecordReview
from backoffice.platform.models import Notification
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db
S = wf.TicketStatus
LIST = reverse("admin:backoffice_servicerecordreview_changelist")


def change_url(review):
    return reverse("admin:backoffice_servicerecordreview_change", args=[review.pk])


def review_url(review):
    return reverse("admin:backoffice_servicerecordreview_transition_review", args=[review.pk])


def resolved(engineer, subject="数据库连接超时", **fields):
    """A ticket its engineer resolves through the workflow."""
    ticket = TicketFactory(state=S.IN_PROGRESS, assignee=engineer, subject=subject,
                           diagnosis="连接池耗尽", process="远程调整连接池参数",
                           solution="max_connections 调整为 500", **fields)
    apply_transition(ticket, "resolve", actor=engineer)
    return ticket


def complaint_resolved(manager, engineer):
    ticket = TicketFactory(state=S.COMPLAINT_HANDLING, category=wf.Category.COMPLAINT,
                           assignee=engineer, subject="工程师迟到投诉",
                           complaint_cause="排班冲突", complaint_plan="调整排班并致歉")
    apply_transition(ticket, "resolve_complaint", actor=manager)
    return ticket


def confirm(ticket, clerk, rating):
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王建国",
                     satisfaction=rating, feedback="一般")


@pytest.fixture
def sample_of_two(settings):
    settings.SERVICE_REVIEW_SAMPLE_PER_ENGINEER = 2
    settings.SERVICE_REVIEW_LOW_RATING = 2


def test_the_queue_holds_the_sample_every_complaint_and_every_low_rating(
        client, sample_of_two, clerk, engineer, manager, make_user):
    engineer2 = make_user("engineer", "engineer2")
    first, second, third, fourth = (resolved(engineer, subject=f"记录{i}") for i in range(4))
    other = resolved(engineer2, subject="另一位工程师的记录")
    complaint = complaint_resolved(manager, engineer)
    confirm(third, clerk, 1)  # low rating: queued although the sample is full
    confirm(fourth, clerk, 3)  # not low: stays out

    queued = {r.ticket_id: r.reason for r in ServiceRecordReview.objects.all()}
    assert queued == {first.pk: "sampled", second.pk: "sampled", other.pk: "sampled",
                      complaint.pk: "complaint", third.pk: "low_rating"}

    client.force_login(manager)
    page = client.get(LIST).content.decode()
    for ticket in (first, second, third, other, complaint):
        assert ticket.number in page
    assert fourth.number not in page
    low = client.get(LIST, {"reason__exact": "low_rating"}).content.decode()
    assert third.number in low and first.number not in low and complaint.number not in low
    theirs = client.get(LIST, {"engineer__id__exact": engineer2.pk}).content.decode()
    assert other.number in theirs and first.number not in theirs
    # the manager's "what needs me" counts the waiting records they may review: not the
    # complaint they resolved themselves (four eyes)
    from backoffice.desk.needs import service_records_to_review

    assert service_records_to_review(manager)[0][1] == 4


def test_the_manager_reviews_a_record_on_its_page(client, sample_of_two, engineer, manager):
    ticket = resolved(engineer)
    review = ticket.service_review
    client.force_login(manager)
    page = client.get(change_url(review)).content.decode()
    assert "连接池耗尽" in page and "max_connections 调整为 500" in page  # the record, beside
    # completing before every aspect has a verdict is refused, saying why
    client.post(review_url(review), {"_form_submitted": "on"}, HTTP_HX_REQUEST="true")
    review.refresh_from_db()
    assert review.state == wf.ReviewStatus.PENDING

    data = form_data(page)
    verdicts = dict.fromkeys(wf.REVIEW_ASPECTS, "complete")
    verdicts["parts"] = "incomplete"
    response = client.post(change_url(review), {**data, **verdicts,
                                                "comment": "未登记备件", "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:800]
    review.refresh_from_db()
    assert str(review.score) == "83.33"  # 5 of 6 aspects complete

    response = client.post(review_url(review), {"_form_submitted": "on", "note": "已审核"},
                           HTTP_HX_REQUEST="true")
    assert "HX-Redirect" in response.headers
    review.refresh_from_db()
    assert review.state == wf.ReviewStatus.REVIEWED
    assert review.reviewer == manager and review.reviewed_at is not None
    entry = review.events.get()
    assert (entry.actor, entry.action, entry.note) == (manager, "review", "已审核")
    assert Notification.objects.filter(recipient=engineer,
                                       event="service_record_reviewed").count() == 1
    # done: the page is read-only, for the manager too
    page = client.get(change_url(review)).content.decode()
    assert 'name="comment"' not in page and "transition/review" not in page


def test_the_manager_never_reviews_a_ticket_they_worked(client, sample_of_two, engineer,
                                                        manager, make_user):
    own = resolved(manager, subject="经理自己处理的工单")
    complaint = complaint_resolved(manager, engineer)  # the manager resolved it
    client.force_login(manager)
    for ticket in (own, complaint):
        review = ticket.service_review
        review.__dict__.update(dict.fromkeys(wf.REVIEW_ASPECTS, "complete"))
        review.save()
        page = client.get(change_url(review)).content.decode()
        assert 'name="diagnosis"' not in page and "transition/review" not in page
        client.post(review_url(review), {"_form_submitted": "on"}, HTTP_HX_REQUEST="true")
        review.refresh_from_db()
        assert review.state == wf.ReviewStatus.PENDING, ticket.subject
    from backoffice.desk.needs import service_records_to_review

    assert service_records_to_review(manager)[0][1] == 0
    # another manager may
    director = make_user("manager", "director")
    apply_transition(own.service_review, "review", actor=director)
    assert ServiceRecordReview.objects.get(ticket=own).state == wf.ReviewStatus.REVIEWED


def _reviewed(ticket, manager, comment="记录完整"):
    review = ticket.service_review
    review.__dict__.update(dict.fromkeys(wf.REVIEW_ASPECTS, "complete"), comment=comment)
    review.save()
    apply_transition(review, "review", actor=manager)
    return review


def test_the_engineer_sees_the_finished_review_of_their_own_records_only(
        client, sample_of_two, engineer, manager, make_user):
    engineer2 = make_user("engineer", "engineer2")
    mine = _reviewed(resolved(engineer, subject="我的工单"), manager, comment="诊断清楚")
    waiting = resolved(engineer, subject="待审核的工单").service_review
    theirs = _reviewed(resolved(engineer2, subject="同事的工单"), manager)

    client.force_login(engineer)
    page = client.get(LIST).content.decode()
    assert mine.ticket.number in page
    assert waiting.ticket.number not in page and theirs.ticket.number not in page
    detail = client.get(change_url(mine))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "诊断清楚" in html and 'name="comment"' not in html  # read-only
    for hidden in (waiting, theirs):
        response = client.get(change_url(hidden))
        assert response.status_code == 302  # "does not exist": back to the list
    # and on the ticket page, a small section
    ticket_page = client.get(reverse("admin:backoffice_ticket_change",
                                     args=[mine.ticket_id])).content.decode()
    assert 'data-review="reviewed"' in ticket_page and "诊断清楚" in ticket_page
    other_ticket = client.get(reverse("admin:backoffice_ticket_change",
                                      args=[waiting.ticket_id])).content.decode()
    assert "data-review=" not in other_ticket


def test_a_reviews_history_shows_to_whom_the_review_shows(client, sample_of_two, engineer,
                                                          manager, make_user):
    engineer2 = make_user("engineer", "engineer2")
    review = _reviewed(resolved(engineer), manager)
    history = reverse("admin:backoffice_servicerecordreview_history", args=[review.pk])
    for user, status in ((manager, 200), (engineer, 200), (engineer2, 403)):
        client.force_login(user)
        assert client.get(history).status_code == status, user.username
