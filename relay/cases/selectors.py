"""Reads about cases: their people and keys."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from relay.accounts.models import MANAGER_ROLES, PublicKey, Role, User
from relay.accounts.selectors import current_key, has_enrolled, hub_manager_keys
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_member,
    access_case_as_participant,
)
from relay.cases.models import (
    Case,
    CaseRecord,
    CommunicationMode,
    FacilitatorAssignment,
    Hold,
    Participation,
    ParticipationState,
    RecordKind,
    Side,
    Supporter,
    SupporterState,
)
from relay.cases.states import ENDED_STATES, consents_to
from relay.errors import AccessDenied
from relay.hub.selectors import signposting_services
from relay.outcomes.models import AgreementItem, SurveyOffer
from relay.outcomes.states import QUESTIONS, follow_up_is_due, may_answer_survey


def current_facilitators(case_id: uuid.UUID) -> list[User]:
    return [
        a.facilitator
        for a in FacilitatorAssignment.objects.select_related("facilitator")
        .filter(case_id=case_id, ended_at__isnull=True)
        .order_by("assigned_at")
    ]


def participation_for_side(case: Case, side: str) -> Participation | None:
    return Participation.objects.filter(case=case, side=side).select_related("user").first()


def other_side(side: str) -> str:
    return Side(side).other.value


def is_safety_paused(case: Case) -> bool:
    """A facilitator has paused the case for safety; only a facilitator lifts it."""
    return case.safety_paused_by_id is not None


def is_communicating(case: Case, *, participations: list[Participation] | None = None) -> bool:
    """Both participations active (none paused or withdrawn), both still consenting to
    messages (withdrawing that consent acts at once like a pause), and no facilitator
    safety pause.

    The one rule for whether anything may be forwarded. ``participations`` saves a query
    when the caller has already read them (under the same lock, for actions).
    """
    if case.state != "active" or is_safety_paused(case):
        return False
    if participations is None:
        participations = list(Participation.objects.filter(case=case))
    states = [p.state for p in participations]
    return (
        len(states) == 2
        and all(s == ParticipationState.ACTIVE for s in states)
        and all(consents_to(p.consented_modes, CommunicationMode.MESSAGES) for p in participations)
    )


def follow_ups_for(user: User) -> list[dict[str, Any]]:
    """The agreement follow-ups a user should see: a facilitator, those of their current
    cases whose date has come and that nobody has recorded yet; a hub manager, every open
    follow-up in the hub, due or not. Anyone else: none to see (refused)."""
    today = timezone.localdate()
    items = AgreementItem.objects.select_related("outcome__case").filter(
        follow_up_on__isnull=False, met__isnull=True
    )
    if user.role == Role.FACILITATOR:
        current = FacilitatorAssignment.objects.filter(
            facilitator=user, ended_at__isnull=True
        ).values_list("case_id", flat=True)
        items = items.filter(outcome__case_id__in=current, follow_up_on__lte=today)
    elif user.role not in MANAGER_ROLES:
        raise AccessDenied()
    return [
        {
            "item_id": str(item.pk),
            "case_id": str(item.outcome.case_id),
            "reference": item.outcome.case.reference,
            "kind": item.kind,
            "follow_up_on": item.follow_up_on.isoformat() if item.follow_up_on else None,
            "due": follow_up_is_due(item.follow_up_on, item.met, today),
        }
        for item in items.order_by("follow_up_on", "pk")
    ]


def survey_form(user: User, case_id: Any) -> dict[str, Any]:
    """The survey as a participant of the case sees it: whether it waits for them, its
    questions and choices, and the hub managers' keys to seal a comment to."""
    participation = access_case_as_participant(user, case_id)
    offer = SurveyOffer.objects.filter(participation=participation).first()
    state = offer.state if offer is not None else None
    return {
        "case_id": str(participation.case_id),
        "state": state,
        "may_answer": may_answer_survey(state),
        "questions": [
            {"name": name, "question": words, "choices": [
                {"value": value, "label": label} for value, label in choices
            ]}
            for name, (words, choices) in QUESTIONS.items()
        ],
        "comment_recipients": [
            {"key_id": key.key_id, "public_key": base64.b64encode(bytes(key.public_key)).decode()}
            for key in hub_manager_keys()
        ],
    }


