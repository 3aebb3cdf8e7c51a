"""Demo data for the service desk (called by ``manage.py load_demo``).

Reference data comes from ``fixtures/demo/*.csv``; tickets are generated with a fixed
seed and walked through the real workflow (``apply_transition``), so their journals and
history look like the real thing.
"""

import datetime as dt
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backoffice.desk import calendar_data
from backoffice.desk import workflows as wf
from backoffice.desk.models import (
    BusinessCalendar,
    CannedReply,
    Contact,
    Customer,
    InstalledProduct,
    Product,
    ProductVersion,
    SLAPolicy,
    Ticket,
    TicketMessage,
    WorkingPeriod,
)
from backoffice.desk.workflows import SLA_TARGETS
from backoffice.platform.demo import fixture_rows, say
from backoffice.platform.workflow import apply_transition

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "demo"
def sla_policy_name(priority, vip, response, resolution, round_the_clock) -> str:
    """The policy's name says its promise in the seed's words (hours for the response)
    and whether the hours are the clock's or working hours:
    "严重：2小时内响应，8小时内解决（日历时间，全天候）"."""
    def span(minutes, in_days):
        if in_days and round_the_clock and minutes % (24 * 60) == 0:
            return f"{minutes // (24 * 60)}天"
        if in_days and not round_the_clock and minutes % 450 == 0:
            return f"{minutes // 450}个工作日"
        return f"{minutes / 60:g}{'小时' if round_the_clock else '个工作小时'}"

    label = dict(wf.Priority.choices)[priority]
    clock = "日历时间，全天候" if round_the_clock else "工作时间"
    return (f"{label}{' VIP' if vip else ''}：{span(response, False)}内响应，"
            f"{span(resolution, True)}内解决（{clock}）")


def _csv(name):
    return fixture_rows("demo", name)


def ensure_calendar():
    cal, _ = BusinessCalendar.objects.get_or_create(name="标准工作日历", defaults={"is_default": True})
    if not cal.periods.exists():
        for wd in range(5):
            WorkingPeriod.objects.create(calendar=cal, weekday=wd, start=dt.time(9), end=dt.time(12))
            WorkingPeriod.objects.create(calendar=cal, weekday=wd, start=dt.time(13, 30),
                                         end=dt.time(18))
    # holidays and make-up working days from the data source (2026's notice, 2027 by
    # the statutory rule, see desk.calendar_data)
    calendar_data.load_calendar_data(cal)
    for priority, vip, response, resolution, clock in SLA_TARGETS:
        SLAPolicy.objects.update_or_create(
            priority=priority, for_vip=vip,
            defaults={"name": sla_policy_name(priority, vip, response, resolution, clock),
                      "response_minutes": response, "resolution_minutes": resolution,
                      "round_the_clock": clock})
    return cal


def ensure_catalogue(users):
    products = {}
    for row in _csv("products.csv"):
        product, _ = Product.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "description": row["description"]})
        for i, version in enumerate(row["versions"].split(";")):
            ProductVersion.objects.get_or_create(
                product=product, version=version,
                defaults={"released_on": dt.date(2023 + i, 3, 1)})
        products[product.code] = product
    rng = random.Random(7)
    for row in _csv("customers.csv"):
        customer, created = Customer.objects.get_or_create(
            code=row["code"],
            defaults={"name": row["name"], "is_vip": row["is_vip"] == "1",
                      "industry": row["industry"], "region": row["region"],
                      "address": row["address"], "phone": row["phone"],
                      "consultant": users["manager"] if row["is_vip"] == "1" else None})
        if created:
            Contact.objects.create(customer=customer, name=row["contact_name"],
                                   position=row["contact_position"], phone=row["contact_phone"],
                                   email=row["contact_email"], is_primary=True)
            for code in rng.sample(sorted(products), 2):
                product = products[code]
                InstalledProduct.objects.create(
                    customer=customer, product=product,
                    version=rng.choice(list(product.versions.all())),
                    installed_on=dt.date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                    licences=rng.choice([5, 10, 20, 50, 100]))
    return products


