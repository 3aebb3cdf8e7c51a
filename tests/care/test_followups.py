"""Follow-up calls after closed tickets: booked by the generator or by ticket_close,
recorded with the survey, whose rating stays on the follow-up (the ticket keeps the
rating of the customer's confirmation)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from backoffice.care.models import FollowUp
from backoffice.care.services import followup_for_ticket, followups_generate, ticket_close
from backoffice.care.workflows import CallOutcome, FollowUpStatus
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory
from tests.knowledge.factories import resolved_ticket

pytestmark = pytest.mark.django_db


def confirmed(clerk, engineer, **kwargs):
    ticket = resolved_ticket(clerk, engineer, **kwargs)
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王主任", satisfaction=4)
    return ticket


def closed(clerk, engineer, **kwargs):
    ticket = confirmed(clerk, engineer, **kwargs)
    apply_transition(ticket, "close", actor=clerk)
    ticket.refresh_from_db()
    return ticket


def test_generator_books_one_call_per_closed_ticket(clerk, engineer, settings):
    settings.FOLLOWUP_DELAY_DAYS = 3
    ticket = closed(clerk, engineer, recorded_by=clerk, contact=ContactFactory())
    confirmed(clerk, engineer)  # not closed yet: no call
    created = followups_generate()
    assert len(created) == 1
    followup = created[0]
    assert followup.ticket == ticket and followup.customer == ticket.customer
    assert followup.contact == ticket.contact and followup.assignee == clerk
    assert followup.due_on == timezone.localdate(ticket.closed_at) + dt.timedelta(days=3)
    assert followup.state == FollowUpStatus.OPEN and followup.number.startswith("FU")
    assert followups_generate() == []  # idempotent
    assert FollowUp.objects.count() == 1


def test_cancelled_and_old_tickets_are_not_followed_up(clerk, engineer):
    from tests.factories import TicketFactory

    cancelled = TicketFactory()
    apply_transition(cancelled, "cancel", actor=clerk, note="重复报修")
    old = closed(clerk, engineer)
    Ticket.objects.filter(pk=old.pk).update(closed_at=timezone.now() - dt.timedelta(days=90))
    assert followups_generate(lookback_days=30) == []
    assert len(followups_generate(lookback_days=120)) == 1


def test_calls_go_to_the_least_busy_clerk(clerk, engineer, make_user):
    other_clerk = make_user("clerk", "clerk2")
    tickets = [closed(clerk, engineer, recorded_by=engineer) for _ in range(4)]
    followups_generate()
    by_clerk = {u: FollowUp.objects.filter(assignee=u).count() for u in (clerk, other_clerk)}
    assert by_clerk == {clerk: 2, other_clerk: 2}
    assert len(tickets) == 4


def test_ticket_close_books_the_call_at_once(clerk, engineer):
    ticket = confirmed(clerk, engineer)
    followup = ticket_close(ticket=ticket, actor=clerk, note="归档")
    assert ticket.state == wf.TicketStatus.CLOSED and followup.ticket == ticket
    assert followup_for_ticket(ticket) == followup


def test_the_close_button_books_the_call_at_once(client, clerk, engineer):
    ticket = confirmed(clerk, engineer)
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_transition_close", args=[ticket.pk])
    client.post(url, {"_form_submitted": "on", "note": "归档"})
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.CLOSED
    assert ticket.events.get(action="close").note == "归档"
    assert FollowUp.objects.get(ticket=ticket).due_on > timezone.localdate(ticket.closed_at)


def test_ticket_close_refused_changes_nothing(clerk, engineer, business):
    ticket = confirmed(clerk, engineer)
    with pytest.raises(PermissionDenied):
        ticket_close(ticket=ticket, actor=business)
    assert Ticket.objects.get(pk=ticket.pk).state == wf.TicketStatus.CONFIRMED
    assert not FollowUp.objects.exists()


@pytest.fixture
def followup(clerk, engineer):
    return followup_for_ticket(closed(clerk, engineer))


def test_survey_result_stays_on_the_follow_up(followup, clerk):
    ticket = Ticket.objects.get(pk=followup.ticket_id)
    before = (ticket.satisfaction, ticket.satisfaction_source, ticket.customer_feedback,
              ticket.version, ticket.history.count())
    apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.SATISFIED, rating=2,
                     remarks="响应有点慢")
    followup.refresh_from_db()
    assert followup.state == FollowUpStatus.DONE and followup.done_by == clerk
    assert followup.attempts == 1
    assert followup.rating == 2 and followup.remarks == "响应有点慢"
    ticket.refresh_from_db()
    # the ticket is not touched: no new rating, feedback, version or history row
    assert (ticket.satisfaction, ticket.satisfaction_source, ticket.customer_feedback,
            ticket.version, ticket.history.count()) == before
    assert "响应有点慢" not in ticket.customer_feedback


def test_a_low_survey_keeps_the_confirmation_rating(clerk, engineer):
    """Confirmed with 5 on the phone; the follow-up call later hears 2: the ticket still
    says 5 by phone (the appraisal's figure), the follow-up says 2 (its own)."""
    ticket = resolved_ticket(clerk, engineer)
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王主任", satisfaction=5,
                     source=wf.RatingSource.PHONE)
    apply_transition(ticket, "close", actor=clerk)
    followup = followup_for_ticket(ticket)
    apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.SATISFIED, rating=2,
                     remarks="后来又慢了")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.satisfaction == 5
    assert ticket.satisfaction_source == wf.RatingSource.PHONE
    assert ticket.state == wf.TicketStatus.CLOSED
    assert FollowUp.objects.get(pk=followup.pk).rating == 2


