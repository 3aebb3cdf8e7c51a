"""What the service desk does across records: the conversation on a ticket (messages,
attachments, replies by mail), opening tickets (the VIP rule), and whom it tells.

Every desk event a user can be notified of is declared here; the transitions' side
effects that notify are registered here too (``workflow.side_effect``).
"""

import logging
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from backoffice.desk.models import (
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from backoffice.desk.workflows import Category, Channel, MessageDirection, TicketStatus
from backoffice.platform import roles, workflow
from backoffice.platform.files import content_type
from backoffice.platform.notifications import event, notify, page_of, permission_holders

log = logging.getLogger(__name__)

TICKET_ASSIGNED = event("ticket_assigned", gettext_lazy("A ticket was assigned to me"))
TICKET_ESCALATED = event("ticket_escalated", gettext_lazy("A ticket was escalated to me"))
COMPLAINT_ARRIVED = event("complaint_arrived", gettext_lazy("A complaint waits for me"))
REQUIREMENT_ARRIVED = event("requirement_arrived",
                            gettext_lazy("A new requirement waits for my evaluation"))
TICKET_MESSAGE = event("ticket_message",
                       gettext_lazy("Someone wrote on a ticket of mine"),
                       mail_by_default=False)
VIP_TICKET = event("vip_ticket", gettext_lazy("A VIP customer of mine opened a ticket"))


# -- the conversation ---------------------------------------------------------------------
def stamps_first_response(direction, channel) -> bool:
    """The first message to the customer, or the first call note, is the first response
    (the SLA's response clock stops there), whatever button comes later."""
    if direction == MessageDirection.TO_CUSTOMER:
        return True
    return direction == MessageDirection.FROM_CUSTOMER and channel in {
        Channel.PHONE, Channel.VIP, Channel.ON_SITE}


def may_reply(ticket, user) -> bool:
    """Who may write to the customer on a ticket: those who may save its page (the clerk
    and the manager any ticket, an engineer their own: desk roles EDITORS)."""
    return user.has_perm("backoffice.add_ticketmessage") and roles.may_edit(ticket, user)


def may_note(ticket, user) -> bool:
    """Who may log a call or an internal note: whoever may add messages and sees the ticket."""
    return user.has_perm("backoffice.add_ticketmessage")


@transaction.atomic
def post_message(ticket, *, direction, body, channel="", author=None, sender="",
                 files=(), sent_at=None, mail_message_id="", mail_to="",
                 check_author=True) -> TicketMessage:
    """Add a message to the ticket's thread, with its attachments (checked uploads).

    A message to the customer by e-mail is mailed (from the worker, after the commit) with
    the ticket number in its subject. The first response is stamped on the ticket. The
    ticket's engineer hears of messages others add."""
    if check_author and author is not None:
        allowed = (may_reply if direction == MessageDirection.TO_CUSTOMER else may_note)
        if not allowed(ticket, author):
            raise PermissionDenied(_("You may not write on this ticket."))
    if ticket.state in {TicketStatus.CLOSED, TicketStatus.CANCELLED} and author is not None \
            and direction != MessageDirection.INTERNAL:
        raise ValidationError(_("The ticket is closed: open a new ticket for a new contact."))
    if direction == MessageDirection.INTERNAL:
        channel = ""
    if direction == MessageDirection.TO_CUSTOMER and channel == Channel.EMAIL and not mail_to:
        mail_to = customer_address(ticket)
        if not mail_to:
            raise ValidationError(_("The ticket's contact has no e-mail address: log the reply "
                                    "with another channel, or add the address to the contact."))
    message = TicketMessage.objects.create(
        ticket=ticket, direction=direction, channel=channel, author=author, sender=sender,
        body=body, sent_at=sent_at or timezone.now(), mail_message_id=mail_message_id,
        mail_to=mail_to)
    for upload in files:
        attach(ticket, upload, message=message, user=author)
    if stamps_first_response(direction, channel) and ticket.first_response_at is None:
        stamp_first_response(ticket, message.sent_at)
    if direction == MessageDirection.TO_CUSTOMER and channel == Channel.EMAIL:
        message.mail_status = "queued"
        message.mail_message_id = message.mail_message_id or make_msgid(domain=mail_domain())
        message.save(update_fields=["mail_status", "mail_message_id"])
        transaction.on_commit(lambda: mail_reply.enqueue(message.pk))
    if ticket.assignee_id and ticket.assignee_id != getattr(author, "pk", None):
        who = (author.get_full_name() or author.username) if author else (sender or gettext_lazy("customer"))
        notify([ticket.assignee_id], TICKET_MESSAGE.name,
               lambda: _("%(who)s on %(number)s: %(subject)s")
               % {"who": who, "number": ticket.number, "subject": ticket.subject},
               url=page_of(ticket), body=body[:500], actor=author)
    return message


def stamp_first_response(ticket, when):
    """Stamp the response on the ticket without saving over a colleague's open form: only
    the SLA fields are written (and only if nobody stamped it meanwhile)."""
    ticket._stamp_response(when)
    Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
        first_response_at=when, response_met=ticket.response_met,
        first_response_seconds=ticket.first_response_seconds)


def attach(ticket, upload, *, message=None, user=None) -> TicketAttachment:
    """Store a checked upload as an attachment of the ticket (and of the message)."""
    attachment = TicketAttachment(ticket=ticket, message=message, uploaded_by=user,
                                  filename=upload.name[:255], size=upload.size or 0,
                                  content_type=content_type(upload.name))
    attachment.file = upload
    attachment.full_clean(exclude=["ticket", "message", "uploaded_by"])
    attachment.save()
    return attachment


