"""Admin of the training app: needs, plans, sessions and results; appraisals.

Configuration only: rules live in the models' workflows and in ``training.services``;
figures come from ``training.selectors``.
"""

from training.admin import appraisals, needs, plans, sessions  # noqa: F401
