"""Reads of referrals: the intake list, the status page, a referrer's own, and the figures
the statistics draw (docs/intake.md)."""

from __future__ import annotations

import datetime
import hmac
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts import throttle
from relay.accounts.models import User
from relay.errors import AccessDenied
from relay.hub.selectors import hub
from relay.referrals.actions import STATUS_SCOPE, check_hash, normalize_code
from relay.referrals.models import Referral, ReferralState
from relay.referrals.states import DECLINE_TEXT


def _decision(referral: Referral) -> dict[str, Any]:
    """What the person who referred may know of the decision."""
    declined = referral.state == ReferralState.DECLINED
    return {
        "reference": referral.reference,
        "state": referral.state,
        "received_on": referral.received_at.date().isoformat(),
        "decided_on": referral.decided_at.date().isoformat() if referral.decided_at else None,
        "reason": (
            {"code": referral.decline_reason, "text": DECLINE_TEXT[referral.decline_reason]}
            if declined
            else None
        ),
        "signposting": list(referral.signposting) if declined else [],
    }


def status_for_code(*, reference: Any, check_code: Any, address: str) -> dict[str, Any]:
    """The status page: the decision on the referral with this reference, for whoever has
    its check code, and how to reach the hub. A wrong pair is ``AccessDenied`` (the same as
    an unknown reference) and counts against the address
    (``RELAY_THROTTLE_LIMITS["referral_status"]``)."""
    throttle.check(STATUS_SCOPE, account=None, address=address)
    ok = isinstance(reference, str) and isinstance(check_code, str)
    ok = ok and len(reference) <= 20 and len(check_code) <= 30
    referral = (
        Referral.objects.filter(reference=normalize_code(reference)).first() if ok else None
    )
    if referral is None or not hmac.compare_digest(
        referral.check_hash, check_hash(reference, check_code)
    ):
        throttle.fail(STATUS_SCOPE, account=None, address=address)
        raise AccessDenied(gettext("No referral has this reference and check code."))
    value = hub()
    return {
        **_decision(referral),
        "hub": {
            "name": value.name,
            "phone": value.phone,
            "email": value.email,
            "opening_hours": value.opening_hours,
        },
    }


def referral_wire(referral: Referral) -> dict[str, Any]:
    """A referral as the hub managers see it: the facts in clear, the sealed content to
    open with the intake key, and the decision."""
    return {
        "referral_id": str(referral.pk),
        "reference": referral.reference,
        "source": referral.source,
        "side": referral.side,
        "received_at": referral.received_at.isoformat(),
        "intake_key_id": referral.intake_key_id,
        "sealed": referral.sealed,
        "state": referral.state,
        "decided_at": referral.decided_at.isoformat() if referral.decided_at else None,
        "case_id": str(referral.case_id) if referral.case_id else None,
        "case_reference": referral.case.reference if referral.case else None,
        "decline_reason": referral.decline_reason or None,
        "signposting": [s["key"] for s in referral.signposting],
        "referrer": (
            {"user_id": str(referral.referrer.pk), "display_name": referral.referrer.display_name}
            if referral.referrer
            else None
        ),
        "consent": (
            {
                "given_by": referral.consent_given_by,
                "method": referral.consent_method,
                "given_on": referral.consent_given_on.isoformat(),
            }
            if referral.consent_given_on
            else None
        ),
    }


def intake_list(*, decided_days: int = 30) -> dict[str, Any]:
    """The referrals waiting, oldest first, and those decided in the last ``decided_days``."""
    rows = Referral.objects.select_related("case", "referrer")
    since = timezone.now() - datetime.timedelta(days=decided_days)
    return {
        "waiting": [
            referral_wire(r) for r in rows.filter(state=ReferralState.WAITING)
        ],
        "decided": [
            referral_wire(r)
            for r in rows.exclude(state=ReferralState.WAITING)
            .filter(decided_at__gte=since)
            .order_by("-decided_at")
        ],
    }


def referrals_of(referrer: User) -> list[dict[str, Any]]:
    """A professional's own referrals, newest first, with what was decided."""
    rows = Referral.objects.filter(referrer=referrer).order_by("-received_at")
    return [{**_decision(r), "source": r.source, "side": r.side} for r in rows]


def referrals_by_source_and_month(
    first: datetime.date, last: datetime.date
) -> list[tuple[datetime.date, str, int]]:
    """For the statistics: how many referrals arrived in each month from ``first`` to
    ``last`` (first days of months, both included), by source: ``(month, source, count)``
    for the pairs with at least one."""
    end = (last.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    rows = (
        Referral.objects.filter(received_at__date__gte=first, received_at__date__lt=end)
        .annotate(month=TruncMonth("received_at"))
        .values("month", "source")
        .annotate(n=Count("id"))
        .order_by("month", "source")
    )
    return [
        (
            row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"],
            row["source"],
            row["n"],
        )
        for row in rows
    ]


def referral_for_case(case_id: Any) -> Referral | None:
    """The referral a case was opened from, or None for a case opened otherwise."""
    return Referral.objects.filter(case_id=case_id).first()
