"""Invariant 4 with the Redis channel layer and a real Daphne: a lost group membership,
Redis dropping the server's connections, and a Redis restart lose and duplicate nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings

from relay.delivery.groups import user_group
from tests.conftest import DaphneProcess, free_port
from tests.delivery.live import Listener, client_for, message_ids, redis_address
from tests.factories import ShuttleCase, make_case

pytestmark = [pytest.mark.live, pytest.mark.redis]


def layer_prefix() -> str:
    return str(settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi"))


def assert_once_in_order(listener: Listener, sent: list[str]) -> None:
    assert listener.errors == []
    seqs = [e["seq"] for e in listener.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    received = message_ids(listener.events)
    assert Counter(received) == Counter(sent)
    assert received == sent


def watch(client, count: int) -> Listener:  # type: ignore[no-untyped-def]
    listener = Listener(client, until=lambda events: len(message_ids(events)) >= count)
    listener.start()
    assert listener.connected.wait(10)
    return listener


def daphne_redis_ports(pid: int, redis_port: int) -> set[int]:
    """Local ports of the process's TCP connections to Redis, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == redis_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def test_lost_group_membership_is_repaired_without_reconnecting(daphne: DaphneProcess) -> None:
    sc = make_case()
    harmed, facilitator = client_for(daphne, sc.harmed), client_for(daphne, sc.facilitator)
    facilitator.catch_up()
    listener = watch(facilitator, 10**6)  # kept open until stopped below
    first = harmed.send(sc.id, "question", "before")["message_id"]
    group_key = f"{layer_prefix()}:group:{user_group(sc.facilitator.user.pk)}"
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    deadline = time.monotonic() + 10
    while len(message_ids(listener.events)) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.delete(group_key) == 1, "the socket was a member of its group"
    sent = [first] + [
        harmed.send(sc.id, "question", f"lost push {i}")["message_id"] for i in range(3)
    ]
    deadline = time.monotonic() + 15
    while len(message_ids(listener.events)) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    rejoined = bool(store.exists(group_key))  # the socket is still open here
    listener.stopped.set()
    listener.join(15)
    assert not listener.is_alive()
    assert_once_in_order(listener, sent)
    assert listener.connections == 1, "caught up without reconnecting"
    assert rejoined, "the socket rejoined its group"


def test_redis_dropping_the_servers_connections_loses_nothing(daphne: DaphneProcess) -> None:
    sc = make_case()
    harmed, facilitator = client_for(daphne, sc.harmed), client_for(daphne, sc.facilitator)
    facilitator.catch_up()
    host, port = redis_address(os.environ["REDIS_URL"])
    store = redis.Redis(host=host, port=port)
    before = {client["id"] for client in store.client_list()}
    listener = watch(facilitator, 10)
    sent = [harmed.send(sc.id, "question", f"before {i}")["message_id"] for i in range(5)]
    assert daphne.proc is not None
    ports = daphne_redis_ports(daphne.proc.pid, port)
    assert ports, "Daphne holds connections to Redis"
    clients = store.client_list()
    daphnes = [c["id"] for c in clients if int(c["addr"].rsplit(":", 1)[1]) in ports]
    if not daphnes:
        # Redis behind a port mapping sees other addresses: take the connections that
        # appeared since the socket opened (nothing else runs against Redis in CI).
        daphnes = [c["id"] for c in clients if c["id"] not in before]
    killed = sum(store.client_kill_filter(_id=client_id) for client_id in daphnes)
    assert killed >= 1
    sent += [harmed.send(sc.id, "question", f"after {i}")["message_id"] for i in range(5)]
    listener.join(20)
    assert not listener.is_alive()
    assert_once_in_order(listener, sent)
    print(f"\nkilled {killed} Redis connections; socket connections: {listener.connections}")  # noqa: T201


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")
def test_redis_restart_mid_stream_loses_nothing(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = free_port()

    def start_redis() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=port).ping():
                    return proc
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    store = start_redis()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    server = DaphneProcess().start()
    try:
        sc: ShuttleCase = make_case()
        harmed, facilitator = client_for(server, sc.harmed), client_for(server, sc.facilitator)
        facilitator.catch_up()
        listener = watch(facilitator, 10)
        sent = [harmed.send(sc.id, "question", f"before {i}")["message_id"] for i in range(5)]
        store.terminate()
        store.wait(10)
        began = time.monotonic()
        sent += [harmed.send(sc.id, "question", f"redis down {i}")["message_id"] for i in range(2)]
        down_seconds = time.monotonic() - began
        store = start_redis()
        sent += [harmed.send(sc.id, "question", f"after {i}")["message_id"] for i in range(3)]
        listener.join(20)
        assert not listener.is_alive()
        assert_once_in_order(listener, sent)
        print(  # noqa: T201
            f"\ntwo sends with Redis down took {down_seconds:.2f}s; "
            f"socket connections: {listener.connections}"
        )
    finally:
        server.stop()
        store.terminate()
        store.wait(10)
