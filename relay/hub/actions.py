"""The hub's writes: its settings (docs/intake.md, "Hub settings")."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.models import PublicKey
from relay.accounts.selectors import current_key
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.errors import AccessDenied, EnvelopeRejected, InvalidRequest
from relay.hub.models import HUB_ID, HubSettings, IntakeKeyWrap
from relay.hub.selectors import (
    DEFAULT_HUB,
    Hub,
    SignpostingService,
    hub,
    intake_key_holders,
    key_id_of,
)

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_SERVICES = 30
# Field → longest value.
LIMITS = {
    "name": 120,
    "phone": 40,
    "email": 254,
    "postal_address": 400,
    "opening_hours": 200,
    "about": 2000,
}
SERVICE_LIMITS = {"key": 40, "name": 120, "helps_with": 400, "phone": 40, "website": 200}


def _text(field: str, value: Any, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(gettext("Invalid %(field)s: must be text.") % {"field": field})
    value = value.strip()
    if required and not value:
        raise InvalidRequest(gettext("Invalid %(field)s: must not be empty.") % {"field": field})
    if len(value) > limit:
        raise InvalidRequest(
            gettext("Invalid %(field)s: at most %(limit)s characters.")
            % {"field": field, "limit": limit}
        )
    return value


def clean_services(raw: Any) -> list[dict[str, str]]:
    """The signposting list as stored: each ``{"key", "name", "helps_with", "phone",
    "website"}``; keys unique and lower-case (letters, digits, hyphens); websites https."""
    if not isinstance(raw, list) or len(raw) > MAX_SERVICES:
        raise InvalidRequest(
            gettext("Invalid signposting: a list of at most %(max_services)s services.")
            % {"max_services": MAX_SERVICES}
        )
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - set(SERVICE_LIMITS):
            raise InvalidRequest(
                gettext(
                    "Invalid signposting.%(index)s:"
                    " an object with key, name, helps_with, phone, website."
                )
                % {"index": index}
            )
        service = {
            field: _text(
                f"signposting.{index}.{field}", item.get(field, ""), limit,
                required=field in ("key", "name"),
            )
            for field, limit in SERVICE_LIMITS.items()
        }
        if not KEY_PATTERN.match(service["key"]):
            raise InvalidRequest(
                gettext(
                    "Invalid signposting.%(index)s.key: lower-case letters, digits and hyphens."
                )
                % {"index": index}
            )
        if service["key"] in seen:
            raise InvalidRequest(
                gettext("Invalid signposting.%(index)s.key: used twice.") % {"index": index}
            )
        if service["website"] and not service["website"].startswith("https://"):
            raise InvalidRequest(
                gettext("Invalid signposting.%(index)s.website: must start https://.")
                % {"index": index}
            )
        seen.add(service["key"])
        cleaned.append(service)
    return cleaned


def _row() -> HubSettings:
    """The hub's row, locked; created from the defaults the first time."""
    row = HubSettings.objects.select_for_update().filter(pk=HUB_ID).first()
    if row is None:
        row = HubSettings.objects.create(
            pk=HUB_ID,
            name=DEFAULT_HUB.name,
            about=DEFAULT_HUB.about,
            signposting=[service.wire() for service in DEFAULT_HUB.signposting],
        )
        row = HubSettings.objects.select_for_update().get(pk=HUB_ID)
    return row


@transaction.atomic
def update_hub_settings(*, actor: Any | None, changes: dict[str, Any]) -> Hub:
    """Change some of the hub's settings (the fields ``changes`` names; the rest stay).

    Who: an admin (``relay.hub.access.access_hub_settings``), or the ``hub_settings``
    command (``actor`` None). Audits HUB_SETTINGS_CHANGED with the names of the fields
    changed, never their values. Emits nothing: the public pages read the record.
    """
    unknown = set(changes) - set(LIMITS) - {"signposting"}
    if unknown:
        raise InvalidRequest(
            gettext("Invalid %(unknown)s: not a hub setting.") % {"unknown": sorted(unknown)[0]}
        )
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "signposting":
            cleaned[field] = clean_services(value)
        else:
            cleaned[field] = _text(field, value, LIMITS[field], required=field == "name")
    row = _row()
    for field, value in cleaned.items():
        setattr(row, field, value)
    row.updated_at = timezone.now()
    row.save(update_fields=[*cleaned, "updated_at"])
    record(AuditEventType.HUB_SETTINGS_CHANGED, actor=actor, fields=sorted(cleaned))
    return hub()


__all__ = ["SignpostingService", "clean_services", "update_hub_settings"]


# --- the intake key ---------------------------------------------------------------------------

SEALED_SECRET_BYTES = 32 + 32 + 16  # crypto_box_seal of a 32-byte secret key


