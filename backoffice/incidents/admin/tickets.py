"""The emergency panel and buttons on the ticket page (mixed into ``TicketAdmin``)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import action

from backoffice.desk.models import Ticket
from backoffice.incidents.forms import (
    AttachToIncidentForm,
    LinkToProblemForm,
)
from backoffice.incidents.models import (
    IncidentTicket,
    ProblemTicket,
)
from backoffice.incidents.selectors import open_incidents_for
from backoffice.incidents.services import (
    incident_attach_tickets,
    problem_link_tickets,
    ticket_proposes_incident,
)
from backoffice.incidents.workflows import proposes_incident
from backoffice.platform.admin.base import error_text


def ticket_incident_panel(request, ticket) -> dict:
    """What the ticket page shows about emergencies and problems, worked out once per
    request (the buttons' permissions ask too): at most three small queries."""
    seen = request.__dict__.setdefault("_incident_panel", {})
    if ticket.pk in seen:
        return seen[ticket.pk]
    user = request.user
    panel = {"ticket": ticket}
    if user.has_perm("backoffice.view_incident"):
        link = _link(ticket, "incident_link", IncidentTicket, "incident")
        panel["incident"] = link.incident if link else None
        if link is None and proposes_incident(ticket):
            panel["proposed"] = True
            panel["open_incidents"] = open_incidents_for(ticket)
            panel["may_open"] = (user.has_perm("backoffice.add_incident")
                                 and user.has_perm("backoffice.run_incident"))
            panel["open_url"] = (reverse("admin:backoffice_incident_add") + "?"
                                 + urlencode({"from_ticket": ticket.pk}))
    if user.has_perm("backoffice.view_problem"):
        link = _link(ticket, "problem_link", ProblemTicket, "problem")
        panel["problem"] = link.problem if link else None
    seen[ticket.pk] = panel
    return panel


def _link(ticket, relation, model, target):
    """The ticket's incident or problem link: from the page's read of the ticket when it
    joined it (``change_select_related``), else one query."""
    cache = ticket._state.fields_cache
    if relation in cache:
        return cache[relation]
    return model.objects.filter(ticket=ticket).select_related(target).first()


class TicketIncidentMixin:
    """Mixed into the ticket admin: the emergency banner ("Open an incident", "Attach to an
    open incident") of a critical outage or security ticket, its incident and problem
    record, and "Link to a problem record"; the message after recording a critical outage."""

    change_form_before_template = "backoffice/ticket_incident.html"
    incident_actions = ["attach_to_incident_action", "link_to_problem_action"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = [a for a in self.actions_detail if a not in self.incident_actions]
        self.actions_detail = [*others, *self.incident_actions]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and request.method == "GET":
            ticket = self.get_object(request, object_id)
            if ticket is not None:
                extra_context["incident_panel"] = ticket_incident_panel(request, ticket)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if proposes_incident(obj):
            ticket_proposes_incident(obj, actor=request.user)
            if request.user.has_perm("backoffice.run_incident"):
                url = (reverse("admin:backoffice_incident_add") + "?"
                       + urlencode({"from_ticket": obj.pk}))
                messages.warning(request, format_html(
                    '{} <a class="underline font-semibold" href="{}">{}</a>',
                    _("A critical %(category)s: is this an emergency?")
                    % {"category": obj.get_category_display().lower()}, url,
                    _("Open an incident")))
            else:
                messages.warning(request, _("A critical %(category)s: the after-sales "
                                            "managers were told, to open an incident.")
                                 % {"category": obj.get_category_display().lower()})
        return response

    @action(description=_("Attach to an open incident"), url_path="attach-to-incident",
            icon="crisis_alert", variant="danger", permissions=["attach_to_incident"],
            dialog={"title": _("Count this ticket in an open incident"),
                    "description": _("Its customer, product and version become the "
                                     "incident's; the incident's notices reach its contact."),
                    "form_class": AttachToIncidentForm, "form_submit_text": _("Attach")})
    def attach_to_incident_action(self, request, form, object_id):
        ticket = get_object_or_404(Ticket, pk=object_id)
        incident = form.cleaned_data["incident"]
        try:
            incident_attach_tickets(incident, [ticket], actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Counted in %(number)s.") % {"number": incident.number})
        return HttpResponse(headers={"HX-Redirect": reverse("admin:backoffice_ticket_change",
                                                            args=[object_id])})

    def has_attach_to_incident_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        if ticket is None or not request.user.has_perm("backoffice.run_incident"):
            return False
        panel = ticket_incident_panel(request, ticket)
        return panel.get("incident") is None and bool(panel.get("open_incidents"))

    @action(description=_("Link to a problem record"), url_path="link-to-problem",
            icon="bug_report", permissions=["link_to_problem"],
            dialog={"title": _("Link this ticket to a problem record"),
                    "description": _("Tickets with the same root cause are counted together; "
                                     "when the fix ships, the waiting ones are told."),
                    "form_class": LinkToProblemForm,
                    "form_submit_text": pgettext_lazy("verb", "Link")})
    def link_to_problem_action(self, request, form, object_id):
        ticket = get_object_or_404(Ticket, pk=object_id)
        problem = form.cleaned_data["problem"]
        try:
            problem_link_tickets(problem, [ticket], actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Linked to %(number)s.") % {"number": problem.number})
        return HttpResponse(headers={"HX-Redirect": reverse("admin:backoffice_ticket_change",
                                                            args=[object_id])})

    def has_link_to_problem_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        if ticket is None or not request.user.has_perm("backoffice.add_problemticket"):
            return False
        return ticket_incident_panel(request, ticket).get("problem") is None
