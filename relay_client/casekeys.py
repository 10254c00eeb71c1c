"""Which public keys a reader trusts in a case, by key id, and what follows from them: whom an
envelope is sealed to, whether a message may be opened, and who wrote it.

Only keys the server lists for the case's facilitators and participants (``GET
/api/cases/<id>``) and the reader's own key are trusted, never a key named inside an
envelope. The browser's ``frontend/src/casekeys.js`` holds the same rules, function by
function; ``RelayClient`` fetches the summary, reads it again once when a key is unknown, and
calls this module. Nothing here talks to the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relay_client import crypto
from relay_client.crypto import KeyPair, Recipient


class UntrustedMessage(crypto.EnvelopeOpenError):
    """A message refused before it is opened: a key the reader does not trust for the case
    wrote or re-encrypted it, or its header names someone other than the owner of the key
    that wrote it. ``unknown_key`` is true when a key it needs is not among the case's keys
    as read: they may have changed since, so read them again and try once more."""

    def __init__(self, message: str, *, unknown_key: bool) -> None:
        super().__init__(message)
        self.unknown_key = unknown_key


def recipient_from_wire(key: dict[str, Any]) -> Recipient:
    """A key the server lists (``keyFromWire``), refused unless its key id is the one its
    public key gives: nobody encrypts to, or trusts, a key that was not checked."""
    recipient = Recipient(key["key_id"], crypto.unb64(key["public_key"]))
    if crypto.key_id_for(recipient.public_key) != recipient.key_id:
        raise crypto.CryptoError("The server sent a key that does not match its key id.")
    return recipient


@dataclass
class CaseKeys:
    """The keys the server lists for one case: its current facilitators' and (to staff) its
    participants'."""

    case_id: str
    facilitators: dict[str, Recipient]  # user id -> key
    participants: dict[str, Recipient] = field(default_factory=dict)  # side -> key (staff only)
    participant_user_ids: dict[str, str] = field(default_factory=dict)  # side -> user id
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> CaseKeys:
        """The keys of a case summary. Anyone without a key yet is left out; a listed key
        that does not match its key id raises ``CryptoError``."""
        keys = cls(
            case_id=str(summary["case_id"]),
            facilitators={
                f["user_id"]: recipient_from_wire(f["key"])
                for f in summary.get("facilitators", [])
                if f.get("key")
            },
            summary=summary,
        )
        for p in summary.get("participants", []):
            keys.participant_user_ids[p["side"]] = p["user_id"]
            if p.get("key"):
                keys.participants[p["side"]] = recipient_from_wire(p["key"])
        return keys

    def name_of(self, user_id: str) -> str:
        """The display name the summary gives this member ("" when it gives none)."""
        people = [*self.summary.get("facilitators", []), *self.summary.get("participants", [])]
        names = (str(p.get("display_name") or "") for p in people if p.get("user_id") == user_id)
        return next(names, "")


@dataclass(frozen=True)
class Author:
    """The owner of a key the reader trusts in a case."""

    user_id: str
    role: str  # "facilitator" or "participant"
    side: str | None = None  # a participant's side: "harmed" or "responsible"
    is_me: bool = False
    name: str = ""

    @property
    def party(self) -> str:
        """Which side wrote this, as the reader sees it: ``"me"``, ``"facilitator"``, or the
        writing participant's side."""
        if self.is_me:
            return "me"
        return self.side if self.role == "participant" and self.side else self.role


@dataclass(frozen=True)
class TrustedKey:
    public_key: bytes
    author: Author


def trusted_keys(keys: CaseKeys, me: KeyPair, my_user_id: str) -> dict[str, TrustedKey]:
    """Key id -> the public key and its owner, for every key this reader trusts in the case
    (``trustedKeys``): the listed facilitators' and participants' keys and the reader's own."""
    trusted = {
        r.key_id: TrustedKey(r.public_key, Author(uid, "facilitator", name=keys.name_of(uid)))
        for uid, r in keys.facilitators.items()
    }
    for side, r in keys.participants.items():
        uid = keys.participant_user_ids.get(side, "")
        trusted[r.key_id] = TrustedKey(
            r.public_key, Author(uid, "participant", side=side, name=keys.name_of(uid))
        )
    listed = {f.get("user_id") for f in keys.summary.get("facilitators", [])}
    if my_user_id in keys.facilitators or my_user_id in listed:
        mine = Author(my_user_id, "facilitator", is_me=True)
    else:
        my_side = keys.summary.get("side") or next(
            (s for s, uid in keys.participant_user_ids.items() if uid == my_user_id), None
        )
        mine = Author(my_user_id, "participant", side=my_side, is_me=True)
    trusted[me.key_id] = TrustedKey(me.public, mine)
    return trusted


