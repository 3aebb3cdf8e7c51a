"""Demo data for the service desk (called by ``manage.py load_demo``).

Reference data comes from ``fixtures/demo/*.csv``; tickets are generated with a fixed
seed, in the order they arrived, and walked through the real workflow
(``apply_transition``) with the clock travelled to each step's moment on the ticket's
business calendar (``platform.demo.at``, time-machine). So the journal, the history, the
level clocks, the SLA stamps and response times are the transitions' own, and the
conversation and hours carry the same moments: nothing is re-dated afterwards.
"""

import datetime as dt
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.desk import calendar_data, services
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
from backoffice.desk.sla import WorkingCalendar
from backoffice.desk.workflows import SLA_TARGETS
from backoffice.platform.demo import Timeline, at, fixture_rows, real_now, say
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


class StoryReachedNow(Exception):
    """A ticket's next step would fall after the real now: its walk ends there."""


def _walk(ticket, users, rng, template, target, story, thread, office):
    """Push a ticket through the workflow as the right people, up to ``target``, each
    step with the clock at its moment on the ticket's calendar (``story``), so the journal,
    history, level clocks and SLA stamps are the transitions' own. ``thread`` collects the
    conversation's messages at the same moments; ``office`` is the calendar of office
    hours, when visits are made."""
    clerk, manager, business = users["clerk"], users["manager"], users["business"]
    engineer = ticket.assignee or rng.choice([users["engineer"], users["engineer2"]])
    contact = ticket.contact.name if ticket.contact else "客户"
    response = rng.choices([rng.randint(5, 120), rng.randint(120, 480),
                            rng.randint(480, 1800)], weights=[70, 22, 8])[0]
    low, high = RESOLUTION_HOURS.get(ticket.priority, (4, 100))
    work = rng.uniform(low, high) * 60  # working minutes from the first answer to the solution
    taken = rng.randint(2, max(3, min(30, response // 3)))  # recorded and forwarded

    left = [1.0]  # the share of ``work`` not yet spent on waits, escalation, visit

    def part(share):
        left[0] -= share
        return work * share

    def not_yet():
        if story.reached_now:  # what follows has not happened yet: the ticket stays
            raise StoryReachedNow

    def write(**fields):
        """The service record as it is written at this step (a history row then)."""
        not_yet()
        for name, value in fields.items():
            setattr(ticket, name, value)
        with at(story.moment):
            ticket.save()

    def go(name, actor, minutes=0, **kw):
        story.later(minutes)
        not_yet()
        with at(story.moment):
            apply_transition(ticket, name, actor=actor, **kw)

    def first_answer(staff, body):
        """The first message to the customer: it stamps the response (desk services)."""
        story.later(max(1, response - taken))
        not_yet()
        thread.say(ticket, staff, body, story.moment)

    def record_time(entries):
        """The engineer's hours, recorded at this step for the days worked so far."""
        not_yet()
        first = timezone.localdate(ticket.received_at)
        last = max(first, timezone.localdate(story.moment))
        with at(story.moment):
            for _i in range(entries):
                services.time_entry_record(
                    ticket=ticket, actor=ticket.assignee, description=rng.choice(TIME_WORK),
                    worked_on=first + dt.timedelta(days=rng.randint(0, (last - first).days)),
                    hours=rng.choice(["0.50", "1.00", "1.50", "2.00", "3.00", "4.00", "6.00"]))

    if target == "new":
        return
    if ticket.category == wf.Category.COMPLAINT:
        go("refer_complaint", clerk, taken, note="客户来电投诉，转售后经理")
        first_answer(clerk, dict((t, b) for _c, t, b in CANNED_REPLIES)["投诉受理"])
        if target in {"assigned", "in_progress", "waiting"}:
            return
        story.later(part(0.5))
        write(complaint_investigation="调取服务记录并与当事工程师、客户分别沟通",
              complaint_cause="排班冲突、未及时通知客户", complaint_responsible="售后服务部",
              complaint_plan=template["solution"])
        go("resolve_complaint", manager, work * left[0], note="处理方案已与客户确认")
    else:
        if ticket.category == wf.Category.REQUIREMENT:
            go("refer_requirement", clerk, taken)
            first_answer(clerk, dict((t, b) for _c, t, b in CANNED_REPLIES)["需求已登记"])
            if target == "assigned":
                return
            go("evaluate_requirement", business, rng.randint(60, 900),
               decision=rng.choice(["change", "custom"]), chargeable=rng.random() < 0.5,
               planned_for=timezone.localdate(story.moment) + dt.timedelta(days=60),
               effort_days=rng.choice([2, 5, 10]), approach="纳入版本计划", assignee=engineer)
        elif ticket.category in wf.FIRST_CONTACT_CATEGORIES and target in {"resolved", "closed"} \
                and rng.random() < 0.3:
            # seed 003: the clerk answers a usage question on the call itself
            go("resolve_on_first_contact", clerk, taken, answer=template["solution"])
            if target == "closed":
                go("confirm", manager, rng.randint(5, 60), confirmed_by=contact,
                   satisfaction=rng.choice([5, 4]), feedback="电话里就解决了",
                   source=wf.RatingSource.PHONE)
                go("close", clerk, rng.randint(5, 120))
            return
        else:
            go("assign", clerk, taken, assignee=engineer, support_level=1)
            if target == "assigned":
                return
            first_answer(engineer, rng.choice(FIRST_ANSWERS))
            go("start", engineer)
        write(diagnosis="远程连接客户环境，复现问题并查看日志")
        thread.note(ticket, engineer, rng, story.moment)
        if target == "in_progress":
            record_time(1)
            return
        if target == "waiting":
            go("wait_for_customer", engineer, rng.randint(10, 240), note="等待客户提供数据库备份")
            record_time(1)
            return
        if rng.random() < 0.2:
            go("wait_for_customer", engineer, part(0.1), note="等待客户提供数据库备份")
            story.later(rng.randint(30, 900))
            not_yet()
            thread.hear(ticket, "备份已上传到贵司 FTP，请查收", story.moment)
            go("resume", engineer)
        if rng.random() < 0.15 and ticket.support_level < 3:
            go("escalate", engineer, part(0.25), note="需要二线工程师支持")
            go("start", engineer, rng.randint(10, 90))
        if target == "on_site" or rng.random() < 0.15:
            story.later(part(0.2))
            # an appointment in office hours, even on a round-the-clock policy
            visit_at = office.add(story.moment, rng.randint(60, 960) * 60)
            finished = visit_at + dt.timedelta(minutes=rng.randint(60, 180))
            if target == "on_site" or finished < story.now:
                go("schedule_visit", engineer, visit_at=visit_at)
                if target == "on_site":
                    record_time(1)
                    return
                story.later((finished - story.moment).total_seconds() / 60, wall=True)
                go("finish_visit", engineer, findings="现场检查服务器与网络")
        story.later(work * left[0])
        write(process="分析日志、定位原因并在测试环境验证", solution=template["solution"])
        record_time(rng.randint(1, 3))
        go("resolve", engineer)
    thread.say(ticket, ticket.assignee or clerk, f"解决方案：{ticket.solution}", story.moment)
    if target == "resolved":
        return
    # taken on the phone by the clerk (the customer's own links come later: _by_the_customer)
    go("confirm", clerk, rng.uniform(60, 960), confirmed_by=contact,
       satisfaction=rng.choices([5, 4, 3], weights=[55, 30, 15])[0],
       feedback="问题已解决，感谢", source=wf.RatingSource.PHONE)
    if target == "confirmed":
        return
    go("close", clerk, rng.uniform(30, 480))


#: working hours from first response to resolution, per priority (min, max)
RESOLUTION_HOURS = {wf.Priority.CRITICAL: (1, 8), wf.Priority.HIGH: (3, 30),
                    wf.Priority.NORMAL: (4, 100), wf.Priority.LOW: (24, 220)}

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


@transaction.atomic
def load(users, stdout=None, ticket_count=300):
    ensure_calendar()
    ensure_level_targets()
    ensure_catalogue(users)
    if Ticket.objects.exists():
        say(stdout, "Tickets already present: demo tickets not generated again.")
        return
    _canned_replies()
    rng = random.Random(2026)
    customers = list(Customer.objects.prefetch_related("contacts", "installations"))
    templates = _csv("ticket_subjects.csv")
    now = real_now()
    channels = [c for c, _ in wf.Channel.choices]
    arrivals = []
    for _i in range(ticket_count):
        age_days = rng.random() ** 1.7 * 330  # more recent tickets than old ones
        received = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600))
        customer = rng.choice(customers)
        template = rng.choice(templates)
        if age_days > 30:
            target = rng.choices(["closed", "confirmed", "resolved"], weights=[85, 10, 5])[0]
        else:
            target = rng.choice(["new", "assigned", "in_progress", "waiting", "on_site",
                                 "resolved", "confirmed", "closed", "closed"])
        if target == "on_site" and template["category"] in {wf.Category.COMPLAINT,
                                                            wf.Category.REQUIREMENT}:
            target = "in_progress"
        arrivals.append((received, customer, template, target, rng.random()))
    thread = _Thread(users)
    calendars, office = {}, WorkingCalendar.load(BusinessCalendar.default())
    # in the order they arrived: numbers, journals and history follow the calendar
    for i, (received, customer, template, target, seed) in enumerate(sorted(
            arrivals, key=lambda a: a[0])):
        rng = random.Random(seed)
        installation = rng.choice(list(customer.installations.all()))
        with at(received):
            ticket = Ticket.objects.create(
                channel=wf.Channel.VIP if customer.is_vip and rng.random() < 0.5
                else rng.choice(channels[:5]),
                category=template["category"],
                priority=rng.choices([p for p, _ in wf.Priority.choices],
                                     weights=[5, 20, 60, 15])[0],
                customer=customer, contact=next(iter(customer.contacts.all()), None),
                product=installation.product, product_version=installation.version,
                subject=template["subject"], description=template["description"],
                received_at=received, recorded_by=users["clerk"])
        if ticket.sla_policy_id not in calendars:
            calendars[ticket.sla_policy_id] = ticket._calendar()
        thread.hear(ticket, ticket.description or ticket.subject, received)
        try:
            _walk(ticket, users, rng, template, target,
                  Timeline(received, calendars[ticket.sla_policy_id], now), thread, office)
        except StoryReachedNow:
            pass
        if (i + 1) % 100 == 0:
            say(stdout, f"  {i + 1} tickets")
    thread.save(stdout)
    _by_the_customer(users, random.Random(2027), stdout)
    _call_spot_checks(users, stdout)
    _service_reviews(users, random.Random(2028), stdout)


TIME_WORK = ["远程排查日志", "数据库连接检查", "现场安装补丁", "与客户电话沟通", "编写服务记录",
             "复现问题", "数据修复脚本", "培训客户操作"]


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


def _canned_replies():
    for category, title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(title=title, defaults={"category": category,
                                                                 "body": body})


class _Thread:
    """Each demo ticket's conversation, written at the moments of its steps: the
    customer's call or mail, the first answer, now and then a note between colleagues,
    the solution sent to the customer. Demo-only bulk rows (no mails, no notifications);
    the message that is the first response stamps it through the desk's own rule
    (``services.stamps_first_response`` / ``stamp_first_response``), at its time."""

    def __init__(self, users):
        self.users, self.rows = users, []

    def _add(self, ticket, direction, channel, body, moment, **fields):
        self.rows.append(TicketMessage(ticket=ticket, direction=direction, channel=channel,
                                       body=body, sent_at=moment, **fields))
        if ticket.first_response_at is None and services.stamps_first_response(direction,
                                                                               channel):
            with at(moment):
                services.stamp_first_response(ticket, moment)

    def hear(self, ticket, body, moment):
        """The customer's call (taken down by the clerk) or mail."""
        spoken = ticket.channel in {wf.Channel.PHONE, wf.Channel.VIP}
        self._add(ticket, wf.MessageDirection.FROM_CUSTOMER,
                  wf.Channel.EMAIL if ticket.channel == wf.Channel.WEB else ticket.channel,
                  body, moment, author=self.users["clerk"] if spoken else None,
                  sender=ticket.contact.name if ticket.contact else "")

    def say(self, ticket, staff, body, moment):
        """A message to the customer: by mail for who wrote by mail, else a call note."""
        address = ticket.contact.email if ticket.contact else ""
        if ticket.channel in {wf.Channel.EMAIL, wf.Channel.WEB} and address:
            fields = dict(mail_to=address, mail_status="sent")
            channel = wf.Channel.EMAIL
        else:
            fields, channel = {}, wf.Channel.PHONE
        self._add(ticket, wf.MessageDirection.TO_CUSTOMER, channel, body, moment,
                  author=staff, **fields)

    def note(self, ticket, staff, rng, moment):
        if rng.random() < 0.4:
            self.rows.append(TicketMessage(
                ticket=ticket, direction=wf.MessageDirection.INTERNAL, author=staff,
                body=rng.choice(NOTES), sent_at=moment))

    def save(self, stdout):
        TicketMessage.objects.bulk_create(self.rows, batch_size=1000)
        say(stdout, f"  {len(self.rows)} messages in the tickets' conversations")


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
    solved), one keeps a link waiting. Through the real services, with the clock at the
    moment the link was sent (an hour after the resolution) and answered (hours later)."""
    from backoffice.desk import services

    now = real_now()
    resolved = list(Ticket.objects.filter(state=wf.TicketStatus.RESOLVED)
                    .exclude(category=wf.Category.COMPLAINT)
                    .select_related("contact", "customer").order_by("-resolved_at"))
    # the newest resolution waits for its customer; older ones were answered days ago
    waiting = resolved[:1]
    answering = [t for t in resolved[1:] if t.resolved_at < now - dt.timedelta(days=2)
                 ][:len(CUSTOMER_ANSWERS)]
    clerk = users["clerk"]
    for ticket in waiting:
        with at(ticket.resolved_at + dt.timedelta(minutes=30)):
            services.request_confirmation(ticket, actor=clerk, send_mail=False)
    for n, (ticket, (outcome, rating, comment)) in enumerate(zip(answering, CUSTOMER_ANSWERS,
                                                                 strict=False)):
        story = Timeline(ticket.resolved_at, now=now)
        with story.after(60, wall=True):
            request = services.request_confirmation(ticket, actor=clerk, send_mail=False)
        signer = ticket.contact.name if ticket.contact else "客户"
        with story.after(rng.uniform(60, 1200), wall=True):
            services.answer_confirmation(
                request, outcome=outcome, rating=rating, comment=comment, signer_name=signer,
                signature=demo_signature(signer, n) if outcome == "solved" else "",
                ip_address=f"203.0.113.{10 + n}",
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
                           "AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50")
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

    rng = random.Random(19)
    manager = users["manager"]
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
            with at(message.sent_at + dt.timedelta(minutes=rng.randint(5, 30))):
                recording = services.attach(
                    message.ticket, SimpleUploadedFile(
                        f"hotline-{timezone.localtime(message.sent_at):%Y%m%d-%H%M}.wav",
                        _recording()), message=message, user=message.author)
            base, comment = rng.choice(SPOT_CHECK_COMMENTS)
            with at(message.sent_at + dt.timedelta(days=rng.randint(1, 5),
                                                   hours=rng.randint(0, 6))):
                services.spot_check_record(
                    message=message, recording=recording, comment=comment,
                    score=max(0, min(100, base + rng.randint(-4, 4))), actor=manager)
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
    from backoffice.desk.models import ServiceRecordReview
    from backoffice.desk.services import queue_for_review

    now = real_now()
    manager = users["manager"]
    reviews = list(ServiceRecordReview.objects.select_related("ticket"))
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
            with at(ticket.resolved_at):
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
        with at(review.queued_at + dt.timedelta(days=rng.uniform(1, 6))):  # days later
            review.save()
            apply_transition(review, "review", actor=manager)
        done.append(review)
    say(stdout, f"  {ServiceRecordReview.objects.count()} service records queued for review, "
                f"{len(done)} reviewed")
