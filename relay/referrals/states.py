"""The pure rules of a referral: its transitions, and what the person reads about a decline."""

from __future__ import annotations

from django.utils.translation import gettext

from relay.errors import IllegalTransition
from relay.referrals.models import DeclineReason, ReferralState

TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.WAITING: frozenset({ReferralState.ACCEPTED, ReferralState.DECLINED}),
    ReferralState.ACCEPTED: frozenset(),
    ReferralState.DECLINED: frozenset(),
}


def check_referral_transition(old: str, new: str) -> None:
    """A referral is decided once: waiting → accepted or declined."""
    if new not in TRANSITIONS.get(old, frozenset()):
        raise IllegalTransition(gettext("This referral has been decided already."))


# What the person who referred reads on the status page, for each reason.
DECLINE_TEXT: dict[str, str] = {
    DeclineReason.NOT_REPORTED: (
        "Restorative justice through the hub needs the crime to have been reported to the "
        "police. You can still report it, and the services below can help you decide."
    ),
    DeclineReason.NO_IDENTIFIED_PERSON: (
        "No one has been identified as responsible for what happened, so there is no one "
        "the hub could contact for you."
    ),
    DeclineReason.OUTSIDE_AREA: (
        "What happened is outside the area the hub covers. The services below can put you "
        "in touch with the right service."
    ),
    DeclineReason.NOT_SAFE: (
        "After looking at what you told us, we do not think restorative justice would be "
        "safe or helpful for you at the moment."
    ),
    DeclineReason.NO_CONTACT: (
        "We tried to contact you in the ways you asked but could not reach you. You are "
        "welcome to refer yourself again."
    ),
    DeclineReason.OTHER_SERVICE: (
        "Another service can help you better with what you told us than restorative "
        "justice can."
    ),
}
