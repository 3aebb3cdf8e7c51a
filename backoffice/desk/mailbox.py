"""The support mailbox, read over IMAP: new mails become tickets, replies become messages.

The reader looks at each unread mail's headers first (size, loops, auto-replies) and
downloads a body only for a mail it keeps, so an oversized mail costs a few hundred bytes.
Each mail is recorded in its own transaction and marked seen only once recorded: a crash
repeats at most that mail, and the unique Message-ID of ``InboundMail`` keeps it from
being filed twice (also when two readers run at once).
"""

import imaplib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.utils import formataddr, getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from imap_tools import MailBox, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxFetchError, MailboxFlagError
from imap_tools.utils import check_command_status

from backoffice.desk.models import Contact, InboundMail, Ticket, TicketAttachment, TicketMessage
from backoffice.desk.services import open_ticket, post_message
from backoffice.desk.workflows import Channel, MailState, MessageDirection, TicketStatus
from backoffice.platform import roles, workflow

log = logging.getLogger(__name__)

#: Chinese mails often say gb2312 and use GBK characters; GB18030 reads all three
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
                   "cp936": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030",
                   "us-ascii": "utf-8", "ascii": "utf-8"}
AUTO_REPLY_SUBJECT = re.compile(
    r"^[\s\[(【〔]*(auto[-\s]?reply|auto[-\s]?response|autoreply|automatic\s+reply|"
    r"out\s+of\s+(the\s+)?office|自动回复|自動回覆|自動回復|自动答复|自動答覆)", re.I)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
TICKET_NUMBER = re.compile(rf"\[\s*({Ticket.number_prefix}\d{{6}}-\d{{4,}})\s*\]", re.I)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
#: a reply to a ticket in these states opens a new ticket (services refuse new contacts)
FINISHED = {TicketStatus.CLOSED, TicketStatus.CANCELLED}


# -- reading a mail ---------------------------------------------------------------------
def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in its declared charset, else UTF-8, else GB18030; never an exception."""
    declared = (charset or "").strip().strip('"').lower()
    candidates = [CHARSET_ALIASES.get(declared, declared)] if declared else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def decode_words(value) -> str:
    """A header's text: RFC 2047 words decoded (gb2312 read as GB18030), raw 8-bit too."""
    if value is None:
        return ""
    out = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset))
        elif any("\udc80" <= c <= "\udcff" for c in chunk):  # undeclared 8-bit header
            out.append(decode_bytes(chunk.encode("ascii", "surrogateescape"), None))
        else:
            out.append(chunk)
    return re.sub(r"[\s\x00]+", " ", "".join(out)).strip()


