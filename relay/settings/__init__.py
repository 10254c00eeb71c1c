"""Settings for Relay, read from the environment.

With no environment at all this is the embedded default: SQLite beside the project, the
in-memory channel layer, one Daphne process. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and the Redis channel layer; ``relay.settings.production`` refuses to start
without them (see ``relay/checks.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

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
    "relay.moderation",
    "relay.outcomes",
    "relay.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
RELAY_THROTTLE_WINDOW = int(os.environ.get("RELAY_THROTTLE_WINDOW", str(15 * 60)))
RELAY_THROTTLE_LIMITS = {
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
    "img-src": [CSP.SELF, "data:"],
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
# Largest HTTP request body (bytes): larger ones get 413 before they are read (relay.limits).
RELAY_MAX_BODY_BYTES = int(os.environ.get("RELAY_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = RELAY_MAX_BODY_BYTES
# Largest padded payload ciphertext accepted in one envelope (bytes, before base64).
RELAY_MAX_CIPHERTEXT_BYTES = int(os.environ.get("RELAY_MAX_CIPHERTEXT_BYTES", str(128 * 1024)))

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RELAY_LOG_LEVEL", "INFO")},
    "loggers": {
        # Daphne's access log would keep participants' addresses; DESIGN §9 forbids that.
        "daphne.access": {"level": "WARNING"},
    },
}
