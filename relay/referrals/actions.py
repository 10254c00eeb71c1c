"""The only writes of referrals: receiving one (a person's own, or a professional's),
accepting it into a case, declining it with signposting (docs/intake.md)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts import throttle
from relay.accounts.models import User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases import actions as case_actions
from relay.cases.models import Case, Side
from relay.envelopes import SealedComment, parse_sealed_comment
from relay.errors import EnvelopeRejected, InvalidRequest
from relay.hub.selectors import hub, services_by_key
from relay.referrals import proof
from relay.referrals.access import access_as_referrer, access_referral_as_manager
from relay.referrals.models import (
    ConsentGivenBy,
    ConsentMethod,
    DeclineReason,
    Referral,
    ReferralSource,
    ReferralState,
)
from relay.referrals.states import check_referral_transition

# Letters and digits that cannot be mistaken for each other when read aloud or copied.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_GROUPS = 2  # XXXX-XXXX: about 40 bits, quoted on the phone
CHECK_GROUPS = 3  # XXXX-XXXX-XXXX: about 59 bits, never stored in clear
# Each self-referral counts against its address in this throttle scope.
THROTTLE_SCOPE = "referral"
STATUS_SCOPE = "referral_status"


def _code(groups: int) -> str:
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(groups)
    )


def normalize_code(value: str) -> str:
    """Upper case, spaces and hyphens ignored, regrouped in fours: as it was issued."""
    plain = "".join(ch for ch in value.upper() if ch.isalnum())
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def check_hash(reference: str, check_code: str) -> str:
    """HMAC of the check code, bound to its reference, under the server's secret."""
    key = hashlib.sha256(b"relay.referrals.check:" + settings.SECRET_KEY.encode()).digest()
    message = f"{normalize_code(reference)}:{normalize_code(check_code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Received:
    referral: Referral
    # Shown once to whoever referred; only its HMAC is kept.
    check_code: str


def _sealed(raw: Any) -> SealedComment:
    """A sealed referral to exactly the current intake key (docs/protocol.md)."""
    sealed = parse_sealed_comment(
        raw, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES, kind="referral"
    )
    current = hub().intake_key_id
    if current is None:
        raise InvalidRequest(
            gettext("The hub cannot take referrals here yet: please phone the hub.")
        )
    if sealed.recipient_key_ids != [current]:
        raise EnvelopeRejected(
            gettext("The referral must be sealed to the hub's current intake key and no other. "
            "Reload the page and send it again."),
            code="recipients_missing",
        )
    return sealed


def _side(value: Any) -> str:
    if value not in Side.values:
        raise InvalidRequest(gettext("Invalid side: harmed or responsible."))
    return str(value)


def _store(*, sealed: SealedComment, side: str, source: str, **extra: Any) -> Received:
    reference = _code(REFERENCE_GROUPS)
    while Referral.objects.filter(reference=reference).exists():
        reference = _code(REFERENCE_GROUPS)
    check_code = _code(CHECK_GROUPS)
    referral = Referral.objects.create(
        reference=reference,
        check_hash=check_hash(reference, check_code),
        source=source,
        side=side,
        sealed=sealed.model_dump(),
        intake_key_id=sealed.recipient_key_ids[0],
        received_at=timezone.now(),
        **extra,
    )
    return Received(referral, check_code)


@transaction.atomic
def receive_self_referral(*, address: str, sealed: Any, side: Any, proof_of_work: Any) -> Received:
    """Someone refers themselves from the public page, without an account.

    Who: anyone, within the per-address limit (``RELAY_THROTTLE_LIMITS["referral"]``) and
    with a spent proof of work (``relay.referrals.proof``). Audits: REFERRAL_RECEIVED with
    the referral's id and source. Emits nothing (the intake page lists what waits).
    """
    throttle.check(THROTTLE_SCOPE, account=None, address=address)
    side = _side(side)
    parsed = _sealed(sealed)
    proof.spend(proof_of_work)
    throttle.fail(THROTTLE_SCOPE, account=None, address=address)
    received = _store(sealed=parsed, side=side, source=ReferralSource.SELF)
    record(
        AuditEventType.REFERRAL_RECEIVED, actor=None,
        referral=str(received.referral.pk), source=ReferralSource.SELF,
    )
    return received


