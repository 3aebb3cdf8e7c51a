"""Hourly cost rates per role: what an hour of a person's time on a ticket costs the
department (the time part of a ticket's cost)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.platform.models import VersionedModel
from backoffice.platform.roles import ROLES

ROLE_CHOICES = [(key, name) for key, (name, _description) in ROLES.items()]


class CostRate(VersionedModel):
    """From ``valid_from`` on (until the role's next rate), an hour of this role costs
    ``hourly_rate``. A person in several roles costs the highest of their rates."""

    role = models.CharField(_("role"), max_length=16, choices=ROLE_CHOICES)
    hourly_rate = models.DecimalField(_("hourly cost"), max_digits=10, decimal_places=2,
                                      validators=[MinValueValidator(Decimal("0"))])
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", editable=False,
                                   verbose_name=_("created by"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("cost rate")
        verbose_name_plural = _("cost rates")
        ordering = ["role", "-valid_from"]
        permissions = [("view_ticket_cost",
                        _("Can see what tickets cost (parts, expenses, time) and their margin"))]
        constraints = [
            models.UniqueConstraint(fields=["role", "valid_from"], name="cost_rate_one_per_day"),
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0),
                                   name="cost_rate_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.hourly_rate}/h ({self.valid_from})"
