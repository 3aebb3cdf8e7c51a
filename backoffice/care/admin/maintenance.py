"""Maintenance plans and their visits."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import display

from backoffice.care.admin.common import _late
from backoffice.care.models import MaintenancePlan, MaintenanceVisit
from backoffice.care.resources import MaintenancePlanResource, MaintenanceVisitResource
from backoffice.care.selectors import overdue_plans, plans_with_status
from backoffice.care.services import maintenance_generate_due_visits
from backoffice.care.workflows import VisitStatus
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyInline,
    admin_link,
)

VISIT_COLOURS = {VisitStatus.PLANNED: "info", VisitStatus.DONE: "success",
                 VisitStatus.SKIPPED: "default"}


class OverduePlanFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(pk__in=overdue_plans(MaintenancePlan.objects.all())
                                   .values("pk"))
        return queryset


class VisitInline(ReadOnlyInline):
    model = MaintenanceVisit
    fields = ["visit_link", "due_on", "state", "engineer", "performed_on", "findings"]
    readonly_fields = fields
    ordering = ["-due_on"]
    verbose_name_plural = _("visits")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("engineer")

    @display(description=_("visit"))
    def visit_link(self, visit):
        return admin_link(visit, visit.number)


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(BackofficeAdmin):
    resource_classes = [MaintenancePlanResource]
    list_display = ["number", "customer", "title", "display_tasks", "cycle", "owner",
                    "display_next", "last_visit_on", "is_active"]
    list_display_links = ["number", "title"]
    list_select_related = ["customer", "owner"]
    list_filter = [OverduePlanFilter, "is_active", ("cycle", ChoicesDropdownFilter),
                   ("owner", RelatedDropdownFilter)]
    search_fields = ["=number", "title", "customer__name", "=customer__code"]
    autocomplete_fields = ["customer", "product", "owner"]
    readonly_fields = ["number"]
    inlines = [VisitInline]
    actions = ["generate_visits"]
    fieldsets = [
        (None, {"fields": [("customer", "product"), "title",
                           ("system_check", "data_backup", "performance_tuning"), "content"]}),
        (_("Schedule"), {"fields": [("cycle", "lead_days"), ("starts_on", "ends_on"),
                                    ("next_due", "owner"), "is_active"]}),
    ]

    def get_queryset(self, request):
        return plans_with_status(super().get_queryset(request))

    @display(description=_("content"))
    def display_tasks(self, plan):
        return "、".join(plan.tasks()) or "-"

    @display(description=_("next visit"), ordering="next_due")
    def display_next(self, plan):
        due = min(d for d in (plan.first_open_due, plan.next_due) if d) \
            if (plan.first_open_due or plan.next_due) else None
        if due is None:
            return "-"
        if plan.overdue_visits or (plan.is_active and due < timezone.localdate()):
            return _late(due)
        return due

    @display(description=_("last visit"), ordering="last_visit_on")
    def last_visit_on(self, plan):
        return plan.last_visit_on or "-"

    @admin.action(description=_("Plan the visits now due"),
                  permissions=["add"])
    def generate_visits(self, request, queryset):
        created = maintenance_generate_due_visits(plans=list(queryset.values_list("pk",
                                                                                  flat=True)))
        messages.success(request, ngettext("%(n)d visit planned.", "%(n)d visits planned.",
                                           len(created)) % {"n": len(created)})


class MyVisitsFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My visits"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(engineer=request.user)
        return queryset


class OverdueVisitFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(state=VisitStatus.PLANNED, due_on__lt=timezone.localdate())
        return queryset


@admin.register(MaintenanceVisit)
class MaintenanceVisitAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [MaintenanceVisitResource]
    list_display = ["number", "plan", "display_customer", "display_due", "display_state",
                    "engineer", "appointment", "performed_on"]
    list_display_links = ["number"]
    list_select_related = ["plan__customer", "engineer"]
    list_filter = [MyVisitsFilter, OverdueVisitFilter, ("state", ChoicesDropdownFilter),
                   ("engineer", RelatedDropdownFilter), ("due_on", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "plan__title", "plan__customer__name", "=plan__number"]
    autocomplete_fields = ["plan", "engineer"]
    readonly_fields = ["number", "appointment", "performed_on", "findings", "work_done",
                       "signed_by", "display_plan_content"]
    ordering = ["due_on", "id"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["plan", "due_on", "engineer"]})]
        return [
            (None, {"fields": [("number", "state"), ("plan", "due_on"), "display_plan_content",
                               ("engineer", "appointment")]}),
            (_("Visit record"), {"fields": ["performed_on", "findings", "work_done",
                                            "signed_by"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["plan", "due_on"]
            if obj.state != VisitStatus.PLANNED:
                readonly.append("engineer")
        return readonly

    @display(description=_("customer"), ordering="plan__customer__name")
    def display_customer(self, visit):
        return visit.plan.customer.name

    @display(description=_("due on"), ordering="due_on")
    def display_due(self, visit):
        return _late(visit.due_on) if visit.is_overdue() else visit.due_on

    @display(description=_("state"), ordering="state", label=VISIT_COLOURS)
    def display_state(self, visit):
        return visit.state, visit.get_state_display()

    @display(description=_("content of the plan"))
    def display_plan_content(self, visit):
        plan = visit.plan
        tasks = "、".join(plan.tasks())
        return format_html("{}<br>{}", tasks, plan.content) if plan.content else tasks or "-"
