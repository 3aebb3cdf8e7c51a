"""Documents that move stock: requisitions, stocktakes, scrap requests, disposals, transfers.

Each transition that moves stock posts its ledger lines in the transition body through
``inventory.services`` (inside ``apply_transition``'s transaction), so the state change,
the journal entry, the ledger lines and the balances commit together or not at all.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.models.base import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.models.ledger import StockEntry
from inventory.workflows import (
    DisposalMethod,
    DisposalStatus,
    EntryKind,
    RequisitionStatus,
    ScrapReason,
    ScrapStatus,
    StocktakeStatus,
    TransferStatus,
    VarianceReason,
    WarehouseKind,
)

_HISTORY = {"excluded_fields": ["version", "updated_at"]}


# -- requisitions (领用) ----------------------------------------------------------------
class Requisition(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """An engineer's request for parts for a ticket; issuing it posts the ledger lines."""

    number_prefix = "RQ"

    state = FSMField(_("state"), max_length=16, choices=RequisitionStatus.choices,
                     default=RequisitionStatus.DRAFT, protected=True, db_index=True)
    ticket = models.ForeignKey("backoffice.Ticket", models.PROTECT, related_name="requisitions",
                               verbose_name=_("ticket"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name=_("engineer (领用人)"))
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT,
                                  related_name="requisitions", verbose_name=_("warehouse"),
                                  limit_choices_to={"kind": WarehouseKind.MAIN})
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    purpose = models.TextField(_("purpose"), blank=True,
                               help_text=_("What the parts are for (the repair)."))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("issued by"))
    received_at = models.DateTimeField(_("receipt signed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-id"]
        permissions = [("issue_requisition", _("Can issue parts against requisitions"))]
        indexes = [models.Index(fields=["state", "needed_by"], name="requisition_queue")]

    def __str__(self):
        return self.number or str(_("new requisition"))

    def taken_by_line(self) -> dict[int, dict[str, int]]:
        """line id -> {"issued", "returned"} from the ledger (reversals included)."""
        rows = (StockEntry.objects.filter(requisition_line__requisition=self)
                .values("requisition_line", "kind").annotate(q=Sum("quantity")).order_by())
        out: dict[int, dict[str, int]] = {}
        for row in rows:
            slot = out.setdefault(row["requisition_line"], {"issued": 0, "returned": 0})
            if row["kind"] == EntryKind.ISSUE:
                slot["issued"] += -row["q"]
            elif row["kind"] == EntryKind.RETURN:
                slot["returned"] += row["q"]
        return out

    def returnable_quantity(self) -> int:
        if self.pk is None:
            return 0
        net = (StockEntry.objects
               .filter(requisition_line__requisition=self,
                       kind__in=[EntryKind.ISSUE, EntryKind.RETURN])
               .aggregate(q=Sum("quantity"))["q"])
        return -(net or 0)

    @transition(field=state, source=RequisitionStatus.DRAFT, target=RequisitionStatus.SUBMITTED,
                permission=wf.is_requester, conditions=[wf.has_lines, wf.ticket_is_open],
                custom={"label": _("Submit to warehouse"), "icon": "send",
                        "variant": "primary"})
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(field=state, source=RequisitionStatus.SUBMITTED, target=RequisitionStatus.DRAFT,
                permission=wf.can_issue,
                custom={"label": _("Send back"), "icon": "undo", "variant": "warning",
                        "form": "backoffice.forms.NoteRequiredTransitionForm"})
    def send_back(self):
        self.submitted_at = None

    @transition(field=state, source=RequisitionStatus.SUBMITTED, target=RequisitionStatus.ISSUED,
                permission=wf.can_issue, conditions=[wf.has_lines, wf.ticket_is_open],
                custom={"label": _("Issue parts"), "icon": "outbox", "variant": "success"})
    def issue(self, actor):
        from inventory import services

        services.requisition_post_issue(self, actor=actor)
        self.issued_at = timezone.now()
        self.issued_by = actor

    @transition(field=state, source=RequisitionStatus.ISSUED, target=RequisitionStatus.RECEIVED,
                permission=wf.is_requester,
                custom={"label": _("Sign for receipt"), "icon": "draw", "variant": "success"})
    def confirm_receipt(self):
        self.received_at = timezone.now()

    @transition(field=state, source=RequisitionStatus.RECEIVED, target=RequisitionStatus.RECEIVED,
                permission=wf.can_return, conditions=[wf.has_returnable],
                custom={"label": _("Return unused parts"), "icon": "assignment_return",
                        "form": "inventory.forms.ReturnPartsForm"})
    def return_parts(self, actor, quantities):
        from inventory import services

        services.requisition_post_return(self, actor=actor, quantities=quantities)

    @transition(field=state, source=RequisitionStatus.RECEIVED, target=RequisitionStatus.CLOSED,
                permission=wf.can_return,
                custom={"label": _("Close (rest used on the ticket)"), "icon": "task_alt"})
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=state, source=[RequisitionStatus.DRAFT, RequisitionStatus.SUBMITTED],
                target=RequisitionStatus.CANCELLED, permission=wf.is_requester,
                custom={"label": _("Withdraw"), "icon": "cancel", "variant": "danger"})
    def cancel(self):
        self.closed_at = timezone.now()