def _walk(ticket, users, rng, template, target):
    """Push a ticket through the workflow as the right people, up to ``target``."""
    clerk, manager, business = users["clerk"], users["manager"], users["business"]
    engineer = ticket.assignee or rng.choice([users["engineer"], users["engineer2"]])

    def go(name, actor, **kw):
        apply_transition(ticket, name, actor=actor, **kw)

    if target == "new":
        return
    if ticket.category == wf.Category.COMPLAINT:
        go("refer_complaint", clerk, note="客户来电投诉，转售后经理")
        if target in {"assigned", "in_progress", "waiting"}:
            return
        ticket.complaint_investigation = "调取服务记录并与当事工程师、客户分别沟通"
        ticket.complaint_cause = "排班冲突、未及时通知客户"
        ticket.complaint_responsible = "售后服务部"
        ticket.complaint_plan = template["solution"]
        ticket.save()
        go("resolve_complaint", manager, note="处理方案已与客户确认")
    else:
        if ticket.category == wf.Category.REQUIREMENT:
            go("refer_requirement", clerk)
            if target == "assigned":
                return
            go("evaluate_requirement", business, decision=rng.choice(["change", "custom"]),
               chargeable=rng.random() < 0.5, planned_for=timezone.localdate() + dt.timedelta(days=60),
               effort_days=rng.choice([2, 5, 10]), approach="纳入版本计划", assignee=engineer)
        elif ticket.category in wf.FIRST_CONTACT_CATEGORIES and target in {"resolved", "closed"} \
                and rng.random() < 0.3:
            # seed 003: the clerk answers a usage question on the call itself
            go("resolve_on_first_contact", clerk, answer=template["solution"])
            if target == "closed":
                go("confirm", manager, confirmed_by=ticket.contact.name if ticket.contact
                   else "客户", satisfaction=rng.choice([5, 4]), feedback="电话里就解决了",
                   source=wf.RatingSource.PHONE)
                go("close", clerk)
            return
        else:
            go("assign", clerk, assignee=engineer, support_level=1)
            if target == "assigned":
                return
            go("start", engineer)
        ticket.diagnosis = "远程连接客户环境，复现问题并查看日志"
        ticket.save()
        if target == "in_progress":
            return
        if target == "waiting":
            go("wait_for_customer", engineer, note="等待客户提供数据库备份")
            return
        if rng.random() < 0.15 and ticket.support_level < 3:
            go("escalate", engineer, note="需要二线工程师支持")
            go("start", engineer)
        if rng.random() < 0.15:
            go("schedule_visit", engineer, visit_at=timezone.now() + dt.timedelta(days=1))
            if target == "on_site":
                return
            go("finish_visit", engineer, findings="现场检查服务器与网络")
        ticket.process = "分析日志、定位原因并在测试环境验证"
        ticket.solution = template["solution"]
        ticket.save()
        go("resolve", engineer)
    if target == "resolved":
        return
    # taken on the phone by the clerk (the customer's own links come later: _by_the_customer)
    go("confirm", clerk, confirmed_by=ticket.contact.name if ticket.contact else "客户",
       satisfaction=rng.choices([5, 4, 3], weights=[55, 30, 15])[0],
       feedback="问题已解决，感谢", source=wf.RatingSource.PHONE)
    if target == "confirmed":
        return
    go("close", clerk)


#: working hours from first response to resolution, per priority (min, max)
RESOLUTION_HOURS = {wf.Priority.CRITICAL: (1, 8), wf.Priority.HIGH: (3, 30),
                    wf.Priority.NORMAL: (4, 100), wf.Priority.LOW: (24, 220)}


