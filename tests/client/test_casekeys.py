"""The Python client's trust rules (relay_client/casekeys.py), without a server: which keys a
reader trusts in a case, who may have re-encrypted a message, who wrote it, and whom an
envelope is sealed to."""

from __future__ import annotations

from typing import Any

import pytest

from relay_client import crypto
from relay_client.casekeys import (
    CaseKeys,
    UntrustedMessage,
    author_of,
    open_message,
    recipients,
    trusted_keys,
)
from relay_client.client import RelayClient
from relay_client.crypto import KeyPair, Recipient

CASE = "00000000-0000-4000-8000-00000000000c"
F_ID, CO_ID = "00000000-0000-4000-8000-0000000000f1", "00000000-0000-4000-8000-0000000000f2"
H_ID, R_ID = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1"


def wire(key: KeyPair) -> dict[str, Any]:
    return {"key_id": key.key_id, "public_key": crypto.b64(key.public)}


def recipient(key: KeyPair) -> Recipient:
    return Recipient(key.key_id, key.public)


class Case:
    """A case with two facilitators and both participants, each with a key."""

    def __init__(self) -> None:
        self.f, self.co, self.h, self.r = (KeyPair.generate() for _ in range(4))
        self.facilitators = [
            {"user_id": F_ID, "display_name": "Sam", "key": wire(self.f)},
            {"user_id": CO_ID, "display_name": "Kim", "key": wire(self.co)},
        ]

    def staff_summary(self, *, facilitators: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "case_id": CASE,
            "facilitators": self.facilitators if facilitators is None else facilitators,
            "participants": [
                {"side": "harmed", "user_id": H_ID, "display_name": "Jo", "key": wire(self.h)},
                {"side": "responsible", "user_id": R_ID, "display_name": "Al", "key": wire(self.r)},
            ],
        }

    def participant_summary(self, side: str = "harmed") -> dict[str, Any]:
        return {"case_id": CASE, "side": side, "facilitators": self.facilitators}

    def seal(self, sender: KeyPair, sender_id: str, to: list[KeyPair], body: str = "hi") -> dict:
        envelope = crypto.seal(
            sender=sender,
            sender_id=sender_id,
            case_id=CASE,
            kind="question",
            recipients=[recipient(k) for k in to],
            payload={"body": body},
        )
        return {
            "case_id": CASE,
            "message_id": envelope["header"]["message_id"],
            "kind": "question",
            "envelope": envelope,
        }


def rewrapped(message: dict, wrapper: KeyPair, sender: KeyPair, target: KeyPair) -> dict:
    """``message`` with its content key re-encrypted by ``wrapper`` to ``target``."""
    envelope = message["envelope"]
    record = crypto.rewrap_content_key(envelope, wrapper, sender.public, recipient(target))
    return {**message, "envelope": {**envelope, "keys": [*envelope["keys"], record]}}


@pytest.fixture
def case() -> Case:
    return Case()


def test_a_message_from_a_key_the_case_does_not_list_is_refused(case):
    stranger = KeyPair.generate()
    message = case.seal(stranger, H_ID, [case.f, stranger])
    trusted = trusted_keys(CaseKeys.from_summary(case.staff_summary()), case.f, F_ID)
    with pytest.raises(UntrustedMessage, match="not a trusted member") as refused:
        open_message(message, trusted, case.f)
    assert refused.value.unknown_key
    assert isinstance(refused.value, crypto.EnvelopeOpenError)


def test_a_message_whose_sender_id_is_not_the_owner_of_its_key_is_refused(case):
    """The harmed person's key, a header naming the person responsible: the box would open
    (it is the key that wrote it), but the header lies about who wrote it."""
    message = case.seal(case.h, R_ID, [case.f, case.co, case.h])
    trusted = trusted_keys(CaseKeys.from_summary(case.staff_summary()), case.f, F_ID)
    with pytest.raises(UntrustedMessage, match="someone other than the owner") as refused:
        open_message(message, trusted, case.f)
    assert not refused.value.unknown_key
    with pytest.raises(UntrustedMessage):
        author_of(message["envelope"]["header"], trusted)
    honest = case.seal(case.h, H_ID, [case.f, case.co, case.h])
    assert open_message(honest, trusted, case.f).payload == {"body": "hi"}


