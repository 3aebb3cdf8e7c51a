"""Sidebar entries of the inventory app and its figures for the manager's dashboard.

``pending_approvals`` and ``dashboard_cards`` are the contract with the dashboard: each
returns plain dicts, is computed with a handful of aggregate queries whatever the data
volume, and shows only what the user may see.
"""

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backoffice.platform.dashboard import deferred_count, deferred_sum, settled
from inventory import workflows as wf

#: (model name, icon[, query string, title]) in sidebar order
SIDEBAR_ITEMS = [
    ("part", "inventory_2", "", _("Parts and on-hand list")),
    ("part", "production_quantity_limits", "?level=below", _("Below reorder point")),
    ("stockbalance", "warehouse", "", _("Stock by warehouse")),
    ("stockentry", "receipt_long", "", _("Stock ledger")),
    ("requisition", "outbox", f"?state__exact={wf.RequisitionStatus.SUBMITTED}",
     _("Requisitions to issue")),
    ("requisition", "assignment", "", _("All requisitions")),
    ("stocktake", "fact_check"),
    ("scraprequest", "delete"),
    ("disposalbatch", "recycling"),
    ("stocktransfer", "swap_horiz"),
    ("purchaseplan", "event_note"),
    ("purchaseorder", "shopping_cart"),
    ("supplier", "storefront"),
    ("suppliercontract", "contract"),
    ("warehouse", "home_work"),
    ("partcategory", "category"),
]


def _changelist(model_name, query=""):
    return reverse(f"admin:inventory_{model_name}_changelist") + query


def pending_approvals(user) -> list[dict]:
    """Documents waiting for ``user``'s approval: [{"title", "count", "link"}, ...].

    Only kinds the user may approve are listed (count may be 0); the user's own documents
    are left out, since nobody approves their own (four-eyes rule). The counts are read
    with the page's others, in one query (``platform.dashboard.read_together``).
    """
    from inventory.models import PurchaseOrder, PurchasePlan, ScrapRequest, Stocktake

    if not (user and user.is_active):
        return []
    out = []
    if user.has_perm("inventory.approve_scraprequest"):
        n = deferred_count(ScrapRequest.objects.filter(state=wf.ScrapStatus.SUBMITTED)
                           .exclude(requester=user))
        out.append({"title": str(_("Scrap requests to approve")), "count": n,
                    "link": _changelist("scraprequest",
                                        f"?state__exact={wf.ScrapStatus.SUBMITTED}")})
    if user.has_perm("inventory.approve_purchaseorder") or user.has_perm(
            "inventory.approve_purchaseplan"):
        orders = (PurchaseOrder.objects.filter(state=wf.PurchaseOrderStatus.SUBMITTED)
                  .exclude(created_by=user))
        if user.has_perm("inventory.approve_purchaseorder"):
            out.append({"title": deferred_count(orders.filter(urgent=True)).map(_orders_title),
                        "count": deferred_count(orders),
                        "link": _changelist("purchaseorder",
                                            f"?state__exact={wf.PurchaseOrderStatus.SUBMITTED}")})
        if user.has_perm("inventory.approve_purchaseplan"):
            n = deferred_count(PurchasePlan.objects.filter(
                state=wf.PurchasePlanStatus.SUBMITTED).exclude(created_by=user))
            out.append({"title": str(_("Purchase plans to approve")), "count": n,
                        "link": _changelist("purchaseplan",
                                            f"?state__exact={wf.PurchasePlanStatus.SUBMITTED}")})
    if user.has_perm("inventory.approve_stocktake"):
        n = deferred_count(Stocktake.objects.filter(state=wf.StocktakeStatus.SUBMITTED)
                           .exclude(Q(started_by=user) | Q(submitted_by=user)))
        out.append({"title": str(_("Stocktakes to approve")), "count": n,
                    "link": _changelist("stocktake",
                                        f"?state__exact={wf.StocktakeStatus.SUBMITTED}")})
    return settled(out)


def _orders_title(urgent) -> str:
    if urgent:
        return str(_("Purchase orders to approve (%(n)s urgent)") % {"n": urgent})
    return str(_("Purchase orders to approve"))


def _stock_value():
    """``selectors.stock_value()``, read with the page's counts."""
    from decimal import Decimal

    from django.db.models import DecimalField, ExpressionWrapper

    from inventory.models import StockBalance

    value = ExpressionWrapper(F("quantity") * F("part__unit_cost"),
                              output_field=DecimalField(max_digits=14, decimal_places=2))
    return deferred_sum(StockBalance.objects.filter(warehouse__kind=wf.WarehouseKind.MAIN),
                        value).map(lambda v: (v or Decimal("0.00")).quantize(Decimal("0.00")))


def _yuan(value) -> str:
    return f"¥{value:,.2f}"


def dashboard_cards(user) -> list[dict]:
    """Figures of the parts warehouse: [{"title", "value", "link"}, ...] the user may see."""
    from inventory import selectors
    from inventory.models import Part, PurchaseOrder, Requisition

    if not (user and user.is_active):
        return []
    cards = []
    if user.has_perm("inventory.view_part"):
        parts = selectors.part_with_stock(Part.objects.filter(is_active=True))
        counts = {"below": deferred_count(parts.filter(on_hand__lt=F("reorder_point"))),
                  "out": deferred_count(parts.filter(on_hand__lte=0, reorder_point__gt=0))}
        cards.append({"title": str(_("Parts below reorder point")), "value": counts["below"],
                      "link": _changelist("part", "?level=below")})
        cards.append({"title": str(_("Parts out of stock")), "value": counts["out"],
                      "link": _changelist("part", "?level=out")})
    if user.has_perm("inventory.view_stockbalance") and user.has_perm("inventory.view_part"):
        cards.append({"title": str(_("Stock value (standard cost)")),
                      "value": _stock_value().map(_yuan),
                      "link": _changelist("stockbalance")})
    if user.has_perm("inventory.view_requisition"):
        n = deferred_count(Requisition.objects.filter(state=wf.RequisitionStatus.SUBMITTED))
        cards.append({"title": str(_("Requisitions waiting to be issued")), "value": n,
                      "link": _changelist("requisition",
                                          f"?state__exact={wf.RequisitionStatus.SUBMITTED}")})
    if user.has_perm("inventory.view_purchaseorder"):
        n = deferred_count(PurchaseOrder.objects.filter(state__in=wf.PO_OPEN_STATES))
        cards.append({"title": str(_("Purchase orders awaiting delivery")), "value": n,
                      "link": _changelist("purchaseorder", "?state__in=approved,partial")})
    return settled(cards, cards=True)
