"""Incidents (emergencies): tickets, customers and products affected, the plan followed,
the timeline of actions, the notices sent to customers and the post-incident review."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Customer, Product, ProductVersion, Ticket
from backoffice.incidents import workflows as iw
from backoffice.incidents.models.plans import ContingencyPlan, PlanStep
from backoffice.incidents.workflows import IncidentKind, IncidentStatus, NoticeKind, Severity
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=iw.OPEN_INCIDENT_STATES)


class Incident(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """One emergency, however many customers call about it."""

    number_prefix = "INC"

    state = FSMField(_("state"), max_length=32, choices=IncidentStatus.choices,
                     default=IncidentStatus.OPEN, protected=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices,
                                default=Severity.P1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="incidents",
                                      verbose_name=_("affected products"))
    versions = models.ManyToManyField(ProductVersion, blank=True, related_name="incidents",
                                      verbose_name=_("affected versions"))
    customers = models.ManyToManyField(Customer, blank=True, related_name="incidents",
                                       verbose_name=_("affected customers"))
    tickets = models.ManyToManyField(Ticket, through="IncidentTicket", blank=True,
                                     related_name="incidents", verbose_name=_("tickets"))
    plan = models.ForeignKey(ContingencyPlan, models.PROTECT, null=True, blank=True,
                             related_name="incidents", verbose_name=_("contingency plan"))
    commander = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                  blank=True, related_name="+",
                                  verbose_name=_("incident commander"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    mitigated_at = models.DateTimeField(_("mitigated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # the post-incident review (复盘)
    root_cause = models.TextField(_("root cause"), blank=True)
    timeline_summary = models.TextField(_("timeline summary"), blank=True)
    went_well = models.TextField(_("what went well"), blank=True)
    went_badly = models.TextField(_("what went badly"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("review closed by"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-id"]
        permissions = [("run_incident", _("Can run incidents and inform the customers"))]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    @property
    def is_open(self):
        return self.state in iw.OPEN_INCIDENT_STATES

    def next_step(self) -> PlanStep | None:
        """The plan's first step no action has ticked off yet."""
        if self.plan_id is None:
            return None
        done = self.actions.exclude(plan_step=None).values("plan_step")
        return self.plan.steps.exclude(pk__in=done).order_by("position", "id").first()

    @transition(field=state, source=IncidentStatus.OPEN, target=IncidentStatus.MITIGATED,
                permission=iw.can_run_incident,
                custom={"label": _("Mitigated"), "icon": "healing", "variant": "primary"})
    def mitigate(self):
        self.mitigated_at = timezone.now()

    @transition(field=state, source=[IncidentStatus.OPEN, IncidentStatus.MITIGATED],
                target=IncidentStatus.RESOLVED, permission=iw.can_run_incident,
                custom={"label": _("Resolved"), "icon": "task_alt", "variant": "success"})
    def resolve(self):
        self.resolved_at = timezone.now()
        self.mitigated_at = self.mitigated_at or self.resolved_at

    @transition(field=state, source=IncidentStatus.RESOLVED, target=IncidentStatus.OPEN,
                permission=iw.can_run_incident,
                custom={"label": _("Reopen"), "icon": "replay", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def reopen(self):
        self.resolved_at = None

    @transition(field=state, source=IncidentStatus.RESOLVED, target=IncidentStatus.CLOSED,
                permission=iw.can_run_incident, conditions=[iw.has_review],
                custom={"label": _("Close after review"), "icon": "archive",
                        "variant": "success"})
    def close(self, actor):
        self.closed_at = timezone.now()
        self.reviewed_by = actor

    @transition(field=state, source=[IncidentStatus.OPEN, IncidentStatus.MITIGATED],
                target=IncidentStatus.CANCELLED, permission=iw.can_run_incident,
                custom={"label": _("Cancel (false alarm)"), "icon": "cancel",
                        "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class IncidentEvent(JournalEntry):
    incident = models.ForeignKey(Incident, models.CASCADE, related_name="events",
                                 verbose_name=_("incident"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("incident journal entry")
        verbose_name_plural = _("incident journal")


class IncidentTicket(models.Model):
    """A ticket counted in an incident: a ticket belongs to one incident at most."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="ticket_links",
                                 verbose_name=_("incident"))
    ticket = models.OneToOneField(Ticket, models.CASCADE, related_name="incident_link",
                                  verbose_name=_("ticket"))
    added_at = models.DateTimeField(_("attached at"), default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("attached by"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket of an incident")
        verbose_name_plural = _("tickets of the incident")
        ordering = ["incident", "added_at", "id"]

    def __str__(self):
        return f"{self.incident.number} · {self.ticket.number}"


class IncidentAction(models.Model):
    """One line of the incident's timeline: what was done, when, by whom (a plan step
    ticked off, or anything else)."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="actions",
                                 verbose_name=_("incident"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    text = models.TextField(_("what was done"))
    plan_step = models.ForeignKey(PlanStep, models.SET_NULL, null=True, blank=True,
                                  related_name="actions", verbose_name=_("plan step done"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incident action")
        verbose_name_plural = _("timeline")
        ordering = ["incident", "at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class IncidentNotice(models.Model):
    """A notice mailed to the affected customers' contacts: its text, who sent it when,
    and to whom (one mail per address, so no customer sees another's)."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="notices",
                                 verbose_name=_("incident"))
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                verbose_name=_("sent by"))
    recipients = models.JSONField(_("recipients"), default=list)
    mailed = models.PositiveIntegerField(_("mails sent"), default=0)
    failed = models.JSONField(_("not delivered"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")
        ordering = ["incident", "sent_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.subject}"


class IncidentFollowUp(models.Model):
    """A follow-up action of the review, with its owner and due date."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="followups",
                                 verbose_name=_("incident"))
    action = models.CharField(_("follow-up action"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due_on = models.DateField(_("due on"))
    done = models.BooleanField(_("done"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review follow-up action")
        verbose_name_plural = _("review follow-up actions")
        ordering = ["incident", "due_on", "id"]

    def __str__(self):
        return self.action
