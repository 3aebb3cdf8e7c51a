"""Writes of the spare-parts app: the posting engine and the document operations.

The one rule: stock only changes through :func:`post_moves`, which inserts immutable
ledger lines and moves the balances in the same transaction. Decrements are a single
conditional ``UPDATE ... SET quantity = quantity - n WHERE quantity >= n`` (STACK.md item
13): the database decides atomically, so two engineers taking the last unit at the same
second cannot both get it, on PostgreSQL or SQLite. Balance rows are touched in
(warehouse, part) order so that two documents never wait on each other crosswise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from backoffice.platform.notifications import (
    event,
    needs,
    notify,
    page_of,
    permission_holders,
)
from backoffice.platform.workflow import apply_transition, side_effect
from inventory import workflows as wf
from inventory.models import (
    DisposalBatch,
    DisposalLine,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasePlan,
    PurchasePlanLine,
    Requisition,
    ScrapRequest,
    StockBalance,
    StockEntry,
    Stocktake,
    StocktakeLine,
    StockTransfer,
    Warehouse,
)
from inventory.workflows import EntryKind, ProposalReason


class InsufficientStock(ValidationError):
    """Taking more than is on hand: refused, nothing posted."""


@dataclass
class Move:
    """One intended change of a balance; becomes one ledger line."""

    part: Part
    warehouse: Warehouse
    quantity: int
    kind: str
    unit_cost: Decimal | None = None
    links: dict = field(default_factory=dict)  # document FKs, ticket, recipient, note, ...


def _increment(part_id: int, warehouse_id: int, quantity: int, now) -> None:
    balances = StockBalance.objects.filter(part_id=part_id, warehouse_id=warehouse_id)
    if balances.update(quantity=F("quantity") + quantity, updated_at=now):
        return
    try:
        with transaction.atomic():  # savepoint: a concurrent first receipt may win the insert
            StockBalance.objects.create(part_id=part_id, warehouse_id=warehouse_id,
                                        quantity=quantity, updated_at=now)
    except IntegrityError:
        balances.update(quantity=F("quantity") + quantity, updated_at=now)


def _decrement(move: Move, now) -> None:
    taken = move.quantity * -1
    updated = (StockBalance.objects
               .filter(part_id=move.part.pk, warehouse_id=move.warehouse.pk, quantity__gte=taken)
               .update(quantity=F("quantity") - taken, updated_at=now))
    if not updated:
        on_hand = (StockBalance.objects.filter(part_id=move.part.pk,
                                               warehouse_id=move.warehouse.pk)
                   .values_list("quantity", flat=True).first()) or 0
        raise InsufficientStock(
            _("Not enough stock of %(part)s in %(warehouse)s: %(on_hand)s %(unit)s on hand, "
              "%(needed)s needed.")
            % {"part": move.part, "warehouse": move.warehouse, "on_hand": on_hand,
               "unit": move.part.unit, "needed": taken},
            code="insufficient_stock",
        )


def post_moves(moves: Iterable[Move], *, actor, note: str = "", reference: str = "",
               posted_at=None) -> list[StockEntry]:
    """Post ledger lines and move the balances, all or nothing.

    Raises :class:`InsufficientStock` when any decrement would go below zero; the caller's
    transaction then rolls back every line of the document.
    """
    moves = [m for m in moves if m.quantity]
    if not moves:
        return []
    if actor is None:
        raise PermissionDenied(_("Stock movements need the user who books them."))
    now = posted_at or timezone.now()
    with transaction.atomic():
        for move in sorted(moves, key=lambda m: (m.warehouse.pk, m.part.pk)):
            if move.quantity < 0:
                _decrement(move, now)
            else:
                _increment(move.part.pk, move.warehouse.pk, move.quantity, now)
        entries = [
            StockEntry(part=m.part, warehouse=m.warehouse, kind=m.kind, quantity=m.quantity,
                       unit_cost=m.part.unit_cost if m.unit_cost is None else m.unit_cost,
                       posted_at=now, actor=actor, reference=reference,
                       note=(m.links.pop("note", "") or note)[:300], **m.links)
            for m in moves
        ]
        return StockEntry.objects.bulk_create(entries)


# -- corrections -------------------------------------------------------------------------
def stock_entry_reverse(*, entry: StockEntry, actor, reason: str) -> StockEntry:
    """Cancel a wrong ledger line with an opposite line of the same kind.

    The original stays untouched; a line is reversed at most once (a unique key enforces
    it) and a reversing line is not itself reversed. A purchase receipt reversal puts the
    order back to waiting for the missing quantity.
    """
    if not (actor and actor.has_perm("inventory.reverse_stockentry")):
        raise PermissionDenied(_("You are not allowed to reverse ledger lines."))
    if not (reason or "").strip():
        raise ValidationError(_("Say why the line is reversed."))
    if entry.reverses_id is not None:
        raise ValidationError(_("This line is itself a reversal; post a new movement instead."))
    if entry.kind not in wf.REVERSIBLE_KINDS:
        raise ValidationError(
            _("%(kind)s lines are corrected through their document, not reversed one by one.")
            % {"kind": entry.get_kind_display()})
    with transaction.atomic():
        if StockEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("Line #%(id)s has already been reversed.") % {"id": entry.pk})
        links = {f"{name}_id": getattr(entry, f"{name}_id") for name in (
            "recipient", "ticket", "requisition_line", "purchase_line", "stocktake",
            "scrap_request", "disposal", "transfer")}
        move = Move(part=entry.part, warehouse=entry.warehouse, quantity=-entry.quantity,
                    kind=entry.kind, unit_cost=entry.unit_cost,
                    links={**links, "reverses": entry,
                           "note": _("Reversal of #%(id)s: %(reason)s")
                           % {"id": entry.pk, "reason": reason}})
        try:
            with transaction.atomic():
                (reversal,) = post_moves([move], actor=actor, reference=entry.reference)
        except IntegrityError as exc:  # a concurrent reversal of the same line won
            raise ValidationError(
                _("Line #%(id)s has already been reversed.") % {"id": entry.pk}) from exc
        if entry.purchase_line_id is not None:
            order = PurchaseOrder.objects.get(lines=entry.purchase_line_id)
            if order.state == wf.PurchaseOrderStatus.RECEIVED:
                apply_transition(order, "reopen", actor=actor,
                                 note=_("Receipt line #%(id)s reversed") % {"id": entry.pk})
    return reversal


def _has_opening_balance(part, warehouse) -> bool:
    return StockEntry.objects.filter(part=part, warehouse=warehouse, kind=EntryKind.OPENING,
                                     reverses__isnull=True).exists()


def _already_opened(part, warehouse) -> ValidationError:
    return ValidationError(
        _("%(part)s already has an opening balance in %(warehouse)s; correct it with a "
          "stocktake.") % {"part": part, "warehouse": warehouse},
        code="opening_balance_exists")


def opening_balance_post(*, part: Part, warehouse: Warehouse, quantity: int, unit_cost=None,
                         actor, note: str = "") -> StockEntry:
    """Stock found when the system is introduced; only before any other movement.

    Once per part and warehouse, however many people (or sessions, or confirmed files)
    post it at the same moment: the check below sees only committed lines, so the
    database's unique key (``uniq_opening_balance``) decides between simultaneous posts,
    and the losers get the same refusal. The balance and the ledger line are written in
    one transaction (``post_moves``), so a refused post leaves the balance as it was."""
    if quantity <= 0:
        raise ValidationError({"quantity": _("An opening balance must be more than zero.")})
    if StockEntry.objects.filter(part=part, warehouse=warehouse).exists():
        if _has_opening_balance(part, warehouse):  # asked second: lines are never deleted
            raise _already_opened(part, warehouse)
        raise ValidationError(
            _("%(part)s already has movements in %(warehouse)s; correct it with a stocktake.")
            % {"part": part, "warehouse": warehouse})
    try:
        with transaction.atomic():  # a savepoint inside an import: only this line is undone
            (entry,) = post_moves(
                [Move(part, warehouse, quantity, EntryKind.OPENING, unit_cost)],
                actor=actor, note=note or _("Opening balance"))
    except IntegrityError as exc:
        if _has_opening_balance(part, warehouse):  # a simultaneous post won the unique key
            raise _already_opened(part, warehouse) from exc
        raise
    return entry


# -- requisitions ------------------------------------------------------------------------
@side_effect(Requisition, "issue")
def requisition_post_issue(requisition, *, actor) -> list[StockEntry]:
    """Issue every line in full to the requesting engineer, for the ticket."""
    lines = list(requisition.lines.select_related("part"))
    warehouse = requisition.warehouse
    moves = [Move(line.part, warehouse, -line.quantity, EntryKind.ISSUE,
                  links={"requisition_line": line, "ticket_id": requisition.ticket_id,
                         "recipient_id": requisition.requester_id})
             for line in lines]
    return post_moves(moves, actor=actor, reference=requisition.number)


@side_effect(Requisition, "return_parts")
def requisition_post_return(requisition, *, actor, quantities: dict) -> list[StockEntry]:
    """Put unused parts back on the shelf; never more than was taken."""
    quantities = {int(k): int(v or 0) for k, v in quantities.items()}
    if any(q < 0 for q in quantities.values()):
        raise ValidationError(_("Returned quantities cannot be negative."))
    if not any(quantities.values()):
        raise ValidationError(_("Enter the quantity returned for at least one line."))
    taken = requisition.taken_by_line()
    moves = []
    for line in requisition.lines.select_related("part"):
        qty = quantities.pop(line.pk, 0)
        if not qty:
            continue
        slot = taken.get(line.pk, {"issued": 0, "returned": 0})
        left = slot["issued"] - slot["returned"]
        if qty > left:
            raise ValidationError(
                _("%(part)s: %(qty)s returned but only %(left)s taken and not yet returned.")
                % {"part": line.part, "qty": qty, "left": left})
        moves.append(Move(line.part, requisition.warehouse, qty, EntryKind.RETURN,
                          links={"requisition_line": line, "ticket_id": requisition.ticket_id,
                                 "recipient_id": requisition.requester_id}))
    if quantities:
        raise ValidationError(_("A returned line does not belong to this requisition."))
    return post_moves(moves, actor=actor, reference=requisition.number)


# -- stocktakes --------------------------------------------------------------------------
@side_effect(Stocktake, "start")
def stocktake_snapshot(stocktake) -> int:
    """Freeze the book quantities of the warehouse (one consistent read) as count lines."""
    stocktake.snapshot_at = timezone.now()
    balances = StockBalance.objects.filter(warehouse_id=stocktake.warehouse_id)
    if stocktake.category_id:
        balances = balances.filter(part__category_id=stocktake.category_id)
    book = dict(balances.values_list("part_id", "quantity"))
    part_ids = set(book)
    if stocktake.include_all_parts:
        parts = Part.objects.filter(is_active=True)
        if stocktake.category_id:
            parts = parts.filter(category_id=stocktake.category_id)
        part_ids |= set(parts.values_list("pk", flat=True))
    existing = set(stocktake.lines.values_list("part_id", flat=True))
    StocktakeLine.objects.bulk_create([
        StocktakeLine(stocktake=stocktake, part_id=pk, book_quantity=book.get(pk, 0))
        for pk in sorted(part_ids - existing)])
    for line in stocktake.lines.filter(part_id__in=existing):
        StocktakeLine.objects.filter(pk=line.pk).update(book_quantity=book.get(line.part_id, 0))
    return len(part_ids | existing)


@side_effect(Stocktake, "recount")
def stocktake_mark_recount(stocktake, actor) -> int:
    """Send the lines over the recount tolerance back to the counters: each keeps its
    count as ``previous_count`` (and in its history) and loses it, so the stocktake cannot
    be submitted again until they are recounted. Lines within the tolerance keep theirs."""
    over = {line.pk for line in stocktake.lines_over_tolerance().only("pk")}
    lines = list(stocktake.lines.filter(Q(pk__in=over) | Q(recount_requested=True)))
    for line in lines:
        line.recount_requested = line.pk in over
        if line.recount_requested:
            line.previous_count, line.counted_quantity = line.counted_quantity, None
    bulk_update_with_history(lines, StocktakeLine,
                             ["recount_requested", "previous_count", "counted_quantity"],
                             default_user=actor, default_change_reason="recount")
    return len(over)


@side_effect(Stocktake, "approve")
def stocktake_post(stocktake, *, actor) -> list[StockEntry]:
    """Post ``counted − book`` of every line with a variance onto the live balance."""
    lines = stocktake.lines.select_related("part").exclude(counted_quantity__isnull=True)
    moves = [Move(line.part, stocktake.warehouse, line.variance, EntryKind.ADJUSTMENT,
                  links={"stocktake": stocktake,
                         "note": line.get_reason_display() if line.reason else ""})
             for line in lines if line.variance]
    return post_moves(moves, actor=actor, reference=stocktake.number)


# -- scrap and disposal ------------------------------------------------------------------
@side_effect(ScrapRequest, "approve")
def scrap_post(scrap: ScrapRequest, *, actor) -> list[StockEntry]:
    """On approval, move the scrapped parts from their warehouse to the scrap area."""
    scrap.scrap_warehouse = scrap.scrap_area()
    if scrap.scrap_warehouse is None:
        raise ValidationError(_("There is no active scrap area."))
    links = {"scrap_request": scrap, "ticket_id": scrap.ticket_id}
    moves = [Move(scrap.part, scrap.warehouse, -scrap.quantity, EntryKind.SCRAP,
                  links=dict(links)),
             Move(scrap.part, scrap.scrap_warehouse, scrap.quantity, EntryKind.SCRAP,
                  links=dict(links))]
    return post_moves(moves, actor=actor, reference=scrap.number)


@side_effect(DisposalBatch, "complete")
def disposal_post(batch, *, actor) -> list[StockEntry]:
    """Take the batch's parts out of the scrap area and close its scrap requests."""
    lines = list(batch.lines.select_related("part", "scrap_request"))
    for line in lines:
        line.full_clean(exclude=["batch"])
    entries = post_moves([Move(line.part, batch.warehouse, -line.quantity, EntryKind.DISPOSAL,
                               links={"disposal": batch}) for line in lines],
                         actor=actor, reference=batch.number)
    for line in lines:
        if line.scrap_request is not None:
            request = line.scrap_request
            request._disposal_in_progress = True
            apply_transition(request, "dispose", actor=actor,
                             note=_("Disposal batch %(number)s") % {"number": batch.number})
    return entries