def test_the_client_refuses_a_lying_header_without_reading_the_keys_again(case):
    reader, reads = offline_client(case.f, F_ID, [case.staff_summary()])
    with pytest.raises(UntrustedMessage, match="someone other than the owner"):
        reader.open(case.seal(case.h, R_ID, [case.f, case.co, case.h]))
    assert reads == [f"/api/cases/{CASE}"]


def test_the_client_reads_the_keys_again_once_for_an_unknown_key(case):
    new_co = KeyPair.generate()
    later = {
        **case.participant_summary(),
        "facilitators": [
            case.facilitators[0],
            {"user_id": CO_ID, "display_name": "Kim", "key": wire(new_co)},
        ],
    }
    reader, reads = offline_client(case.h, H_ID, [case.participant_summary(), later])
    assert reader.open(case.seal(new_co, CO_ID, [case.f, new_co, case.h]))["body"] == "hi"
    assert reads == [f"/api/cases/{CASE}"] * 2
    stranger = KeyPair.generate()
    with pytest.raises(UntrustedMessage, match="not a trusted member"):
        reader.open(case.seal(stranger, CO_ID, [stranger, case.h]))
    assert reads == [f"/api/cases/{CASE}"] * 3  # once more, then refused


def test_a_re_encryption_by_a_participant_key_is_refused_by_a_current_facilitator_accepted(case):
    """After the harmed person's recovery, their history opens with their new key only when
    a current facilitator of the case re-encrypted it, never another participant (whom the
    envelope names as a recipient) nor a facilitator no longer on the case."""
    new_h = KeyPair.generate()
    original = case.seal(case.h, H_ID, [case.f, case.co, case.h, case.r])
    as_participant = trusted_keys(CaseKeys.from_summary(case.participant_summary()), new_h, H_ID)

    by_co = rewrapped(original, case.co, case.h, new_h)
    by_facilitator = open_message(by_co, as_participant, new_h)
    assert by_facilitator.payload == {"body": "hi"}
    assert by_facilitator.author is None  # the old key is retired: the facilitator vouches

    by_participant = rewrapped(original, case.r, case.h, new_h)
    with pytest.raises(UntrustedMessage, match="re-encrypted by someone not trusted") as unknown:
        open_message(by_participant, as_participant, new_h)
    assert unknown.value.unknown_key  # a participant never sees the other party's key
    # Even to a reader who lists the other participant's key, it is not a facilitator's.
    as_staff_listing = trusted_keys(CaseKeys.from_summary(case.staff_summary()), new_h, H_ID)
    with pytest.raises(UntrustedMessage, match="re-encrypted by someone not trusted") as known:
        open_message(by_participant, as_staff_listing, new_h)
    assert not known.value.unknown_key

    co_gone = {**case.participant_summary(), "facilitators": case.facilitators[:1]}
    with pytest.raises(UntrustedMessage, match="re-encrypted by someone not trusted"):
        open_message(by_co, trusted_keys(CaseKeys.from_summary(co_gone), new_h, H_ID), new_h)


def test_a_re_encrypted_message_whose_writer_is_still_listed_must_name_that_writer(case):
    new_h = KeyPair.generate()
    lying = case.seal(case.f, CO_ID, [case.f, case.co, case.h])
    trusted = trusted_keys(CaseKeys.from_summary(case.participant_summary()), new_h, H_ID)
    with pytest.raises(UntrustedMessage, match="someone other than the owner"):
        open_message(rewrapped(lying, case.co, case.f, new_h), trusted, new_h)
    honest = case.seal(case.f, F_ID, [case.f, case.co, case.h])
    opened = open_message(rewrapped(honest, case.co, case.f, new_h), trusted, new_h)
    assert opened.author is not None and opened.author.party == "facilitator"


