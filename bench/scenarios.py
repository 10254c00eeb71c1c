"""The scenarios. Each takes the running servers and a ``Plan`` (quick or full sizes) and
returns a JSON-ready dict; ``bench.report`` turns them into text and target verdicts.

Every loop is bounded by a count and a time limit; every socket goes to 127.0.0.x.
"""

from __future__ import annotations

import asyncio
import resource
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.clients import (
    PlainSock,
    RelaySock,
    Team,
    close_all,
    open_many,
)
from bench.measure import Hist, now, open_loop
from bench.procs import Sample, Server

PAD = "x" * 900  # baseline frames about the size of a sealed question
STORM_DRAIN = 30.0  # seconds a storm's last sockets may take to be caught up


@dataclass
class Plan:
    name: str
    idle_sockets: list[int]
    idle_hold: float
    storm_sockets: int
    storm_rates: list[int]
    storm_behind: int
    rates: list[float]
    step_seconds: float
    drain: float
    teams: int
    pause_rounds: int
    catch_up_events: int
    catch_up_runs: int
    soak_seconds: float
    soak_idle: int
    open_seconds: float  # opening the sockets of one idle hold stops after this
    soak_rate: float = 5.0  # cycles/s of the soak when the sweep did not run (else half its
    # saturation rate)
    idle_servers: list[str] = field(default_factory=lambda: ["relay", "websockets",
                                                              "group_send"])
    relay_processes: int = 1  # above 1: that many Relay processes behind Caddy (needs
    # PostgreSQL and Redis)
    extra: dict[str, Any] = field(default_factory=dict)


QUICK = Plan(
    name="quick", idle_sockets=[1000], idle_hold=8, storm_sockets=500, storm_rates=[500],
    storm_behind=3, rates=[2, 5, 10, 20, 40, 80, 160, 320, 640], step_seconds=3, drain=8,
    teams=8, pause_rounds=3, catch_up_events=1000, catch_up_runs=3, soak_seconds=15,
    soak_idle=200,
    open_seconds=120,
)
FULL = Plan(
    name="full", idle_sockets=[2000, 10000, 20000], idle_hold=30, storm_sockets=3000,
    storm_rates=[250, 500, 1000], storm_behind=3,
    rates=[10, 20, 40, 80, 160, 320, 640, 1280, 2560], step_seconds=10, drain=15, teams=32,
    pause_rounds=5, catch_up_events=1000, catch_up_runs=5, soak_seconds=120, soak_idle=1000,
    open_seconds=240,
)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def settle(seconds: float = 1.0) -> None:
    await asyncio.sleep(seconds)


async def quiet(servers: list[Server], *, below: float = 0.10, limit: float = 15.0) -> None:
    """Wait (at most ``limit`` seconds) until every server uses under ``below`` of a core,
    so one step's backlog is not measured in the next."""
    deadline = now() + limit
    while now() < deadline:
        before = [s.sample() for s in servers]
        await asyncio.sleep(0.5)
        after = [s.sample() for s in servers]
        pairs = zip(before, after, strict=True)
        if all((b2.cpu - b1.cpu) / (b2.at - b1.at) < below for b1, b2 in pairs):
            return


def proxy_cpu(before: Sample | None, after: Sample | None) -> float | None:
    """CPU-seconds the proxy in front of Relay used between two samples (None: no proxy)."""
    return None if before is None or after is None else after.cpu - before.cpu


# --- idle hold ------------------------------------------------------------------------------


async def hold(server: Server, count: int, plan: Plan,
               make: Callable[[int], Awaitable[Any]]) -> dict[str, Any]:
    """Open ``count`` sockets, hold them ``seconds`` doing nothing, close them: the server's
    RSS delta per socket and its CPU share while they sit."""
    await settle()
    before = server.sample()
    started = now()
    result = await open_many(make, count, concurrency=100, seconds=plan.open_seconds)
    socks = result.socks
    if not socks:
        return {"server": server.label, "asked": count, "sockets": 0,
                "error": result.first_error}
    opened = now() - started
    asked, count = count, len(socks)
    await settle(2.0)  # let connect-time work finish before the window
    start, proxy_start = server.sample(), server.proxy_sample()
    await asyncio.sleep(plan.idle_hold)
    end, proxy_end = server.sample(), server.proxy_sample()
    await close_all(socks)
    window = end.at - start.at
    proxy = proxy_cpu(proxy_start, proxy_end)
    return ({} if proxy is None else {
        "proxy_cpu_percent_of_core": round(100 * proxy / window, 2)}) | {
        "server": server.label,
        "asked": asked,
        "sockets": count,
        "open_seconds": round(opened, 2),
        "connect_rate": round(count / opened, 1),
        "errors": result.errors, "first_error": result.first_error,
        "not_tried": result.skipped,
        "hold_seconds": round(window, 1),
        "cpu_percent_of_core": round(100 * (end.cpu - start.cpu) / window, 2),
        "rss_before_mb": round(before.rss / 2**20, 1),
        "rss_after_mb": round(end.rss / 2**20, 1),
        "kb_per_socket": round((end.rss - before.rss) / count / 1024, 2),
    }


