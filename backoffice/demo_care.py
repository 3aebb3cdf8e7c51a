"""Demo data for the knowledge base, maintenance, update notices and follow-ups.

Called at the end of ``backoffice.demo.load``; idempotent (each part is skipped when its
records exist) and made through the real services and transitions, so journals and
history look like the real thing.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from backoffice import workflows as wf
from backoffice.demo import say
from backoffice.models import (
    Article,
    Customer,
    FollowUp,
    MaintenancePlan,
    Product,
    Ticket,
    UpdateNotice,
)
from backoffice.models.care import version_key
from backoffice.selectors_knowledge import suggested_articles
from backoffice.services_care import followups_generate, maintenance_generate_due_visits
from backoffice.services_knowledge import article_create_from_ticket, ticket_resolve_with_article
from backoffice.workflow import apply_transition
from backoffice.workflows_care import (
    CallOutcome,
    FollowUpStatus,
    MaintenanceCycle,
    NoticeChannel,
    VisitStatus,
)

KEYWORDS = {
    wf.Category.BUG: "报错, 补丁, 升级",
    wf.Category.DATA: "数据修复, 重复, 校验",
    wf.Category.ENVIRONMENT: "服务器, 数据库, 网络, 证书",
    wf.Category.OPERATION: "操作, 培训, 菜单",
    wf.Category.CONSULTATION: "咨询, 配置",
}


@transaction.atomic
def load(users, stdout=None):
    rng = random.Random(606)
    _articles(users, rng, stdout)
    _maintenance(users, rng, stdout)
    _update_notice(users, rng, stdout)
    _followups(users, rng, stdout)


def _articles(users, rng, stdout):
    if Article.objects.exists():
        say(stdout, "Knowledge articles already present: skipped.")
        return
    manager = users["manager"]
    solved = (Ticket.objects.filter(state=wf.TicketStatus.CLOSED)
              .exclude(category__in=[wf.Category.COMPLAINT, wf.Category.REQUIREMENT])
              .exclude(solution="").select_related("product").order_by("received_at"))
    seen, made = set(), []
    for ticket in solved:
        key = (ticket.subject, ticket.product_id)
        if key in seen:
            continue
        seen.add(key)
        author = ticket.assignee or users["engineer"]
        if author == manager:
            author = users["engineer"]
        article = article_create_from_ticket(ticket=ticket, actor=author,
                                             keywords=KEYWORDS.get(ticket.category, ""))
        made.append((article, author))
        if len(made) >= 14:
            break
    for i, (article, author) in enumerate(made):
        if i == len(made) - 1:
            continue  # one draft still being written
        apply_transition(article, "submit", actor=author)
        if i in (len(made) - 2, len(made) - 3):
            continue  # two waiting for the manager's review
        apply_transition(article, "publish", actor=manager, note="内容准确，同意发布")
    published = [a for a, _author in made if a.state == "published"]
    if len(published) >= 2:
        apply_transition(published[-1], "retire", actor=manager, note="该版本已停止维护")
        stale = published[0]
        stale.reviewed_at = timezone.now() - dt.timedelta(days=500)
        stale.save()
    uses = 0
    for ticket in Ticket.objects.filter(state=wf.TicketStatus.IN_PROGRESS).order_by("pk"):
        article = next(iter(suggested_articles(ticket, limit=1)), None)
        if article is None or ticket.assignee is None:
            continue
        ticket_resolve_with_article(ticket=ticket, article=article, actor=ticket.assignee)
        uses += 1
        if uses >= 4:
            break
    say(stdout, f"  {len(made)} knowledge articles, {uses} tickets resolved with one")


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
        plans.append(MaintenancePlan.objects.create(
            customer=customer, product=installation.product if installation else None,
            title=f"{customer.name} 年度维护服务",
            system_check=True, data_backup=True, performance_tuning=i % 2 == 0,
            content="检查服务器资源与日志；核对数据库备份并做恢复演练；清理过期数据；"
                    "检查补丁版本",
            cycle=cycles[i % len(cycles)], starts_on=today - dt.timedelta(days=250 + 9 * i),
            lead_days=10, owner=owners[i % 2]))
    visits = maintenance_generate_due_visits(today=today)
    for visit in visits:
        if visit.due_on < today - dt.timedelta(days=20) or (
                visit.due_on < today and rng.random() < 0.5):
            apply_transition(visit, "complete", actor=visit.engineer,
                             performed_on=visit.due_on,
                             findings=rng.choice(["磁盘使用率 78%，建议扩容", "备份正常，恢复演练成功",
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
    notice = UpdateNotice.objects.create(
        product=product, new_version=latest, title=f"{product.name} {latest.version} 升级通知",
        release_notes="1. 月末结账性能提升 40%\n2. 修复导出 Excel 内存溢出问题\n"
                      "3. 新增电子发票接口\n升级前请做好数据库备份。",
        update_from=timezone.localdate(),
        update_until=timezone.localdate() + dt.timedelta(days=45))
    apply_transition(notice, "announce", actor=users["manager"])
    recipients = list(notice.recipients.order_by("pk"))
    for i, recipient in enumerate(recipients):
        if i % 3 == 2:
            continue  # not yet told
        apply_transition(recipient, "notify", actor=users["clerk"],
                         channel=rng.choice([NoticeChannel.EMAIL, NoticeChannel.PHONE]),
                         contact_person="信息中心")
        if i % 3 == 0:
            apply_transition(recipient, "mark_updated", actor=users["engineer"],
                             updated_on=timezone.localdate() - dt.timedelta(days=10))
    say(stdout, f"  update notice {notice.number} to {len(recipients)} customers")


def _followups(users, rng, stdout):
    if FollowUp.objects.filter(ticket__isnull=False).exists():
        say(stdout, "Follow-ups already present: skipped.")
        return
    created = followups_generate()
    today = timezone.localdate()
    recorded = 0
    for followup in created:
        if followup.due_on >= today - dt.timedelta(days=1) or rng.random() < 0.1:
            continue  # still to call
        actor = followup.assignee or users["clerk"]
        if rng.random() < 0.08:
            apply_transition(followup, "not_reached", actor=actor, note="无人接听")
            apply_transition(followup, "give_up", actor=actor, note="连续三天无人接听")
            continue
        rating = rng.choices([5, 4, 3, 2], weights=[50, 30, 15, 5])[0]
        outcome = CallOutcome.SATISFIED if rating >= 3 else CallOutcome.PROBLEM_PERSISTS
        apply_transition(followup, "record", actor=actor, outcome=outcome, rating=rating,
                         remarks="" if rating >= 3 else "客户反映问题偶尔复现")
        recorded += 1
    for followup in FollowUp.objects.filter(state=FollowUpStatus.OPEN,
                                            update_recipient__isnull=False)[:1]:
        apply_transition(followup, "record", actor=users["clerk"],
                         outcome=CallOutcome.SATISFIED, rating=5, remarks="升级顺利，运行正常")
    say(stdout, f"  {len(created)} follow-up calls booked, {recorded} recorded")