def disposal_add_approved_scrap(batch) -> int:
    """Add a line for every approved scrap request in the batch's scrap area not yet listed."""
    if batch.state != wf.DisposalStatus.DRAFT:
        raise ValidationError(_("Lines can only be added to a draft disposal batch."))
    waiting = (ScrapRequest.objects
               .filter(state=wf.ScrapStatus.APPROVED, scrap_warehouse=batch.warehouse,
                       disposal_line__isnull=True))
    lines = [DisposalLine(batch=batch, scrap_request=s, part_id=s.part_id, quantity=s.quantity)
             for s in waiting]
    for line in lines:
        line.save()
    return len(lines)


# -- transfers -------------------------------------------------------------------------
@side_effect(StockTransfer, "post")
def transfer_post(transfer, *, actor) -> list[StockEntry]:
    moves = []
    for line in transfer.lines.select_related("part"):
        moves.append(Move(line.part, transfer.from_warehouse, -line.quantity,
                          EntryKind.TRANSFER, links={"transfer": transfer}))
        moves.append(Move(line.part, transfer.to_warehouse, line.quantity,
                          EntryKind.TRANSFER, links={"transfer": transfer}))
    return post_moves(moves, actor=actor, reference=transfer.number)


# -- purchasing --------------------------------------------------------------------------
@side_effect(PurchaseOrder, "receive")
def purchase_order_post_receipt(order, *, actor, quantities: dict,
                                delivery_note: str = "") -> list[StockEntry]:
    """Book a (partial) delivery: receipt lines at the order price, never over the order."""
    quantities = {int(k): int(v or 0) for k, v in quantities.items()}
    if any(q < 0 for q in quantities.values()):
        raise ValidationError(_("Received quantities cannot be negative."))
    if not any(quantities.values()):
        raise ValidationError(_("Enter the quantity delivered for at least one line."))
    received = order.received_by_line()
    moves = []
    for line in order.lines.select_related("part"):
        qty = quantities.pop(line.pk, 0)
        if not qty:
            continue
        left = line.quantity - received.get(line.pk, 0)
        if qty > left:
            raise ValidationError(
                _("%(part)s: %(qty)s delivered but only %(left)s still on order.")
                % {"part": line.part, "qty": qty, "left": left})
        moves.append(Move(line.part, order.warehouse, qty, EntryKind.RECEIPT,
                          unit_cost=line.unit_price, links={"purchase_line": line}))
    if quantities:
        raise ValidationError(_("A delivered line does not belong to this order."))
    note = _("Delivery note %(note)s") % {"note": delivery_note} if delivery_note else ""
    return post_moves(moves, actor=actor, reference=order.number, note=note)


