"""Benchmark: the mail reader on 1,000 mails in a real (private) Dovecot.

Appends ``--mails`` mails to an empty inbox (60 % new tickets from known contacts, one in
ten with a PNG screenshot; 25 % replies, half by the ticket number in the subject and half
by In-Reply-To; 15 % unknown senders for the queue), then prints, as mails per second and
as a ratio to the floor:

1. the floor: downloading every mail over IMAP (headers, then bodies) with nothing stored;
2. ``mailbox.fetch_mailbox`` reading them all: tickets, messages, attachments, the queue;
3. a second run after marking every mail unread again (each one found and skipped);

and the SQL queries per mail of run 2. Dovecot is started as the tests start it
(``tests/imap.py``). Usage (from the repository root)::

    .venv/bin/python benchmarks/mail_intake.py [--mails 1000]

It runs against a fresh SQLite file in a temporary directory; set ``BENCH_DATABASE_URL``
to a disposable PostgreSQL database instead (it is migrated; its tickets are not removed).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(tmp: Path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    os.environ["VAR_DIR"] = str(tmp)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_mails(count: int, contacts, tickets):
    """(kind, bytes) of ``count`` mails in a fixed mix."""
    from tests.imap import PNG, make_mail

    mails = []
    for i in range(count):
        slot = i % 20
        if slot < 12:
            contact = contacts[i % len(contacts)]
            attachments = [("screen.png", PNG, "image/png")] if i % 10 == 0 else []
            mail = make_mail(sender=contact.email, subject=f"系统故障 {i}",
                             text=f"第 {i} 号问题：登录后报错。\n" * 5, attachments=attachments)
            kind = "new ticket"
        elif slot < 17:
            ticket, reply_id = tickets[i % len(tickets)]
            if slot % 2:
                mail = make_mail(sender=ticket.contact.email,
                                 subject=f"Re: [{ticket.number}] {ticket.subject}",
                                 text="问题仍然存在。")
            else:
                mail = make_mail(sender=ticket.contact.email, subject="Re: 答复",
                                 text="已按您说的重启。", headers={"In-Reply-To": reply_id})
            kind = "reply"
        else:
            mail = make_mail(sender=f"someone{i}@unknown.cn", subject=f"咨询 {i}",
                             text="请问贵司的服务价格？")
            kind = "unknown sender"
        mails.append((kind, mail.as_bytes()))
    return mails


def seed(customers: int = 200, tickets: int = 100):
    from backoffice.desk.models import Contact, Customer, TicketMessage
    from backoffice.desk.services import open_ticket
    from backoffice.desk.workflows import Channel, MessageDirection

    contacts = []
    for i in range(customers):
        customer = Customer.objects.create(code=f"MB{i:05d}", name=f"邮件客户{i}")
        contacts.append(Contact.objects.create(customer=customer, name=f"联系人{i}",
                                               email=f"user{i}@customer{i}.cn"))
    replies = []
    for i in range(tickets):
        contact = contacts[i]
        ticket = open_ticket(customer=contact.customer, contact=contact, subject=f"旧工单 {i}",
                             channel=Channel.EMAIL)
        message = TicketMessage.objects.create(
            ticket=ticket, direction=MessageDirection.TO_CUSTOMER, channel=Channel.EMAIL,
            body="请重启服务", mail_message_id=f"<bench-reply-{i}@example.com>")
        replies.append((ticket, message.mail_message_id))
    return contacts, replies


class QueryCounter:
    """Counts statements without formatting them (CaptureQueriesContext would slow the run)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mail-intake-"))
    try:
        setup_django(tmp)
        run(args.mails)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(count: int):

    from django.conf import settings
    from django.db import connection

    from backoffice.desk import mailbox
    from backoffice.desk.models import InboundMail, Ticket, TicketMessage
    from tests.imap import start_dovecot

    contacts, replies = seed()
    mails = build_mails(count, contacts, replies)
    kinds = {k: sum(1 for kind, _ in mails if kind == k) for k, _ in mails}
    with start_dovecot() as server:
        server.settings(settings)
        settings.SUPPORT_MAIL_ADDRESS = "support@example.com"
        started = time.perf_counter()
        server.append(*[data for _, data in mails])
        appended = time.perf_counter() - started
        print(f"{count:,} mails ({', '.join(f'{n} {k}' for k, n in kinds.items())}; "
              f"{sum(len(d) for _, d in mails) / 1e6:.1f} MB) appended in {appended:.1f} s; "
              f"database: {connection.vendor}")

        def floor():
            with server.connect() as box:
                uids = box.uids("UNSEEN")
                heads = list(box.fetch(uid_list=uids, headers_only=True, mark_seen=False,
                                       bulk=100))
                for head in heads:
                    box.client.uid("FETCH", head.uid, "(BODY.PEEK[] UID RFC822.SIZE)")
            return len(heads)

        def report(label, seconds, base=None):
            ratio = f"{seconds / base:6.1f}x floor" if base else f"{'':>12}"
            print(f"  {label:<52} {seconds:7.2f} s {count / seconds:8.0f} mails/s {ratio}",
                  flush=True)

        started = time.perf_counter()
        assert floor() == count
        base = time.perf_counter() - started
        report("floor: download every mail over IMAP, store nothing", base)

        counter = QueryCounter()
        before = (Ticket.objects.count(), TicketMessage.objects.count())
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            summary = mailbox.fetch_mailbox(limit=count)
        seconds = time.perf_counter() - started
        report("fetch_mailbox: file every mail", seconds, base)
        print(f"    {summary}")
        print(f"    {counter.count / count:.1f} queries per mail; "
              f"{Ticket.objects.count() - before[0]} tickets and "
              f"{TicketMessage.objects.count() - before[1]} messages written, "
              f"{InboundMail.objects.filter(state='queued').count()} mails queued")
        assert summary["read"] == count and summary["failed"] == 0, summary

        with server.connect() as box:
            box.flag(box.uids("ALL"), "\\Seen", False)
        started = time.perf_counter()
        summary = mailbox.fetch_mailbox(limit=count)
        report("second run, every mail unread again (all skipped)", time.perf_counter() - started,
               base)
        assert summary["skipped"] == count, summary


if __name__ == "__main__":
    main()
