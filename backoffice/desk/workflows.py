"""The service-desk workflow: ticket states, conditions and permission rules.

Never imports models (STYLE.md): conditions and permissions receive the ticket.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.platform.workflow import condition


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    WAITING_RND = "waiting_rnd", _("Waiting for R&D")
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
#: states in which the clock waits for someone outside the department (the customer, R&D)
WAITING_STATES = [TicketStatus.WAITING, TicketStatus.WAITING_RND]
#: states in which the response/resolution clock runs (waiting for R&D pauses it unless
#: the ticket's policy says the customer's clock keeps running then)
CLOCK_RUNNING_STATES = [s for s in OPEN_STATES if s not in WAITING_STATES]
#: every state the clock may run in: the running ones, and waiting for R&D under a policy
#: whose clock keeps running then (the ticket's ``paused_since`` stays empty)
CLOCK_MAY_RUN_STATES = [*CLOCK_RUNNING_STATES, TicketStatus.WAITING_RND]


def clock_runs() -> models.Q:
    """The one definition of "the ticket's clock runs", for querysets: a range on the
    state (so the ``(state, due)`` indexes still serve it), minus the tickets waiting for
    R&D whose clock is paused."""
    return (models.Q(state__in=CLOCK_MAY_RUN_STATES)
            & ~models.Q(state=TicketStatus.WAITING_RND, paused_since__isnull=False))


def clock_runs_on(ticket) -> bool:
    """:func:`clock_runs` for one ticket in memory."""
    if ticket.state == TicketStatus.WAITING_RND:
        return ticket.paused_since is None
    return ticket.state in CLOCK_RUNNING_STATES


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


class RatingSource(models.TextChoices):
    """Where a satisfaction rating came from: the appraisal says which it counts."""

    CUSTOMER_LINK = "link", _("Customer, by confirmation link")
    PHONE = "phone", _("Phone call, recorded by staff")
    FOLLOW_UP = "follow_up", _("Follow-up survey")


class ConfirmationOutcome(models.TextChoices):
    SOLVED = "solved", _("Solved")
    NOT_SOLVED = "not_solved", _("Not solved")


#: words of a comment saying the problem is still there (lower case; both languages)
PERSISTS_PHRASES = ("没有解决", "没解决", "未解决", "还是报错", "仍然", "依然", "还是不行",
                    "还是有问题", "not fixed", "not solved", "not resolved", "still ",
                    "doesn't work", "does not work")
#: a rating this low contradicts "solved"
DOUBTFUL_RATING = 2


def confirmation_doubt(rating, comment) -> str:
    """Why a "solved" confirmation contradicts itself (empty when it does not): a rating of
    1-2, or a comment saying the problem persists. Staff then reopen or close anyway."""
    reasons = []
    if rating is not None and int(rating) <= DOUBTFUL_RATING:
        reasons.append(str(_("rated %(rating)s of 5") % {"rating": rating}))
    text = f" {(comment or '').lower()} "
    found = [p.strip() for p in PERSISTS_PHRASES if p in text]
    if found:
        reasons.append(str(_("the comment says “%(words)s”") % {"words": "”, “".join(found)}))
    return "; ".join(reasons)


#: categories a clerk may answer on the first call, without an engineer (seed 003)
FIRST_CONTACT_CATEGORIES = ("consultation", "operation")


class Category(models.TextChoices):
    BUG = "bug", _("Software bug")
    DATA = "data", _("Data problem")
    REQUIREMENT = "requirement", _("New requirement")
    ENVIRONMENT = "environment", _("Environment problem")
    OPERATION = "operation", _("Operation question")
    COMPLAINT = "complaint", _("Complaint")
    CONSULTATION = "consultation", _("Consultation")
    OUTAGE = "outage", _("Service outage")
    SECURITY = "security", _("Security incident")


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical (emergency)")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class SupportLevel(models.IntegerChoices):
    FIRST = 1, _("1st line")
    SECOND = 2, _("2nd line")
    THIRD = 3, _("3rd line (expert)")


class ClockKind(models.TextChoices):
    """What a stretch of a ticket's life at one support level was."""

    WORKING = "working", _("Held by the level")
    WAITING_CUSTOMER = "waiting", _("Waiting for customer")
    WAITING_RND = "waiting_rnd", _("Waiting for R&D")


