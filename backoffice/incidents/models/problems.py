"""Problem records (问题记录): recurring tickets grouped under one root cause, the
known-error workaround, the bug's reference and the version that fixes it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Product, ProductVersion, Ticket
from backoffice.incidents import workflows as iw
from backoffice.incidents.workflows import ProblemStatus
from backoffice.knowledge.models import Article
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel


class Problem(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """The cause behind several tickets, followed until R&D's fix ships."""

    number_prefix = "PRB"

    state = FSMField(_("state"), max_length=32, choices=ProblemStatus.choices,
                     default=ProblemStatus.OPEN, protected=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    product = models.ForeignKey(Product, models.PROTECT, related_name="problems",
                                verbose_name=_("product"))
    versions = models.ManyToManyField(ProductVersion, blank=True, related_name="problems",
                                      verbose_name=_("versions affected"))
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround (known error)"), blank=True)
    article = models.ForeignKey(Article, models.SET_NULL, null=True, blank=True,
                                related_name="problems", verbose_name=_("knowledge article"),
                                help_text=_("The article that tells the workaround."))
    bug_reference = models.CharField(_("bug / issue reference"), max_length=100, blank=True)
    fixed_in = models.ForeignKey(ProductVersion, models.PROTECT, null=True, blank=True,
                                 related_name="fixed_problems", verbose_name=_("fixed in"),
                                 help_text=_("When this version's update notice is "
                                             "announced, the waiting tickets are told."))
    fixed_at = models.DateTimeField(_("fix shipped at"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    tickets = models.ManyToManyField(Ticket, through="ProblemTicket", blank=True,
                                     related_name="problems", verbose_name=_("tickets"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("problem record")
        verbose_name_plural = _("problem records")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_problem", _("Can close problem records"))]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    def clean(self):
        if self.fixed_in_id and self.product_id and self.fixed_in.product_id != self.product_id:
            raise ValidationError({"fixed_in": _("This version belongs to another product.")})

    @transition(field=state, source=ProblemStatus.OPEN, target=ProblemStatus.KNOWN_ERROR,
                permission=iw.can_work_problem, conditions=[iw.has_workaround],
                custom={"label": _("Known error"), "icon": "report", "variant": "primary"})
    def mark_known_error(self):
        pass

    @transition(field=state, source=[ProblemStatus.OPEN, ProblemStatus.KNOWN_ERROR],
                target=ProblemStatus.FIXED, permission=iw.can_work_problem,
                custom={"label": _("Fix shipped"), "icon": "verified", "variant": "success",
                        "form": "backoffice.incidents.forms.ProblemFixedForm"})
    def mark_fixed(self, fixed_in):
        """The version with the fix is out: the waiting tickets are told (services)."""
        self.fixed_in = fixed_in
        self.fixed_at = timezone.now()

    @transition(field=state, source=ProblemStatus.FIXED, target=ProblemStatus.CLOSED,
                permission=iw.can_close_problem,
                custom={"label": _("Close"), "icon": "archive"})
    def close(self):
        pass


class ProblemEvent(JournalEntry):
    problem = models.ForeignKey(Problem, models.CASCADE, related_name="events",
                                verbose_name=_("problem record"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("problem journal entry")
        verbose_name_plural = _("problem journal")


class ProblemTicket(models.Model):
    """A ticket caused by the problem: a ticket has one problem at most."""

    problem = models.ForeignKey(Problem, models.CASCADE, related_name="ticket_links",
                                verbose_name=_("problem record"))
    ticket = models.OneToOneField(Ticket, models.CASCADE, related_name="problem_link",
                                  verbose_name=_("ticket"))
    added_at = models.DateTimeField(_("linked at"), default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("linked by"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket of a problem")
        verbose_name_plural = _("tickets of the problem")
        ordering = ["problem", "added_at", "id"]

    def __str__(self):
        return f"{self.problem.number} · {self.ticket.number}"
