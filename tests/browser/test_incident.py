"""The manager opens an incident from a critical outage ticket, in Chromium: the banner's
link opens the incident form filled from the ticket, saving it links the ticket, and the
ticket then shows its incident."""

import re

import pytest
from playwright.sync_api import expect

from backoffice.incidents.models import Incident
from tests.incidents.conftest import outage_ticket, plan, product  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_opens_an_incident_from_the_ticket(page, login, live_server, manager,
                                                        plan, product, calendar):  # noqa: F811
    ticket = outage_ticket(product)
    login("manager")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    expect(page.locator("#incident-proposal")).to_be_visible()

    with page.expect_navigation(url=re.compile(r".*/admin/backoffice/incident/add/\?from_ticket=")):
        page.locator("#open-incident").click()
    expect(page.locator("input[name=title]")).to_have_value("系统无法登录")
    expect(page.locator("select[name=plan]")).to_have_value(str(plan.pk))
    expect(page.locator("[name=attach_tickets]")).to_have_value(ticket.number)

    with page.expect_navigation(url=re.compile(r".*/admin/backoffice/incident/$")):
        page.locator("button[name=_save], input[name=_save]").first.click()
    incident = Incident.objects.get()
    assert list(incident.tickets.all()) == [ticket] and incident.commander == manager
    expect(page.locator("body")).to_contain_text(incident.number)

    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    expect(page.locator("#incident-link")).to_contain_text(incident.number)
    expect(page.locator("#incident-proposal")).to_have_count(0)
