"""Reads of the spare-parts app: on-hand figures, demand, parts used, spending.

Everything here is one or a few aggregate queries, whatever the number of parts or lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth

from inventory import workflows as wf
from inventory.models import (
    Part,
    PurchaseOrderLine,
    RequisitionLine,
    StockBalance,
    StockEntry,
    Stocktake,
)
from inventory.workflows import EntryKind, WarehouseKind

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


def _sum_by_part(queryset, expression="quantity"):
    """A correlated ``SUM`` per part (0 when there is nothing to add up)."""
    summed = (queryset.filter(part=OuterRef("pk")).order_by().values("part")
              .annotate(total=Sum(expression)).values("total"))
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def on_hand_expression():
    """Quantity on hand in stocking warehouses (scrap areas do not count)."""
    return _sum_by_part(StockBalance.objects.filter(warehouse__kind=WarehouseKind.MAIN))


def part_with_stock(queryset=None):
    """Parts annotated with ``on_hand`` and ``below_reorder`` (on hand < reorder point)."""
    queryset = Part.objects.all() if queryset is None else queryset
    return queryset.annotate(on_hand=on_hand_expression()).annotate(
        below_reorder=Case(When(on_hand__lt=F("reorder_point"), then=Value(True)),
                           default=Value(False), output_field=BooleanField()))


def balance_with_part_total(queryset=None):
    """Balance rows annotated with the part's total on hand and its below-reorder flag."""
    queryset = StockBalance.objects.all() if queryset is None else queryset
    total = (StockBalance.objects.filter(part=OuterRef("part"),
                                         warehouse__kind=WarehouseKind.MAIN)
             .order_by().values("part").annotate(t=Sum("quantity")).values("t"))
    return queryset.annotate(
        part_total=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)),
    ).annotate(below_reorder=Case(
        When(warehouse__kind=WarehouseKind.MAIN, part_total__lt=F("part__reorder_point"),
             then=Value(True)),
        default=Value(False), output_field=BooleanField()))


def replenishment_needs():
    """Active parts with ``on_hand``, ``on_order`` and ``open_demand`` whose need > 0."""
    on_order = ExpressionWrapper(
        _sum_by_part(PurchaseOrderLine.objects.filter(
            order__state__in=wf.PO_ON_ORDER_STATES))
        - _sum_by_part(StockEntry.objects.filter(
            kind=EntryKind.RECEIPT, purchase_line__order__state__in=wf.PO_ON_ORDER_STATES)),
        output_field=IntegerField())
    demand = _sum_by_part(RequisitionLine.objects.filter(
        requisition__state=wf.RequisitionStatus.SUBMITTED))
    return (Part.objects.filter(is_active=True)
            .annotate(on_hand=on_hand_expression(), on_order=on_order, open_demand=demand)
            .annotate(need=F("reorder_point") + F("open_demand") - F("on_hand") - F("on_order"))
            .filter(need__gt=0).select_related("preferred_supplier").order_by("code"))


def ticket_issue_lines(ticket):
    """The ticket's issue and return lines of the ledger, unread (``values()``, by part
    code): what :func:`parts_used` and :func:`parts_issued` make their rows of, on their
    own or read together with other lists of the ticket (``platform.together``)."""
    return (StockEntry.objects
            .filter(ticket=ticket, kind__in=[EntryKind.ISSUE, EntryKind.RETURN])
            .values("pk", "posted_at", "kind", "part_id", "part__code", "part__name",
                    "part__specification", "part__unit", "quantity", "unit_cost",
                    "requisition_line__requisition_id", "requisition_line__requisition__number")
            .order_by("part__code", "posted_at", "pk"))


def parts_used(lines) -> list[dict]:
    """Parts net of returns, by part code, from :func:`ticket_issue_lines`' rows.

    Each row: ``part_id``, ``code``, ``name``, ``specification``, ``unit``, ``quantity``
    (used), ``value`` (at the issue cost); a part returned in full is left out.
    """
    by_part: dict[int, dict] = {}
    for line in lines:  # in part-code order: the rows come out in it
        row = by_part.setdefault(line["part_id"], {
            "part_id": line["part_id"], "code": line["part__code"], "name": line["part__name"],
            "specification": line["part__specification"], "unit": line["part__unit"],
            "quantity": 0, "value": ZERO})
        row["quantity"] -= line["quantity"]
        row["value"] -= line["quantity"] * line["unit_cost"]
    return [{**row, "value": row["value"].quantize(ZERO)} for row in by_part.values()
            if row["quantity"] != 0]


