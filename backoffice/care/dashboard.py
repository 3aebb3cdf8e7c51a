"""Customer care's sidebar entries (model name, icon[, query string, title])."""

from django.utils.translation import gettext_lazy as _

SIDEBAR_ITEMS = [
    ("followup", "support_agent", "?mine=1&state__exact=open", _("My follow-up calls")),
    ("followup", "phone_in_talk", "", _("Follow-ups and surveys")),
    ("maintenancevisit", "build", "?state__exact=planned", _("Maintenance visits")),
    ("maintenanceplan", "event_repeat"),
    ("updatenotice", "system_update"),
]
