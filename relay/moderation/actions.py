"""Every change to messages: submit, forward, return, reject, retract, facilitator notes,
marking a note to the facilitators read, and voiding a withdrawing participant's pending
messages. Pause, resume and withdraw are the
case lifecycle's (``relay.cases.actions``).

Each action is one transaction that locks the case row first (so pause and forward are
serialized, invariant 3), checks the transition, writes one audit event, appends all its
events in one ``append_events`` call, and wakes their sockets after commit.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import require_sender
from relay.accounts.models import PublicKey, User
from relay.accounts.selectors import current_key
from relay.accounts.verification import forward_block_reason
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_participant,
    require_current_facilitator,
)
from relay.cases.actions import lock_case
from relay.cases.audience import case_audience
from relay.cases.consent import require_consent
from relay.cases.held import held_participation, is_held
from relay.cases.members import CaseMembers, case_members
from relay.cases.models import Case, CommunicationMode, Participation, ParticipationState, Side
from relay.cases.selectors import is_communicating
from relay.cases.states import (
    may_be_written_to,
    may_write_to_facilitators,
    may_write_to_other_party,
)
from relay.cases.supporters import access_as_supporter
from relay.delivery.events import MessageEvent, MessageStateEvent
from relay.delivery.streams import append_events
from relay.envelopes import FOR_OTHER_PARTY, PARTICIPANT_KINDS, SUPPORTER_KINDS, Envelope, Kind
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.moderation.access import access_message_as_facilitator, access_own_message
from relay.moderation.models import Audience, Message, MessageKey, MessageState, NoteReading
from relay.moderation.recipients import (
    facilitator_key_ids,
    held_recipient_set,
    recipient_set,
    supporter_key_ids,
)
from relay.moderation.selectors import held_target, revisable_messages
from relay.moderation.states import check_message_transition


@dataclass(frozen=True)
class Submitted:
    message: Message
    created: bool  # False when this was a retry of a message already stored


def _sender_key(
    actor: User, envelope: Envelope, *, members: CaseMembers | None = None
) -> PublicKey:
    """The actor's current key, which must be the envelope's sender key; from ``members``
    when the action has read the case's members (the actor among them) under the lock."""
    key = members.key_of(actor.pk) if members is not None else current_key(actor)
    return require_sender(envelope, actor, key)


def _existing(envelope: Envelope, actor: User) -> Message | None:
    """The stored message with this id, if this is a retry; refuse a reused id."""
    existing = Message.objects.filter(pk=envelope.header.message_id).first()
    if existing is None:
        return None
    if (
        existing.sender_id != actor.pk
        or existing.header != envelope.header.wire()
        or bytes(existing.ciphertext) != envelope.ciphertext_bytes
    ):
        raise EnvelopeRejected(
            gettext("This message id has already been used for a different message."),
            code="duplicate_id",
        )
    return existing


def _store(
    envelope: Envelope,
    *,
    case: Case,
    sender: User,
    sender_key: PublicKey,
    audience: str,
    state: str,
    derived_from: Message | None = None,
    entered_by: User | None = None,
) -> Message:
    """Store a message and its wrapped keys. Call it only after the recipient rule has
    accepted the envelope: every key it names is then a current key of someone the rule
    allows, so the wrapped keys point at them by id without reading them again."""
    header = envelope.header
    message = Message.objects.create(
        id=header.message_id,
        case=case,
        sender=sender,
        sender_key=sender_key,
        entered_by=entered_by,
        kind=header.kind.value,
        audience=audience,
        state=state,
        derived_from=derived_from,
        edited=header.edited,
        header=header.wire(),
        nonce=envelope.nonce_bytes,
        ciphertext=envelope.ciphertext_bytes,
    )
    MessageKey.objects.bulk_create(
        MessageKey(
            message=message,
            recipient_key_id=w.key_id,
            nonce=base64.b64decode(w.nonce),
            box=base64.b64decode(w.box),
        )
        for w in envelope.keys
    )
    return message


def _check_case_and_header(envelope: Envelope, case: Case) -> None:
    if envelope.header.case_id != case.pk:
        raise EnvelopeRejected(gettext("The envelope belongs to another case."), code="wrong_case")


