"""Case work between referral and conversation (docs/casework.md): a facilitator's sealed
records (suitability criteria, risk assessment and safety plan, contact attempts, case notes,
the approach to the person responsible), the gate from assessing to preparing, and finding a
case unsuitable, with a notice to each person and signposting from the hub's list.

Every record's words are an envelope sealed in the facilitator's client to exactly the
case's current facilitators (a notice: also to the one participant it is for); the server
checks its shape and recipients and stores it with the few clear facts the gates need. The
hub manager reads none of it unless assigned to the case as a facilitator.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from relay.accounts.access import require_sender
from relay.accounts.models import User
from relay.accounts.selectors import current_key, current_key_ids
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator
from relay.cases.actions import _move_case, check_may_prepare, close_as_unsuitable, lock_case
from relay.cases.audience import case_audience
from relay.cases.models import Case, CaseRecord, CaseState, Participation, RecordKind
from relay.cases.selectors import current_facilitators, hub_signposting
from relay.cases.states import clean_facts, may_find_unsuitable
from relay.delivery.events import CaseRecordEvent
from relay.delivery.streams import append_events
from relay.envelopes import Envelope, Kind, check_recipients
from relay.errors import EnvelopeRejected, IllegalTransition, InvalidRequest

# Kinds a facilitator adds with ``add_case_record``; the unsuitable reason and notices come
# only with ``find_unsuitable``.
RECORDABLE = (
    RecordKind.SUITABILITY,
    RecordKind.RISK_ASSESSMENT,
    RecordKind.CONTACT_ATTEMPT,
    RecordKind.CASE_NOTE,
    RecordKind.APPROACH,
)
# Kinds whose record is nothing without its words.
NEEDS_WORDS = frozenset({RecordKind.CASE_NOTE})
CLOSED_TO_RECORDS = frozenset({CaseState.CLOSED})


def _check_sealed(
    envelope: Envelope, *, case: Case, actor: User, kind: str, to: Sequence[str] = ()
) -> dict[str, Any]:
    """A record's envelope as stored: of ``kind``, written by ``actor`` in this case with
    their current key, sealed to exactly the case's current facilitators plus ``to``."""
    header = envelope.header
    if header.kind.value != kind or header.derived_from is not None or header.edited:
        raise EnvelopeRejected(
            gettext("The envelope must be of kind %(kind)s.") % {"kind": kind}, code="bad_kind"
        )
    if header.case_id != case.pk:
        raise EnvelopeRejected(gettext("The envelope belongs to another case."), code="wrong_case")
    require_sender(envelope, actor, current_key(actor))
    if CaseRecord.objects.filter(pk=header.message_id).exists():
        raise EnvelopeRejected(
            gettext("This message id has already been used."), code="duplicate_id"
        )
    required = set(current_key_ids(current_facilitators(case.pk))) | set(to)
    check_recipients(envelope, required=required)
    return envelope.model_dump(mode="json")


def _store(
    case: Case, *, actor: User, kind: str, facts: dict[str, Any], envelope: Envelope | None,
    sealed: dict[str, Any] | None, to_side: str = "",
) -> CaseRecord:
    return CaseRecord.objects.create(
        id=envelope.header.message_id if envelope is not None else uuid.uuid4(),
        case=case, kind=kind, author=actor, facts=facts, envelope=sealed, to_side=to_side,
    )


