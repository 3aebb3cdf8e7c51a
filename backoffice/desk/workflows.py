"""The service-desk workflow: ticket states, conditions and permission rules.

Never imports models (STYLE.md): conditions and permissions receive the ticket.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.platform.workflow import condition


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    ON_SITE = "on_site", _("On-site visit scheduled")
    REQUIREMENT_REVIEW = "requirement_review", _("With business manager")
    COMPLAINT_HANDLING = "complaint_handling", _("With after-sales manager")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = [s for s in TicketStatus.values
               if s not in {TicketStatus.RESOLVED, TicketStatus.CONFIRMED,
                            TicketStatus.CLOSED, TicketStatus.CANCELLED}]
#: states in which the response/resolution clock runs
CLOCK_RUNNING_STATES = [s for s in OPEN_STATES if s != TicketStatus.WAITING]


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone hotline")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Online chat")
    WECHAT_QQ = "wechat_qq", _("WeChat / QQ")
    WEB = "web", _("Web form")
    VIP = "vip", _("VIP channel")
    ON_SITE = "on_site", _("On site")


class MessageDirection(models.TextChoices):
    FROM_CUSTOMER = "in", _("From the customer")
    TO_CUSTOMER = "out", _("To the customer")
    INTERNAL = "internal", _("Internal note")


class MailState(models.TextChoices):
    QUEUED = "queued", _("Unknown sender: waiting")
    FILED = "filed", _("Filed on a ticket")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Could not be read")
    DISCARDED = "discarded", _("Discarded")


class SLAAlert(models.TextChoices):
    """The last deadline alert sent for a ticket, so each goes out once."""

    NONE = "", _("none")
    DUE_SOON = "due_soon", _("due soon")
    BREACHED = "breached", _("breached")


class Category(models.TextChoices):
    BUG = "bug", _("Software bug")
    DATA = "data", _("Data problem")
    REQUIREMENT = "requirement", _("New requirement")
    ENVIRONMENT = "environment", _("Environment problem")
    OPERATION = "operation", _("Operation question")
    COMPLAINT = "complaint", _("Complaint")
    CONSULTATION = "consultation", _("Consultation")


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical (emergency)")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class SupportLevel(models.IntegerChoices):
    FIRST = 1, _("1st line")
    SECOND = 2, _("2nd line")
    THIRD = 3, _("3rd line (expert)")


class RequirementDecision(models.TextChoices):
    CHANGE = "change", _("Change the product")
    CUSTOM = "custom", _("Custom development")
    WORKAROUND = "workaround", _("Existing feature / workaround")
    DECLINE = "decline", _("No change")


# -- permissions (django-fsm calls these with (ticket, user)) ---------------------------
def _perm(user, codename):
    return user.is_active and user.has_perm(f"backoffice.{codename}")


def can_assign(ticket, user):
    return _perm(user, "assign_ticket")


def can_work(ticket, user):
    """The assigned engineer works the ticket; a supervisor may step in."""
    if _perm(user, "supervise_ticket"):
        return True
    return _perm(user, "work_ticket") and ticket.assignee_id == user.pk


def can_refer(ticket, user):
    return _perm(user, "assign_ticket") or can_work(ticket, user)


def can_evaluate_requirement(ticket, user):
    return _perm(user, "evaluate_requirement")


def can_handle_complaint(ticket, user):
    return _perm(user, "handle_complaint")


def can_confirm(ticket, user):
    """Four eyes: the customer's confirmation and rating feed the assignee's appraisal,
    so the assignee never enters them (whatever their role)."""
    return _perm(user, "confirm_ticket") and ticket.assignee_id != user.pk


def can_close(ticket, user):
    return _perm(user, "close_ticket")


def can_cancel(ticket, user):
    return _perm(user, "cancel_ticket")


def can_reopen(ticket, user):
    return _perm(user, "reopen_ticket")


def can_file_mail(mail, user):
    return _perm(user, "file_inboundmail")


# -- conditions ------------------------------------------------------------------------
@condition(_("an engineer must be chosen"))
def has_assignee(ticket):
    return ticket.assignee_id is not None


@condition(_("the solution of the service record is empty"))
def has_solution(ticket):
    return bool((ticket.solution or "").strip())


@condition(_("the ticket is not a new requirement"))
def is_requirement(ticket):
    return ticket.category == Category.REQUIREMENT


@condition(_("the ticket is not a complaint"))
def is_complaint(ticket):
    return ticket.category == Category.COMPLAINT


@condition(_("complaints are handled by the after-sales manager"))
def is_not_complaint(ticket):
    return ticket.category != Category.COMPLAINT


@condition(_("the complaint has no cause or resolution plan yet"))
def complaint_investigated(ticket):
    return bool((ticket.complaint_cause or "").strip() and (ticket.complaint_plan or "").strip())


@condition(_("the ticket is already at the highest support level"))
def below_top_level(ticket):
    return ticket.support_level < SupportLevel.THIRD


@condition(_("the customer has not confirmed the solution"))
def customer_confirmed(ticket):
    return ticket.confirmed_at is not None and bool(ticket.confirmed_by)