def clock_kind(state) -> str | None:
    """The kind of stretch a ticket in ``state`` is in (None: finished, no clock)."""
    if state == TicketStatus.WAITING:
        return ClockKind.WAITING_CUSTOMER
    if state == TicketStatus.WAITING_RND:
        return ClockKind.WAITING_RND
    return ClockKind.WORKING if state in OPEN_STATES else None


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
    """Four eyes: the customer's confirmation and rating feed the appraisal of whoever
    has the ticket or resolved it (the clerk, for an answer on the first call), so they
    never enter them (whatever their role)."""
    return (_perm(user, "confirm_ticket") and ticket.assignee_id != user.pk
            and ticket.resolved_by_id != user.pk)


def can_close(ticket, user):
    return _perm(user, "close_ticket")


def can_resolve_on_first_contact(ticket, user):
    """The clerk who takes the call answers a usage question or a consultation at once."""
    return _perm(user, "assign_ticket")


def can_request_confirmation(ticket, user):
    """Sending the customer the confirmation link: whoever may record a confirmation (the
    assignee too: the link is answered by the customer, never by the one who sends it)."""
    return _perm(user, "confirm_ticket") or can_work(ticket, user)


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


@condition(_("the ticket is not a new requirement"), track=True)
def is_requirement(ticket):
    return ticket.category == Category.REQUIREMENT


@condition(_("the ticket is not a complaint"), track=True)
def is_complaint(ticket):
    return ticket.category == Category.COMPLAINT


@condition(_("complaints are handled by the after-sales manager"), track=True)
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


@condition(_("the customer's confirmation contradicts itself: reopen, or close anyway "
             "with a reason"))
def confirmation_undoubted(ticket):
    return not ticket.confirmation_doubt


@condition(_("the customer's confirmation raises no doubt"), track=True)
def confirmation_doubted(ticket):
    return bool(ticket.confirmation_doubt)


@condition(_("only consultations and operation questions are answered on the first call"), track=True)
def first_contact_category(ticket):
    return ticket.category in FIRST_CONTACT_CATEGORIES


@condition(_("an engineer has the ticket: reopen it to the engineer"), track=True)
def resolved_on_first_contact(ticket):
    return ticket.first_contact_resolution and ticket.assignee_id is None


@condition(_("the ticket was answered on the first call: reopen it to the desk"), track=True)
def not_resolved_on_first_contact(ticket):
    return not (ticket.first_contact_resolution and ticket.assignee_id is None)


#: the demo's response-time targets (and generated data's deadlines): priority, VIP,
#: response and resolution minutes, round the clock. Seed 004: "严重问题的响应时间
#: 不超过2小时,普通问题不超过24小时" - promises to customers, in the customer's hours: a
#: critical ticket is answered within 2 hours at any hour, a normal one within 24 hours
#: of the clock (a day, not 24 working hours = 3 working days). High sits between them
#: and is round the clock too, so that it is never slower than normal over a weekend.
#: Low runs on working hours (24 working hours; 10 working days of 7.5 h), always longer
#: than a day of the clock.
SLA_TARGETS = [
    (Priority.CRITICAL, False, 2 * 60, 8 * 60, True),
    (Priority.CRITICAL, True, 60, 4 * 60, True),
    (Priority.HIGH, False, 8 * 60, 2 * 24 * 60, True),
    (Priority.HIGH, True, 4 * 60, 24 * 60, True),
    (Priority.NORMAL, False, 24 * 60, 5 * 24 * 60, True),
    (Priority.NORMAL, True, 12 * 60, 3 * 24 * 60, True),
    (Priority.LOW, False, 24 * 60, 10 * 450, False),
]


