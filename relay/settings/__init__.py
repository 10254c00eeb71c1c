"""Settings for Relay, read from the environment.

With no environment at all this is the embedded default: SQLite beside the project, the
in-memory channel layer, one Daphne process. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and the Redis channel layer; ``relay.settings.production`` refuses to start
without them (see ``relay/checks.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The embedded default runs on a developer's machine only; production must set its own.
SECRET_KEY = os.environ.get("RELAY_SECRET_KEY", "embedded-default-insecure-key-do-not-deploy")
DEBUG = env_bool("RELAY_DEBUG", False)
ALLOWED_HOSTS = env_list("RELAY_ALLOWED_HOSTS", "127.0.0.1,localhost")
# Origins allowed to open a WebSocket; the HTTP origin check uses CSRF_TRUSTED_ORIGINS.
RELAY_ALLOWED_ORIGINS = env_list(
    "RELAY_ALLOWED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000"
)
CSRF_TRUSTED_ORIGINS = RELAY_ALLOWED_ORIGINS
# Without RELAY_ALLOWED_ORIGINS, the embedded run also accepts a WebSocket from its own
# origin on whatever port it was started (relay.origins); production never does.
RELAY_ACCEPT_OWN_ORIGIN = "RELAY_ALLOWED_ORIGINS" not in os.environ

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "channels",
    "relay",
    "relay.accounts",
    "relay.audit",
    "relay.cases",
    "relay.delivery",
    "relay.hub",
    "relay.moderation",
    "relay.outcomes",
    "relay.pages",
    "relay.retention",
    "relay.notifications",
    "relay.referrals",
    # The background worker (docs/worker.md).
    "django_tasks_db",
    "relay.worker",
    "relay.scheduling",
    "relay.attachments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "relay.monitoring.middleware.RequestMetricsMiddleware",
    "relay.headers.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "relay.accounts.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "relay.urls"
# A refused form gets the styled page with the quick exit (relay/pages/errors.py).
CSRF_FAILURE_VIEW = "relay.pages.errors.csrf_failure"
ASGI_APPLICATION = "relay.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "relay" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'relay.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Keep each thread's connection open between calls: without it every database call of
    # a socket (Channels closes old connections around each) starts a new PostgreSQL
    # backend. A health check before reuse replaces a connection the server dropped.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("RELAY_DB_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Each socket waits on Redis with a 5-second blocking pop; redis-py 8 reads with a
            # 5-second timeout by default, which killed idle sockets (1011). Read for longer.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "r", "capacity": 1000, "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Attempt counters (relay.accounts.throttle) must be shared by every Daphne process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "c",
        }
    }

# The client sends a 32-byte login key derived with Argon2id, never the password itself,
# so the strength rules for human passwords are applied in the client (see docs/protocol.md).
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []

LANGUAGE_CODE = "en-gb"
# Every page is drawn in the hub's language, LANGUAGE_CODE; LANGUAGES lists the languages Relay
# has catalogues for, in relay/locale/<language>/ (docs/frontend.md, "Adding a language").
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "relay" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
_FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [_FRONTEND_DIST] if _FRONTEND_DIST.exists() else []

# Daphne serves /static/ itself in the embedded run; production serves it from the proxy.
RELAY_SERVE_STATIC = env_bool("RELAY_SERVE_STATIC", True)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = int(os.environ.get("RELAY_SESSION_MAX_AGE", str(8 * 3600)))
# Idle sessions end after this many seconds without a request (DESIGN §9).
RELAY_IDLE_TIMEOUT = int(os.environ.get("RELAY_IDLE_TIMEOUT", str(20 * 60)))
X_FRAME_OPTIONS = "DENY"
# Enrolment codes expire after this many days (relay.accounts.actions).
RELAY_INVITATION_DAYS = int(os.environ.get("RELAY_INVITATION_DAYS", "14"))
# Failed attempts allowed per account and per address within the window (seconds).
# The proof of work a browser pays before a self-referral: leading zero bits of SHA-256, and
# how long a challenge stays good (relay/referrals/proof.py, docs/intake.md).
RELAY_REFERRAL_PROOF_BITS = int(os.environ.get("RELAY_REFERRAL_PROOF_BITS", "18"))
RELAY_REFERRAL_PROOF_AGE = int(os.environ.get("RELAY_REFERRAL_PROOF_AGE", str(15 * 60)))
RELAY_THROTTLE_WINDOW = int(os.environ.get("RELAY_THROTTLE_WINDOW", str(15 * 60)))
RELAY_THROTTLE_LIMITS = {
    # Self-referrals per address (each counts), and wrong reference/check-code pairs on the
    # status page per address, within the window (docs/intake.md).
    "referral": (0, int(os.environ.get("RELAY_REFERRALS_PER_ADDRESS", "5"))),
    "referral_status": (0, int(os.environ.get("RELAY_REFERRAL_STATUS_ATTEMPTS_PER_ADDRESS", "20"))),
    "sign_in": (
        int(os.environ.get("RELAY_SIGN_IN_ATTEMPTS", "10")),
        int(os.environ.get("RELAY_SIGN_IN_ATTEMPTS_PER_ADDRESS", "50")),
    ),
    "enrolment": (10, int(os.environ.get("RELAY_ENROLMENT_ATTEMPTS_PER_ADDRESS", "20"))),
    "otp": (
        int(os.environ.get("RELAY_OTP_ATTEMPTS", "5")),
        int(os.environ.get("RELAY_OTP_ATTEMPTS_PER_ADDRESS", "30")),
    ),
}
# The issuer name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("RELAY_OTP_ISSUER", "Relay")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.WASM_UNSAFE_EVAL],
    "style-src": [CSP.SELF],
    # blob: only for what the page itself decrypted: a photo, a recording or a video shown
    # from an attachment opened in the browser (docs/attachments.md).
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Where quick exit sends a participant: a neutral site, replacing Relay in the history.
RELAY_QUICK_EXIT_URL = os.environ.get("RELAY_QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")

# Frames larger than this are refused with a policy close (bytes).
RELAY_MAX_FRAME_BYTES = int(os.environ.get("RELAY_MAX_FRAME_BYTES", str(256 * 1024)))
# Open WebSockets allowed at once per session and per user, in each Daphne process; one
# beyond either is closed with 4429 (docs/api.md).
RELAY_MAX_SOCKETS_PER_SESSION = int(os.environ.get("RELAY_MAX_SOCKETS_PER_SESSION", "10"))
RELAY_MAX_SOCKETS_PER_USER = int(os.environ.get("RELAY_MAX_SOCKETS_PER_USER", "30"))
# How often each Daphne process's one sweep checks its open sockets' sessions (ended or
# idle) and sends events whose wake-up was lost (seconds).
RELAY_SOCKET_SWEEP_SECONDS = float(os.environ.get("RELAY_SOCKET_SWEEP_SECONDS", "5"))
# Threads on which each Daphne process's sockets use the database (relay.sockets.on_database):
# one socket's operation waiting on a lock or a slow query no longer holds up every other
# socket of the process. Each thread keeps one database connection (RELAY_DB_CONN_MAX_AGE).
RELAY_DB_THREADS = int(os.environ.get("RELAY_DB_THREADS", "4"))
# Largest HTTP request body (bytes): larger ones get 413 before they are read (relay.limits).
RELAY_MAX_BODY_BYTES = int(os.environ.get("RELAY_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = RELAY_MAX_BODY_BYTES
# Largest padded payload ciphertext accepted in one envelope (bytes, before base64).
RELAY_MAX_CIPHERTEXT_BYTES = int(os.environ.get("RELAY_MAX_CIPHERTEXT_BYTES", str(128 * 1024)))
# Attachments (docs/attachments.md): where the encrypted blobs are stored, the largest one
# file may be and the most all of one case's files may take (bytes, as encrypted and padded).
RELAY_ATTACHMENT_DIR = os.environ.get(
    "RELAY_ATTACHMENT_DIR", str(BASE_DIR / "var" / "attachments")
)
# Where blobs are stored: "filesystem" (RELAY_ATTACHMENT_DIR) or "s3" (an S3-compatible
# bucket through django-storages, RELAY_ATTACHMENT_S3_*); the STORAGES alias "attachments".
RELAY_ATTACHMENT_STORAGE = os.environ.get("RELAY_ATTACHMENT_STORAGE", "filesystem")


def attachment_storage(kind: str, directory: str) -> dict[str, Any]:
    """The ``STORAGES["attachments"]`` entry for ``RELAY_ATTACHMENT_STORAGE``. Pieces are
    stored under fixed names and rewritten in place, so both backends must overwrite."""
    if kind == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": directory, "allow_overwrite": True},
        }
    if kind != "s3":
        raise ImproperlyConfigured(
            f"RELAY_ATTACHMENT_STORAGE must be 'filesystem' or 's3', not {kind!r}."
        )
    bucket = os.environ.get("RELAY_ATTACHMENT_S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("RELAY_ATTACHMENT_STORAGE=s3 needs RELAY_ATTACHMENT_S3_BUCKET.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "file_overwrite": True,
        # Private objects; Relay never hands out their URLs (downloads go through Relay).
        "default_acl": None,
        "location": os.environ.get("RELAY_ATTACHMENT_S3_PREFIX", "").strip("/"),
    }
    for option, variable in (
        ("endpoint_url", "RELAY_ATTACHMENT_S3_ENDPOINT_URL"),
        ("region_name", "RELAY_ATTACHMENT_S3_REGION"),
        ("access_key", "RELAY_ATTACHMENT_S3_ACCESS_KEY_ID"),
        ("secret_key", "RELAY_ATTACHMENT_S3_SECRET_ACCESS_KEY"),
        ("addressing_style", "RELAY_ATTACHMENT_S3_ADDRESSING_STYLE"),
    ):
        if value := os.environ.get(variable, "").strip():
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": attachment_storage(RELAY_ATTACHMENT_STORAGE, RELAY_ATTACHMENT_DIR),
}
RELAY_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("RELAY_ATTACHMENT_MAX_BYTES", str(100 * 1024 * 1024))
)
RELAY_ATTACHMENTS_MAX_CASE_BYTES = int(
    os.environ.get("RELAY_ATTACHMENTS_MAX_CASE_BYTES", str(1024 * 1024 * 1024))
)
# An upload opened this many hours ago and still not complete, or complete but carried by no
# message, is deleted with its blob by the worker's attachments.discard_orphans job.
RELAY_ATTACHMENT_ORPHAN_HOURS = float(os.environ.get("RELAY_ATTACHMENT_ORPHAN_HOURS", "24"))

# The audit log's link MAC key and checkpoint signing key are derived from this secret
# (relay.audit.keys); it is never stored in the database. Production refuses to start
# without its own (relay.E006).
RELAY_AUDIT_KEY = os.environ.get(
    "RELAY_AUDIT_KEY", "embedded-default-insecure-audit-key-do-not-deploy"
)
# Signed checkpoints of the audit chain are appended to a file here
# (relay.audit.checkpoints). Keep it apart from the database and its backups.
RELAY_AUDIT_CHECKPOINT_DIR = os.environ.get(
    "RELAY_AUDIT_CHECKPOINT_DIR", str(BASE_DIR / "var" / "audit-checkpoints")
)

# Argon2id parameters served to clients with each wrapped key. Clients refuse anything
# below 64 MiB and 3 passes (docs/protocol.md §2); only test settings lower the floor.
RELAY_KDF_OPSLIMIT = int(os.environ.get("RELAY_KDF_OPSLIMIT", "3"))
RELAY_KDF_MEMLIMIT = int(os.environ.get("RELAY_KDF_MEMLIMIT", str(64 * 1024 * 1024)))

# Structured logs (docs/operations.md, "Logs"): every handler scrubs each record first
# (relay.monitoring.logging: no content, usernames or addresses), then writes one JSON
# object per line; RELAY_LOG_FORMAT=plain writes plain lines, still scrubbed.
RELAY_LOG_FORMAT = os.environ.get("RELAY_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "relay.monitoring.logging.ScrubFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "relay.monitoring.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if RELAY_LOG_FORMAT == "plain" else "json",
            "filters": ["scrub"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("RELAY_LOG_LEVEL", "INFO")},
    "loggers": {
        # Daphne's access log would keep participants' addresses; DESIGN §9 forbids that.
        "daphne.access": {"level": "WARNING"},
        # Django's request loggers would otherwise send their records to their own handlers.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Operations: metrics and health (docs/operations.md) ---------------------------------
# The Prometheus metrics listener (relay.monitoring.server): its own port, never the public
# application's; 0 turns it off (the embedded default). Production binds it on the internal
# network only (docker-compose.yml does not publish it).
RELAY_METRICS_PORT = int(os.environ.get("RELAY_METRICS_PORT", "0"))
RELAY_METRICS_ADDRESS = os.environ.get("RELAY_METRICS_ADDRESS", "127.0.0.1")
# How long /readyz waits for the database and the channel layer (seconds).
RELAY_READY_TIMEOUT = float(os.environ.get("RELAY_READY_TIMEOUT", "2"))

# Retention (docs/operations.md, "Retention"): days after a case ends before its content is
# crypto-shredded (relay.retention.policy). Checked by relay.E060–E062.
RELAY_RETENTION_CASE_DAYS = int(os.environ.get("RELAY_RETENTION_CASE_DAYS", "365"))
RELAY_RETENTION_UNSUITABLE_DAYS = int(os.environ.get("RELAY_RETENTION_UNSUITABLE_DAYS", "90"))
RELAY_RETENTION_REFERRAL_DAYS = int(os.environ.get("RELAY_RETENTION_REFERRAL_DAYS", "90"))

# Notifications (docs/operations.md, "Notifications"): opt-in and content-free. Email goes
# through Django's email backend (console by default; SMTP in production with EMAIL_HOST
# and friends), text messages through RELAY_SMS_BACKEND (relay.notifications.sms).
RELAY_SITE_URL = os.environ.get("RELAY_SITE_URL", "http://127.0.0.1:8000")
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mailer(backend: str) -> dict[str, Any]:
    """The default mailer for ``backend``; SMTP takes its server from RELAY_EMAIL_*."""
    if backend != SMTP_BACKEND:
        return {"BACKEND": backend}
    return {
        "BACKEND": backend,
        "OPTIONS": {
            "host": os.environ.get("RELAY_EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("RELAY_EMAIL_PORT", "587")),
            "username": os.environ.get("RELAY_EMAIL_HOST_USER", ""),
            "password": os.environ.get("RELAY_EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("RELAY_EMAIL_USE_TLS", True),
            "timeout": 20,
        },
    }


# The embedded run prints email to the console; production sends it by SMTP
# (relay.settings.production) unless RELAY_EMAIL_BACKEND says otherwise.
MAILERS = {
    "default": mailer(
        os.environ.get("RELAY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("RELAY_FROM_EMAIL", "Relay <no-reply@relay.invalid>")
RELAY_SMS_BACKEND = os.environ.get(
    "RELAY_SMS_BACKEND", "relay.notifications.sms.ConsoleBackend"
)
RELAY_SMS_URL = os.environ.get("RELAY_SMS_URL", "")
RELAY_SMS_TOKEN = os.environ.get("RELAY_SMS_TOKEN", "")
RELAY_SMS_SENDER = os.environ.get("RELAY_SMS_SENDER", "Relay")
RELAY_SMS_FILE_PATH = os.environ.get("RELAY_SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
# A burst of updates waits this long after its first one, then goes as one notification;
# and no one is notified more often than every RELAY_NOTIFICATION_MIN_INTERVAL_SECONDS.
RELAY_NOTIFICATION_BATCH_SECONDS = int(os.environ.get("RELAY_NOTIFICATION_BATCH_SECONDS", "600"))
RELAY_NOTIFICATION_MIN_INTERVAL_SECONDS = int(
    os.environ.get("RELAY_NOTIFICATION_MIN_INTERVAL_SECONDS", "3600")
)

# Background tasks (docs/worker.md): Django's tasks framework with the database backend, so
# the queue lives in the same SQLite or PostgreSQL database; ``manage.py worker`` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A task marked running for longer than this (seconds) belongs to a worker that was killed;
# the worker puts it back in the queue (relay.worker.tasks.requeue_stalled).
RELAY_WORKER_STALLED_SECONDS = int(os.environ.get("RELAY_WORKER_STALLED_SECONDS", "600"))

# Meetings (docs/scheduling.md). Times are stored in UTC and shown in this zone.
RELAY_DISPLAY_TIME_ZONE = os.environ.get("RELAY_DISPLAY_TIME_ZONE", "Europe/London")
# The Join button shows from this many minutes before the start until the end.
RELAY_MEETING_JOIN_EARLY_MINUTES = int(os.environ.get("RELAY_MEETING_JOIN_EARLY_MINUTES", "10"))
# Video: "jitsi" (a self-hosted Jitsi with token authentication) or "external" (another
# service's link, written in the meeting's sealed details). Jitsi needs the domain and a
# secret of 32+ characters shared with Jitsi's token authentication (relay.E030, E031).
RELAY_VIDEO_PROVIDER = os.environ.get("RELAY_VIDEO_PROVIDER", "external")
RELAY_JITSI_DOMAIN = os.environ.get("RELAY_JITSI_DOMAIN", "")
RELAY_JITSI_APP_ID = os.environ.get("RELAY_JITSI_APP_ID", "relay")
RELAY_JITSI_APP_SECRET = os.environ.get("RELAY_JITSI_APP_SECRET", "")
RELAY_JITSI_AUDIENCE = os.environ.get("RELAY_JITSI_AUDIENCE", "jitsi")
# The token's "sub": Jitsi checks it against its domain (empty: RELAY_JITSI_DOMAIN).
RELAY_JITSI_SUBJECT = os.environ.get("RELAY_JITSI_SUBJECT", "")
# A join token lives this many seconds (never past the meeting's end): a pause or withdrawal
# takes effect on the next join.
RELAY_JITSI_TOKEN_SECONDS = int(os.environ.get("RELAY_JITSI_TOKEN_SECONDS", "300"))
