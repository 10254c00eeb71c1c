"""Who may reach a message. Each function returns the message or raises ``AccessDenied``."""

from __future__ import annotations

from typing import Any

from relay.accounts.models import User
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_member,
    access_case_as_participant,
)
from relay.errors import AccessDenied
from relay.moderation.models import Message
from relay.moderation.selectors import message_for_recipient


def access_message(user: User, message_id: Any) -> Message:
    """A message the user holds a wrapped key for, in a case they are still a member of
    (a facilitator taken off the case keeps no access through old keys)."""
    message = message_for_recipient(user, message_id)
    if message is None:
        raise AccessDenied()
    access_case_as_member(user, message.case_id)
    return message


def access_own_message(user: User, message_id: Any) -> Message:
    """A message the user sent, in a case they take part in (to retract it)."""
    message = Message.objects.filter(pk=message_id, sender=user).first()
    if message is None:
        raise AccessDenied()
    access_case_as_participant(user, message.case_id)
    return message


def access_message_as_facilitator(user: User, message_id: Any) -> Message:
    """A message of a case the user is a current facilitator of (whether or not it was
    sealed to them). Anyone else (a participant, a supporter, another case's facilitator)
    gets the same refusal as for a message that does not exist."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise AccessDenied()
    access_case_as_facilitator(user, message.case_id)
    return message
