"""The bell and the inbox in a real browser: count in the header, the summary fetched by
htmx, opening a notification lands on its page and the bell goes down.

Screenshots go to ``$SCREENSHOT_DIR`` when it is set (to look at the header and the inbox).
"""

import os
from pathlib import Path

import pytest

from backoffice.platform.notifications import notify
from tests.billing.factories import submitted_claim
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name, tmp_path, **kwargs):
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), **kwargs)


def test_the_bell_leads_to_the_inbox_and_opening_reads(page, live_server, login, make_user,
                                                       tmp_path):
    from django.core.cache import cache

    from billing.workflows import ExpenseCategory

    cache.clear()  # counts cached by an earlier run for a user id now reused
    manager = make_user("manager", "manager", first_name="经理", last_name="王")
    engineer = make_user("engineer", "engineer")
    submitted_claim(engineer, (ExpenseCategory.TRAVEL, "553.00"))  # one for the summary
    ticket = TicketFactory(subject="报表导出超时")
    notify([manager], "ticket_escalated", f"{ticket.number} 升级到二线：报表导出超时",
           url=f"/admin/backoffice/ticket/{ticket.pk}/change/", actor=engineer)
    notify([manager], "complaint_arrived", "投诉 SR-0002：客户对响应速度不满", actor=engineer)

    login("manager")
    bell = page.locator("#notification-bell")
    assert page.locator("#notification-count").inner_text().strip() == "3"
    shot(page, "bell-header.png", tmp_path, clip={"x": 0, "y": 0, "width": 1400, "height": 90})

    bell.click()
    page.wait_for_selector("#needs-list")  # the summary, fetched once the page is shown
    assert page.locator("#needs-list li").count() >= 1
    shot(page, "inbox.png", tmp_path, full_page=True)

    page.get_by_text("升级到二线").click()
    page.wait_for_url(f"**/admin/backoffice/ticket/{ticket.pk}/change/")
    assert page.locator("#notification-count").inner_text().strip() == "2"

    page.get_by_text("王经理").click()  # the user menu at the foot of the sidebar (family name first)
    page.locator("#notification-settings-link").wait_for(state="visible")
    shot(page, "user-menu.png", tmp_path, clip={"x": 0, "y": 500, "width": 400, "height": 500})
    page.locator("#notification-settings-link").click()
    page.wait_for_selector("#notification-settings")
    shot(page, "settings.png", tmp_path, full_page=True)