def test_which_side_wrote_it_is_the_owner_of_its_key(case):
    staff = trusted_keys(CaseKeys.from_summary(case.staff_summary()), case.f, F_ID)
    for key, user_id, party in [
        (case.f, F_ID, "me"),
        (case.co, CO_ID, "facilitator"),
        (case.h, H_ID, "harmed"),
        (case.r, R_ID, "responsible"),
    ]:
        message = case.seal(key, user_id, [case.f, case.co, key])
        assert open_message(message, staff, case.f).author.party == party
    co = author_of(case.seal(case.co, CO_ID, [case.f])["envelope"]["header"], staff)
    assert (co.user_id, co.role, co.name) == (CO_ID, "facilitator", "Kim")

    participant = trusted_keys(CaseKeys.from_summary(case.participant_summary()), case.h, H_ID)
    mine = author_of(case.seal(case.h, H_ID, [case.f])["envelope"]["header"], participant)
    assert (mine.party, mine.role, mine.side) == ("me", "participant", "harmed")
    forward = case.seal(case.f, F_ID, [case.f, case.co, case.h])
    assert open_message(forward, participant, case.h).author.party == "facilitator"


def test_a_decision_on_a_message_whose_header_lies_is_refused_before_anything_is_sent(case):
    reader, reads = offline_client(case.f, F_ID, [case.staff_summary()])
    posted: list[str] = []
    reader.post = lambda path, body=None: posted.append(path) or {}  # type: ignore[method-assign]
    lying = case.seal(case.h, R_ID, [case.f, case.co, case.h])
    with pytest.raises(UntrustedMessage):
        reader.return_to_sender(lying, "Please rephrase.")
    assert posted == []
    honest = case.seal(case.h, H_ID, [case.f, case.co, case.h])
    reader.return_to_sender(honest, "Please rephrase.")
    assert posted == [f"/api/messages/{honest['message_id']}/return"]


def test_recipients_of_a_participant_send_and_of_a_facilitator_forward(case):
    keys = CaseKeys.from_summary(case.staff_summary())
    facilitators = [recipient(case.f), recipient(case.co)]
    assert recipients(CaseKeys.from_summary(case.participant_summary()), me=case.h) == [
        *facilitators,
        recipient(case.h),
    ]
    assert recipients(keys, to="responsible") == [*facilitators, recipient(case.r)]
    assert recipients(keys, to="harmed") == [*facilitators, recipient(case.h)]
    without_key = {
        **case.staff_summary(),
        "facilitators": [
            *case.facilitators,
            {"user_id": "new", "display_name": "New", "key": None},
        ],
    }
    assert recipients(CaseKeys.from_summary(without_key), to="harmed") == [
        *facilitators,
        recipient(case.h),
    ]


def test_recipients_refuse_an_unclear_or_keyless_target(case):
    keys = CaseKeys.from_summary(case.staff_summary())
    with pytest.raises(ValueError, match="either"):
        recipients(keys)
    with pytest.raises(ValueError, match="either"):
        recipients(keys, me=case.f, to="harmed")
    no_key = CaseKeys.from_summary(case.participant_summary())
    with pytest.raises(crypto.CryptoError, match="no key in this case"):
        recipients(no_key, to="responsible")


def offline_client(
    keypair: KeyPair, user_id: str, summaries: list[dict[str, Any]]
) -> tuple[RelayClient, list[str]]:
    """A client that reads the case's summary from ``summaries`` (the last one repeats)."""
    client = RelayClient("http://127.0.0.1:9")
    client.keypair = keypair
    client.me = {"user_id": user_id}
    reads: list[str] = []

    def get(path: str, **params: Any) -> dict[str, Any]:
        reads.append(path)
        return summaries[min(len(reads), len(summaries)) - 1]

    client.get = get  # type: ignore[method-assign]
    return client, reads