def customer_address(ticket) -> str:
    return (ticket.contact.email if ticket.contact_id and ticket.contact.email else "")


def mail_domain() -> str:
    return settings.SUPPORT_MAIL_ADDRESS.rsplit("@", 1)[-1] or "localhost"


def mail_subject(ticket) -> str:
    """The ticket number in brackets: a reply's subject carries it back to the ticket."""
    return f"[{ticket.number}] {ticket.subject}"


@task()
def mail_reply(message_id: int):
    """Mail a reply to the customer (run by the worker)."""
    message = (TicketMessage.objects.select_related("ticket")
               .prefetch_related("attachments").get(pk=message_id))
    if message.mail_status == "sent":
        return
    ticket = message.ticket
    previous = (ticket.messages.exclude(mail_message_id="").exclude(pk=message.pk)
                .order_by("-sent_at").values_list("mail_message_id", flat=True).first())
    headers = {"Message-ID": message.mail_message_id, "Auto-Submitted": "no"}
    if previous:
        headers["In-Reply-To"] = previous
        headers["References"] = previous
    mail = EmailMessage(mail_subject(ticket), message.body, settings.SUPPORT_MAIL_ADDRESS,
                        [message.mail_to], headers=headers)
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type or None)
    try:
        mail.send()
    except Exception as exc:  # the page says it failed; the worker's log has the trace
        log.exception("reply %s to %s not sent", message.pk, message.mail_to)
        TicketMessage.objects.filter(pk=message.pk).update(mail_status="failed",
                                                           mail_error=str(exc)[:1000])
        raise
    TicketMessage.objects.filter(pk=message.pk).update(mail_status="sent", mail_error="")


# -- opening tickets ------------------------------------------------------------------------
@transaction.atomic
def open_ticket(*, customer, subject, channel, description="", contact=None,
                category=Category.OPERATION, actor=None, received_at=None,
                product=None) -> Ticket:
    """Record a new ticket (from a page, a mail or an import) and route it."""
    ticket = Ticket(customer=customer, contact=contact, channel=channel, subject=subject[:200],
                    description=description, category=category, recorded_by=actor,
                    received_at=received_at or timezone.now(), product=product)
    ticket.save()
    route_new_ticket(ticket, actor=actor)
    return ticket


def route_new_ticket(ticket, *, actor=None):
    """The VIP line: a ticket of a VIP customer (any channel), or any ticket that came in
    on the VIP line, goes straight to the customer's service consultant, who is told at
    once. Called once a new ticket is saved."""
    vip = ticket.customer.is_vip or ticket.channel == Channel.VIP
    consultant = ticket.customer.consultant
    if not vip or consultant is None or not consultant.is_active \
            or ticket.state != TicketStatus.NEW or ticket.category == Category.COMPLAINT:
        return False
    by = actor if actor is not None and actor.has_perm("backoffice.assign_ticket") \
        else roles.system_user()
    ticket._routing_vip = True  # the consultant hears of it once, as a VIP ticket
    workflow.apply_transition(ticket, "assign", actor=by, assignee=consultant,
                              note=_("VIP customer: straight to the service consultant"))
    ticket._routing_vip = False
    notify([consultant], VIP_TICKET.name,
           lambda: _("VIP %(customer)s: %(number)s %(subject)s")
           % {"customer": ticket.customer.name, "number": ticket.number,
              "subject": ticket.subject},
           url=page_of(ticket), body=ticket.description[:500], actor=actor,
           key=f"ticket:{ticket.pk}:vip")
    return True


# -- whom the workflow tells ------------------------------------------------------------------
@workflow.side_effect(Ticket, "assign")
def tell_assignee(ticket, assignee, actor=None):
    if assignee is None or getattr(ticket, "_routing_vip", False):
        return  # the VIP rule tells the consultant itself
    notify([assignee], TICKET_ASSIGNED.name,
           lambda: _("%(number)s assigned to you: %(subject)s")
           % {"number": ticket.number, "subject": ticket.subject},
           url=page_of(ticket), actor=actor)


@workflow.side_effect(Ticket, "escalate")
def tell_escalation(ticket, assignee=None, actor=None):
    level = ticket.support_level + 1
    if assignee is not None:
        recipients = [assignee]
    else:  # nobody named: the engineers and managers who supervise tickets hear of it
        recipients = list(permission_holders("backoffice.supervise_ticket"))
    notify(recipients, TICKET_ESCALATED.name,
           lambda: _("%(number)s escalated to level %(level)s: %(subject)s")
           % {"number": ticket.number, "level": level, "subject": ticket.subject},
           url=page_of(ticket), actor=actor)


@workflow.side_effect(Ticket, "refer_complaint")
def tell_complaint(ticket, actor=None):
    notify(permission_holders("backoffice.handle_complaint"), COMPLAINT_ARRIVED.name,
           lambda: _("Complaint %(number)s from %(customer)s: %(subject)s")
           % {"number": ticket.number, "customer": ticket.customer.name,
              "subject": ticket.subject},
           url=page_of(ticket), actor=actor, key=f"ticket:{ticket.pk}:complaint")


@workflow.side_effect(Ticket, "refer_requirement")
def tell_requirement(ticket, actor=None):
    notify(permission_holders("backoffice.evaluate_requirement"), REQUIREMENT_ARRIVED.name,
           lambda: _("New requirement %(number)s from %(customer)s: %(subject)s")
           % {"number": ticket.number, "customer": ticket.customer.name,
              "subject": ticket.subject},
           url=page_of(ticket), actor=actor, key=f"ticket:{ticket.pk}:requirement")
