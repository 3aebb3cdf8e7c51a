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

import contextlib
import contextvars
import decimal
import json
import logging
from decimal import Decimal

from django.db import connections

from backoffice.platform import domains

log = logging.getLogger(__name__)


# -- counts read together ----------------------------------------------------------------
# The page asks a score of "how many" questions of a dozen tables (what waits for me,
# what is overdue, what to approve). Each hook answers with ``deferred_count(queryset)``;
# inside ``read_together()`` the first count that is needed reads every count asked so
# far in one query of scalar subqueries, so the page costs one query for all of them,
# whatever the data (outside it, a count is read when first needed, as ``.count()``).

_batch: contextvars.ContextVar = contextvars.ContextVar("dashboard_counts", default=None)


class DeferredCount:
    """The number of rows of ``queryset``, read with the other counts of the batch (or,
    given ``summed``, the sum of that expression over them: ``deferred_sum``)."""

    __slots__ = ("queryset", "summed", "_value")

    def __init__(self, queryset, summed=None):
        self.queryset, self.summed, self._value = queryset, summed, None
        batch = _batch.get()
        if batch is not None:
            batch.append(self)

    @property
    def value(self) -> int:
        if self._value is None:
            batch = _batch.get()
            waiting = [c for c in (batch or ()) if c._value is None and c is not self]
            _read_counts([self, *waiting])
            if batch is not None:
                batch.clear()
        return self._value

    def map(self, func) -> "Derived":
        """``func(count)``, worked out when the count is read (``n.map(bool)``)."""
        return Derived(self, func)

    def __int__(self):
        return self.value

    __index__ = __int__

    def __bool__(self):
        return bool(self.value)

    def __eq__(self, other):
        return self.value == other

    def __hash__(self):
        return hash(self.value)

    def __lt__(self, other):
        return self.value < other

    def __gt__(self, other):
        return self.value > other

    def __add__(self, other):
        return self.value + other

    __radd__ = __add__

    def __str__(self):
        return str(self.value)

    def __repr__(self):
        return f"<DeferredCount {self._value!r}>"


class Derived:
    """A value computed from a deferred count once it is read."""

    __slots__ = ("source", "func")

    def __init__(self, source, func):
        self.source, self.func = source, func

    @property
    def value(self):
        return self.func(self.source.value)

    def map(self, func) -> "Derived":
        return Derived(self, func)


def deferred_count(queryset) -> DeferredCount:
    return DeferredCount(queryset)


def deferred_sum(queryset, expression) -> DeferredCount:
    """The sum of ``expression`` over ``queryset`` (a Decimal, or None without rows)."""
    return DeferredCount(queryset, summed=expression)


@contextlib.contextmanager
def read_together():
    """Counts asked inside are read in one query (a batch already open is joined)."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set([])
    try:
        yield
    finally:
        _batch.reset(token)


def _read_counts(counts):
    by_db: dict[str, list] = {}
    for count in counts:
        by_db.setdefault(count.queryset.db, []).append(count)
    for alias, group in by_db.items():
        parts, params = [], []
        for i, count in enumerate(group):
            if count.summed is None:
                sql, args = count.queryset.order_by().values("pk").query.sql_with_params()
                parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{i})")
            else:
                sql, args = (count.queryset.order_by().values(summand=count.summed)
                             .query.sql_with_params())
                parts.append(f"(SELECT SUM(summed_{i}.summand) FROM ({sql}) summed_{i})")
            params.extend(args)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        for count, value in zip(group, row, strict=True):
            count._value = int(value) if count.summed is None else _decimal(value)


def _decimal(value):
    """A SUM as Django reads a DecimalField (SQLite answers with a float)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return decimal.Context(prec=15).create_decimal_from_float(value)
    return Decimal(str(value))


def settled(value, cards=False):
    """What a selector of deferred counts returns: inside ``read_together()`` still
    deferred (the page reads them all at once), else read now (and, for ``cards``, those
    marked ``drop_if_zero`` whose value is 0 left out)."""
    if _batch.get() is not None:
        return value
    return without_empty(value) if cards else resolved(value)


def resolved(value):
    """``value`` (dicts, lists, tuples) with every deferred count replaced by its number:
    what templates and JSON get (those not read yet are read together, in one query)."""
    waiting = [c for c in _deferred_in(value) if c._value is None]
    if waiting:
        batch = _batch.get()
        waiting += [c for c in (batch or ()) if c._value is None]
        _read_counts(list({id(c): c for c in waiting}.values()))
        if batch is not None:
            batch.clear()
    return _replaced(value)


def _deferred_in(value):
    if isinstance(value, Derived):
        yield from _deferred_in(value.source)
    elif isinstance(value, DeferredCount):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _deferred_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _deferred_in(v)


def _replaced(value):
    if isinstance(value, DeferredCount | Derived):
        return value.value
    if isinstance(value, dict):
        return {k: _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_replaced(v) for v in value)
    return value

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


def pending_approvals(user, deferred=False) -> list[dict]:
    """Everything waiting for this user's decision, across the domains (their counts
    read in one query, with any others of the batch). ``deferred``: the counts not read
    yet, nothing left out (the page calls ``without_nothing`` once it read them)."""
    with read_together():
        items = collect("pending_approvals", user)
        return items if deferred else without_nothing(items)


def without_nothing(approvals: list[dict]) -> list[dict]:
    """Resolved approvals, less those with nothing waiting."""
    return [i for i in resolved(approvals) if i.get("count")]


def urgent_panels(user) -> list[dict]:
    """Panels that come before everything else on the page (emergencies under way)."""
    return [p for p in collect("urgent_panels", user) if p.get("template")]


def cards(user) -> list[dict]:
    """The domains' cards (a card whose ``"drop_if_zero"`` count is 0 is left out once
    the counts are read: see ``without_empty``)."""
    return collect("dashboard_cards", user)


def without_empty(cards: list[dict]) -> list[dict]:
    """Resolved cards, less those marked ``drop_if_zero`` whose value is 0."""
    return [{k: v for k, v in card.items() if k != "drop_if_zero"}
            for card in resolved(cards) if not (card.get("drop_if_zero") and not card["value"])]


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
