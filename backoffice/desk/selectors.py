"""Reads of the service desk that forms, filters and other domains ask for."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.desk import workflows as wf
from backoffice.platform.reference import ReferenceData

#: journal lines that are not workflow steps, by action
JOURNAL_ACTIONS = {"replan": _("Deadlines re-planned")}

#: the tickets a figure counts that a plain field lookup cannot name: one ``Q`` each,
#: used both by the figure's aggregate (``backoffice.reports.selectors``) and by the
#: ticket list's ``?scope=`` filter that the figure links to, so that the number and the
#: list behind it are the same set
NOT_CANCELLED = ~Q(state=wf.TicketStatus.CANCELLED)
#: a rating given when the customer confirmed (their link, or by phone through staff);
#: a follow-up survey keeps its own rating
RATED_AT_CONFIRMATION = Q(satisfaction__isnull=False) & ~Q(
    satisfaction_source=wf.RatingSource.FOLLOW_UP)


def response_counted(now=None) -> Q:
    """Tickets the "answered within target" share counts: answered (in time or late), or
    not answered and past their response deadline."""
    now = now or timezone.now()
    return Q(response_met__isnull=False) | Q(first_response_at__isnull=True,
                                             response_due__lt=now)


def response_missed(now=None) -> Q:
    """Of those, the ones that missed the target: answered late, or not answered and
    past their deadline."""
    now = now or timezone.now()
    return Q(response_met=False) | Q(first_response_at__isnull=True, response_due__lt=now)


#: ``?scope=<key>`` on the ticket list: (label, now -> Q)
TICKET_SCOPES = {
    "not_cancelled": (_("Not cancelled"), lambda now: NOT_CANCELLED),
    "rated": (_("Rated at confirmation"), lambda now: RATED_AT_CONFIRMATION),
    "response_counted": (_("Counted in the response share"), response_counted),
    "response_missed": (_("Response target missed"), response_missed),
}


def engineers():
    """Active users who may work tickets (support engineers, and managers); never the
    system user (a superuser nobody signs in as)."""
    from django.db.models import Q

    from backoffice.platform.roles import SYSTEM_USERNAME

    User = get_user_model()
    perm = Q(codename="work_ticket") | Q(codename="supervise_ticket")
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=_perms(perm)) | Q(user_permissions__in=_perms(perm))
                    | Q(is_superuser=True))
            .exclude(username=SYSTEM_USERNAME).distinct().order_by("username"))


def engineers_with_open_tickets():
    """``engineers()``, each with ``open_tickets``: how many open tickets they hold (one
    query, for the assign dialogs' "Wang Wei (7 open)")."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from backoffice.desk import workflows as wf
    from backoffice.desk.models import Ticket

    held = (Ticket.objects.filter(assignee=OuterRef("pk"), state__in=wf.OPEN_STATES)
            .order_by().values("assignee").annotate(n=Count("id")).values("n"))
    return engineers().annotate(
        open_tickets=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)))


def customer_choices(queryset, *, customer_id=None, product_id=None):
    """A ticket's contact, product or version choices narrowed to its customer: the
    customer's contacts; the products installed there (every product while none is
    recorded); versions of the chosen product, or of the installed products."""
    from backoffice.desk.models import Contact, InstalledProduct, Product, ProductVersion

    installed = (InstalledProduct.objects.filter(customer_id=customer_id)
                 .values("product_id") if customer_id else None)
    if queryset.model is Contact and customer_id:
        return queryset.filter(customer_id=customer_id)
    if queryset.model is Product and installed is not None and installed.exists():
        return queryset.filter(pk__in=installed)
    if queryset.model is ProductVersion:
        if product_id:
            return queryset.filter(product_id=product_id)
        if installed is not None and installed.exists():
            return queryset.filter(product_id__in=installed)
    return queryset


def _perms(q):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(q, content_type__app_label="backoffice")


def ticket_thread(ticket, limit=None):
    """The ticket's conversation, oldest first: its messages (with author and attachments)
    interleaved with the journal of its state changes. With ``limit``, only the newest
    ``limit`` entries (a long thread opens on its latest part). Returns (entries, number
    of messages, number of entries left out); a bounded number of queries, whatever its
    length."""
    return conversation(ticket, limit)[:3]