def purchase_plan_propose(plan, *, actor=None) -> int:
    """Add proposal lines for parts below their reorder point or wanted by waiting repairs.

    need = reorder point + waiting requisitions − on hand − on order; a part is proposed
    when need > 0 (at least its reorder quantity). It is urgent when repairs are waiting
    for it and serving them would leave less than the safety stock. Parts already in the
    plan are left as they are.
    """
    from inventory import selectors

    if plan.state != wf.PurchasePlanStatus.DRAFT:
        raise ValidationError(_("Lines can only be proposed for a draft plan."))
    if actor is not None and not wf.can_plan(plan, actor):
        raise PermissionDenied(_("You are not allowed to change purchase plans."))
    listed = set(plan.lines.values_list("part_id", flat=True))
    new_lines = []
    for part in selectors.replenishment_needs():
        if part.pk in listed:
            continue
        need = part.reorder_point + part.open_demand - part.on_hand - part.on_order
        if need <= 0:
            continue
        urgent = (part.open_demand > 0
                  and part.on_hand - part.open_demand < part.safety_stock)
        new_lines.append(PurchasePlanLine(
            plan=plan, part=part, supplier_id=part.preferred_supplier_id,
            quantity=max(need, part.reorder_quantity), unit_price=part.unit_cost,
            urgent=urgent,
            reason=ProposalReason.DEMAND if part.open_demand else ProposalReason.REORDER,
            on_hand=part.on_hand, on_order=part.on_order, open_demand=part.open_demand))
    from simple_history.utils import bulk_create_with_history

    bulk_create_with_history(new_lines, PurchasePlanLine, default_user=actor,
                             default_change_reason="proposed")
    return len(new_lines)


