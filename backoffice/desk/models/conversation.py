"""The conversation on a ticket: messages (calls, mails, chats, notes), their
attachments, canned replies, and the mails the support mailbox received."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk import workflows as wf
from backoffice.desk.models.customers import Contact, Customer
from backoffice.desk.models.tickets import Ticket
from backoffice.desk.workflows import Category, Channel, MailState, MessageDirection
from backoffice.platform.files import FileTypeValidator, PrivateStorage, random_path
from backoffice.platform.models import JournalEntry, StateGuardedQuerySet, VersionedModel

ATTACHMENT_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "log", "csv",
                         "json", "xml", "zip", "mp3", "wav", "m4a", "ogg")


def attachment_storage():
    return PrivateStorage("admin:backoffice_ticketattachment_file")


def attachment_path(attachment, filename: str) -> str:
    return random_path("tickets", filename)


def mail_storage():
    return PrivateStorage("admin:backoffice_inboundmail_raw")


def mail_path(mail, filename: str) -> str:
    return random_path("mailbox", filename)


class TicketMessage(models.Model):
    """One contact with the customer, or a note between colleagues, on a ticket."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="messages",
                               verbose_name=_("ticket"))
    direction = models.CharField(_("direction"), max_length=16,
                                 choices=MessageDirection.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices,
                               blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    #: who wrote from the customer's side (a contact's name, a mail's From)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("when"), default=timezone.now)
    #: the mail's Message-ID (received or sent), so a thread is matched and never doubled
    mail_message_id = models.CharField(_("mail message ID"), max_length=255, blank=True,
                                       db_index=True)
    mail_to = models.CharField(_("mailed to"), max_length=254, blank=True)
    mail_status = models.CharField(_("mail"), max_length=16, blank=True,
                                   choices=[("queued", _("queued")), ("sent", _("sent")),
                                            ("failed", _("failed"))])
    mail_error = models.TextField(_("mail error"), blank=True)
    history = HistoricalRecords(excluded_fields=["mail_status", "mail_error"])

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["ticket", "sent_at"], name="message_ticket_sent")]

    def __str__(self):
        return f"{self.ticket.number} {self.get_direction_display()} {self.sent_at:%Y-%m-%d %H:%M}"

    @property
    def is_internal(self):
        return self.direction == MessageDirection.INTERNAL


class TicketAttachment(models.Model):
    """A screenshot, log or export on a ticket (on one of its messages, or on the ticket).

    Stored privately: the link goes through a view that checks the viewer may see the
    ticket."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="attachments",
                               verbose_name=_("ticket"))
    message = models.ForeignKey(TicketMessage, models.CASCADE, null=True, blank=True,
                                related_name="attachments", verbose_name=_("message"))
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=attachment_storage, max_length=200,
        validators=[FileTypeValidator(ATTACHMENT_EXTENSIONS, "TICKET_ATTACHMENT_MAX_BYTES",
                                      10 * 1024 * 1024, _("Attachment"))])
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.filename


class CannedReply(VersionedModel):
    """A ready answer the desk inserts into a reply (per problem category, or for all)."""

    title = models.CharField(_("title"), max_length=120)
    category = models.CharField(_("problem category"), max_length=16, blank=True,
                                choices=Category.choices,
                                help_text=_("Empty: offered on tickets of every category."))
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["category", "title"]

    def __str__(self):
        return self.title


class InboundMail(ConcurrentTransitionMixin, VersionedModel):
    """A mail the support mailbox received, and what the reader did with it.

    Filed mails became a ticket or a message on one; mails from an unknown sender wait in
    the queue until a clerk files them for a customer (or discards them); refused mails
    (loops, auto-replies, oversized) are kept as a log line with the reason."""

    state = FSMField(_("state"), max_length=16, choices=MailState.choices,
                     default=MailState.QUEUED, protected=True, db_index=True)
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    folder = models.CharField(_("folder"), max_length=100, blank=True)
    uid = models.CharField(_("IMAP UID"), max_length=32, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True, db_index=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    raw = models.FileField(_("original mail"), upload_to=mail_path, storage=mail_storage,
                           max_length=200, blank=True)
    customer = models.ForeignKey(Customer, models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact"))
    ticket = models.ForeignKey(Ticket, models.SET_NULL, null=True, blank=True,
                               related_name="mails", verbose_name=_("ticket"))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])
    objects = StateGuardedQuerySet.as_manager()

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("support mailbox")
        ordering = ["-received_at", "-id"]
        permissions = [("file_inboundmail", _("Can file mails of unknown senders"))]
        constraints = [models.UniqueConstraint(
            fields=["message_id"], condition=~models.Q(message_id=""),
            name="inboundmail_message_once")]

    def __str__(self):
        return f"{self.sender}: {self.subject}"

    @transition(field=state, source=MailState.QUEUED, target=MailState.FILED,
                permission=wf.can_file_mail,
                custom={"label": _("File for a customer"),
                        "form": "backoffice.desk.forms.FileMailForm", "icon": "move_to_inbox",
                        "variant": "primary"})
    def file_for_customer(self, customer, contact=None, actor=None):
        """The ticket itself is opened by the step's side effect (desk mailbox), recorded
        by the clerk who filed the mail."""
        self.customer, self.contact = customer, contact

    @transition(field=state, source=MailState.QUEUED, target=MailState.DISCARDED,
                permission=wf.can_file_mail,
                custom={"label": _("Discard"),
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm",
                        "icon": "delete", "variant": "danger"})
    def discard(self):
        pass


class InboundMailEvent(JournalEntry):
    mail = models.ForeignKey(InboundMail, models.CASCADE, related_name="events",
                             verbose_name=_("received mail"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("mailbox journal entry")
        verbose_name_plural = _("mailbox journal")
