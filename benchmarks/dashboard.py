"""Time the admin dashboard and the monthly report against a large generated ticket set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python \
        benchmarks/dashboard.py --tickets 1000000

Use a database of its own: the script migrates it, bulk-inserts tickets until it holds
``--tickets`` of them (a re-run with the same count reuses them; ``--fresh`` starts over;
use a new database for another size, since tickets are laid out in time order), then calls
``backoffice.reports.dashboard.dashboard_callback`` as an after-sales manager ``--repeat`` times
and prints the timings and the slowest queries. Tickets are spread over two years, a few
percent still open, most resolved with a satisfaction score, like a real desk.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from backoffice.desk import workflows as wf  # noqa: E402
from backoffice.desk.models import Customer, Product, Ticket  # noqa: E402
from backoffice.platform import roles  # noqa: E402

PREFIX = "BM"
BATCH = 5000
OPEN_SHARE = 0.03


def setup_reference(rng):
    User = get_user_model()
    manager, _ = User.objects.get_or_create(username="bench-manager",
                                            defaults={"is_staff": True})
    manager.groups.add(Group.objects.get(name=roles.group_name("manager")))
    engineers = []
    for i in range(8):
        user, _ = User.objects.get_or_create(username=f"bench-engineer{i}",
                                             defaults={"is_staff": True})
        user.groups.add(Group.objects.get(name=roles.group_name("engineer")))
        engineers.append(user)
    products = [Product.objects.get_or_create(code=f"{PREFIX}P{i}",
                                              defaults={"name": f"基准产品{i}"})[0]
                for i in range(6)]
    existing = set(Customer.objects.filter(code__startswith=PREFIX)
                   .values_list("code", flat=True))
    Customer.objects.bulk_create([Customer(code=f"{PREFIX}C{i:04d}", name=f"基准客户{i}")
                                  for i in range(300) if f"{PREFIX}C{i:04d}" not in existing])
    customers = list(Customer.objects.filter(code__startswith=PREFIX).values_list("pk",
                                                                                    flat=True))
    return manager, engineers, products, customers


def make_ticket(n, target, rng, now, engineers, products, customers):
    # tickets arrive in time order (as a live desk inserts them), denser in recent months
    fraction = (n + rng.random()) / target
    age = dt.timedelta(days=730 * (1 - fraction) ** 1.3)
    received = now - age
    priority = rng.choices(wf.Priority.values, weights=[5, 20, 60, 15])[0]
    response_hours = {"critical": 2, "high": 4, "normal": 24, "low": 48}[priority]
    is_open = age < dt.timedelta(days=30) and rng.random() < OPEN_SHARE * 12
    ticket = Ticket(
        number=f"{PREFIX}-{n:08d}", channel=rng.choice(wf.Channel.values),
        category=rng.choice(wf.Category.values), priority=priority,
        customer_id=rng.choice(customers), product=rng.choice(products),
        subject=f"基准工单 {n}", received_at=received,
        response_due=received + dt.timedelta(hours=response_hours),
        resolution_due=received + dt.timedelta(hours=response_hours * 5),
        assignee=rng.choice(engineers),
        state=rng.choice(wf.OPEN_STATES) if is_open else wf.TicketStatus.CLOSED)
    if ticket.state not in {wf.TicketStatus.NEW}:
        ticket.first_response_at = received + dt.timedelta(hours=rng.expovariate(1 / 3))
        ticket.response_met = ticket.first_response_at <= ticket.response_due
        ticket.first_response_seconds = int((ticket.first_response_at - received)
                                            .total_seconds())
    if not is_open:
        ticket.resolved_at = min(now, received + dt.timedelta(hours=rng.expovariate(1 / 30)))
        ticket.resolution_met = ticket.resolved_at <= ticket.resolution_due
        ticket.closed_at = min(now, ticket.resolved_at + dt.timedelta(hours=rng.uniform(2, 48)))
        if rng.random() < 0.7:
            ticket.satisfaction = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 15, 7, 3])[0]
    return ticket


def generate(target, rng):
    manager, engineers, products, customers = setup_reference(rng)
    have = Ticket.objects.filter(number__startswith=f"{PREFIX}-").count()
    now = timezone.now()
    started = time.perf_counter()
    n = have
    while n < target:
        batch = [make_ticket(i, target, rng, now, engineers, products, customers)
                 for i in range(n, min(target, n + BATCH))]
        with transaction.atomic():
            Ticket.objects.bulk_create(batch, batch_size=BATCH)
        n += len(batch)
        if (n - have) % 50_000 < BATCH:
            print(f"  {n:,} tickets ({time.perf_counter() - started:.0f} s)", flush=True)
    if n > have:
        print(f"generated {n - have:,} tickets in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            # what autovacuum does on a live desk: statistics, and the visibility map
            # that lets the covering indexes answer without reading the table
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE backoffice_ticket")
    return manager


class QueryTimer:
    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - start, sql))


def timed(label, func, repeat):
    func()  # warm up: connection, caches, permission cache
    runs, timer = [], None
    for _ in range(repeat):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            func()
            runs.append(time.perf_counter() - start)
    print(f"\n{label}: median {statistics.median(runs) * 1000:.0f} ms, "
          f"min {min(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms "
          f"over {repeat} runs; {len(timer.queries)} queries, "
          f"{sum(t for t, _ in timer.queries) * 1000:.0f} ms in the database")
    for seconds, sql in sorted(timer.queries, reverse=True)[:5]:
        print(f"  {seconds * 1000:7.1f} ms  {sql[:110]}")
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true",
                        help="delete the benchmark tickets first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    if args.fresh:
        Ticket.objects.filter(number__startswith=f"{PREFIX}-").delete()
    manager = generate(args.tickets, random.Random(args.seed))
    total = Ticket.objects.count()
    print(f"tickets in the database: {total:,} "
          f"({Ticket.objects.filter(state__in=wf.OPEN_STATES).count():,} open)")

    from backoffice.reports import selectors as reports
    from backoffice.reports.admin import build_report
    from backoffice.reports.dashboard import dashboard_callback

    request = RequestFactory().get("/admin/")
    request.user = manager
    timed("dashboard_callback (after-sales manager)",
          lambda: dashboard_callback(request, {}), args.repeat)
    month = reports.Period.of("month", timezone.localdate())
    timed(f"monthly report {month.label}", lambda: build_report(month), args.repeat)


if __name__ == "__main__":
    main()
