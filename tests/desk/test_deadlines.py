"""Deadline alerts (backoffice.desk.deadlines): who hears of a ticket about to miss, or having
missed, its response or resolution deadline; once per stage; never for a paused clock; and
afresh when the deadline moves. The check never saves the ticket and costs a bounded number
of queries."""

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.desk import deadlines, services
from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy, Ticket
from backoffice.desk.workflows import SLAAlert, TicketStatus
from backoffice.platform.models import Notification, NotificationSettings
from backoffice.platform.workflow import apply_transition
from tests.conftest import aware
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ALERTS = [deadlines.TICKET_DUE_SOON.name, deadlines.TICKET_BREACHED.name]


def ticket(*, state=TicketStatus.IN_PROGRESS, assignee=None, response_in=None,
           resolution_in=None, answered=True, now=None):
    """A ticket whose deadlines are ``now`` + the given timedeltas (set in the database)."""
    now = now or timezone.now()
    t = TicketFactory(state=state, assignee=assignee)
    Ticket.objects.filter(pk=t.pk).update(
        response_due=now + response_in if response_in is not None else None,
        resolution_due=now + resolution_in if resolution_in is not None else None,
        first_response_at=now - dt.timedelta(hours=1) if answered else None)
    t.refresh_from_db()
    return t


def alerts(user=None):
    qs = Notification.objects.filter(event__in=ALERTS)
    return qs.filter(recipient=user) if user is not None else qs


def minutes(n):
    return dt.timedelta(minutes=n)


def test_due_soon_tells_the_engineer_once(engineer, manager, clerk):
    t = ticket(assignee=engineer, resolution_in=minutes(30))
    before = Ticket.objects.values("version", "updated_at").get(pk=t.pk)
    history = t.history.count()

    assert deadlines.check() == {"breached": 0, "due_soon": 1, "rearmed": 0}
    [note] = alerts()
    assert note.recipient == engineer and note.event == "ticket_due_soon"
    assert note.title.startswith(f"Resolution of {t.number} due by ")
    assert note.url == f"/admin/backoffice/ticket/{t.pk}/change/"
    t.refresh_from_db()
    assert t.sla_alert == SLAAlert.DUE_SOON
    # stamped, never saved: a colleague's open form (its version) stays valid
    assert Ticket.objects.values("version", "updated_at").get(pk=t.pk) == before
    assert t.history.count() == history

    assert deadlines.check() == {"breached": 0, "due_soon": 0, "rearmed": 0}
    assert alerts().count() == 1


def test_breach_tells_the_engineer_and_the_managers(engineer, manager, clerk, make_user):
    second_manager = make_user("manager")
    due_soon = ticket(assignee=engineer, resolution_in=minutes(60))
    deadlines.check()
    assert set(alerts().values_list("recipient__username", flat=True)) == {"engineer"}

    # an hour and a half later it is overdue: the breach goes out, to more people
    later = timezone.now() + minutes(90)
    assert deadlines.check(later)["breached"] == 1
    breached = alerts().filter(event="ticket_breached")
    assert set(breached.values_list("recipient", flat=True)) == {
        engineer.pk, manager.pk, second_manager.pk}
    assert breached.first().title.startswith(f"{due_soon.number} missed its resolution deadline")
    assert breached.first().body == "Engineer: engineer"
    assert Ticket.objects.get(pk=due_soon.pk).sla_alert == SLAAlert.BREACHED
    assert clerk.notifications.count() == 0

    assert deadlines.check(later) == {"breached": 0, "due_soon": 0, "rearmed": 0}
    assert alerts().count() == 4


def test_an_unassigned_ticket_goes_to_those_who_assign(engineer, manager, clerk):
    t = ticket(state=TicketStatus.NEW, response_in=minutes(20), resolution_in=minutes(600),
               answered=False)
    deadlines.check()
    assert set(alerts().values_list("recipient", flat=True)) == {clerk.pk, manager.pk}
    note = alerts(clerk).get()
    assert note.title.startswith(f"First response to {t.number} due by ")
    assert note.body == "Nobody is assigned to it yet."


def test_an_answered_ticket_is_not_late_for_its_response(engineer):
    ticket(assignee=engineer, response_in=minutes(-60), resolution_in=minutes(600))
    assert deadlines.check() == {"breached": 0, "due_soon": 0, "rearmed": 0}


@pytest.mark.parametrize("state", [TicketStatus.WAITING, TicketStatus.RESOLVED,
                                   TicketStatus.CLOSED, TicketStatus.CANCELLED])
def test_no_alert_while_the_clock_does_not_run(engineer, manager, state):
    ticket(state=state, assignee=engineer, response_in=minutes(-300),
           resolution_in=minutes(-60), answered=False)
    assert deadlines.check() == {"breached": 0, "due_soon": 0, "rearmed": 0}
    assert not alerts().exists()


def test_inactive_people_are_not_told(engineer, manager):
    engineer.is_active = False
    engineer.save()
    ticket(assignee=engineer, resolution_in=minutes(-5))
    deadlines.check()
    assert list(alerts().values_list("recipient", flat=True)) == [manager.pk]


