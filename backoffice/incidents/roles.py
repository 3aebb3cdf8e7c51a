"""Who may do what with emergencies and problem records (merged into
``platform.roles.permission_matrix``): the after-sales manager runs incidents and keeps the
plan library; engineers add timeline actions and work problem records; the clerk, who
takes the customers' calls, reads both."""

from backoffice.platform.roles import ALL, ANY, crud

_journals = ["backoffice.view_incidentevent", "backoffice.view_problemevent"]
_read = [*_journals,
         *[p for m in ("contingencyplan", "planstep", "plancontact", "incident",
                       "incidentticket", "incidentaction", "incidentnotice",
                       "incidentfollowup", "problem", "problemticket")
           for p in crud(f"backoffice.{m}", "view")]]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": _read,
    "engineer": [*_read, *crud("backoffice.incidentaction", "add"),
                 *crud("backoffice.problem", "add", "change"),
                 *crud("backoffice.problemticket", "add", "delete")],
    "manager": [*_journals,
                *[p for m in ("contingencyplan", "planstep", "plancontact", "incident",
                              "incidentticket", "incidentfollowup", "problem",
                              "problemticket") for p in crud(f"backoffice.{m}", *ALL)],
                *crud("backoffice.incidentaction", "view", "add"),
                *crud("backoffice.incidentnotice", "view"),
                "backoffice.run_incident", "backoffice.manage_problem"],
    "business": [*crud("backoffice.incident", "view"), *crud("backoffice.problem", "view"),
                 *_journals],
}

OWNERS = {
    "incident": ("commander",),
    "problem": ("owner",),
}

TRANSITIONS = {
    "incident": {name: {"manager": ANY}
                 for name in ("mitigate", "resolve", "reopen", "close", "cancel")},
    "problem": {
        "mark_known_error": {"engineer": ANY, "manager": ANY},
        "mark_fixed": {"engineer": ANY, "manager": ANY},
        "close": {"manager": ANY},
    },
}

RULES = [
    "Incidents: the after-sales manager opens and runs them, attaches tickets, sends the "
    "customer notices; an incident closes only after its post-incident review (root cause, "
    "what went well and badly).",
    "A ticket is counted in one incident and linked to one problem record at most.",
    "When a problem's fix ships (its version's update notice is announced, or it is marked "
    "fixed), the tickets waiting for R&D for it get an internal note by the system and "
    "their engineers a notification; the engineer resumes the ticket.",
]