class _HTMLText(HTMLParser):
    """HTML as readable plain text: blocks become lines, scripts and styles vanish."""

    BLOCKS = {"p", "div", "br", "tr", "table", "ul", "ol", "blockquote", "pre", "hr",
              "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden, self.href = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "a":
            self.href = dict(attrs).get("href") or None
        elif tag == "img" and dict(attrs).get("alt"):
            self.parts.append(f"[{dict(attrs)['alt']}]")

    def handle_startendtag(self, tag, attrs):
        if tag not in self.HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self.href:
            if self.href.startswith(("http://", "https://")) and self.href not in self.parts[-1:]:
                self.parts.append(f" ({self.href})")
            self.href = None

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_attachment(part) -> bool:
    return (part.get_content_disposition() == "attachment"
            or part.get_filename() is not None)


def body_text(msg: MailMessage) -> str:
    """The mail's plain text; for an HTML-only mail, its text rendering."""
    plain, markup = [], []
    for part in msg.obj.walk():
        if part.is_multipart() or part.get_content_maintype() != "text" or _is_attachment(part):
            continue
        payload = part.get_payload(decode=True) or b""
        text = decode_bytes(payload, part.get_content_charset())
        (markup if part.get_content_subtype() == "html" else plain).append(text)
    text = "\n".join(t.strip() for t in plain if t.strip())
    if not text and markup:
        text = "\n\n".join(html_to_text(m) for m in markup)
    return text.replace("\r\n", "\n").replace("\x00", "").strip()


@dataclass
class Content:
    """What a mail brings to a ticket: its text, the attachments that pass the checks, and
    a line for each one that did not."""

    text: str
    uploads: list = field(default_factory=list)
    dropped: list = field(default_factory=list)

    def body(self) -> str:
        notes = "\n".join(f"[{note}]" for note in self.dropped)
        return "\n\n".join(p for p in (self.text or _("(no text)"), notes) if p)


def read_content(msg: MailMessage) -> Content:
    """Text and attachments, each attachment checked like an upload (type by its bytes,
    size): a refused one is dropped with a note, the mail is kept."""
    content = Content(body_text(msg))
    validators = TicketAttachment._meta.get_field("file").validators
    for n, attachment in enumerate(msg.attachments, 1):
        if attachment.content_type in {"text/plain", "text/html"} and not attachment.filename:
            continue  # a body part with a Content-ID, not a file
        name = _file_name(attachment.filename) or (
            f"attachment-{n}{mimetypes.guess_extension(attachment.content_type) or '.bin'}")
        upload = SimpleUploadedFile(name, attachment.payload,
                                    content_type=attachment.content_type[:100])
        try:
            for validate in validators:
                validate(upload)
        except ValidationError as exc:
            content.dropped.append(_("Attachment “%(name)s” was not kept: %(reason)s")
                                   % {"name": name, "reason": " ".join(exc.messages)})
            continue
        content.uploads.append(upload)
    return content


def _file_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f]", "", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    return name.strip()[-255:]


@dataclass
class Head:
    """What the headers say, before any body is downloaded."""

    uid: str
    message_id: str
    sender: str
    sender_name: str
    subject: str
    received_at: object
    size: int
    headers: dict
    thread_ids: list

    @classmethod
    def of(cls, msg: MailMessage, uid="", size=0):
        obj = msg.obj
        addresses = getaddresses([str(v) for v in obj.get_all("From", [])])
        name, address = addresses[0] if addresses else ("", "")
        ids = MESSAGE_ID.findall(" ".join(str(v) for v in obj.get_all("In-Reply-To", [])))
        ids += [i for i in MESSAGE_ID.findall(" ".join(str(v) for v in
                                                       obj.get_all("References", [])))
                if i not in ids]
        message_id = MESSAGE_ID.findall(str(obj.get("Message-ID", "")))
        return cls(uid=uid or (msg.uid or ""), message_id=(message_id[0] if message_id else "")[:255],
                   sender=address.strip().lower()[:254], sender_name=decode_words(name)[:200],
                   subject=decode_words(obj.get("Subject"))[:300],
                   received_at=_sent_at(obj.get("Date")), size=size,
                   headers={k.lower(): str(v) for k, v in obj.items()}, thread_ids=ids[:50])

    @property
    def display_sender(self) -> str:
        return formataddr((self.sender_name, self.sender))[:254] if self.sender_name \
            else self.sender


def _sent_at(value):
    """The Date header, never later than now (a wrong clock must not move SLA deadlines)."""
    now = timezone.now()
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return min(when, now)


