"""Time entries (工时): the hours a person spent on a ticket, which the ticket's cost
values at the hourly cost rate of the person's role (billing)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.desk.models.tickets import Ticket
from backoffice.desk.workflows import MAX_HOURS_PER_ENTRY, NO_TIME_STATES
from backoffice.platform.models import VersionedModel


class TimeEntry(VersionedModel):
    """Hours one person worked on one ticket on one day."""

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="time_entries",
                               verbose_name=_("ticket"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                               related_name="time_entries", verbose_name=_("worked by"))
    worked_on = models.DateField(_("worked on"), default=timezone.localdate, db_index=True)
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")),
                    MaxValueValidator(Decimal(MAX_HOURS_PER_ENTRY))])
    description = models.CharField(_("work done"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-worked_on", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(hours__gt=0, hours__lte=MAX_HOURS_PER_ENTRY),
            name="time_entry_hours_in_range")]

    def __str__(self):
        return f"{self.worked_on} {self.hours} h"

    def clean(self):
        super().clean()
        if self.ticket_id and self.ticket.state in NO_TIME_STATES:
            raise ValidationError(_("The ticket is %(state)s: it takes no more time entries.")
                                  % {"state": self.ticket.get_state_display()})
        if self.worked_on and self.worked_on > timezone.localdate():
            raise ValidationError({"worked_on": _("The day cannot be in the future.")})
