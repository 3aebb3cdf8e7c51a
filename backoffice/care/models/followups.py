"""Follow-up calls and satisfaction surveys (回访), and their journal."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.care import workflows as cw
from backoffice.care.models.updates import UpdateRecipient
from backoffice.care.workflows import CallOutcome, FollowUpKind, FollowUpStatus
from backoffice.desk.models import Contact, Customer, Ticket
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel

RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class FollowUp(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A follow-up call (回访) with its satisfaction survey, after a ticket or an update."""

    number_prefix = "FU"

    state = FSMField(_("state"), max_length=32, choices=FollowUpStatus.choices,
                     default=FollowUpStatus.OPEN, protected=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices,
                            default=FollowUpKind.OTHER, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    ticket = models.ForeignKey(Ticket, models.PROTECT, null=True, blank=True,
                               related_name="followups", verbose_name=_("ticket"))
    update_recipient = models.ForeignKey(UpdateRecipient, models.PROTECT, null=True,
                                         blank=True, related_name="followups",
                                         verbose_name=_("update notice recipient"))
    customer = models.ForeignKey(Customer, models.PROTECT, related_name="followups",
                                 verbose_name=_("customer"))
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="followups",
                                 verbose_name=_("clerk"))
    due_on = models.DateField(_("due on"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    outcome = models.CharField(_("call outcome"), max_length=16, blank=True,
                               choices=CallOutcome.choices)
    rating = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True,
                                              validators=RATING_VALIDATORS)
    remarks = models.TextField(_("remarks"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("done by"))
    new_ticket = models.ForeignKey(Ticket, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("new ticket"),
                                   help_text=_("Opened because the problem persists."))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        permissions = [("perform_followup", _("Can call customers back and record surveys"))]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(ticket__isnull=False),
                                    name="uniq_followup_per_ticket"),
            models.UniqueConstraint(fields=["update_recipient"],
                                    condition=models.Q(update_recipient__isnull=False),
                                    name="uniq_followup_per_update"),
        ]
        indexes = [models.Index(fields=["state", "due_on"], name="followup_state_due")]

    def __str__(self):
        return f"{self.number} {self.subject}" if self.number else self.subject

    def is_overdue(self, today=None):
        return self.state == FollowUpStatus.OPEN and self.due_on < (today or timezone.localdate())

    @transition(field=state, source=FollowUpStatus.OPEN, target=FollowUpStatus.DONE,
                permission=cw.can_record_followup,
                custom={"label": _("Record the call"), "icon": "support_agent",
                        "variant": "success",
                        "form": "backoffice.care.forms.FollowUpRecordForm"})
    def record(self, outcome, rating=None, remarks="", actor=None):
        """The survey's rating and remarks stay on the follow-up, its own figure: the
        ticket keeps the rating and feedback of the customer's confirmation (the appraisal
        counts those). A persisting problem opens a new ticket."""
        if outcome not in CallOutcome.values:
            raise ValidationError({"outcome": _("Choose the outcome of the call.")})
        if rating is not None and not 1 <= int(rating) <= 5:
            raise ValidationError({"rating": _("The rating goes from 1 to 5.")})
        if outcome != CallOutcome.NO_SURVEY and rating is None:
            raise ValidationError({"rating": _("Ask the customer for a rating from 1 to 5.")})
        now = timezone.now()
        self.outcome = outcome
        self.rating = rating
        self.remarks = remarks
        self.attempts += 1
        self.last_attempt_at = self.done_at = now
        self.done_by = actor
        if outcome == CallOutcome.PROBLEM_PERSISTS:
            self.new_ticket = self._open_new_ticket(actor, remarks)

    def _open_new_ticket(self, actor, remarks):
        origin = self.ticket
        subject = gettext("Problem persists after follow-up: %(subject)s") % {
            "subject": origin.subject if origin else self.subject}
        return Ticket.objects.create(
            customer=self.customer, contact=self.contact or (origin.contact if origin else None),
            category=origin.category if origin else "bug",
            priority=origin.priority if origin else "normal",
            product=origin.product if origin else None,
            product_version=origin.product_version if origin else None,
            subject=subject[:200],
            description="\n".join(p for p in [
                gettext("Found in follow-up %(number)s.") % {"number": self.number},
                gettext("Original ticket: %(number)s") % {"number": origin.number} if origin
                else "", remarks] if p),
            recorded_by=actor)

    @transition(field=state, source=FollowUpStatus.OPEN, target=FollowUpStatus.OPEN,
                permission=cw.can_follow_up,
                custom={"label": _("Not reached, try tomorrow"), "icon": "phone_missed"})
    def not_reached(self):
        self.attempts += 1
        self.last_attempt_at = timezone.now()
        self.due_on = max(self.due_on, timezone.localdate() + dt.timedelta(days=1))

    @transition(field=state, source=FollowUpStatus.OPEN, target=FollowUpStatus.UNREACHABLE,
                permission=cw.can_follow_up, conditions=[cw.was_attempted],
                custom={"label": _("Give up: unreachable"), "icon": "phone_disabled",
                        "variant": "warning"})
    def give_up(self, actor=None):
        self.done_at = timezone.now()
        self.done_by = actor

    @transition(field=state, source=FollowUpStatus.OPEN, target=FollowUpStatus.CANCELLED,
                permission=cw.can_follow_up,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class FollowUpEvent(JournalEntry):
    followup = models.ForeignKey(FollowUp, models.CASCADE, related_name="events",
                                 verbose_name=_("follow-up"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("follow-up journal entry")
        verbose_name_plural = _("follow-up journal")
