"""A clock per support level: the stretches of a ticket's life, each at one level and of
one kind (held by the level, waiting for the customer, waiting for R&D).

The ticket's own SLA clock says whether the customer was served in time; these spans say
how long each level held the ticket, so first, second and third line can each be held to
their own target (``SLAPolicy.first_line_minutes`` …). A span is opened when the ticket
is created and closed and reopened by every transition that changes its state's kind or
its support level (``desk.services.follow_clock``); resolving or cancelling closes the
last one. Working seconds are counted on the ticket's calendar, wall seconds as they came.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.desk.workflows import ClockKind, SupportLevel


class TicketClockSpanQuerySet(models.QuerySet):
    def running(self):
        return self.filter(ended_at__isnull=True)


class TicketClockSpan(models.Model):
    """One stretch of a ticket at one support level (derived from its transitions, like
    the journal: written by the system, never edited)."""

    ticket = models.ForeignKey("backoffice.Ticket", models.CASCADE, related_name="clock_spans",
                               verbose_name=_("ticket"))
    level = models.PositiveSmallIntegerField(_("support level"), choices=SupportLevel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ClockKind.choices)
    #: who held the ticket then (the engineer's appraisal reads their own level's time)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("engineer"))
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    working_seconds = models.PositiveIntegerField(_("working seconds"), null=True, blank=True)
    wall_seconds = models.PositiveIntegerField(_("wall-clock seconds"), null=True, blank=True)

    objects = TicketClockSpanQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket clock span")
        verbose_name_plural = _("ticket clock spans")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "started_at"], name="clockspan_ticket_start"),
            # the reports' "time held per level" of tickets finished in a period
            models.Index(fields=["ended_at", "kind", "level"], name="clockspan_end_kind"),
        ]
        constraints = [
            # one running span per ticket at most
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(ended_at__isnull=True),
                                    name="clockspan_one_running"),
        ]

    def __str__(self):
        return f"{self.ticket_id} L{self.level} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"

    def measure(self, calendar, until=None) -> tuple[int, int]:
        """(working, wall) seconds of the span, up to ``until`` (now) while it runs."""
        end = self.ended_at or until or timezone.now()
        return (int(calendar.between(self.started_at, end)),
                max(0, int((end - self.started_at).total_seconds())))

    def close(self, calendar, at):
        self.ended_at = max(at, self.started_at)
        self.working_seconds, self.wall_seconds = self.measure(calendar)
