"""Follow-up calls and surveys."""

from django.contrib import admin
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.decorators import display

from backoffice.care.admin.common import _late
from backoffice.care.models import FollowUp
from backoffice.care.resources import FollowUpResource
from backoffice.care.workflows import FollowUpStatus
from backoffice.platform.admin.base import BackofficeAdmin, ExportOnlyMixin, admin_link
from backoffice.platform.people import display_name

FOLLOWUP_COLOURS = {FollowUpStatus.OPEN: "warning", FollowUpStatus.DONE: "success",
                    FollowUpStatus.UNREACHABLE: "danger", FollowUpStatus.CANCELLED: "default"}


class MyFollowUpsFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My follow-ups")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class DueFollowUpFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("Due today or earlier")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "today":
            return queryset.filter(state=FollowUpStatus.OPEN, due_on__lte=today)
        if self.value() == "overdue":
            return queryset.filter(state=FollowUpStatus.OPEN, due_on__lt=today)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [FollowUpResource]
    list_display = ["number", "subject", "kind", "display_ticket", "customer", "display_phone",
                    "assignee", "display_due", "display_state", "attempts", "rating"]
    list_display_links = ["number", "subject"]
    list_select_related = ["ticket", "customer", "contact", "assignee"]
    list_filter = [MyFollowUpsFilter, DueFollowUpFilter, ("state", ChoicesDropdownFilter),
                   ("kind", ChoicesDropdownFilter), "rating", ("due_on", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "subject", "customer__name", "=customer__code",
                     "=ticket__number"]
    autocomplete_fields = ["customer", "contact", "assignee", "ticket"]
    readonly_fields = ["number", "ticket", "update_recipient", "attempts",
                       "last_attempt_at", "outcome", "rating", "remarks", "done_at", "done_by",
                       "new_ticket", "display_service_record"]
    ordering = ["due_on", "id"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["kind", ("customer", "contact"), "subject",
                                       ("due_on", "assignee")]})]
        return [
            (None, {"fields": [("number", "state", "kind"), ("customer", "contact"), "subject",
                               ("due_on", "assignee"), ("ticket", "update_recipient")]}),
            (_("What was done"), {"fields": ["display_service_record"]}),
            (_("Call and survey"), {"fields": [("attempts", "last_attempt_at"),
                                               ("outcome", "rating"), "remarks",
                                               ("done_at", "done_by"), "new_ticket"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["customer", "kind"]
            if obj.state != FollowUpStatus.OPEN:
                readonly += ["contact", "subject", "due_on", "assignee"]
        return readonly

    @display(description=_("ticket"), ordering="ticket__number")
    def display_ticket(self, followup):
        if followup.ticket_id is None:
            return "-"
        return admin_link(followup.ticket, followup.ticket.number)

    @display(description=_("phone"))
    def display_phone(self, followup):
        return followup.contact.phone if followup.contact_id else "-"

    @display(description=_("due on"), ordering="due_on")
    def display_due(self, followup):
        return _late(followup.due_on) if followup.is_overdue() else followup.due_on

    @display(description=_("state"), ordering="state", label=FOLLOWUP_COLOURS)
    def display_state(self, followup):
        return followup.state, followup.get_state_display()

    @display(description=_("service record"))
    def display_service_record(self, followup):
        ticket = followup.ticket
        if ticket is None:
            recipient = followup.update_recipient
            if recipient is None:
                return "-"
            notice = recipient.notice
            return format_html("{} {}<br>{}", notice.number, notice.title,
                               linebreaksbr(notice.release_notes[:500]))
        engineer = display_name(ticket.assignee) if ticket.assignee_id else "-"
        # the ticket keeps the confirmation's rating; this call's survey has its own below
        confirmation = "-"
        if ticket.satisfaction:
            confirmation = f"{ticket.satisfaction}/5"
            if ticket.satisfaction_source:
                confirmation += f" ({ticket.get_satisfaction_source_display()})"
        return format_html(
            "<strong>{}</strong>: {}<br><strong>{}</strong>: {}<br><strong>{}</strong>: {}"
            "<br><strong>{}</strong>: {}",
            _("engineer"), engineer, _("problem"), ticket.description or ticket.subject,
            _("solution"), ticket.solution or "-",
            _("satisfaction at confirmation"), confirmation)
