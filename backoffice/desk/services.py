"""What the service desk does across records: the conversation on a ticket (messages,
attachments, replies by mail), opening tickets (the VIP rule), the customer's own
confirmation (links, answers), and whom it tells.

Every desk event a user can be notified of is declared here; the transitions' side
effects that notify are registered here too (``workflow.side_effect``).
"""

import datetime as dt
import logging
from email.utils import make_msgid
from itertools import batched

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm.signals import post_transition, pre_transition
from django_tasks import task
from simple_history.utils import bulk_update_with_history

from backoffice.desk import workflows as wf
from backoffice.desk.models import (
    BusinessCalendar,
    CallSpotCheck,
    ConfirmationRequest,
    ServiceRecordReview,
    SLAPolicy,
    Ticket,
    TicketAttachment,
    TicketClockSpan,
    TicketEvent,
    TicketMessage,
)
from backoffice.desk.sla import WorkingCalendar
from backoffice.desk.workflows import (
    Category,
    Channel,
    ConfirmationOutcome,
    MessageDirection,
    RatingSource,
    ReviewReason,
    ReviewStatus,
    TicketStatus,
)
from backoffice.platform import roles, workflow
from backoffice.platform.files import content_type
from backoffice.platform.models import ConcurrentEdit
from backoffice.platform.notifications import event, notify, page_of, permission_holders
from backoffice.platform.people import display_name

log = logging.getLogger(__name__)

TICKET_ASSIGNED = event("ticket_assigned", gettext_lazy("A ticket was assigned to me"))
TICKET_ESCALATED = event("ticket_escalated", gettext_lazy("A ticket was escalated to me"))
COMPLAINT_ARRIVED = event("complaint_arrived", gettext_lazy("A complaint waits for me"))
REQUIREMENT_ARRIVED = event("requirement_arrived",
                            gettext_lazy("A new requirement waits for my evaluation"))
TICKET_MESSAGE = event("ticket_message",
                       gettext_lazy("Someone wrote on a ticket of mine"),
                       mail_by_default=False)
CALL_SPOT_CHECKED = event("call_spot_checked",
                          gettext_lazy("One of my calls was spot-checked"))
VIP_TICKET = event("vip_ticket", gettext_lazy("A VIP customer of mine opened a ticket"))
NOT_SOLVED = event("ticket_not_solved",
                   gettext_lazy("A customer says a ticket of mine is not solved"))
SERVICE_RECORD_REVIEWED = event("service_record_reviewed",
                                gettext_lazy("A service record of mine was reviewed"))
