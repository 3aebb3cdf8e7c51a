"""A large, realistic billing data set for benchmarks (``manage.py generate_data``).

Called after the service desk's generator with ``scale`` = its number of tickets: about
``scale / 25`` expense claims (40 000 for a million tickets) of 1-4 lines each, spread
over the years the tickets cover, mostly paid, the recent ones still in the pipeline;
some travel lines point at tickets of the claimant. Then one approved budget per year
that has none, sized from what was spent, so the budget report has something to show.

Bulk inserts only (no per-row save, no journal or history rows: this is synthetic volume,
not audited work): claims and their lines as rows of database values, FSM states
included (``backoffice.platform.bulk.insert_rows``: COPY on PostgreSQL, ``bulk_create``
on SQLite).
"""

import bisect
import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Min, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from backoffice.desk.models import Ticket
from backoffice.platform.bulk import insert_rows
from backoffice.platform.demo import generated_user
from backoffice.platform.models import DocumentSequence
from backoffice.platform.roles import group_name
from billing.demo import EXPENSES, PDF, POLICIES, YEARLY
from billing.models import Budget, BudgetControl, BudgetLine, ExpenseClaim, ExpenseLine
from billing.receipts import receipt_storage
from billing.workflows import BudgetPeriod, BudgetStatus, ClaimStatus, ExpenseCategory

C = ExpenseCategory
S = ClaimStatus
RECEIPT = "receipts/generated/receipt.pdf"
LINE_CATEGORIES = ([C.TRAVEL, C.OFFICE, C.TRAINING, C.OTHER], [70, 14, 6, 10])
TITLES = ["客户现场服务费用报销", "上门服务差旅", "外地驻场费用", "系统升级现场支持",
          "客户培训差旅", "紧急故障抢修费用", "季度客户回访", "办公用品报销"]
REJECTIONS = ["住宿超出公司差旅标准，请按标准报销", "缺少客户签字的服务单", "发票抬头有误，请重开",
              "与工单无关的费用不予报销"]
#: recent claims (last PIPELINE_DAYS) are still moving; older ones are settled
PIPELINE_DAYS = 40
RECENT = ([S.PAID, S.APPROVED, S.SUBMITTED, S.REJECTED, S.DRAFT], [35, 20, 20, 10, 15])
SETTLED = ([S.PAID, S.REJECTED, S.DRAFT, S.APPROVED], [93, 4, 2, 1])