@side_effect(PurchasePlan, "order")
def purchase_plan_create_orders(plan, *, actor) -> list[PurchaseOrder]:
    """One draft order per supplier and urgency; urgent lines get an urgent order."""
    groups: dict[tuple[int, bool], list[PurchasePlanLine]] = defaultdict(list)
    for line in plan.lines.select_related("part"):
        supplier_id = line.supplier_id or line.part.preferred_supplier_id
        groups[(supplier_id, line.urgent)].append(line)
    orders = []
    for (supplier_id, urgent), lines in sorted(groups.items(), key=lambda g: (not g[0][1], g[0][0])):
        order = PurchaseOrder.objects.create(
            supplier_id=supplier_id, plan=plan, urgent=urgent, warehouse=plan.warehouse,
            created_by=actor, note=_("From purchase plan %(number)s") % {"number": plan.number})
        for line in lines:
            PurchaseOrderLine.objects.create(order=order, part=line.part, quantity=line.quantity,
                                             unit_price=line.unit_price)
            PurchasePlanLine.objects.filter(pk=line.pk).update(purchase_order=order)
        orders.append(order)
    return orders


# -- checks ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    part_id: int
    warehouse_id: int
    balance: int
    ledger: int


def stock_drift() -> list[Drift]:
    """Every part × warehouse whose balance differs from the sum of its ledger lines."""
    ledger = {(r["part_id"], r["warehouse_id"]): r["q"] for r in
              StockEntry.objects.values("part_id", "warehouse_id")
              .annotate(q=Sum("quantity")).order_by()}
    balances = {(p, w): q for p, w, q in
                StockBalance.objects.values_list("part_id", "warehouse_id", "quantity")}
    drift = []
    for key in sorted(ledger.keys() | balances.keys()):
        booked, held = ledger.get(key, 0), balances.get(key, 0)
        if booked != held:
            drift.append(Drift(key[0], key[1], held, booked))
    return drift


