"""Demo data for maintenance, update notices and follow-ups.

Loaded after the desk's tickets and the knowledge base (``manage.py load_demo``); idempotent (each part is skipped when its
records exist) and made through the real services and transitions, so journals and
history look like the real thing.
"""

import datetime as dt
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.care.models import FollowUp, MaintenancePlan, UpdateNotice, version_key
from backoffice.care.services import followup_for_ticket, maintenance_generate_due_visits
from backoffice.care.workflows import (
    CallOutcome,
    FollowUpStatus,
    MaintenanceCycle,
    NoticeChannel,
    VisitStatus,
)
from backoffice.desk.models import Customer, Product, Ticket
from backoffice.desk.workflows import TicketStatus
from backoffice.platform.demo import at, on_day, real_now, say
from backoffice.platform.workflow import apply_transition


@transaction.atomic
def load(users, stdout=None):
    rng = random.Random(606)
    _maintenance(users, rng, stdout)
    _update_notice(users, rng, stdout)
    _followups(users, rng, stdout)


def _maintenance(users, rng, stdout):
    if MaintenancePlan.objects.exists():
        say(stdout, "Maintenance plans already present: skipped.")
        return
    today = timezone.localdate()
    owners = [users["engineer"], users["engineer2"]]
    plans = []
    customers = list(Customer.objects.filter(is_vip=True).prefetch_related("installations")
                     .order_by("code"))
    cycles = [MaintenanceCycle.QUARTERLY, MaintenanceCycle.MONTHLY, MaintenanceCycle.HALF_YEARLY]
    for i, customer in enumerate(customers):
        installation = next(iter(customer.installations.all()), None)
        starts_on = today - dt.timedelta(days=250 + 9 * i)
        with at(on_day(starts_on - dt.timedelta(days=14), 10)):  # signed two weeks before
            plans.append(MaintenancePlan.objects.create(
            customer=customer, product=installation.product if installation else None,
            title=f"{customer.name} 年度维护服务",
            system_check=True, data_backup=True, performance_tuning=i % 2 == 0,
                content="检查服务器资源与日志；核对数据库备份并做恢复演练；清理过期数据；"
                        "检查补丁版本",
                cycle=cycles[i % len(cycles)], starts_on=starts_on,
                lead_days=10, owner=owners[i % 2]))
    # the daily job books each visit its lead time ahead; the engineer does it on the day
    visits, day = [], min(p.starts_on for p in plans) - dt.timedelta(days=14)
    while day <= today:
        with at(on_day(day, 7)):
            visits += maintenance_generate_due_visits(today=day)
        day += dt.timedelta(days=1)
    for visit in sorted(visits, key=lambda v: (v.due_on, v.pk)):
        if visit.due_on < today - dt.timedelta(days=20) or (
                visit.due_on < today and rng.random() < 0.5):
            with at(on_day(visit.due_on, 16)):
                apply_transition(visit, "complete", actor=visit.engineer,
                                 performed_on=visit.due_on,
                                 findings=rng.choice(["磁盘使用率 78%，建议扩容",
                                                      "备份正常，恢复演练成功",
                                                      "数据库慢查询 3 条，已优化索引",
                                                      "系统运行稳定，无异常"]),
                                 work_done="完成系统巡检与数据备份", signed_by="客户信息中心")
    done = sum(1 for v in visits if v.state == VisitStatus.DONE)
    say(stdout, f"  {len(plans)} maintenance plans, {len(visits)} visits ({done} done)")


def _update_notice(users, rng, stdout):
    if UpdateNotice.objects.exists():
        say(stdout, "Update notices already present: skipped.")
        return
    product = (Product.objects.filter(code="ERP").first()
               or Product.objects.order_by("code").first())
    if product is None or product.versions.count() < 2:
        return
    latest = max(product.versions.all(), key=version_key)
    announced = timezone.localdate() - dt.timedelta(days=20)
    with at(on_day(announced, 10)):
        notice = UpdateNotice.objects.create(
            product=product, new_version=latest, title=f"{product.name} {latest.version} 升级通知",
            release_notes="1. 月末结账性能提升 40%\n2. 修复导出 Excel 内存溢出问题\n"
                          "3. 新增电子发票接口\n升级前请做好数据库备份。",
            update_from=announced, update_until=announced + dt.timedelta(days=45))
        apply_transition(notice, "announce", actor=users["manager"])
    recipients = list(notice.recipients.order_by("pk"))
    for i, recipient in enumerate(recipients):
        if i % 3 == 2:
            continue  # not yet told
        with at(on_day(announced + dt.timedelta(days=1 + i % 3), 10, i * 7)):
            apply_transition(recipient, "notify", actor=users["clerk"],
                             channel=rng.choice([NoticeChannel.EMAIL, NoticeChannel.PHONE]),
                             contact_person="信息中心")
        if i % 3 == 0:
            updated_on = announced + dt.timedelta(days=10)
            with at(on_day(updated_on, 17)):
                apply_transition(recipient, "mark_updated", actor=users["engineer"],
                                 updated_on=updated_on)
    say(stdout, f"  update notice {notice.number} to {len(recipients)} customers")


def _followups(users, rng, stdout):
    if FollowUp.objects.filter(ticket__isnull=False).exists():
        say(stdout, "Follow-ups already present: skipped.")
        return
    # booked when each ticket closed (care.services.ticket_close does it on the page)
    lookback = dt.timedelta(days=getattr(settings, "FOLLOWUP_LOOKBACK_DAYS", 30))
    created = []
    for ticket in (Ticket.objects.filter(state=TicketStatus.CLOSED,
                                         closed_at__gte=real_now() - lookback,
                                         followups__isnull=True)
                   .order_by("closed_at", "pk")):
        with at(ticket.closed_at):
            created.append(followup_for_ticket(ticket))
    today = timezone.localdate()
    recorded = 0
    for followup in created:
        if followup.due_on >= today - dt.timedelta(days=1) or rng.random() < 0.1:
            continue  # still to call
        actor = followup.assignee or users["clerk"]
        called = on_day(followup.due_on, 9, rng.randint(30, 450))
        if rng.random() < 0.08:
            with at(called):
                apply_transition(followup, "not_reached", actor=actor, note="无人接听")
            with at(called + dt.timedelta(days=1)):
                apply_transition(followup, "give_up", actor=actor, note="连续两天无人接听")
            continue
        rating = rng.choices([5, 4, 3, 2], weights=[50, 30, 15, 5])[0]
        outcome = CallOutcome.SATISFIED if rating >= 3 else CallOutcome.PROBLEM_PERSISTS
        with at(called):
            apply_transition(followup, "record", actor=actor, outcome=outcome, rating=rating,
                             remarks="" if rating >= 3 else "客户反映问题偶尔复现")
        recorded += 1
    for followup in FollowUp.objects.filter(state=FollowUpStatus.OPEN,
                                            update_recipient__isnull=False)[:1]:
        with at(max(on_day(followup.due_on, 11), followup.created_at)):
            apply_transition(followup, "record", actor=users["clerk"],
                             outcome=CallOutcome.SATISFIED, rating=5, remarks="升级顺利，运行正常")
    say(stdout, f"  {len(created)} follow-up calls booked, {recorded} recorded")
