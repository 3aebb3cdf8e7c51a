"""Demo data of the billing app (called by ``manage.py load_demo`` after the service desk).

This year's approved budget (monthly travel, quarterly training, yearly others) with
adjustments in every state, next year's budget awaiting leadership, expense claims in
every state (one with a confirmed overrun), and quotes to customers. Everything goes
through the services and ``apply_transition``, so journals and history are real.
Idempotent: nothing is added once this year's budget exists.
"""

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from backoffice.desk import workflows as desk
from backoffice.desk.models import Ticket
from backoffice.platform.demo import Timeline, at, on_day, say
from backoffice.platform.workflow import apply_transition
from billing import services
from billing.models import Budget, CostRate, CustomerCharge
from billing.workflows import AdjustmentKind as K
from billing.workflows import BudgetPeriod as P
from billing.workflows import ExpenseCategory as C
from billing.workflows import OverrunPolicy

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

TRAINING_BY_QUARTER = ["30000", "40000", "30000", "20000"]
YEARLY = {C.SALARIES: "960000", C.PARTS: "150000", C.OFFICE: "24000", C.OTHER: "3000"}
POLICIES = {C.SALARIES: OverrunPolicy.IGNORE, C.TRAINING: OverrunPolicy.WARN,
            C.PARTS: OverrunPolicy.WARN, C.TRAVEL: OverrunPolicy.WARN,
            C.OFFICE: OverrunPolicy.STOP, C.OTHER: OverrunPolicy.WARN}

EXPENSES = {  # category -> (description, low, high)
    C.TRAVEL: [("高铁二等座 往返", 300, 1200), ("出租车 客户现场", 30, 160),
               ("酒店住宿", 350, 900), ("机票 经济舱", 800, 2600)],
    C.OFFICE: [("打印服务报告", 10, 80), ("U盘 / 移动硬盘", 60, 400)],
    C.TRAINING: [("外部认证培训报名费", 800, 3000), ("培训教材", 80, 300)],
    C.OTHER: [("客户现场加班餐费", 40, 200)],
}


def _days(rng, count):
    """``count`` past days of this year, oldest first."""
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    span = max((today - start).days, 0)
    return sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))


def _line(rng, day, category, tickets):
    """One expense; a travel expense may be the trip of a ticket's visit (on its day)."""
    description, low, high = rng.choice(EXPENSES[category])
    ticket = rng.choice(tickets) if tickets and category == C.TRAVEL else None
    if ticket is not None:
        day = timezone.localdate(ticket.visit_at)
    return {"date": day, "category": category, "description": description,
            "amount": Decimal(rng.randint(low * 100, high * 100)) / 100,
            "receipt": ContentFile(PDF, name="receipt.pdf"), "ticket": ticket,
            "customer": ticket.customer if ticket else None}


def _claim(rng, claimant, title, tickets, categories=(C.TRAVEL, C.TRAVEL, C.OFFICE)):
    """A draft claim, written the day after its last expense; ``claim.story`` times the
    steps that follow (submitted that afternoon, approved and paid days later)."""
    days = _days(rng, len(categories))
    lines = [_line(rng, d, c, tickets) for d, c in zip(days, categories, strict=True)]
    story = Timeline(on_day(max(line["date"] for line in lines) + dt.timedelta(days=1), 10))
    with at(story.moment):
        claim = services.claim_create(claimant=claimant, title=title, lines=lines)
    claim.story = story
    return claim


