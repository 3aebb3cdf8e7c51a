"""Issue "Nothing lost, nothing leaked", item 8: the appraised engineer never enters his
own customer's confirmation and rating (the rating feeds his monthly KPI).

"Customer confirms" is four-eyes for the assignee, whatever his role: never on a ticket
assigned to oneself. Whoever enters it is recorded in ``confirmation_entered_by``.
"""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from tests.knowledge.factories import resolved_ticket

pytestmark = pytest.mark.django_db


def _confirm(client, ticket, user, **data):
    client.force_login(user)
    url = reverse("admin:backoffice_ticket_transition_confirm", args=[ticket.pk])
    return client.post(url, {"_form_submitted": "on", "confirmed_by": "x", "satisfaction": 5,
                             **data})


def test_item8_the_assignee_cannot_confirm_or_rate_his_own_ticket(client, clerk, engineer):
    ticket = resolved_ticket(clerk, engineer)
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert "transition/confirm" not in page.content.decode()  # no button
    _confirm(client, ticket, engineer, confirmed_by="x", satisfaction=5)  # a forged POST
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.RESOLVED
    assert ticket.satisfaction is None and ticket.confirmed_by == ""
    assert ticket.confirmed_at is None and ticket.confirmation_entered_by is None
    assert not ticket.events.filter(action="confirm").exists()


def test_item8_a_manager_assigned_to_a_ticket_does_not_confirm_it_either(client, clerk,
                                                                         manager):
    ticket = resolved_ticket(clerk, manager)
    _confirm(client, ticket, manager)
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.RESOLVED and ticket.satisfaction is None


def test_item8_a_clerks_confirmation_records_who_entered_it(client, clerk, engineer):
    ticket = resolved_ticket(clerk, engineer)
    response = _confirm(client, ticket, clerk, confirmed_by="王建国", satisfaction=4)
    assert "HX-Redirect" in response.headers
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.CONFIRMED and ticket.satisfaction == 4
    assert ticket.confirmed_by == "王建国" and ticket.confirmation_entered_by == clerk

    # shown read-only on the ticket page, next to confirmed by / at and satisfaction
    client.force_login(engineer)
    html = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])
                      ).content.decode()
    assert "Confirmation entered by" in html and 'name="confirmation_entered_by"' not in html
    assert ">clerk<" in html or "clerk</" in html


def test_item8_another_engineer_may_confirm(client, clerk, engineer, make_user):
    other = make_user("engineer", "engineer2")
    ticket = resolved_ticket(clerk, engineer)
    _confirm(client, ticket, other, satisfaction=3)
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.CONFIRMED
    assert ticket.confirmation_entered_by == other


def test_item8_the_export_names_who_entered_the_confirmation(clerk, engineer):
    from backoffice.desk.resources import TicketResource
    from backoffice.platform.workflow import apply_transition

    ticket = resolved_ticket(clerk, engineer)
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="王建国", satisfaction=5)
    resource = TicketResource()
    dataset = resource.export()
    assert "Confirmation entered by" in dataset.headers  # the column's label
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["Confirmation entered by"] == "clerk" and row["Satisfaction (1-5)"] == "5"
    assert resource.fields["confirmation_entered_by"].readonly
