"""A scripted shuttle exchange against a running Relay, printing what each person sees.

    python -m relay_client.demo [--server http://127.0.0.1:8000]

It signs in as the demo hub's people (``manage.py seed_demo`` creates them) with the Python
client, so everything goes over the real protocol: the person harmed asks a question, the
facilitator edits and forwards it, the person responsible answers, the facilitator returns
the answer with a note, the answer is revised and forwarded, the person harmed reads it; then
the person harmed pauses, a forward is refused while paused, and they resume.

The demo accounts, their passwords and their authenticator secrets are published here on
purpose: they exist only in a demo hub and must never be created anywhere real.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import httpx

from relay_client import crypto
from relay_client.cli import DEFAULT_SERVER, parse_kdf_floor
from relay_client.client import RelayApiError, RelayClient
from relay_client.display import SIDE_LABEL, Narrator

DEMO_CASE_REFERENCE = "RJ-DEMO-0001"
TOTP_STEP = 30
TOTP_DIGITS = 6


@dataclass(frozen=True)
class DemoPerson:
    key: str  # manager, facilitator, harmed, responsible
    username: str
    display_name: str
    role: str
    password: str
    side: str | None = None

    @property
    def totp_key_hex(self) -> str:
        """The demo account's authenticator secret (staff only), derived from its name."""
        return hashlib.sha1(  # noqa: S324 - an HOTP secret, not a password hash
            b"relay demo authenticator:" + self.username.encode()
        ).hexdigest()

    @property
    def otpauth_uri(self) -> str:
        secret = base64.b32encode(bytes.fromhex(self.totp_key_hex)).decode().rstrip("=")
        return (
            f"otpauth://totp/Relay%20demo:{self.username}?secret={secret}"
            f"&issuer=Relay%20demo&digits={TOTP_DIGITS}&period={TOTP_STEP}"
        )

    @property
    def label(self) -> str:
        if self.side is not None:
            return f"{self.display_name} ({SIDE_LABEL[self.side]})"
        return f"{self.display_name} ({self.role.replace('_', ' ')})"


DEMO_PEOPLE = {
    p.key: p
    for p in (
        DemoPerson("manager", "demo-manager", "Morgan", "hub_manager", "demo-manager-password"),
        DemoPerson(
            "facilitator", "demo-facilitator", "Sam", "facilitator", "demo-facilitator-password"
        ),
        DemoPerson(
            "harmed", "demo-harmed", "Jo", "participant", "demo-harmed-password", side="harmed"
        ),
        DemoPerson(
            "responsible", "demo-responsible", "Alex", "participant",
            "demo-responsible-password", side="responsible",
        ),
    )
}


