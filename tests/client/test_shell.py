"""``relay-client shell`` against a real Daphne: one sign-in (one second-factor code) serves
a whole facilitator's session, in a pipe and in a terminal."""

from __future__ import annotations

import fcntl
import io
import os
import select
import shlex
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django_otp.oath import TOTP

from relay.accounts.actions import end_sessions
from relay.moderation.models import Message, MessageState
from relay_client.cli import build_parser, cmd_demo_code, main
from relay_client.demo import DEMO_PEOPLE
from relay_client.shell import command_parser
from tests.client.cli_helpers import kdf_floor_arg, run_cli
from tests.factories import otp_token

pytestmark = pytest.mark.live


def sessions_of(person) -> int:
    """How many server sessions this person has: each sign-in makes one (the client never
    signs out, so none of them ends during a test)."""
    return sum(
        1
        for stored in Session.objects.all()
        if stored.get_decoded().get(SESSION_KEY) == str(person.user.pk)
    )


class ScriptedInput(io.StringIO):
    """Lines typed at the prompt; a callable runs between two lines."""

    def __init__(self, *lines: str | Callable[[], None]) -> None:
        super().__init__()
        self.lines = list(lines)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        while self.lines:
            line = self.lines.pop(0)
            if callable(line):
                line()
                continue
            return line + "\n"
        return ""


def three_waiting_messages(daphne, sc, monkeypatch) -> dict[str, Message]:
    sent = {}
    for kind, text in (
        ("question", "Did you know we were home that night?"),
        ("statement", "You should not have been there."),
        ("letter", "I want you to know what it did to us."),
    ):
        assert (
            run_cli(daphne.url, sc.harmed, "send", sc.id, kind, text, monkeypatch=monkeypatch).code
            == 0
        )
        sent[kind] = Message.objects.get(case=sc.case, kind=kind)
    return sent


def shell(daphne, sc, stdin, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setenv("RELAY_PASSWORD", sc.facilitator.password)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "--server",
            daphne.url,
            "--kdf-floor",
            kdf_floor_arg(),
            "-u",
            sc.facilitator.user.username,
            "shell",
        ],
        out=out,
        err=err,
        stdin=stdin,
    )
    return code, out.getvalue(), err.getvalue()


def test_one_sign_in_and_one_code_serve_a_facilitators_session(daphne, shuttle, monkeypatch):
    sc = shuttle
    sent = three_waiting_messages(daphne, sc, monkeypatch)
    question, statement, letter = sent["question"], sent["statement"], sent["letter"]
    device = sc.facilitator.extra["otp_device"]
    codes_before = device.token_set.count()
    monkeypatch.setenv("RELAY_OTP", otp_token(sc.facilitator))
    assert sessions_of(sc.facilitator) == 0

    code, out, err = shell(
        daphne,
        sc,
        ScriptedInput(
            "cases",
            f"queue {sc.case.reference}",
            f'forward {str(question.pk)[:8]} --edit "Did you know we were home?"',
            f'return {letter.pk} "Could you say a little more?"',
            f"reject {statement.pk} 'It blames the other person.'",
            "frobnicate",
            "forward",
            'return x "unclosed',
            "",
            "help",
            "help forward",
            "forward --help",
            f"queue {sc.case.reference}",
            "quit",
            "pause " + sc.id,  # after quit: never run
        ),
        monkeypatch,
    )

    assert code == 0, err
    assert out.startswith(f"Signed in as {sc.facilitator.user.username} (facilitator).")
    assert sc.case.reference in out
    assert "Did you know we were home that night?" in out  # the queue, read in the shell
    assert "(edited) to the other person." in out
    assert f"Returned {letter.pk} to its sender with your note." in out
    assert f"Rejected {statement.pk}; the sender sees your reason." in out
    assert out.count("Nothing is waiting for a decision.") == 1  # the second queue
    assert "usage: relay> forward [--edit TEXT] message_id" in out.replace("[-h] ", "")
    assert "  quit      leave the shell (or Ctrl-D)" in out
    assert "  reject    facilitators: decide not to pass a message on" in out
    # Mistakes are reported and the shell goes on.
    assert "invalid choice: 'frobnicate'" in err
    assert "the following arguments are required: message_id" in err
    assert "No closing quotation" in err
    assert "Paused" not in out
    states = {m.kind: m.state for m in Message.objects.filter(case=sc.case, derived_from=None)}
    assert states == {
        "question": MessageState.APPROVED,
        "letter": MessageState.RETURNED,
        "statement": MessageState.REJECTED,
    }
    # One sign-in, one second-factor code, for all of it.
    assert sessions_of(sc.facilitator) == 1
    assert device.token_set.count() == codes_before - 1


def test_the_shell_ends_when_the_session_does(daphne, shuttle, monkeypatch):
    sc = shuttle
    three_waiting_messages(daphne, sc, monkeypatch)
    monkeypatch.setenv("RELAY_OTP", otp_token(sc.facilitator))
    code, out, err = shell(
        daphne,
        sc,
        ScriptedInput(
            "cases",
            lambda: end_sessions(sc.facilitator.user.pk),
            f"queue {sc.case.reference}",
            "cases",
        ),
        monkeypatch,
    )
    assert code == 1
    assert "(not_signed_in)" in err
    assert "your session has ended; run 'relay-client shell' again to sign in." in err
    assert out.count(sc.case.reference) == 1  # only the first 'cases' ran
    assert not Message.objects.exclude(state=MessageState.SUBMITTED).exists()


