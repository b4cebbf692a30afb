"""Concilia's one settings module. Every knob is an environment variable (see the README)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_json_object,
    env_list,
    env_redis_url,
    env_str,
    libpq_options,
    redis_db,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# "development" is the zero-setup demo; "production" is hardened and refuses unsafe values;
# "test" is what the test suite runs under.
DJANGO_ENV = env_choice("DJANGO_ENV", "development", ("development", "test", "production"))
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdef")
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only")):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 or more characters in production.")
# Case events are HMAC-SHA256 chained with a server secret the database does not hold
# (complaints/integrity.py). "id:secret,id:secret": the first signs new events, the rest still
# verify older ones, so a key is rotated by putting the new one first and keeping the old.
# Outside production the default is one key derived from SECRET_KEY, under the id "local".
CASE_EVENT_HMAC_KEYS: dict[str, str] = {}
for _pair in env_list("CASE_EVENT_HMAC_KEYS", [] if PRODUCTION else [f"local:case-events:{SECRET_KEY}"]):
    _key_id, _colon, _secret = _pair.partition(":")
    if not (_key_id.isalnum() and len(_key_id) <= 16 and _secret and _key_id not in CASE_EVENT_HMAC_KEYS):
        raise ImproperlyConfigured("CASE_EVENT_HMAC_KEYS must be 'id:secret,id:secret' with distinct short ids.")
    CASE_EVENT_HMAC_KEYS[_key_id] = _secret
if PRODUCTION and (not CASE_EVENT_HMAC_KEYS or min(len(s) for s in CASE_EVENT_HMAC_KEYS.values()) < 32):
    raise ImproperlyConfigured("CASE_EVENT_HMAC_KEYS must name keys of 32 or more characters in production.")
if not CASE_EVENT_HMAC_KEYS:
    raise ImproperlyConfigured("CASE_EVENT_HMAC_KEYS must name at least one key.")
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the public host(s) in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "parties",
    "notifications",
    "complaints",
    "hearings",
    "privacy",
    "legal",
    "workdays",
    "oversight",
    "reporting",
    "api",
    "companydesk",
    # Serves the API reference page's Swagger UI from its own static files (no CDN).
    "ninja",
]

# The office's time zone: every deadline, slot, acta date and beat job reads this one setting
# (`django.utils.timezone.get_default_timezone()`).
TIME_ZONE = env_str("OFFICE_TIME_ZONE", "America/Argentina/Buenos_Aires")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "config.error_pages.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "config.middleware.ApiMethodNotAllowedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "privacy.middleware.AccessLogMiddleware",
    "config.middleware_headers.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "parties.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
                "notifications.context_processors.inbox",
            ],
        },
    }
]
# Forms render through our own templates (labels, hints, errors tied to fields, GOV.UK-style).
FORM_RENDERER = "config.forms.ConciliaFormRenderer"

# --- Database: SQLite for the zero-setup demo, PostgreSQL (psycopg 3, pooled) when DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    # Health checks: a connection that died while idle (a PostgreSQL restart, a failover, a proxy's
    # idle reaper) is replaced before a request gets it.
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (SQLite is the default when unset).")
    # Django's PostgreSQL backend, but a pooled connection is checked as it leaves the pool and, when
    # one is dead, every idle one at once (config/postgresql/base.py).
    _db["ENGINE"] = "config.postgresql"
    # Parallel query off by default: workers started per query cost more than they save when requests
    # run side by side (a name search's p95 halved under 4 clients on 2 cores without them: bench/RESULTS.md,
    # session 11). A server with cores to spare may allow some; the replica gets the same.
    _options = _db.setdefault("OPTIONS", {})
    if _startup := libpq_options(_options.get("options", "")):
        _options["options"] = _startup
    if env_bool("DATABASE_POOL", True):
        _options["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2),
            "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
            "timeout": 10,
        }
        # The backend checks pooled connections itself; CONN_HEALTH_CHECKS would add psycopg's plain
        # check inside the pool, which waits 1 s, 2 s, 4 s… between two dead connections.
        _db["CONN_HEALTH_CHECKS"] = False
    DATABASES = {"default": _db}
    # A read replica for the reporting pages (dashboard, company figures, public pages, open data):
    # config/routers.py sends their reads there, so reporting never slows filing and hearings.
    DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
    if DATABASE_REPLICA_URL:
        _replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=0, conn_health_checks=True)
        if _replica["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL.")
        _replica["ENGINE"] = "config.postgresql"
        # The primary's pool and checks, the replica URL's own options (sslmode, read-only…) over them.
        _own = _replica.get("OPTIONS", {})
        _replica["OPTIONS"] = {**_db["OPTIONS"], **_own}
        _replica["OPTIONS"].pop("options", None)
        if _startup := libpq_options(_own.get("options", "")):
            _replica["OPTIONS"]["options"] = _startup
        _replica["CONN_HEALTH_CHECKS"] = _db.get("CONN_HEALTH_CHECKS", True)
        # In tests the replica is the primary seen through a second connection.
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES["replica"] = _replica
else:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL (PostgreSQL) is required in production.")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
    # Covering indexes (INCLUDE) are a PostgreSQL feature; SQLite, the zero-setup default, ignores them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["config.routers.ReportingReplicaRouter"]

# --- Cache (allauth's rate limits live here): Redis when REDIS_URL is set.
REDIS_URL = env_redis_url("REDIS_URL", test=DJANGO_ENV == "test")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Passed to redis-py's connection pool: a Redis that does not answer costs a request half a
            # second, not the OS's TCP timeout (the business calendar keeps its copy when it fails).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    if PRODUCTION:
        raise ImproperlyConfigured("REDIS_URL is required in production (shared cache for rate limits).")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts
AUTH_USER_MODEL = "parties.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "notifications.account_adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Concilia] "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's defaults throttle signups, resets and confirmations; we keep them. Limits "per ip"
# count per client, so behind the TLS proxy the client's address must come from X-Forwarded-For:
# TRUSTED_PROXY_COUNT is how many proxies of ours append to it (0: trust no header, use the
# connection's address). Never set it higher than the real count, or clients pick their own IP.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# - login: 30 attempts a minute from one address, generous for an office or a carrier's shared IP.
# - login_failed: 20 wrong passwords a minute from one address slows a guesser across accounts;
#   5 a minute per account (the e-mail) slows one guessing at an account to 7,200 a day against
#   passwords of 10+ characters that are not common ones, while whoever knows the e-mail can only
#   keep its owner out for the minute after each 5 failures (allauth's 5 in 5 minutes locked it
#   out for 5). The same per-account limit counts wrong authenticator codes.
ACCOUNT_RATE_LIMITS = {"login": "30/m/ip", "login_failed": "20/m/ip,5/m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Concilia"
# Staff roles must enrol TOTP before using the platform. Only the local demo may relax it.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", True)
if PRODUCTION and not MFA_REQUIRED_FOR_STAFF:
    raise ImproperlyConfigured("MFA_REQUIRED_FOR_STAFF cannot be turned off in production.")
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

# --- E-mail
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Concilia <no-responder@concilia.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)

# --- Celery: tasks run in-process when no broker is configured (the demo), on Redis otherwise.
CELERY_BROKER_URL = env_redis_url("CELERY_BROKER_URL", test=DJANGO_ENV == "test")
if (
    DJANGO_ENV == "test"
    and REDIS_URL
    and CELERY_BROKER_URL
    and (redis_db(REDIS_URL) - redis_db(CELERY_BROKER_URL)) % 2 == 0
):
    # Each test process shifts both by 2 (config/env.py): an even gap would give one's cache to another's broker.
    raise ImproperlyConfigured(
        "For the test suite, REDIS_URL and CELERY_BROKER_URL must name Redis databases an odd number apart "
        "(e.g. 1 and 0): each test process adds 2 to both."
    )
# Tests run tasks in-process too; the tests that need a real worker start one and turn this off.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or DJANGO_ENV == "test"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A visibility timeout longer than any task; far-future work is swept from the database by beat.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_TIMEZONE = TIME_ZONE  # the office's clock: beat runs its jobs at the office's hours
# Task modules autodiscovery (each app's tasks.py) does not find.
CELERY_IMPORTS = (
    "complaints.tasks_integrity",
    "complaints.tasks_duplicates",
    "reporting.tasks_surveys",
    "api.webhooks.tasks",
    "complaints.tasks_assignment",
)
# CELERY_BEAT_SCHEDULE: every periodic job is declared once, in config/beat.py; it is set at the end of
# this module, below the settings it reads (NOTIFICATION_SWEEP_SECONDS).

# --- Internationalisation: Spanish (Argentina) first, English second.
LANGUAGE_CODE = "es-ar"
LANGUAGES = [("es-ar", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "concilia_language"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files: served by the app (whitenoise); nothing from a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security: the production profile passes `manage.py check --deploy` with no warnings.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from our own origin; inline <script>/<style> only
# with the request's nonce (`nonce="{{ request.csp_nonce }}"`); no style="" attributes anywhere.
# The hearing room adds the Jitsi origin to script-src and frame-src (hearings/room_headers.py).
from csp.constants import NONCE, NONE, SELF  # noqa: E402  (kept beside the policy it serves)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],  # NONCE: the request's nonce, when the page asked for one
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # data: for the TOTP QR code (allauth.mfa)
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page may use these; the hearing room opens the
# camera, microphone, screen sharing and full screen to itself and the Jitsi origin.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "screen-wake-lock": [],
    "usb": [],
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Notifications (outbox, channels). Owned by notifications/; see the README for each variable.
# SMS and WhatsApp go through a provider: "console" logs them (development), "twilio" sends them.
SMS_PROVIDER = env_choice("SMS_PROVIDER", "console", ("console", "twilio"))
WHATSAPP_PROVIDER = env_choice("WHATSAPP_PROVIDER", "console", ("console", "twilio"))
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM", "")
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_CONTENT_API_BASE = env_str("TWILIO_CONTENT_API_BASE", "https://content.twilio.com").rstrip("/")
if "twilio" in (SMS_PROVIDER, WHATSAPP_PROVIDER) and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("The twilio provider needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
if SMS_PROVIDER == "twilio" and not TWILIO_FROM_NUMBER:
    raise ImproperlyConfigured("SMS_PROVIDER=twilio needs TWILIO_FROM_NUMBER (E.164).")
if WHATSAPP_PROVIDER == "twilio" and not TWILIO_WHATSAPP_FROM:
    raise ImproperlyConfigured("WHATSAPP_PROVIDER=twilio needs TWILIO_WHATSAPP_FROM.")
# WhatsApp outside a 24-hour conversation window delivers only approved templates (Twilio's Content API):
# a JSON object {event: {language: content SID}}, with "*" as the event of the generic template used for
# an event without its own (docs/whatsapp-templates.md says how the office registers them).
WHATSAPP_CONTENT_SIDS = env_json_object("WHATSAPP_CONTENT_SIDS", {})
# Hours after a person's last WhatsApp message during which free text may be sent (WhatsApp's rule: 24).
WHATSAPP_SESSION_HOURS = env_int("WHATSAPP_SESSION_HOURS", 24, minimum=0)
if WHATSAPP_SESSION_HOURS > 24:
    raise ImproperlyConfigured("WHATSAPP_SESSION_HOURS is at most 24: WhatsApp's window never lasts longer.")
# Ask Twilio to report each message's status to SITE_URL's callback address (signed; see the README).
TWILIO_STATUS_CALLBACKS = env_bool("TWILIO_STATUS_CALLBACKS", True)
NOTIFICATION_HTTP_TIMEOUT = env_int("NOTIFICATION_HTTP_TIMEOUT", 10, minimum=1)
# Attempts per message before it is dead; failed attempts wait base * 2^(n-1) seconds (jittered, capped).
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 6, minimum=1)
NOTIFICATION_RETRY_BACKOFF_SECONDS = env_int("NOTIFICATION_RETRY_BACKOFF_SECONDS", 60, minimum=1)
NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = env_int("NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS", 3600, minimum=1)
# A worker holds a message this long while sending it; past that it is presumed dead and the row is
# taken again. Each send of a batch starts with at least half a lease ahead (renewed when less is left),
# so half a lease bounds one send: it must be at least twice the slowest send (EMAIL_TIMEOUT,
# NOTIFICATION_HTTP_TIMEOUT; each bounds one network operation, so a send that trickles can take
# longer: the margin is for that), and stay below the visibility timeout.
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 600, minimum=60)
if 4 * max(EMAIL_TIMEOUT, NOTIFICATION_HTTP_TIMEOUT) > NOTIFICATION_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "NOTIFICATION_LEASE_SECONDS must be at least four times the longer of EMAIL_TIMEOUT and "
        f"NOTIFICATION_HTTP_TIMEOUT (now {NOTIFICATION_LEASE_SECONDS}, {EMAIL_TIMEOUT} and "
        f"{NOTIFICATION_HTTP_TIMEOUT}): a send may start with only half a lease ahead, and that half must "
        "hold the slowest send twice over."
    )
# How long a freshly queued message is left to its task before the sweeper queues it again.
NOTIFICATION_QUEUE_GRACE_SECONDS = env_int("NOTIFICATION_QUEUE_GRACE_SECONDS", 300, minimum=0)
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60, minimum=5)
NOTIFICATION_SWEEP_BATCH = env_int("NOTIFICATION_SWEEP_BATCH", 200, minimum=1)
# Days a sent or dead message keeps its text; then a case's message keeps only its delivery record
# and any other is deleted. Formal notices are never touched. 0 keeps everything for ever.
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 730, minimum=0)
# E-mail bounces (RFC 3464 delivery status notifications) posted by the mail server to the bounce address
# (notifications/bounces.py) must carry this secret; empty turns the HTTP endpoint off (the
# `process_bounce` command, fed by the MTA's pipe, still works).
BOUNCE_WEBHOOK_SECRET = env_str("BOUNCE_WEBHOOK_SECRET", "")
# Queueing after commit must fail fast when the broker is down (the outbox row waits for the sweeper):
# kombu's default reconnection attempts would hold the request ~6 s; with 0 it fails in milliseconds.
CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] = 0

# --- Filing: companies per complaint (art. 40 joint liability), prescription (LDC art. 50)
MAX_COMPANIES_PER_COMPLAINT = env_int("MAX_COMPANIES_PER_COMPLAINT", 5, minimum=1)
PRESCRIPTION_YEARS = env_int("PRESCRIPTION_YEARS", 3, minimum=1)

# --- Evidence uploads
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10, minimum=1)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 10, minimum=1) * 1024 * 1024
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_MEGAPIXELS", 40, minimum=1) * 1_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
if env_str("AWS_STORAGE_BUCKET_NAME", ""):
    # S3-compatible storage for evidence and actas (django-storages reads the AWS_* variables).
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# --- The office calendar (parties/business_days.py): weekends, national holidays, the holidays of the
# jurisdiction (a subdivision of the `holidays` package: "C" is CABA; empty: national only) and the
# días inhábiles the office declares (workdays/) are not business days.
OFFICE_HOLIDAY_SUBDIVISION = env_str("OFFICE_HOLIDAY_SUBDIVISION", "C").strip().upper()
import holidays as _holidays  # noqa: E402  (kept beside the setting it checks)

_AR_SUBDIVISIONS = _holidays.country_holidays("AR").subdivisions
if OFFICE_HOLIDAY_SUBDIVISION and OFFICE_HOLIDAY_SUBDIVISION not in _AR_SUBDIVISIONS:
    raise ImproperlyConfigured(f"OFFICE_HOLIDAY_SUBDIVISION must be empty or one of {', '.join(_AR_SUBDIVISIONS)}.")
# How often each process asks the shared cache whether the office changed its calendar (seconds; the
# process that changes it sees the change at once). 0 (the tests' default): on every question.
BUSINESS_CALENDAR_CHECK_SECONDS = env_int("BUSINESS_CALENDAR_CHECK_SECONDS", 0 if DJANGO_ENV == "test" else 5)

# --- Domain: deadlines in business days (the office calendar above decides which days count).
DEADLINES = {
    "ADMISSION_REVIEW": env_int("DEADLINE_ADMISSION_REVIEW_DAYS", 5, minimum=1),
    "CORRECTION": env_int("DEADLINE_CORRECTION_DAYS", 10, minimum=1),
    "COMPANY_DOMICILE": env_int("DEADLINE_COMPANY_DOMICILE_DAYS", 10, minimum=1),
    "HEARING_NOTICE": env_int("DEADLINE_HEARING_NOTICE_DAYS", 5, minimum=1),
    "ABSENCE_JUSTIFICATION": env_int("DEADLINE_ABSENCE_JUSTIFICATION_DAYS", 3, minimum=1),
    "NOTICE_DEEMED_SERVED": env_int("DEADLINE_NOTICE_DEEMED_SERVED_DAYS", 2, minimum=1),
    "NEW_HEARING_AFTER_EXCUSED_ABSENCE": env_int("DEADLINE_NEW_HEARING_AFTER_EXCUSED_ABSENCE_DAYS", 5, minimum=1),
    # A hipervulnerable consumer's complaint is reviewed sooner (Res. 139/2020).
    "ADMISSION_REVIEW_VULNERABLE": env_int("DEADLINE_ADMISSION_REVIEW_VULNERABLE_DAYS", 2, minimum=1),
    # Every waiting state has a clock (oversight/rules.py says why each default).
    "ACTA_CONFIRMATION": env_int("DEADLINE_ACTA_CONFIRMATION_DAYS", 5, minimum=1),
    "HOMOLOGATION": env_int("DEADLINE_HOMOLOGATION_DAYS", 5, minimum=1),
    "COMPLIANCE_ANSWER": env_int("DEADLINE_COMPLIANCE_ANSWER_DAYS", 10, minimum=1),
    "OUTCOME_RECORD": env_int("DEADLINE_OUTCOME_RECORD_DAYS", 1, minimum=1),
    "COMPANY_ANSWER": env_int("DEADLINE_COMPANY_ANSWER_DAYS", 5, minimum=1),
    # The office decides a filed absence justification; books the first hearing after service (5: with
    # the 5-day review and up to 2 days to serve, a booking by ~12 business days from filing leaves room
    # for the notice and the hearing within DOMAIN.md's 30 calendar days); the consumer answers an offer
    # (a reminder only); the office dates an adjourned hearing's continuation.
    "JUSTIFICATION_DECISION": env_int("DEADLINE_JUSTIFICATION_DECISION_DAYS", 2, minimum=1),
    "FIRST_HEARING": env_int("DEADLINE_FIRST_HEARING_DAYS", 5, minimum=1),
    "OFFER_ANSWER": env_int("DEADLINE_OFFER_ANSWER_DAYS", 5, minimum=1),
    "ADJOURNED_NEW_DATE": env_int("DEADLINE_ADJOURNED_NEW_DATE_DAYS", 5, minimum=1),
    # The legal directorate's own service targets (legal/): deciding a referral, resolving after the
    # descargo window, and following an appeal until its result is recorded.
    "LEGAL_DECISION": env_int("DEADLINE_LEGAL_DECISION_DAYS", 10, minimum=1),
    "LEGAL_RESOLUTION": env_int("DEADLINE_LEGAL_RESOLUTION_DAYS", 20, minimum=1),
    "APPEAL_RESULT": env_int("DEADLINE_APPEAL_RESULT_DAYS", 60, minimum=1),
}
# Clocks (oversight/): reminders go this many business days before a deadline, at 08:00; the beat
# jobs take this many clocks per run.
CLOCK_REMINDER_DAYS_BEFORE = env_int("DEADLINE_REMINDER_DAYS_BEFORE", 1, minimum=0)
CLOCK_BATCH = env_int("CLOCK_BATCH", 500, minimum=1)

# --- The legal directorate (legal/): the company's defence (descargo) after an imputación runs 5
# business days (Ley 24.240 art. 45); a sanction may be appealed (recurso directo) within 10 business
# days of its notice (Ley 24.240 art. 45, as amended by Ley 26.361). Fines are in unidades fijas
# (UF): a company's unexcused absence from the hearing, 300 to 20,000 (Ley 757 art. 9 d); any other
# infraction within the bounds the office sets (Ley 24.240 art. 47's scale, converted to UF).
LEGAL = {
    "DEFENCE_DAYS": env_int("DEADLINE_DEFENCE_DAYS", 5, minimum=1),
    "APPEAL_DAYS": env_int("DEADLINE_APPEAL_DAYS", 10, minimum=1),
    # The company is reminded this many business days before its defence or appeal window closes.
    "REMINDER_DAYS_BEFORE": env_int("LEGAL_REMINDER_DAYS_BEFORE", 2, minimum=1),
    "ABSENCE_FINE_MIN_UF": env_int("LEGAL_ABSENCE_FINE_MIN_UF", 300, minimum=1),
    "ABSENCE_FINE_MAX_UF": env_int("LEGAL_ABSENCE_FINE_MAX_UF", 20000, minimum=1),
    "FINE_MIN_UF": env_int("LEGAL_FINE_MIN_UF", 1, minimum=1),
    "FINE_MAX_UF": env_int("LEGAL_FINE_MAX_UF", 20000, minimum=1),
}
if LEGAL["ABSENCE_FINE_MIN_UF"] > LEGAL["ABSENCE_FINE_MAX_UF"] or LEGAL["FINE_MIN_UF"] > LEGAL["FINE_MAX_UF"]:
    raise ImproperlyConfigured("The LEGAL_*_FINE_MIN_UF bounds must not exceed their LEGAL_*_FINE_MAX_UF.")

# --- Duplicates at admission (complaints/duplicates.py): an earlier complaint of the same consumer
# against a company in common, submitted within this many days, whose facts are at least this
# alike (Dice on the accounts' content words, moved by product, purchase date and amount; in percent).
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 90, minimum=1)
DUPLICATE_SIMILARITY = env_int("DUPLICATE_SIMILARITY_PERCENT", 50, minimum=1) / 100
if DUPLICATE_SIMILARITY > 1:
    raise ImproperlyConfigured("DUPLICATE_SIMILARITY_PERCENT must be between 1 and 100.")

# --- Competence (complaints/competence.py): the provinces this office hears (parties.models.Province
# codes), and the authorities a case outside them is referred to (None: the built-in list).
OFFICE_TERRITORY = env_list("OFFICE_TERRITORY", ["CABA"])
COMPETENT_AUTHORITIES: list[dict[str, str]] | None = None
# Actions under the consumer protection law prescribe after three years (LDC art. 50).
PRESCRIPTION_YEARS = env_int("PRESCRIPTION_YEARS", 3, minimum=1)

# --- Hearings (hearings/)
HEARINGS = {
    "DURATION_MINUTES": env_int("HEARING_DURATION_MINUTES", 60, minimum=15),
    "SLOT_MINUTES": env_int("HEARING_SLOT_MINUTES", 30, minimum=5),
    "MAX_RESCHEDULES": env_int("HEARING_MAX_RESCHEDULES", 2, minimum=0),
    "TOLERANCE_MINUTES": env_int("HEARING_TOLERANCE_MINUTES", 30, minimum=0),
    # Sent before the start: 48 hours and 1 hour (DOMAIN.md; the beat job runs every 5 minutes).
    "REMINDER_HOURS": (48, 1),
    "RECORDING_AVAILABLE_DAYS": env_int("DEADLINE_RECORDING_AVAILABLE_DAYS", 2, minimum=1),
}

# --- Jitsi Meet with token authentication (docs/jitsi.md). HS256 with an app secret (self-hosted
# prosody "token" auth) or RS256 with a private key and key id (8x8 JaaS).
JITSI_DOMAIN = env_str("JITSI_DOMAIN", "meet.jit.si" if not PRODUCTION else "")
JITSI_APP_ID = env_str("JITSI_APP_ID", "concilia")
JITSI_APP_SECRET = env_str("JITSI_APP_SECRET", "" if PRODUCTION else "dev-only-jitsi-secret-0123456789abcdef")
JITSI_PRIVATE_KEY_PATH = env_str("JITSI_PRIVATE_KEY_PATH", "")
JITSI_KEY_ID = env_str("JITSI_KEY_ID", "")
JITSI_AUDIENCE = env_str("JITSI_AUDIENCE", "jitsi")
# The `sub` claim: the Jitsi domain for self-hosted, the tenant (vpaas-magic-cookie-…) for JaaS.
JITSI_SUBJECT = env_str("JITSI_SUBJECT", "") or JITSI_DOMAIN
# Tokens are valid from this long before the start until this long after the planned end.
JITSI_TOKEN_EARLY_MINUTES = env_int("JITSI_TOKEN_EARLY_MINUTES", 30, minimum=0)
JITSI_TOKEN_LATE_MINUTES = env_int("JITSI_TOKEN_LATE_MINUTES", 60, minimum=0)
# Shared secret for the server-side occupant events (prosody event_sync) posted to /jitsi/eventos/.
JITSI_EVENTS_SECRET = env_str("JITSI_EVENTS_SECRET", "" if PRODUCTION else "dev-only-jitsi-events-secret")
# The XMPP domain Jibri (and other hidden bots) log in on; its occupants are not attendance.
# docker-jitsi-meet's XMPP_HIDDEN_DOMAIN: "hidden." + the XMPP domain (JITSI_SUBJECT when it is one).
JITSI_HIDDEN_DOMAIN = (
    env_str("JITSI_HIDDEN_DOMAIN", "")
    or f"hidden.{JITSI_SUBJECT if '.' in JITSI_SUBJECT else JITSI_DOMAIN.split(':')[0]}"
).lower()
# How the browser reaches the Jitsi server: the room page loads {scheme}://{domain}/external_api.js.
# "http" exists only so browser tests can point the domain at a local server.
JITSI_SCHEME = env_choice("JITSI_SCHEME", "https", ("https", "http"))
# A phone number shown on the hearing page for people who cannot join by video (Jigasi dial-in or the
# office's help line); empty shows none.
JITSI_DIAL_IN_NUMBER = env_str("JITSI_DIAL_IN_NUMBER", "")
# The largest recording file the conciliator may upload by hand (a link needs no upload).
JITSI_RECORDING_MAX_BYTES = env_int("JITSI_RECORDING_MAX_MB", 2048, minimum=1) * 1024 * 1024
if PRODUCTION:
    if not JITSI_DOMAIN:
        raise ImproperlyConfigured("JITSI_DOMAIN is required in production.")
    if JITSI_SCHEME != "https":
        raise ImproperlyConfigured("JITSI_SCHEME must be https in production.")
    if not (JITSI_PRIVATE_KEY_PATH and JITSI_KEY_ID) and len(JITSI_APP_SECRET) < 32:
        raise ImproperlyConfigured(
            "Set JITSI_APP_SECRET (32+ characters) or JITSI_PRIVATE_KEY_PATH and JITSI_KEY_ID in production."
        )
    if JITSI_PRIVATE_KEY_PATH and not Path(JITSI_PRIVATE_KEY_PATH).is_file():
        raise ImproperlyConfigured("JITSI_PRIVATE_KEY_PATH does not name a readable file.")
    if len(JITSI_EVENTS_SECRET) < 32:
        raise ImproperlyConfigured("JITSI_EVENTS_SECRET must be 32 or more characters in production.")

# --- Personal data (Ley 25.326; privacy/). The office responsible for the data base, as the notices
# at collection and the privacy page name it.
PRIVACY_OFFICE_NAME = env_str("PRIVACY_OFFICE_NAME", "Dirección de Defensa del Consumidor (demo)")
PRIVACY_OFFICE_ADDRESS = env_str("PRIVACY_OFFICE_ADDRESS", "Av. Ejemplo 1234, C1000 Ciudad Autónoma de Buenos Aires")
PRIVACY_OFFICE_EMAIL = env_str("PRIVACY_OFFICE_EMAIL", "datospersonales@concilia.example")
PRIVACY_OFFICE_PHONE = env_str("PRIVACY_OFFICE_PHONE", "")
# Days a row of the access log (who opened which case file, document or recording) is kept.
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 1825, minimum=1)
# Years after its last event a closed case keeps its personal data; then it is anonymised. 0: never.
CASE_RETENTION_YEARS = env_int("CASE_RETENTION_YEARS", 10, minimum=0)

# --- Reporting (reporting/): surveys, indicators, public figures and open data.
# A company's page is public once it has this many closed cases in the window (and is not a person).
PUBLIC_MIN_CLOSED_CASES = env_int("PUBLIC_MIN_CLOSED_CASES", 30, minimum=1)
# The satisfaction survey's link works this many days; one reminder goes after SURVEY_REMINDER_DAYS.
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30, minimum=1)
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 7, minimum=1)
# The office's targets per stage, in business days (the dashboard shows each stage against its target).
STAGE_TARGET_DAYS = {
    "admission": env_int("TARGET_ADMISSION_DAYS", DEADLINES["ADMISSION_REVIEW"], minimum=1),
    "service": env_int("TARGET_SERVICE_DAYS", 5, minimum=1),
    "first_hearing": env_int("TARGET_FIRST_HEARING_DAYS", 15, minimum=1),
    "outcome": env_int("TARGET_OUTCOME_DAYS", 10, minimum=1),
    "compliance": env_int("TARGET_COMPLIANCE_DAYS", 30, minimum=1),
}
# How often beat refreshes the summary tables (reporting/refresh.py).
REPORTING_REFRESH_SECONDS = env_int("REPORTING_REFRESH_SECONDS", 600, minimum=30)

# --- The companies' API (/api/v1/, api/): calls each key may make per minute (a fixed window in the cache).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# Hours an Idempotency-Key's record answers a retry; beat deletes older ones daily (api/tasks.py).
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24, minimum=1)
# How long the API's call log keeps each call (api/retention.py; beat deletes older ones daily).
API_CALL_LOG_DAYS = env_int("API_CALL_LOG_DAYS", 180, minimum=1)

# --- Webhooks (api/webhooks/): signed POSTs to the companies' endpoints, retried from an outbox.
# One attempt (connecting, sending, the whole answer) takes this long at most; redirects are never
# followed. Its task is stopped at twice this (recorded as a failed attempt), killed at three times.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Endpoints on private, loopback or link-local addresses (and plain http) are refused unless this is on:
# never in production (a company could make the server call into the office's own network).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", not PRODUCTION)
# Seconds to wait after each failed attempt (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h): one attempt
# at once and one after each wait, then the delivery has failed.
_webhook_waits = env_list("WEBHOOK_RETRY_SCHEDULE", ["60", "300", "1800", "7200", "21600", "43200", "86400"])
if not _webhook_waits or not all(step.isdigit() and int(step) >= 1 for step in _webhook_waits):
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE must list one or more waits in whole seconds, e.g. 60,300.")
WEBHOOK_RETRY_SCHEDULE = tuple(int(step) for step in _webhook_waits)
# An endpoint is switched off (and its company's administrators told) after this many failed attempts
# in a row.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20, minimum=1)
# A worker holds a delivery this long while sending it; past that the sweeper takes it again. It must
# outlast the task's hard time limit (3 x WEBHOOK_TIMEOUT_SECONDS), or a slow attempt would be sent twice.
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 300, minimum=30)
if WEBHOOK_LEASE_SECONDS <= 3 * WEBHOOK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "WEBHOOK_LEASE_SECONDS must be more than three times WEBHOOK_TIMEOUT_SECONDS "
        f"(now {WEBHOOK_LEASE_SECONDS} and {WEBHOOK_TIMEOUT_SECONDS})."
    )
WEBHOOK_SWEEP_BATCH = env_int("WEBHOOK_SWEEP_BATCH", 200, minimum=1)

# --- Celery beat: every periodic job, declared once in config/beat.py.
from config.beat import beat_schedule  # noqa: E402  (reads the settings above)

CELERY_BEAT_SCHEDULE = beat_schedule(
    notification_sweep_seconds=NOTIFICATION_SWEEP_SECONDS, reporting_refresh_seconds=REPORTING_REFRESH_SECONDS
)
