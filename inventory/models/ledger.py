"""The stock ledger (immutable lines) and the balance table it keeps up to date.

Every change of quantity is a :class:`StockEntry`; :class:`StockBalance` holds the
on-hand quantity per part × warehouse, updated in the same transaction by
``inventory.services.post_moves`` with a conditional UPDATE, and can never go below zero
(a database CHECK constraint backs the rule up). ``manage.py check_stock`` proves
balance = sum(ledger).

Neither model has a ``HistoricalRecords``: ledger lines are never changed (a history
table would copy every insert), and the balance is a cache whose history *is* the ledger.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.workflows import EntryKind


class LedgerImmutable(ValidationError):
    """Someone tried to change or delete a ledger line."""


_IMMUTABLE_MESSAGE = _("Stock ledger lines are never changed or deleted; post a reversing "
                       "line instead.")


class StockEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutable(_IMMUTABLE_MESSAGE)

    def delete(self):
        raise LedgerImmutable(_IMMUTABLE_MESSAGE)

    update.queryset_only = True
    delete.queryset_only = True


class StockEntry(models.Model):
    """One line of the stock ledger (库存台账): what moved, where, how many, who, why."""

    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="entries",
                             verbose_name=_("part"))
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT, related_name="entries",
                                  verbose_name=_("warehouse"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("In (+) or out (−)."))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2,
                                    default=Decimal("0.00"))
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("booked by"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                  blank=True, related_name="+",
                                  verbose_name=_("received by (领用人)"))
    ticket = models.ForeignKey("backoffice.Ticket", models.PROTECT, null=True, blank=True,
                               related_name="stock_entries", verbose_name=_("ticket"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField("self", models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by",
                                    verbose_name=_("reverses line"))
    # the document the line came from (at most one is set)
    requisition_line = models.ForeignKey("inventory.RequisitionLine", models.PROTECT, null=True,
                                         blank=True, related_name="entries",
                                         verbose_name=_("requisition line"))
    purchase_line = models.ForeignKey("inventory.PurchaseOrderLine", models.PROTECT, null=True,
                                      blank=True, related_name="entries",
                                      verbose_name=_("purchase order line"))
    stocktake = models.ForeignKey("inventory.Stocktake", models.PROTECT, null=True, blank=True,
                                  related_name="entries", verbose_name=_("stocktake"))
    scrap_request = models.ForeignKey("inventory.ScrapRequest", models.PROTECT, null=True,
                                      blank=True, related_name="entries",
                                      verbose_name=_("scrap request"))
    disposal = models.ForeignKey("inventory.DisposalBatch", models.PROTECT, null=True,
                                 blank=True, related_name="entries",
                                 verbose_name=_("disposal batch"))
    transfer = models.ForeignKey("inventory.StockTransfer", models.PROTECT, null=True,
                                 blank=True, related_name="entries",
                                 verbose_name=_("transfer"))
    reference = models.CharField(_("document"), max_length=64, blank=True, db_index=True,
                                 help_text=_("Number of the document behind the line."))

    objects = StockEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock ledger line")
        verbose_name_plural = _("stock ledger")
        ordering = ["-posted_at", "-id"]
        permissions = [
            ("reverse_stockentry", _("Can post reversing ledger lines")),
            ("import_opening_balance", _("Can import opening balances")),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="stockentry_not_zero"),
            # one opening balance per part and warehouse, however many people (or the same
            # file confirmed twice) post it at once; its reversal keeps the kind
            models.UniqueConstraint(fields=["part", "warehouse"],
                                    condition=models.Q(kind="opening", reverses__isnull=True),
                                    name="uniq_opening_balance"),
        ]
        indexes = [
            models.Index(fields=["part", "warehouse", "posted_at"], name="entry_part_wh_time"),
            models.Index(fields=["kind", "posted_at"], name="entry_kind_time"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.quantity:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise LedgerImmutable(_IMMUTABLE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable(_IMMUTABLE_MESSAGE)

    @property
    def value(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(Decimal("0.01"))


class StockBalance(models.Model):
    """On-hand quantity of one part in one warehouse (a fast cache of the ledger)."""

    part = models.ForeignKey("inventory.Part", models.PROTECT, related_name="balances",
                             verbose_name=_("part"))
    warehouse = models.ForeignKey("inventory.Warehouse", models.PROTECT,
                                  related_name="balances", verbose_name=_("warehouse"))
    quantity = models.IntegerField(_("on hand"), default=0)
    updated_at = models.DateTimeField(_("last movement"), default=timezone.now)

    class Meta:
        verbose_name = _("stock on hand")
        verbose_name_plural = _("stock on hand")
        ordering = ["part__code", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="uniq_balance_part_wh"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0),
                                   name="balance_never_negative"),
        ]
        indexes = [models.Index(fields=["warehouse", "part"], name="balance_wh_part")]

    def __str__(self):
        return f"{self.part_id}@{self.warehouse_id}: {self.quantity}"


def book_quantity_at(part_id, warehouse_id, when) -> int:
    """The book quantity of a part in a warehouse at ``when``: today's minus what moved since
    (a count line added after a stocktake's snapshot gets it)."""
    balance = (StockBalance.objects.filter(part_id=part_id, warehouse_id=warehouse_id)
               .values_list("quantity", flat=True).first()) or 0
    moved = (StockEntry.objects.filter(part_id=part_id, warehouse_id=warehouse_id,
                                       posted_at__gt=when)
             .aggregate(q=models.Sum("quantity"))["q"]) or 0
    return balance - moved
