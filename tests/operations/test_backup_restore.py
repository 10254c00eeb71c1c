"""deploy/backup.sh and deploy/restore.sh on real PostgreSQL: back up, restore into a fresh
database, verify the audit log, and a real client, against a real Daphne on the restored
database, still opens the history."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.conftest import ROOT, DaphneProcess, database_url_for_subprocess
from tests.delivery.live import client_for
from tests.envelopes import seal_from
from tests.factories import make_case, verified_session
from tests.test_no_plaintext import leaks

pytestmark = [pytest.mark.postgres, pytest.mark.live]


def _admin_url(name: str) -> str:
    base = database_url_for_subprocess()
    return base.rsplit("/", 1)[0] + f"/{name}"


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "--dbname", _admin_url("postgres"), "--no-psqlrc", "-q", "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / name), *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


class RestoredDaphne(DaphneProcess):
    def __init__(self, database_url: str, checkpoints: Path) -> None:
        super().__init__()
        self.database_url = database_url
        self.checkpoints = checkpoints

    def env(self) -> dict[str, str]:
        env = super().env()
        env["DATABASE_URL"] = self.database_url
        env["RELAY_AUDIT_CHECKPOINT_DIR"] = str(self.checkpoints)
        return env


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield _admin_url(name)
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_backup_restore_verify_and_open(tmp_path, fresh_database, own_checkpoints) -> None:
    shuttle = make_case()
    canary = f"CANARY-{uuid.uuid4().hex}"
    harmed = shuttle.harmed
    client = verified_session(Client(), harmed)
    envelope = seal_from(harmed, shuttle, "question", canary)
    sent = client.post(
        "/api/messages", json.dumps({"envelope": envelope}), content_type="application/json"
    )
    assert sent.status_code in (200, 201), sent.content
    attachments = tmp_path / "attachments"
    (attachments / "ab").mkdir(parents=True)
    (attachments / "ab" / "blob").write_bytes(b"\x00encrypted-chunks\xff")

    backups = tmp_path / "backups"
    made = _script(
        "backup.sh",
        str(backups),
        env={
            "DATABASE_URL": database_url_for_subprocess(),
            "RELAY_ATTACHMENT_DIR": str(attachments),
            "RELAY_AUDIT_CHECKPOINT_DIR": str(own_checkpoints),
            "RELAY_BACKUP_ANCHOR_DIR": str(tmp_path / "anchors-elsewhere"),
        },
    )
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == [
        "SHA256SUMS",
        "attachments.tar.gz",
        "audit-anchors.tar.gz",
        "database.dump",
    ]
    assert len(list((tmp_path / "anchors-elsewhere").iterdir())) == 1
    # The dump holds ciphertext only.
    assert not leaks((backup / "database.dump").read_bytes(), canary)

    restored_checkpoints = tmp_path / "restored-checkpoints"
    restored_attachments = tmp_path / "restored-attachments"
    restore_env = {
        "DATABASE_URL": fresh_database,
        "RELAY_AUDIT_KEY": settings.RELAY_AUDIT_KEY,
        "RELAY_ATTACHMENT_DIR": str(restored_attachments),
        "RELAY_AUDIT_CHECKPOINT_DIR": str(restored_checkpoints),
        "RELAY_MANAGE": f"{sys.executable} manage.py",
        "DJANGO_SETTINGS_MODULE": "relay.settings.test",
    }
    restored = _script("restore.sh", str(backup), env=restore_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Audit log intact" in restored.stdout
    assert "Shredded 0 case(s)" in restored.stdout
    assert (restored_attachments / "ab" / "blob").read_bytes() == b"\x00encrypted-chunks\xff"

    # A second restore into the same (now full) database is refused, and changes nothing.
    again = _script("restore.sh", str(backup), env=restore_env)
    assert again.returncode == 2 and "already has" in again.stderr

    server = RestoredDaphne(fresh_database, restored_checkpoints).start()
    try:
        facilitator = client_for(server, shuttle.facilitator)
        messages = [e["message"] for e in facilitator.catch_up() if e.get("message")]
        opened = [facilitator.open(m) for m in messages]
        assert canary in [o["body"] for o in opened], opened
    finally:
        server.stop()


def test_restore_refuses_a_damaged_backup(tmp_path) -> None:
    backup = tmp_path / "relay-broken"
    backup.mkdir()
    for name in ("audit-anchors.tar.gz", "attachments.tar.gz", "database.dump"):
        (backup / name).write_bytes(b"original")
    sums = "".join(
        f"{hashlib.sha256(b'original').hexdigest()}  {name}\n"
        for name in ("audit-anchors.tar.gz", "attachments.tar.gz", "database.dump")
    )
    (backup / "SHA256SUMS").write_text(sums)
    (backup / "database.dump").write_bytes(b"tampered")
    result = _script(
        "restore.sh",
        str(backup),
        env={"DATABASE_URL": _admin_url("postgres"), "RELAY_AUDIT_KEY": "k" * 40},
    )
    assert result.returncode != 0
    assert "Restoring the database" not in result.stdout


def test_backup_needs_a_database(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        ["sh", str(ROOT / "deploy" / "backup.sh"), str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.django_db(transaction=True)
def test_restore_without_relay_stops_after_the_files(tmp_path, fresh_database, own_checkpoints):
    make_case()
    made = _script(
        "backup.sh",
        str(tmp_path / "b"),
        env={
            "DATABASE_URL": database_url_for_subprocess(),
            "RELAY_AUDIT_CHECKPOINT_DIR": str(own_checkpoints),
            "RELAY_ATTACHMENT_DIR": str(tmp_path / "none"),
        },
    )
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if k != "RELAY_AUDIT_KEY"}
    result = subprocess.run(
        ["sh", str(ROOT / "deploy" / "restore.sh"), made.stdout.strip()],
        cwd=ROOT,
        env={
            **env,
            "DATABASE_URL": fresh_database,
            "RELAY_MANAGE": "none",
            "RELAY_ATTACHMENT_DIR": str(tmp_path / "a"),
            "RELAY_AUDIT_CHECKPOINT_DIR": str(tmp_path / "c"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "verify_audit_log" in result.stdout and "Migrating" not in result.stdout
    assert (tmp_path / "c" / "checkpoints.log").exists()
