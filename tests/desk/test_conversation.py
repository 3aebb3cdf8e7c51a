"""The ticket as a conversation: calls, replies and notes on the ticket page, their
attachments, the first response, and the VIP line."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import CannedReply, Ticket, TicketMessage
from backoffice.platform.models import Notification
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db
D = wf.MessageDirection
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page(client, ticket):
    response = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post(client, ticket, **data):
    """What the conversation dialog posts (its fields are prefixed "message-")."""
    return client.post(reverse("admin:backoffice_ticket_message", args=[ticket.pk]),
                       {f"message-{k}": v for k, v in data.items()})


@pytest.fixture
def assigned(clerk, engineer):
    ticket = TicketFactory(contact=ContactFactory(email="wang@customer.example"))
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    ticket.refresh_from_db()
    return ticket


def test_a_call_note_lands_in_the_thread_stamps_the_response_and_tells_the_engineer(
        client, clerk, engineer, assigned):
    client.force_login(clerk)
    assert assigned.first_response_at is None
    response = post(client, assigned, direction=D.FROM_CUSTOMER, channel=wf.Channel.PHONE,
                    body="客户来电：报表导出仍然失败")
    assert response.status_code == 302 and response.url.endswith("#conversation")
    assigned.refresh_from_db()
    assert assigned.first_response_at is not None
    html = page(client, assigned)
    assert "客户来电：报表导出仍然失败" in html and 'class="thread-message in"' in html
    bell = Notification.objects.get(recipient=engineer, event="ticket_message")
    assert assigned.number in bell.title and bell.url.endswith(f"/{assigned.pk}/change/")
    assert not Notification.objects.filter(recipient=clerk, event="ticket_message").exists()


def test_internal_notes_look_different_and_stamp_nothing(client, clerk, assigned):
    client.force_login(clerk)
    post(client, assigned, direction=D.INTERNAL, channel=wf.Channel.PHONE, body="内部：先查日志")
    assigned.refresh_from_db()
    assert assigned.first_response_at is None
    note = TicketMessage.objects.get(ticket=assigned)
    assert note.channel == ""  # a note is nobody's channel
    assert f'class="thread-message internal" id="message-{note.pk}"' in page(client, assigned)


def test_the_thread_interleaves_the_journal_newest_last(client, clerk, engineer, assigned):
    services.post_message(assigned, direction=D.FROM_CUSTOMER, channel=wf.Channel.PHONE,
                          body="第一次来电", author=clerk)
    apply_transition(assigned, "start", actor=engineer)
    services.post_message(assigned, direction=D.TO_CUSTOMER, channel=wf.Channel.PHONE,
                          body="回电说明原因", author=engineer)
    client.force_login(clerk)
    html = page(client, assigned)
    first, started, answer = (html.index("第一次来电"), html.index("Start work")
                              if "Start work" in html[html.index('id="thread"'):] else -1,
                              html.index("回电说明原因"))
    thread = html[html.index('id="thread"'):]
    assert thread.index("第一次来电") < thread.index("回电说明原因")
    assert started == -1 or first < answer
    assert "sync_alt" in thread  # journal lines are in the thread


def test_a_reply_by_mail_goes_out_with_the_ticket_number_and_its_attachment(
        client, engineer, assigned, django_capture_on_commit_callbacks):
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, assigned, direction=D.TO_CUSTOMER, channel=wf.Channel.EMAIL,
                        body="您好，补丁已发布。",
                        files=[SimpleUploadedFile("screen.png", PNG, "image/png")])
    assert response.status_code == 302
    sent = mail.outbox[-1]
    assert sent.subject == f"[{assigned.number}] {assigned.subject}"
    assert sent.to == ["wang@customer.example"] and "补丁已发布" in sent.body
    assert [a[0] for a in sent.attachments] == ["screen.png"]
    reply = TicketMessage.objects.get(ticket=assigned)
    assert reply.mail_status == "sent" and reply.mail_message_id == sent.extra_headers["Message-ID"]
    assigned.refresh_from_db()
    assert assigned.first_response_at is not None


def test_a_file_that_is_not_what_it_says_is_refused_and_the_text_kept(client, clerk, assigned):
    client.force_login(clerk)
    response = post(client, assigned, direction=D.FROM_CUSTOMER, channel=wf.Channel.PHONE,
                    body="客户发来的截图", files=[SimpleUploadedFile("shot.png", b"MZ\x90\x00exe")])
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not really a PNG file" in html or "不是真正的" in html
    assert "客户发来的截图" in html and 'data-open-now="1"' in html
    assert not TicketMessage.objects.exists()


def test_attachments_are_served_only_to_those_who_may_see_the_ticket(
        client, clerk, engineer, assigned, make_user):
    message = services.post_message(
        assigned, direction=D.FROM_CUSTOMER, channel=wf.Channel.EMAIL, body="日志见附件",
        author=clerk, files=[SimpleUploadedFile("error.log", "错误：连接超时\n".encode())])
    attachment = message.attachments.get()
    url = attachment.file.url
    assert url.startswith("/admin/") and "error.log" not in url  # stored under a random name
    client.force_login(engineer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).decode() \
        == "错误：连接超时\n"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]  # text is downloaded, not shown
    stranger = make_user(None)  # staff, but no role: may not see tickets
    client.force_login(stranger)
    assert client.get(url).status_code in (403, 404)
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_an_engineer_replies_on_own_tickets_only(client, engineer, make_user, clerk):
    other = TicketFactory(contact=ContactFactory(email="li@customer.example"))
    apply_transition(other, "assign", actor=clerk, assignee=make_user("engineer"))
    client.force_login(engineer)
    html = page(client, other)
    assert 'id="reply-customer"' not in html and 'id="add-note"' in html
    response = post(client, other, direction=D.TO_CUSTOMER, channel=wf.Channel.PHONE,
                    body="冒名回复")
    assert response.status_code == 200
    assert not TicketMessage.objects.filter(ticket=other).exists()


def test_canned_replies_of_the_category_are_offered(client, clerk, assigned):
    CannedReply.objects.create(title="已收到", body="您好，我们已收到您的问题。")
    CannedReply.objects.create(title="缺陷补丁", body="补丁说明", category=wf.Category.BUG)
    CannedReply.objects.create(title="投诉致歉", body="致歉", category=wf.Category.COMPLAINT)
    client.force_login(clerk)
    html = page(client, assigned)  # a bug ticket
    assert "已收到" in html and "缺陷补丁" in html and "投诉致歉" not in html


def test_a_closed_ticket_takes_notes_but_no_new_contact(clerk):
    from django.core.exceptions import ValidationError

    archived = TicketFactory(state=wf.TicketStatus.CLOSED)
    with pytest.raises(ValidationError):
        services.post_message(archived, direction=D.FROM_CUSTOMER, channel=wf.Channel.PHONE,
                              body="再次来电", author=clerk)
    services.post_message(archived, direction=D.INTERNAL, body="归档备注", author=clerk)
    assert archived.messages.count() == 1


def test_the_ticket_page_costs_the_same_queries_with_5_or_50_messages(client, clerk, assigned):
    def count(n, query=""):
        TicketMessage.objects.filter(ticket=assigned).delete()
        for i in range(n):
            message = services.post_message(
                assigned, direction=[D.FROM_CUSTOMER, D.TO_CUSTOMER, D.INTERNAL][i % 3],
                channel=wf.Channel.PHONE, body=f"第{i}条", author=clerk, check_author=False)
            if i % 5 == 0:
                services.attach(assigned, SimpleUploadedFile(f"s{i}.png", PNG), message=message)
        client.force_login(clerk)
        page(client, assigned)  # the bell's count is cached by then, in both runs
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:backoffice_ticket_change",
                                          args=[assigned.pk]) + query)
        assert response.status_code == 200
        return len(queries)

    assert count(5) == count(50)
    assert count(5, "?thread=all") == count(50, "?thread=all")


def test_a_long_thread_opens_on_its_newest_part(client, clerk, assigned):
    for i in range(60):
        services.post_message(assigned, direction=D.INTERNAL, body=f"备注{i:02d}号",
                              author=clerk)
    client.force_login(clerk)
    html = page(client, assigned)
    assert "备注59号" in html and "备注00号" not in html
    assert 'id="thread-earlier"' in html
    whole = client.get(reverse("admin:backoffice_ticket_change", args=[assigned.pk])
                       + "?thread=all").content.decode()
    assert "备注00号" in whole and whole.index("备注00号") < whole.index("备注59号")


def test_a_vip_ticket_goes_straight_to_the_consultant(client, clerk, make_user):
    consultant = make_user("engineer", username="consultant")
    vip = CustomerFactory(is_vip=True, consultant=consultant)
    client.force_login(clerk)
    from tests.pages import form_data

    data = form_data(client.get(reverse("admin:backoffice_ticket_add")).content.decode())
    data.update({"channel": wf.Channel.PHONE, "category": wf.Category.BUG,
                 "priority": wf.Priority.HIGH, "customer": vip.pk, "subject": "VIP系统宕机",
                 "received_at_0": "2026-12-01", "received_at_1": "10:00:00"})
    response = client.post(reverse("admin:backoffice_ticket_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(subject="VIP系统宕机")
    assert ticket.state == wf.TicketStatus.ASSIGNED and ticket.assignee == consultant
    assert ticket.events.get().actor == clerk
    assert Notification.objects.filter(recipient=consultant, event="vip_ticket").count() == 1
    assert not Notification.objects.filter(recipient=consultant, event="ticket_assigned").exists()


def test_the_vip_line_routes_any_customer_with_a_consultant(make_user):
    consultant = make_user("engineer")
    ticket = services.open_ticket(customer=CustomerFactory(consultant=consultant),
                                  subject="VIP专线来电", channel=wf.Channel.VIP)
    assert ticket.assignee == consultant
    assert ticket.events.get().actor.username == "system"
    plain = services.open_ticket(customer=CustomerFactory(consultant=consultant),
                                 subject="普通来电", channel=wf.Channel.PHONE)
    assert plain.assignee is None
