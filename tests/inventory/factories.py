"""factory-boy factories and small helpers for the inventory tests."""

import datetime as dt
from decimal import Decimal

import factory
from django.db.models import Sum
from django.utils import timezone

from inventory import services
from inventory import workflows as wf
from inventory.models import (
    Part,
    PartCategory,
    PurchaseOrder,
    PurchaseOrderLine,
    Requisition,
    RequisitionLine,
    ScrapRequest,
    StockBalance,
    StockEntry,
    Supplier,
    Warehouse,
)
from tests.factories import TicketFactory


class PartCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.Sequence(lambda n: f"类别{n}")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"配件仓{n}")
    kind = wf.WarehouseKind.MAIN


class ScrapAreaFactory(WarehouseFactory):
    code = "SCRAP"
    name = "报废区"
    kind = wf.WarehouseKind.SCRAP


class SupplierFactory(factory.django.DjangoModelFactory):
    """A qualified supplier (pass ``state=...`` for another qualification)."""

    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"供应商{n}有限公司")
    state = wf.SupplierStatus.QUALIFIED
    qualified_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"配件{n}")
    specification = "标准"
    unit = "个"
    unit_cost = Decimal("100.00")
    reorder_point = 0


def stock(part, warehouse, quantity, actor):
    """Put ``quantity`` on the shelf through the ledger (a receipt line)."""
    return services.post_moves(
        [services.Move(part, warehouse, quantity, wf.EntryKind.RECEIPT)], actor=actor)


def requisition(*, requester, warehouse, lines, ticket=None, **kwargs):
    """A draft requisition; ``lines`` is [(part, quantity), ...]."""
    ticket = ticket or TicketFactory()
    req = Requisition.objects.create(ticket=ticket, requester=requester, warehouse=warehouse,
                                     **kwargs)
    for part, qty in lines:
        RequisitionLine.objects.create(requisition=req, part=part, quantity=qty)
    return req


def scrap_request(*, requester, part, warehouse, quantity=1, **kwargs):
    return ScrapRequest.objects.create(requester=requester, part=part, warehouse=warehouse,
                                       quantity=quantity, reason=wf.ScrapReason.BROKEN,
                                       **kwargs)


def purchase_order(*, created_by, warehouse, lines, supplier=None, **kwargs):
    """A draft purchase order; ``lines`` is [(part, quantity, unit price), ...]."""
    order = PurchaseOrder.objects.create(supplier=supplier or SupplierFactory(),
                                         warehouse=warehouse, created_by=created_by, **kwargs)
    for part, qty, price in lines:
        PurchaseOrderLine.objects.create(order=order, part=part, quantity=qty,
                                         unit_price=Decimal(price))
    return order


def balance(part, warehouse):
    return (StockBalance.objects.filter(part=part, warehouse=warehouse)
            .values_list("quantity", flat=True).first()) or 0


def ledger_sum(part, warehouse):
    return (StockEntry.objects.filter(part=part, warehouse=warehouse)
            .aggregate(q=Sum("quantity"))["q"]) or 0
