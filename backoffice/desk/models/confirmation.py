"""The customer's own confirmation: a one-time, expiring, signed link to a small public page
where they say "solved" or "not solved", rate, comment and sign."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from signature_pad import SignaturePadField
from simple_history.models import HistoricalRecords

from backoffice.desk.models.tickets import Ticket
from backoffice.desk.workflows import ConfirmationOutcome


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class ConfirmationRequestQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Links that still open the page: not answered, not withdrawn, not expired."""
        return self.filter(answered_at__isnull=True, withdrawn_at__isnull=True,
                           expires_at__gt=now or timezone.now())

    def withdraw(self, now=None):
        """Withdraw the links still usable (a newer link, or the resolution they confirm
        is gone); returns how many."""
        now = now or timezone.now()
        return self.usable(now).update(withdrawn_at=now)


class ConfirmationRequest(models.Model):
    """One confirmation link sent to the customer, and their answer to it.

    Not a document with a workflow: a token that is issued, used once, withdrawn (a newer
    link, the ticket reopened) or left to expire. The ticket's journal records what the
    answer did to the ticket (confirmed, reopened)."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="confirmation_requests",
                               verbose_name=_("ticket"))
    nonce = models.CharField(max_length=32, unique=True, default=new_nonce, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("sent by"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    mailed_to = models.CharField(_("mailed to"), max_length=254, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # the customer's answer
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("answer"), max_length=16, blank=True,
                               choices=ConfirmationOutcome.choices)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    signer_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signature = SignaturePadField(_("signature"), blank=True, max_size_kb=200)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    history = HistoricalRecords(excluded_fields=["signature", "nonce"])

    objects = ConfirmationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("confirmation request")
        verbose_name_plural = _("confirmation requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "-created_at"],
                                name="confirmation_ticket_recent")]

    def __str__(self):
        return f"{self.ticket.number} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def is_usable(self, now=None):
        return (self.answered_at is None and self.withdrawn_at is None
                and self.expires_at > (now or timezone.now()))

    @property
    def status_label(self):
        if self.answered_at:
            return self.get_outcome_display()
        if self.withdrawn_at:
            return _("withdrawn")
        if self.expires_at <= timezone.now():
            return _("expired")
        return _("waiting for the customer")
