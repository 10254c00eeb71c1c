"""The Python client's moderation calls: one fetch of the case's keys per decision, and keys
from the server refused when their id is not the one their public key gives."""

from __future__ import annotations

import pytest

from relay.moderation.models import Message, MessageState
from relay_client import crypto
from relay_client.client import RelayClient
from relay_client.crypto import KeyPair
from tests.accounts.live import RequestLog
from tests.delivery.live import client_for
from tests.factories import make_case


@pytest.mark.live
def test_each_decision_fetches_the_case_keys_once(daphne):
    sc = make_case()
    harmed = client_for(daphne, sc.harmed)
    log = RequestLog()
    facilitator = log.attach(client_for(daphne, sc.facilitator))
    decisions = [
        (lambda m: facilitator.forward(m, edited_text="Edited."), "forward", MessageState.APPROVED),
        (lambda m: facilitator.return_to_sender(m, "Rephrase?"), "return", MessageState.RETURNED),
        (lambda m: facilitator.reject(m, "Not this."), "reject", MessageState.REJECTED),
    ]
    for i, (decide, path, state) in enumerate(decisions):
        harmed.send(sc.id, "question", f"Question {i}")
        (message,) = facilitator.queue(sc.id)
        before = len(log.requests)
        decide(message)
        paths = log.paths()[before:]
        assert paths.count(f"/api/cases/{sc.id}") == 1, paths
        assert paths[-1] == f"/api/messages/{message['message_id']}/{path}"
        assert Message.objects.get(pk=message["message_id"]).state == state


def test_a_case_key_whose_id_does_not_match_its_public_key_is_refused():
    client = RelayClient("http://127.0.0.1:9")
    named, swapped = KeyPair.generate(), KeyPair.generate()
    key = {"key_id": named.key_id, "public_key": crypto.b64(swapped.public)}
    summary = {"case_id": "c", "facilitators": [{"user_id": "f", "key": key}]}
    client.get = lambda path, **params: summary  # type: ignore[method-assign]
    with pytest.raises(crypto.CryptoError, match="does not match its key id"):
        client.case_keys("c")
    key["public_key"] = crypto.b64(named.public)
    assert client.case_keys("c").facilitators["f"].public_key == named.public


def test_only_a_facilitator_of_the_case_may_have_re_encrypted_a_message():
    """A recovered history opens only when a current facilitator boxed its content key;
    the same content key boxed by another participant's key is refused (the envelope names
    that participant only so they can recover the content key: the client must not rely on
    the server having refused it)."""
    from relay_client.casekeys import CaseKeys
    from relay_client.crypto import Recipient

    facilitator, harmed, responsible, new_key = (KeyPair.generate() for _ in range(4))
    case_id = "00000000-0000-4000-8000-00000000000c"
    harmed_id = "00000000-0000-4000-8000-000000000001"
    envelope = crypto.seal(
        sender=harmed,
        sender_id=harmed_id,
        case_id=case_id,
        kind="question",
        recipients=[Recipient(k.key_id, k.public) for k in (facilitator, harmed, responsible)],
        payload={"body": "history"},
    )
    reader = RelayClient("http://127.0.0.1:9")
    reader.keypair = new_key
    reader.me = {"user_id": harmed_id}
    reader._case_keys[case_id] = CaseKeys(
        case_id=case_id,
        facilitators={"f": Recipient(facilitator.key_id, facilitator.public)},
        participants={
            "harmed": Recipient(harmed.key_id, harmed.public),
            "responsible": Recipient(responsible.key_id, responsible.public),
        },
        participant_user_ids={"harmed": harmed_id, "responsible": "r"},
    )
    reader.case_keys = lambda cid, refresh=False: reader._case_keys[cid]  # type: ignore[method-assign]
    target = Recipient(new_key.key_id, new_key.public)

    def rewrapped_by(wrapper: KeyPair) -> dict:
        record = crypto.rewrap_content_key(envelope, wrapper, harmed.public, target)
        copy = {**envelope, "keys": [*envelope["keys"], record]}
        return {"envelope": copy}

    assert reader.open(rewrapped_by(facilitator))["body"] == "history"
    with pytest.raises(crypto.EnvelopeOpenError, match="not trusted here"):
        reader.open(rewrapped_by(responsible))
