"""The admin index (the dashboard) and the reports' sidebar entry.

The dashboard answers "how are we doing this week?" with figures from
:mod:`backoffice.reports.selectors` (database aggregates, each linked to the changelist
behind it) plus what every domain contributes through its ``dashboard`` hooks
(``platform.dashboard``). What the user sees follows their permissions.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.platform import dashboard as board
from backoffice.reports import definitions
from backoffice.reports import selectors as reports

#: contradicting confirmations listed on the dashboard (the link opens all of them)
DOUBTED_SHOWN = 10

SIDEBAR_ITEMS = [
    ("report", "monitoring", "", _("Weekly and monthly reports")),
]


def pending_approvals(user) -> list[dict]:
    """The desk's work waiting for this user (tickets to assign, articles to review …)."""
    return reports.waiting_for(user)


def dashboard_callback(request, context):
    """Figures for the admin index, by role; every figure links to its changelist."""
    with board.read_together():  # every count of the page in one query
        context["dashboard"] = board.resolved(_figures(request.user))
    dashboard = context["dashboard"]
    dashboard["my_work"] = board.without_empty(dashboard["my_work"])
    dashboard["alerts"] = board.without_empty(dashboard["alerts"])
    dashboard["cards"] = board.without_empty(dashboard["cards"])
    dashboard["approvals"] = board.without_nothing(dashboard["approvals"])
    return context


def _figures(user):
    today = timezone.localdate()
    sees_desk = user.has_perm("backoffice.view_ticket")
    sees_reports = user.has_perm("backoffice.view_report")
    week = reports.Period.of("week", today)
    dashboard = {"week": week, "today": today, "my_work": reports.my_work(user, today),
                 "urgent": board.urgent_panels(user), "defs": definitions.REGISTRY,
                 # each card opens the list its figure counts (no query)
                 "links": definitions.links(week)}

    if sees_desk and (sees_reports or user.has_perm("backoffice.assign_ticket")):
        dashboard["open"] = reports.open_by_state_priority()
        dashboard["deadlines"] = reports.deadline_counts()
    if sees_desk and sees_reports:
        # this week's cohort (resolution rate, response times) and the week's resolutions
        # (time to resolution), in working and wall-clock hours: two queries
        dashboard["cohort"] = reports.cohort_figures(week)
        dashboard["resolution_times"] = reports.resolution_times(week)
        series = reports.weekly_series(12, today)
        dashboard["series"] = series
        dashboard["volume_chart"] = board.line_chart(
            series["labels"],
            (_("Received"), series["received"], "primary", series["received_links"]),
            (_("Resolved"), series["resolved"], "green", series["resolved_links"]))
        # a week's bar opens the tickets resolved that week, whose ratings it averages
        dashboard["satisfaction_chart"] = board.bar_chart(
            series["labels"], (_("Average satisfaction"), series["satisfaction"], "orange",
                               series["resolved_links"]),
            options={"scales": {"y": {"max": 5}}})
        dashboard["satisfaction_now"] = next(
            (s for s in reversed(series["satisfaction"]) if s is not None), None)
        since = today - dt.timedelta(days=27)  # the last four weeks
        dashboard["recurring"] = reports.recurring_problems(since, today, limit=8)
        dashboard["recurring_since"] = since

    if sees_desk and (user.has_perm("backoffice.close_ticket")
                      or user.has_perm("backoffice.supervise_ticket")):
        # "solved" with a rating of 1-2 or "still broken": reopen or close anyway
        dashboard["doubted"] = reports.doubted_confirmations(DOUBTED_SHOWN)

    dashboard["alerts"] = reports.care_alerts(user, today)
    dashboard["cards"] = board.cards(user)
    dashboard["budget"] = board.budget_rows(user, today.year)
    dashboard["report_link"] = reports.changelist("report") if sees_reports else None
    dashboard["approvals"] = board.pending_approvals(user, deferred=True)
    if "deadlines" in dashboard:  # the week's response share reads every count asked above
        dashboard["response"] = reports.response_share(week)
    return dashboard
