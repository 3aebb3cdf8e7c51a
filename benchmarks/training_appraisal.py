"""How long the monthly appraisal computation takes over a large ticket table.

Generates N tickets (default 200,000) in a scratch database with ``bulk_create``, spread
over a number of months and support engineers, then times:

- the KPI query of one month (``training.selectors.ticket_kpis``: one grouped query),
- computing the month's appraisals for all staff (``services.appraisals_generate``), the
  first time (creates) and again (recomputes the drafts),
- optionally the same after adding indexes on ``resolved_at`` and ``closed_at``, which
  the ticket table does not have yet.

Usage (from the project root)::

    .venv/bin/python benchmarks/training_appraisal.py                # SQLite, 200k
    .venv/bin/python benchmarks/training_appraisal.py 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/h_training_bench --with-indexes

The scratch database is created (PostgreSQL: ``CREATE DATABASE``; SQLite: a file under
a temporary directory) and dropped at the end unless ``--keep``. Never point it at a
database you care about: it is dropped.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tickets", nargs="?", type=int, default=200_000)
    parser.add_argument("--database-url", default="",
                        help="scratch PostgreSQL URL (created and dropped); default SQLite")
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--with-indexes", action="store_true",
                        help="also time with indexes on resolved_at and closed_at")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    return parser.parse_args()


def create_postgres(url):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def drop_postgres(admin, name):
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(func, repeat=1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return result, times


def fmt(times):
    if len(times) == 1:
        return f"{times[0] * 1000:8.1f} ms"
    return (f"median {statistics.median(times) * 1000:8.1f} ms  "
            f"min {min(times) * 1000:8.1f} ms  max {max(times) * 1000:8.1f} ms")


def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="training_bench_")
    pg = None
    if args.database_url:
        pg = create_postgres(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

    import django

    django.setup()
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if pg and not args.keep:
            drop_postgres(*pg)
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept: {os.environ['DATABASE_URL']}")


def run(args):
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backoffice.desk.models import Customer, Ticket
    from backoffice.desk.workflows import Category, Priority, TicketStatus
    from backoffice.platform import roles
    from training import selectors, services
    from training.models import Appraisal

    vendor = connection.vendor
    print(f"database: {vendor}  tickets: {args.tickets:,}  engineers: {args.engineers}  "
          f"months: {args.months}")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - start:.1f} s")

    # -- data ----------------------------------------------------------------------------
    rng = random.Random(42)
    password = make_password(None)
    manager = User.objects.create(username="bench_manager", is_staff=True, password=password)
    manager.groups.add(Group.objects.get(name=roles.group_name("manager")))
    engineers = User.objects.bulk_create(
        [User(username=f"bench_eng{i:03d}", is_staff=True, password=password)
         for i in range(args.engineers)])
    Group.objects.get(name=roles.group_name("engineer")).user_set.add(*engineers)
    customers = Customer.objects.bulk_create(
        [Customer(code=f"B{i:05d}", name=f"基准客户{i}") for i in range(500)])
    engineer_ids = [u.pk for u in engineers]
    customer_ids = [c.pk for c in customers]

    tz = timezone.get_current_timezone()
    this_month = timezone.localdate().replace(day=1)
    first = this_month
    for _ in range(args.months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    span = (timezone.make_aware(dt.datetime.combine(this_month, dt.time.min), tz)
            - timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz))
    origin = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
    categories = [Category.BUG, Category.DATA, Category.OPERATION, Category.ENVIRONMENT,
                  Category.CONSULTATION]
    priorities = [Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW]
    finished = [TicketStatus.CLOSED] * 80 + [TicketStatus.CONFIRMED] * 8 + \
        [TicketStatus.RESOLVED] * 4 + [TicketStatus.CANCELLED] * 3 + \
        [TicketStatus.IN_PROGRESS] * 3 + [TicketStatus.NEW] * 2

    step = span.total_seconds() / max(args.tickets, 1)

    def make(i):
        # tickets arrive in time order, as they are inserted in real life (the table's
        # physical order then follows received_at, which index scans rely on)
        received = origin + dt.timedelta(seconds=(i + rng.random()) * step)
        state = rng.choice(finished)
        fields = {"number": f"BENCH{i:09d}", "customer_id": rng.choice(customer_ids),
                  "category": rng.choice(categories), "priority": rng.choice(priorities),
                  "subject": "基准工单", "received_at": received, "state": state,
                  "assignee_id": rng.choice(engineer_ids) if rng.random() < 0.97 else None}
        if state != TicketStatus.NEW:
            seconds = rng.randint(60, 8 * 3600)
            fields.update(first_response_at=received + dt.timedelta(seconds=seconds),
                          first_response_seconds=seconds, response_met=seconds < 4 * 3600)
        if state in {TicketStatus.RESOLVED, TicketStatus.CONFIRMED, TicketStatus.CLOSED}:
            fields["resolved_at"] = received + dt.timedelta(hours=rng.randint(1, 120))
        if state in {TicketStatus.CONFIRMED, TicketStatus.CLOSED}:
            fields.update(satisfaction=rng.choices([5, 4, 3, 2, 1], [50, 30, 12, 5, 3])[0],
                          confirmed_at=fields["resolved_at"] + dt.timedelta(hours=4),
                          confirmed_by="客户")
        if state == TicketStatus.CLOSED:
            complete = rng.random() < 0.9
            fields.update(closed_at=fields["confirmed_at"] + dt.timedelta(hours=8),
                          diagnosis="日志分析", process="远程处理", solution="已修复",
                          customer_feedback="满意" if complete else "")
        if state == TicketStatus.CANCELLED:
            fields["closed_at"] = received + dt.timedelta(hours=1)
        return Ticket(**fields)

    start = time.perf_counter()
    batch = 5000
    for offset in range(0, args.tickets, batch):
        Ticket.objects.bulk_create([make(i) for i in range(offset, min(offset + batch,
                                                                          args.tickets))])
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE backoffice_ticket")
    print(f"generate {args.tickets:,} tickets (bulk_create): {time.perf_counter() - start:.1f} s")

    # -- timings ---------------------------------------------------------------------------
    month = (this_month - dt.timedelta(days=1)).replace(day=1)
    month = (month - dt.timedelta(days=40)).replace(day=1)  # a settled month
    start_at, end_at = selectors.month_bounds(month)
    in_month = Ticket.objects.filter(received_at__gte=start_at, received_at__lt=end_at).count()
    print(f"month {month:%Y-%m}: {in_month:,} tickets received")

    def report(label):
        kpis, times = timed(lambda: selectors.ticket_kpis(month), args.repeat)
        print(f"{label} KPI query, whole month, {len(kpis)} people: {fmt(times)}")
        one = engineer_ids[0]
        _, times = timed(lambda: selectors.ticket_kpis(month, employee_ids=[one]), args.repeat)
        print(f"{label} KPI query, one person:                 {fmt(times)}")
        return kpis

    kpis = report("[no index]")
    sample = kpis[engineer_ids[0]]
    print(f"  e.g. {engineers[0].username}: received {sample.received}, resolved "
          f"{sample.resolved}, figures {({k: str(v) for k, v in sample.figures.items()})}")

    period = services.period_for(month)
    result, times = timed(lambda: services.appraisals_generate(period=period, actor=manager))
    print(f"generate the month's appraisals (create {len(result.created)}):    {fmt(times)}")
    result, times = timed(lambda: services.appraisals_generate(period=period, actor=manager),
                          args.repeat)
    print(f"generate again (recompute {len(result.updated)} drafts):         {fmt(times)}")
    assert Appraisal.objects.filter(period=period).count() == len(result.updated)

    if vendor == "postgresql":
        sql, params = _kpi_sql(selectors, month)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        scan = [line.strip() for line in plan if "Scan" in line][:3]
        print("  plan: " + " | ".join(scan))
        print("  " + plan[-1].strip())

    if args.with_indexes:
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX bench_ticket_resolved ON backoffice_ticket (resolved_at)")
            cursor.execute("CREATE INDEX bench_ticket_closed ON backoffice_ticket (closed_at)")
            if vendor == "postgresql":
                cursor.execute("ANALYZE backoffice_ticket")
        report("[+indexes]")
        _, times = timed(lambda: services.appraisals_generate(period=period, actor=manager),
                         args.repeat)
        print(f"[+indexes] generate again (recompute):           {fmt(times)}")
        if vendor == "postgresql":
            sql, params = _kpi_sql(selectors, month)
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            scan = [line.strip() for line in plan if "Scan" in line][:4]
            print("  plan: " + " | ".join(scan))
            print("  " + plan[-1].strip())


def _kpi_sql(selectors, month):
    """The SQL of the month's KPI query (captured from the selector)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        selectors.ticket_kpis(month)
    return ctx.captured_queries[-1]["sql"], None


if __name__ == "__main__":
    main()
