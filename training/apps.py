from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training and appraisal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.platform.budget import register_source
        from training import services  # noqa: F401  (registers the transitions' side effects)

        register_source("training.plans", _training_spending)


def _training_spending(year):
    """Approved plans and held sessions as a spending source of the budget (see
    backoffice.platform.budget): the training category's committed and actual."""
    from training.selectors import training_spending

    return list(training_spending(year))
