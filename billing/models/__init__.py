from billing.models.budget import (  # noqa: F401
    Budget,
    BudgetAdjustment,
    BudgetAdjustmentEvent,
    BudgetControl,
    BudgetEvent,
    BudgetLine,
    OverrunConfirmation,
)
from billing.models.charges import CustomerCharge, CustomerChargeEvent  # noqa: F401
from billing.models.claims import ExpenseClaim, ExpenseClaimEvent, ExpenseLine  # noqa: F401
from billing.models.rates import CostRate  # noqa: F401
