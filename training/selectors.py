"""Reads of the training app: appraisal KPIs from the tickets, session results, summaries.

Everything here is a database aggregate: the KPIs of a whole month are one grouped query
over the ticket table (not one per person, never a Python loop over tickets), session
figures are annotations, and the plan summary is two grouped queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.desk.models import Ticket, TicketClockSpan
from backoffice.desk.selectors import NOT_CANCELLED, RATED_AT_CONFIRMATION
from backoffice.desk.workflows import ClockKind, RatingSource, ReviewStatus, TicketStatus
from backoffice.platform import roles
from training.workflows import (
    ROLE_DEFAULT_TARGETS,
    ROLE_KPIS,
    AppraisalRole,
    AppraisalStatus,
    Kpi,
    PracticalResult,
    TrainingPlanStatus,
    TrainingSessionStatus,
)

TWO_PLACES = Decimal("0.01")

#: service-record fields that must all be filled for a closed ticket's record to be complete
RECORD_FIELDS = ("diagnosis", "process", "solution", "customer_feedback", "confirmed_by")

#: the ratings the satisfaction KPIs count: those given when the customer confirmed the
#: solution, by their own link (``link``) or on the phone, entered by staff (``phone``).
#: A follow-up survey keeps its own rating on the follow-up; only tickets migrated from
#: the time surveys overwrote the confirmation carry ``follow_up``, and they are left out.
#: (the ticket list's ``?scope=rated`` shows the same tickets)
CONFIRMATION_RATING = RATED_AT_CONFIRMATION


# -- periods --------------------------------------------------------------------------------
def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant of the month, first instant of the next) in the local time zone."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz),
            timezone.make_aware(dt.datetime.combine(following, dt.time.min), tz))


# -- appraisal KPIs -------------------------------------------------------------------------
@dataclass
class KpiCounts:
    """The counts behind one person's KPIs for one month (see :func:`ticket_kpis`)."""

    received: int = 0
    resolved: int = 0
    #: of the ``received``, those resolved before the month's end (resolution rate)
    received_resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    satisfaction_sum: int = 0
    rated_by_link: int = 0
    responded: int = 0
    response_seconds: int = 0
    response_measured: int = 0
    answered_in_time: int = 0
    closed: int = 0
    records_complete: int = 0
    #: of the ``closed``, those whose service record the manager reviewed, the sum of
    #: their review scores (%), and the unreviewed ones complete by the five-field check
    records_reviewed: int = 0
    reviewed_score_sum: Decimal = Decimal("0")
    unreviewed_complete: int = 0
    #: questions this person answered on the first call (no engineer): counted for them,
    #: in none of the figures above
    first_contact: int = 0
    #: their tickets as the assignee in the month (any of the counts above): zero for
    #: someone who only answered first calls
    assigned: int = 0
    #: resolved tickets of the month this person held at their level (the level clock),
    #: and the working seconds they held them (see :func:`held_by_person`)
    held: int = 0
    held_seconds: int = 0
    # the clerk's (see :func:`clerk_counts`): tickets they recorded in the month and
    # forwarded, and the seconds from the call to forwarding in total; the consultations
    # and usage questions they recorded, and those answered on the first call
    forwarded: int = 0
    forward_seconds: int = 0
    questions: int = 0
    answered_first: int = 0
    #: follow-up calls due in the month, and those done by their due day
    followups_due: int = 0
    followups_on_time: int = 0
    #: the manager's spot checks of this person's calls of the month, and their scores' sum
    spot_checks: int = 0
    spot_check_sum: int = 0
    figures: dict = field(default_factory=dict)

    def __post_init__(self):
        self.figures = derive_figures(self)


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TWO_PLACES, ROUND_HALF_UP)