class RequisitionLine(TimeStampedModel):
    requisition = models.ForeignKey(Requisition, models.CASCADE, related_name="lines",
                                    verbose_name=_("requisition"))
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("requisition line")
        verbose_name_plural = _("requisition lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["requisition", "part"], name="uniq_requisition_part"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                   name="requisition_line_positive"),
        ]

    def __str__(self):
        return f"{self.part} × {self.quantity}"


class RequisitionEvent(JournalEntry):
    requisition = models.ForeignKey(Requisition, models.CASCADE, related_name="events",
                                    verbose_name=_("requisition"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("requisition journal entry")
        verbose_name_plural = _("requisition journal")


# -- stocktakes (盘点) --------------------------------------------------------------------
class Stocktake(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A count of one warehouse.

    Movements during the count: book quantities are snapshotted when counting starts and
    counters record what was on the shelf at that moment. Approval posts
    ``counted − book`` as an adjustment on top of the *live* balance, so parts issued or
    received while the count was running are neither lost nor counted twice.
    """

    number_prefix = "ST"

    state = FSMField(_("state"), max_length=16, choices=StocktakeStatus.choices,
                     default=StocktakeStatus.DRAFT, protected=True, db_index=True)
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT,
                                  related_name="stocktakes", verbose_name=_("warehouse"))
    category = models.ForeignKey("inventory.PartCategory", models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("only category"),
                                 help_text=_("Empty: count every part of the warehouse."))
    include_all_parts = models.BooleanField(
        _("list every active part"), default=False,
        help_text=_("Also list active parts the books say are not in this warehouse."))
    note = models.TextField(_("note"), blank=True)
    snapshot_at = models.DateTimeField(_("book quantities taken at"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("started by"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("submitted by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-created_at", "-id"]
        permissions = [("count_stocktake", _("Can run stocktakes (start, count, submit)")),
                       ("approve_stocktake", _("Can approve stocktakes"))]

    def __str__(self):
        return self.number or str(_("new stocktake"))

    @transition(field=state, source=StocktakeStatus.DRAFT, target=StocktakeStatus.COUNTING,
                permission=wf.can_count,
                custom={"label": _("Start counting"), "icon": "play_arrow",
                        "variant": "primary"})
    def start(self, actor):
        from inventory import services

        self.started_by = actor
        services.stocktake_snapshot(self)

    @transition(field=state, source=StocktakeStatus.COUNTING, target=StocktakeStatus.SUBMITTED,
                permission=wf.can_count, conditions=[wf.all_counted],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary"})
    def submit(self, actor):
        self.submitted_by = actor

    @transition(field=state, source=StocktakeStatus.SUBMITTED, target=StocktakeStatus.COUNTING,
                permission=wf.can_approve_stocktake,
                custom={"label": _("Recount"), "icon": "undo", "variant": "warning",
                        "form": "backoffice.forms.NoteRequiredTransitionForm"})
    def recount(self):
        pass

    @transition(field=state, source=StocktakeStatus.SUBMITTED, target=StocktakeStatus.POSTED,
                permission=wf.can_approve_stocktake,
                custom={"label": _("Approve and post adjustments"), "icon": "approval",
                        "variant": "success"})
    def approve(self, actor):
        from inventory import services

        services.stocktake_post(self, actor=actor)
        self.approved_by = actor
        self.posted_at = timezone.now()

    @transition(field=state, source=[StocktakeStatus.DRAFT, StocktakeStatus.COUNTING,
                                     StocktakeStatus.SUBMITTED],
                target=StocktakeStatus.CANCELLED, permission=wf.can_cancel_stocktake,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class StocktakeLine(TimeStampedModel):
    stocktake = models.ForeignKey(Stocktake, models.CASCADE, related_name="lines",
                                  verbose_name=_("stocktake"))
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    book_quantity = models.IntegerField(_("book quantity"), default=0, editable=False)
    counted_quantity = models.PositiveIntegerField(_("counted quantity"), null=True, blank=True)
    reason = models.CharField(_("variance reason"), max_length=16, blank=True,
                              choices=VarianceReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        ordering = ["part__code"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "part"],
                                               name="uniq_stocktake_part")]

    def __str__(self):
        counted = "?" if self.counted_quantity is None else self.counted_quantity
        return f"{self.part.code if self.part_id else '-'}: {self.book_quantity} → {counted}"

    @property
    def variance(self):
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.book_quantity

    def save(self, *args, **kwargs):
        """A line added (or re-pointed to another part) after the snapshot gets the book
        quantity the part had at the snapshot."""
        if self.stocktake.snapshot_at:
            if self._state.adding:
                recompute = not self.book_quantity
            else:
                before = (StocktakeLine.objects.filter(pk=self.pk)
                          .values_list("part_id", flat=True).first())
                recompute = before != self.part_id
            if recompute:
                from inventory.selectors import book_quantity_at

                self.book_quantity = book_quantity_at(self.part_id, self.stocktake.warehouse_id,
                                                      self.stocktake.snapshot_at)
        super().save(*args, **kwargs)


class StocktakeEvent(JournalEntry):
    stocktake = models.ForeignKey(Stocktake, models.CASCADE, related_name="events",
                                  verbose_name=_("stocktake"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("stocktake journal entry")
        verbose_name_plural = _("stocktake journal")


# -- scrap (报废) -------------------------------------------------------------------------
class ScrapRequest(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A scrap request (报废申请单); approval moves the parts to the scrap area."""

    number_prefix = "SC"

    state = FSMField(_("state"), max_length=16, choices=ScrapStatus.choices,
                     default=ScrapStatus.DRAFT, protected=True, db_index=True)
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="scrap_requests",
                             verbose_name=_("part"))
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                  verbose_name=_("from warehouse"),
                                  limit_choices_to={"kind": WarehouseKind.MAIN})
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=16, choices=ScrapReason.choices)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("What is broken and how it was found."))
    ticket = models.ForeignKey("backoffice.Ticket", models.PROTECT, null=True, blank=True,
                               related_name="scrap_requests", verbose_name=_("ticket"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name=_("filed by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("decided by"))
    approved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    scrap_warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, null=True,
                                        blank=True, related_name="+",
                                        verbose_name=_("scrap area"))
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("scrap request")
        verbose_name_plural = _("scrap requests")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_scraprequest", _("Can approve or reject scrap requests")),
                       ("dispose_scrap", _("Can dispose of scrapped parts"))]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                              name="scrap_quantity_positive")]

    def __str__(self):
        return self.number or str(_("new scrap request"))

    @staticmethod
    def scrap_area():
        from inventory.models.catalog import Warehouse

        return Warehouse.objects.scrap_area()

    @transition(field=state, source=ScrapStatus.DRAFT, target=ScrapStatus.SUBMITTED,
                permission=wf.is_scrap_requester,
                custom={"label": _("Submit to manager"), "icon": "send", "variant": "primary"})
    def submit(self):
        pass

    @transition(field=state, source=ScrapStatus.SUBMITTED, target=ScrapStatus.APPROVED,
                permission=wf.can_approve_scrap, conditions=[wf.scrap_area_exists],
                custom={"label": _("Approve scrap"), "icon": "approval", "variant": "success"})
    def approve(self, actor):
        from inventory import services

        self.scrap_warehouse = self.scrap_area()
        services.scrap_post(self, actor=actor)
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=ScrapStatus.SUBMITTED, target=ScrapStatus.REJECTED,
                permission=wf.can_approve_scrap,
                custom={"label": _("Reject"), "icon": "block", "variant": "danger",
                        "form": "backoffice.forms.NoteRequiredTransitionForm"})
    def reject(self, actor):
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=ScrapStatus.APPROVED, target=ScrapStatus.DISPOSED,
                permission=wf.can_dispose, conditions=[wf.disposal_in_progress],
                custom={"label": _("Mark disposed"), "icon": "delete_forever"})
    def dispose(self):
        """Run by the disposal batch that takes the parts away (not a button)."""

    @transition(field=state, source=[ScrapStatus.DRAFT, ScrapStatus.SUBMITTED],
                target=ScrapStatus.CANCELLED, permission=wf.is_scrap_requester,
                custom={"label": _("Withdraw"), "icon": "cancel", "variant": "danger"})
    def cancel(self):
        pass


