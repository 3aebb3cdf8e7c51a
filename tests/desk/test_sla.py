"""Response-time targets counted in working time on the business calendar.

The calendar (fixture ``calendar``): Mon-Fri 09:00-12:00 and 13:30-18:00 (7.5 h a day),
2026 public holidays, and make-up working days on weekends (e.g. Sat 2026-02-14,
Sun 2026-09-20). Times are Asia/Shanghai.
"""

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy, Ticket
from backoffice.desk.sla import WorkingCalendar
from backoffice.platform.workflow import apply_transition
from tests.conftest import aware
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cal(calendar):
    return WorkingCalendar.load(calendar)


def test_within_one_working_day(cal):
    # Wed 2026-11-25 10:00 + 2 h = 12:00 (the morning period ends exactly then)
    assert cal.add(aware(2026, 11, 25, 10, 0), 2 * 3600) == aware(2026, 11, 25, 12, 0)
    # + 3 h skips the lunch break: 10:00-12:00, then 13:30-14:30
    assert cal.add(aware(2026, 11, 25, 10, 0), 3 * 3600) == aware(2026, 11, 25, 14, 30)


def test_across_a_weekend(cal):
    # Fri 2026-11-27 17:00 + 2 h: 1 h on Friday, then Monday 09:00-10:00
    assert cal.add(aware(2026, 11, 27, 17, 0), 2 * 3600) == aware(2026, 11, 30, 10, 0)


def test_arrival_outside_hours_starts_next_morning(cal):
    # Sat 2026-11-28 22:00 + 1 h -> Mon 10:00
    assert cal.add(aware(2026, 11, 28, 22, 0), 3600) == aware(2026, 11, 30, 10, 0)


def test_across_a_public_holiday(cal):
    # Wed 2026-09-30 17:00 + 2 h: 1 h that day, National Day 10-01..10-07 closed,
    # Thu 10-08 09:00-10:00
    assert cal.add(aware(2026, 9, 30, 17, 0), 2 * 3600) == aware(2026, 10, 8, 10, 0)


def test_make_up_working_day_on_a_weekend_counts(cal):
    # Fri 2026-09-18 17:00 + 2 h: 1 h Friday; Sat 09-19 is a weekend; Sun 09-20 is a
    # make-up working day (国庆节调休) -> 09:00-10:00 that Sunday
    assert cal.add(aware(2026, 9, 18, 17, 0), 2 * 3600) == aware(2026, 9, 20, 10, 0)


def test_between_is_the_inverse_of_add(cal):
    start = aware(2026, 9, 30, 11, 0)
    end = cal.add(start, 10 * 3600)
    assert cal.between(start, end) == 10 * 3600
    assert cal.between(end, start) == 0


def test_round_the_clock_policy_ignores_the_calendar(calendar):
    cal = WorkingCalendar.load(calendar, round_the_clock=True)
    assert cal.add(aware(2026, 10, 1, 23, 0), 2 * 3600) == aware(2026, 10, 2, 1, 0)


def test_ticket_deadlines_follow_priority_and_vip(calendar):
    SLAPolicy.objects.all().delete()
    SLAPolicy.objects.create(name="普通", priority=wf.Priority.NORMAL, response_minutes=120,
                             resolution_minutes=450)
    SLAPolicy.objects.create(name="普通VIP", priority=wf.Priority.NORMAL, for_vip=True,
                             response_minutes=60, resolution_minutes=225)
    received = aware(2026, 11, 27, 17, 0)  # Friday 17:00
    plain = TicketFactory(received_at=received)
    vip = TicketFactory(received_at=received, customer=CustomerFactory(is_vip=True))
    assert plain.response_due == aware(2026, 11, 30, 10, 0)
    assert plain.resolution_due == aware(2026, 11, 30, 17, 0)  # one working day later
    assert vip.response_due == aware(2026, 11, 27, 18, 0)
    assert vip.sla_policy.for_vip


def test_waiting_for_the_customer_pauses_the_clock(calendar, clerk, engineer, monkeypatch):
    SLAPolicy.objects.all().delete()
    SLAPolicy.objects.create(name="普通", priority=wf.Priority.NORMAL, response_minutes=120,
                             resolution_minutes=450)
    ticket = TicketFactory(received_at=aware(2026, 11, 23, 9, 0))  # Monday 09:00
    assert ticket.resolution_due == aware(2026, 11, 23, 18, 0)
    now = {"t": aware(2026, 11, 23, 10, 0)}
    monkeypatch.setattr(timezone, "now", lambda: now["t"])
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    services.post_message(ticket, direction=wf.MessageDirection.FROM_CUSTOMER,
                          channel=wf.Channel.PHONE, body="回电客户", author=engineer)
    ticket.refresh_from_db()
    assert ticket.first_response_seconds == 3600 and ticket.response_met
    apply_transition(ticket, "wait_for_customer", actor=engineer)
    assert not Ticket.objects.overdue(now=aware(2026, 11, 24, 9, 0)).filter(pk=ticket.pk).exists()
    now["t"] = aware(2026, 11, 24, 11, 0)  # the customer answers Tuesday 11:00
    # paused Mon 10:00 -> Tue 11:00 = Mon 10:00-12:00 (2 h) + 13:30-18:00 (4.5 h)
    #                                  + Tue 09:00-11:00 (2 h) = 8.5 working hours
    apply_transition(ticket, "resume", actor=engineer)
    assert ticket.paused_seconds == int(8.5 * 3600)
    # resolution target 7.5 h + 8.5 h paused = 16 working hours after Mon 09:00:
    # Mon 7.5 h + Tue 7.5 h + Wed 09:00-10:00
    assert ticket.resolution_due == aware(2026, 11, 25, 10, 0)


def test_overdue_and_due_soon_filters(calendar):
    now = timezone.now()
    late = TicketFactory()
    Ticket.objects.filter(pk=late.pk).update(response_due=now - dt.timedelta(hours=1),
                                             resolution_due=now + dt.timedelta(days=1))
    soon = TicketFactory()
    Ticket.objects.filter(pk=soon.pk).update(response_due=now + dt.timedelta(minutes=30),
                                             resolution_due=now + dt.timedelta(days=1))
    fine = TicketFactory()
    Ticket.objects.filter(pk=fine.pk).update(response_due=now + dt.timedelta(days=1),
                                             resolution_due=now + dt.timedelta(days=2))
    assert list(Ticket.objects.overdue().values_list("pk", flat=True)) == [late.pk]
    assert list(Ticket.objects.due_soon().values_list("pk", flat=True)) == [soon.pk]