#: what each KPI counts, as the appraisal page shows it (the computation is
#: :func:`derive_figures` from the counts of :func:`ticket_kpis`: change one, change both).
#: "The month" is the appraised month in local time; the person's tickets are those they
#: hold as the engineer (cancelled ones left out of "received").
KPI_DEFINITIONS = {
    Kpi.SATISFACTION_MEAN: _(
        "Of the person's tickets resolved in the month: the average rating (1-5) given at "
        "confirmation, by the customer's own link or by phone (follow-up surveys are not "
        "counted)."),
    Kpi.SATISFIED_SHARE: _(
        "Of those rated tickets: the share rated 4 or 5."),
    Kpi.SELF_RATED_SHARE: _(
        "Of those rated tickets: the share the customer rated by their own confirmation "
        "link rather than by phone through staff."),
    Kpi.RESOLUTION_RATE: _(
        "Of the person's tickets received in the month (not cancelled): the share resolved "
        "before the month's end. Numerator: \"of the tickets received, resolved in the "
        "month\"; denominator: \"tickets received\". Never above 100 %. Tickets resolved "
        "from an older backlog count in \"tickets resolved in the month\" (throughput), "
        "not here."),
    Kpi.AVG_RESPONSE_HOURS: _(
        "Of the person's tickets received in the month and answered: the average time "
        "from arrival to the first response, in working hours on the ticket's calendar "
        "(round the clock for a round-the-clock target), less the time waiting for the "
        "customer or R&D."),
    Kpi.RESPONSE_IN_TIME_SHARE: _(
        "Of the person's tickets received in the month that have a response target and "
        "were answered: the share answered before the response deadline."),
    Kpi.AVG_HELD_HOURS: _(
        "Of the person's tickets resolved in the month: the average working time the "
        "person's own support level held each one (their level-clock spans on the ticket's "
        "calendar; waits for the customer or R&D and the other levels' time left out)."),
    Kpi.RECORD_COMPLETENESS: _(
        "Of the person's tickets closed in the month, the average of each service record's "
        "completeness: a record the after-sales manager reviewed counts its review score "
        "(the share of the six aspects marked complete); an unreviewed one counts 100 % "
        "when the diagnosis, process, solution, customer feedback and the customer's "
        "confirmation are filled in, else 0 %."),
    Kpi.AVG_FORWARD_MINUTES: _(
        "Of the tickets the person recorded that were received in the month (not cancelled) "
        "and forwarded: the average time, in minutes of the clock, from the call (the "
        "ticket's arrival) to its first forwarding step in the ticket's journal - assigned "
        "to an engineer, or referred to the business or after-sales manager."),
    Kpi.FIRST_CONTACT_SHARE: _(
        "Of the consultations and usage questions the person recorded that were received in "
        "the month (not cancelled): the share answered on the first call, without an "
        "engineer."),
    Kpi.FOLLOWUP_ON_TIME_SHARE: _(
        "Of the follow-up calls assigned to the person (or recorded by them when unassigned) "
        "that were due in the month (not cancelled): the share recorded - reached, or given "
        "up as unreachable - by the end of the due day. One still open after its day is "
        "late."),
    Kpi.SPOT_CHECK_SCORE: _(
        "Of the person's calls made in the month that the manager spot-checked: the average "
        "score (0-100)."),
}


@dataclass(frozen=True)
class KpiList:
    """A list behind a KPI: the appraised person's tickets that one of the appraisal's
    counts counts (``count``, an ``Appraisal`` field), as the ticket changelist's filter
    (``params(employee_id, first_day, last_day)``) - the same sets :func:`ticket_kpis`
    counts, checked on generated data by ``tests/reports/test_figures_prove_themselves.py``.
    ``role``: numerator, denominator, or the tickets an average is taken over."""

    role: str
    count: str
    params: object

    def url(self, employee_id: int, month: dt.date) -> str:
        from urllib.parse import urlencode

        from django.urls import reverse

        first = month.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return (reverse("admin:backoffice_ticket_changelist") + "?"
                + urlencode(self.params(employee_id, first, last)))


def _theirs(employee_id, first, last, stamp, **more):
    return {"assignee__id__exact": employee_id, f"{stamp}__date__gte": first.isoformat(),
            f"{stamp}__date__lte": last.isoformat(), **more}


def _received(e, first, last, **more):
    """Received in the month, not cancelled (``NOT_CANCELLED``)."""
    return _theirs(e, first, last, "received_at", scope="not_cancelled", **more)


def _rated(e, first, last, **more):
    """Resolved in the month, rated at confirmation (``CONFIRMATION_RATING``)."""
    return _theirs(e, first, last, "resolved_at", scope="rated", **more)


