"""Service tickets, their SLA clock and workflow, and the ticket journal."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk import workflows as wf
from backoffice.desk.models.calendars import BusinessCalendar, SLAPolicy
from backoffice.desk.models.clock import TicketClockSpan
from backoffice.desk.models.customers import Contact, Customer, Product, ProductVersion
from backoffice.desk.sla import WorkingCalendar
from backoffice.desk.workflows import (
    Category,
    Channel,
    Priority,
    RatingSource,
    RequirementDecision,
    SLAAlert,
    SupportLevel,
    TicketStatus,
)
from backoffice.platform.models import (
    JournalEntry,
    NumberedModel,
    SearchableModel,
    SearchTokensQuerySet,
    StateGuardedQuerySet,
    VersionedModel,
    next_numbers,
)

#: the ticket's texts that the search box finds by substring (their tokens are stored in
#: ``search_tokens``; backoffice.platform.search)
SEARCHED_TEXTS = ("number", "subject", "description", "diagnosis", "solution")


class TicketQuerySet(SearchTokensQuerySet, StateGuardedQuerySet):
    def open(self):
        return self.filter(state__in=wf.OPEN_STATES)

    def overdue(self, now=None):
        now = now or timezone.now()
        running = wf.clock_runs()
        late_response = models.Q(first_response_at__isnull=True, response_due__lt=now)
        late_resolution = models.Q(resolution_due__lt=now)
        return self.filter(running & (late_response | late_resolution))

    def due_soon(self, now=None, within=dt.timedelta(hours=2)):
        now = now or timezone.now()
        running = wf.clock_runs()
        response = models.Q(first_response_at__isnull=True,
                            response_due__gte=now, response_due__lt=now + within)
        resolution = models.Q(resolution_due__gte=now, resolution_due__lt=now + within)
        return self.filter(running & (response | resolution))


class Ticket(ConcurrentTransitionMixin, SearchableModel, NumberedModel, VersionedModel):
    """A service ticket (售后服务单) and its service record (服务记录)."""

    number_prefix = "SR"
    searched_texts = SEARCHED_TEXTS

    state = FSMField(_("state"), max_length=32, choices=TicketStatus.choices,
                     default=TicketStatus.NEW, protected=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices,
                               default=Channel.PHONE, db_index=True)
    category = models.CharField(_("problem category"), max_length=16, choices=Category.choices,
                                db_index=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices,
                                default=Priority.NORMAL, db_index=True)
    customer = models.ForeignKey(Customer, models.PROTECT, related_name="tickets",
                                 verbose_name=_("customer"))
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, blank=True,
                                related_name="tickets", verbose_name=_("contact"))
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True,
                                related_name="tickets", verbose_name=_("product"))
    product_version = models.ForeignKey(ProductVersion, models.PROTECT, null=True, blank=True,
                                        related_name="tickets", verbose_name=_("version"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="assigned_tickets",
                                 verbose_name=_("engineer"))
    support_level = models.PositiveSmallIntegerField(_("support level"),
                                                     choices=SupportLevel.choices,
                                                     default=SupportLevel.FIRST)

    # service record
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    process = models.TextField(_("process"), blank=True,
                               help_text=_("What was done, remotely or on site."))
    solution = models.TextField(_("solution"), blank=True)
    customer_feedback = models.TextField(_("customer feedback"), blank=True)
    confirmed_by = models.CharField(_("confirmed by (customer)"), max_length=100, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    #: the staff member who entered the customer's confirmation and rating (never the
    #: assignee: the rating feeds their appraisal)
    confirmation_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("confirmation entered by"))
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("The rating given when the customer confirmed the solution (a later "
                    "follow-up survey keeps its own)."))
    satisfaction_source = models.CharField(_("rating given by"), max_length=16, blank=True,
                                           choices=RatingSource.choices)
    #: why the customer's "solved" contradicts itself (a low rating, "still broken"): the
    #: ticket is not closed until staff reopen it or close it anyway with a reason
    confirmation_doubt = models.CharField(_("doubt about the confirmation"), max_length=200,
                                          blank=True)
    #: who resolved it: the engineer, or the clerk who answered on the first call
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("resolved by"))
    first_contact_resolution = models.BooleanField(
        _("answered on the first call"), default=False,
        help_text=_("A consultation or usage question the clerk answered at once: it counts "
                    "for the clerk, not in the engineers' figures."))

    # the loop back to R&D (a bug that needs a product fix)
    rnd_reference = models.CharField(
        _("bug / issue reference"), max_length=100, blank=True,
        help_text=_("The R&D bug tracker's number or link for the fix this ticket waits for."))
    rnd_target_version = models.ForeignKey(
        ProductVersion, models.SET_NULL, null=True, blank=True, related_name="awaiting_tickets",
        verbose_name=_("fixed in version"),
        help_text=_("The product version R&D plans to ship the fix in."))

    # on-site visit
    visit_at = models.DateTimeField(_("visit appointment"), null=True, blank=True)
    visit_address = models.CharField(_("visit address"), max_length=300, blank=True)

    # new-requirement evaluation (business manager)
    requirement_decision = models.CharField(_("decision"), max_length=16, blank=True,
                                            choices=RequirementDecision.choices)
    requirement_chargeable = models.BooleanField(_("chargeable"), null=True, blank=True)
    requirement_planned_for = models.DateField(_("planned for"), null=True, blank=True)
    requirement_effort_days = models.DecimalField(_("effort (person-days)"), max_digits=7,
                                                  decimal_places=1, null=True, blank=True)
    requirement_approach = models.TextField(_("approach"), blank=True)

    # complaint handling (after-sales manager)
    complaint_investigation = models.TextField(_("investigation"), blank=True)
    complaint_cause = models.TextField(_("cause"), blank=True)
    complaint_responsible = models.CharField(_("responsible party"), max_length=200,
                                             blank=True)
    complaint_plan = models.TextField(_("resolution plan"), blank=True,
                                      help_text=_("Solution, deadlines, compensation."))
    complaint_compensation = models.CharField(_("compensation"), max_length=200, blank=True)
    complaint_evaluation = models.TextField(_("customer's evaluation"), blank=True)

    # service level
    sla_policy = models.ForeignKey(SLAPolicy, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("response-time target"))
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    response_met = models.BooleanField(_("answered in time"), null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(
        _("first response (working seconds)"), null=True, blank=True,
        help_text=_("Working time from arrival to first response, on the ticket's calendar."))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(
        _("resolution (working seconds)"), null=True, blank=True,
        help_text=_("Working time from arrival to resolution on the ticket's calendar, "
                    "less the time paused while waiting."))
    resolution_met = models.BooleanField(_("resolved in time"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("working seconds paused"), default=0)
    #: the last deadline alert sent (the scheduled check alerts once per stage)
    sla_alert = models.CharField(_("deadline alert sent"), max_length=16, blank=True,
                                 choices=SLAAlert.choices, default=SLAAlert.NONE)

    history = HistoricalRecords(excluded_fields=["version", "updated_at", "sla_alert",
                                                 "search_tokens"])
    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("assign_ticket", _("Can assign tickets to engineers")),
            ("work_ticket", _("Can work on assigned tickets")),
            ("supervise_ticket", _("Can work on any ticket")),
            ("evaluate_requirement", _("Can evaluate new requirements")),
            ("handle_complaint", _("Can handle complaints")),
            ("confirm_ticket", _("Can record the customer's confirmation")),
            ("close_ticket", _("Can close tickets")),
            ("cancel_ticket", _("Can cancel tickets")),
            ("reopen_ticket", _("Can reopen tickets")),
        ]
        indexes = [
            models.Index(fields=["state", "resolution_due"], name="ticket_state_due"),
            models.Index(fields=["state", "response_due"], name="ticket_state_response_due"),
            models.Index(fields=["assignee", "state"], name="ticket_assignee_state"),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer_recv"),
            models.Index(fields=["-received_at", "-id"], name="ticket_recv_order"),
            # weekly "resolved" and satisfaction figures of the dashboard and reports, and
            # monthly KPIs (satisfaction and its source included so PostgreSQL answers from
            # the index alone)
            models.Index(fields=["resolved_at", "satisfaction", "satisfaction_source"],
                         name="ticket_resolved_rating"),
            models.Index(fields=["closed_at"], name="ticket_closed_at"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    # -- SLA -----------------------------------------------------------------------------
    @property
    def is_open(self):
        return self.state in wf.OPEN_STATES

    def is_overdue(self, now=None):
        now = now or timezone.now()
        if not wf.clock_runs_on(self):
            return False
        if self.first_response_at is None and self.response_due and self.response_due < now:
            return True
        return bool(self.resolution_due and self.resolution_due < now)

    def _calendar(self):
        policy = self.sla_policy
        calendar = (policy.calendar if policy else None) or BusinessCalendar.default()
        return WorkingCalendar.load(calendar,
                                    round_the_clock=bool(policy and policy.round_the_clock))

    def schedule_deadlines(self):
        """(Re)compute the due dates from the policy, the arrival time and the pauses."""
        if self.sla_policy_id is None:
            self.sla_policy = SLAPolicy.for_ticket(self)
        policy = self.sla_policy
        if policy is None:
            self.response_due = self.resolution_due = None
            return
        cal = self._calendar()
        self.response_due = cal.add(self.received_at,
                                    policy.response_minutes * 60 + self.paused_seconds)
        self.resolution_due = cal.add(self.received_at,
                                      policy.resolution_minutes * 60 + self.paused_seconds)

    def _stamp_response(self, when=None):
        if self.first_response_at is None:
            self.first_response_at = when or timezone.now()
            self.response_met = (self.response_due is None
                                 or self.first_response_at <= self.response_due)
            waited = self._calendar().between(self.received_at, self.first_response_at)
            self.first_response_seconds = max(0, int(waited) - self.paused_seconds)

    def refresh_search_tokens(self):
        """The number is one of the searched texts: it is taken first (generate_data,
        writing rows without model instances, calls ``search_tokens`` on the same
        ``SEARCHED_TEXTS``)."""
        if not self.number:
            self.number = next_numbers(self.number_prefix)[0]
        super().refresh_search_tokens()

    def save(self, *args, **kwargs):
        adding = self._state.adding
        if adding and self.response_due is None:
            self.schedule_deadlines()
        super().save(*args, **kwargs)
        if adding and wf.clock_kind(self.state):
            # the level clock starts with the ticket (the transitions move it on)
            TicketClockSpan.objects.create(ticket=self, level=self.support_level,
                                           kind=wf.clock_kind(self.state),
                                           assignee_id=self.assignee_id,
                                           started_at=self.received_at)

    # -- workflow --------------------------------------------------------------------------
    @transition(field=state, source=[TicketStatus.NEW, TicketStatus.ASSIGNED],
                target=TicketStatus.ASSIGNED, permission=wf.can_assign,
                conditions=[wf.is_not_complaint],
                custom={"label": _("Assign"), "form": "backoffice.desk.forms.AssignForm",
                        "icon": "person_add", "variant": "primary"})
    def assign(self, assignee, support_level=None):
        self.assignee = assignee
        if support_level:
            self.support_level = support_level

    @transition(field=state, source=TicketStatus.ASSIGNED, target=TicketStatus.IN_PROGRESS,
                permission=wf.can_work, conditions=[wf.has_assignee],
                custom={"label": _("Start work"), "icon": "play_arrow", "variant": "primary"})
    def start(self):
        """Starting work is not answering the customer: the first message to them (or the
        first call note) stamps the response (desk services)."""

    @transition(field=state, source=TicketStatus.IN_PROGRESS, target=TicketStatus.WAITING,
                permission=wf.can_work,
                custom={"label": _("Wait for customer"), "icon": "pause"})
    def wait_for_customer(self):
        # asking the customer for something, a visit appointment and a complaint's
        # resolution are themselves answers to the customer
        self._stamp_response()
        self.paused_since = timezone.now()

    @transition(field=state, source=TicketStatus.WAITING, target=TicketStatus.IN_PROGRESS,
                permission=wf.can_work,
                custom={"label": _("Customer replied"), "icon": "play_arrow"})
    def resume(self):
        self._resume_clock()

    def _resume_clock(self):
        if self.paused_since:
            paused = self._calendar().between(self.paused_since, timezone.now())
            self.paused_seconds += int(paused)
            self.paused_since = None
            self.schedule_deadlines()

    @transition(field=state, source=TicketStatus.IN_PROGRESS, target=TicketStatus.WAITING_RND,
                permission=wf.can_work,
                custom={"label": _("Wait for R&D"), "form": "backoffice.desk.forms.RndForm",
                        "icon": "bug_report"})
    def wait_for_rnd(self, reference, target_version=None):
        """A product fix is needed: the ticket waits for R&D with the bug's reference. The
        customer is answered (they are told it goes to R&D); whether the clock pauses is
        the policy's rule."""
        self._stamp_response()
        self.rnd_reference = reference
        self.rnd_target_version = target_version
        if self.sla_policy is None or self.sla_policy.rnd_pauses_clock:
            self.paused_since = timezone.now()

    @transition(field=state, source=TicketStatus.WAITING_RND, target=TicketStatus.IN_PROGRESS,
                permission=wf.can_work,
                custom={"label": _("Fix delivered"), "icon": "play_arrow"})
    def rnd_delivered(self):
        """R&D delivered the fix (or the version shipped): work resumes on the ticket."""
        self._resume_clock()

    @transition(field=state, source=[TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS],
                target=TicketStatus.ASSIGNED, permission=wf.can_work,
                conditions=[wf.below_top_level],
                custom={"label": _("Escalate"), "form": "backoffice.desk.forms.EscalateForm",
                        "icon": "trending_up", "variant": "warning"})
    def escalate(self, assignee=None):
        self.support_level = self.support_level + 1
        if assignee is not None:
            self.assignee = assignee

    @transition(field=state, source=TicketStatus.IN_PROGRESS, target=TicketStatus.ON_SITE,
                permission=wf.can_work,
                custom={"label": _("Schedule on-site visit"),
                        "form": "backoffice.desk.forms.VisitForm", "icon": "directions_car"})
    def schedule_visit(self, visit_at, visit_address=""):
        self._stamp_response()
        self.visit_at = visit_at
        self.visit_address = visit_address or self.customer.address

    @transition(field=state, source=TicketStatus.ON_SITE, target=TicketStatus.IN_PROGRESS,
                permission=wf.can_work,
                custom={"label": _("Visit done"), "form": "backoffice.desk.forms.VisitDoneForm",
                        "icon": "task_alt"})
    def finish_visit(self, findings=""):
        if findings:
            self.process = f"{self.process}\n{findings}".strip()

    @transition(field=state,
                source=[TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS],
                target=TicketStatus.REQUIREMENT_REVIEW, permission=wf.can_refer,
                conditions=[wf.is_requirement],
                custom={"label": _("Send to business manager"), "icon": "request_quote"})
    def refer_requirement(self):
        pass

    @transition(field=state, source=TicketStatus.REQUIREMENT_REVIEW,
                target=TicketStatus.IN_PROGRESS, permission=wf.can_evaluate_requirement,
                custom={"label": _("Evaluate requirement"),
                        "form": "backoffice.desk.forms.RequirementForm",
                        "icon": "gavel", "variant": "primary"})
    def evaluate_requirement(self, decision, chargeable, planned_for=None, effort_days=None,
                             approach="", assignee=None):
        if assignee is not None:
            self.assignee = assignee
        self.requirement_decision = decision
        self.requirement_chargeable = chargeable
        self.requirement_planned_for = planned_for
        self.requirement_effort_days = effort_days
        self.requirement_approach = approach

    @transition(field=state,
                source=[TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS],
                target=TicketStatus.COMPLAINT_HANDLING, permission=wf.can_refer,
                conditions=[wf.is_complaint],
                custom={"label": _("Send to after-sales manager"), "icon": "report"})
    def refer_complaint(self):
        pass

    @transition(field=state, source=TicketStatus.COMPLAINT_HANDLING,
                target=TicketStatus.RESOLVED, permission=wf.can_handle_complaint,
                conditions=[wf.complaint_investigated],
                custom={"label": _("Resolve complaint"), "icon": "done_all",
                        "variant": "success"})
    def resolve_complaint(self, actor=None):
        self._stamp_response()
        self._stamp_resolution(actor)

    @transition(field=state, source=TicketStatus.IN_PROGRESS, target=TicketStatus.RESOLVED,
                permission=wf.can_work, conditions=[wf.has_solution],
                custom={"label": _("Resolve"), "icon": "done", "variant": "success"})
    def resolve(self, actor=None):
        self._stamp_resolution(actor)

    @transition(field=state, source=TicketStatus.NEW, target=TicketStatus.RESOLVED,
                permission=wf.can_resolve_on_first_contact,
                conditions=[wf.first_contact_category],
                custom={"label": _("Answer on the first call"),
                        "form": "backoffice.desk.forms.FirstContactForm", "icon": "call_end",
                        "variant": "success"})
    def resolve_on_first_contact(self, answer, actor=None):
        """Seed 003: usage questions and consultations are answered on the phone or WeChat
        by the clerk, who writes the answer; no engineer is assigned."""
        self.solution = answer
        self.first_contact_resolution = True
        self._stamp_response()
        self._stamp_resolution(actor)

    def _stamp_resolution(self, actor=None):
        self.resolved_at = timezone.now()
        self.resolution_met = self.resolution_due is None or self.resolved_at <= self.resolution_due
        self.resolved_by = actor
        worked = self._calendar().between(self.received_at, self.resolved_at)
        self.resolution_seconds = max(0, int(worked) - self.paused_seconds)

    @transition(field=state, source=TicketStatus.RESOLVED, target=TicketStatus.CONFIRMED,
                permission=wf.can_confirm,
                custom={"label": _("Customer confirms"),
                        "form": "backoffice.desk.forms.ConfirmForm", "icon": "verified",
                        "variant": "success"})
    def confirm(self, confirmed_by, satisfaction, feedback="", source=RatingSource.PHONE,
                actor=None):
        """The customer's confirmation, from their own link or taken on the phone by staff
        (then ``actor`` entered it). A low rating or a "still broken" comment is kept as
        a doubt: closing then needs staff to decide."""
        self.confirmed_by = confirmed_by
        self.confirmed_at = timezone.now()
        self.satisfaction = satisfaction
        self.satisfaction_source = source
        self.confirmation_entered_by = None if source == RatingSource.CUSTOMER_LINK else actor
        self.confirmation_doubt = wf.confirmation_doubt(satisfaction, feedback)[:200]
        if feedback:
            if self.category == Category.COMPLAINT:
                self.complaint_evaluation = feedback
            else:
                self.customer_feedback = feedback

    @transition(field=state, source=[TicketStatus.RESOLVED, TicketStatus.CONFIRMED],
                target=TicketStatus.IN_PROGRESS, permission=wf.can_reopen,
                conditions=[wf.is_not_complaint, wf.not_resolved_on_first_contact],
                custom={"label": _("Reopen (customer not satisfied)"),
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "replay", "variant": "danger"})
    def reopen(self):
        self._clear_resolution()

    @transition(field=state, source=[TicketStatus.RESOLVED, TicketStatus.CONFIRMED],
                target=TicketStatus.COMPLAINT_HANDLING, permission=wf.can_reopen,
                conditions=[wf.is_complaint],
                custom={"label": _("Reopen complaint"),
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "replay", "variant": "danger"})
    def reopen_complaint(self):
        self._clear_resolution()

    @transition(field=state, source=[TicketStatus.RESOLVED, TicketStatus.CONFIRMED],
                target=TicketStatus.NEW, permission=wf.can_reopen,
                conditions=[wf.is_not_complaint, wf.resolved_on_first_contact],
                custom={"label": _("Reopen to the desk"),
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "replay", "variant": "danger"})
    def reopen_to_desk(self):
        """The first-call answer did not help: the ticket goes back to be assigned."""
        self._clear_resolution()
        self.first_contact_resolution = False

    def _clear_resolution(self):
        self.resolved_at = None
        self.resolution_seconds = None
        self.resolution_met = None
        self.resolved_by = None
        self.confirmed_at = None
        self.confirmation_entered_by = None
        self.satisfaction = None
        self.satisfaction_source = ""
        self.confirmation_doubt = ""

    @transition(field=state, source=TicketStatus.CONFIRMED, target=TicketStatus.CLOSED,
                permission=wf.can_close,
                conditions=[wf.customer_confirmed, wf.confirmation_undoubted],
                custom={"label": _("Close and archive"), "icon": "archive"})
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=state, source=TicketStatus.CONFIRMED, target=TicketStatus.CLOSED,
                permission=wf.can_close,
                conditions=[wf.customer_confirmed, wf.confirmation_doubted],
                custom={"label": _("Close anyway"),
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "archive", "variant": "warning"})
    def close_anyway(self):
        """The customer said "solved" with a low rating or "still broken"; staff checked
        and close it all the same (the reason is journaled)."""
        self.closed_at = timezone.now()

    @transition(field=state,
                source=[TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
                        TicketStatus.WAITING, TicketStatus.WAITING_RND],
                target=TicketStatus.CANCELLED, permission=wf.can_cancel,
                custom={"label": _("Cancel"), "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "cancel", "variant": "danger"})
    def cancel(self):
        self.closed_at = timezone.now()


class TicketEvent(JournalEntry):
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="events",
                               verbose_name=_("ticket"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("ticket journal entry")
        verbose_name_plural = _("ticket journal")
