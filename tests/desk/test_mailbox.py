"""The support mailbox read from a real Dovecot (tests/imap.py): every kind of mail ends
where it should, nothing is read twice, and the queue is filed from the admin page."""

import time

import pytest
from django.urls import reverse

from backoffice.desk import mailbox
from backoffice.desk.models import InboundMail, Ticket, TicketMessage
from backoffice.desk.workflows import Channel, MailState, MessageDirection, TicketStatus
from tests.factories import ContactFactory, CustomerFactory, TicketFactory
from tests.imap import PDF, PNG, big_mail, gbk_mail, make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(db):
    """A known contact; the address is stored in another case than customers write it."""
    return ContactFactory(name="李雷", email="Li.Lei@Customer.CN",
                          customer=CustomerFactory(name="华北电力"))


def fetch():
    return mailbox.fetch_mailbox()


def only_mail(**filters):
    return InboundMail.objects.get(**filters)


# -- new tickets ------------------------------------------------------------------------
def test_plain_mail_from_a_known_contact_opens_a_ticket(imap_mailbox, contact):
    [uid] = imap_mailbox.append(make_mail(sender="li.lei@customer.cn", subject="系统无法登录",
                                          text="登录时报错 500。\n请尽快处理。"))
    summary = fetch()
    assert summary["tickets"] == 1 and summary["read"] == 1
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.contact, ticket.channel) == (
        contact.customer, contact, Channel.EMAIL)
    assert ticket.subject == "系统无法登录"
    assert ticket.description == "登录时报错 500。\n请尽快处理。"
    message = ticket.messages.get()
    assert message.direction == MessageDirection.FROM_CUSTOMER
    assert message.channel == Channel.EMAIL and message.body == ticket.description
    mail = only_mail()
    assert mail.state == MailState.FILED and mail.ticket == ticket
    assert mail.customer == contact.customer and mail.contact == contact
    assert message.mail_message_id == mail.message_id != ""
    assert mail.raw and b"Subject:" in mail.raw.read()
    assert "\\Seen" in imap_mailbox.flags()[uid]


def test_html_only_mail_becomes_plain_text(imap_mailbox, contact):
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
            "<p>您好，</p><p>报表导出&amp;打印都失败：<br>错误码 E-42</p>"
            "<ul><li>Chrome</li><li>Edge</li></ul>"
            '<p>详见 <a href="https://example.cn/log">日志</a></p></body></html>')
    imap_mailbox.append(make_mail(sender=contact.email, text=None, html=html))
    fetch()
    text = Ticket.objects.get().description
    assert "<" not in text and "alert" not in text and "color" not in text
    assert "报表导出&打印都失败：\n错误码 E-42" in text
    assert "- Chrome\n- Edge" in text
    assert "日志 (https://example.cn/log)" in text


