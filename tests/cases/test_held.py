"""Taking part without a device: a facilitator holds a participation for a person with no
device, with their consent recorded (how and when); enters their words, marked as entered by
the facilitator in the message and the audit log; reads them what was passed on (sealed to
the facilitators only: invariant 1's held case); and pauses, resumes and withdraws for them.
Every rule holds as for a participant with a device. Each transition, legal and illegal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relay.accounts.models import Invitation, Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import held, participants
from relay.cases.models import Hold, Participation, ParticipationState
from relay.cases.selectors import is_communicating
from relay.cases.visibility import case_summary
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.moderation import actions as moderation
from relay.moderation.models import Message, MessageState
from relay.moderation.selectors import message_wire
from tests.envelopes import parsed, seal_from
from tests.factories import make_case, make_held_case, make_person
from tests.moderation.helpers import submit

pytestmark = pytest.mark.django_db

AN_HOUR_AGO = timedelta(hours=1)


def newcomer_case():
    """A case whose person responsible has not enrolled (no key), with a code issued."""
    sc = make_case(active=False)
    manager, f = sc.manager.user, sc.facilitator.user
    case = case_actions.create_case(actor=manager, reference=f"RJ-N{sc.case.reference}")
    case_actions.assign_facilitator(actor=manager, case_id=case.pk, facilitator=f)
    newcomer = make_person(Role.PARTICIPANT, with_key=False)
    for user, side in ((newcomer.user, "responsible"), (sc.harmed.user, "harmed")):
        case_actions.add_participant(actor=manager, case_id=case.pk, user=user, side=side)
    participants.invite_participant(actor=f, case_id=case.pk, side="responsible")
    return sc, case, newcomer


def hold(actor, case, side="responsible", how="phone", when=None):
    return held.hold_participation(
        actor=actor, case_id=case.pk, side=side, consent_how=how,
        consent_given_at=when or timezone.now() - AN_HOUR_AGO,
    )


def test_a_facilitator_holds_a_participation_with_the_persons_consent() -> None:
    sc, case, newcomer = newcomer_case()
    f = sc.facilitator.user
    assert Invitation.objects.filter(user=newcomer.user, used_at__isnull=True).exists()
    # Refused, nothing changed: a bad how, a time to come, someone not a facilitator of
    # the case, a person who has enrolled.
    with pytest.raises(InvalidRequest) as refused:
        hold(f, case, how="self")
    assert refused.value.code == "consent_how"
    with pytest.raises(InvalidRequest) as refused:
        hold(f, case, when=timezone.now() + AN_HOUR_AGO)
    assert refused.value.code == "consent_when"
    for outsider in (sc.manager.user, sc.harmed.user, newcomer.user):
        with pytest.raises(AccessDenied):
            hold(outsider, case)
    with pytest.raises(InvalidRequest) as refused:
        hold(f, case, side="harmed")
    assert refused.value.code == "already_enrolled"
    assert not Hold.objects.exists()

    given = timezone.now() - AN_HOUR_AGO
    participation = hold(f, case, how="letter", when=given)
    assert participation.state == ParticipationState.ENROLLED
    assert not Invitation.objects.filter(user=newcomer.user, used_at__isnull=True).exists()
    event = AuditEvent.objects.filter(
        case_id=case.pk, event_type=AuditEventType.PARTICIPATION_HELD
    ).get()
    assert event.actor_id == f.pk
    assert event.data["how"] == "letter" and event.data["given_at"] == given.isoformat()
    summary = case_summary(f, case.pk)
    mine = next(p for p in summary["participants"] if p["side"] == "responsible")
    assert mine["held"]["consent_how"] == "letter" and mine["key"] is None
    assert mine["may_hold"] is False
    # Held once; no code is issued for it, and no account reset.
    with pytest.raises(IllegalTransition):
        hold(f, case)
    with pytest.raises(IllegalTransition) as refused:
        participants.invite_participant(actor=f, case_id=case.pk, side="responsible")
    assert refused.value.code == "held"
    with pytest.raises(IllegalTransition) as refused:
        participants.reset_participant(actor=f, case_id=case.pk, side="responsible")
    assert refused.value.code == "held"


def test_what_is_passed_on_to_a_held_person_is_sealed_to_the_facilitators_only() -> None:
    sc = make_held_case()
    f = sc.facilitator
    assert Participation.objects.get(case=sc.case, side="responsible").state == "active"
    question = submit(sc, sc.harmed)
    # Sealed to anyone but the facilitators (and the writer's own copy): refused.
    for to in ([f, make_person(Role.FACILITATOR)], [f, sc.harmed, make_person(Role.PARTICIPANT)]):
        raw = seal_from(f, sc, "question", "x", to=to, derived_from=str(question.pk))
        with pytest.raises(EnvelopeRejected) as refused:
            moderation.forward_message(actor=f.user, message_id=question.pk, envelope=parsed(raw))
        assert refused.value.code == "recipients_forbidden"
    # The facilitators only, and the writer's own key so they read what was passed on.
    raw = seal_from(
        f, sc, "question", "Why our house?", to=[f, sc.harmed], derived_from=str(question.pk)
    )
    forwarded = moderation.forward_message(
        actor=f.user, message_id=question.pk, envelope=parsed(raw)
    )
    assert {k.recipient_key.key_id for k in forwarded.keys.all()} == {
        f.keypair.key_id, sc.harmed.keypair.key_id
    }

    # The facilitator reads it to them, once; only what was sent to a held person.
    with pytest.raises(AccessDenied):
        moderation.record_read_out(actor=sc.harmed.user, message_id=forwarded.pk)
    with pytest.raises(IllegalTransition) as refused:
        moderation.record_read_out(actor=f.user, message_id=question.pk)
    assert refused.value.code == "not_held"
    read = moderation.record_read_out(actor=f.user, message_id=forwarded.pk)
    assert read.read_out_by_id == f.user.pk and read.read_out_at is not None
    with pytest.raises(IllegalTransition):
        moderation.record_read_out(actor=f.user, message_id=forwarded.pk)
    assert AuditEvent.objects.filter(
        case_id=sc.case.pk, event_type=AuditEventType.HELD_MESSAGE_READ_OUT,
        actor_id=f.user.pk,
    ).count() == 1
    assert message_wire(read, viewer=f.user)["read_out_by"] == str(f.user.pk)


def enter(sc, text="I am sorry.", kind="answer", to=None, side="responsible", **kwargs):
    f = sc.facilitator
    raw = seal_from(f, sc, kind, text, to=to or [f], **kwargs)
    return moderation.enter_for_held(actor=f.user, side=side, envelope=parsed(raw))


def test_the_facilitator_enters_their_words_marked_and_moderated_like_anyones() -> None:
    sc = make_held_case()
    f = sc.facilitator
    # Only the case's facilitators, only for a held side, only to the facilitators.
    with pytest.raises(IllegalTransition) as refused:
        enter(sc, side="harmed")
    assert refused.value.code == "not_held"
    with pytest.raises(EnvelopeRejected) as refused:
        enter(sc, to=[f, sc.harmed])
    assert refused.value.code == "recipients_forbidden"
    raw = seal_from(f, sc, "answer", "x", to=[f])
    with pytest.raises(AccessDenied):
        moderation.enter_for_held(
            actor=make_person(Role.FACILITATOR).user, side="responsible", envelope=parsed(raw)
        )
    with pytest.raises(EnvelopeRejected) as refused:
        enter(sc, kind="facilitator_note")
    assert refused.value.code == "bad_kind"
    assert not Message.objects.filter(entered_by__isnull=False).exists()

    entered = enter(sc).message
    assert entered.state == MessageState.SUBMITTED
    assert entered.sender_id == sc.responsible.user.pk and entered.entered_by_id == f.user.pk
    event = AuditEvent.objects.filter(
        case_id=sc.case.pk, event_type=AuditEventType.MESSAGE_SUBMITTED,
        data__message=str(entered.pk),
    ).get()
    assert event.actor_id == f.user.pk and event.data["entered_by"] == str(f.user.pk)
    assert event.data["side"] == "responsible"
    wire = message_wire(entered, viewer=f.user)
    assert wire["entered_by_facilitator"] is True and wire["entered_by"] == str(f.user.pk)
    # A retry of the same envelope is the same message.
    raw = seal_from(f, sc, "answer", "Again", to=[f])
    first = moderation.enter_for_held(actor=f.user, side="responsible", envelope=parsed(raw))
    again = moderation.enter_for_held(actor=f.user, side="responsible", envelope=parsed(raw))
    assert first.created and not again.created and again.message.pk == first.message.pk

    # The forward to the person harmed is the usual one, marked for them as entered.
    raw = seal_from(f, sc, "answer", "I am sorry.", to=[f, sc.harmed],
                    derived_from=str(entered.pk))
    forwarded = moderation.forward_message(actor=f.user, message_id=entered.pk,
                                           envelope=parsed(raw))
    seen = message_wire(forwarded, viewer=sc.harmed.user)
    assert seen["entered_by_facilitator"] is True and "entered_by" not in seen

    # A note to the facilitators is delivered at once; a return note goes back sealed to
    # the facilitators only, and a new version names the returned message.
    note = enter(sc, kind="note_to_facilitator", text="Call me on Tuesday").message
    assert note.state == MessageState.DELIVERED
    returned_raw = seal_from(f, sc, "return_note", "Say more?", to=[f],
                             derived_from=str(first.message.pk))
    moderation.return_message(actor=f.user, message_id=first.message.pk,
                              note=parsed(returned_raw))
    revised = enter(sc, text="More words", derived_from=str(first.message.pk)).message
    assert revised.derived_from_id == first.message.pk


def test_consent_is_needed_as_for_anyone() -> None:
    sc = make_held_case()
    f = sc.facilitator.user
    case_actions.withdraw_consent(
        actor=f, case_id=sc.case.pk, modes=["messages"], side="responsible", how="letter"
    )
    with pytest.raises(IllegalTransition) as refused:
        enter(sc)
    assert refused.value.code == "consent_missing"
    # A note to the facilitators still flows.
    assert enter(sc, kind="note_to_facilitator").message.state == MessageState.DELIVERED


def test_a_facilitator_pauses_resumes_and_withdraws_for_them() -> None:
    sc = make_held_case()
    f = sc.facilitator.user
    # Not for a side with its own device; not resumed before it is paused.
    with pytest.raises(IllegalTransition):
        held.pause_held(actor=f, case_id=sc.case.pk, side="harmed")
    with pytest.raises(IllegalTransition):
        held.resume_held(actor=f, case_id=sc.case.pk, side="responsible")
    with pytest.raises(AccessDenied):
        held.pause_held(actor=sc.harmed.user, case_id=sc.case.pk, side="responsible")

    held.pause_held(actor=f, case_id=sc.case.pk, side="responsible")
    assert not is_communicating(sc.case)
    harmed_view = case_summary(sc.harmed.user, sc.case.pk)
    assert harmed_view["communicating"] is False and harmed_view["paused_by_you"] is False
    with pytest.raises(IllegalTransition):
        held.pause_held(actor=f, case_id=sc.case.pk, side="responsible")
    # Their pause is not a safety pause: the facilitator's own resume does not lift it.
    with pytest.raises(IllegalTransition):
        case_actions.resume(actor=f, case_id=sc.case.pk)
    held.resume_held(actor=f, case_id=sc.case.pk, side="responsible")
    assert is_communicating(sc.case)

    pending = enter(sc).message
    participation = held.withdraw_held(actor=f, case_id=sc.case.pk, side="responsible")
    assert participation.state == ParticipationState.WITHDRAWN
    pending.refresh_from_db()
    assert pending.state == MessageState.VOIDED
    event = AuditEvent.objects.filter(
        case_id=sc.case.pk, event_type=AuditEventType.PARTICIPATION_WITHDRAWN
    ).get()
    assert event.actor_id == f.pk and event.data["for_held"] is True and event.data["voided"] == 1
    with pytest.raises(IllegalTransition):
        enter(sc, kind="note_to_facilitator")
    with pytest.raises(IllegalTransition):
        held.withdraw_held(actor=f, case_id=sc.case.pk, side="responsible")
    with pytest.raises(IllegalTransition):
        held.pause_held(actor=f, case_id=sc.case.pk, side="responsible")


def test_before_the_conversation_only_notes_flow() -> None:
    sc = make_held_case(active=False)
    with pytest.raises(IllegalTransition):
        enter(sc)
    with pytest.raises(IllegalTransition):
        held.pause_held(actor=sc.facilitator.user, case_id=sc.case.pk, side="responsible")
    assert enter(sc, kind="note_to_facilitator").message.state == MessageState.DELIVERED
