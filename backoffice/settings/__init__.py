"""Settings for the after-sales back office, read from the environment.

Development defaults (DEBUG on, SQLite under var/) make the demo a one-command affair;
``backoffice.settings.production`` hardens everything for a real deployment.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_fsm",
    "signature_pad",
    "backoffice",
    "inventory",
    "billing",
    "training",
]

#: The domains the site is made of, in the order the sidebar, the role matrix and the demo
#: follow. The platform (``backoffice.platform``) finds each one's ``roles``, ``dashboard``
#: and ``demo`` modules through this list instead of importing them.
BACKOFFICE_DOMAINS = [
    "backoffice.desk",
    "backoffice.knowledge",
    "backoffice.care",
    "backoffice.incidents",
    "backoffice.reports",
    "inventory",
    "billing",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "backoffice.platform.security.SessionExpiryMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Login throttling: AxesStandaloneBackend first, so a locked-out user is refused before
# the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with one permission query per request instead of two
    "backoffice.platform.security.PermissionBackend",
    "django.contrib.auth.backends.ModelBackend",  # signs in; shares the permission cache
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# DATABASE_URL selects the database; the embedded default is a SQLite file under var/.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'backoffice.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers: take the write lock at BEGIN (no upgrade deadlocks), wait for
    # it instead of failing at once, and let readers run beside the writer (WAL).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that threads in concurrency tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-backoffice.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
VAR_DIR.mkdir(parents=True, exist_ok=True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Our strings, then our Chinese catalog for the admin theme (unfold ships none).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# --- Background jobs and cache --------------------------------------------------------
# Long imports/exports run in a worker: `manage.py db_worker` (the queue is a table in
# the same database, so it works with SQLite and with PostgreSQL across processes).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND",
                                               "django_tasks_db.DatabaseBackend")}}
# A worker that dies leaves its job "running" and no other worker takes the task up: a
# running job whose worker gave no sign of life for this many seconds is marked failed
# (nothing was written: an import is one transaction). Workers give one every quarter of
# it, so keep it well above a database or cache hiccup (backoffice.platform.jobs).
JOB_HEARTBEAT_TIMEOUT = int(os.environ.get("JOB_HEARTBEAT_TIMEOUT", 120))
# Job progress is shared through the cache: files on this machine by default, Redis
# when REDIS_URL is set (several application machines).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Libraries ------------------------------------------------------------------------
# Import/export follows model permissions: importing creates rows, so it needs "add".
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# Formats: CSV and XLSX (import through backoffice.platform.formats: encodings, bombs, formulas).
IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES = True
# Uploads larger than this are refused by the import form (see backoffice.platform.forms).
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES",
                                                        300 * 1024 * 1024))

# Reverting a state-machine model from history would bypass its workflow; the button is
# hidden here and the POST is refused in backoffice.platform.admin.base.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# django-axes: 5 failures for one user name from one address lock that pair for 30
# minutes (an office behind one NAT address is not locked out by one colleague).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backoffice.platform.security.lockout_response"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", 0))
AXES_VERBOSE = False

# Sessions: signed out after SESSION_IDLE_MINUTES without a request (default 2 hours) and
# SESSION_MAX_HOURS after signing in (default 12: one working day), on every machine.
SESSION_IDLE_SECONDS = 60 * int(os.environ.get("SESSION_IDLE_MINUTES", 120))
SESSION_MAX_AGE_SECONDS = 3600 * int(os.environ.get("SESSION_MAX_HOURS", 12))
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS

# Content-Security-Policy (django-csp) on every response: scripts, styles, images, fonts
# and requests only from this site, no plugins, no framing, forms post only here.
# 'unsafe-inline' and 'unsafe-eval' in script-src are what django-unfold needs today (its
# Alpine.js build evaluates expressions, its templates carry inline scripts and styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_INLINE, UNSAFE_EVAL],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Mail out, mail in, schedules --------------------------------------------------------
# Outgoing mail (notifications, replies to customers) goes through Django's mail framework:
# SMTP when EMAIL_HOST is set, else files under var/mail (the demo; nothing leaves the box).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 30))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
#: the support mailbox's address: the From of replies to customers and of notifications
SUPPORT_MAIL_ADDRESS = os.environ.get("SUPPORT_MAIL_ADDRESS", "support@example.com")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", SUPPORT_MAIL_ADDRESS)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
#: the site's address in links of mails (no request to take it from in a worker)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Mail intake: the support mailbox read over IMAP (nothing is read while MAIL_INTAKE_HOST
# is empty). New mails become tickets, replies become messages on their ticket.
MAIL_INTAKE_HOST = os.environ.get("MAIL_INTAKE_HOST", "")
MAIL_INTAKE_PORT = int(os.environ.get("MAIL_INTAKE_PORT", 993))
MAIL_INTAKE_SSL = os.environ.get("MAIL_INTAKE_SSL", "1") == "1"
MAIL_INTAKE_USER = os.environ.get("MAIL_INTAKE_USER", "")
MAIL_INTAKE_PASSWORD = os.environ.get("MAIL_INTAKE_PASSWORD", "")
MAIL_INTAKE_FOLDER = os.environ.get("MAIL_INTAKE_FOLDER", "INBOX")
#: a mail larger than this is refused (logged, never fetched whole)
MAIL_INTAKE_MAX_BYTES = int(os.environ.get("MAIL_INTAKE_MAX_BYTES", 20 * 1024 * 1024))
#: how many mails one run of the reader takes at most
MAIL_INTAKE_BATCH = int(os.environ.get("MAIL_INTAKE_BATCH", 200))
# Ticket attachments (screenshots, logs, exports): at most this many bytes each.
TICKET_ATTACHMENT_MAX_BYTES = int(os.environ.get("TICKET_ATTACHMENT_MAX_BYTES",
                                                 10 * 1024 * 1024))
# The customer's confirmation: a link works once, for this many hours; resolving a ticket
# mails it to the contact at once when CONFIRMATION_REQUEST_ON_RESOLVE=1 (else the clerk
# sends it from the ticket). The public page answers one address this often at most
# (django-ratelimit; behind a proxy set RATELIMIT_IP_META_KEY, e.g. HTTP_X_FORWARDED_FOR).
CONFIRMATION_LINK_HOURS = int(os.environ.get("CONFIRMATION_LINK_HOURS", 7 * 24))
CONFIRMATION_REQUEST_ON_RESOLVE = os.environ.get("CONFIRMATION_REQUEST_ON_RESOLVE", "") == "1"
CONFIRMATION_RATE_LIMIT = os.environ.get("CONFIRMATION_RATE_LIMIT", "30/h")
# Service-record review (服务记录审核): when a ticket is resolved its service record joins the
# after-sales manager's review queue if it is one of the first SERVICE_REVIEW_SAMPLE_PER_ENGINEER
# records its engineer resolves in the calendar month (the monthly sample; 0 turns the sample
# off), and always if it is a complaint; a confirmation rated SERVICE_REVIEW_LOW_RATING or less
# (of 5) queues it too.
SERVICE_REVIEW_SAMPLE_PER_ENGINEER = int(os.environ.get("SERVICE_REVIEW_SAMPLE_PER_ENGINEER", 3))
SERVICE_REVIEW_LOW_RATING = int(os.environ.get("SERVICE_REVIEW_LOW_RATING", 2))
if os.environ.get("RATELIMIT_IP_META_KEY"):
    RATELIMIT_IP_META_KEY = os.environ["RATELIMIT_IP_META_KEY"]
# Printouts (service record, requisition slip, scrap request, expense claim): the name at
# their top.
PRINT_ORGANISATION = os.environ.get("PRINT_ORGANISATION", "")
# Deadline alerts: a ticket whose response or resolution is due within this many minutes
# is "due soon" for its engineer.
SLA_DUE_SOON_MINUTES = int(os.environ.get("SLA_DUE_SOON_MINUTES", 120))
#: a year without holidays in a business calendar is announced this many days before it
#: starts (desk.calendar_data.check, the dashboard)
CALENDAR_WARNING_DAYS = int(os.environ.get("CALENDAR_WARNING_DAYS", 60))
# Schedules (`manage.py run_scheduler`, one process for the whole site: it only enqueues,
# the worker does the work). One scheduler at a time: on PostgreSQL an advisory lock named
# SCHEDULER_LOCK, elsewhere a cache key of that name kept alive every SCHEDULER_LOCK_TTL/3 s.
SCHEDULER_LOCK = os.environ.get("SCHEDULER_LOCK", "backoffice-scheduler")
SCHEDULER_LOCK_TTL = int(os.environ.get("SCHEDULER_LOCK_TTL", 60))
# Change or switch off a schedule without a release: "fetch_mail=*/5 * * * *;check_deadlines=off"
# (task names as `run_scheduler --list` shows them; six fields put seconds first).
SCHEDULER_OVERRIDES = {
    name.strip(): when.strip()
    for name, _sep, when in (item.partition("=")
                             for item in os.environ.get("SCHEDULER_OVERRIDES", "").split(";"))
    if name.strip()}
# Finished background-task results are deleted after this many days (a nightly task).
TASK_RESULTS_KEEP_DAYS = int(os.environ.get("TASK_RESULTS_KEEP_DAYS", 14))

# --- Knowledge base, follow-ups and reports ---------------------------------------------
# A published article not reviewed for this many days is flagged as stale.
KNOWLEDGE_STALE_AFTER_DAYS = int(os.environ.get("KNOWLEDGE_STALE_AFTER_DAYS", 365))
# The follow-up call (回访) after a closed ticket is due this many days after closing;
# generate_followups only looks at tickets closed in the last FOLLOWUP_LOOKBACK_DAYS.
FOLLOWUP_DELAY_DAYS = int(os.environ.get("FOLLOWUP_DELAY_DAYS", 2))
FOLLOWUP_LOOKBACK_DAYS = int(os.environ.get("FOLLOWUP_LOOKBACK_DAYS", 30))
# Share of tickets that must be answered within their response-time target (dashboard).
RESPONSE_TARGET_PERCENT = int(os.environ.get("RESPONSE_TARGET_PERCENT", 95))

UNFOLD = {
    "SITE_TITLE": _("After-sales back office"),
    "SITE_HEADER": _("After-sales back office"),
    "SITE_SUBHEADER": _("Service desk · parts · money · training"),
    "SITE_SYMBOL": "support_agent",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "backoffice.reports.dashboard.dashboard_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "backoffice.platform.navigation.sidebar",
    },
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            "500": "oklch(62.7% .265 303.9)",
            "600": "oklch(55.8% .288 302.321)",
            "700": "oklch(49.6% .265 301.924)",
            "800": "oklch(43.8% .218 303.724)",
            "900": "oklch(38.1% .176 304.987)",
            "950": "oklch(29.1% .149 302.717)",
        },
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")
