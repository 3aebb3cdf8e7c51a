"""Production settings: DEBUG off, secrets from the environment, HTTPS everywhere.

Use with ``DJANGO_SETTINGS_MODULE=backoffice.settings.production``; it refuses to start
without ``SECRET_KEY`` and ``ALLOWED_HOSTS``. ``manage.py check --deploy`` is clean.
"""

import os

os.environ.setdefault("DEBUG", "0")
if os.environ["DEBUG"].strip().lower() in {"1", "true", "yes", "on"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEBUG must be off with the production settings.")

from backoffice.settings import *  # noqa: E402,F403
from backoffice.settings import env_bool, env_list  # noqa: E402

if not ALLOWED_HOSTS:  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", r"^healthz/$")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