def _participant_message_rules(
    envelope: Envelope,
    case: Case,
    participation: Participation,
    *,
    members: CaseMembers,
    withdrawn: str,
    no_other_party: Callable[[str | None], str],
    not_revisable: str,
) -> tuple[bool, Message | None]:
    """The rules every participant's message obeys, whoever typed it (the participant, or a
    facilitator for a held person): a participant's kind, never marked edited, not after
    withdrawing, only while the case is open; for the other party, only while both may
    write and with consent to ``messages``; a new version only of a returned message of
    theirs, once. The words of each refusal are the caller's. Returns whether it is for the
    other party, and the message it is a new version of."""
    header = envelope.header
    if header.kind not in PARTICIPANT_KINDS:
        raise EnvelopeRejected(
            gettext("Participants cannot send that kind of message."), code="bad_kind"
        )
    if header.edited:
        raise EnvelopeRejected(gettext("Only a facilitator's forward can be marked edited."))
    if participation.state == ParticipationState.WITHDRAWN:
        raise IllegalTransition(withdrawn)
    if not may_write_to_facilitators(case.state, participation.state):
        raise IllegalTransition(gettext("This case is no longer open for messages."))
    for_other_party = header.kind in FOR_OTHER_PARTY
    if for_other_party:
        other = members.other_than(participation)
        other_state = other.state if other is not None else None
        if not may_write_to_other_party(case.state, participation.state, other_state):
            raise IllegalTransition(no_other_party(other_state))
        require_consent(participation, CommunicationMode.MESSAGES)
    revision_of = None
    if header.derived_from is not None:
        revision_of = (
            revisable_messages(case, participation.user).filter(pk=header.derived_from).first()
        )
        if revision_of is None or not for_other_party:
            raise EnvelopeRejected(not_revisable, code="bad_kind")
    return for_other_party, revision_of


@transaction.atomic
def submit_message(*, actor: User, envelope: Envelope) -> Submitted:
    """A participant sends a message: for the other party (held for moderation) or for the
    facilitators only (delivered at once).

    Who: a participant of the case whose participation is not withdrawn.
    Checks: sender and key are the actor's; recipients are exactly the case's current
    facilitators plus the actor's own key (invariant 1); a retry with the same id and content
    returns the stored message without a second audit event.
    Audits: MESSAGE_SUBMITTED. Emits: ``message`` to the sender and every facilitator.
    """
    header = envelope.header
    participation = access_case_as_participant(actor, header.case_id)
    case = lock_case(participation.case_id)
    members = case_members(case)
    participation = _member_participation(members, actor.pk)  # again, under the lock
    existing = _existing(envelope, actor)
    if existing is not None:
        return Submitted(existing, created=False)
    sender_key = _sender_key(actor, envelope, members=members)
    for_other_party, revision_of = _participant_message_rules(
        envelope, case, participation, members=members,
        withdrawn=gettext("You have withdrawn from this case, so you cannot send messages."),
        no_other_party=lambda other_state: (
            gettext(
                "The other person has withdrawn, so nothing more can be passed on to them. "
                "You can still write to your facilitator."
            )
            if other_state == ParticipationState.WITHDRAWN
            else gettext(
                "Messages for the other person can be sent once your facilitator has "
                "started the conversation. You can write to your facilitator now."
            )
        ),
        not_revisable=gettext(
            "A message can only be a new version of one of your returned messages, "
            "once: this one was not returned to you, or has a new version already."
        ),
    )
    _check_case_and_header(envelope, case)
    recipient_set(
        case, sender_key=sender_key, supporters=supporter_key_ids(participation), members=members
    ).check(envelope)
    message = _store(
        envelope,
        case=case,
        sender=actor,
        sender_key=sender_key,
        audience=Audience.OTHER_PARTY if for_other_party else Audience.FACILITATORS,
        state=MessageState.SUBMITTED if for_other_party else MessageState.DELIVERED,
        derived_from=revision_of,
    )
    record(
        AuditEventType.MESSAGE_SUBMITTED,
        actor=actor,
        case=case,
        message=str(message.pk),
        kind=message.kind,
        state=message.state,
    )
    append_events(
        [(MessageEvent(message, participation.side), members.audience(actor.pk))], case=case
    )
    return Submitted(message, created=True)


