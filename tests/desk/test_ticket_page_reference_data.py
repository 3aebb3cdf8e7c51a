"""The ticket page keeps its reference data (calendar, cost rates, canned replies, who may
do what) between views, and shows a change of it on the very next view."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import services as desk_services
from backoffice.desk import workflows as wf
from backoffice.desk.models import CalendarDay, CannedReply, SLAPolicy
from backoffice.platform import roles
from backoffice.platform.workflow import apply_transition
from billing.models import CostRate
from tests.conftest import aware
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def view(client, ticket):
    """(page, SQL) of the ticket page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode(), " ".join(q["sql"] for q in ctx.captured_queries)


def test_a_holiday_entered_on_its_page_shows_on_the_ticket_at_once(client, manager, calendar):
    """2028 has no holiday yet: the ticket planned into it says so, from the kept
    calendar, until the manager enters 元旦 2028; deleting it brings the warning back."""
    policy = SLAPolicy.objects.get(priority=wf.Priority.LOW, for_vip=False)  # working hours
    ticket = TicketFactory(priority=wf.Priority.LOW, sla_policy=policy,
                           received_at=aware(2027, 12, 31, 17))
    client.force_login(manager)
    warning = "worked out without holidays for 2028"
    view(client, ticket)
    page, sql = view(client, ticket)
    assert warning in page
    assert "backoffice_calendarday" not in sql  # the kept copy, not a read

    response = client.post(reverse("admin:backoffice_calendarday_add"), {
        "calendar": calendar.pk, "date": "2028-01-01", "kind": "holiday", "name": "元旦",
        "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page, _sql = view(client, ticket)
    assert warning not in page

    day = CalendarDay.objects.get(calendar=calendar, date=dt.date(2028, 1, 1))
    response = client.post(reverse("admin:backoffice_calendarday_delete", args=[day.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert warning in view(client, ticket)[0]


def test_a_changed_cost_rate_shows_in_the_cost_panel_at_once(client, manager, clerk, engineer):
    rate = CostRate.objects.create(role="engineer", hourly_rate=Decimal("100.00"),
                                   valid_from=dt.date(2000, 1, 1))
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    desk_services.time_entry_record(ticket=ticket, hours=Decimal("2"), actor=engineer,
                                    worked_on=timezone.localdate())
    client.force_login(manager)
    view(client, ticket)
    page, sql = view(client, ticket)
    assert 'data-row="time"' in page and 'data-value="200.00"' in page
    assert "billing_costrate" not in sql

    response = client.post(reverse("admin:billing_costrate_change", args=[rate.pk]), {
        "role": "engineer", "hourly_rate": "120.00", "valid_from": "2000-01-01", "note": "",
        "_version": rate.version, "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page, _sql = view(client, ticket)
    assert 'data-value="240.00"' in page and 'data-value="200.00"' not in page


def test_a_new_canned_reply_is_offered_at_once(client, clerk):
    ticket = TicketFactory(category=wf.Category.BUG)
    client.force_login(clerk)
    view(client, ticket)
    assert "重启服务后再试" not in view(client, ticket)[0]
    CannedReply.objects.create(title="重启服务", category=wf.Category.BUG, body="重启服务后再试")
    assert "重启服务后再试" in view(client, ticket)[0]


def test_leaving_a_role_takes_its_rights_at_once(client, clerk):
    ticket = TicketFactory()
    client.force_login(clerk)
    view(client, ticket)
    clerk.groups.remove(Group.objects.get(name=roles.group_name("clerk")))
    response = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert response.status_code in {302, 403}
