"""Sidebar entries of the training app and its figures for the manager's dashboard."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from training import selectors

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
    awaiting their acknowledgement. Entries with nothing pending are left out. Two
    aggregate queries, whatever the data size.
    """
    counts = selectors.pending_counts(user)
    plans = reverse("admin:training_trainingplan_changelist")
    appraisals = reverse("admin:training_appraisal_changelist")
    entries = [
        (_("Training plans awaiting your approval"), counts["plans_to_approve"],
         f"{plans}?state__exact=submitted"),
        (_("Appraisals awaiting your review"), counts["appraisals_to_review"],
         f"{appraisals}?mine=review"),
        (_("Your appraisals awaiting your acknowledgement"),
         counts["appraisals_to_acknowledge"], f"{appraisals}?mine=1&state__exact=reviewed"),
    ]
    return [{"title": str(title), "count": count, "link": link}
            for title, count, link in entries if count]
