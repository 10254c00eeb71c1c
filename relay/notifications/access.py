"""Who may see a person's contact details: the person, and the current facilitators of a
case they take part in. Never the other party, never a hub manager as such."""

from __future__ import annotations

from typing import Any

from relay.accounts.access import require_usable
from relay.cases.access import access_case_as_facilitator
from relay.cases.models import Participation
from relay.errors import AccessDenied


def access_participant_contact(user: Any, case_id: Any, side: str) -> Any:
    """The participant on ``side`` of a case ``user`` currently facilitates."""
    case = access_case_as_facilitator(require_usable(user), case_id)
    participation = Participation.objects.filter(case=case, side=side).select_related("user")
    found = participation.first()
    if found is None:
        raise AccessDenied()
    return found.user