def consent_history(user: User, case_id: Any) -> dict[str, Any]:
    """Consent per communication mode as ``user`` may see it: a participant, their own
    (current modes and every change, and who recorded it: "you" or "your facilitator");
    a current facilitator of the case, both participants'. The other party's consent is
    never shown to a participant."""
    case = access_case_as_member(user, case_id)
    participations = Participation.objects.filter(case=case).order_by("side")
    if user.role != Role.FACILITATOR:
        participations = participations.filter(user=user)
    return {
        "case_id": str(case.pk),
        "modes": [{"mode": m.value, "label": m.label} for m in CommunicationMode],
        "participants": [
            {
                "side": p.side,
                "consented_modes": p.consented_modes,
                "history": [
                    {
                        "mode": c.mode,
                        "given": c.given,
                        "how": c.how,
                        "recorded_by": (
                            "participant" if c.recorded_by_id == p.user_id else "facilitator"
                        ),
                        "at": c.at.isoformat(),
                    }
                    for c in p.consent_changes.all()
                ],
            }
            for p in participations
        ],
    }


def latest_facts(case: Case) -> dict[str, dict[str, Any]]:
    """The clear facts of the latest case-work record of each kind in ``case``."""
    latest: dict[str, dict[str, Any]] = {}
    for row in CaseRecord.objects.filter(case=case).order_by("created_at", "pk"):
        latest[row.kind] = row.facts
    return latest


def hub_signposting() -> dict[str, dict[str, Any]]:
    """The hub's own list of services to signpost to, by key (``relay.hub``)."""
    return {service.key: service.wire() for service in signposting_services()}


def case_records(user: User, case_id: Any) -> list[dict[str, Any]]:
    """Every case-work record of the case, oldest first, for its current facilitators only
    (the hub manager reads none unless assigned)."""
    case = access_case_as_facilitator(user, case_id)
    return [record_wire(row) for row in CaseRecord.objects.filter(case=case)]


def record_wire(row: CaseRecord) -> dict[str, Any]:
    return {
        "record_id": str(row.pk),
        "kind": row.kind,
        "author_id": str(row.author_id),
        "facts": row.facts,
        "to_side": row.to_side or None,
        "envelope": row.envelope,
        "created_at": row.created_at.isoformat(),
    }


def notices_for(user: User, case_id: Any) -> dict[str, Any]:
    """The notices written to this participant (why the case cannot go on), with the
    services they were signposted to, as the hub lists them."""
    participation = access_case_as_participant(user, case_id)
    services = hub_signposting()
    rows = CaseRecord.objects.filter(
        case_id=participation.case_id, kind=RecordKind.UNSUITABLE_NOTICE,
        to_side=participation.side,
    )
    return {
        "case_id": str(participation.case_id),
        "notices": [
            {
                **record_wire(row),
                "signposting": [
                    services[key] for key in row.facts.get("signposting", []) if key in services
                ],
            }
            for row in rows
        ],
    }


TIMELINE_EVENTS = {
    AuditEventType.CASE_CREATED: "case_created",
    AuditEventType.FACILITATOR_ASSIGNED: "facilitator_assigned",
    AuditEventType.FACILITATOR_UNASSIGNED: "facilitator_unassigned",
    AuditEventType.PARTICIPANT_ADDED: "participant_added",
    AuditEventType.CASE_STATE_CHANGED: "case_state",
    AuditEventType.PARTICIPATION_STATE_CHANGED: "participation_state",
    AuditEventType.CONSENT_CHANGED: "consent",
    AuditEventType.CASE_RECORD_ADDED: "record",
    AuditEventType.CASE_PAUSED: "paused",
    AuditEventType.CASE_RESUMED: "resumed",
    AuditEventType.PARTICIPATION_WITHDRAWN: "withdrawn",
    AuditEventType.PARTICIPATION_HELD: "held",
    AuditEventType.HELD_MESSAGE_READ_OUT: "read_out",
}
# What of an audit event's data the timeline shows: states, sides, modes and facts, which
# the audit log holds in clear already; never message ids.
TIMELINE_FIELDS = (
    "state", "old", "new", "via", "side", "modes", "given", "how", "kind", "facts", "reason",
    "stage", "signposting", "told", "by", "record", "offence_category", "complexity",
    "given_at", "for_held",
)


