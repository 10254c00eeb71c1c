"""What each member may know about a case: the one place that decides what a participant
learns of the case and of the other party, and what facilitators see.

A participant never sees the other person's account: only that there is one, whether it
has withdrawn, whether communication flows, and whether a pause is their own. The case
summary and the ``communication`` events are both built from these views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relay.accounts.models import Role
from relay.accounts.selectors import current_key, current_keys_by_user, key_wire
from relay.cases import hooks
from relay.cases.access import access_case_as_member
from relay.cases.models import Case, CaseState, Participation, ParticipationState, Side
from relay.cases.selectors import (
    consented_supporters,
    current_facilitators,
    hold_wire,
    is_communicating,
    is_safety_paused,
    may_hold,
)
from relay.cases.states import (
    case_steps,
    may_be_written_to,
    may_move_case,
    may_pause_participation,
    may_resume_participation,
    may_safety_pause,
    may_withdraw_participation,
    may_write_to_facilitators,
    may_write_to_other_party,
)
from relay.delivery.selectors import latest_seq
from relay.envelopes import FOR_OTHER_PARTY, Kind
from relay.outcomes.models import Closure, Outcome, SurveyOffer
from relay.outcomes.states import (
    close_reasons,
    follow_up_is_open,
    may_answer_survey,
    may_offer_after_withdrawal,
)

if TYPE_CHECKING:
    from relay.accounts.models import User

OTHER_PARTY_LABEL = {"harmed": "the person responsible", "responsible": "the person harmed"}


@dataclass(frozen=True)
class ParticipantView:
    """What one participant may know: their own state, and of the other party only a label
    and whether they withdrew."""

    side: str
    participation: str
    communicating: bool
    paused_by_you: bool
    other_party_label: str
    other_withdrawn: bool
    may_pause: bool
    may_resume: bool
    may_withdraw: bool
    may_write_to_other_party: bool
    may_write_to_facilitators: bool


@dataclass(frozen=True)
class FacilitatorView:
    communicating: bool
    safety_paused: bool
    paused_sides: tuple[str, ...]
    may_forward: bool
    may_safety_pause: bool
    may_resume_safety_pause: bool
    may_send_note_to: tuple[str, ...]


def participant_view(
    case: Case, *, mine: Participation, participations: list[Participation]
) -> ParticipantView:
    other = next((p for p in participations if p.pk != mine.pk), None)
    other_state = other.state if other is not None else None
    return ParticipantView(
        side=mine.side,
        participation=mine.state,
        communicating=is_communicating(case, participations=participations),
        paused_by_you=mine.state == ParticipationState.PAUSED,
        other_party_label=OTHER_PARTY_LABEL[mine.side],
        other_withdrawn=other_state == ParticipationState.WITHDRAWN,
        may_pause=may_pause_participation(case.state, mine.state, other_state),
        may_resume=may_resume_participation(mine.state),
        may_withdraw=may_withdraw_participation(mine.state),
        may_write_to_other_party=may_write_to_other_party(case.state, mine.state, other_state),
        may_write_to_facilitators=may_write_to_facilitators(case.state, mine.state),
    )


def facilitator_view(case: Case, participations: list[Participation]) -> FacilitatorView:
    communicating = is_communicating(case, participations=participations)
    safety_paused = is_safety_paused(case)
    return FacilitatorView(
        communicating=communicating,
        safety_paused=safety_paused,
        paused_sides=tuple(
            sorted(p.side for p in participations if p.state == ParticipationState.PAUSED)
        ),
        may_forward=communicating,
        may_safety_pause=may_safety_pause(case.state, safety_paused),
        may_resume_safety_pause=safety_paused,
        may_send_note_to=tuple(
            sorted(p.side for p in participations if may_be_written_to(p.state))
        ),
    )


def survey_state_of(participation: Participation) -> str | None:
    offer = SurveyOffer.objects.filter(participation=participation).first()
    return offer.state if offer is not None else None


def outcome_wire(outcome: Outcome) -> dict[str, Any]:
    """A concluded case's outcome as its facilitators see it (the note still sealed)."""
    return {
        "questions_answered": outcome.questions_answered,
        "explanation_given": outcome.explanation_given,
        "apology_offered": outcome.apology_offered,
        "apology_accepted": outcome.apology_accepted,
        "delivery_modes": outcome.delivery_modes,
        "note": outcome.note,
        "concluded_at": outcome.concluded_at.isoformat(),
        "agreement": [
            {
                "item_id": str(item.pk),
                "kind": item.kind,
                "follow_up_on": item.follow_up_on.isoformat() if item.follow_up_on else None,
                "met": item.met,
                "may_record_follow_up": follow_up_is_open(item.follow_up_on, item.met),
            }
            for item in outcome.items.order_by("follow_up_on", "kind", "pk")
        ],
    }