def _lock_pending(case: Case, message_id: uuid.UUID) -> Message:
    message = (
        Message.objects.select_for_update()
        .filter(pk=message_id, case=case, audience=Audience.OTHER_PARTY)
        .first()
    )
    if message is None:
        raise AccessDenied()
    return message


def _participation_of(case: Case, user_id: uuid.UUID) -> Participation:
    return Participation.objects.get(case=case, user_id=user_id)


def _member_participation(members: CaseMembers, user_id: uuid.UUID) -> Participation:
    """The user's participation as read under the case lock; refused if there is none."""
    participation = members.participation_of(user_id)
    if participation is None:
        raise AccessDenied()
    return participation


def _require_facilitator_member(members: CaseMembers, actor: User) -> None:
    """The actor is still a current facilitator under the case lock (an unassignment that
    committed between the access check and the lock refuses the action)."""
    if not members.is_facilitator(actor.pk):
        raise AccessDenied()


def _facilitator_envelope_checks(
    *,
    actor: User,
    case: Case,
    envelope: Envelope,
    kind: Kind | None,
    derived_from: uuid.UUID | None,
    members: CaseMembers | None = None,
) -> PublicKey:
    _check_case_and_header(envelope, case)
    if _existing(envelope, actor) is not None:
        raise EnvelopeRejected(
            gettext("This message id has already been used."), code="duplicate_id"
        )
    key = _sender_key(actor, envelope, members=members)
    if kind is not None and envelope.header.kind != kind:
        raise EnvelopeRejected(
            gettext("The envelope must be of kind %(value)s.") % {"value": kind.value},
            code="bad_kind",
        )
    if envelope.header.derived_from != derived_from:
        raise EnvelopeRejected(
            gettext("The envelope must name the message it concerns."), code="bad_kind"
        )
    return key


@transaction.atomic
def forward_message(*, actor: User, message_id: uuid.UUID, envelope: Envelope) -> Message:
    """A facilitator approves a participant's message by forwarding a new envelope, authored
    with their own key, to the other party (as is, or edited).

    Who: a current facilitator of the case. Refused unless the case is communicating: both
    participations active, nobody paused, no safety pause (invariant 3, under the case lock).
    Recipients: exactly the other participant's key and the facilitators' keys; the other
    participant's consented supporters and the original sender's current key may be named
    too (``recipient_set``), so the sender can read what was passed on of their words.
    Audits: MESSAGE_FORWARDED. Emits: ``message`` to the other participant and facilitators
    (and to the original sender, marked ``version_of`` the original, when their key is
    named), ``message_state`` (approved, with
    the forward's id and whether it was edited) to the original sender.
    """
    case_id = require_current_facilitator(actor, envelope.header.case_id)
    case = lock_case(case_id)
    original = _lock_pending(case, message_id)
    check_message_transition(original.state, MessageState.APPROVED)
    # Everything below about who is in the case is read once, here, under the case lock.
    members = case_members(case)
    _require_facilitator_member(members, actor)
    if not is_communicating(case, participations=list(members.participations)):
        raise IllegalTransition(
            gettext(
                "Communication in this case is paused or has ended, so nothing can be forwarded."
            ),
            code="paused",
        )
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=Kind(original.kind),
        derived_from=original.pk, members=members,
    )
    sender_participation = _member_participation(members, original.sender_id)
    target = members.on_side(Side(sender_participation.side).other)
    if target is None:
        raise IllegalTransition(gettext("The other person has not been added to this case."))
    writer_key = members.key_of(original.sender_id)
    if is_held(target):
        # The other person has no device: the forward is sealed to the facilitators only,
        # who read it to them (invariant 1, the held case).
        held_recipient_set(
            case, sender_key=key, original_sender=writer_key, members=members
        ).check(envelope)
    else:
        target_key = members.key_of(target.user_id)
        blocked = forward_block_reason(case=case, participant=target.user, current=target_key)
        if blocked:
            raise IllegalTransition(blocked, code="key_unverified")
        if target_key is None:
            raise IllegalTransition(gettext("The other person has no key yet."))
        recipient_set(
            case, sender_key=key, to=target_key, supporters=supporter_key_ids(target),
            original_sender=writer_key, members=members,
        ).check(envelope)
    writer_reads_it = (
        writer_key is not None and writer_key.key_id in envelope.header.recipient_key_ids
    )
    forwarded = _store(
        envelope,
        case=case,
        sender=actor,
        sender_key=key,
        audience=Audience.PARTICIPANT,
        state=MessageState.DELIVERED,
        derived_from=original,
    )
    now = timezone.now()
    original.state = MessageState.APPROVED
    original.decided_at = now
    original.decided_by = actor
    original.save(update_fields=["state", "decided_at", "decided_by"])
    record(
        AuditEventType.MESSAGE_FORWARDED,
        actor=actor,
        case=case,
        message=str(original.pk),
        forwarded=str(forwarded.pk),
        edited=forwarded.edited,
    )
    writer_copy = MessageEvent(forwarded, "facilitator", version_of=original)
    append_events(
        [
            (MessageEvent(forwarded, "facilitator"), members.audience(target.user_id)),
            *([(writer_copy, [original.sender_id])] if writer_reads_it else []),
            (
                MessageStateEvent(original, original.state, forward=forwarded),
                members.audience(original.sender_id),
            ),
        ],
        case=case,
    )
    return forwarded


