from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Service desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from backoffice.desk import mailbox, services  # noqa: F401  (side effects, events)
        from backoffice.platform import domains, roles

        # every domain's scheduled tasks declare notification events too: load them in
        # every process (the settings page lists them, the worker mails their labels)
        domains.modules("tasks")
        from backoffice.platform.security import SessionExpiryMiddleware

        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="backoffice.sync_roles")
        user_logged_in.connect(SessionExpiryMiddleware.signed_in,
                               dispatch_uid="backoffice.session_clocks")
