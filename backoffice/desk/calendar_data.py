"""Holidays and make-up working days that last: the data source, and the daily check.

**The data source is the ``holidays`` package** (``holidays.China``, names in Chinese).
Of the two maintained packages it is the one that keeps going:

- ``holidays`` (python-holidays, released monthly) carries the General Office of the
  State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知) for 2001 up to
  its last release's year (0.109: up to 2026; its table of swapped days,
  ``ChinaStaticHolidays.special_public_holidays``, ends with the last notice it knows).
  For such a year it gives every weekday off (statutory days, their 补假 and the bridge
  days) and, in that table, the make-up working days (调休: the weekend days worked in
  exchange). For any later year it computes only the statutory days of the 全国年节及纪念日
  放假办法 (New Year, Spring Festival's eve and first three days, Qingming, May 1-2, Dragon
  Boat, Mid-Autumn, October 1-3) and a weekday in lieu when one falls on a weekend: true
  by law, but without the bridges and the make-up days the notice adds.
- ``chinesecalendar`` (1.11.0) has the notices' holidays and make-up days too, but only
  for 2004-2026, and raises for any other year: nothing for 2027.

So :func:`load_calendar_data` writes every year the package has a notice for (from
:data:`FIRST_YEAR`), and the one year after the last notice by the statutory rule (so that
元旦 of the coming year is never a working day). When the State Council publishes the
next notice (each November), import it (``fixtures/samples/calendar_days_import.csv``
shows the columns) until a new ``holidays`` release brings it: imported and hand-entered
days are never overwritten by the data source.

**A year is known** for a calendar when the calendar has at least one public holiday in
it, whoever put it there (the data source, an import or a person): every Chinese year has
several, so a year without one has simply not been entered. The SLA arithmetic records
the years it crossed without one (``sla.WorkingCalendar.guessed_years``), the ticket page
and list say which tickets were planned so (``selectors.without_holidays``), and the daily
:func:`check` tells the managers when such a year starts within
``settings.CALENDAR_WARNING_DAYS``.
"""

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.desk import selectors, services
from backoffice.desk.models import BusinessCalendar, CalendarDay
from backoffice.platform.notifications import event, notify, permission_holders

#: the oldest year loaded: tickets older than that were closed long ago, and their figures
#: were worked out when they happened
FIRST_YEAR = 2020

CALENDAR_YEAR_MISSING = event(
    "calendar_year_missing",
    gettext_lazy("A year without holidays starts soon in a business calendar"))

Kind, Source = CalendarDay.Kind, CalendarDay.Source


def source_name() -> str:
    """How the pages name the data source ("holidays 0.109")."""
    import holidays

    return f"holidays {holidays.__version__}"


def _swapped_days() -> dict[int, tuple]:
    from holidays.countries.china import ChinaStaticHolidays

    return ChinaStaticHolidays.special_public_holidays


def official_years() -> range:
    """The years the package has the State Council's notice for."""
    return range(2001, max(_swapped_days()) + 1)


def source_years() -> range:
    """The years :func:`load_calendar_data` writes: the notices' years from FIRST_YEAR,
    and one year after the last notice by the statutory rule."""
    return range(FIRST_YEAR, official_years().stop + 1)


def source_days(years) -> dict[dt.date, tuple[str, str]]:
    """date -> (kind, name) of the given years, from the package."""
    import holidays

    years = list(years)
    days = {day: (Kind.HOLIDAY, str(name)) for day, name in
            holidays.China(years=years, language="zh_CN").items()}
    official = official_years()
    for year in years:
        if year not in official:
            continue
        for entry in _swapped_days().get(year, ()):
            if len(entry) < 4 or not all(isinstance(x, int) for x in entry):
                continue  # (month, day, name): an extra holiday, already above
            month, day, from_month, from_day, *from_year = entry
            worked = dt.date(from_year[0] if from_year else year, from_month, from_day)
            if worked.year in years:
                off = dt.date(year, month, day)
                days[worked] = (Kind.WORKDAY, f"调休上班（{off.isoformat()} 休息）")
    return days


