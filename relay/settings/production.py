"""Production settings: the base settings, hardened, and refusing to start misconfigured.

Everything comes from the environment. Missing RELAY_SECRET_KEY, RELAY_AUDIT_KEY,
DATABASE_URL, REDIS_URL, RELAY_ALLOWED_HOSTS or RELAY_ALLOWED_ORIGINS stops the start
here; the relay.E… system checks (relay/checks.py) catch the rest. Daphne runs behind a
TLS proxy that sets X-Forwarded-Proto.
"""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED = (
    "RELAY_SECRET_KEY",
    "RELAY_AUDIT_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "RELAY_ALLOWED_HOSTS",
    "RELAY_ALLOWED_ORIGINS",
)
_missing = [name for name in REQUIRED if not os.environ.get(name, "").strip()]
if _missing:
    raise ImproperlyConfigured(
        "Production needs these environment variables: " + ", ".join(_missing) + "."
    )

from relay.settings import *  # noqa: E402, F403
from relay.settings import SMTP_BACKEND, env_bool, mailer  # noqa: E402

# Notifications go by SMTP (RELAY_EMAIL_HOST, …) unless RELAY_EMAIL_BACKEND names another.
MAILERS = {"default": mailer(os.environ.get("RELAY_EMAIL_BACKEND", SMTP_BACKEND))}

RELAY_PRODUCTION = True
# Only the origins listed in RELAY_ALLOWED_ORIGINS may open a WebSocket (relay.origins).
RELAY_ACCEPT_OWN_ORIGIN = False
DEBUG = False
RELAY_REQUIRE_STAFF_OTP = True
# The proxy serves /static/; Daphne does not.
RELAY_SERVE_STATIC = env_bool("RELAY_SERVE_STATIC", False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(os.environ.get("RELAY_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# The "__Host-" prefix makes the browser refuse the cookie unless it is Secure, for the
# whole site and set by this host alone.
SESSION_COOKIE_NAME = "__Host-relay-session"
# The CSRF cookie stays readable by the page's own script (it sends it back as X-CSRFToken);
# SameSite=Strict and the Origin check keep other sites from using it.