def test_mails_go_after_the_commit_to_those_who_want_them(engineer, manager, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    NotificationSettings.objects.create(user=engineer, mail_events=["ticket_due_soon"])
    mailed = []
    monkeypatch.setattr(deadlines, "_send_mails", mailed.extend)
    ticket(assignee=engineer, resolution_in=minutes(-5))
    with django_capture_on_commit_callbacks(execute=True):
        deadlines.check()
    # the engineer chose mails for "due soon" only; the manager kept the default (mail)
    assert set(Notification.objects.filter(pk__in=mailed)
               .values_list("recipient", flat=True)) == {manager.pk}


def test_waiting_pauses_and_resuming_rearms(calendar, clerk, engineer, manager, monkeypatch):
    """The real path: the customer's wait moves the deadline, and the alerts start over."""
    SLAPolicy.objects.all().delete()
    SLAPolicy.objects.create(name="普通", priority=wf.Priority.NORMAL, response_minutes=120,
                             resolution_minutes=450)
    clock = {"now": aware(2026, 11, 23, 10, 0)}  # Monday; working hours 9-12, 13:30-18
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    t = TicketFactory(received_at=aware(2026, 11, 23, 9, 0))
    assert t.resolution_due == aware(2026, 11, 23, 18, 0)
    apply_transition(t, "assign", actor=clerk, assignee=engineer)
    apply_transition(t, "start", actor=engineer)
    services.post_message(t, direction=wf.MessageDirection.FROM_CUSTOMER,
                          channel=wf.Channel.PHONE, body="回电客户", author=engineer)
    t.refresh_from_db()  # answered in time

    clock["now"] = aware(2026, 11, 23, 16, 30)
    assert deadlines.check() == {"breached": 0, "due_soon": 1, "rearmed": 0}
    t = Ticket.objects.get(pk=t.pk)  # the next request reads the ticket afresh
    assert t.sla_alert == SLAAlert.DUE_SOON
    apply_transition(t, "wait_for_customer", actor=engineer)

    clock["now"] = aware(2026, 11, 24, 11, 0)  # Tuesday: past 18:00, but the clock is paused
    assert deadlines.check() == {"breached": 0, "due_soon": 0, "rearmed": 0}
    t = Ticket.objects.get(pk=t.pk)
    apply_transition(t, "resume", actor=engineer)  # paused 3.5 working hours
    assert t.resolution_due == aware(2026, 11, 24, 14, 0)
    assert deadlines.check() == {"breached": 0, "due_soon": 0, "rearmed": 1}
    assert Ticket.objects.get(pk=t.pk).sla_alert == SLAAlert.NONE

    clock["now"] = aware(2026, 11, 24, 12, 30)
    assert deadlines.check()["due_soon"] == 1  # the new deadline, told again
    assert alerts(engineer).filter(event="ticket_due_soon").count() == 2
    clock["now"] = aware(2026, 11, 24, 14, 30)
    assert deadlines.check()["breached"] == 1
    assert alerts(manager).filter(event="ticket_breached").count() == 1


def test_a_lost_stamp_does_not_alert_twice(engineer):
    """A concurrent save that writes sla_alert back: the notification key still holds."""
    t = ticket(assignee=engineer, resolution_in=minutes(-5))
    deadlines.check()
    Ticket.objects.filter(pk=t.pk).update(sla_alert=SLAAlert.NONE)
    assert deadlines.check()["breached"] == 1  # looked at again...
    assert alerts(engineer).count() == 1  # ...but nobody is told twice


def _alerting(n, engineers, now):
    for i in range(n):
        if i % 3 == 0:  # unassigned, response due soon
            ticket(state=TicketStatus.NEW, response_in=minutes(30), resolution_in=minutes(900),
                   answered=False, now=now)
        elif i % 3 == 1:  # breached
            ticket(assignee=engineers[i % len(engineers)], resolution_in=minutes(-10), now=now)
        else:  # due soon
            ticket(assignee=engineers[i % len(engineers)], resolution_in=minutes(45), now=now)


@pytest.mark.parametrize("count", [5, 50])
def test_the_check_costs_a_bounded_number_of_queries(count, make_user, clerk, manager,
                                                     django_assert_max_num_queries):
    engineers = [make_user("engineer") for _ in range(4)]
    now = timezone.now()
    _alerting(count, engineers, now)
    ticket(state=TicketStatus.CLOSED, assignee=engineers[0], resolution_in=minutes(-10), now=now)
    with django_assert_max_num_queries(28):  # the same bound for 5 and for 50
        result = deadlines.check(now)
    assert result["breached"] + result["due_soon"] == count
    with django_assert_max_num_queries(6):  # nothing new: six reads, whatever the volume
        assert deadlines.check(now) == {"breached": 0, "due_soon": 0, "rearmed": 0}


def test_batches_cover_every_ticket(make_user, clerk, manager):
    engineers = [make_user("engineer")]
    now = timezone.now()
    _alerting(12, engineers, now)
    result = deadlines.check(now, batch_size=5)
    assert result["breached"] + result["due_soon"] == 12
    assert not Ticket.objects.filter(state__in=wf.CLOCK_RUNNING_STATES,
                                     sla_alert=SLAAlert.NONE).exists()
