"""The command-line client against a real Daphne: every subcommand, and its error paths."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from relay.cases.models import ParticipationState
from relay.moderation.models import Message, MessageState
from relay_client.cli import main
from tests.client.cli_helpers import kdf_floor_arg, run_cli
from tests.factories import make_case

pytestmark = pytest.mark.live


def test_the_whole_shuttle_through_the_command_line(daphne, monkeypatch):
    sc = make_case()

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    listed = cli(sc.harmed, "cases")
    assert listed.code == 0, listed.err
    assert sc.id in listed.out and "you are the person harmed" in listed.out
    staff_view = cli(sc.facilitator, "cases")
    assert sc.case.reference in staff_view.out and "the person responsible" in staff_view.out

    sent = cli(sc.harmed, "send", sc.id[:8], "question", "Did you know we were home that night?")
    assert sent.code == 0, sent.err
    assert "waits for your facilitator" in sent.out
    question = Message.objects.get(case=sc.case, state=MessageState.SUBMITTED)

    queue = cli(sc.facilitator, "queue", sc.case.reference)
    assert queue.code == 0, queue.err
    assert "The person harmed sent a question" in queue.out
    assert str(question.pk) in queue.out and "Did you know we were home that night?" in queue.out

    forwarded = cli(
        sc.facilitator, "forward", str(question.pk)[:8], "--edit", "Did you know we were home?"
    )
    assert forwarded.code == 0, forwarded.err
    assert "(edited)" in forwarded.out

    inbox = cli(sc.responsible, "inbox")
    assert inbox.code == 0, inbox.err
    assert (
        "The person harmed sent you a question, passed on by your facilitator, who edited it: "
        "\u201cDid you know we were home?\u201d" in inbox.out
    )
    assert "that night" not in inbox.out

    answer = cli(sc.responsible, "send", sc.id, "answer", "No.")
    assert answer.code == 0, answer.err
    first_answer = Message.objects.get(case=sc.case, state=MessageState.SUBMITTED)
    returned = cli(sc.facilitator, "return", str(first_answer.pk), "Could you say a little more?")
    assert returned.code == 0, returned.err
    inbox = cli(sc.responsible, "inbox")
    assert (
        f"Your facilitator returned your message {first_answer.pk} and asks you to rephrase it: "
        "\u201cCould you say a little more?\u201d" in inbox.out
    )
    assert f"Your message {first_answer.pk} was returned to you with a note." in inbox.out

    revised = cli(
        sc.responsible,
        "send",
        sc.id,
        "answer",
        "No, I thought the house was empty.",
        "--revision-of",
        str(first_answer.pk),
    )
    assert revised.code == 0, revised.err
    second = Message.objects.get(case=sc.case, state=MessageState.SUBMITTED)
    assert second.derived_from_id == first_answer.pk
    assert cli(sc.facilitator, "forward", str(second.pk)).code == 0

    harmed_inbox = cli(sc.harmed, "inbox")
    assert (
        "The person responsible sent you an answer, passed on by your facilitator: "
        "\u201cNo, I thought the house was empty.\u201d" in harmed_inbox.out
    )
    # The question was edited: its writer is told so and reads the version passed on, which
    # the Python client's forward seals to them too.
    assert (
        f"Your message {question.pk} was passed on with changes by your facilitator."
        in harmed_inbox.out
    )
    assert (
        f"Your facilitator passed on your message {question.pk} with changes. The person "
        "responsible received: \u201cDid you know we were home?\u201d" in harmed_inbox.out
    )
    responsible_inbox = cli(sc.responsible, "inbox")
    assert (
        f"Your facilitator passed on your message {second.pk} as you wrote it. The person "
        "harmed received: \u201cNo, I thought the house was empty.\u201d" in responsible_inbox.out
    )
    assert "\u201cNo.\u201d" not in harmed_inbox.out

    note = cli(
        sc.facilitator, "send", sc.id, "facilitator_note", "Thank you both.", "--to", "harmed"
    )
    assert note.code == 0, note.err
    later = cli(sc.harmed, "inbox", "--after", "100000")
    assert later.out == "Nothing new.\n"
    assert (
        "Your facilitator wrote to you: \u201cThank you both.\u201d" in cli(sc.harmed, "inbox").out
    )


def test_reject_pause_resume_and_withdraw(daphne, monkeypatch):
    sc = make_case()

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    assert (
        cli(sc.responsible, "send", sc.id, "statement", "You should not have been there.").code == 0
    )
    statement = Message.objects.get(case=sc.case)
    rejected = cli(sc.facilitator, "reject", str(statement.pk), "It blames the other person.")
    assert rejected.code == 0, rejected.err
    assert (
        f"Your facilitator will not pass on your message {statement.pk}. Their reason: "
        "\u201cIt blames the other person.\u201d" in cli(sc.responsible, "inbox").out
    )

    assert cli(sc.harmed, "send", sc.id, "question", "Why us?").code == 0
    question = Message.objects.get(case=sc.case, state=MessageState.SUBMITTED)
    paused = cli(sc.responsible, "pause", sc.id)
    assert paused.code == 0 and "Paused." in paused.out
    blocked = cli(sc.facilitator, "forward", str(question.pk))
    assert blocked.code == 1
    assert "paused" in blocked.err and blocked.out == ""
    assert blocked.err.endswith("(paused)\n")
    question.refresh_from_db()
    assert question.state == MessageState.SUBMITTED
    harmed_view = cli(sc.harmed, "inbox").out
    assert "Communication is paused. You can still write to your facilitator." in harmed_view
    assert "responsible" not in harmed_view.split("Communication is paused")[-1]
    assert "You paused communication." in cli(sc.responsible, "inbox").out
    not_theirs = cli(sc.harmed, "resume", sc.id)
    assert not_theirs.code == 1 and "nothing to resume" in not_theirs.err
    assert cli(sc.responsible, "resume", sc.id).out == "Resumed. Messages can be passed on again.\n"
    assert cli(sc.facilitator, "forward", str(question.pk)).code == 0

    unconfirmed = cli(sc.harmed, "withdraw", sc.id)
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err
    sc.harmed.user.participations.get().refresh_from_db()
    assert sc.harmed.user.participations.get().state == ParticipationState.ACTIVE
    gone = cli(sc.harmed, "withdraw", sc.id, "--yes")
    assert gone.code == 0 and "withdrawn" in gone.out
    assert sc.harmed.user.participations.get().state == ParticipationState.WITHDRAWN
    assert "The other person has withdrawn." in cli(sc.responsible, "inbox").out
    refused = cli(sc.harmed, "send", sc.id, "question", "One more thing")
    assert refused.code == 1 and "withdrawn" in refused.err


def test_clear_errors_and_nothing_changed(daphne, monkeypatch):
    sc = make_case()

    wrong = run_cli(daphne.url, sc.harmed, "cases", monkeypatch=monkeypatch, password="not it")
    assert wrong.code == 1
    assert wrong.err == "relay-client: That username and password do not match. (bad_credentials)\n"

    no_factor = run_cli(
        daphne.url, sc.facilitator, "queue", sc.id, monkeypatch=monkeypatch, otp=False
    )
    assert no_factor.code == 2 and "--otp" in no_factor.err

    bad_code = run_cli(
        daphne.url,
        sc.facilitator,
        "--otp",
        "000000",
        "queue",
        sc.id,
        monkeypatch=monkeypatch,
        otp=False,
    )
    assert bad_code.code == 1 and "bad_token" in bad_code.err

    weak = run_cli(daphne.url, sc.harmed, "cases", monkeypatch=monkeypatch, floor=False)
    assert weak.code == 1 and "this client requires at least 3 passes and 64 MiB" in weak.err

    bad_kind = run_cli(daphne.url, sc.harmed, "send", sc.id, "threat", "x", monkeypatch=monkeypatch)
    assert bad_kind.code == 2 and "KIND must be one of" in bad_kind.err
    unknown_case = run_cli(
        daphne.url, sc.harmed, "send", "ffff", "question", "x", monkeypatch=monkeypatch
    )
    assert unknown_case.code == 2 and "No case of yours matches 'ffff'" in unknown_case.err
    other = make_case()
    not_yours = run_cli(daphne.url, sc.harmed, "pause", other.id, monkeypatch=monkeypatch)
    assert not_yours.code == 1 and "(not_found)" in not_yours.err
    participant_queue = run_cli(daphne.url, sc.harmed, "queue", sc.id, monkeypatch=monkeypatch)
    assert participant_queue.code == 1 and "(not_found)" in participant_queue.err
    assert not Message.objects.exists()

    monkeypatch.delenv("RELAY_USERNAME", raising=False)
    nobody = run_cli(daphne.url, None, "cases", monkeypatch=monkeypatch)
    assert nobody.code == 2 and "--username" in nobody.err

    monkeypatch.setenv("RELAY_PASSWORD", "x")
    unreachable = io.StringIO()
    code = main(
        ["--server", "http://127.0.0.1:9", "-u", "jo", "cases"],
        out=io.StringIO(),
        err=unreachable,
        stdin=io.StringIO(""),
    )
    assert (
        code == 3
        and "could not reach the Relay server at http://127.0.0.1:9" in unreachable.getvalue()
    )


def test_listen_prints_events_as_they_arrive(daphne, monkeypatch):
    sc = make_case()
    out = io.StringIO()
    monkeypatch.setenv("RELAY_PASSWORD", sc.responsible.password)
    argv = [
        "--server",
        daphne.url,
        "--kdf-floor",
        kdf_floor_arg(),
        "-u",
        sc.responsible.user.username,
        "listen",
        "--count",
        "3",
        "--seconds",
        "30",
    ]
    result: list[int] = []
    listener = threading.Thread(
        target=lambda: result.append(main(argv, out=out, err=io.StringIO(), stdin=io.StringIO("")))
    )
    listener.start()
    deadline = time.monotonic() + 20
    while "Listening." not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Listening." in out.getvalue()

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    assert cli(sc.harmed, "send", sc.id, "question", "Are you sorry?").code == 0
    question = Message.objects.get(case=sc.case)
    assert cli(sc.facilitator, "forward", str(question.pk)).code == 0
    assert cli(sc.harmed, "pause", sc.id).code == 0
    assert cli(sc.harmed, "resume", sc.id).code == 0
    listener.join(30)
    assert result == [0]
    lines = out.getvalue().splitlines()
    assert lines[1].endswith(
        "The person harmed sent you a question, passed on by your facilitator: "
        "\u201cAre you sorry?\u201d"
    )
    assert lines[2].endswith("Communication is paused. You can still write to your facilitator.")
    assert lines[3].endswith("Communication is open: messages can be passed on again.")


def test_installed_command(daphne):
    sc = make_case()
    script = Path(sys.executable).parent / "relay-client"
    env = {
        **os.environ,
        "RELAY_PASSWORD": sc.harmed.password,
        "RELAY_SERVER": daphne.url,
        "RELAY_USERNAME": sc.harmed.user.username,
    }
    done = subprocess.run(
        [str(script), "--kdf-floor", kdf_floor_arg(), "sign-in"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Signed in as {sc.harmed.user.username} (participant)." in done.stdout
    assert sc.harmed.keypair is not None
    assert f"Your key fingerprint: {sc.harmed.keypair.fingerprint}" in done.stdout
    # The fingerprint read out to the facilitator is the one the server shows them.
    assert sc.harmed.user.public_keys.get().fingerprint == sc.harmed.keypair.fingerprint
    assert sc.harmed.password not in done.stdout + done.stderr


@pytest.mark.parametrize("code", [4001, 4002, 4003, 4400, 4401, 4403, 4413, 4415, 4429])
def test_every_documented_close_code_is_explained_in_plain_words(code):
    from websockets.exceptions import ConnectionClosed
    from websockets.frames import Close

    from relay_client.cli import explain
    from relay_client.client import CLOSE_CODES

    status, message = explain(ConnectionClosed(Close(code, ""), None), "http://127.0.0.1:1")
    assert status == 1
    assert CLOSE_CODES[code][0] in message
