"""Login throttling (django-axes): the lockout page a locked-out user sees."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render


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