def load_calendar_data(calendar, *, actor=None) -> dict:
    """Fill ``calendar`` with the data source's days (see the module's docstring).

    Idempotent: a day already right is left alone; a day the source changed is updated,
    one it no longer has is removed, but only among the source's own rows: a day a person
    imported or entered stays as it is, whatever the source says about that date. Every
    row written has its history row (who, and "loaded from holidays 0.109"). Returns the
    counts and the years written."""
    years = source_years()
    wanted = source_days(years)
    reason = f"loaded from {source_name()}"
    start, end = dt.date(years.start, 1, 1), dt.date(years.stop, 1, 1)
    with transaction.atomic():
        # one load at a time per calendar (the button and the daily check)
        BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
        existing = {d.date: d for d in calendar.days.filter(date__gte=start, date__lt=end)}
        create, update, kept = [], [], 0
        for day, (kind, name) in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                create.append(CalendarDay(calendar=calendar, date=day, kind=kind, name=name,
                                          source=Source.DATA_SOURCE))
            elif row.source != Source.DATA_SOURCE:
                kept += 1
            elif (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                update.append(row)
        stale = [row for day, row in existing.items()
                 if row.source == Source.DATA_SOURCE and day not in wanted]
        if create:
            bulk_create_with_history(create, CalendarDay, default_user=actor,
                                     default_change_reason=reason)
        if update:
            bulk_update_with_history(update, CalendarDay, ["kind", "name"], default_user=actor,
                                     default_change_reason=reason)
        if create or update:
            selectors.CALENDARS.changed()  # bulk writes send no signal
        for row in stale:
            row._change_reason = reason
            row._history_user = actor
            row.delete()
        changed = bool(create or update or stale)
        if changed:
            calendar_changed(calendar, actor=actor)
    return {"created": len(create), "updated": len(update), "removed": len(stale),
            "kept": kept, "years": [years.start, years.stop - 1], "changed": changed}


def calendar_changed(calendar, *, actor=None):
    """The days of ``calendar`` changed (a data-source load, an import, a hand edit): the
    open tickets planned on it re-plan their deadlines (journaled on each ticket). The
    callers call it inside their transaction."""
    return services.calendar_changed(calendar, actor=actor)


def check(today=None) -> dict:
    """The daily check: load the data source into every calendar, then tell the managers
    (whoever may edit calendar days) of each year that starts within
    ``settings.CALENDAR_WARNING_DAYS`` without holidays, or with only the statutory days
    the data source computes (the State Council's notice not imported yet): once per
    calendar, year and gap (the notification's key), with the number of open tickets
    already planned without holidays."""
    today = today or timezone.localdate()
    loaded = {}
    for calendar in BusinessCalendar.objects.order_by("pk"):
        loaded[calendar.pk] = load_calendar_data(calendar)
    gaps = selectors.calendar_year_gaps(today, official_until=official_years()[-1])
    if not gaps:
        return {"loaded": len(loaded), "warned": 0}
    managers = list(permission_holders("backoffice.change_calendarday"))
    counts = selectors.without_holidays_by_calendar()
    warned = 0
    for calendar, year, gap in gaps:
        starts = dt.date(year, 1, 1)
        tickets = counts.get(calendar.pk, 0)
        if gap == "missing":
            def title(calendar=calendar, year=year):
                return gettext("The business calendar “%(calendar)s” has no holidays for "
                               "%(year)s") % {"calendar": calendar.name, "year": year}

            def body(starts=starts, tickets=tickets):
                return gettext(
                    "The year starts on %(date)s. Until its holidays and make-up working "
                    "days are loaded or imported, deadlines in it are worked out on the "
                    "weekly hours alone (open tickets planned so: %(tickets)d).") % {
                    "date": starts.isoformat(), "tickets": tickets}
        else:
            def title(calendar=calendar, year=year):
                return gettext("The business calendar “%(calendar)s” has only the statutory "
                               "holidays for %(year)s") % {"calendar": calendar.name,
                                                           "year": year}

            def body(starts=starts):
                return gettext(
                    "The year starts on %(date)s. The data source has no State Council "
                    "notice for it yet: import the notice's days off and make-up working "
                    "days on the holidays page (bridge days would otherwise count as "
                    "working days).") % {"date": starts.isoformat()}

        warned += len(notify(managers, CALENDAR_YEAR_MISSING.name, title, body=body,
                             url=reverse("admin:backoffice_businesscalendar_change",
                                         args=[calendar.pk]),
                             key=f"calendar:{calendar.pk}:year:{year}:{gap}"))
    return {"loaded": len(loaded), "warned": warned}
