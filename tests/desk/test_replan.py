"""Deadlines follow the ticket: a new priority, a customer's VIP status, an edited policy
or calendar re-plans the open tickets (journaled with old → new due times, historised),
and nobody sets a due date by hand.

Calendar (fixture ``calendar``): Mon-Fri 09:00-12:00 and 13:30-18:00, Asia/Shanghai.
"""

import pytest
from django.urls import reverse

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy, Ticket
from tests.conftest import aware
from tests.desk.test_bulk_actions import run_action
from tests.factories import CustomerFactory, TicketFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db

RECEIVED = aware(2026, 11, 23, 9, 0)  # Monday 09:00


@pytest.fixture
def policies(calendar):
    SLAPolicy.objects.all().delete()
    return {
        "normal": SLAPolicy.objects.create(
            name="普通", priority=wf.Priority.NORMAL, response_minutes=8 * 60,
            resolution_minutes=15 * 450),  # three weeks of working days
        "normal_vip": SLAPolicy.objects.create(
            name="普通VIP", priority=wf.Priority.NORMAL, for_vip=True, response_minutes=60,
            resolution_minutes=450),
        "critical": SLAPolicy.objects.create(
            name="紧急", priority=wf.Priority.CRITICAL, response_minutes=30,
            resolution_minutes=120),
    }


def change_url(obj):
    return reverse(f"admin:backoffice_{obj._meta.model_name}_change", args=[obj.pk])


def post_form(client, obj, **changes):
    """Post the object's change page as the browser shows it, with ``changes``."""
    url = change_url(obj)
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode())
    data.update(changes)
    return client.post(url, data)


def replans(ticket):
    return list(ticket.events.filter(action="replan"))


def test_raising_a_ticket_to_critical_on_its_form_gives_it_critical_deadlines(
        client, manager, policies):
    ticket = TicketFactory(received_at=RECEIVED, priority=wf.Priority.NORMAL)
    assert ticket.resolution_due == aware(2026, 12, 11, 18, 0)  # three weeks later
    client.force_login(manager)
    response = post_form(client, ticket, priority=wf.Priority.CRITICAL)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.sla_policy == policies["critical"]
    assert ticket.response_due == aware(2026, 11, 23, 9, 30)
    assert ticket.resolution_due == aware(2026, 11, 23, 11, 0)
    [event] = replans(ticket)
    assert event.actor == manager
    assert "Critical" in event.note and "紧急" in event.note
    assert "2026-12-11 18:00 → 2026-11-23 11:00" in event.note
    assert "2026-11-24 09:30 → 2026-11-23 09:30" in event.note  # response, not yet answered
    last = ticket.history.latest()
    assert last.history_user == manager and last.resolution_due == ticket.resolution_due
    # the journal shows it on the ticket's page, with who did it
    page = client.get(change_url(ticket)).content.decode()
    line = page[page.index("Deadlines re-planned") - 300:page.index("Deadlines re-planned")]
    assert "manager" in line
    assert "2026-12-11 18:00 → 2026-11-23 11:00" in page


def test_an_answered_ticket_keeps_its_response_deadline(client, manager, policies):
    ticket = TicketFactory(received_at=RECEIVED)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=aware(2026, 11, 23, 10, 0))
    client.force_login(manager)
    post_form(client, ticket, priority=wf.Priority.CRITICAL)
    ticket.refresh_from_db()
    assert ticket.response_due == aware(2026, 11, 24, 9, 30)
    assert ticket.resolution_due == aware(2026, 11, 23, 11, 0)


def test_the_bulk_priority_action_replans_each_ticket(client, clerk, policies):
    tickets = TicketFactory.create_batch(2, received_at=RECEIVED)
    closed = TicketFactory(received_at=RECEIVED, state=wf.TicketStatus.CLOSED)
    client.force_login(clerk)
    run_action(client, "change_priority_selected", [*tickets, closed],
               priority=wf.Priority.CRITICAL)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.sla_policy == policies["critical"]
        assert ticket.resolution_due == aware(2026, 11, 23, 11, 0)
        [event] = replans(ticket)
        assert event.actor == clerk and "→ 2026-11-23 11:00" in event.note
    assert not replans(closed)


def test_a_customer_made_vip_on_its_form_gets_the_vip_deadlines(client, manager, policies):
    customer = CustomerFactory(is_vip=False)
    ticket = TicketFactory(received_at=RECEIVED, customer=customer)
    resolved = TicketFactory(received_at=RECEIVED, customer=customer,
                             state=wf.TicketStatus.RESOLVED)
    client.force_login(manager)
    response = post_form(client, customer, is_vip="on")
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.sla_policy == policies["normal_vip"]
    assert ticket.response_due == aware(2026, 11, 23, 10, 0)
    assert ticket.resolution_due == aware(2026, 11, 23, 18, 0)
    [event] = replans(ticket)
    assert "VIP" in event.note and "2026-12-11 18:00 → 2026-11-23 18:00" in event.note
    assert not replans(resolved)  # finished tickets keep the plan they were measured by


