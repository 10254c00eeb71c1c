"""Crypto-shredding ended cases, the scheduled run that does it, and legal holds.

Shredding deletes what could ever be opened: every message of the case (ciphertext and
header) with every wrapped content key, the sealed outcome and closing notes, the sealed
case-work records, the sealed content of the referral it came from, and what the
registered erasers hold (attachments, …). Without a wrapped key no one, facilitators
included, can recover a content key, so the content is gone even from a copy that kept a
ciphertext. The audit log is untouched: its events hold identifiers and states, never
content, so every chain still verifies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.models import User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_manager
from relay.cases.actions import lock_case
from relay.cases.models import Case, CaseRecord
from relay.errors import IllegalTransition, InvalidRequest
from relay.metrics import CASES_SHREDDED
from relay.moderation.models import Message, MessageKey
from relay.outcomes.models import Closure, Outcome
from relay.referrals.models import Referral, ReferralState
from relay.retention.models import HoldReason, LegalHold, Shredding
from relay.retention.policy import is_due
from relay.retention.selectors import current_hold, days_for, due_for_shredding

logger = logging.getLogger(__name__)
# What a shredded referral's sealed content becomes: an empty object, which no client opens.
SHREDDED: dict[str, object] = {}

# What other apps hold of a case's content, erased with it: (name, eraser). An eraser
# runs inside the shredding transaction, after the case row is locked, and returns how
# many items it destroyed. Apps above moderation register theirs in their AppConfig.ready
# (the attachments app: ``erase_attachments``).
Eraser = Callable[[Case], int]
ERASERS: list[tuple[str, Eraser]] = []


def register_eraser(name: str, eraser: Eraser) -> None:
    if any(existing == name for existing, _ in ERASERS):
        raise ValueError(f"An eraser named {name!r} is already registered.")
    ERASERS.append((name, eraser))


@dataclass(frozen=True)
class ShredReport:
    case_id: uuid.UUID
    messages: int
    wrapped_keys: int
    notes: int
    erased: dict[str, int]


@transaction.atomic
def shred_case(*, case_id: uuid.UUID, now: datetime | None = None) -> ShredReport:
    """Destroy an ended case's content once its retention period has passed.

    Who: the scheduled retention run only (no person asks for it; ``apply_retention``).
    Refuses a case that is open, not yet due, on hold or already shredded. Audits:
    CASE_SHREDDED with the counts. Emits: nothing (no one has anything new to read).
    """
    now = now or timezone.now()
    case = lock_case(case_id)
    if Shredding.objects.filter(case=case).exists():
        raise IllegalTransition(gettext("This case's content has already been shredded."))
    if not is_due(case.ended_at, days_for(case), now):
        raise IllegalTransition(gettext("This case's retention period has not passed."))
    if current_hold(case) is not None:
        raise IllegalTransition(gettext("This case is on hold: its content is kept."))
    messages = Message.objects.filter(case=case)
    message_count = messages.count()
    keys = MessageKey.objects.filter(message__case=case).count()
    # Forwards, notes and new versions cascade with the message they derive from, and the
    # stream events that pointed at them go too (catch-up skips missing numbers).
    messages.delete()
    notes = Outcome.objects.filter(case=case, note__isnull=False).update(note=None)
    notes += Closure.objects.filter(case=case, note__isnull=False).update(note=None)
    # Case-work records (assessment, risk, notes, notices): the sealed words go, the
    # countable facts the statistics and gates read stay.
    notes += CaseRecord.objects.filter(case=case, envelope__isnull=False).update(envelope=None)
    # The referral the case came from: its sealed content goes, its countable facts stay.
    notes += Referral.objects.filter(case=case).exclude(sealed=SHREDDED).update(sealed=SHREDDED)
    erased = {name: eraser(case) for name, eraser in ERASERS}
    Shredding.objects.create(
        case=case, shredded_at=now, messages=message_count, wrapped_keys=keys, notes=notes
    )
    record(
        AuditEventType.CASE_SHREDDED, actor=None, case=case,
        messages=message_count, wrapped_keys=keys, notes=notes, erased=erased,
    )
    transaction.on_commit(CASES_SHREDDED.inc)
    return ShredReport(case.pk, message_count, keys, notes, erased)


@dataclass
class RetentionRun:
    shredded: list[ShredReport] = field(default_factory=list)
    held: int = 0
    failed: int = 0
    referrals: int = 0


def shred_stale_referrals(*, now: datetime) -> int:
    """Empty the sealed content of referrals declined more than
    ``RELAY_RETENTION_REFERRAL_DAYS`` ago (they never became a case); their countable facts
    stay for the statistics. Runs inside the retention run's transaction."""
    before = now - timedelta(days=settings.RELAY_RETENTION_REFERRAL_DAYS)
    return (
        Referral.objects.filter(
            state=ReferralState.DECLINED, case__isnull=True, decided_at__lte=before
        )
        .exclude(sealed=SHREDDED)
        .update(sealed=SHREDDED)
    )


