"""Stocktakes (盘点): book quantities snapshotted, counted, approved, adjustments posted."""


from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q
from django.db.models.functions import Abs
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.models.ledger import book_quantity_at
from inventory.workflows import (
    StocktakeStatus,
    VarianceReason,
)

_HISTORY = {"excluded_fields": ["version", "updated_at"]}


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
    blind = models.BooleanField(
        _("blind count"), default=True,
        help_text=_("Counters see no book quantities and no variances; the approver sees "
                    "them once the count is submitted."))
    recount_tolerance_units = models.PositiveIntegerField(
        _("recount tolerance (units)"), default=0,
        help_text=_("A line may be sent back for a recount when its variance is more than "
                    "this many units and more than the percentage below."))
    recount_tolerance_percent = models.DecimalField(
        _("recount tolerance (%)"), max_digits=5, decimal_places=2, default=Decimal("5.00"),
        validators=[MaxValueValidator(Decimal("100"))],
        help_text=_("Percent of the book quantity."))
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
        # side effect: services.stocktake_snapshot
        self.started_by = actor

    @transition(field=state, source=StocktakeStatus.COUNTING, target=StocktakeStatus.SUBMITTED,
                permission=wf.can_count, conditions=[wf.all_counted],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary"})
    def submit(self, actor):
        self.submitted_by = actor

    @transition(field=state, source=StocktakeStatus.SUBMITTED, target=StocktakeStatus.COUNTING,
                permission=wf.can_approve_stocktake, conditions=[wf.has_lines_over_tolerance],
                custom={"label": _("Recount"), "icon": "undo", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def recount(self):
        # side effect: services.stocktake_mark_recount
        pass

    @transition(field=state, source=StocktakeStatus.SUBMITTED, target=StocktakeStatus.POSTED,
                permission=wf.can_approve_stocktake,
                custom={"label": _("Approve and post adjustments"), "icon": "approval",
                        "variant": "success"})
    def approve(self, actor):
        # side effect: services.stocktake_post
        self.approved_by = actor
        self.posted_at = timezone.now()

    @transition(field=state, source=[StocktakeStatus.DRAFT, StocktakeStatus.COUNTING,
                                     StocktakeStatus.SUBMITTED],
                target=StocktakeStatus.CANCELLED, permission=wf.can_cancel_stocktake,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass

    def lines_over_tolerance(self):
        """Counted lines whose variance is more than the tolerance in units *and* in
        percent of the book quantity (|counted − book| > max(units, book × % / 100))."""
        variance = Abs(F("counted_quantity") - F("book_quantity"))
        return (self.lines.filter(counted_quantity__isnull=False)
                .alias(off=variance, off_percent=variance * 100)
                .filter(Q(off__gt=self.recount_tolerance_units),
                        Q(off_percent__gt=ExpressionWrapper(
                            F("book_quantity") * self.recount_tolerance_percent,
                            output_field=DecimalField(max_digits=20, decimal_places=2)))))


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
    recount_requested = models.BooleanField(_("recount requested"), default=False,
                                            editable=False)
    previous_count = models.PositiveIntegerField(
        _("count before the recount"), null=True, blank=True, editable=False)
    # no book quantity in the history: its pages are open to the counters (blind counts)
    history = HistoricalRecords(excluded_fields=["book_quantity"])

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        ordering = ["part__code"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "part"],
                                               name="uniq_stocktake_part")]

    def __str__(self):
        """Part and count only: inline rows, history and logs show this to counters."""
        counted = "?" if self.counted_quantity is None else self.counted_quantity
        return f"{self.part.code if self.part_id else '-'}: {counted}"

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
                self.book_quantity = book_quantity_at(self.part_id, self.stocktake.warehouse_id,
                                                      self.stocktake.snapshot_at)
        super().save(*args, **kwargs)


class StocktakeEvent(JournalEntry):
    stocktake = models.ForeignKey(Stocktake, models.CASCADE, related_name="events",
                                  verbose_name=_("stocktake"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("stocktake journal entry")
        verbose_name_plural = _("stocktake journal")
