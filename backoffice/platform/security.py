"""Login security: the lockout page a locked-out user sees (django-axes), and sessions
that end after a while without activity and after a maximum lifetime."""

import time

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    """A page in the user's language saying why and for how long, with HTTP 429."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "backoffice/lockout.html", context,
                  status=settings.AXES_HTTP_RESPONSE_CODE)


class SessionExpiryMiddleware:
    """Signs a user out after ``SESSION_IDLE_SECONDS`` without a request and
    ``SESSION_MAX_AGE_SECONDS`` after signing in, whatever they do (a shared counter PC
    left open stays open no longer). The last-seen time is written at most once a minute,
    so a busy clerk's clicks do not each write the session."""

    SEEN, STARTED = "_seen_at", "_signed_in_at"
    WRITE_EVERY = 60

    @classmethod
    def signed_in(cls, sender, request, user, **kwargs):
        """``user_logged_in``: the clocks start with the sign-in, saved with it (so the
        first page after it writes nothing)."""
        now = int(time.time())
        request.session[cls.STARTED] = request.session[cls.SEEN] = now

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(self.STARTED, now)
            seen = session.get(self.SEEN, now)
            idle = now - seen > settings.SESSION_IDLE_SECONDS
            if idle or now - started > settings.SESSION_MAX_AGE_SECONDS:
                logout(request)
                messages.info(request, _("You were signed out after %(minutes)d minutes without "
                                         "activity. Sign in again.")
                              % {"minutes": settings.SESSION_IDLE_SECONDS // 60} if idle else
                              _("Your session ended after %(hours)d hours. Sign in again.")
                              % {"hours": settings.SESSION_MAX_AGE_SECONDS // 3600})
                return redirect(f"{reverse('admin:login')}?next={request.path}")
            if now - seen >= self.WRITE_EVERY or self.SEEN not in session:
                session[self.SEEN] = now
        return self.get_response(request)


class PermissionBackend(ModelBackend):
    """Django's ModelBackend, with a user's own and group permissions read in one query
    instead of two, and kept in the process until a membership, a group's permissions or
    the user changes (``roles.PEOPLE``: every admin page asks for them). It fills the same
    per-user cache (``_perm_cache``) as ModelBackend, which stays listed after it and signs
    people in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Signing in stays ModelBackend's (listed after it): a wrong password is then
        hashed once, not once per backend."""
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            from backoffice.platform.roles import PEOPLE

            user_obj._perm_cache = PEOPLE.get(
                ("permissions", user_obj.pk, user_obj.is_superuser),
                lambda: self._read_permissions(user_obj))
        return user_obj._perm_cache

    @staticmethod
    def _read_permissions(user_obj) -> frozenset[str]:
        from django.contrib.auth.models import Permission
        from django.db.models import Q

        perms = Permission.objects.all()
        if not user_obj.is_superuser:
            user_model = type(user_obj)
            own = user_model.user_permissions.through.objects.filter(user=user_obj)
            grouped = user_model.groups.through.objects.filter(user=user_obj)
            perms = perms.filter(
                Q(pk__in=own.values("permission_id"))
                | Q(group__in=grouped.values("group_id"))).distinct()
        return frozenset(f"{app_label}.{codename}" for app_label, codename
                         in perms.values_list("content_type__app_label", "codename"))
