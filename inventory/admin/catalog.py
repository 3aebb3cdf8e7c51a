"""Parts (the on-hand list), categories, warehouses, suppliers and their contracts."""

from django.contrib import admin
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin, ReadOnlyInline
from backoffice.platform.people import display_name
from inventory import selectors
from inventory.admin.common import STATE_COLOURS
from inventory.models import (
    Part,
    PartCategory,
    StockBalance,
    StockEntry,
    Supplier,
    SupplierContract,
    Warehouse,
)
from inventory.resources import PartResource, SupplierResource


@admin.register(PartCategory)
class PartCategoryAdmin(BackofficeAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_import_permission(self, request):
        return False


@admin.register(Warehouse)
class WarehouseAdmin(BackofficeAdmin):
    list_display = ["code", "name", "kind", "keeper", "address", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["keeper"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["keeper"]

    def has_import_permission(self, request):
        return False


# -- suppliers ---------------------------------------------------------------------------
class SupplierContractInline(TabularInline):
    model = SupplierContract
    extra = 0
    fields = ["number", "title", "signed_on", "valid_from", "valid_to", "payment_terms",
              "amount_cap"]
    show_change_link = True


@admin.register(Supplier)
class SupplierAdmin(BackofficeAdmin):
    resource_classes = [SupplierResource]
    list_display = ["code", "name", "display_state", "qualified_until", "contact_person",
                    "phone", "is_active"]
    list_display_links = ["code", "name"]
    list_filter = [("state", ChoicesDropdownFilter), "is_active"]
    search_fields = ["code", "name", "contact_person"]
    readonly_fields = ["qualified_until", "evaluation"]
    inlines = [SupplierContractInline]
    fieldsets = [
        (None, {"fields": [("code", "name"), ("state", "qualified_until"), "evaluation",
                           ("contact_person", "phone", "email"), "address", "tax_id",
                           "business_scope", "is_active"]}),
    ]

    @display(description=_("qualification"), ordering="state", label=STATE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()


@admin.register(SupplierContract)
class SupplierContractAdmin(BackofficeAdmin):
    list_display = ["number", "title", "supplier", "valid_from", "valid_to", "payment_terms",
                    "amount_cap"]
    list_select_related = ["supplier"]
    list_filter = [("supplier", RelatedDropdownFilter)]
    search_fields = ["number", "title", "supplier__name", "supplier__code"]
    autocomplete_fields = ["supplier"]
    date_hierarchy = "valid_to"

    def has_import_permission(self, request):
        return False


# -- parts: the on-hand list -------------------------------------------------------------
class StockLevelFilter(admin.SimpleListFilter):
    title = _("stock level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("below", _("Below reorder point")), ("out", _("Out of stock")),
                ("in", _("In stock"))]

    def queryset(self, request, queryset):
        match self.value():
            case "below":
                return queryset.filter(on_hand__lt=F("reorder_point"))
            case "out":
                return queryset.filter(on_hand__lte=0)
            case "in":
                return queryset.filter(on_hand__gt=0)
        return queryset


class InWarehouseFilter(admin.SimpleListFilter):
    title = _("stocked in")
    parameter_name = "warehouse"

    def lookups(self, request, model_admin):
        return [(w.pk, str(w)) for w in Warehouse.objects.filter(is_active=True)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(balances__warehouse_id=self.value(),
                                   balances__quantity__gt=0)
        return queryset


class BalanceInline(ReadOnlyInline):
    model = StockBalance
    fields = ["warehouse", "quantity", "updated_at"]
    readonly_fields = fields
    verbose_name_plural = _("stock on hand by warehouse")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse")


@admin.register(Part)
class PartAdmin(BackofficeAdmin):
    """Parts with what is on hand: the keeper's on-hand list."""

    resource_classes = [PartResource]
    list_display = ["code", "name", "specification", "model_number", "category",
                    "display_on_hand", "display_by_warehouse", "reorder_point", "unit_cost",
                    "preferred_supplier", "is_active"]
    list_display_links = ["code", "name"]
    list_select_related = ["category", "preferred_supplier"]
    list_filter = [StockLevelFilter, InWarehouseFilter,
                   ("category", RelatedDropdownFilter), "is_active"]
    search_fields = ["code", "name", "specification", "model_number"]
    search_help_text = _("Part code, name, specification or model")
    autocomplete_fields = ["category", "preferred_supplier"]
    inlines = [BalanceInline]
    readonly_fields = ["recent_ledger"]
    fieldsets = [
        (None, {"fields": [("code", "name"), ("specification", "model_number"),
                           ("unit", "category"), ("unit_cost", "preferred_supplier"),
                           ("safety_stock", "reorder_point", "reorder_quantity"), "is_active"]}),
        (_("Stock ledger"), {"fields": ["recent_ledger"]}),
    ]

    def get_queryset(self, request):
        balances = Prefetch("balances", queryset=StockBalance.objects.select_related("warehouse")
                            .filter(quantity__gt=0).order_by("warehouse__code"),
                            to_attr="stocked")
        return selectors.part_with_stock(super().get_queryset(request)).prefetch_related(balances)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets[:1]
        return self.fieldsets

    @display(description=_("on hand"), ordering="on_hand")
    def display_on_hand(self, obj):
        if obj.below_reorder:
            return format_html('<span class="text-red-600 font-semibold" title="{}">{} {} ⚠</span>',
                               _("below reorder point"), obj.on_hand, obj.unit)
        return f"{obj.on_hand} {obj.unit}"

    @display(description=_("by warehouse"))
    def display_by_warehouse(self, obj):
        stocked = getattr(obj, "stocked", [])
        if not stocked:
            return "-"
        return format_html_join(", ", "{}: {}", ((b.warehouse.code, b.quantity) for b in stocked))

    @display(description=_("latest movements"))
    def recent_ledger(self, obj):
        if not obj.pk:
            return "-"
        lines = (StockEntry.objects.filter(part=obj)
                 .select_related("warehouse", "actor", "recipient", "ticket")[:20])
        rows = format_html_join(
            "", '<tr><td class="pr-4">{}</td><td class="pr-4">{}</td><td class="pr-4">{}</td>'
            '<td class="pr-4 text-right">{}</td><td class="pr-4">{}</td><td class="pr-4">{}</td>'
            "<td>{}</td></tr>",
            ((timezone.localtime(e.posted_at).strftime("%Y-%m-%d %H:%M"), e.warehouse.code, e.get_kind_display(),
              f"{e.quantity:+d}", e.reference, e.ticket.number if e.ticket else "",
              display_name(e.recipient or e.actor))
             for e in lines))
        url = reverse("admin:inventory_stockentry_changelist") + f"?part__id__exact={obj.pk}"
        return format_html('<table class="text-sm">{}</table><a class="text-primary-600" '
                           'href="{}">{}</a>', rows, url, _("Full ledger of this part"))
