"""The notification inbox and the header's bell for a user with 10 notifications against
one with 10,000 (a tenth of them unread).

    .venv/bin/python benchmarks/inbox.py [--many 10000] [--rounds 15]
    DATABASE_URL=postgres://.../bench .venv/bin/python benchmarks/inbox.py

Runs against the configured database (the demo's, or a generate_data one); it adds two
users of its own with their notifications and removes them at the end. Rounds alternate
the two users, so a busy machine slows both alike; the figures to read are the ratio and
the query counts, which should not grow with the notifications. An inbox page draws at
most 50 rows: with 10 notifications it draws 10, so its ratio is mostly the drawing of
40 more rows (the "rows" column), not the database.
"""

import argparse
import statistics
import time

from _harness import setup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--many", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from backoffice.platform import notifications
    from backoffice.platform.models import Notification
    from backoffice.platform.roles import group_name, sync_roles

    sync_roles()
    users, clients = {}, {}
    for label, count in (("few", args.few), ("many", args.many)):
        user, _ = get_user_model().objects.get_or_create(username=f"bench_inbox_{label}",
                                                         defaults={"is_staff": True})
        user.groups.add(Group.objects.get(name=group_name("manager")))
        with transaction.atomic():
            Notification.objects.filter(recipient=user).delete()
            now = timezone.now()
            Notification.objects.bulk_create(
                (Notification(recipient=user, event="ticket_assigned",
                              title=f"SR-{i:06d} 已分派给您：报表导出超时",
                              url="/admin/backoffice/ticket/", created_at=now,
                              read_at=None if i % 10 == 0 else now)
                 for i in range(count)), batch_size=2000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE backoffice_notification")
        users[label] = user
        clients[label] = Client(HTTP_HOST="127.0.0.1")
        clients[label].force_login(user)

    def page(url):
        return lambda label: clients[label].get(url)

    def bell_miss(label):  # what a page pays for the bell when the count is not cached
        cache.delete(notifications.unread_key(users[label].pk))
        return notifications.unread_count(users[label])

    checks = [
        ("inbox", page("/admin/backoffice/notification/")),
        ("inbox, unread only", page("/admin/backoffice/notification/?unread=1")),
        ("inbox, page 100", page("/admin/backoffice/notification/?p=100")),
        ("what needs me (fragment)", page("/admin/backoffice/notification/needs/")),
        ("tickets page with the bell", page("/admin/backoffice/ticket/")),
        ("bell count, cache miss", bell_miss),
    ]
    print(f"database: {connection.vendor}; {args.few} against {args.many:,} notifications, "
          f"{args.rounds} interleaved rounds")
    for name, func in checks:
        queries, rows, samples = {}, {}, {"few": [], "many": []}
        for label in samples:  # warm-up, the query count and the rows drawn
            with CaptureQueriesContext(connection) as ctx:
                response = func(label)
            assert getattr(response, "status_code", 200) == 200, (name, response)
            queries[label] = len(ctx.captured_queries)
            rows[label] = response.content.count(b"/open/") if hasattr(response, "content") \
                else 0
        for _ in range(args.rounds):
            for label in samples:
                start = time.perf_counter()
                func(label)
                samples[label].append((time.perf_counter() - start) * 1000)
        few, many = (statistics.median(samples[label]) for label in ("few", "many"))
        print(f"  {name:<28} {few:7.1f} ms → {many:7.1f} ms  {many / few:5.2f}×   "
              f"queries {queries['few']:2d} → {queries['many']:2d}   "
              f"rows {rows['few']:2d} → {rows['many']:2d}")
    with transaction.atomic():
        for user in users.values():
            Notification.objects.filter(recipient=user).delete()
            cache.delete(notifications.unread_key(user.pk))
            user.delete()


if __name__ == "__main__":
    main()