def _decide_with_note(
    *, actor: User, message_id: uuid.UUID, envelope: Envelope, new_state: str, kind: Kind,
    audit_type: AuditEventType,
) -> Message:
    case_id = require_current_facilitator(actor, envelope.header.case_id)
    case = lock_case(case_id)
    original = _lock_pending(case, message_id)
    check_message_transition(original.state, new_state)
    members = case_members(case)
    _require_facilitator_member(members, actor)
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=kind, derived_from=original.pk,
        members=members,
    )
    sender_participation = _member_participation(members, original.sender_id)
    if is_held(sender_participation):
        held_recipient_set(case, sender_key=key, members=members).check(envelope)
    else:
        recipient_set(
            case, sender_key=key, to=members.key_of(original.sender_id),
            supporters=supporter_key_ids(sender_participation), members=members,
        ).check(envelope)
    note = _store(
        envelope,
        case=case,
        sender=actor,
        sender_key=key,
        audience=Audience.PARTICIPANT,
        state=MessageState.DELIVERED,
        derived_from=original,
    )
    original.state = new_state
    original.decided_at = timezone.now()
    original.decided_by = actor
    original.save(update_fields=["state", "decided_at", "decided_by"])
    record(audit_type, actor=actor, case=case, message=str(original.pk), note=str(note.pk))
    told = members.audience(original.sender_id)
    append_events(
        [
            (MessageEvent(note, "facilitator"), told),
            (MessageStateEvent(original, new_state, note=note), told),
        ],
        case=case,
    )
    return note


@transaction.atomic
def return_message(*, actor: User, message_id: uuid.UUID, note: Envelope) -> Message:
    """A facilitator returns a message to its sender with a note asking them to rephrase.

    Who: a current facilitator. The note is an envelope of kind ``return_note`` to the sender
    and the facilitators. Audits: MESSAGE_RETURNED. Emits: the note and ``message_state``
    (returned) to the sender and facilitators.
    """
    return _decide_with_note(
        actor=actor, message_id=message_id, envelope=note, new_state=MessageState.RETURNED,
        kind=Kind.RETURN_NOTE, audit_type=AuditEventType.MESSAGE_RETURNED,
    )


@transaction.atomic
def reject_message(*, actor: User, message_id: uuid.UUID, reason: Envelope) -> Message:
    """A facilitator decides a message will not be forwarded, with a reason for the sender.

    Who: a current facilitator. Audits: MESSAGE_REJECTED. Emits: the reason and
    ``message_state`` (rejected) to the sender and facilitators.
    """
    return _decide_with_note(
        actor=actor, message_id=message_id, envelope=reason, new_state=MessageState.REJECTED,
        kind=Kind.REJECTION_REASON, audit_type=AuditEventType.MESSAGE_REJECTED,
    )


