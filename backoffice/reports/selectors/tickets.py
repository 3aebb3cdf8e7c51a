"""Ticket figures: volume, deadlines, response share, series, recurring problems, the
people's figures and the confirmations to look at again.

Satisfaction figures are the ratings given when the customer confirmed the solution (by
their own link, or by phone, recorded by staff): :data:`CONFIRMATION_RATING`. A follow-up
survey keeps its own rating on the follow-up (``care_summary`` reports those); tickets
migrated from the time surveys overwrote the confirmation carry ``follow_up`` and are
left out.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.desk.selectors import NOT_CANCELLED
from backoffice.knowledge.models import Article, ArticleUse
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.dashboard import deferred_count, resolved, settled
from backoffice.reports.selectors.periods import (
    Period,
    _share,
    bucketed,
    changelist,
    local_midnight,
    received_in,
    resolved_in,
    week_boundaries,
)

#: tickets of one category and product in a period, none recorded as a problem, that make
#: them a recurring problem nobody has recorded yet
UNRECORDED_AT_LEAST = 3

#: "due soon" on the dashboard: a deadline within this time from now
DUE_SOON = dt.timedelta(hours=2)

#: the ratings the satisfaction figures average: given at confirmation, not by a survey
CONFIRMATION_RATING = ~Q(satisfaction_source=wf.RatingSource.FOLLOW_UP)


def open_by_state_priority() -> dict:
    """Open tickets as a state x priority table, every cell linked; one query."""
    counts = {(s, p): n for s, p, n in Ticket.objects.filter(state__in=wf.OPEN_STATES)
              .values_list("state", "priority").annotate(n=Count("id")).order_by()}
    priorities = list(wf.Priority.choices)
    rows = []
    for state, state_label in wf.TicketStatus.choices:
        if state not in wf.OPEN_STATES:
            continue
        cells = [{"value": counts.get((state, p), 0),
                  "link": changelist("ticket", state__exact=state, priority__exact=p)}
                 for p, _label in priorities]
        total = sum(c["value"] for c in cells)
        rows.append({"state": state, "label": state_label, "cells": cells, "total": total,
                     "link": changelist("ticket", state__exact=state)})
    totals = [{"value": sum(counts.get((s, p), 0) for s in wf.OPEN_STATES),
               "link": changelist("ticket", status="open", priority__exact=p)}
              for p, _label in priorities]
    return {"priorities": [label for _p, label in priorities], "rows": rows, "totals": totals,
            "total": sum(counts.values()), "link": changelist("ticket", status="open")}


def deadline_counts(now=None) -> dict:
    now = now or timezone.now()
    return settled({
        "overdue": {"value": deferred_count(Ticket.objects.overdue(now)),
                    "link": changelist("ticket", sla="overdue")},
        "due_soon": {"value": deferred_count(Ticket.objects.due_soon(now, within=DUE_SOON)),
                     "link": changelist("ticket", sla="due_soon")},
    })


def now_counts(now=None) -> dict:
    """The figures of now, by the keys of ``definitions``' figures without a period:
    open tickets, overdue, due soon; three counts."""
    now = now or timezone.now()
    return {"open": Ticket.objects.filter(state__in=wf.OPEN_STATES).count(),
            **{key: row["value"] for key, row in deadline_counts(now).items()}}


def response_share(period: Period, now=None) -> dict:
    """Of the tickets received in the period: the share answered within the target.

    Tickets not answered yet count against the share once their response deadline has
    passed; those still within it are left out until they are answered.
    """
    now = now or timezone.now()
    received = Ticket.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    agg = resolved({  # with the page's other counts (platform.dashboard.read_together)
        "met": deferred_count(received.filter(response_met=True)),
        "late": deferred_count(received.filter(response_met=False)),
        "missed": deferred_count(received.filter(first_response_at__isnull=True,
                                                 response_due__lt=now))})
    total = agg["met"] + agg["late"] + agg["missed"]
    target = getattr(settings, "RESPONSE_TARGET_PERCENT", 95)
    share = _share(agg["met"], total)
    return {**agg, "total": total, "share": share, "target": target,
            "on_target": share is None or share >= target,
            "link": changelist("ticket", **received_in(period.first_day, period.last_day)),
            "late_link": changelist("ticket", response_met__exact=0,
                                    **received_in(period.first_day, period.last_day))}


def weekly_series(weeks: int = 12, today: dt.date | None = None) -> dict:
    """Received and resolved tickets per week, and the average rating given at
    confirmation of the tickets resolved each week (follow-up surveys keep theirs); two
    queries."""
    today = today or timezone.localdate()
    days = week_boundaries(weeks, today)
    bounds = [local_midnight(d) for d in days]
    # COUNT(*) (not COUNT(id)) and the (resolved_at, satisfaction) index let PostgreSQL
    # answer the received count from an index-only scan
    received = bucketed(Ticket.objects.all(), "received_at", bounds, n=Count("*"))
    resolved = bucketed(Ticket.objects.all(), "resolved_at", bounds, n=Count("*"),
                        avg_satisfaction=Avg("satisfaction", filter=CONFIRMATION_RATING),
                        rated=Count("satisfaction", filter=CONFIRMATION_RATING))
    labels = [f"{d:%m-%d}" for d in days[:-1]]
    weeks_shown = [(first, nxt - dt.timedelta(days=1)) for first, nxt in pairwise(days)]
    return {
        "labels": labels,
        "received": [r["n"] or 0 for r in received],
        "resolved": [r["n"] or 0 for r in resolved],
        "satisfaction": [round(r["avg_satisfaction"], 2)
                         if r["avg_satisfaction"] is not None else None for r in resolved],
        "rated": [r["rated"] or 0 for r in resolved],
        # each week's point or bar opens that week's tickets
        "received_links": [changelist("ticket", **received_in(*w)) for w in weeks_shown],
        "resolved_links": [changelist("ticket", **resolved_in(*w)) for w in weeks_shown],
        "received_link": changelist("ticket", **received_in(days[0], days[-1] - dt.timedelta(1))),
        "resolved_link": changelist("ticket", **resolved_in(days[0], days[-1] - dt.timedelta(1))),
    }


def daily_series(period: Period) -> dict:
    days = period.days()
    bounds = [local_midnight(d) for d in [*days, period.end_day]]
    received = bucketed(Ticket.objects.all(), "received_at", bounds, n=Count("*"))
    resolved = bucketed(Ticket.objects.all(), "resolved_at", bounds, n=Count("*"))
    today = timezone.localdate()

    def values(rows):  # days still to come stay empty instead of drawing a zero
        return [None if day > today else (r["n"] or 0) for day, r in zip(days, rows,
                                                                          strict=True)]

    return {"days": days, "labels": [f"{d:%m-%d}" for d in days],
            "received": values(received), "resolved": values(resolved),
            "received_links": [changelist("ticket", **received_in(d, d)) for d in days],
            "resolved_links": [changelist("ticket", **resolved_in(d, d)) for d in days]}


def recurring_problems(first_day: dt.date, last_day: dt.date, limit: int = 10) -> list[dict]:
    """The problem records with the most tickets received in the period (each with its
    workaround article), then the recurring tickets nobody has recorded yet: category x
    product groups of at least :data:`UNRECORDED_AT_LEAST` tickets linked to no problem
    record, with how many published articles cover each (``kind`` tells them apart)."""
    from django.urls import reverse

    from backoffice.incidents.selectors import problem_counts, unrecorded_recurring

    starts, ends = local_midnight(first_day), local_midnight(last_day + dt.timedelta(1))
    labels = dict(wf.Category.choices)
    out = []
    for problem in problem_counts(starts, ends, limit):
        out.append({
            "kind": "problem", "number": problem.number, "title": problem.title,
            "state": problem.get_state_display(), "category": problem.title,
            "product": problem.product.name, "count": problem.period_count,
            "total": problem.total_count, "articles": 1 if problem.article_id else 0,
            "link": reverse("admin:backoffice_problem_change", args=[problem.pk]),
            "articles_link": (reverse("admin:backoffice_article_change",
                                      args=[problem.article_id])
                              if problem.article_id else None),
        })
    rows = unrecorded_recurring(starts, ends, at_least=UNRECORDED_AT_LEAST, limit=limit)
    coverage = {(c, p): n for c, p, n in Article.objects.published()
                .filter(category__in={r["category"] for r in rows})
                .values_list("category", "product_id").annotate(n=Count("id")).order_by()
                } if rows else {}
    for r in rows:
        articles = (coverage.get((r["category"], r["product_id"]), 0)
                    + coverage.get((r["category"], None), 0))
        out.append({
            "kind": "unrecorded", "number": "", "title": "", "state": "",
            "category": labels.get(r["category"], r["category"]),
            "product": r["product__name"], "count": r["n"], "total": None,
            "articles": articles,
            "link": changelist("ticket", category__exact=r["category"],
                               product__id__exact=r["product_id"],
                               **received_in(first_day, last_day)),
            "articles_link": changelist("article", state__exact=ArticleStatus.PUBLISHED,
                                        category__exact=r["category"]),
        })
    return out


def _hours(seconds, places=1):
    return None if seconds is None else round(seconds / 3600, places)


def _wall(later: str, earlier: str):
    """Average wall-clock time from one moment to another (an interval on PostgreSQL,
    microseconds on SQLite: both come back as a timedelta)."""
    return Avg(ExpressionWrapper(F(later) - F(earlier), output_field=DurationField()))


def _wall_hours(value, places=1):
    return None if value is None else round(value.total_seconds() / 3600, places)


#: the cohort of the resolution rate and the response times: received in the period and
#: not cancelled (a cancelled ticket is not resolved, nor meant to be)
COHORT = NOT_CANCELLED


def cohort_figures(period: Period) -> dict:
    """Of the tickets received in the period (not cancelled): how many were resolved by
    the end of the period (the resolution rate, never above 100 %), and their average
    first response in working hours (``first_response_seconds``, on the ticket's
    calendar, less the waiting) and in wall-clock hours (``first_response_at -
    received_at``); one query."""
    agg = Ticket.objects.filter(COHORT, received_at__gte=period.start,
                                received_at__lt=period.end).aggregate(
        cohort=Count("id"),
        resolved=Count("id", filter=Q(resolved_at__lt=period.end)),
        responded=Count("first_response_seconds"),
        response_working=Avg("first_response_seconds"),
        response_wall=_wall("first_response_at", "received_at"))
    return {"cohort": agg["cohort"], "resolved": agg["resolved"],
            "resolution_rate": _share(agg["resolved"], agg["cohort"]),
            "responded": agg["responded"],
            "response_working_hours": _hours(agg["response_working"]),
            "response_wall_hours": _wall_hours(agg["response_wall"])}


def resolution_times(period: Period) -> dict:
    """Of the tickets resolved in the period (whenever received): their average time to
    resolution in working hours (``resolution_seconds``: on the ticket's calendar, less
    the waiting) and in wall-clock hours (``resolved_at - received_at``); one query."""
    agg = Ticket.objects.filter(resolved_at__gte=period.start,
                                resolved_at__lt=period.end).aggregate(
        measured=Count("resolution_seconds"), working=Avg("resolution_seconds"),
        wall=_wall("resolved_at", "received_at"))
    return {"resolution_n": agg["measured"],
            "resolution_working_hours": _hours(agg["working"]),
            "resolution_wall_hours": _wall_hours(agg["wall"])}


def period_summary(period: Period, now=None) -> dict:
    """The report's headline figures for one period; five ticket queries. Satisfaction
    is the average rating given at confirmation (link or phone) of the tickets resolved
    in the period. The resolution rate is the cohort's (:func:`cohort_figures`); the
    tickets resolved in the period, whenever received, are the throughput."""
    now = now or timezone.now()
    in_period = Q(received_at__gte=period.start, received_at__lt=period.end)
    received = Ticket.objects.filter(in_period).aggregate(
        received=Count("id"),
        complaints=Count("id", filter=Q(category=wf.Category.COMPLAINT)),
        emergencies=Count("id", filter=Q(priority=wf.Priority.CRITICAL)))
    resolved = Ticket.objects.filter(resolved_at__gte=period.start,
                                     resolved_at__lt=period.end).aggregate(
        resolved=Count("id"),
        in_time=Count("id", filter=Q(resolution_met=True)),
        avg_satisfaction=Avg("satisfaction", filter=CONFIRMATION_RATING),
        rated=Count("satisfaction", filter=CONFIRMATION_RATING),
        satisfied=Count("id", filter=CONFIRMATION_RATING & Q(satisfaction__gte=4)))
    cohort = cohort_figures(period)
    response = response_share(period, now)
    kb_uses = ArticleUse.objects.filter(created_at__gte=period.start,
                                        created_at__lt=period.end).count()
    figures = {
        "received": received["received"],
        "resolved": resolved["resolved"],
        "cohort": cohort["cohort"],
        "cohort_resolved": cohort["resolved"],
        "resolution_rate": cohort["resolution_rate"],
        "response_share": response["share"],
        "response_met": response["met"],
        "response_total": response["total"],
        "response_missed": response["late"] + response["missed"],
        "response_target": response["target"],
        "resolution_share": _share(resolved["in_time"], resolved["resolved"]),
        "resolved_in_time": resolved["in_time"],
        "first_response_n": cohort["responded"],
        "first_response_hours": cohort["response_working_hours"],
        "first_response_wall_hours": cohort["response_wall_hours"],
        **resolution_times(period),
        "satisfaction": (round(resolved["avg_satisfaction"], 2)
                         if resolved["avg_satisfaction"] is not None else None),
        "rated": resolved["rated"],
        "satisfied": resolved["satisfied"],
        "satisfied_share": _share(resolved["satisfied"], resolved["rated"]),
        "complaints": received["complaints"],
        "emergencies": received["emergencies"],
        "kb_resolved": kb_uses,
        "kb_share": _share(kb_uses, resolved["resolved"]),
    }
    rng = received_in(period.first_day, period.last_day)
    figures["links"] = {
        "received": changelist("ticket", **rng),
        "resolved": changelist("ticket", **resolved_in(period.first_day, period.last_day)),
        "complaints": changelist("ticket", category__exact=wf.Category.COMPLAINT, **rng),
        "emergencies": changelist("ticket", priority__exact=wf.Priority.CRITICAL, **rng),
        "late": response["late_link"],
    }
    return figures


def by_category(period: Period) -> list[dict]:
    counts = dict(Ticket.objects.filter(received_at__gte=period.start,
                                        received_at__lt=period.end)
                  .values_list("category").annotate(n=Count("id")).order_by())
    rng = received_in(period.first_day, period.last_day)
    return [{"label": label, "count": counts.get(value, 0),
             "link": changelist("ticket", category__exact=value, **rng)}
            for value, label in wf.Category.choices]


def by_person(period: Period) -> list[dict]:
    """Per person, in ONE grouped query: the engineer's tickets received in the period,
    not cancelled (how many, of them resolved by the end of the period - the engineer's
    resolution rate, never above 100 % -, answered in time, average rating given at
    confirmation), and
    the questions a clerk answered on the first call (tickets without an engineer,
    ``first_contact_resolution``, resolved in the period), counted for ``resolved_by``.

    The row's person is ``COALESCE(assignee_id, resolved_by_id)``: a first-call answer
    has no assignee, so it never reaches an engineer's figures.
    """
    held = Q(assignee__isnull=False, received_at__gte=period.start,
             received_at__lt=period.end) & COHORT
    first_contact = Q(assignee__isnull=True, resolved_by__isnull=False,
                      first_contact_resolution=True, resolved_at__gte=period.start,
                      resolved_at__lt=period.end)
    rows = list(Ticket.objects.filter(held | first_contact).order_by()
                .annotate(person=Coalesce("assignee_id", "resolved_by_id"))
                .values("person").annotate(
                    n=Count("id", filter=held),
                    resolved=Count("id", filter=held & Q(resolved_at__lt=period.end)),
                    met=Count("id", filter=held & Q(response_met=True)),
                    answered=Count("id", filter=held & Q(response_met__isnull=False)),
                    avg_satisfaction=Avg("satisfaction", filter=held & CONFIRMATION_RATING),
                    first_contact=Count("id", filter=first_contact))
                .order_by("-n", "-first_contact", "person"))
    users = get_user_model().objects.in_bulk([r["person"] for r in rows])
    received = received_in(period.first_day, period.last_day)
    resolved = resolved_in(period.first_day, period.last_day)
    out = []
    for r in rows:
        user = users.get(r["person"])
        out.append({"name": (user.get_full_name() or user.username) if user else "?",
                    "count": r["n"], "resolved": r["resolved"],
                    "resolution_rate": _share(r["resolved"], r["n"]),
                    "response_share": _share(r["met"], r["answered"]),
                    "satisfaction": (round(r["avg_satisfaction"], 2)
                                     if r["avg_satisfaction"] is not None else None),
                    "first_contact": r["first_contact"],
                    # the lists of exactly the tickets counted (``held``, ``first_contact``)
                    "link": (changelist("ticket", assignee__id__exact=r["person"],
                                        scope="not_cancelled", **received)
                             if r["n"] else None),
                    "first_contact_link": (
                        changelist("ticket", first_contact_resolution__exact=1,
                                   assignee__isnull=1, resolved_by__id__exact=r["person"],
                                   **resolved)
                        if r["first_contact"] else None)})
    return out


def doubted_confirmations(limit: int = 10) -> dict:
    """Tickets the customer confirmed while contradicting themself (a rating of 1-2, or a
    comment saying the problem persists), waiting in state "confirmed" for staff to
    reopen them or close them anyway: the newest ``limit`` by confirmation, with the
    customer, engineer and whoever resolved them, in one query (``limit + 1`` rows read
    to know whether there are more), and the link to all of them."""
    tickets = list(Ticket.objects.filter(state=wf.TicketStatus.CONFIRMED)
                   .exclude(confirmation_doubt="")
                   .select_related("customer", "assignee", "resolved_by")
                   .order_by("-confirmed_at", "-id")[:limit + 1])
    return {"tickets": tickets[:limit], "more": len(tickets) > limit,
            "link": changelist("ticket", state__exact=wf.TicketStatus.CONFIRMED,
                               confirmation_doubt__gt="")}
