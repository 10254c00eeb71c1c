"""Who may reach a meeting. Each returns the meeting or raises ``AccessDenied`` (the same
for "missing" and "not yours")."""

from __future__ import annotations

from typing import Any

from relay.accounts.access import as_uuid, require_usable
from relay.accounts.models import Role
from relay.cases.access import is_current_facilitator
from relay.errors import AccessDenied
from relay.scheduling.models import Invitee, Meeting


def find_meeting(meeting_id: Any) -> Meeting:
    meeting = Meeting.objects.select_related("case").filter(pk=as_uuid(meeting_id)).first()
    if meeting is None:
        raise AccessDenied()
    return meeting


def access_meeting_as_facilitator(user: Any, meeting_id: Any) -> Meeting:
    """A current facilitator of the meeting's case."""
    user = require_usable(user)
    meeting = find_meeting(meeting_id)
    if not is_current_facilitator(user, meeting.case_id):
        raise AccessDenied()
    return meeting


def access_meeting_as_invitee(user: Any, meeting_id: Any) -> tuple[Meeting, Invitee]:
    """Someone invited to the meeting."""
    user = require_usable(user)
    meeting = find_meeting(meeting_id)
    invitee = Invitee.objects.filter(meeting=meeting, user=user).first()
    if invitee is None:
        raise AccessDenied()
    return meeting, invitee


def access_meeting(user: Any, meeting_id: Any) -> tuple[Meeting, Invitee | None]:
    """A facilitator of the case (invitee None) or an invitee."""
    user = require_usable(user)
    if user.role == Role.FACILITATOR:
        return access_meeting_as_facilitator(user, meeting_id), None
    return access_meeting_as_invitee(user, meeting_id)
