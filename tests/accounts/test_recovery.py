"""Recovery without escrow: a participant who lost their password is reset by their
facilitator, re-enrols with a new key, and gets their history back because the
facilitator's client re-encrypts it; a facilitator restores their own key pair with the
printable recovery key. Real Daphne, real Python clients."""

from __future__ import annotations

import pytest

from relay.accounts.models import PublicKey
from relay.audit.models import AuditEvent, AuditEventType
from relay.moderation.models import MessageKey
from relay_client import crypto
from relay_client.client import RelayApiError
from tests.accounts.live import weak_floor_client
from tests.delivery.live import client_for
from tests.factories import make_case, otp_token

pytestmark = pytest.mark.live

NEW_PASSWORD = "a fresh start with a new passphrase"


def history_messages(client) -> list[dict]:
    return [e["message"] for e in client.catch_up() if e["type"] == "message"]


def test_participant_history_opens_with_the_new_key_and_not_the_old_one(daphne):
    sc = make_case()
    harmed = client_for(daphne, sc.harmed)
    facilitator = client_for(daphne, sc.facilitator)
    responsible = client_for(daphne, sc.responsible)

    harmed.send(sc.id, "question", "Why did you choose our house?")
    harmed.send(sc.id, "note_to_facilitator", "I am nervous about this.")
    facilitator.forward(facilitator.queue(sc.id)[0])
    responsible.send(sc.id, "answer", "It looked empty. I am sorry.")
    facilitator.forward(facilitator.queue(sc.id)[0])
    facilitator.write_to_participant(sc.id, "harmed", "Take your time before you reply.")
    before = {m["message_id"]: harmed.open(m)["body"] for m in history_messages(harmed)}
    assert sorted(before.values()) == sorted(
        [
            "Why did you choose our house?",
            # The version passed on, sealed to its writer too (docs/protocol.md).
            "Why did you choose our house?",
            "I am nervous about this.",
            "It looked empty. I am sorry.",
            "Take your time before you reply.",
        ]
    )
    old_keypair = harmed.keypair

    # The participant lost their password; the facilitator checks who they are by phone.
    code = facilitator.reset_participant(sc.id, "harmed")["code"]
    assert harmed.http.get("/api/me").status_code == 401  # the old session has ended

    device = weak_floor_client(daphne)
    device.enrol(code, NEW_PASSWORD)
    assert device.keypair.key_id != old_keypair.key_id
    assert PublicKey.objects.get(key_id=old_keypair.key_id).retired_at is not None

    # Nothing is forwarded to the changed key until the facilitator verifies it...
    responsible.send(sc.id, "answer", "I would like to explain more.")
    pending = facilitator.queue(sc.id)[0]
    with pytest.raises(RelayApiError) as blocked:
        facilitator.forward(pending)
    assert blocked.value.code == "key_unverified"
    # ...and the new key cannot open the history yet.
    messages = history_messages(device)
    assert {m["message_id"] for m in messages} == set(before)
    for message in messages:
        with pytest.raises(crypto.EnvelopeOpenError):
            device.open(message)

    facilitator.verify_participant_key(sc.id, "harmed", method="phone")
    assert facilitator.rewrap_history(sc.id, "harmed") == len(before)
    facilitator.forward(pending)

    device.last_seq = 0
    opened = {m["message_id"]: device.open(m)["body"] for m in history_messages(device)}
    assert {k: opened[k] for k in before} == before
    assert "I would like to explain more." in opened.values()
    # The old key opens none of it any more: its wraps were replaced.
    for message in history_messages_fresh(device):
        with pytest.raises(crypto.EnvelopeOpenError):
            crypto.open_envelope(
                message["envelope"],
                me=old_keypair,
                sender_public_key=None,
                wrapper_public_key=facilitator.keypair.public,
            )
    assert not MessageKey.objects.filter(recipient_key_id=old_keypair.key_id).exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.HISTORY_REENCRYPTED).count() == len(
        before
    )
    # Running it again finds nothing left to do.
    assert facilitator.rewrap_history(sc.id, "harmed") == 0


def history_messages_fresh(client) -> list[dict]:
    client.last_seq = 0
    return history_messages(client)


def test_rewrap_is_refused_to_everyone_but_a_facilitator_of_the_case(daphne):
    sc = make_case()
    elsewhere = make_case()
    harmed = client_for(daphne, sc.harmed)
    facilitator = client_for(daphne, sc.facilitator)
    harmed.send(sc.id, "question", "Is anyone there?")
    message_id = facilitator.queue(sc.id)[0]["message_id"]
    code = facilitator.reset_participant(sc.id, "harmed")["code"]
    device = weak_floor_client(daphne)
    device.enrol(code, NEW_PASSWORD)
    record = {
        "key_id": device.keypair.key_id,
        "nonce": crypto.b64(bytes(24)),
        "box": crypto.b64(bytes(48)),
    }
    for who in (
        client_for(daphne, elsewhere.facilitator),
        client_for(daphne, sc.responsible),
        device,
        client_for(daphne, sc.manager),
    ):
        with pytest.raises(RelayApiError) as refused:
            who.post(f"/api/messages/{message_id}/rewrap", record)
        assert refused.value.status in (403, 404)
        assert refused.value.status == 404  # the same answer as for a message that is not there
    # The other party's key never could open it: a facilitator cannot hand it to them.
    other = {**record, "key_id": client_for(daphne, sc.responsible).keypair.key_id}
    with pytest.raises(RelayApiError) as refused:
        facilitator.post(f"/api/messages/{message_id}/rewrap", other)
    assert refused.value.status == 404
    with pytest.raises(RelayApiError) as malformed:
        facilitator.post(f"/api/messages/{message_id}/rewrap", {**record, "box": "!!"})
    assert malformed.value.status == 400
    assert MessageKey.objects.filter(recipient_key_id=device.keypair.key_id).count() == 0


