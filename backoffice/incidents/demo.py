"""Demo data for emergencies and the loop back to R&D: the plan library (outage, security
incident, data loss), one outage with five customers' tickets run to its review and closed,
a ticket waiting for R&D and a problem record with three tickets and its workaround article.

Built through the real steps (services and transitions); skipped when plans exist.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backoffice.desk import workflows as wf
from backoffice.desk.models import Customer, Product, ProductVersion, Ticket
from backoffice.incidents.models import ContingencyPlan, IncidentFollowUp, Problem
from backoffice.incidents.services import (
    incident_add_action,
    incident_attach_tickets,
    incident_send_notice,
    problem_link_tickets,
)
from backoffice.incidents.workflows import IncidentKind, NoticeKind, Severity
from backoffice.knowledge.models import Article
from backoffice.platform.demo import Timeline, at, real_now, say
from backoffice.platform.workflow import apply_transition

#: name, kind, severity, steps (title, owner role, minutes), call list (name, role, phone)
PLANS = [
    ("系统宕机应急预案", IncidentKind.OUTAGE, Severity.P1, [
        ("确认故障范围：受影响产品、版本和客户", "engineer", 15),
        ("启动应急响应，通知售后经理和研发值班", "manager", 10),
        ("首次通知受影响客户（故障说明和预计恢复时间）", "manager", 30),
        ("临时恢复服务：切换备用环境或回退版本", "engineer", 120),
        ("确认恢复，发送恢复通知", "manager", 30),
        ("三个工作日内完成复盘，落实改进措施", "manager", None),
    ], [("售后经理", "应急总指挥", "138 0000 0001"), ("研发值班", "技术支持", "138 0000 0002"),
        ("运维值班", "机房与网络", "138 0000 0003")]),
    ("信息安全事件应急预案", IncidentKind.SECURITY, "", [
        ("隔离受影响系统，保留日志和现场", "engineer", 30),
        ("评估泄露范围和影响的客户", "engineer", 120),
        ("报告公司领导，必要时报告监管部门", "manager", 60),
        ("通知受影响客户并说明处置措施", "manager", 60),
        ("修补漏洞，恢复服务", "engineer", 240),
        ("复盘并更新安全基线", "manager", None),
    ], [("售后经理", "应急总指挥", "138 0000 0001"), ("安全负责人", "信息安全", "138 0000 0004")]),
    ("数据丢失应急预案", IncidentKind.DATA_LOSS, "", [
        ("停止写入，防止数据被覆盖", "engineer", 15),
        ("确认最近一次可用备份", "engineer", 30),
        ("从备份恢复并核对数据", "engineer", 240),
        ("通知客户恢复结果，请客户核对业务数据", "manager", 60),
        ("复盘备份策略", "manager", None),
    ], [("售后经理", "应急总指挥", "138 0000 0001"), ("数据库管理员", "备份与恢复", "138 0000 0005")]),
]


@transaction.atomic
def load(users, stdout=None):
    if ContingencyPlan.objects.exists():
        say(stdout, "Contingency plans already present: skipped.")
        return
    plans = _plans(users)
    _incident(users, plans[IncidentKind.OUTAGE], stdout)
    _problem(users, stdout)


def _plans(users):
    made = {}
    for name, kind, severity, steps, contacts in PLANS:
        plan = ContingencyPlan.objects.create(name=name, kind=kind, severity=severity,
                                              description="适用于" + name.removesuffix("应急预案"))
        for i, (title, role, minutes) in enumerate(steps, start=1):
            plan.steps.create(position=i, title=title, owner_role=role,
                              expected_minutes=minutes)
        for person, role, phone in contacts:
            plan.contacts.create(name=person, role=role, phone=phone,
                                 user=users["manager"] if role == "应急总指挥" else None)
        made[kind] = plan
    return made


def _incident(users, plan, stdout):
    """One outage, told on its own morning: the tickets arrive from 9:00, the range is
    confirmed at 9:20, the first notice goes out at 9:40, the standby node takes over at
    10:50, service is back at 11:20, and the review closes it three days later. Every
    step runs with the clock at its time, as the timeline summary says."""
    manager, clerk, engineer = users["manager"], users["clerk"], users["engineer"]
    product = (Product.objects.filter(code="ERP").first()
               or Product.objects.order_by("code").first())
    customers = list(Customer.objects.filter(installations__product=product).distinct()
                     .order_by("code")[:5]) if product else []
    if len(customers) < 5:
        customers = list(Customer.objects.order_by("code")[:5])
    if not customers:
        return
    started = timezone.localtime(real_now() - dt.timedelta(days=6)).replace(
        hour=9, minute=0, second=0, microsecond=0)

    def minutes(n):
        return started + dt.timedelta(minutes=n)

    tickets = []
    for i, customer in enumerate(customers):
        with at(minutes(7 * i)):
            ticket = Ticket.objects.create(
                customer=customer,
                contact=customer.contacts.order_by("-is_primary", "pk").first(),
                channel=wf.Channel.PHONE, category=wf.Category.OUTAGE,
                priority=wf.Priority.CRITICAL, product=product, recorded_by=clerk,
                subject="系统无法登录，提示“服务不可用”",
                description="上午 9 点起全部用户无法登录，报 503 错误。",
                received_at=minutes(7 * i))
        with at(minutes(7 * i + 2)):
            apply_transition(ticket, "assign", actor=manager, assignee=engineer)
        tickets.append(ticket)
    with at(minutes(15)):
        incident = _open(manager, plan, product, tickets[0], started)
    with at(minutes(30)):
        incident_attach_tickets(incident, tickets, actor=manager)
    steps = list(plan.steps.order_by("position"))
    texts = ["5 家客户报告无法登录，确认为云端认证服务故障", "已通知研发值班和运维值班",
             None, "切换到备用认证节点，服务恢复"]
    for i, (step, text) in enumerate(zip(steps, texts, strict=False)):
        with at(minutes(20 + 30 * i if text else 40)):
            if text is None:  # the first notice is an action of its own
                incident_send_notice(
                    incident, kind=NoticeKind.FIRST, subject="服务中断通知", actor=manager,
                    body="尊敬的客户：我公司云端认证服务自今日 9:00 起中断，技术人员正在全力抢修，"
                         "预计 2 小时内恢复。给您带来不便，敬请谅解。", plan_step=step)
                continue
            incident_add_action(incident, text=text, plan_step=step,
                                actor=engineer if i in (0, 3) else manager)
    for ticket in tickets:  # the engineer works on them once the range is known
        with at(minutes(36)):
            apply_transition(ticket, "start", actor=engineer)
    with at(minutes(110)):
        apply_transition(incident, "mitigate", actor=manager, note="备用节点已接管")
    with at(minutes(140)):
        apply_transition(incident, "resolve", actor=manager, note="主节点修复，服务恢复正常")
        incident_send_notice(incident, kind=NoticeKind.ALL_CLEAR, subject="服务恢复通知",
                             actor=manager, plan_step=steps[4],
                             body="尊敬的客户：云端认证服务已于 11:20 恢复正常。"
                                  "如仍有异常，请拨打服务热线。")
    with at(minutes(150)):
        for ticket in tickets:  # the tickets are resolved with the incident
            ticket.diagnosis = "云端认证服务证书过期"
            ticket.solution = f"随 {incident.number} 处理：已切换备用认证节点并更新证书，服务恢复"
            ticket.save()
            apply_transition(ticket, "resolve", actor=engineer)
    with at(started + dt.timedelta(days=3, hours=5)):  # the review, three days later
        incident_add_action(incident, text="复盘会议：研发、运维、售后参加", plan_step=steps[-1],
                            actor=manager)
        incident.root_cause = "认证服务证书过期，自动续期任务因配置错误未执行"
        incident.timeline_summary = ("9:00 故障；9:20 确认范围；9:40 首次通知；"
                                     "10:50 切换备用节点；11:20 恢复")
        incident.went_well = "20 分钟内确认范围并通知全部受影响客户"
        incident.went_badly = "证书到期没有监控告警；备用节点切换耗时过长"
        incident._change_reason = "review"
        incident.save()
        IncidentFollowUp.objects.create(incident=incident, action="为全部证书增加到期监控告警",
                                        owner=engineer, due_on=timezone.localdate()
                                        + dt.timedelta(days=14))
        IncidentFollowUp.objects.create(incident=incident, action="备用节点切换演练，每季度一次",
                                        owner=manager, due_on=timezone.localdate()
                                        + dt.timedelta(days=30))
        apply_transition(incident, "close", actor=manager, note="复盘完成")
    say(stdout, f"  incident {incident.number}: {len(tickets)} tickets, plan {plan.name}")


def _open(manager, plan, product, ticket, started):
    from backoffice.incidents.models import Incident
    from backoffice.incidents.services import incident_opened

    incident = Incident.objects.create(
        kind=IncidentKind.OUTAGE, severity=Severity.P1, title="云端认证服务中断",
        description="多家客户无法登录系统（503）", plan=plan, commander=manager,
        started_at=started)
    if product:
        incident.products.add(product)
    incident_opened(incident, actor=manager)
    return incident


def _problem(users, stdout):
    """Three tickets of one root cause: two already closed, and a new one that waits for
    R&D's fix (a version not yet released)."""
    engineer, manager = users["engineer"], users["manager"]
    closed = list(Ticket.objects.filter(category=wf.Category.BUG, product__isnull=False,
                                        state=wf.TicketStatus.CLOSED,
                                        problem_link__isnull=True)
                  .select_related("product", "customer").order_by("-received_at")[:40])
    if not closed:
        return
    # the product with the most recent closed bugs of the same kind (two, if there are)
    by_product = {}
    for ticket in closed:
        by_product.setdefault(ticket.product_id, []).append(ticket)
    others = max(by_product.values(), key=len)[:2]
    product = others[0].product
    received = real_now() - dt.timedelta(days=2)
    with at(received):
        waiting = Ticket.objects.create(
            customer=others[-1].customer, contact=others[-1].contact, product=product,
            channel=wf.Channel.PHONE, category=wf.Category.BUG, priority=wf.Priority.HIGH,
            subject="月末结账时报“库存成本计算溢出”", recorded_by=users["clerk"],
            description="月末结账进行到成本计算时报错，结账中断。", received_at=received)
    story = Timeline(received, waiting._calendar())
    with story.after(10):
        apply_transition(waiting, "assign", actor=manager, assignee=engineer)
    with story.after(30):
        apply_transition(waiting, "start", actor=engineer)
    future = ProductVersion.objects.get_or_create(
        product=product, version="9.9.1", defaults={"released_on": None})[0]
    with story.after(120):
        apply_transition(waiting, "wait_for_rnd", actor=engineer, reference="BUG-20671",
                         target_version=future, note="需要研发修复，已提交缺陷单")
    with story.after(30):  # the problem record, once the cause is known
        article = (Article.objects.published().filter(product=product).first()
                   or Article.objects.published().first())
        problem = Problem.objects.create(
            title="月末结账时报“库存成本计算溢出”", product=product, owner=engineer,
            root_cause="成本计算使用 32 位整数，月末大批量单据时溢出",
            workaround="分批结账：按仓库分三次执行月末结账", article=article,
            bug_reference="BUG-20671", fixed_in=future)
        problem_link_tickets(problem, [waiting, *others], actor=engineer)
        apply_transition(problem, "mark_known_error", actor=manager, note="已确认为已知错误")
    say(stdout, f"  problem {problem.number} with {problem.ticket_links.count()} tickets, "
                f"{waiting.number} waiting for R&D ({future})")
