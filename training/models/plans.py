"""Training (培训服务): needs, the annual plan and its items, sessions and their attendees."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Contact, Customer, Product, Ticket
from backoffice.platform import budget as seam
from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel
from backoffice.platform.people import display_name
from backoffice.platform.workflow import journal_note
from training import workflows as wf
from training.workflows import (
    Audience,
    Method,
    NeedSource,
    PracticalResult,
    RequesterKind,
    TrainerKind,
    TrainingNeedStatus,
    TrainingPlanStatus,
    TrainingSessionStatus,
    Urgency,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
SCORE = {"max_digits": 5, "decimal_places": 1,
         "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]}


# -- needs --------------------------------------------------------------------------------
class TrainingNeed(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A request for training, from a customer or a staff member (培训需求)."""

    number_prefix = "TN"

    state = FSMField(_("state"), max_length=16, choices=TrainingNeedStatus.choices,
                     default=TrainingNeedStatus.OPEN, protected=True, db_index=True)
    topic = models.CharField(_("topic"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    requester_kind = models.CharField(_("asked by"), max_length=16, choices=RequesterKind.choices,
                                      default=RequesterKind.CUSTOMER)
    customer = models.ForeignKey(Customer, models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("staff member"))
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("product"))
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices,
                               default=Urgency.NORMAL, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=NeedSource.choices,
                              default=NeedSource.SURVEY)
    ticket = models.ForeignKey(Ticket, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"),
                               help_text=_("The ticket that showed the need, if any."))
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("collected by"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("training need")
        verbose_name_plural = _("training needs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.topic}"

    def clean(self):
        errors = {}
        if self.ticket_id and not self.customer_id and self.requester_kind == RequesterKind.CUSTOMER:
            self.customer_id = self.ticket.customer_id
        if self.requester_kind == RequesterKind.CUSTOMER:
            if not self.customer_id:
                errors["customer"] = _("Name the customer who asked.")
            elif self.contact_id and self.contact.customer_id != self.customer_id:
                errors["contact"] = _("This contact belongs to another customer.")
        elif not self.staff_id:
            errors["staff"] = _("Name the staff member who asked.")
        if self.source == NeedSource.TICKET and not self.ticket_id:
            errors["ticket"] = _("A need from a ticket names the ticket.")
        if errors:
            raise ValidationError(errors)

    @property
    def requester(self):
        if self.requester_kind == RequesterKind.STAFF:
            return self.staff
        return self.contact or self.customer

    @transition(field=state, source=TrainingNeedStatus.OPEN, target=TrainingNeedStatus.PLANNED,
                permission=wf.can_manage_need, conditions=[wf.need_in_a_plan],
                custom={"label": _("Mark as planned"), "icon": "event_available",
                        "variant": "primary"})
    def plan(self):
        """Usually done for you when the plan that answers the need is approved."""

    @transition(field=state, source=TrainingNeedStatus.OPEN, target=TrainingNeedStatus.DROPPED,
                permission=wf.can_manage_need,
                custom={"label": _("Drop"), "icon": "block", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def drop(self):
        pass

    @transition(field=state, source=[TrainingNeedStatus.PLANNED, TrainingNeedStatus.DROPPED],
                target=TrainingNeedStatus.OPEN, permission=wf.can_manage_need,
                custom={"label": _("Reopen"), "icon": "replay",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def reopen(self):
        pass


class TrainingNeedEvent(JournalEntry):
    need = models.ForeignKey(TrainingNeed, models.CASCADE, related_name="events",
                             verbose_name=_("training need"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("training need journal entry")
        verbose_name_plural = _("training need journal")


# -- the annual plan ----------------------------------------------------------------------
class TrainingPlan(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """The year's training plan (年度培训计划), approved by the after-sales manager."""

    number_prefix = "TP"

    state = FSMField(_("state"), max_length=16, choices=TrainingPlanStatus.choices,
                     default=TrainingPlanStatus.DRAFT, protected=True, db_index=True)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)], db_index=True)
    title = models.CharField(_("title"), max_length=200)
    goals = models.TextField(_("goals"), blank=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("prepared by"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    budget_remark = models.CharField(_("budget check"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["-year", "-id"]
        permissions = [
            ("submit_trainingplan", _("Can submit training plans for approval")),
            ("approve_trainingplan", _("Can approve training plans")),
            ("close_trainingplan", _("Can close training plans")),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_editable(self):
        """Drafts are edited freely; an approved plan may be adjusted (history keeps it)."""
        return self.state in {TrainingPlanStatus.DRAFT, TrainingPlanStatus.APPROVED}

    def total_budget(self) -> Decimal:
        total = self.items.aggregate(total=models.Sum("budget_estimate"))["total"]
        return total or Decimal("0.00")

    def budget_requests(self):
        """What the plan asks of the budget (``platform.budget``): its total, of the
        training category, in its year (today when the plan is this year's)."""
        today = timezone.localdate()
        on_date = today if today.year == self.year else dt.date(self.year, 1, 1)
        return [("training", on_date, self.total_budget())]

    @transition(field=state, source=TrainingPlanStatus.DRAFT, target=TrainingPlanStatus.SUBMITTED,
                permission=wf.can_submit_plan, conditions=[wf.plan_has_goals, wf.plan_has_items],
                custom={"label": _("Submit for approval"), "icon": "send",
                        "variant": "primary", "form": "training.forms.PlanSubmitForm"})
    def submit(self, actor, confirm_overrun=False):
        """The training budget at submit, without committing: a "stop" overrun refuses, a
        "warn" one needs confirming (journaled, kept in ``budget_remark`` for the approver)."""
        text = seam.check_document(self, actor=actor, confirmed=bool(confirm_overrun),
                                   dry_run=True)
        self.budget_remark = text[:300]
        journal_note(self, text)
        self.submitted_by = actor
        self.submitted_at = timezone.now()

    @transition(field=state, source=TrainingPlanStatus.SUBMITTED, target=TrainingPlanStatus.DRAFT,
                permission=wf.can_submit_plan,
                custom={"label": _("Withdraw"), "icon": "undo"})
    def withdraw(self):
        self.submitted_at = None
        self.budget_remark = ""

    @transition(field=state, source=TrainingPlanStatus.SUBMITTED, target=TrainingPlanStatus.DRAFT,
                permission=wf.can_approve_plan,
                custom={"label": _("Send back"), "icon": "reply", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def reject(self):
        self.submitted_at = None
        self.budget_remark = ""

    @transition(field=state, source=TrainingPlanStatus.SUBMITTED,
                target=TrainingPlanStatus.APPROVED, permission=wf.can_approve_plan,
                conditions=[wf.plan_has_items],
                custom={"label": _("Approve"), "icon": "verified", "variant": "success",
                        "form": "training.forms.ApprovePlanForm"})
    def approve(self, actor, confirm_over_budget=False):
        """Asks the budget owner about the plan's total (side effect: the needs it answers
        are planned, ``services.plan_needs_answered``)."""
        self.budget_remark = seam.check_document(
            self, actor=actor, confirmed=bool(confirm_over_budget))[:300]
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=TrainingPlanStatus.APPROVED, target=TrainingPlanStatus.CLOSED,
                permission=wf.can_close_plan, conditions=[wf.plan_sessions_settled],
                custom={"label": _("Close the plan"), "icon": "archive"})
    def close(self):
        self.closed_at = timezone.now()


class TrainingPlanEvent(JournalEntry):
    plan = models.ForeignKey(TrainingPlan, models.CASCADE, related_name="events",
                             verbose_name=_("training plan"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("training plan journal entry")
        verbose_name_plural = _("training plan journal")


class TrainingPlanItem(TimeStampedModel):
    """One line of the plan: what is taught, to whom, how, when, by whom, at what cost."""

    plan = models.ForeignKey(TrainingPlan, models.CASCADE, related_name="items",
                             verbose_name=_("training plan"))
    seq = models.PositiveSmallIntegerField(_("no."), blank=True)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices,
                                default=Audience.CUSTOMERS)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices,
                              default=Method.ON_SITE)
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    planned_start = models.DateField(_("planned from"))
    planned_end = models.DateField(_("planned to"))
    trainer_kind = models.CharField(_("trainer type"), max_length=16, choices=TrainerKind.choices,
                                    default=TrainerKind.INTERNAL)
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("internal expert"))
    external_trainer = models.CharField(_("external lecturer"), max_length=200, blank=True)
    budget_estimate = models.DecimalField(_("budget estimate"), default=Decimal("0.00"),
                                          validators=[MinValueValidator(Decimal("0"))], **MONEY)
    pass_mark = models.DecimalField(_("pass mark (exam)"), default=Decimal("60.0"), **SCORE)
    needs = models.ManyToManyField(TrainingNeed, blank=True, related_name="plan_items",
                                   verbose_name=_("needs answered"))
    history = HistoricalRecords(m2m_fields=[needs])

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="uniq_training_plan_item_seq"),
            models.CheckConstraint(condition=models.Q(planned_end__gte=models.F("planned_start")),
                                   name="training_item_end_after_start"),
        ]

    def __str__(self):
        return f"{self.seq}. {self.title}" if self.seq else self.title

    def clean(self):
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The period ends before it starts.")
        if self.trainer_kind == TrainerKind.INTERNAL and not self.trainer_id:
            errors["trainer"] = _("Choose the internal expert.")
        if self.trainer_kind == TrainerKind.EXTERNAL and not self.external_trainer.strip():
            errors["external_trainer"] = _("Name the external lecturer.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if not self.seq and self.plan_id:
            last = (TrainingPlanItem.objects.filter(plan_id=self.plan_id)
                    .aggregate(m=models.Max("seq"))["m"])
            self.seq = (last or 0) + 1
        super().save(*args, **kwargs)

    @property
    def trainer_name(self):
        if self.trainer_kind == TrainerKind.EXTERNAL:
            return self.external_trainer
        return display_name(self.trainer) if self.trainer else ""


# -- sessions -----------------------------------------------------------------------------
class TrainingSession(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """One occurrence of a plan item: a class on site, online or by video (培训课程)."""

    number_prefix = "TS"

    state = FSMField(_("state"), max_length=16, choices=TrainingSessionStatus.choices,
                     default=TrainingSessionStatus.PLANNED, protected=True, db_index=True)
    plan_item = models.ForeignKey(TrainingPlanItem, models.PROTECT, related_name="sessions",
                                  verbose_name=_("plan item"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    link = models.URLField(_("online link"), blank=True)
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("internal expert"))
    external_trainer = models.CharField(_("external lecturer"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)
    actual_cost = models.DecimalField(_("actual cost"), default=Decimal("0.00"),
                                      validators=[MinValueValidator(Decimal("0"))], **MONEY)
    notes = models.TextField(_("notes"), blank=True)
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at", "-id"]
        permissions = [("run_trainingsession", _("Can mark sessions held or cancelled"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gte=models.F("starts_at")),
                name="training_session_end_after_start"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def clean(self):
        errors = {}
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The session ends before it starts.")
        if self.method == Method.ONLINE and not (self.link or self.place):
            errors["link"] = _("Give the link of an online session.")
        if (self._state.adding and self.plan_item_id
                and self.plan_item.plan.state == TrainingPlanStatus.CLOSED):
            errors["plan_item"] = _("The plan of this item is closed.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self._state.adding and self.plan_item_id:
            item = self.plan_item
            self.title = self.title or item.title
            self.method = self.method or item.method
            if not self.trainer_id and not self.external_trainer:
                self.trainer_id = item.trainer_id
                self.external_trainer = item.external_trainer
        super().save(*args, **kwargs)

    @property
    def trainer_name(self):
        if self.trainer_id:
            return display_name(self.trainer)
        return self.external_trainer

    @transition(field=state, source=TrainingSessionStatus.PLANNED,
                target=TrainingSessionStatus.HELD, permission=wf.can_run_session,
                conditions=[wf.session_plan_approved, wf.session_started,
                            wf.session_has_attendance],
                custom={"label": _("Mark as held"), "icon": "event_available",
                        "variant": "success"})
    def hold(self):
        self.held_at = timezone.now()

    @transition(field=state, source=TrainingSessionStatus.PLANNED,
                target=TrainingSessionStatus.CANCELLED, permission=wf.can_run_session,
                custom={"label": _("Cancel"), "icon": "event_busy", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class TrainingSessionEvent(JournalEntry):
    session = models.ForeignKey(TrainingSession, models.CASCADE, related_name="events",
                                verbose_name=_("training session"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("training session journal entry")
        verbose_name_plural = _("training session journal")


class SessionAttendee(TimeStampedModel):
    """An attendee of a session (a customer's contact or a staff member) and their results.

    Whether they passed and need follow-up coaching is derived, never stored: see
    ``training.selectors.attendee_with_outcome``.
    """

    session = models.ForeignKey(TrainingSession, models.CASCADE, related_name="attendees",
                                verbose_name=_("training session"))
    contact = models.ForeignKey(Contact, models.PROTECT, null=True, blank=True,
                                related_name="training_attendances",
                                verbose_name=_("customer contact"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="training_attendances",
                              verbose_name=_("staff member"))
    attended = models.BooleanField(_("present"), null=True, blank=True,
                                   help_text=_("Empty until attendance is taken."))
    exam_score = models.DecimalField(_("exam score"), null=True, blank=True, **SCORE)
    practical_result = models.CharField(_("practical test"), max_length=16, blank=True,
                                        choices=PracticalResult.choices)
    survey_rating = models.PositiveSmallIntegerField(
        _("survey rating (1-5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    comments = models.TextField(_("comments"), blank=True)
    coached_on = models.DateField(_("coached on"), null=True, blank=True,
                                  help_text=_("When the follow-up coaching took place."))
    coaching_note = models.TextField(_("coaching note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendance and results")
        ordering = ["session", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(contact__isnull=False, staff__isnull=True)
                           | models.Q(contact__isnull=True, staff__isnull=False)),
                name="training_attendee_contact_xor_staff"),
            models.UniqueConstraint(fields=["session", "contact"],
                                    name="uniq_training_attendee_contact"),
            models.UniqueConstraint(fields=["session", "staff"],
                                    name="uniq_training_attendee_staff"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        if self.staff_id:
            return display_name(self.staff)
        return str(self.contact) if self.contact_id else "-"

    @property
    def has_results(self):
        return (self.exam_score is not None or bool(self.practical_result)
                or self.survey_rating is not None)

    def clean(self):
        errors = {}
        if bool(self.contact_id) == bool(self.staff_id):
            errors["contact"] = _("Choose either a customer contact or a staff member.")
        if self.has_results and self.attended is not True:
            errors["attended"] = _("Results can only be recorded for attendees who were present.")
        if (self.session_id and self.session.state == TrainingSessionStatus.CANCELLED
                and (self.has_results or self.attended)):
            errors["session"] = _("The session was cancelled.")
        if errors:
            raise ValidationError(errors)
