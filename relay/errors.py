"""The errors every layer shares. Views and consumers turn them into wire replies."""

from __future__ import annotations

from django.utils.translation import gettext


class RelayError(Exception):
    """Base class: ``code`` is stable and machine-readable; the message is plain words for people.

    The message is in the hub's language: raise sites pass it through ``gettext``
    (tests/test_error_messages.py checks they do), so clients branch on ``code``.
    """

    code = "error"
    status = 400  # the HTTP status the API answers with

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class AccessDenied(RelayError):
    """The object does not exist or is not yours: the same error for both, on purpose."""

    code = "not_found"
    status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            gettext("Not found, or you do not have access to it.") if message is None else message
        )


class NotSignedIn(AccessDenied):
    """No signed-in user."""

    code = "not_signed_in"
    status = 401

    def __init__(self) -> None:
        super().__init__(gettext("Please sign in."))


class AccountSuspended(AccessDenied):
    """The account is suspended (or deactivated): nothing is reachable."""

    code = "suspended"
    status = 403

    def __init__(self) -> None:
        super().__init__(gettext("This account is suspended."))


class SecondFactorRequired(AccessDenied):
    """The user must pass their second factor in this session first (invariant 6)."""

    code = "second_factor_required"
    status = 403

    def __init__(self) -> None:
        super().__init__(gettext("Confirm your second factor to reach case data."))


class InvalidRequest(RelayError):
    """The request is malformed; nothing was changed."""

    code = "invalid"


class IllegalTransition(RelayError):
    """The requested change is not allowed from the current state."""

    code = "conflict"
    status = 409


class EnvelopeRejected(RelayError):
    """An envelope failed structure or recipient-set validation; nothing was stored."""

    code = "envelope_rejected"