def thread_counted(tickets):
    """``tickets`` with the numbers of their messages and journal events read with them
    (``thread_messages``, ``thread_events``: ``conversation`` counts no more)."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from backoffice.desk.models import TicketEvent, TicketMessage

    def count(model):
        return Coalesce(Subquery(model.objects.filter(ticket=OuterRef("pk")).order_by()
                                 .values("ticket").annotate(n=Count("pk")).values("n")), 0)

    return tickets.annotate(thread_messages=count(TicketMessage),
                            thread_events=count(TicketEvent))


def conversation(ticket, limit=None, journal=None, journal_complete=False, spot_checks=False):
    """``ticket_thread``'s (entries, number of messages, number left out), and the files
    attached to no message. ``journal``: the ticket's events newest first, already read
    for the page (``journal_complete``: all of them), so they are not read twice. The
    counts are queried only when a list reached ``limit``: three queries in all, or two
    with the journal. ``spot_checks``: each message carries its call spot check
    (``spot_check_found``: ``pk``, ``score``, ``agent_id``, or None), read with it (a call
    has one check at most)."""
    from collections import defaultdict

    from django.db.models import F, Q

    from backoffice.desk.models import TicketAttachment
    from backoffice.platform.workflow import transition_label

    messages = ticket.messages.select_related("author").order_by("-sent_at", "-id")
    if spot_checks:
        messages = messages.annotate(check_pk=F("spot_checks__pk"),
                                     check_score=F("spot_checks__score"),
                                     check_agent_id=F("spot_checks__agent_id"))
    messages = list(messages if limit is None else messages[:limit])
    for m in messages if spot_checks else ():
        m.spot_check_found = (None if m.check_pk is None else
                              {"pk": m.check_pk, "score": m.check_score,
                               "agent_id": m.check_agent_id})
    if journal is None:
        events = ticket.events.select_related("actor").order_by("-created_at", "-id")
        events = list(events if limit is None else events[:limit])
        events_complete = limit is None or len(events) < limit
    else:
        events = list(journal if limit is None else journal[:limit])
        events_complete = journal_complete
    if getattr(ticket, "thread_messages", None) is not None:  # read with the ticket
        message_count, event_count = ticket.thread_messages, ticket.thread_events
    else:
        message_count = (len(messages) if limit is None or len(messages) < limit
                         else ticket.messages.count())
        event_count = (len(journal if journal is not None else events) if events_complete
                       else ticket.events.count())
    files = defaultdict(list)
    for attachment in (TicketAttachment.objects.filter(ticket=ticket)
                       .filter(Q(message__in=[m.pk for m in messages])
                               | Q(message__isnull=True)).order_by("id")):
        files[attachment.message_id].append(attachment)
    for m in messages:  # as prefetch_related leaves them: message.attachments.all()
        cached = TicketAttachment.objects.filter(message=m)
        cached._result_cache, cached._prefetch_done = files.get(m.pk, []), True
        m._prefetched_objects_cache = {"attachments": cached}
    thread = [{"kind": "message", "at": m.sent_at, "message": m} for m in messages]
    for e in events:
        e.action_label = JOURNAL_ACTIONS.get(e.action) or transition_label(type(ticket),
                                                                            e.action)
        thread.append({"kind": "event", "at": e.created_at, "event": e})
    thread.sort(key=lambda item: item["at"])
    if limit is not None:
        thread = thread[-limit:]
    return thread, message_count, message_count + event_count - len(thread), files[None]


#: the canned replies, offered by every ticket page's conversation dialog
CANNED_REPLIES = ReferenceData("desk.canned-replies", "backoffice.CannedReply")


def canned_replies(category):
    """Active canned replies for a ticket of this category (and those for every
    category): this process's copy, or one query. Shared: read them, never change them."""
    from django.db.models import Q

    from backoffice.desk.models import CannedReply

    return CANNED_REPLIES.get(category, lambda: list(
        CannedReply.objects.filter(Q(category=category) | Q(category=""), is_active=True)
        .order_by("title")))


def confirmation_requests(ticket, limit=20):
    """The confirmation links sent for a ticket, newest first, with who sent them."""
    return list(ticket.confirmation_requests.select_related("created_by")
                .order_by("-created_at", "-id")[:limit])


def signed_confirmation(ticket):
    """The customer's own "solved" with their signature, if they confirmed by link."""
    return (ticket.confirmation_requests.filter(outcome="solved", answered_at__isnull=False)
            .order_by("-answered_at").first())


