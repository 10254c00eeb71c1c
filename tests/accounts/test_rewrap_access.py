"""Who may re-encrypt a message to someone's new key: a current facilitator of its case
whose own current key can open it (relay.recovery.access.access_message_to_rewrap)."""

from __future__ import annotations

import pytest

from relay.accounts import actions
from relay.accounts.models import Role
from relay.cases import actions as case_actions
from relay.errors import AccessDenied
from relay.moderation.models import MessageKey
from relay.recovery import actions as recovery_actions
from relay_client.crypto import KeyPair
from tests.factories import make_case, make_person
from tests.moderation.helpers import submit

pytestmark = pytest.mark.django_db


def test_a_facilitator_whose_key_cannot_open_the_message_cannot_rewrap_it():
    sc = make_case()
    message = submit(sc, sc.harmed, kind="note_to_facilitator", text="Call me after five.")
    late = make_person(Role.FACILITATOR)  # assigned after the message was sealed
    case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=late.user
    )
    new_key = KeyPair.generate()
    actions.register_key(actor=sc.harmed.user, public_key=new_key.public)
    wrap = {"key_id": new_key.key_id, "nonce": bytes(24), "box": bytes(48)}

    with pytest.raises(AccessDenied):
        recovery_actions.rewrap_message_key(actor=late.user, message_id=message.pk, **wrap)
    assert not MessageKey.objects.filter(recipient_key_id=new_key.key_id).exists()

    # The facilitator whose key the message was sealed to may.
    rewrapped = recovery_actions.rewrap_message_key(
        actor=sc.facilitator.user, message_id=message.pk, **wrap
    )
    assert sc.facilitator.keypair is not None
    assert rewrapped.wrapped_by_id == sc.facilitator.keypair.key_id
