"""What each role may do in customer care: maintenance plans and visits, update notices
and their recipients, follow-up calls (merged into ``platform.roles.permission_matrix``)."""

from backoffice.platform.roles import ALL, ANY, OTHERS, OWN, crud

# the same two circles as at the desk: whoever takes the customer's call; the engineer
# the visit is theirs, or a supervisor
FRONT_DESK = {"clerk": ANY, "engineer": ANY, "manager": ANY}
ENGINEER_AT_WORK = {"engineer": OWN, "manager": ANY}

_journals = [f"backoffice.view_{m}event" for m in ("maintenancevisit", "updatenotice",
                                                    "updaterecipient", "followup")]
_read = [*_journals, *crud("backoffice.maintenanceplan", "view"),
         *crud("backoffice.maintenancevisit", "view"), *crud("backoffice.updatenotice", "view"),
         *crud("backoffice.updaterecipient", "view"), *crud("backoffice.followup", "view")]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": [*_read, *crud("backoffice.updaterecipient", "change"),
              *crud("backoffice.followup", "add", "change"),
              "backoffice.handle_updaterecipient", "backoffice.perform_followup"],
    "engineer": [*_read, *crud("backoffice.maintenancevisit", "change"),
                 "backoffice.record_maintenancevisit",
                 *crud("backoffice.updaterecipient", "change"),
                 "backoffice.handle_updaterecipient"],
    "manager": [*_journals, *crud("backoffice.maintenanceplan", *ALL),
                *crud("backoffice.maintenancevisit", "view", "add", "change"),
                *crud("backoffice.updatenotice", *ALL),
                *crud("backoffice.updaterecipient", "view", "change"),
                *crud("backoffice.followup", "view", "add", "change"),
                "backoffice.record_maintenancevisit", "backoffice.supervise_maintenancevisit",
                "backoffice.manage_updatenotice", "backoffice.handle_updaterecipient",
                "backoffice.perform_followup"],
    "business": [*crud("backoffice.updatenotice", "view"), "backoffice.view_updatenoticeevent"],
}

OWNERS = {
    "maintenancevisit": ("engineer",),
    # a follow-up call belongs to the engineer of its ticket: its rating is his KPI
    "followup": ("ticket__assignee",),
}

TRANSITIONS = {
    "maintenancevisit": {
        "make_appointment": ENGINEER_AT_WORK,
        "complete": ENGINEER_AT_WORK,
        "skip": {"manager": ANY},
    },
    "updatenotice": {name: {"manager": ANY}
                     for name in ("announce", "refresh_recipients", "close", "cancel")},
    "updaterecipient": {name: FRONT_DESK for name in ("notify", "mark_updated", "decline")},
    "followup": {
        # four eyes: the survey's rating is a figure about the ticket's engineer (or the clerk
        # who answered it on the first call)
        "record": {"clerk": OTHERS, "manager": OTHERS},
        **{name: {"clerk": ANY, "manager": ANY}
           for name in ("not_reached", "give_up", "cancel")}},
}
