"""What each role may do at the service desk: customers, products, tickets, response-time
targets and the business calendar (merged into ``platform.roles.permission_matrix``).

- clerk: records customers and tickets, assigns, records the confirmation, closes;
- engineer: works the tickets assigned to them (the service record is theirs: other
  engineers read it, EDITORS); never enters the confirmation and rating of their own
  ticket (it feeds their appraisal);
- after-sales manager: everything here, supervises every ticket, handles complaints;
- business manager: evaluates new-requirement tickets;
- everyone else reads customers and tickets.
"""

from backoffice.platform.roles import ALL, ANY, OTHERS, OWN, crud

#: the conversation on tickets: whoever works at the desk writes calls and notes (a reply to
#: the customer also needs the right to save the ticket, EDITORS); everyone who sees a
#: ticket reads its whole thread, internal notes included (the customer never sees them)
_conversation = [*crud("backoffice.ticketmessage", "view", "add"),
                 *crud("backoffice.ticketattachment", "view"),
                 *crud("backoffice.cannedreply", "view")]
_reading = [*crud("backoffice.ticketmessage", "view"),
            *crud("backoffice.ticketattachment", "view")]

#: time entries (工时): the engineer records their own on their ticket, the manager corrects
#: anyone's; the desk reads them (hours only: what they cost is billing's)
_time_read = [*crud("backoffice.timeentry", "view")]
_time_own = [*crud("backoffice.timeentry", "view", "add", "change")]

#: call spot checks (录音抽查): the manager checks others' calls; whoever takes calls reads
#: the checks of their own (the list is narrowed to them)
_own_spot_checks = [*crud("backoffice.callspotcheck", "view")]

#: service-record reviews (服务记录审核): the after-sales manager scores them; the engineer
#: (or the clerk, for a first-call answer) reads the reviews of their own records
_reviews_own = [*crud("backoffice.servicerecordreview", "view")]

_reference = [*crud("backoffice.product", "view"), *crud("backoffice.productversion", "view"),
              *crud("backoffice.slapolicy", "view"), *crud("backoffice.businesscalendar", "view")]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": [
        *crud("backoffice.customer", "view", "add", "change"),
        *crud("backoffice.contact", *ALL), *crud("backoffice.installedproduct", *ALL),
        *_reference,
        *crud("backoffice.ticket", "view", "add", "change"), *_conversation,
        "backoffice.assign_ticket", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.cancel_ticket", "backoffice.reopen_ticket",
        *crud("backoffice.inboundmail", "view"), "backoffice.file_inboundmail",
        *_time_read, *_own_spot_checks, *_reviews_own,
    ],
    "engineer": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view", "add", "change"),
        *crud("backoffice.installedproduct", "view", "add", "change"),
        *_reference,
        *crud("backoffice.ticket", "view", "change"), *_conversation,
        "backoffice.work_ticket", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.reopen_ticket", *crud("backoffice.inboundmail", "view"),
        *_time_own, *_own_spot_checks, *_reviews_own,
    ],
    "manager": [
        *crud("backoffice.customer", *ALL), *crud("backoffice.contact", *ALL),
        *crud("backoffice.installedproduct", *ALL), *crud("backoffice.product", *ALL),
        *crud("backoffice.productversion", *ALL), *crud("backoffice.slapolicy", *ALL),
        *crud("backoffice.businesscalendar", *ALL), *crud("backoffice.workingperiod", *ALL),
        *crud("backoffice.calendarday", *ALL),
        *crud("backoffice.ticket", "view", "add", "change"), *_conversation,
        *crud("backoffice.cannedreply", *ALL),
        "backoffice.assign_ticket", "backoffice.work_ticket", "backoffice.supervise_ticket",
        "backoffice.handle_complaint", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.cancel_ticket", "backoffice.reopen_ticket",
        *crud("backoffice.inboundmail", "view"), "backoffice.file_inboundmail",
        *crud("backoffice.timeentry", *ALL),
        *crud("backoffice.callspotcheck", *ALL),
        *crud("backoffice.servicerecordreview", "view", "change"),
        "backoffice.review_servicerecordreview",
    ],
    "business": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view"),
        *crud("backoffice.installedproduct", "view"), *_reference,
        *crud("backoffice.ticket", "view"), *_reading,
        *crud("backoffice.ticketmessage", "add"), "backoffice.evaluate_requirement",
        *_time_read,
    ],
    "warehouse": [
        *crud("backoffice.customer", "view"), *crud("backoffice.product", "view"),
        *crud("backoffice.ticket", "view"), *_reading,
    ],
    "trainer": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view"),
        *_reference, *crud("backoffice.ticket", "view"), *_reading,
    ],
    "finance": [
        *crud("backoffice.customer", "view"), *crud("backoffice.ticket", "view"), *_reading,
        *_time_read,
    ],
}

OWNERS = {
    "ticket": ("assignee",),
    "timeentry": ("person",),
    # whose record it is, and who resolved the ticket: neither reviews it
    "servicerecordreview": ("engineer", "resolved_by"),
}

#: who saves a ticket's page: clerks (who record tickets) and the manager any, an engineer
#: the tickets assigned to them
EDITORS = {
    "ticket": {"clerk": ANY, "engineer": OWN, "manager": ANY},
    "timeentry": {"engineer": OWN, "manager": ANY},
    # the manager scores a waiting review (never of a ticket they worked); the engineer reads
    "servicerecordreview": {"manager": OTHERS},
}