async def idle(relay: Server, baselines: dict[str, Server], cookies: list[str],
               plan: Plan) -> dict[str, Any]:
    """N signed-in Relay sockets doing nothing, alternated with the same N on each baseline."""
    runs = []
    for count in plan.idle_sockets:
        if "relay" in plan.idle_servers:
            runs.append(await hold(relay, count, plan, lambda i: RelaySock.open(
                relay, cookies[i % len(cookies)])))
        for label, server in baselines.items():
            if label not in plan.idle_servers:
                continue
            runs.append(await hold(server, count, plan,
                                   lambda i, s=server: PlainSock.open(s, f"idle{i}")))
    return {"runs": runs}


# --- connect storm --------------------------------------------------------------------------


async def storm(relay: Server, cookies: list[str], plan: Plan) -> dict[str, Any]:
    """Sockets connecting at an offered rate, each saying hello a few events behind and
    waiting for the replay; then all close and reconnect at the same rate."""
    steps = []
    for rate in plan.storm_rates:
        for phase in ("connect", "reconnect"):
            await settle()
            latency = Hist()
            socks: list[RelaySock] = []
            one = _storm_arrival(relay, cookies, plan.storm_behind, latency, socks)
            before, proxy_before = relay.sample(), relay.proxy_sample()
            result = await open_loop(rate, plan.storm_sockets, one, drain=STORM_DRAIN)
            after, proxy_after = relay.sample(), relay.proxy_sample()
            proxy = proxy_cpu(proxy_before, proxy_after)
            await close_all(socks)
            await quiet([relay], limit=60)  # the server may still be serving abandoned ones
            steps.append({
                "phase": phase, "offered_per_s": rate, "sockets": plan.storm_sockets,
                "achieved_per_s": round(result.achieved, 1), "errors": result.errors,
                "first_error": result.first_error,
                "events_replayed": sum(sock.latest - sock.replayed_from for sock in socks),
                "connect_to_caught_up": latency.summary(),
                "generator_late_start": result.late_start.summary(),
                "server_cpu_ms_per_socket": round(
                    1000 * (after.cpu - before.cpu) / max(1, result.completed), 3),
            } | ({} if proxy is None else {
                "proxy_cpu_ms_per_socket": round(1000 * proxy / max(1, result.completed), 3)}))
    return {"behind": plan.storm_behind, "steps": steps}


def _storm_arrival(relay: Server, cookies: list[str], behind: int, latency: Hist,
                   socks: list[RelaySock]) -> Callable[[int, float], Awaitable[None]]:
    async def one(i: int, at: float) -> None:
        sock = await RelaySock.open(relay, cookies[i % len(cookies)], behind=behind)
        latency.add(now() - at)
        socks.append(sock)

    return one


# --- the moderated cycle, and the same shape on the baselines ------------------------------


@dataclass
class Cycle:
    at: float
    done: asyncio.Future[None]
    acked: float = 0.0
    at_facilitator: float = 0.0
    forward_sent: float = 0.0
    forward_acked: float = 0.0


