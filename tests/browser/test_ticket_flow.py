"""A clerk records a call as a ticket; the engineer presses a workflow button."""

import re

import pytest
from playwright.sync_api import expect

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_records_engineer_starts(page, login, live_server, clerk, engineer, calendar):
    CustomerFactory(code="C0001", name="北京华信科技有限公司")

    # the clerk records the call (the UI is in Chinese)
    login("clerk")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/add/")
    page.select_option("select[name=channel]", wf.Channel.PHONE)
    page.select_option("select[name=category]", wf.Category.BUG)
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-search__field").fill("华信")
    page.locator(".select2-results__option", has_text="北京华信").click()
    page.fill("input[name=subject]", "月末结账报表数据不一致")
    page.fill("textarea[name=description]", "总账与明细账金额相差")
    page.locator("button[name=_save], input[name=_save]").first.click()
    page.wait_for_url(re.compile(r".*/admin/backoffice/ticket/$"))
    ticket = Ticket.objects.get()
    assert ticket.recorded_by == clerk and ticket.state == wf.TicketStatus.NEW

    # (assignment by the clerk is covered by the dialog tests; here the engineer acts)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)

    login("engineer")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    page.get_by_role("link", name="开始处理").click()
    # the dialog POSTs, then htmx reloads the page: wait for both, not for the URL (it
    # is already the change page, so waiting for it would return at once)
    with page.expect_navigation(url=re.compile(rf".*/ticket/{ticket.pk}/change/$")):
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and "/transition/start/" in r.url) as posted:
            page.locator("#dialog form button[type=submit]").click()
    assert posted.value.ok
    expect(page.locator("body")).to_contain_text("处理中")

    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.IN_PROGRESS
    body = page.locator("body")
    assert "处理中" in body.inner_text()  # the new state, shown on the page
    journal = page.locator("text=流转记录").first
    assert journal.is_visible()
    assert page.locator("td", has_text="开始处理").count() >= 1  # the journal entry
