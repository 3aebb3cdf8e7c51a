"""The service desk's sidebar entries and the admin index dashboard.

The dashboard answers "how are we doing this week?" with figures from
:mod:`backoffice.reports` (database aggregates, each linked to the changelist behind it)
plus what the other apps contribute through their ``<app>.dashboard`` contracts:

- ``pending_approvals(user) -> [{"title", "count", "link"}]`` (inventory, billing, training)
- ``dashboard_cards(user) -> [{"title", "value", "link"}]`` (inventory: parts below
  their reorder point)
- ``budget_usage(user, year) -> [{"category", "budget", "actual", "committed", "link"}]``
  (billing)

A contract an app does not offer (yet) is skipped; each returns nothing for a user whose
role has no business seeing it. What the user sees here follows their permissions.
"""

import datetime as dt
import json
import logging
from decimal import Decimal
from importlib import import_module

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice import reports

log = logging.getLogger(__name__)

#: (model name, icon[, query string, title]) in sidebar order
SIDEBAR_ITEMS = [
    ("ticket", "confirmation_number", "", _("All tickets")),
    ("ticket", "assignment_ind", "?mine=1", _("My tickets")),
    ("ticket", "alarm", "?sla=overdue", _("Overdue tickets")),
    ("followup", "support_agent", "?mine=1&state__exact=open", _("My follow-up calls")),
    ("followup", "phone_in_talk", "", _("Follow-ups and surveys")),
    ("article", "menu_book", "?state__exact=published", _("Knowledge base")),
    ("article", "rate_review", "?state__exact=in_review", _("Articles in review")),
    ("maintenancevisit", "build", "?state__exact=planned", _("Maintenance visits")),
    ("maintenanceplan", "event_repeat"),
    ("updatenotice", "system_update"),
    ("report", "monitoring", "", _("Weekly and monthly reports")),
    ("customer", "apartment"),
    ("product", "inventory_2"),
    ("slapolicy", "timer"),
    ("businesscalendar", "calendar_month"),
]

CONTRACT_APPS = ("inventory", "billing", "training")
COLOURS = {"primary": "var(--color-primary-600)", "secondary": "var(--color-primary-300)",
           "green": "#16a34a", "orange": "#f97316", "red": "#dc2626"}


def contract(app: str, name: str):
    """``<app>.dashboard.<name>`` if that app offers it, else ``None``."""
    try:
        module = import_module(f"{app}.dashboard")
    except ImportError:
        return None
    return getattr(module, name, None)


def _call(app, name, *args):
    func = contract(app, name)
    if func is None:
        return []
    try:
        return list(func(*args) or [])
    except Exception:  # one app's broken figure must not take the admin index down
        log.exception("dashboard contract %s.dashboard.%s failed", app, name)
        return []


def pending_approvals(user) -> list[dict]:
    """Everything waiting for this user's decision, across the four apps."""
    items = reports.waiting_for(user)
    for app in CONTRACT_APPS:
        items += _call(app, "pending_approvals", user)
    return [i for i in items if i.get("count")]


def budget_rows(user, year) -> list[dict]:
    rows = []
    for row in _call("billing", "budget_usage", user, year):
        budget = Decimal(row.get("budget") or 0)
        actual = Decimal(row.get("actual") or 0)
        committed = Decimal(row.get("committed") or 0)
        used = actual + committed
        share = float(100 * used / budget) if budget else None
        rows.append({**row, "budget": budget, "actual": actual, "committed": committed,
                     "used": used, "share": None if share is None else round(share, 1),
                     "bar": min(100, round(share or 0)), "over": bool(budget and used > budget)})
    return rows


def line_chart(labels, *datasets) -> str:
    return json.dumps({"labels": labels, "datasets": [
        {"label": str(label), "data": data, "borderColor": COLOURS[colour],
         "backgroundColor": COLOURS[colour], "spanGaps": True, "displayYAxis": True}
        for label, data, colour in datasets]})


def bar_chart(labels, label, data, colour="primary") -> str:
    return json.dumps({"labels": labels, "datasets": [
        {"label": str(label), "data": data, "backgroundColor": COLOURS[colour],
         "maxBarThickness": 28, "displayYAxis": True}]})


def dashboard_callback(request, context):
    """Figures for the admin index, by role; every figure links to its changelist."""
    user = request.user
    today = timezone.localdate()
    sees_desk = user.has_perm("backoffice.view_ticket")
    sees_reports = user.has_perm("backoffice.view_report")
    week = reports.Period.of("week", today)
    dashboard = {"week": week, "today": today, "my_work": reports.my_work(user, today)}

    if sees_desk and (sees_reports or user.has_perm("backoffice.assign_ticket")):
        dashboard["open"] = reports.open_by_state_priority()
        dashboard["deadlines"] = reports.deadline_counts()
        dashboard["response"] = reports.response_share(week)
    if sees_desk and sees_reports:
        series = reports.weekly_series(12, today)
        dashboard["series"] = series
        dashboard["volume_chart"] = line_chart(
            series["labels"], (_("Received"), series["received"], "primary"),
            (_("Resolved"), series["resolved"], "green"))
        dashboard["legend_volume"] = [(_("Received"), COLOURS["primary"]),
                                      (_("Resolved"), COLOURS["green"])]
        dashboard["satisfaction_chart"] = bar_chart(
            series["labels"], _("Average satisfaction"), series["satisfaction"], "orange")
        dashboard["satisfaction_now"] = next(
            (s for s in reversed(series["satisfaction"]) if s is not None), None)
        since = today - dt.timedelta(days=27)  # the last four weeks
        dashboard["recurring"] = reports.recurring_problems(since, today, limit=8)
        dashboard["recurring_since"] = since

    dashboard["approvals"] = pending_approvals(user)
    dashboard["alerts"] = reports.care_alerts(user, today)
    dashboard["cards"] = _call("inventory", "dashboard_cards", user)
    dashboard["budget"] = budget_rows(user, today.year)
    dashboard["report_link"] = reports.changelist("report") if sees_reports else None
    context["dashboard"] = dashboard
    return context