_RATED = KpiList("denominator", "tickets_rated", _rated)
_RECEIVED = KpiList("denominator", "tickets_received", _received)

#: KPI -> the lists behind it (the first: its numerator, or what it averages). The record
#: completeness lists only its denominator (completeness is not a field filter); the time
#: holding a ticket is read from the level clock, not a ticket list.
KPI_LISTS = {
    Kpi.SATISFACTION_MEAN: (KpiList("averaged", "tickets_rated", _rated),),
    Kpi.SATISFIED_SHARE: (
        KpiList("numerator", "tickets_satisfied",
                lambda e, f, la: _rated(e, f, la, satisfaction__gte=4)), _RATED),
    Kpi.SELF_RATED_SHARE: (
        KpiList("numerator", "tickets_rated_by_link",
                lambda e, f, la: _rated(e, f, la,
                                        satisfaction_source__exact=RatingSource.CUSTOMER_LINK)),
        _RATED),
    Kpi.RESOLUTION_RATE: (
        KpiList("numerator", "tickets_received_resolved",
                lambda e, f, la: _received(e, f, la, resolved_at__date__lte=la.isoformat())),
        _RECEIVED),
    Kpi.AVG_RESPONSE_HOURS: (
        KpiList("averaged", "tickets_responded",
                lambda e, f, la: _received(e, f, la, first_response_seconds__isnull=0)),),
    Kpi.RESPONSE_IN_TIME_SHARE: (
        KpiList("numerator", "tickets_answered_in_time",
                lambda e, f, la: _received(e, f, la, response_met__exact=1)),
        KpiList("denominator", "tickets_response_measured",
                lambda e, f, la: _received(e, f, la, response_met__isnull=0))),
    Kpi.RECORD_COMPLETENESS: (
        KpiList("denominator", "tickets_closed",
                lambda e, f, la: _theirs(e, f, la, "closed_at",
                                         state__exact=TicketStatus.CLOSED)),),
    Kpi.FIRST_CONTACT_SHARE: (
        KpiList("numerator", "first_contact_answered",
                lambda e, f, la: _questions(e, f, la, first_contact_resolution__exact=1)),
        KpiList("denominator", "first_contact_questions", lambda e, f, la: _questions(e, f, la))),
}


def _questions(e, first, last, **more):
    """The consultations and usage questions the clerk recorded, received in the month and
    not cancelled (``desk.selectors.front_desk_by_person``)."""
    from backoffice.desk.workflows import FIRST_CONTACT_CATEGORIES

    return {"recorded_by__id__exact": e, "received_at__date__gte": first.isoformat(),
            "received_at__date__lte": last.isoformat(), "scope": "not_cancelled",
            "category__in": ",".join(FIRST_CONTACT_CATEGORIES), **more}


#: the questions the person answered on the first call, without an engineer
FIRST_CONTACT_LIST = KpiList(
    "count", "tickets_first_contact",
    lambda e, f, la: {"assignee__isnull": 1, "resolved_by__id__exact": e,
                      "first_contact_resolution__exact": 1,
                      "resolved_at__date__gte": f.isoformat(),
                      "resolved_at__date__lte": la.isoformat()})