def test_a_wrong_code_opens_no_shell(daphne, shuttle, monkeypatch):
    sc = shuttle
    monkeypatch.setenv("RELAY_OTP", "000000")
    code, out, err = shell(daphne, sc, ScriptedInput("cases"), monkeypatch)
    assert code == 1 and "(bad_token)" in err
    assert out == ""


class Terminal:
    """The far end of a pseudo-terminal, read until an expected text appears."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.seen}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the program ended
                chunk = b""
            if not chunk:
                raise AssertionError(f"{text!r} did not appear before the end:\n{self.seen}")
            self.seen += chunk.decode(errors="replace").replace("\r", "")
        before, _, self.seen = self.seen.partition(text)
        return before + text

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")


def _take_the_terminal() -> None:
    """In the child: make the pseudo-terminal its controlling terminal, as a login does, so
    getpass reads the password from it without echo."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_in_a_terminal_the_password_and_code_are_asked_once(daphne, shuttle, monkeypatch):
    sc = shuttle
    sent = three_waiting_messages(daphne, sc, monkeypatch)
    device = sc.facilitator.extra["otp_device"]
    codes_before = device.token_set.count()
    script = Path(sys.executable).parent / "relay-client"
    env = {k: v for k, v in os.environ.items() if k not in ("RELAY_PASSWORD", "RELAY_OTP")}
    env.update(
        {"RELAY_SERVER": daphne.url, "RELAY_USERNAME": sc.facilitator.user.username, "TERM": "dumb"}
    )
    parent, child = os.openpty()
    proc = subprocess.Popen(  # noqa: S603 - our own installed command
        [str(script), "--kdf-floor", kdf_floor_arg(), "shell"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
        preexec_fn=_take_the_terminal,  # noqa: PLW1509
    )
    os.close(child)
    term = Terminal(parent)
    try:
        term.expect("Password: ")
        term.type(sc.facilitator.password)
        asked = term.expect("(or a backup code): ")
        assert sc.facilitator.password not in asked  # not echoed
        term.type(otp_token(sc.facilitator))
        assert "Type 'help' for the commands" in term.expect("relay> ")
        term.type(f"queue {sc.case.reference}")
        assert "Did you know we were home that night?" in term.expect("relay> ")
        term.type(f"forward {sent['question'].pk}")
        assert "Forwarded" in term.expect("relay> ")
        term.type(f'reject {sent["statement"].pk} "It blames the other person."')
        assert "Rejected" in term.expect("relay> ")
        term.type("quit")
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(parent)
    assert "Password:" not in term.seen and "code from" not in term.seen.lower()
    assert sessions_of(sc.facilitator) == 1
    assert device.token_set.count() == codes_before - 1
    assert Message.objects.get(pk=sent["question"].pk).state == MessageState.APPROVED
    assert Message.objects.get(pk=sent["statement"].pk).state == MessageState.REJECTED


def test_the_code_seed_demo_points_to_signs_the_demo_facilitator_in(daphne, monkeypatch):
    seeded = io.StringIO()
    call_command("seed_demo", stdout=seeded)
    command = ".venv/bin/relay-client demo-code demo-facilitator"
    assert f"its current code: {command}" in seeded.getvalue()
    code_out, code_err = io.StringIO(), io.StringIO()
    assert main(["demo-code", "demo-facilitator"], out=code_out, err=code_err) == 0
    code = code_out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert "demo only" in code_err.getvalue()
    # The code an authenticator app computes from the published otpauth:// URI.
    person = DEMO_PEOPLE["facilitator"]
    at = 1_790_000_000.0
    app = TOTP(bytes.fromhex(person.totp_key_hex), step=30, digits=6)
    app.time = at
    printed = io.StringIO()
    cmd_demo_code(person.username, printed, io.StringIO(), at=at)
    assert printed.getvalue() == f"{app.token():06d}\n"

    monkeypatch.setenv("RELAY_PASSWORD", person.password)
    monkeypatch.setenv("RELAY_OTP", code)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["--server", daphne.url, "--kdf-floor", kdf_floor_arg(), "-u", person.username, "shell"],
        out=out,
        err=err,
        stdin=ScriptedInput("queue RJ-DEMO-0001", "quit"),
    )
    assert status == 0, err.getvalue()
    assert out.getvalue().startswith("Signed in as demo-facilitator (facilitator).")
    assert "Nothing is waiting for a decision." in out.getvalue()


def test_demo_code_knows_no_other_account():
    err = io.StringIO()
    assert main(["demo-code", "sam"], out=io.StringIO(), err=err) == 2
    assert "knows only the demo hub's published secrets" in err.getvalue()
    assert main(["demo-code", "demo-harmed"], out=io.StringIO(), err=io.StringIO()) == 2


def test_the_readmes_commands_are_ones_the_client_takes():
    """Every relay-client line and every 'relay>' line of the README parses as written."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[
        readme.index("### The command-line client") : readme.index("### Other targets")
    ]
    run_lines = [
        line.split("#")[0]
        for line in section.splitlines()
        if line.startswith(".venv/bin/relay-client ")
    ]
    shell_lines = [
        line.removeprefix("relay> ") for line in section.splitlines() if line.startswith("relay> ")
    ]
    assert len(run_lines) >= 6 and len(shell_lines) >= 4
    for line in run_lines:
        build_parser().parse_args(shlex.split(line)[1:])
    parser = command_parser()
    for line in shell_lines:
        if line not in ("quit", "help"):
            parser.parse_args(shlex.split(line))
    assert "shell" in " ".join(run_lines) and "RELAY_OTP" in section
