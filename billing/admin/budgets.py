"""Admin of budgets: the budget and its lines, adjustments, controls and confirmed overruns."""

from django.contrib import admin
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display

from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_link,
)
from billing.admin.report import BudgetReportView, figures_table
from billing.models import (
    Budget,
    BudgetAdjustment,
    BudgetControl,
    BudgetLine,
    OverrunConfirmation,
)
from billing.money import ZERO, format_money
from billing.resources import BudgetAdjustmentResource, BudgetLineResource, BudgetResource
from billing.workflows import AdjustmentKind, AdjustmentStatus, BudgetStatus

BUDGET_COLOURS = {BudgetStatus.DRAFT: "info", BudgetStatus.SUBMITTED: "warning",
                  BudgetStatus.RETURNED: "danger", BudgetStatus.APPROVED: "success"}
ADJUSTMENT_COLOURS = {AdjustmentStatus.DRAFT: "info", AdjustmentStatus.SUBMITTED: "warning",
                      AdjustmentStatus.APPROVED: "success", AdjustmentStatus.REJECTED: "danger"}
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


class BudgetLineInline(TabularInline):
    model = BudgetLine
    show_title = False
    extra = 0
    fields = ["category", "period", "amount", "note"]
    verbose_name_plural = _("budget lines (original amounts)")

    def _editable(self, request, obj, perm):
        return perm and (obj is None or obj.is_editable)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj, super().has_add_permission(request, obj))

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj, super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj, super().has_delete_permission(request, obj))


class BudgetControlInline(TabularInline):
    model = BudgetControl
    show_title = False
    extra = 0
    max_num = 6
    can_delete = False
    fields = ["category", "overrun_policy"]
    readonly_fields = ["category"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """Policies follow the budget's editing, except that leadership may tighten or
        loosen them on an approved budget (the history keeps who did)."""
        return super().has_change_permission(request, obj) and (
            obj is None or obj.is_editable or request.user.has_perm("billing.approve_budget"))


class BudgetAdjustmentInline(ReadOnlyInline):
    model = BudgetAdjustment
    show_title = False
    fields = ["number_link", "kind", "from_category", "category", "amount", "state",
              "requested_by", "decided_at"]
    readonly_fields = fields
    verbose_name_plural = _("adjustments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by")

    @display(description=_("number"))
    def number_link(self, obj):
        return admin_link(obj, obj.number)


class OverrunConfirmationInline(ReadOnlyInline):
    model = OverrunConfirmation
    show_title = False
    fields = ["created_at", "category", "amount", "remaining", "reference", "actor"]
    readonly_fields = fields
    verbose_name_plural = _("confirmed overruns")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Budget)
class BudgetAdmin(BackofficeAdmin):
    resource_classes = [BudgetResource]
    list_display = ["year", "display_title", "display_state", "display_original",
                    "display_adjustments", "display_current", "prepared_by", "approved_by",
                    "approved_at"]
    list_display_links = ["year", "display_title"]
    list_select_related = ["prepared_by", "approved_by"]
    list_filter = [("state", ChoicesDropdownFilter)]
    search_fields = ["=year", "title"]
    ordering = ["-year"]
    inlines = [BudgetLineInline, BudgetControlInline, BudgetAdjustmentInline,
               OverrunConfirmationInline]
    change_form_before_template = "billing/budget_change_before.html"
    readonly_fields = ["prepared_by", "submitted_by", "submitted_at", "approved_by",
                       "approved_at", "return_reason"]
    actions_list = ["report_action"]
    actions_detail = ["report_detail_action", "lines_action"]

    def has_import_permission(self, request):
        return False  # lines are imported on their own page

    def get_inlines(self, request, obj):
        if obj is None:  # a new budget: only its lines; controls are created with it
            return [BudgetLineInline]
        return super().get_inlines(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "title", "notes"]})]
        return [
            (None, {"fields": [("year", "state"), "title", "notes"]}),
            (_("Approval"), {"fields": [("prepared_by", "submitted_by", "submitted_at"),
                                        ("approved_by", "approved_at"), "return_reason"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            readonly += ["year", "title"]
        return readonly

    def get_queryset(self, request):
        lines = (BudgetLine.objects.filter(budget=OuterRef("pk")).order_by()
                 .values("budget").annotate(s=Sum("amount")).values("s"))
        signed = Case(When(kind=AdjustmentKind.INCREASE, then=F("amount")),
                      When(kind=AdjustmentKind.DECREASE, then=-F("amount")),
                      default=Value(ZERO), output_field=MONEY_FIELD)
        adjustments = (BudgetAdjustment.objects
                       .filter(budget=OuterRef("pk"), state=AdjustmentStatus.APPROVED).order_by()
                       .values("budget").annotate(s=Sum(signed)).values("s"))
        return super().get_queryset(request).annotate(
            original_total=Coalesce(Subquery(lines, output_field=MONEY_FIELD), Value(ZERO),
                                    output_field=MONEY_FIELD),
            adjustment_total=Coalesce(Subquery(adjustments, output_field=MONEY_FIELD),
                                      Value(ZERO), output_field=MONEY_FIELD))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.prepared_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        report = self.admin_site.admin_view(BudgetReportView.as_view(model_admin=self))
        return [path("report/", report, name="billing_budget_report"), *super().get_urls()]

    @display(description=_("title"))
    def display_title(self, obj):
        return str(obj)

    @display(description=_("state"), ordering="state", label=BUDGET_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("original"), ordering="original_total")
    def display_original(self, obj):
        return format_money(obj.original_total)

    @display(description=_("adjustments"), ordering="adjustment_total")
    def display_adjustments(self, obj):
        return format_money(obj.adjustment_total)

    @display(description=_("current"))
    def display_current(self, obj):
        return format_money(obj.original_total + obj.adjustment_total)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        budget = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}),
                         "budget_figures": figures_table(budget) if budget else ""}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.state == BudgetStatus.DRAFT)

    @action(description=_("Budget vs actual"), icon="monitoring", url_path="report-link")
    def report_action(self, request):
        return redirect("admin:billing_budget_report")

    @action(description=_("Budget vs actual"), icon="monitoring", url_path="report-link")
    def report_detail_action(self, request, object_id):
        budget = self.get_object(request, object_id)
        url = reverse("admin:billing_budget_report")
        return redirect(f"{url}?year={budget.year}" if budget else url)

    @action(description=_("Lines: import / export"), icon="upload_file", url_path="lines")
    def lines_action(self, request, object_id):
        return redirect(reverse("admin:billing_budgetline_changelist")
                        + f"?budget__id__exact={object_id}")


