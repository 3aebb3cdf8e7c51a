"""How long the budget figures take with a year of claims (aggregates, not loops).

Creates a throw-away test database (SQLite file or ``test_<name>`` on PostgreSQL via
DATABASE_URL), fills it with ``--claims`` claims of ``--lines`` lines each across the
year, then times the budget guard, the budget page figures, the budget-vs-actual report,
the dashboard figures and the claim changelist. Run:

    .venv/bin/python benchmarks/billing_figures.py --claims 5000 --lines 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_billing .venv/bin/python benchmarks/billing_figures.py
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")


def timed(label, func, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<46} {best * 1000:8.1f} ms")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=4)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from django.contrib.auth.models import Group
        from django.test import Client
        from simple_history.utils import bulk_create_with_history

        from backoffice.platform import roles
        from billing import dashboard, selectors, services
        from billing.models import ExpenseClaim, ExpenseLine
        from billing.workflows import ClaimStatus, ExpenseCategory

        User = django.contrib.auth.get_user_model()

        def user(role, name):
            u = User.objects.create_user(name, password="pw", is_staff=True)
            u.groups.add(Group.objects.get(name=roles.group_name(role)))
            return u

        manager, finance = user("manager", "m"), user("finance", "f")
        staff = [user("engineer", f"e{i}") for i in range(20)]
        year = dt.date.today().year
        budget = services.budget_create(year=year, actor=manager, lines=[
            (c, "year", "10000000") for c in ExpenseCategory.values])
        services.budget_submit(budget=budget, actor=manager)
        services.budget_approve(budget=budget, actor=finance)

        rng = random.Random(1)
        today = dt.date.today()
        start = time.perf_counter()
        states = [ClaimStatus.PAID, ClaimStatus.APPROVED, ClaimStatus.SUBMITTED,
                  ClaimStatus.DRAFT]
        claims = []
        for i in range(args.claims):
            # benchmark fixture data: the state is given at construction, like a factory
            claims.append(ExpenseClaim(claimant=rng.choice(staff), title=f"claim {i}",
                                       number=f"BENCH-{i:07d}", state=rng.choice(states)))
        bulk_create_with_history(claims, ExpenseClaim, batch_size=1000)
        claims = list(ExpenseClaim.objects.all())
        lines = [ExpenseLine(claim=c, date=dt.date(year, 1, 1) + dt.timedelta(
                     days=rng.randint(0, max((today - dt.date(year, 1, 1)).days, 0))),
                     category=rng.choice(ExpenseCategory.values), description="x",
                     amount=Decimal(rng.randint(100, 100000)) / 100)
                 for c in claims for _ in range(args.lines)]
        ExpenseLine.objects.bulk_create(lines, batch_size=2000)
        print(f"{connection.vendor}: {len(claims)} claims, {len(lines)} lines "
              f"(filled in {time.perf_counter() - start:.1f} s)")

        def guard():
            with transaction.atomic():
                services.budget_guard(category="travel", amount=Decimal("1"), on_date=today,
                                      actor=manager)

        timed("budget guard (lock + aggregates), one category", guard)
        timed("budget page figures (6 categories)", lambda: selectors.budget_position(budget))
        timed("budget vs actual report, by month", lambda: selectors.budget_vs_actual(year))
        timed("dashboard budget_usage", lambda: dashboard.budget_usage(finance, year))
        timed("dashboard pending_approvals", lambda: dashboard.pending_approvals(manager))
        client = Client()
        client.force_login(manager)
        timed("claim changelist page (manager, all claims)",
              lambda: client.get("/admin/billing/expenseclaim/"), repeat=3)
        timed("budget vs actual page", lambda: client.get("/admin/billing/budget/report/"),
              repeat=3)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