#: a ticket in these states takes no more time entries (its work is over)
NO_TIME_STATES = {TicketStatus.CLOSED, TicketStatus.CANCELLED}
#: the most hours one person records on one ticket for one day
MAX_HOURS_PER_ENTRY = 24


def can_record_time(ticket, user, person=None) -> bool:
    """An engineer records their own hours on the ticket assigned to them; a supervisor
    (the after-sales manager) records or corrects anyone's on any ticket. Never on a
    closed or cancelled ticket."""
    if ticket is None or ticket.state in NO_TIME_STATES or not user.is_active:
        return False
    if not user.has_perm("backoffice.add_timeentry"):
        return False
    if user.has_perm("backoffice.supervise_ticket"):
        return True
    return (person is None or person.pk == user.pk) and ticket.assignee_id == user.pk


def time_refusal(ticket, user, person=None) -> str | None:
    """Why ``user`` may not record ``person``'s time on ``ticket`` (None when they may):
    the one wording the dialog, the time-entry list and the service give."""
    if can_record_time(ticket, user, person):
        return None
    if ticket is not None and ticket.state in NO_TIME_STATES:
        return str(_("The ticket is %(state)s: it takes no more time entries.")
                   % {"state": ticket.get_state_display()})
    return str(_("You may record time only on the tickets assigned to you."))


# -- call spot checks (seed 001 §4: 服务热线录音回放) --------------------------------------
#: the score of a spot check (the same scale as the appraisal's manager score)
SPOT_CHECK_MAX_SCORE = 100


def is_call(message) -> bool:
    """A call note: a contact by phone with the customer (not an internal note)."""
    return (message is not None and message.channel == Channel.PHONE
            and message.direction != MessageDirection.INTERNAL)


def can_spot_check(message, user) -> bool:
    """The manager spot-checks calls; four eyes: never a call they took themselves."""
    return (bool(user and user.is_active) and _perm(user, "add_callspotcheck")
            and message is not None and message.author_id != user.pk)


# -- service-record review (服务记录审核) --------------------------------------------------
class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    REVIEWED = "reviewed", _("Reviewed")


class ReviewReason(models.TextChoices):
    """Why a service record is in the manager's review queue."""

    SAMPLED = "sampled", _("Monthly sample")
    COMPLAINT = "complaint", _("Complaint")
    LOW_RATING = "low_rating", _("Low rating")


class AspectVerdict(models.TextChoices):
    """The reviewer's verdict on one aspect of a service record."""

    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete")
    WRONG = "wrong", _("Wrong")


#: the six aspects a reviewer scores (field names of ServiceRecordReview), in page order
REVIEW_ASPECTS = ("problem_stated", "diagnosis", "process", "solution", "parts",
                  "customer_feedback")


def review_score(verdicts) -> Decimal | None:
    """The review's score: the share of the six aspects marked complete, in % (two
    places); None until every aspect has a verdict. Incomplete and wrong both score 0."""
    verdicts = list(verdicts)
    if len(verdicts) != len(REVIEW_ASPECTS) or not all(verdicts):
        return None
    complete = sum(v == AspectVerdict.COMPLETE for v in verdicts)
    return (Decimal(complete) * 100 / Decimal(len(REVIEW_ASPECTS))).quantize(
        Decimal("0.01"), ROUND_HALF_UP)


def worked_the_record(review, user) -> bool:
    """Four eyes: whether ``user`` worked the reviewed ticket (its engineer, or the one
    who resolved it: the manager who resolved a complaint, the clerk of a first-call
    answer), both copied onto the review when it is queued."""
    return user.pk in {review.engineer_id, review.resolved_by_id}


def can_review_service_record(review, user):
    """The after-sales manager scores a service record, never one of a ticket they
    worked themselves."""
    return _perm(user, "review_servicerecordreview") and not worked_the_record(review, user)


@condition(_("give every aspect a verdict (complete, incomplete or wrong) and save first"))
def every_aspect_scored(review):
    return all(getattr(review, name) for name in REVIEW_ASPECTS)