#: the front desk: whoever takes the customer's call
FRONT_DESK = {"clerk": ANY, "engineer": ANY, "manager": ANY}
#: the assignee, or a supervisor
ENGINEER_AT_WORK = {"engineer": OWN, "manager": ANY}

TRANSITIONS = {
    "servicerecordreview": {
        # four eyes: never the record of a ticket the manager worked or resolved
        "review": {"manager": OTHERS},
    },
    "inboundmail": {
        "file_for_customer": {"clerk": ANY, "manager": ANY},
        "discard": {"clerk": ANY, "manager": ANY},
    },
    "ticket": {
        "assign": {"clerk": ANY, "manager": ANY},
        "start": ENGINEER_AT_WORK,
        "wait_for_customer": ENGINEER_AT_WORK,
        "resume": ENGINEER_AT_WORK,
        "wait_for_rnd": ENGINEER_AT_WORK,
        "rnd_delivered": ENGINEER_AT_WORK,
        "schedule_visit": ENGINEER_AT_WORK,
        "finish_visit": ENGINEER_AT_WORK,
        "escalate": ENGINEER_AT_WORK,
        "refer_requirement": {"clerk": ANY, "engineer": OWN, "manager": ANY},
        "evaluate_requirement": {"business": ANY},
        "refer_complaint": {"clerk": ANY, "engineer": OWN, "manager": ANY},
        "resolve_complaint": {"manager": ANY},
        "reopen_complaint": FRONT_DESK,
        "resolve": ENGINEER_AT_WORK,
        "resolve_on_first_contact": {"clerk": ANY, "manager": ANY},
        # four eyes: the customer's rating feeds the KPI of whoever has or resolved the
        # ticket, so whoever enters it is never them, whatever their role
        "confirm": {"clerk": OTHERS, "engineer": OTHERS, "manager": OTHERS},
        "reopen": FRONT_DESK,
        "reopen_to_desk": FRONT_DESK,
        "close": FRONT_DESK,
        "close_anyway": FRONT_DESK,
        "cancel": {"clerk": ANY, "manager": ANY},
    },
}

#: what the matrices above cannot show (docs/roles.md, "Further rules")
RULES = [
    "**Ticket conversation — reading**: everyone who may see a ticket reads its whole "
    "thread, internal notes included, and opens its attachments; internal notes never "
    "leave the back office (they are not mailed, and the customer's pages never show them).",
    "**Ticket conversation — calls and notes**: clerks, engineers, the after-sales manager "
    "and the business manager log calls and leave internal notes on any ticket they see.",
    "**Ticket conversation — replies to the customer**: whoever may save the ticket's page "
    "(EDITORS: clerks and the after-sales manager on any ticket, an engineer on the tickets "
    "assigned to them); a reply by e-mail goes to the ticket's contact with the ticket "
    "number in its subject. A closed or cancelled ticket takes internal notes only.",
    "**Support mailbox**: clerks and the after-sales manager file mails of unknown senders "
    "for a customer, or discard them; engineers read the mailbox.",
    "**Customer's confirmation**: whoever may record a confirmation, and the ticket's "
    "engineer, send the customer a one-time link (by e-mail, or as text for WeChat, QQ or "
    "SMS) once the ticket is resolved. The customer answers on a public page without a "
    "login (journaled as *system*, with the signer's name, IP and browser): *solved* with a "
    "rating and a signature confirms and closes the ticket; *not solved* reopens it to its "
    "engineer. A rating of 1-2 or a comment saying the problem persists leaves the ticket "
    "confirmed with a warning until the front desk reopens it or closes it anyway with a "
    "reason. Staff signed in are never offered the customer's form.",
    "**Ratings**: a confirmation taken by phone is entered by a clerk or manager who neither "
    "has the ticket nor resolved it; a follow-up survey keeps its own rating and never "
    "changes the confirmation's.",
    "**First-call answers**: a clerk (or the after-sales manager) answers a consultation or "
    "an operation question on the first contact with a written answer, without an engineer; "
    "it counts for the clerk, not in the engineers' figures.",
    "**Service-record review**: resolving a ticket queues its service record for the "
    "after-sales manager's review when it is a complaint or one of the first records the "
    "engineer resolves in the month (the sample, `SERVICE_REVIEW_SAMPLE_PER_ENGINEER`); a "
    "confirmation rated `SERVICE_REVIEW_LOW_RATING` or less queues it too. The manager "
    "scores six aspects and completes the review, never for a ticket they worked or "
    "resolved; the engineer (the clerk, for a first-call answer) reads the reviews of "
    "their own records once they are done, and is notified.",
    "**VIP line**: a new ticket of a VIP customer, or any ticket on the VIP line, is "
    "assigned to the customer's service consultant at once (journaled as the person who "
    "recorded it, or as *system* for a mail), and the consultant is notified.",
    "**Call spot checks**: the after-sales manager spot-checks call notes (phone contacts, "
    "with the recording attached to the note) of anyone but themselves, scoring each 0-100 "
    "with a comment; only the checker changes a check. Whoever took a call sees the checks "
    "of their own calls; the appraisal counts them in the month of the call.",
]