def parts_issued(lines) -> list[dict]:
    """Every issue and return line, oldest first, valued at the ledger's unit cost (a
    return, or the reversal of an issue, counts negative), with its requisition, from
    :func:`ticket_issue_lines`' rows.

    Each row: ``entry_id``, ``posted_at``, ``kind``, ``code``, ``name``, ``quantity`` (used:
    issued positive, returned negative), ``unit_cost``, ``value``, ``requisition_id``,
    ``requisition_number``.
    """
    return [{"entry_id": line["pk"], "posted_at": line["posted_at"], "kind": line["kind"],
             "code": line["part__code"], "name": line["part__name"],
             "quantity": -line["quantity"], "unit_cost": line["unit_cost"],
             "value": (-line["quantity"] * line["unit_cost"]).quantize(ZERO),
             "requisition_id": line["requisition_line__requisition_id"],
             "requisition_number": line["requisition_line__requisition__number"] or ""}
            for line in sorted(lines, key=lambda line: (line["posted_at"], line["pk"]))]


def parts_used_on_ticket(ticket) -> list[dict]:
    """:func:`parts_used` of the ticket, for its service record (one query)."""
    if ticket is None or ticket.pk is None:
        return []
    return parts_used(ticket_issue_lines(ticket))


def parts_issued_to_ticket(ticket) -> list[dict]:
    """:func:`parts_issued` of the ticket (one query)."""
    if ticket is None or ticket.pk is None:
        return []
    return parts_issued(ticket_issue_lines(ticket))


def parts_value_by(key, tickets) -> dict:
    """{key: value of the parts used} over the tickets ``tickets`` selects (a ``Q`` on the
    ledger's ``ticket__…``), grouped by ``key`` (an expression on ``ticket__…``): issues at
    their unit cost minus returns, one aggregate query."""
    value = ExpressionWrapper(-F("quantity") * F("unit_cost"), output_field=MONEY)
    rows = (StockEntry.objects.filter(tickets, kind__in=[EntryKind.ISSUE, EntryKind.RETURN])
            .annotate(key=key).values("key").annotate(v=Sum(value)).order_by()
            .values_list("key", "v"))
    return {k: (v or ZERO).quantize(ZERO) for k, v in rows}


def ticket_requisitions(ticket) -> list[dict]:
    """The ticket's requisitions, newest first, each with ``number``, ``state`` and its
    label, ``requester`` (named), ``created_at`` and ``lines`` (``code``, ``name``,
    ``quantity``): the ticket page's parts panel, in one query whatever their number."""
    from backoffice.platform.people import display_name_of
    from backoffice.platform.together import choice_label, read_together
    from inventory.models import Requisition

    if ticket is None or ticket.pk is None:
        return []
    rows = read_together(
        requisitions=Requisition.objects.filter(ticket=ticket)
        .values("id", "number", "state", "created_at", "requester__first_name",
                "requester__last_name", "requester__username").order_by("-created_at", "-id"),
        lines=RequisitionLine.objects.filter(requisition__ticket=ticket)
        .values("id", "requisition_id", "part__code", "part__name", "quantity").order_by("id"))
    lines: dict[int, list] = {}
    for line in rows["lines"]:
        lines.setdefault(line["requisition_id"], []).append(
            {"code": line["part__code"], "name": line["part__name"],
             "quantity": line["quantity"]})
    return [{"pk": r["id"], "number": r["number"], "state": r["state"],
             "state_label": choice_label(Requisition, "state", r["state"]),
             "requester": display_name_of(r["requester__first_name"], r["requester__last_name"],
                                          r["requester__username"]),
             "created_at": r["created_at"], "lines": lines.get(r["id"], [])}
            for r in rows["requisitions"]]


def default_warehouse():
    """The warehouse a new requisition is filled in with (None when there is none)."""
    from inventory.models import Warehouse

    return Warehouse.objects.default_for_requisitions()


def stock_value() -> Decimal:
    """Value of the stock on hand in stocking warehouses, at standard cost."""
    value = ExpressionWrapper(F("quantity") * F("part__unit_cost"), output_field=MONEY)
    total = (StockBalance.objects.filter(warehouse__kind=WarehouseKind.MAIN)
             .aggregate(v=Sum(value))["v"])
    return (total or ZERO).quantize(ZERO)