@transaction.atomic
def retract_message(*, actor: User, message_id: uuid.UUID) -> Message:
    """The sender takes back a message before a facilitator has decided on it.

    Who: the sender. Audits: MESSAGE_RETRACTED. Emits: ``message_state`` to the sender and
    facilitators.
    """
    message = access_own_message(actor, message_id)
    case = lock_case(message.case_id)
    message = _lock_pending(case, message_id)
    check_message_transition(message.state, MessageState.RETRACTED)
    message.state = MessageState.RETRACTED
    message.decided_at = timezone.now()
    message.save(update_fields=["state", "decided_at"])
    record(AuditEventType.MESSAGE_RETRACTED, actor=actor, case=case, message=str(message.pk))
    append_events(
        [(MessageStateEvent(message, message.state), case_audience(case, actor.pk))], case=case
    )
    return message


@transaction.atomic
def send_facilitator_note(*, actor: User, envelope: Envelope) -> Message:
    """A facilitator writes to one participant (never to both at once).

    Who: a current facilitator. Recipients: exactly one participant's key plus the
    facilitators' keys. Refused to a withdrawn participant. Audits: FACILITATOR_NOTE_SENT.
    Emits: ``message`` to that participant and the facilitators.
    """
    case_id = envelope.header.case_id
    access_case_as_facilitator(actor, case_id)
    case = lock_case(case_id)
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=Kind.FACILITATOR_NOTE, derived_from=None
    )
    participations = list(Participation.objects.filter(case=case))
    supporting = {p.pk: supporter_key_ids(p) for p in participations}
    named = (
        set(envelope.header.recipient_key_ids)
        - facilitator_key_ids(case)
        - set().union(*supporting.values())
    )
    participant_keys = {
        k.key_id: k
        for k in PublicKey.objects.filter(
            key_id__in=named, retired_at__isnull=True, user__participations__case=case
        ).select_related("user")
    }
    if len(named) != 1 or len(participant_keys) != 1:
        raise EnvelopeRejected(
            gettext(
                "A facilitator note goes to exactly one participant"
                " of the case and the facilitators."
            ),
            code="recipients_forbidden",
        )
    participant_key = next(iter(participant_keys.values()))
    participant = participant_key.user
    to = _participation_of(case, participant.pk)
    recipient_set(
        case, sender_key=key, to=participant_key, supporters=supporting[to.pk]
    ).check(envelope)
    if not may_be_written_to(to.state):
        raise IllegalTransition(
            gettext("This person has withdrawn; they can no longer be written to.")
        )
    note = _store(
        envelope, case=case, sender=actor, sender_key=key, audience=Audience.PARTICIPANT,
        state=MessageState.DELIVERED,
    )
    record(AuditEventType.FACILITATOR_NOTE_SENT, actor=actor, case=case, message=str(note.pk))
    append_events(
        [(MessageEvent(note, "facilitator"), case_audience(case, participant.pk))], case=case
    )
    return note