# -- the printed service record (服务单) ---------------------------------------------------
def working_hours(ticket):
    """Working hours from arrival to resolution on the ticket's calendar, less the time
    it waited for the customer (one decimal); None while it is not resolved."""
    from decimal import Decimal

    if ticket.resolved_at is None or ticket.received_at is None:
        return None
    seconds = ticket._calendar().between(ticket.received_at, ticket.resolved_at)
    seconds = max(0, int(seconds) - (ticket.paused_seconds or 0))
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"))


def service_record(ticket):
    """What the printed service record shows: the ticket with its customer, contact,
    product and people; the parts used; the working hours; the customer's signed
    confirmation when it stands (else a box to sign on paper); the journal. A bounded
    number of queries, whatever the ticket's history."""
    from decimal import Decimal

    from backoffice.desk.models import Ticket
    from backoffice.desk.workflows import RatingSource
    from backoffice.platform import printing

    ticket = (Ticket.objects.select_related(
        "customer", "contact", "product", "product_version", "assignee", "recorded_by",
        "resolved_by", "confirmation_entered_by", "sla_policy__calendar")
        .get(pk=ticket.pk))
    try:
        from inventory.selectors import parts_used_on_ticket
    except ImportError:  # the site without its spare-parts app
        parts = []
    else:
        parts = parts_used_on_ticket(ticket)
    signed = None
    if ticket.confirmed_at and ticket.satisfaction_source == RatingSource.CUSTOMER_LINK:
        signed = signed_confirmation(ticket)
    signature = str(signed.signature or "") if signed else ""
    if not signature.startswith("data:image/png;base64,"):
        signature = ""  # only a drawn signature is printed; never a link to fetch
    return {
        "ticket": ticket,
        "parts": parts,
        "parts_value": sum((p["value"] for p in parts), Decimal("0.00")),
        "working_hours": working_hours(ticket),
        "signed_confirmation": signed,
        "signature": signature,
        "journal": printing.journal(ticket),
    }


#: the business calendars (working hours, holidays, make-up days) as pages draw them;
#: deadlines that are stored are worked out on the rows as they are (``Ticket._calendar``)
CALENDARS = ReferenceData("desk.calendars", "backoffice.BusinessCalendar",
                          "backoffice.WorkingPeriod", "backoffice.CalendarDay")


def working_calendar(ticket):
    """``ticket._calendar()`` for a page to draw (its level clock, its deadlines planned
    without holidays): from this process's copy of the business calendar, no query once
    read."""
    from backoffice.desk.models import BusinessCalendar, CalendarDay, WorkingPeriod
    from backoffice.desk.sla import WorkingCalendar

    policy = ticket.sla_policy if ticket.sla_policy_id else None
    round_the_clock = bool(policy and policy.round_the_clock)
    calendar_id = (policy.calendar_id if policy is not None and policy.calendar_id
                   else CALENDARS.get("default", lambda: getattr(BusinessCalendar.default(),
                                                                 "pk", None)))
    if calendar_id is None:
        return WorkingCalendar.standard(round_the_clock=round_the_clock)
    kept = CALENDARS.get(calendar_id, lambda: WorkingCalendar.from_rows(
        WorkingPeriod.objects.filter(calendar_id=calendar_id).order_by("weekday", "start")
        .values_list("weekday", "start", "end"),
        CalendarDay.objects.filter(calendar_id=calendar_id).values_list("date", "kind")))
    return kept.copy(round_the_clock=round_the_clock)


def level_ladder(ticket, now=None, calendar=None) -> dict:
    """The ticket's time per support level against each level's target, and the time it
    waited for the customer and for R&D: ``{"levels": [{level, label, working, wall,
    target, met}], "waits": [{kind, label, working, wall}]}``, seconds, a running span
    counted up to now. One query for the spans (a running one is measured on the page's
    copy of the calendar, ``working_calendar``)."""
    from django.utils import timezone

    from backoffice.desk.workflows import ClockKind, SupportLevel

    now = now or timezone.now()
    spans = list(ticket.clock_spans.all())
    if calendar is None and any(s.ended_at is None for s in spans):
        calendar = working_calendar(ticket)
    levels, waits = {}, {}
    for span in spans:
        if span.ended_at is None:
            working, wall = span.measure(calendar, now)
        else:
            working, wall = span.working_seconds or 0, span.wall_seconds or 0
        bucket = (levels.setdefault(span.level, [0, 0]) if span.kind == ClockKind.WORKING
                  else waits.setdefault(span.kind, [0, 0]))
        bucket[0] += working
        bucket[1] += wall
    policy = ticket.sla_policy
    rows = []
    for level in sorted(levels):
        target = policy.level_target_seconds(level) if policy else None
        working, wall = levels[level]
        rows.append({"level": level, "label": SupportLevel(level).label, "working": working,
                     "wall": wall, "target": target,
                     "met": None if target is None else working <= target})
    return {"levels": rows,
            "waits": [{"kind": kind, "label": ClockKind(kind).label, "working": w[0],
                       "wall": w[1]} for kind, w in sorted(waits.items())]}
