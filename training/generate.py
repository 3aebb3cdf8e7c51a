"""Synthetic volume of the training app (called by ``manage.py generate_data`` after the
service desk's tickets are generated).

- an appraisal period for every month covered by the tickets, and a draft appraisal per
  support staff member and month, its figures computed by the app's own grouped KPI
  query (``selectors.ticket_kpis``: ONE query per month) and filled by the service's
  ``_fill`` - the same computation as ``services.appraisals_generate``, minus its
  history rows;
- a training plan per year with a few items and sessions (past sessions held, with
  attendance and results).

Bulk inserts only, no history rows (synthetic volume, not audited work); idempotent
(periods, appraisals and plans that exist are left alone). Works on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from backoffice.desk.models import Contact, Product, Ticket
from backoffice.platform import roles
from backoffice.platform.models import next_numbers
from training import selectors, services
from training.models import (
    Appraisal,
    AppraisalPeriod,
    SessionAttendee,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from training.workflows import (
    Audience,
    Method,
    PracticalResult,
    TrainerKind,
    TrainingPlanStatus,
    TrainingSessionStatus,
)

BATCH = 2_000

#: (title, audience, method, product code, trainer kind, budget, pass mark, months)
ITEMS = [
    ("核心模块操作培训", Audience.CUSTOMERS, Method.ON_SITE, "ERP", TrainerKind.INTERNAL,
     "8000", "60", (3, 9)),
    ("数据库备份与恢复", Audience.STAFF, Method.ON_SITE, None, TrainerKind.EXTERNAL,
     "12000", "70", (4, 10)),
    ("新版本功能线上讲解", Audience.CUSTOMERS, Method.ONLINE, "CRM", TrainerKind.INTERNAL,
     "2000", "60", (5, 11)),
    ("投诉处理与沟通技巧", Audience.STAFF, Method.VIDEO, None, TrainerKind.EXTERNAL,
     "6000", "60", (6, 12)),
]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _saved(model, rows, **lookup):
    """The rows just bulk-created, with their pks (re-read where the backend cannot
    return them)."""
    if connection.features.can_return_rows_from_bulk_insert:
        return rows
    return list(model.objects.filter(**lookup))


def generate(scale, seed=1, stdout=None):
    rng = random.Random(seed * 7919 + 55)
    say = stdout.write if stdout else (lambda *_: None)
    span = Ticket.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    if span["first"] is None:
        say("Training: no tickets, nothing generated")
        return {"periods": 0, "appraisals": 0, "plans": 0, "sessions": 0}
    months = _months(timezone.localtime(span["first"]).date(),
                     timezone.localtime(span["last"]).date())
    appraisals = _appraisals(months, say)
    years = sorted({m.year for m in months})
    plans, sessions = _plans(years, scale, rng)
    say(f"Training: {len(months)} periods, {appraisals} appraisals, {plans} plans, "
        f"{sessions} sessions")
    return {"periods": len(months), "appraisals": appraisals, "plans": plans,
            "sessions": sessions}


def _appraisals(months, say) -> int:
    services.ensure_default_targets()
    targets = selectors.kpi_targets_by_role()
    now = timezone.now()
    members = selectors.role_members()
    with transaction.atomic():
        periods = dict(AppraisalPeriod.objects.filter(month__in=months)
                       .values_list("month", "id"))
        AppraisalPeriod.objects.bulk_create(
            [AppraisalPeriod(month=m) for m in months if m not in periods], batch_size=BATCH)
        periods = dict(AppraisalPeriod.objects.filter(month__in=months)
                       .values_list("month", "id"))
    existing = set(Appraisal.objects.filter(period_id__in=periods.values())
                   .values_list("period_id", "employee_id"))
    created = 0
    for index, month in enumerate(months, start=1):
        period_id = periods[month]
        kpis = selectors.ticket_kpis(month)  # one grouped query for everybody
        rows = []
        appraised = selectors.appraised_roles(kpis, members=members)  # engineer or clerk
        for employee_id in sorted(appraised):
            if (period_id, employee_id) in existing:
                continue
            appraisal = Appraisal(period_id=period_id, employee_id=employee_id)
            services._fill(appraisal, kpis.get(employee_id) or selectors.KpiCounts(),
                           appraised[employee_id], targets, now)
            rows.append(appraisal)
        Appraisal.objects.bulk_create(rows, batch_size=BATCH)
        created += len(rows)
        if index % 12 == 0 or index == len(months):
            say(f"{index}/{len(months)} appraisal periods, {created} appraisals")
    return created


def _plans(years, scale, rng) -> tuple[int, int]:
    """A plan per year not planned yet: items, a session per item and quarter-ish."""
    years = [y for y in years
             if not TrainingPlan.objects.filter(year=y).exists()]
    if not years:
        return 0, 0
    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    engineers = list(roles.users_in_role("engineer").order_by("id")
                     .values_list("id", flat=True)[:12])
    trainer = (roles.users_in_role("trainer").order_by("id").values_list("id", flat=True)
               .first())
    manager = (roles.users_in_role("manager").order_by("id").values_list("id", flat=True)
               .first())
    internal = trainer or (engineers[0] if engineers else None)
    products = dict(Product.objects.values_list("code", "id"))
    contacts = list(Contact.objects.order_by("-id").values_list("id", flat=True)
                    [:max(40, min(400, scale // 200))])
    per_session = max(6, min(25, scale // 2_000))

    with transaction.atomic():
        numbers = next_numbers("TP", len(years))
        plans = []
        for year, number in zip(years, numbers, strict=True):
            past = year < today.year
            state = TrainingPlanStatus.CLOSED if past else TrainingPlanStatus.APPROVED
            approved = timezone.make_aware(dt.datetime(year, 1, 15, 10), tz)
            plans.append(TrainingPlan(
                number=number, year=year, title=f"{year}年度售后培训计划", state=state,
                goals="客户关键用户掌握核心模块操作；工程师服务记录完整率达到 95%。",
                prepared_by_id=trainer, submitted_by_id=trainer,
                submitted_at=approved - dt.timedelta(days=5), approved_by_id=manager,
                approved_at=approved,
                closed_at=timezone.make_aware(dt.datetime(year, 12, 31, 18), tz) if past
                else None,
                created_at=approved - dt.timedelta(days=10)))
        TrainingPlan.objects.bulk_create(plans)
        plans = _saved(TrainingPlan, plans, number__in=numbers)

        items = []
        for plan in plans:
            for seq, (title, audience, method, product, kind, budget, mark,
                      (start, end)) in enumerate(ITEMS, start=1):
                last_day = (dt.date(plan.year, end, 28) + dt.timedelta(days=4)).replace(
                    day=1) - dt.timedelta(days=1)
                items.append(TrainingPlanItem(
                    plan=plan, seq=seq, title=title, audience=audience, method=method,
                    content=f"{title}（{plan.year}）", product_id=products.get(product),
                    planned_start=dt.date(plan.year, start, 1), planned_end=last_day,
                    trainer_kind=kind if internal or kind == TrainerKind.EXTERNAL
                    else TrainerKind.EXTERNAL,
                    trainer_id=internal if kind == TrainerKind.INTERNAL else None,
                    external_trainer="" if kind == TrainerKind.INTERNAL and internal
                    else "外聘讲师",
                    budget_estimate=Decimal(budget), pass_mark=Decimal(mark)))
        TrainingPlanItem.objects.bulk_create(items)
        items = _saved(TrainingPlanItem, items, plan__in=plans)

        sessions = []
        for item in items:
            for month in range(item.planned_start.month, item.planned_end.month + 1, 3):
                day = dt.date(item.planned_start.year, month, rng.randint(8, 22))
                while day.weekday() >= 5:
                    day += dt.timedelta(days=1)
                starts = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)), tz)
                held = starts < now - dt.timedelta(days=1)
                sessions.append(TrainingSession(
                    plan_item=item, title=item.title, method=item.method,
                    trainer_id=item.trainer_id, external_trainer=item.external_trainer,
                    state=TrainingSessionStatus.HELD if held else TrainingSessionStatus.PLANNED,
                    starts_at=starts, ends_at=starts + dt.timedelta(hours=6),
                    held_at=starts + dt.timedelta(hours=7) if held else None,
                    place="客户现场" if item.audience == Audience.CUSTOMERS else "公司培训室",
                    link="https://meeting.example.cn/j/000000"
                    if item.method == Method.ONLINE else "",
                    capacity=30,
                    actual_cost=(item.budget_estimate / 3 * Decimal(rng.randint(80, 105))
                                 / 100).quantize(Decimal("0.01")) if held else Decimal("0"),
                    created_at=starts - dt.timedelta(days=14)))
        numbers = []
        by_key: dict[str, list[TrainingSession]] = {}
        for s in sessions:  # numbered by the month they were planned in
            by_key.setdefault(f"{timezone.localtime(s.created_at):%Y%m}", []).append(s)
        for group in by_key.values():
            for s, number in zip(group, next_numbers("TS", len(group), when=group[0].created_at),
                                 strict=True):
                s.number = number
                numbers.append(number)
        TrainingSession.objects.bulk_create(sessions, batch_size=BATCH)
        sessions = _saved(TrainingSession, sessions, number__in=numbers)

        items_by_pk = {item.pk: item for item in items}
        attendees = []
        for s in sessions:
            item = items_by_pk[s.plan_item_id]
            if item.audience == Audience.STAFF:
                people = [("staff_id", e) for e in engineers]
            else:
                people = [("contact_id", c) for c in rng.sample(contacts,
                                                                 min(per_session, len(contacts)))]
            for field, person in people:
                a = SessionAttendee(session_id=s.pk, created_at=s.created_at, **{field: person})
                if s.state == TrainingSessionStatus.HELD:
                    _results(a, item, rng, s.starts_at.date())
                attendees.append(a)
        SessionAttendee.objects.bulk_create(attendees, batch_size=BATCH)
    return len(plans), len(sessions)


def _results(attendee, item, rng, day):
    attendee.attended = rng.random() < 0.9
    if not attendee.attended:
        attendee.comments = "请假"
        return
    score = max(30.0, min(100.0, rng.gauss(78, 10)))
    attendee.exam_score = Decimal(str(round(score * 2) / 2))
    if item.method == Method.ON_SITE and item.audience == Audience.STAFF:
        attendee.practical_result = (PracticalResult.PASSED if rng.random() < 0.85
                                     else PracticalResult.FAILED)
    attendee.survey_rating = rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0]
    below = attendee.exam_score < item.pass_mark or (
        attendee.practical_result == PracticalResult.FAILED)
    if below and rng.random() < 0.5:
        attendee.coached_on = day + dt.timedelta(days=rng.randint(3, 20))
        attendee.coaching_note = "一对一辅导，重做练习题后考核通过"
