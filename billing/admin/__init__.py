"""Admin of the billing app: budgets, adjustments, expense claims, customer charges
(one module per document; importing registers them).

Configuration only: figures come from ``billing.selectors`` and the workflow buttons from
``BackofficeAdmin`` (one dialog per transition, through ``apply_transition``).
"""

from billing.admin import budgets, charges, claims, report  # noqa: F401
