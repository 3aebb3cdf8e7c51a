"""The admin index's registry: what the domains contribute, and the chart helpers.

Each domain may offer hooks in its ``dashboard`` module (found through
``platform.domains``, never imported by name):

- ``SIDEBAR_ITEMS``: its entries in the sidebar (see ``platform.navigation``);
- ``pending_approvals(user) -> [{"title", "count", "link"}]``: what waits for the user;
- ``dashboard_cards(user) -> [{"title", "value", "link"}]`` (inventory: parts below
  their reorder point);
- ``urgent_panels(user) -> [{"template", ...}]``: panels drawn first, above the week's
  figures (open incidents), each by its template with the dict as ``panel``;
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


def urgent_panels(user) -> list[dict]:
    """Panels that come before everything else on the page (emergencies under way)."""
    return [p for p in collect("urgent_panels", user) if p.get("template")]


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


# -- charts ----------------------------------------------------------------------------
# unfold draws ``canvas.chart`` with Chart.js and its own defaults (no legend, no points on
# lines, an axis that starts wherever the data does). A chart here is rendered by
# ``backoffice/partials/chart.html``: each dataset carries ``links`` (one URL per point or
# bar, the filtered list behind it; ``None`` where there is nothing to open) and
# ``options`` are laid over unfold's defaults by ``static/backoffice/js/charts.js``, which
# also opens the link of the point or bar that is clicked.

#: what every chart adds to unfold's defaults: a legend, a y-axis from zero, whole ticks
CHART_OPTIONS = {
    "plugins": {"legend": {"display": True}},
    "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
}

#: points on every line, so that a series of one value (a Monday's day, a first week) is
#: drawn, and so that each point is something to click
LINE_POINTS = {"pointStyle": "circle", "pointRadius": 3, "pointHoverRadius": 5,
               "pointHitRadius": 10, "pointBorderWidth": 0}


def dataset(label, data, colour="primary", *, links=None, **extra) -> dict:
    """One Chart.js dataset; ``colour`` is a key of :data:`COLOURS` or a CSS colour.

    ``links[i]`` is the list behind ``data[i]``; a point without a value gets none."""
    colour = COLOURS.get(colour, colour)
    out = {"label": str(label), "data": list(data), "borderColor": colour,
           "backgroundColor": colour, **extra}
    if links is not None:
        links = list(links)
        if len(links) != len(out["data"]):
            raise ValueError(f"{len(links)} links for {len(out['data'])} values of {label}")
        out["links"] = [None if value is None else link
                        for value, link in zip(out["data"], links, strict=True)]
    return out


def _as_dataset(spec) -> dict:
    """A :func:`dataset` dict, or the short form ``(label, data, colour[, links])``."""
    if isinstance(spec, dict):
        return spec
    label, data, colour, *links = spec
    return dataset(label, data, colour, links=links[0] if links else None)


def _merged(base: dict, extra: dict | None) -> dict:
    out = dict(base)
    for key, value in (extra or {}).items():
        out[key] = (_merged(out[key], value)
                    if isinstance(value, dict) and isinstance(out.get(key), dict) else value)
    return out


def chart(kind: str, labels, datasets, options: dict | None = None) -> dict:
    """What ``backoffice/partials/chart.html`` draws: ``kind`` (line or bar), ``data`` and
    ``options`` as JSON (``options`` over :data:`CHART_OPTIONS`)."""
    return {"kind": kind,
            "data": json.dumps({"labels": [str(label) for label in labels],
                                "datasets": list(datasets)}),
            "options": json.dumps(_merged(CHART_OPTIONS, options))}


def line_chart(labels, *datasets, options: dict | None = None) -> dict:
    """Lines with their points (a one-value series shows as a dot), gaps bridged."""
    return chart("line", labels, [{**LINE_POINTS, "spanGaps": True, "displayYAxis": True,
                                   **_as_dataset(d)} for d in datasets], options)


def bar_chart(labels, *datasets, options: dict | None = None) -> dict:
    """Bars; several datasets stand side by side (unfold's default draws them on top of
    each other)."""
    sets = [_as_dataset(d) for d in datasets]
    return chart("bar", labels, [{"maxBarThickness": 28, "displayYAxis": True,
                                  "grouped": len(sets) > 1, **d} for d in sets], options)
