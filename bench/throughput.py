"""Throughput and push latency of the shuttle with many cases at once.

    python -m bench.throughput [--pairs 8] [--messages 30] [--postgres URL] [--redis URL]

It starts its own Daphne (test settings: cheap password hashing and KDF, so signing in is
not what is measured) on a fresh database — SQLite in a temporary folder by default, or a
new, dropped-afterwards database on the PostgreSQL server given — with the in-memory channel
layer, or Redis if given. It seeds one case per pair of participants through the real
actions. In each case the person harmed sends, the facilitator opens and forwards, and the
person responsible receives the forwarded message; every case runs in its own thread.

It prints one row per run: shuttles (submitted + forwarded + delivered) per second, the
end-to-end latency from send to the other person's copy arriving, and the push latency from
the forward's acknowledgement to arrival, with ratios against the first row (one pair,
live push) measured in the same invocation. The last row is the same load with the
recipients polling ``/api/events`` over HTTP instead of holding a socket.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
POLL_INTERVAL = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_database(postgres: str | None) -> Iterator[str]:
    """A DATABASE_URL for an empty database that is removed afterwards."""
    if postgres is None:
        with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import psycopg

    name = f"relay_bench_{uuid.uuid4().hex[:8]}"
    server = urlparse(postgres)
    admin = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)


def configure(database_url: str, redis_url: str | None, origin: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update({
        "DJANGO_SETTINGS_MODULE": "relay.settings.test",
        "DATABASE_URL": database_url,
        "RELAY_ALLOWED_ORIGINS": origin,
        "RELAY_ALLOWED_HOSTS": "127.0.0.1",
        "RELAY_LOG_LEVEL": "WARNING",
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
    os.environ.update(env)
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
    return env


@contextmanager
def daphne(env: dict[str, str], port: int) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "--access-log", "/dev/null", "-b", "127.0.0.1",
         "-p", str(port), "relay.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("Daphne did not start within 30 seconds.")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Pair:
    """One case: the person harmed, a facilitator and the person responsible, signed in."""

    case_id: str
    harmed: object
    facilitator: object
    responsible: object
    end_to_end: list[float] = field(default_factory=list)
    push: list[float] = field(default_factory=list)
    error: BaseException | None = None


def seed_pairs(url: str, count: int) -> list[Pair]:
    from types import SimpleNamespace

    from tests.delivery.live import client_for
    from tests.factories import make_case

    server = SimpleNamespace(url=url)
    pairs = []
    for _ in range(count):
        sc = make_case()
        pairs.append(Pair(sc.id, client_for(server, sc.harmed), client_for(server, sc.facilitator),
                          client_for(server, sc.responsible)))
    return pairs


def shuttle(pair: Pair, messages: int, *, live: bool) -> None:
    """Send, forward and receive ``messages`` times in one case."""
    harmed, facilitator, responsible = pair.harmed, pair.facilitator, pair.responsible
    try:
        responsible.catch_up()  # type: ignore[attr-defined]
        if live:
            with responsible.socket() as sock:  # type: ignore[attr-defined]
                for i in range(messages):
                    one_shuttle(pair, i, lambda: next_message(sock))
        else:
            for i in range(messages):
                one_shuttle(pair, i, lambda: poll_message(responsible))
    except BaseException as exc:  # noqa: BLE001 — reported by the caller
        pair.error = exc
    del facilitator, harmed


def next_message(sock) -> None:  # type: ignore[no-untyped-def]
    while True:
        event = sock.next_event(10)
        if event is None:
            raise RuntimeError("a forwarded message did not arrive within 10 seconds")
        if event["type"] == "message":
            return


def poll_message(client) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(e["type"] == "message" for e in client.catch_up()):
            return
        time.sleep(POLL_INTERVAL)
    raise RuntimeError("a forwarded message did not arrive within 10 seconds")


def one_shuttle(pair: Pair, i: int, arrival) -> None:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    sent = pair.harmed.send(pair.case_id, "question", f"Benchmark question {i}")  # type: ignore[attr-defined]
    message = pair.facilitator.get(f"/api/messages/{sent['message_id']}")  # type: ignore[attr-defined]
    pair.facilitator.forward(message)  # type: ignore[attr-defined]
    t1 = time.perf_counter()
    arrival()
    t2 = time.perf_counter()
    pair.end_to_end.append(t2 - t0)
    pair.push.append(t2 - t1)


@dataclass
class Result:
    label: str
    pairs: int
    shuttles: int
    seconds: float
    end_to_end: list[float]
    push: list[float]

    @property
    def rate(self) -> float:
        return self.shuttles / self.seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def run(label: str, pairs: list[Pair], messages: int, *, live: bool) -> Result:
    for pair in pairs:
        pair.end_to_end, pair.push, pair.error = [], [], None
    threads = [threading.Thread(target=shuttle, args=(p, messages), kwargs={"live": live})
               for p in pairs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    errors = [p.error for p in pairs if p.error is not None]
    if errors:
        raise SystemExit(f"{label}: {errors[0]!r}")
    return Result(label, len(pairs), len(pairs) * messages, seconds,
                  [x for p in pairs for x in p.end_to_end], [x for p in pairs for x in p.push])


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base > 0 else "-"


def table(results: list[Result]) -> str:
    base = results[0]
    lines = [
        f"{'run':<28}{'pairs':>6}{'shuttles':>9}{'per s':>8}{'x base':>8}"
        f"{'e2e p50':>10}{'e2e p95':>10}{'push p50':>10}{'push p95':>10}{'e2e x base':>11}",
    ]
    for r in results:
        lines.append(
            f"{r.label:<28}{r.pairs:>6}{r.shuttles:>9}{r.rate:>8.1f}{r.rate / base.rate:>8.2f}"
            f"{percentile(r.end_to_end, .5):>8.1f}ms{percentile(r.end_to_end, .95):>8.1f}ms"
            f"{percentile(r.push, .5):>8.1f}ms{percentile(r.push, .95):>8.1f}ms"
            f"{ratio(statistics.median(r.end_to_end), statistics.median(base.end_to_end)):>11}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=8, help="cases running at once")
    parser.add_argument("--messages", type=int, default=30, help="shuttles per case per run")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a new database is made)")
    parser.add_argument("--redis", help="a Redis URL for the channel layer")
    args = parser.parse_args()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with fresh_database(args.postgres) as database_url:
        env = configure(database_url, args.redis, origin)
        migrate(env)
        import django

        django.setup()
        with daphne(env, port) as url:
            pairs = seed_pairs(url, args.pairs)
            results = [
                run("1 pair, live push", pairs[:1], args.messages, live=True),
                run(f"{args.pairs} pairs, live push", pairs, args.messages, live=True),
                run(f"{args.pairs} pairs, HTTP polling", pairs, args.messages, live=False),
            ]
            from django.db import connections

            connections.close_all()
    database = "PostgreSQL" if args.postgres else "SQLite"
    layer = "Redis" if args.redis else "in-memory"
    print(f"Relay on one Daphne, {database}, {layer} channel layer; "
          f"polling every {POLL_INTERVAL * 1000:.0f} ms in the last row")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
