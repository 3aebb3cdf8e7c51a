"""Emergencies on the dashboard (open incidents first, for those who run them) and the
sidebar entries (model name, icon[, query string, title])."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backoffice.incidents.selectors import open_incidents

SIDEBAR_ITEMS = [
    ("incident", "crisis_alert", "?open=1", _("Open incidents")),
    ("incident", "emergency"),
    ("contingencyplan", "fact_check"),
    ("problem", "bug_report"),
]


def urgent_panels(user) -> list[dict]:
    """The open incidents, at the top of the page (an emergency comes before the week's
    figures): severity, age, tickets, customers and the plan's next step."""
    if not user.has_perm("backoffice.run_incident"):
        return []
    incidents = open_incidents()
    if not incidents:
        return []
    return [{"template": "backoffice/partials/open_incidents.html", "incidents": incidents,
             "link": reverse("admin:backoffice_incident_changelist") + "?open=1"}]