def derive_figures(c: KpiCounts) -> dict[str, Decimal | None]:
    """The seven KPI figures from the counts; ``None`` where there is nothing to measure."""
    mean = None
    if c.rated:
        mean = (Decimal(c.satisfaction_sum) / Decimal(c.rated)).quantize(TWO_PLACES,
                                                                          ROUND_HALF_UP)
    held_hours = None
    if c.held:
        held_hours = (Decimal(c.held_seconds) / Decimal(c.held) / 3600).quantize(
            TWO_PLACES, ROUND_HALF_UP)
    hours = None
    if c.responded:
        hours = (Decimal(c.response_seconds) / Decimal(c.responded) / 3600).quantize(
            TWO_PLACES, ROUND_HALF_UP)
    return {
        Kpi.SATISFACTION_MEAN.value: mean,
        Kpi.SATISFIED_SHARE.value: _share(c.satisfied, c.rated),
        Kpi.SELF_RATED_SHARE.value: _share(c.rated_by_link, c.rated),
        Kpi.RESOLUTION_RATE.value: _share(c.received_resolved, c.received),
        Kpi.AVG_RESPONSE_HOURS.value: hours,
        Kpi.RESPONSE_IN_TIME_SHARE.value: _share(c.answered_in_time, c.response_measured),
        Kpi.RECORD_COMPLETENESS.value: record_completeness(c),
        Kpi.AVG_HELD_HOURS.value: held_hours,
        Kpi.AVG_FORWARD_MINUTES.value: _ratio(c.forward_seconds, c.forwarded * 60),
        Kpi.FIRST_CONTACT_SHARE.value: _share(c.answered_first, c.questions),
        Kpi.FOLLOWUP_ON_TIME_SHARE.value: _share(c.followups_on_time, c.followups_due),
        Kpi.SPOT_CHECK_SCORE.value: _ratio(c.spot_check_sum, c.spot_checks),
    }


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(TWO_PLACES, ROUND_HALF_UP)


def record_completeness(c: KpiCounts) -> Decimal | None:
    """Reviewed records count their score, unreviewed ones the five-field check (100 or
    0): the average over the closed tickets (KPI_DEFINITIONS)."""
    if not c.closed:
        return None
    total = Decimal(c.unreviewed_complete) * 100 + Decimal(str(c.reviewed_score_sum or 0))
    return (total / Decimal(c.closed)).quantize(TWO_PLACES, ROUND_HALF_UP)


def _filled(name):
    return GreaterThan(Length(Trim(name)), 0)