def ending_for_facilitators(case: Case, participations: list[Participation]) -> dict[str, Any]:
    """How the case ended or may end: what a facilitator may do now (conclude, close and
    why, offer the survey to someone who withdrew) and the outcome and closure recorded."""
    outcome = Outcome.objects.filter(case=case).first()
    closure = Closure.objects.filter(case=case).first()
    return {
        "may_conclude": may_move_case(case.state, CaseState.CONCLUDED),
        "close_reasons": sorted(close_reasons(case.state)),
        "may_offer_survey_to": sorted(
            p.side for p in participations
            if may_offer_after_withdrawal(p.state, survey_state_of(p))
        ),
        "outcome": outcome_wire(outcome) if outcome is not None else None,
        "closure": {
            "reason": closure.reason,
            "withdrawn_side": closure.withdrawn_side or None,
            "stage": closure.stage,
            "note": closure.note,
            "closed_at": closure.closed_at.isoformat(),
        } if closure is not None else None,
    }


def supporters_wire(participation: Participation, *, case_id: Any) -> list[dict[str, Any]]:
    """A participant's consented supporters as a client encrypts to them."""
    return [
        {
            "user_id": str(user.pk),
            "display_name": user.display_name or "Supporter",
            "key": key_wire(current_key(user), case_id=case_id),
        }
        for user in consented_supporters(participation)
    ]


def case_summary(user: User, case_id: Any) -> dict[str, Any]:
    """What a member of the case may know about it. Participants never see the other
    person's account: only that there is one, whether it is communicating, and the keys to
    encrypt to (the facilitators' and their own).

    The ``may_*`` fields say what this viewer may do now, each from the same predicate the
    action checks, so a client shows only what the server will accept and decides no rule
    itself. ``latest_seq`` is the viewer's last event when the summary was read: events up
    to it are already reflected here."""
    # Read first: every event up to it committed with its change, so the rest of the
    # summary, read after, is at least as new as those events.
    seen_up_to = latest_seq(user)
    case = access_case_as_member(user, case_id)
    facilitators = current_facilitators(case.pk)
    participations = list(Participation.objects.filter(case=case).select_related("user"))
    keys = current_keys_by_user(
        [f.pk for f in facilitators] + [p.user_id for p in participations], case_id=case.pk
    )
    summary: dict[str, Any] = {
        "case_id": str(case.pk),
        "state": case.state,
        "communicating": is_communicating(case, participations=participations),
        "latest_seq": seen_up_to,
        "facilitators": [
            {
                "user_id": str(f.pk),
                "display_name": f.display_name or "Facilitator",
                "key": key_wire(keys.get(f.pk), case_id=case.pk),
            }
            for f in facilitators
        ],
    }
    if user.role == Role.FACILITATOR:
        view = facilitator_view(case, participations)
        summary["reference"] = case.reference
        summary["safety_paused"] = view.safety_paused
        summary["may_forward"] = view.may_forward
        summary["may_safety_pause"] = view.may_safety_pause
        summary["may_resume_safety_pause"] = view.may_resume_safety_pause
        summary["may_send_note_to"] = list(view.may_send_note_to)
        summary["case_steps"] = case_steps(case.state)
        summary.update(ending_for_facilitators(case, participations))
        summary["participants"] = [
            {
                "side": p.side,
                "state": p.state,
                "user_id": str(p.user_id),
                "display_name": p.user.display_name,
                "consented_modes": p.consented_modes,
                # Who a forward of this participant's message goes to: the forward action's
                # own rule (the other side).
                "forward_to": Side(p.side).other.value,
                "key": key_wire(keys.get(p.user_id), case_id=case.pk),
                # Keys an envelope from or to this participant may also name.
                "supporters": supporters_wire(p, case_id=case.pk),
                # Held for a person with no device (relay.cases.held): how and when they
                # agreed; and whether a facilitator may hold it now.
                "held": hold_wire(p),
                "may_hold": may_hold(p, case.state),
            }
            for p in participations
        ]
    else:
        mine = next(p for p in participations if p.user_id == user.pk)
        own = participant_view(case, mine=mine, participations=participations)
        summary["side"] = own.side
        summary["participation"] = own.participation
        summary["paused_by_you"] = own.paused_by_you
        summary["other_party"] = {
            "label": own.other_party_label,
            "withdrawn": own.other_withdrawn,
        }
        # Your consented supporters: keys your messages may also be sealed to. The other
        # party's are never shown.
        summary["supporters"] = supporters_wire(mine, case_id=case.pk)
        summary["may_pause"] = own.may_pause
        summary["may_resume"] = own.may_resume
        summary["may_withdraw"] = own.may_withdraw
        summary["may_write_to_other_party"] = own.may_write_to_other_party
        summary["may_write_to_facilitators"] = own.may_write_to_facilitators
        summary["may_answer_survey"] = may_answer_survey(survey_state_of(mine))
        summary["may_revise"] = (
            [str(pk) for pk in hooks.revisable(case, user)]
            if own.may_write_to_other_party
            else []
        )
        # The sender's messages still waiting for a decision: "Take it back" on each.
        summary["may_retract"] = [str(pk) for pk in hooks.retractable(case, user)]
        # Which kinds go to the other party (through moderation) and which to the
        # facilitators only: the server's list, so no client keeps its own copy.
        summary["kinds"] = {
            "other_party": [kind.value for kind in sorted(FOR_OTHER_PARTY)],
            "facilitators": [Kind.NOTE_TO_FACILITATOR.value],
        }
    return summary
