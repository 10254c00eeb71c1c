"""Building intake state through the real actions and the clients' own crypto."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import Client

from relay.accounts.models import Role
from relay.hub import actions as hub_actions
from relay.hub.selectors import intake_key_holders
from relay.referrals import actions
from relay.referrals.proof import issue_challenge
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.factories import Person, make_person

PAYLOAD = {
    "what_happened": "Someone broke into my shed and took my bike.",
    "when": "March this year",
    "reported_to_police": "yes",
    "contact": {"methods": ["phone"], "phone": "01632 960123", "safe_times": "after 6pm"},
    "support_needs": "",
}


def wraps_for(intake: KeyPair) -> list[dict[str, str]]:
    """The intake key's private half sealed to every current holder, as a client does."""
    return [
        {
            "key_id": key.key_id,
            "sealed_secret": crypto.b64(
                crypto.seal_secret_to(intake.secret, bytes(key.public_key))
            ),
        }
        for key in intake_key_holders()
    ]


def with_intake_key(manager: Person | None = None) -> tuple[Person, KeyPair]:
    """A hub manager who has made the hub's intake key."""
    manager = manager or make_person(Role.HUB_MANAGER)
    intake = KeyPair.generate()
    hub_actions.create_intake_key(
        actor=manager.user, public_key=intake.public, wraps=wraps_for(intake)
    )
    return manager, intake


def sealed_to(intake: KeyPair, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return crypto.seal_referral(intake_public_key=intake.public, payload=payload or PAYLOAD)


def proof() -> dict[str, str]:
    challenge = issue_challenge()
    nonce = crypto.solve_proof(challenge["challenge"], challenge["difficulty"])
    return {"challenge": challenge["challenge"], "nonce": nonce}


def self_referral(intake: KeyPair, *, address: str = "192.0.2.1", side: str = "harmed"):
    return actions.receive_self_referral(
        address=address, sealed=sealed_to(intake), side=side, proof_of_work=proof()
    )


def professional_referral(intake: KeyPair, referrer: Person | None = None):
    referrer = referrer or make_person(Role.REFERRER)
    return actions.receive_professional_referral(
        actor=referrer.user,
        sealed=sealed_to(intake),
        side="responsible",
        source="probation",
        consent_given_by="person",
        consent_method="in_person",
        consent_given_on=datetime.date.today(),
    )


def post(client: Client, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()
