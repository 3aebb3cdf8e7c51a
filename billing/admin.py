"""Admin of the billing app: budgets, adjustments, expense claims, customer charges.

Configuration only: figures come from ``billing.selectors`` and the workflow buttons from
``BackofficeAdmin`` (one dialog per transition, through ``apply_transition``).
"""

import mimetypes

from django.contrib import admin
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_link,
)
from billing import receipts, services
from billing import workflows as wf
from billing.admin_views import BudgetReportView, claim_budget_rows, figures_table
from billing.models import (
    Budget,
    BudgetAdjustment,
    BudgetControl,
    BudgetLine,
    CustomerCharge,
    ExpenseClaim,
    ExpenseLine,
    OverrunConfirmation,
)
from billing.models.claims import sees_all_claims
from billing.money import ZERO, format_money
from billing.resources import (
    BudgetAdjustmentResource,
    BudgetLineResource,
    BudgetResource,
    CustomerChargeResource,
    ExpenseClaimResource,
    ExpenseLineResource,
)
from billing.workflows import (
    AdjustmentKind,
    AdjustmentStatus,
    BudgetStatus,
    ChargeStatus,
    ClaimStatus,
)

BUDGET_COLOURS = {BudgetStatus.DRAFT: "info", BudgetStatus.SUBMITTED: "warning",
                  BudgetStatus.RETURNED: "danger", BudgetStatus.APPROVED: "success"}
ADJUSTMENT_COLOURS = {AdjustmentStatus.DRAFT: "info", AdjustmentStatus.SUBMITTED: "warning",
                      AdjustmentStatus.APPROVED: "success", AdjustmentStatus.REJECTED: "danger"}
CLAIM_COLOURS = {ClaimStatus.DRAFT: "info", ClaimStatus.SUBMITTED: "warning",
                 ClaimStatus.APPROVED: "primary", ClaimStatus.REJECTED: "danger",
                 ClaimStatus.PAID: "success"}
CHARGE_COLOURS = {ChargeStatus.DRAFT: "info", ChargeStatus.SENT: "warning",
                  ChargeStatus.ACCEPTED: "success", ChargeStatus.DECLINED: "danger"}
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


# -- budgets ---------------------------------------------------------------------------------
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


# -- expense claims ----------------------------------------------------------------------------
class ExpenseLineInline(TabularInline):
    model = ExpenseLine
    show_title = False
    extra = 0
    fields = ["date", "category", "description", "amount", "receipt", "ticket", "customer"]
    autocomplete_fields = ["ticket", "customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket", "customer")

    def _mine_and_editable(self, request, obj):
        return obj is None or (obj.is_editable and obj.claimant_id == request.user.pk)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._mine_and_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return (super().has_change_permission(request, obj)
                and self._mine_and_editable(request, obj))

    def has_delete_permission(self, request, obj=None):
        return (super().has_delete_permission(request, obj)
                and self._mine_and_editable(request, obj))


class ClaimAwaitingFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return [("1", _("Awaiting my decision")), ("mine", _("My claims"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.awaiting(request.user)
        if self.value() == "mine":
            return queryset.filter(claimant=request.user)
        return queryset


class ClaimantFilter(RelatedDropdownFilter):
    def field_choices(self, field, request, model_admin):
        from django.contrib.auth import get_user_model

        ids = ExpenseClaim.objects.values("claimant_id").distinct()
        return [(u.pk, u.get_full_name() or u.username)
                for u in get_user_model().objects.filter(pk__in=ids).order_by("username")]


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(BackofficeAdmin):
    resource_classes = [ExpenseClaimResource]
    list_display = ["number", "title", "claimant", "display_state", "display_total",
                    "submitted_at", "approved_by", "paid_on"]
    list_display_links = ["number", "title"]
    list_select_related = ["claimant", "approved_by"]
    search_fields = ["=number", "title", "claimant__username", "claimant__last_name",
                     "payment_reference"]
    search_help_text = _("Claim number, purpose, claimant or payment reference")
    ordering = ["-created_at", "-id"]
    inlines = [ExpenseLineInline]
    readonly_fields = ["number", "claimant", "display_total", "submitted_at", "approved_by",
                       "approved_at", "budget_note", "rejection_reason", "paid_by", "paid_on",
                       "payment_reference"]
    change_form_before_template = "billing/claim_change_before.html"

    def get_list_filter(self, request):
        filters = [ClaimAwaitingFilter, ("state", ChoicesDropdownFilter),
                   ("submitted_at", RangeDateFilter)]
        if sees_all_claims(request.user):
            filters.insert(2, ("claimant", ClaimantFilter))
        return filters

    def get_queryset(self, request):
        """Staff see their own claims; approvers, payers and auditors see everyone's."""
        return super().get_queryset(request).visible_to(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["title", "notes"]})]
        sets = [(None, {"fields": [("number", "state"), ("claimant", "display_total"),
                                   "title", "notes"]})]
        sets.append((_("Decision"), {"fields": [("submitted_at", "approved_by", "approved_at"),
                                                "budget_note", "rejection_reason"]}))
        if obj.state == ClaimStatus.PAID:
            sets.append((_("Payment"), {"fields": [("paid_on", "payment_reference",
                                                    "paid_by")]}))
        return sets

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or (obj.is_editable and obj.claimant_id == request.user.pk))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or (obj.state == ClaimStatus.DRAFT
                            and obj.claimant_id == request.user.pk))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.claimant = request.user
        super().save_model(request, obj, form, change)


    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.claim_recompute_total(form.instance)

    @display(description=_("state"), ordering="state", label=CLAIM_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("total"), ordering="total")
    def display_total(self, obj):
        return format_money(obj.total)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Whoever decides on a submitted claim sees the budget it would use."""
        claim = self.get_object(request, object_id)
        rows = []
        if claim and claim.state == ClaimStatus.SUBMITTED and request.user.has_perm(
                "billing.approve_expenseclaim"):
            rows = claim_budget_rows(claim)
        extra_context = {**(extra_context or {}), "claim_budget_rows": rows}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ExpenseLine)
class ExpenseLineAdmin(BackofficeAdmin):
    """All claim lines as one list: spreadsheet import into own claims, flattened export."""

    resource_classes = [ExpenseLineResource]
    list_display = ["display_claim", "claimant_name", "date", "category", "description",
                    "display_amount", "ticket", "customer", "display_state", "has_receipt"]
    list_display_links = ["date", "description"]
    list_select_related = ["claim", "claim__claimant", "ticket", "customer"]
    list_filter = [("category", ChoicesDropdownFilter),
                   ("claim__state", ChoicesDropdownFilter), ("date", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=claim__number", "description", "=ticket__number", "customer__name"]
    ordering = ["-date", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            claim__in=ExpenseClaim.objects.visible_to(request.user))

    fields = ["claim", "date", "category", "description", "amount", "receipt", "ticket",
              "customer"]
    autocomplete_fields = ["ticket", "customer"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "claim":  # a line goes into one of the user's own open claims
            kwargs["queryset"] = ExpenseClaim.objects.filter(
                claimant=request.user, state__in=list(wf.CLAIM_EDITABLE))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _own_open_line(self, request, obj):
        return obj is None or (obj.claim.is_editable and obj.claim.claimant_id == request.user.pk)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own_open_line(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own_open_line(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.claim_recompute_total(obj.claim)

    def delete_model(self, request, obj):
        claim = obj.claim
        super().delete_model(request, obj)
        services.claim_recompute_total(claim)

    def delete_queryset(self, request, queryset):
        claims = list(ExpenseClaim.objects.filter(pk__in=queryset.values("claim_id")))
        super().delete_queryset(request, queryset)
        for claim in claims:
            services.claim_recompute_total(claim)

    def get_urls(self):
        receipt = self.admin_site.admin_view(self.receipt_view)
        return [path("receipt/<path:name>", receipt, name="billing_expenseline_receipt"),
                *super().get_urls()]

    def receipt_view(self, request, name):
        """Serve a receipt to those who may see its claim (never from a public URL)."""
        line = (ExpenseLine.objects.filter(receipt=name)
                .filter(claim__in=ExpenseClaim.objects.visible_to(request.user))
                .select_related("claim").first())
        if line is None or not self.has_view_permission(request) or \
                not line.receipt.storage.exists(name):
            raise Http404
        ext = receipts.extension(name)
        response = FileResponse(line.receipt.open("rb"),
                                content_type=receipts.CONTENT_TYPES.get(
                                    ext, mimetypes.guess_type(name)[0]
                                    or "application/octet-stream"),
                                as_attachment=False,
                                filename=f"{line.claim.number}-{line.pk}.{ext}")
        response["Cache-Control"] = "private, no-store"
        return response

    @display(description=_("expense claim"), ordering="claim__number")
    def display_claim(self, obj):
        return admin_link(obj.claim, obj.claim.number)

    @display(description=_("claimant"), ordering="claim__claimant__username")
    def claimant_name(self, obj):
        user = obj.claim.claimant
        return user.get_full_name() or user.username

    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount)

    @display(description=_("claim state"), ordering="claim__state", label=CLAIM_COLOURS)
    def display_state(self, obj):
        return obj.claim.state, obj.claim.get_state_display()

    @display(description=_("receipt"), boolean=True)
    def has_receipt(self, obj):
        return bool(obj.receipt)


# -- customer charges --------------------------------------------------------------------------
@admin.register(CustomerCharge)
class CustomerChargeAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [CustomerChargeResource]
    list_display = ["number", "title", "customer", "ticket", "kind", "display_amount",
                    "display_state", "valid_until", "created_by"]
    list_display_links = ["number", "title"]
    list_select_related = ["customer", "ticket", "created_by"]
    list_filter = [("state", ChoicesDropdownFilter), ("kind", ChoicesDropdownFilter),
                   ("customer", RelatedDropdownFilter)]
    search_fields = ["=number", "title", "=ticket__number", "customer__name", "=customer__code"]
    autocomplete_fields = ["ticket"]
    readonly_fields = ["number", "customer", "created_by", "sent_at", "decided_at",
                       "accepted_by", "customer_reference", "decline_reason", "ticket_decision"]

    def get_fieldsets(self, request, obj=None):
        main = ["ticket", "kind", "title", "description", ("amount", "currency"),
                ("effort_days", "valid_until")]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": [("number", "state"), ("customer", "ticket_decision"), *main]}),
            (_("Customer's answer"), {"fields": [("created_by", "sent_at", "decided_at"),
                                                 ("accepted_by", "customer_reference"),
                                                 "decline_reason"]}),
        ]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount, obj.currency)

    @display(description=_("state"), ordering="state", label=CHARGE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("business manager's decision"))
    def ticket_decision(self, obj):
        ticket = obj.ticket
        if ticket.requirement_chargeable is None:
            decision = _("not evaluated")
        elif ticket.requirement_chargeable:
            decision = _("chargeable")
        else:
            decision = _("not chargeable")
        return format_html("{} · {}", admin_link(ticket, ticket.number), decision)
