"""What an app needs to declare the operations it offers clients.

Each app lists its operations in its own ``operations.py`` as ``OPERATIONS: dict[str,
Operation]``; ``relay.operations`` merges those tables into the one every surface reads:
``relay.api.urls`` builds the HTTP routes from it and ``relay.consumers`` takes its frame
types from it. This module imports no app, so any app may declare operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

# Who may ask for an operation at all, checked before its input is read:
# "usable" — signed in, not suspended, past any second factor they need;
# "any_factor" — signed in and not suspended (setting up or passing the second factor);
# "anonymous" — anyone; the handler decides (signing in, enrolling with a code).
Auth = Literal["usable", "any_factor", "anonymous"]


class Input(BaseModel):
    """An operation's input: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=False)


class Body(Input):
    """An input whose handler reads and checks the body's fields itself, in its own order
    and words (the accounts endpoints); path parameters are declared as fields."""

    model_config = ConfigDict(extra="allow", strict=False)

    def field(self, name: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(name, default)

    def fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Session(Protocol):
    """The HTTP session an operation may change (``relay.api.session`` implements it).
    Operations that need it are offered over HTTP only."""

    def csrf_token(self) -> str: ...

    def authenticate(self, username: str, login_key: str) -> Any: ...

    def sign_in(self, user: Any) -> None: ...

    def sign_out(self) -> None: ...

    def passed_second_factor(self, device: Any) -> None: ...

    def keep_after_password_change(self, user: Any) -> str | None:
        """Keep this session signed in after the password changed; its key."""
        ...


@dataclass(frozen=True)
class Caller:
    """Who asks: the user (possibly anonymous), the address the request came from, and the
    HTTP session when the operation needs one."""

    user: Any
    address: str = ""
    session: Session | None = None


@dataclass(frozen=True)
class Route:
    """An operation's HTTP route, relative to ``/api/`` (Django path syntax)."""

    method: Literal["GET", "POST", "DELETE"]
    path: str
    status: int = 200
    # A read asked before there is a session or a CSRF cookie.
    csrf_exempt: bool = False
    # False: the body is not read (the path names everything the operation needs).
    body: bool = True
    # The handler returns ``{"file": an open binary file, "size": its length}`` and the
    # surface streams the file as application/octet-stream (HTTP only).
    download: bool = False


@dataclass(frozen=True)
class Operation:
    handler: Callable[[Caller, Any], dict[str, Any]]
    schema: type[Input]
    # True for operations that change the relay's records: each records one audit event
    # when allowed. Signing in or out and passing the second factor change only the
    # session, and record none.
    writes: bool
    http: Route | None = None
    # Offered as a WebSocket frame of the same name.
    socket: bool = False
    auth: Auth = "usable"
    # Changes the HTTP session (signing in or out, the second factor): HTTP only.
    session: bool = False

    def __post_init__(self) -> None:
        if self.session and self.socket:
            raise ValueError("An operation that changes the HTTP session is HTTP only.")
        if self.http is not None and self.http.download and self.socket:
            raise ValueError("A download is streamed over HTTP only.")
        if self.http is None and not self.socket:
            raise ValueError("An operation must be offered on some surface.")
