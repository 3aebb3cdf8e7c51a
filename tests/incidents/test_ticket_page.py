"""The emergency banner on the ticket page: only on critical outage, security or data-loss
tickets; the message after recording one; the dashboard's open incidents first."""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.incidents.models import Incident, IncidentTicket
from tests.incidents.conftest import outage_ticket

pytestmark = pytest.mark.django_db


def ticket_page(client, ticket):
    return client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])).content.decode()


@pytest.mark.parametrize("category, priority, proposed", [
    (wf.Category.OUTAGE, wf.Priority.CRITICAL, True),
    (wf.Category.SECURITY, wf.Priority.CRITICAL, True),
    (wf.Category.DATA, wf.Priority.CRITICAL, True),
    (wf.Category.OUTAGE, wf.Priority.HIGH, False),
    (wf.Category.OPERATION, wf.Priority.CRITICAL, False),
    (wf.Category.BUG, wf.Priority.CRITICAL, False),
])
def test_the_banner_only_on_critical_emergencies(client, manager, product, category, priority,
                                                 proposed):
    ticket = outage_ticket(product, category=category, priority=priority)
    client.force_login(manager)
    page = ticket_page(client, ticket)
    assert ('id="incident-proposal"' in page) is proposed
    assert ("Open an incident" in page) is proposed


def test_no_banner_once_resolved_or_counted(client, manager, product, plan):
    resolved = outage_ticket(product, state=wf.TicketStatus.RESOLVED)
    client.force_login(manager)
    assert 'id="incident-proposal"' not in ticket_page(client, resolved)
    counted = outage_ticket(product)
    incident = Incident.objects.create(kind="outage", title="认证服务中断")
    IncidentTicket.objects.create(incident=incident, ticket=counted)
    page = ticket_page(client, counted)
    assert 'id="incident-proposal"' not in page and incident.number in page


def test_the_manager_recording_a_critical_outage_is_offered_the_incident(client, manager,
                                                                        product):
    from tests.factories import CustomerFactory
    from tests.pages import form_data

    client.force_login(manager)
    data = form_data(client.get(reverse("admin:backoffice_ticket_add")).content.decode())
    data.update({"channel": wf.Channel.PHONE, "category": wf.Category.SECURITY,
                 "priority": wf.Priority.CRITICAL, "customer": CustomerFactory().pk,
                 "product": product.pk, "subject": "疑似数据泄露",
                 "received_at_0": "2026-12-01", "received_at_1": "10:00:00"})
    page = client.post(reverse("admin:backoffice_ticket_add"), data, follow=True)
    text = page.content.decode()
    assert "is this an emergency?" in text
    assert reverse("admin:backoffice_incident_add") + "?from_ticket=" in text


def test_dashboard_shows_open_incidents_first_to_managers(client, manager, engineer, plan,
                                                          product):
    from backoffice.incidents.services import incident_attach_tickets

    incident = Incident.objects.create(kind="outage", severity="p1", title="认证服务中断",
                                       plan=plan)
    incident_attach_tickets(incident, [outage_ticket(product), outage_ticket(product)],
                            actor=manager)
    Incident.objects.create(kind="outage", title="已结束的故障", state="closed")
    client.force_login(manager)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="open-incidents"' in page and "已结束的故障" not in page
    assert page.index('id="dashboard"') < page.index('id="open-incidents"') \
        < page.index('data-figure="open"')  # first, above the week's figures
    row = page[page.index(f'data-incident="{incident.number}"'):]
    row = row[:row.index("</tr>")]
    assert "P1" in row and "1. 确认故障范围" in row and ">2<" in row
    client.force_login(engineer)
    assert 'id="open-incidents"' not in client.get(reverse("admin:index")).content.decode()