def test_editing_a_policy_on_its_form_replans_its_open_tickets(client, manager, policies):
    ticket = TicketFactory(received_at=RECEIVED)
    other = TicketFactory(received_at=RECEIVED, priority=wf.Priority.CRITICAL)
    client.force_login(manager)
    response = post_form(client, policies["normal"], resolution_minutes=450)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.resolution_due == aware(2026, 11, 23, 18, 0)
    [event] = replans(ticket)
    assert event.actor == manager and "普通" in event.note
    assert "2026-12-11 18:00 → 2026-11-23 18:00" in event.note
    assert not replans(other)  # another priority's policy: untouched


def test_a_policy_that_stops_pausing_for_rnd_restarts_the_clock(client, manager, engineer,
                                                                  policies):
    ticket = TicketFactory(received_at=RECEIVED, state=wf.TicketStatus.WAITING_RND,
                           assignee=engineer, paused_since=aware(2026, 11, 23, 10, 0))
    services.replan_for_policy(policies["normal"], actor=manager)  # nothing changed
    assert not replans(ticket)
    SLAPolicy.objects.filter(pk=policies["normal"].pk).update(rnd_pauses_clock=False)
    services.replan_for_policy(policies["normal"], actor=manager)
    ticket.refresh_from_db()
    assert ticket.paused_since is None and ticket.paused_seconds > 0
    assert Ticket.objects.overdue(now=aware(2027, 1, 30, 9, 0)).filter(pk=ticket.pk).exists()


def test_a_large_replan_goes_to_the_worker_in_chunks(manager, policies, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    """Tasks run inline in tests (the immediate backend), after the commit: each chunk is
    one task, and every ticket lands."""
    monkeypatch.setattr(services, "REPLAN_INLINE_LIMIT", 3)
    monkeypatch.setattr(services, "REPLAN_TASK_CHUNK", 2)
    chunks, replan = [], services._replan
    monkeypatch.setattr(services, "_replan",
                        lambda ids, *args: (chunks.append(len(ids)), replan(ids, *args))[1])
    tickets = TicketFactory.create_batch(5, received_at=RECEIVED)
    SLAPolicy.objects.filter(pk=policies["normal"].pk).update(resolution_minutes=450)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.replan_for_policy(policies["normal"], actor=manager) == 0
        assert chunks == []  # nothing in the request
    assert chunks == [2, 2, 1]
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.resolution_due == aware(2026, 11, 23, 18, 0)


def test_calendar_changed_replans_the_tickets_on_it(manager, policies, calendar):
    ticket = TicketFactory(received_at=RECEIVED)
    calendar.days.create(date=aware(2026, 11, 24, 0, 0).date(), kind="holiday", name="测试假日")
    assert services.calendar_changed(calendar, actor=manager) == 1
    ticket.refresh_from_db()
    assert ticket.resolution_due == aware(2026, 12, 14, 18, 0)  # one working day later
    assert "2026-12-11 18:00 → 2026-12-14 18:00" in replans(ticket)[0].note


@pytest.mark.parametrize("role", ["clerk", "engineer", "manager"])
def test_due_dates_are_read_only_for_every_role(client, role, request, policies):
    user = request.getfixturevalue(role)
    ticket = TicketFactory(received_at=RECEIVED, assignee=user,
                           state=wf.TicketStatus.IN_PROGRESS)
    client.force_login(user)
    page = client.get(change_url(ticket)).content.decode()
    assert 'name="response_due' not in page and 'name="resolution_due' not in page
    assert 'name="sla_policy' not in page
    post_form(client, ticket, response_due_0="2030-01-01", response_due_1="09:00",
              resolution_due_0="2030-01-01", resolution_due_1="09:00",
              resolution_due="2030-01-01 09:00", sla_policy=policies["critical"].pk)
    ticket.refresh_from_db()
    assert ticket.resolution_due == aware(2026, 12, 11, 18, 0)
    assert ticket.sla_policy == policies["normal"]


def test_the_ticket_import_ignores_due_dates_and_replans_a_new_priority(manager, policies):
    import tablib

    from backoffice.desk.resources import TicketResource

    ticket = TicketFactory(received_at=RECEIVED)
    resource = TicketResource()
    dataset = resource.export(Ticket.objects.filter(pk=ticket.pk))
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    row[resource.column_label(resource.fields["priority"])] = "critical"
    data = tablib.Dataset(headers=[*row, "response_due", "resolution_due"])
    data.append([*row.values(), "2030-01-01 09:00", "2030-01-01 09:00"])
    result = TicketResource().import_data(data, dry_run=False, user=manager)
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    ticket.refresh_from_db()
    assert ticket.priority == wf.Priority.CRITICAL
    assert ticket.resolution_due == aware(2026, 11, 23, 11, 0)
    assert replans(ticket)[0].actor == manager


def test_the_customer_import_replans_a_customer_made_vip(manager, policies):
    import tablib

    from backoffice.desk.models import Customer
    from backoffice.desk.resources import CustomerResource

    customer = CustomerFactory(is_vip=False)
    ticket = TicketFactory(received_at=RECEIVED, customer=customer)
    resource = CustomerResource()
    dataset = resource.export(Customer.objects.filter(pk=customer.pk))
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    row[resource.column_label(resource.fields["is_vip"])] = "yes"
    data = tablib.Dataset(headers=list(row))
    data.append(list(row.values()))
    result = CustomerResource().import_data(data, dry_run=False, user=manager)
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    ticket.refresh_from_db()
    assert ticket.sla_policy == policies["normal_vip"]
    assert "VIP" in replans(ticket)[0].note
