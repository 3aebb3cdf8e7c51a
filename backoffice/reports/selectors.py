"""Figures of the dashboard and of the weekly and monthly reports (reads only).

Every figure is a database aggregate over an indexed range (``received_at``,
``resolved_at``, the open states), a handful of queries in all, so the dashboard stays
fast with a million tickets (``benchmarks/dashboard.py``). Each figure carries the link
to the changelist filtered to the tickets behind it. Time buckets (weeks, days) are cut
in the local time zone in Python and counted with one ``CASE`` per row, which works the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Avg, Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.care.models import FollowUp, MaintenanceVisit, UpdateRecipient
from backoffice.care.workflows import FollowUpStatus, RecipientStatus, VisitStatus
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article, ArticleUse
from backoffice.knowledge.workflows import ArticleStatus


# -- periods ---------------------------------------------------------------------------
def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """A report period: an ISO week (Monday to Sunday) or a calendar month."""

    kind: str
    first_day: dt.date

    @classmethod
    def of(cls, kind: str, day: dt.date) -> Period:
        if kind == "month":
            return cls("month", day.replace(day=1))
        return cls("week", week_start(day))

    @classmethod
    def from_params(cls, params, today: dt.date | None = None) -> Period:
        """``?period=week&date=2026-05-13`` or ``?period=month&month=2026-05``; default:
        the current week (or month)."""
        today = today or timezone.localdate()
        kind = "month" if params.get("period") == "month" else "week"
        raw = (params.get("month") if kind == "month" else params.get("date")) or ""
        try:
            day = (dt.date.fromisoformat(f"{raw}-01") if kind == "month" and len(raw) == 7
                   else dt.date.fromisoformat(raw))
        except ValueError:
            day = today
        return cls.of(kind, day)

    @property
    def end_day(self) -> dt.date:
        """The first day after the period."""
        if self.kind == "month":
            from backoffice.care.models import add_months

            return add_months(self.first_day, 1)
        return self.first_day + dt.timedelta(days=7)

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.end_day)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day:%Y-%m}"
        year, week, _day = self.first_day.isocalendar()
        return f"{year}-W{week:02d} ({self.first_day:%m-%d} – {self.last_day:%m-%d})"

    def previous(self) -> Period:
        return Period.of(self.kind, self.first_day - dt.timedelta(days=1))

    def next(self) -> Period:
        return Period.of(self.kind, self.end_day)

    def query(self) -> str:
        if self.kind == "month":
            return urlencode({"period": "month", "month": f"{self.first_day:%Y-%m}"})
        return urlencode({"period": "week", "date": self.first_day.isoformat()})

    def days(self) -> list[dt.date]:
        n = (self.end_day - self.first_day).days
        return [self.first_day + dt.timedelta(days=i) for i in range(n)]


# -- links -----------------------------------------------------------------------------
def changelist(model: str, **params) -> str:
    url = reverse(f"admin:backoffice_{model}_changelist")
    params = {k: v for k, v in params.items() if v is not None}
    return f"{url}?{urlencode(params)}" if params else url


def received_in(first_day: dt.date, last_day: dt.date) -> dict:
    return {"received_at__date__gte": first_day.isoformat(),
            "received_at__date__lte": last_day.isoformat()}


def resolved_in(first_day: dt.date, last_day: dt.date) -> dict:
    return {"resolved_at__date__gte": first_day.isoformat(),
            "resolved_at__date__lte": last_day.isoformat()}


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


# -- buckets ---------------------------------------------------------------------------
def bucketed(queryset, field: str, boundaries: list[dt.datetime], **aggregates) -> list[dict]:
    """Aggregate ``queryset`` per interval ``[boundaries[i], boundaries[i+1])`` of
    ``field``; one GROUP BY query, a row per interval (zeros where nothing happened)."""
    if len(boundaries) < 2:
        return []
    bucket = Case(*[When(**{f"{field}__lt": b}, then=Value(i))
                    for i, b in enumerate(boundaries[1:])],
                  output_field=IntegerField())
    rows = (queryset.filter(**{f"{field}__gte": boundaries[0], f"{field}__lt": boundaries[-1]})
            .annotate(bucket=bucket).values("bucket").annotate(**aggregates).order_by())
    found = {row["bucket"]: row for row in rows}
    empty = dict.fromkeys(aggregates)
    return [{**empty, **found.get(i, {}), "bucket": i} for i in range(len(boundaries) - 1)]


def week_boundaries(weeks: int, today: dt.date) -> list[dt.date]:
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    return [first + dt.timedelta(weeks=i) for i in range(weeks + 1)]


# -- the figures -----------------------------------------------------------------------
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
    return {
        "overdue": {"value": Ticket.objects.overdue(now).count(),
                    "link": changelist("ticket", sla="overdue")},
        "due_soon": {"value": Ticket.objects.due_soon(now).count(),
                     "link": changelist("ticket", sla="due_soon")},
    }


def response_share(period: Period, now=None) -> dict:
    """Of the tickets received in the period: the share answered within the target.

    Tickets not answered yet count against the share once their response deadline has
    passed; those still within it are left out until they are answered.
    """
    now = now or timezone.now()
    agg = Ticket.objects.filter(received_at__gte=period.start, received_at__lt=period.end
                                ).aggregate(
        met=Count("id", filter=Q(response_met=True)),
        late=Count("id", filter=Q(response_met=False)),
        missed=Count("id", filter=Q(first_response_at__isnull=True, response_due__lt=now)))
    total = agg["met"] + agg["late"] + agg["missed"]
    target = getattr(settings, "RESPONSE_TARGET_PERCENT", 95)
    share = _share(agg["met"], total)
    return {**agg, "total": total, "share": share, "target": target,
            "on_target": share is None or share >= target,
            "link": changelist("ticket", **received_in(period.first_day, period.last_day)),
            "late_link": changelist("ticket", response_met__exact=0,
                                    **received_in(period.first_day, period.last_day))}


def weekly_series(weeks: int = 12, today: dt.date | None = None) -> dict:
    """Received and resolved tickets per week, and the average satisfaction of the tickets
    resolved each week (which follow-up surveys update); two queries."""
    today = today or timezone.localdate()
    days = week_boundaries(weeks, today)
    bounds = [local_midnight(d) for d in days]
    # COUNT(*) (not COUNT(id)) and the (resolved_at, satisfaction) index let PostgreSQL
    # answer both from index-only scans
    received = bucketed(Ticket.objects.all(), "received_at", bounds, n=Count("*"))
    resolved = bucketed(Ticket.objects.all(), "resolved_at", bounds, n=Count("*"),
                        avg_satisfaction=Avg("satisfaction"), rated=Count("satisfaction"))
    labels = [f"{d:%m-%d}" for d in days[:-1]]
    return {
        "labels": labels,
        "received": [r["n"] or 0 for r in received],
        "resolved": [r["n"] or 0 for r in resolved],
        "satisfaction": [round(r["avg_satisfaction"], 2)
                         if r["avg_satisfaction"] is not None else None for r in resolved],
        "rated": [r["rated"] or 0 for r in resolved],
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
            "received": values(received), "resolved": values(resolved)}


def recurring_problems(first_day: dt.date, last_day: dt.date, limit: int = 10) -> list[dict]:
    """The category x product pairs with the most tickets received, with how many
    published articles cover each (a pair with many tickets and no article is a gap)."""
    rows = list(Ticket.objects.filter(received_at__gte=local_midnight(first_day),
                                      received_at__lt=local_midnight(last_day
                                                                     + dt.timedelta(1)))
                .values("category", "product_id", "product__name")
                .annotate(n=Count("id")).order_by("-n", "category", "product_id")[:limit])
    if not rows:
        return []
    coverage = {(c, p): n for c, p, n in Article.objects.published()
                .filter(category__in={r["category"] for r in rows})
                .values_list("category", "product_id").annotate(n=Count("id")).order_by()}
    labels = dict(wf.Category.choices)
    out = []
    for r in rows:
        product = ({"product__id__exact": r["product_id"]} if r["product_id"]
                   else {"product__isnull": "True"})
        articles = coverage.get((r["category"], r["product_id"]), 0) + (
            coverage.get((r["category"], None), 0) if r["product_id"] else 0)
        out.append({
            "category": labels.get(r["category"], r["category"]),
            "product": r["product__name"] or "-",
            "count": r["n"],
            "articles": articles,
            "link": changelist("ticket", category__exact=r["category"], **product,
                               **received_in(first_day, last_day)),
            "articles_link": changelist("article", state__exact=ArticleStatus.PUBLISHED,
                                        category__exact=r["category"]),
        })
    return out


def period_summary(period: Period, now=None) -> dict:
    """The report's headline figures for one period; three ticket queries."""
    now = now or timezone.now()
    in_period = Q(received_at__gte=period.start, received_at__lt=period.end)
    received = Ticket.objects.filter(in_period).aggregate(
        received=Count("id"),
        first_response=Avg("first_response_seconds"),
        complaints=Count("id", filter=Q(category=wf.Category.COMPLAINT)),
        emergencies=Count("id", filter=Q(priority=wf.Priority.CRITICAL)))
    resolved = Ticket.objects.filter(resolved_at__gte=period.start,
                                     resolved_at__lt=period.end).aggregate(
        resolved=Count("id"),
        in_time=Count("id", filter=Q(resolution_met=True)),
        avg_satisfaction=Avg("satisfaction"), rated=Count("satisfaction"),
        satisfied=Count("id", filter=Q(satisfaction__gte=4)))
    response = response_share(period, now)
    kb_uses = ArticleUse.objects.filter(created_at__gte=period.start,
                                        created_at__lt=period.end).count()
    figures = {
        "received": received["received"],
        "resolved": resolved["resolved"],
        "resolution_rate": _share(resolved["resolved"], received["received"]),
        "response_share": response["share"],
        "response_target": response["target"],
        "resolution_share": _share(resolved["in_time"], resolved["resolved"]),
        "first_response_hours": (round(received["first_response"] / 3600, 1)
                                 if received["first_response"] is not None else None),
        "satisfaction": (round(resolved["avg_satisfaction"], 2)
                         if resolved["avg_satisfaction"] is not None else None),
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


def by_engineer(period: Period) -> list[dict]:
    """Per engineer, the tickets received in the period they hold: how many, resolved,
    answered in time, average satisfaction."""
    from django.contrib.auth import get_user_model

    rows = (Ticket.objects.filter(received_at__gte=period.start, received_at__lt=period.end,
                                  assignee__isnull=False)
            .values("assignee_id").annotate(
                n=Count("id"), resolved=Count("id", filter=Q(resolved_at__isnull=False)),
                met=Count("id", filter=Q(response_met=True)),
                answered=Count("id", filter=Q(response_met__isnull=False)),
                avg_satisfaction=Avg("satisfaction")).order_by("-n"))
    rows = list(rows)
    users = get_user_model().objects.in_bulk([r["assignee_id"] for r in rows])
    rng = received_in(period.first_day, period.last_day)
    out = []
    for r in rows:
        user = users.get(r["assignee_id"])
        out.append({"name": (user.get_full_name() or user.username) if user else "?",
                    "count": r["n"], "resolved": r["resolved"],
                    "resolution_rate": _share(r["resolved"], r["n"]),
                    "response_share": _share(r["met"], r["answered"]),
                    "satisfaction": (round(r["avg_satisfaction"], 2)
                                     if r["avg_satisfaction"] is not None else None),
                    "link": changelist("ticket", assignee__id__exact=r["assignee_id"], **rng)})
    return out


def care_summary(period: Period) -> dict:
    """Follow-ups and maintenance in the period; two queries."""
    fu = FollowUp.objects.filter(done_at__gte=period.start, done_at__lt=period.end).aggregate(
        done=Count("id", filter=Q(state=FollowUpStatus.DONE)),
        unreachable=Count("id", filter=Q(state=FollowUpStatus.UNREACHABLE)),
        avg_rating=Avg("rating"))
    visits = MaintenanceVisit.objects.filter(due_on__gte=period.first_day,
                                             due_on__lte=period.last_day).aggregate(
        due=Count("id"), done=Count("id", filter=Q(state=VisitStatus.DONE)),
        skipped=Count("id", filter=Q(state=VisitStatus.SKIPPED)),
        open=Count("id", filter=Q(state=VisitStatus.PLANNED)))
    return {"followups_done": fu["done"], "followups_unreachable": fu["unreachable"],
            "followup_rating": (round(fu["avg_rating"], 2) if fu["avg_rating"] is not None
                                else None),
            "visits_due": visits["due"], "visits_done": visits["done"],
            "visits_skipped": visits["skipped"], "visits_open": visits["open"],
            "links": {
                "followups": changelist("followup", done_at__date__gte=period.first_day,
                                        done_at__date__lte=period.last_day),
                "visits": changelist("maintenancevisit", due_on__gte=period.first_day,
                                     due_on__lte=period.last_day)}}


# -- the signed-in user's work ---------------------------------------------------------
def my_work(user, today: dt.date | None = None) -> list[dict]:
    """Cards of what is waiting for this user, by what their role lets them do."""
    today = today or timezone.localdate()
    cards = []
    works = user.has_perm("backoffice.work_ticket")
    if user.has_perm("backoffice.view_ticket") and (works
                                                     or user.has_perm("backoffice.assign_ticket")):
        agg = Ticket.objects.filter(state__in=wf.OPEN_STATES).aggregate(
            mine=Count("id", filter=Q(assignee=user) | Q(recorded_by=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True, state=wf.TicketStatus.NEW)))
        cards.append({"title": _("My open tickets"), "value": agg["mine"],
                      "icon": "assignment_ind",
                      "link": changelist("ticket", mine="1", status="open")})
        if works:
            late = Ticket.objects.overdue().filter(assignee=user).count()
            cards.append({"title": _("My overdue tickets"), "value": late, "icon": "alarm",
                          "alert": late > 0, "link": changelist("ticket", mine="1",
                                                                 sla="overdue")})
        if user.has_perm("backoffice.assign_ticket"):
            cards.append({"title": _("New, not yet assigned"), "value": agg["unassigned"],
                          "icon": "person_search",
                          "link": changelist("ticket", mine="unassigned",
                                             state__exact=wf.TicketStatus.NEW)})
    if user.has_perm("backoffice.write_article"):
        n = Article.objects.filter(author=user, state=ArticleStatus.DRAFT).count()
        cards.append({"title": _("My draft articles"), "value": n, "icon": "edit_note",
                      "link": changelist("article", author__id__exact=user.pk,
                                         state__exact=ArticleStatus.DRAFT)})
    if user.has_perm("backoffice.perform_followup"):
        agg = FollowUp.objects.filter(state=FollowUpStatus.OPEN, due_on__lte=today).aggregate(
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)))
        cards.append({"title": _("My follow-up calls due"), "value": agg["mine"],
                      "icon": "support_agent",
                      "link": changelist("followup", mine="1", due="today")})
        if agg["unassigned"]:
            cards.append({"title": _("Follow-up calls nobody took"),
                          "value": agg["unassigned"], "icon": "phone_callback",
                          "link": changelist("followup", mine="unassigned", due="today")})
    if user.has_perm("backoffice.record_maintenancevisit"):
        n = MaintenanceVisit.objects.filter(
            state=VisitStatus.PLANNED, engineer=user,
            due_on__lte=today + dt.timedelta(days=7)).count()
        cards.append({"title": _("My maintenance visits this week"), "value": n,
                      "icon": "build", "link": changelist("maintenancevisit", mine="1",
                                                          state__exact=VisitStatus.PLANNED)})
    return cards


