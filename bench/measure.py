"""Latency histograms and the open-loop scheduler.

Open loop: arrivals are scheduled at fixed times (``i / rate`` after the start) whatever
happens to earlier ones, and every latency is measured from the *scheduled* time, so time
spent queueing behind a slow server counts (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

# Microseconds, from 1 µs to 10 minutes, three significant digits.
LOWEST_US, HIGHEST_US, DIGITS = 1, 600_000_000, 3


class Hist:
    """An HdrHistogram of durations in seconds, reported in milliseconds."""

    def __init__(self) -> None:
        self.h = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)

    def add(self, seconds: float) -> None:
        self.h.record_value(min(HIGHEST_US, max(LOWEST_US, int(seconds * 1_000_000))))

    @property
    def count(self) -> int:
        return int(self.h.get_total_count())

    def ms(self, percentile: float) -> float:
        return self.h.get_value_at_percentile(percentile) / 1000 if self.count else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "p50_ms": round(self.ms(50), 2),
            "p90_ms": round(self.ms(90), 2),
            "p99_ms": round(self.ms(99), 2),
            "p999_ms": round(self.ms(99.9), 2),
            "max_ms": round(self.h.get_max_value() / 1000, 2) if self.count else 0.0,
        }


def now() -> float:
    return time.monotonic()


@dataclass
class OpenLoopResult:
    offered: float
    scheduled: int
    completed: int
    errors: int
    seconds: float
    late_start: Hist = field(default_factory=Hist)  # how late the generator started each arrival
    first_error: str = ""

    @property
    def achieved(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0


async def open_loop(
    rate: float, count: int, one: Callable[[int, float], Awaitable[None]], *, drain: float
) -> OpenLoopResult:
    """Start ``one(i, scheduled_time)`` for i < count at ``rate`` per second, each as its own
    task; wait up to ``drain`` seconds after the last arrival for them to finish. Tasks still
    running then are cancelled and counted as errors."""
    result = OpenLoopResult(rate, count, 0, 0, 0.0)
    done_at: list[float] = []
    start = now() + 0.05

    async def run(i: int, at: float) -> None:
        try:
            await one(i, at)
            result.completed += 1
            done_at.append(now())
        except asyncio.CancelledError:
            result.errors += 1
            result.first_error = result.first_error or "not finished in time"
        except Exception as exc:  # noqa: BLE001 — counted and reported
            result.errors += 1
            result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"[:200]

    tasks = []
    for i in range(count):
        at = start + i / rate
        delay = at - now()
        if delay > 0:
            await asyncio.sleep(delay)
        result.late_start.add(max(0.0, now() - at))
        tasks.append(asyncio.create_task(run(i, at)))
    _, pending = await asyncio.wait(tasks, timeout=drain) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    end = max(done_at) if done_at else now()
    result.seconds = max(end - start, count / rate)
    return result
