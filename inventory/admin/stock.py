"""The stock ledger (read-only, corrected by reversing lines), balances and transfers."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.platform.admin.base import BackofficeAdmin, ReadOnlyAdminMixin, admin_link
from inventory import selectors, services
from inventory import workflows as wf
from inventory.admin.common import DocumentAdmin, LineInline
from inventory.forms import ReverseEntryForm
from inventory.models import StockBalance, StockEntry, StockTransfer, StockTransferLine
from inventory.resources import OpeningBalanceResource, StockBalanceResource, StockEntryResource

KIND_COLOURS = {
    wf.EntryKind.OPENING: "default", wf.EntryKind.RECEIPT: "success",
    wf.EntryKind.ISSUE: "primary", wf.EntryKind.RETURN: "info",
    wf.EntryKind.TRANSFER: "default", wf.EntryKind.ADJUSTMENT: "warning",
    wf.EntryKind.SCRAP: "danger", wf.EntryKind.DISPOSAL: "default",
}


def ledger_url(part_id, warehouse_id):
    return (reverse("admin:inventory_stockentry_changelist")
            + f"?part__id__exact={part_id}&warehouse__id__exact={warehouse_id}")


class ReversalFilter(admin.SimpleListFilter):
    title = _("corrections")
    parameter_name = "reversal"

    def lookups(self, request, model_admin):
        return [("reversed", _("Reversed lines")), ("reversal", _("Reversing lines"))]

    def queryset(self, request, queryset):
        if self.value() == "reversed":
            return queryset.filter(reversed_by__isnull=False)
        if self.value() == "reversal":
            return queryset.filter(reverses__isnull=False)
        return queryset


@admin.register(StockEntry)
class StockEntryAdmin(ReadOnlyAdminMixin, BackofficeAdmin):
    """The ledger: lines are only ever added (by documents) and reversed, never edited."""

    list_display = ["posted_at", "display_part", "warehouse", "display_kind", "display_quantity",
                    "unit_cost", "reference", "ticket", "recipient", "actor",
                    "display_correction"]
    list_display_links = ["posted_at"]
    list_select_related = ["part", "warehouse", "ticket", "recipient", "actor", "reverses",
                           "reversed_by"]
    list_filter = [("kind", ChoicesDropdownFilter), ("warehouse", RelatedDropdownFilter),
                   ("part", AutocompleteSelectFilter), ("posted_at", RangeDateFilter),
                   ReversalFilter]
    list_filter_submit = True
    search_fields = ["=part__code", "part__name", "=reference", "=ticket__number"]
    search_help_text = _("Part code or name, document number, ticket number")
    ordering = ["-posted_at", "-id"]
    readonly_fields = ["posted_at", "part", "warehouse", "kind", "quantity", "unit_cost",
                       "display_value", "actor", "recipient", "ticket", "display_document",
                       "reference", "note", "reverses", "display_reversed_by"]
    fields = readonly_fields
    actions_detail = ["reverse_action"]

    def history_view(self, request, object_id, extra_context=None):
        """A line never changes; its "history" is the ledger of its part and warehouse."""
        entry = get_object_or_404(StockEntry, pk=object_id)
        return redirect(ledger_url(entry.part_id, entry.warehouse_id))

    def get_import_resource_classes(self, request):
        return [OpeningBalanceResource]

    def get_export_resource_classes(self, request):
        return [StockEntryResource]

    def has_import_permission(self, request):
        return request.user.has_perm("inventory.import_opening_balance")

    @display(description=_("part"), ordering="part__code")
    def display_part(self, obj):
        return f"{obj.part.code} {obj.part.name}"

    @display(description=_("kind"), ordering="kind", label=KIND_COLOURS)
    def display_kind(self, obj):
        return obj.kind, obj.get_kind_display()

    @display(description=_("quantity"), ordering="quantity")
    def display_quantity(self, obj):
        colour = "text-green-700" if obj.quantity > 0 else "text-red-700"
        return format_html('<span class="{} font-semibold">{}</span>', colour,
                           f"{obj.quantity:+d}")

    @display(description=_("correction"))
    def display_correction(self, obj):
        if obj.reverses_id:
            return _("reverses #%(id)s") % {"id": obj.reverses_id}
        reversal = getattr(obj, "reversed_by", None)
        if reversal is not None:
            return _("reversed by #%(id)s") % {"id": reversal.pk}
        return ""

    @display(description=_("value"))
    def display_value(self, obj):
        return obj.value

    @display(description=_("reversed by"))
    def display_reversed_by(self, obj):
        return admin_link(getattr(obj, "reversed_by", None))

    @display(description=_("document"))
    def display_document(self, obj):
        if obj.requisition_line_id:
            return admin_link(obj.requisition_line.requisition)
        for name in ("purchase_line", "stocktake", "scrap_request", "disposal", "transfer"):
            target = getattr(obj, name)
            if target is not None:
                return admin_link(target.order if name == "purchase_line" else target)
        return obj.reference or "-"

    # -- reversing a wrong line ----------------------------------------------------------
    def has_reverse_permission(self, request, object_id=None):
        if not request.user.has_perm("inventory.reverse_stockentry"):
            return False
        entry = StockEntry.objects.filter(pk=object_id).first() if object_id else None
        return bool(entry and entry.kind in wf.REVERSIBLE_KINDS and entry.reverses_id is None
                    and not StockEntry.objects.filter(reverses=entry).exists())

    @action(description=_("Post a reversing line"), url_path="reverse", icon="undo",
            variant="danger", permissions=["reverse"],
            dialog={"title": _("Post a reversing line"), "form_class": ReverseEntryForm,
                    "form_submit_text": _("Reverse")})
    def reverse_action(self, request, form, object_id):
        entry = get_object_or_404(StockEntry, pk=object_id)
        url = reverse("admin:inventory_stockentry_change", args=[object_id])
        try:
            reversal = services.stock_entry_reverse(entry=entry, actor=request.user,
                                                    reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("Reversing line #%(id)s posted.") % {"id": reversal.pk})
            url = reverse("admin:inventory_stockentry_change", args=[reversal.pk])
        return HttpResponse(headers={"HX-Redirect": url})


class BelowReorderFilter(admin.SimpleListFilter):
    title = _("stock level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("below", _("Part below reorder point")), ("empty", _("Nothing on hand")),
                ("stocked", _("On hand"))]

    def queryset(self, request, queryset):
        match self.value():
            case "below":
                return queryset.filter(below_reorder=True)
            case "empty":
                return queryset.filter(quantity=0)
            case "stocked":
                return queryset.filter(quantity__gt=0)
        return queryset


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdminMixin, BackofficeAdmin):
    """On hand per part × warehouse; rows whose part is below its reorder point stand out."""

    list_display = ["display_part", "display_specification", "warehouse", "display_quantity",
                    "display_part_total", "display_reorder_point", "updated_at"]
    list_select_related = ["part", "warehouse"]
    list_filter = [BelowReorderFilter, ("warehouse", RelatedDropdownFilter),
                   ("part__category", RelatedDropdownFilter)]
    search_fields = ["=part__code", "part__name", "part__specification"]
    search_help_text = _("Part code, name or specification")
    ordering = ["part__code", "warehouse__code"]
    resource_classes = [StockBalanceResource]

    def get_queryset(self, request):
        return selectors.balance_with_part_total(super().get_queryset(request))

    def history_view(self, request, object_id, extra_context=None):
        """The history of a balance is its ledger."""
        balance = get_object_or_404(StockBalance, pk=object_id)
        return redirect(ledger_url(balance.part_id, balance.warehouse_id))

    def has_import_permission(self, request):
        return False

    @display(description=_("part"), ordering="part__code")
    def display_part(self, obj):
        return admin_link(obj.part, f"{obj.part.code} {obj.part.name}")

    @display(description=_("specification"))
    def display_specification(self, obj):
        return obj.part.specification

    @display(description=_("on hand"), ordering="quantity")
    def display_quantity(self, obj):
        if obj.below_reorder:
            return format_html('<span class="text-red-600 font-semibold">{} {} ⚠</span>',
                               obj.quantity, obj.part.unit)
        return f"{obj.quantity} {obj.part.unit}"

    @display(description=_("all warehouses"), ordering="part_total")
    def display_part_total(self, obj):
        return obj.part_total

    @display(description=_("reorder point"), ordering=F("part__reorder_point"))
    def display_reorder_point(self, obj):
        return obj.part.reorder_point


# -- transfers -------------------------------------------------------------------------
class StockTransferLineInline(LineInline):
    model = StockTransferLine
    fields = ["part", "quantity"]
    autocomplete_fields = ["part"]


@admin.register(StockTransfer)
class StockTransferAdmin(DocumentAdmin):
    list_display = ["number", "display_state", "from_warehouse", "to_warehouse", "posted_at",
                    "posted_by", "created_at"]
    list_select_related = ["from_warehouse", "to_warehouse", "posted_by"]
    list_filter = [("state", ChoicesDropdownFilter)]
    search_fields = ["=number"]
    readonly_fields = ["number", "posted_at", "posted_by"]
    fields = ["number", "state", ("from_warehouse", "to_warehouse"), "note",
              ("posted_at", "posted_by")]
    inlines = [StockTransferLineInline]