# -- calendar data: which years each calendar knows, which tickets were planned without ---
def calendar_known_years() -> dict[int, set[int]]:
    """calendar id -> the years it has at least one public holiday in (the rule of
    ``desk.calendar_data``): one query over the small calendar-day table."""
    from django.db.models.functions import ExtractYear

    from backoffice.desk.models import CalendarDay

    known: dict[int, set[int]] = {}
    rows = (CalendarDay.objects.filter(kind=CalendarDay.Kind.HOLIDAY)
            .annotate(year=ExtractYear("date")).order_by()
            .values_list("calendar_id", "year").distinct())
    for calendar_id, year in rows:
        known.setdefault(calendar_id, set()).add(year)
    return known


def calendar_year_gaps(today, *, official_until=None, days=None) -> list:
    """(calendar, year, gap) for each year that has started or starts within ``days``
    (settings.CALENDAR_WARNING_DAYS) of ``today`` and is not properly known, in every
    calendar, in one query. ``gap`` is "missing" (no holiday at all) or "provisional":
    after ``official_until`` (the last year the data source has the State Council's
    notice for), only the data source's statutory days, no imported or hand-entered day:
    no bridge days and no make-up working days until the notice is imported."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import Exists, OuterRef

    from backoffice.desk.models import BusinessCalendar, CalendarDay

    days = settings.CALENDAR_WARNING_DAYS if days is None else days
    years = sorted({today.year, (today + dt.timedelta(days=days)).year})
    in_calendar = CalendarDay.objects.filter(calendar=OuterRef("pk"))
    holidays = in_calendar.filter(kind=CalendarDay.Kind.HOLIDAY)
    by_people = in_calendar.exclude(source=CalendarDay.Source.DATA_SOURCE)

    def within(queryset, year):
        return queryset.filter(date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1))

    annotations = {}
    for year in years:
        annotations[f"known_{year}"] = Exists(within(holidays, year))
        if official_until is not None and year > official_until:
            annotations[f"entered_{year}"] = Exists(within(by_people, year))
    calendars = BusinessCalendar.objects.order_by("name", "pk").annotate(**annotations)
    gaps = []
    for calendar in calendars:
        for year in years:
            if not getattr(calendar, f"known_{year}"):
                gaps.append((calendar, year, "missing"))
            elif getattr(calendar, f"entered_{year}", True) is False:
                gaps.append((calendar, year, "provisional"))
    return gaps


def calendar_years_missing(today, days=None) -> list:
    """(calendar, year) for each year without holidays that has started or starts within
    ``days`` (settings.CALENDAR_WARNING_DAYS) of ``today``, in every calendar: one query."""
    return [(calendar, year) for calendar, year, gap in calendar_year_gaps(today, days=days)
            if gap == "missing"]


def _year_start(year):
    import datetime as dt

    from django.utils import timezone

    return timezone.make_aware(dt.datetime(year, 1, 1))


def _touches_years_outside(known: set[int]):
    """Q: the ticket's span, from its arrival to its later deadline, touches a year that is
    not in ``known``. Ranges on received_at and on the two due columns only (each indexed
    next to the state), however many years there are."""
    from django.db.models import Q

    if not known:
        return Q()

    def due_from(moment):
        return Q(response_due__gte=moment) | Q(resolution_due__gte=moment)

    first, last = min(known), max(known)
    q = Q(received_at__lt=_year_start(first)) | due_from(_year_start(last + 1))
    for year in range(first + 1, last):
        if year not in known:
            q |= Q(received_at__lt=_year_start(year + 1)) & due_from(_year_start(year))
    return q


def _planned_calendars() -> dict:
    """calendar id (None: no calendar at all) -> the ids of the policies that plan on it
    and not round the clock (a round-the-clock deadline needs no holidays)."""
    from backoffice.desk.models import BusinessCalendar, SLAPolicy

    policies = list(SLAPolicy.objects.filter(round_the_clock=False)
                    .values_list("pk", "calendar_id"))
    default = None
    if any(calendar_id is None for _pk, calendar_id in policies):
        default = BusinessCalendar.default()
    by_calendar: dict = {}
    for pk, calendar_id in policies:
        by_calendar.setdefault(calendar_id or (default.pk if default else None), []).append(pk)
    return by_calendar


def without_holidays(queryset=None, *, by_calendar=None):
    """The open tickets whose deadlines were worked out (at least in part) without holidays:
    their arrival or a deadline lies in a year their calendar has no holidays for. Four
    queries to build (policies, default calendar, known years), then one indexed filter:
    no loop over tickets."""
    from django.db.models import Q

    from backoffice.desk import workflows as wf
    from backoffice.desk.models import Ticket

    queryset = Ticket.objects.all() if queryset is None else queryset
    by_calendar = _planned_calendars() if by_calendar is None else by_calendar
    known = calendar_known_years()
    q = Q(pk__in=[])
    for calendar_id, policy_ids in by_calendar.items():
        q |= Q(sla_policy_id__in=policy_ids) & _touches_years_outside(known.get(calendar_id,
                                                                               set()))
    return queryset.filter(q, state__in=wf.OPEN_STATES)


def without_holidays_by_calendar() -> dict[int, int]:
    """calendar id -> how many open tickets on it were planned without holidays."""
    by_calendar = _planned_calendars()
    return {calendar_id: without_holidays(by_calendar={calendar_id: ids}).count()
            for calendar_id, ids in by_calendar.items() if calendar_id is not None}


def ticket_guessed_years(ticket, calendar=None) -> list[int]:
    """The years the ticket's deadlines were worked out in without holidays (empty for a
    closed ticket, one without deadlines or one on the clock round the clock). Given the
    ticket's ``WorkingCalendar`` (the page reads it for the level clock too), no query."""
    from django.utils import timezone

    from backoffice.desk import workflows as wf
    from backoffice.desk.models import BusinessCalendar, CalendarDay

    policy = ticket.sla_policy if ticket.sla_policy_id else None
    if policy is None or policy.round_the_clock or ticket.state not in wf.OPEN_STATES:
        return []
    moments = [m for m in (ticket.received_at, ticket.response_due, ticket.resolution_due) if m]
    if not moments:
        return []
    years = {timezone.localtime(m).year for m in moments}
    span = range(min(years), max(years) + 1)
    if calendar is not None:
        return [year for year in span if not calendar.is_known(year)]
    calendar_id = policy.calendar_id or getattr(BusinessCalendar.default(), "pk", None)
    known = {day.year for day in CalendarDay.objects.filter(
        calendar_id=calendar_id, kind=CalendarDay.Kind.HOLIDAY,
        date__gte=f"{span.start}-01-01", date__lt=f"{span.stop}-01-01")
        .dates("date", "year")} if calendar_id else set()
    return [year for year in span if year not in known]


