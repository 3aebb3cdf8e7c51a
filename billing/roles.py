"""What each role may do in the billing app (merged into backoffice.platform.roles.permission_matrix).

Everybody files their own expense claims (the admin shows each person only their own
claims unless they approve, pay or audit claims). The after-sales manager prepares the
budget, requests adjustments and approves claims; finance / leadership approves budgets and
adjustments and pays claims; the business manager owns the quotes charged to customers.
"""

from backoffice.platform.roles import ALL, ANY, EVERYONE, OTHERS, OWN, crud

_OWN_CLAIMS = [*crud("billing.expenseclaim", *ALL), *crud("billing.expenseline", *ALL)]
#: what tickets cost (parts, expenses, time at the roles' rates) and their margin: the
#: manager, finance and the business manager (who prices requirements) see the money
_TICKET_COST = ["billing.view_ticket_cost", *crud("billing.costrate", "view")]
_SEE_BUDGET = [*crud("billing.budget", "view"), *crud("billing.budgetline", "view"),
               *crud("billing.budgetcontrol", "view"),
               *crud("billing.budgetadjustment", "view"),
               *crud("billing.overrunconfirmation", "view")]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": [*_OWN_CLAIMS, *crud("billing.customercharge", "view")],
    "engineer": [*_OWN_CLAIMS],
    "warehouse": [*_OWN_CLAIMS],
    "trainer": [*_OWN_CLAIMS],
    "business": [*_OWN_CLAIMS, *crud("billing.customercharge", *ALL),
                 "billing.manage_customercharge", *_TICKET_COST],
    "manager": [
        *_OWN_CLAIMS, *_SEE_BUDGET,
        "billing.approve_expenseclaim",
        *crud("billing.budget", "add", "change", "delete"), "billing.submit_budget",
        *crud("billing.budgetline", "add", "change", "delete"),
        *crud("billing.budgetcontrol", "change"),
        *crud("billing.budgetadjustment", "add", "change", "delete"),
        *crud("billing.customercharge", "view"),
        *_TICKET_COST, *crud("billing.costrate", "add", "change"),
    ],
    "finance": [
        *_OWN_CLAIMS, *_SEE_BUDGET,
        "billing.pay_expenseclaim", "billing.audit_expenseclaim",
        *crud("billing.budget", "change"), "billing.approve_budget",
        *crud("billing.budgetcontrol", "change"),
        *crud("billing.budgetadjustment", "add", "change"), "billing.approve_budgetadjustment",
        *crud("billing.customercharge", "view"),
        *_TICKET_COST, *crud("billing.costrate", "add", "change", "delete"),
    ],
}


# who runs each workflow step (see backoffice.platform.roles.TRANSITIONS)
OWNERS = {
    "budget": ("prepared_by", "submitted_by"),
    "budgetadjustment": ("requested_by",),
    "expenseclaim": ("claimant",),
}

TRANSITIONS = {
    "budget": {
        "submit": {"manager": ANY},
        "approve": {"finance": OTHERS},
        "return_for_revision": {"finance": OTHERS},
    },
    "budgetadjustment": {
        "submit": {"manager": OWN, "finance": OWN},
        "approve": {"finance": OTHERS},
        "reject": {"finance": OTHERS},
    },
    "expenseclaim": {
        "submit": {EVERYONE: OWN},
        "withdraw": {EVERYONE: OWN},
        "approve": {"manager": OTHERS},
        "reject": {"manager": OTHERS},
        "pay": {"finance": OTHERS},
    },
    "customercharge": {name: {"business": ANY} for name in ("send", "revise", "accept", "decline")},
}