@transaction.atomic
def receive_professional_referral(
    *,
    actor: User,
    sealed: Any,
    side: Any,
    source: Any,
    consent_given_by: Any,
    consent_method: Any,
    consent_given_on: datetime.date,
) -> Received:
    """A professional referrer refers someone, recording their consent: who gave it, how
    and when (the names are in the sealed content).

    Who: referrers (``access_as_referrer``). Audits: REFERRAL_RECEIVED with the id, source
    and the consent's method. Emits nothing.
    """
    access_as_referrer(actor)
    side = _side(side)
    if source not in ReferralSource.values or source == ReferralSource.SELF:
        raise InvalidRequest(
            gettext(
                "Invalid source: victim_services, probation, police, prison or other_professional."
            )
        )
    if consent_given_by not in ConsentGivenBy.values:
        raise InvalidRequest(
            gettext("Invalid consent_given_by: person, parent_or_guardian or advocate.")
        )
    if consent_method not in ConsentMethod.values:
        raise InvalidRequest(gettext("Invalid consent_method: in_person, phone, video or writing."))
    today = timezone.localdate()
    if consent_given_on > today or consent_given_on < today - datetime.timedelta(days=365):
        raise InvalidRequest(
            gettext("Invalid consent_given_on: a date in the last year, not ahead.")
        )
    parsed = _sealed(sealed)
    received = _store(
        sealed=parsed, side=side, source=source, referrer=actor,
        consent_given_by=consent_given_by, consent_method=consent_method,
        consent_given_on=consent_given_on,
    )
    record(
        AuditEventType.REFERRAL_RECEIVED, actor=actor, referral=str(received.referral.pk),
        source=source, consent_method=consent_method,
    )
    return received


def _lock(actor: User, referral_id: uuid.UUID) -> Referral:
    found = access_referral_as_manager(actor, referral_id)
    return Referral.objects.select_for_update().get(pk=found.pk)


@transaction.atomic
def accept_referral(
    *,
    actor: User,
    referral_id: uuid.UUID,
    offence_category: str,
    complexity: str,
    case_reference: str | None = None,
) -> Referral:
    """A hub manager takes a referral on: a case is created (``referred``, with the offence
    category and complexity that decide the training its facilitator needs), to be
    assigned a facilitator, who begins the assessment.

    Who: hub managers and admins. Audits: CASE_CREATED (through ``create_case``) and
    REFERRAL_ACCEPTED with the referral and the case. Emits nothing.
    """
    referral = _lock(actor, referral_id)
    check_referral_transition(referral.state, ReferralState.ACCEPTED)
    reference = (case_reference or "").strip() or f"RJ-{referral.reference}"
    case: Case = case_actions.create_case(
        actor=actor, reference=reference, offence_category=offence_category,
        complexity=complexity,
    )
    referral.state = ReferralState.ACCEPTED
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.case = case
    referral.save(update_fields=["state", "decided_at", "decided_by", "case"])
    record(
        AuditEventType.REFERRAL_ACCEPTED, actor=actor, referral=str(referral.pk),
        case_id=str(case.pk),
    )
    return referral


@transaction.atomic
def decline_referral(
    *, actor: User, referral_id: uuid.UUID, reason: str, signposting: list[str]
) -> Referral:
    """A hub manager records why the hub cannot take a referral on, and which of the hub's
    services to point the person to; the person sees both on the status page.

    Who: hub managers and admins. Audits: REFERRAL_DECLINED with the reason and the service
    keys. Emits nothing.
    """
    referral = _lock(actor, referral_id)
    check_referral_transition(referral.state, ReferralState.DECLINED)
    if reason not in DeclineReason.values:
        raise InvalidRequest(gettext("Choose the reason from the list."))
    if not isinstance(signposting, list) or not all(isinstance(k, str) for k in signposting):
        raise InvalidRequest(gettext("Invalid signposting: a list of the hub's service keys."))
    chosen = services_by_key(signposting)
    if len(chosen) != len(set(signposting)):
        raise InvalidRequest(
            gettext("Invalid signposting: name only services from the hub's list.")
        )
    referral.state = ReferralState.DECLINED
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decline_reason = reason
    referral.signposting = [service.wire() for service in chosen]
    referral.save(
        update_fields=["state", "decided_at", "decided_by", "decline_reason", "signposting"]
    )
    record(
        AuditEventType.REFERRAL_DECLINED, actor=actor, referral=str(referral.pk), reason=reason,
        signposting=[service.key for service in chosen],
    )
    return referral
