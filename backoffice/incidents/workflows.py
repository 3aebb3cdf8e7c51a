"""Emergencies and the loop back to R&D: states, choices, rules and conditions.

Never imports models (STYLE.md): rules and conditions receive the document.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.desk.workflows import Category, Priority, _perm
from backoffice.platform.workflow import condition


class IncidentKind(models.TextChoices):
    OUTAGE = "outage", _("Service outage")
    SECURITY = "security", _("Security incident")
    DATA_LOSS = "data_loss", _("Data loss")


class Severity(models.TextChoices):
    P1 = "p1", _("P1 – many customers or a whole service down")
    P2 = "p2", _("P2 – one customer down, or many degraded")
    P3 = "p3", _("P3 – degraded, a workaround exists")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATED = "mitigated", _("Mitigated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_INCIDENT_STATES = [IncidentStatus.OPEN, IncidentStatus.MITIGATED]


class NoticeKind(models.TextChoices):
    FIRST = "first", _("First notice")
    UPDATE = "update", _("Update")
    ALL_CLEAR = "all_clear", _("All clear")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    KNOWN_ERROR = "known_error", _("Known error")
    FIXED = "fixed", _("Fixed")
    CLOSED = "closed", _("Closed")


#: ticket categories whose critical tickets propose an incident, and its kind
INCIDENT_CATEGORIES = {Category.OUTAGE: IncidentKind.OUTAGE,
                       Category.SECURITY: IncidentKind.SECURITY,
                       Category.DATA: IncidentKind.DATA_LOSS}


def proposes_incident(ticket) -> bool:
    """A critical ticket about an outage, a security incident or lost data is an
    emergency (seeds 000, 002): the desk is offered to open an incident."""
    return (ticket.priority == Priority.CRITICAL and ticket.category in INCIDENT_CATEGORIES
            and ticket.is_open)


# -- rules ------------------------------------------------------------------------------
def can_run_incident(incident, user):
    """The after-sales manager runs an emergency (commander or not)."""
    return _perm(user, "run_incident")


def can_work_problem(problem, user):
    """Engineers and the manager record the cause, the workaround and the fix."""
    return _perm(user, "change_problem")


def can_close_problem(problem, user):
    return _perm(user, "manage_problem")


# -- conditions -------------------------------------------------------------------------
@condition(_("write the post-incident review first (root cause, what went well and badly)"))
def has_review(incident):
    return all((value or "").strip() for value in
               (incident.root_cause, incident.went_well, incident.went_badly))


@condition(_("record the root cause and the workaround first"))
def has_workaround(problem):
    return bool((problem.root_cause or "").strip() and (problem.workaround or "").strip())
