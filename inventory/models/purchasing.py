"""Purchasing: plans proposed from stock levels and repair demand, and purchase orders."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform import budget as seam
from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from backoffice.platform.workflow import journal_note
from inventory import workflows as wf
from inventory.models.ledger import StockEntry
from inventory.workflows import (
    EntryKind,
    ProposalReason,
    PurchaseOrderStatus,
    PurchasePlanStatus,
    WarehouseKind,
)

_HISTORY = {"excluded_fields": ["version", "updated_at"]}
MONEY = DecimalField(max_digits=14, decimal_places=2)


def line_amount():
    """quantity × unit price as a database expression."""
    return ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY)


class PurchasePlan(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A purchase plan (采购计划); ``purchase_plan_propose`` fills in the lines."""

    number_prefix = "PP"

    state = FSMField(_("state"), max_length=16, choices=PurchasePlanStatus.choices,
                     default=PurchasePlanStatus.DRAFT, protected=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                  verbose_name=_("deliver to"),
                                  limit_choices_to={"kind": WarehouseKind.MAIN})
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("drawn up by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("purchase plan")
        verbose_name_plural = _("purchase plans")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_purchaseplan", _("Can approve purchase plans"))]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    @transition(field=state, source=PurchasePlanStatus.DRAFT, target=PurchasePlanStatus.SUBMITTED,
                permission=wf.can_plan, conditions=[wf.has_lines],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary"})
    def submit(self):
        pass

    @transition(field=state, source=PurchasePlanStatus.SUBMITTED, target=PurchasePlanStatus.DRAFT,
                permission=wf.can_approve_plan,
                custom={"label": _("Send back"), "icon": "undo", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def send_back(self):
        self.budget_note = ""

    @transition(field=state, source=PurchasePlanStatus.SUBMITTED,
                target=PurchasePlanStatus.APPROVED, permission=wf.can_approve_plan,
                custom={"label": _("Approve plan"), "icon": "approval", "variant": "success"})
    def approve(self, actor):
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=PurchasePlanStatus.APPROVED, target=PurchasePlanStatus.ORDERED,
                permission=wf.can_plan, conditions=[wf.plan_lines_have_suppliers],
                custom={"label": _("Create purchase orders"), "icon": "shopping_cart",
                        "variant": "primary"})
    def order(self, actor):
        pass  # side effect: services.purchase_plan_create_orders

    @transition(field=state, source=[PurchasePlanStatus.DRAFT, PurchasePlanStatus.SUBMITTED,
                                     PurchasePlanStatus.APPROVED],
                target=PurchasePlanStatus.CANCELLED, permission=wf.can_plan,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class PurchasePlanLine(TimeStampedModel):
    plan = models.ForeignKey(PurchasePlan, models.CASCADE, related_name="lines",
                             verbose_name=_("purchase plan"))
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    supplier = models.ForeignKey("inventory.Supplier", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("supplier"),
                                 help_text=_("Empty: the part's preferred supplier."))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2,
                                     default=Decimal("0.00"),
                                     validators=[MinValueValidator(Decimal("0"))])
    urgent = models.BooleanField(_("urgent"), default=False,
                                 help_text=_("A repair is waiting for this part."))
    reason = models.CharField(_("reason"), max_length=16, choices=ProposalReason.choices,
                              default=ProposalReason.MANUAL)
    on_hand = models.IntegerField(_("on hand when proposed"), default=0, editable=False)
    on_order = models.IntegerField(_("on order when proposed"), default=0, editable=False)
    open_demand = models.IntegerField(_("waiting requisitions when proposed"), default=0,
                                      editable=False)
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", models.SET_NULL, null=True,
                                       blank=True, related_name="+", editable=False,
                                       verbose_name=_("purchase order"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        ordering = ["-urgent", "part__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "part"], name="uniq_plan_part")]

    def __str__(self):
        return f"{self.part.code if self.part_id else '-'} × {self.quantity}"


class PurchasePlanEvent(JournalEntry):
    plan = models.ForeignKey(PurchasePlan, models.CASCADE, related_name="events",
                             verbose_name=_("purchase plan"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("purchase plan journal entry")
        verbose_name_plural = _("purchase plan journal")


class PurchaseOrderQuerySet(models.QuerySet):
    def with_amounts(self):
        """Annotate ``amount_total`` (ordered value) per order, in one query."""
        return self.annotate(amount_total=Coalesce(
            Sum(F("lines__quantity") * F("lines__unit_price"), output_field=MONEY),
            Decimal("0"), output_field=MONEY))


class PurchaseOrder(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A purchase order (采购单) to a qualified supplier; urgent orders come first."""

    number_prefix = "PO"

    state = FSMField(_("state"), max_length=16, choices=PurchaseOrderStatus.choices,
                     default=PurchaseOrderStatus.DRAFT, protected=True, db_index=True)
    supplier = models.ForeignKey("inventory.Supplier", models.PROTECT,
                                 related_name="purchase_orders", verbose_name=_("supplier"))
    contract = models.ForeignKey("inventory.SupplierContract", models.PROTECT, null=True,
                                 blank=True, related_name="purchase_orders",
                                 verbose_name=_("contract"))
    plan = models.ForeignKey(PurchasePlan, models.PROTECT, null=True, blank=True,
                             related_name="orders", verbose_name=_("purchase plan"))
    urgent = models.BooleanField(_("urgent"), default=False, db_index=True,
                                 help_text=_("For an urgent repair: handled first."))
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                  verbose_name=_("deliver to"),
                                  limit_choices_to={"kind": WarehouseKind.MAIN})
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    expected_date = models.DateField(_("expected delivery"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("drawn up by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, db_index=True)
    budget_note = models.CharField(_("budget check"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(**_HISTORY)
    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-urgent", "-order_date", "-id"]
        permissions = [("approve_purchaseorder", _("Can approve purchase orders")),
                       ("receive_purchaseorder", _("Can receive deliveries"))]
        indexes = [models.Index(fields=["state", "-urgent", "order_date"], name="po_queue")]

    def __str__(self):
        return self.number or str(_("new purchase order"))

    def total_amount(self) -> Decimal:
        return self.lines.aggregate(t=Coalesce(Sum(line_amount()), Decimal("0"),
                                               output_field=MONEY))["t"]

    def budget_requests(self):
        """What the order asks of the budget (``platform.budget``): parts, this year."""
        return [("parts", timezone.localdate(), self.total_amount())]

    def received_by_line(self) -> dict[int, int]:
        """line id -> quantity received so far (from the ledger, reversals included)."""
        return dict(StockEntry.objects.filter(purchase_line__order=self, kind=EntryKind.RECEIPT)
                    .values_list("purchase_line").annotate(q=Sum("quantity")).order_by())

    def open_quantity(self, received: dict[int, int] | None = None) -> int:
        """Ordered minus received; ``received`` is received_by_line() when already read."""
        if self.pk is None:
            return 0
        ordered = self.lines.aggregate(q=Sum("quantity"))["q"] or 0
        received = self.received_by_line() if received is None else received
        return ordered - sum(received.values())

    def _receipt_state(self):
        received = self.received_by_line() if self.pk else {}
        if self.open_quantity(received) <= 0:
            return PurchaseOrderStatus.RECEIVED
        if any(received.values()):
            return PurchaseOrderStatus.PARTIALLY_RECEIVED
        return PurchaseOrderStatus.APPROVED

    @transition(field=state, source=PurchaseOrderStatus.DRAFT, target=PurchaseOrderStatus.SUBMITTED,
                permission=wf.can_purchase,
                conditions=[wf.has_lines, wf.supplier_qualified, wf.contract_valid],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary", "form": "inventory.forms.OrderSubmitForm"})
    def submit(self, actor, confirm_overrun=False):
        """The budget at submit, without committing: a "stop" overrun refuses, a "warn"
        one needs confirming (journaled, and kept in ``budget_note`` for the approver)."""
        text = seam.check_document(self, actor=actor, confirmed=bool(confirm_overrun),
                                   dry_run=True)
        self.budget_note = text[:300]
        journal_note(self, text)

    @transition(field=state, source=PurchaseOrderStatus.SUBMITTED, target=PurchaseOrderStatus.DRAFT,
                permission=wf.can_approve_order,
                custom={"label": _("Send back"), "icon": "undo", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def send_back(self):
        self.budget_note = ""

    @transition(field=state, source=PurchaseOrderStatus.SUBMITTED,
                target=PurchaseOrderStatus.APPROVED, permission=wf.can_approve_order,
                conditions=[wf.has_lines, wf.supplier_qualified, wf.contract_valid],
                custom={"label": _("Approve"), "icon": "approval", "variant": "success",
                        "form": "inventory.forms.ApproveOrderForm"})
    def approve(self, actor, confirm_budget_overrun=False):
        """Ask the budget owner first: an overrun refuses, a warning needs confirming."""
        self.budget_note = seam.check_document(
            self, actor=actor, confirmed=bool(confirm_budget_overrun))[:300]
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state,
                source=[PurchaseOrderStatus.APPROVED, PurchaseOrderStatus.PARTIALLY_RECEIVED],
                target=RETURN_VALUE(PurchaseOrderStatus.PARTIALLY_RECEIVED,
                                    PurchaseOrderStatus.RECEIVED),
                permission=wf.can_receive, conditions=[wf.has_open_quantity],
                custom={"label": _("Receive delivery"), "icon": "move_to_inbox",
                        "variant": "success", "form": "inventory.forms.ReceiveDeliveryForm"})
    def receive(self, actor, quantities, delivery_note=""):
        # side effect (before this body): services.purchase_order_post_receipt
        return self._receipt_state()

    @transition(field=state, source=PurchaseOrderStatus.RECEIVED,
                target=RETURN_VALUE(PurchaseOrderStatus.APPROVED,
                                    PurchaseOrderStatus.PARTIALLY_RECEIVED),
                permission=wf.can_receive, conditions=[wf.has_open_quantity],
                custom={"label": _("Reopen for delivery"), "icon": "replay"})
    def reopen(self):
        """After a receipt line was reversed, the order waits for the rest again."""
        return self._receipt_state()

    @transition(field=state, source=PurchaseOrderStatus.PARTIALLY_RECEIVED,
                target=PurchaseOrderStatus.CLOSED, permission=wf.can_close_order,
                custom={"label": _("Close short"), "icon": "do_not_disturb_on",
                        "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=state, source=[PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SUBMITTED,
                                     PurchaseOrderStatus.APPROVED],
                target=PurchaseOrderStatus.CANCELLED, permission=wf.can_close_order,
                custom={"label": _("Cancel order"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        self.closed_at = timezone.now()


class PurchaseOrderLine(TimeStampedModel):
    order = models.ForeignKey(PurchaseOrder, models.CASCADE, related_name="lines",
                              verbose_name=_("purchase order"))
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="purchase_lines",
                             verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("0"))])
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                              name="po_line_positive")]

    def __str__(self):
        return f"{self.part.code if self.part_id else '-'} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return (self.unit_price or Decimal("0")) * (self.quantity or 0)


class PurchaseOrderEvent(JournalEntry):
    order = models.ForeignKey(PurchaseOrder, models.CASCADE, related_name="events",
                              verbose_name=_("purchase order"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("purchase order journal entry")
        verbose_name_plural = _("purchase order journal")