def _role_users(role, fallback):
    """Active members of the role's group; a generated user when it has none."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=group_name(role))
    users = list(group.user_set.filter(is_active=True).order_by("id"))
    return users or [generated_user(fallback, role)]


def _claimants():
    """(user ids, weights): engineers claim most; other staff now and then."""
    User = get_user_model()
    engineers = set(User.objects.filter(groups__name=group_name("engineer"), is_active=True)
                    .values_list("id", flat=True))
    staff = sorted(set(User.objects.filter(is_staff=True, is_active=True, is_superuser=False)
                       .values_list("id", flat=True)) | engineers)
    return staff, [8 if u in engineers else 1 for u in staff]


def _ticket_sample(rng, wanted):
    """{assignee id: sorted [(received_at, ticket id, customer id)]}, about ``wanted``
    tickets read in one streamed pass."""
    qs = Ticket.objects.exclude(assignee=None)
    total = qs.count()
    keep = min(1.0, wanted / total) if total else 0
    out = defaultdict(list)
    if not keep:
        return out
    rows = qs.order_by("id").values_list("assignee_id", "received_at", "id", "customer_id")
    for assignee, received, pk, customer in rows.iterator(chunk_size=20_000):
        if rng.random() < keep:
            out[assignee].append((received, pk, customer))
    for items in out.values():
        items.sort()
    return out


def _receipt():
    storage = receipt_storage()
    if not storage.exists(RECEIPT):
        return storage.save(RECEIPT, ContentFile(PDF))
    return RECEIPT


def _clamp(when, now):
    return min(when, now)


def _claims(rng, count, start, now, batch, say):
    staff, weights = _claimants()
    managers = [u.pk for u in _role_users("manager", "gen_manager00")]
    payers = [u.pk for u in _role_users("finance", "gen_finance00")]
    tickets = _ticket_sample(rng, count * 3)
    keys = {a: [t[0] for t in items] for a, items in tickets.items()}
    receipt = _receipt()
    span = now - start
    pipeline = dt.timedelta(days=PIPELINE_DAYS)
    recent = min(count, max(10, count // 30))
    created = sorted([now - span * rng.random() for _ in range(count - recent)]
                     + [now - pipeline * rng.random() for _ in range(recent)])
    today = timezone.localdate(now)
    counts: dict[str, int] = defaultdict(int)
    done = 0
    while done < count:
        chunk = created[done:done + batch]
        by_month: dict[str, int] = defaultdict(int)
        for when in chunk:
            by_month[f"EC{timezone.localtime(when):%Y%m}"] += 1
        first = DocumentSequence.take_many(by_month)
        claims, lines_of = [], []
        for when in chunk:
            key = f"EC{timezone.localtime(when):%Y%m}"
            number = f"{key}-{first[key]:05d}"
            first[key] += 1
            claimant = rng.choices(staff, weights)[0]
            day = timezone.localdate(when)
            lines = []
            for _ in range(rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0]):
                category = rng.choices(*LINE_CATEGORIES)[0]
                description, low, high = rng.choice(EXPENSES[category])
                date = max(day - dt.timedelta(days=rng.randint(0, 20)), timezone.localdate(start))
                ticket = customer = None
                mine = keys.get(claimant)
                if category == C.TRAVEL and mine and rng.random() < 0.7:
                    # a ticket of the claimant received in the month before the expense
                    moment = timezone.make_aware(dt.datetime.combine(date, dt.time(23, 59)))
                    hi = bisect.bisect_right(mine, moment)
                    lo = bisect.bisect_left(mine, moment - dt.timedelta(days=30))
                    if hi > lo:
                        _, ticket, customer = tickets[claimant][rng.randrange(lo, hi)]
                lines.append({
                    "date": date, "category": category, "description": description,
                    "amount": Decimal(rng.randint(low * 100, high * 100)) / 100,
                    "receipt": receipt, "ticket_id": ticket, "customer_id": customer,
                    "created_at": when, "updated_at": when})
            age = now - when
            state = rng.choices(*(RECENT if age < pipeline else SETTLED))[0]
            submitted = decided = paid_on = None
            if state != S.DRAFT:
                submitted = _clamp(when + dt.timedelta(minutes=rng.randint(10, 3 * 24 * 60)),
                                   now)
            if state in (S.APPROVED, S.PAID, S.REJECTED):
                decided = _clamp(submitted + dt.timedelta(minutes=rng.randint(60, 5 * 24 * 60)),
                                 now)
            if state == S.PAID:
                paid_on = min(timezone.localdate(decided) + dt.timedelta(days=rng.randint(1, 10)),
                              today)
            approver = rng.choice([m for m in managers if m != claimant] or managers)
            claim = {
                "number": number, "state": state, "claimant_id": claimant,
                "title": f"{rng.choice(TITLES)} {day:%Y-%m}",
                "total": sum((line["amount"] for line in lines), Decimal("0.00")),
                "submitted_at": submitted,
                "approved_by_id": approver if decided else None, "approved_at": decided,
                "rejection_reason": rng.choice(REJECTIONS) if state == S.REJECTED else "",
                "paid_by_id": rng.choice(payers) if paid_on else None, "paid_on": paid_on,
                "payment_reference": (f"网银{paid_on:%Y%m%d}-{number[-5:]}" if paid_on
                                      else ""),
                "created_at": when, "updated_at": when}
            claims.append(claim)
            lines_of.append(lines)
            counts[str(state)] += 1
        with transaction.atomic():
            insert_rows(ExpenseClaim, claims, batch_size=batch)
            rows = []
            for claim, lines in zip(claims, lines_of, strict=True):
                for line in lines:
                    line["claim_id"] = claim["id"]
                    rows.append(line)
            insert_rows(ExpenseLine, rows, batch_size=batch, ids=False)
        done += len(chunk)
        say(f"{done} expense claims")
    return dict(counts)


def _round_up(amount, step=1000):
    return (Decimal(amount) / step).to_integral_value(ROUND_CEILING) * step


def _budgets(rng, first_year, now):
    """One approved budget per year without one; categories sized from the year's spend
    (some come out over budget, as in real life)."""
    manager = _role_users("manager", "gen_manager00")[0]
    payer = _role_users("finance", "gen_finance00")[0]
    have = set(Budget.objects.values_list("year", flat=True))
    years = [y for y in range(first_year, now.year + 1) if y not in have]
    if not years:
        return []
    spent = defaultdict(Decimal)
    for year, category, total in (
            ExpenseLine.objects.filter(claim__state__in=[S.APPROVED, S.PAID],
                                       date__year__in=years)
            .annotate(year=ExtractYear("date")).values_list("year", "category")
            .annotate(t=Sum("amount")).order_by()):
        spent[(year, category)] = total
    first_day = dict(ExpenseLine.objects.filter(date__year__in=years)
                     .annotate(year=ExtractYear("date")).values_list("year")
                     .annotate(d=Min("date")).order_by())
    budgets = []
    for year in years:
        start = max(dt.date(year, 1, 1), first_day.get(year, dt.date(year, 1, 1)))
        end = min(dt.date(year, 12, 31), timezone.localdate(now))
        covered = max((end - start).days + 1, 30) / 365  # spend so far -> a year's rate
        eve = timezone.make_aware(dt.datetime(year - 1, 12, 1, 10))
        budgets.append(Budget(
            year=year, title=f"{year}年售后服务费用预算", state=BudgetStatus.APPROVED,
            prepared_by=manager, submitted_by=manager, submitted_at=eve,
            approved_by=payer, approved_at=eve + dt.timedelta(days=14), created_at=eve))
        budgets[-1]._covered = covered
    with transaction.atomic():
        Budget.objects.bulk_create(budgets)
        if not connection.features.can_return_rows_from_bulk_insert:
            ids = dict(Budget.objects.filter(year__in=years).values_list("year", "id"))
            for budget in budgets:
                budget.pk = ids[budget.year]
        controls, lines = [], []
        for budget in budgets:
            for category in C.values:
                controls.append(BudgetControl(budget_id=budget.pk, category=category,
                                              overrun_policy=POLICIES[category]))
                used = spent.get((budget.year, category))
                if used:
                    amount = _round_up(used / Decimal(budget._covered)
                                       * Decimal(rng.uniform(0.9, 1.3)))
                else:
                    amount = Decimal(YEARLY.get(category, "10000"))
                lines.append(BudgetLine(budget_id=budget.pk, category=category,
                                        period=BudgetPeriod.YEAR, amount=amount,
                                        created_at=budget.created_at))
        BudgetControl.objects.bulk_create(controls)
        BudgetLine.objects.bulk_create(lines)
    return years


def generate(scale, seed=1, stdout=None, batch=5_000):
    rng = random.Random(seed)
    say = stdout.write if stdout else (lambda *_: None)
    now = timezone.now()
    oldest = Ticket.objects.aggregate(m=Min("received_at"))["m"]
    start = min(oldest or now - dt.timedelta(days=365), now - dt.timedelta(days=PIPELINE_DAYS))
    count = max(20, scale // 25)
    counts = _claims(rng, count, start, now, batch, say)
    years = _budgets(rng, timezone.localtime(start).year, now)
    say(f"Billing: {count} expense claims {counts}; approved budgets for "
        f"{', '.join(map(str, years)) or 'no new year'}")
    return {"claims": count, "states": counts, "budgets": years}
