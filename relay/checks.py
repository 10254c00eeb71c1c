"""System checks that refuse a production start when a misconfiguration would be a
security issue. They run with every management command (``check``, ``check --deploy``,
``migrate``) and, through ``RelayConfig.ready``, when Daphne loads the production settings.
They apply only when ``RELAY_PRODUCTION`` is set (relay.settings.production)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

INSECURE_DEFAULT_KEY = "embedded-default-insecure-key-do-not-deploy"
MIN_SECRET_LENGTH = 50
INSECURE_DEFAULT_AUDIT_KEY = "embedded-default-insecure-audit-key-do-not-deploy"
MIN_AUDIT_KEY_LENGTH = 32


@register(Tags.security)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if not getattr(settings, "RELAY_PRODUCTION", False):
        return errors
    if settings.DEBUG:
        errors.append(Error("DEBUG is on in production.", id="relay.E001"))
    secret = settings.SECRET_KEY or ""
    if secret == INSECURE_DEFAULT_KEY or len(secret) < MIN_SECRET_LENGTH:
        errors.append(
            Error("RELAY_SECRET_KEY is missing or too short (50+ characters).", id="relay.E002")
        )
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if backend == "channels.layers.InMemoryChannelLayer":
        errors.append(
            Error(
                "The in-memory channel layer cannot reach other Daphne processes; set REDIS_URL.",
                id="relay.E003",
            )
        )
    if not getattr(settings, "RELAY_REQUIRE_STAFF_OTP", True):
        errors.append(Error("Staff second factor must be enforced.", id="relay.E004"))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(Error("Production needs PostgreSQL; set DATABASE_URL.", id="relay.E005"))
    audit_key = getattr(settings, "RELAY_AUDIT_KEY", "") or ""
    if (
        audit_key == INSECURE_DEFAULT_AUDIT_KEY
        or len(audit_key) < MIN_AUDIT_KEY_LENGTH
        or audit_key == secret
    ):
        errors.append(
            Error(
                "RELAY_AUDIT_KEY is missing, too short (32+ characters) or the same as "
                "RELAY_SECRET_KEY.",
                id="relay.E006",
            )
        )
    if not production_origins_ok(settings.RELAY_ALLOWED_ORIGINS) or getattr(
        settings, "RELAY_ACCEPT_OWN_ORIGIN", False
    ):
        errors.append(
            Error(
                "RELAY_ALLOWED_ORIGINS must list the site's own https:// origins, and only "
                "those (not the embedded localhost defaults).",
                id="relay.E007",
            )
        )
    errors.extend(intake_settings())
    return errors


# --- the intake (relay.E010–E019; docs/intake.md) -------------------------------------------

MIN_PROOF_BITS, MAX_PROOF_BITS = 12, 28


def intake_settings() -> list[Error]:
    """The self-referral page's abuse controls must be on: a proof of work a browser pays
    in seconds, not none and not minutes, and a per-address limit."""
    errors: list[Error] = []
    bits = getattr(settings, "RELAY_REFERRAL_PROOF_BITS", None)
    if not isinstance(bits, int) or not MIN_PROOF_BITS <= bits <= MAX_PROOF_BITS:
        errors.append(
            Error(
                f"RELAY_REFERRAL_PROOF_BITS must be between {MIN_PROOF_BITS} and "
                f"{MAX_PROOF_BITS}.",
                id="relay.E010",
            )
        )
    limits = getattr(settings, "RELAY_THROTTLE_LIMITS", {})
    for scope, name in (
        ("referral", "RELAY_REFERRALS_PER_ADDRESS"),
        ("referral_status", "RELAY_REFERRAL_STATUS_ATTEMPTS_PER_ADDRESS"),
    ):
        per_address = limits.get(scope, (0, 0))[1]
        if not isinstance(per_address, int) or per_address < 1:
            errors.append(Error(f"{name} must be at least 1.", id="relay.E011"))
    return errors


EMBEDDED_ORIGIN_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def production_origins_ok(origins: list[str]) -> bool:
    """At least one origin, each an https:// origin that is not a local address."""
    if not origins:
        return False
    for origin in origins:
        host = origin.removeprefix("https://").rsplit(":", 1)[0]
        if not origin.startswith("https://") or "/" in host or host in EMBEDDED_ORIGIN_HOSTS:
            return False
    return True


def refuse_misconfigured_start() -> None:
    """Stop a production process from starting at all while a relay.E… check fails."""
    errors = production_settings(None)
    if errors:
        raise ImproperlyConfigured(
            "Relay refuses to start: " + " ".join(f"{e.id}: {e.msg}" for e in errors)
        )