@transaction.atomic
def submit_supporter_message(*, actor: User, envelope: Envelope) -> Message:
    """A supporter writes to the facilitators: a draft for their participant
    (``supporter_draft``) or a note of their own (``note_to_facilitator``). Nothing a
    supporter writes reaches the other party: a draft goes to the facilitators (and, if the
    supporter chooses, their participant), who may pass its words on only as a participant's
    own message or a facilitator's new envelope.

    Who: a supporter whose participant still consents to them, in an open case.
    Recipients: exactly the case's current facilitators and the supporter's own key, and
    optionally their participant's key; never the other party or another supporter.
    Audits: MESSAGE_SUBMITTED (marked ``supporter``). Emits: ``message`` to the facilitators
    and the supporter (and their participant, if named).
    """
    header = envelope.header
    supporter = access_as_supporter(actor, header.case_id)
    case = lock_case(supporter.participation.case_id)
    supporter = access_as_supporter(actor, case.pk)  # again, under the lock
    participation = supporter.participation
    if _existing(envelope, actor) is not None:
        raise EnvelopeRejected(
            gettext("This message id has already been used."), code="duplicate_id"
        )
    sender_key = _sender_key(actor, envelope)
    if header.kind not in SUPPORTER_KINDS or header.derived_from is not None or header.edited:
        raise EnvelopeRejected(
            gettext("A supporter writes drafts and notes for the facilitators only."),
            code="bad_kind",
        )
    if not may_write_to_facilitators(case.state, participation.state):
        raise IllegalTransition(gettext("This case is no longer open for messages."))
    _check_case_and_header(envelope, case)
    participant_key = current_key(participation.user)
    recipient_set(
        case, sender_key=sender_key,
        supporters=[participant_key.key_id] if participant_key is not None else [],
    ).check(envelope)
    message = _store(
        envelope, case=case, sender=actor, sender_key=sender_key,
        audience=Audience.FACILITATORS, state=MessageState.DELIVERED,
    )
    record(
        AuditEventType.MESSAGE_SUBMITTED, actor=actor, case=case, message=str(message.pk),
        kind=message.kind, state=message.state, supporter=True, side=participation.side,
    )
    told = case_audience(case, actor.pk)
    if participant_key is not None and participant_key.key_id in header.recipient_key_ids:
        told.append(participation.user_id)
    append_events([(MessageEvent(message, "supporter"), told)], case=case)
    return message


def void_pending_messages(case: Case, sender: User) -> list[Message]:
    """Void every message of ``sender`` in ``case`` still waiting for a decision: they will
    never be delivered. Run inside ``relay.cases.actions.withdraw`` (registered as its
    ``on_withdrawal`` hook), after the case and participation rows are locked; locks the
    message rows and returns them, voided. Audits and emits nothing itself: the withdrawal
    records the number and tells the sender and facilitators of each."""
    pending = list(
        Message.objects.select_for_update()
        .filter(case=case, sender=sender, state=MessageState.SUBMITTED)
        .order_by("pk")
    )
    now = timezone.now()
    for message in pending:
        check_message_transition(message.state, MessageState.VOIDED)
        message.state = MessageState.VOIDED
        message.decided_at = now
    Message.objects.bulk_update(pending, ["state", "decided_at"])
    return pending


@transaction.atomic
def enter_for_held(*, actor: User, side: str, envelope: Envelope) -> Submitted:
    """A facilitator enters a held participant's letter, answer or note (from paper or a
    call) on their behalf: sealed with the facilitator's own key to exactly the case's
    current facilitators (the held person has no key), stored as that participant's message
    and marked ``entered_by`` the facilitator. Every rule of ``submit_message`` holds: the
    participant must not have withdrawn, a message for the other party needs the case active,
    the other person still taking part and the held person's consent to ``messages``; it
    waits in the queue for a facilitator's forward (any facilitator of the case, the one who
    entered it included), and a note to the facilitators is delivered at once. A new version
    of a returned message names it in ``derived_from``.

    Who: a current facilitator of the case. Audits: MESSAGE_SUBMITTED (with ``entered_by``
    and the side). Emits: ``message`` to the facilitators.
    """
    header = envelope.header
    access_case_as_facilitator(actor, header.case_id)
    case = lock_case(header.case_id)
    participation = held_participation(case, side)
    members = case_members(case)
    held = participation.user
    existing = Message.objects.filter(pk=header.message_id).first()
    if existing is not None:
        if (
            existing.sender_id == held.pk
            and existing.entered_by_id == actor.pk
            and existing.header == header.wire()
            and bytes(existing.ciphertext) == envelope.ciphertext_bytes
        ):
            return Submitted(existing, created=False)
        raise EnvelopeRejected(
            gettext("This message id has already been used for a different message."),
            code="duplicate_id",
        )
    key = _sender_key(actor, envelope)
    for_other_party, revision_of = _participant_message_rules(
        envelope, case, participation, members=members,
        withdrawn=gettext("This person has withdrawn, so nothing more can be sent for them."),
        no_other_party=lambda other_state: gettext(
            "Nothing can be passed on to the other person now: the conversation has not "
            "started, or they have withdrawn. Enter it as a note to the facilitators."
        ),
        not_revisable=gettext(
            "A message can only be a new version of one of this person's returned "
            "messages, once."
        ),
    )
    _check_case_and_header(envelope, case)
    held_recipient_set(case, sender_key=key, members=members).check(envelope)
    message = _store(
        envelope, case=case, sender=held, sender_key=key,
        audience=Audience.OTHER_PARTY if for_other_party else Audience.FACILITATORS,
        state=MessageState.SUBMITTED if for_other_party else MessageState.DELIVERED,
        derived_from=revision_of, entered_by=actor,
    )
    record(
        AuditEventType.MESSAGE_SUBMITTED, actor=actor, case=case, message=str(message.pk),
        kind=message.kind, state=message.state, side=side, entered_by=str(actor.pk),
    )
    append_events([(MessageEvent(message, side), members.audience())], case=case)
    return Submitted(message, created=True)


