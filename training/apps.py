from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training and appraisal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from training import services  # noqa: F401  (registers the transitions' side effects)
