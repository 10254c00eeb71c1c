"""Measure Relay under load against a live Daphne, beside two baselines, and report against
the performance targets.

    python -m bench --quick                 # a few minutes (make bench)
    python -m bench --full                  # the full sweep, up to 20,000 sockets
    python -m bench --quick --scenario cycle --scenario catch_up
    python -m bench --quick --set teams=2 --set rates=5,10
    python -m bench --quick --scenario cycle --set relay_processes=3   # PostgreSQL and Redis

It starts its own Relay (Daphne, test settings) on a fresh database — SQLite in a temporary
folder, or a new database on the PostgreSQL server ``DATABASE_URL`` names, with Redis as the
channel layer when ``REDIS_URL`` is set; with ``relay_processes`` above one, that many Relay
processes on PostgreSQL and Redis behind Caddy running deploy/Caddyfile, every client going
through the proxy — seeds accounts and communicating cases through the server's actions, and
drives it with an asyncio load generator over the real protocol, sealing real envelopes with
the Python client. The baselines, a bare ``websockets`` push server and a Channels consumer
that only does ``group_send``, run in the same invocation, alternated with Relay. Everything
listens and connects on 127.0.0.x only. The report is printed and written, with a JSON file
of every figure, under var/bench/.

Scenarios (docs/performance.md): idle, storm, cycle, pause, catch_up, soak.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cluster, procs, report, scenarios
from bench.procs import LOG_DIR, ROOT

SCENARIOS = ("idle", "storm", "cycle", "pause", "catch_up", "soak")
OVERALL_MINUTES = {"quick": 15, "full": 75}


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem_gb": round(mem_kb / 2**20, 1),
            "loadavg": load}


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def plan_from(args: argparse.Namespace) -> scenarios.Plan:
    plan = scenarios.FULL if args.full else scenarios.QUICK
    changes: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(plan)}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in fields or key in ("name", "extra") or not value:
            raise SystemExit(f"--set {item!r}: expected one of "
                             f"{', '.join(k for k in fields if k not in ('name', 'extra'))}"
                             "=value")
        current = getattr(plan, key)
        if key == "idle_servers":
            servers = value.split(",")
            if not set(servers) <= {"relay", "websockets", "group_send"}:
                raise SystemExit(f"--set {item!r}: servers are relay, websockets, group_send")
            changes[key] = servers
            continue
        try:
            if isinstance(current, list):
                kind = type(current[0]) if current else float
                changes[key] = [kind(v) for v in value.split(",")]
            else:
                changes[key] = type(current)(value)
        except ValueError:
            raise SystemExit(f"--set {item!r}: {value!r} is not a {type(current).__name__}"
                             ) from None
        values = changes[key] if isinstance(changes[key], list) else [changes[key]]
        if min(values) <= 0:
            raise SystemExit(f"--set {item!r}: values must be above zero")
    plan = dataclasses.replace(plan, **changes)
    refuse_processes_without_shared_services(plan.relay_processes)
    return plan


def refuse_processes_without_shared_services(count: int) -> None:
    """Several Relay processes must share one database and one channel layer: PostgreSQL
    and Redis. Refused before anything starts otherwise."""
    if count <= 1:
        return
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("DATABASE_URL (a PostgreSQL server)")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL")
    if missing:
        raise SystemExit(
            f"--set relay_processes={count} needs PostgreSQL and Redis: several Relay "
            "processes share one database and one channel layer, and SQLite and the in-memory "
            f"layer cannot be shared between processes. Set {' and '.join(missing)}.")
    if not cluster.CADDY.exists():
        raise SystemExit(f"--set relay_processes={count}: the proxy in front of them is "
                         f"Debian's Caddy, and {cluster.CADDY} is missing: apt-get install caddy")


def caddy_version() -> str:
    try:
        return subprocess.run([str(cluster.CADDY), "version"], capture_output=True, text=True,
                              check=True, timeout=10).stdout.split()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


async def run_all(chosen: list[str], plan: scenarios.Plan, relay: procs.Server,
                  baselines: dict[str, procs.Server], teams: list[Any], idle_accounts: list[Any],
                  storm_accounts: list[Any], catch_team: Any, results: dict[str, Any]) -> None:
    from bench.clients import more_sessions, sessions_for

    idle_cookies: list[str] = []
    if idle_accounts:
        count = sessions_for(max([*plan.idle_sockets, plan.soak_idle]))
        print(f"signing in {count} sessions for idle sockets", flush=True)
        idle_cookies = await more_sessions(relay, idle_accounts, count)
    if "idle" in chosen:
        print("idle hold", flush=True)
        results["idle"] = await scenarios.idle(relay, baselines, idle_cookies, plan)
    if "storm" in chosen:
        await scenarios.quiet([relay], limit=60)
        count = sessions_for(plan.storm_sockets)
        print(f"signing in {count} sessions for the storm", flush=True)
        storm_cookies = await more_sessions(relay, storm_accounts, count)
        print("connect storm", flush=True)
        results["storm"] = await scenarios.storm(relay, storm_cookies, plan)
    if "cycle" in chosen:
        await scenarios.quiet([relay], limit=60)
        print("moderated cycle sweep", flush=True)
        targets: list[Any] = [scenarios.RelayCycles(relay, teams)]
        targets += [scenarios.PlainCycles(s, plan.teams) for s in baselines.values()]
        results["cycle"] = await scenarios.sweep(targets, plan)
    if "pause" in chosen:
        await scenarios.quiet([relay], limit=60)
        print("pause fan-out", flush=True)
        results["pause"] = await scenarios.pause_fanout(relay, teams, plan)
    if "catch_up" in chosen:
        await scenarios.quiet([relay], limit=60)
        print("catch-up", flush=True)
        results["catch_up"] = await scenarios.catch_up(relay, catch_team, plan)
    if "soak" in chosen:
        saturation = results.get("cycle", {}).get("saturation_per_s", {}).get("relay", 0.0)
        rate = saturation / 2 if saturation else plan.soak_rate
        print(f"soak at {rate:.1f}/s", flush=True)
        results["soak"] = await scenarios.soak(relay, teams, idle_cookies, rate, plan)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the quick form (default)")
    size.add_argument("--full", action="store_true", help="the full sweep")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only this scenario (repeatable; default: all)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override one size of the plan, e.g. teams=4 or rates=5,10")
    parser.add_argument("--profile", action="store_true",
                        help="run Relay's Daphne under cProfile (all threads) and write "
                             "var/bench/relay-profile.txt; slows the server down")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench",
                        help="folder for the report and the JSON file (default var/bench)")
    args = parser.parse_args()
    plan = plan_from(args)
    chosen = args.scenario or list(SCENARIOS)
    fd_limit = procs.raise_fd_limit()
    if "idle" in chosen and max(plan.idle_sockets) * 2 + 1000 > fd_limit:
        print(f"open-file limit {fd_limit}: idle sockets above {(fd_limit - 1000) // 2} "
              "may fail", file=sys.stderr)
    when = datetime.now(UTC)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") \
        else "SQLite"
    results: dict[str, Any] = {"setup": {
        "plan": plan.name, "sizes": dataclasses.asdict(plan), "scenarios": chosen,
        "when": when.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(), "database": database,
        "channel_layer": "Redis" if os.environ.get("REDIS_URL") else "in-memory",
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", "relay")), "fd_limit": fd_limit,
        "profiled": args.profile, "relay_processes": plan.relay_processes,
    }}
    several = plan.relay_processes > 1
    proxy = cluster.CaddyProxy(LOG_DIR) if several else None
    if proxy is not None:
        results["setup"]["proxy"] = f"Caddy {caddy_version()}"
    port = procs.free_port()
    servers: list[procs.Server] = []
    with procs.fresh_database() as database_url:
        # Clients connect to the proxy when there is one: its origin is the one allowed.
        env = procs.relay_env(database_url, proxy.port if proxy else port)
        procs.migrate(env)
        os.environ.update(env)
        import django

        django.setup()
        from bench.clients import seed_participants, seed_teams, users_for

        try:
            profile = args.out / "relay-profile.txt" if args.profile else None
            args.out.mkdir(parents=True, exist_ok=True)
            if proxy is not None:
                ports = [procs.free_port() for _ in range(plan.relay_processes)]
                print(f"starting {len(ports)} Relay processes behind Caddy", flush=True)
                relay: procs.Server = procs.start_relays(env, ports, proxy, profile=profile)
            else:
                relay = procs.start_relay(env, port, profile=profile)
            servers.append(relay)
            started = relay.by_process()
            results["setup"]["relay_url"] = relay.url  # where every client connects
            results["setup"]["relay_processes_at"] = [
                p.url for p in getattr(relay, "processes", [relay])]
            catching_up = "catch_up" in chosen
            print(f"seeding {plan.teams + catching_up} cases", flush=True)
            teams = seed_teams(relay, plan.teams)
            catch_team = seed_teams(relay, 1)[0] if catching_up else None
            idle_accounts: list[Any] = []
            if {"idle", "soak"} & set(chosen):
                count = users_for(max([*plan.idle_sockets, plan.soak_idle]))
                print(f"seeding {count} participants for idle sockets", flush=True)
                idle_accounts = seed_participants(relay, count)
            storm_accounts: list[Any] = []
            if "storm" in chosen:
                # Participants of communicating cases: each has events to catch up on.
                count = -(-users_for(plan.storm_sockets) // 2)
                print(f"seeding {count} cases for the storm", flush=True)
                storm_accounts = [a for t in seed_teams(relay, count)
                                  for a in (t.harmed, t.responsible)]
            baselines = {}
            if {"idle", "cycle"} & set(chosen):
                baselines = {"websockets": procs.start_pushserver(),
                             "group_send": procs.start_groupsend()}
                servers += list(baselines.values())
            try:
                asyncio.run(asyncio.wait_for(
                    run_all(chosen, plan, relay, baselines, teams, idle_accounts,
                            storm_accounts, catch_team, results),
                    OVERALL_MINUTES[plan.name] * 60))
            except (KeyboardInterrupt, TimeoutError) as exc:
                # Stopped from outside or by the overall limit: report what was measured.
                results["setup"]["interrupted"] = type(exc).__name__
                print(f"stopped ({type(exc).__name__}): reporting the scenarios that finished",
                      file=sys.stderr)
            results["setup"]["relay_alive_at_end"] = relay.alive()
            # CPU-seconds each Relay process used from its start being done to the end.
            if relay.alive():
                results["setup"]["relay_cpu_s_by_process"] = [
                    round(b.cpu - a.cpu, 2)
                    for a, b in zip(started, relay.by_process(), strict=True)]
        finally:
            for server in servers:
                procs.stop(server)
            from django.db import connections

            connections.close_all()
            if proxy is not None:
                shutil.rmtree(proxy.home, ignore_errors=True)  # its log stays
    results["targets"] = report.targets(results)
    text = report.text(results)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"bench-{plan.name}-{when.strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1))
    stem.with_suffix(".txt").write_text(text + "\n")
    print()
    print(text)
    print(f"\nwritten: {stem}.txt and {stem}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
