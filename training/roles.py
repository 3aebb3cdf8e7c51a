"""What each role may do in the training app (merged into backoffice.platform.roles.permission_matrix).

- The training specialist collects needs, prepares and submits the plan, runs sessions
  and records attendance and results.
- The after-sales manager approves the plan, sets the KPI targets, computes and reviews
  the monthly appraisals.
- Everybody views (and acknowledges) only their own appraisals: ``view_appraisal`` is
  narrowed to one's own rows by the admin's ``get_queryset``.
"""

from backoffice.platform.roles import ALL, ANY, EVERYONE, OTHERS, OWN, crud

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


# who runs each workflow step (see backoffice.platform.roles.TRANSITIONS)
OWNERS = {
    "appraisal": ("employee",),
    "trainingplan": ("prepared_by", "submitted_by"),
}

_trainer_or_manager = {"trainer": ANY, "manager": ANY}

TRANSITIONS = {
    "trainingneed": {name: _trainer_or_manager for name in ("plan", "drop", "reopen")},
    "trainingplan": {
        "submit": {"trainer": ANY},
        "withdraw": {"trainer": ANY},
        "approve": {"manager": OTHERS},
        "reject": {"manager": OTHERS},
        "close": _trainer_or_manager,
    },
    "trainingsession": {"hold": {"trainer": ANY}, "cancel": {"trainer": ANY}},
    "appraisal": {
        "review": {"manager": OTHERS},
        "reopen": {"manager": OTHERS},
        "acknowledge": {EVERYONE: OWN},
        "dispute": {EVERYONE: OWN},
    },
}
