"""Measure the shuttle over the real protocol: send, moderate, deliver, pause.

    python -m bench [--messages 100] [--server URL]

Without --server it starts its own Daphne on a fresh SQLite database in a temporary folder
(set DATABASE_URL and REDIS_URL to measure on PostgreSQL and Redis instead) and seeds the
demo hub there. It prints, for each message: how long the sender waited for the
acknowledgement, how long the facilitator's forward took, and the time from sending to the
other person's socket receiving the forwarded message; then how long a pause takes to reach
the other person's socket.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.throughput import (
    ROOT,
    daphne,
    free_port,
    fresh_database,
    migrate,
    next_message,
    percentile,
)
from relay_client.demo import Demo


@contextmanager
def own_server() -> Iterator[str]:
    """A seeded Relay on a free port, stopped afterwards."""
    with fresh_database(None) as sqlite_url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        env.setdefault("DATABASE_URL", sqlite_url)
        env.update({"RELAY_ALLOWED_ORIGINS": url, "DJANGO_SETTINGS_MODULE": "relay.settings"})
        migrate(env)
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )
        with daphne(env, port) as served:
            yield served


def describe(name: str, seconds: list[float]) -> str:
    return (
        f"{name:<36} median {statistics.median(seconds) * 1000:7.1f} ms   "
        f"p95 {percentile(seconds, 0.95):7.1f} ms   max {max(seconds) * 1000:7.1f} ms"
    )


def measure(url: str, messages: int) -> None:
    demo = Demo(url, io.StringIO(), kdf_floor=None)
    for key in ("harmed", "facilitator", "responsible"):
        demo.sign_in(key, None)
    demo.find_case()
    harmed = demo.people["harmed"].client
    facilitator = demo.people["facilitator"].client
    responsible = demo.people["responsible"].client
    acks, forwards, end_to_end = [], [], []
    started = time.perf_counter()
    with responsible.socket() as sock:
        for i in range(messages):
            t0 = time.perf_counter()
            sent = harmed.send(demo.case_id, "question", f"Benchmark question {i}")
            t1 = time.perf_counter()
            message = facilitator.get(f"/api/messages/{sent['message_id']}")
            t2 = time.perf_counter()
            facilitator.forward(message)
            t3 = time.perf_counter()
            try:
                next_message(sock)
            except RuntimeError as exc:
                raise SystemExit(f"{str(exc).capitalize()}.") from None
            t4 = time.perf_counter()
            acks.append(t1 - t0)
            forwards.append(t3 - t2)
            end_to_end.append(t4 - t0)
        elapsed = time.perf_counter() - started
        t0 = time.perf_counter()
        harmed.pause(demo.case_id)
        while (event := sock.next_event(10)) is not None and event["type"] != "communication":
            pass
        pause_seen = time.perf_counter() - t0
        harmed.resume(demo.case_id)
    print(f"Relay at {url}: {messages} messages, each sent, forwarded and delivered live")
    print(describe("sender's acknowledgement", acks))
    print(describe("facilitator's forward", forwards))
    print(describe("send to the other person's socket", end_to_end))
    print(f"{'shuttle round trips per second':<36} {messages / elapsed:7.1f}")
    print(f"{'pause reaching the other socket':<36} {pause_seen * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--server", help="a running Relay with the demo hub (default: start one)")
    args = parser.parse_args()
    if args.server:
        measure(args.server, args.messages)
    else:
        with own_server() as url:
            measure(url, args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
