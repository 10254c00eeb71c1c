"""``relay-client``: Relay from the command line, for participants and facilitators.

Each run signs in (the password is derived into a login key on this machine and never
sent) and keeps the session in memory only: nothing is written to disk. ``shell`` signs in
once and then takes the same commands at a prompt, so staff give their code once.

    relay-client --username jo sign-in
    relay-client --username jo cases
    relay-client --username jo send CASE question "Did you know we were home?"
    relay-client --username jo inbox
    relay-client --username jo pause CASE
    relay-client --username jo listen
    relay-client --username sam shell
    relay> queue CASE
    relay> forward MESSAGE_ID --edit "Shorter wording"
    relay> return MESSAGE_ID "Could you say it more gently?"
    relay> quit

The password comes from RELAY_PASSWORD or is asked for without echo; a staff member's code
from --otp, RELAY_OTP or a prompt; the server from --server or RELAY_SERVER (default
http://127.0.0.1:8000).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import httpx
from websockets.exceptions import ConnectionClosed

from relay_client import crypto
from relay_client.casekeys import UntrustedMessage, author_of
from relay_client.casework_cli import (
    CASE_COMMANDS,
    PLAIN_COMMANDS,
    CaseworkProblem,
    add_casework_commands,
)
from relay_client.client import CLOSE_CODES, RelayApiError, RelayClient
from relay_client.display import Narrator, case_line

DEFAULT_SERVER = "http://127.0.0.1:8000"
PARTICIPANT_KINDS = ["question", "answer", "statement", "letter", "apology", "note_to_facilitator"]
class UsageProblem(Exception):
    """Something the person asked for cannot be done as asked; the message says why."""


def parse_kdf_floor(value: str) -> tuple[int, int]:
    try:
        passes, mib = (int(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("use PASSES,MIB, for example 3,64") from None
    if passes < 1 or mib < 1:
        raise argparse.ArgumentTypeError("passes and MiB must be positive")
    return passes, mib * 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relay-client",
        description="Send, moderate and receive Relay messages from the command line.",
    )
    parser.add_argument(
        "--server", default=os.environ.get("RELAY_SERVER", DEFAULT_SERVER),
        help=f"the Relay server (RELAY_SERVER; default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--username", "-u", default=os.environ.get("RELAY_USERNAME"),
        help="who you are (RELAY_USERNAME); the password comes from RELAY_PASSWORD or a prompt",
    )
    parser.add_argument(
        "--otp", default=os.environ.get("RELAY_OTP"),
        help="staff: the code from your authenticator app, or a backup code (RELAY_OTP)",
    )
    parser.add_argument(
        "--kdf-floor", type=parse_kdf_floor, default=None, metavar="PASSES,MIB",
        help="lowest Argon2id cost to accept from the server (only lower it for a test server)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_commands(sub)
    sub.add_parser(
        "shell",
        help="sign in once, then type these commands at a prompt (staff: one code per shell)",
    )
    demo_code = sub.add_parser(
        "demo-code",
        help="print the current authenticator code of a demo hub account (no sign-in)",
    )
    demo_code.add_argument(
        "account", nargs="?", default="demo-facilitator",
        help="demo-facilitator (default) or demo-manager",
    )
    return parser


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """The commands that act for a signed-in person, for the command line and the shell.
    Each one's help line is also its description, which the shell's 'help' lists."""

    def command(name: str, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
        return parser

    sign_in = command("sign-in", "check your password and show your account")
    sign_in.add_argument(
        "--create-key", action="store_true",
        help="create this account's key pair on this device if it has none yet",
    )
    command("cases", "list your cases")

    send = command("send", "send a message (participants: through moderation)")
    send.add_argument("case")
    send.add_argument(
        "kind", help=", ".join(PARTICIPANT_KINDS) + " (facilitators: facilitator_note)"
    )
    send.add_argument("text")
    send.add_argument("--revision-of", metavar="MESSAGE_ID", help="a message returned to you")
    send.add_argument(
        "--to", choices=["harmed", "responsible"], help="facilitators: the participant to write to"
    )

    inbox = command("inbox", "catch up and print what you have received")
    inbox.add_argument("--after", type=int, default=0, help="only events after this number")

    queue = command("queue", "facilitators: messages waiting for a decision")
    queue.add_argument("case")

    forward = command("forward", "facilitators: pass a message on to the other person")
    forward.add_argument("message_id")
    forward.add_argument("--edit", metavar="TEXT", help="pass on this edited wording instead")

    ret = command("return", "facilitators: return a message asking for a new version")
    ret.add_argument("message_id")
    ret.add_argument("note")

    reject = command("reject", "facilitators: decide not to pass a message on")
    reject.add_argument("message_id")
    reject.add_argument("reason")

    for name, text in (
        ("pause", "pause communication in a case, at once"),
        ("resume", "resume communication you paused"),
    ):
        command(name, text).add_argument("case")
    withdraw = command("withdraw", "leave a case for good (cannot be undone)")
    withdraw.add_argument("case")
    withdraw.add_argument("--yes", action="store_true", help="confirm without being asked")

    command("intake-key", "hub managers: make the hub's intake key, or give it to all managers")
    command("referrals", "hub managers: the referrals waiting, opened on this device")
    accept = command("accept-referral", "hub managers: take a referral on as a new case")
    accept.add_argument("reference")
    accept.add_argument("offence_category", help="e.g. violence, domestic_abuse, other")
    accept.add_argument("--complexity", default="standard", help="standard, complex, sensitive")
    decline = command("decline-referral", "hub managers: decline a referral with signposting")
    decline.add_argument("reference")
    decline.add_argument("reason", help="e.g. outside_area, not_safe, other_service")
    decline.add_argument(
        "--signpost", action="append", default=[], metavar="SERVICE_KEY",
        help="a service from the hub's list (repeat for more)",
    )
    assign = command("assign", "hub managers: assign a facilitator (by name) to a case")
    assign.add_argument("case_id", help="the case id accept-referral printed")
    assign.add_argument("facilitator")

    # Case work (docs/casework.md): relay_client/casework_cli.py.
    add_casework_commands(command)

    listen = command("listen", "print events as they arrive (WebSocket)")
    listen.add_argument(
        "--replay", action="store_true", help="first replay everything from the start"
    )
    listen.add_argument("--seconds", type=float, default=None, help="stop after this long")
    listen.add_argument("--count", type=int, default=None, help="stop after this many events")


# --- signing in ---------------------------------------------------------------------------


def _password(stdin: TextIO) -> str:
    password = os.environ.get("RELAY_PASSWORD")
    if password:
        return password
    if not stdin.isatty():
        raise UsageProblem("Set RELAY_PASSWORD or run this in a terminal to type your password.")
    return getpass.getpass("Password: ")


def connect(args: argparse.Namespace, stdin: TextIO = sys.stdin) -> RelayClient:
    """Sign in as ``args.username``: derive the login key, pass the second factor if the
    account needs one, and unwrap the private key. The session lives in memory only."""
    if not args.username:
        raise UsageProblem("Say who you are with --username or RELAY_USERNAME.")
    floor = args.kdf_floor or (crypto.KDF_FLOOR_OPSLIMIT, crypto.KDF_FLOOR_MEMLIMIT)
    client = RelayClient(args.server, kdf_floor_opslimit=floor[0], kdf_floor_memlimit=floor[1])
    me = client.sign_in(args.username, _password(stdin))
    if me.get("second_factor_required") and not me.get("second_factor_verified"):
        token = args.otp
        if not token and stdin.isatty():
            token = input("Code from your authenticator app (or a backup code): ")
        if not token:
            raise UsageProblem(
                "This account needs its second factor: pass --otp CODE or set RELAY_OTP."
            )
        client.complete_second_factor(token)
    return client


def _need_key(client: RelayClient) -> None:
    if client.keypair is None:
        raise UsageProblem(
            "This account has no key on this device yet. Run 'relay-client sign-in --create-key'."
        )


# --- resolving what the person typed --------------------------------------------------------


def _as_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def resolve_case(client: RelayClient, text: str) -> str:
    """A case id, a unique start of one, or (facilitators) a case reference."""
    exact = _as_uuid(text)
    if exact is not None:
        return exact
    cases = client.cases()
    matches = [
        c["case_id"] for c in cases
        if c["case_id"].startswith(text.lower()) or c.get("reference") == text
    ]
    if len(matches) != 1:
        found = "No case" if not matches else "More than one case"
        raise UsageProblem(f"{found} of yours matches {text!r}. Run 'cases' to list them.")
    return matches[0]


def resolve_message(client: RelayClient, text: str) -> dict[str, Any]:
    """A message this person holds a key for: by full id, or (facilitators) by a unique
    start of an id waiting in one of their queues."""
    exact = _as_uuid(text)
    if exact is not None:
        return client.get(f"/api/messages/{exact}")
    if client.me.get("role") != "facilitator":
        raise UsageProblem(f"{text!r} is not a message id.")
    matches = [
        m for c in client.cases() for m in client.queue(c["case_id"])
        if m["message_id"].startswith(text.lower())
    ]
    if len(matches) != 1:
        found = "No message" if not matches else "More than one message"
        raise UsageProblem(f"{found} in your queues matches {text!r}.")
    return matches[0]


# --- commands -----------------------------------------------------------------------------


def cmd_sign_in(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    me = client.me
    out.write(f"Signed in as {me['username']} ({me['role'].replace('_', ' ')}).\n")
    if me.get("second_factor_required"):
        out.write("Second factor confirmed.\n")
    if client.keypair is None and args.create_key:
        client.register_new_key()
        out.write("Created a new key pair on this device; the private key is stored wrapped\n")
        out.write("with your password, so you can sign in on other devices.\n")
    if client.keypair is None:
        out.write("This account has no key yet: run 'sign-in --create-key' to make one.\n")
    else:
        out.write(f"Your key fingerprint: {client.keypair.fingerprint}\n")
        out.write("Compare it with your facilitator when they ask.\n")


def cmd_cases(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    cases = client.cases()
    if not cases:
        out.write("You have no cases.\n")
    for case in cases:
        out.write(case_line(case) + "\n")


def cmd_send(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    case_id = resolve_case(client, args.case)
    if client.me.get("role") == "facilitator":
        if not args.to or args.kind != "facilitator_note":
            raise UsageProblem(
                "Facilitators write to one participant: send CASE facilitator_note TEXT --to SIDE."
            )
        result = client.write_to_participant(case_id, args.to, args.text)
        out.write(f"Your note to {args.to} was delivered ({result['message_id']}).\n")
        return
    if args.kind not in PARTICIPANT_KINDS:
        raise UsageProblem(f"KIND must be one of: {', '.join(PARTICIPANT_KINDS)}.")
    derived = _as_uuid(args.revision_of) if args.revision_of else None
    if args.revision_of and derived is None:
        raise UsageProblem(f"{args.revision_of!r} is not a message id.")
    result = client.send(case_id, args.kind, args.text, derived_from=derived)
    if result["state"] == "submitted":
        out.write(
            f"Sent {result['message_id']}. It waits for your facilitator, who will pass it on, "
            "ask you to rephrase it, or explain why not.\n"
        )
    else:
        out.write(f"Sent {result['message_id']} to your facilitators.\n")


def cmd_inbox(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    client.last_seq = args.after
    narrator = Narrator(client)
    events = client.catch_up()
    if not events:
        out.write("Nothing new.\n")
    for event in events:
        out.write(f"[{event['seq']}] {narrator.event(event)}\n")


def cmd_queue(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    case_id = resolve_case(client, args.case)
    messages = client.queue(case_id)
    if not messages:
        out.write("Nothing is waiting for a decision.\n")
    trusted = client.trusted_keys(case_id, refresh=True)
    narrator = Narrator(client)
    for message in messages:
        side: str | None = None  # untrusted: its body says why it does not open
        with contextlib.suppress(UntrustedMessage):
            side = author_of(message["envelope"]["header"], trusted).party
        out.write(narrator.message(message, side=side) + "\n")


def cmd_forward(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    message = resolve_message(client, args.message_id)
    result = client.forward(message, edited_text=args.edit)
    edited = " (edited)" if args.edit is not None else ""
    out.write(f"Forwarded {result['message_id']}{edited} to the other person.\n")


def cmd_return(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    message = resolve_message(client, args.message_id)
    result = client.return_to_sender(message, args.note)
    out.write(f"Returned {result['message_id']} to its sender with your note.\n")


def cmd_reject(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    message = resolve_message(client, args.message_id)
    result = client.reject(message, args.reason)
    out.write(f"Rejected {result['message_id']}; the sender sees your reason.\n")


def cmd_pause(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    client.pause(resolve_case(client, args.case))
    if client.me.get("role") == "facilitator":
        out.write("Paused for safety. Nothing is forwarded until a facilitator resumes.\n")
    else:
        out.write(
            "Paused. Nothing passes between you and the other person until you resume; "
            "you can still write to your facilitator.\n"
        )


def cmd_resume(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    summary = client.resume(resolve_case(client, args.case))
    if summary.get("communicating"):
        out.write("Resumed. Messages can be passed on again.\n")
    else:
        out.write("Your pause is lifted, but communication is still paused for another reason.\n")


def cmd_withdraw(
    client: RelayClient, args: argparse.Namespace, out: TextIO, stdin: TextIO = sys.stdin
) -> None:
    case_id = resolve_case(client, args.case)
    if not args.yes:
        if not stdin.isatty():
            raise UsageProblem("Withdrawing cannot be undone: add --yes to confirm.")
        answer = input(
            "Withdrawing is final: nothing you have sent that is still waiting will be passed "
            "on, and you cannot send or receive messages in this case again. Type 'withdraw' "
            "to confirm: "
        )
        if answer.strip().lower() != "withdraw":
            out.write("Not withdrawn.\n")
            return
    client.withdraw(case_id)
    out.write("You have withdrawn from this case. Nothing more will pass between you.\n")


def cmd_listen(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    client.last_seq = 0 if args.replay else int(client.me.get("latest_seq") or 0)
    narrator = Narrator(client)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    seen = 0
    with client.socket() as sock:
        out.write("Listening. Press Ctrl-C to stop.\n")
        out.flush()
        for event in sock.pending_events:
            out.write(f"[{event['seq']}] {narrator.event(event)}\n")
            seen += 1
        sock.pending_events.clear()
        while (args.count is None or seen < args.count) and (
            deadline is None or time.monotonic() < deadline
        ):
            wait = 1.0 if deadline is None else max(0.05, min(1.0, deadline - time.monotonic()))
            arrived = sock.next_event(wait)
            if arrived is None:
                continue
            out.write(f"[{arrived['seq']}] {narrator.event(arrived)}\n")
            out.flush()
            seen += 1


# --- the intake (docs/intake.md) ------------------------------------------------------------


def cmd_intake_key(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    if client.hub()["intake_key"] is None:
        intake = client.create_intake_key()
        out.write(f"Made the hub's intake key {intake.key_id}; you and every manager hold it.\n")
        return
    shared = client.share_intake_key()
    out.write(f"Gave the intake key to {shared} more key(s).\n" if shared else
              "Everyone who should hold the intake key holds it (or you do not hold it).\n")


def _waiting(client: RelayClient) -> list[dict[str, Any]]:
    return list(client.referrals()["waiting"])


def cmd_referrals(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    waiting = _waiting(client)
    if not waiting:
        out.write("No referrals are waiting.\n")
    for referral in waiting:
        out.write(f"{referral['reference']}  {referral['source']}  {referral['side']}  "
                  f"received {referral['received_at'][:16]}\n")
        content = referral["content"]
        if content is None:
            out.write("  (not opened: you do not hold its intake key)\n")
            continue
        for name in ("what_happened", "when", "reported_to_police", "person_name",
                     "person_contact", "support_needs"):
            if content.get(name):
                out.write(f"  {name.replace('_', ' ')}: {content[name]}\n")
        for name, value in (content.get("contact") or {}).items():
            if value:
                out.write(f"  contact {name}: {value}\n")


def _referral_id(client: RelayClient, reference: str) -> str:
    wanted = reference.strip().upper()
    for referral in client.get("/api/referrals")["waiting"]:
        if referral["reference"] == wanted:
            return str(referral["referral_id"])
    raise UsageProblem(f"No referral {reference!r} is waiting.")


def cmd_accept_referral(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    done = client.accept_referral(
        _referral_id(client, args.reference), offence_category=args.offence_category,
        complexity=args.complexity,
    )
    out.write(
        f"Case {done['case_reference']} created (case id {done['case_id']}). "
        "Assign its facilitator next.\n"
    )


def cmd_decline_referral(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    client.decline_referral(
        _referral_id(client, args.reference), reason=args.reason, signposting=args.signpost
    )
    out.write(f"Referral {args.reference.upper()} declined.\n")


def cmd_assign(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    case_id = _as_uuid(args.case_id)
    if case_id is None:
        raise UsageProblem("Give the case id that accept-referral printed.")
    chosen = [
        f for f in client.facilitators()
        if args.facilitator.lower() in (f["display_name"].lower(), f["user_id"])
    ]
    if len(chosen) != 1:
        raise UsageProblem(f"No one facilitator is called {args.facilitator!r}.")
    done = client.assign_facilitator(case_id, chosen[0]["user_id"])
    names = " and ".join(f["display_name"] for f in done["facilitators"])
    out.write(f"Case {done['reference']}: {names}.\n")


COMMANDS: dict[str, Callable[[RelayClient, argparse.Namespace, TextIO], None]] = {
    "intake-key": cmd_intake_key,
    "referrals": cmd_referrals,
    "accept-referral": cmd_accept_referral,
    "decline-referral": cmd_decline_referral,
    "assign": cmd_assign,
    "sign-in": cmd_sign_in,
    "cases": cmd_cases,
    "send": cmd_send,
    "inbox": cmd_inbox,
    "queue": cmd_queue,
    "forward": cmd_forward,
    "return": cmd_return,
    "reject": cmd_reject,
    "pause": cmd_pause,
    "resume": cmd_resume,
    "listen": cmd_listen,
}


def run_command(
    client: RelayClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
) -> None:
    """Carry out one command of ``add_commands`` for the signed-in person."""
    if args.command == "withdraw":
        cmd_withdraw(client, args, out, stdin)
    elif args.command in CASE_COMMANDS:
        CASE_COMMANDS[args.command](client, resolve_case(client, args.case), args, out)
    elif args.command in PLAIN_COMMANDS:
        PLAIN_COMMANDS[args.command](client, args, out)
    else:
        COMMANDS[args.command](client, args, out)


# Failures a person can act on; ``explain`` words each of them.
FAILURES = (
    RelayApiError, UsageProblem, CaseworkProblem, crypto.CryptoError, httpx.HTTPError,
    ConnectionClosed,
)


def explain(exc: Exception, server: str) -> tuple[int, str]:
    """The exit status and the plain-English message for one of ``FAILURES``."""
    if isinstance(exc, RelayApiError):
        return 1, f"{exc.message} ({exc.code})"
    if isinstance(exc, UsageProblem | CaseworkProblem):
        return 2, str(exc)
    if isinstance(exc, httpx.HTTPError):
        return 3, f"could not reach the Relay server at {server} ({exc})."
    if isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd is not None else None
        reason = CLOSE_CODES.get(code or 0, ("the connection was closed", True))[0]
        return 1, f"the server closed the connection: {reason}."
    return 1, str(exc)


def cmd_demo_code(account: str, out: TextIO, err: TextIO, at: float | None = None) -> None:
    """The current code of a demo hub account's published authenticator secret. It knows
    no other secret: a real account's codes come only from its authenticator app."""
    # Imported here: the demo script itself builds on this module.
    from relay_client.demo import DEMO_PEOPLE, TOTP_STEP, totp

    people = {p.username: p for p in DEMO_PEOPLE.values() if p.role != "participant"}
    person = people.get(account)
    if person is None:
        raise UsageProblem(
            f"demo-code knows only the demo hub's published secrets ({', '.join(people)}). "
            "For any other account, read the code from your authenticator app."
        )
    now = time.time() if at is None else at
    out.write(totp(person.totp_key_hex, at=now) + "\n")
    left = TOTP_STEP - int(now) % TOTP_STEP
    err.write(
        f"The current code of {account} (demo only), good for {left} more seconds; "
        "each code signs in once.\n"
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin or sys.stdin
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo-code":
            cmd_demo_code(args.account, out, err)
            return 0
        client = connect(args, stdin)
        # No sign-out at the end: signing out closes every socket of the account, including
        # a 'listen' running in another terminal. The session cookie lives only in this
        # process's memory and the server ends the session when it goes idle.
        if args.command == "shell":
            # Imported here: the shell builds on this module's commands.
            from relay_client.shell import run_shell

            return run_shell(client, args.server, out=out, err=err, stdin=stdin)
        run_command(client, args, out, stdin)
    except FAILURES as exc:
        status, message = explain(exc, args.server)
        err.write(f"relay-client: {message}\n")
        return status
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
