"""The admin index's registry: what the domains contribute, and the chart helpers.

Each domain may offer hooks in its ``dashboard`` module (found through
``platform.domains``, never imported by name):

- ``SIDEBAR_ITEMS``: its entries in the sidebar (see ``platform.navigation``);
- ``pending_approvals(user) -> [{"title", "count", "link"}]``: what waits for the user;
- ``dashboard_cards(user) -> [{"title", "value", "link"}]`` (inventory: parts below
  their reorder point);
- ``budget_usage(user, year) -> [{"category", "budget", "actual", "committed", "link"}]``
  (billing).

A hook a domain does not offer is skipped; each returns nothing for a user whose role has
no business seeing it. The page itself is ``backoffice.reports.dashboard``.
"""

import json
import logging
from decimal import Decimal

from backoffice.platform import domains

log = logging.getLogger(__name__)

COLOURS = {"primary": "var(--color-primary-600)", "secondary": "var(--color-primary-300)",
           "green": "#16a34a", "orange": "#f97316", "red": "#dc2626"}


def collect(name: str, *args) -> list:
    """What every domain's ``dashboard.<name>(*args)`` returns, in domain order; a domain
    without that hook is skipped."""
    items = []
    for domain, module in domains.modules("dashboard"):
        func = getattr(module, name, None)
        if func is None:
            continue
        try:
            items += list(func(*args) or [])
        except Exception:  # one domain's broken figure must not take the admin index down
            log.exception("dashboard hook %s.dashboard.%s failed", domain, name)
    return items


def pending_approvals(user) -> list[dict]:
    """Everything waiting for this user's decision, across the domains."""
    return [i for i in collect("pending_approvals", user) if i.get("count")]


def cards(user) -> list[dict]:
    return collect("dashboard_cards", user)


def budget_rows(user, year) -> list[dict]:
    rows = []
    for row in collect("budget_usage", user, year):
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