@admin.register(BudgetLine)
class BudgetLineAdmin(BackofficeAdmin):
    resource_classes = [BudgetLineResource]
    list_display = ["budget", "category", "period", "display_amount", "note"]
    list_select_related = ["budget"]
    list_filter = ["budget", ("category", ChoicesDropdownFilter),
                   ("period", ChoicesDropdownFilter)]
    ordering = ["-budget__year", "category", "period"]
    fields = ["budget", "category", "period", "amount", "note"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "budget":
            kwargs["queryset"] = Budget.objects.filter(
                state__in=[BudgetStatus.DRAFT, BudgetStatus.RETURNED])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.budget.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.budget.is_editable)

    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount)


class AdjustmentAwaitingFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return [("1", _("Awaiting my decision")), ("mine", _("Requested by me"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            if not request.user.has_perm("billing.approve_budgetadjustment"):
                return queryset.none()
            return queryset.filter(state=AdjustmentStatus.SUBMITTED).exclude(
                requested_by=request.user)
        if self.value() == "mine":
            return queryset.filter(requested_by=request.user)
        return queryset


@admin.register(BudgetAdjustment)
class BudgetAdjustmentAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [BudgetAdjustmentResource]
    list_display = ["number", "budget", "display_kind", "display_move", "display_amount",
                    "display_state", "requested_by", "decided_by", "decided_at"]
    list_select_related = ["budget", "requested_by", "decided_by"]
    list_filter = [AdjustmentAwaitingFilter, ("state", ChoicesDropdownFilter),
                   ("kind", ChoicesDropdownFilter), "budget"]
    search_fields = ["=number", "reason"]
    readonly_fields = ["number", "requested_by", "decided_by", "decided_at", "rejection_reason"]
    fieldsets = [
        (None, {"fields": [("number", "state"), "budget", "kind",
                           ("from_category", "category"), "amount", "reason"]}),
        (_("Decision"), {"fields": [("requested_by", "decided_by", "decided_at"),
                                    "rejection_reason"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["budget", "kind", ("from_category", "category"),
                                       "amount", "reason"]})]
        return super().get_fieldsets(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "budget":
            kwargs["queryset"] = Budget.objects.filter(state=BudgetStatus.APPROVED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or (obj.is_editable and obj.requested_by_id == request.user.pk))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or (obj.state == AdjustmentStatus.DRAFT
                            and obj.requested_by_id == request.user.pk))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.requested_by = request.user
        super().save_model(request, obj, form, change)

    change_form_before_template = "billing/budget_change_before.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The budget's figures above the adjustment, for whoever requests or decides."""
        adjustment = self.get_object(request, object_id)
        figures = figures_table(adjustment.budget) if adjustment else ""
        extra_context = {**(extra_context or {}), "budget_figures": figures}
        return super().change_view(request, object_id, form_url, extra_context)


    @display(description=_("kind"), ordering="kind")
    def display_kind(self, obj):
        return obj.get_kind_display()

    @display(description=_("categories"))
    def display_move(self, obj):
        if obj.kind == AdjustmentKind.TRANSFER:
            return f"{obj.get_from_category_display()} → {obj.get_category_display()}"
        return obj.get_category_display()

    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        sign = {AdjustmentKind.INCREASE: "+", AdjustmentKind.DECREASE: "−"}.get(obj.kind, "")
        return f"{sign}{format_money(obj.amount)}"

    @display(description=_("state"), ordering="state", label=ADJUSTMENT_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()


@admin.register(OverrunConfirmation)
class OverrunConfirmationAdmin(ReadOnlyAdminMixin, ExportOnlyMixin, BackofficeAdmin):
    list_display = ["created_at", "year", "category", "display_amount", "display_remaining",
                    "display_over", "reference", "actor"]
    list_select_related = ["actor"]
    list_filter = ["year", ("category", ChoicesDropdownFilter)]
    search_fields = ["reference"]

    def has_export_permission(self, request):
        return False

    @display(description=_("amount approved"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount)

    @display(description=_("remaining before"))
    def display_remaining(self, obj):
        return format_money(obj.remaining)

    @display(description=_("over budget by"))
    def display_over(self, obj):
        return format_money(obj.overrun)
