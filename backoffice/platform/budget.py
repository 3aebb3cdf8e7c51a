"""The seam between apps that spend money and the app that owns the budget.

Either side can land first: ``inventory`` (purchases) and any other spender call
:func:`check_spend` before approving and register a spending source; ``billing``
registers the guard and reads :func:`spending`. With no guard registered, spending is
not limited; with no source registered, it counts only its own claims.

A document that asks for money says what it asks with ``budget_requests()`` -> list of
``(category, on_date, amount)``: :func:`check_document` asks the guard for each (at approval
committing, at submit as a dry run) and :func:`positions_of` reads the category's
position for the page the document is drafted on (billing registers the reader).

Budget categories are plain keys shared by all apps: ``salaries``, ``training``,
``parts``, ``travel``, ``office``, ``other``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

CATEGORIES = ("salaries", "training", "parts", "travel", "office", "other")


class BudgetOverrun(ValidationError):
    """The spend exceeds the remaining budget and the category's policy is "stop"."""


class BudgetWarning(ValidationError):
    """The spend exceeds the remaining budget under a "warn" policy: confirm to go on."""


@dataclass(frozen=True)
class Spend:
    """One aggregated figure of a spending source."""

    category: str
    month: int  # 1-12
    actual: Decimal  # money that has left (paid claims, received purchases)
    committed: Decimal  # approved but not yet paid / received


@dataclass
class Position:
    """Where a category stands in a year, and what one document would leave of it."""

    category: str
    label: str
    year: int
    policy: str  # "stop", "warn" or "ignore"
    policy_label: str
    has_budget: bool  # an approved budget exists for the year
    budget: Decimal  # current: original plus approved adjustments
    actual: Decimal
    committed: Decimal
    amount: Decimal  # this document's
    currency: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.actual - self.committed

    @property
    def after(self) -> Decimal:
        return self.remaining - self.amount

    @property
    def over(self) -> bool:
        """This document would overrun a policy that looks at overruns."""
        return self.after < 0 and self.policy in ("stop", "warn")

    @property
    def level(self) -> str:
        """"stop" (red), "warn" (amber) or "" - what the page colours the row with."""
        return self.policy if self.over else ""

    @property
    def shown(self) -> dict[str, str]:
        """The figures as the page prints them (thousands grouped, two decimals)."""
        def money(value):
            return f"{self.currency} {value:,.2f}".strip()
        return {name: money(getattr(self, name)) for name in
                ("budget", "actual", "committed", "remaining", "amount", "after")}


_guard: Callable | None = None
_position: Callable | None = None
_sources: dict[str, Callable[[int], Iterable[Spend]]] = {}


def register_guard(func: Callable) -> None:
    """Billing registers ``func(*, category, amount, on_date, actor, confirmed, reference)``."""
    global _guard
    _guard = func


def register_position(func: Callable) -> None:
    """Billing registers ``func(*, category, on_date, amount, exclude) -> Position``."""
    global _position
    _position = func


def register_source(name: str, func: Callable[[int], Iterable[Spend]]) -> None:
    """A spender registers ``func(year) -> iterable of Spend`` under a unique name."""
    _sources[name] = func


def check_spend(*, category: str, amount: Decimal, on_date, actor, confirmed: bool = False,
                reference: str = "", exclude=None, dry_run: bool = False):
    """Ask the budget owner whether ``amount`` may be committed now.

    Raises :class:`BudgetOverrun` (policy "stop") or :class:`BudgetWarning` (policy
    "warn", not ``confirmed``); returns a short text to journal when a warning was
    confirmed, else ``None``. ``exclude`` is the document being approved, so that its
    own committed amount is not counted twice. ``dry_run`` (at submit) asks the same
    question without locking or recording anything: the approval commits.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown budget category {category!r}")
    if _guard is None:
        return None
    return _guard(category=category, amount=amount, on_date=on_date, actor=actor,
                  confirmed=confirmed, reference=reference, exclude=exclude,
                  dry_run=dry_run)


def check_document(document, *, actor, confirmed: bool = False, dry_run: bool = False) -> str:
    """:func:`check_spend` for every ``document.budget_requests()``; the confirmed
    warnings' texts joined by new lines (empty when nothing needed confirming)."""
    notes = []
    for category, on_date, amount in document.budget_requests():
        text = check_spend(category=category, amount=amount, on_date=on_date, actor=actor,
                           confirmed=confirmed, reference=getattr(document, "number", ""),
                           exclude=document, dry_run=dry_run)
        if text:
            notes.append(str(text))
    return "\n".join(notes)


def positions(requests, *, exclude=None) -> list[Position]:
    """The position of each ``(category, on_date, amount)`` (none without a budget owner)."""
    if _position is None:
        return []
    return [_position(category=category, on_date=on_date, amount=amount, exclude=exclude)
            for category, on_date, amount in requests]


def positions_of(document) -> list[Position]:
    """The position of every category and year ``document`` asks money of."""
    return positions(document.budget_requests(), exclude=document)


def spending(year: int) -> list[Spend]:
    """Every registered source's figures for ``year``."""
    out: list[Spend] = []
    for func in _sources.values():
        out.extend(func(year))
    return out
