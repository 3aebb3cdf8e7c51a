"""A large, realistic service-desk data set for benchmarks (``manage.py generate_data``).

Bulk inserts only (no per-row save, no history rows: this is synthetic volume, not
audited work): COPY on PostgreSQL, ``bulk_create`` on SQLite (backoffice.platform.bulk).
Each batch prints its running rate.
"""

import datetime as dt
import random
import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backoffice.desk import workflows as wf
from backoffice.desk.models import (
    Contact,
    Customer,
    Product,
    ProductVersion,
    Ticket,
    TicketClockSpan,
    TicketEvent,
    TimeEntry,
)
from backoffice.desk.models.tickets import SEARCHED_TEXTS
from backoffice.platform.bulk import bulk_insert, insert_rows, secondary_indexes_dropped, uses_copy
from backoffice.platform.demo import generated_user
from backoffice.platform.models import DocumentSequence
from backoffice.platform.search import search_tokens

S = wf.TicketStatus
REGIONS = ["北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "山东", "福建", "陕西"]
INDUSTRIES = ["制造", "零售", "金融", "医疗", "教育", "物流", "政府", "能源"]
WORDS = ["报表", "结账", "审批", "导出", "登录", "打印", "库存", "凭证", "接口", "同步", "权限",
         "工资", "考勤", "订单", "发票", "备份", "升级", "数据库", "网络", "证书"]
PROBLEMS = ["数据不一致", "系统报错", "无法打开", "速度很慢", "结果错误", "卡住不动", "丢失", "乱码"]
#: service-record texts, so that searching the description, diagnosis or solution finds
#: a realistic share of the tickets (the benchmark's terms come from these)
SYMPTOMS = ["月末结账时提示余额不平", "导出Excel时字段错位", "点击保存后页面无响应",
            "升级到新版本后报表为空", "打印预览显示乱码", "审批流转到第二步后停止",
            "同步任务每晚失败一次", "登录时提示证书过期", "库存数量与盘点结果不符",
            "接口返回超时错误"]
DIAGNOSES = ["远程排查发现索引损坏", "日志显示数据库连接池耗尽", "客户端缓存过期",
             "权限配置缺少角色", "网络防火墙拦截了端口", "版本补丁未安装", "操作步骤有误"]
SOLUTIONS = ["重建索引后恢复正常", "调整连接池参数", "清除缓存并重新登录", "补充角色权限",
             "开放防火墙端口", "安装最新补丁", "指导客户按手册操作"]

#: synthetic working seconds per wall-clock second (37.5 working hours of a 168-hour week)
WORKING_SHARE = 37.5 / 168
#: priority -> (response, resolution) targets of the demo's non-VIP policies, applied as
#: wall-clock durations (synthetic data has no calendar)
TARGETS = {p: (dt.timedelta(minutes=response), dt.timedelta(minutes=resolution))
           for p, vip, response, resolution, _clock in wf.SLA_TARGETS if not vip}


def _engineers(count):
    return [generated_user(f"gen_engineer{i:02d}", "engineer") for i in range(count)]


def generate(tickets=100_000, customers=None, years=4, batch=None, seed=1, stdout=None):
    rng = random.Random(seed)
    batch = batch or (20_000 if uses_copy() else 5_000)
    customers = customers or max(50, tickets // 50)
    say = stdout.write if stdout else (lambda *_: None)
    engineers = _engineers(12)

    with transaction.atomic():
        products = []
        for code, name in [("ERP", "云帆ERP"), ("CRM", "云帆CRM"), ("HRM", "云帆HR"),
                           ("WMS", "云帆WMS"), ("OA", "云帆OA")]:
            product, _ = Product.objects.get_or_create(code=code, defaults={"name": name})
            ProductVersion.objects.get_or_create(product=product, version="9.0")
            products.append(product)
        versions = {p.pk: p.versions.first() for p in products}
        start = Customer.objects.count()
        made = [Customer(code=f"G{start + i:07d}", name=f"{rng.choice(REGIONS)}"
                         f"{rng.choice(WORDS)}{rng.choice(INDUSTRIES)}有限公司{start + i}",
                         region=rng.choice(REGIONS), industry=rng.choice(INDUSTRIES),
                         is_vip=rng.random() < 0.1)
                for i in range(customers)]
        for customer in made:  # bulk_insert writes instances as they are (no save())
            customer.refresh_search_tokens()
        bulk_insert(Customer, made, batch_size=batch)
        new_customers = list(Customer.objects.order_by("-id")[:customers]
                             .values_list("id", flat=True))
        bulk_insert(Contact, [Contact(customer_id=c, name=f"联系人{c}")
                              for c in new_customers], batch_size=batch)
        contacts = dict(Contact.objects.filter(customer_id__in=new_customers)
                        .values_list("customer_id", "id"))
    say(f"{customers} customers")

    now = timezone.now()
    span = dt.timedelta(days=365 * years)
    categories = [c for c, _ in wf.Category.choices]
    priorities = [p for p, _ in wf.Priority.choices]
    channels = [c for c, _ in wf.Channel.choices]
    engineer_ids = [e.pk for e in engineers]
    actor = engineer_ids[0]
    version_of = {p.pk: versions[p.pk].pk for p in products}
    product_ids = list(version_of)
    done = written = 0
    started = time.perf_counter()
    with secondary_indexes_dropped(Ticket, TicketEvent, TicketClockSpan, TimeEntry, say=say):
        while done < tickets:
            size = min(batch, tickets - done)
            rows = _tickets(rng, size, now, span, new_customers, contacts, product_ids,
                            version_of, engineer_ids, categories, priorities, channels)
            with transaction.atomic():
                insert_rows(Ticket, rows, batch_size=batch)
                events, spans, entries = [], [], []
                for t in rows:
                    _satellites(t, rng, actor, events, spans, entries)
                for model, objs in ((TicketEvent, events), (TicketClockSpan, spans),
                                    (TimeEntry, entries)):  # nothing refers to these
                    insert_rows(model, objs, batch_size=batch, ids=False)
            done += size
            written += len(rows) + len(events) + len(spans) + len(entries)
            elapsed = time.perf_counter() - started
            say(f"{done} tickets, {done / elapsed:,.0f} tickets/s, "
                f"{written / elapsed:,.0f} rows/s (tickets, journal, clock spans, "
                f"time entries), {elapsed:,.0f} s")
    return {"customers": customers, "tickets": tickets}


def _tickets(rng, size, now, span, customers, contacts, products, version_of, engineers,
             categories, priorities, channels):
    """One batch of ticket rows (dicts of database values), received over ``span``."""
    received = sorted(now - span * rng.random() ** 0.8 for _ in range(size))
    zone = timezone.get_current_timezone()
    keys = [f"SR{when.astimezone(zone):%Y%m}" for when in received]
    by_month: dict[str, int] = {}
    for key in keys:
        by_month[key] = by_month.get(key, 0) + 1
    following = DocumentSequence.take_many(by_month)
    rows = []
    choice, randint = rng.choice, rng.randint
    minutes, hours, day = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
    for when, key in zip(received, keys, strict=True):
        number = f"{key}-{following[key]:05d}"
        following[key] += 1
        customer = choice(customers)
        product = choice(products)
        age = (now - when).days
        state = (rng.choices(LATE_STATES, LATE_WEIGHTS)[0] if age > 20
                 else choice(RECENT_STATES))
        finished = state in FINISHED
        rated = state in RATED
        engineer = None if state == S.NEW else choice(engineers)
        response = when + randint(5, 600) * minutes
        resolved = response + randint(1, 120) * hours if finished else None
        priority = choice(priorities)
        response_target, resolution_target = TARGETS[priority]
        row = {
            "number": number, "state": state, "channel": choice(channels),
            "category": choice(categories), "priority": priority,
            "customer_id": customer, "contact_id": contacts.get(customer),
            "product_id": product, "product_version_id": version_of[product],
            "subject": f"{choice(WORDS)}{choice(PROBLEMS)}",
            "description": f"客户反馈：{choice(WORDS)}模块{choice(SYMPTOMS)}，"
                           f"影响{randint(1, 50)}个用户",
            "received_at": when, "assignee_id": engineer,
            "response_due": when + response_target,
            "resolution_due": when + resolution_target,
            "created_at": when, "updated_at": when,
        }
        if engineer:
            row["first_response_at"] = response
            row["first_response_seconds"] = int((response - when).total_seconds())
            row["response_met"] = (response - when) <= response_target
        if resolved:
            row.update(
                resolved_at=resolved, resolved_by_id=engineer,
                # synthetic: working time as the working week's share of the wall-clock
                # time (37.5 of 168 hours), not computed on a calendar
                resolution_seconds=int((resolved - when).total_seconds() * WORKING_SHARE),
                resolution_met=(resolved - when) <= resolution_target,
                diagnosis=choice(DIAGNOSES), process="分析日志", solution=choice(SOLUTIONS))
            if state == S.CLOSED:
                row["closed_at"] = resolved + day
        if rated:
            row.update(satisfaction=rng.choices(RATINGS, RATING_WEIGHTS)[0],
                       satisfaction_source=choice(["link", "phone"]), confirmed_by="客户",
                       confirmed_at=resolved)
        row["search_tokens"] = search_tokens(
            *(row.get(name, "") for name in SEARCHED_TEXTS if name != "number"), once=[number])
        rows.append(row)
    return rows


LATE_STATES, LATE_WEIGHTS = [S.CLOSED, S.CONFIRMED, S.RESOLVED], [90, 6, 4]
RECENT_STATES = [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED]
FINISHED = {S.RESOLVED, S.CONFIRMED, S.CLOSED}
RATED = {S.CONFIRMED, S.CLOSED}
RATINGS, RATING_WEIGHTS = [5, 4, 3, 2, 1], [45, 30, 15, 7, 3]


def _satellites(ticket, rng, actor, events, spans, entries):
    """The journal, level clock and time entries of a generated ticket row."""
    state = ticket["state"]
    if state != S.NEW:
        events.append({"ticket_id": ticket["id"], "actor_id": actor, "action": "assign",
                       "source": S.NEW, "target": S.ASSIGNED,
                       "created_at": ticket["received_at"]})
        if ticket.get("resolved_at"):
            events.append({"ticket_id": ticket["id"], "actor_id": actor, "action": "resolve",
                           "source": S.IN_PROGRESS, "target": S.RESOLVED,
                           "created_at": ticket["resolved_at"]})
    spans.extend(_spans(ticket, rng))
    entries.extend(_time_entries(ticket, rng))


#: the site's time zone (what ``timezone.localdate`` looks up on every call)
ZONE = timezone.get_default_timezone()
HOURS = [Decimal(h) for h in ("0.50", "1.00", "1.50", "2.00", "3.00", "4.00")]


def _time_entries(ticket, rng):
    """One or two time entries of the assignee (工时) on a worked ticket."""
    person = ticket["assignee_id"]
    if person is None or ticket["state"] == S.CANCELLED:
        return []
    day = ticket["received_at"].astimezone(ZONE).date()
    return [{"ticket_id": ticket["id"], "person_id": person, "recorded_by_id": person,
             "worked_on": day, "hours": rng.choice(HOURS), "description": "远程排查",
             "created_at": ticket["received_at"], "updated_at": ticket["received_at"]}
            for _i in range(rng.randint(1, 2))]


def _spans(ticket, rng):
    """The level clock of a generated ticket: the 1st line holds it, one in five finished
    tickets is escalated to the 2nd line halfway; a waiting ticket's last span waits.
    Working seconds are a third of the wall-clock time (synthetic volume: no calendar
    arithmetic per row)."""
    def span(level, kind, start, end):
        wall = None if end is None else int((end - start).total_seconds())
        return {"ticket_id": ticket["id"], "level": level, "kind": kind,
                "assignee_id": ticket["assignee_id"], "started_at": start, "ended_at": end,
                "wall_seconds": wall, "working_seconds": None if wall is None else wall // 3}

    start, end = ticket["received_at"], ticket.get("resolved_at")
    if end is None:
        kind = (wf.ClockKind.WAITING_CUSTOMER if ticket["state"] == S.WAITING
                else wf.ClockKind.WORKING)
        return [span(1, kind, start, None)]
    if rng.random() < 0.2:
        middle = start + (end - start) / 2
        return [span(1, wf.ClockKind.WORKING, start, middle),
                span(2, wf.ClockKind.WORKING, middle, end)]
    return [span(1, wf.ClockKind.WORKING, start, end)]
