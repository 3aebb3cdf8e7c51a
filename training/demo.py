
"""Demo data of the training app (called by ``manage.py load_demo`` after the service desk).

A year's training plan built from collected needs (``fixtures/training/demo_*.csv``),
prepared by the training specialist and approved by the manager; its sessions, with
attendance and results for the ones already past; and the appraisals of the three
months before this one, computed from the demo tickets, partly reviewed and
acknowledged. Everything goes through the services and ``apply_transition``.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backoffice.desk.models import Contact, Customer, Product, Ticket
from backoffice.platform import budget
from backoffice.platform.demo import Timeline, at, fixture_rows, on_day, real_now, say
from backoffice.platform.workflow import apply_transition
from training import services
from training.models import (
    Appraisal,
    SessionAttendee,
    TrainingNeed,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from training.workflows import AppraisalRole, Audience, Outcome, PracticalResult, RequesterKind


def _csv(name):
    return fixture_rows("training", name)


@transaction.atomic
def load(users, stdout=None):
    if TrainingPlan.objects.exists():
        say(stdout, "Training plans already present: training demo not loaded again.")
        return
    rng = random.Random(55)
    services.ensure_default_targets()
    year = timezone.localdate().year
    with at(on_day(dt.date(year, 1, 5), 10)):  # needs collected in the first week of January
        needs = _needs(users)
    plan = _plan(users, needs)
    _sessions(users, plan, rng)
    _appraisals(users, rng, stdout)
    _clerk_appraisals(stdout)
    say(stdout, f"Training: plan {plan.number} with {plan.items.count()} items, "
                 f"{TrainingSession.objects.count()} sessions, "
                 f"{Appraisal.objects.count()} appraisals.")


def _needs(users):
    needs = {}
    customers = {c.code: c for c in Customer.objects.all()}
    products = {p.code: p for p in Product.objects.all()}
    for row in _csv("demo_needs.csv"):
        kind = row["requester_kind"]
        customer = customers.get(row["requester"]) if kind == RequesterKind.CUSTOMER else None
        need = TrainingNeed(
            topic=row["topic"], description=row["description"], requester_kind=kind,
            customer=customer,
            contact=Contact.objects.filter(customer=customer).first() if customer else None,
            staff=users.get(row["requester"]) if kind == RequesterKind.STAFF else None,
            product=products.get(row["product"]), urgency=row["urgency"], source=row["source"],
            collected_by=users["trainer"])
        if need.source == "ticket" and customer:
            need.ticket = Ticket.objects.filter(customer=customer,
                                                received_at__lt=timezone.now()).first()
            if need.ticket is None:
                need.source = "survey"
        need._history_user = users["trainer"]
        need.save()
        needs[row["key"]] = need
    apply_transition(needs["N10"], "drop", actor=users["trainer"],
                     note="并入明年计划，今年先安排自学资料")
    return needs


def _plan(users, needs):
    trainer, manager = users["trainer"], users["manager"]
    year = timezone.localdate().year
    products = {p.code: p for p in Product.objects.all()}
    plan = TrainingPlan(year=year, title=f"{year}年度售后培训计划", prepared_by=trainer,
                        goals="1. 客户关键用户掌握核心模块操作，操作类工单下降 20%；\n"
                              "2. 工程师掌握数据库备份恢复，服务记录完整率达到 95%；\n"
                              "3. 客服专员投诉处理满意度提升。")
    prepared = Timeline(on_day(dt.date(year, 1, 8), 10))
    with at(prepared.moment):  # prepared in the second week of January
        plan._history_user = trainer
        plan.save()
        for seq, row in enumerate(_csv("demo_plan.csv"), start=1):
            end_month = int(row["end_month"])
            last_day = (dt.date(year, end_month, 28) + dt.timedelta(days=4)).replace(day=1) \
                - dt.timedelta(days=1)
            item = TrainingPlanItem(
                plan=plan, seq=seq, title=row["title"], content=row["content"],
                audience=row["audience"], method=row["method"], product=products.get(row["product"]),
                planned_start=dt.date(year, int(row["start_month"]), 1), planned_end=last_day,
                trainer_kind=row["trainer_kind"], trainer=users.get(row["trainer"]),
                external_trainer=row["external_trainer"], budget_estimate=Decimal(row["budget"]),
                pass_mark=Decimal(row["pass_mark"]))
            item._history_user = trainer
            item.save()
            item.needs.set([needs[key] for key in row["needs"].split(";") if key])
    try:
        with prepared.after(6 * 60, wall=True):
            apply_transition(plan, "submit", actor=trainer, note="请审批年度培训计划")
    except budget.BudgetWarning:
        with at(prepared.moment):
            apply_transition(plan, "submit", actor=trainer, confirm_overrun=True,
                             note="请审批年度培训计划")
    except budget.BudgetOverrun:
        return plan  # no training budget left in the demo: the plan stays a draft
    try:
        with prepared.after(2 * 24 * 60, wall=True):
            apply_transition(plan, "approve", actor=manager, note="同意，注意控制外聘讲师费用")
    except budget.BudgetWarning:
        with at(prepared.moment):
            apply_transition(plan, "approve", actor=manager, confirm_over_budget=True,
                             note="超出培训预算，已确认")
    except budget.BudgetOverrun:
        pass  # no training budget left in the demo: the plan waits for approval
    return plan


def _attendees_for(item, users, rng):
    if item.audience == Audience.STAFF:
        return [("staff", u) for u in (users["clerk"], users["engineer"], users["engineer2"])]
    customers = Customer.objects.all()
    if item.product_id:
        customers = customers.filter(installations__product=item.product_id)
    contacts = list(Contact.objects.filter(customer__in=customers).select_related("customer")
                    .order_by("customer__code")[:8])
    return [("contact", c) for c in contacts]


def _sessions(users, plan, rng):
    """The plan's sessions, booked once it is approved; each past one held on its day
    (results entered that evening), one cancelled two days before."""
    trainer = users["trainer"]
    now = real_now()
    tz = timezone.get_current_timezone()
    booked = plan.events.order_by("-created_at").values_list("created_at", flat=True).first()
    for item in plan.items.order_by("seq"):
        months = range(item.planned_start.month, item.planned_end.month + 1)
        for month in months:
            day = dt.date(plan.year, month, rng.randint(8, 22))
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            starts = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)), tz)
            booked_at = min(max(booked or now, starts - dt.timedelta(days=7)),
                            starts - dt.timedelta(days=1))
            with at(booked_at):
                session = TrainingSession(
                    plan_item=item, starts_at=starts, ends_at=starts + dt.timedelta(hours=6),
                    place="客户现场" if item.audience == Audience.CUSTOMERS else "公司培训室",
                    link=f"https://meeting.example.cn/j/{rng.randint(0, 999999):06d}"
                    if item.method == "online" else "",
                    capacity=30)
                session._history_user = trainer
                session.save()
                people = _attendees_for(item, users, rng)
            past = starts < now - dt.timedelta(days=1) and plan.state == "approved"
            if past and item.seq == 1 and month == months[0]:
                with at(starts - dt.timedelta(days=2)):
                    apply_transition(session, "cancel", actor=trainer, note="讲师临时出差，改期")
                continue
            with at(session.ends_at + dt.timedelta(hours=1) if past else booked_at):
                for kind, person in people:
                    attendee = SessionAttendee(session=session, **{kind: person})
                    if past:
                        _results(attendee, item, rng, day)
                    attendee._history_user = trainer
                    attendee.save()
                if past:
                    session.actual_cost = (item.budget_estimate / len(months)
                                           * Decimal(rng.randint(80, 105)) / 100).quantize(
                        Decimal("0.01"))
                    session._history_user = trainer
                    session.save()
                    apply_transition(session, "hold", actor=trainer, note="培训已完成，成绩已录入")


def _results(attendee, item, rng, day):
    attendee.attended = rng.random() < 0.9
    if not attendee.attended:
        attendee.comments = "请假"
        return
    score = max(30.0, min(100.0, rng.gauss(78, 10)))
    attendee.exam_score = Decimal(str(round(score * 2) / 2))
    if item.method == "on_site" and item.audience == Audience.STAFF:
        attendee.practical_result = (PracticalResult.PASSED if rng.random() < 0.85
                                     else PracticalResult.FAILED)
    attendee.survey_rating = rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0]
    below = attendee.exam_score < item.pass_mark or (
        attendee.practical_result == PracticalResult.FAILED)
    if below and rng.random() < 0.5:
        # coached after the session (entered later: the date is the coaching's own)
        attendee.coached_on = min(real_now().date(),
                                  day + dt.timedelta(days=rng.randint(3, 20)))
        attendee.coaching_note = "一对一辅导，重做练习题后考核通过"


def _appraisals(users, rng, stdout):
    manager = users["manager"]
    first_of_this_month = timezone.localdate().replace(day=1)
    months = []
    month = first_of_this_month
    for _ in range(3):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        months.insert(0, month)
    for index, month in enumerate(months):
        period = services.period_for(month)
        # computed on the 3rd of the next month, reviewed on the 8th, read by the 10th
        after = (month + dt.timedelta(days=32)).replace(day=1)
        with at(on_day(after + dt.timedelta(days=2), 9)):
            services.appraisals_generate(period=period, actor=manager)
        if index == 2:
            continue  # the last month waits for the manager's review
        for appraisal in period.appraisals.select_related("employee"):
            met, judged = appraisal.targets_met()
            appraisal.manager_score = min(100, 60 + 6 * met + rng.randint(0, 6))
            if judged and met == judged:
                appraisal.outcome, appraisal.outcome_amount = Outcome.REWARD, Decimal("500.00")
            elif judged and met * 2 < judged:
                appraisal.outcome, appraisal.outcome_amount = Outcome.DEDUCTION, Decimal("200.00")
            else:
                appraisal.outcome = Outcome.NONE
            appraisal.spot_check_notes = rng.choice(
                CLERK_NOTES if appraisal.role == AppraisalRole.CLERK else [
                    "抽查服务记录：记录完整，沟通规范。",
                    "抽查服务记录：1 份缺少处理过程描述，已提醒补充。",
                    "抽查回电录音：响应及时，对客户需求复述清楚。"])
            appraisal._history_user = manager
            with at(on_day(after + dt.timedelta(days=7), 15)):
                appraisal.save()
                apply_transition(appraisal, "review", actor=manager, note="月度考核复核完成")
            if index == 0 or appraisal.employee == users["engineer"]:
                with at(on_day(after + dt.timedelta(days=9), 10)):
                    apply_transition(appraisal, "acknowledge", actor=appraisal.employee,
                                     employee_comment="已阅，认可考核结果。")


#: what the manager writes beside a clerk's spot checks (the scores are the records')
CLERK_NOTES = ["录音抽查：接听规范，转派及时；回访按时完成。",
               "录音抽查：个别来电未复述需求，已在例会上提醒。",
               "录音抽查：投诉来电安抚到位，记录详细。"]


def _clerk_appraisals(stdout):
    """Says what the clerk's appraisals hold: the period's generation made them with the
    desk's spot checks and the care follow-ups (they are reviewed with the others)."""
    from training.models import Appraisal

    clerks = Appraisal.objects.filter(role=AppraisalRole.CLERK)
    say(stdout, f"  {clerks.count()} clerk appraisals "
                f"({clerks.filter(spot_checks__gt=0).count()} with spot-checked calls)")
