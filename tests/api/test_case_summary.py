"""The case summary's ``may_*`` fields say exactly what the action then allows: for both
participants and a facilitator, in every communication state. Each flag is read, then the
action is tried (and rolled back): allowed means it succeeds, not allowed means it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from relay.cases import actions as case_actions
from relay.cases.models import Case
from relay.cases.visibility import case_summary
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition
from relay.moderation import actions as moderation
from relay.moderation.models import Message
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import forward, submit

pytestmark = pytest.mark.django_db

STATES = [
    "active",
    "harmed paused",
    "responsible paused",
    "safety paused",
    "responsible withdrawn",
    "harmed withdrawn",
]


class _Undo(Exception):
    pass


def outcome(call: Callable[[], Any]) -> bool:
    """Run ``call`` and undo it: True if the action did it, False if it refused."""
    try:
        with transaction.atomic():
            call()
            raise _Undo()
    except _Undo:
        return True
    except (IllegalTransition, EnvelopeRejected):
        return False


def returned(sc: ShuttleCase, sender: Person) -> Message:
    message = submit(sc, sender, "Please rephrase me")
    note = seal_from(
        sc.facilitator,
        sc,
        "return_note",
        "Could you say it another way?",
        to=[*sc.facilitators(), sender],
        derived_from=str(message.pk),
    )
    moderation.return_message(actor=sc.facilitator.user, message_id=message.pk, note=parsed(note))
    return message


def in_state(state: str) -> tuple[ShuttleCase, dict[str, Message], dict[str, Message]]:
    """A case in ``state``, with a returned and a waiting message from each participant made
    while it was still communicating."""
    sc = make_case()
    sides = {"harmed": sc.harmed, "responsible": sc.responsible}
    to_revise = {side: returned(sc, person) for side, person in sides.items()}
    waiting = {side: submit(sc, person, f"Waiting from {side}") for side, person in sides.items()}
    who, _, what = state.partition(" ")
    actor = sc.facilitator if who == "safety" else sides.get(who)
    if what == "paused":
        assert actor is not None
        case_actions.pause(actor=actor.user, case_id=sc.case.pk)
    elif what == "withdrawn":
        assert actor is not None
        case_actions.withdraw(actor=actor.user, case_id=sc.case.pk)
    return sc, to_revise, waiting


def participant_actions(
    sc: ShuttleCase, me: Person, revisable: Message
) -> dict[str, Callable[[], Any]]:
    case_id = sc.case.pk

    def send(kind: str, derived_from: str | None = None) -> None:
        raw = seal_from(me, sc, kind, "Hello", derived_from=derived_from)
        moderation.submit_message(actor=me.user, envelope=parsed(raw))

    return {
        "may_pause": lambda: case_actions.pause(actor=me.user, case_id=case_id),
        "may_resume": lambda: case_actions.resume(actor=me.user, case_id=case_id),
        "may_withdraw": lambda: case_actions.withdraw(actor=me.user, case_id=case_id),
        "may_write_to_other_party": lambda: send("question"),
        "may_write_to_facilitators": lambda: send("note_to_facilitator"),
        "may_revise": lambda: send("question", derived_from=str(revisable.pk)),
    }


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", ["harmed", "responsible"])
def test_a_participants_may_fields_match_what_the_actions_allow(state: str, viewer: str) -> None:
    sc, to_revise, waiting = in_state(state)
    me = getattr(sc, viewer)
    summary = case_summary(me.user, sc.case.pk)
    for flag, call in participant_actions(sc, me, to_revise[viewer]).items():
        said = summary[flag]
        if flag == "may_revise":
            said = str(to_revise[viewer].pk) in said
        assert said is outcome(call), (state, viewer, flag)
    mine = waiting[viewer].pk
    said = str(mine) in summary["may_retract"]
    retract = lambda: moderation.retract_message(actor=me.user, message_id=mine)  # noqa: E731
    assert said is outcome(retract), (state, viewer, "may_retract")


def test_the_participant_flags_in_each_state_are_the_expected_ones() -> None:
    """A readable table of the same facts, so a change of rule shows up here by name."""
    expected = {
        "active": {"may_pause", "may_withdraw", "may_write_to_other_party",
                   "may_write_to_facilitators", "may_revise", "may_retract"},
        "harmed paused": {"may_resume", "may_withdraw", "may_write_to_other_party",
                          "may_write_to_facilitators", "may_revise", "may_retract"},
        "responsible paused": {"may_pause", "may_withdraw", "may_write_to_other_party",
                               "may_write_to_facilitators", "may_revise", "may_retract"},
        "safety paused": {"may_pause", "may_withdraw", "may_write_to_other_party",
                          "may_write_to_facilitators", "may_revise", "may_retract"},
        "responsible withdrawn": {"may_withdraw", "may_write_to_facilitators", "may_retract"},
        "harmed withdrawn": set(),
    }
    for state, flags in expected.items():
        sc, _, _ = in_state(state)
        summary = case_summary(sc.harmed.user, sc.case.pk)
        shown = {k for k, v in summary.items() if k.startswith("may_") and v}
        assert shown == flags, state


@pytest.mark.parametrize("state", STATES)
def test_a_facilitators_may_fields_match_what_the_actions_allow(state: str) -> None:
    sc, _, waiting = in_state(state)
    me = sc.facilitator
    summary = case_summary(me.user, sc.case.pk)
    # Forward the message of someone who is still taking part (a withdrawal voids theirs).
    sender = "responsible" if state == "harmed withdrawn" else "harmed"
    calls: dict[str, Callable[[], Any]] = {
        "may_forward": lambda: forward(sc, waiting[sender]),
        "may_safety_pause": lambda: case_actions.pause(actor=me.user, case_id=sc.case.pk),
        "may_resume_safety_pause": lambda: case_actions.resume(actor=me.user, case_id=sc.case.pk),
    }
    for flag, call in calls.items():
        assert summary[flag] is outcome(call), (state, flag)
    for side in ("harmed", "responsible"):
        person = getattr(sc, side)
        note = seal_from(me, sc, "facilitator_note", "Hello", to=[*sc.facilitators(), person])
        allowed = outcome(
            lambda n=note: moderation.send_facilitator_note(actor=me.user, envelope=parsed(n))
        )
        assert (side in summary["may_send_note_to"]) is allowed, (state, side)
    assert summary["may_forward"] is (state in ("active",))


def test_a_returned_message_gets_one_new_version() -> None:
    sc = make_case()
    message = returned(sc, sc.harmed)
    assert case_summary(sc.harmed.user, sc.case.pk)["may_revise"] == [str(message.pk)]
    raw = seal_from(sc.harmed, sc, "question", "Said better", derived_from=str(message.pk))
    moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    assert case_summary(sc.harmed.user, sc.case.pk)["may_revise"] == []
    again = seal_from(sc.harmed, sc, "question", "Said twice", derived_from=str(message.pk))
    before = Message.objects.count()
    with pytest.raises(EnvelopeRejected):
        moderation.submit_message(actor=sc.harmed.user, envelope=parsed(again))
    assert Message.objects.count() == before


def test_nothing_more_is_written_to_someone_who_withdrew() -> None:
    sc = make_case()
    case_actions.withdraw(actor=sc.responsible.user, case_id=sc.case.pk)
    raw = seal_from(sc.harmed, sc, "question", "Are you there?")
    before = Message.objects.count()
    with pytest.raises(IllegalTransition) as refused:
        moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    assert "withdrawn" in refused.value.message
    assert Message.objects.count() == before
    # Notes to the facilitators still go.
    submit(sc, sc.harmed, "What now?", kind="note_to_facilitator")


def test_the_summary_says_which_event_it_already_reflects() -> None:
    sc = make_case()
    summary = case_summary(sc.harmed.user, sc.case.pk)
    case_actions.pause(actor=sc.responsible.user, case_id=sc.case.pk)
    later = case_summary(sc.harmed.user, sc.case.pk)
    assert later["latest_seq"] == summary["latest_seq"] + 1
    assert later["kinds"]["facilitators"] == ["note_to_facilitator"]
    assert "question" in later["kinds"]["other_party"]
    assert "may_forward" not in later and "may_pause" not in case_summary(
        sc.facilitator.user, sc.case.pk
    )


def test_forward_to_names_who_the_forward_action_delivers_to() -> None:
    sc = make_case()
    summary = case_summary(sc.facilitator.user, sc.case.pk)
    for participant in summary["participants"]:
        sender = getattr(sc, participant["side"])
        forwarded = forward(sc, submit(sc, sender, "Passed on"))
        delivered_to = {
            str(uid) for uid in forwarded.keys.values_list("recipient_key__user_id", flat=True)
        } - {f.id for f in sc.facilitators()}
        target = next(p for p in summary["participants"] if p["side"] == participant["forward_to"])
        assert delivered_to == {target["user_id"]}


def test_nothing_is_paused_before_the_conversation_has_started() -> None:
    sc = make_case(active=False)
    summary = case_summary(sc.facilitator.user, sc.case.pk)
    assert summary["may_safety_pause"] is False and summary["may_forward"] is False
    with pytest.raises(IllegalTransition):
        case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    mine = case_summary(sc.harmed.user, sc.case.pk)
    assert mine["may_pause"] is False and mine["may_write_to_other_party"] is False
    assert mine["may_write_to_facilitators"] is True
    assert outcome(lambda: case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)) is False


def test_may_retract_lists_exactly_what_the_sender_can_take_back() -> None:
    sc = make_case()
    waiting = submit(sc, sc.harmed, "Take me back")
    decided = submit(sc, sc.harmed, "Pass me on")
    forward(sc, decided)
    note = submit(sc, sc.harmed, "Just for you", kind="note_to_facilitator")
    listed = case_summary(sc.harmed.user, sc.case.pk)["may_retract"]
    assert listed == [str(waiting.pk)]
    assert case_summary(sc.responsible.user, sc.case.pk)["may_retract"] == []
    for message in (decided, note):
        with pytest.raises((IllegalTransition, AccessDenied)):
            moderation.retract_message(actor=sc.harmed.user, message_id=message.pk)
    moderation.retract_message(actor=sc.harmed.user, message_id=waiting.pk)
    assert case_summary(sc.harmed.user, sc.case.pk)["may_retract"] == []


@pytest.mark.parametrize(
    ("state", "steps"),
    [
        ("referred", ["begin_assessment"]),
        ("assessing", ["begin_preparation", "find_unsuitable"]),
        ("preparing", ["start_communication", "find_unsuitable"]),
        ("active", []),
        ("closed", []),
    ],
)
def test_a_facilitator_is_offered_the_case_work_steps_its_state_allows(
    state: str, steps: list[str]
) -> None:
    sc = make_case(active=False)
    Case.objects.filter(pk=sc.case.pk).update(state=state)
    assert case_summary(sc.facilitator.user, sc.case.pk)["case_steps"] == steps
    assert "case_steps" not in case_summary(sc.harmed.user, sc.case.pk)