class RelayCycles:
    """Full moderated cycles over sockets: the person harmed sends (``send``), the
    facilitator's socket receives the submitted message, opens it and sends a forward sealed
    to the other party, and the person responsible's socket receives it."""

    label = "relay"

    def __init__(self, server: Server, teams: list[Team]) -> None:
        self.server = server
        self.teams = teams
        self.socks: dict[tuple[int, str], RelaySock] = {}
        self.cycles: dict[str, Cycle] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        self.hists = {k: Hist() for k in (
            "end_to_end", "send_ack", "to_facilitator", "forward_to_recipient", "forward_ack")}

    async def open(self) -> None:
        for n, team in enumerate(self.teams):
            self.socks[n, "harmed"] = await RelaySock.open(self.server, team.harmed.cookie,
                                                           read=True)
            self.socks[n, "facilitator"] = await RelaySock.open(
                self.server, team.facilitator.cookie, read=True,
                on_event=lambda e, n=n: self._at_facilitator(n, e))
            self.socks[n, "responsible"] = await RelaySock.open(
                self.server, team.responsible.cookie, read=True, on_event=self._at_recipient)

    async def close(self) -> None:
        await close_all(list(self.socks.values()))

    def _at_facilitator(self, n: int, event: dict[str, Any]) -> None:
        message = event.get("message")
        if event["type"] != "message" or not message or message["state"] != "submitted":
            return
        cycle = self.cycles.get(message["message_id"])
        if cycle is None or message["from_you"]:
            return
        cycle.at_facilitator = now()
        task = asyncio.create_task(self._forward(n, message, cycle))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _forward(self, n: int, message: dict[str, Any], cycle: Cycle) -> None:
        facilitator = self.teams[n].facilitator
        try:
            text = facilitator.client.open(message)["body"]
            envelope = facilitator.client.compose_for_participant(
                message["case_id"], "responsible", message["kind"], text,
                keys=facilitator.keys, derived_from=message["message_id"])
            cycle.forward_sent = now()
            await self.socks[n, "facilitator"].request(
                "forward", message_id=message["message_id"], envelope=envelope)
            cycle.forward_acked = now()
        except Exception as exc:  # noqa: BLE001 — the cycle reports it
            if not cycle.done.done():
                cycle.done.set_exception(exc)

    def _at_recipient(self, event: dict[str, Any]) -> None:
        message = event.get("message")
        if event["type"] != "message" or not message:
            return
        cycle = self.cycles.get(message["envelope"]["header"]["derived_from"] or "")
        if cycle is not None and not cycle.done.done():
            cycle.done.set_result(None)

    async def one(self, i: int, at: float) -> None:
        n = i % len(self.teams)
        team = self.teams[n]
        message_id = str(uuid.uuid4())
        cycle = Cycle(at, asyncio.get_running_loop().create_future())
        self.cycles[message_id] = cycle
        try:
            envelope = team.harmed.client.compose(team.case_id, "question",
                                                  f"Benchmark question {i}",
                                                  message_id=message_id)
            await self.socks[n, "harmed"].request("send", envelope=envelope)
            cycle.acked = now()
            await asyncio.wait_for(cycle.done, 60)
            end = now()
        finally:
            self.cycles.pop(message_id, None)
        h = self.hists
        h["end_to_end"].add(end - at)
        h["send_ack"].add(cycle.acked - at)
        h["to_facilitator"].add(cycle.at_facilitator - at)
        h["forward_to_recipient"].add(end - cycle.forward_sent)
        h["forward_ack"].add(cycle.forward_acked - cycle.forward_sent)


class PlainCycles:
    """The same three-party shape on a baseline server: A's frame is pushed to F, whose
    reply frame is pushed to B. No storage, no crypto: the push path alone."""

    def __init__(self, server: Server, teams: int) -> None:
        self.label = server.label
        self.server = server
        self.teams = teams
        self.socks: dict[tuple[int, str], PlainSock] = {}
        self.pending: dict[str, tuple[Cycle, float]] = {}
        self.reset()

    def reset(self) -> None:
        self.hists = {k: Hist() for k in ("end_to_end", "forward_to_recipient")}

    async def open(self) -> None:
        tag = uuid.uuid4().hex[:8]
        for n in range(self.teams):
            for role in ("a", "f", "b"):
                sock = await PlainSock.open(self.server, f"{role}{n}x{tag}", read=True)
                self.socks[n, role] = sock
            self.socks[n, "f"].on_frame = lambda frame, n=n: self._at_f(n, frame)
            self.socks[n, "b"].on_frame = self._at_b

    async def close(self) -> None:
        await close_all(list(self.socks.values()))

    def _at_f(self, n: int, frame: dict[str, Any]) -> None:
        entry = self.pending.get(frame["id"])
        if entry is None:
            return
        self.pending[frame["id"]] = (entry[0], now())
        asyncio.create_task(self.socks[n, "f"].send(
            {"to": self.socks[n, "b"].name, "id": frame["id"], "pad": PAD}))

    def _at_b(self, frame: dict[str, Any]) -> None:
        entry = self.pending.get(frame["id"])
        if entry is not None and not entry[0].done.done():
            entry[0].done.set_result(None)

    async def one(self, i: int, at: float) -> None:
        n = i % self.teams
        ref = uuid.uuid4().hex
        cycle = Cycle(at, asyncio.get_running_loop().create_future())
        self.pending[ref] = (cycle, 0.0)
        try:
            await self.socks[n, "a"].send({"to": self.socks[n, "f"].name, "id": ref, "pad": PAD})
            await asyncio.wait_for(cycle.done, 60)
            end = now()
            forwarded = self.pending[ref][1]
        finally:
            self.pending.pop(ref, None)
        self.hists["end_to_end"].add(end - at)
        self.hists["forward_to_recipient"].add(end - forwarded)