def purchase_spending(year: int):
    """Spending source for the budget: parts purchases per month of ``year``.

    ``actual`` = value received in the month (receipt lines at order price, reversals
    included); ``committed`` = approved orders' value not yet received, by approval month.
    """
    from backoffice.platform.budget import Spend

    entry_value = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=MONEY)
    line_value = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY)
    receipts = StockEntry.objects.filter(kind=EntryKind.RECEIPT, purchase_line__isnull=False)
    actual = dict(receipts.filter(posted_at__year=year)
                  .annotate(m=ExtractMonth("posted_at")).values("m")
                  .annotate(v=Sum(entry_value)).values_list("m", "v").order_by())
    open_orders = {"order__state__in": wf.PO_OPEN_STATES, "order__approved_at__year": year}
    ordered = dict(PurchaseOrderLine.objects.filter(**open_orders)
                   .annotate(m=ExtractMonth("order__approved_at")).values("m")
                   .annotate(v=Sum(line_value)).values_list("m", "v").order_by())
    delivered = dict(receipts.filter(**{f"purchase_line__{k}": v for k, v in open_orders.items()})
                     .annotate(m=ExtractMonth("purchase_line__order__approved_at")).values("m")
                     .annotate(v=Sum(entry_value)).values_list("m", "v").order_by())
    for month in sorted(set(actual) | set(ordered)):
        spent = Decimal(actual.get(month) or 0).quantize(ZERO)
        committed = (Decimal(ordered.get(month) or 0)
                     - Decimal(delivered.get(month) or 0)).quantize(ZERO)
        yield Spend(category="parts", month=month, actual=spent, committed=committed)


# -- printouts -------------------------------------------------------------------------------
def stocktakes_hiding_book_quantities(user, stocktake_ids=None) -> set[int]:
    """Ids of the blind stocktakes (among ``stocktake_ids``, default all) whose book
    quantities ``user`` may not see (``workflows.can_see_book_quantities``): one query."""
    blind = Stocktake.objects.filter(blind=True).only(
        "pk", "blind", "state", "started_by_id", "submitted_by_id")
    if stocktake_ids is not None:
        blind = blind.filter(pk__in=stocktake_ids)
    return {s.pk for s in blind if not wf.can_see_book_quantities(s, user)}


def requisition_slip(requisition) -> dict:
    """What the printed requisition slip (领用单) shows: the requisition with its ticket,
    customer and people; each line with what the ledger issued and took back; the journal
    (a fixed number of queries, whatever the number of lines)."""
    from backoffice.platform import printing
    from inventory.models import Requisition

    requisition = (Requisition.objects
                   .select_related("ticket__customer", "ticket__contact", "requester",
                                   "warehouse", "issued_by")
                   .get(pk=requisition.pk))
    taken = requisition.taken_by_line()
    lines = []
    for line in requisition.lines.select_related("part").order_by("id"):
        moved = taken.get(line.pk, {"issued": 0, "returned": 0})
        lines.append({"part": line.part, "quantity": line.quantity, "issued": moved["issued"],
                      "returned": moved["returned"],
                      "used": moved["issued"] - moved["returned"], "note": line.note})
    return {
        "requisition": requisition,
        "lines": lines,
        "total_quantity": sum(line["quantity"] for line in lines),
        "total_issued": sum(line["issued"] for line in lines),
        "total_returned": sum(line["returned"] for line in lines),
        "journal": printing.journal(requisition),
    }


def scrap_request_form(scrap_request) -> dict:
    """What the printed scrap request (报废申请单) shows: the part, how many, why, the
    value at standard cost, who filed and who decided when, the journal."""
    from backoffice.platform import printing
    from inventory.models import ScrapRequest

    scrap = (ScrapRequest.objects
             .select_related("part", "warehouse", "scrap_warehouse", "ticket__customer",
                             "requester", "approved_by")
             .get(pk=scrap_request.pk))
    journal = printing.journal(scrap)
    submitted = printing.last_step(journal, "submit")
    decision = None
    if scrap.approved_at is not None:  # approved or rejected (and maybe disposed since)
        step = printing.last_step(journal, "approve", "reject")
        decision = {"action": step["action"] if step else scrap.get_state_display(),
                    "by": printing.person(scrap.approved_by), "at": scrap.approved_at,
                    "note": step["note"] if step else ""}
    return {
        "scrap": scrap,
        "value": (scrap.part.unit_cost * scrap.quantity).quantize(ZERO),
        "submitted_at": submitted["at"] if submitted else None,
        "decision": decision,
        "journal": journal,
    }
