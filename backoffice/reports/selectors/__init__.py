"""Figures of the dashboard and of the weekly and monthly reports (reads only).

Every figure is a database aggregate over an indexed range (``received_at``,
``resolved_at``, the open states), a handful of queries in all, so the dashboard stays
fast with a million tickets (``benchmarks/dashboard.py``). Each figure carries the link
to the changelist filtered to the tickets behind it. Time buckets (weeks, days) are cut
in the local time zone in Python and counted with one ``CASE`` per row, which works the
same on SQLite and PostgreSQL.
"""

from backoffice.reports.selectors.care import care_alerts, care_summary
from backoffice.reports.selectors.periods import (
    Period,
    bucketed,
    changelist,
    local_midnight,
    received_in,
    resolved_in,
    week_boundaries,
    week_start,
)
from backoffice.reports.selectors.tickets import (
    CONFIRMATION_RATING,
    by_category,
    by_person,
    cohort_figures,
    daily_series,
    deadline_counts,
    doubted_confirmations,
    now_counts,
    open_by_state_priority,
    period_summary,
    recurring_problems,
    resolution_times,
    response_share,
    weekly_series,
)
from backoffice.reports.selectors.work import my_work, waiting_for

__all__ = [
    "CONFIRMATION_RATING",
    "Period",
    "bucketed",
    "by_category",
    "by_person",
    "care_alerts",
    "care_summary",
    "changelist",
    "cohort_figures",
    "daily_series",
    "deadline_counts",
    "doubted_confirmations",
    "local_midnight",
    "my_work",
    "now_counts",
    "open_by_state_priority",
    "period_summary",
    "received_in",
    "recurring_problems",
    "resolution_times",
    "resolved_in",
    "response_share",
    "waiting_for",
    "week_boundaries",
    "week_start",
    "weekly_series",
]
