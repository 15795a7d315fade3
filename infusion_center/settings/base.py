"""Settings for every environment, driven by environment variables (see .env.example)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from infusion_center import formats
from infusion_center.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_str,
    parse_database_url,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite, the mail folder and the file broker live here

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "infusion_center.admin_site.CenterAdminConfig",  # django.contrib.admin, hardened
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "accounts",
    "patients",
    "scheduling",
    "replies",
    "authorisations",
    "pharmacy",
    "daylist",
    "oauth2_provider",
    "integrations",
    "audit",
]

# Benchmarks and load-test set-up (they wipe or fill a database): installed only where DEVTOOLS=true.
if env_bool("DEVTOOLS", False):
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "infusion_center.quiet_errors.DevelopmentNotFoundPageMiddleware",  # DEBUG only: the app's 404 page
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "infusion_center.ratelimit.SignInRateLimitMiddleware",  # before any password is hashed
    "infusion_center.sessions.SessionMiddleware",  # Django's; a connection lost while saving it keeps the answer
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "infusion_center.no_store.NoStoreMiddleware",  # Cache-Control: no-store for signed-in users, 403 and 404
    "django.contrib.messages.middleware.MessageMiddleware",
    "infusion_center.session_timeout.SessionTimeoutMiddleware",
    "patients.access.PatientAccessMiddleware",  # one access-log row per patient a response shows
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "infusion_center.urls"
WSGI_APPLICATION = "infusion_center.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "infusion_center.context_processors.center",
                "csp.context_processors.nonce",
            ],
            # The center's date, time and duration filters (|center_day_time etc.) in every template.
            # and {% link 'name' %}, the URL of a view without arguments, resolved once per process.
            "builtins": ["infusion_center.templatetags.center_formats", "infusion_center.templatetags.links"],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL points elsewhere (PostgreSQL in production and CI).
_database_url = env_str("DATABASE_URL", "")
DATABASES = {
    "default": parse_database_url(_database_url, base_dir=BASE_DIR)
    if _database_url
    else sqlite_database(VAR_DIR / "infusion_center.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Flash messages often name a patient: keep them in the server-side session, not in a readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: lock the attacked account (username + address), not the whole clinic behind one NAT.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "infusion_center.client_ip.client_ip"  # the address behind the trusted proxies

# Reverse proxies in front of the app (nginx, a load balancer): how many, and optionally their addresses.
# The client address (sign-in lock-out, rate limits, access log) is read from X-Forwarded-For only through them.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
TRUSTED_PROXY_RANGES = env_networks("TRUSTED_PROXY_RANGES")

# Per-address limits on sign-in and password-reset posts, answered (429) before any password is hashed.
SIGNIN_RATE_LIMIT = env_int("SIGNIN_RATE_LIMIT", 30, minimum=1)  # posts per address per window
SIGNIN_RATE_WINDOW_SECONDS = env_int("SIGNIN_RATE_WINDOW_SECONDS", 300, minimum=1)
PASSWORD_RESET_RATE_LIMIT = env_int("PASSWORD_RESET_RATE_LIMIT", 5, minimum=1)  # per address per hour

# Internationalisation: every date and time is shown in the center's time zone.
LANGUAGE_CODE = "en-gb"
# The center's convention for every date and time the app writes and reads (infusion_center/formats.py).
CENTER_DATE_ORDER = env_choice("CENTER_DATE_ORDER", formats.DAY_MONTH, formats.DATE_ORDERS)  # or month-day
CENTER_CLOCK = env_choice("CENTER_CLOCK", formats.CLOCK_24, formats.CLOCKS)  # or 12h
FORMAT_MODULE_PATH = ["infusion_center.locale_formats"]  # date and time inputs in that convention
TIME_ZONE = env_str("CENTER_TIME_ZONE", "America/New_York")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"CENTER_TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from exc
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The center, as patients see it in emails.
CENTER_NAME = env_str("CENTER_NAME", "Riverside Infusion Center")  # in email subjects: keep diagnoses out
CENTER_ADDRESS = env_str("CENTER_ADDRESS", "200 Harbor Street, Suite 4, Springfield")
CENTER_PHONE = env_str("CENTER_PHONE", "+1 555 010 2000")
CENTER_SITE_URL = env_str("CENTER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Email: each message is written to var/mail/ unless SMTP is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "infusion_center.mail.MessageFileBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{CENTER_NAME} <no-reply@infusion-center.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise a filesystem broker that needs no server.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_FILESYSTEM_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://localhost/"  # a host named, so kombu does not warn that none was given
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),  # kombu's default is ./control
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Production hardening, on whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Templates put the CSRF token in forms and in the body's hx-headers; no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Sessions end after an idle time and after an absolute time (infusion_center.session_timeout).
# The board's htmx auto-refresh does not count as activity.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp 4): no inline script without the request's nonce ({{ CSP_NONCE }}),
# no inline style, nothing from other origins, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {
        "require_debug_true": {"()": "django.utils.log.RequireDebugTrue"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "one_line_for_expected_errors": {"()": "infusion_center.quiet_errors.OneLineForExpectedErrors"},
        "no_access_line_for_expected_errors": {"()": "infusion_center.quiet_errors.NoAccessLineForExpectedErrors"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["require_debug_true", "no_access_line_for_expected_errors"],
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its version banner at every start of every process
        # Django's own console handler would print every django.* line a second time through the root's.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["one_line_for_expected_errors"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# The filesystem broker does not create its folder, and both the web app and the worker use it.
if not REDIS_URL:
    CELERY_FILESYSTEM_BROKER_DIR.mkdir(parents=True, exist_ok=True)

# A demonstration server may keep the demo accounts (usernames starting with "demo-") with DEBUG off.
DEMO_ACCOUNTS_ALLOWED = env_bool("DEMO_ACCOUNTS_ALLOWED", False)

# Patient reminders: an outbox of emails swept by Celery beat every minute (see scheduling/reminders/).
CENTER_EMERGENCY_NUMBER = env_str("CENTER_EMERGENCY_NUMBER", "911")
REMINDERS_INCLUDE_DRUG_NAMES = env_bool("REMINDERS_INCLUDE_DRUG_NAMES", True)  # false: no drug names in emails at all
REMINDERS_PREPARATION_DAYS_BEFORE = env_int("REMINDERS_PREPARATION_DAYS_BEFORE", 7, minimum=2, maximum=30)
REMINDERS_PREPARATION_TIME = env_str("REMINDERS_PREPARATION_TIME", "10:00")  # center's local time
REMINDERS_HYDRATION_TIME = env_str("REMINDERS_HYDRATION_TIME", "10:00")  # the day before, local time
REMINDERS_CHECK_IN_TIME = env_str("REMINDERS_CHECK_IN_TIME", "10:00")  # the day after discharge, local time
REMINDERS_MAX_ATTEMPTS = env_int("REMINDERS_MAX_ATTEMPTS", 5, minimum=1, maximum=20)
REMINDERS_RETRY_BASE_SECONDS = env_int("REMINDERS_RETRY_BASE_SECONDS", 60, minimum=1)  # doubles at each failure
REMINDERS_RETRY_MAX_SECONDS = env_int("REMINDERS_RETRY_MAX_SECONDS", 3600, minimum=1)
# A failing reminder is retried for at least this long (and REMINDERS_MAX_ATTEMPTS times) before it is final.
REMINDERS_RETRY_HOURS = env_int("REMINDERS_RETRY_HOURS", 24, minimum=0)
# The outbox and /healthz/mail/ warn when the mail server has failed this long with nothing sent since.
REMINDERS_MAIL_ALERT_MINUTES = env_int("REMINDERS_MAIL_ALERT_MINUTES", 15, minimum=1)
REMINDERS_REQUEUE_SECONDS = env_int("REMINDERS_REQUEUE_SECONDS", 300, minimum=1)  # queued but never picked up
# A claim older than this belongs to a worker that died mid-send; it must outlive the task's hard time limit.
REMINDERS_CLAIM_TIMEOUT_SECONDS = env_int("REMINDERS_CLAIM_TIMEOUT_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
REMINDERS_SWEEP_BATCH = env_int("REMINDERS_SWEEP_BATCH", 500, minimum=1)
# Re-optimisation proposals (scheduling/services/reoptimise.py): bookings closer than this never move.
REOPTIMISE_MIN_DAYS_AHEAD = env_int("REOPTIMISE_MIN_DAYS_AHEAD", 7, minimum=1, maximum=90)
REOPTIMISE_WEEKS = env_int("REOPTIMISE_WEEKS", 6, minimum=1, maximum=26)
REOPTIMISE_TIME_LIMIT_SECONDS = env_int("REOPTIMISE_TIME_LIMIT_SECONDS", 30, minimum=2, maximum=600)
# The six-month forecast and the ceiling slot search plans against (services/planning_refresh.py): worked out by a
# task every FORECAST_REFRESH_SECONDS, and queued (at most once per FORECAST_REFRESH_QUEUED_SECONDS in a process)
# when a search finds none for today; a queued one is skipped when another was stored FORECAST_REFRESH_SKIP_SECONDS
# before. A large center's forecast takes a minute or more of a worker.
FORECAST_REFRESH_SECONDS = env_int("FORECAST_REFRESH_SECONDS", 600, minimum=60, maximum=24 * 3600)
FORECAST_REFRESH_QUEUED_SECONDS = 300
FORECAST_REFRESH_SKIP_SECONDS = 60
FORECAST_REFRESH_TIME_LIMIT_SECONDS = env_int("FORECAST_REFRESH_TIME_LIMIT_SECONDS", 900, minimum=60)
# Patients answering back (replies/): signed links in their emails, the cut-off for cancelling online, the
# waitlist's emailed offers.
CENTER_AFTER_HOURS_PHONE = env_str("CENTER_AFTER_HOURS_PHONE", "+1 555 010 2999")  # evenings, nights, weekends
REMINDERS_ARRIVAL_MARGIN_MINUTES = env_int("REMINDERS_ARRIVAL_MARGIN_MINUTES", 15, minimum=0, maximum=120)
PATIENT_CANCEL_CUTOFF_HOURS = env_int("PATIENT_CANCEL_CUTOFF_HOURS", 48, minimum=0, maximum=24 * 14)
PATIENT_LINK_MAX_AGE_DAYS = env_int("PATIENT_LINK_MAX_AGE_DAYS", 90, minimum=1, maximum=365)
AFTER_VISIT_LINK_DAYS = env_int("AFTER_VISIT_LINK_DAYS", 7, minimum=1, maximum=30)
WAITLIST_EMAIL_OFFERS = env_bool("WAITLIST_EMAIL_OFFERS", False)
WAITLIST_OFFER_CANDIDATES = env_int("WAITLIST_OFFER_CANDIDATES", 3, minimum=1, maximum=20)
WAITLIST_OFFER_HOURS = env_int("WAITLIST_OFFER_HOURS", 24, minimum=1, maximum=24 * 7)

# Insurance authorisations: a dose outside its authorisation warns (amber), or with this on, cannot be booked.
AUTHORISATIONS_BLOCK_BOOKING = env_bool("AUTHORISATIONS_BLOCK_BOOKING", False)
AUTHORISATIONS_EXPIRY_WARNING_DAYS = env_int("AUTHORISATIONS_EXPIRY_WARNING_DAYS", 30, minimum=1, maximum=365)
CELERY_BEAT_SCHEDULE = {
    "reminders-sweep": {"task": "scheduling.tasks.reminders_sweep", "schedule": 60.0, "options": {"expires": 55}},
    "waitlist-offers-sweep": {
        "task": "replies.tasks.waitlist_offers_sweep",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "siu-sweep": {"task": "integrations.tasks.siu_deliver", "schedule": 60.0, "options": {"expires": 55}},
    # The worklist's stored next doses: readiness judged on the new day (events refresh them as they happen).
    "next-doses-refresh": {
        "task": "scheduling.tasks.next_doses_refresh",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 3 * 3600},
    },
    # The forecast and the planning ceiling, stored for slot search and the forecast page (never worked out there).
    "forecast-refresh": {
        "task": "scheduling.tasks.forecast_refresh",
        "schedule": float(FORECAST_REFRESH_SECONDS),
        "options": {"expires": FORECAST_REFRESH_SECONDS - 10},
    },
}

# Hospital integration (integrations/): HL7 v2 SIU messages to the EHR over MLLP, off unless switched on.
HL7_SIU_ENABLED = env_bool("HL7_SIU_ENABLED", False)
HL7_SIU_HOST = env_str("HL7_SIU_HOST", "127.0.0.1")
HL7_SIU_PORT = env_int("HL7_SIU_PORT", 2575, minimum=1, maximum=65535)
HL7_SIU_TIMEOUT_SECONDS = env_int("HL7_SIU_TIMEOUT_SECONDS", 10, minimum=1)
HL7_SIU_RETRY_BASE_SECONDS = env_int("HL7_SIU_RETRY_BASE_SECONDS", 30, minimum=1)  # doubles at each failure
HL7_SIU_RETRY_MAX_SECONDS = env_int("HL7_SIU_RETRY_MAX_SECONDS", 1800, minimum=1)
HL7_SENDING_APPLICATION = env_str("HL7_SENDING_APPLICATION", "INFUSION")
HL7_SENDING_FACILITY = env_str("HL7_SENDING_FACILITY", "MSCENTER")
HL7_RECEIVING_APPLICATION = env_str("HL7_RECEIVING_APPLICATION", "EHR")
HL7_RECEIVING_FACILITY = env_str("HL7_RECEIVING_FACILITY", "HOSPITAL")
# FHIR R4 API (/fhir/): OAuth 2.0 client credentials; tokens live this long.
FHIR_TOKEN_SECONDS = env_int("FHIR_TOKEN_SECONDS", 3600, minimum=60)
FHIR_PAGE_SIZE_MAX = env_int("FHIR_PAGE_SIZE_MAX", 100, minimum=1)
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": FHIR_TOKEN_SECONDS,
    "SCOPES": {
        "system/Patient.read": "Read patients",
        "system/Appointment.read": "Read appointments",
        "system/Slot.read": "Read free slots",
        "system/Schedule.read": "Read chair schedules",
        "system/Location.read": "Read chairs as locations",
    },
    "SCOPES_BACKEND_CLASS": "integrations.scopes.ClientScopes",
    # RFC 9700 (OAuth 2.0 security BCP) throughout; only the client-credentials grant is used.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
}

# Caches. "default": memory of each process, bounded. "board": rendered chair board grids, each checked against a
# database fingerprint on every request (scheduling/board/cache.py), so none is served stale; kept in a table of
# the database (created by a migration) so that every web process renders a grid once, not once each, and the
# patient names in it stay where the patient data is.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "default",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    "board": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "board_cache",
        "OPTIONS": {"MAX_ENTRIES": 200},  # a large center's grid is a few hundred kB
    },
    # Figures every web process shows alike (the navigation's counts), worked out once for all of them: in the
    # same database table as the board's grids, under a prefix of their own.
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "board_cache",
        "KEY_PREFIX": "shared",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
    # Sign-in and password-reset rate limits: shared by every web process through Redis when there is one.
    "ratelimit": {
        "BACKEND": "infusion_center.cache.PrefixedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "infusion-ratelimit",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
        "OPTIONS": {"MAX_ENTRIES": 10000},
    },
}
