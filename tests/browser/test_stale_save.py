"""Two clerks edit the same ticket in two browsers: the second save is refused."""

import re

import pytest
from django.utils import translation

from backoffice.desk.models import Ticket
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _clerk_page(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def test_item1_two_people_saving_the_same_ticket_the_second_is_refused(
        browser, live_server, make_user, calendar):
    make_user("clerk", "clerk_a")
    make_user("clerk", "clerk_b")
    ticket = TicketFactory(subject="打印机无法连接")
    url = f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/"
    with translation.override("zh-hans"):
        stale = translation.gettext(
            "This record was changed by someone else after you opened it. "
            "Reload the page to see their changes, then make yours again.")

    first, second = (_clerk_page(browser, live_server, name) for name in ("clerk_a", "clerk_b"))
    try:
        for page in (first, second):  # both open the ticket before either saves
            page.goto(url)
            page.locator("input[name=subject]").wait_for()

        first.fill("input[name=subject]", "打印机无法连接（已远程重装驱动）")
        first.locator("button[name=_save], input[name=_save]").first.click()
        first.wait_for_url(re.compile(r".*/admin/backoffice/ticket/$"))

        second.fill("input[name=subject]", "打印机无法连接网络")
        with second.expect_response(lambda r: r.request.method == "POST"
                                    and r.url.startswith(url)) as answer:
            second.locator("button[name=_save], input[name=_save]").first.click()
        assert answer.value.status == 200  # the form again, not a redirect
        second.get_by_text(stale).first.wait_for()
        # what the second clerk typed is still in the form, to copy after reloading
        assert second.input_value("input[name=subject]") == "打印机无法连接网络"
    finally:
        first.context.close()
        second.context.close()

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.subject == "打印机无法连接（已远程重装驱动）"
