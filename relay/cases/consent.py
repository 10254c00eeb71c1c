"""The consent rule per communication mode (DESIGN §7): one function every app calls
before anything happens in a mode, so messages, meetings and recordings obey the same rule.

A participant's current consent is ``Participation.consented_modes``; every change to it is
a ``ConsentChange`` row (the history), written by ``relay.cases.actions.give_consent`` and
``withdraw_consent``.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from relay.cases.models import CommunicationMode, ConsentHow, Participation
from relay.cases.states import COMMUNICATION_MODES, consents_to
from relay.errors import IllegalTransition, InvalidRequest

# The refusal for each mode, a whole sentence each so a translator sees it as it is shown.
NO_CONSENT = {
    CommunicationMode.MESSAGES: gettext_lazy(
        "There is no current consent to messages and letters for this person,"
        " so this cannot happen in that way."
    ),
    CommunicationMode.RECORDED_MEDIA: gettext_lazy(
        "There is no current consent to recorded audio or video for this person,"
        " so this cannot happen in that way."
    ),
    CommunicationMode.CONFERENCE: gettext_lazy(
        "There is no current consent to a phone or video conference for this person,"
        " so this cannot happen in that way."
    ),
    CommunicationMode.IN_PERSON: gettext_lazy(
        "There is no current consent to meeting in person for this person,"
        " so this cannot happen in that way."
    ),
}
NO_CONSENT_TO_THIS = gettext_lazy(
    "There is no current consent to this for this person, so this cannot happen in that way."
)
# How a facilitator may say they heard a participant's consent (never "self").
RECORDED_BY_FACILITATOR = frozenset({ConsentHow.PHONE, ConsentHow.IN_PERSON, ConsentHow.LETTER})


def require_consent(participation: Participation, mode: str) -> None:
    """Refuse (``consent_missing``) unless ``participation`` currently consents to ``mode``.

    The one rule for every mode: ``relay.moderation`` calls it before a message for the
    other party is accepted or forwarded, and meetings call it with ``conference`` or
    ``in_person`` before inviting. Call it under the case row lock, on a row read under it.
    """
    if not consents_to(participation.consented_modes, mode):
        raise IllegalTransition(
            str(NO_CONSENT.get(CommunicationMode(mode), NO_CONSENT_TO_THIS))
            if mode in CommunicationMode.values
            else str(NO_CONSENT_TO_THIS),
            code="consent_missing",
        )


def clean_modes(modes: object) -> list[str]:
    """The modes asked for, checked: a non-empty list of known communication modes."""
    if not isinstance(modes, list | tuple | set | frozenset) or not modes:
        raise InvalidRequest(
            gettext("Choose at least one of: %(modes)s.")
            % {"modes": ", ".join(sorted(COMMUNICATION_MODES))}
        )
    chosen = sorted({str(m) for m in modes})
    if not set(chosen) <= COMMUNICATION_MODES:
        raise InvalidRequest(
            gettext("Choose at least one of: %(modes)s.")
            % {"modes": ", ".join(sorted(COMMUNICATION_MODES))}
        )
    return chosen
