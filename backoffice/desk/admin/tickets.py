"""Admin of the service desk: the pages a clerk lives in."""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportActionMixin
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.desk import calendar_data, services
from backoffice.desk import workflows as wf
from backoffice.desk.admin.costs import TicketCostMixin
from backoffice.desk.admin.parts import TicketContextMixin, TicketPartsMixin
from backoffice.desk.admin.review import TicketReviewMixin
from backoffice.desk.forms import (
    BulkAssignForm,
    BulkPriorityForm,
    ConfirmationLinkForm,
    LoadHolidaysForm,
    MessageForm,
)
from backoffice.desk.models import (
    BusinessCalendar,
    CalendarDay,
    CannedReply,
    Contact,
    Customer,
    InstalledProduct,
    Product,
    ProductVersion,
    SLAPolicy,
    Ticket,
    TicketAttachment,
    WorkingPeriod,
)
from backoffice.desk.resources import CalendarDayResource, CustomerResource, TicketResource
from backoffice.desk.selectors import (
    TICKET_SCOPES,
    calendar_known_years,
    canned_replies,
    confirmation_requests,
    engineers,
    level_ladder,
    search_tickets,
    thread_counted,
    ticket_guessed_years,
    without_holidays,
    working_calendar,
)
from backoffice.desk.selectors import conversation as desk_conversation
from backoffice.incidents.admin import TicketIncidentMixin
from backoffice.knowledge.admin import TicketKnowledgeMixin
from backoffice.platform import files
from backoffice.platform.admin.base import BackofficeAdmin
from backoffice.platform.admin.printing import PrintableAdmin

STATE_COLOURS = {
    wf.TicketStatus.NEW: "info",
    wf.TicketStatus.ASSIGNED: "info",
    wf.TicketStatus.IN_PROGRESS: "primary",
    wf.TicketStatus.WAITING: "warning",
    wf.TicketStatus.ON_SITE: "primary",
    wf.TicketStatus.REQUIREMENT_REVIEW: "warning",
    wf.TicketStatus.COMPLAINT_HANDLING: "danger",
    wf.TicketStatus.RESOLVED: "success",
    wf.TicketStatus.CONFIRMED: "success",
    wf.TicketStatus.CLOSED: "default",
    wf.TicketStatus.CANCELLED: "default",
}
PRIORITY_COLOURS = {wf.Priority.CRITICAL: "danger", wf.Priority.HIGH: "warning",
                    wf.Priority.NORMAL: "info", wf.Priority.LOW: "default"}


# -- customers and products -----------------------------------------------------------
class ContactInline(TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "position", "phone", "email", "wechat", "is_primary"]


class InstalledProductInline(TabularInline):
    model = InstalledProduct
    extra = 0
    fields = ["product", "version", "installed_on", "licences", "notes"]
    autocomplete_fields = ["product", "version"]


