"""Video rooms from a provider (docs/scheduling.md, "Video").

``jitsi``: a self-hosted Jitsi Meet with token authentication. Each meeting has an
unguessable room name; each join gets a fresh HS256 token for one person and one room,
valid from the moment of joining for ``RELAY_JITSI_TOKEN_SECONDS`` (never past the end of
the meeting), with the claims Jitsi's token verification (prosody ``mod_auth_token``)
checks: ``iss`` (the app id), ``aud``, ``sub`` (the Jitsi domain), ``room``, ``nbf``,
``exp``, and the user context it reads (``context.user``: id, a neutral name, moderator and
affiliation). Facilitators are moderators; participants never are.

``external``: another service's link, which the facilitator writes into the meeting's
sealed details; Relay issues no token and the Join button opens the link from the details.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings

JITSI = "jitsi"
EXTERNAL = "external"
PROVIDERS = (JITSI, EXTERNAL)
ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class JitsiConfig:
    domain: str
    app_id: str
    secret: str
    audience: str
    subject: str
    token_seconds: int


def provider() -> str:
    return str(getattr(settings, "RELAY_VIDEO_PROVIDER", EXTERNAL))


def jitsi_config() -> JitsiConfig:
    domain = settings.RELAY_JITSI_DOMAIN
    return JitsiConfig(
        domain=domain,
        app_id=settings.RELAY_JITSI_APP_ID,
        secret=settings.RELAY_JITSI_APP_SECRET,
        audience=settings.RELAY_JITSI_AUDIENCE,
        subject=settings.RELAY_JITSI_SUBJECT or domain,
        token_seconds=settings.RELAY_JITSI_TOKEN_SECONDS,
    )


def mint_jitsi_token(
    *,
    room: str,
    user_id: str,
    display_name: str,
    moderator: bool,
    now: datetime.datetime,
    ends_at: datetime.datetime,
    config: JitsiConfig | None = None,
) -> tuple[str, datetime.datetime]:
    """A signed token for one person to enter one room now; returns it and its expiry."""
    config = config or jitsi_config()
    expires = min(now + datetime.timedelta(seconds=config.token_seconds), ends_at)
    claims: dict[str, Any] = {
        "iss": config.app_id,
        "aud": config.audience,
        "sub": config.subject,
        "room": room,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "moderator": moderator,
        "context": {
            "user": {
                "id": user_id,
                "name": display_name,
                "moderator": moderator,
                "affiliation": "owner" if moderator else "member",
            },
            "features": {"lobby": True},
        },
    }
    return jwt.encode(claims, config.secret, algorithm=ALGORITHM), expires


def room_url(room: str, token: str, config: JitsiConfig | None = None) -> str:
    config = config or jitsi_config()
    return f"https://{config.domain}/{room}?jwt={token}"
