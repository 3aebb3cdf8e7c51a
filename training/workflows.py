"""Training and appraisal workflows: states, choices, conditions and permission rules.

Never imports models (STYLE.md): conditions and permissions receive the document.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice.platform.workflow import condition


# -- states -----------------------------------------------------------------------------
class TrainingNeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLANNED = "planned", _("Planned")
    DROPPED = "dropped", _("Dropped")


class TrainingPlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


class TrainingSessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class AppraisalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (computed)")
    REVIEWED = "reviewed", _("Reviewed by manager")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by employee")


# -- choices ----------------------------------------------------------------------------
class Audience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    STAFF = "staff", _("Staff")


class RequesterKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Staff")


class NeedSource(models.TextChoices):
    SURVEY = "survey", _("Survey")
    TICKET = "ticket", _("Ticket")
    MANAGER = "manager", _("Manager")


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Method(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")
    VIDEO = "video", _("Video")


class TrainerKind(models.TextChoices):
    INTERNAL = "internal", _("Internal expert")
    EXTERNAL = "external", _("External lecturer")


class PracticalResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("practical test result", "Failed")


class Outcome(models.TextChoices):
    REWARD = "reward", _("Reward")
    NONE = "none", _("No action")
    DEDUCTION = "deduction", _("Performance deduction")
    WARNING = "warning", _("Warning")
    TRANSFER = "transfer", pgettext_lazy("appraisal outcome", "Transfer")


class AppraisalSource(models.TextChoices):
    COMPUTED = "computed", _("Computed from tickets")
    IMPORTED = "imported", _("Imported from spreadsheet")


class Kpi(models.TextChoices):
    """The appraisal's key figures; each has a configurable target (``KpiTarget``)."""

    SATISFACTION_MEAN = "satisfaction_mean", _("Mean satisfaction (1-5)")
    SATISFIED_SHARE = "satisfied_share", _("Satisfied customers (%)")
    SELF_RATED_SHARE = "self_rated_share", _("Rated by the customer themself (%)")
    RESOLUTION_RATE = "resolution_rate", _("Resolution rate (%)")
    AVG_RESPONSE_HOURS = "avg_response_hours", _("Average first response (working hours)")
    RESPONSE_IN_TIME_SHARE = "response_in_time_share", _("Answered within target (%)")
    RECORD_COMPLETENESS = "record_completeness", _("Service-record completeness (%)")
    AVG_HELD_HOURS = "avg_held_hours", _("Average time holding a resolved ticket (working hours)")
    # the clerk's (seed 001 §4, seed 002): the front desk's own figures
    AVG_FORWARD_MINUTES = "avg_forward_minutes", _("Average time from the call to forwarding "
                                                   "(minutes)")
    FIRST_CONTACT_SHARE = "first_contact_share", _("Questions answered on the first call (%)")
    FOLLOWUP_ON_TIME_SHARE = "followup_on_time_share", _("Follow-up calls done on time (%)")
    SPOT_CHECK_SCORE = "spot_check_score", _("Call spot-check score (0-100)")


class AppraisalRole(models.TextChoices):
    """Whose figures an appraisal holds: each role is judged on its own KPIs and targets."""

    ENGINEER = "engineer", _("Support engineer")
    CLERK = "clerk", _("Customer service clerk")


#: the KPIs of each role, in the order the appraisal page shows them
ROLE_KPIS = {
    AppraisalRole.ENGINEER: [Kpi.SATISFACTION_MEAN, Kpi.SATISFIED_SHARE, Kpi.SELF_RATED_SHARE,
                             Kpi.RESOLUTION_RATE, Kpi.AVG_RESPONSE_HOURS,
                             Kpi.RESPONSE_IN_TIME_SHARE, Kpi.RECORD_COMPLETENESS,
                             Kpi.AVG_HELD_HOURS],
    AppraisalRole.CLERK: [Kpi.AVG_FORWARD_MINUTES, Kpi.FIRST_CONTACT_SHARE,
                          Kpi.FOLLOWUP_ON_TIME_SHARE, Kpi.SPOT_CHECK_SCORE],
}


