"""System checks for notifications (relay.E063–E065)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def notification_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    try:
        import_string(settings.RELAY_SMS_BACKEND)
    except ImportError:
        errors.append(
            Error("RELAY_SMS_BACKEND does not name a text-message backend.", id="relay.E063")
        )
    if settings.RELAY_SMS_BACKEND.endswith(".HttpBackend") and not (
        settings.RELAY_SMS_URL.startswith("https://") and settings.RELAY_SMS_TOKEN
    ):
        errors.append(
            Error(
                "The HTTP text-message backend needs an https:// RELAY_SMS_URL and a "
                "RELAY_SMS_TOKEN.",
                id="relay.E064",
            )
        )
    if getattr(settings, "RELAY_PRODUCTION", False) and not settings.RELAY_SITE_URL.startswith(
        "https://"
    ):
        errors.append(
            Error(
                "RELAY_SITE_URL must be the site's https:// address: notifications and "
                "unsubscribe links point there.",
                id="relay.E065",
            )
        )
    return errors
