"""Envelope structure (protocol version 1) and the recipient-set rule of invariant 1.

The server cannot open an envelope: it checks that the envelope is well formed, that the
header names the right case, sender, key and recipients, and that there is exactly one
wrapped content key per named recipient. ``docs/protocol.md`` is the specification.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from django.utils.translation import gettext
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from relay.errors import EnvelopeRejected

PROTOCOL_VERSION = 1
NONCE_BYTES = 24  # XChaCha20-Poly1305 IETF and crypto_box both use 24-byte nonces
CONTENT_KEY_BOX_BYTES = 32 + 16  # crypto_box of a 32-byte content key: key + MAC
AEAD_TAG_BYTES = 16
MIN_PADDED_PAYLOAD = 256  # smallest size bucket (docs/protocol.md §4)
MAX_RECIPIENTS = 16


class Kind(StrEnum):
    """What a message is. The same words in Python, JavaScript, the API and the docs."""

    # A participant writes these to the other party, through moderation.
    QUESTION = "question"
    ANSWER = "answer"
    STATEMENT = "statement"
    LETTER = "letter"
    APOLOGY = "apology"
    # A participant writes this to the facilitators only; it is never forwarded.
    NOTE_TO_FACILITATOR = "note_to_facilitator"
    # Facilitators write these.
    FACILITATOR_NOTE = "facilitator_note"
    RETURN_NOTE = "return_note"
    REJECTION_REASON = "rejection_reason"
    # A facilitator's note on how a case ended, sealed to the case's facilitators only; it
    # is stored with the outcome or closure, never sent as a message.
    OUTCOME_NOTE = "outcome_note"
    # Case work (docs/casework.md): a facilitator's assessment records, sealed to the case's
    # facilitators only and stored with the record, never sent as messages.
    SUITABILITY = "suitability"
    RISK_ASSESSMENT = "risk_assessment"
    CONTACT_ATTEMPT = "contact_attempt"
    CASE_NOTE = "case_note"
    APPROACH = "approach"
    UNSUITABLE_REASON = "unsuitable_reason"
    # To one participant and the facilitators: why the case cannot go on, in plain words,
    # with the services chosen for them.
    UNSUITABLE_NOTICE = "unsuitable_notice"
    # A supporter's draft for their participant, to the facilitators (never forwarded).
    SUPPORTER_DRAFT = "supporter_draft"
    # A facilitator's details of a meeting (place, phone number, link, notes), sealed to the
    # meeting's invitees and the case's facilitators; stored with the meeting.
    MEETING_DETAILS = "meeting_details"


FOR_OTHER_PARTY = frozenset(
    {Kind.QUESTION, Kind.ANSWER, Kind.STATEMENT, Kind.LETTER, Kind.APOLOGY}
)
PARTICIPANT_KINDS = FOR_OTHER_PARTY | {Kind.NOTE_TO_FACILITATOR}
CASE_RECORD_KINDS = frozenset(
    {
        Kind.SUITABILITY,
        Kind.RISK_ASSESSMENT,
        Kind.CONTACT_ATTEMPT,
        Kind.CASE_NOTE,
        Kind.APPROACH,
        Kind.UNSUITABLE_REASON,
    }
)
SUPPORTER_KINDS = frozenset({Kind.SUPPORTER_DRAFT, Kind.NOTE_TO_FACILITATOR})
DECISION_NOTE_KINDS = frozenset({Kind.RETURN_NOTE, Kind.REJECTION_REASON})

KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
B64 = Annotated[str, StringConstraints(min_length=4, max_length=400_000)]


def b64decode(value: str, *, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not valid base64") from exc


class Header(BaseModel):
    """The envelope header. Its canonical JSON is the AEAD associated data."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: Literal[1]
    message_id: uuid.UUID
    case_id: uuid.UUID
    sender_id: uuid.UUID
    sender_key_id: KeyId
    recipient_key_ids: list[KeyId] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    kind: Kind
    derived_from: uuid.UUID | None = None
    edited: bool = False

    @field_validator("v", mode="before")
    @classmethod
    def _version_is_an_integer(cls, value: Any) -> Any:
        # Literal[1] alone lets True and 1.0 through (they equal 1 in Python); JSON's
        # true and 1.0 are not the integer 1.
        if type(value) is not int:
            raise ValueError("must be the integer 1")
        return value

    @field_validator("message_id", "case_id", "sender_id", "derived_from", mode="before")
    @classmethod
    def _uuid_from_string(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be a UUID string")
        parsed = uuid.UUID(value)
        if str(parsed) != value:
            raise ValueError("must be a lower-case hyphenated UUID")
        return parsed

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_from_string(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return Kind(value)

    @field_validator("recipient_key_ids")
    @classmethod
    def _sorted_unique(cls, value: list[str]) -> list[str]:
        if value != sorted(set(value)):
            raise ValueError("must be sorted and without duplicates")
        return value

    def canonical(self) -> bytes:
        """The exact bytes both clients bind as associated data (docs/protocol.md §4)."""
        return canonical_json(self.wire())

    def wire(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "message_id": str(self.message_id),
            "case_id": str(self.case_id),
            "sender_id": str(self.sender_id),
            "sender_key_id": self.sender_key_id,
            "recipient_key_ids": list(self.recipient_key_ids),
            "kind": self.kind.value,
            "derived_from": str(self.derived_from) if self.derived_from else None,
            "edited": self.edited,
        }


class WrappedKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    key_id: KeyId
    nonce: B64
    box: B64

    @model_validator(mode="after")
    def _sizes(self) -> WrappedKey:
        if len(b64decode(self.nonce, what="wrapped key nonce")) != NONCE_BYTES:
            raise ValueError("wrapped key nonce must be 24 bytes")
        if len(b64decode(self.box, what="wrapped key")) != CONTENT_KEY_BOX_BYTES:
            raise ValueError("wrapped key must be 48 bytes")
        return self


class Envelope(BaseModel):
    """A whole envelope as it arrives on the wire."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    header: Header
    nonce: B64
    ciphertext: B64
    keys: list[WrappedKey] = Field(min_length=1, max_length=MAX_RECIPIENTS)

    @model_validator(mode="after")
    def _consistent(self) -> Envelope:
        if len(b64decode(self.nonce, what="nonce")) != NONCE_BYTES:
            raise ValueError("nonce must be 24 bytes")
        size = len(b64decode(self.ciphertext, what="ciphertext")) - AEAD_TAG_BYTES
        if size < MIN_PADDED_PAYLOAD or size & (size - 1):
            raise ValueError("payload must be padded to a power-of-two bucket of at least 256")
        if sorted(k.key_id for k in self.keys) != list(self.header.recipient_key_ids):
            raise ValueError("wrapped keys must match the header's recipient key ids exactly")
        return self

    @property
    def nonce_bytes(self) -> bytes:
        return base64.b64decode(self.nonce)

    @property
    def ciphertext_bytes(self) -> bytes:
        return base64.b64decode(self.ciphertext)


SEALED_KEY_BYTES = 32 + 32 + 16  # crypto_box_seal of a 32-byte key: ephemeral key + MAC


class SealedKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    key_id: KeyId
    box: B64

    @model_validator(mode="after")
    def _size(self) -> SealedKey:
        if len(b64decode(self.box, what="sealed key")) != SEALED_KEY_BYTES:
            raise ValueError("sealed key must be 80 bytes")
        return self


class SealedComment(BaseModel):
    """An anonymous sealed note (docs/protocol.md, "Sealed comments"): its content key is
    sealed to each recipient with ``crypto_box_seal``, so nothing in it names its writer.
    A participant's survey comment to the hub managers is one; a referral, sealed to the
    hub's intake key, is another (kind ``referral``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: Literal[1]
    kind: Literal["survey_comment", "referral"]
    nonce: B64
    ciphertext: B64
    keys: list[SealedKey] = Field(min_length=1, max_length=MAX_RECIPIENTS)

    @model_validator(mode="after")
    def _consistent(self) -> SealedComment:
        if len(b64decode(self.nonce, what="nonce")) != NONCE_BYTES:
            raise ValueError("nonce must be 24 bytes")
        size = len(b64decode(self.ciphertext, what="ciphertext")) - AEAD_TAG_BYTES
        if size < MIN_PADDED_PAYLOAD or size & (size - 1):
            raise ValueError("payload must be padded to a power-of-two bucket of at least 256")
        ids = [k.key_id for k in self.keys]
        if ids != sorted(set(ids)):
            raise ValueError("sealed keys must be sorted by key id, without duplicates")
        return self

    @property
    def recipient_key_ids(self) -> list[str]:
        return [k.key_id for k in self.keys]


def parse_sealed_comment(
    raw: Any, *, max_ciphertext: int, kind: str = "survey_comment"
) -> SealedComment:
    """Validate a sealed comment's structure and that it is of ``kind``; raise
    ``EnvelopeRejected`` with a plain reason."""
    if not isinstance(raw, dict):
        raise EnvelopeRejected(gettext("The comment must be a sealed JSON object."))
    if raw.get("kind") != kind:
        raise EnvelopeRejected(
            gettext("The sealed content must be of kind %(kind)s.") % {"kind": kind},
            code="bad_kind",
        )
    ciphertext = raw.get("ciphertext")
    if isinstance(ciphertext, str) and len(ciphertext) > (max_ciphertext * 4) // 3 + 8:
        raise EnvelopeRejected(gettext("The comment is too large."), code="too_large")
    try:
        return SealedComment.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        problem = first.get("msg", "invalid")
        if not where:
            raise EnvelopeRejected(
                gettext("The comment is malformed at top level: %(problem)s.")
                % {"problem": problem}
            ) from None
        raise EnvelopeRejected(
            gettext("The comment is malformed at %(where)s: %(problem)s.")
            % {"where": where, "problem": problem}
        ) from None


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, non-ASCII kept as is: what both clients produce."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_envelope(raw: Any, *, max_ciphertext: int) -> Envelope:
    """Validate an envelope's structure; raise ``EnvelopeRejected`` with a plain reason."""
    if not isinstance(raw, dict):
        raise EnvelopeRejected(gettext("The envelope must be a JSON object."))
    ciphertext = raw.get("ciphertext")
    if isinstance(ciphertext, str) and len(ciphertext) > (max_ciphertext * 4) // 3 + 8:
        raise EnvelopeRejected(gettext("The message is too large."), code="too_large")
    try:
        return Envelope.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        problem = first.get("msg", "invalid")
        if not where:
            raise EnvelopeRejected(
                gettext("The envelope is malformed at top level: %(problem)s.")
                % {"problem": problem}
            ) from None
        raise EnvelopeRejected(
            gettext("The envelope is malformed at %(where)s: %(problem)s.")
            % {"where": where, "problem": problem}
        ) from None


def check_recipients(
    envelope: Envelope, *, required: Iterable[str], allowed_extra: Iterable[str] = ()
) -> None:
    """Invariant 1: the recipients must be exactly ``required``, plus optional extras.

    ``required`` holds every key that must be named (the case's current facilitators and the
    sender's own key); ``allowed_extra`` the keys that may be named (consented supporters).
    Anything else — the other party, an unknown key, another case's facilitator — is refused
    with ``recipients_forbidden``, checked before ``recipients_missing``.
    """
    named = set(envelope.header.recipient_key_ids)
    required_set = set(required)
    # A key that may not receive it is named first: a forward addressed to the wrong
    # participant lacks the right one too, and "forbidden" is what went wrong.
    if named - required_set - set(allowed_extra):
        raise EnvelopeRejected(
            gettext("The envelope names a recipient who may not receive it."),
            code="recipients_forbidden",
        )
    if required_set - named:
        raise EnvelopeRejected(
            gettext("The envelope must be encrypted to every current facilitator of the case "
            "and to your own key; some are missing. Refresh the case keys and try again."),
            code="recipients_missing",
        )
