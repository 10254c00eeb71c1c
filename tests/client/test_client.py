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
