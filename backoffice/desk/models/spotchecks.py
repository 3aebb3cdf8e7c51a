"""The manager's spot checks of calls (录音抽查): seed 001 §4 monitors the clerks' service by
replaying the hotline's recordings; each check scores one call and feeds the appraisal."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.desk import workflows as wf
from backoffice.desk.models.conversation import TicketAttachment, TicketMessage
from backoffice.platform.models import VersionedModel
from backoffice.platform.people import display_name


class CallSpotCheck(VersionedModel):
    """One call note checked by the manager: the recording heard, a score from 0 to 100
    and what was found. The person who took the call is kept apart from the note's author
    field so that the appraisal groups by them in one query."""

    message = models.ForeignKey(TicketMessage, models.PROTECT, related_name="spot_checks",
                                verbose_name=_("call"))
    recording = models.ForeignKey(
        TicketAttachment, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recording"),
        help_text=_("The recording attached to the call note that was listened to."))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("call taken by"))
    #: when the call was made (the call note's time): the month the check counts in
    call_at = models.DateTimeField(_("call at"), db_index=True)
    score = models.PositiveSmallIntegerField(
        _("score (0-100)"),
        validators=[MinValueValidator(0), MaxValueValidator(wf.SPOT_CHECK_MAX_SCORE)],
        help_text=_("Greeting, listening, restating the need, accuracy of the answer, what "
                    "the customer was told happens next: 100 is faultless."))
    comment = models.TextField(_("comment"))
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("call spot check")
        verbose_name_plural = _("call spot checks")
        ordering = ["-checked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message"], name="uniq_spotcheck_per_call"),
            models.CheckConstraint(condition=~models.Q(agent=models.F("checked_by")),
                                   name="spotcheck_not_own_call"),
        ]
        indexes = [models.Index(fields=["agent", "call_at"], name="spotcheck_agent_call")]

    def __str__(self):
        who = display_name(self.agent) if self.agent_id else "-"
        return f"{self.message.ticket.number if self.message_id else '-'} {who}: {self.score}"

    def clean(self):
        message = self.message if self.message_id else None
        if message is None:
            return
        if not wf.is_call(message):
            raise ValidationError({"message": _("Only phone calls with the customer are "
                                                "spot-checked.")})
        if message.author_id is None:
            raise ValidationError({"message": _("The call note does not say who took the "
                                                "call.")})
        if self.checked_by_id and message.author_id == self.checked_by_id:
            raise ValidationError(_("Nobody spot-checks a call they took themselves."))
        if self.recording_id and self.recording.message_id != message.pk:
            raise ValidationError({"recording": _("Choose a recording attached to this call.")})
