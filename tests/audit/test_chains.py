"""The log is a chain per case and one for account events, each anchored outside the
database: writes in different cases append to different chains, and what a database writer
could do to one chain, or to the set of chains, is caught by ``verify_audit_log``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase

from relay.audit.chain import _event_digest, record, verify_log
from relay.audit.checkpoints import read_checkpoints
from relay.audit.keys import audit_keys
from relay.audit.models import ACCOUNT_CHAIN, AuditChain, AuditEvent, AuditEventType
from tests.audit.test_anchored_log import CHECKPOINT_FILE, build_legacy_log, verify_fails


@dataclass(frozen=True)
class Stub:
    pk: uuid.UUID


def commit(event_type: AuditEventType, case: uuid.UUID | None = None, **data: object) -> AuditEvent:
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        return record(event_type, actor=None, case=Stub(case) if case else None, **data)


def two_cases() -> tuple[uuid.UUID, uuid.UUID]:
    a, b = uuid.uuid4(), uuid.uuid4()
    commit(AuditEventType.ACCOUNT_CREATED, user="one")
    for step in range(4):
        commit(AuditEventType.CASE_PAUSED, a, step=step)
        commit(AuditEventType.CASE_RESUMED, b, step=step)
    commit(AuditEventType.PASSWORD_CHANGED, user="one")
    return a, b


def chain_events(case: uuid.UUID | None) -> list[AuditEvent]:
    chain = f"case:{case}" if case else ACCOUNT_CHAIN
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))


@pytest.mark.django_db
def test_each_case_and_the_accounts_have_their_own_chain(
    checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_cases()
    for case, expected in ((a, 4), (b, 4), (None, 2)):
        events = chain_events(case)
        assert [e.chain_seq for e in events] == list(range(1, expected + 1))
        assert events[0].prev_hash == "0" * 64
        pairs = zip(events, events[1:], strict=False)
        assert all(later.prev_hash == earlier.hash for earlier, later in pairs)
        head = AuditChain.objects.get(chain=events[0].chain)
        assert (head.seq, head.hash) == (expected, events[-1].hash)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert len(set(seqs)) == len(seqs) == 10
    lines = [json.loads(line) for line in (checkpoint_dir / CHECKPOINT_FILE).open()]
    assert {(line["chain"], line["n"], line["seq"]) for line in lines} == {
        (e.chain, e.chain_seq, e.seq) for e in AuditEvent.objects.all()
    }
    call_command("verify_audit_log")
    assert "10 events verified in 3 chains" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_whole_case_chain_deleted_with_its_head_fails(checkpoint_dir: Path) -> None:
    a, b = two_cases()
    first = chain_events(b)[0].seq
    AuditEvent.objects.filter(chain=f"case:{b}").delete()
    AuditChain.objects.filter(chain=f"case:{b}").delete()
    message = verify_fails()
    assert f"event #{first}" in message
    assert f"chain case:{b}: the whole chain is gone" in message


@pytest.mark.django_db
def test_a_whole_chain_deleted_with_its_checkpoint_lines_is_caught_by_the_anchor(
    checkpoint_dir: Path,
) -> None:
    # A writer who could also drop lines from the checkpoint file: the periodic anchor
    # still names the chain's head.
    a, b = two_cases()
    call_command("audit_checkpoint")
    path = checkpoint_dir / CHECKPOINT_FILE
    kept = [
        line for line in path.read_text().splitlines() if f"case:{b}" not in line or "heads" in line
    ]
    path.write_text("\n".join(kept) + "\n")
    call_command("verify_audit_log")  # the lines alone prove nothing missing yet
    AuditEvent.objects.filter(chain=f"case:{b}").delete()
    AuditChain.objects.filter(chain=f"case:{b}").delete()
    message = verify_fails()
    assert f"chain case:{b}: the whole chain is gone" in message
    assert "an anchor records link 4" in message


@pytest.mark.django_db
def test_an_event_moved_to_another_chain_fails(checkpoint_dir: Path) -> None:
    a, b = two_cases()
    moved = chain_events(a)[-1]
    target = chain_events(b)[-1]
    # Append it to b's chain as its next link, head moved too: the hash covers the chain.
    AuditEvent.objects.filter(seq=moved.seq).update(
        chain=target.chain, chain_seq=target.chain_seq + 1, prev_hash=target.hash
    )
    AuditChain.objects.filter(chain=target.chain).update(seq=target.chain_seq + 1, hash=moved.hash)
    AuditChain.objects.filter(chain=moved.chain).update(
        seq=moved.chain_seq - 1, hash=chain_events(a)[-1].hash
    )
    message = verify_fails()
    assert f"event #{moved.seq}" in message


@pytest.mark.django_db
def test_an_event_moved_and_rehashed_without_the_key_fails_its_mac(checkpoint_dir: Path) -> None:
    a, b = two_cases()
    moved = chain_events(b)[-1]  # the last event of all, moved to the end of a's chain
    target = chain_events(a)[-1]
    digest = _event_digest(
        prev_hash=target.hash,
        seq=moved.seq,
        created_at=moved.created_at,
        event_type=moved.event_type,
        actor_id=moved.actor_id,
        case_id=moved.case_id,
        data=moved.data,
        chain=target.chain,
        chain_seq=target.chain_seq + 1,
    )
    AuditEvent.objects.filter(seq=moved.seq).update(
        chain=target.chain, chain_seq=target.chain_seq + 1, prev_hash=target.hash, hash=digest
    )
    AuditChain.objects.filter(chain=target.chain).update(seq=target.chain_seq + 1, hash=digest)
    previous = chain_events(b)[-1]
    AuditChain.objects.filter(chain=moved.chain).update(seq=previous.chain_seq, hash=previous.hash)
    message = verify_fails()
    assert f"event #{moved.seq}" in message and "MAC" in message


@pytest.mark.django_db
def test_the_same_link_twice_fails(checkpoint_dir: Path) -> None:
    a, _ = two_cases()
    copied = chain_events(a)[1]
    fields = {f.name: getattr(copied, f.name) for f in AuditEvent._meta.fields if f.name != "seq"}
    top = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.create(seq=top.seq + 1, **fields)
    assert f"event #{top.seq + 1}" in verify_fails()


@pytest.mark.django_db
def test_a_case_chain_cut_off_the_end_with_its_head_moved_fails(checkpoint_dir: Path) -> None:
    a, b = two_cases()
    events = chain_events(a)
    AuditEvent.objects.filter(seq=events[-1].seq).delete()
    AuditChain.objects.filter(chain=events[0].chain).update(seq=3, hash=events[2].hash)
    message = verify_fails()
    assert f"event #{events[-1].seq}" in message and "events were removed" in message


@pytest.mark.django_db
def test_a_head_row_deleted_fails(checkpoint_dir: Path) -> None:
    a, _ = two_cases()
    AuditChain.objects.filter(chain=f"case:{a}").delete()
    assert "no head row" in verify_fails()


@pytest.mark.django_db
def test_audit_checkpoint_anchors_only_the_heads_that_moved(
    checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_cases()
    call_command("audit_checkpoint")
    assert "3 of 3 chain heads anchored" in capsys.readouterr().out
    commit(AuditEventType.CASE_PAUSED, a, step=9)
    call_command("audit_checkpoint")
    assert "1 of 3 chain heads anchored" in capsys.readouterr().out
    anchored = [c for c in read_checkpoints() or [] if c.anchor]
    assert sorted((c.chain, c.chain_seq) for c in anchored) == sorted(
        [(f"case:{a}", 4), (f"case:{b}", 4), (ACCOUNT_CHAIN, 2), (f"case:{a}", 5)]
    )
    call_command("verify_audit_log")


@pytest.mark.django_db
def test_a_forged_anchor_line_fails(checkpoint_dir: Path) -> None:
    two_cases()
    call_command("audit_checkpoint")
    path = checkpoint_dir / CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    anchor = json.loads(lines[-1])
    anchor["heads"] = anchor["heads"][:-1]  # drop a chain from the anchor
    lines[-1] = json.dumps(anchor, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    message = verify_fails()
    assert f"line {len(lines)}" in message and "signature" in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "line",
    [
        '{"v":2,"heads":[],"at":"x","sig":"x"}',
        '{"v":2,"heads":[["case:x",0,"ab"]],"at":"x","sig":"x"}',
        '{"v":2,"chain":"case:x","n":1,"seq":"1","hash":"ab","at":"x","sig":"x"}',
        '{"v":3,"seq":1,"hash":"ab","at":"x","sig":"x"}',
        "[1, 2]",
    ],
    ids=["empty anchor", "link zero", "seq not a number", "unknown version", "not an object"],
)
def test_malformed_v2_lines_fail(checkpoint_dir: Path, line: str) -> None:
    two_cases()
    with (checkpoint_dir / CHECKPOINT_FILE).open("a") as f:
        f.write(line + "\n")
    assert "malformed" in verify_fails()


@pytest.mark.django_db
def test_verifying_with_a_wrong_key_fails_on_every_chain(checkpoint_dir: Path, settings) -> None:
    two_cases()
    settings.RELAY_AUDIT_KEY = "another relay's audit key, at least thirty-two characters"
    message = verify_fails()
    assert "MAC" in message


@pytest.mark.django_db
def test_a_legacy_log_keeps_verifying_beside_new_chains(checkpoint_dir: Path) -> None:
    count = build_legacy_log(checkpoint_dir, 8)
    call_command("verify_audit_log")
    a, _ = two_cases()
    assert AuditEvent.objects.filter(chain="legacy").count() == count
    assert min(e.seq for e in chain_events(a)) > count  # the sequence carries on
    call_command("verify_audit_log")
    # The legacy chain is still checked link by link, against its v1 checkpoints.
    AuditEvent.objects.filter(seq=count).delete()
    AuditChain.objects.filter(chain="legacy").update(
        seq=count - 1, hash=AuditEvent.objects.get(seq=count - 1).hash
    )
    message = verify_fails()
    assert f"event #{count}" in message and "chain legacy" in message


@pytest.mark.django_db
def test_a_legacy_event_renumbered_fails(checkpoint_dir: Path) -> None:
    count = build_legacy_log(checkpoint_dir, 6)
    AuditEvent.objects.filter(seq=3).update(chain_seq=3)  # unchanged place…
    event = AuditEvent.objects.get(seq=count)
    AuditEvent.objects.filter(seq=count).delete()
    AuditEvent.objects.create(
        **{f.name: getattr(event, f.name) for f in AuditEvent._meta.fields if f.name != "seq"},
        seq=count + 40,
    )
    assert f"event #{count + 40}" in verify_fails()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_a_verified_single_chain_log_verifying(checkpoint_dir: Path) -> None:
    """0005 run on a log as 0004 left it (one chain, one head row, v1 checkpoints): it
    verifies after, new events go to chains beside it, and tampering with it still shows."""
    from tests.migrations import latest, migrate

    old = migrate([("audit", "0004_auditevent_mac")])
    try:
        Event, Head = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditChainHead")
        keys, prev, lines = audit_keys(), "0" * 64, []
        from django.utils import timezone

        for seq in range(1, 8):
            at = timezone.now()
            digest = _event_digest(
                prev_hash=prev,
                seq=seq,
                created_at=at,
                event_type=AuditEventType.CASE_PAUSED,
                actor_id=None,
                case_id=None,
                data={"n": seq},
            )
            Event.objects.create(
                seq=seq,
                created_at=at,
                event_type=AuditEventType.CASE_PAUSED,
                data={"n": seq},
                prev_hash=prev,
                hash=digest,
                mac=keys.link_mac(seq=seq, prev_hash=prev, hash=digest),
            )
            sig = keys.sign_checkpoint(seq=seq, hash=digest, at=at.isoformat())
            stamp = at.isoformat()
            lines.append(json.dumps({"v": 1, "seq": seq, "hash": digest, "at": stamp, "sig": sig}))
            prev = digest
        Head.objects.create(id=1, seq=7, hash=prev)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        (checkpoint_dir / CHECKPOINT_FILE).write_text("\n".join(lines) + "\n")
    finally:
        migrate(latest())
    assert verify_log().ok
    assert AuditChain.objects.get(chain="legacy").seq == 7
    a, _ = two_cases()
    assert min(e.seq for e in chain_events(a)) > 7  # the sequence carries on after the log
    call_command("verify_audit_log")
    AuditEvent.objects.filter(seq=7).delete()
    AuditChain.objects.filter(chain="legacy").update(seq=6, hash=AuditEvent.objects.get(seq=6).hash)
    assert "event #7" in verify_fails()