def _realistic_timeline(rng, stdout):
    """The walk runs every ticket's workflow *now*: a ticket received months ago was
    answered, resolved and closed at load time, which would make response times,
    monthly appraisals and weekly charts meaningless. Spread those moments over the
    working hours after each ticket's arrival, on its own business calendar (never
    later than now). States, journals and service records stay as walked; a demo-only
    bulk update, without history rows."""
    now = timezone.now()
    answered = (Q(first_response_at__isnull=False)
                | ~Q(state__in=[wf.TicketStatus.NEW, wf.TicketStatus.ASSIGNED]))
    tickets = list(Ticket.objects.filter(answered).select_related("sla_policy__calendar"))
    calendars = {}
    for t in tickets:
        if t.sla_policy_id not in calendars:
            calendars[t.sla_policy_id] = t._calendar()
        cal = calendars[t.sla_policy_id]
        minutes = rng.choices([rng.randint(5, 120), rng.randint(120, 480),
                               rng.randint(480, 1800)], weights=[70, 22, 8])[0]
        t.first_response_at = min(cal.add(t.received_at, minutes * 60), now)
        t.first_response_seconds = int(cal.between(t.received_at, t.first_response_at))
        t.response_met = t.response_due is None or t.first_response_at <= t.response_due
        moment = t.first_response_at
        if t.resolved_at:
            low, high = RESOLUTION_HOURS.get(t.priority, (4, 100))
            t.resolved_at = min(cal.add(moment, rng.uniform(low, high) * 3600), now)
            t.resolution_met = t.resolution_due is None or t.resolved_at <= t.resolution_due
            t.resolution_seconds = max(0, int(cal.between(t.received_at, t.resolved_at))
                                       - t.paused_seconds)
            moment = t.resolved_at
        if t.confirmed_at:
            t.confirmed_at = moment = min(moment + dt.timedelta(hours=rng.uniform(2, 48)), now)
        if t.closed_at:
            t.closed_at = min(moment + dt.timedelta(hours=rng.uniform(1, 24)), now)
    Ticket.objects.bulk_update(tickets, ["first_response_at", "first_response_seconds",
                                         "response_met", "resolved_at", "resolution_met",
                                         "resolution_seconds", "confirmed_at", "closed_at"], batch_size=500)
    say(stdout, f"  realistic response and resolution times on {len(tickets)} tickets")


#: each support level's share of the resolution target it may hold a ticket for
LEVEL_SHARES = {"first_line_minutes": 0.25, "second_line_minutes": 0.5,
                "third_line_minutes": 1.0}


def ensure_level_targets():
    """The demo policies' per-level targets (only where none is set): the 1st line may
    hold a ticket for a quarter of the resolution target, the 2nd line half, the 3rd all."""
    for policy in SLAPolicy.objects.all():
        missing = {name: int(policy.resolution_minutes * share)
                   for name, share in LEVEL_SHARES.items() if getattr(policy, name) is None}
        if missing:
            for name, minutes in missing.items():
                setattr(policy, name, minutes)
            policy.save()


def _level_clocks_on_the_timeline(stdout):
    """The walk ran every step at load time; the journal was then put on the timeline, so
    the level clocks are rebuilt from it (each level's time where the timeline put it)."""
    from backoffice.desk.models import TicketClockSpan
    from backoffice.desk.services import build_level_clocks

    TicketClockSpan.objects.all().delete()
    say(stdout, f"  level clocks of {build_level_clocks()} tickets")


@transaction.atomic
def load(users, stdout=None, ticket_count=300):
    ensure_calendar()
    ensure_level_targets()
    products = ensure_catalogue(users)
    if Ticket.objects.exists():
        say(stdout, "Tickets already present: demo tickets not generated again.")
        return
    rng = random.Random(2026)
    customers = list(Customer.objects.prefetch_related("contacts", "installations"))
    templates = _csv("ticket_subjects.csv")
    now = timezone.now()
    channels = [c for c, _ in wf.Channel.choices]
    for i in range(ticket_count):
        age_days = rng.random() ** 1.7 * 330  # more recent tickets than old ones
        received = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600))
        customer = rng.choice(customers)
        template = rng.choice(templates)
        installation = rng.choice(list(customer.installations.all()))
        contact = next(iter(customer.contacts.all()), None)
        ticket = Ticket.objects.create(
            channel=wf.Channel.VIP if customer.is_vip and rng.random() < 0.5 else rng.choice(channels[:5]),
            category=template["category"],
            priority=rng.choices([p for p, _ in wf.Priority.choices], weights=[5, 20, 60, 15])[0],
            customer=customer, contact=contact, product=installation.product,
            product_version=installation.version, subject=template["subject"],
            description=template["description"], received_at=received,
            recorded_by=users["clerk"])
        if age_days > 30:
            target = rng.choices(["closed", "confirmed", "resolved"], weights=[85, 10, 5])[0]
        else:
            target = rng.choice(["new", "assigned", "in_progress", "waiting", "on_site",
                                 "resolved", "confirmed", "closed", "closed"])
        if target == "on_site" and ticket.category in {wf.Category.COMPLAINT, wf.Category.REQUIREMENT}:
            target = "in_progress"
        _walk(ticket, users, rng, template, target)
        if (i + 1) % 100 == 0:
            say(stdout, f"  {i + 1} tickets")
    _ = products
    _realistic_timeline(rng, stdout)
    _threads(users, rng, stdout)
    _level_clocks_on_the_timeline(stdout)
    _by_the_customer(users, rng, stdout)
    _time_entries(rng, stdout)
    _call_spot_checks(users, stdout)
    _service_reviews(users, rng, stdout)