def totp(key_hex: str, *, at: float | None = None, step_offset: int = 0) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps), as authenticator apps compute."""
    counter = int((time.time() if at is None else at) // TOTP_STEP) + step_offset
    digest = hmac.new(bytes.fromhex(key_hex), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


class DemoFailed(Exception):
    """The demo could not go on; the message says what to check."""


@dataclass
class Actor:
    person: DemoPerson
    client: RelayClient
    narrator: Narrator


class Demo:
    def __init__(self, server: str, out: TextIO, *, kdf_floor: tuple[int, int] | None) -> None:
        self.server = server
        self.out = out
        self.floor = kdf_floor or (crypto.KDF_FLOOR_OPSLIMIT, crypto.KDF_FLOOR_MEMLIMIT)
        self.people: dict[str, Actor] = {}
        self.case_id = ""

    # --- output -------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def heading(self, text: str) -> None:
        self.say()
        self.say(f"== {text} ==")

    def show_everyone(self) -> None:
        """Print what each person sees that is new since they last looked."""
        for key in ("harmed", "facilitator", "responsible"):
            actor = self.people[key]
            events = [
                e for e in actor.client.catch_up() if e.get("case_id") in (None, self.case_id)
            ]
            self.say(f"  What {actor.person.label} sees:")
            if not events:
                self.say("    nothing new")
            for event in events:
                self.say(f"    - {actor.narrator.event(event)}")

    # --- signing in ---------------------------------------------------------------------

    def sign_in(self, key: str, otp: str | None) -> Actor:
        person = DEMO_PEOPLE[key]
        client = RelayClient(
            self.server, kdf_floor_opslimit=self.floor[0], kdf_floor_memlimit=self.floor[1]
        )
        try:
            client.sign_in(person.username, person.password)
        except RelayApiError as exc:
            if exc.code == "bad_credentials":
                raise DemoFailed(
                    f"{person.username} could not sign in. Seed the demo hub first: "
                    "python manage.py seed_demo"
                ) from None
            raise
        if person.role != "participant":
            self._second_factor(client, person, otp)
        if client.keypair is None:
            raise DemoFailed(f"{person.username} has no key. Run python manage.py seed_demo.")
        client.last_seq = int(client.me.get("latest_seq") or 0)
        actor = Actor(person, client, Narrator(client))
        self.people[key] = actor
        return actor

    def _second_factor(self, client: RelayClient, person: DemoPerson, otp: str | None) -> None:
        if otp is not None:
            client.complete_second_factor(otp)
            return
        try:
            client.complete_second_factor(totp(person.totp_key_hex))
        except RelayApiError as exc:
            if exc.code != "bad_token":
                raise
            # A code works once; a run moments ago may have used this one. Wait for the next.
            self.say("(That authenticator code was just used; waiting for the next one.)")
            time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 1)
            client.complete_second_factor(totp(person.totp_key_hex))

    def find_case(self) -> None:
        facilitator = self.people["facilitator"].client
        cases = [c for c in facilitator.cases() if c.get("reference") == DEMO_CASE_REFERENCE]
        if not cases:
            raise DemoFailed(f"No case {DEMO_CASE_REFERENCE}. Run python manage.py seed_demo.")
        case = cases[0]
        if not case["communicating"]:
            raise DemoFailed(
                f"Case {DEMO_CASE_REFERENCE} is not communicating ({case['state']}); "
                "seed a fresh demo hub: rm var/relay.sqlite3 && make run"
            )
        self.case_id = case["case_id"]

    # --- the exchange ---------------------------------------------------------------------

    def waiting(self) -> dict[str, Any]:
        queue = self.people["facilitator"].client.queue(self.case_id)
        if not queue:
            raise DemoFailed("The facilitator's queue is unexpectedly empty.")
        return queue[-1]

    def run(self, otp: str | None) -> None:
        self.heading("Signing in")
        for key in ("harmed", "facilitator", "responsible"):
            actor = self.sign_in(key, otp if key == "facilitator" else None)
            extra = " with a second factor" if actor.person.role != "participant" else ""
            self.say(f"{actor.person.label} signs in as {actor.person.username}{extra}.")
        self.find_case()
        self.say(f"They all take part in case {DEMO_CASE_REFERENCE}.")
        harmed = self.people["harmed"]
        facilitator = self.people["facilitator"]
        responsible = self.people["responsible"]

        self.heading("1. Jo asks a question")
        question = "Why did you pick our house? Had you been watching us for days?"
        self.say(f"Jo writes: \u201c{question}\u201d")
        harmed.client.send(self.case_id, "question", question)
        self.say("It is encrypted on Jo's device to the facilitator; the server cannot read it.")
        self.show_everyone()

        self.heading("2. Sam edits the question and forwards it")
        edited = "Why did you pick our house?"
        self.say(f"Sam forwards it, edited to: \u201c{edited}\u201d")
        facilitator.client.forward(self.waiting(), edited_text=edited)
        self.show_everyone()

        self.heading("3. Alex answers")
        answer = "It was random. I did not think about who lived there."
        self.say(f"Alex writes: \u201c{answer}\u201d")
        responsible.client.send(self.case_id, "answer", answer)
        self.show_everyone()

        self.heading("4. Sam returns the answer with a note")
        note = "Could you say what you were thinking at the time, and how you see it now?"
        returned = self.waiting()
        self.say(f"Sam returns it to Alex with the note: \u201c{note}\u201d")
        facilitator.client.return_to_sender(returned, note)
        self.show_everyone()

        self.heading("5. Alex revises the answer and Sam forwards it")
        revised = (
            "I did not think about the people who lived there at all, only about money. "
            "I know now how frightening it was for you, and I am sorry."
        )
        self.say(f"Alex writes a new version: \u201c{revised}\u201d")
        responsible.client.send(
            self.case_id, "answer", revised, derived_from=returned["message_id"]
        )
        facilitator.client.forward(self.waiting())
        self.say("Sam forwards it as written.")
        self.show_everyone()

        self.heading("6. Jo pauses, and nothing can be forwarded")
        harmed.client.pause(self.case_id)
        self.say("Jo presses pause.")
        self.show_everyone()
        follow_up = "Do you still live near us?"
        self.say(f"Jo asks another question while paused: \u201c{follow_up}\u201d")
        harmed.client.send(self.case_id, "question", follow_up)
        try:
            facilitator.client.forward(self.waiting())
        except RelayApiError as exc:
            self.say(f"Sam tries to forward it and is told: {exc.message}")
        else:
            raise DemoFailed("A forward went through while the case was paused.")
        self.show_everyone()

        self.heading("7. Jo resumes, and the question goes through")
        harmed.client.resume(self.case_id)
        self.say("Jo resumes.")
        facilitator.client.forward(self.waiting())
        self.say("Sam forwards the waiting question.")
        self.show_everyone()

        self.heading("Done")
        self.say(
            "Every message went through Sam; Jo and Alex never wrote to each other directly, "
            "and the server stored only ciphertext."
        )


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m relay_client.demo",
        description="Run a scripted shuttle exchange against a running Relay demo hub.",
    )
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--otp", help="the facilitator's code (default: computed for the demo)")
    parser.add_argument(
        "--kdf-floor", type=parse_kdf_floor, default=None, metavar="PASSES,MIB",
        help="lowest Argon2id cost to accept (only lower it for a test server)",
    )
    args = parser.parse_args(argv)
    demo = Demo(args.server, out, kdf_floor=args.kdf_floor)
    try:
        demo.run(args.otp)
    except DemoFailed as exc:
        sys.stderr.write(f"demo: {exc}\n")
        return 1
    except RelayApiError as exc:
        sys.stderr.write(f"demo: the server said: {exc.message} ({exc.code})\n")
        return 1
    except httpx.HTTPError:
        sys.stderr.write(
            f"demo: could not reach Relay at {args.server}. Start it with 'make run' first.\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
