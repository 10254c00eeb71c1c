"""Every change to messages and to a case's communication: submit, forward, return, reject,
retract, facilitator notes, pause, resume and withdraw.

Each action is one transaction that locks the case row first (so pause and forward are
serialized, invariant 3), checks the transition, writes one audit event, appends to the
event streams of the people who should see the change, and wakes their sockets after commit.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from relay.accounts.models import PublicKey, Role, User
from relay.accounts.verification import forward_block_reason
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_member,
    access_case_as_participant,
)
from relay.cases.models import Case, Participation, ParticipationState, Side
from relay.cases.selectors import (
    current_facilitators,
    current_key,
    current_key_ids,
    is_communicating,
    is_safety_paused,
    member_user_ids,
)
from relay.cases.states import (
    check_participation_transition,
    may_be_written_to,
    may_pause_participation,
    may_resume_participation,
    may_safety_pause,
    may_withdraw_participation,
    may_write_to_facilitators,
    may_write_to_other_party,
)
from relay.delivery.models import EventType
from relay.delivery.streams import append_events, revoke_sockets
from relay.envelopes import (
    FOR_OTHER_PARTY,
    PARTICIPANT_KINDS,
    Envelope,
    Kind,
    check_recipients,
)
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition
from relay.moderation.access import access_own_message
from relay.moderation.models import Audience, Message, MessageKey, MessageState
from relay.moderation.selectors import revisable_messages
from relay.moderation.states import check_message_transition


@dataclass(frozen=True)
class Submitted:
    message: Message
    created: bool  # False when this was a retry of a message already stored


def _lock_case(case_id: uuid.UUID) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


def _sender_key(actor: User, envelope: Envelope) -> PublicKey:
    header = envelope.header
    if header.sender_id != actor.pk:
        raise EnvelopeRejected("The envelope's sender is not you.", code="wrong_sender")
    key = current_key(actor)
    if key is None or key.key_id != header.sender_key_id:
        raise EnvelopeRejected(
            "The envelope is not from your current key. Sign in again to refresh your keys.",
            code="wrong_sender_key",
        )
    return key


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
            "This message id has already been used for a different message.", code="duplicate_id"
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
) -> Message:
    header = envelope.header
    keys = {k.key_id: k for k in PublicKey.objects.filter(key_id__in=header.recipient_key_ids)}
    message = Message.objects.create(
        id=header.message_id,
        case=case,
        sender=sender,
        sender_key=sender_key,
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
            recipient_key=keys[w.key_id],
            nonce=base64.b64decode(w.nonce),
            box=base64.b64decode(w.box),
        )
        for w in envelope.keys
    )
    return message


def _facilitator_ids(case: Case) -> list[uuid.UUID]:
    return [f.pk for f in current_facilitators(case.pk)]


def _facilitator_key_ids(case: Case) -> set[str]:
    return current_key_ids(current_facilitators(case.pk))


def _check_case_and_header(envelope: Envelope, case: Case) -> None:
    if envelope.header.case_id != case.pk:
        raise EnvelopeRejected("The envelope belongs to another case.", code="wrong_case")


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
    case = _lock_case(participation.case_id)
    participation.refresh_from_db()
    existing = _existing(envelope, actor)
    if existing is not None:
        return Submitted(existing, created=False)
    sender_key = _sender_key(actor, envelope)
    if header.kind not in PARTICIPANT_KINDS:
        raise EnvelopeRejected("Participants cannot send that kind of message.", code="bad_kind")
    if header.edited:
        raise EnvelopeRejected("Only a facilitator's forward can be marked edited.")
    if participation.state == ParticipationState.WITHDRAWN:
        raise IllegalTransition("You have withdrawn from this case, so you cannot send messages.")
    if not may_write_to_facilitators(case.state, participation.state):
        raise IllegalTransition("This case is no longer open for messages.")
    for_other_party = header.kind in FOR_OTHER_PARTY
    if for_other_party:
        other = Participation.objects.filter(case=case).exclude(pk=participation.pk).first()
        other_state = other.state if other is not None else None
        if not may_write_to_other_party(case.state, participation.state, other_state):
            raise IllegalTransition(
                "The other person has withdrawn, so nothing more can be passed on to them. "
                "You can still write to your facilitator."
                if other_state == ParticipationState.WITHDRAWN
                else "Messages for the other person can be sent once your facilitator has "
                "started the conversation. You can write to your facilitator now."
            )
    revision_of = None
    if header.derived_from is not None:
        revision_of = revisable_messages(case, actor).filter(pk=header.derived_from).first()
        if revision_of is None or not for_other_party:
            raise EnvelopeRejected(
                "A message can only be a new version of one of your returned messages, once: "
                "this one was not returned to you, or has a new version already.",
                code="bad_kind",
            )
    _check_case_and_header(envelope, case)
    check_recipients(envelope, required=_facilitator_key_ids(case) | {sender_key.key_id})
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
        [actor.pk, *_facilitator_ids(case)],
        EventType.MESSAGE,
        case=case,
        message=message,
        data={"side": participation.side},
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


def _facilitator_envelope_checks(
    *,
    actor: User,
    case: Case,
    envelope: Envelope,
    kind: Kind | None,
    derived_from: uuid.UUID | None,
) -> PublicKey:
    _check_case_and_header(envelope, case)
    if _existing(envelope, actor) is not None:
        raise EnvelopeRejected("This message id has already been used.", code="duplicate_id")
    key = _sender_key(actor, envelope)
    if kind is not None and envelope.header.kind != kind:
        raise EnvelopeRejected(f"The envelope must be of kind {kind.value}.", code="bad_kind")
    if envelope.header.derived_from != derived_from:
        raise EnvelopeRejected("The envelope must name the message it concerns.", code="bad_kind")
    return key


@transaction.atomic
def forward_message(*, actor: User, message_id: uuid.UUID, envelope: Envelope) -> Message:
    """A facilitator approves a participant's message by forwarding a new envelope, authored
    with their own key, to the other party (as is, or edited).

    Who: a current facilitator of the case. Refused unless the case is communicating: both
    participations active, nobody paused, no safety pause (invariant 3, under the case lock).
    Recipients: exactly the other participant's key and the facilitators' keys.
    Audits: MESSAGE_FORWARDED. Emits: ``message`` to the other participant and facilitators,
    ``message_state`` (approved) to the original sender.
    """
    case_id = envelope.header.case_id
    access_case_as_facilitator(actor, case_id)
    case = _lock_case(case_id)
    original = _lock_pending(case, message_id)
    check_message_transition(original.state, MessageState.APPROVED)
    if not is_communicating(case):
        raise IllegalTransition(
            "Communication in this case is paused or has ended, so nothing can be forwarded.",
            code="paused",
        )
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=Kind(original.kind),
        derived_from=original.pk,
    )
    sender_participation = _participation_of(case, original.sender_id)
    target = Participation.objects.select_related("user").get(
        case=case, side=Side(sender_participation.side).other
    )
    blocked = forward_block_reason(case=case, participant=target.user)
    if blocked:
        raise IllegalTransition(blocked, code="key_unverified")
    target_key = current_key(target.user)
    if target_key is None:
        raise IllegalTransition("The other person has no key yet.")
    check_recipients(envelope, required=_facilitator_key_ids(case) | {target_key.key_id})
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
    append_events(
        [target.user_id, *_facilitator_ids(case)],
        EventType.MESSAGE,
        case=case,
        message=forwarded,
        data={"side": "facilitator"},
    )
    append_events(
        [original.sender_id, *_facilitator_ids(case)],
        EventType.MESSAGE_STATE,
        case=case,
        message=original,
        data={"message_id": str(original.pk), "state": original.state},
    )
    return forwarded


def _decide_with_note(
    *, actor: User, message_id: uuid.UUID, envelope: Envelope, new_state: str, kind: Kind,
    audit_type: AuditEventType,
) -> Message:
    case_id = envelope.header.case_id
    access_case_as_facilitator(actor, case_id)
    case = _lock_case(case_id)
    original = _lock_pending(case, message_id)
    check_message_transition(original.state, new_state)
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=kind, derived_from=original.pk
    )
    sender = User.objects.get(pk=original.sender_id)
    sender_key = current_key(sender)
    required = _facilitator_key_ids(case) | ({sender_key.key_id} if sender_key else set())
    check_recipients(envelope, required=required)
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
    recipients = [original.sender_id, *_facilitator_ids(case)]
    append_events(
        recipients, EventType.MESSAGE, case=case, message=note, data={"side": "facilitator"}
    )
    append_events(
        recipients,
        EventType.MESSAGE_STATE,
        case=case,
        message=original,
        data={"message_id": str(original.pk), "state": new_state, "note_id": str(note.pk)},
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
    case = _lock_case(message.case_id)
    message = _lock_pending(case, message_id)
    check_message_transition(message.state, MessageState.RETRACTED)
    message.state = MessageState.RETRACTED
    message.decided_at = timezone.now()
    message.save(update_fields=["state", "decided_at"])
    record(AuditEventType.MESSAGE_RETRACTED, actor=actor, case=case, message=str(message.pk))
    append_events(
        [actor.pk, *_facilitator_ids(case)],
        EventType.MESSAGE_STATE,
        case=case,
        message=message,
        data={"message_id": str(message.pk), "state": message.state},
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
    case = _lock_case(case_id)
    key = _facilitator_envelope_checks(
        actor=actor, case=case, envelope=envelope, kind=Kind.FACILITATOR_NOTE, derived_from=None
    )
    facilitator_keys = _facilitator_key_ids(case)
    named = set(envelope.header.recipient_key_ids) - facilitator_keys
    participant_keys = {
        k.key_id: k
        for k in PublicKey.objects.filter(
            key_id__in=named, retired_at__isnull=True, user__participations__case=case
        ).select_related("user")
    }
    if len(named) != 1 or len(participant_keys) != 1:
        raise EnvelopeRejected(
            "A facilitator note goes to exactly one participant of the case and the facilitators.",
            code="recipients_forbidden",
        )
    participant = next(iter(participant_keys.values())).user
    check_recipients(envelope, required=facilitator_keys | set(participant_keys))
    if not may_be_written_to(_participation_of(case, participant.pk).state):
        raise IllegalTransition("This person has withdrawn; they can no longer be written to.")
    note = _store(
        envelope, case=case, sender=actor, sender_key=key, audience=Audience.PARTICIPANT,
        state=MessageState.DELIVERED,
    )
    record(AuditEventType.FACILITATOR_NOTE_SENT, actor=actor, case=case, message=str(note.pk))
    append_events(
        [participant.pk, *_facilitator_ids(case)],
        EventType.MESSAGE,
        case=case,
        message=note,
        data={"side": "facilitator"},
    )
    return note


def _announce_communication(case: Case, *, paused_by: str | None) -> None:
    """Tell everyone in the case whether communication flows. Participants learn only that
    it is paused; facilitators also learn by whom; the person who paused learns it was them."""
    participations = list(Participation.objects.filter(case=case))
    communicating = is_communicating(case, participations=participations)
    for participation in participations:
        append_events(
            [participation.user_id],
            EventType.COMMUNICATION,
            case=case,
            data={
                "communicating": communicating,
                "paused_by_you": participation.state == ParticipationState.PAUSED,
            },
        )
    paused_sides = [p.side for p in participations if p.state == ParticipationState.PAUSED]
    append_events(
        _facilitator_ids(case),
        EventType.COMMUNICATION,
        case=case,
        data={
            "communicating": communicating,
            "paused_sides": sorted(paused_sides),
            "safety_paused": is_safety_paused(case),
            "changed_by": paused_by,
        },
    )


@transaction.atomic
def pause(*, actor: User, case_id: uuid.UUID) -> Case:
    """Pause communication in a case, at once.

    Who: a participant (pauses their own participation; only they can resume it) or a
    facilitator of the case (a safety pause; any facilitator of the case can resume it).
    Commits under the case row lock, so no forward commits after it (invariant 3).
    Audits: CASE_PAUSED. Emits: ``communication`` to every member of the case.
    """
    case = access_case_as_member(actor, case_id)
    case = _lock_case(case.pk)
    if actor.role == Role.FACILITATOR:
        if is_safety_paused(case):
            raise IllegalTransition("This case is already paused for safety.")
        if not may_safety_pause(case.state, is_safety_paused(case)):
            raise IllegalTransition("Only a case in progress can be paused.")
        case.safety_paused_by = actor
        case.save(update_fields=["safety_paused_by", "updated_at"])
        by = "facilitator"
    else:
        participation = Participation.objects.select_for_update().get(case=case, user=actor)
        if participation.state == ParticipationState.PAUSED:
            raise IllegalTransition("You have already paused communication.")
        check_participation_transition(participation.state, ParticipationState.PAUSED)
        other = Participation.objects.filter(case=case).exclude(pk=participation.pk).first()
        if not may_pause_participation(
            case.state, participation.state, other.state if other is not None else None
        ):
            raise IllegalTransition(
                "The conversation is not under way, so there is nothing to pause."
            )
        participation.state = ParticipationState.PAUSED
        participation.save(update_fields=["state"])
        by = participation.side
    record(AuditEventType.CASE_PAUSED, actor=actor, case=case, by=by)
    _announce_communication(case, paused_by=by)
    return case


@transaction.atomic
def resume(*, actor: User, case_id: uuid.UUID) -> Case:
    """Lift the pause the actor is entitled to lift.

    Who: the participant who paused (their own pause only), or a facilitator of the case
    (the safety pause only). Audits: CASE_RESUMED. Emits: ``communication`` to every member.
    """
    case = access_case_as_member(actor, case_id)
    case = _lock_case(case.pk)
    if actor.role == Role.FACILITATOR:
        if not is_safety_paused(case):
            raise IllegalTransition("This case is not paused for safety.")
        case.safety_paused_by = None
        case.save(update_fields=["safety_paused_by", "updated_at"])
        by = "facilitator"
    else:
        participation = Participation.objects.select_for_update().get(case=case, user=actor)
        if not may_resume_participation(participation.state):
            raise IllegalTransition(
                "You have not paused communication, so there is nothing to resume."
            )
        participation.state = ParticipationState.ACTIVE
        participation.save(update_fields=["state"])
        by = participation.side
    record(AuditEventType.CASE_RESUMED, actor=actor, case=case, by=by)
    _announce_communication(case, paused_by=by)
    return case


@transaction.atomic
def withdraw(*, actor: User, case_id: uuid.UUID) -> Participation:
    """A participant leaves the process. Final for them in this case.

    Who: the participant. Every message of theirs still waiting is voided and will never be
    delivered; further sends to or from them are refused. Audits: PARTICIPATION_WITHDRAWN
    (with the number of voided messages). Emits: ``participation`` and ``communication`` to
    every member, ``message_state`` for each voided message; closes the actor's sockets.
    """
    participation = access_case_as_participant(actor, case_id)
    case = _lock_case(participation.case_id)
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if not may_withdraw_participation(participation.state):
        check_participation_transition(participation.state, ParticipationState.WITHDRAWN)
    participation.state = ParticipationState.WITHDRAWN
    participation.save(update_fields=["state"])
    pending = list(
        Message.objects.select_for_update().filter(
            case=case, sender=actor, state=MessageState.SUBMITTED
        )
    )
    now = timezone.now()
    for message in pending:
        check_message_transition(message.state, MessageState.VOIDED)
        message.state = MessageState.VOIDED
        message.decided_at = now
    Message.objects.bulk_update(pending, ["state", "decided_at"])
    record(
        AuditEventType.PARTICIPATION_WITHDRAWN,
        actor=actor,
        case=case,
        side=participation.side,
        voided=len(pending),
    )
    told = [actor.pk, *_facilitator_ids(case)]
    for message in pending:
        append_events(
            told,
            EventType.MESSAGE_STATE,
            case=case,
            message=message,
            data={"message_id": str(message.pk), "state": MessageState.VOIDED},
        )
    append_events(
        member_user_ids(case),
        EventType.PARTICIPATION,
        case=case,
        data={"side": participation.side, "state": ParticipationState.WITHDRAWN},
    )
    _announce_communication(case, paused_by=None)
    transaction.on_commit(lambda: revoke_sockets(actor.pk, reason="withdrawn"))
    return participation
