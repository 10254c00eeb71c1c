"""Invariant 2: the server never sees content.

A unique canary goes through every kind of message — participants' questions, answers,
statements, letters, apologies and notes to facilitators, facilitators' notes, return notes,
rejection reasons and an edited forward — over HTTP and over the WebSocket, with the real
Python client against a real Daphne. Afterwards no form of the canary may appear in a dump
of the whole database, in the application's logs, or in anything Redis was sent. The
recipients must have opened every canary, so the test cannot pass by sending nothing.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import secrets
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from relay.accounts.models import Role
from relay.attachments.models import Attachment
from relay.attachments.storage import blob_prefix, blob_storage
from relay.moderation.models import Message
from tests.conftest import ROOT, DaphneProcess
from tests.delivery.live import RedisMonitor, client_for, dump_database
from tests.factories import make_case

KINDS_SEEN = {
    "question",
    "answer",
    "statement",
    "letter",
    "apology",
    "note_to_facilitator",
    "facilitator_note",
    "return_note",
    "rejection_reason",
    "edited_forward",
    "new_version",
}


def encoded_forms(canary: str) -> dict[str, bytes]:
    """Ways a leaked canary could be written down: raw, hex, UTF-16 and base64 at each of
    the three byte alignments (the core that does not depend on neighbouring bytes)."""
    raw = canary.encode()
    forms = {
        "raw": raw,
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "utf16le": canary.encode("utf-16-le"),
        "utf16be": canary.encode("utf-16-be"),
    }
    for shift in range(3):
        padded = b"\0" * shift + raw
        start = -(-shift // 3) * 4
        end = (len(padded) // 3) * 4
        forms[f"b64/{shift}"] = base64.b64encode(padded)[start:end]
        forms[f"b64url/{shift}"] = base64.urlsafe_b64encode(padded)[start:end]
    return forms


def leaks(haystack: bytes, canary: str) -> list[str]:
    return [name for name, form in encoded_forms(canary).items() if form in haystack]


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab"])
def test_the_leak_detector_finds_every_encoding(prefix: bytes) -> None:
    canary = f"Canary{secrets.token_hex(12)}"
    raw = prefix + canary.encode() + b"tail"
    for written in (
        raw,
        raw.hex().encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        (prefix.decode() + canary).encode("utf-16-le"),
        b"\\x" + raw.hex().encode(),  # how pg_dump writes bytea
    ):
        assert leaks(b"noise " + written + b" noise", canary), written
    assert leaks(secrets.token_bytes(4096), canary) == []


@pytest.mark.live
@pytest.mark.redis
@pytest.mark.postgres
def test_canaries_never_reach_database_logs_or_redis(
    transactional_db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RELAY_LOG_LEVEL", "DEBUG")
    canary = f"Canary{secrets.token_hex(12)}"
    sc = make_case()
    server = DaphneProcess().start()
    monitor_path = ROOT / "var" / f"redis-monitor-{uuid.uuid4().hex}.log"
    opened: dict[str, str] = {}
    try:
        with RedisMonitor(os.environ["REDIS_URL"], monitor_path) as monitor:
            harmed = client_for(server, sc.harmed)
            responsible = client_for(server, sc.responsible)
            facilitator = client_for(server, sc.facilitator)
            with ExitStack() as sockets:
                hsock, rsock, fsock = (
                    sockets.enter_context(c.socket()) for c in (harmed, responsible, facilitator)
                )
                text = {kind: f"{kind} {canary} {kind}" for kind in KINDS_SEEN}
                # Participants write: over HTTP and over the WebSocket.
                question = harmed.send(sc.id, "question", text["question"])
                statement = hsock.request(
                    "send", envelope=harmed.compose(sc.id, "statement", text["statement"])
                )
                letter = hsock.request(
                    "send", envelope=harmed.compose(sc.id, "letter", text["letter"])
                )
                harmed.send(sc.id, "note_to_facilitator", text["note_to_facilitator"])
                answer = rsock.request(
                    "send", envelope=responsible.compose(sc.id, "answer", text["answer"])
                )
                apology = responsible.send(sc.id, "apology", text["apology"])
                sent = (question, statement, letter, answer, apology)
                assert not any(r["duplicate"] for r in sent)

                # The facilitator decides: an edited forward, forwards as written (one over the
                # socket), a return with a note, a rejection with a reason, and a note.
                queue = {m["message_id"]: m for m in facilitator.queue(sc.id)}
                assert len(queue) == 5
                facilitator.forward(
                    queue[question["message_id"]], edited_text=text["edited_forward"]
                )
                facilitator.forward(queue[answer["message_id"]])
                original = queue[statement["message_id"]]
                envelope = facilitator.compose_for_participant(
                    sc.id,
                    "responsible",
                    "statement",
                    facilitator.open(original)["body"],
                    derived_from=original["message_id"],
                )
                fsock.request("forward", message_id=original["message_id"], envelope=envelope)
                facilitator.return_to_sender(queue[letter["message_id"]], text["return_note"])
                facilitator.reject(queue[apology["message_id"]], text["rejection_reason"])
                # The person harmed sends a new version of the returned letter.
                harmed.send(sc.id, "letter", text["new_version"], derived_from=letter["message_id"])
                note = facilitator.compose_for_participant(
                    sc.id, "harmed", "facilitator_note", text["facilitator_note"]
                )
                fsock.request("send", envelope=note)

                # Every recipient opens what reached them, live over their socket.
                for person, sock in ((harmed, hsock), (responsible, rsock), (facilitator, fsock)):
                    for event in sock.drain(1.5):
                        if event["type"] == "message":
                            body = person.open(event["message"])["body"]
                            opened.setdefault(body.split(" ")[0], body)
                    for event in person.catch_up():
                        raise AssertionError(f"event {event['seq']} missed the socket")
            # What the other parties received are the forwarded versions only.
            responsible_bodies = {
                responsible.open(e["message"])["body"] for e in _all_message_events(responsible)
            }
            assert text["edited_forward"] in responsible_bodies
            assert text["question"] not in responsible_bodies

            # A file whose name and content carry the canary: encrypted, uploaded in pieces,
            # passed on with its message, and downloaded by the other party.
            content = (f"file {canary} " * 20_000).encode()
            spool = tempfile.TemporaryFile()
            entry = harmed.encrypt_file(
                io.BytesIO(content), len(content), spool, name=f"{canary}.txt",
                media_type="text/plain",
            )
            file_message = str(uuid.uuid4())
            entry["attachment_id"] = harmed.upload_blob(sc.id, file_message, spool)
            harmed.send(sc.id, "letter", "A file.", message_id=file_message,
                        extra={"attachments": [entry]})  # fmt: skip
            (waiting,) = [m for m in facilitator.queue(sc.id) if m["message_id"] == file_message]
            forwarded = facilitator.forward(waiting)
            reading = responsible.get(f"/api/messages/{forwarded['forwarded_id']}")
            (received,) = responsible.open(reading)["attachments"]
            out = io.BytesIO()
            responsible.download_file(received, out)
            assert out.getvalue() == content and received["name"] == f"{canary}.txt"
    finally:
        server.stop()

    assert set(opened) == KINDS_SEEN, f"canaries not opened: {KINDS_SEEN - set(opened)}"
    assert all(canary in body for body in opened.values())

    database = dump_database().encode()
    assert b"moderation_message" in database and len(database) > 10_000
    # The dump holds every stored ciphertext and wrapped key, in the hex form the leak
    # detector reads, so a dump without the data cannot pass.
    stored = list(Message.objects.filter(case_id=sc.case.pk).prefetch_related("keys"))
    assert len(stored) >= len(KINDS_SEEN)
    lowered = database.lower()
    for message in stored:
        assert bytes(message.ciphertext).hex().encode() in lowered, message.pk
        for key in message.keys.all():
            assert bytes(key.box).hex().encode() in lowered, key.pk
    daphne_log = Path(server.log_path).read_bytes()
    # Relay keeps no access log (relay.serve), so the log cannot show this run's requests;
    # it shows this server's start and debug lines, so an empty or foreign log cannot pass.
    assert f"port={server.port}".encode() in daphne_log, "the log is this run's server"
    assert b'"level": "DEBUG"' in daphne_log, "the server logged at DEBUG"
    redis_seen = monitor.text()
    assert "stream.wake" in redis_seen, "the pushes must have gone through Redis"
    # The file's blob is stored (one object per piece), and holds no canary either.
    upload = Attachment.objects.get(case_id=sc.case.pk)
    storage, prefix = blob_storage(), blob_prefix(upload.case_id, upload.pk)
    pieces = storage.listdir(prefix)[1]
    assert pieces, "the file's blob is stored"
    blob = b"".join(storage.open(f"{prefix}/{name}").read() for name in pieces)
    assert len(blob) >= len(content)
    assert leaks(blob, canary) == []
    assert leaks(database, canary) == []
    assert leaks(daphne_log, canary) == []
    assert leaks(caplog.text.encode(), canary) == []
    assert leaks(redis_seen.encode(), canary) == []

    # Redis keys and channel names are opaque: no case, person, username or role in them.
    identifying = [sc.id, sc.id.replace("-", ""), sc.case.reference]
    for person in (sc.manager, sc.facilitator, sc.harmed, sc.responsible):
        identifying += [person.id, person.id.replace("-", ""), person.user.username]
    identifying += [r.value for r in Role] + ["harmed", "responsible"]
    found = [word for word in identifying if re.search(re.escape(word), redis_seen, re.I)]
    assert found == []
    monitor_path.unlink()


def _all_message_events(client):  # type: ignore[no-untyped-def]
    """Every message event in a client's stream, read again from the start over HTTP."""
    client.last_seq = 0
    return [e for e in client.catch_up() if e["type"] == "message"]