# -- call spot checks and the front desk's figures (training's clerk KPIs read these) ------
#: the steps that forward a recorded ticket: to an engineer, to the business manager (a
#: requirement) or to the after-sales manager (a complaint)
FORWARDING_ACTIONS = ("assign", "refer_requirement", "refer_complaint")


def calls_to_spot_check(user, days=60, limit=300):
    """The call notes of the last ``days`` days this user may spot-check: phone contacts
    with the customer taken by someone else, not checked yet, newest first."""
    import datetime as dt

    from django.utils import timezone

    from backoffice.desk.models import TicketMessage
    from backoffice.desk.workflows import Channel, MessageDirection

    since = timezone.now() - dt.timedelta(days=days)
    return (TicketMessage.objects.filter(channel=Channel.PHONE, author__isnull=False,
                                         sent_at__gte=since, spot_checks__isnull=True)
            .exclude(direction=MessageDirection.INTERNAL).exclude(author=user)
            .select_related("ticket", "author").order_by("-sent_at", "-id")[:limit])


def spot_checks_by_person(start, end, person_ids=None) -> dict[int, tuple[int, int]]:
    """Person -> (calls spot-checked, sum of their scores) for the calls made in
    [start, end): one grouped query."""
    from django.db.models import Count, Sum

    from backoffice.desk.models import CallSpotCheck

    checks = CallSpotCheck.objects.filter(call_at__gte=start, call_at__lt=end)
    if person_ids is not None:
        checks = checks.filter(agent_id__in=list(person_ids))
    rows = (checks.order_by().values("agent_id")
            .annotate(n=Count("id"), total=Sum("score", default=0)))
    return {row["agent_id"]: (row["n"], row["total"]) for row in rows}