def recipients(
    keys: CaseKeys, *, me: KeyPair | None = None, to: str | None = None
) -> list[Recipient]:
    """Whom an envelope is sealed to (``facilitatorRecipients`` + ``recipientsOf``): every
    current facilitator key of the case, and either the writer's own key ``me`` (a
    participant's message) or the key of the participant on side ``to`` (a facilitator's
    forward, return note, rejection reason or note)."""
    if (me is None) == (to is None):
        raise ValueError("Seal either to your own key (me) or to one participant (to).")
    sealed_to = list(keys.facilitators.values())
    if me is not None:
        return [*sealed_to, Recipient(me.key_id, me.public)]
    target = keys.participants.get(str(to))
    if target is None:
        raise crypto.CryptoError(f"The participant on side {to!r} has no key in this case yet.")
    return [*sealed_to, target]


def held_sides(keys: CaseKeys) -> set[str]:
    """The sides whose participation the facilitators hold for a person with no device
    (from a facilitator's case summary): sealed to the facilitators only."""
    return {
        str(p["side"]) for p in keys.summary.get("participants", []) if p.get("held")
    }


def author_of(header: dict[str, Any], trusted: dict[str, TrustedKey]) -> Author:
    """Who wrote a message: the owner of the key that wrote it (``sender_key_id``, looked up
    among the case's trusted keys; the box opens only with that key). The header's
    ``sender_id`` must name that same owner, or the message is refused."""
    key = trusted.get(str(header.get("sender_key_id")))
    if key is None:
        raise UntrustedMessage("The sender is not a trusted member of this case.", unknown_key=True)
    if header.get("sender_id") != key.author.user_id:
        raise UntrustedMessage(
            "The message names someone other than the owner of the key that wrote it.",
            unknown_key=False,
        )
    return key.author


def rewrapper_key(trusted: dict[str, TrustedKey], key_id: str) -> bytes:
    """The public key a content key re-encrypted after an account recovery may be boxed
    from: only a current facilitator of the case vouches for a recovered history."""
    key = trusted.get(key_id)
    if key is None or key.author.role != "facilitator":
        raise UntrustedMessage(
            "It was re-encrypted by someone not trusted here.", unknown_key=key is None
        )
    return key.public_key


@dataclass(frozen=True)
class OpenedMessage:
    header: dict[str, Any]
    payload: dict[str, Any]
    author: Author | None  # None: re-encrypted from a key no longer listed (a facilitator vouched)


def open_message(
    message: dict[str, Any], trusted: dict[str, TrustedKey], me: KeyPair
) -> OpenedMessage:
    """Open a message wire form (``openMessage``) with keys from ``trusted_keys``. Raises
    ``UntrustedMessage`` before opening when its writer's key (or, for a re-encrypted one,
    its re-encrypting key) is not trusted, and ``EnvelopeOpenError`` when it does not open.

    A message re-encrypted to this reader after an account recovery opens only when a current
    facilitator key of the case re-encrypted it: the facilitator vouches for it in place of
    the sender, whose key may be retired. Whenever the writer's key is known, its owner must
    be the header's ``sender_id``."""
    envelope = message["envelope"]
    header = envelope["header"]
    wrapper_id = crypto.rewrapped_by(envelope, me)
    wrapper = None if wrapper_id is None else rewrapper_key(trusted, wrapper_id)
    sender = trusted.get(str(header.get("sender_key_id")))
    author = author_of(header, trusted) if sender is not None or wrapper is None else None
    opened = crypto.open_envelope(
        envelope,
        me=me,
        sender_public_key=sender.public_key if sender else None,
        wrapper_public_key=wrapper,
    )
    return OpenedMessage(header=opened.header, payload=opened.payload, author=author)
