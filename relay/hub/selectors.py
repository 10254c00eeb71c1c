"""Reads of the hub's record (docs/intake.md, "Hub settings").

``hub()`` and ``signposting_services()`` are what every other app calls: the public pages,
the intake, the casework's unsuitable notices, the statistics. They never fail: before an
admin sets anything, they answer with ``DEFAULT_HUB``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from relay.accounts.models import MANAGER_ROLES, PublicKey
from relay.accounts.selectors import current_key
from relay.hub.models import HUB_ID, HubSettings, IntakeKeyWrap


@dataclass(frozen=True)
class SignpostingService:
    """A service the hub points people to: ``key`` is stable (a referral's decline names
    the services by it), the rest is what the person reads."""

    key: str
    name: str
    helps_with: str
    phone: str = ""
    website: str = ""

    def wire(self) -> dict[str, str]:
        return {
            "key": self.key,
            "name": self.name,
            "helps_with": self.helps_with,
            "phone": self.phone,
            "website": self.website,
        }


@dataclass(frozen=True)
class Hub:
    """The hub as the public pages and the other apps see it."""

    name: str
    phone: str
    email: str
    postal_address: str
    opening_hours: str
    about: str
    signposting: tuple[SignpostingService, ...]
    # The intake key's public half, or None until a hub manager or admin creates it.
    intake_public_key: bytes | None = None

    @property
    def intake_key_id(self) -> str | None:
        if self.intake_public_key is None:
            return None
        return hashlib.blake2b(self.intake_public_key, digest_size=16).hexdigest()


# National services, so that a hub that has set nothing still signposts somewhere real.
DEFAULT_SERVICES: tuple[SignpostingService, ...] = (
    SignpostingService(
        key="victim-support",
        name="Victim Support",
        helps_with="Free, confidential support for anyone affected by crime, whether or not "
        "it was reported to the police.",
        phone="08 08 16 89 111",
        website="https://www.victimsupport.org.uk",
    ),
    SignpostingService(
        key="domestic-abuse-helpline",
        name="National Domestic Abuse Helpline",
        helps_with="Support and safety planning for anyone experiencing domestic abuse, "
        "24 hours a day.",
        phone="0808 2000 247",
        website="https://www.nationaldahelpline.org.uk",
    ),
    SignpostingService(
        key="samaritans",
        name="Samaritans",
        helps_with="Someone to talk to, day or night, about whatever is getting to you.",
        phone="116 123",
        website="https://www.samaritans.org",
    ),
)

DEFAULT_HUB = Hub(
    name="Restorative justice hub",
    phone="",
    email="",
    postal_address="",
    opening_hours="",
    about="Restorative justice gives people harmed by a crime the chance to communicate "
    "with the person responsible, safely and only if both want to, with a trained "
    "facilitator.",
    signposting=DEFAULT_SERVICES,
)


def _services(raw: Any) -> tuple[SignpostingService, ...]:
    return tuple(
        SignpostingService(
            key=item["key"],
            name=item["name"],
            helps_with=item.get("helps_with", ""),
            phone=item.get("phone", ""),
            website=item.get("website", ""),
        )
        for item in raw or ()
    )


def hub() -> Hub:
    """The hub's settings; ``DEFAULT_HUB`` until an admin sets them."""
    row = HubSettings.objects.filter(pk=HUB_ID).first()
    if row is None:
        return DEFAULT_HUB
    return Hub(
        name=row.name,
        phone=row.phone,
        email=row.email,
        postal_address=row.postal_address,
        opening_hours=row.opening_hours,
        about=row.about,
        signposting=_services(row.signposting),
        intake_public_key=(
            bytes(row.intake_public_key) if row.intake_public_key is not None else None
        ),
    )


def signposting_services() -> tuple[SignpostingService, ...]:
    """The services the hub signposts to, in the hub's order."""
    return hub().signposting


def services_by_key(keys: list[str]) -> tuple[SignpostingService, ...]:
    """The hub's services named by ``keys``, in the hub's order; unknown keys are skipped."""
    wanted = set(keys)
    return tuple(service for service in signposting_services() if service.key in wanted)


def hub_wire(value: Hub | None = None) -> dict[str, Any]:
    """``GET /api/hub``: what anyone may read of the hub."""
    value = value or hub()
    key = value.intake_public_key
    return {
        "name": value.name,
        "phone": value.phone,
        "email": value.email,
        "postal_address": value.postal_address,
        "opening_hours": value.opening_hours,
        "about": value.about,
        "signposting": [service.wire() for service in value.signposting],
        "intake_key": (
            {"public_key": base64.b64encode(key).decode(), "key_id": value.intake_key_id}
            if key is not None
            else None
        ),
    }


# --- the intake key (docs/protocol.md, "The intake key") ------------------------------------


def key_id_of(public_key: bytes) -> str:
    return hashlib.blake2b(public_key, digest_size=16).hexdigest()


def intake_key_holders() -> list[Any]:
    """The current keys of the hub managers and admins who can act (not suspended), in key
    id order: whom the intake key's private half is wrapped to."""
    return list(
        PublicKey.objects.filter(
            retired_at__isnull=True,
            user__role__in=MANAGER_ROLES,
            user__suspended_at__isnull=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("key_id")
    )


def intake_key_wire(user: Any) -> dict[str, Any]:
    """``GET /api/hub/intake-key``: the current intake key, every intake key's private half
    wrapped to this user's current key (older keys too, for referrals sealed to them), and
    the holders with whether each has the current key."""
    value = hub()
    current_id = value.intake_key_id
    mine = current_key(user)
    wraps = (
        IntakeKeyWrap.objects.filter(key_id=mine.key_id).order_by("created_at")
        if mine is not None
        else IntakeKeyWrap.objects.none()
    )
    holding = set(
        IntakeKeyWrap.objects.filter(intake_key_id=current_id).values_list("key_id", flat=True)
    )
    return {
        "intake_key": hub_wire(value)["intake_key"],
        "wraps": [
            {
                "intake_key_id": wrap.intake_key_id,
                "key_id": wrap.key_id,
                "sealed_secret": base64.b64encode(bytes(wrap.sealed_secret)).decode(),
            }
            for wrap in wraps
        ],
        "holders": [
            {
                "user_id": str(key.user_id),
                "display_name": key.user.display_name,
                "role": key.user.role,
                "key_id": key.key_id,
                "public_key": base64.b64encode(bytes(key.public_key)).decode(),
                "has_intake_key": key.key_id in holding,
            }
            for key in intake_key_holders()
        ],
    }