def load_budgets(users, year):
    manager, finance = users["manager"], users["finance"]
    lines = [(C.TRAVEL, f"m{m:02d}", "15000") for m in range(1, 13)]
    lines += [(C.TRAINING, f"q{q}", amount) for q, amount in enumerate(TRAINING_BY_QUARTER, 1)]
    lines += [(c, P.YEAR, amount) for c, amount in YEARLY.items()]
    # drawn up in December of the year before, returned once, approved before New Year
    with at(on_day(dt.date(year - 1, 12, 10), 10)):
        budget = services.budget_create(year=year, actor=manager,
                                        title=f"{year}年售后服务费用预算", lines=lines,
                                        policies=POLICIES)
    with at(on_day(dt.date(year - 1, 12, 10), 15)):
        services.budget_submit(budget=budget, actor=manager, note="请领导审批")
    with at(on_day(dt.date(year - 1, 12, 14), 11)):
        services.budget_return(budget=budget, actor=finance,
                               reason="办公费用偏高，请压缩后重新提交")
    with at(on_day(dt.date(year - 1, 12, 15), 16)):
        office = budget.lines.get(category=C.OFFICE)
        office.amount = Decimal("20000")
        office.save()
        services.budget_submit(budget=budget, actor=manager, note="已压缩办公费用")
    with at(on_day(dt.date(year - 1, 12, 22), 10)):
        services.budget_approve(budget=budget, actor=finance, note="同意")

    def adjust(kind, category, amount, reason, from_category="", outcome="approve", *, on):
        with at(on_day(on, 10)):
            adjustment = services.adjustment_create(
                budget=budget, actor=manager, kind=kind, category=category, amount=amount,
                reason=reason, from_category=from_category)
        if outcome == "draft":
            return adjustment
        with at(on_day(on, 14)):
            services.adjustment_submit(adjustment=adjustment, actor=manager)
        with at(on_day(on + dt.timedelta(days=2), 11)):
            if outcome == "approve":
                services.adjustment_approve(adjustment=adjustment, actor=finance, note="同意")
            elif outcome == "reject":
                services.adjustment_reject(adjustment=adjustment, actor=finance,
                                           reason="请在下季度预算中统筹考虑")
        return adjustment

    today = timezone.localdate()
    adjust(K.INCREASE, C.TRAVEL, "20000", "新签三家VIP客户，驻场服务差旅增加",
           on=dt.date(year, 4, 8))
    adjust(K.TRANSFER, C.TRAVEL, "5000", "部分培训改为线上，节余转差旅", from_category=C.TRAINING,
           on=dt.date(year, 6, 9))
    adjust(K.INCREASE, C.OTHER, "5000", "客户答谢活动", outcome="reject",
           on=dt.date(year, 9, 15))
    adjust(K.DECREASE, C.OFFICE, "2000", "办公用品改为集中采购", outcome="submit",
           on=today - dt.timedelta(days=3))
    adjust(K.INCREASE, C.PARTS, "30000", "老客户服务器批量更换硬盘", outcome="draft",
           on=today - dt.timedelta(days=1))

    with at(on_day(today - dt.timedelta(days=2), 15)):  # next year's, waiting for approval
        following = services.budget_create(
            year=year + 1, actor=manager, title=f"{year + 1}年售后服务费用预算",
            lines=[(c, P.YEAR, amount) for c, amount in {**YEARLY, C.TRAVEL: "200000",
                                                          C.TRAINING: "110000"}.items()],
            policies=POLICIES)
        services.budget_submit(budget=following, actor=manager, note="明年预算草案")
    return budget


def load_claims(users, rng):
    manager, finance = users["manager"], users["finance"]
    # the trips of visits already made (this year: the claims are charged to its budget)
    tickets = list(Ticket.objects.filter(visit_at__lt=timezone.now() - dt.timedelta(days=2),
                                         visit_at__year=timezone.localdate().year)
                   .select_related("customer")[:20])
    staff = [users[u] for u in ("engineer", "engineer2", "clerk", "trainer", "warehouse",
                                "business")]
    counts = {}

    def note(state):
        counts[state] = counts.get(state, 0) + 1

    for i, claimant in enumerate(staff * 2):
        claim = _claim(rng, claimant, f"客户现场服务费用报销 {i + 1}", tickets)
        with claim.story.after(5 * 60, wall=True):
            services.claim_submit(claim=claim, actor=claimant)
        with claim.story.after(2 * 24 * 60, wall=True):
            services.claim_approve(claim=claim, actor=manager)
        if i % 3 != 2:
            with claim.story.after(3 * 24 * 60, wall=True):
                services.claim_pay(
                    claim=claim, actor=finance,
                    payment_reference=f"网银{timezone.localdate():%Y%m%d}-{i + 1:03d}")
            note("paid")
        else:
            note("approved")
    for claimant in staff[:3]:
        claim = _claim(rng, claimant, "本月上门服务差旅", tickets)
        with claim.story.after(5 * 60, wall=True):
            services.claim_submit(claim=claim, actor=claimant, note="请审批")
        note("submitted")
    rejected = _claim(rng, users["engineer2"], "外地驻场住宿", tickets)
    with rejected.story.after(5 * 60, wall=True):
        services.claim_submit(claim=rejected, actor=users["engineer2"])
    with rejected.story.after(24 * 60, wall=True):
        services.claim_reject(claim=rejected, actor=manager,
                              reason="住宿超出公司差旅标准，请补充说明或按标准报销")
    note("rejected")
    for claimant in (users["engineer"], users["trainer"]):
        _claim(rng, claimant, "待提交的报销单", tickets, categories=(C.TRAVEL,))
        note("draft")
    own = _claim(rng, manager, "售后经理客户拜访", tickets)
    with own.story.after(5 * 60, wall=True):
        services.claim_submit(claim=own, actor=manager)  # waits: nobody approves their own
    note("submitted")
    overrun = _claim(rng, users["engineer"], "客户现场紧急加班餐费", tickets,
                     categories=(C.OTHER,) * 4)
    with at(overrun.story.moment):
        for line in overrun.lines.all():
            line.amount = Decimal("900.00")
            line.save()
    with overrun.story.after(5 * 60, wall=True):
        services.claim_submit(claim=overrun, actor=users["engineer"], confirm_overrun=True,
                              note="抢修加班，超预算已确认")
    with overrun.story.after(24 * 60, wall=True):
        services.claim_approve(claim=overrun, actor=manager, confirm_overrun=True,
                               note="系统故障抢修期间，确认超预算")
    note("approved")
    return counts


