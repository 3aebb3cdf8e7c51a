"""Money helpers: the department's currency and how amounts are shown.

Budgets and expense claims are kept in one currency (``BILLING_CURRENCY``, CNY unless a
deployment says otherwise) so that budget checks compare like with like; customer
charges carry their own currency field because quotes may be priced otherwise.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def currency() -> str:
    return getattr(settings, "BILLING_CURRENCY", "CNY")


def to_money(value) -> Decimal:
    """Decimal with two places; floats are refused (they lose cents)."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value, code: str | None = None) -> str:
    """``CNY 12,345.00``: thousands grouped with commas as on Chinese financial documents,
    whatever the UI language."""
    return f"{code or currency()} {to_money(value):,.2f}"
