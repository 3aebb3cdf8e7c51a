"""The service desk's sidebar entries and the admin index dashboard."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from backoffice import workflows as wf

#: (model name, icon[, query string, title]) in sidebar order
SIDEBAR_ITEMS = [
    ("ticket", "confirmation_number", "", _("All tickets")),
    ("ticket", "assignment_ind", "?mine=1", _("My tickets")),
    ("ticket", "alarm", "?sla=overdue", _("Overdue tickets")),
    ("customer", "apartment"),
    ("product", "inventory_2"),
    ("slapolicy", "timer"),
    ("businesscalendar", "calendar_month"),
]


def dashboard_callback(request, context):
    """Figures for the admin index; each links to the changelist behind it."""
    from django.urls import reverse

    from backoffice.models import Ticket

    if not request.user.has_perm("backoffice.view_ticket"):
        return context
    tickets = Ticket.objects.all()
    by_state = dict(tickets.filter(state__in=wf.OPEN_STATES)
                    .values_list("state").annotate(n=Count("id")).order_by())
    url = reverse("admin:backoffice_ticket_changelist")
    context["desk_kpis"] = [
        {"title": _("Open tickets"), "value": sum(by_state.values()),
         "link": url + "?status=open"},
        {"title": _("Overdue"), "value": tickets.overdue().count(), "link": url + "?sla=overdue"},
        {"title": _("Due within 2 hours"), "value": tickets.due_soon().count(),
         "link": url + "?sla=due_soon"},
        {"title": _("My open tickets"),
         "value": tickets.open().filter(assignee=request.user).count(),
         "link": url + "?mine=1"},
    ]
    context["desk_states"] = [
        {"label": label, "value": by_state.get(value, 0),
         "link": f"{url}?state__exact={value}"}
        for value, label in wf.TicketStatus.choices if value in wf.OPEN_STATES
    ]
    return context