def front_desk_by_person(start, end, person_ids=None) -> dict[int, dict[str, int]]:
    """Per clerk (the ticket's ``recorded_by``), of the tickets received in [start, end)
    and not cancelled, in ONE grouped query:

    - **forwarded / forward_seconds**: those forwarded (the first assign or referral in
      the ticket's journal) and the wall-clock seconds from arrival to that step, in
      total; a step journaled before the arrival (a back-dated entry) is left out;
    - **questions / answered_first**: the consultations and usage questions, and those
      answered on the first call (no engineer).
    """
    from django.db.models import (
        Count,
        DurationField,
        ExpressionWrapper,
        F,
        Min,
        OuterRef,
        Q,
        Subquery,
        Sum,
    )

    from backoffice.desk.models import Ticket, TicketEvent
    from backoffice.desk.workflows import FIRST_CONTACT_CATEGORIES, TicketStatus

    first_forward = (TicketEvent.objects.filter(ticket=OuterRef("pk"),
                                                action__in=FORWARDING_ACTIONS)
                     .order_by().values("ticket").annotate(at=Min("created_at")).values("at"))
    tickets = (Ticket.objects.filter(recorded_by__isnull=False, received_at__gte=start,
                                     received_at__lt=end)
               .exclude(state=TicketStatus.CANCELLED))
    if person_ids is not None:
        tickets = tickets.filter(recorded_by_id__in=list(person_ids))
    forwarded = Q(forwarded_at__isnull=False, forwarded_at__gte=F("received_at"))
    question = Q(category__in=list(FIRST_CONTACT_CATEGORIES))
    rows = (tickets.order_by()
            .annotate(forwarded_at=Subquery(first_forward))
            .annotate(wait=ExpressionWrapper(F("forwarded_at") - F("received_at"),
                                             output_field=DurationField()))
            .values("recorded_by_id")
            .annotate(forwarded=Count("id", filter=forwarded),
                      forward_time=Sum("wait", filter=forwarded),
                      questions=Count("id", filter=question),
                      answered_first=Count("id", filter=question
                                           & Q(first_contact_resolution=True))))
    result = {}
    for row in rows:
        wait = row["forward_time"]
        result[row["recorded_by_id"]] = {
            "forwarded": row["forwarded"],
            "forward_seconds": int(wait.total_seconds()) if wait else 0,
            "questions": row["questions"], "answered_first": row["answered_first"]}
    return result


# -- service-record review ---------------------------------------------------------------------
def reviews_visible_to(user, queryset=None):
    """The service-record reviews ``user`` may see: every one for whoever reviews them;
    otherwise the finished reviews of their own records (a waiting one is not shown to
    the engineer: the record is judged as it was resolved)."""
    from backoffice.desk.models import ServiceRecordReview
    from backoffice.desk.workflows import ReviewStatus

    queryset = ServiceRecordReview.objects.all() if queryset is None else queryset
    if user.has_perm("backoffice.review_servicerecordreview"):
        return queryset
    return queryset.filter(engineer_id=user.pk, state=ReviewStatus.REVIEWED)


def reviews_waiting_for(user):
    """Reviews ``user`` may complete now: waiting, and not of a ticket they worked."""
    from django.db.models import Q

    from backoffice.desk.models import ServiceRecordReview
    from backoffice.desk.workflows import ReviewStatus

    return (ServiceRecordReview.objects.filter(state=ReviewStatus.PENDING)
            .exclude(Q(engineer_id=user.pk) | Q(resolved_by_id=user.pk)))


def review_months():
    """The months that have reviews, newest first (the queue's month filter)."""
    from backoffice.desk.models import ServiceRecordReview

    return list(ServiceRecordReview.objects.order_by("-month").values_list("month", flat=True)
                .distinct()[:24])


