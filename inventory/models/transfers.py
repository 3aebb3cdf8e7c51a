"""Transfers of stock between warehouses."""


from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.workflows import (
    TransferStatus,
    WarehouseKind,
)

_HISTORY = {"excluded_fields": ["version", "updated_at"]}


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
        # side effect: services.transfer_post
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
