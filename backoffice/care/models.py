"""Customer care after the fix: maintenance plans and visits, software update notices,
follow-up calls and satisfaction surveys (回访)."""

import calendar
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
from backoffice.care.workflows import (
    CallOutcome,
    FollowUpKind,
    FollowUpStatus,
    MaintenanceCycle,
    NoticeChannel,
    NoticeStatus,
    RecipientStatus,
    VisitStatus,
)
from backoffice.desk.models import (
    Contact,
    Customer,
    InstalledProduct,
    Product,
    ProductVersion,
    Ticket,
)
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel

RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
MAX_LEAD_DAYS = 90


# -- schedule arithmetic ---------------------------------------------------------------
def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """``day`` moved by ``months``, on ``anchor_day`` or the month's last day if shorter.

    Anchoring keeps a plan that started on the 31st on the last day of every month
    (31 Jan → 28 Feb → 31 Mar) instead of drifting to the 28th for good.
    """
    anchor = anchor_day or day.day
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return dt.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def advance(day: dt.date, cycle: str, anchor_day: int | None = None) -> dt.date:
    """The due date one cycle after ``day``."""
    months, days = cw.CYCLE_STEP[cycle]
    if months:
        return add_months(day, months, anchor_day)
    return day + dt.timedelta(days=days)


# -- maintenance -----------------------------------------------------------------------
class MaintenancePlan(NumberedModel, VersionedModel):
    """Periodic maintenance a customer is owed: what, how often, by whom, when next."""

    number_prefix = "MP"

    customer = models.ForeignKey(Customer, models.PROTECT, related_name="maintenance_plans",
                                 verbose_name=_("customer"))
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True,
                                related_name="maintenance_plans", verbose_name=_("product"))
    title = models.CharField(_("title"), max_length=200)
    system_check = models.BooleanField(_("system check"), default=True)
    data_backup = models.BooleanField(_("data backup"), default=False)
    performance_tuning = models.BooleanField(_("performance tuning"), default=False)
    content = models.TextField(_("content"), blank=True,
                               help_text=_("Checklist and details of each visit."))
    cycle = models.CharField(_("cycle"), max_length=16, choices=MaintenanceCycle.choices,
                             default=MaintenanceCycle.QUARTERLY)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               help_text=_("End of the maintenance contract; empty: open-ended."))
    next_due = models.DateField(_("next due"), null=True, blank=True, db_index=True,
                                help_text=_("Due date of the next visit not yet planned; "
                                            "empty: the start date."))
    lead_days = models.PositiveSmallIntegerField(
        _("plan ahead (days)"), default=7, validators=[MaxValueValidator(MAX_LEAD_DAYS)],
        help_text=_("The visit is created this many days before it is due."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["customer", "title"]
        constraints = [models.CheckConstraint(
            condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
            name="maintenance_plan_ends_after_start")]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    def clean(self):
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})

    def save(self, *args, **kwargs):
        if self.next_due is None:
            self.next_due = self.starts_on
        super().save(*args, **kwargs)

    def following(self, day: dt.date) -> dt.date:
        """The due date one cycle after ``day``, anchored on the start date's day."""
        return advance(day, self.cycle, self.starts_on.day)

    def tasks(self) -> list[str]:
        names = [("system_check", _("system check")), ("data_backup", _("data backup")),
                 ("performance_tuning", _("performance tuning"))]
        return [str(label) for name, label in names if getattr(self, name)]


