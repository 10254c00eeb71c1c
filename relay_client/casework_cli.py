"""``relay-client`` commands for case work (docs/casework.md): the assessment records and
timeline, the steps from assessing to active, finding a case unsuitable, consent per
communication mode, and supporters. Each command is one call of the JSON API; words (record
notes, the unsuitable reason and notices, who a supporter is) are sealed on this machine.

    relay-client -u sam shell
    relay> assess RJ-00012
    relay> record RJ-00012 suitability --fact reported_to_police=true ... --note "..."
    relay> record RJ-00012 risk_assessment --fact level=low --note "Meet by video only"
    relay> timeline RJ-00012
    relay> give-consent RJ-00012 messages --side responsible --how phone
    relay> prepare RJ-00012
    relay> approve-supporter 3f2a "sam-friend" --name "Sam"

    relay-client -u jo consent CASE
    relay-client -u jo give-consent CASE messages conference
    relay-client -u jo ask-supporter CASE --who "My sister Sam"
    relay-client -u jo end-supporter SUPPORTER_ID
"""

from __future__ import annotations

import argparse
import datetime
import uuid
from collections.abc import Callable
from typing import Any, TextIO

from relay_client.client import RelayClient
from relay_client.display import SIDE_LABEL

MODES = ["messages", "recorded_media", "conference", "in_person"]
RECORD_KINDS = ["suitability", "risk_assessment", "contact_attempt", "case_note", "approach"]
HOW = ["phone", "in_person", "letter"]
HELD_KINDS = ["question", "answer", "statement", "letter", "apology", "note_to_facilitator"]
HOW_WORDS = {
    "self": "by the participant",
    "phone": "by a facilitator, after a phone call",
    "in_person": "by a facilitator, after meeting in person",
    "letter": "by a facilitator, from a letter",
}


class CaseworkProblem(Exception):
    """What was typed cannot be done as asked; the message says why (exit status 2)."""


def add_casework_commands(
    command: Callable[[str, str], argparse.ArgumentParser],
) -> None:
    """Register the case-work commands with ``command(name, help)`` (cli.add_commands)."""

    def case_command(name: str, text: str) -> argparse.ArgumentParser:
        parser = command(name, text)
        parser.add_argument("case", help="a case id, the start of one, or its reference")
        return parser

    for name, text in (
        ("assess", "facilitators: begin a case's assessment"),
        ("prepare", "facilitators: move an assessed case to preparation"),
        ("start", "facilitators: start the conversation (both have agreed to messages)"),
        ("timeline", "facilitators: what has happened in a case, with record notes opened"),
        ("notices", "participants: why your case cannot go on, and where to turn"),
        ("consent", "how each person agreed to take part (participants: your own)"),
        ("supporters", "a case's supporters (participants: your own)"),
    ):
        case_command(name, text)

    record = case_command("record", "facilitators: add an assessment record to a case")
    record.add_argument("kind", choices=RECORD_KINDS)
    record.add_argument(
        "--fact", action="append", default=[], metavar="NAME=VALUE",
        help="a clear fact of the record (true and false are yes and no); repeat for more",
    )
    record.add_argument("--note", help="words for the case's facilitators, sealed here")

    for name, text in (
        ("give-consent", "agree to take part in these ways (facilitators: record it)"),
        ("withdraw-consent", "no longer agree to these ways (facilitators: record it)"),
    ):
        parser = case_command(name, text)
        parser.add_argument("modes", nargs="+", choices=MODES, metavar="MODE",
                            help=", ".join(MODES))
        parser.add_argument("--side", choices=["harmed", "responsible"],
                            help="facilitators: whose consent you record")
        parser.add_argument("--how", choices=HOW, help="facilitators: how you heard it")

    unsuitable = case_command(
        "unsuitable", "facilitators: find a case unsuitable, tell each person, and close it"
    )
    unsuitable.add_argument("reason", help="why, sealed to the case's facilitators")
    unsuitable.add_argument(
        "--notice", action="append", default=[], metavar="SIDE=TEXT",
        help="what to tell harmed or responsible (one for each person who has enrolled)",
    )
    unsuitable.add_argument(
        "--signpost", action="append", default=[], metavar="SERVICE_KEY",
        help="a service from the hub's list (repeat for more)",
    )

    ask = case_command("ask-supporter", "participants: ask for a supporter")
    ask.add_argument("--who", help="who it is, sent to your facilitators as a sealed note")
    approve = command("approve-supporter", "facilitators: approve a supporter and get their code")
    approve.add_argument("supporter", help="the supporter id (or its start) 'supporters' lists")
    # Not "username": that is who runs the command (the top-level --username).
    approve.add_argument(
        "account", metavar="USERNAME", help="a user name for the supporter's own account"
    )
    approve.add_argument("--name", default="", help="their name, as the participant sees it")
    end = command(
        "end-supporter", "end a supporter's help, or decline or take back a request"
    )
    end.add_argument("supporter", help="the supporter id (or its start) 'supporters' lists")
    command("supporting", "supporters: whom you support")

    # Taking part without a device (docs/casework.md): a facilitator acts for a held side.
    hold = case_command("hold", "facilitators: hold a participation for a person with no device")
    hold.add_argument("side", choices=["harmed", "responsible"])
    hold.add_argument("how", choices=HOW, help="how they agreed to it")
    hold.add_argument(
        "--when", metavar="ISO_TIME",
        help="when they agreed, e.g. 2026-03-01T14:00+00:00 (default: now)",
    )
    enter = case_command("enter", "facilitators: enter a held person's words for them")
    enter.add_argument("side", choices=["harmed", "responsible"])
    enter.add_argument("kind", choices=HELD_KINDS)
    enter.add_argument("text")
    enter.add_argument("--revision-of", metavar="MESSAGE_ID", help="their returned message")
    for name, text in (
        ("pause-held", "facilitators: pause for a held person, at their request"),
        ("resume-held", "facilitators: lift the pause made for a held person"),
        ("withdraw-held", "facilitators: withdraw a held person, at their request (final)"),
    ):
        case_command(name, text).add_argument("side", choices=["harmed", "responsible"])
    read_out = command("read-out", "facilitators: record reading a held person a message")
    read_out.add_argument("message_id")