def test_only_a_facilitator_of_the_case_resets_a_participant(daphne):
    sc = make_case()
    elsewhere = make_case()
    for who in (
        client_for(daphne, elsewhere.facilitator),
        client_for(daphne, sc.manager),
        client_for(daphne, sc.responsible),
    ):
        with pytest.raises(RelayApiError) as refused:
            who.reset_participant(sc.id, "harmed")
        assert refused.value.status == 404
    sc.harmed.user.refresh_from_db()
    assert sc.harmed.user.has_usable_password()


def test_a_facilitator_restores_their_key_pair_with_the_recovery_key(daphne):
    sc = make_case()
    harmed = client_for(daphne, sc.harmed)
    facilitator = client_for(daphne, sc.facilitator)
    manager = client_for(daphne, sc.manager)
    recovery_key = facilitator.create_recovery_key()
    assert len(recovery_key) == 35 and recovery_key.count("-") == 5
    harmed.send(sc.id, "note_to_facilitator", "Please call me after five.")
    original_key = facilitator.keypair

    code = manager.post(f"/api/staff/users/{sc.facilitator.id}/reset")["code"]
    device = weak_floor_client(daphne)
    with pytest.raises(crypto.CryptoError):
        device.enrol(code, NEW_PASSWORD, recovery_key="AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    device.enrol(code, NEW_PASSWORD, recovery_key=recovery_key.lower().replace("-", " "))
    assert device.keypair == original_key
    device.complete_second_factor(otp_token(sc.facilitator))
    bodies = [device.open(m)["body"] for m in history_messages(device)]
    assert "Please call me after five." in bodies
    # Unchanged key: nothing to re-verify, nothing to re-encrypt.
    assert device.me["key_id"] == original_key.key_id


def test_a_co_facilitator_rekeys_a_facilitator_without_a_recovery_key(daphne):
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    harmed = client_for(daphne, sc.harmed)
    co = client_for(daphne, sc.co_facilitator)
    manager = client_for(daphne, sc.manager)
    harmed.send(sc.id, "note_to_facilitator", "I can only talk on Tuesdays.")
    code = manager.post(f"/api/staff/users/{sc.facilitator.id}/reset")["code"]
    device = weak_floor_client(daphne)
    device.enrol(code, NEW_PASSWORD)
    device.complete_second_factor(otp_token(sc.facilitator))
    message = history_messages(device)[0]
    with pytest.raises(crypto.EnvelopeOpenError):
        device.open(message)
    # The co-facilitator boxes the content key to the new key, saying which key boxed it.
    keys = co.case_keys(sc.id, refresh=True)
    new_key = keys.facilitators[sc.facilitator.id]
    record = crypto.rewrap_content_key(
        message["envelope"], co.keypair, keys.participants["harmed"].public_key, new_key
    )
    assert record["wrapped_by"] == co.keypair.key_id
    co.post(f"/api/messages/{message['message_id']}/rewrap", record)
    device.last_seq = 0
    assert device.open(history_messages(device)[0])["body"] == "I can only talk on Tuesdays."


def test_rewrapped_keys_still_open_with_the_old_signature_of_open_envelope():
    """open_envelope stays backward compatible: an ordinary key entry opens as before."""
    sender, reader = make_keypair(), make_keypair()
    envelope = seal_to(sender, reader, "hi")
    assert crypto.open_envelope(envelope, me=reader, sender_public_key=sender.public).payload == {
        "body": "hi"
    }
    helper, newcomer = make_keypair(), make_keypair()
    envelope2 = seal_to(sender, helper, "again")
    record = crypto.rewrap_content_key(
        envelope2, helper, sender.public, crypto.Recipient(newcomer.key_id, newcomer.public)
    )
    envelope2["keys"].append(record)
    with pytest.raises(crypto.EnvelopeOpenError):
        crypto.open_envelope(envelope2, me=newcomer, sender_public_key=sender.public)
    with pytest.raises(crypto.EnvelopeOpenError):  # a wrapper that is not the one named
        crypto.open_envelope(
            envelope2,
            me=newcomer,
            sender_public_key=sender.public,
            wrapper_public_key=sender.public,
        )
    opened = crypto.open_envelope(
        envelope2, me=newcomer, sender_public_key=sender.public, wrapper_public_key=helper.public
    )
    assert opened.payload == {"body": "again"}


def make_keypair() -> crypto.KeyPair:
    return crypto.KeyPair.generate()


def seal_to(sender: crypto.KeyPair, reader: crypto.KeyPair, body: str) -> dict:
    """A question from ``sender`` that only ``reader``'s key can open."""
    return crypto.seal(
        sender=sender,
        sender_id="s",
        case_id="c",
        kind="question",
        recipients=[crypto.Recipient(reader.key_id, reader.public)],
        payload={"body": body},
    )