class ScrapRequestEvent(JournalEntry):
    scrap_request = models.ForeignKey(ScrapRequest, models.CASCADE, related_name="events",
                                      verbose_name=_("scrap request"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("scrap request journal entry")
        verbose_name_plural = _("scrap request journal")


class DisposalBatch(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """Scrapped parts leaving the scrap area: how, when and to whom."""

    number_prefix = "DP"

    state = FSMField(_("state"), max_length=16, choices=DisposalStatus.choices,
                     default=DisposalStatus.DRAFT, protected=True, db_index=True)
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                  verbose_name=_("scrap area"),
                                  limit_choices_to={"kind": WarehouseKind.SCRAP})
    method = models.CharField(_("method"), max_length=16, choices=DisposalMethod.choices)
    disposed_on = models.DateField(_("disposed on"), default=timezone.localdate)
    recipient_company = models.CharField(_("taken by (company)"), max_length=200, blank=True)
    proceeds = models.DecimalField(_("proceeds"), max_digits=12, decimal_places=2,
                                   default=Decimal("0.00"),
                                   validators=[MinValueValidator(Decimal("0"))])
    note = models.TextField(_("note"), blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("completed by"))
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("disposal batch")
        verbose_name_plural = _("disposal batches")
        ordering = ["-disposed_on", "-id"]

    def __str__(self):
        return self.number or str(_("new disposal batch"))

    @transition(field=state, source=DisposalStatus.DRAFT, target=DisposalStatus.DISPOSED,
                permission=wf.can_dispose, conditions=[wf.has_lines],
                custom={"label": _("Complete disposal"), "icon": "delete_sweep",
                        "variant": "success"})
    def complete(self, actor):
        from inventory import services

        services.disposal_post(self, actor=actor)
        self.completed_by = actor

    @transition(field=state, source=DisposalStatus.DRAFT, target=DisposalStatus.CANCELLED,
                permission=wf.can_dispose,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger"})
    def cancel(self):
        pass


class DisposalLine(TimeStampedModel):
    batch = models.ForeignKey(DisposalBatch, models.CASCADE, related_name="lines",
                              verbose_name=_("disposal batch"))
    scrap_request = models.OneToOneField(ScrapRequest, models.PROTECT, null=True, blank=True,
                                         related_name="disposal_line",
                                         verbose_name=_("scrap request"),
                                         limit_choices_to={"state": ScrapStatus.APPROVED})
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disposal line")
        verbose_name_plural = _("disposal lines")
        ordering = ["id"]

    def __str__(self):
        return f"{self.part.code if self.part_id else '-'} × {self.quantity}"

    def clean(self):
        request = self.scrap_request
        if request is not None:
            if request.state != ScrapStatus.APPROVED:
                raise ValidationError({"scrap_request": _("Only approved scrap requests can "
                                                          "be disposed of.")})
            if self.part_id and self.part_id != request.part_id:
                raise ValidationError({"part": _("The part differs from the scrap request's.")})
            if self.quantity and self.quantity != request.quantity:
                raise ValidationError({"quantity": _("A scrap request is disposed of as a "
                                                     "whole (%(n)s).") % {"n": request.quantity}})


class DisposalBatchEvent(JournalEntry):
    batch = models.ForeignKey(DisposalBatch, models.CASCADE, related_name="events",
                              verbose_name=_("disposal batch"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("disposal journal entry")
        verbose_name_plural = _("disposal journal")


# -- transfers between warehouses --------------------------------------------------------
class StockTransfer(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    number_prefix = "TR"

    state = FSMField(_("state"), max_length=16, choices=TransferStatus.choices,
                     default=TransferStatus.DRAFT, protected=True, db_index=True)
    from_warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                       verbose_name=_("from warehouse"),
                                       limit_choices_to={"kind": WarehouseKind.MAIN})
    to_warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="+",
                                     verbose_name=_("to warehouse"),
                                     limit_choices_to={"kind": WarehouseKind.MAIN})
    note = models.TextField(_("note"), blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("posted by"))
    history = HistoricalRecords(**_HISTORY)

    class Meta:
        verbose_name = _("stock transfer")
        verbose_name_plural = _("stock transfers")
        ordering = ["-created_at", "-id"]
        permissions = [("post_stocktransfer", _("Can post stock transfers"))]

    def __str__(self):
        return self.number or str(_("new transfer"))

    @transition(field=state, source=TransferStatus.DRAFT, target=TransferStatus.POSTED,
                permission=wf.can_post_transfer,
                conditions=[wf.has_lines, wf.transfer_warehouses_differ],
                custom={"label": _("Post transfer"), "icon": "swap_horiz",
                        "variant": "success"})
    def post(self, actor):
        from inventory import services

        services.transfer_post(self, actor=actor)
        self.posted_at = timezone.now()
        self.posted_by = actor

    @transition(field=state, source=TransferStatus.DRAFT, target=TransferStatus.CANCELLED,
                permission=wf.can_post_transfer,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger"})
    def cancel(self):
        pass


class StockTransferLine(TimeStampedModel):
    transfer = models.ForeignKey(StockTransfer, models.CASCADE, related_name="lines",
                                 verbose_name=_("transfer"))
    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["id"]

    def __str__(self):
        return f"{self.part.code if self.part_id else '-'} × {self.quantity}"


class StockTransferEvent(JournalEntry):
    transfer = models.ForeignKey(StockTransfer, models.CASCADE, related_name="events",
                                 verbose_name=_("transfer"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("transfer journal entry")
        verbose_name_plural = _("transfer journal")