def ticket_kpis(month: dt.date, employee_ids=None) -> dict[int, KpiCounts]:
    """Per person, the ticket counts of the month, in ONE grouped aggregate query.

    Which tickets count (P = the month, local time; "assignee" is the ticket's current
    engineer). Every count but the last is the assignee's; a ticket without one counts in
    nobody's figures:

    - **received** (denominator of the resolution rate): ``received_at`` in P, not
      cancelled. The response KPIs use the same tickets:
      - **responded / response_seconds**: those with ``first_response_seconds`` (working
        seconds from arrival to first response, stamped by the ticket); the average
        first-response time is ``response_seconds / responded / 3600`` working hours;
      - **response_measured / answered_in_time**: those with ``response_met`` set (a
        response target applied) and those with ``response_met`` true.
    - **received_resolved** (numerator of the resolution rate): of the received ones,
      those with ``resolved_at`` before the end of P. The resolution rate is
      received_resolved / received: the share of the month's tickets resolved within
      the month, never above 100 %.
    - **resolved**: ``resolved_at`` in P, whatever the arrival date (a reopened ticket
      loses its ``resolved_at`` and counts again when it is resolved again): the
      month's throughput, a count, not a rate's numerator.
    - **rated / satisfied / satisfaction_sum**: among the resolved ones, those with a
      rating given at confirmation (:data:`CONFIRMATION_RATING`: by the customer's own
      link or by phone, recorded by staff; never a follow-up survey's), those rated 4 or
      5, and the sum of those ratings (mean = sum / rated).
    - **rated_by_link**: among the rated ones, those the customer rated by their own
      confirmation link; the share rated by the customer themself is rated_by_link /
      rated.
    - **closed / records_complete**: state "closed" with ``closed_at`` in P (cancelled
      tickets also get ``closed_at`` and are left out), and among them those whose
      service record has diagnosis, process, solution, customer feedback and the
      customer's confirmation (``confirmed_by`` and ``confirmed_at``) all filled.
    - **records_reviewed / reviewed_score_sum / unreviewed_complete**: of the closed
      ones, those whose service-record review is done (``service_review`` reviewed, a
      one-to-one join), the sum of their scores, and the unreviewed ones complete by the
      five-field check: completeness = (unreviewed_complete × 100 + reviewed_score_sum)
      / closed.
    - **assigned**: the assignee's tickets matching any of the above (who had work).
    - **first_contact**: tickets without an assignee that a clerk answered on the first
      call (``first_contact_resolution``) with ``resolved_at`` in P, counted for
      ``resolved_by``, the clerk: never in an engineer's figures.

    The row's person is the assignee, or for a first-call answer the one who resolved it
    (``COALESCE(assignee_id, resolved_by_id)``), so both kinds are one GROUP BY.

    - **held / held_seconds** (a second grouped query, :func:`held_by_person`): the
      tickets resolved in P that the person held at their support level, and the working
      time they held them (their own spans of the level clock; waits and the other
      levels' time left out): the average time holding a resolved ticket.
    """
    start, end = month_bounds(month)
    held = Q(assignee__isnull=False)
    in_month = Q(received_at__gte=start, received_at__lt=end)
    resolved = held & Q(resolved_at__gte=start, resolved_at__lt=end)
    closed = held & Q(state=TicketStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
    received = held & in_month & NOT_CANCELLED
    rated = resolved & CONFIRMATION_RATING
    first_contact = Q(assignee__isnull=True, resolved_by__isnull=False,
                      first_contact_resolution=True, resolved_at__gte=start,
                      resolved_at__lt=end)
    complete = Q(confirmed_at__isnull=False)
    for name in RECORD_FIELDS:
        complete &= Q(_filled(name))
    reviewed = closed & Q(service_review__state=ReviewStatus.REVIEWED)

    tickets = Ticket.objects.filter((held & (in_month | resolved | closed)) | first_contact)
    if employee_ids is not None:
        ids = list(employee_ids)
        tickets = tickets.filter(Q(assignee_id__in=ids)
                                 | Q(assignee__isnull=True, resolved_by_id__in=ids))
    rows = (tickets.order_by().annotate(person=Coalesce("assignee_id", "resolved_by_id"))
            .values("person").annotate(
        received=Count("id", filter=received),
        resolved=Count("id", filter=resolved),
        received_resolved=Count("id", filter=received & Q(resolved_at__lt=end)),
        rated=Count("id", filter=rated),
        satisfied=Count("id", filter=rated & Q(satisfaction__gte=4)),
        satisfaction_sum=Sum("satisfaction", filter=rated, default=0),
        rated_by_link=Count("id", filter=rated & Q(
            satisfaction_source=RatingSource.CUSTOMER_LINK)),
        responded=Count("id", filter=received & Q(first_response_seconds__isnull=False)),
        response_seconds=Sum("first_response_seconds", filter=received, default=0),
        response_measured=Count("id", filter=received & Q(response_met__isnull=False)),
        answered_in_time=Count("id", filter=received & Q(response_met=True)),
        closed=Count("id", filter=closed),
        records_complete=Count("id", filter=closed & complete),
        records_reviewed=Count("id", filter=reviewed),
        reviewed_score_sum=Sum("service_review__score", filter=reviewed, default=Decimal("0")),
        unreviewed_complete=Count("id", filter=closed & complete & ~Q(
            service_review__state=ReviewStatus.REVIEWED)),
        first_contact=Count("id", filter=first_contact),
        assigned=Count("id", filter=held),
    ))
    counts = {row.pop("person"): row for row in rows}
    for person, (held, seconds) in held_by_person(start, end, employee_ids).items():
        row = counts.setdefault(person, {})
        row["held"], row["held_seconds"] = held, seconds
    for person, figures in clerk_counts(month, employee_ids).items():
        counts.setdefault(person, {}).update(figures)
    return {person: KpiCounts(**row) for person, row in counts.items()}


def clerk_counts(month: dt.date, employee_ids=None) -> dict[int, dict[str, int]]:
    """Person -> the front desk's counts of the month (seed 001 §4, seed 002), one grouped
    query per source: the tickets they recorded (desk), the follow-up calls due (care) and
    the manager's spot checks of their calls (desk). Counted for everyone; the clerk's
    appraisal judges them (see :data:`training.workflows.ROLE_KPIS`)."""
    from backoffice.care.selectors import followups_on_time_by_person
    from backoffice.desk.selectors import front_desk_by_person, spot_checks_by_person

    start, end = month_bounds(month)
    first_day = month.replace(day=1)
    last_day = (first_day + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    counts: dict[int, dict[str, int]] = {}
    for person, row in front_desk_by_person(start, end, employee_ids).items():
        counts.setdefault(person, {}).update(
            forwarded=row["forwarded"], forward_seconds=row["forward_seconds"],
            questions=row["questions"], answered_first=row["answered_first"])
    for person, (due, on_time) in followups_on_time_by_person(
            first_day, last_day, employee_ids).items():
        counts.setdefault(person, {}).update(followups_due=due, followups_on_time=on_time)
    for person, (checks, total) in spot_checks_by_person(start, end, employee_ids).items():
        counts.setdefault(person, {}).update(spot_checks=checks, spot_check_sum=total)
    return counts


def held_by_person(start, end, employee_ids=None) -> dict[int, tuple[int, int]]:
    """Person -> (tickets resolved in [start, end) they held, working seconds they held
    them), from the level clock's working spans: one grouped query."""
    spans = TicketClockSpan.objects.filter(
        kind=ClockKind.WORKING, assignee__isnull=False, ticket__resolved_at__gte=start,
        ticket__resolved_at__lt=end)
    if employee_ids is not None:
        spans = spans.filter(assignee_id__in=list(employee_ids))
    rows = (spans.order_by().values("assignee_id")
            .annotate(held=Count("ticket_id", distinct=True),
                      seconds=Sum("working_seconds", default=0)))
    return {row["assignee_id"]: (row["held"], row["seconds"]) for row in rows}


def role_members() -> tuple[set[int], set[int]]:
    """(engineers, clerks who are not engineers): the two groups appraisals are made for;
    two queries, read once by whoever appraises many months."""
    engineers = set(roles.users_in_role("engineer").values_list("pk", flat=True))
    clerks = set(roles.users_in_role("clerk").values_list("pk", flat=True)) - engineers
    return engineers, clerks


def appraised_roles(kpis: dict[int, KpiCounts], employee_ids=None,
                    members=None) -> dict[int, str]:
    """Who is appraised, and as what: active users in the engineer role and anyone who
    had tickets assigned, as engineers; active users in the clerk role (and not engineers),
    as clerks, with the clerk's KPIs. Two queries (the two groups) unless ``members``
    (:func:`role_members`) are given. With ``employee_ids``, only those people, each with
    their role (an engineer's by default)."""
    engineers, clerks = members or role_members()
    if employee_ids is not None:
        return {pk: AppraisalRole.CLERK if pk in clerks else AppraisalRole.ENGINEER
                for pk in employee_ids}
    result = {pk: AppraisalRole.ENGINEER for pk in engineers}
    result.update({pk: AppraisalRole.ENGINEER for pk, counts in kpis.items()
                   if counts.assigned and pk not in clerks})
    result.update({pk: AppraisalRole.CLERK for pk in clerks})
    return result


def kpi_targets(role: str = AppraisalRole.ENGINEER) -> dict[str, str]:
    """KPI -> target as text (JSON-friendly) for one role: the configured ones over the
    defaults, only the role's KPIs."""
    return kpi_targets_by_role()[role]


def kpi_targets_by_role() -> dict[str, dict[str, str]]:
    """Role -> (KPI -> target as text), the configured ones over the defaults; one query."""
    from training.models import KpiTarget

    targets = {role: {str(k): v for k, v in ROLE_DEFAULT_TARGETS[role].items()}
               for role in AppraisalRole.values}
    for role, kpi, target in KpiTarget.objects.values_list("role", "kpi", "target"):
        if role in targets and kpi in ROLE_KPIS[role]:
            targets[role][kpi] = str(target)
    return targets


# -- sessions and results -------------------------------------------------------------------
def _evaluated(prefix=""):
    p = prefix
    return (Q(**{f"{p}attended": True})
            & (Q(**{f"{p}exam_score__isnull": False})
               | Q(**{f"{p}practical_result__in": [PracticalResult.PASSED,
                                                   PracticalResult.FAILED]})))


def _passed(prefix="", pass_mark="session__plan_item__pass_mark"):
    p = prefix
    return (_evaluated(prefix)
            & (Q(**{f"{p}exam_score__isnull": True})
               | Q(**{f"{p}exam_score__gte": F(pass_mark)}))
            & ~Q(**{f"{p}practical_result": PracticalResult.FAILED}))


def attendee_with_outcome(queryset):
    """Annotate ``evaluated``, ``passed`` and ``needs_coaching`` on attendees.

    An attendee is *evaluated* when present and given an exam score or a practical
    result; *passed* when evaluated, the exam score (if any) reaches the plan item's pass
    mark and the practical test (if any) was not failed; below the pass mark otherwise,
    which flags them for follow-up coaching until ``coached_on`` is filled.
    """
    evaluated, passed = _evaluated(), _passed()
    return queryset.annotate(
        evaluated=ExpressionWrapper(evaluated, output_field=BooleanField()),
        passed=ExpressionWrapper(passed, output_field=BooleanField()),
        needs_coaching=Case(When(evaluated & ~passed & Q(coached_on__isnull=True),
                                 then=Value(True)),
                            default=Value(False), output_field=BooleanField()),
    )


def coaching_pending_q():
    """Attendees below the pass mark whose follow-up coaching has not happened."""
    return _evaluated() & ~_passed() & Q(coached_on__isnull=True)


def session_with_results(queryset):
    """Annotate per-session attendance, averages and pass rate (one grouped query)."""
    a = "attendees__"
    present = Q(attendees__attended=True)
    evaluated = _evaluated(a)
    passed = _passed(a, pass_mark="plan_item__pass_mark")
    return queryset.annotate(
        attendee_count=Count("attendees"),
        attended_count=Count("attendees", filter=present),
        evaluated_count=Count("attendees", filter=evaluated),
        passed_count=Count("attendees", filter=passed),
        coaching_count=Count("attendees", filter=evaluated & ~passed
                             & Q(attendees__coached_on__isnull=True)),
        avg_exam=Avg("attendees__exam_score", filter=present),
        avg_survey=Avg("attendees__survey_rating", filter=present),
    ).annotate(
        pass_rate=Case(
            When(evaluated_count__gt=0,
                 then=Cast(F("passed_count"), FloatField()) * 100.0
                 / Cast(F("evaluated_count"), FloatField())),
            default=None, output_field=FloatField()),
    )


@dataclass
class ItemSummary:
    item: object
    sessions_planned: int = 0
    sessions_held: int = 0
    sessions_cancelled: int = 0
    actual_cost: Decimal = Decimal("0.00")
    invited: int = 0
    attended: int = 0
    evaluated: int = 0
    passed: int = 0
    coaching: int = 0
    avg_exam: float | None = None
    avg_survey: float | None = None

    @property
    def pass_rate(self):
        return self.passed * 100.0 / self.evaluated if self.evaluated else None


def plan_effectiveness(plan) -> tuple[list[ItemSummary], ItemSummary]:
    """Per plan item and in total: sessions, attendance, results, cost against budget.

    Two grouped queries (sessions by item and state; attendees by item), whatever the
    size of the plan.
    """
    from training.models import SessionAttendee, TrainingSession

    items = list(plan.items.select_related("trainer").order_by("seq"))
    summaries = {item.pk: ItemSummary(item=item) for item in items}
    sessions = (TrainingSession.objects.filter(plan_item__plan=plan).order_by()
                .values("plan_item_id", "state")
                .annotate(n=Count("id"), cost=Sum("actual_cost")))
    for row in sessions:
        s = summaries[row["plan_item_id"]]
        setattr(s, f"sessions_{row['state']}", row["n"])
        if row["state"] == TrainingSessionStatus.HELD:
            s.actual_cost += row["cost"] or Decimal("0.00")
    held = Q(session__state=TrainingSessionStatus.HELD)
    present = held & Q(attended=True)
    attendees = (SessionAttendee.objects.filter(session__plan_item__plan=plan).order_by()
                 .values("session__plan_item_id")
                 .annotate(n_invited=Count("id", filter=held),
                           n_attended=Count("id", filter=present),
                           n_evaluated=Count("id", filter=held & _evaluated()),
                           n_passed=Count("id", filter=held & _passed()),
                           n_coaching=Count("id", filter=held & coaching_pending_q()),
                           avg_exam=Avg("exam_score", filter=present),
                           avg_survey=Avg("survey_rating", filter=present),
                           exam_sum=Sum("exam_score", filter=present),
                           exam_n=Count("exam_score", filter=present),
                           survey_sum=Sum("survey_rating", filter=present),
                           survey_n=Count("survey_rating", filter=present)))
    total = ItemSummary(item=None)
    sums = {"exam_sum": Decimal(0), "exam_n": 0, "survey_sum": 0, "survey_n": 0}
    for row in attendees:
        s = summaries[row["session__plan_item_id"]]
        for name in ("invited", "attended", "evaluated", "passed", "coaching"):
            setattr(s, name, row[f"n_{name}"])
        s.avg_exam = float(row["avg_exam"]) if row["avg_exam"] is not None else None
        s.avg_survey = float(row["avg_survey"]) if row["avg_survey"] is not None else None
        for name in sums:
            sums[name] += row[name] or 0
    for s in summaries.values():
        for name in ("sessions_planned", "sessions_held", "sessions_cancelled", "invited",
                     "attended", "evaluated", "passed", "coaching"):
            setattr(total, name, getattr(total, name) + getattr(s, name))
        total.actual_cost += s.actual_cost
    total.avg_exam = float(sums["exam_sum"]) / sums["exam_n"] if sums["exam_n"] else None
    total.avg_survey = sums["survey_sum"] / sums["survey_n"] if sums["survey_n"] else None
    return [summaries[item.pk] for item in items], total


# -- what waits for whom --------------------------------------------------------------------
def pending_counts(user) -> dict[str, int]:
    """Plans awaiting this user's approval; appraisals awaiting their review or
    acknowledgement. Two aggregate queries."""
    from training.models import Appraisal, TrainingPlan

    counts = {"plans_to_approve": 0, "appraisals_to_review": 0, "appraisals_to_acknowledge": 0}
    if not (user and user.is_authenticated and user.is_active):
        return counts
    if user.has_perm("training.approve_trainingplan"):
        counts["plans_to_approve"] = (
            TrainingPlan.objects.filter(state=TrainingPlanStatus.SUBMITTED)
            .exclude(prepared_by=user).exclude(submitted_by=user).count())
    may_review = user.has_perm("training.review_appraisal")
    figures = Appraisal.objects.aggregate(
        to_review=Count("id", filter=Q(state=AppraisalStatus.DRAFT) & ~Q(employee=user)),
        to_acknowledge=Count("id", filter=Q(state=AppraisalStatus.REVIEWED, employee=user)),
    )
    counts["appraisals_to_review"] = figures["to_review"] if may_review else 0
    counts["appraisals_to_acknowledge"] = figures["to_acknowledge"]
    return counts


# -- training spend (a spending source of the budget) ----------------------------------------
def training_spending(year: int):
    """Spending source for the budget: the training category per month of ``year``.

    ``actual`` = held sessions' actual cost, by the month the session started;
    ``committed`` = what approved (not yet closed) plans still expect of each item - its
    budget estimate less what its held sessions already cost, never below zero - by the
    month the item is planned from. A plan that became sessions is counted once.
    """
    from django.db.models.functions import ExtractMonth

    from backoffice.platform.budget import Spend
    from training.models import TrainingPlanItem, TrainingSession

    held = TrainingSessionStatus.HELD
    actual = dict(TrainingSession.objects.filter(state=held, starts_at__year=year)
                  .annotate(m=ExtractMonth("starts_at")).values("m")
                  .annotate(v=Sum("actual_cost")).values_list("m", "v").order_by())
    committed: dict[int, Decimal] = {}
    items = (TrainingPlanItem.objects
             .filter(plan__state=TrainingPlanStatus.APPROVED, planned_start__year=year)
             .annotate(spent=Sum("sessions__actual_cost", filter=Q(sessions__state=held),
                                 default=Decimal("0")))
             .values_list("planned_start", "budget_estimate", "spent"))
    for start, estimate, spent in items:
        left = max(Decimal(estimate) - Decimal(spent), Decimal("0"))
        committed[start.month] = committed.get(start.month, Decimal("0")) + left
    for month in sorted(set(actual) | set(committed)):
        yield Spend(category="training", month=month,
                    actual=Decimal(actual.get(month) or 0).quantize(TWO_PLACES),
                    committed=committed.get(month, Decimal("0")).quantize(TWO_PLACES))