#: KPIs where a smaller value is better (the target is a ceiling, not a floor)
LOWER_IS_BETTER = {Kpi.AVG_RESPONSE_HOURS, Kpi.AVG_HELD_HOURS, Kpi.AVG_FORWARD_MINUTES}
#: KPIs measured in hours (not a percentage)
HOUR_KPIS = {Kpi.AVG_RESPONSE_HOURS, Kpi.AVG_HELD_HOURS}
#: KPIs that are neither a percentage nor hours (their target is not capped at 100)
DURATION_KPIS = {*HOUR_KPIS, Kpi.AVG_FORWARD_MINUTES}

#: targets used until the manager configures their own (DOMAIN.md: 95 % answered in time).
#: The share rated by the customer themself has none: it says how far the satisfaction
#: figures rest on the customer's own word, and is judged only once the manager sets one.
DEFAULT_TARGETS = {
    Kpi.SATISFACTION_MEAN: "4.00",
    Kpi.SATISFIED_SHARE: "90.00",
    Kpi.RESOLUTION_RATE: "90.00",
    Kpi.AVG_RESPONSE_HOURS: "4.00",
    Kpi.RESPONSE_IN_TIME_SHARE: "95.00",
    Kpi.RECORD_COMPLETENESS: "95.00",
}
#: the clerk's defaults: forwarded within half an hour of the call, half of the
#: consultations and usage questions answered at once, 95 % of follow-ups on time, and a
#: spot-check score of 80 of 100
CLERK_DEFAULT_TARGETS = {
    Kpi.AVG_FORWARD_MINUTES: "30.00",
    Kpi.FIRST_CONTACT_SHARE: "50.00",
    Kpi.FOLLOWUP_ON_TIME_SHARE: "95.00",
    Kpi.SPOT_CHECK_SCORE: "80.00",
}
ROLE_DEFAULT_TARGETS = {AppraisalRole.ENGINEER: DEFAULT_TARGETS,
                        AppraisalRole.CLERK: CLERK_DEFAULT_TARGETS}


# -- permissions (django-fsm calls these with (document, user)) -------------------------
def _perm(user, codename):
    return bool(user and user.is_active and user.has_perm(f"training.{codename}"))


def can_manage_need(need, user):
    return _perm(user, "change_trainingneed") or _perm(user, "approve_trainingplan")


def can_submit_plan(plan, user):
    return _perm(user, "submit_trainingplan")


def can_approve_plan(plan, user):
    """Four-eyes rule: whoever prepared or submitted the plan does not approve it."""
    return (_perm(user, "approve_trainingplan")
            and user.pk not in {plan.prepared_by_id, plan.submitted_by_id})


def can_close_plan(plan, user):
    return _perm(user, "close_trainingplan")


def can_run_session(session, user):
    return _perm(user, "run_trainingsession")


def can_review_appraisal(appraisal, user):
    """The manager reviews everybody's appraisal except their own."""
    return _perm(user, "review_appraisal") and appraisal.employee_id != user.pk


def is_appraised_employee(appraisal, user):
    return bool(user and user.is_active and appraisal.employee_id == user.pk)


# -- conditions -------------------------------------------------------------------------
@condition(_("the need is not answered by any plan item"))
def need_in_a_plan(need):
    return need.pk is not None and need.plan_items.exists()


@condition(_("the plan has no items"))
def plan_has_items(plan):
    return plan.pk is not None and plan.items.exists()


@condition(_("the plan has no goals"))
def plan_has_goals(plan):
    return bool((plan.goals or "").strip())


@condition(_("some sessions of the plan are still planned: hold or cancel them first"))
def plan_sessions_settled(plan):
    return not plan.items.filter(sessions__state=TrainingSessionStatus.PLANNED).exists()


@condition(_("the training plan is not approved yet"))
def session_plan_approved(session):
    return session.plan_item.plan.state == TrainingPlanStatus.APPROVED


@condition(_("the session has not started yet"))
def session_started(session):
    return session.starts_at is not None and session.starts_at <= timezone.now()


@condition(_("no attendee is marked as present"))
def session_has_attendance(session):
    return session.pk is not None and session.attendees.filter(attended=True).exists()


@condition(_("the manager's score is missing"))
def appraisal_scored(appraisal):
    return appraisal.manager_score is not None


@condition(_("no outcome is chosen"))
def appraisal_outcome_chosen(appraisal):
    return bool(appraisal.outcome)


@condition(_("the figures have not been computed or imported"))
def appraisal_has_figures(appraisal):
    return appraisal.computed_at is not None or appraisal.source == AppraisalSource.IMPORTED