@transaction.atomic
def record_read_out(*, actor: User, message_id: uuid.UUID) -> Message:
    """A facilitator records that they read a held participant what was sent to them (a
    forward, a facilitator's note, a return note or a rejection reason): who read it, and
    when. Recorded once; a second time is refused.

    Who: a current facilitator of the case. Refused (409 ``not_held``) for a message to a
    participant who is not held, or one not addressed to a participant.
    Audits: HELD_MESSAGE_READ_OUT. Emits: ``message_state`` (``delivered``, with
    ``read_out``) to the facilitators.
    """
    found = Message.objects.filter(pk=message_id).first()
    if found is None:
        raise AccessDenied()
    access_case_as_facilitator(actor, found.case_id)
    case = lock_case(found.case_id)
    message = Message.objects.select_for_update().get(pk=found.pk)
    target = held_target(case, message)
    if target is None:
        raise IllegalTransition(
            gettext("Only what was sent to a person whose participation is held is read to them."),
            code="not_held",
        )
    if message.read_out_at is not None:
        raise IllegalTransition(gettext("This was recorded as read to them already."))
    message.read_out_at = timezone.now()
    message.read_out_by = actor
    message.save(update_fields=["read_out_at", "read_out_by"])
    record(
        AuditEventType.HELD_MESSAGE_READ_OUT, actor=actor, case=case, message=str(message.pk),
        side=target.side,
    )
    append_events(
        [(MessageStateEvent(message, message.state), case_audience(case))], case=case
    )
    return message



@transaction.atomic
def mark_note_read(*, actor: User, message_id: uuid.UUID) -> NoteReading:
    """A facilitator marks a note to the facilitators (``note_to_facilitator``, from a
    participant or a supporter) as read: it leaves their own "Waiting for your decision"
    queue, on every device. Per facilitator account: a colleague on the case still has it
    waiting until they mark it themselves. Marking it again returns the first reading and
    records nothing more. Allowed in any state of the case (a note is read after the case
    ended too).

    Who: a current facilitator of the case; anyone else gets ``not_found``, as for a
    message that does not exist. Refused (400 ``bad_kind``) for any other kind of message.
    Locks the message row, so two marks at once record one reading.
    Audits: NOTE_READ (the first time only). Emits: nothing (the reading is this
    facilitator's own; their pages learn it from ``read_by_me`` when they next read the
    message).
    """
    found = access_message_as_facilitator(actor, message_id)
    if found.kind != Kind.NOTE_TO_FACILITATOR:
        raise InvalidRequest(
            gettext("Only a note to the facilitators can be marked as read. This is another kind "
            "of message: nothing was changed."),
            code="bad_kind",
        )
    message = Message.objects.select_for_update().get(pk=found.pk)
    existing = NoteReading.objects.filter(message=message, facilitator=actor).first()
    if existing is not None:
        return existing
    reading = NoteReading.objects.create(
        message=message, facilitator=actor, read_at=timezone.now()
    )
    record(
        AuditEventType.NOTE_READ, actor=actor, case=message.case, message=str(message.pk)
    )
    return reading