def apply_retention(*, now: datetime | None = None) -> RetentionRun:
    """The scheduled run: shred every case whose period has passed and that no hold keeps,
    each in its own transaction (one failure does not stop the rest), then record the run.

    Who: the worker's periodic job and ``manage.py apply_retention``. Audits: one
    CASE_SHREDDED per case, and RETENTION_RUN with the counts (in the account chain: it
    names no case). Emits: nothing.
    """
    now = now or timezone.now()
    found = due_for_shredding(now)
    run = RetentionRun(held=len(found.held))
    for case in found.due:
        try:
            run.shredded.append(shred_case(case_id=case.pk, now=now))
        except Exception:
            run.failed += 1
            logger.exception("shredding a case failed", extra={"event": "retention_failed"})
    with transaction.atomic():
        run.referrals = shred_stale_referrals(now=now)
        record(
            AuditEventType.RETENTION_RUN, actor=None, shredded=len(run.shredded),
            held=run.held, failed=run.failed, referrals=run.referrals,
        )
    logger.info(
        "retention run", extra={"event": "retention_run", "cases": len(run.shredded),
                                "skipped": run.held, "failed": run.failed},
    )
    return run


MAX_REFERENCE = 64


@transaction.atomic
def place_hold(*, actor: User, case_id: uuid.UUID, reason: str, reference: str = "") -> LegalHold:
    """Keep a case's content past its retention period, for a documented reason.

    Who: a hub manager (or admin). Refuses a case already on hold or already shredded, an
    unknown reason, or a reference over 64 characters or with line breaks. Audits:
    LEGAL_HOLD_PLACED with the reason (the reference stays in the hold). Emits: nothing.
    """
    case = lock_case(access_case_as_manager(actor, case_id).pk)
    if reason not in HoldReason.values:
        raise InvalidRequest(
            gettext("Choose the hold's reason from: %(reasons)s.")
            % {"reasons": ", ".join(HoldReason.values)}
        )
    reference = reference.strip()
    if len(reference) > MAX_REFERENCE or not reference.isprintable():
        raise InvalidRequest(
            gettext("The reference must be one line of at most %(max_reference)s characters.")
            % {"max_reference": MAX_REFERENCE}
        )
    if Shredding.objects.filter(case=case).exists():
        raise IllegalTransition(gettext("This case's content has already been shredded."))
    if current_hold(case) is not None:
        raise IllegalTransition(gettext("This case is already on hold."))
    hold = LegalHold.objects.create(
        case=case, reason=reason, reference=reference, placed_by=actor, placed_at=timezone.now()
    )
    record(AuditEventType.LEGAL_HOLD_PLACED, actor=actor, case=case, reason=reason,
           hold_id=hold.pk)
    return hold


@transaction.atomic
def release_hold(*, actor: User, case_id: uuid.UUID) -> LegalHold:
    """End a case's hold: its content goes at the next run if its period has passed.

    Who: a hub manager (or admin). Refuses a case with no hold. Audits:
    LEGAL_HOLD_RELEASED. Emits: nothing.
    """
    case = lock_case(access_case_as_manager(actor, case_id).pk)
    hold = current_hold(case)
    if hold is None:
        raise IllegalTransition(gettext("This case is not on hold."))
    hold.released_by = actor
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_by", "released_at"])
    record(AuditEventType.LEGAL_HOLD_RELEASED, actor=actor, case=case, hold_id=hold.pk)
    return hold