def case_timeline(user: User, case_id: Any) -> dict[str, Any]:
    """The case's history for its current facilitators, oldest first: each decision from
    the audit log (states, consent, records, pauses) with who made it, and every case-work
    record with its sealed envelope for their client to open."""
    case = access_case_as_facilitator(user, case_id)
    events = AuditEvent.objects.filter(
        case_id=case.pk, event_type__in=list(TIMELINE_EVENTS)
    ).order_by("seq")
    names = dict(
        User.objects.filter(
            pk__in={e.actor_id for e in events if e.actor_id is not None}
        ).values_list("pk", "display_name")
    )
    records = {str(row.pk): record_wire(row) for row in CaseRecord.objects.filter(case=case)}
    return {
        "case_id": str(case.pk),
        "reference": case.reference,
        "state": case.state,
        "entries": [
            {
                "what": TIMELINE_EVENTS[AuditEventType(e.event_type)],
                "at": e.created_at.isoformat(),
                "by": names.get(e.actor_id, "") if e.actor_id else "",
                "details": {k: e.data[k] for k in TIMELINE_FIELDS if k in e.data},
                "record": records.get(str(e.data.get("record", ""))),
            }
            for e in events
        ],
    }


def consented_supporters(participation: Participation) -> list[User]:
    """The supporters ``participation``'s participant currently consents to: approved, not
    ended, enrolled with a key. The one list every recipient rule and meeting invitation
    uses; read it under the case row lock when it decides who may receive something."""
    return [
        s.user
        for s in Supporter.objects.select_related("user")
        .filter(participation=participation, state=SupporterState.APPROVED)
        .order_by("requested_at")
        if s.user is not None and current_key(s.user) is not None
    ]


def consented_supporter_keys(participation: Participation) -> list[PublicKey]:
    """The current keys of ``consented_supporters``, in the same order: one query."""
    return list(
        PublicKey.objects.filter(
            retired_at__isnull=True,
            user__supporting__participation=participation,
            user__supporting__state=SupporterState.APPROVED,
        ).order_by("user__supporting__requested_at")
    )


# Held participations (relay.cases.held): a person with no device, for whom the case's
# facilitators act.


def with_held(participations: QuerySet[Participation]) -> QuerySet[Participation]:
    """``participations`` with ``held`` annotated in the same query, which ``is_held``
    then answers from without asking again."""
    return participations.annotate(held=Exists(Hold.objects.filter(participation=OuterRef("pk"))))


def is_held(participation: Participation) -> bool:
    """Whether the case's facilitators hold this participation for a person with no device:
    the one test every rule that depends on it calls (recipients, enrolment codes, who may
    pause, resume and withdraw for them)."""
    held = getattr(participation, "held", None)
    if held is not None:  # annotated by the read that loaded it (relay.cases.members)
        return bool(held)
    return Hold.objects.filter(participation_id=participation.pk).exists()


def may_hold(participation: Participation, case_state: str) -> bool:
    """A participation may be held while its person has not enrolled (no account password,
    no key) and the case is still open."""
    return (
        participation.state == ParticipationState.INVITED
        and case_state not in ENDED_STATES
        and not has_enrolled(participation.user)
        and not is_held(participation)
    )


def hold_wire(participation: Participation) -> dict[str, Any] | None:
    """The hold as the case's facilitators see it, or None."""
    hold = Hold.objects.filter(participation_id=participation.pk).select_related(
        "recorded_by"
    ).first()
    if hold is None:
        return None
    return {
        "consent_how": hold.consent_how,
        "consent_given_at": hold.consent_given_at.isoformat(),
        "recorded_by": hold.recorded_by.display_name or "Facilitator",
        "started_at": hold.started_at.isoformat(),
    }