def saturated(step: dict[str, Any]) -> bool:
    """A step the target could not keep up with: it fell behind the offered rate, failed,
    or queued for more than a second."""
    return (step["achieved_per_s"] < 0.9 * step["offered_per_s"] or step["errors"] > 0
            or step["latency"]["end_to_end"]["p99_ms"] > 1000)


async def run_step(target: Any, rate: float, plan: Plan, seconds: float | None = None
                   ) -> dict[str, Any]:
    """One rate on one target, on sockets opened for the step: a socket left idle between
    steps may be closed by the server meanwhile (a Redis channel layer whose blocking read
    times out closes it with 1011), and the step would measure that instead."""
    await target.open()
    try:
        await settle(0.5)
        target.reset()
        count = max(1, int(rate * (seconds or plan.step_seconds)))
        server = target.server
        each, proxy_before = server.by_process(), server.proxy_sample()
        before, mine = server.sample(), own_cpu()
        result = await open_loop(rate, count, target.one, drain=plan.drain)
        after, mine_after = server.sample(), own_cpu()
        each_after, proxy_after = server.by_process(), server.proxy_sample()
    finally:
        await target.close()
    proxy = proxy_cpu(proxy_before, proxy_after)
    several = {} if proxy is None else {
        # Each Relay process's share, and the proxy's own CPU (not in the server figures).
        "server_cpu_s_by_process": [round(a.cpu - b.cpu, 3)
                                    for b, a in zip(each, each_after, strict=True)],
        "proxy_cpu_s_per_1000": round(1000 * proxy / max(1, result.completed), 3),
        "proxy_cpu_percent": round(100 * proxy / result.seconds, 1),
    }
    return several | {
        "offered_per_s": rate, "cycles": count, "completed": result.completed,
        "achieved_per_s": round(result.achieved, 1), "errors": result.errors,
        "first_error": result.first_error,
        "server_cpu_s_per_1000": round(1000 * (after.cpu - before.cpu)
                                       / max(1, result.completed), 3),
        "server_cpu_percent": round(100 * (after.cpu - before.cpu) / result.seconds, 1),
        "generator_cpu_percent": round(100 * (mine_after - mine) / result.seconds, 1),
        "generator_late_start": result.late_start.summary(),
        "server_rss_mb": round(after.rss / 2**20, 1),
        "latency": {k: h.summary() for k, h in target.hists.items()},
    }


async def sweep(targets: list[Any], plan: Plan) -> dict[str, Any]:
    """Rising offered rates on every target, alternated step by step (Relay, then each
    baseline, at the next rate), each target until it saturates; then Relay again at half
    its saturation rate."""
    results: dict[str, list[dict[str, Any]]] = {t.label: [] for t in targets}
    running = list(targets)
    for rate in plan.rates:
        for t in list(running):
            await quiet([x.server for x in targets])
            step = await run_step(t, rate, plan)
            results[t.label].append(step)
            print(f"  {t.label:<11} offered {rate:>6.0f}/s achieved "
                  f"{step['achieved_per_s']:>7.1f}/s  e2e p99 "
                  f"{step['latency']['end_to_end']['p99_ms']:>8.1f} ms  errors "
                  f"{step['errors']}", flush=True)
            if saturated(step):
                running.remove(t)
        if not running:
            break
    # The highest rate achieved without an error (a step with errors measured failures, not
    # capacity); if every step had errors, the highest rate achieved at all.
    saturation = {label: max((s["achieved_per_s"] for s in steps if not s["errors"]),
                             default=max((s["achieved_per_s"] for s in steps), default=0.0))
                  for label, steps in results.items()}
    reached = {label: any(saturated(s) for s in steps) for label, steps in results.items()}
    half = None
    relay = next(t for t in targets if t.label == "relay")
    if saturation["relay"] > 0:
        await quiet([x.server for x in targets])
        half = await run_step(relay, max(1.0, saturation["relay"] / 2), plan,
                              seconds=plan.step_seconds * 2)
        print(f"  relay at half saturation ({half['offered_per_s']:.1f}/s): forward to "
              f"recipient p99 {half['latency']['forward_to_recipient']['p99_ms']} ms",
              flush=True)
    return {"steps": results, "saturation_per_s": saturation, "saturation_reached": reached,
            "relay_at_half": half}