# -- what is refused --------------------------------------------------------------------
def refusal(head: Head) -> str:
    """Why the mail is not taken (too large, a loop, an auto-reply), or ""."""
    limit = settings.MAIL_INTAKE_MAX_BYTES
    if head.size > limit:
        return _("Too large: %(size).1f MB (the limit is %(limit).1f MB).") % {
            "size": head.size / 1024 / 1024, "limit": limit / 1024 / 1024}
    ours = settings.SUPPORT_MAIL_ADDRESS.strip().lower()
    h = head.headers
    if ours and head.sender == ours:
        return _("Mail loop: sent from our own address %(address)s.") % {"address": ours}
    if ours and ours in h.get("x-loop", "").lower():
        return _("Mail loop: its X-Loop header names us.")
    outgoing = TicketMessage.objects.filter(direction=MessageDirection.TO_CUSTOMER)
    if head.message_id and outgoing.filter(mail_message_id=head.message_id).exists():
        return _("Mail loop: it is one of our own replies.")
    domain = ours.rsplit("@", 1)[-1]
    if domain and head.sender.endswith("@" + domain) and head.thread_ids and \
            outgoing.filter(mail_message_id__in=head.thread_ids).exists():
        return _("Mail loop: an answer from our own domain to one of our replies.")
    auto = h.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return _("Auto-reply (Auto-Submitted: %(value)s).") % {"value": auto}
    for name in ("x-autoreply", "x-autorespond"):
        if name in h:
            return _("Auto-reply (%(header)s header).") % {"header": name.title()}
    precedence = h.get("precedence", "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return _("Auto-reply or bulk mail (Precedence: %(value)s).") % {"value": precedence}
    if "multipart/report" in h.get("content-type", "").lower():
        return _("Delivery report (bounce).")
    if AUTO_REPLY_SUBJECT.search(head.subject):
        return _("Auto-reply (subject “%(subject)s”).") % {"subject": head.subject[:80]}
    return ""


# -- where a mail goes ------------------------------------------------------------------
def sender_contacts(address: str) -> list:
    """Contacts of active customers with this address (case-insensitive)."""
    if not address:
        return []
    return list(Contact.objects.filter(email__iexact=address, customer__is_active=True)
                .select_related("customer").order_by("-is_primary", "pk"))


def referenced_ticket(head: Head, customer_ids) -> tuple:
    """(ticket, why not) for a reply: the thread (In-Reply-To/References) names one of our
    messages, or the subject carries a ticket number and the sender speaks for that
    ticket's customer (``customer_ids``; numbers are easy to guess, so a stranger's mail
    waits in the queue)."""
    if head.thread_ids:
        message = (TicketMessage.objects.filter(mail_message_id__in=head.thread_ids)
                   .select_related("ticket__customer").order_by("-sent_at", "-pk").first())
        if message is not None:
            return message.ticket, ""
    match = TICKET_NUMBER.search(head.subject)
    if match:
        ticket = (Ticket.objects.filter(number=match.group(1).upper())
                  .select_related("customer").first())
        if ticket is not None:
            if ticket.customer_id in customer_ids:
                return ticket, ""
            return None, _("The subject names ticket %(number)s, but the sender is not a "
                           "contact of its customer.") % {"number": ticket.number}
    return None, ""


class AlreadyRecorded(Exception):
    """Another run recorded this Message-ID first."""


def _record(head: Head, folder: str, state, *, reason="", raw=None, **links) -> InboundMail:
    """The mail's row, first write of its transaction: the Message-ID's unique key makes a
    second reader of the same mail stop here."""
    mail = InboundMail(state=state, message_id=head.message_id, folder=folder[:100],
                       uid=head.uid[:32], sender=head.sender, sender_name=head.sender_name,
                       subject=head.subject, received_at=head.received_at, size=head.size,
                       reason=reason, **links)
    mail._history_user = roles.system_user()
    if raw is not None:
        mail.raw.save("mail.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            mail.save()
    except IntegrityError:
        if mail.raw:
            mail.raw.delete(save=False)
        if head.message_id and InboundMail.objects.filter(message_id=head.message_id).exists():
            raise AlreadyRecorded from None
        raise
    return mail


def _notes(*parts) -> str:
    return "\n".join(p for p in parts if p)


def file_mail(head: Head, msg: MailMessage, raw: bytes, folder: str) -> str:
    """Record a downloaded mail and put it where it belongs; returns the outcome."""
    content = read_content(msg)
    contacts = sender_contacts(head.sender)
    ticket, why = referenced_ticket(head, {c.customer_id for c in contacts})
    dropped = "\n".join(content.dropped)
    customers = {c.customer_id: c.customer for c in contacts}
    if ticket is None and (why or len(customers) != 1):
        if not why and len(customers) > 1:
            why = _("The address belongs to contacts of several customers: %(names)s.") % {
                "names": ", ".join(c.name for c in customers.values())}
        elif not why and not head.sender:
            why = _("The mail has no sender address.")
        _record(head, folder, MailState.QUEUED, reason=_notes(why, dropped), raw=raw)
        return "queued"
    if ticket is not None and ticket.state not in FINISHED:
        contact = next((c for c in contacts if c.customer_id == ticket.customer_id), None)
        mail = _record(head, folder, MailState.FILED, reason=dropped, raw=raw,
                       customer=ticket.customer, contact=contact)
        _post(ticket, head, content)
        outcome = "messages"
    else:
        if ticket is not None:  # a reply to a finished ticket: a new ticket of its customer
            customer = ticket.customer
            why = _("A reply to the closed ticket %(number)s: opened as a new ticket.") % {
                "number": ticket.number}
        else:
            customer = next(iter(customers.values()))
        contact = next((c for c in contacts if c.customer_id == customer.pk), None)
        mail = _record(head, folder, MailState.FILED, reason=_notes(why, dropped), raw=raw,
                       customer=customer, contact=contact)
        ticket = _open(customer, contact, head, content, actor=roles.system_user())
        outcome = "tickets"
    mail.ticket = ticket
    mail.save(update_fields=["ticket"])
    return outcome


def _open(customer, contact, head: Head, content: Content, *, actor) -> Ticket:
    ticket = open_ticket(customer=customer, contact=contact,
                         subject=head.subject or _("(no subject)"), channel=Channel.EMAIL,
                         description=content.text, actor=actor,
                         received_at=head.received_at)
    _post(ticket, head, content)
    return ticket


def _post(ticket, head: Head, content: Content):
    return post_message(ticket, direction=MessageDirection.FROM_CUSTOMER,
                        channel=Channel.EMAIL, body=content.body(),
                        sender=head.display_sender, files=content.uploads,
                        sent_at=head.received_at, mail_message_id=head.message_id,
                        check_author=False)


@workflow.side_effect(InboundMail, "file_for_customer")
def open_ticket_for_queued_mail(mail, customer, contact=None, actor=None):
    """A clerk recognised the sender: the stored mail (with its attachments) becomes a
    message on the customer's ticket it answers, else a new ticket of that customer."""
    if not mail.raw:
        raise ValidationError(_("The original of this mail is no longer stored; it cannot "
                                "be filed."))
    with mail.raw.open("rb") as handle:
        msg = MailMessage.from_bytes(handle.read())
    head = Head.of(msg, uid=mail.uid, size=mail.size)
    head.received_at = mail.received_at
    content = read_content(msg)
    ticket, _why = referenced_ticket(head, {customer.pk})
    if ticket is not None and ticket.customer_id == customer.pk and ticket.state not in FINISHED:
        _post(ticket, head, content)
    else:
        ticket = _open(customer, contact, head, content, actor=actor or roles.system_user())
    mail.ticket = ticket


# -- the reader -------------------------------------------------------------------------
def connect():
    box = MailBox if settings.MAIL_INTAKE_SSL else MailBoxUnencrypted
    return box(settings.MAIL_INTAKE_HOST, settings.MAIL_INTAKE_PORT, timeout=60).login(
        settings.MAIL_INTAKE_USER, settings.MAIL_INTAKE_PASSWORD,
        initial_folder=settings.MAIL_INTAKE_FOLDER)


def _flag(mailbox, uid: str, *flags: str):
    """STORE without imap-tools' flag(), which also EXPUNGEs (and so would destroy mails
    another client marked deleted)."""
    result = mailbox.client.uid("STORE", uid, "+FLAGS", f"({' '.join(flags)})")
    check_command_status(result, MailboxFlagError)


class MailboxUnavailable(Exception):
    """The IMAP connection failed: the run ends, the mail stays unread."""


def _download(mailbox, uid: str):
    """(message, raw bytes), or None when the mail is gone; never marks it seen."""
    try:
        result = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[] UID RFC822.SIZE)")
        check_command_status(result, MailboxFetchError)
    except (imaplib.IMAP4.error, MailboxFetchError, OSError) as exc:
        raise MailboxUnavailable(str(exc)) from exc
    raw = next((item[1] for item in result[1] if isinstance(item, tuple)), None)
    return None if raw is None else (MailMessage.from_bytes(raw), raw)


def fetch_mailbox(limit=None) -> dict:
    """Read the unread mails of the support mailbox (at most ``limit``, by default
    MAIL_INTAKE_BATCH); return how many went where."""
    summary = {"read": 0, "tickets": 0, "messages": 0, "queued": 0, "refused": 0,
               "failed": 0, "skipped": 0, "downloaded_bytes": 0}
    if not settings.MAIL_INTAKE_HOST:
        log.info("mail intake is off (MAIL_INTAKE_HOST is empty)")
        return {**summary, "enabled": False}
    folder = settings.MAIL_INTAKE_FOLDER
    limit = limit or settings.MAIL_INTAKE_BATCH
    with connect() as mailbox:
        uids = mailbox.uids("UNSEEN")[:limit]
        heads = [Head.of(msg, size=msg.size_rfc822) for chunk in _chunks(uids, 100)
                 for msg in mailbox.fetch(uid_list=chunk, headers_only=True,
                                          mark_seen=False, bulk=True)]
        known = set(InboundMail.objects.filter(
            message_id__in=[h.message_id for h in heads if h.message_id])
            .values_list("message_id", flat=True))
        for head in heads:
            outcome = take(mailbox, head, folder, known, summary)
            summary[outcome] += 1
            summary["read"] += 1
            known.add(head.message_id)
    log.info("mailbox read: %s", summary)
    return {**summary, "enabled": True}


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def take(mailbox, head: Head, folder: str, known: set, summary: dict) -> str:
    """One mail, in its own transaction; marked seen once recorded (flagged too when it
    could not be read, so someone looks at it). A broken connection ends the run and
    leaves the mail unread."""
    if (head.message_id and head.message_id in known) or (
            not head.message_id and InboundMail.objects.filter(
                message_id="", folder=folder, uid=head.uid).exists()):
        _flag(mailbox, head.uid, r"\Seen")
        return "skipped"
    raw = None
    try:
        reason = refusal(head)
        if reason:
            with transaction.atomic():
                _record(head, folder, MailState.REFUSED, reason=reason)
            outcome = "refused"
            log.info("mail %s from %s refused: %s", head.uid, head.sender, reason)
        else:
            downloaded = _download(mailbox, head.uid)
            if downloaded is None:  # expunged by another client meanwhile
                return "skipped"
            msg, raw = downloaded
            summary["downloaded_bytes"] += len(raw)
            with transaction.atomic():
                outcome = file_mail(head, msg, raw, folder)
            log.info("mail %s from %s: %s", head.uid, head.sender, outcome)
    except AlreadyRecorded:
        outcome = "skipped"
    except MailboxUnavailable:
        raise
    except Exception as exc:  # one bad mail never stops the others
        log.exception("mail %s from %s could not be read", head.uid, head.sender)
        try:
            with transaction.atomic():
                _record(head, folder, MailState.FAILED, raw=raw,
                        reason=f"{type(exc).__name__}: {exc}"[:2000])
        except AlreadyRecorded:
            outcome = "skipped"
        except Exception:  # the database itself fails: leave the mail unread for next time
            log.exception("mail %s: not even its failure could be recorded", head.uid)
            return "failed"
        else:
            _flag(mailbox, head.uid, r"\Seen", r"\Flagged")
            return "failed"
    _flag(mailbox, head.uid, r"\Seen")
    return outcome


@task()
def fetch_mail_now() -> dict:
    """The "Fetch mail now" button's run (the worker's; the scheduler calls fetch_mailbox)."""
    return fetch_mailbox()
