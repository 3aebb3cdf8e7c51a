"""The seam between apps that spend money and the app that owns the budget.

Either side can land first: ``inventory`` (purchases) and any other spender call
:func:`check_spend` before approving and register a spending source; ``billing``
registers the guard and reads :func:`spending`. With no guard registered, spending is
not limited; with no source registered, it counts only its own claims.

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


_guard: Callable | None = None
_sources: dict[str, Callable[[int], Iterable[Spend]]] = {}


def register_guard(func: Callable) -> None:
    """Billing registers ``func(*, category, amount, on_date, actor, confirmed, reference)``."""
    global _guard
    _guard = func


def register_source(name: str, func: Callable[[int], Iterable[Spend]]) -> None:
    """A spender registers ``func(year) -> iterable of Spend`` under a unique name."""
    _sources[name] = func


def check_spend(*, category: str, amount: Decimal, on_date, actor, confirmed: bool = False,
                reference: str = "", exclude=None):
    """Ask the budget owner whether ``amount`` may be committed now.

    Raises :class:`BudgetOverrun` (policy "stop") or :class:`BudgetWarning` (policy
    "warn", not ``confirmed``); returns a short text to journal when a warning was
    confirmed, else ``None``. ``exclude`` is the document being approved, so that its
    own committed amount is not counted twice.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown budget category {category!r}")
    if _guard is None:
        return None
    return _guard(category=category, amount=amount, on_date=on_date, actor=actor,
                  confirmed=confirmed, reference=reference, exclude=exclude)


def spending(year: int) -> list[Spend]:
    """Every registered source's figures for ``year``."""
    out: list[Spend] = []
    for func in _sources.values():
        out.extend(func(year))
    return out