def test_attachments_arrive_and_refused_ones_are_noted(imap_mailbox, contact):
    log = "2026-01-05 ERROR 数据库连接超时\n".encode()
    imap_mailbox.append(make_mail(sender=contact.email, subject="附件", attachments=[
        ("screen.png", PNG, "image/png"), ("manual.pdf", PDF, "application/pdf"),
        ("server.log", log, "text/plain"),
        ("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
        ("setup.exe", b"MZ\x90\x00", "application/octet-stream")]))
    fetch()
    ticket = Ticket.objects.get()
    stored = {a.filename: a for a in ticket.attachments.all()}
    assert set(stored) == {"screen.png", "manual.pdf", "server.log"}
    assert stored["screen.png"].file.read() == PNG
    assert stored["server.log"].file.read() == log
    assert all(a.message_id == ticket.messages.get().pk for a in stored.values())
    body = ticket.messages.get().body
    assert "Attachment “invoice.pdf” was not kept" in body and "not really a PDF" in body
    assert "Attachment “setup.exe” was not kept" in body
    mail = only_mail()
    assert mail.state == MailState.FILED and "setup.exe" in mail.reason


@pytest.mark.parametrize("label", ["gbk", "gb2312"])
def test_gbk_chinese_mail_is_decoded(imap_mailbox, label):
    """charset=gbk body and RFC 2047 GBK subject; "喆" is GBK but not GB2312, as in the
    many mails that say gb2312 and mean GBK."""
    ContactFactory(email="wang@customer.cn")
    imap_mailbox.append(gbk_mail(subject="打印机无法连接（张喆）",
                                 text="您好：\r\n打印服务一直报错，错误码 E-23。\r\n王喆", label=label))
    fetch()
    ticket = Ticket.objects.get()
    assert ticket.subject == "打印机无法连接（张喆）"
    assert ticket.description == "您好：\n打印服务一直报错，错误码 E-23。\n王喆"
    mail = only_mail()
    assert mail.sender_name == "王先生" and ticket.messages.get().sender.startswith("=?")


# -- refused ----------------------------------------------------------------------------
AUTO_REPLIES = [
    ({"Auto-Submitted": "auto-replied"}, "x", "Auto-Submitted: auto-replied"),
    ({"X-Autoreply": "yes"}, "x", "X-Autoreply"),
    ({"X-Autorespond": "yes"}, "x", "X-Autorespond"),
    ({"Precedence": "bulk"}, "x", "Precedence: bulk"),
    ({"Precedence": "junk"}, "x", "Precedence: junk"),
    ({"Precedence": "auto_reply"}, "x", "Precedence: auto_reply"),
    ({"Precedence": "list"}, "x", "Precedence: list"),
    ({}, "Auto-Reply: 系统无法登录", "subject"),
    ({}, "Out of Office: back on Monday", "subject"),
    ({}, "Automatic reply: [SR202601-00001] 打印机", "subject"),
    ({}, "自动回复：我正在休假", "subject"),
    ({}, "【自动回复】收到", "subject"),
]


def test_auto_replies_are_refused_from_their_headers(imap_mailbox, contact):
    for headers, subject, _why in AUTO_REPLIES:
        imap_mailbox.append(make_mail(sender=contact.email, subject=subject, headers=headers))
    imap_mailbox.append(make_mail(sender=contact.email, subject="a real one",
                                  headers={"Auto-Submitted": "no"}))
    summary = fetch()
    assert summary["refused"] == len(AUTO_REPLIES) and summary["tickets"] == 1
    refused = InboundMail.objects.filter(state=MailState.REFUSED).order_by("pk")
    for mail, (_headers, _subject, why) in zip(refused, AUTO_REPLIES, strict=True):
        assert mail.reason.startswith("Auto-reply") and why in mail.reason, mail.reason
        assert not mail.raw
    assert Ticket.objects.get().subject == "a real one"
    assert all("\\Seen" in flags for flags in imap_mailbox.flags().values())


def test_loops_are_refused(imap_mailbox, contact):
    ours = TicketMessage.objects.create(
        ticket=TicketFactory(customer=contact.customer), direction=MessageDirection.TO_CUSTOMER,
        channel=Channel.EMAIL, body="答复", mail_message_id="<reply-1@example.com>")
    imap_mailbox.append(
        make_mail(sender="Support@Example.com", subject="from us"),
        make_mail(sender=contact.email, subject="x-loop", headers={"X-Loop": "support@example.com"}),
        make_mail(sender=contact.email, subject="our reply forwarded back",
                  message_id=ours.mail_message_id),
        make_mail(sender="robot@example.com", subject="Re: answer",
                  headers={"In-Reply-To": ours.mail_message_id}))
    summary = fetch()
    assert summary["refused"] == 4 and summary["downloaded_bytes"] == 0
    reasons = list(InboundMail.objects.order_by("pk").values_list("reason", flat=True))
    assert all(r.startswith("Mail loop") for r in reasons), reasons
    assert "our own address" in reasons[0] and "X-Loop" in reasons[1]
    assert "our own replies" in reasons[2] and "our own domain" in reasons[3]
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1


def test_an_oversized_mail_is_refused_without_downloading_it(imap_mailbox, contact):
    imap_mailbox.append(big_mail(30 * 1024 * 1024, sender=contact.email))
    mark = imap_mailbox.log_mark()
    start = time.monotonic()
    summary = fetch()
    elapsed = time.monotonic() - start
    assert summary["refused"] == 1 and summary["downloaded_bytes"] == 0
    mail = only_mail()
    assert mail.state == MailState.REFUSED and mail.reason.startswith("Too large: 30.0 MB")
    assert mail.size > 30 * 1024 * 1024 and not mail.raw
    [session] = imap_mailbox.sessions_since(mark)  # Dovecot's own count of what it sent
    assert session["body_count"] == 0 and session["out"] < 20_000, session
    assert elapsed < 5
    assert not Ticket.objects.exists()
    assert "\\Seen" in next(iter(imap_mailbox.flags().values()))


# -- replies ----------------------------------------------------------------------------
def test_reply_with_the_ticket_number_in_the_subject(imap_mailbox, contact):
    ticket = TicketFactory(customer=contact.customer, subject="打印机")
    other = ContactFactory(customer=contact.customer, email="zhang@customer.cn")
    imap_mailbox.append(
        make_mail(sender=other.email, subject=f"Re: [{ticket.number}] 打印机", text="还是不行",
                  attachments=[("again.png", PNG, "image/png")]),
        make_mail(sender="stranger@elsewhere.cn", subject=f"[{ticket.number}] hello"))
    summary = fetch()
    assert summary["messages"] == 1 and summary["queued"] == 1 and summary["tickets"] == 0
    message = ticket.messages.get()
    assert message.body == "还是不行" and message.attachments.get().filename == "again.png"
    filed = only_mail(state=MailState.FILED)
    assert filed.ticket == ticket and filed.contact == other
    queued = only_mail(state=MailState.QUEUED)
    assert queued.reason == (f"The subject names ticket {ticket.number}, but the sender is "
                             "not a contact of its customer.")
    assert Ticket.objects.count() == 1


def test_reply_by_in_reply_to_from_any_address(imap_mailbox, contact):
    ticket = TicketFactory(customer=contact.customer)
    ours = TicketMessage.objects.create(
        ticket=ticket, direction=MessageDirection.TO_CUSTOMER, channel=Channel.EMAIL,
        body="请重启服务", mail_message_id="<reply-7@example.com>")
    imap_mailbox.append(make_mail(
        sender="colleague@customer.cn", subject="Re: 请重启服务", text="重启后恢复了",
        headers={"In-Reply-To": ours.mail_message_id,
                 "References": f"<first@customer.cn> {ours.mail_message_id}"}))
    assert fetch()["messages"] == 1
    assert ticket.messages.order_by("pk").last().body == "重启后恢复了"
    assert only_mail().ticket == ticket and Ticket.objects.count() == 1


def test_reply_to_a_closed_ticket_opens_a_new_one(imap_mailbox, contact):
    closed = TicketFactory(customer=contact.customer, state=TicketStatus.CLOSED)
    imap_mailbox.append(make_mail(sender=contact.email, subject=f"Re: [{closed.number}] x",
                                  text="又出现了"))
    assert fetch()["tickets"] == 1
    new = Ticket.objects.exclude(pk=closed.pk).get()
    assert new.customer == contact.customer and new.description == "又出现了"
    assert closed.messages.count() == 0
    assert only_mail().reason == (f"A reply to the closed ticket {closed.number}: opened as "
                                  "a new ticket.")


# -- the queue --------------------------------------------------------------------------
def test_unknown_sender_waits_in_the_queue_with_the_original(imap_mailbox, contact):
    imap_mailbox.append(make_mail(sender="new.customer@unknown.cn", subject="咨询价格",
                                  attachments=[("spec.pdf", PDF, "application/pdf")]))
    assert fetch()["queued"] == 1
    mail = only_mail()
    assert mail.state == MailState.QUEUED and mail.ticket is None
    assert (mail.sender, mail.subject) == ("new.customer@unknown.cn", "咨询价格")
    raw = mail.raw.read()
    assert f"Message-ID: {mail.message_id}".encode() in raw and b"spec.pdf" in raw
    assert not Ticket.objects.exists()


def test_an_address_of_two_customers_waits_in_the_queue(imap_mailbox, contact):
    ContactFactory(email="li.lei@customer.cn")
    imap_mailbox.append(make_mail(sender=contact.email))
    assert fetch()["queued"] == 1
    assert "contacts of several customers" in only_mail().reason


def file_url(mail):
    return reverse("admin:backoffice_inboundmail_transition_file_for_customer", args=[mail.pk])


def test_file_for_a_customer_turns_a_queued_mail_into_a_ticket(imap_mailbox, client, clerk,
                                                                engineer, contact):
    imap_mailbox.append(make_mail(sender="boss@customer.cn", subject="合同续签", text="请联系我",
                                  attachments=[("contract.pdf", PDF, "application/pdf")]))
    fetch()
    mail = only_mail()
    client.force_login(engineer)  # engineers read the mailbox but do not file it
    page = client.get(reverse("admin:backoffice_inboundmail_change", args=[mail.pk]))
    assert page.status_code == 200 and "transition/file_for_customer" not in page.content.decode()
    client.post(file_url(mail), {"_form_submitted": "on", "customer": contact.customer.pk})
    assert only_mail().state == MailState.QUEUED

    client.force_login(clerk)
    page = client.get(reverse("admin:backoffice_inboundmail_change", args=[mail.pk]))
    assert "transition/file_for_customer" in page.content.decode()
    assert client.get(file_url(mail)).status_code == 200  # the dialog
    response = client.post(file_url(mail), {"_form_submitted": "on",
                                             "customer": contact.customer.pk,
                                             "contact": contact.pk, "note": "老客户的新邮箱"})
    assert response.headers["HX-Redirect"].endswith(f"/{mail.pk}/change/")
    mail = only_mail()  # (refresh_from_db refuses the protected state: no FSMModelMixin)
    ticket = Ticket.objects.get()
    assert mail.state == MailState.FILED and mail.ticket == ticket
    assert (ticket.customer, ticket.contact, ticket.subject) == (contact.customer, contact,
                                                                  "合同续签")
    assert ticket.recorded_by is not None and ticket.description == "请联系我"
    message = ticket.messages.get()
    assert message.attachments.get().file.read() == PDF
    assert message.mail_message_id == mail.message_id
    assert mail.events.get().actor == clerk


def test_filing_a_queued_reply_adds_it_to_the_ticket_it_names(imap_mailbox, contact, clerk):
    from backoffice.platform.workflow import apply_transition

    ticket = TicketFactory(customer=contact.customer)
    imap_mailbox.append(make_mail(sender="new@customer.cn", subject=f"Re: [{ticket.number}] x"))
    fetch()
    mail = only_mail()
    apply_transition(mail, "file_for_customer", actor=clerk, customer=contact.customer)
    assert mail.ticket == ticket and Ticket.objects.count() == 1
    assert ticket.messages.count() == 1


# -- robustness -------------------------------------------------------------------------
def test_running_again_creates_nothing_twice(imap_mailbox, contact):
    reply_to = TicketFactory(customer=contact.customer)
    twice = make_mail(sender=contact.email, subject="同一封")
    imap_mailbox.append(
        twice, twice,  # delivered twice: one Message-ID
        make_mail(sender="nobody@unknown.cn"),
        make_mail(sender=contact.email, subject=f"[{reply_to.number}] again"),
        make_mail(sender=contact.email, subject="Out of office"))
    first = fetch()
    assert (first["tickets"], first["queued"], first["messages"], first["refused"],
            first["skipped"]) == (1, 1, 1, 1, 1)
    counts = (Ticket.objects.count(), TicketMessage.objects.count(), InboundMail.objects.count())
    assert fetch()["read"] == 0  # all seen
    with imap_mailbox.connect() as box:  # someone marks everything unread again
        box.flag(box.uids("ALL"), "\\Seen", False)
    again = fetch()
    assert again["read"] == 5 and again["skipped"] == 5
    assert (Ticket.objects.count(), TicketMessage.objects.count(),
            InboundMail.objects.count()) == counts


def test_one_broken_mail_does_not_stop_the_others(imap_mailbox, contact, monkeypatch):
    real_open = mailbox.open_ticket

    def open_ticket(**kwargs):
        ticket = real_open(**kwargs)
        if kwargs["subject"] == "boom":  # fails after writing: nothing of it may remain
            raise RuntimeError("the database went away")
        return ticket

    monkeypatch.setattr(mailbox, "open_ticket", open_ticket)
    garbage = (b"From: " + contact.email.encode() + b"\r\nSubject: odd\r\n"
               b"Message-ID: <odd@customer.cn>\r\nContent-Type: multipart/mixed; boundary=zz\r\n"
               b"\r\n--zz\r\nContent-Type: text/plain; charset=x-nonsense\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64\xff\xfe\r\n--zz")
    uids = imap_mailbox.append(make_mail(sender=contact.email, subject="first"),
                               make_mail(sender=contact.email, subject="boom"), garbage,
                               make_mail(sender=contact.email, subject="last"))
    summary = fetch()
    assert summary["failed"] == 1 and summary["tickets"] == 3
    assert set(Ticket.objects.values_list("subject", flat=True)) == {"first", "odd", "last"}
    failed = only_mail(state=MailState.FAILED)
    assert failed.subject == "boom" and failed.reason == "RuntimeError: the database went away"
    assert failed.raw and failed.ticket is None
    flags = imap_mailbox.flags()
    assert {"\\Seen", "\\Flagged"} <= flags[uids[1]] and "\\Flagged" not in flags[uids[0]]
    assert fetch()["read"] == 0  # the failed one is not read again and again


def test_batch_limit_and_intake_off(imap_mailbox, contact, settings):
    imap_mailbox.append(*[make_mail(sender=contact.email, subject=f"m{i}") for i in range(3)])
    assert mailbox.fetch_mailbox(limit=2)["read"] == 2
    settings.MAIL_INTAKE_BATCH = 5
    assert fetch()["read"] == 1
    settings.MAIL_INTAKE_HOST = ""
    assert fetch()["enabled"] is False


# -- the admin pages --------------------------------------------------------------------
def test_raw_mail_is_served_only_to_those_who_see_the_mailbox(imap_mailbox, client, clerk,
                                                             engineer, make_user):
    imap_mailbox.append(make_mail(sender="who@unknown.cn", subject="原件"))
    fetch()
    mail = only_mail()
    url = mail.raw.url
    assert url == reverse("admin:backoffice_inboundmail_raw", args=[mail.raw.name])
    for user in (clerk, engineer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "message/rfc822"
        assert "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == mail.raw.open("rb").read()
    for role in ("finance", "warehouse"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 404
        assert client.get(reverse("admin:backoffice_inboundmail_changelist")).status_code == 403
    client.force_login(clerk)
    assert client.get(url + "x").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_mailbox_pages_and_the_fetch_button(imap_mailbox, client, clerk, engineer, contact):
    imap_mailbox.append(make_mail(sender=contact.email, subject="列表里的工单"),
                        make_mail(sender="x@unknown.cn", subject="待认领"),
                        make_mail(sender=contact.email, subject="Out of Office"))
    changelist = reverse("admin:backoffice_inboundmail_changelist")
    fetch_url = reverse("admin:backoffice_inboundmail_fetch_now")

    client.force_login(engineer)
    page = client.get(changelist).content.decode()
    assert fetch_url not in page
    assert client.post(fetch_url, {"_form_submitted": "on"}).status_code == 403
    assert not InboundMail.objects.exists()

    client.force_login(clerk)
    page = client.get(changelist).content.decode()
    assert fetch_url in page and "/add/" not in page
    response = client.post(fetch_url, {"_form_submitted": "on"})  # the worker runs it inline
    assert response.headers["HX-Redirect"] == changelist
    assert InboundMail.objects.count() == 3
    page = client.get(changelist).content.decode()
    ticket = Ticket.objects.get()
    assert ticket.number in page and "待认领" in page and "Unknown sender: waiting" in page
    assert client.get(changelist + "?state=queued").status_code == 200
    assert "待认领" in client.get(changelist + "?q=unknown.cn").content.decode()
    for mail in InboundMail.objects.all():
        response = client.get(reverse("admin:backoffice_inboundmail_change", args=[mail.pk]))
        assert response.status_code == 200
        assert 'name="subject"' not in response.content.decode()  # nothing to edit
    assert client.get(reverse("admin:backoffice_inboundmail_add")).status_code == 403
