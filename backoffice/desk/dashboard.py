"""The service desk's sidebar entries (model name, icon[, query string, title])."""

from django.utils.translation import gettext_lazy as _

SIDEBAR_ITEMS = [
    ("ticket", "confirmation_number", "", _("All tickets")),
    ("ticket", "assignment_ind", "?mine=1", _("My tickets")),
    ("ticket", "alarm", "?sla=overdue", _("Overdue tickets")),
    ("servicerecordreview", "rate_review"),
    ("inboundmail", "mail", "?state__exact=queued", _("Mails of unknown senders")),
    ("inboundmail", "inbox", "", _("Support mailbox")),
    ("customer", "apartment"),
    ("product", "inventory_2"),
    ("slapolicy", "timer"),
    ("businesscalendar", "calendar_month"),
    ("cannedreply", "quickreply"),
    ("callspotcheck", "fact_check"),
]


def dashboard_cards(user) -> list[dict]:
    """For whoever keeps the calendars: a red card per business calendar and year without
    holidays that has started or starts within CALENDAR_WARNING_DAYS, with the number of
    open tickets on that calendar planned without holidays, and an amber one per year that
    has only the data source's statutory days (the State Council's notice not imported);
    each opens the calendar's page. One query when every year is known."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from backoffice.desk import calendar_data, selectors

    if not (user and user.is_active and user.has_perm("backoffice.change_calendarday")):
        return []
    gaps = selectors.calendar_year_gaps(timezone.localdate(),
                                        official_until=calendar_data.official_years()[-1])
    if not gaps:
        return []
    counts = (selectors.without_holidays_by_calendar()
              if any(gap == "missing" for _c, _y, gap in gaps) else {})
    cards = []
    for calendar, year, gap in gaps:
        values = {"calendar": calendar.name, "year": year,
                  "date": dt.date(year, 1, 1).isoformat()}
        link = reverse("admin:backoffice_businesscalendar_change", args=[calendar.pk])
        if gap == "missing":
            cards.append({"title": str(_("%(calendar)s: no holidays for %(year)s (starts "
                                         "%(date)s); open tickets planned without them")
                                       % values),
                          "value": counts.get(calendar.pk, 0), "alert": True,
                          "icon": "event_busy", "link": link})
        else:
            cards.append({"title": str(_("%(calendar)s: %(year)s has the statutory holidays "
                                         "only; import the State Council's notice (bridge "
                                         "and make-up working days)") % values),
                          "value": year, "icon": "event_upcoming", "link": link})
    return cards
