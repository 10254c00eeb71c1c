"""Opaque channel-layer group names: nothing in Redis names a case, role or person."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings


def user_group(user_id: uuid.UUID | str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"user:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"g{digest[:40]}"
