"""Time the deadline check (``backoffice.desk.deadlines.check``) on a million tickets.

    .venv/bin/python benchmarks/breach_check.py                 # SQLite file in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/breach_check.py              # PostgreSQL

It works in a throwaway database: a SQLite file under a temporary directory, or, with
DATABASE_URL, a new PostgreSQL database ``breach_bench`` created next to the one named
there (dropped at the end unless ``--keep``). It migrates, then builds ``--tickets``
tickets in seconds by set-based SQL (a thousand by ``bulk_create``, doubled with
``INSERT ... SELECT`` until there are enough), mostly closed; 2 % open with their clock
running, of which some are overdue, some due soon, some already alerted whose deadline
has moved (to re-arm), and 2 % waiting for the customer with a passed deadline (paused:
never alerted).

Each repetition resets the alerts, then times, interleaved: the floor (a plain COUNT of
the open tickets), the first check (alerting everything due), the second check (nothing
new). It prints medians, ratios to the floor and query counts.
"""

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "breach_bench"


def throwaway_database(keep_dir):
    """Point DATABASE_URL (and VAR_DIR) at a database of our own; returns a cleanup."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        tmp = tempfile.mkdtemp(prefix="breach-bench-")
        os.environ["VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        return lambda: None if keep_dir else shutil.rmtree(tmp, ignore_errors=True)
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    tmp = None if os.environ.get("VAR_DIR") else tempfile.mkdtemp(prefix="breach-bench-")
    if tmp:
        os.environ["VAR_DIR"] = tmp

    def drop():
        if keep_dir:
            return
        from django.db import connections

        connections.close_all()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    return drop


def build(total, now):
    """``total`` tickets (rounded up to 1,000 x 2^n) by set-based SQL."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from backoffice.desk import workflows as wf
    from backoffice.desk.models import Customer, Ticket
    from backoffice.platform import roles

    User = get_user_model()
    users = {}
    for role, count in [("engineer", 20), ("clerk", 3), ("manager", 2)]:
        group = Group.objects.get(name=roles.group_name(role))
        for i in range(count):
            user = User.objects.create_user(f"bench-{role}{i}", is_staff=True)
            user.groups.add(group)
            users.setdefault(role, []).append(user.pk)
    Customer.objects.bulk_create([Customer(code=f"B{i:05d}", name=f"基准客户{i}")
                                  for i in range(1000)])
    customers = list(Customer.objects.values_list("pk", flat=True))
    seed = []
    for i in range(1000):
        received = now - dt.timedelta(days=730 * (i + 1) / 1000)
        seed.append(Ticket(
            number=f"BB{i + 1}", state=wf.TicketStatus.CLOSED, category=wf.Category.BUG,
            customer_id=customers[i], subject=f"基准工单 {i}", received_at=received,
            assignee_id=users["engineer"][i % 20], response_due=received + dt.timedelta(hours=8),
            resolution_due=received + dt.timedelta(days=3),
            first_response_at=received + dt.timedelta(hours=1),
            resolved_at=received + dt.timedelta(days=1),
            closed_at=received + dt.timedelta(days=2), created_at=received))
    Ticket.objects.bulk_create(seed)
    table = Ticket._meta.db_table
    columns = [f.column for f in Ticket._meta.concrete_fields if f.column != "id"]
    q = connection.ops.quote_name
    select = ", ".join("'BB' || CAST(id + %s AS TEXT)" if c == "number" else q(c)
                       for c in columns)
    started = time.perf_counter()
    have = 1000
    while have < total:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {table}")
            offset = cursor.fetchone()[0]
            cursor.execute(f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "
                           f"SELECT {select} FROM {table} ORDER BY id LIMIT %s",
                           [offset, min(have, total - have)])
        have += min(have, total - have)
    S = wf.TicketStatus
    hour = dt.timedelta(hours=1)
    # open tickets, by id (raw SQL: synthetic volume, not workflow steps)
    updates = [
        ("id %% 50 = 0", {"state": S.IN_PROGRESS, "closed_at": None, "resolved_at": None,
                          "resolution_due": now + 72 * hour}),
        ("id %% 50 = 25", {"state": S.WAITING, "closed_at": None, "resolved_at": None,
                           "resolution_due": now - 5 * hour}),
        ("id %% 1000 = 0", {"resolution_due": now - hour}),                 # overdue
        ("id %% 1000 = 100", {"resolution_due": now + dt.timedelta(minutes=30)}),  # due soon
        ("id %% 1000 = 200", {"state": S.NEW, "assignee_id": None, "first_response_at": None,
                              "response_due": now + dt.timedelta(minutes=20)}),    # unassigned
        ("id %% 1000 = 300", {"sla_alert": "breached"}),   # deadline moved later: re-armed
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for where, values in updates:
            sets = ", ".join(f"{q(column)} = %s" for column in values)
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {where}", list(values.values()))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"built {have:,} tickets in {time.perf_counter() - started:.1f} s "
          f"({Ticket.objects.filter(state__in=wf.OPEN_STATES).count():,} open)")


def reset():
    """Back to "nothing alerted yet" (not timed)."""
    from django.db import connection

    from backoffice.desk.models import Ticket
    from backoffice.platform.models import Notification

    Notification.objects.filter(event__in=["ticket_due_soon", "ticket_breached"]).delete()
    Ticket.objects.exclude(sla_alert="").update(sla_alert="")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Ticket._meta.db_table} SET sla_alert = %s "
                       "WHERE id %% 1000 = 300", ["breached"])


def measure(func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
    return elapsed, len(ctx.captured_queries), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    cleanup = throwaway_database(args.keep)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backoffice.desk import deadlines
    from backoffice.desk import workflows as wf
    from backoffice.desk.models import Ticket

    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.0f} s")
        now = timezone.now()
        build(args.tickets, now)

        def floor():
            return Ticket.objects.filter(state__in=wf.OPEN_STATES).count()

        runs = {"floor": [], "first": [], "second": []}
        queries, results = {}, {}
        for _ in range(args.repeat):
            reset()
            for name, func in [("floor", floor), ("first", lambda: deadlines.check(now)),
                               ("second", lambda: deadlines.check(now))]:
                seconds, count, result = measure(func)
                runs[name].append(seconds)
                queries[name], results[name] = count, result
        base = statistics.median(runs["floor"])
        print(f"\n{args.repeat} repetitions, interleaved; medians (min-max):")
        for name, label in [("floor", "floor: COUNT of open tickets"),
                            ("first", f"first check {results['first']}"),
                            ("second", f"second check {results['second']}")]:
            median = statistics.median(runs[name])
            print(f"  {label:<62} {median * 1000:9.1f} ms ({min(runs[name]) * 1000:.1f}-"
                  f"{max(runs[name]) * 1000:.1f})  {median / base:7.2f}x floor  "
                  f"{queries[name]:4d} queries")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