# --- helpers ---------------------------------------------------------------------------------


def _facts(pairs: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CaseworkProblem(f"Write each fact as NAME=VALUE, not {pair!r}.")
        facts[name] = {"true": True, "false": False}.get(value.lower(), value)
    return facts


def _side_texts(pairs: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for pair in pairs:
        side, sep, text = pair.partition("=")
        if not sep or side not in SIDE_LABEL or not text.strip():
            raise CaseworkProblem(
                f"Write each notice as harmed=TEXT or responsible=TEXT, not {pair!r}."
            )
        texts[side] = text
    return texts


def _need_key(client: RelayClient) -> None:
    if client.keypair is None:
        raise CaseworkProblem(
            "This account has no key on this device yet. Run 'relay-client sign-in --create-key'."
        )


def _opened(client: RelayClient, envelope: dict[str, Any] | None) -> str | None:
    if envelope is None or client.keypair is None:
        return None
    try:
        return str(client.open({"envelope": envelope}).get("body", ""))
    except Exception as exc:  # noqa: BLE001 - any failure to open is shown, not fatal
        return f"(could not be opened: {exc})"


def resolve_supporter(client: RelayClient, text: str) -> str:
    """A supporter id, or a unique start of one among the supporters of your cases."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    matches = [
        s["supporter_id"] for c in client.cases() for s in client.supporters(c["case_id"])
        if s["supporter_id"].startswith(text.lower())
    ]
    if len(matches) != 1:
        found = "No supporter" if not matches else "More than one supporter"
        raise CaseworkProblem(f"{found} in your cases matches {text!r}. Run 'supporters CASE'.")
    return matches[0]


def supporter_line(s: dict[str, Any]) -> str:
    whose = SIDE_LABEL.get(s["side"], s["side"])
    name = s["display_name"] or "(no name yet)"
    if s["state"] == "requested":
        state = "asked for, waiting for a facilitator"
    elif s["state"] == "approved":
        state = "approved, " + ("enrolled" if s["enrolled"] else "has not used their code yet")
    elif not s["display_name"]:
        state = "request taken back" if s.get("ended_by") == "participant" else "declined"
    else:
        state = f"ended by the {s.get('ended_by') or 'facilitator'}"
    return f"{s['supporter_id']}  {name}, for {whose}: {state}"


# --- commands ------------------------------------------------------------------------------


def cmd_assess(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    client.begin_assessment(case_id)
    out.write("The assessment has begun.\n")


def cmd_prepare(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    client.begin_preparation(case_id)
    out.write("The case is in preparation.\n")


def cmd_start(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    client.start_communication(case_id)
    out.write("The conversation has started: messages can pass between the two people.\n")


def cmd_record(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    if args.note is not None:
        _need_key(client)
    row = client.add_record(case_id, args.kind, _facts(args.fact), note=args.note)
    sealed = " with its note sealed to the facilitators" if row["envelope"] else ""
    out.write(f"Recorded {args.kind} {row['record_id']}{sealed}.\n")


def cmd_timeline(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    timeline = client.timeline(case_id)
    out.write(f"Case {timeline['reference']}: {timeline['state']}\n")
    for entry in timeline["entries"]:
        by = f" by {entry['by']}" if entry["by"] else ""
        record = entry["record"]
        if record is not None:
            facts = ", ".join(f"{k}={v}" for k, v in record["facts"].items())
            out.write(f"{entry['at'][:16]}  {record['kind']}{by}: {facts or 'no facts'}\n")
            words = _opened(client, record["envelope"])
            if words is not None:
                out.write(f"    \u201c{words}\u201d\n")
            continue
        details = ", ".join(f"{k}={v}" for k, v in entry["details"].items())
        out.write(f"{entry['at'][:16]}  {entry['what']}{by}{': ' + details if details else ''}\n")


def cmd_unsuitable(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    _need_key(client)
    client.find_unsuitable(case_id, args.reason, _side_texts(args.notice), args.signpost)
    out.write("The case was found unsuitable and is closed; each person was told.\n")


def cmd_notices(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    notices = client.notices(case_id)
    if not notices:
        out.write("There is no notice for you in this case.\n")
    for notice in notices:
        out.write(f"{_opened(client, notice['envelope'])}\n")
        for service in notice["signposting"]:
            out.write(f"  {service.get('name', '')}: {service.get('phone', '')} "
                      f"{service.get('website', '')}\n")


def cmd_consent(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    consent = client.consent(case_id)
    labels = {m["mode"]: m["label"] for m in consent["modes"]}
    for person in consent["participants"]:
        given = set(person["consented_modes"])
        modes = ", ".join(label for mode, label in labels.items() if mode in given)
        modes = modes or "nothing yet"
        out.write(f"{SIDE_LABEL[person['side']]} agrees to: {modes}\n")
        for change in person["history"]:
            done = "agreed to" if change["given"] else "withdrew"
            mode = labels.get(change["mode"], change["mode"])
            how = HOW_WORDS.get(change["how"], change["how"])
            out.write(f"  {change['at'][:16]}  {done} {mode}, {how}\n")


def _consent_change(client: RelayClient, case_id: str, args: argparse.Namespace) -> dict[str, str]:
    who: dict[str, str] = {}
    if args.side or args.how:
        if not (args.side and args.how):
            raise CaseworkProblem("A facilitator recording consent gives both --side and --how.")
        who = {"side": args.side, "how": args.how}
    return who


def cmd_give_consent(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    client.give_consent(case_id, args.modes, **_consent_change(client, case_id, args))
    out.write(f"Recorded agreement to: {', '.join(args.modes)}.\n")


def cmd_withdraw_consent(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    client.withdraw_consent(case_id, args.modes, **_consent_change(client, case_id, args))
    out.write(f"Recorded that agreement was withdrawn for: {', '.join(args.modes)}. "
              "It takes effect at once.\n")


def cmd_supporters(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    rows = client.supporters(case_id)
    if not rows:
        out.write("No one has asked for a supporter.\n")
    for row in rows:
        out.write(supporter_line(row) + "\n")


def cmd_ask_supporter(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    if args.who:
        _need_key(client)
    asked = client.request_supporter(case_id)
    out.write(f"You asked for a supporter ({asked['supporter_id']}). "
              "Your facilitator will talk to you about it.\n")
    if args.who:
        client.send(case_id, "note_to_facilitator", f"I would like a supporter: {args.who}")
        out.write("Your note about who it is went to your facilitators.\n")


def cmd_approve_supporter(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.approve_supporter(
        resolve_supporter(client, args.supporter), args.account, args.name
    )
    out.write(
        f"Approved. Enrolment code: {reply['code']} (works once, until "
        f"{reply['expires_at'][:16]}). Give it to the supporter by phone or letter.\n"
    )


def cmd_end_supporter(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    client.end_supporter(resolve_supporter(client, args.supporter))
    out.write("Ended. From now on they can see nothing in the case.\n")


def cmd_supporting(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    cases = client.supporting()
    if not cases:
        out.write("You are not supporting anyone at the moment.\n")
    for c in cases:
        name = c["participant"]["display_name"] or SIDE_LABEL[c["side"]]
        out.write(f"{c['case_id']}  you support {name} ({SIDE_LABEL[c['side']]})\n")


def cmd_hold(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    when = args.when or datetime.datetime.now(datetime.UTC).isoformat()
    client.hold_participation(case_id, args.side, args.how, when)
    out.write(f"You now hold {SIDE_LABEL[args.side]}'s participation. What is for them is "
              "sealed to the facilitators; read it to them and record it with 'read-out'.\n")


def cmd_enter(client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO) -> None:
    _need_key(client)
    derived = None
    if args.revision_of:
        try:
            derived = str(uuid.UUID(args.revision_of))
        except ValueError:
            raise CaseworkProblem(f"{args.revision_of!r} is not a message id.") from None
    result = client.enter_for_held(case_id, args.side, args.kind, args.text, derived_from=derived)
    waits = " It waits in the queue for a decision." if result["state"] == "submitted" else ""
    out.write(f"Entered {result['message_id']} for {SIDE_LABEL[args.side]}, marked as entered "
              f"by you.{waits}\n")


def cmd_pause_held(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    client.pause_held(case_id, args.side)
    out.write(f"Paused for {SIDE_LABEL[args.side]}. Only a facilitator acting for them resumes.\n")


def cmd_resume_held(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    summary = client.resume_held(case_id, args.side)
    still = "" if summary.get("communicating") else " Communication is still paused otherwise."
    out.write(f"Resumed for {SIDE_LABEL[args.side]}.{still}\n")


def cmd_withdraw_held(
    client: RelayClient, case_id: str, args: argparse.Namespace, out: TextIO
) -> None:
    client.withdraw_held(case_id, args.side)
    out.write(f"{SIDE_LABEL[args.side].capitalize()} has withdrawn; their waiting messages "
              "will never be passed on.\n")


def cmd_read_out(client: RelayClient, args: argparse.Namespace, out: TextIO) -> None:
    try:
        message_id = str(uuid.UUID(args.message_id))
    except ValueError:
        raise CaseworkProblem(f"{args.message_id!r} is not a message id.") from None
    client.read_out(message_id)
    out.write(f"Recorded that you read {message_id} to them.\n")


CaseCommand = Callable[[RelayClient, str, argparse.Namespace, TextIO], None]
PlainCommand = Callable[[RelayClient, argparse.Namespace, TextIO], None]

CASE_COMMANDS: dict[str, CaseCommand] = {
    "assess": cmd_assess,
    "prepare": cmd_prepare,
    "start": cmd_start,
    "record": cmd_record,
    "timeline": cmd_timeline,
    "unsuitable": cmd_unsuitable,
    "notices": cmd_notices,
    "consent": cmd_consent,
    "give-consent": cmd_give_consent,
    "withdraw-consent": cmd_withdraw_consent,
    "supporters": cmd_supporters,
    "ask-supporter": cmd_ask_supporter,
    "hold": cmd_hold,
    "enter": cmd_enter,
    "pause-held": cmd_pause_held,
    "resume-held": cmd_resume_held,
    "withdraw-held": cmd_withdraw_held,
}
PLAIN_COMMANDS: dict[str, PlainCommand] = {
    "approve-supporter": cmd_approve_supporter,
    "end-supporter": cmd_end_supporter,
    "supporting": cmd_supporting,
    "read-out": cmd_read_out,
}
