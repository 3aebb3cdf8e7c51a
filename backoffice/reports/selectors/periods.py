"""Report periods, changelist links and time buckets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone


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
