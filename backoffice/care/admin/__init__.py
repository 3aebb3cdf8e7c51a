"""Admin of customer care: maintenance plans and visits, update notices, follow-ups
(one module per document; importing registers them)."""

from backoffice.care.admin import followups, maintenance, updates  # noqa: F401
