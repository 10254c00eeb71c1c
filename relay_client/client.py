"""A Python client for Relay that speaks the real protocol: HTTPS JSON API and WebSocket.

It does everything a participant or a facilitator does: sign in with a password-derived
login key, register and unwrap keys, send, moderate (forward, return, reject), receive,
pause, resume and withdraw. The test suite and the demo use it; docs/api.md documents the
endpoints it calls.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from relay_client import crypto
from relay_client.casekeys import (
    CaseKeys,
    TrustedKey,
    UntrustedMessage,
    author_of,
    open_message,
    recipient_from_wire,
    recipients,
    rewrapper_key,
    trusted_keys,
)
from relay_client.crypto import KdfParams, KeyPair

# What each close code from the server means (docs/api.md, "Close codes"), and whether
# reconnecting can help. Any other code (1001, 1006, 1011, …) means: reconnect with backoff
# and say ``hello`` with the last ``seq`` seen.
CLOSE_CODES: dict[int, tuple[str, bool]] = {
    4001: ("your session ended (signed out, password changed, suspended or withdrawn)", False),
    4002: ("your session ended after a time without activity: sign in again", False),
    4003: ("this page's address is not allowed to connect", False),
    4400: ("the server refused too many malformed frames", True),
    4401: ("you are not signed in", False),
    4403: ("your second factor has not been confirmed", False),
    4413: ("a frame was larger than the server accepts", True),
    4415: ("the server accepts text frames only", True),
    4429: ("too many connections are open for this account: close some first", False),
}


def should_reconnect(code: int | None) -> bool:
    """Whether a socket closed with ``code`` should reconnect (False: the person must act:
    sign in again, pass the second factor, or close other connections)."""
    return CLOSE_CODES.get(code or 0, ("", True))[1]


class SocketClosed(ConnectionClosed):
    """The server closed the socket; ``close_code``, ``meaning`` and ``reconnect`` say why and
    what to do. A ``ConnectionClosed``, so callers that catch that keep working."""

    def __init__(self, closed: ConnectionClosed) -> None:
        super().__init__(closed.rcvd, closed.sent, closed.rcvd_then_sent)
        self.close_code = closed.rcvd.code if closed.rcvd is not None else None
        self.meaning = CLOSE_CODES.get(self.close_code or 0, ("the connection was lost", True))[0]
        self.reconnect = should_reconnect(self.close_code)


class RelayApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class RelayClient:
    """One signed-in person on one device."""

    def __init__(
        self,
        base_url: str,
        *,
        kdf_floor_opslimit: int = crypto.KDF_FLOOR_OPSLIMIT,
        kdf_floor_memlimit: int = crypto.KDF_FLOOR_MEMLIMIT,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = urlparse(self.base_url)
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        self.kdf_floor = (kdf_floor_opslimit, kdf_floor_memlimit)
        self.me: dict[str, Any] = {}
        self.keypair: KeyPair | None = None
        self._wrap_key = b""
        self._login_key = ""
        self.last_seq = 0
        self._case_keys: dict[str, CaseKeys] = {}

    # --- HTTP plumbing --------------------------------------------------------------------

    def _csrf(self) -> str:
        token = self.http.cookies.get("csrftoken")
        if token is None:
            token = self.get("/api/csrf")["csrf_token"]
        return token

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                err = response.json()["error"]
                raise RelayApiError(response.status_code, err["code"], err["message"])
            except (ValueError, KeyError, TypeError):
                raise RelayApiError(response.status_code, "http", response.text[:200]) from None
        return response.json()

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._check(self.http.get(path, params=params))

    def _write_headers(self) -> dict[str, str]:
        """What Django's CSRF protection asks of a write: the token, and this origin."""
        return {"X-CSRFToken": self._csrf(), "Origin": self.origin, "Referer": self.origin + "/"}

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._check(self.http.post(path, json=body or {}, headers=self._write_headers()))

    def delete(self, path: str) -> dict[str, Any]:
        return self._check(self.http.delete(path, headers=self._write_headers()))

    # --- signing in and keys ---------------------------------------------------------------

    def password_keys(self, username: str, password: str) -> crypto.PasswordKeys:
        return self._derive(password, self._params(self.salt(username)))

    def salt(self, username: str) -> dict[str, Any]:
        """The Argon2id salt and parameters for a username; sent in the body, so the
        username stays out of URLs and access logs."""
        return self._check(self.http.post("/api/salt", json={"username": username}))

    def sign_in(
        self, username: str, password: str, *, otp_token: str | None = None
    ) -> dict[str, Any]:
        """Derive the login key, sign in, pass the second factor if given one, and unwrap the
        private key if one is stored (staff only after their second factor)."""
        keys = self.password_keys(username, password)
        self.me = self.post("/api/session", {"username": username, "login_key": keys.login_key_b64})
        self._wrap_key = keys.wrap_key
        self._login_key = keys.login_key_b64
        if otp_token is not None:
            self.complete_second_factor(otp_token)
        elif self.me.get("key_id") and not self.me.get("second_factor_required"):
            self.unwrap_stored_key()
        return self.me

    def complete_second_factor(self, token: str) -> dict[str, Any]:
        self.me = self.post("/api/otp/verify", {"token": token})
        if self.me.get("key_id"):
            self.unwrap_stored_key()
        return self.me

    def unwrap_stored_key(self) -> KeyPair:
        stored = self.get("/api/keys/wrapped")
        secret = crypto.unwrap_secret_key(
            crypto.unb64(stored["wrapped_key_nonce"]),
            crypto.unb64(stored["wrapped_private_key"]),
            self._wrap_key,
        )
        self.keypair = KeyPair.from_secret(secret)
        return self.keypair

    def register_new_key(self) -> KeyPair:
        """Create a key pair on this device, wrap it, and register it (proving the password
        with the current login key, which the server requires to replace the stored wrap)."""
        keypair = KeyPair.generate()
        nonce, box = crypto.wrap_secret_key(keypair.secret, self._wrap_key)
        self.post(
            "/api/keys",
            {
                "login_key": self._login_key,
                "public_key": crypto.b64(keypair.public),
                "wrapped_private_key": crypto.b64(box),
                "wrapped_key_nonce": crypto.b64(nonce),
            },
        )
        self.keypair = keypair
        self.me["key_id"] = keypair.key_id
        return keypair

    def sign_out(self) -> None:
        self.delete("/api/session")

    # --- enrolment, password, second factor, recovery -----------------------------------------

    def _params(self, reply: dict[str, Any]) -> KdfParams:
        return KdfParams(crypto.unb64(reply["salt"]), reply["opslimit"], reply["memlimit"])

    def _derive(self, password: str, params: KdfParams) -> crypto.PasswordKeys:
        """Refuses parameters below this client's floor (``WeakKdfParameters``)."""
        return crypto.derive_password_keys(
            password, params, floor_opslimit=self.kdf_floor[0], floor_memlimit=self.kdf_floor[1]
        )

    def check_code(self, code: str) -> dict[str, Any]:
        """Who an enrolment code is for and the KDF parameters to use."""
        return self.post("/api/enrol/check", {"code": code})

    def enrol(
        self, code: str, password: str, *, recovery_key: str | None = None
    ) -> dict[str, Any]:
        """Enrol with the code from a facilitator or hub manager: derive the login and wrap
        keys from the chosen password, create a key pair on this device (or, with a recovery
        key, restore the earlier one), wrap it, and sign in."""
        check = self.check_code(code)
        keys = self._derive(password, self._params(check))
        if recovery_key is not None:
            stored = check.get("recovery_wrap")
            if stored is None:
                raise crypto.CryptoError("No recovery key was set up for this account.")
            keypair = KeyPair.from_secret(
                crypto.unwrap_secret_key(
                    crypto.unb64(stored["wrapped_key_nonce"]),
                    crypto.unb64(stored["wrapped_private_key"]),
                    crypto.recovery_wrap_key(recovery_key),
                )
            )
        else:
            keypair = KeyPair.generate()
        nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
        self.me = self.post(
            "/api/enrol",
            {
                "code": code,
                "login_key": keys.login_key_b64,
                "public_key": crypto.b64(keypair.public),
                "wrapped_private_key": crypto.b64(box),
                "wrapped_key_nonce": crypto.b64(nonce),
            },
        )
        self._wrap_key = keys.wrap_key
        self._login_key = keys.login_key_b64
        self.keypair = keypair
        return self.me

    def change_password(self, current: str, new: str) -> dict[str, Any]:
        """Re-wrap this device's private key under the new password (same salt) and send
        both login keys; every other session of this account ends."""
        assert self.keypair is not None, "sign in and unwrap the key first"
        params = self._params(self.salt(self.me["username"]))
        old_keys = self._derive(current, params)
        new_keys = self._derive(new, params)
        nonce, box = crypto.wrap_secret_key(self.keypair.secret, new_keys.wrap_key)
        self.me = self.post(
            "/api/password",
            {
                "login_key": old_keys.login_key_b64,
                "new_login_key": new_keys.login_key_b64,
                "wrapped_private_key": crypto.b64(box),
                "wrapped_key_nonce": crypto.b64(nonce),
            },
        )
        self._wrap_key = new_keys.wrap_key
        self._login_key = new_keys.login_key_b64
        return self.me

    def otp_setup(self) -> dict[str, Any]:
        """Start setting up an authenticator app: ``{"otpauth_uri", "qr_svg"}``."""
        return self.get("/api/otp/setup")

    def otp_confirm(self, token: str) -> list[str]:
        """Confirm the authenticator; returns the ten single-use backup codes."""
        codes = self.post("/api/otp/confirm", {"token": token})["backup_codes"]
        self.me = self.get("/api/me")
        return codes

    def create_recovery_key(self) -> str:
        """Wrap this device's private key a second time under a new printable recovery key,
        store the wrap, and return the key for the person to print and keep."""
        assert self.keypair is not None
        recovery_key = crypto.new_recovery_key()
        nonce, box = crypto.wrap_secret_key(
            self.keypair.secret, crypto.recovery_wrap_key(recovery_key)
        )
        self.post(
            "/api/keys/recovery-wrap",
            {"wrapped_private_key": crypto.b64(box), "wrapped_key_nonce": crypto.b64(nonce)},
        )
        return recovery_key

    # --- staff: invitations, suspension, recovery of others -------------------------------------

    def invite_participant(self, case_id: str, side: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/invitations", {"side": side})

    def invite_staff(self, username: str, role: str, display_name: str = "") -> dict[str, Any]:
        return self.post(
            "/api/staff/invitations",
            {"username": username, "role": role, "display_name": display_name},
        )

    def suspend(self, user_id: str) -> dict[str, Any]:
        return self.post(f"/api/staff/users/{user_id}/suspend")

    def reinstate(self, user_id: str) -> dict[str, Any]:
        return self.post(f"/api/staff/users/{user_id}/reinstate")

    def reset_participant(self, case_id: str, side: str) -> dict[str, Any]:
        """After checking who they are out of band: a new enrolment code for a participant
        who lost their password."""
        return self.post(f"/api/cases/{case_id}/participants/{side}/reset")

    def rewrap_history(self, case_id: str, side: str) -> int:
        """Re-encrypt a re-enrolled participant's case history to their new key: open each
        message's content key with this facilitator's key and box it to the new key.
        Returns how many messages were re-encrypted. The facilitator should have verified
        the new key's fingerprint with the participant first."""
        assert self.keypair is not None
        pending = self.get(f"/api/cases/{case_id}/participants/{side}/rewrap")
        target = recipient_from_wire(pending["key"])
        known: dict[str, bytes] = {}
        for key_id, raw in pending["sender_keys"].items():
            public = crypto.unb64(raw)
            if crypto.key_id_for(public) == key_id:
                known[key_id] = public
        trusted = self.trusted_keys(case_id, refresh=True)
        done = 0
        for message in pending["messages"]:
            envelope = message["envelope"]
            sender = envelope["header"]["sender_key_id"]
            wrapper = crypto.rewrapped_by(envelope, self.keypair)
            record = crypto.rewrap_content_key(
                envelope,
                self.keypair,
                trusted[sender].public_key if sender in trusted else known.get(sender),
                target,
                wrapper_public_key=rewrapper_key(trusted, wrapper) if wrapper else None,
            )
            self.post(f"/api/messages/{message['message_id']}/rewrap", record)
            done += 1
        return done

    # --- cases --------------------------------------------------------------------------------

    def cases(self) -> list[dict[str, Any]]:
        return self.get("/api/cases")["cases"]

    def case_keys(self, case_id: str, *, refresh: bool = False) -> CaseKeys:
        """The case's keys as last read, or read now (``refresh``, or never read yet)."""
        if refresh or case_id not in self._case_keys:
            self._case_keys[case_id] = CaseKeys.from_summary(self.get(f"/api/cases/{case_id}"))
        return self._case_keys[case_id]

    def trusted_keys(self, case_id: str, *, refresh: bool = False) -> dict[str, TrustedKey]:
        """Every key this reader trusts in the case, with its owner (``casekeys``)."""
        assert self.keypair is not None, "sign in and unwrap or register a key first"
        keys = self.case_keys(case_id, refresh=refresh)
        return trusted_keys(keys, self.keypair, self.me["user_id"])

    # --- building envelopes ------------------------------------------------------------------

    def compose(
        self,
        case_id: str,
        kind: str,
        text: str,
        *,
        message_id: str | None = None,
        derived_from: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A participant's envelope: to the case's facilitators and their own key."""
        assert self.keypair is not None
        keys = self.case_keys(case_id)
        return crypto.seal(
            sender=self.keypair,
            sender_id=self.me["user_id"],
            case_id=case_id,
            kind=kind,
            recipients=recipients(keys, me=self.keypair),
            payload={"body": text, **(extra or {})},
            message_id=message_id or str(uuid.uuid4()),
            derived_from=derived_from,
        )

    def compose_for_participant(
        self, case_id: str, side: str, kind: str, text: str, *,
        derived_from: str | None = None, edited: bool = False, keys: CaseKeys | None = None,
    ) -> dict[str, Any]:
        """A facilitator's envelope: to one participant and every facilitator of the case,
        with ``keys`` when the caller has just fetched them, else with freshly fetched ones."""
        assert self.keypair is not None
        if keys is None:
            keys = self.case_keys(case_id, refresh=True)
        return crypto.seal(
            sender=self.keypair,
            sender_id=self.me["user_id"],
            case_id=case_id,
            kind=kind,
            recipients=recipients(keys, to=side),
            payload={"body": text},
            derived_from=derived_from,
            edited=edited,
        )

    def open(self, message: dict[str, Any]) -> dict[str, Any]:
        """Open a message wire dict with keys this client trusts for the case, reading them
        again once if a key it needs is unknown; returns the payload. Raises
        ``UntrustedMessage`` (an ``EnvelopeOpenError``) for an untrusted writer or
        re-encrypter, or a header naming someone other than its key's owner."""
        assert self.keypair is not None
        case_id = message["envelope"]["header"]["case_id"]
        try:
            return open_message(message, self.trusted_keys(case_id), self.keypair).payload
        except UntrustedMessage as refused:
            if not refused.unknown_key:
                raise
        trusted = self.trusted_keys(case_id, refresh=True)
        return open_message(message, trusted, self.keypair).payload

    # --- participant actions ------------------------------------------------------------------

    def send(self, case_id: str, kind: str, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.post("/api/messages", {"envelope": self.compose(case_id, kind, text, **kwargs)})

    def send_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        return self.post("/api/messages", {"envelope": envelope})

    def retract(self, message_id: str) -> dict[str, Any]:
        return self.post(f"/api/messages/{message_id}/retract")

    def pause(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/pause")

    def resume(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/resume")

    def withdraw(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/withdraw")

    # --- facilitator actions ---------------------------------------------------------------------

    def queue(self, case_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/cases/{case_id}/queue")["messages"]

    def _decision_keys(self, message: dict[str, Any]) -> tuple[CaseKeys, str]:
        """The case's current keys, fetched once for a decision on ``message``, and the side
        of the participant who wrote it (the owner of its key: ``casekeys.author_of``)."""
        trusted = self.trusted_keys(message["case_id"], refresh=True)
        author = author_of(message["envelope"]["header"], trusted)
        if author.role != "participant" or author.side is None:
            raise ValueError("Only a participant's message waits for a decision.")
        return self.case_keys(message["case_id"]), author.side

    def forward(self, message: dict[str, Any], *, edited_text: str | None = None) -> dict[str, Any]:
        """Open the participant's message and forward it (or an edited version) to the other
        party, as a new envelope from this facilitator's key."""
        keys, side = self._decision_keys(message)
        original = self.open(message)
        target = "responsible" if side == "harmed" else "harmed"
        text = original["body"] if edited_text is None else edited_text
        envelope = self.compose_for_participant(
            message["case_id"], target, message["kind"], text, keys=keys,
            derived_from=message["message_id"], edited=edited_text is not None,
        )
        return self.post(f"/api/messages/{message['message_id']}/forward", {"envelope": envelope})

    def return_to_sender(self, message: dict[str, Any], note: str) -> dict[str, Any]:
        keys, side = self._decision_keys(message)
        envelope = self.compose_for_participant(
            message["case_id"], side, "return_note", note, keys=keys,
            derived_from=message["message_id"],
        )
        return self.post(f"/api/messages/{message['message_id']}/return", {"envelope": envelope})

    def reject(self, message: dict[str, Any], reason: str) -> dict[str, Any]:
        keys, side = self._decision_keys(message)
        envelope = self.compose_for_participant(
            message["case_id"], side, "rejection_reason", reason, keys=keys,
            derived_from=message["message_id"],
        )
        return self.post(f"/api/messages/{message['message_id']}/reject", {"envelope": envelope})

    def write_to_participant(self, case_id: str, side: str, text: str) -> dict[str, Any]:
        envelope = self.compose_for_participant(case_id, side, "facilitator_note", text)
        return self.post("/api/messages", {"envelope": envelope})

    def verify_participant_key(
        self, case_id: str, side: str, method: str = "phone"
    ) -> dict[str, Any]:
        keys = self.case_keys(case_id, refresh=True)
        key_id = keys.participants[side].key_id
        return self.post(f"/api/cases/{case_id}/keys/{key_id}/verify", {"method": method})

    # --- receiving --------------------------------------------------------------------------------

    def catch_up(self) -> list[dict[str, Any]]:
        """Fetch every event after the last one seen, in order (HTTP). Sequence numbers
        increase but may skip: the events of a case this user no longer belongs to are
        not returned, and reading again can never fill such a gap."""
        seen: list[dict[str, Any]] = []
        while True:
            page = self.get("/api/events", after=self.last_seq)
            for event in page["events"]:
                if event["seq"] <= self.last_seq:
                    raise RuntimeError(f"event {event['seq']} out of order")
                self.last_seq = event["seq"]
                seen.append(event)
            if not page["events"] or self.last_seq >= page["latest"]:
                return seen

    @contextmanager
    def socket(self) -> Iterator[RelaySocket]:
        """Open the WebSocket with this session's cookies and say where we are."""
        ws_url = self.base_url.replace("http", "ws", 1) + "/ws/"
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        with connect(
            ws_url,
            origin=Origin(self.origin),
            additional_headers={"Cookie": cookie},
            open_timeout=10,
            max_size=2**21,
        ) as conn:
            sock = RelaySocket(conn, self)
            sock.hello()
            yield sock


class RelaySocket:
    """A connected WebSocket. Events update the owning client's ``last_seq``."""

    def __init__(self, conn: ClientConnection, client: RelayClient) -> None:
        self.conn = conn
        self.client = client
        self.pending_events: list[dict[str, Any]] = []

    def _recv(self, timeout: float) -> dict[str, Any]:
        try:
            text = self.conn.recv(timeout=timeout)
        except SocketClosed:
            raise
        except ConnectionClosed as closed:
            raise SocketClosed(closed) from closed
        frame = json.loads(text)
        if frame.get("type") == "event":
            event = frame["event"]
            if event["seq"] <= self.client.last_seq:
                raise RuntimeError(f"duplicate event {event['seq']}")
            if event["seq"] != self.client.last_seq + 1:
                self._fill_gap(event["seq"])
            self.client.last_seq = event["seq"]
            self.pending_events.append(event)
        return frame

    def _fill_gap(self, up_to: int) -> None:
        """A gap before event ``up_to``: read what the server holds in it over HTTP. It may
        hold nothing there (events of a case this user no longer belongs to are never
        sent), and reading again can never fill such a gap."""
        while self.client.last_seq < up_to - 1:
            page = self.client.get("/api/events", after=self.client.last_seq)
            missed = [e for e in page["events"] if e["seq"] < up_to]
            for event in missed:
                self.client.last_seq = event["seq"]
                self.pending_events.append(event)
            if len(missed) < len(page["events"]) or not missed:
                return

    def hello(self, timeout: float = 10) -> None:
        welcome = self._recv(timeout)
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"expected welcome, got {welcome.get('type')}")
        self.conn.send(json.dumps({"type": "hello", "last_seq": self.client.last_seq}))
        while self._recv(timeout).get("type") != "ready":
            pass

    def request(self, op: str, timeout: float = 10, **payload: Any) -> dict[str, Any]:
        ref = uuid.uuid4().hex
        self.conn.send(json.dumps({"type": op, "ref": ref, **payload}))
        while True:
            frame = self._recv(timeout)
            if frame.get("ref") == ref:
                if frame["type"] == "error":
                    raise RelayApiError(0, frame["code"], frame["message"])
                return frame["result"]

    def events(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Wait until ``count`` events have arrived since the last call; return them."""
        while len(self.pending_events) < count:
            self._recv(timeout)
        taken, self.pending_events = self.pending_events[:count], self.pending_events[count:]
        return taken

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        """The next event, waiting up to ``timeout`` seconds; None if none arrived."""
        if self.pending_events:
            return self.pending_events.pop(0)
        try:
            self._recv(timeout)
        except TimeoutError:
            return None
        return self.pending_events.pop(0) if self.pending_events else None

    def drain(self, quiet: float = 0.5) -> list[dict[str, Any]]:
        """Read until the socket is quiet for ``quiet`` seconds; return the events."""
        try:
            while True:
                self._recv(quiet)
        except TimeoutError:
            pass
        taken, self.pending_events = self.pending_events, []
        return taken
