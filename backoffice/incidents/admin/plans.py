"""The library of contingency plans (应急预案): steps, owners, the call list."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from backoffice.incidents.models import (
    ContingencyPlan,
    PlanContact,
    PlanStep,
)
from backoffice.platform.admin.base import BackofficeAdmin


# -- the plan library ------------------------------------------------------------------------
class PlanStepInline(TabularInline):
    model = PlanStep
    extra = 0
    fields = ["position", "title", "owner_role", "owner", "expected_minutes"]


class PlanContactInline(TabularInline):
    model = PlanContact
    extra = 0
    fields = ["name", "role", "phone", "user"]


@admin.register(ContingencyPlan)
class ContingencyPlanAdmin(BackofficeAdmin):
    list_display = ["name", "kind", "severity", "is_active", "display_steps"]
    list_filter = [("kind", ChoicesDropdownFilter), "is_active"]
    search_fields = ["name"]
    fields = ["name", ("kind", "severity"), "description", "is_active"]
    inlines = [PlanStepInline, PlanContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    @display(description=_("steps"))
    def display_steps(self, plan):
        return len(plan.steps.all())
