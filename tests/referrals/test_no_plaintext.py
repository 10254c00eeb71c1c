"""Invariant 2 for the intake: a canary typed into a self-referral and into a professional's
referral, sealed with the Python client to the hub's intake key made on a hub manager's
device and sent to a real Daphne, is opened by the hub manager, and appears nowhere in a
dump of the database, the logs, or anything Redis was sent (tests/test_no_plaintext.py
has the detector and the browser walk checks what the pages send)."""

from __future__ import annotations

import datetime
import logging
import os
import secrets
import uuid
from pathlib import Path

import pytest

from relay.accounts.models import Role
from relay.referrals.models import Referral
from tests.accounts.live import weak_floor_client
from tests.conftest import ROOT, DaphneProcess
from tests.delivery.live import RedisMonitor, client_for, dump_database
from tests.factories import make_person
from tests.test_no_plaintext import leaks


@pytest.mark.live
@pytest.mark.redis
@pytest.mark.postgres
def test_referral_canaries_stay_sealed(
    transactional_db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RELAY_LOG_LEVEL", "DEBUG")
    canary = f"Canary{secrets.token_hex(12)}"
    manager, referrer = make_person(Role.HUB_MANAGER), make_person(Role.REFERRER)
    server = DaphneProcess().start()
    monitor_path = ROOT / "var" / f"redis-monitor-{uuid.uuid4().hex}.log"
    try:
        with RedisMonitor(os.environ["REDIS_URL"], monitor_path) as monitor:
            hub = client_for(server, manager)
            hub.create_intake_key()
            person = weak_floor_client(server)
            mine = person.refer_self(
                {"what_happened": f"self {canary}", "contact": {"phone": f"tel {canary}"}}
            )
            professional = client_for(server, referrer)
            theirs = professional.refer_someone(
                {"person_name": f"name {canary}", "what_happened": f"professional {canary}"},
                side="responsible",
                source="probation",
                consent_given_by="person",
                consent_method="phone",
                consent_given_on=datetime.date.today().isoformat(),
            )
            intake = hub.referrals()
            opened = {r["reference"]: r["content"] for r in intake["waiting"]}
            assert opened[mine["reference"]]["what_happened"] == f"self {canary}"
            assert opened[theirs["reference"]]["person_name"] == f"name {canary}"
            hub.decline_referral(
                theirs["referral_id"], reason="other_service", signposting=["victim-support"]
            )
            hub.accept_referral(
                mine["referral_id"], offence_category="violence", complexity="standard"
            )
            status = person.referral_status(mine["reference"], mine["check_code"])
            assert status["state"] == "accepted"
            stored = [r.sealed["ciphertext"] for r in Referral.objects.all()]
    finally:
        server.stop()

    database = dump_database().encode()
    assert b"referrals_referral" in database and len(stored) == 2
    assert all(ciphertext.encode() in database for ciphertext in stored)
    daphne_log = Path(server.log_path).read_bytes()
    assert f"port={server.port}".encode() in daphne_log
    assert leaks(database, canary) == []
    assert leaks(daphne_log, canary) == []
    assert leaks(caplog.text.encode(), canary) == []
    assert leaks(monitor.text().encode(), canary) == []
    # The check code is shown once and kept only as an HMAC.
    assert mine["check_code"].encode() not in database
    monitor_path.unlink()
