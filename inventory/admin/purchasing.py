"""Purchase plans (proposed from stock levels and demand) and purchase orders."""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.platform.admin.base import BudgetPositionMixin, admin_link
from inventory import services
from inventory import workflows as wf
from inventory.admin.common import DocumentAdmin, LineInline
from inventory.forms import ConfirmDialogForm
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasePlan,
    PurchasePlanLine,
    StockEntry,
)
from inventory.models.purchasing import MONEY
from inventory.resources import PurchaseOrderResource
from inventory.workflows import EntryKind, PurchaseOrderStatus


class PurchasePlanLineInline(LineInline):
    model = PurchasePlanLine
    fields = ["part", "supplier", "quantity", "unit_price", "urgent", "reason", "on_hand",
              "on_order", "open_demand", "display_order"]
    readonly_fields = ["reason", "on_hand", "on_order", "open_demand", "display_order"]
    autocomplete_fields = ["part", "supplier"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("part", "supplier", "purchase_order")

    @display(description=_("purchase order"))
    def display_order(self, obj):
        return admin_link(obj.purchase_order) if obj.purchase_order_id else ""


@admin.register(PurchasePlan)
class PurchasePlanAdmin(DocumentAdmin):
    list_display = ["number", "title", "display_state", "warehouse", "display_lines",
                    "display_total", "created_by", "approved_by", "created_at"]
    list_display_links = ["number", "title"]
    list_select_related = ["warehouse", "created_by", "approved_by"]
    list_filter = [("state", ChoicesDropdownFilter)]
    search_fields = ["=number", "title"]
    readonly_fields = ["number", "created_by", "approved_by", "approved_at"]
    inlines = [PurchasePlanLineInline]
    actions_detail = ["propose_action"]

    def get_fieldsets(self, request, obj=None):
        main = ["title", "warehouse", "note"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), *main,
                                   ("created_by", "approved_by", "approved_at")]})]

    def get_queryset(self, request):
        from django.db.models import Count, F

        return super().get_queryset(request).annotate(
            line_count=Count("lines"),
            total=Sum(F("lines__quantity") * F("lines__unit_price"), output_field=MONEY))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


    @display(description=_("lines"))
    def display_lines(self, obj):
        return obj.line_count

    @display(description=_("amount"))
    def display_total(self, obj):
        return obj.total or Decimal("0.00")

    def has_propose_permission(self, request, object_id=None):
        plan = PurchasePlan.objects.filter(pk=object_id).first()
        return bool(plan and plan.state == wf.PurchasePlanStatus.DRAFT
                    and wf.can_plan(plan, request.user))

    @action(description=_("Propose lines"), url_path="propose", icon="auto_awesome",
            permissions=["propose"],
            dialog={"title": _("Add parts below their reorder point or wanted by waiting "
                               "repairs"),
                    "form_class": ConfirmDialogForm, "form_submit_text": _("Propose")})
    def propose_action(self, request, form, object_id):
        plan = get_object_or_404(PurchasePlan, pk=object_id)
        try:
            added = services.purchase_plan_propose(plan, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("%(n)s lines proposed.") % {"n": added})
        url = reverse("admin:inventory_purchaseplan_change", args=[object_id])
        return HttpResponse(headers={"HX-Redirect": url})


class PurchaseOrderLineInline(LineInline):
    model = PurchaseOrderLine
    fields = ["part", "quantity", "unit_price", "display_amount", "display_received", "note"]
    readonly_fields = ["display_amount", "display_received"]
    autocomplete_fields = ["part"]

    def get_queryset(self, request):
        received = (StockEntry.objects.filter(purchase_line=OuterRef("pk"), kind=EntryKind.RECEIPT)
                    .order_by().values("purchase_line").annotate(q=Sum("quantity")).values("q"))
        return (super().get_queryset(request).select_related("part")
                .annotate(received=Coalesce(Subquery(received, output_field=IntegerField()),
                                            Value(0))))

    @display(description=_("amount"))
    def display_amount(self, obj):
        return obj.amount if obj.pk else ""

    @display(description=_("received"))
    def display_received(self, obj):
        return getattr(obj, "received", "")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(BudgetPositionMixin, DocumentAdmin):
    """Purchase orders, urgent ones first."""

    resource_classes = [PurchaseOrderResource]
    list_display = ["number", "display_urgent", "display_state", "supplier", "order_date",
                    "expected_date", "display_total", "created_by", "approved_by"]
    list_display_links = ["number"]
    list_select_related = ["supplier", "created_by", "approved_by"]
    list_filter = [("state", ChoicesDropdownFilter), "urgent",
                   ("supplier", RelatedDropdownFilter), ("order_date", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "supplier__name", "=supplier__code"]
    autocomplete_fields = ["supplier", "contract", "plan"]
    readonly_fields = ["number", "created_by", "approved_by", "approved_at", "budget_note",
                       "closed_at", "display_total"]
    ordering = ["-urgent", "-order_date", "-id"]
    inlines = [PurchaseOrderLineInline]
    budget_panel_states = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SUBMITTED)
    budget_confirmed_states = (PurchaseOrderStatus.SUBMITTED,)

    def budget_requests_when_adding(self, request):
        """A new order buys parts: their position shows before the first line."""
        return [("parts", timezone.localdate(), Decimal("0"))]

    def get_fieldsets(self, request, obj=None):
        main = [("supplier", "contract"), ("urgent", "warehouse"),
                ("order_date", "expected_date"), "plan", "note"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), *main]}),
                (_("Approval"), {"fields": ["display_total",
                                            ("created_by", "approved_by", "approved_at"),
                                            "budget_note", "closed_at"]})]

    def get_queryset(self, request):
        return super().get_queryset(request).with_amounts()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


    @display(description=_("urgent"), ordering="urgent", label={"urgent": "danger"})
    def display_urgent(self, obj):
        return ("urgent", _("urgent")) if obj.urgent else ""

    @display(description=_("amount"), ordering="amount_total")
    def display_total(self, obj):
        return obj.amount_total

