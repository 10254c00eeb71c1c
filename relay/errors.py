"""The errors every layer shares. Views and consumers turn them into wire replies."""

from __future__ import annotations


class RelayError(Exception):
    """Base class: ``code`` is stable and machine-readable, the message is plain English."""

    code = "error"

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

    def __init__(self, message: str = "Not found, or you do not have access to it.") -> None:
        super().__init__(message)


class InvalidRequest(RelayError):
    """The request is malformed; nothing was changed."""

    code = "invalid"


class IllegalTransition(RelayError):
    """The requested change is not allowed from the current state."""

    code = "conflict"


class EnvelopeRejected(RelayError):
    """An envelope failed structure or recipient-set validation; nothing was stored."""

    code = "envelope_rejected"