@pytest.mark.live
@pytest.mark.redis
@pytest.mark.postgres
def test_outcome_notes_and_survey_comments_stay_sealed(
    transactional_db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A canary in an outcome note (sealed to the facilitators), a closing note and a survey
    comment (sealed to the hub managers), sent with the Python client to a real Daphne: the
    right people open it, and it is nowhere in the dump, the logs or Redis."""
    from relay_client import crypto
    from tests.factories import make_person

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RELAY_LOG_LEVEL", "DEBUG")
    canary = f"Canary{secrets.token_hex(12)}"
    sc, other = make_case(), make_case()
    manager = make_person(Role.HUB_MANAGER)
    server = DaphneProcess().start()
    monitor_path = ROOT / "var" / f"redis-monitor-{uuid.uuid4().hex}.log"
    try:
        with RedisMonitor(os.environ["REDIS_URL"], monitor_path) as monitor:
            facilitator = client_for(server, sc.facilitator)
            assert facilitator.keypair is not None
            me = crypto.Recipient(facilitator.keypair.key_id, facilitator.keypair.public)

            def note(case_id: str, text: str) -> dict:
                return crypto.seal(
                    sender=facilitator.keypair,
                    sender_id=sc.facilitator.id,
                    case_id=case_id,
                    kind="outcome_note",
                    recipients=[me],
                    payload={"body": text},
                )

            facilitator.post(
                f"/api/cases/{sc.id}/conclude",
                {
                    "questions_answered": True,
                    "delivery_modes": ["letters"],
                    "agreement": [{"kind": "reparation"}],
                    "note": note(sc.id, f"outcome {canary}"),
                },
            )
            closing = client_for(server, other.facilitator)
            assert closing.keypair is not None
            closing.post(
                f"/api/cases/{other.id}/close",
                {
                    "reason": "withdrew",
                    "withdrawn_side": "responsible",
                    "note": crypto.seal(
                        sender=closing.keypair,
                        sender_id=other.facilitator.id,
                        case_id=other.id,
                        kind="outcome_note",
                        recipients=[
                            crypto.Recipient(closing.keypair.key_id, closing.keypair.public)
                        ],
                        payload={"body": f"closing {canary}"},
                    ),
                },
            )
            harmed = client_for(server, sc.harmed)
            form = harmed.get(f"/api/cases/{sc.id}/survey")
            recipients = [
                crypto.Recipient(r["key_id"], crypto.unb64(r["public_key"]))
                for r in form["comment_recipients"]
            ]
            harmed.post(
                f"/api/cases/{sc.id}/survey",
                {
                    "answers": {"felt_safe": "yes"},
                    "comment": crypto.seal_comment(
                        recipients=recipients, payload={"body": f"comment {canary}"}
                    ),
                },
            )
            # The facilitators open the notes; the hub manager opens the comment.
            summary = facilitator.get(f"/api/cases/{sc.id}")
            opened = crypto.open_envelope(
                summary["outcome"]["note"],
                me=facilitator.keypair,
                sender_public_key=facilitator.keypair.public,
            )
            assert opened.payload["body"] == f"outcome {canary}"
            hub = client_for(server, manager)
            assert hub.keypair is not None
            comments = hub.get("/api/survey-comments")["comments"]
            assert [crypto.open_comment(c["comment"], me=hub.keypair) for c in comments] == [
                {"body": f"comment {canary}"}
            ]
            statistics = hub.get("/api/statistics")
            assert any(f["key"] == "survey_felt_safe" for f in statistics["figures"])
            stored = [
                summary["outcome"]["note"]["ciphertext"],
                comments[0]["comment"]["ciphertext"],
            ]
    finally:
        server.stop()

    database = dump_database().encode()
    assert b"outcomes_surveyresponse" in database and b"outcomes_closure" in database
    # The sealed note and comment are in the dump, so a dump without them cannot pass.
    assert all(ciphertext.encode() in database for ciphertext in stored)
    daphne_log = Path(server.log_path).read_bytes()
    assert f"port={server.port}".encode() in daphne_log
    assert leaks(database, canary) == []
    assert leaks(daphne_log, canary) == []
    assert leaks(caplog.text.encode(), canary) == []
    assert leaks(monitor.text().encode(), canary) == []
    monitor_path.unlink()


def test_assessment_and_case_notes_stay_sealed(
    transactional_db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A canary in a risk assessment and a case note, sealed to the facilitators with the
    Python client and sent to a real Daphne, then the case walked to its first message
    (consent recorded after a call, preparation, the conversation started): the
    co-facilitator opens the notes, and the canary is nowhere in the dump, logs or Redis."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RELAY_LOG_LEVEL", "DEBUG")
    canary = f"Canary{secrets.token_hex(12)}"
    sc = make_case(active=False, co_facilitator=True)
    server = DaphneProcess().start()
    monitor_path = ROOT / "var" / f"redis-monitor-{uuid.uuid4().hex}.log"
    try:
        with RedisMonitor(os.environ["REDIS_URL"], monitor_path) as monitor:
            facilitator = client_for(server, sc.facilitator)
            case_id = sc.id
            facilitator.begin_assessment(case_id)
            facilitator.add_record(
                case_id,
                "suitability",
                {
                    "reported_to_police": True,
                    "identifiable_parties": True,
                    "responsibility_admitted": True,
                    "both_willing": True,
                },
            )
            facilitator.add_record(
                case_id, "risk_assessment", {"level": "medium"}, note=f"risk {canary}"
            )
            facilitator.add_record(case_id, "case_note", note=f"note {canary}")
            facilitator.add_record(case_id, "approach", {"response": "accepted"})
            facilitator.begin_preparation(case_id)
            for side in ("harmed", "responsible"):
                facilitator.give_consent(case_id, ["messages"], side=side, how="phone")
            assert facilitator.start_communication(case_id)["state"] == "active"
            harmed = client_for(server, sc.harmed)
            assert harmed.send(case_id, "question", "Why us?")["state"] == "submitted"
            co = client_for(server, sc.co_facilitator)  # type: ignore[arg-type]
            records = co.records(case_id)
            sealed = [r for r in records if r["envelope"] is not None]
            assert co.keypair is not None and sc.facilitator.keypair is not None
            from relay_client import crypto

            opened = [
                crypto.open_envelope(
                    r["envelope"],
                    me=co.keypair,
                    sender_public_key=sc.facilitator.keypair.public,
                ).payload["body"]
                for r in sealed
            ]
            assert opened == [f"risk {canary}", f"note {canary}"]
            timeline = co.timeline(case_id)
            assert [e["what"] for e in timeline["entries"]].count("record") == 4
            stored = [r["envelope"]["ciphertext"] for r in sealed]
    finally:
        server.stop()

    database = dump_database().encode()
    assert all(ciphertext.encode() in database for ciphertext in stored)
    daphne_log = Path(server.log_path).read_bytes()
    assert leaks(database, canary) == []
    assert leaks(daphne_log, canary) == []
    assert leaks(caplog.text.encode(), canary) == []
    assert leaks(monitor.text().encode(), canary) == []
    monitor_path.unlink()