@admin.register(Customer)
class CustomerAdmin(BackofficeAdmin):
    resource_classes = [CustomerResource]
    list_display = ["code", "name", "display_vip", "consultant", "industry", "region", "phone",
                    "is_active"]
    list_display_links = ["code", "name"]
    list_filter = ["is_vip", "is_active", ("consultant", RelatedDropdownFilter)]
    list_select_related = ["consultant"]
    search_fields = ["code", "name", "phone"]
    autocomplete_fields = ["consultant"]
    inlines = [ContactInline, InstalledProductInline]
    readonly_fields = ["service_history"]
    fieldsets = [
        (None, {"fields": [("code", "name"), ("is_vip", "consultant"), ("industry", "region"),
                           "address", "phone", "notes", "is_active"]}),
        (_("Service history"), {"fields": ["service_history"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_vip" in form.changed_data:
            services.replan_for_customers([obj], actor=request.user)

    @display(description=_("VIP"), label={True: "warning"})
    def display_vip(self, obj):
        return _("VIP") if obj.is_vip else ""

    @display(description=_("Recent tickets"))
    def service_history(self, obj):
        if not obj.pk:
            return "-"
        recent = (obj.tickets.select_related("assignee").order_by("-received_at")[:20])
        rows = format_html_join(
            "", '<tr><td class="pr-4"><a class="text-primary-600" href="{}">{}</a></td>'
            '<td class="pr-4">{}</td><td class="pr-4">{}</td><td class="pr-4">{}</td>'
            "<td>{}</td></tr>",
            ((reverse("admin:backoffice_ticket_change", args=[t.pk]), t.number,
              timezone.localtime(t.received_at).strftime("%Y-%m-%d"), t.get_category_display(),
              t.subject, t.get_state_display()) for t in recent))
        all_url = reverse("admin:backoffice_ticket_changelist") + f"?customer__id__exact={obj.pk}"
        return format_html('<table class="text-sm">{}</table><a class="text-primary-600" '
                           'href="{}">{}</a>', rows, all_url, _("All tickets of this customer"))


@admin.register(Contact)
class ContactAdmin(TicketContextMixin, BackofficeAdmin):
    list_display = ["name", "customer", "position", "phone", "email", "is_primary"]
    list_select_related = ["customer"]
    search_fields = ["name", "phone", "email", "customer__name", "customer__code"]
    autocomplete_fields = ["customer"]

    def get_model_perms(self, request):
        return {}  # edited on the customer page; registered for autocomplete


class ProductVersionInline(TabularInline):
    model = ProductVersion
    extra = 0
    fields = ["version", "released_on", "end_of_support"]


@admin.register(Product)
class ProductAdmin(TicketContextMixin, BackofficeAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ProductVersionInline]


@admin.register(ProductVersion)
class ProductVersionAdmin(TicketContextMixin, BackofficeAdmin):
    list_display = ["product", "version", "released_on", "end_of_support"]
    list_select_related = ["product"]
    search_fields = ["version", "product__name", "product__code"]

    def get_model_perms(self, request):
        return {}  # edited on the product page; registered for autocomplete


@admin.register(InstalledProduct)
class InstalledProductAdmin(BackofficeAdmin):
    list_display = ["customer", "product", "version", "installed_on", "licences"]
    list_select_related = ["customer", "product", "version__product"]
    search_fields = ["customer__name", "customer__code", "product__name"]
    autocomplete_fields = ["customer", "product", "version"]

    def get_model_perms(self, request):
        return {}


# -- calendar and SLA -----------------------------------------------------------------
class WorkingPeriodInline(TabularInline):
    model = WorkingPeriod
    extra = 0


class CalendarDayInline(TabularInline):
    """This year's and later days (older ones and the import: the days' own page)."""

    model = CalendarDay
    extra = 0
    ordering = ["date"]
    fields = ["date", "kind", "name", "source"]
    readonly_fields = ["source"]

    def get_queryset(self, request):
        since = dt.date(timezone.localdate().year, 1, 1)
        return super().get_queryset(request).filter(date__gte=since)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(BackofficeAdmin):
    list_display = ["name", "is_default", "display_known_years"]
    readonly_fields = ["display_known_years"]
    inlines = [WorkingPeriodInline, CalendarDayInline]
    actions_detail = ["load_holidays"]

    @display(description=_("years with holidays"))
    def display_known_years(self, obj):
        """The years the arithmetic knows (a holiday in them), and where to see all days."""
        years = sorted(calendar_known_years().get(obj.pk, ())) if obj.pk else []
        spans = _year_spans(years) or _("none: deadlines are worked out on the weekly hours "
                                        "alone")
        if not obj.pk:
            return spans
        url = reverse("admin:backoffice_calendarday_changelist") + f"?calendar__id__exact={obj.pk}"
        return format_html('{} · <a class="text-primary-600" href="{}">{}</a>', spans, url,
                           _("all days, import"))

    @action(description=format_lazy(_("Load holidays from {source}"),
                                    source=calendar_data.source_name()),
            url_path="load-holidays", icon="event_available",
            permissions=["load_holidays"],
            dialog={"title": _("Load holidays and make-up working days"),
                    "description": _("Every year the data source knows is written into "
                                     "this calendar. Days imported or entered by hand are "
                                     "kept as they are."),
                    "form_class": LoadHolidaysForm, "form_submit_text": _("Load")})
    def load_holidays(self, request, form, object_id):
        calendar = get_object_or_404(self.get_queryset(request), pk=object_id)
        result = calendar_data.load_calendar_data(calendar, actor=request.user)
        messages.success(request, _(
            "Loaded %(first)s-%(last)s from %(source)s: %(created)d days added, %(updated)d "
            "updated, %(removed)d removed; %(kept)d days imported or entered by hand kept.") % {
            "first": result["years"][0], "last": result["years"][1],
            "source": calendar_data.source_name(), **result})
        return HttpResponse(headers={"HX-Redirect": reverse(
            "admin:backoffice_businesscalendar_change", args=[calendar.pk])})

    def has_load_holidays_permission(self, request, object_id=None):
        """Whoever may edit the calendar's days (a permission method, not a dotted name:
        unfold's system check would query the permission table before ``migrate``)."""
        return request.user.has_perm("backoffice.change_calendarday")

    def save_formset(self, request, form, formset, change):
        """A day edited here is a person's: the data source will not overwrite it."""
        with transaction.atomic():
            if formset.model is CalendarDay:
                for inline_form in formset.forms:
                    if inline_form.has_changed() and not inline_form.cleaned_data.get("DELETE"):
                        inline_form.instance.source = CalendarDay.Source.MANUAL
            super().save_formset(request, form, formset, change)
            if formset.has_changed():  # days or working hours: the open deadlines move
                calendar_data.calendar_changed(form.instance, actor=request.user)
        return None


def _year_spans(years) -> str:
    """[2020, 2021, 2022, 2025] -> "2020-2022, 2025"."""
    spans, start = [], None
    for i, year in enumerate(years):
        start = year if start is None else start
        if i + 1 == len(years) or years[i + 1] != year + 1:
            spans.append(str(year) if start == year else f"{start}-{year}")
            start = None
    return ", ".join(spans)


@admin.register(CalendarDay)
class CalendarDayAdmin(BackofficeAdmin):
    """Every holiday and make-up day, by calendar: the import of the State Council's notice,
    and hand edits (which the data source never overwrites)."""

    resource_classes = [CalendarDayResource]
    list_display = ["date", "kind", "name", "calendar", "source"]
    list_filter = ["calendar", "kind", "source"]
    list_select_related = ["calendar"]
    date_hierarchy = "date"
    ordering = ["-date"]
    fields = ["calendar", "date", "kind", "name", "source"]
    readonly_fields = ["source"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.source = CalendarDay.Source.MANUAL
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            calendar_data.calendar_changed(obj.calendar, actor=request.user)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            calendar_data.calendar_changed(obj.calendar, actor=request.user)

    def delete_queryset(self, request, queryset):
        calendars = list(BusinessCalendar.objects.filter(days__in=queryset).distinct())
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for calendar in calendars:
                calendar_data.calendar_changed(calendar, actor=request.user)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(BackofficeAdmin):
    list_display = ["name", "priority", "for_vip", "response_minutes", "resolution_minutes",
                    "round_the_clock"]
    list_editable = []
    fieldsets = [
        (None, {"fields": ["name", ("priority", "for_vip"),
                           ("response_minutes", "resolution_minutes"),
                           ("round_the_clock", "calendar"), "rnd_pauses_clock"]}),
        (_("Time each support level may hold a ticket"), {"fields": [
            ("first_line_minutes", "second_line_minutes", "third_line_minutes")]}),
    ]

    def save_model(self, request, obj, form, change):
        """An edit of what plans deadlines re-plans the open tickets it applies to."""
        super().save_model(request, obj, form, change)
        if not change or set(form.changed_data) & set(SLAPolicy.PLANNING_FIELDS):
            services.replan_for_policy(obj, actor=request.user,
                                       priorities=[form.initial.get("priority")] if change
                                       else [])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.replan_for_policy(obj, actor=request.user)


# -- tickets --------------------------------------------------------------------------
class SLAFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("due_soon", _("Due within 2 hours")),
                ("late_response", _("Answered late")), ("paused", _("Clock paused"))]

    def queryset(self, request, queryset):
        match self.value():
            case "overdue":
                return queryset.overdue()
            case "due_soon":
                return queryset.due_soon()
            case "late_response":
                return queryset.filter(response_met=False)
            case "paused":
                return queryset.filter(state__in=wf.WAITING_STATES, paused_since__isnull=False)
        return queryset


class CalendarDataFilter(admin.SimpleListFilter):
    """Open tickets whose deadlines were worked out without holidays (a year their
    calendar has none for: ``selectors.without_holidays``)."""

    title = _("calendar data")
    parameter_name = "holidays"

    def lookups(self, request, model_admin):
        return [("missing", _("Deadlines computed without holidays"))]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return without_holidays(queryset)
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My tickets")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(Q(assignee=request.user) | Q(recorded_by=request.user))
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open or finished")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("finished", _("Resolved, closed or cancelled"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(state__in=wf.OPEN_STATES)
        if self.value() == "finished":
            return queryset.exclude(state__in=wf.OPEN_STATES)
        return queryset


class ScopeFilter(admin.SimpleListFilter):
    """The sets of tickets the dashboard's and the reports' figures count that no field
    filter names (``selectors.TICKET_SCOPES``, the same ``Q`` the figure counts with):
    a figure's link opens exactly the tickets it counted."""

    title = _("counted in")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _q) in TICKET_SCOPES.items()]

    def queryset(self, request, queryset):
        scope = TICKET_SCOPES.get(self.value() or "")
        return queryset.filter(scope[1](timezone.now())) if scope else queryset


class EngineerFilter(RelatedDropdownFilter):
    def field_choices(self, field, request, model_admin):
        return [(u.pk, str(u)) for u in engineers()]


@admin.register(Ticket)
class TicketAdmin(PrintableAdmin, TicketCostMixin, TicketReviewMixin, TicketKnowledgeMixin,
                  TicketIncidentMixin, TicketPartsMixin, BackofficeAdmin):
    resource_classes = [TicketResource]
    # the printed service record (服务单): <id>/print/ and <id>/pdf/, and a "Print" button
    print_template = "backoffice/print/service_record.html"
    # the customer's confirmation (and a warning when it contradicts itself) above the form;
    # the conversation, then the knowledge panel, under it
    change_form_outer_before_template = "backoffice/ticket_confirmation.html"
    change_form_outer_after_template = "backoffice/ticket_page_after.html"
    # closing books the follow-up call at once (not on the generator's next run)
    transition_services = {"close": "backoffice.care.services.ticket_close_step",
                           "close_anyway": "backoffice.care.services.ticket_close_step"}
    actions_detail = ["send_confirmation_link"]
    actions = ["assign_selected", "change_priority_selected", "export_selected"]
    list_display = ["number", "subject", "display_state", "display_priority", "category",
                    "customer", "assignee", "received_at", "display_deadline"]
    list_display_links = ["number", "subject"]
    list_select_related = ["customer", "assignee"]
    list_filter = [MineFilter, OpenFilter, SLAFilter,
                   ("state", ChoicesDropdownFilter), ("category", ChoicesDropdownFilter),
                   ("priority", ChoicesDropdownFilter), ("channel", ChoicesDropdownFilter),
                   ("assignee", EngineerFilter), "support_level",
                   ("received_at", RangeDateFilter), CalendarDataFilter, ScopeFilter]
    list_filter_submit = True
    search_fields = ["=number", "subject", "customer__name", "=customer__code", "description",
                     "diagnosis", "solution"]
    search_help_text = _("Ticket number, customer code or name, or words from the subject, "
                         "description, diagnosis or solution")
    date_hierarchy = "received_at"
    autocomplete_fields = ["customer", "contact", "product", "product_version"]
    ordering = ["-received_at", "-id"]
    change_select_related = ("customer", "contact__customer", "product",
                             "product_version__product", "assignee", "recorded_by",
                             "resolved_by", "confirmation_entered_by", "sla_policy__calendar",
                             "rnd_target_version__product", "incident_link__incident",
                             "problem_link__problem")
    readonly_fields = [
        "number", "assignee", "support_level", "recorded_by",
        "confirmed_by", "confirmed_at", "satisfaction", "confirmation_entered_by",
        "satisfaction_source", "confirmation_doubt", "resolved_by", "first_contact_resolution",
        "visit_at", "visit_address",
        "requirement_decision", "requirement_chargeable", "requirement_planned_for",
        "requirement_effort_days", "requirement_approach",
        "sla_policy", "response_due", "resolution_due", "first_response_at", "response_met",
        "first_response_seconds",
        "resolved_at", "resolution_met", "closed_at", "paused_since", "parts_used",
        "clock_ladder", "rnd_reference", "rnd_target_version",
    ]
    complaint_fields = ["complaint_investigation", "complaint_cause", "complaint_responsible",
                        "complaint_plan", "complaint_compensation", "complaint_evaluation"]

    def get_search_results(self, request, queryset, search_term):
        """Customer name/code, or a substring of the number, subject, description,
        diagnosis or solution (in every ticket picker too): desk.selectors.search_tickets."""
        return search_tickets(queryset, search_term), False

    def object_queryset(self, request, queryset):
        """The conversation's counts come with the ticket (not two more queries)."""
        return thread_counted(super().object_queryset(request, queryset))

    def get_fieldsets(self, request, obj=None):
        intake = (None, {"fields": [
            ("number", "state") if obj else "state",
            ("channel", "category", "priority"), ("customer", "contact"),
            ("product", "product_version"), "subject", "description", "received_at"]})
        if obj is None:
            return [(None, {"fields": [("channel", "category", "priority"),
                                       ("customer", "contact"), ("product", "product_version"),
                                       "subject", "description", "received_at"]})]
        sets = [
            intake,
            (_("Assignment"), {"fields": [("assignee", "support_level", "recorded_by")]}),
            (_("Service record"), {"fields": ["diagnosis", "process", "solution", "parts_used",
                                              "customer_feedback",
                                              ("resolved_by", "first_contact_resolution"),
                                              ("confirmed_by", "confirmed_at"),
                                              ("satisfaction", "satisfaction_source",
                                               "confirmation_entered_by"),
                                              "confirmation_doubt"]}),
            (_("Response-time target"), {"classes": ["collapse"], "fields": [
                "sla_policy", ("response_due", "first_response_at", "response_met"),
                "first_response_seconds",
                ("resolution_due", "resolved_at", "resolution_met"),
                ("paused_since", "closed_at")]}),
            (_("Time per support level"), {"fields": ["clock_ladder"]}),
            (_("Spare parts"), {"fields": ["ticket_requisitions"]}),
        ]
        if obj.rnd_reference or obj.state == wf.TicketStatus.WAITING_RND:
            sets.append((_("Waiting for R&D"), {"fields": [
                ("rnd_reference", "rnd_target_version")]}))
        if obj.visit_at:
            sets.append((_("On-site visit"), {"fields": [("visit_at", "visit_address")]}))
        if obj.category == wf.Category.REQUIREMENT:
            sets.append((_("Requirement evaluation"), {"fields": [
                ("requirement_decision", "requirement_chargeable"),
                ("requirement_planned_for", "requirement_effort_days"),
                "requirement_approach"]}))
        if obj.category == wf.Category.COMPLAINT:
            sets.append((_("Complaint handling"), {"fields": self.complaint_fields}))
        sets += self.review_fieldsets(request, obj)
        sets += self.cost_fieldsets(request, obj)
        return sets

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        """A deadline worked out without holidays says so above the form (on the ticket
        the page has already loaded)."""
        years = []
        if obj is not None and request.method == "GET":
            if obj.state in wf.OPEN_STATES:  # its level clock runs: one calendar for both
                obj._working_calendar = working_calendar(obj)
            years = ticket_guessed_years(obj, getattr(obj, "_working_calendar", None))
        if years:
            messages.warning(request, _(
                "The deadlines of this ticket were worked out without holidays for "
                "%(years)s: the business calendar has none for that year yet.") % {
                "years": ", ".join(map(str, years))})
        return super().render_change_form(request, context, add=add, change=change,
                                          form_url=form_url, obj=obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("backoffice.handle_complaint"):
            readonly += self.complaint_fields
        if obj is not None and obj.state in {wf.TicketStatus.CLOSED, wf.TicketStatus.CANCELLED}:
            readonly += [f.name for f in Ticket._meta.fields if f.name not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            services.route_new_ticket(obj, actor=request.user)
        elif "priority" in form.changed_data:
            services.replan_deadlines([obj], actor=request.user,
                                      reason=services.priority_reason(obj.priority))
        elif "customer" in form.changed_data:
            services.replan_deadlines([obj], actor=request.user,
                                      reason=_("Customer changed"))

    def print_context(self, request, obj):
        from backoffice.desk.selectors import service_record

        return service_record(obj)

    @display(description=_("time held"))
    def clock_ladder(self, obj):
        """Each level's own working time against its target, and the time waited."""
        ladder = level_ladder(obj, calendar=getattr(obj, "_working_calendar", None))
        if not ladder["levels"] and not ladder["waits"]:
            return "-"

        def hours(seconds):
            return _("%(hours)s working h") % {"hours": f"{seconds / 3600:.1f}"}

        def wall(seconds):
            return _("%(hours)s h on the clock") % {"hours": f"{seconds / 3600:.1f}"}

        rows = []
        for row in ladder["levels"]:
            if row["target"] is None:
                verdict, colour = _("no target"), "text-base-500"
            elif row["met"]:
                verdict, colour = _("within target (%(target)s)") % {
                    "target": hours(row["target"])}, "text-green-700"
            else:
                verdict, colour = _("over target (%(target)s)") % {
                    "target": hours(row["target"])}, "text-red-600 font-semibold"
            rows.append((row["label"], hours(row["working"]), wall(row["wall"]), colour,
                         verdict, f"level-{row['level']}"))
        for row in ladder["waits"]:
            rows.append((row["label"], hours(row["working"]), wall(row["wall"]),
                         "text-base-500", "", f"wait-{row['kind']}"))
        return format_html('<table class="text-sm" data-clock-ladder>{}</table>', format_html_join(
            "", '<tr data-row="{5}"><th class="pr-4 text-left">{0}</th><td class="pr-4">{1}</td>'
            '<td class="pr-4 text-base-500">{2}</td><td class="{3}">{4}</td></tr>', rows))

    @display(description=_("parts used"))
    def parts_used(self, obj):
        """Spare parts issued to this ticket net of returns (from the inventory app)."""
        rows = self.parts_used_rows(obj)
        return format_html_join(", ", "{} {} × {} {}", (
            (r["code"], r["name"], r["quantity"], r["unit"]) for r in rows)) or "-"

    @display(description=_("state"), ordering="state", label=STATE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("priority"), ordering="priority", label=PRIORITY_COLOURS)
    def display_priority(self, obj):
        return obj.priority, obj.get_priority_display()

    @display(description=_("deadline"), ordering="resolution_due")
    def display_deadline(self, obj):
        if obj.state in wf.WAITING_STATES and not wf.clock_runs_on(obj):
            return format_html('<span class="text-base-500">{}</span>', _("paused"))
        if not wf.clock_runs_on(obj) or not obj.resolution_due:
            return "-"
        due = (obj.response_due if obj.first_response_at is None and obj.response_due
               else obj.resolution_due)
        local = timezone.localtime(due).strftime("%m-%d %H:%M")
        if obj.is_overdue():
            return format_html('<span class="text-red-600 font-semibold">{} ⚠ {}</span>',
                               local, _("overdue"))
        if due - timezone.now() < dt.timedelta(hours=2):
            return format_html('<span class="text-orange-700 font-semibold">{}</span>', local)
        return local

    # -- bulk actions of the list ------------------------------------------------------------
    def has_assign_permission(self, request):
        return request.user.has_perm("backoffice.assign_ticket")

    @action(description=_("Assign to an engineer"), permissions=["assign"])
    def assign_selected(self, request, queryset):
        """Pick the engineer on a page of its own, then assign each ticket through the
        workflow; one message says which were refused and why."""
        tickets = self._bulk_tickets(request, queryset)
        if tickets is None:
            return None
        form = BulkAssignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.bulk_form_page(
                request, tickets, form, "assign_selected", _("Assign to an engineer"),
                _("Assign"), ngettext("The engineer gets this ticket:",
                                      "The engineer gets these %(count)d tickets:",
                                      len(tickets)) % {"count": len(tickets)})
        engineer = form.cleaned_data["assignee"]
        outcome = services.tickets_assign(tickets, assignee=engineer, actor=request.user,
                                          note=form.cleaned_data["note"])
        self.report_bulk(request, outcome, ngettext(
            "%(count)d ticket assigned to %(engineer)s.",
            "%(count)d tickets assigned to %(engineer)s.", len(outcome.done))
            % {"count": len(outcome.done), "engineer": engineer},
            _("Not assigned: %(tickets)s"))
        return None

    @action(description=_("Change priority"), permissions=["change"])
    def change_priority_selected(self, request, queryset):
        """Pick the priority, then save it on each ticket the user may edit."""
        tickets = self._bulk_tickets(request, queryset)
        if tickets is None:
            return None
        form = BulkPriorityForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.bulk_form_page(
                request, tickets, form, "change_priority_selected", _("Change priority"),
                _("Change priority"), ngettext("The new priority applies to this ticket:",
                                               "The new priority applies to these %(count)d "
                                               "tickets:", len(tickets))
                % {"count": len(tickets)})
        priority = form.cleaned_data["priority"]
        outcome = services.tickets_change_priority(tickets, priority=priority,
                                                   actor=request.user)
        self.report_bulk(request, outcome, ngettext(
            "%(count)d ticket now has the priority “%(priority)s”.",
            "%(count)d tickets now have the priority “%(priority)s”.", len(outcome.done))
            % {"count": len(outcome.done), "priority": wf.Priority(priority).label},
            _("Priority not changed: %(tickets)s"))
        return None

    @action(description=_("Export selected %(verbose_name_plural)s"), permissions=["export"])
    def export_selected(self, request, queryset):
        """import-export's export of the selected rows (the ticket resource, the formats
        and fields to choose); the export page checks them against the list again."""
        return ExportActionMixin.export_admin_action(self, request, queryset)

    def get_valid_export_item_pks(self, request):
        """The selection an export page posts back, kept to the tickets this user's list
        holds (import-export's default reads every id of the table)."""
        wanted = [pk for pk in request.POST.getlist("export_items") if pk.isdigit()]
        return self.get_queryset(request).filter(pk__in=wanted).values_list("pk", flat=True)

    def _bulk_tickets(self, request, queryset):
        tickets = list(queryset[:services.BULK_LIMIT + 1])
        if len(tickets) > services.BULK_LIMIT:
            messages.error(request, _("Select at most %(limit)d tickets for this action.")
                           % {"limit": services.BULK_LIMIT})
            return None
        return tickets

    def bulk_form_page(self, request, tickets, form, action_name, title, submit_label, intro):
        """The page between choosing a bulk action and running it (posts back to the list)."""
        context = {
            **self.admin_site.each_context(request),
            "title": title, "opts": self.model._meta, "form": form, "tickets": tickets,
            "intro": intro, "submit_label": submit_label, "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "list_url": request.get_full_path(),
        }
        return TemplateResponse(request, "backoffice/ticket_bulk_form.html", context)

    @staticmethod
    def report_bulk(request, outcome, done_text, refused_text):
        """One message for what was done, one listing every refused ticket and why."""
        if outcome.done:
            messages.success(request, done_text)
        if outcome.unchanged:
            messages.info(request, ngettext(
                "%(count)d ticket already was so: %(tickets)s",
                "%(count)d tickets already were so: %(tickets)s", len(outcome.unchanged))
                % {"count": len(outcome.unchanged),
                   "tickets": ", ".join(t.number for t in outcome.unchanged)})
        if outcome.refused:
            messages.error(request, refused_text % {"tickets": outcome.refusals()})

    # -- the conversation ------------------------------------------------------------------
    #: a long thread opens on its newest entries ("show earlier" shows the whole)
    thread_shown = 40

    def get_urls(self):
        return [path("<path:object_id>/conversation/",
                     self.admin_site.admin_view(self.add_message_view),
                     name="backoffice_ticket_message"),
                *super().get_urls()]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and request.method == "GET":
            ticket = self.get_object(request, object_id)
            if ticket is not None:
                extra_context["conversation"] = self.conversation(
                    request, ticket, extra_context.pop("message_form", None))
                extra_context["confirmation"] = self.confirmation(request, ticket)
        return super().changeform_view(request, object_id, form_url, extra_context)

    # -- the customer's confirmation --------------------------------------------------------
    def confirmation(self, request, ticket):
        """The links sent, the customer's answers (signature, IP, browser) and the doubt."""
        requests = confirmation_requests(ticket)
        usable = next((r for r in requests if r.is_usable()), None)
        return {
            "requests": requests,
            "usable": usable,
            "text": services.confirmation_text(usable) if usable else "",
            "url": services.confirmation_url(usable) if usable else "",
            "doubt": ticket.confirmation_doubt if ticket.state == wf.TicketStatus.CONFIRMED
            else "",
        }

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        ticket = self.get_object(request, object_id)
        if ticket is None or not services.may_request_confirmation(ticket, request.user):
            actions = [a for a in actions if not a.action_name.endswith("send_confirmation_link")]
        return actions

    @action(description=_("Send confirmation link"), url_path="confirmation-link",
            icon="ios_share", variant="primary",
            dialog={"title": _("Ask the customer to confirm"), "form_class": ConfirmationLinkForm,
                    "form_submit_text": _("Create the link")})
    def send_confirmation_link(self, request, form, object_id):
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            link = services.request_confirmation(
                ticket, actor=request.user, send_mail=form.cleaned_data["send_mail"],
                mail_to=form.cleaned_data["mail_to"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("Mailed to %(address)s. The text to paste is above the "
                                        "form.") % {"address": link.mailed_to}
                             if link.mailed_to else
                             _("The link is ready: copy the text above the form into WeChat, "
                               "QQ or a text message."))
        return HttpResponse(headers={"HX-Redirect": reverse("admin:backoffice_ticket_change",
                                                            args=[ticket.pk])})

    def conversation(self, request, ticket, form=None):
        """What the thread under the ticket shows and offers this user."""
        whole = request.GET.get("thread") == "all"
        journal, complete = self.journal_entries(ticket)
        thread, message_count, earlier, other_files = desk_conversation(
            ticket, limit=None if whole else self.thread_shown, journal=journal,
            journal_complete=complete,
            spot_checks=request.user.has_perm("backoffice.view_callspotcheck"))
        mail_to = services.customer_address(ticket)
        self.spot_check_marks(request, thread)
        can_note, can_reply = (services.may_note(ticket, request.user),
                               services.may_reply(ticket, request.user))
        return {
            "thread": thread,
            "message_count": message_count,
            "earlier": earlier,
            "whole_url": "?thread=all#conversation",
            "other_files": other_files,
            "can_note": can_note,
            "can_reply": can_reply,
            # only the dialog offers them, to those who may write
            "canned": canned_replies(ticket.category) if can_note or can_reply else [],
            "mail_to": mail_to,
            "reply_channel": wf.Channel.EMAIL if mail_to else wf.Channel.PHONE,
            "form": form or MessageForm(ticket=ticket, prefix=MessageForm.prefix_name,
                                        initial={"direction": wf.MessageDirection.FROM_CUSTOMER}),
            "action": reverse("admin:backoffice_ticket_message", args=[ticket.pk]),
        }

    def spot_check_marks(self, request, thread) -> None:
        """Marks each call note with its spot check (for whoever may see it: every check
        for those who check calls, else their own calls' ones) and whether this user may
        check it now; the checks come with the messages (``conversation``)."""
        user = request.user
        if not user.has_perm("backoffice.view_callspotcheck"):
            return
        calls = [item["message"] for item in thread
                 if item["kind"] == "message" and wf.is_call(item["message"])]
        if not calls:
            return
        checker = user.has_perm("backoffice.add_callspotcheck")
        add_url = reverse("admin:backoffice_callspotcheck_add")
        for message in calls:
            check = message.spot_check_found
            if check is not None and not checker and check["agent_id"] != user.pk:
                check = None
            message.spot_check = check
            if check is not None:
                message.spot_check_url = reverse("admin:backoffice_callspotcheck_change",
                                                 args=[check["pk"]])
            elif wf.can_spot_check(message, user):
                message.spot_check_add_url = f"{add_url}?message={message.pk}"

    def add_message_view(self, request, object_id):
        """POST of the conversation dialog: the message is added, or the page comes back
        with the dialog open, the text kept and the reason shown."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, ticket):
            raise PermissionDenied
        form = MessageForm(request.POST, request.FILES, ticket=ticket,
                           prefix=MessageForm.prefix_name)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.post_message(ticket, direction=data["direction"],
                                      channel=data["channel"], body=data["body"],
                                      author=request.user, files=data["files"])
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not write on this ticket."))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Added to the conversation."))
                return HttpResponseRedirect(
                    reverse("admin:backoffice_ticket_change", args=[ticket.pk]) + "#conversation")
        request.method, request.POST = "GET", QueryDict()
        return self.change_view(request, str(ticket.pk), extra_context={"message_form": form})


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(BackofficeAdmin):
    """Serves ticket attachments to those who may see the ticket (never a public URL)."""

    list_display = ["filename", "ticket", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["ticket", "uploaded_by"]
    search_fields = ["filename", "=ticket__number"]

    def get_model_perms(self, request):
        return {}  # shown in the ticket's conversation

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("file/<path:name>", self.admin_site.admin_view(self.file_view),
                     name="backoffice_ticketattachment_file"),
                *super().get_urls()]

    def file_view(self, request, name):
        ticket_admin = self.admin_site._registry[Ticket]
        attachment = (TicketAttachment.objects.filter(file=name)
                      .filter(ticket__in=ticket_admin.get_queryset(request)).first())
        if attachment is None or not ticket_admin.has_view_permission(request) \
                or not attachment.file.storage.exists(name):
            raise Http404
        return files.serve(attachment.file, attachment.filename, attachment.content_type)


@admin.register(CannedReply)
class CannedReplyAdmin(BackofficeAdmin):
    list_display = ["title", "category", "is_active"]
    list_filter = [("category", ChoicesDropdownFilter), "is_active"]
    search_fields = ["title", "body"]
