"""Time entries (工时): the engineer records their hours on their ticket from the ticket
page, the manager corrects; none on a closed or cancelled ticket."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import TimeEntry
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(clerk, engineer):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    ticket.refresh_from_db()
    return ticket


def record_url(ticket):
    return reverse("admin:backoffice_ticket_record_time_action", args=[ticket.pk])


def change_url(ticket):
    return reverse("admin:backoffice_ticket_change", args=[ticket.pk])


def record(client, ticket, **data):
    today = timezone.localdate().isoformat()
    return client.post(record_url(ticket), {"_form_submitted": "on", "worked_on": today,
                                            "hours": "1.5", "description": "远程排查",
                                            **data})


def test_the_engineer_records_time_on_own_ticket_and_sees_it(client, engineer, assigned):
    client.force_login(engineer)
    page = client.get(change_url(assigned)).content.decode()
    assert "record-time" in page and "data-cost-time" in page
    response = record(client, assigned, hours="2.25")
    assert response.headers["HX-Redirect"].endswith(f"/ticket/{assigned.pk}/change/")
    entry = TimeEntry.objects.get(ticket=assigned)
    assert (entry.person, entry.recorded_by, entry.hours) == (engineer, engineer,
                                                              Decimal("2.25"))
    assert entry.history.count() == 1
    page = client.get(change_url(assigned)).content.decode()
    assert f'data-time-entry="{entry.pk}"' in page
    assert reverse("admin:backoffice_timeentry_change", args=[entry.pk]) in page
    assert "data-cost-summary" not in page  # no money figures for an engineer


def test_another_engineer_may_not_record_time_on_the_ticket(client, make_user, assigned):
    other = make_user("engineer")
    client.force_login(other)
    assert "record-time" not in client.get(change_url(assigned)).content.decode()
    assert record(client, assigned).status_code == 403
    with pytest.raises(PermissionDenied):
        services.time_entry_record(ticket=assigned, hours=Decimal("1"), actor=other)
    assert not TimeEntry.objects.exists()


def test_an_engineer_records_only_own_hours(engineer, make_user, assigned):
    with pytest.raises(PermissionDenied):
        services.time_entry_record(ticket=assigned, hours=Decimal("1"), actor=engineer,
                                   person=make_user("engineer"))


def test_no_time_on_a_closed_or_cancelled_ticket(client, engineer, manager, assigned):
    closed = TicketFactory(state=wf.TicketStatus.CLOSED, assignee=engineer)
    cancelled = TicketFactory(state=wf.TicketStatus.CANCELLED, assignee=engineer)
    client.force_login(engineer)
    for ticket in (closed, cancelled):
        assert "record-time" not in client.get(change_url(ticket)).content.decode()
        assert record(client, ticket).status_code == 403
        for actor in (engineer, manager):
            with pytest.raises(ValidationError):
                services.time_entry_record(ticket=ticket, hours=Decimal("1"), actor=actor)
    assert not TimeEntry.objects.exists()


def test_hours_out_of_range_or_a_future_day_are_refused(client, engineer, assigned):
    client.force_login(engineer)
    record(client, assigned, hours="0")
    record(client, assigned, hours="24.5")
    record(client, assigned, worked_on=(timezone.localdate() + dt.timedelta(days=1)).isoformat())
    assert not TimeEntry.objects.exists()
    with pytest.raises(ValidationError):
        services.time_entry_record(ticket=assigned, hours=Decimal("1"), actor=engineer,
                                   worked_on=timezone.localdate() + dt.timedelta(days=2))


def test_the_manager_records_for_an_engineer_and_corrects(client, engineer, manager, assigned):
    client.force_login(manager)
    record(client, assigned, person=str(engineer.pk), hours="3")
    entry = TimeEntry.objects.get()
    assert (entry.person, entry.recorded_by) == (engineer, manager)
    url = reverse("admin:backoffice_timeentry_change", args=[entry.pk])
    page = client.get(url).content.decode()
    from tests.pages import form_data

    data = form_data(page)
    data.update({"hours": "2.50", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert entry.hours == Decimal("2.50") and entry.history.count() == 2


def test_the_engineer_corrects_own_entries_only(client, engineer, make_user, manager,
                                                assigned):
    mine = services.time_entry_record(ticket=assigned, hours=Decimal("1"), actor=engineer)
    theirs = services.time_entry_record(ticket=assigned, hours=Decimal("1"), actor=manager,
                                        person=manager)
    client.force_login(engineer)
    mine_page = client.get(reverse("admin:backoffice_timeentry_change", args=[mine.pk]))
    theirs_page = client.get(reverse("admin:backoffice_timeentry_change", args=[theirs.pk]))
    assert 'name="hours"' in mine_page.content.decode()
    assert 'name="hours"' not in theirs_page.content.decode()


def test_the_time_entry_list_adds_by_the_same_rule(client, engineer, make_user, assigned):
    """Adding on the time-entry list: one's own assigned ticket yes, another's no."""
    add = reverse("admin:backoffice_timeentry_add")
    today = timezone.localdate().isoformat()
    data = {"ticket": assigned.pk, "worked_on": today, "hours": "1.00", "description": "x"}
    other = make_user("engineer")
    client.force_login(other)
    response = client.post(add, data)
    assert response.status_code == 200
    assert "You may record time only on the tickets assigned to you." in response.content.decode()
    assert not TimeEntry.objects.exists()
    client.force_login(engineer)
    response = client.post(add, data)
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.ticket, entry.person, entry.recorded_by) == (assigned, engineer, engineer)