def stock_repair(drift: list[Drift]) -> None:
    """Rebuild drifted balances from the ledger (the ledger is the truth)."""
    with transaction.atomic():
        for d in drift:
            StockBalance.objects.update_or_create(part_id=d.part_id, warehouse_id=d.warehouse_id,
                                                  defaults={"quantity": d.ledger})


# -- whom the parts store tells (notifications) -------------------------------------------
# What starts waiting for someone is told to those who may act on it (never the actor, nor
# the document's own people where four eyes apply); a decision goes back to the requester.
# Titles are built in each recipient's language (lambdas).


SCRAP_TO_APPROVE = event("scrap_to_approve", gettext_lazy("A scrap request waits for my approval"))
SCRAP_DECIDED = event("scrap_decided", gettext_lazy("My scrap request was approved or rejected"))
STOCKTAKE_TO_APPROVE = event("stocktake_to_approve",
                             gettext_lazy("A stocktake waits for my approval"))
STOCKTAKE_DECIDED = event("stocktake_decided",
                          gettext_lazy("A stocktake I counted was posted or sent back"))
PURCHASE_TO_APPROVE = event("purchase_to_approve",
                            gettext_lazy("A purchase plan or order waits for my approval"))
PURCHASE_DECIDED = event("purchase_decided",
                         gettext_lazy("My purchase plan or order was approved or sent back"))
