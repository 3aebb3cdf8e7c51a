"""Bulk actions on the ticket list: assign to an engineer, change the priority, export the
selection. Each ticket goes its own way; one message lists the refused ones and why."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:backoffice_ticket_changelist")


def run_action(client, action, tickets, **form):
    """Choose the action on the list (as the "Run" button does), then, when ``form`` is
    given, post the page in between as its submit button does."""
    ids = [str(t.pk) for t in tickets]
    first = client.post(LIST, {"action": action, ACTION_CHECKBOX_NAME: ids, "index": 0,
                               "select_across": 0})
    if not form:
        return first
    assert first.status_code == 200, first.content.decode()[:500]
    return client.post(LIST, {"action": action, ACTION_CHECKBOX_NAME: ids, "apply": 1,
                              "select_across": 0, **form})


def texts(response, level):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == level]


# -- assign -----------------------------------------------------------------------------
def test_the_assign_action_asks_for_the_engineer_first(client, clerk, engineer, calendar):
    tickets = TicketFactory.create_batch(2)
    client.force_login(clerk)
    page = run_action(client, "assign_selected", tickets)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="assignee"' in html and tickets[0].number in html
    assert all(t.state == wf.TicketStatus.NEW for t in Ticket.objects.all())  # nothing yet


def test_bulk_assign_assigns_each_and_reports_the_refused(client, clerk, engineer, calendar):
    new = TicketFactory.create_batch(2)
    complaint = TicketFactory(category=wf.Category.COMPLAINT)
    closed = TicketFactory(state=wf.TicketStatus.CLOSED)
    client.force_login(clerk)
    response = run_action(client, "assign_selected", [*new, complaint, closed],
                          assignee=engineer.pk, note="批量分派")
    assert response.status_code == 302 and response.url.startswith(LIST)
    for ticket in new:
        ticket.refresh_from_db()
        assert ticket.state == wf.TicketStatus.ASSIGNED and ticket.assignee == engineer
        event = ticket.events.get(action="assign")
        assert event.actor == clerk and event.note == "批量分派"
    complaint.refresh_from_db()
    closed.refresh_from_db()
    assert complaint.assignee is None and closed.state == wf.TicketStatus.CLOSED
    assert texts(response, "success") == ["2 tickets assigned to engineer."]
    [refused] = texts(response, "error")
    assert refused.startswith("Not assigned: ")
    assert f"{complaint.number}: " in refused
    assert "complaints are handled by the after-sales manager" in refused
    assert f"{closed.number}: " in refused and "is not possible while the ticket is" in refused


def test_a_refused_ticket_leaves_the_others_assigned(clerk, engineer, calendar):
    """One transaction per ticket: a failure midway keeps what went before."""
    first, second = TicketFactory.create_batch(2)
    stale = Ticket.objects.get(pk=second.pk)
    Ticket.objects.get(pk=second.pk).save()  # someone saved it since it was read
    outcome = services.tickets_assign([first, stale], assignee=engineer, actor=clerk)
    assert outcome.done == [first]
    assert [t for t, _ in outcome.refused] == [stale]
    assert Ticket.objects.get(pk=first.pk).state == wf.TicketStatus.ASSIGNED
    assert Ticket.objects.get(pk=second.pk).state == wf.TicketStatus.NEW


def test_engineers_do_not_get_the_assign_action(client, engineer, calendar):
    TicketFactory()
    client.force_login(engineer)
    page = client.get(LIST).content.decode()
    assert 'value="assign_selected"' not in page
    assert 'value="change_priority_selected"' in page
    # a forged post of the page in between runs nothing
    ticket = TicketFactory()
    client.post(LIST, {"action": "assign_selected", ACTION_CHECKBOX_NAME: [ticket.pk],
                       "apply": 1, "select_across": 0, "assignee": engineer.pk})
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.NEW


# -- priority ---------------------------------------------------------------------------
def test_bulk_priority_saves_through_the_model_and_skips_finished(client, clerk, calendar):
    open_ = TicketFactory.create_batch(2)
    closed = TicketFactory(state=wf.TicketStatus.CLOSED)
    cancelled = TicketFactory(state=wf.TicketStatus.CANCELLED)
    client.force_login(clerk)
    response = run_action(client, "change_priority_selected", [*open_, closed, cancelled],
                          priority=wf.Priority.HIGH)
    assert response.status_code == 302
    for ticket in open_:
        ticket.refresh_from_db()
        assert ticket.priority == wf.Priority.HIGH
        latest = ticket.history.latest()
        assert latest.history_user == clerk and latest.priority == wf.Priority.HIGH
    for ticket in (closed, cancelled):
        ticket.refresh_from_db()
        assert ticket.priority == wf.Priority.NORMAL
    assert texts(response, "success") == ["2 tickets now have the priority “High”."]
    [refused] = texts(response, "error")
    assert f"{closed.number}: the ticket is “Closed”" in refused
    assert f"{cancelled.number}: the ticket is “Cancelled”" in refused


def test_an_engineer_changes_the_priority_of_own_tickets_only(client, clerk, engineer,
                                                              make_user, calendar):
    mine, theirs = TicketFactory.create_batch(2)
    apply_transition(mine, "assign", actor=clerk, assignee=engineer)
    apply_transition(theirs, "assign", actor=clerk, assignee=make_user("engineer"))
    client.force_login(engineer)
    response = run_action(client, "change_priority_selected", [mine, theirs],
                          priority=wf.Priority.CRITICAL)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.priority == wf.Priority.CRITICAL and theirs.priority == wf.Priority.NORMAL
    assert texts(response, "error") == [
        f"Priority not changed: {theirs.number}: you may not edit this ticket"]


def test_the_same_priority_writes_no_history(clerk, calendar):
    ticket = TicketFactory(priority=wf.Priority.HIGH)
    rows = ticket.history.count()
    outcome = services.tickets_change_priority([ticket], priority=wf.Priority.HIGH,
                                               actor=clerk)
    assert outcome.unchanged == [ticket] and ticket.history.count() == rows


# -- export ------------------------------------------------------------------------------
def test_export_of_the_selection_exports_only_the_selected_rows(client, manager, calendar):
    chosen = TicketFactory.create_batch(2)
    other = TicketFactory()
    client.force_login(manager)
    page = run_action(client, "export_selected", chosen)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="export_items"' in html and 'name="format"' in html
    response = client.post(reverse("admin:backoffice_ticket_export"),
                           {"format": "0", "resource": "0",
                            "export_items": [t.pk for t in chosen]})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    numbers = {row["Number"] for row in rows}
    assert numbers == {t.number for t in chosen} and other.number not in numbers


def test_export_keeps_to_the_tickets_the_list_shows(client, manager, calendar, monkeypatch):
    """The export page checks the posted ids against the list's own queryset: a ticket
    the user's list does not hold is not exported, even with its id forged in."""
    from django.contrib import admin

    chosen, hidden = TicketFactory.create_batch(2)
    ticket_admin = admin.site._registry[Ticket]
    original = type(ticket_admin).get_queryset
    monkeypatch.setattr(type(ticket_admin), "get_queryset",
                        lambda self, request: original(self, request).exclude(pk=hidden.pk))
    client.force_login(manager)
    export = reverse("admin:backoffice_ticket_export")
    forged = client.post(export, {"format": "0", "resource": "0",
                                  "export_items": [chosen.pk, hidden.pk]})
    assert forged["Content-Type"].startswith("text/html")  # the form again, with its error
    assert hidden.number not in forged.content.decode()
    fair = client.post(export, {"format": "0", "resource": "0", "export_items": [chosen.pk]})
    assert fair["Content-Type"].startswith("text/csv")
    assert chosen.number in fair.content.decode("utf-8-sig")
