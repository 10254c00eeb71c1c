"""Consent per communication mode: given and withdrawn by the participant or recorded by a
facilitator (saying how), with its history; the one rule (``require_consent``) refuses a
message for the other party without consent to messages, and withdrawing that consent stops
message flow at once, like a pause."""

from __future__ import annotations

import pytest

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases.consent import require_consent
from relay.cases.models import ConsentChange, Participation
from relay.cases.selectors import consent_history, is_communicating
from relay.errors import AccessDenied, IllegalTransition, InvalidRequest
from relay.moderation import actions as moderation
from tests.envelopes import parsed, seal_from
from tests.factories import make_case
from tests.moderation.helpers import submit

pytestmark = pytest.mark.django_db


def test_a_participant_gives_and_withdraws_their_own_consent_with_history() -> None:
    sc = make_case()
    case_actions.give_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["conference"])
    case_actions.withdraw_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["conference"])
    mine = Participation.objects.get(case=sc.case, side="harmed")
    assert mine.consented_modes == ["messages"]
    changes = list(ConsentChange.objects.filter(participation=mine).order_by("pk"))
    assert [(c.mode, c.given, c.how) for c in changes][-2:] == [
        ("conference", True, "self"),
        ("conference", False, "self"),
    ]
    seen = consent_history(sc.harmed.user, sc.case.pk)
    assert [p["side"] for p in seen["participants"]] == ["harmed"]  # never the other side
    assert seen["participants"][0]["history"][-1]["recorded_by"] == "participant"
    assert AuditEvent.objects.filter(event_type=AuditEventType.CONSENT_CHANGED).exists()


def test_a_facilitator_records_consent_saying_how_and_must_say_it() -> None:
    sc = make_case()
    before = ConsentChange.objects.count()
    with pytest.raises(InvalidRequest) as refused:
        case_actions.give_consent(
            actor=sc.facilitator.user, case_id=sc.case.pk, modes=["in_person"], side="responsible"
        )
    assert refused.value.code == "consent_how"
    assert ConsentChange.objects.count() == before
    case_actions.give_consent(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        modes=["in_person"],
        side="responsible",
        how="phone",
    )
    last = ConsentChange.objects.latest("pk")
    assert (last.mode, last.how) == ("in_person", "phone")
    assert last.recorded_by_id == sc.facilitator.user.pk
    history = consent_history(sc.facilitator.user, sc.case.pk)
    assert {p["side"] for p in history["participants"]} == {"harmed", "responsible"}


def test_bad_input_and_other_peoples_consent_are_refused_and_change_nothing() -> None:
    sc = make_case()
    before = ConsentChange.objects.count()
    with pytest.raises(InvalidRequest):
        case_actions.give_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["telepathy"])
    with pytest.raises(InvalidRequest):
        case_actions.give_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=[])
    with pytest.raises(AccessDenied):
        case_actions.withdraw_consent(
            actor=sc.harmed.user, case_id=sc.case.pk, modes=["messages"], side="responsible"
        )
    with pytest.raises(InvalidRequest):
        case_actions.give_consent(
            actor=sc.harmed.user, case_id=sc.case.pk, modes=["messages"], how="phone"
        )
    with pytest.raises(AccessDenied):
        case_actions.give_consent(
            actor=sc.manager.user,
            case_id=sc.case.pk,
            modes=["messages"],
            side="harmed",
            how="phone",
        )
    assert ConsentChange.objects.count() == before


def test_withdrawing_consent_to_messages_stops_message_flow_at_once() -> None:
    sc = make_case()
    pending = submit(sc, sc.harmed)
    case_actions.withdraw_consent(actor=sc.responsible.user, case_id=sc.case.pk, modes=["messages"])
    sc.case.refresh_from_db()
    assert not is_communicating(sc.case)
    # The one who withdrew cannot send to the other party: the consent rule's own code.
    raw = seal_from(sc.responsible, sc, "answer", "no")
    with pytest.raises(IllegalTransition) as refused:
        moderation.submit_message(actor=sc.responsible.user, envelope=parsed(raw))
    assert refused.value.code == "consent_missing"
    # Nothing is forwarded to them either: the flow is paused.
    forward = seal_from(
        sc.facilitator,
        sc,
        "question",
        "q",
        to=[sc.facilitator, sc.responsible],
        derived_from=str(pending.pk),
    )
    with pytest.raises(IllegalTransition) as held:
        moderation.forward_message(
            actor=sc.facilitator.user, message_id=pending.pk, envelope=parsed(forward)
        )
    assert held.value.code == "paused"
    # Notes to the facilitators still flow.
    note = seal_from(sc.responsible, sc, "note_to_facilitator", "I need time")
    moderation.submit_message(actor=sc.responsible.user, envelope=parsed(note))
    # Given again, it flows again.
    case_actions.give_consent(actor=sc.responsible.user, case_id=sc.case.pk, modes=["messages"])
    sc.case.refresh_from_db()
    assert is_communicating(sc.case)


def test_require_consent_is_the_rule_for_every_mode() -> None:
    sc = make_case()
    mine = Participation.objects.get(case=sc.case, side="harmed")
    require_consent(mine, "messages")
    for mode in ("conference", "in_person", "recorded_media", "nonsense"):
        with pytest.raises(IllegalTransition) as refused:
            require_consent(mine, mode)
        assert refused.value.code == "consent_missing"