TIME_WORK = ["远程排查日志", "数据库连接检查", "现场安装补丁", "与客户电话沟通", "编写服务记录",
             "复现问题", "数据修复脚本", "培训客户操作"]


def _time_entries(rng, stdout):
    """Hours (工时) of the engineer on each worked ticket, on days between its arrival and
    its resolution (written as the engineers recorded them then, with history)."""
    from simple_history.utils import bulk_create_with_history

    from backoffice.desk.models import TimeEntry

    today = timezone.localdate()
    entries = []
    for ticket in Ticket.objects.filter(assignee__isnull=False).exclude(
            state=wf.TicketStatus.CANCELLED).select_related("assignee"):
        first = timezone.localdate(ticket.received_at)
        last = timezone.localdate(ticket.resolved_at) if ticket.resolved_at else today
        last = max(first, min(last, today))
        for _i in range(rng.randint(1, 3)):
            day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
            entries.append(TimeEntry(ticket=ticket, person=ticket.assignee, worked_on=day,
                                     hours=rng.choice(["0.50", "1.00", "1.50", "2.00", "3.00",
                                                       "4.00", "6.00"]),
                                     description=rng.choice(TIME_WORK),
                                     recorded_by=ticket.assignee,
                                     created_at=timezone.now()))
    bulk_create_with_history(entries, TimeEntry, batch_size=500)
    say(stdout, f"  {len(entries)} time entries")


#: which moment of the timeline each workflow step happened at
STEP_MOMENTS = {"start": "first_response_at", "wait_for_customer": "first_response_at",
                "resolve": "resolved_at", "resolve_complaint": "resolved_at",
                "resolve_on_first_contact": "resolved_at",
                "confirm": "confirmed_at", "close": "closed_at"}


def _journal_on_the_timeline():
    """Journal lines at the moments the timeline gave the ticket (they were written at
    load time), so the conversation and the journal interleave as they would have."""
    from backoffice.desk.models import TicketEvent

    events = list(TicketEvent.objects.select_related("ticket").order_by("ticket_id", "id"))
    for e in events:
        t = e.ticket
        moment = getattr(t, STEP_MOMENTS.get(e.action, ""), None)
        e.created_at = moment or (t.first_response_at or t.received_at) - dt.timedelta(minutes=1)
        e.created_at = max(e.created_at, t.received_at + dt.timedelta(minutes=1))
    TicketEvent.objects.bulk_update(events, ["created_at"], batch_size=1000)


CANNED_REPLIES = [
    ("", "已收到您的问题", "您好，我们已收到您的问题，工程师将在承诺时间内与您联系。"),
    ("", "请提供日志", "您好，为尽快定位问题，请将系统日志（logs 目录）打包后回复本邮件。"),
    (wf.Category.BUG, "补丁已发布", "您好，该问题的修复补丁已发布，请按附件说明升级后验证。"),
    (wf.Category.COMPLAINT, "投诉受理", "您好，您的投诉已受理，售后经理将于今天内与您联系，"
                                       "处理过程中我们会随时向您通报进展。"),
    (wf.Category.REQUIREMENT, "需求已登记", "您好，您的需求已登记，业务经理评估后会回复您排期与费用。"),
]
FIRST_ANSWERS = ["已电话联系客户，确认问题现象并约定远程时间", "已回电客户，说明排查思路",
                 "已联系客户，请其提供日志与截图"]
NOTES = ["内部：疑似与上周升级有关，先查版本差异", "内部：客户环境为双机热备，注意切换顺序",
         "内部：二线建议先收集数据库慢查询日志"]


