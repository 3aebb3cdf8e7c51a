"""Sidebar entries of the training app and its figures for the manager's dashboard."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

#: (model name, icon[, query string, title]) in sidebar order; shown to users who may
#: view the model
SIDEBAR_ITEMS = [
    ("trainingneed", "lightbulb"),
    ("trainingplan", "event_note"),
    ("trainingplanitem", "list_alt"),
    ("trainingsession", "school"),
    ("sessionattendee", "fact_check"),
    ("sessionattendee", "support", "?result=coaching", _("Follow-up coaching")),
    ("appraisal", "assignment_ind"),
    ("appraisalperiod", "calendar_month"),
    ("kpitarget", "flag"),
]


def pending_approvals(user) -> list[dict]:
    """What waits for ``user`` in training and appraisals, for the dashboard.

    ``[{"title": str, "count": int, "link": str}]``: training plans awaiting their
    approval, appraisals awaiting their review (manager) and their own appraisals
    awaiting their acknowledgement. Entries with nothing pending are left out. The
    counts are read with the page's others, in one query (as
    ``selectors.pending_counts``, deferred: ``platform.dashboard.read_together``).
    """
    from backoffice.platform.dashboard import DeferredCount, deferred_count, settled
    from training.models import Appraisal, TrainingPlan
    from training.workflows import AppraisalStatus, TrainingPlanStatus

    if not (user and user.is_authenticated and user.is_active):
        return []
    plans = reverse("admin:training_trainingplan_changelist")
    appraisals = reverse("admin:training_appraisal_changelist")
    entries = []
    if user.has_perm("training.approve_trainingplan"):
        entries.append((_("Training plans awaiting your approval"), deferred_count(
            TrainingPlan.objects.filter(state=TrainingPlanStatus.SUBMITTED)
            .exclude(prepared_by=user).exclude(submitted_by=user)),
            f"{plans}?state__exact=submitted"))
    if user.has_perm("training.review_appraisal"):
        entries.append((_("Appraisals awaiting your review"), deferred_count(
            Appraisal.objects.filter(~Q(employee=user), state=AppraisalStatus.DRAFT)),
            f"{appraisals}?mine=review"))
    entries.append((_("Your appraisals awaiting your acknowledgement"), deferred_count(
        Appraisal.objects.filter(state=AppraisalStatus.REVIEWED, employee=user)),
        f"{appraisals}?mine=1&state__exact=reviewed"))
    items = settled([{"title": str(title), "count": count, "link": link}
                     for title, count, link in entries])
    return [i for i in items if isinstance(i["count"], DeferredCount) or i["count"]]