CONFIRMATION_DOUBTED = event(
    "confirmation_doubted",
    gettext_lazy("A customer's confirmation contradicts itself (low rating, \"still broken\")"))


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
        notify([ticket.assignee_id], TICKET_MESSAGE.name,
               lambda: _("%(who)s on %(number)s: %(subject)s")
               % {"who": display_name(author) if author else (sender or _("customer")),
                  "number": ticket.number, "subject": ticket.subject},
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


# -- the customer's confirmation --------------------------------------------------------------
CONFIRMATION_SALT = "backoffice.desk.confirmation"


def may_request_confirmation(ticket, user) -> bool:
    return ticket.state == TicketStatus.RESOLVED and wf.can_request_confirmation(ticket, user)


def confirmation_token(request: ConfirmationRequest) -> str:
    """Signed with the site's key: the link cannot be guessed or altered; the nonce makes
    each link a new one, and the record makes it work once."""
    return signing.Signer(salt=CONFIRMATION_SALT).sign(
        f"{request.pk}.{request.ticket_id}.{request.nonce}")


def confirmation_url(request: ConfirmationRequest) -> str:
    path = reverse("ticket_confirmation", args=[request.ticket.number, confirmation_token(request)])
    return settings.SITE_URL.rstrip("/") + path


def confirmation_text(request: ConfirmationRequest) -> str:
    """The short text a clerk pastes into WeChat, QQ or a text message (in the site's
    language, the customers' own)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(customer)s, your service ticket %(number)s is resolved. Please confirm "
                 "the solution and rate our service (valid until %(until)s): %(url)s") % {
            "customer": request.ticket.customer.name, "number": request.ticket.number,
            "until": timezone.localtime(request.expires_at).strftime("%Y-%m-%d %H:%M"),
            "url": confirmation_url(request)}


@transaction.atomic
def request_confirmation(ticket, *, actor=None, send_mail=True, mail_to="") -> ConfirmationRequest:
    """A new confirmation link for a resolved ticket (any earlier one stops working),
    mailed to the contact on the ticket's thread and offered as text to paste."""
    if actor is not None and not wf.can_request_confirmation(ticket, actor):
        raise PermissionDenied(_("You may not ask this customer for a confirmation."))
    # of=self: PostgreSQL locks no row of the (nullable) contact's outer join
    ticket = (Ticket.objects.select_for_update(of=("self",))
              .select_related("customer", "contact").get(pk=ticket.pk))
    if ticket.state != TicketStatus.RESOLVED:
        raise ValidationError(_("Only a resolved ticket is sent for the customer's "
                                "confirmation."))
    address = (mail_to or customer_address(ticket)) if send_mail else ""
    if send_mail and not address:
        raise ValidationError(_("The ticket's contact has no e-mail address: give one, or "
                                "send the text by WeChat, QQ or a text message."))
    now = timezone.now()
    ticket.confirmation_requests.withdraw(now)
    request = ConfirmationRequest.objects.create(
        ticket=ticket, created_by=actor, created_at=now, mailed_to=address,
        expires_at=now + dt.timedelta(hours=settings.CONFIRMATION_LINK_HOURS))
    if address:
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string("backoffice/confirmation_mail.txt", {
                "ticket": ticket, "request": request, "url": confirmation_url(request)})
        post_message(ticket, direction=MessageDirection.TO_CUSTOMER, channel=Channel.EMAIL,
                     body=body, author=actor, mail_to=address, check_author=False)
    else:
        post_message(ticket, direction=MessageDirection.INTERNAL, author=actor,
                     check_author=False,
                     body=_("Confirmation link for the customer (valid until %(until)s), "
                            "to send by WeChat, QQ or text message.") % {
                         "until": timezone.localtime(request.expires_at).strftime(
                             "%Y-%m-%d %H:%M")})
    return request


def open_confirmation(number: str, token: str) -> ConfirmationRequest | None:
    """The request a link names, if it still works; None for a forged, altered, used,
    withdrawn or expired link, or a ticket no longer waiting (the page says only that)."""
    try:
        value = signing.Signer(salt=CONFIRMATION_SALT).unsign(token)
        pk, ticket_id, nonce = value.split(".", 2)
    except (signing.BadSignature, ValueError):
        return None
    request = (ConfirmationRequest.objects.usable()
               .select_related("ticket__customer", "ticket__product", "ticket__product_version",
                               "ticket__assignee")
               .filter(pk=pk, ticket_id=ticket_id, nonce=nonce, ticket__number=number).first())
    if request is None or request.ticket.state != TicketStatus.RESOLVED:
        return None
    return request


@transaction.atomic
def answer_confirmation(request: ConfirmationRequest, *, outcome, rating=None, comment="",
                        signer_name="", signature="", ip_address=None, user_agent="") -> Ticket:
    """The customer's answer from their link. "Not solved" reopens the ticket to its
    engineer with the comment; "solved" confirms it with the rating and signature, and
    closes it unless the answer contradicts itself (then staff decide)."""
    request = ConfirmationRequest.objects.select_for_update().get(pk=request.pk)
    ticket = Ticket.objects.select_for_update().get(pk=request.ticket_id)
    if not request.is_usable() or ticket.state != TicketStatus.RESOLVED:
        raise ValidationError(_("This link is no longer valid."))
    if outcome not in ConfirmationOutcome.values:
        raise ValidationError(_("Say whether the problem is solved."))
    if outcome == ConfirmationOutcome.SOLVED and (rating is None or not 1 <= int(rating) <= 5):
        raise ValidationError(_("Rate our service from 1 to 5."))
    request.outcome, request.rating, request.comment = outcome, rating, comment
    request.signer_name, request.signature = signer_name, signature
    request.ip_address, request.user_agent = ip_address, (user_agent or "")[:300]
    request.answered_at = timezone.now()
    request.save()
    system = roles.system_user()
    with translation.override(settings.LANGUAGE_CODE):
        said = (_("Solved, rated %(rating)s of 5") % {"rating": rating}
                if outcome == ConfirmationOutcome.SOLVED else _("Not solved"))
        body = "\n".join(p for p in [said, comment] if p)
        post_message(ticket, direction=MessageDirection.FROM_CUSTOMER, channel=Channel.WEB,
                     sender=signer_name, body=body, check_author=False,
                     sent_at=request.answered_at)
        note = _("By the customer's link, signed by %(signer)s") % {"signer": signer_name}
        if comment:
            note = f"{note}: {comment}"
        if outcome == ConfirmationOutcome.NOT_SOLVED:
            reopen = ("reopen_complaint" if ticket.category == Category.COMPLAINT
                      else "reopen_to_desk" if wf.resolved_on_first_contact(ticket)
                      else "reopen")
            workflow.apply_transition(ticket, reopen, actor=system, note=note)
            recipients = [ticket.assignee_id] if ticket.assignee_id else \
                list(permission_holders("backoffice.assign_ticket"))
            notify(recipients, NOT_SOLVED.name,
                   lambda: _("%(number)s is not solved, says %(customer)s: %(subject)s")
                   % {"number": ticket.number, "customer": ticket.customer.name,
                      "subject": ticket.subject},
                   url=page_of(ticket), body=comment[:500], actor=system)
            return ticket
        workflow.apply_transition(ticket, "confirm", actor=system, note=note,
                                  confirmed_by=signer_name, satisfaction=int(rating),
                                  feedback=comment, source=RatingSource.CUSTOMER_LINK)
        if ticket.confirmation_doubt:
            # the clerk who took the ticket (else the front desk) decides; its engineer hears
            deciders = ([ticket.recorded_by_id] if ticket.recorded_by_id
                        else list(permission_holders("backoffice.close_ticket")))
            notify([*deciders, *([ticket.assignee_id] if ticket.assignee_id else [])],
                   CONFIRMATION_DOUBTED.name,
                   lambda: _("%(number)s: the customer says solved, but %(doubt)s")
                   % {"number": ticket.number, "doubt": ticket.confirmation_doubt},
                   url=page_of(ticket), body=comment[:500], actor=system)
        else:
            workflow.apply_transition(ticket, "close", actor=system,
                                      note=_("Confirmed by the customer"))
    return ticket


@workflow.side_effect(Ticket, "resolve")
@workflow.side_effect(Ticket, "resolve_complaint")
@workflow.side_effect(Ticket, "resolve_on_first_contact")
def ask_for_confirmation(ticket, actor=None):
    """With CONFIRMATION_REQUEST_ON_RESOLVE, resolving mails the contact the link at once
    (after the commit; without an address the clerk sends the text)."""
    if not settings.CONFIRMATION_REQUEST_ON_RESOLVE:
        return

    def send():
        fresh = Ticket.objects.select_related("contact").get(pk=ticket.pk)
        if fresh.state == TicketStatus.RESOLVED and customer_address(fresh):
            request_confirmation(fresh, actor=None)

    transaction.on_commit(send)


@workflow.side_effect(Ticket, "reopen")
@workflow.side_effect(Ticket, "reopen_complaint")
@workflow.side_effect(Ticket, "reopen_to_desk")
@workflow.side_effect(Ticket, "confirm")
def withdraw_confirmation_links(ticket):
    """A link belongs to one resolution: reopening the ticket, or a confirmation taken by
    phone, withdraws the links still waiting (a new resolution gets a new link)."""
    ticket.confirmation_requests.withdraw()


# -- bulk actions of the ticket list --------------------------------------------------------
#: the most tickets one bulk action changes (each is its own transaction)
BULK_LIMIT = 200

#: states in which a ticket's page is read-only: nothing about it changes any more
FINISHED_STATES = {TicketStatus.CLOSED, TicketStatus.CANCELLED}


class BulkOutcome:
    """What a bulk action did: the tickets changed, those left as they were (already so),
    and those refused, each with the reason."""

    def __init__(self):
        self.done: list[Ticket] = []
        self.unchanged: list[Ticket] = []
        self.refused: list[tuple[Ticket, str]] = []

    def refusals(self) -> str:
        """"SR…: reason; SR…: reason" for one message."""
        return "; ".join(f"{ticket.number}: {reason}" for ticket, reason in self.refused)


def _reason(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def tickets_assign(tickets, *, assignee, actor, note="") -> BulkOutcome:
    """Assign each ticket to ``assignee`` through the workflow (the same step, rules and
    journal as the "Assign" button), each in its own transaction: one refused ticket
    (wrong state, a complaint, no permission, changed meanwhile) does not stop the others."""
    outcome = BulkOutcome()
    for ticket in tickets:
        try:
            workflow.apply_transition(ticket, "assign", actor=actor, assignee=assignee,
                                      note=note)  # atomic: one transaction per ticket
        except (ValidationError, PermissionDenied) as exc:
            outcome.refused.append((ticket, _reason(exc)))
        else:
            outcome.done.append(ticket)
    return outcome


def ticket_priority_refusal(ticket, actor) -> str | None:
    """Why ``actor`` may not change the priority of ``ticket`` (None: they may)."""
    if ticket.state in FINISHED_STATES:
        return _("the ticket is “%(state)s”: it no longer changes") % {
            "state": ticket.get_state_display()}
    if not actor.has_perm("backoffice.change_ticket") or not roles.may_edit(ticket, actor):
        return _("you may not edit this ticket")
    return None


def tickets_change_priority(tickets, *, priority, actor) -> BulkOutcome:
    """Give each ticket ``priority``, saved through the model (history row with the actor,
    optimistic lock), each in its own transaction; closed or cancelled tickets and those
    the actor may not edit are refused with the reason."""
    outcome = BulkOutcome()
    for ticket in tickets:
        refusal = ticket_priority_refusal(ticket, actor)
        if refusal:
            outcome.refused.append((ticket, refusal))
            continue
        if ticket.priority == priority:
            outcome.unchanged.append(ticket)
            continue
        ticket.priority = priority
        ticket._history_user = actor
        ticket._change_reason = "priority"
        try:
            with transaction.atomic():
                ticket.save()
        except ConcurrentEdit as exc:
            outcome.refused.append((ticket, str(exc)))
        else:
            outcome.done.append(ticket)
    if outcome.done:  # a new priority, a new policy: the deadlines follow
        replan_deadlines(outcome.done, actor=actor, reason=priority_reason(priority))
    return outcome


def priority_reason(priority) -> str:
    return _("Priority changed to “%(priority)s”") % {"priority": wf.Priority(priority).label}


# -- deadlines that follow the ticket ----------------------------------------------------------
#: tickets re-planned per transaction; above REPLAN_INLINE_LIMIT the worker does it
REPLAN_BATCH = 500
REPLAN_INLINE_LIMIT = 2000
#: tickets per background task (its arguments are the ids)
REPLAN_TASK_CHUNK = 5000


def replan_deadlines(tickets, *, actor, reason) -> int:
    """Re-plan the deadlines of the open ones of ``tickets`` (tickets or a queryset): the
    policy ``SLAPolicy.for_ticket`` picks now, then arrival + its minutes + the time paused,
    on its calendar. The response deadline moves only while the customer is unanswered.
    Each ticket whose plan changes is journaled ("replan", the reason and old → new due
    times) and historised, in batches, without moving its version (a colleague's open form
    stays valid: its due dates are read-only).

    A large set (a policy or a calendar edited) goes to the worker in chunks; returns how
    many tickets were re-planned here and now."""
    if isinstance(tickets, models.QuerySet):
        ids = list(tickets.filter(state__in=wf.OPEN_STATES).order_by()
                   .values_list("pk", flat=True))
    else:
        ids = [t.pk for t in tickets if t.pk and t.state in wf.OPEN_STATES]
    if len(ids) > REPLAN_INLINE_LIMIT:
        actor_id, text = actor.pk, str(reason)
        for chunk in batched(sorted(ids), REPLAN_TASK_CHUNK):
            transaction.on_commit(
                lambda chunk=list(chunk): replan_task.enqueue(chunk, actor_id, text))
        return 0
    return _replan(ids, actor, str(reason))


@task()
def replan_task(ticket_ids: list[int], actor_id: int, reason: str):
    """Re-plan a chunk of tickets in the worker (a policy or calendar edit)."""
    from django.contrib.auth import get_user_model

    _replan(ticket_ids, get_user_model().objects.get(pk=actor_id), reason)


class _Plans:
    """The policies and calendars of one re-planning run, each read once."""

    def __init__(self):
        self.policies = {(p.priority, p.for_vip): p
                         for p in SLAPolicy.objects.select_related("calendar")}
        self.default = BusinessCalendar.default()
        self.calendars = {}

    def policy(self, ticket):
        vip = bool(ticket.customer_id and ticket.customer.is_vip)
        return (self.policies.get((ticket.priority, vip))
                or self.policies.get((ticket.priority, False)))

    def calendar(self, policy):
        calendar = policy.calendar if policy and policy.calendar_id else self.default
        key = (getattr(calendar, "pk", None), bool(policy and policy.round_the_clock))
        if key not in self.calendars:
            self.calendars[key] = WorkingCalendar.load(calendar, round_the_clock=key[1])
        return self.calendars[key]


PLANNED_FIELDS = ["sla_policy", "response_due", "resolution_due", "paused_since",
                  "paused_seconds"]


def _replan(ids, actor, reason) -> int:
    plans, now, done = _Plans(), timezone.now(), 0
    for chunk in batched(ids, REPLAN_BATCH):
        with transaction.atomic():
            tickets = list(Ticket.objects.select_for_update(of=("self",))
                           .select_related("customer").filter(pk__in=chunk,
                                                              state__in=wf.OPEN_STATES))
            changed, events = [], []
            for ticket in tickets:
                note = _replan_one(ticket, plans, now)
                if note is None:
                    continue
                changed.append(ticket)
                events.append(TicketEvent(ticket=ticket, actor=actor, action="replan",
                                          source=ticket.state, target=ticket.state,
                                          note=f"{reason}: {note}", created_at=now))
            if changed:
                bulk_update_with_history(changed, Ticket, PLANNED_FIELDS, default_user=actor,
                                         default_change_reason=f"replan: {reason}"[:100])
                TicketEvent.objects.bulk_create(events)
            done += len(changed)
    return done


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _replan_one(ticket, plans, now) -> str | None:
    """Plan ``ticket`` afresh in memory; the note "old → new" when anything moved."""
    before = (ticket.sla_policy_id, ticket.response_due, ticket.resolution_due)
    policy = plans.policy(ticket)
    calendar = plans.calendar(policy)
    if ticket.state == TicketStatus.WAITING_RND and policy is not None:
        # the policy's rule for R&D waits applies from now on
        if policy.rnd_pauses_clock and ticket.paused_since is None:
            ticket.paused_since = now
        elif not policy.rnd_pauses_clock and ticket.paused_since is not None:
            ticket.paused_seconds += int(calendar.between(ticket.paused_since, now))
            ticket.paused_since = None
    ticket.sla_policy = policy
    if policy is None:
        response_due = resolution_due = None
    else:
        response_due = calendar.add(ticket.received_at,
                                    policy.response_minutes * 60 + ticket.paused_seconds)
        resolution_due = calendar.add(ticket.received_at,
                                      policy.resolution_minutes * 60 + ticket.paused_seconds)
    if ticket.first_response_at is None:
        ticket.response_due = response_due
    ticket.resolution_due = resolution_due
    after = (ticket.sla_policy_id, ticket.response_due, ticket.resolution_due)
    if after == before:
        return None
    parts = [str(policy) if policy else _("no response-time target")]
    if ticket.response_due != before[1]:
        parts.append(_("response due %(old)s → %(new)s")
                     % {"old": _when(before[1]), "new": _when(ticket.response_due)})
    if ticket.resolution_due != before[2]:
        parts.append(_("resolution due %(old)s → %(new)s")
                     % {"old": _when(before[2]), "new": _when(ticket.resolution_due)})
    return "; ".join(parts)


def replan_for_policy(policy, *, actor, priorities=()) -> int:
    """A policy was added, edited or removed: re-plan the open tickets it applies to, or
    may now apply to (those of its priority, and of its former priority)."""
    wanted = models.Q(priority__in={policy.priority, *priorities})
    if policy.pk:
        wanted |= models.Q(sla_policy=policy)
    return replan_deadlines(Ticket.objects.filter(wanted), actor=actor,
                            reason=_("Response-time target “%(name)s” changed")
                            % {"name": policy.name})


def replan_for_customers(customers, *, actor) -> int:
    """The customers' VIP status changed: their open tickets follow."""
    return replan_deadlines(Ticket.objects.filter(customer__in=customers), actor=actor,
                            reason=_("Customer's VIP status changed"))


def calendar_changed(calendar, *, actor=None) -> int:
    """The calendar's holidays or hours changed: re-plan the open tickets whose policy runs
    on it (the default calendar also serves the policies without one)."""
    on_it = models.Q(sla_policy__calendar=calendar)
    if calendar == BusinessCalendar.default():
        on_it |= models.Q(sla_policy__calendar__isnull=True)
    open_ = Ticket.objects.filter(on_it, sla_policy__isnull=False,
                                  sla_policy__round_the_clock=False)
    return replan_deadlines(open_, actor=actor or roles.system_user(),
                            reason=_("Calendar “%(name)s” changed") % {"name": calendar.name})


# -- a clock per support level ----------------------------------------------------------------
def _before_transition(sender, instance, **kwargs):
    instance._clock_before = (instance.state, instance.support_level, instance.assignee_id)


def follow_clock(ticket, *, before=None, now=None):
    """Close the ticket's running span and open the next when its state's kind (held,
    waiting for the customer, for R&D, finished) or its support level changed. A ticket
    from before the level clocks gets its first span from its arrival (best effort)."""
    if ticket.pk is None:
        return
    now = now or timezone.now()
    kind, level = wf.clock_kind(ticket.state), ticket.support_level
    running = ticket.clock_spans.running().first()
    if running is None and before is not None and wf.clock_kind(before[0]) \
            and not ticket.clock_spans.exists():
        running = TicketClockSpan(ticket=ticket, level=before[1], assignee_id=before[2],
                                  kind=wf.clock_kind(before[0]), started_at=ticket.received_at)
    if running is not None:
        if running.kind == kind and running.level == level:
            if running.assignee_id is None and ticket.assignee_id:
                running.assignee_id = ticket.assignee_id  # assigned at the same level
                running.save(update_fields=["assignee"])
            return
        running.close(ticket._calendar(), now)
        running.save()
    if kind:
        TicketClockSpan.objects.create(ticket=ticket, level=level, kind=kind,
                                       assignee_id=ticket.assignee_id, started_at=now)


def _after_transition(sender, instance, **kwargs):
    follow_clock(instance, before=getattr(instance, "_clock_before", None))


pre_transition.connect(_before_transition, sender=Ticket, dispatch_uid="desk.clock.before")
post_transition.connect(_after_transition, sender=Ticket, dispatch_uid="desk.clock.after")


def build_level_clocks(*, batch_size: int = 1000) -> int:
    """Give the tickets without level-clock spans (from before the clock) spans rebuilt
    from their journal, best effort: from arrival at the 1st line, each journaled state
    change closes a span and opens the next (an escalation one level up; the support level
    an assignment chose is not journaled, so the ticket's current level is kept for the
    last span). Idempotent: tickets with spans are left alone. Returns tickets done."""
    plans, now, done = _Plans(), timezone.now(), 0
    todo = (Ticket.objects.filter(clock_spans__isnull=True).order_by("pk")
            .values_list("pk", flat=True))
    for chunk in batched(list(todo), batch_size):
        with transaction.atomic():
            tickets = list(Ticket.objects.select_related("customer", "sla_policy")
                           .filter(pk__in=chunk).prefetch_related("events"))
            started = set(TicketClockSpan.objects.filter(ticket_id__in=chunk)
                          .values_list("ticket_id", flat=True))  # a transition got there
            spans = []
            for ticket in tickets:
                if ticket.pk in started:
                    continue
                spans += _rebuilt_spans(ticket, plans.calendar(ticket.sla_policy), now)
            TicketClockSpan.objects.bulk_create(spans)
            done += len(tickets)
    return done


def _rebuilt_spans(ticket, calendar, now):
    events = sorted(ticket.events.all(), key=lambda e: (e.created_at, e.pk))
    escalations = sum(e.action == "escalate" for e in events)
    level = max(1, ticket.support_level - escalations)
    kind, start, spans = wf.clock_kind(wf.TicketStatus.NEW), ticket.received_at, []
    for entry in events:
        if entry.source == entry.target and entry.action != "escalate":
            continue
        next_kind = wf.clock_kind(entry.target)
        next_level = min(level + 1, 3) if entry.action == "escalate" else level
        if (next_kind, next_level) == (kind, level):
            continue
        if kind is not None:
            span = TicketClockSpan(ticket=ticket, level=level, kind=kind, started_at=start,
                                   assignee_id=ticket.assignee_id)
            span.close(calendar, max(entry.created_at, start))
            spans.append(span)
        kind, level, start = next_kind, next_level, max(entry.created_at, start)
    if kind is not None:
        spans.append(TicketClockSpan(ticket=ticket, level=ticket.support_level, kind=kind,
                                     started_at=start, assignee_id=ticket.assignee_id))
    return spans


# -- time entries (工时) ---------------------------------------------------------------------
def may_record_time(ticket, user) -> bool:
    return wf.can_record_time(ticket, user)


@transaction.atomic
def time_entry_record(*, ticket, hours, actor, person=None, worked_on=None,
                      description=""):
    """Record hours worked on a ticket (the actor's own unless a supervisor records them
    for someone else); the ticket is locked so a close in between is seen."""
    from backoffice.desk.models import TimeEntry

    person = person or actor
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    refusal = wf.time_refusal(ticket, actor, person)
    if refusal:
        raise (ValidationError if ticket.state in wf.NO_TIME_STATES else PermissionDenied)(
            refusal)
    entry = TimeEntry(ticket=ticket, person=person, hours=hours, recorded_by=actor,
                      worked_on=worked_on or timezone.localdate(),
                      description=(description or "").strip())
    entry.full_clean()
    entry.save()
    return entry


# -- call spot checks ------------------------------------------------------------------------
@transaction.atomic
def spot_check_record(*, message, score, comment, actor, recording=None) -> CallSpotCheck:
    """The manager's check of one call (the recording heard, a score of 0-100, what was
    found), counted in the appraisal of whoever took the call; never one's own call. The
    one who took the call hears of it."""
    if not wf.can_spot_check(message, actor):
        raise PermissionDenied(_("You may not spot-check this call (nobody checks a call "
                                 "they took themselves)."))
    check = CallSpotCheck(message=message, recording=recording, agent_id=message.author_id,
                          call_at=message.sent_at, score=score, comment=comment,
                          checked_by=actor, checked_at=timezone.now())
    check.full_clean()
    check._history_user = actor
    check.save()
    ticket = message.ticket
    notify([message.author_id], CALL_SPOT_CHECKED.name,
           lambda: _("Your call on %(number)s was spot-checked: %(score)s of 100")
           % {"number": ticket.number, "score": score},
           url=page_of(check), body=comment[:500], actor=actor)
    return check
# -- service-record review (服务记录审核) -------------------------------------------------------
def _month_of(moment) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def queue_for_review(ticket, *, reason, resolved_by_id=None, when=None, month=None):
    """Put the ticket's service record in the manager's review queue (once per ticket).
    A record already queued as a sample that turns out a low rating says so instead
    (while it waits). Returns the review, or None for a ticket nobody worked."""
    resolved_by_id = resolved_by_id or ticket.resolved_by_id
    engineer_id = ticket.assignee_id or resolved_by_id
    if engineer_id is None:
        return None
    existing = ServiceRecordReview.objects.filter(ticket=ticket).first()
    if existing is not None:
        if (existing.state == ReviewStatus.PENDING and existing.reason == ReviewReason.SAMPLED
                and reason != ReviewReason.SAMPLED):
            existing.reason = reason
            existing._change_reason = f"queued: {reason}"
            existing.save()
        return existing
    when = when or timezone.now()
    review = ServiceRecordReview(ticket=ticket, engineer_id=engineer_id,
                                 resolved_by_id=resolved_by_id,
                                 month=month or _month_of(ticket.resolved_at or when),
                                 reason=reason, queued_at=when)
    review._change_reason = f"queued: {reason}"
    review.save()
    return review


def sample_is_full(engineer_id, month) -> bool:
    """Whether the engineer's monthly sample (SERVICE_REVIEW_SAMPLE_PER_ENGINEER) is taken."""
    taken = ServiceRecordReview.objects.filter(engineer_id=engineer_id, month=month,
                                               reason=ReviewReason.SAMPLED).count()
    return taken >= settings.SERVICE_REVIEW_SAMPLE_PER_ENGINEER


@workflow.side_effect(Ticket, "resolve")
@workflow.side_effect(Ticket, "resolve_complaint")
@workflow.side_effect(Ticket, "resolve_on_first_contact")
def queue_resolved_record(ticket, actor=None):
    """Resolving queues the record for review: every complaint, and the first records of
    the engineer's month up to the sample (settings.SERVICE_REVIEW_SAMPLE_PER_ENGINEER)."""
    resolver = getattr(actor, "pk", None)
    engineer_id = ticket.assignee_id or resolver
    now = timezone.now()
    if ticket.category == Category.COMPLAINT:
        reason = ReviewReason.COMPLAINT
    elif engineer_id is not None and not sample_is_full(engineer_id, _month_of(now)):
        reason = ReviewReason.SAMPLED
    else:
        return
    queue_for_review(ticket, reason=reason, resolved_by_id=resolver, when=now,
                     month=_month_of(now))


@workflow.side_effect(Ticket, "confirm")
def queue_low_rating(ticket, satisfaction, actor=None):
    """A confirmation rated SERVICE_REVIEW_LOW_RATING or less queues the record too (a
    rating comes after the resolution: the month stays the resolution's)."""
    if satisfaction is None or int(satisfaction) > settings.SERVICE_REVIEW_LOW_RATING:
        return
    queue_for_review(ticket, reason=ReviewReason.LOW_RATING)


def service_record_review(review, name="review", *, actor, note="", **kwargs):
    """Complete the review (the "Complete review" button): through the workflow, journaled."""
    return workflow.apply_transition(review, name, actor=actor, note=note, **kwargs)


@workflow.side_effect(ServiceRecordReview, "review")
def tell_reviewed_engineer(review, actor=None):
    """The engineer hears that their record was reviewed, and reads the review."""
    ticket = review.ticket
    notify([review.engineer_id], SERVICE_RECORD_REVIEWED.name,
           lambda: _("Service record %(number)s reviewed: %(score)s %%")
           % {"number": ticket.number, "score": wf.review_score(review.verdicts())},
           url=page_of(review), body=review.comment[:500], actor=actor,
           key=f"servicerecordreview:{review.pk}:reviewed")
