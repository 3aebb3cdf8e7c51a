"""What each role may do in the training app (merged into backoffice.roles.permission_matrix).

- The training specialist collects needs, prepares and submits the plan, runs sessions
  and records attendance and results.
- The after-sales manager approves the plan, sets the KPI targets, computes and reviews
  the monthly appraisals.
- Everybody views (and acknowledges) only their own appraisals: ``view_appraisal`` is
  narrowed to one's own rows by the admin's ``get_queryset``.
"""

from backoffice.roles import ALL, crud

_own_appraisals = crud("training.appraisal", "view")

PERMISSIONS: dict[str, list[str]] = {
    "trainer": [
        *crud("training.trainingneed", *ALL),
        *crud("training.trainingplan", "view", "add", "change", "delete"),
        *crud("training.trainingplanitem", *ALL),
        *crud("training.trainingsession", *ALL),
        *crud("training.sessionattendee", *ALL),
        "training.submit_trainingplan", "training.close_trainingplan",
        "training.run_trainingsession",
        *_own_appraisals,
    ],
    "manager": [
        *crud("training.trainingneed", "view"),
        *crud("training.trainingplan", "view"),
        *crud("training.trainingplanitem", "view"),
        *crud("training.trainingsession", "view"),
        *crud("training.sessionattendee", "view"),
        "training.approve_trainingplan", "training.close_trainingplan",
        *crud("training.appraisalperiod", *ALL),
        *crud("training.appraisal", *ALL),
        *crud("training.kpitarget", *ALL),
        "training.review_appraisal",
    ],
    "engineer": [*_own_appraisals],
    "clerk": [*_own_appraisals],
    "business": [*_own_appraisals],
    "warehouse": [*_own_appraisals],
    "finance": [*_own_appraisals],
}
