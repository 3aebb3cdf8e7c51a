"""Admin helpers shared by the customer-care pages."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


def _late(day, text=None):
    return format_html('<span class="text-red-600 font-semibold">{} ⚠ {}</span>', day,
                       text or _("overdue"))
