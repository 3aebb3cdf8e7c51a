"""Requisitions (领用): an engineer asks for parts for a ticket; issuing posts the ledger.

The transitions that move stock post their ledger lines in the transition body through
``inventory.services`` (inside ``apply_transition``'s transaction), so the state change,
the journal entry, the ledger lines and the balances commit together or not at all.
"""


from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.models.ledger import StockEntry
from inventory.workflows import (
    EntryKind,
    RequisitionStatus,
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
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def send_back(self):
        self.submitted_at = None

    @transition(field=state, source=RequisitionStatus.SUBMITTED, target=RequisitionStatus.ISSUED,
                permission=wf.can_issue, conditions=[wf.has_lines, wf.ticket_is_open],
                custom={"label": _("Issue parts"), "icon": "outbox", "variant": "success"})
    def issue(self, actor):
        # side effect: services.requisition_post_issue
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
        pass  # side effect: services.requisition_post_return

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