def _wraps(raw: Any) -> dict[str, bytes]:
    """``[{"key_id", "sealed_secret": b64 80 bytes}]`` → key id → sealed secret."""
    if not isinstance(raw, list) or not raw or len(raw) > 64:
        raise InvalidRequest(gettext("Invalid wraps: a list of 1 to 64 sealed secrets."))
    found: dict[str, bytes] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"key_id", "sealed_secret"}:
            raise InvalidRequest(
                gettext("Invalid wraps.%(index)s: an object with key_id, sealed_secret.")
                % {"index": index}
            )
        key_id, sealed = item["key_id"], item["sealed_secret"]
        if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{32}", key_id):
            raise InvalidRequest(
                gettext("Invalid wraps.%(index)s.key_id: 32 lower-case hex characters.")
                % {"index": index}
            )
        try:
            box = base64.b64decode(sealed, validate=True) if isinstance(sealed, str) else b""
        except (binascii.Error, ValueError):
            box = b""
        if len(box) != SEALED_SECRET_BYTES:
            raise InvalidRequest(
                gettext("Invalid wraps.%(index)s.sealed_secret: base64 of 80 bytes.")
                % {"index": index}
            )
        if key_id in found:
            raise InvalidRequest(
                gettext("Invalid wraps.%(index)s.key_id: named twice.") % {"index": index}
            )
        found[key_id] = box
    return found


def _check_holders(wraps: dict[str, bytes]) -> None:
    allowed = {key.key_id for key in intake_key_holders()}
    if set(wraps) - allowed:
        raise EnvelopeRejected(
            gettext(
                "The intake key may be wrapped only to the current keys of hub managers and admins."
            ),
            code="recipients_forbidden",
        )


@transaction.atomic
def create_intake_key(*, actor: Any, public_key: bytes, wraps: Any) -> Hub:
    """A hub manager or admin publishes a new intake key: its public half, and its private
    half sealed (``crypto_box_seal``) to hub managers' and admins' current keys, their own
    among them. A later key replaces the public half; the older keys' wraps stay, so
    referrals sealed to them still open.

    Who: hub managers and admins (``access_intake_key``). Audits: INTAKE_KEY_CREATED with the
    key id and the key ids it was wrapped to. Emits nothing.
    """

    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise InvalidRequest(gettext("Invalid public_key: base64 of 32 bytes."))
    sealed = _wraps(wraps)
    _check_holders(sealed)
    own = current_key(actor)
    if own is None or own.key_id not in sealed:
        raise EnvelopeRejected(
            gettext("Wrap the intake key to your own current key too."), code="recipients_missing"
        )
    intake_key_id = key_id_of(public_key)
    if IntakeKeyWrap.objects.filter(intake_key_id=intake_key_id).exists():
        raise InvalidRequest(gettext("This intake key was published before: make a new one."))
    row = _row()
    now = timezone.now()
    row.intake_public_key = public_key
    row.intake_key_created_at = now
    row.updated_at = now
    row.save(update_fields=["intake_public_key", "intake_key_created_at", "updated_at"])
    owners = dict(PublicKey.objects.filter(key_id__in=sealed).values_list("key_id", "user_id"))
    IntakeKeyWrap.objects.bulk_create(
        IntakeKeyWrap(
            intake_key_id=intake_key_id, user_id=owners[key_id], key_id=key_id,
            sealed_secret=box, created_at=now,
        )
        for key_id, box in sorted(sealed.items())
    )
    record(
        AuditEventType.INTAKE_KEY_CREATED, actor=actor, intake_key_id=intake_key_id,
        key_ids=sorted(sealed),
    )
    return hub()


@transaction.atomic
def share_intake_key(*, actor: Any, intake_key_id: str, wraps: Any) -> int:
    """A holder of an intake key wraps its private half to more hub managers' or admins'
    current keys (a new hub manager, or a holder's new key). Keys that hold it already are
    refused, so a wrap is never replaced.

    Who: hub managers and admins who hold that intake key. Audits: INTAKE_KEY_SHARED with the
    key ids added. Emits nothing. Returns how many wraps were added.
    """

    _row()  # the hub's row serializes intake-key changes
    own = current_key(actor)
    held = IntakeKeyWrap.objects.filter(intake_key_id=intake_key_id)
    if own is None or not held.filter(key_id=own.key_id).exists():
        raise AccessDenied()
    sealed = _wraps(wraps)
    _check_holders(sealed)
    if held.filter(key_id__in=sealed).exists():
        raise InvalidRequest(gettext("One of these keys holds the intake key already."))
    now = timezone.now()
    owners = dict(PublicKey.objects.filter(key_id__in=sealed).values_list("key_id", "user_id"))
    IntakeKeyWrap.objects.bulk_create(
        IntakeKeyWrap(
            intake_key_id=intake_key_id, user_id=owners[key_id], key_id=key_id,
            sealed_secret=box, created_at=now,
        )
        for key_id, box in sorted(sealed.items())
    )
    record(
        AuditEventType.INTAKE_KEY_SHARED, actor=actor, intake_key_id=intake_key_id,
        key_ids=sorted(sealed),
    )
    return len(sealed)
