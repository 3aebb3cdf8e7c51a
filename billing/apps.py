from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Budgets and expenses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Become the budget owner: every spender's approval now asks our guard."""
        from backoffice.platform import budget
        from billing.services import budget_guard, budget_position

        budget.register_guard(budget_guard)
        budget.register_position(budget_position)