REQUISITION_TO_ISSUE = event("requisition_to_issue",
                             gettext_lazy("A requisition waits for me to issue the parts"),
                             mail_by_default=False)
REQUISITION_ISSUED = event("requisition_issued",
                           gettext_lazy("Parts I asked for were issued"), mail_by_default=False)


@side_effect(ScrapRequest, "submit")
def tell_scrap_approvers(scrap):
    notify(permission_holders("inventory.approve_scraprequest", excluding=(scrap.requester_id,)),
           SCRAP_TO_APPROVE.name,
           lambda: _("Scrap request %(number)s to approve: %(quantity)s × %(part)s")
           % {"number": scrap.number, "quantity": scrap.quantity, "part": scrap.part},
           url=page_of(scrap), body=scrap.description, actor=scrap.requester)


@side_effect(ScrapRequest, "approve")
def tell_scrap_approved(scrap, actor):
    notify([scrap.requester_id], SCRAP_DECIDED.name,
           lambda: _("Your scrap request %(number)s was approved") % {"number": scrap.number},
           url=page_of(scrap), actor=actor)


@side_effect(ScrapRequest, "reject")
def tell_scrap_rejected(scrap, actor):
    notify([scrap.requester_id], SCRAP_DECIDED.name,
           lambda: _("Your scrap request %(number)s was rejected") % {"number": scrap.number},
           url=page_of(scrap), actor=actor)


@side_effect(Stocktake, "submit")
def tell_stocktake_approvers(stocktake, actor):
    notify(permission_holders("inventory.approve_stocktake", excluding=(stocktake.started_by_id, actor.pk)),
           STOCKTAKE_TO_APPROVE.name,
           lambda: _("Stocktake %(number)s of %(warehouse)s to approve and post")
           % {"number": stocktake.number, "warehouse": stocktake.warehouse},
           url=page_of(stocktake), actor=actor)


@side_effect(Stocktake, "approve")
def tell_stocktake_posted(stocktake, actor):
    notify([stocktake.started_by_id, stocktake.submitted_by_id], STOCKTAKE_DECIDED.name,
           lambda: _("Stocktake %(number)s was approved and posted")
           % {"number": stocktake.number},
           url=page_of(stocktake), actor=actor)


@side_effect(Stocktake, "recount")
def tell_stocktake_recount(stocktake, actor):
    """After stocktake_mark_recount (registered first): the counters learn how many
    lines to count again, not what the books say."""
    lines = stocktake.lines.filter(recount_requested=True).count()
    notify([stocktake.started_by_id, stocktake.submitted_by_id], STOCKTAKE_DECIDED.name,
           lambda: _("Stocktake %(number)s was sent back: %(lines)s lines to recount")
           % {"number": stocktake.number, "lines": lines},
           url=page_of(stocktake), actor=actor)


@side_effect(PurchasePlan, "submit")
def tell_plan_approvers(plan):
    notify(permission_holders("inventory.approve_purchaseplan", excluding=(plan.created_by_id,)),
           PURCHASE_TO_APPROVE.name,
           lambda: _("Purchase plan %(number)s to approve: %(title)s")
           % {"number": plan.number, "title": plan.title},
           url=page_of(plan), body=plan.note)


