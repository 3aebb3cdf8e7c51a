"""Charges to customers: the quote behind the business manager's "charge or not" decision."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Customer, Ticket
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel
from billing import workflows as wf
from billing.workflows import ChargeKind, ChargeStatus

CURRENCIES = [("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €"), ("HKD", "HKD $")]


def default_currency():
    from billing.money import currency

    return currency()


class CustomerCharge(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A quote for a chargeable requirement change or a special service (专项服务)."""

    number_prefix = "CQ"

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="charges",
                               verbose_name=_("ticket"))
    customer = models.ForeignKey(Customer, models.PROTECT, related_name="charges",
                                 verbose_name=_("customer"), editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ChargeKind.choices,
                            default=ChargeKind.REQUIREMENT)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("scope and terms"), blank=True)
    effort_days = models.DecimalField(_("effort (person-days)"), max_digits=7, decimal_places=1,
                                      null=True, blank=True,
                                      validators=[MinValueValidator(Decimal("0"))])
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES,
                                default=default_currency)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    state = FSMField(_("state"), max_length=16, choices=ChargeStatus.choices,
                     default=ChargeStatus.DRAFT, protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("created by"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("customer decided at"), null=True, blank=True)
    accepted_by = models.CharField(_("accepted by (customer)"), max_length=100, blank=True)
    customer_reference = models.CharField(_("customer's reference"), max_length=100,
                                          blank=True, help_text=_("Order or contract number."))
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("customer charge")
        verbose_name_plural = _("customer charges")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_customercharge",
                        _("Can send customer charges and record the customer's answer"))]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0),
                                              name="charge_amount_not_negative")]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_editable(self):
        return self.state == ChargeStatus.DRAFT

    def save(self, *args, **kwargs):
        if self.ticket_id:
            self.customer_id = self.ticket.customer_id
        super().save(*args, **kwargs)

    # -- workflow ------------------------------------------------------------------------
    @transition(field=state, source=ChargeStatus.DRAFT, target=ChargeStatus.SENT,
                permission=wf.can_manage_charge,
                conditions=[wf.charge_has_amount, wf.charge_ticket_chargeable],
                custom={"label": _("Send to customer"), "icon": "send", "variant": "primary"})
    def send(self):
        self.sent_at = timezone.now()

    @transition(field=state, source=ChargeStatus.SENT, target=ChargeStatus.ACCEPTED,
                permission=wf.can_manage_charge,
                custom={"label": _("Customer accepts"), "icon": "handshake",
                        "variant": "success", "form": "billing.forms.ChargeAcceptForm"})
    def accept(self, accepted_by, customer_reference=""):
        if not (accepted_by or "").strip():
            raise ValidationError(_("Who accepted for the customer?"))
        self.accepted_by = accepted_by.strip()
        self.customer_reference = (customer_reference or "").strip()
        self.decided_at = timezone.now()

    @transition(field=state, source=ChargeStatus.SENT, target=ChargeStatus.DECLINED,
                permission=wf.can_manage_charge,
                custom={"label": _("Customer declines"), "icon": "thumb_down",
                        "variant": "danger", "form": "billing.forms.ReasonForm"})
    def decline(self, reason):
        if not (reason or "").strip():
            raise ValidationError(_("Give the customer's reason."))
        self.decline_reason = reason.strip()
        self.decided_at = timezone.now()

    @transition(field=state, source=[ChargeStatus.SENT, ChargeStatus.DECLINED],
                target=ChargeStatus.DRAFT, permission=wf.can_manage_charge,
                custom={"label": _("Revise quote"), "icon": "edit"})
    def revise(self):
        self.sent_at = None
        self.decided_at = None


class CustomerChargeEvent(JournalEntry):
    charge = models.ForeignKey(CustomerCharge, models.CASCADE, related_name="events",
                               verbose_name=_("customer charge"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("charge journal entry")
        verbose_name_plural = _("charge journal")