def load_charges(users, rng):
    business = users["business"]
    tickets = list(Ticket.objects.filter(category=desk.Category.REQUIREMENT)
                   .exclude(requirement_chargeable=False)[:4])
    tickets += list(Ticket.objects.filter(category=desk.Category.ENVIRONMENT)[:1])
    outcomes = ["accept", "send", "decline", "draft", "accept"]
    for ticket, outcome in zip(tickets, outcomes, strict=False):
        special = ticket.category != desk.Category.REQUIREMENT
        # quoted the day after the requirement was evaluated (the ticket's last step then)
        evaluated = ticket.events.filter(action="evaluate_requirement").values_list(
            "created_at", flat=True).first() or ticket.received_at
        story = Timeline(evaluated + dt.timedelta(days=1))
        with at(story.moment):
            charge = CustomerCharge(
                ticket=ticket, created_by=business,
                kind="special" if special else "custom",
                title="数据库迁移专项服务" if special else f"需求定制：{ticket.subject}"[:200],
                description="范围：需求分析、开发、测试、上线支持；验收后付款。",
                effort_days=Decimal(rng.choice([3, 5, 8, 12])),
                amount=Decimal(rng.choice([8000, 15000, 28000, 45000])),
                valid_until=timezone.localdate() + dt.timedelta(days=30))
            charge._history_user = business
            charge.save()
        if outcome == "draft":
            continue
        with story.after(3 * 60, wall=True):
            apply_transition(charge, "send", actor=business, note="报价单已发客户")
        with story.after(5 * 24 * 60, wall=True):
            if outcome == "accept":
                apply_transition(charge, "accept", actor=business, accepted_by="客户项目负责人",
                                 customer_reference=f"HT-{timezone.localdate():%Y}-{charge.pk:03d}")
            elif outcome == "decline":
                apply_transition(charge, "decline", actor=business, note="客户预算不足",
                                 reason="客户预算不足，改为下季度再议")

#: hourly cost per role (CNY), from 1 January of last year, with this year's raise
COST_RATES = {"clerk": ("80.00", "85.00"), "engineer": ("150.00", "160.00"),
              "manager": ("220.00", "230.00"), "business": ("200.00", "200.00"),
              "warehouse": ("70.00", "75.00"), "trainer": ("120.00", "120.00"),
              "finance": ("180.00", "180.00")}


def load_cost_rates(users, year):
    for role, (old, new) in COST_RATES.items():
        for since, rate in ((dt.date(year - 1, 1, 1), old), (dt.date(year, 1, 1), new)):
            CostRate.objects.get_or_create(role=role, valid_from=since, defaults={
                "hourly_rate": Decimal(rate), "created_by": users["finance"],
                "note": "年度人工成本核定"})


@transaction.atomic
def load(users, stdout=None):
    year = timezone.localdate().year
    if Budget.objects.filter(year=year).exists():
        say(stdout, "Billing: this year's budget exists; demo budgets and claims not "
                     "generated again.")
        return
    rng = random.Random(4)
    load_cost_rates(users, year)
    load_budgets(users, year)
    counts = load_claims(users, rng)
    load_charges(users, rng)
    say(stdout, f"Billing: budgets {year} (approved) and {year + 1} (submitted), "
                 f"claims {counts}, {CustomerCharge.objects.count()} customer charges.")
