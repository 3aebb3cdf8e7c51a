"""Incidents: the tickets they caused, the timeline, the customers' notices, the review."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display

from backoffice.desk.models import Ticket
from backoffice.incidents.admin.columns import LinkedTicketColumns
from backoffice.incidents.forms import (
    IncidentActionForm,
    IncidentForm,
    IncidentNoticeForm,
)
from backoffice.incidents.models import (
    Incident,
    IncidentAction,
    IncidentFollowUp,
    IncidentNotice,
    IncidentTicket,
)
from backoffice.incidents.services import (
    incident_add_action,
    incident_attach_tickets,
    incident_opened,
    incident_send_notice,
    initial_from_ticket,
    may_add_action,
)
from backoffice.incidents.workflows import (
    IncidentStatus,
    Severity,
)
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ReadOnlyInline,
    back_to_page,
    error_text,
)

INCIDENT_COLOURS = {IncidentStatus.OPEN: "danger", IncidentStatus.MITIGATED: "warning",
                    IncidentStatus.RESOLVED: "info", IncidentStatus.CLOSED: "success",
                    IncidentStatus.CANCELLED: "default"}
SEVERITY_COLOURS = {Severity.P1: "danger", Severity.P2: "warning", Severity.P3: "info"}


# -- incidents --------------------------------------------------------------------------------
class OpenIncidentFilter(admin.SimpleListFilter):
    title = _("open or finished")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", _("Open")), ("0", _("Resolved, closed or cancelled"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.open()
        if self.value() == "0":
            return queryset.exclude(pk__in=queryset.open().values("pk"))
        return queryset


class IncidentTicketInline(LinkedTicketColumns, ReadOnlyInline):
    model = IncidentTicket
    fields = ["ticket_link", "customer", "ticket_state", "added_at", "added_by"]
    readonly_fields = fields
    verbose_name_plural = _("tickets counted in this incident")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket__customer", "added_by")


class IncidentActionInline(ReadOnlyInline):
    model = IncidentAction
    fields = ["at", "by", "text", "plan_step"]
    readonly_fields = fields
    verbose_name_plural = _("timeline of actions")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "plan_step")


class IncidentNoticeInline(ReadOnlyInline):
    model = IncidentNotice
    fields = ["sent_at", "kind", "subject", "body", "sent_by", "display_recipients"]
    readonly_fields = fields
    verbose_name_plural = _("notices to the customers")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sent_by")

    @display(description=_("recipients"))
    def display_recipients(self, notice):
        text = ", ".join(notice.recipients)
        if notice.failed:
            return format_html('{}<div class="text-red-600">{}: {}</div>', text,
                               _("not delivered"), ", ".join(notice.failed))
        return text


class IncidentFollowUpInline(TabularInline):
    model = IncidentFollowUp
    extra = 0
    fields = ["action", "owner", "due_on", "done"]
    verbose_name_plural = _("review: follow-up actions")


@admin.register(Incident)
class IncidentAdmin(BackofficeAdmin):
    form = IncidentForm
    list_display = ["number", "title", "display_state", "display_severity", "kind",
                    "display_tickets", "commander", "started_at"]
    list_display_links = ["number", "title"]
    list_select_related = ["commander"]
    list_filter = [OpenIncidentFilter, ("state", ChoicesDropdownFilter),
                   ("severity", ChoicesDropdownFilter), ("kind", ChoicesDropdownFilter)]
    list_filter_submit = True
    search_fields = ["=number", "title"]
    autocomplete_fields = ["products", "versions", "customers", "commander"]
    readonly_fields = ["number", "mitigated_at", "resolved_at", "closed_at", "reviewed_by",
                       "display_next_step", "display_call_list"]
    inlines = [IncidentTicketInline, IncidentActionInline, IncidentNoticeInline,
               IncidentFollowUpInline]
    actions_detail = ["add_action_action", "send_notice_action"]
    ordering = ["-started_at", "-id"]

    def get_fieldsets(self, request, obj=None):
        main = ["title", ("kind", "severity"), "description", "plan", "commander",
                "started_at", "products", "versions", "customers", "attach_tickets"]
        if obj is not None and obj.state in {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}:
            main.remove("attach_tickets")
        if obj is None:
            return [(None, {"fields": main})]
        sets = [(None, {"fields": [("number", "state"), *main]}),
                (_("Contingency plan"), {"fields": ["display_next_step", "display_call_list"]}),
                (_("Times"), {"fields": [("mitigated_at", "resolved_at", "closed_at")]})]
        if obj.state in {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}:
            sets.append((_("Post-incident review"), {"fields": [
                "root_cause", "timeline_summary", "went_well", "went_badly", "reviewed_by"]}))
        return sets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state in {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}:
            readonly += [f.name for f in Incident._meta.fields if f.name not in readonly]
            readonly += ["products", "versions", "customers"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and obj.state in {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}:
            form.base_fields.pop("attach_tickets", None)
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ticket_id = request.GET.get("from_ticket")
        if ticket_id and ticket_id.isdigit():
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                initial.update(initial_from_ticket(ticket))
        initial.setdefault("commander", request.user.pk)
        return initial

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(
            ticket_count=Count("ticket_links", distinct=True))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tickets = form.cleaned_data.get("attach_tickets") or []
        if tickets:
            try:
                incident_attach_tickets(form.instance, tickets, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
        if not change:
            incident_opened(form.instance, actor=request.user)

    @display(description=_("state"), ordering="state", label=INCIDENT_COLOURS)
    def display_state(self, incident):
        return incident.state, incident.get_state_display()

    @display(description=_("severity"), ordering="severity", label=SEVERITY_COLOURS)
    def display_severity(self, incident):
        return incident.severity, incident.severity.upper()

    @display(description=_("tickets"), ordering="ticket_count")
    def display_tickets(self, incident):
        return getattr(incident, "ticket_count", "-")

    @display(description=_("next plan step"))
    def display_next_step(self, incident):
        step = incident.next_step() if incident.pk else None
        if step is None:
            return _("Every step of the plan is done.") if incident.plan_id else "-"
        owner = step.owner_label()
        minutes = (_("%(n)d min") % {"n": step.expected_minutes}
                   if step.expected_minutes else "")
        return " · ".join(str(p) for p in (step, owner, minutes) if p)

    @display(description=_("call list"))
    def display_call_list(self, incident):
        if not incident.plan_id:
            return "-"
        contacts = list(incident.plan.contacts.all())
        if not contacts:
            return "-"
        return format_html("<br>".join(["{}"] * len(contacts)),
                           *[" · ".join(p for p in (c.name, c.role, c.phone) if p)
                             for c in contacts])

    @action(description=_("Add an action"), url_path="add-action", icon="playlist_add",
            permissions=["add_action"],
            dialog={"title": _("Add an action to the timeline"),
                    "description": _("What was done; tick off the plan's step it completes."),
                    "form_class": IncidentActionForm, "form_submit_text": _("Add")})
    def add_action_action(self, request, form, object_id):
        incident = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            incident_add_action(incident, text=form.cleaned_data["text"], actor=request.user,
                                plan_step=form.cleaned_data.get("plan_step"),
                                at=form.cleaned_data.get("at"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Action added to the timeline."))
        return back_to_page(request, reverse("admin:backoffice_incident_change",
                                             args=[object_id]))

    def has_add_action_permission(self, request, object_id=None):
        incident = self.get_object(request, object_id) if object_id else None
        return incident is not None and may_add_action(incident, request.user)

    @action(description=_("Inform the customers"), url_path="send-notice", icon="campaign",
            variant="primary", permissions=["send_notice"],
            dialog={"title": _("Notice to the affected customers"),
                    "description": _("Mailed to every contact with an e-mail address of the "
                                     "affected customers and of the counted tickets."),
                    "form_class": IncidentNoticeForm, "form_submit_text": _("Send")})
    def send_notice_action(self, request, form, object_id):
        incident = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            notice = incident_send_notice(incident, kind=form.cleaned_data["kind"],
                                          subject=form.cleaned_data["subject"],
                                          body=form.cleaned_data["body"], actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The notice goes to %(n)d addresses.")
                             % {"n": len(notice.recipients)})
        return back_to_page(request, reverse("admin:backoffice_incident_change",
                                             args=[object_id]))

    def has_send_notice_permission(self, request, object_id=None):
        incident = self.get_object(request, object_id) if object_id else None
        return (incident is not None and request.user.has_perm("backoffice.run_incident")
                and incident.state != IncidentStatus.CANCELLED)
