"""Start-up checks for scheduling's settings (ids relay.E030–E039)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from relay.scheduling.video import JITSI, MIN_SECRET_LENGTH, PROVIDERS


@register()
def video_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    chosen = getattr(settings, "RELAY_VIDEO_PROVIDER", "")
    if chosen not in PROVIDERS:
        errors.append(Error(
            f"RELAY_VIDEO_PROVIDER must be one of {', '.join(PROVIDERS)}.", id="relay.E032"
        ))
        return errors
    if chosen == JITSI:
        secret = getattr(settings, "RELAY_JITSI_APP_SECRET", "") or ""
        if len(secret) < MIN_SECRET_LENGTH:
            errors.append(Error(
                "Video by Jitsi is on but RELAY_JITSI_APP_SECRET is missing or too short "
                f"({MIN_SECRET_LENGTH}+ characters): join tokens could be forged.",
                id="relay.E030",
            ))
        if not getattr(settings, "RELAY_JITSI_DOMAIN", ""):
            errors.append(Error(
                "Video by Jitsi is on but RELAY_JITSI_DOMAIN (the Jitsi server's host name) "
                "is not set.",
                id="relay.E031",
            ))
    return errors
