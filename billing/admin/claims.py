"""Admin of expense claims and their lines (with the receipts they carry)."""

import mimetypes

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin, BudgetPositionMixin, admin_link
from backoffice.platform.admin.printing import PrintableAdmin
from backoffice.platform.people import display_name
from billing import receipts, selectors, services
from billing import workflows as wf
from billing.forms import expense_line_form
from billing.models import ExpenseClaim, ExpenseLine
from billing.models.claims import sees_all_claims
from billing.money import format_money
from billing.resources import ExpenseClaimResource, ExpenseLineResource
from billing.workflows import ClaimStatus

CLAIM_COLOURS = {ClaimStatus.DRAFT: "info", ClaimStatus.SUBMITTED: "warning",
                 ClaimStatus.APPROVED: "primary", ClaimStatus.REJECTED: "danger",
                 ClaimStatus.PAID: "success"}


class ExpenseLineInline(TabularInline):
    model = ExpenseLine
    show_title = False
    extra = 0
    fields = ["date", "category", "description", "amount", "receipt", "ticket", "customer"]
    autocomplete_fields = ["ticket", "customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket", "customer")

    def get_formset(self, request, obj=None, **kwargs):
        """Rows keep their receipt when the page comes back with an error."""
        kwargs.setdefault("form", expense_line_form(request.user))
        return super().get_formset(request, obj, **kwargs)

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
        return [(u.pk, display_name(u))
                for u in get_user_model().objects.filter(pk__in=ids).order_by("username")]


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(BudgetPositionMixin, PrintableAdmin, BackofficeAdmin):
    resource_classes = [ExpenseClaimResource]
    # the printed claim (报销单), once approved
    print_template = "billing/print/expense_claim.html"
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
    # the claimant meets the budget while drafting; the approver sees the same figures
    budget_panel_states = (ClaimStatus.DRAFT, ClaimStatus.REJECTED, ClaimStatus.SUBMITTED)
    budget_confirmed_states = (ClaimStatus.SUBMITTED,)

    def get_list_filter(self, request):
        filters = [ClaimAwaitingFilter, ("state", ChoicesDropdownFilter),
                   ("submitted_at", RangeDateFilter)]
        if sees_all_claims(request.user):
            filters.insert(2, ("claimant", ClaimantFilter))
        return filters

    def get_queryset(self, request):
        """Staff see their own claims; approvers, payers and auditors see everyone's."""
        return super().get_queryset(request).visible_to(request.user)

    def may_print(self, request, obj):
        return selectors.claim_printable(obj)

    def print_context(self, request, obj):
        return selectors.expense_claim_form(obj)

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The receipt is kept when the page comes back with an error."""
        kwargs.setdefault("form", expense_line_form(request.user))
        return super().get_form(request, obj, change, **kwargs)

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
        return display_name(obj.claim.claimant)

    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount)

    @display(description=_("claim state"), ordering="claim__state", label=CLAIM_COLOURS)
    def display_state(self, obj):
        return obj.claim.state, obj.claim.get_state_display()

    @display(description=_("receipt"), boolean=True)
    def has_receipt(self, obj):
        return bool(obj.receipt)
