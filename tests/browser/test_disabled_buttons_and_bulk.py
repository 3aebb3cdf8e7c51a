"""In Chinese: a workflow step that is not possible yet is a disabled button saying why,
and the ticket list's bulk assign reports the ticket it had to refuse."""

import re

import pytest
from playwright.sync_api import expect

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resolve_is_disabled_until_the_solution_is_written(page, login, live_server, clerk,
                                                           engineer, calendar):
    ticket = TicketFactory(subject="月末结账报表数据不一致")
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)

    login("engineer")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    resolve = page.locator('button[data-transition="resolve"]')
    expect(resolve).to_be_visible()
    expect(resolve).to_be_disabled()  # aria-disabled: focusable, does nothing
    expect(resolve).to_contain_text("解决")
    resolve_link = page.locator('a[href$="/transition/resolve/"]')
    expect(resolve_link).to_have_count(0)
    # the reason, read to screen readers as the button's description ...
    expect(resolve).to_have_accessible_description(re.compile("服务记录中的解决方案为空"))
    # ... and shown in a tooltip on hover
    tooltip = page.locator('[data-reason-for="resolve"]')
    expect(tooltip).to_be_hidden()
    resolve.hover()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("服务记录中的解决方案为空")
    # clicking it opens no dialog
    resolve.click(force=True)
    expect(page.locator("#dialog")).to_have_count(0)

    # with the solution written, the same step is an ordinary button
    page.fill("textarea[name=solution]", "重建索引后数据一致")
    with page.expect_navigation():
        page.locator("button[name=_continue]").click()
    expect(resolve_link).to_be_visible()
    expect(resolve_link).to_contain_text("解决")
    expect(page.locator('button[data-transition="resolve"]')).to_have_count(0)


def test_bulk_assign_reports_the_refused_ticket(page, login, live_server, clerk, engineer,
                                                calendar):
    bug = TicketFactory(subject="报表导出超时")
    complaint = TicketFactory(subject="工程师上门迟到", category=wf.Category.COMPLAINT)

    login("clerk")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/")
    for ticket in (bug, complaint):
        page.locator(f'input.action-select[value="{ticket.pk}"]').check()
    page.select_option("select[name=action]", "assign_selected")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    form = page.locator("#bulk-action-form")
    expect(form).to_contain_text(bug.number)
    expect(form).to_contain_text(complaint.number)
    form.locator("select[name=assignee]").select_option(str(engineer.pk))
    with page.expect_navigation(url=re.compile(r".*/admin/backoffice/ticket/$")):
        form.locator("button[type=submit]").click()

    # one message names the refused ticket and why (in Chinese: the workflow's own words)
    refusal = page.get_by_text(re.compile(rf"{complaint.number}: .*投诉由售后经理处理"))
    expect(refusal).to_be_visible()
    assert Ticket.objects.get(pk=bug.pk).state == wf.TicketStatus.ASSIGNED
    assert Ticket.objects.get(pk=complaint.pk).assignee_id is None