@transaction.atomic
def add_case_record(
    *, actor: User, case_id: uuid.UUID, kind: str, facts: dict[str, Any] | None = None,
    envelope: Envelope | None = None,
) -> CaseRecord:
    """A facilitator records part of the case work: the suitability criteria, a risk
    assessment (its level in clear; factors and safety plan sealed), a contact attempt (side,
    method and whether they were reached), a case note, or the approach to the person
    responsible (accepted, declined or needs time; the offer stays open).

    Who: a current facilitator of the case, until it is closed. The envelope, if any (a risk
    assessment and a case note need one), is sealed to exactly the case's current
    facilitators. Audits: CASE_RECORD_ADDED (kind, record id, the clear facts). Emits:
    ``case`` (change ``record``) to the facilitators.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    if kind not in RECORDABLE:
        raise InvalidRequest(
            gettext("Choose the record's kind: %(kinds)s.")
            % {"kinds": ", ".join(k.value for k in RECORDABLE)}
        )
    if case.state in CLOSED_TO_RECORDS:
        raise IllegalTransition(gettext("This case is closed; nothing more can be recorded."))
    cleaned = clean_facts(kind, dict(facts or {}))
    if envelope is None and kind in NEEDS_WORDS:
        raise InvalidRequest(gettext("This record needs its sealed note."), code="note_required")
    sealed = (
        _check_sealed(envelope, case=case, actor=actor, kind=kind)
        if envelope is not None
        else None
    )
    row = _store(case, actor=actor, kind=kind, facts=cleaned, envelope=envelope, sealed=sealed)
    record(
        AuditEventType.CASE_RECORD_ADDED, actor=actor, case=case, record=str(row.pk),
        kind=kind, facts=cleaned, sealed=sealed is not None,
    )
    append_events(
        [(CaseRecordEvent(kind, str(row.pk)), case_audience(case))], case=case
    )
    return row


@transaction.atomic
def begin_preparation(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator moves an assessed case to preparing, once the recorded assessment
    allows it (``check_may_prepare``).

    Who: a current facilitator of the case. Audits: CASE_STATE_CHANGED. Emits:
    ``case_state`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    check_may_prepare(case)
    _move_case(case, CaseState.PREPARING, actor=actor)
    return case


@transaction.atomic
def find_unsuitable(
    *,
    actor: User,
    case_id: uuid.UUID,
    reason: Envelope,
    notices: Sequence[Envelope],
    signposting: Sequence[str],
) -> Case:
    """A facilitator finds the case unsuitable, after assessment or at any stage of
    preparation: the reason is recorded (sealed to the facilitators), each person with a key
    is told in plain words by a notice sealed to them and the facilitators, naming the
    services chosen from the hub's list (``signposting``, by key, held in clear), and the
    case closes with the reason ``unsuitable``. A person without a key yet is told by the
    facilitator by phone or letter (a contact attempt records it).

    Who: a current facilitator of the case. Audits: CASE_STATE_CHANGED (from the stage
    reached to closed, via unsuitable, with the services named and the sides told). Emits:
    ``case`` (change ``record``) with each notice to its participant and the facilitators,
    and ``case_state`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    if not may_find_unsuitable(case.state):
        raise IllegalTransition(
            gettext("A case can be found unsuitable after assessment or during preparation only.")
        )
    services = hub_signposting()
    chosen = list(dict.fromkeys(signposting))
    if not set(chosen) <= set(services):
        raise InvalidRequest(
            gettext("Choose the services to signpost to from the hub's list."),
            code="unknown_service",
        )
    participations = list(Participation.objects.filter(case=case).select_related("user"))
    keyed = {p.side: key for p in participations if (key := current_key(p.user)) is not None}
    by_side: dict[str, Envelope] = {}
    for notice in notices:
        owner = next(
            (side for side, key in keyed.items() if key.key_id in notice.header.recipient_key_ids),
            None,
        )
        if owner is None or owner in by_side:
            raise EnvelopeRejected(
                gettext("Each notice goes to one participant of the case and the facilitators."),
                code="recipients_forbidden",
            )
        by_side[owner] = notice
    if set(by_side) != set(keyed):
        raise InvalidRequest(
            gettext("Write a notice for each person in the case who has enrolled."),
            code="notice_missing",
        )
    facts = {"signposting": chosen}
    sealed_reason = _check_sealed(reason, case=case, actor=actor, kind=Kind.UNSUITABLE_REASON)
    _store(
        case, actor=actor, kind=RecordKind.UNSUITABLE_REASON, facts=facts, envelope=reason,
        sealed=sealed_reason,
    )
    told = []
    for side, notice in sorted(by_side.items()):
        sealed = _check_sealed(
            notice, case=case, actor=actor, kind=Kind.UNSUITABLE_NOTICE, to=[keyed[side].key_id]
        )
        row = _store(
            case, actor=actor, kind=RecordKind.UNSUITABLE_NOTICE, facts=facts, envelope=notice,
            sealed=sealed, to_side=side,
        )
        participant = next(p for p in participations if p.side == side)
        told.append(
            (CaseRecordEvent(row.kind, str(row.pk)), case_audience(case, participant.user_id))
        )
    append_events(told, case=case)
    close_as_unsuitable(case, actor=actor, signposting=chosen, told=sorted(by_side))
    return case
