"""A Python client for Relay that speaks the real protocol: HTTPS JSON API and WebSocket.

It does everything a participant or a facilitator does: sign in with a password-derived
login key, register and unwrap keys, send, moderate (forward, return, reject), receive,
pause, resume and withdraw. The test suite and the demo use it; docs/api.md documents the
endpoints it calls.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlparse

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from relay_client import crypto, filecrypt
from relay_client.casekeys import (
    CaseKeys,
    TrustedKey,
    UntrustedMessage,
    author_of,
    held_sides,
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


# The largest attachment piece the server takes in one request (before base64).
PIECE_BYTES = 128 * 1024


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

    # --- the hub and its intake (docs/intake.md) ---------------------------------------------

    def hub(self) -> dict[str, Any]:
        """The hub's public record, with its intake key (anyone)."""
        return self.get("/api/hub")

    def update_hub(self, **changes: Any) -> dict[str, Any]:
        """An admin changes the hub's settings named."""
        return self.post("/api/hub", changes)

    def create_intake_key(self) -> KeyPair:
        """A hub manager or admin makes a new intake key here and publishes it: its private
        half sealed to every current hub manager's and admin's key (their own among them)."""
        assert self.keypair is not None, "sign in and unwrap or register a key first"
        intake = KeyPair.generate()
        holders = self.get("/api/hub/intake-key")["holders"]
        wraps = [
            {
                "key_id": holder["key_id"],
                "sealed_secret": crypto.b64(
                    crypto.seal_secret_to(intake.secret, crypto.unb64(holder["public_key"]))
                ),
            }
            for holder in holders
        ]
        self.post("/api/hub/intake-key", {"public_key": crypto.b64(intake.public), "wraps": wraps})
        return intake

    def intake_keys(self) -> dict[str, KeyPair]:
        """Every intake key this person holds, by intake key id (older ones too)."""
        assert self.keypair is not None, "sign in and unwrap or register a key first"
        reply = self.get("/api/hub/intake-key")
        return {
            wrap["intake_key_id"]: crypto.open_sealed_secret(
                crypto.unb64(wrap["sealed_secret"]), me=self.keypair
            )
            for wrap in reply["wraps"]
        }

    def share_intake_key(self) -> int:
        """Seal the current intake key to the holders who lack it; how many were added."""
        reply = self.get("/api/hub/intake-key")
        current = (reply["intake_key"] or {}).get("key_id")
        intake = self.intake_keys().get(current or "")
        missing = [h for h in reply["holders"] if not h["has_intake_key"]]
        if intake is None or not missing:
            return 0
        wraps = [
            {
                "key_id": holder["key_id"],
                "sealed_secret": crypto.b64(
                    crypto.seal_secret_to(intake.secret, crypto.unb64(holder["public_key"]))
                ),
            }
            for holder in missing
        ]
        self.post("/api/hub/intake-key/share", {"intake_key_id": current, "wraps": wraps})
        return len(wraps)

    def _sealed_referral(self, payload: dict[str, Any]) -> dict[str, Any]:
        intake = self.hub()["intake_key"]
        if intake is None:
            raise RelayApiError(409, "no_intake_key", "The hub has no intake key yet.")
        return crypto.seal_referral(
            intake_public_key=crypto.unb64(intake["public_key"]), payload=payload
        )

    def refer_self(self, payload: dict[str, Any], *, side: str = "harmed") -> dict[str, Any]:
        """A self-referral (no account needed): sealed here to the intake key, with the
        proof of work. Returns the reference and check code."""
        sealed = self._sealed_referral(payload)
        challenge = self.post("/api/referrals/challenge")
        nonce = crypto.solve_proof(challenge["challenge"], challenge["difficulty"])
        return self.post(
            "/api/referrals/self",
            {"sealed": sealed, "side": side,
             "proof": {"challenge": challenge["challenge"], "nonce": nonce}},
        )

    def refer_someone(
        self, payload: dict[str, Any], *, side: str, source: str, consent_given_by: str,
        consent_method: str, consent_given_on: str,
    ) -> dict[str, Any]:
        """A professional referrer refers someone with their consent recorded."""
        return self.post(
            "/api/referrals",
            {"sealed": self._sealed_referral(payload), "side": side, "source": source,
             "consent_given_by": consent_given_by, "consent_method": consent_method,
             "consent_given_on": consent_given_on},
        )

    def referral_status(self, reference: str, check_code: str) -> dict[str, Any]:
        body = {"reference": reference, "check_code": check_code}
        return self.post("/api/referrals/status", body)

    def my_referrals(self) -> list[dict[str, Any]]:
        return self.get("/api/referrals/mine")["referrals"]

    def referrals(self) -> dict[str, Any]:
        """Hub managers: the referrals waiting and those decided lately, each opened here
        (``content``) with the intake keys this person holds (None if none opens it)."""
        reply = self.get("/api/referrals")
        keys = self.intake_keys()
        for referral in [*reply["waiting"], *reply["decided"]]:
            key = keys.get(referral["intake_key_id"])
            referral["content"] = (
                crypto.open_referral(referral["sealed"], intake_key=key) if key else None
            )
        return reply

    def accept_referral(
        self, referral_id: str, *, offence_category: str, complexity: str,
        case_reference: str | None = None,
    ) -> dict[str, Any]:
        return self.post(
            f"/api/referrals/{referral_id}/accept",
            {"offence_category": offence_category, "complexity": complexity,
             "case_reference": case_reference},
        )

    def decline_referral(
        self, referral_id: str, *, reason: str, signposting: list[str]
    ) -> dict[str, Any]:
        return self.post(
            f"/api/referrals/{referral_id}/decline",
            {"reason": reason, "signposting": signposting},
        )

    def facilitators(self) -> list[dict[str, Any]]:
        return self.get("/api/facilitators")["facilitators"]

    def assign_facilitator(self, case_id: str, facilitator_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/facilitators", {"facilitator_id": facilitator_id})

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

    # --- case work (docs/casework.md) --------------------------------------------------------

    def seal_for_facilitators(self, case_id: str, kind: str, text: str) -> dict[str, Any]:
        """A case-work record's words, sealed to exactly the case's current facilitators."""
        assert self.keypair is not None
        keys = self.case_keys(case_id, refresh=True)
        return crypto.seal(
            sender=self.keypair, sender_id=self.me["user_id"], case_id=case_id, kind=kind,
            recipients=list(keys.facilitators.values()), payload={"body": text},
        )

    # --- taking part without a device (docs/casework.md) --------------------------------------

    def hold_participation(
        self, case_id: str, side: str, consent_how: str, consent_given_at: str
    ) -> dict[str, Any]:
        """Hold ``side``'s participation for a person with no device, with their consent:
        how (phone, in_person, letter) and when (an ISO time with its zone)."""
        return self.post(f"/api/cases/{case_id}/held", {
            "side": side, "consent_how": consent_how, "consent_given_at": consent_given_at,
        })

    def enter_for_held(
        self, case_id: str, side: str, kind: str, text: str, *, derived_from: str | None = None
    ) -> dict[str, Any]:
        """Enter a held participant's words: sealed with this facilitator's key to exactly
        the case's facilitators."""
        assert self.keypair is not None
        keys = self.case_keys(case_id, refresh=True)
        envelope = crypto.seal(
            sender=self.keypair, sender_id=self.me["user_id"], case_id=case_id, kind=kind,
            recipients=list(keys.facilitators.values()), payload={"body": text},
            message_id=str(uuid.uuid4()), derived_from=derived_from,
        )
        return self.post(f"/api/cases/{case_id}/held/{side}/messages", {"envelope": envelope})

    def pause_held(self, case_id: str, side: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/held/{side}/pause")

    def resume_held(self, case_id: str, side: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/held/{side}/resume")

    def withdraw_held(self, case_id: str, side: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/held/{side}/withdraw")

    def read_out(self, message_id: str) -> dict[str, Any]:
        """Record that this facilitator read a held participant what was sent to them."""
        return self.post(f"/api/messages/{message_id}/read-out")

    def consent(self, case_id: str) -> dict[str, Any]:
        return self.get(f"/api/cases/{case_id}/consent")

    def give_consent(self, case_id: str, modes: list[str], **who: str) -> dict[str, Any]:
        """Your own consent; a facilitator passes ``side`` and ``how`` (phone, in_person,
        letter)."""
        return self.post(f"/api/cases/{case_id}/consent", {"modes": modes, **who})

    def withdraw_consent(self, case_id: str, modes: list[str], **who: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/consent/withdraw", {"modes": modes, **who})

    def add_record(
        self, case_id: str, kind: str, facts: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A facilitator's assessment record: its clear facts and, if any, its sealed note."""
        body: dict[str, Any] = {"kind": kind, "facts": facts or {}}
        if note is not None:
            body["envelope"] = self.seal_for_facilitators(case_id, kind, note)
        return self.post(f"/api/cases/{case_id}/records", body)

    def records(self, case_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/cases/{case_id}/records")["records"]

    def timeline(self, case_id: str) -> dict[str, Any]:
        return self.get(f"/api/cases/{case_id}/timeline")

    def begin_assessment(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/assess")

    def begin_preparation(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/prepare")

    def start_communication(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/start")

    def find_unsuitable(
        self, case_id: str, reason: str, notices: dict[str, str], signposting: list[str]
    ) -> dict[str, Any]:
        """Close the case as unsuitable: ``reason`` sealed to the facilitators, ``notices``
        by side (each to that participant and the facilitators), services by key."""
        assert self.keypair is not None
        keys = self.case_keys(case_id, refresh=True)
        sealed = [
            crypto.seal(
                sender=self.keypair, sender_id=self.me["user_id"], case_id=case_id,
                kind="unsuitable_notice", recipients=recipients(keys, to=side),
                payload={"body": text},
            )
            for side, text in sorted(notices.items())
        ]
        return self.post(f"/api/cases/{case_id}/unsuitable", {
            "reason": self.seal_for_facilitators(case_id, "unsuitable_reason", reason),
            "notices": sealed, "signposting": signposting,
        })

    def notices(self, case_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/cases/{case_id}/notices")["notices"]

    def supporters(self, case_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/cases/{case_id}/supporters")["supporters"]

    def request_supporter(self, case_id: str) -> dict[str, Any]:
        return self.post(f"/api/cases/{case_id}/supporters")

    def approve_supporter(
        self, supporter_id: str, username: str, display_name: str = ""
    ) -> dict[str, Any]:
        return self.post(
            f"/api/supporters/{supporter_id}/approve",
            {"username": username, "display_name": display_name},
        )

    def end_supporter(self, supporter_id: str) -> dict[str, Any]:
        return self.post(f"/api/supporters/{supporter_id}/end")

    def supporting(self) -> list[dict[str, Any]]:
        return self.get("/api/supporting")["cases"]

    def supporter_messages(self, case_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/cases/{case_id}/supporter-messages")["messages"]

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
        extra: dict[str, Any] | None = None, writer: str | None = None,
    ) -> dict[str, Any]:
        """A facilitator's envelope: to one participant and every facilitator of the case,
        with ``keys`` when the caller has just fetched them, else with freshly fetched ones.
        ``writer`` (a forward only) is the side of the participant whose message it
        forwards: their key is named too, so they can read what was passed on of their words
        (docs/protocol.md §4)."""
        assert self.keypair is not None
        if keys is None:
            keys = self.case_keys(case_id, refresh=True)
        # A held participant has no key: what is for them is sealed to the facilitators
        # only, who read it to them (docs/protocol.md, held participations).
        held = side in held_sides(keys)
        if held:
            sealed_to = list(keys.facilitators.values())
        else:
            sealed_to = recipients(keys, to=side)
        writer_key = keys.participants.get(writer) if writer is not None else None
        if writer_key is not None:
            sealed_to.append(writer_key)
        return crypto.seal(
            sender=self.keypair,
            sender_id=self.me["user_id"],
            case_id=case_id,
            kind=kind,
            recipients=sealed_to,
            payload={"body": text, **(extra or {})},
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
        if message.get("entered_for"):
            # A held participant's words, entered (and so written) by a facilitator.
            return self.case_keys(message["case_id"]), str(message["entered_for"])
        author = author_of(message["envelope"]["header"], trusted)
        if author.role != "participant" or author.side is None:
            raise ValueError("Only a participant's message waits for a decision.")
        return self.case_keys(message["case_id"]), author.side

    def forward(self, message: dict[str, Any], *, edited_text: str | None = None) -> dict[str, Any]:
        """Open the participant's message and forward it (or an edited version) to the other
        party, as a new envelope from this facilitator's key, sealed to its writer too so
        they can read the version passed on."""
        keys, side = self._decision_keys(message)
        original = self.open(message)
        target = "responsible" if side == "harmed" else "harmed"
        text = original["body"] if edited_text is None else edited_text
        # The files travel on: their keys are re-sealed to the other party with the text.
        files = {"attachments": original["attachments"]} if "attachments" in original else None
        envelope = self.compose_for_participant(
            message["case_id"], target, message["kind"], text, keys=keys,
            derived_from=message["message_id"], edited=edited_text is not None, extra=files,
            writer=side,
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

    # --- attachments (docs/attachments.md) ----------------------------------------------------

    def encrypt_file(
        self, source: BinaryIO, size: int, spool: BinaryIO, *, name: str, media_type: str
    ) -> dict[str, Any]:
        """Encrypt ``size`` bytes of ``source`` into ``spool`` (a file kept until the upload
        is complete, so a resumed upload sends the very same bytes); the file's entry for a
        message payload's ``attachments``, without its ``attachment_id`` yet."""
        key = filecrypt.new_file_key()
        for piece in filecrypt.encrypt_file(source, size, key):
            spool.write(piece)
        spool.flush()
        return {
            "format": filecrypt.FORMAT, "key": crypto.b64(key), "name": name,
            "type": media_type, "size": size,
        }

    def upload_blob(self, case_id: str, message_id: str, blob: BinaryIO) -> str:
        """Upload the encrypted ``blob`` for the message ``message_id``; its attachment id."""
        blob.seek(0, 2)
        size = blob.tell()
        started = self.post(
            "/api/attachments", {"case_id": case_id, "message_id": message_id, "size": size}
        )
        self.resume_upload(started["attachment_id"], blob)
        return str(started["attachment_id"])

    def resume_upload(self, attachment_id: str, blob: BinaryIO) -> dict[str, Any]:
        """Ask how much of the upload the server holds, send the rest and complete it."""
        path = f"/api/attachments/{attachment_id}"
        upload = self.get(path)
        blob.seek(upload["received"])
        while upload["received"] < upload["size"]:
            piece = blob.read(PIECE_BYTES)
            if not piece:
                raise ValueError("The blob is shorter than the upload the server expects.")
            upload = self.post(
                f"{path}/pieces",
                {"offset": upload["received"], "data": base64.b64encode(piece).decode()},
            )
        return self.post(f"{path}/complete")

    def download_file(self, attachment: dict[str, Any], out: BinaryIO) -> None:
        """Stream the blob of a payload's ``attachments`` entry and write the file it holds
        to ``out``, checking every chunk (``filecrypt.FileDecryptError`` if it does not open:
        what was written before then must be thrown away)."""
        path = f"/api/attachments/{attachment['attachment_id']}/blob"
        with self.http.stream("GET", path) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            key = crypto.unb64(attachment["key"])
            for plain in filecrypt.decrypt_file(response.iter_bytes(), attachment["size"], key):
                out.write(plain)

    # --- meetings (docs/scheduling.md) -------------------------------------------------------

    def meetings(self, case_id: str | None = None) -> list[dict[str, Any]]:
        params = {"case_id": case_id} if case_id else {}
        return list(self.get("/api/meetings", **params)["meetings"])

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        return self.get(f"/api/meetings/{meeting_id}")

    def seal_meeting_details(self, case_id: str, sides: list[str], text: str) -> dict[str, Any]:
        """A facilitator's meeting details, sealed to every facilitator of the case and the
        participants of ``sides`` with the supporters they consent to (the people invited)."""
        assert self.keypair is not None
        keys = self.case_keys(case_id, refresh=True)
        sealed_to = list(keys.facilitators.values())
        for side in sides:
            target = keys.participants.get(side)
            if target is None:
                raise crypto.CryptoError(f"The participant on side {side!r} has no key yet.")
            sealed_to.append(target)
            sealed_to.extend(
                recipient_from_wire(s["key"])
                for p in keys.summary.get("participants", []) if p["side"] == side
                for s in p.get("supporters", []) if s.get("key")
            )
        return crypto.seal(
            sender=self.keypair, sender_id=self.me["user_id"], case_id=case_id,
            kind="meeting_details", recipients=sealed_to, payload={"body": text},
        )

    def schedule_meeting(
        self, case_id: str, *, kind: str, medium: str, slots: list[str],
        duration_minutes: int = 60, side: str | None = None, details: str | None = None,
    ) -> dict[str, Any]:
        """Offer times for a preparation meeting (``side``) or a joint conference; ``slots``
        are ISO 8601 times with their zone; ``details`` is sealed before it leaves."""
        body: dict[str, Any] = {
            "kind": kind, "medium": medium, "slots": slots, "duration_minutes": duration_minutes,
        }
        if side is not None:
            body["side"] = side
        if details:
            sides = [side] if side else ["harmed", "responsible"]
            body["details"] = self.seal_meeting_details(case_id, sides, details)
        return self.post(f"/api/cases/{case_id}/meetings", body)

    def answer_meeting(self, meeting_id: str, answers: dict[str, str]) -> dict[str, Any]:
        return self.post(f"/api/meetings/{meeting_id}/answer", {"answers": answers})

    def confirm_meeting(self, meeting_id: str, slot_id: str) -> dict[str, Any]:
        return self.post(f"/api/meetings/{meeting_id}/confirm", {"slot_id": slot_id})

    def reschedule_meeting(
        self, meeting_id: str, slots: list[str], duration_minutes: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"slots": slots}
        if duration_minutes is not None:
            body["duration_minutes"] = duration_minutes
        return self.post(f"/api/meetings/{meeting_id}/reschedule", body)

    def cancel_meeting(self, meeting_id: str) -> dict[str, Any]:
        return self.post(f"/api/meetings/{meeting_id}/cancel")

    def join_meeting(self, meeting_id: str) -> dict[str, Any]:
        return self.post(f"/api/meetings/{meeting_id}/join")

    def meeting_calendar(self, meeting_id: str, *, include_link: bool = False) -> str:
        reply = self.get(f"/api/meetings/{meeting_id}/calendar",
                         include_link="true" if include_link else "false")
        return str(reply["ics"])

    def meeting_details(self, meeting: dict[str, Any]) -> str | None:
        """The meeting's sealed details opened with this client's trusted keys, or None."""
        if not meeting.get("details"):
            return None
        return str(self.open({"envelope": meeting["details"]}).get("body", ""))

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
