"""Service-record review (服务记录审核): the after-sales manager scores a resolved ticket's
service record, aspect by aspect; the score feeds the appraisal's record completeness."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk import workflows as wf
from backoffice.desk.models.tickets import Ticket
from backoffice.desk.workflows import AspectVerdict, ReviewReason, ReviewStatus
from backoffice.platform.models import JournalEntry, VersionedModel


def _aspect(label, help_text):
    return models.CharField(label, max_length=16, choices=AspectVerdict.choices, blank=True,
                            help_text=help_text)


class ServiceRecordReview(ConcurrentTransitionMixin, VersionedModel):
    """One ticket's service record in the review queue, and the manager's verdict on it.

    Queued by the desk's services when the ticket is resolved (the monthly sample of its
    engineer, every complaint) or confirmed with a low rating; one review per ticket."""

    state = FSMField(_("state"), max_length=16, choices=ReviewStatus.choices,
                     default=ReviewStatus.PENDING, protected=True, db_index=True)
    ticket = models.OneToOneField(Ticket, models.CASCADE, related_name="service_review",
                                  verbose_name=_("ticket"))
    #: whose record it is: the ticket's engineer (the clerk, for a first-call answer)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                 related_name="service_reviews", verbose_name=_("engineer"))
    #: who resolved the ticket (four eyes: they never review it either)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("resolved by"))
    #: the month of the resolution (first day): the sample's month and the queue's filter
    month = models.DateField(_("month"), db_index=True)
    reason = models.CharField(_("reason"), max_length=16, choices=ReviewReason.choices,
                              db_index=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)

    problem_stated = _aspect(_("problem stated"),
                             _("The customer's problem, as described on the ticket."))
    diagnosis = _aspect(_("diagnosis"), _("The cause found."))
    process = _aspect(_("process"), _("What was done, remotely or on site."))
    solution = _aspect(_("solution"), _("The solution given to the customer."))
    parts = _aspect(_("parts"), _("The spare parts used, issued to the ticket."))
    customer_feedback = _aspect(_("customer feedback"),
                                _("The customer's feedback and confirmation."))
    comment = models.TextField(_("comment"), blank=True)
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("The share of the six aspects marked complete."))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("reviewer"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("service-record review")
        verbose_name_plural = _("service-record reviews")
        ordering = ["-queued_at", "-id"]
        permissions = [("review_servicerecordreview", _("Can review service records"))]
        indexes = [models.Index(fields=["engineer", "month", "reason"],
                                name="review_engineer_month")]

    def __str__(self):
        return f"{self.ticket.number if self.ticket_id else '-'} {self.get_reason_display()}"

    def verdicts(self):
        return [getattr(self, name) for name in wf.REVIEW_ASPECTS]

    def save(self, *args, **kwargs):
        self.score = wf.review_score(self.verdicts())
        super().save(*args, **kwargs)

    @transition(field=state, source=ReviewStatus.PENDING, target=ReviewStatus.REVIEWED,
                permission=wf.can_review_service_record, conditions=[wf.every_aspect_scored],
                custom={"label": _("Complete review"), "icon": "rate_review",
                        "variant": "primary"})
    def review(self, actor=None):
        self.reviewer = actor
        self.reviewed_at = timezone.now()


class ServiceRecordReviewEvent(JournalEntry):
    review = models.ForeignKey(ServiceRecordReview, models.CASCADE, related_name="events",
                               verbose_name=_("service-record review"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("service-record review journal entry")
        verbose_name_plural = _("service-record review journal")
