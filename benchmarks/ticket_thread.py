"""The ticket page with a long conversation: a 200-message thread (calls, mails with
attachments, notes, interleaved with the journal) against the same page with none; as
it opens (the newest entries) and with the whole thread shown.

    .venv/bin/python benchmarks/ticket_thread.py [--messages 200] [--rounds 15]
    DATABASE_URL=postgres://.../bench .venv/bin/python benchmarks/ticket_thread.py

Runs against the configured database (the demo's, or a generate_data one); it adds two
tickets of its own and removes them at the end. Rounds alternate the two pages, so a
busy machine slows both alike; the figure to read is the ratio, with the query counts.
"""

import argparse
import statistics
import time

from _harness import setup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from backoffice.desk import services
    from backoffice.desk import workflows as wf
    from backoffice.desk.models import Contact, Customer, Ticket
    from backoffice.platform.roles import group_name, sync_roles

    sync_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench_manager",
                                                     defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group_name("manager")))
    customer, _ = Customer.objects.get_or_create(code="BENCH-THREAD",
                                                 defaults={"name": "长对话基准客户"})
    contact, _ = Contact.objects.get_or_create(customer=customer, name="基准联系人",
                                               defaults={"email": "bench@example.com"})
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
    with transaction.atomic():
        empty = Ticket.objects.create(customer=customer, contact=contact, subject="无对话",
                                      category=wf.Category.BUG)
        long = Ticket.objects.create(customer=customer, contact=contact, subject="长对话",
                                     category=wf.Category.BUG)
        kinds = [(wf.MessageDirection.FROM_CUSTOMER, wf.Channel.EMAIL),
                 (wf.MessageDirection.TO_CUSTOMER, wf.Channel.PHONE),
                 (wf.MessageDirection.INTERNAL, "")]
        for i in range(args.messages):
            direction, channel = kinds[i % 3]
            files = [SimpleUploadedFile(f"shot{i}.png", png)] if i % 10 == 0 else []
            services.post_message(long, direction=direction, channel=channel,
                                  body=f"第 {i} 条：客户反馈报表导出超时，附日志。" * 3,
                                  author=user, files=files, check_author=False)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    urls = {"0 messages": f"/admin/backoffice/ticket/{empty.pk}/change/",
            f"{args.messages} messages": f"/admin/backoffice/ticket/{long.pk}/change/",
            f"{args.messages}, all shown": f"/admin/backoffice/ticket/{long.pk}/change/"
                                           "?thread=all"}
    queries, samples = {}, {label: [] for label in urls}
    for label, url in urls.items():  # warm-up, and the query count
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        queries[label] = len(ctx.captured_queries)
    for _ in range(args.rounds):
        for label, url in urls.items():
            start = time.perf_counter()
            client.get(url)
            samples[label].append((time.perf_counter() - start) * 1000)
    floor = statistics.median(samples["0 messages"])
    print(f"database: {connection.vendor}; ticket page, {args.rounds} interleaved rounds")
    for label, values in samples.items():
        median = statistics.median(values)
        print(f"  {label:<18} median {median:7.1f} ms  {median / floor:5.2f}× the empty "
              f"thread  {queries[label]:3d} queries")
    with transaction.atomic():
        for ticket in (empty, long):
            ticket.messages.all().delete()
            ticket.attachments.all().delete()
            ticket.events.all().delete()
            ticket.history.all().delete()
            ticket.delete()


if __name__ == "__main__":
    main()
