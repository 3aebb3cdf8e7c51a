"""Workflows of customer care: maintenance visits, update notices and follow-ups.

States, choices, permission functions ``(obj, user) -> bool`` and conditions. Never
imports models (STYLE.md).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.desk.workflows import _perm  # the desk's one permission rule
from backoffice.platform.workflow import condition


# -- maintenance -----------------------------------------------------------------------
class MaintenanceCycle(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Every six months")
    YEARLY = "yearly", _("Yearly")


#: cycle -> (months, days) added per step
CYCLE_STEP = {
    MaintenanceCycle.WEEKLY: (0, 7),
    MaintenanceCycle.MONTHLY: (1, 0),
    MaintenanceCycle.QUARTERLY: (3, 0),
    MaintenanceCycle.HALF_YEARLY: (6, 0),
    MaintenanceCycle.YEARLY: (12, 0),
}


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


# -- software update notices -----------------------------------------------------------
class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Not yet notified")
    NOTIFIED = "notified", _("Notified")
    UPDATED = "updated", _("Updated")
    DECLINED = "declined", _("Declined / not applicable")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WECHAT_QQ = "wechat_qq", _("WeChat / QQ")
    LETTER = "letter", _("Letter / fax")
    ON_SITE = "on_site", _("On site")


# -- follow-ups and satisfaction surveys (回访) -----------------------------------------
class FollowUpKind(models.TextChoices):
    TICKET = "ticket", _("After a closed ticket")
    UPDATE = "update", _("After a software update")
    OTHER = "other", _("Other (booked by hand)")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("To call")
    DONE = "done", _("Done")
    UNREACHABLE = "unreachable", _("Customer unreachable")
    CANCELLED = "cancelled", _("Cancelled")


class CallOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Reached: problem solved")
    PROBLEM_PERSISTS = "persists", _("Reached: problem persists")
    NO_SURVEY = "no_survey", _("Reached: declined the survey")


# -- permissions -----------------------------------------------------------------------


def can_record_visit(visit, user):
    """The visit's engineer records it; the after-sales manager may step in."""
    if _perm(user, "supervise_maintenancevisit"):
        return True
    return (_perm(user, "record_maintenancevisit")
            and visit.engineer_id in (None, user.pk))


def can_skip_visit(visit, user):
    """Skipping maintenance the customer is owed is the manager's decision."""
    return _perm(user, "supervise_maintenancevisit")


def can_manage_notice(notice, user):
    return _perm(user, "manage_updatenotice")


def can_handle_recipient(recipient, user):
    return _perm(user, "handle_updaterecipient")


def can_follow_up(followup, user):
    return _perm(user, "perform_followup")


def can_record_followup(followup, user):
    """The survey's rating stays on the follow-up (the ticket keeps the rating of the
    customer's confirmation), but it is a figure about the ticket's engineer all the
    same, read beside their appraisal: whoever records it is never that engineer, nor
    the clerk who answered the ticket on the first call (four eyes)."""
    if not can_follow_up(followup, user):
        return False
    ticket = followup.ticket
    return ticket is None or user.pk not in {ticket.assignee_id, ticket.resolved_by_id}


# -- conditions ------------------------------------------------------------------------
@condition(_("the release notes are empty"))
def has_release_notes(notice):
    return bool((notice.release_notes or "").strip())


@condition(_("call the customer at least once first"))
def was_attempted(followup):
    return followup.attempts > 0