# --- pause fan-out --------------------------------------------------------------------------


async def pause_fanout(relay: Server, teams: list[Team], plan: Plan) -> dict[str, Any]:
    """Every case pauses at once (the person harmed's ``pause`` frame) and resumes: the time
    until each member's socket, two devices each, has the ``communication`` event."""
    pause_last, resume_last, each = Hist(), Hist(), Hist()
    devices: list[tuple[int, RelaySock, asyncio.Queue[float]]] = []
    for n, team in enumerate(teams):
        for account in (team.harmed, team.facilitator, team.responsible):
            for _ in range(2):
                queue: asyncio.Queue[float] = asyncio.Queue()
                sock = await RelaySock.open(
                    relay, account.cookie, read=True,
                    on_event=lambda e, q=queue: q.put_nowait(now())
                    if e["type"] == "communication" else None)
                devices.append((n, sock, queue))
    errors = 0

    async def one(n: int, op: str, into: Hist) -> None:
        nonlocal errors
        mine = [d for d in devices if d[0] == n]
        try:
            t0 = now()
            await mine[0][1].request(op, case_id=teams[n].case_id)
            arrived = [await asyncio.wait_for(q.get(), 30) for _, _, q in mine]
            for at in arrived:
                each.add(at - t0)
            into.add(max(arrived) - t0)
        except Exception:  # noqa: BLE001 — counted
            errors += 1

    try:
        for _ in range(plan.pause_rounds):
            await asyncio.gather(*(one(n, "pause", pause_last) for n in range(len(teams))))
            await asyncio.gather(*(one(n, "resume", resume_last) for n in range(len(teams))))
    finally:
        await close_all([d[1] for d in devices])
    return {"cases": len(teams), "sockets_per_case": 6, "rounds": plan.pause_rounds,
            "errors": errors, "pause_to_last_socket": pause_last.summary(),
            "resume_to_last_socket": resume_last.summary(), "to_each_socket": each.summary()}


# --- catch-up -------------------------------------------------------------------------------


async def catch_up(relay: Server, team: Team, plan: Plan) -> dict[str, Any]:
    """The facilitator misses ``catch_up_events`` messages (the person harmed sends them with
    no facilitator socket open), then connects with ``hello`` from before them: the time to
    the last replayed event, from ``hello`` and from the start of the connect; and the same
    read over ``GET /api/events``."""
    sender = await RelaySock.open(relay, team.harmed.cookie, read=True)
    probe = await RelaySock.open(relay, team.facilitator.cookie)
    start_seq = probe.latest
    await probe.close()
    semaphore = asyncio.Semaphore(16)

    async def send(i: int) -> None:
        async with semaphore:
            envelope = team.harmed.client.compose(team.case_id, "question", f"Missed {i}")
            await sender.request("send", envelope=envelope)

    t0 = now()
    await asyncio.gather(*(send(i) for i in range(plan.catch_up_events)))
    fill_seconds = now() - t0
    await sender.close()
    from_hello, from_connect, http = Hist(), Hist(), Hist()
    runs = []
    for _ in range(plan.catch_up_runs):
        await settle(0.5)
        started = now()
        bare = await RelaySock.open(relay, team.facilitator.cookie)  # nothing to replay
        bare_connect = now() - started
        await bare.close()
        hello_at: list[float] = []
        last = [0.0]
        started = now()
        sock = await _open_timed(relay, team.facilitator.cookie, start_seq, hello_at,
                                 lambda event, last=last: last.__setitem__(0, now()))
        total, replay = last[0] - started, last[0] - hello_at[0]
        count = sock.last_seq - start_seq
        await sock.close()
        from_connect.add(total)
        from_hello.add(replay)
        t1 = now()
        over_http = await _http_catch_up(relay, team.facilitator.cookie, start_seq)
        http.add(now() - t1)
        runs.append({"events": count, "from_hello_ms": round(replay * 1000, 1),
                     "from_connect_ms": round(total * 1000, 1),
                     "connect_without_replay_ms": round(bare_connect * 1000, 1),
                     "http_events": over_http, "http_ms": round((now() - t1) * 1000, 1)})
    return {"events": plan.catch_up_events, "fill_seconds": round(fill_seconds, 2),
            "runs": runs, "socket_from_hello": from_hello.summary(),
            "socket_from_connect": from_connect.summary(), "http_pages": http.summary()}