def _threads(users, rng, stdout):
    """Each demo ticket's conversation, on the moments the timeline gave it: the
    customer's call or mail, the first answer, now and then a note between colleagues,
    and the solution sent to the customer. Demo-only bulk rows (no notifications)."""
    for category, title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(title=title, defaults={"category": category,
                                                                 "body": body})
    rows = []
    for t in Ticket.objects.select_related("contact", "assignee").order_by("pk"):
        spoken = t.channel in {wf.Channel.PHONE, wf.Channel.VIP}
        by_mail = t.channel in {wf.Channel.EMAIL, wf.Channel.WEB}
        address = t.contact.email if t.contact else ""
        who = t.contact.name if t.contact else ""
        rows.append(TicketMessage(
            ticket=t, direction=wf.MessageDirection.FROM_CUSTOMER,
            channel=wf.Channel.EMAIL if t.channel == wf.Channel.WEB else t.channel,
            author=users["clerk"] if spoken else None, sender=who,
            body=t.description or t.subject, sent_at=t.received_at))
        staff = t.assignee or users["clerk"]
        reply = dict(direction=wf.MessageDirection.TO_CUSTOMER, author=staff)
        if by_mail and address:
            reply.update(channel=wf.Channel.EMAIL, mail_to=address, mail_status="sent")
        else:
            reply.update(channel=wf.Channel.PHONE)
        if t.first_response_at:
            rows.append(TicketMessage(ticket=t, body=rng.choice(FIRST_ANSWERS),
                                      sent_at=t.first_response_at, **reply))
            if rng.random() < 0.4:
                rows.append(TicketMessage(
                    ticket=t, direction=wf.MessageDirection.INTERNAL, author=staff,
                    body=rng.choice(NOTES),
                    sent_at=t.first_response_at + dt.timedelta(minutes=rng.randint(5, 90))))
        if t.resolved_at and t.solution:
            rows.append(TicketMessage(ticket=t, body=f"解决方案：{t.solution}",
                                      sent_at=t.resolved_at, **reply))
    TicketMessage.objects.bulk_create(rows, batch_size=1000)
    _journal_on_the_timeline()
    say(stdout, f"  {len(rows)} messages in the tickets' conversations")


def demo_signature(name: str, seed: int) -> str:
    """A hand-drawn-looking signature (a PNG data URL, as the customer's pad makes it)."""
    import base64
    import io
    import math

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (560, 180), "white")
    draw = ImageDraw.Draw(image)
    x = 40.0
    for _stroke in range(len(name) + 1):
        amplitude, width = rng.uniform(25, 50), rng.uniform(80, 130)
        turns, tilt = rng.uniform(1.2, 2.2), rng.uniform(-0.25, 0.25)
        points = [(x + t * width + 18 * math.sin(t * math.pi * turns * 2),
                   95 + tilt * t * width - amplitude * math.sin(t * math.pi * turns))
                  for t in (step / 59 for step in range(60))]
        draw.line(points, fill=(20, 30, 90), width=5, joint="curve")
        x += width * 0.9
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


#: (answer, rating, comment) of the customers who answer their link in the demo
CUSTOMER_ANSWERS = [
    ("solved", 5, "问题已解决，工程师很专业"),
    ("solved", 5, ""),
    ("solved", 4, "处理及时，谢谢"),
    ("solved", 5, "远程处理很快"),
    ("solved", 2, "问题根本没有解决，还是报错"),  # the contradiction staff must decide on
    ("not_solved", None, "升级后还是报同样的错误，请再看一下"),
]


