"""Template filters of the billing pages."""

from django import template

from billing.money import format_money

register = template.Library()


@register.filter
def money(value, code=None):
    """``{{ amount|money }}`` -> ``CNY 1,234.50``."""
    if value is None or value == "":
        return "—"
    return format_money(value, code)