async def _open_timed(relay: Server, cookie: str, after: int, hello_at: list[float],
                      seen: Callable[[dict[str, Any]], None]) -> RelaySock:
    import json

    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    from bench.clients import source_address

    conn = await connect(relay.ws_url + "/ws/", origin=Origin(relay.url),
                         additional_headers={"Cookie": cookie}, compression=None,
                         max_size=2**21, open_timeout=30, ping_interval=None,
                         local_addr=source_address())
    sock = RelaySock(conn)
    sock.on_event = seen
    welcome = json.loads(await asyncio.wait_for(conn.recv(), 30))
    sock.latest = int(welcome["latest_seq"])
    sock.last_seq = after
    hello_at.append(now())
    await conn.send(json.dumps({"type": "hello", "last_seq": after}))
    while sock.last_seq < sock.latest:
        frame = json.loads(await asyncio.wait_for(conn.recv(), 30))
        if frame.get("type") == "event":
            sock._event(frame["event"])
    return sock


async def _http_catch_up(relay: Server, cookie: str, after: int) -> int:
    async with httpx.AsyncClient(base_url=relay.url, timeout=30,
                                 headers={"Cookie": cookie}) as http:
        seen = after
        for _ in range(100):
            page = (await http.get("/api/events", params={"after": seen, "limit": 500})).json()
            if not page["events"]:
                break
            seen = page["events"][-1]["seq"]
            if seen >= page["latest"]:
                break
        return seen - after


# --- soak -----------------------------------------------------------------------------------


async def soak(relay: Server, teams: list[Team], cookies: list[str], rate: float,
               plan: Plan) -> dict[str, Any]:
    """Cycles at a steady rate for ``soak_seconds`` with idle sockets held beside them:
    server memory and CPU every few seconds, and latency per window."""
    idle_socks = (await open_many(lambda i: RelaySock.open(relay, cookies[i % len(cookies)]),
                                  plan.soak_idle, concurrency=100)).socks
    cycles = RelayCycles(relay, teams)
    await cycles.open()
    windows: list[dict[str, Any]] = []
    window = 5.0
    try:
        start, proxy_previous = relay.sample(), relay.proxy_sample()
        count = int(rate * plan.soak_seconds)
        run = asyncio.create_task(open_loop(rate, count, cycles.one, drain=plan.drain))
        previous = start
        while not run.done():
            await asyncio.wait([run], timeout=window)
            sample, proxy_sample = relay.sample(), relay.proxy_sample()
            proxy = proxy_cpu(proxy_previous, proxy_sample)
            proxy_previous = proxy_sample
            hist = cycles.hists["end_to_end"]
            windows.append(({} if proxy is None else {
                "proxy_cpu_percent": round(100 * proxy / max(0.001, sample.at - previous.at), 1)
            }) | {
                "t_s": round(sample.at - start.at, 1), "rss_mb": round(sample.rss / 2**20, 1),
                "cpu_percent": round(100 * (sample.cpu - previous.cpu)
                                     / max(0.001, sample.at - previous.at), 1),
                "cycles_done": hist.count, "e2e_p99_ms": round(hist.ms(99), 1),
            })
            cycles.reset()
            previous = sample
        result = run.result()
    finally:
        await cycles.close()
        await close_all(idle_socks)
    return {
        "seconds": plan.soak_seconds, "rate_per_s": rate, "idle_sockets": plan.soak_idle,
        "cycles": result.scheduled, "completed": result.completed, "errors": result.errors,
        "first_error": result.first_error, "windows": windows,
        "rss_growth_mb": round((windows[-1]["rss_mb"] - windows[0]["rss_mb"]), 1)
        if windows else 0.0,
    }