def _by_the_customer(users, rng, stdout):
    """Customers confirming by their own link, with signatures: some resolved tickets
    get a link and an answer (solved and closed, one contradicting itself, one not
    solved), one keeps a link waiting. Through the real services; times moved onto the
    tickets' timeline afterwards."""
    from backoffice.desk import services
    from backoffice.desk.models import ConfirmationRequest, TicketEvent

    now = timezone.now()
    resolved = list(Ticket.objects.filter(state=wf.TicketStatus.RESOLVED)
                    .exclude(category=wf.Category.COMPLAINT)
                    .select_related("contact", "customer").order_by("-resolved_at"))
    # the newest resolution waits for its customer; older ones were answered days ago
    waiting = resolved[:1]
    answering = [t for t in resolved[1:] if t.resolved_at < now - dt.timedelta(days=2)
                 ][:len(CUSTOMER_ANSWERS)]
    clerk = users["clerk"]
    for ticket in waiting:
        services.request_confirmation(ticket, actor=clerk, send_mail=False)
    for n, (ticket, (outcome, rating, comment)) in enumerate(zip(answering, CUSTOMER_ANSWERS,
                                                                 strict=False)):
        request = services.request_confirmation(ticket, actor=clerk, send_mail=False)
        signer = ticket.contact.name if ticket.contact else "客户"
        services.answer_confirmation(
            request, outcome=outcome, rating=rating, comment=comment, signer_name=signer,
            signature=demo_signature(signer, n) if outcome == "solved" else "",
            ip_address=f"203.0.113.{10 + n}",
            user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
                       "AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50")
        # on the timeline: sent an hour after the resolution, answered some hours later
        sent = min(ticket.resolved_at + dt.timedelta(hours=1), now)
        answered = min(sent + dt.timedelta(hours=rng.uniform(1, 20)), now)
        ConfirmationRequest.objects.filter(pk=request.pk).update(
            created_at=sent, answered_at=answered, expires_at=sent + dt.timedelta(
                hours=settings.CONFIRMATION_LINK_HOURS))
        fresh = Ticket.objects.get(pk=ticket.pk)
        moments = {"confirmed_at": answered if fresh.confirmed_at else None,
                   "closed_at": answered if fresh.closed_at else None}
        Ticket.objects.filter(pk=ticket.pk).update(**{k: v for k, v in moments.items() if v})
        TicketEvent.objects.filter(ticket=ticket, created_at__gte=now).update(created_at=answered)
        TicketMessage.objects.filter(ticket=ticket, sent_at__gte=now - dt.timedelta(minutes=5),
                                     direction=wf.MessageDirection.INTERNAL).update(sent_at=sent)
        TicketMessage.objects.filter(ticket=ticket, channel=wf.Channel.WEB).update(
            sent_at=answered)
    say(stdout, f"  {len(answering)} customers answered their confirmation link, "
                f"{len(waiting)} link waiting")


SPOT_CHECK_COMMENTS = [
    (92, "问候规范，复述客户需求准确，告知了处理时限。"),
    (85, "沟通耐心；未主动告知工单号，已提醒。"),
    (78, "记录完整，但语速偏快，客户两次要求重复。"),
    (68, "未确认客户的联系方式和版本号，转派后工程师需再次询问。"),
    (95, "安抚情绪到位，投诉内容记录详细，按时转交售后经理。"),
]


def _recording(seconds: int = 2) -> bytes:
    """A short silent WAV standing in for a hotline recording (8 kHz, 8-bit mono)."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * seconds)
    return buffer.getvalue()


def _call_spot_checks(users, stdout):
    """The manager's spot checks of calls in each of the last three months: the clerk's
    hotline calls and now and then an engineer's call back, each with its recording
    attached to the call note, checked a few days after the call (seed 001 §4)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backoffice.desk import services
    from backoffice.desk.models import CallSpotCheck, TicketAttachment

    rng = random.Random(19)
    manager = users["manager"]
    now = timezone.now()
    first = timezone.localdate().replace(day=1)
    checked = 0
    for back in (3, 2, 1):
        month = first
        for _i in range(back):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        following = (month + dt.timedelta(days=32)).replace(day=1)
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(dt.datetime.combine(month, dt.time.min), tz)
        end = timezone.make_aware(dt.datetime.combine(following, dt.time.min), tz)
        calls = list(TicketMessage.objects.filter(
            channel=wf.Channel.PHONE, sent_at__gte=start, sent_at__lt=end,
            author__isnull=False, spot_checks__isnull=True)
            .exclude(direction=wf.MessageDirection.INTERNAL).exclude(author=manager)
            .select_related("ticket").order_by("sent_at", "id"))
        clerk_calls = [m for m in calls if m.author_id == users["clerk"].pk]
        others = [m for m in calls if m.author_id != users["clerk"].pk]
        chosen = rng.sample(clerk_calls, min(4, len(clerk_calls)))
        chosen += rng.sample(others, min(2, len(others)))
        for message in chosen:
            recording = services.attach(
                message.ticket, SimpleUploadedFile(
                    f"hotline-{timezone.localtime(message.sent_at):%Y%m%d-%H%M}.wav",
                    _recording()), message=message, user=message.author)
            TicketAttachment.objects.filter(pk=recording.pk).update(
                uploaded_at=message.sent_at + dt.timedelta(minutes=rng.randint(5, 30)))
            base, comment = rng.choice(SPOT_CHECK_COMMENTS)
            check = services.spot_check_record(
                message=message, recording=recording, comment=comment,
                score=max(0, min(100, base + rng.randint(-4, 4))), actor=manager)
            at = min(now, message.sent_at + dt.timedelta(days=rng.randint(1, 5),
                                                         hours=rng.randint(0, 6)))
            CallSpotCheck.objects.filter(pk=check.pk).update(checked_at=at)
            check.history.update(history_date=at)
            checked += 1
    say(stdout, f"  {checked} calls spot-checked, with their recordings")


