"""The demo, served the way production serves: ``make demo`` (scripts/demo.sh).

Production settings with DEBUG off, hashed static files from WhiteNoise (after
``collectstatic``), behind gunicorn - so the demo is as fast as the real thing, not as
slow as ``runserver`` with DEBUG on (SQL logging, unhashed static files through Django,
one process). Three things differ, and only because the demo runs on http://127.0.0.1
with no certificate and no operator:

- HTTPS is not forced. Production redirects to https://, sends HSTS and marks the
  cookies Secure: on plain HTTP the redirect leads nowhere, the browser never sends a
  Secure session or CSRF cookie back (so nobody could log in), and an HSTS header on
  127.0.0.1 would stick in the browser for a year and break every other local server.
- A fixed secret key when none is set: the demo's data and passwords (Demo@2026) are
  public anyway, and a key that survives restarts keeps the sessions.
- ``ALLOWED_HOSTS`` defaults to 127.0.0.1 and localhost.

Set ``SECRET_KEY``/``ALLOWED_HOSTS`` to override those defaults. Never deploy with this
module: ``backoffice.settings.production`` is the one for a server others reach.
"""

import os

# production.py reads these while it is imported (and refuses to start without them)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault(
    "SECRET_KEY", "demo-only-key-the-demo-data-is-public-never-use-on-a-server-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from backoffice.settings.production import *  # noqa: E402, F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
