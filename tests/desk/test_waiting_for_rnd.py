"""Waiting for R&D from the ticket page: the engineer names the bug and the version the fix
ships in, the page shows them, and "Fix delivered" resumes the work and the clock."""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.platform.workflow import apply_transition
from tests.factories import ProductVersionFactory, TicketFactory

pytestmark = pytest.mark.django_db


def step_url(ticket, name):
    return reverse(f"admin:backoffice_ticket_transition_{name}", args=[ticket.pk])


def page_of(client, ticket):
    return client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])).content.decode()


def test_the_engineer_sends_a_ticket_to_rnd_and_back(client, clerk, engineer, calendar,
                                                     settings):
    settings.LANGUAGE_CODE = "en"
    version = ProductVersionFactory(version="9.9.1")
    ticket = TicketFactory(product=version.product)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    client.force_login(engineer)
    assert step_url(ticket, "wait_for_rnd") in page_of(client, ticket)

    response = client.post(step_url(ticket, "wait_for_rnd"),
                           {"_form_submitted": "on", "reference": "BUG-20671",
                            "target_version": version.pk, "note": "库存成本计算溢出"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code in (200, 302)
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.WAITING_RND
    assert ticket.rnd_reference == "BUG-20671" and ticket.rnd_target_version == version
    assert ticket.paused_since is not None  # the default policy pauses the clock
    assert ticket.first_response_at is not None  # telling the customer is an answer
    page = page_of(client, ticket)
    assert "Waiting for R&amp;D" in page and "BUG-20671" in page and "9.9.1" in page
    event = ticket.events.get(action="wait_for_rnd")
    assert event.actor == engineer and event.note == "库存成本计算溢出"

    client.post(step_url(ticket, "rnd_delivered"), {"_form_submitted": "on"},
                HTTP_HX_REQUEST="true")
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.IN_PROGRESS and ticket.paused_since is None
    assert "BUG-20671" in page_of(client, ticket)  # the reference stays on the record


def test_another_engineer_cannot_send_it(client, clerk, engineer, make_user, calendar):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    client.force_login(make_user("engineer"))
    client.post(step_url(ticket, "wait_for_rnd"), {"_form_submitted": "on", "reference": "X"})
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.IN_PROGRESS and ticket.rnd_reference == ""


def test_a_ticket_waiting_for_rnd_can_be_cancelled(clerk, engineer, manager, calendar):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    apply_transition(ticket, "wait_for_rnd", actor=engineer, reference="BUG-1")
    apply_transition(ticket, "cancel", actor=manager, note="客户已弃用该模块")
    assert ticket.state == wf.TicketStatus.CANCELLED
