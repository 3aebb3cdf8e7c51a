"""Software update notices, their recipients (customers) and both journals."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.care import workflows as cw
from backoffice.care.workflows import FollowUpKind, NoticeChannel, NoticeStatus, RecipientStatus
from backoffice.desk.models import Customer, InstalledProduct, Product, ProductVersion
from backoffice.platform.models import JournalEntry, NumberedModel, VersionedModel


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
        from backoffice.care.models.followups import FollowUp

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
