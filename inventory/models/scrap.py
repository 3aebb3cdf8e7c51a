"""Scrap requests (报废) and the disposal batches that take scrapped parts away."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.workflows import (
    DisposalMethod,
    DisposalStatus,
    ScrapReason,
    ScrapStatus,
    WarehouseKind,
)

_HISTORY = {"excluded_fields": ["version", "updated_at"]}


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
        # side effect: services.scrap_post (to the scrap area)
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=ScrapStatus.SUBMITTED, target=ScrapStatus.REJECTED,
                permission=wf.can_approve_scrap,
                custom={"label": _("Reject"), "icon": "block", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
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
        # side effect: services.disposal_post
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