def _contains(names, term):
    """``icontains`` on any of ``names`` (UPPER on both sides, as Django's), spelled as
    ``STRPOS(...) > 0``: the planner takes a third of the rows for it, where it reads a
    ``LIKE '%字段错位%'`` as one row in a thousand. For a common term that underestimate
    made it scan and sort the whole table (2.3 s at 1 M tickets) instead of walking the
    newest tickets until a page is full (5 ms)."""
    from django.db.models import Q, Value
    from django.db.models.functions import StrIndex, Upper
    from django.db.models.lookups import GreaterThan

    found = Q()
    for name in names:
        found |= Q(GreaterThan(StrIndex(Upper(name), Upper(Value(term))), 0))
    return found


#: how a search finds out whether a term is common: the most recent PROBE_ROWS tickets
#: (the list's own order and index) are read and the term's share among them taken
PROBE_ROWS = 2_000
#: a term on more than this share of recent tickets is common: the list walks the newest
#: tickets and stops at a page of matches (a few thousand rows read at most) rather than
#: have the index hand over every match
COMMON_SHARE = 0.005
RECENT_FIRST = ("-received_at", "-id")


def search_tickets(queryset, search_term):
    """The tickets of ``queryset`` that match every word of ``search_term`` (a phrase in
    quotes is one word; five words at most): a substring of the number, subject,
    description, diagnosis or solution, or the customer's name (substring) or code.

    On PostgreSQL the texts are found through the GIN index of their search tokens (any
    term of one character or more, Chinese included; backoffice.platform.search) and
    rechecked by substring, so the rows are exactly those of the substring test. A
    common term (more than ``COMMON_SHARE`` of the newest ``PROBE_ROWS`` tickets, and
    more matches than the list counts) is tested row by row in the list's order instead,
    and its count is estimated from that share ("about N", ``query.row_estimate``, read
    by the paginator): at 10 M tickets the index would hand over a million rows.
    Customers are looked up first (a small table) so that the ticket query is an OR of
    index scans rather than a join scanned row by row. SQLite compares substrings.
    """
    from django.db import connections
    from django.db.models import Q
    from django.utils.text import smart_split, unescape_string_literal

    from backoffice.desk.models import Customer, Ticket
    from backoffice.desk.models.tickets import SEARCHED_TEXTS
    from backoffice.platform.paginator import COUNT_CAP
    from backoffice.platform.search import planned_rows, share_of_first, tokens_match

    indexed = connections[queryset.db].vendor == "postgresql"
    table = Ticket._meta.db_table
    base, rows, words = queryset, None, []
    for term in list(smart_split(search_term))[:5]:
        if term[0] in "\"'" and term[-1] == term[0] and len(term) > 1:
            term = unescape_string_literal(term)
        term = term.strip()
        if not term:
            continue
        customers = Q(name__icontains=term) | Q(code__iexact=term)
        if indexed:  # the code, exact, holds the term too: the tokens find both
            customers = Q(tokens_match(Customer._meta.db_table, term)) & customers
        of_customers = Q(customer_id__in=list(Customer.objects.filter(customers)
                                               .values_list("pk", flat=True)[:2000]))
        texts = Q()
        for name in SEARCHED_TEXTS:
            texts |= Q(**{f"{name}__icontains": term})
        if not indexed:
            words.append((texts | of_customers, None, None))
            continue
        # common: the same test in terms the planner cannot estimate low (no index)
        walked = (Q(tokens_match(table, term, indexed=False)) & _contains(SEARCHED_TEXTS, term)
                  | of_customers)
        found = Q(tokens_match(table, term)) & texts | of_customers
        share, seen = share_of_first(base, walked, RECENT_FIRST, PROBE_ROWS)
        if seen == PROBE_ROWS and share >= COMMON_SHARE:
            rows = planned_rows(base) if rows is None else rows
            if share * rows > COUNT_CAP:
                words.append((walked, found, share))
                continue
        words.append((found, None, None))
    estimate = None
    if indexed and words and all(share is not None for *_q, share in words):
        estimate = rows
        for *_q, share in words:
            estimate *= share
        if estimate <= COUNT_CAP:  # common words, rare together: the rarest one from the
            rarest = min(range(len(words)), key=lambda i: words[i][2])  # index, counted
            words[rarest] = (words[rarest][1], None, None)
            estimate = None
    for condition, *_rest in words:
        queryset = queryset.filter(condition)
    if estimate is not None:
        queryset.query.row_estimate = int(estimate)
    return queryset
