"""Problem records: the tickets with one root cause, the workaround, the fix's version."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from backoffice.incidents.admin.columns import LinkedTicketColumns
from backoffice.incidents.forms import ProblemForm
from backoffice.incidents.models import (
    Problem,
    ProblemTicket,
)
from backoffice.incidents.services import problem_link_tickets
from backoffice.incidents.workflows import ProblemStatus
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ReadOnlyInline,
    error_text,
)

PROBLEM_COLOURS = {ProblemStatus.OPEN: "warning", ProblemStatus.KNOWN_ERROR: "info",
                   ProblemStatus.FIXED: "success", ProblemStatus.CLOSED: "default"}


class ProblemTicketInline(LinkedTicketColumns, ReadOnlyInline):
    model = ProblemTicket
    fields = ["ticket_link", "customer", "ticket_state", "waiting_for", "added_at"]
    readonly_fields = fields
    verbose_name_plural = _("tickets of this problem")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "ticket__customer", "ticket__rnd_target_version")

    @display(description=_("waits for version"))
    def waiting_for(self, link):
        return link.ticket.rnd_target_version or "-"


@admin.register(Problem)
class ProblemAdmin(BackofficeAdmin):
    form = ProblemForm
    list_display = ["number", "title", "display_state", "product", "display_tickets",
                    "bug_reference", "fixed_in"]
    list_display_links = ["number", "title"]
    list_select_related = ["product", "fixed_in"]
    list_filter = [("state", ChoicesDropdownFilter), ("product", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["=number", "title", "=bug_reference"]
    autocomplete_fields = ["product", "versions", "article", "fixed_in", "owner"]
    readonly_fields = ["number", "fixed_at"]
    inlines = [ProblemTicketInline]
    ordering = ["-created_at", "-id"]

    def get_fieldsets(self, request, obj=None):
        main = ["title", "product", "versions", "owner", "root_cause", "workaround", "article",
                ("bug_reference", "fixed_in"), "attach_tickets"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), *main, "fixed_at"]})]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(
            ticket_count=Count("ticket_links", distinct=True))

    def save_model(self, request, obj, form, change):
        if not change and obj.owner_id is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tickets = form.cleaned_data.get("attach_tickets") or []
        if tickets:
            try:
                problem_link_tickets(form.instance, tickets, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))

    @display(description=_("state"), ordering="state", label=PROBLEM_COLOURS)
    def display_state(self, problem):
        return problem.state, problem.get_state_display()

    @display(description=_("tickets"), ordering="ticket_count")
    def display_tickets(self, problem):
        return getattr(problem, "ticket_count", "-")