REVIEW_COMMENTS = {
    "complete": ["记录完整，诊断与处理过程清楚", "描述规范，客户反馈齐全"],
    "incomplete": ["处理过程过于简略，请补充操作步骤", "未登记所用备件", "缺少客户反馈"],
    "wrong": ["诊断结论与日志不符", "解决方案与实际操作不一致"],
}


def _service_reviews(users, rng, stdout):
    """The manager's review queue on the demo's timeline: the records the workflow queued
    (dated to their resolution month), each engineer's monthly sample topped up, and most
    of them reviewed with mixed verdicts (some wait, and those the manager worked wait
    for another manager)."""
    from backoffice.desk.models import ServiceRecordReview, ServiceRecordReviewEvent
    from backoffice.desk.services import queue_for_review

    now = timezone.now()
    manager = users["manager"]
    reviews = list(ServiceRecordReview.objects.select_related("ticket"))
    for review in reviews:  # demo-only: the walk ran at load time, the timeline moved it
        if review.ticket.resolved_at:
            review.queued_at = review.ticket.resolved_at
            review.month = timezone.localtime(review.queued_at).date().replace(day=1)
    ServiceRecordReview.objects.bulk_update(reviews, ["queued_at", "month"], batch_size=500)
    sampled = {}
    for review in reviews:
        if review.reason == wf.ReviewReason.SAMPLED:
            key = (review.engineer_id, review.month)
            sampled[key] = sampled.get(key, 0) + 1
    quota = settings.SERVICE_REVIEW_SAMPLE_PER_ENGINEER
    resolved = (Ticket.objects.filter(resolved_at__isnull=False, service_review__isnull=True)
                .exclude(assignee__isnull=True, resolved_by__isnull=True).order_by("resolved_at"))
    for ticket in resolved:
        month = timezone.localtime(ticket.resolved_at).date().replace(day=1)
        key = (ticket.assignee_id or ticket.resolved_by_id, month)
        if sampled.get(key, 0) < quota and rng.random() < 0.6:
            sampled[key] = sampled.get(key, 0) + 1
            queue_for_review(ticket, reason=wf.ReviewReason.SAMPLED, month=month,
                             when=ticket.resolved_at)
    done = []
    for review in ServiceRecordReview.objects.select_related("ticket").order_by("queued_at"):
        recent = review.queued_at > now - dt.timedelta(days=10)
        if not wf.can_review_service_record(review, manager) or (recent and rng.random() < 0.7):
            continue
        verdicts = rng.choices(list(wf.AspectVerdict.values), weights=[78, 16, 6],
                               k=len(wf.REVIEW_ASPECTS))
        for name, verdict in zip(wf.REVIEW_ASPECTS, verdicts, strict=True):
            setattr(review, name, verdict)
        worst = ("wrong" if "wrong" in verdicts else
                 "incomplete" if "incomplete" in verdicts else "complete")
        review.comment = rng.choice(REVIEW_COMMENTS[worst])
        review.save()
        apply_transition(review, "review", actor=manager)
        done.append(review)
    for review in done:  # demo-only: reviewed a few days after the resolution
        review.reviewed_at = min(review.queued_at + dt.timedelta(days=rng.uniform(1, 6)), now)
    ServiceRecordReview.objects.bulk_update(done, ["reviewed_at"], batch_size=500)
    for review in done:
        ServiceRecordReviewEvent.objects.filter(review=review).update(
            created_at=review.reviewed_at)
    say(stdout, f"  {ServiceRecordReview.objects.count()} service records queued for review, "
                f"{len(done)} reviewed")
