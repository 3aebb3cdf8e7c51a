"""Time held per support level: how long each level (1st, 2nd, 3rd line) held the
tickets resolved in the period, on the level clocks (``desk.models.TicketClockSpan``),
against each level's own target in the ticket's policy.

One grouped query over the spans of the period's resolved tickets (``resolved_at`` is
indexed), summed per (ticket, level) in the database, folded per level in Python.
"""

from django.db.models import Sum

from backoffice.desk.models import TicketClockSpan
from backoffice.desk.workflows import ClockKind, SupportLevel
from backoffice.reports.selectors.periods import Period, local_midnight

TARGET_FIELDS = {1: "ticket__sla_policy__first_line_minutes",
                 2: "ticket__sla_policy__second_line_minutes",
                 3: "ticket__sla_policy__third_line_minutes"}


def level_times(period: Period) -> list[dict]:
    """Per level that held any ticket resolved in the period: ``tickets`` it held,
    ``hours`` (average working hours it held one), ``measured`` (tickets whose policy
    sets the level a target) and ``within_share`` (% of those it held within target)."""
    start, end = local_midnight(period.first_day), local_midnight(period.end_day)
    rows = (TicketClockSpan.objects
            .filter(kind=ClockKind.WORKING, ticket__resolved_at__gte=start,
                    ticket__resolved_at__lt=end)
            .order_by().values("ticket_id", "level", *TARGET_FIELDS.values())
            .annotate(held=Sum("working_seconds", default=0)))
    levels: dict[int, dict] = {}
    for row in rows:
        level = levels.setdefault(row["level"], {"tickets": 0, "seconds": 0, "measured": 0,
                                                 "within": 0})
        level["tickets"] += 1
        level["seconds"] += row["held"]
        minutes = row.get(TARGET_FIELDS.get(row["level"], ""))
        if minutes is not None:
            level["measured"] += 1
            level["within"] += row["held"] <= minutes * 60
    return [{"level": number, "label": SupportLevel(number).label, "tickets": f["tickets"],
             "hours": round(f["seconds"] / f["tickets"] / 3600, 1),
             "measured": f["measured"],
             "within_share": (round(100 * f["within"] / f["measured"], 1)
                              if f["measured"] else None)}
            for number, f in sorted(levels.items())]
