from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Spare parts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.platform.budget import register_source
        from inventory import services  # noqa: F401  (registers the transitions' side effects)

        register_source("inventory.purchases", _purchase_spending)


def _purchase_spending(year):
    """Parts purchases as a spending source of the budget (see backoffice.platform.budget)."""
    from inventory.selectors import purchase_spending

    return list(purchase_spending(year))
