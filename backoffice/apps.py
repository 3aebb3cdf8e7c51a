from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Service desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # side effects and events; the reference data's signals (desk.selectors)
        from backoffice.desk import mailbox, selectors, services  # noqa: F401
        from backoffice.incidents import services as incidents  # noqa: F401  (the same)
        from backoffice.platform import domains, roles

        # every domain's scheduled tasks declare notification events too: load them in
        # every process (the settings page lists them, the worker mails their labels)
        domains.modules("tasks")
        from backoffice.platform.security import SessionExpiryMiddleware

        name_people_one_way()
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="backoffice.sync_roles")
        user_logged_in.connect(SessionExpiryMiddleware.signed_in,
                               dispatch_uid="backoffice.session_clocks")


def name_people_one_way():
    """Every place that prints a user - admin lists, foreign keys, history's "changed by",
    journals, mails, exports, unfold's user menu - names them as platform.people does
    (Chinese: family name first, no space; English: "First Last"; else the username).
    The methods are replaced on Django's own User model (add_to_class): no table or
    data changes."""
    from django.contrib.auth import get_user_model

    from backoffice.platform import people

    def get_full_name(user):
        return people.full_name(user.first_name, user.last_name)

    User = get_user_model()
    User.add_to_class("__str__", people.display_name)
    User.add_to_class("get_full_name", get_full_name)
