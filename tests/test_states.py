"""The transition tables of DESIGN §5, checked move by move. Pure: no database."""

from __future__ import annotations

import itertools

import pytest

from relay.cases.models import CaseState, ParticipationState
from relay.cases.states import check_case_transition, check_participation_transition
from relay.errors import IllegalTransition
from relay.moderation.models import MessageState
from relay.moderation.states import check_message_transition

M, P, C = MessageState, ParticipationState, CaseState

MESSAGE_MOVES = {
    (M.SUBMITTED, M.APPROVED),
    (M.SUBMITTED, M.RETURNED),
    (M.SUBMITTED, M.REJECTED),
    (M.SUBMITTED, M.RETRACTED),
    (M.SUBMITTED, M.VOIDED),
}
PARTICIPATION_MOVES = {
    (P.INVITED, P.ENROLLED),
    (P.ENROLLED, P.CONSENTED),
    (P.CONSENTED, P.ACTIVE),
    (P.ACTIVE, P.PAUSED),
    (P.PAUSED, P.ACTIVE),
    *((s, P.WITHDRAWN) for s in (P.INVITED, P.ENROLLED, P.CONSENTED, P.ACTIVE, P.PAUSED)),
}
CASE_MOVES = {
    (C.REFERRED, C.ASSESSING),
    (C.ASSESSING, C.UNSUITABLE),
    (C.ASSESSING, C.PREPARING),
    (C.PREPARING, C.UNSUITABLE),  # found unsuitable at any stage of preparation, too
    (C.PREPARING, C.ACTIVE),
    (C.ACTIVE, C.CONCLUDED),
    *((s, C.CLOSED) for s in C if s != C.CLOSED),
}

TABLES = [
    ("message", MessageState, MESSAGE_MOVES, check_message_transition),
    ("participation", ParticipationState, PARTICIPATION_MOVES, check_participation_transition),
    ("case", CaseState, CASE_MOVES, check_case_transition),
]


@pytest.mark.parametrize(("name", "states", "allowed", "check"), TABLES, ids=[t[0] for t in TABLES])
def test_exactly_the_designed_moves_are_allowed(name, states, allowed, check) -> None:
    for current, new in itertools.product(states, states):
        if (current, new) in allowed:
            check(current, new)
        else:
            with pytest.raises(IllegalTransition) as exc:
                check(current, new)
            assert exc.value.code == "conflict"
            assert exc.value.message.endswith(".")


def test_decided_and_final_states_are_final() -> None:
    for final in (M.APPROVED, M.RETURNED, M.REJECTED, M.RETRACTED, M.VOIDED, M.DELIVERED):
        assert not {new for current, new in MESSAGE_MOVES if current == final}
    assert not {new for current, new in PARTICIPATION_MOVES if current == P.WITHDRAWN}
    assert not {new for current, new in CASE_MOVES if current == C.CLOSED}
    with pytest.raises(IllegalTransition, match="already been dealt with"):
        check_message_transition(M.APPROVED, M.APPROVED)