def test_the_follow_up_page_shows_the_confirmation_rating_beside_its_own(client, clerk,
                                                                        engineer):
    ticket = resolved_ticket(clerk, engineer)
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王主任", satisfaction=5)
    apply_transition(ticket, "close", actor=clerk)
    followup = followup_for_ticket(ticket)
    apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.SATISFIED, rating=2)
    client.force_login(clerk)
    page = client.get(reverse("admin:backoffice_followup_change", args=[followup.pk]))
    text = page.content.decode()
    assert "satisfaction at confirmation</strong>: 5/5 (Phone call, recorded by staff)" in text


def test_a_persisting_problem_opens_a_new_ticket(followup, clerk):
    apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.PROBLEM_PERSISTS,
                     rating=2, remarks="月结后报表仍然不一致")
    followup.refresh_from_db()
    new = followup.new_ticket
    assert new.state == wf.TicketStatus.NEW and new.customer == followup.customer
    assert followup.ticket.number in new.description and "月结后报表仍然不一致" in new.description
    assert new.recorded_by == clerk


def test_rating_is_required_and_validated(followup, clerk):
    with pytest.raises(ValidationError):
        apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.SATISFIED)
    with pytest.raises(ValidationError):
        apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.SATISFIED,
                         rating=9)
    followup.refresh_from_db()
    assert followup.state == FollowUpStatus.OPEN and not followup.events.exists()
    assert Ticket.objects.get(pk=followup.ticket_id).satisfaction == 4
    apply_transition(followup, "record", actor=clerk, outcome=CallOutcome.NO_SURVEY)
    assert Ticket.objects.get(pk=followup.ticket_id).satisfaction == 4


def test_not_reached_then_give_up(followup, clerk):
    with pytest.raises(ValidationError, match="at least once"):
        apply_transition(followup, "give_up", actor=clerk)
    apply_transition(followup, "not_reached", actor=clerk, note="无人接听")
    followup.refresh_from_db()
    assert followup.attempts == 1 and followup.state == FollowUpStatus.OPEN
    assert followup.due_on >= timezone.localdate() + dt.timedelta(days=1)
    apply_transition(followup, "give_up", actor=clerk)
    assert followup.state == FollowUpStatus.UNREACHABLE


def test_engineers_do_not_make_survey_calls(followup, engineer):
    with pytest.raises(PermissionDenied):
        apply_transition(followup, "record", actor=engineer, outcome=CallOutcome.SATISFIED,
                         rating=5)


def test_record_dialog(client, followup, clerk):
    client.force_login(clerk)
    url = reverse("admin:backoffice_followup_transition_record", args=[followup.pk])
    response = client.post(url, {"_form_submitted": "on", "outcome": "satisfied"})
    assert "rating from 1 to 5" in response.content.decode()  # the form asks for it
    response = client.post(url, {"_form_submitted": "on", "outcome": "satisfied",
                                 "rating": "5", "remarks": "很满意"})
    assert "HX-Redirect" in response.headers
    followup.refresh_from_db()
    assert followup.state == FollowUpStatus.DONE and followup.rating == 5


def test_command(clerk, engineer, capsys):
    closed(clerk, engineer)
    call_command("generate_followups")
    call_command("generate_followups", "--lookback-days", "5")
    out = capsys.readouterr().out
    assert "1 follow-up call(s) booked." in out and "0 follow-up call(s) booked." in out


def test_a_call_never_goes_to_the_clerk_who_answered_on_the_first_call(clerk, make_user):
    """That clerk may not record it (four eyes): it goes to another, or to nobody."""
    from tests.factories import TicketFactory

    def answered_by(who):
        return TicketFactory(state="closed", closed_at=timezone.now(), recorded_by=who,
                             resolved_by=who, category=wf.Category.CONSULTATION,
                             first_contact_resolution=True)

    assert followup_for_ticket(answered_by(clerk)).assignee is None  # the only clerk
    other = make_user("clerk", "clerk2")
    assert followup_for_ticket(answered_by(clerk)).assignee == other
    assert followup_for_ticket(answered_by(other)).assignee == clerk