class MaintenanceVisit(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """One visit of a plan, with what the engineer found."""

    number_prefix = "MV"

    state = FSMField(_("state"), max_length=32, choices=VisitStatus.choices,
                     default=VisitStatus.PLANNED, protected=True, db_index=True)
    plan = models.ForeignKey(MaintenancePlan, models.PROTECT, related_name="visits",
                             verbose_name=_("maintenance plan"))
    due_on = models.DateField(_("due on"), db_index=True)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("engineer"))
    appointment = models.DateTimeField(_("appointment"), null=True, blank=True)
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    signed_by = models.CharField(_("signed by (customer)"), max_length=100, blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("maintenance visit")
        verbose_name_plural = _("maintenance visits")
        ordering = ["due_on", "id"]
        permissions = [
            ("record_maintenancevisit", _("Can record own maintenance visits")),
            ("supervise_maintenancevisit", _("Can record or skip any maintenance visit")),
        ]
        constraints = [models.UniqueConstraint(fields=["plan", "due_on"],
                                               name="uniq_visit_per_due_date")]

    def __str__(self):
        return f"{self.number} {self.due_on}"

    def is_overdue(self, today=None):
        return self.state == VisitStatus.PLANNED and self.due_on < (today or timezone.localdate())

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.PLANNED,
                permission=cw.can_record_visit,
                custom={"label": _("Make appointment"), "icon": "event",
                        "form": "backoffice.care.forms.VisitAppointmentForm"})
    def make_appointment(self, appointment):
        self.appointment = appointment

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.DONE,
                permission=cw.can_record_visit,
                custom={"label": _("Record visit"), "icon": "task_alt", "variant": "success",
                        "form": "backoffice.care.forms.VisitRecordForm"})
    def complete(self, performed_on, findings, work_done="", signed_by="", actor=None):
        self.performed_on = performed_on
        self.findings = findings
        self.work_done = work_done
        self.signed_by = signed_by
        if self.engineer_id is None and actor is not None:
            self.engineer = actor

    @transition(field=state, source=VisitStatus.PLANNED, target=VisitStatus.SKIPPED,
                permission=cw.can_skip_visit,
                custom={"label": _("Skip this visit"), "icon": "event_busy",
                        "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def skip(self):
        pass


class MaintenanceVisitEvent(JournalEntry):
    visit = models.ForeignKey(MaintenanceVisit, models.CASCADE, related_name="events",
                              verbose_name=_("maintenance visit"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("visit journal entry")
        verbose_name_plural = _("visit journal")


# -- software update notices -----------------------------------------------------------
def version_key(version) -> tuple:
    """Sort key of a product version: release date, then the numbers in its name."""
    numbers = tuple(int(part) if part.isdigit() else 0
                    for part in str(version.version).replace("-", ".").split("."))
    return (version.released_on or dt.date.min, numbers)


class UpdateNotice(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A new product version announced to every customer still on an older one."""

    number_prefix = "UN"

    state = FSMField(_("state"), max_length=32, choices=NoticeStatus.choices,
                     default=NoticeStatus.DRAFT, protected=True, db_index=True)
    product = models.ForeignKey(Product, models.PROTECT, related_name="update_notices",
                                verbose_name=_("product"))
    # not "version": that name is VersionedModel's optimistic-lock counter
    new_version = models.ForeignKey(ProductVersion, models.PROTECT,
                                    related_name="update_notices",
                                    verbose_name=_("new version"))
    title = models.CharField(_("title"), max_length=200)
    release_notes = models.TextField(_("release notes"), blank=True)
    update_from = models.DateField(_("update window from"), null=True, blank=True)
    update_until = models.DateField(_("update window until"), null=True, blank=True)
    followup_after_days = models.PositiveSmallIntegerField(
        _("return visit after (days)"), default=7,
        help_text=_("The return visit (回访) is due this many days after a customer updated."))
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("announced by"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("software update notice")
        verbose_name_plural = _("software update notices")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_updatenotice", _("Can announce and close update notices"))]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    def clean(self):
        if (self.new_version_id and self.product_id
                and self.new_version.product_id != self.product_id):
            raise ValidationError({"new_version": _("This version belongs to another product.")})
        if self.update_from and self.update_until and self.update_until < self.update_from:
            raise ValidationError({"update_until": _("The window ends before it starts.")})

    def older_installations(self):
        """Installations of the product on a version older than this one (or unknown)."""
        new_key = version_key(self.new_version)
        older = [v.pk for v in self.product.versions.all() if version_key(v) < new_key]
        return (InstalledProduct.objects.filter(product_id=self.product_id)
                .filter(models.Q(version_id__in=older) | models.Q(version__isnull=True)))

    def sync_recipients(self) -> int:
        """Add a recipient for each customer on an older version; returns how many."""
        known = set(self.recipients.values_list("customer_id", flat=True))
        new = [UpdateRecipient(notice=self, customer_id=inst.customer_id, installation=inst,
                               from_version_id=inst.version_id)
               for inst in self.older_installations().order_by("customer_id")
               if inst.customer_id not in known]
        from simple_history.utils import bulk_create_with_history

        bulk_create_with_history(new, UpdateRecipient, batch_size=500,
                                 default_change_reason="announce")
        return len(new)

    @transition(field=state, source=NoticeStatus.DRAFT, target=NoticeStatus.ANNOUNCED,
                permission=cw.can_manage_notice, conditions=[cw.has_release_notes],
                custom={"label": _("Announce"), "icon": "campaign", "variant": "primary"})
    def announce(self, actor):
        self.announced_at = timezone.now()
        self.announced_by = actor
        self.sync_recipients()

    @transition(field=state, source=NoticeStatus.ANNOUNCED, target=NoticeStatus.ANNOUNCED,
                permission=cw.can_manage_notice,
                custom={"label": _("Add customers who are still on older versions"),
                        "icon": "group_add"})
    def refresh_recipients(self):
        self.sync_recipients()

    @transition(field=state, source=NoticeStatus.ANNOUNCED, target=NoticeStatus.CLOSED,
                permission=cw.can_manage_notice,
                custom={"label": _("Close"), "icon": "archive"})
    def close(self):
        pass

    @transition(field=state, source=NoticeStatus.DRAFT, target=NoticeStatus.CANCELLED,
                permission=cw.can_manage_notice,
                custom={"label": _("Cancel"), "icon": "cancel", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def cancel(self):
        pass


class UpdateNoticeEvent(JournalEntry):
    notice = models.ForeignKey(UpdateNotice, models.CASCADE, related_name="events",
                               verbose_name=_("software update notice"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("notice journal entry")
        verbose_name_plural = _("notice journal")


class UpdateRecipient(ConcurrentTransitionMixin, VersionedModel):
    """One customer of an update notice: notified when and how, updated when."""

    state = FSMField(_("state"), max_length=32, choices=RecipientStatus.choices,
                     default=RecipientStatus.PENDING, protected=True, db_index=True)
    notice = models.ForeignKey(UpdateNotice, models.CASCADE, related_name="recipients",
                               verbose_name=_("software update notice"))
    customer = models.ForeignKey(Customer, models.PROTECT, related_name="update_notices",
                                 verbose_name=_("customer"))
    installation = models.ForeignKey(InstalledProduct, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("installation"))
    from_version = models.ForeignKey(ProductVersion, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("version before"))
    channel = models.CharField(_("notified by"), max_length=16, blank=True,
                               choices=NoticeChannel.choices)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("notified by"))
    updated_on = models.DateField(_("updated on"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("update notice recipient")
        verbose_name_plural = _("update notice recipients")
        ordering = ["notice", "customer__code"]
        permissions = [("handle_updaterecipient",
                        _("Can record notifications and updates of customers"))]
        constraints = [models.UniqueConstraint(fields=["notice", "customer"],
                                               name="uniq_notice_customer")]

    def __str__(self):
        return f"{self.notice.number} · {self.customer}"

    @transition(field=state, source=RecipientStatus.PENDING, target=RecipientStatus.NOTIFIED,
                permission=cw.can_handle_recipient,
                custom={"label": _("Notified"), "icon": "mark_email_read", "variant": "primary",
                        "form": "backoffice.care.forms.RecipientNotifyForm"})
    def notify(self, channel, contact_person="", actor=None):
        self.channel = channel
        self.contact_person = contact_person
        self.notified_at = timezone.now()
        self.notified_by = actor

    @transition(field=state, source=RecipientStatus.NOTIFIED, target=RecipientStatus.UPDATED,
                permission=cw.can_handle_recipient,
                custom={"label": _("Customer updated"), "icon": "system_update_alt",
                        "variant": "success",
                        "form": "backoffice.care.forms.RecipientUpdatedForm"})
    def mark_updated(self, updated_on, actor=None):
        """Records the update on the installation and books the return visit (回访)."""
        self.updated_on = updated_on
        installation = self.installation
        if installation is not None and installation.version_id != self.notice.new_version_id:
            installation.version = self.notice.new_version
            installation._history_user = actor
            installation._change_reason = f"update notice {self.notice.number}"
            installation.save()
        FollowUp.objects.get_or_create(
            update_recipient=self,
            defaults={"kind": FollowUpKind.UPDATE, "customer": self.customer,
                      "contact": self.customer.contacts.order_by("-is_primary", "pk").first(),
                      "assignee": self.notified_by,
                      "due_on": updated_on + dt.timedelta(days=self.notice.followup_after_days),
                      "subject": gettext("Return visit after the update to %(version)s")
                      % {"version": self.notice.new_version}})

    @transition(field=state, source=[RecipientStatus.PENDING, RecipientStatus.NOTIFIED],
                target=RecipientStatus.DECLINED, permission=cw.can_handle_recipient,
                custom={"label": _("Declined / not applicable"), "icon": "block",
                        "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def decline(self):
        pass


class UpdateRecipientEvent(JournalEntry):
    recipient = models.ForeignKey(UpdateRecipient, models.CASCADE, related_name="events",
                                  verbose_name=_("update notice recipient"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("recipient journal entry")
        verbose_name_plural = _("recipient journal")


# -- follow-ups and satisfaction surveys -----------------------------------------------
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
                permission=cw.can_follow_up,
                custom={"label": _("Record the call"), "icon": "support_agent",
                        "variant": "success",
                        "form": "backoffice.care.forms.FollowUpRecordForm"})
    def record(self, outcome, rating=None, remarks="", actor=None):
        """The survey feeds the ticket's satisfaction; a persisting problem opens a ticket."""
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
        ticket = self.ticket
        if ticket is not None and rating:
            ticket.satisfaction = rating
            if remarks:
                ticket.customer_feedback = "\n".join(
                    part for part in [ticket.customer_feedback,
                                      f"{gettext('Follow-up')} {self.number}: {remarks}"] if part)
            ticket._history_user = actor
            ticket._change_reason = f"follow-up {self.number}"
            ticket.save()
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
