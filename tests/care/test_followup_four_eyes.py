"""Issue "Nothing lost, nothing leaked", item 8, in customer care: the follow-up call's
rating is a figure about the ticket's engineer (kept on the follow-up, beside the
confirmation's rating on the ticket), so the ticket's assignee never records it."""

import pytest
from django.urls import reverse

from backoffice.care.models import FollowUp
from backoffice.care.services import followup_for_ticket
from backoffice.care.workflows import FollowUpStatus
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.knowledge.factories import resolved_ticket

pytestmark = pytest.mark.django_db


def _closed_followup(clerk, assignee):
    ticket = resolved_ticket(clerk, assignee)
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王主任", satisfaction=3)
    apply_transition(ticket, "close", actor=clerk)
    return followup_for_ticket(ticket)


def _record(client, followup, user):
    client.force_login(user)
    url = reverse("admin:backoffice_followup_transition_record", args=[followup.pk])
    return client.post(url, {"_form_submitted": "on", "outcome": "satisfied", "rating": "5",
                             "remarks": "很满意"})


def test_item8_the_assignee_cannot_record_the_follow_up_rating_of_his_ticket(client, clerk,
                                                                             manager):
    """The manager works tickets too; on his own ticket the survey is someone else's."""
    followup = _closed_followup(clerk, manager)
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_followup_change", args=[followup.pk]))
    assert "transition/record" not in page.content.decode()
    _record(client, followup, manager)
    followup = FollowUp.objects.get(pk=followup.pk)
    assert followup.state == FollowUpStatus.OPEN and followup.rating is None
    assert Ticket.objects.get(pk=followup.ticket_id).satisfaction == 3

    _record(client, followup, clerk)  # the clerk who does follow-ups records it
    followup = FollowUp.objects.get(pk=followup.pk)
    assert followup.state == FollowUpStatus.DONE and followup.done_by == clerk
    assert followup.rating == 5
    # the survey's rating stays on the follow-up; the ticket keeps its confirmation's
    assert Ticket.objects.get(pk=followup.ticket_id).satisfaction == 3
