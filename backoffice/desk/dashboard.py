"""The service desk's sidebar entries (model name, icon[, query string, title])."""

from django.utils.translation import gettext_lazy as _

SIDEBAR_ITEMS = [
    ("ticket", "confirmation_number", "", _("All tickets")),
    ("ticket", "assignment_ind", "?mine=1", _("My tickets")),
    ("ticket", "alarm", "?sla=overdue", _("Overdue tickets")),
    ("inboundmail", "mail", "?state__exact=queued", _("Mails of unknown senders")),
    ("inboundmail", "inbox", "", _("Support mailbox")),
    ("customer", "apartment"),
    ("product", "inventory_2"),
    ("slapolicy", "timer"),
    ("businesscalendar", "calendar_month"),
    ("cannedreply", "quickreply"),
]