def waiting_for(user) -> list[dict]:
    """Decisions waiting for this user in the service desk (title/count/link)."""
    items = []
    if user.has_perm("backoffice.publish_article"):
        n = (Article.objects.filter(state=ArticleStatus.IN_REVIEW).exclude(author=user)
             .count())
        items.append({"title": _("Knowledge articles to review"), "count": n,
                      "link": changelist("article", state__exact=ArticleStatus.IN_REVIEW)})
    desk = []
    if user.has_perm("backoffice.evaluate_requirement"):
        desk.append(("requirement_review", _("New requirements to evaluate")))
    if user.has_perm("backoffice.handle_complaint"):
        desk.append(("complaint_handling", _("Complaints to handle")))
    if desk:
        agg = Ticket.objects.filter(state__in=[s for s, _l in desk]).aggregate(
            **{s: Count("id", filter=Q(state=s)) for s, _l in desk})
        items += [{"title": title, "count": agg[s], "link": changelist("ticket", state__exact=s)}
                  for s, title in desk]
    return items


def care_alerts(user, today: dt.date | None = None) -> list[dict]:
    """Customers at risk of being forgotten: overdue follow-ups and visits, notices not
    yet sent, stale articles."""
    today = today or timezone.localdate()
    cards = []
    if user.has_perm("backoffice.perform_followup"):
        n = FollowUp.objects.filter(state=FollowUpStatus.OPEN, due_on__lt=today).count()
        cards.append({"title": _("Overdue follow-up calls"), "value": n, "icon": "phone_missed",
                      "alert": n > 0, "link": changelist("followup", due="overdue")})
    if user.has_perm("backoffice.view_maintenancevisit"):
        n = MaintenanceVisit.objects.filter(state=VisitStatus.PLANNED, due_on__lt=today).count()
        cards.append({"title": _("Overdue maintenance visits"), "value": n, "icon": "build",
                      "alert": n > 0, "link": changelist("maintenancevisit", overdue="1")})
    if user.has_perm("backoffice.handle_updaterecipient"):
        n = UpdateRecipient.objects.filter(state=RecipientStatus.PENDING).count()
        cards.append({"title": _("Customers not yet told about an update"), "value": n,
                      "icon": "campaign", "alert": False,
                      "link": changelist("updaterecipient",
                                         state__exact=RecipientStatus.PENDING)})
    if user.has_perm("backoffice.publish_article"):
        n = Article.objects.stale().count()
        cards.append({"title": _("Stale knowledge articles"), "value": n, "icon": "history",
                      "alert": False, "link": changelist("article", stale="1")})
    return cards
