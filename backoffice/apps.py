from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Service desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.platform import roles

        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="backoffice.sync_roles")
