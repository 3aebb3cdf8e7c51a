"""Admin of the billing app: budgets, adjustments, expense claims, customer charges,
cost rates and the cost of tickets (one module per document; importing registers them).

Configuration only: figures come from ``billing.selectors`` and the workflow buttons from
``BackofficeAdmin`` (one dialog per transition, through ``apply_transition``).
"""

from billing.admin import budgets, charges, claims, costs, report  # noqa: F401
