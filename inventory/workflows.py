"""Spare-parts workflows: document states, ledger kinds, conditions and permission rules.

Never imports models (STYLE.md): conditions and permission functions receive the document
and look at its fields or call its own small helper methods.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.platform.workflow import condition


# -- reference choices -----------------------------------------------------------------
class WarehouseKind(models.TextChoices):
    MAIN = "main", _("Parts warehouse")
    SCRAP = "scrap", _("Scrap area")


class EntryKind(models.TextChoices):
    """What moved stock. A reversing line keeps the kind of the line it reverses."""

    OPENING = "opening", _("Opening balance")
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue to ticket")
    RETURN = "return", _("Return from ticket")
    TRANSFER = "transfer", _("Transfer")
    ADJUSTMENT = "adjustment", _("Stocktake adjustment")
    SCRAP = "scrap", _("Scrap")
    DISPOSAL = "disposal", _("Disposal")


#: kinds a warehouse keeper may correct with a reversing line; paired moves (transfer,
#: scrap) and disposals are corrected through their documents instead
REVERSIBLE_KINDS = {EntryKind.OPENING, EntryKind.RECEIPT, EntryKind.ISSUE, EntryKind.RETURN,
                    EntryKind.ADJUSTMENT}


class ScrapReason(models.TextChoices):
    BROKEN = "broken", _("Broken / faulty")
    DAMAGED = "damaged", _("Damaged in storage or transport")
    OBSOLETE = "obsolete", _("Obsolete or expired")
    FAILED_TEST = "failed_test", _("Failed incoming test")
    OTHER = "other", _("Other")


class DisposalMethod(models.TextChoices):
    RECYCLE = "recycle", _("Recycled by a licensed company")
    RETURN_TO_SUPPLIER = "supplier", _("Returned to the supplier")
    SOLD = "sold", _("Sold as scrap")
    DESTROYED = "destroyed", _("Destroyed")


class VarianceReason(models.TextChoices):
    SHORTAGE = "shortage", _("Shortage (not found)")
    DAMAGE = "damage", _("Damaged")
    SURPLUS = "surplus", _("Surplus (found)")
    MISCOUNT = "miscount", _("Earlier booking error")
    OTHER = "other", _("Other")


class ProposalReason(models.TextChoices):
    REORDER = "reorder", _("Below reorder point")
    DEMAND = "demand", _("Open repair demand")
    MANUAL = "manual", _("Added by hand")


# -- document states -------------------------------------------------------------------
class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Qualification pending")
    QUALIFIED = "qualified", _("Qualified")
    SUSPENDED = "suspended", _("Suspended")
    DISQUALIFIED = "disqualified", _("Disqualified")


class RequisitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting to be issued")
    ISSUED = "issued", _("Issued, receipt not signed")
    RECEIVED = "received", _("Received by engineer")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class StocktakeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Waiting for approval")
    POSTED = "posted", _("Approved and posted")
    CANCELLED = "cancelled", _("Cancelled")


#: states in which the approver of a blind stocktake sees its book quantities
BOOK_VISIBLE_STATES = {StocktakeStatus.SUBMITTED, StocktakeStatus.POSTED,
                       StocktakeStatus.CANCELLED}


class ScrapStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved, in scrap area")
    REJECTED = "rejected", _("Rejected")
    DISPOSED = "disposed", _("Disposed of")
    CANCELLED = "cancelled", _("Cancelled")


class DisposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPOSED = "disposed", _("Disposed of")
    CANCELLED = "cancelled", _("Cancelled")


class TransferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class PurchasePlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    ORDERED = "ordered", _("Orders created")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved, awaiting delivery")
    PARTIALLY_RECEIVED = "partial", _("Partially received")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed short")
    CANCELLED = "cancelled", _("Cancelled")


#: purchase orders whose open quantity is money committed but not yet spent
#: unfold label colours by state value, shared by every inventory document's list and by
#: the ticket's parts panel (which shows its requisitions' states in the same colours)
STATE_COLOURS = {
    "draft": "default", "pending": "info", "counting": "info", "submitted": "warning",
    "approved": "primary", "issued": "primary", "partial": "primary", "qualified": "success",
    "received": "success", "posted": "success", "ordered": "success", "disposed": "default",
    "closed": "default", "cancelled": "default", "rejected": "danger", "suspended": "warning",
    "disqualified": "danger",
}

PO_OPEN_STATES = [PurchaseOrderStatus.APPROVED, PurchaseOrderStatus.PARTIALLY_RECEIVED]
#: purchase orders whose open quantity is expected stock ("on order")
PO_ON_ORDER_STATES = [PurchaseOrderStatus.SUBMITTED, *PO_OPEN_STATES]


# -- permissions (django-fsm calls these with (document, user)) --------------------------
def _perm(user, codename):
    return bool(user and user.is_active and user.has_perm(f"inventory.{codename}"))


def can_qualify_supplier(supplier, user):
    return _perm(user, "qualify_supplier")


def is_requester(requisition, user):
    """Only the engineer who asked for the parts submits, withdraws and signs for them."""
    return _perm(user, "add_requisition") and requisition.requester_id == user.pk


def can_issue(requisition, user):
    return _perm(user, "issue_requisition")


def can_return(requisition, user):
    """The engineer hands unused parts back; the keeper may book it for them."""
    return is_requester(requisition, user) or can_issue(requisition, user)


def can_count(stocktake, user):
    return _perm(user, "count_stocktake")


def can_approve_stocktake(stocktake, user):
    """Four eyes: whoever started or submitted the count does not approve it."""
    return (_perm(user, "approve_stocktake")
            and user.pk not in {stocktake.started_by_id, stocktake.submitted_by_id})


def can_see_book_quantities(stocktake, user):
    """Blind count (盲盘): the one rule of who sees a stocktake's book quantities and
    variances (page, line list, count sheet, import preview). On a blind stocktake only
    its approver does, once the count is submitted; never its counters, never while
    counting (a recount is counted blind again)."""
    if not stocktake.blind:
        return True
    return (stocktake.state in BOOK_VISIBLE_STATES
            and can_approve_stocktake(stocktake, user))


def can_cancel_stocktake(stocktake, user):
    return can_count(stocktake, user) or _perm(user, "approve_stocktake")


def is_scrap_requester(scrap, user):
    return _perm(user, "add_scraprequest") and scrap.requester_id == user.pk


def can_approve_scrap(scrap, user):
    """Four eyes: the after-sales manager never approves their own scrap request."""
    return _perm(user, "approve_scraprequest") and scrap.requester_id != user.pk


def can_dispose(document, user):
    return _perm(user, "dispose_scrap")


def can_post_transfer(transfer, user):
    return _perm(user, "post_stocktransfer")


def can_plan(plan, user):
    return _perm(user, "change_purchaseplan")


def can_approve_plan(plan, user):
    return _perm(user, "approve_purchaseplan") and plan.created_by_id != user.pk


def can_purchase(order, user):
    return _perm(user, "change_purchaseorder")


def can_approve_order(order, user):
    """Four eyes: the buyer who drew up the order never approves it."""
    return _perm(user, "approve_purchaseorder") and order.created_by_id != user.pk


def can_receive(order, user):
    return _perm(user, "receive_purchaseorder")


def can_close_order(order, user):
    return _perm(user, "approve_purchaseorder") or can_purchase(order, user)


# -- conditions --------------------------------------------------------------------------
@condition(_("the document has no lines"))
def has_lines(document):
    return document.pk is not None and document.lines.exists()


@condition(_("the ticket is already resolved, closed or cancelled"))
def ticket_is_open(requisition):
    return requisition.ticket_id is not None and requisition.ticket.is_open


@condition(_("nothing is left to return"))
def has_returnable(requisition):
    return requisition.returnable_quantity() > 0


@condition(_("not every line has a counted quantity"))
def all_counted(stocktake):
    return not stocktake.lines.filter(counted_quantity__isnull=True).exists()


@condition(_("no counted line differs from the book by more than the recount tolerance"))
def has_lines_over_tolerance(stocktake):
    return stocktake.pk is not None and stocktake.lines_over_tolerance().exists()


@condition(_("there is no active scrap area"))
def scrap_area_exists(document):
    return document.scrap_area() is not None


@condition(_("the supplier is not qualified, or the qualification has expired"))
def supplier_qualified(order):
    return order.supplier_id is not None and order.supplier.is_qualified()


@condition(_("the contract is not valid on the order date"))
def contract_valid(order):
    return order.contract_id is None or order.contract.is_valid_on(order.order_date)


@condition(_("every line is fully received"))
def has_open_quantity(order):
    return order.open_quantity() > 0


@condition(_("every line needs a supplier (or a part with a preferred supplier)"))
def plan_lines_have_suppliers(plan):
    return not plan.lines.filter(supplier__isnull=True,
                                 part__preferred_supplier__isnull=True).exists()


@condition(_("a transfer needs two different warehouses"))
def transfer_warehouses_differ(transfer):
    return transfer.from_warehouse_id != transfer.to_warehouse_id


@condition(_("scrapped parts are disposed of through a disposal batch"))
def disposal_in_progress(scrap):
    """Only ``services.disposal_post`` sets the flag, so no button ever offers this."""
    return getattr(scrap, "_disposal_in_progress", False)
