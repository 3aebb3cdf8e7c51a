"""Working-time arithmetic on the department's business calendar.

A calendar has working periods per weekday (e.g. 09:00-12:00, 13:30-18:00), public
holidays on which nothing runs, and the make-up working days (调休) that Chinese
calendars put on weekends, which run on Monday's hours. Deadlines are "N working
minutes after the ticket arrived", plus whatever time the ticket spent waiting for the
customer; critical tickets can run round the clock.

A calendar knows the years it has holidays for (``known_years``: a year with at least
one public holiday, see ``desk.calendar_data``). Arithmetic that crosses a day of any
other year still runs (on the weekly hours alone) but records the year in
``guessed_years``, so a deadline computed without holidays is never silent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.utils import timezone

MAX_DAYS = 3 * 366  # a deadline further away than this is a configuration error


@dataclass
class WorkingCalendar:
    periods: dict[int, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    round_the_clock: bool = False
    #: years with holiday data; None: every year counts as known (a bare test calendar)
    known_years: set[int] | None = None
    #: years whose days the arithmetic crossed without holiday data
    guessed_years: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, calendar=None, *, round_the_clock=False) -> WorkingCalendar:
        """The arithmetic of a ``BusinessCalendar`` (the standard week when there is none)."""
        if calendar is None:
            return cls.standard(round_the_clock=round_the_clock)
        return cls.from_rows(
            calendar.periods.order_by("weekday", "start").values_list("weekday", "start", "end"),
            calendar.days.values_list("date", "kind"), round_the_clock=round_the_clock)

    @classmethod
    def from_rows(cls, periods, days, *, round_the_clock=False) -> WorkingCalendar:
        """From (weekday, start, end) rows in order and (date, kind) rows."""
        by_weekday: dict[int, list] = {}
        for weekday, start, end in periods:
            by_weekday.setdefault(weekday, []).append((start, end))
        holidays, workdays = set(), set()
        for date, kind in days:
            (holidays if kind == "holiday" else workdays).add(date)
        return cls(by_weekday, holidays, workdays, round_the_clock,
                   known_years={d.year for d in holidays})

    def copy(self, *, round_the_clock=None) -> WorkingCalendar:
        """The same calendar with its own ``guessed_years`` (the hours and days shared: a
        kept calendar is never changed)."""
        return replace(self, guessed_years=set(),
                       round_the_clock=self.round_the_clock if round_the_clock is None
                       else round_the_clock)

    @classmethod
    def standard(cls, **kwargs) -> WorkingCalendar:
        """Mon-Fri 09:00-12:00 and 13:30-18:00, no holidays (and no year known: there is
        no business calendar at all)."""
        day = [(dt.time(9), dt.time(12)), (dt.time(13, 30), dt.time(18))]
        kwargs.setdefault("known_years", set())
        return cls({wd: list(day) for wd in range(5)}, **kwargs)

    def is_known(self, year: int) -> bool:
        return self.known_years is None or year in self.known_years

    def periods_on(self, date: dt.date) -> list[tuple[dt.time, dt.time]]:
        if self.round_the_clock:
            return [(dt.time(0), dt.time.max)]
        if not self.is_known(date.year):
            self.guessed_years.add(date.year)
        if date in self.holidays:
            return []
        if date in self.workdays:
            return self.periods.get(date.weekday()) or self.periods.get(0, [])
        return self.periods.get(date.weekday(), [])

    def _intervals(self, date: dt.date, tz):
        for start, end in self.periods_on(date):
            a = timezone.make_aware(dt.datetime.combine(date, start), tz)
            b = (timezone.make_aware(dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0)), tz)
                 if end == dt.time.max
                 else timezone.make_aware(dt.datetime.combine(date, end), tz))
            yield a, b

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment ``seconds`` of working time after ``start``."""
        tz = timezone.get_current_timezone()
        start = timezone.localtime(start, tz)
        remaining = dt.timedelta(seconds=seconds)
        date = start.date()
        for _ in range(MAX_DAYS):
            for a, b in self._intervals(date, tz):
                a = max(a, start)
                if b <= a:
                    continue
                if b - a >= remaining:
                    return a + remaining
                remaining -= b - a
            date += dt.timedelta(days=1)
        raise ValueError("deadline beyond the calendar's horizon")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds between two moments (0 if ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        tz = timezone.get_current_timezone()
        start, end = timezone.localtime(start, tz), timezone.localtime(end, tz)
        total = dt.timedelta()
        date = start.date()
        while date <= end.date():
            for a, b in self._intervals(date, tz):
                a, b = max(a, start), min(b, end)
                if b > a:
                    total += b - a
            date += dt.timedelta(days=1)
        return total.total_seconds()