@side_effect(PurchaseOrder, "submit")
def tell_order_approvers(order):
    def title():
        if order.urgent:
            return _("Urgent purchase order %(number)s to approve: %(supplier)s") % {
                "number": order.number, "supplier": order.supplier}
        return _("Purchase order %(number)s to approve: %(supplier)s") % {
            "number": order.number, "supplier": order.supplier}

    notify(permission_holders("inventory.approve_purchaseorder", excluding=(order.created_by_id,)),
           PURCHASE_TO_APPROVE.name, title, url=page_of(order), body=order.note)


@side_effect(PurchasePlan, "approve")
@side_effect(PurchaseOrder, "approve")
def tell_purchase_approved(document, actor):
    notify([document.created_by_id], PURCHASE_DECIDED.name,
           lambda: _("%(number)s was approved") % {"number": document.number},
           url=page_of(document), actor=actor)


@side_effect(PurchasePlan, "send_back")
@side_effect(PurchaseOrder, "send_back")
def tell_purchase_sent_back(document):
    notify([document.created_by_id], PURCHASE_DECIDED.name,
           lambda: _("%(number)s was sent back for changes") % {"number": document.number},
           url=page_of(document))


@side_effect(Requisition, "submit")
def tell_keepers(requisition):
    """The warehouse's keeper if it has one, else everyone who issues parts."""
    keeper = requisition.warehouse.keeper_id
    recipients = [keeper] if keeper else list(permission_holders("inventory.issue_requisition"))
    notify(recipients, REQUISITION_TO_ISSUE.name,
           lambda: _("Requisition %(number)s for ticket %(ticket)s: parts to issue")
           % {"number": requisition.number, "ticket": requisition.ticket.number},
           url=page_of(requisition), body=requisition.purpose, actor=requisition.requester)


@side_effect(Requisition, "issue")
def tell_requester_issued(requisition, actor):
    notify([requisition.requester_id], REQUISITION_ISSUED.name,
           lambda: _("Parts of %(number)s were issued: sign for them when you have them")
           % {"number": requisition.number},
           url=page_of(requisition), actor=actor)


@needs
def what_waits_in_inventory(user):
    """What the inbox lists besides the approvals the dashboard counts: the keeper's
    queues and the engineer's parts to sign for (one query per kind of document)."""
    def changelist(model, query):
        return reverse(f"admin:inventory_{model}_changelist") + query

    lines = []
    issues = user.has_perm("inventory.issue_requisition")
    counts = Requisition.objects.filter(
        Q(requester=user, state=wf.RequisitionStatus.ISSUED)
        | Q(state=wf.RequisitionStatus.SUBMITTED)).aggregate(
        mine=Count("id", filter=Q(requester=user, state=wf.RequisitionStatus.ISSUED)),
        to_issue=Count("id", filter=Q(state=wf.RequisitionStatus.SUBMITTED)))
    if issues:
        lines.append((gettext_lazy("Requisitions to issue"), counts["to_issue"],
                      changelist("requisition",
                                 f"?state__exact={wf.RequisitionStatus.SUBMITTED}")))
    lines.append((gettext_lazy("Parts issued to me: sign for them"), counts["mine"],
                  changelist("requisition", f"?mine=1&state__exact={wf.RequisitionStatus.ISSUED}")))
    if user.has_perm("inventory.count_stocktake"):
        lines.append((gettext_lazy("Stocktakes being counted"),
                      Stocktake.objects.filter(state=wf.StocktakeStatus.COUNTING).count(),
                      changelist("stocktake", f"?state__exact={wf.StocktakeStatus.COUNTING}")))
    if user.has_perm("inventory.dispose_scrap"):
        lines.append((gettext_lazy("Approved scrap waiting for disposal"),
                      ScrapRequest.objects.filter(state=wf.ScrapStatus.APPROVED).count(),
                      changelist("scraprequest", f"?state__exact={wf.ScrapStatus.APPROVED}")))
    if user.has_perm("inventory.change_purchaseplan"):
        lines.append((gettext_lazy("Approved purchase plans to order"),
                      PurchasePlan.objects.filter(state=wf.PurchasePlanStatus.APPROVED).count(),
                      changelist("purchaseplan",
                                 f"?state__exact={wf.PurchasePlanStatus.APPROVED}")))
    return lines
