"""The conversation in the browser: the clerk logs a call, the engineer's bell shows it,
the engineer replies with an attachment, and the reply mail reaches the SMTP server."""

import re

import pytest
from playwright.sync_api import expect

from backoffice.desk import workflows as wf
from backoffice.desk.models import TicketMessage
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_call_bell_reply_mail(page, login, live_server, clerk, engineer, smtp_settings,
                              tmp_path):
    ticket = TicketFactory(subject="报表导出失败",
                           contact=ContactFactory(name="王建国", email="wang@customer.example"))
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    change = f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/"

    # the clerk takes the customer's second call and logs it on the ticket
    login("clerk")
    page.goto(change)
    page.click("#log-call")
    dialog = page.locator("#message-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=message-body]").fill("客户再次来电：导出 Excel 时提示内存不足")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and "/conversation/" in r.url):
        dialog.locator("#message-submit").click()
    expect(page.locator("#thread")).to_contain_text("导出 Excel 时提示内存不足")

    # the engineer's bell shows it (beside the assignment), and leads to the ticket
    login("engineer")
    expect(page.locator("#notification-count")).to_have_text("2")
    page.click("#notification-bell")
    note = page.get_by_role("link", name=re.compile(rf"clerk.*{ticket.number}"))
    with page.expect_navigation(url=re.compile(rf".*/ticket/{ticket.pk}/change/")):
        note.click()
    expect(page.locator("#notification-count")).to_have_text("1")

    # the engineer replies by mail, with a screenshot
    shot = tmp_path / "fix.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 128)
    page.click("#reply-customer")
    expect(dialog).to_be_visible()
    expect(dialog.locator("select[name=message-channel]")).to_have_value(wf.Channel.EMAIL)
    dialog.locator("textarea[name=message-body]").fill("您好，请升级到 5.2.1 后重试，步骤见截图。")
    dialog.locator("input[name=message-files]").set_input_files(str(shot))
    with page.expect_response(lambda r: r.request.method == "POST"
                              and "/conversation/" in r.url):
        dialog.locator("#message-submit").click()
    expect(page.locator("#thread")).to_contain_text("请升级到 5.2.1")
    expect(page.locator("#thread a", has_text="fix.png")).to_be_visible()

    mail = smtp_settings.wait_for(1)[0]
    assert mail["To"] == "wang@customer.example"
    assert re.fullmatch(rf"\[{ticket.number}\] 报表导出失败", str(mail["Subject"]))
    assert "5.2.1" in mail.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in mail.iter_attachments()] == ["fix.png"]
    assert TicketMessage.objects.get(direction=wf.MessageDirection.TO_CUSTOMER).mail_status \
        == "sent"
