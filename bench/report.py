"""The plain-text report and the targets, each printed with its measured value and whether
it was met. Nothing here asserts: a missed target is a finding, not a failure."""

from __future__ import annotations

from typing import Any


def _ms(summary: dict[str, Any]) -> str:
    return (f"p50 {summary['p50_ms']:>7.1f}  p90 {summary['p90_ms']:>7.1f}  "
            f"p99 {summary['p99_ms']:>7.1f}  max {summary['max_ms']:>7.1f} ms  "
            f"(n={summary['count']})")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


SEVERAL_PROCESSES_RATE = 500  # full moderated cycles/s with several processes behind Caddy


def processes(setup: dict[str, Any]) -> int:
    return int(setup.get("relay_processes", 1))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: what it asks, what was measured, met or missed (``met`` None: not
    run in this configuration)."""
    rows: list[dict[str, Any]] = []
    backend = results["setup"]["database"] + "+" + results["setup"]["channel_layer"]
    count = processes(results["setup"])
    summed = f"summed over {count} processes" if count > 1 else ""
    idle = results.get("idle")
    if idle:
        relay_runs = [r for r in idle["runs"] if r["server"] == "relay" and "error" not in r]
        if relay_runs:
            top = max(relay_runs, key=lambda r: r["asked"])
            bare = next((r for r in idle["runs"] if r["server"] == "websockets"
                         and r["asked"] == top["asked"] and "error" not in r), None)
            notes = [f"measured at {top['sockets']}"] if top["sockets"] < 20000 else []
            notes += [summed] if summed else []
            scale = f" ({'; '.join(notes)})" if notes else ""
            rows.append({
                "target": "20,000 idle signed-in sockets under 5 % of a core",
                "measured": f"{top['cpu_percent_of_core']:.2f} % of a core{scale}",
                "met": top["cpu_percent_of_core"] < 5 and top["sockets"] >= 20000,
            })
            if bare:
                ratio = top["kb_per_socket"] / bare["kb_per_socket"] if bare["kb_per_socket"] else 0
                rows.append({
                    "target": "memory per socket at most 3x the bare websockets server",
                    "measured": f"{top['kb_per_socket']:.1f} KB vs {bare['kb_per_socket']:.1f} "
                                f"KB = {ratio:.2f}x{scale}",
                    "met": 0 < ratio <= 3 and top["sockets"] >= 20000,
                })
        else:
            rows.append({"target": "20,000 idle signed-in sockets", "met": False,
                         "measured": "; ".join(r.get("error", "") for r in idle["runs"]
                                               if r["server"] == "relay")})
    storm = results.get("storm")
    if storm:
        at500 = [s for s in storm["steps"] if s["offered_per_s"] == 500]
        steps = at500 or storm["steps"]
        worst = min(steps, key=lambda s: s["achieved_per_s"])
        errors = sum(s["errors"] for s in steps)
        rows.append({
            "target": "connect/reconnect storm of 500 sockets/s, catch-up included, no error",
            "measured": f"{worst['achieved_per_s']:.0f}/s achieved of "
                        f"{worst['offered_per_s']}/s offered (worst phase), {errors} errors, "
                        f"p99 {worst['connect_to_caught_up']['p99_ms']:.0f} ms",
            "met": bool(at500) and errors == 0 and worst["achieved_per_s"] >= 0.95 * 500,
        })
    cycle = results.get("cycle")
    if cycle:
        sat = cycle["saturation_per_s"]
        relay, group = sat.get("relay", 0.0), sat.get("group_send", 0.0)
        backend_note = "" if backend == "PostgreSQL+Redis" else f" (on {backend}; the target " \
            "is for PostgreSQL+Redis)"
        note = backend_note
        if not cycle.get("saturation_reached", {}).get("group_send", True):
            note += "; group_send did not saturate, so the true ratio is lower"
        rows.append({
            "target": "full moderated cycles at >= half the group_send consumer's saturation",
            "measured": f"{relay:.0f}/s vs {group:.0f}/s = {_ratio(relay, group)}{note}",
            "met": group > 0 and relay >= group / 2 and backend == "PostgreSQL+Redis",
        })
        half = cycle.get("relay_at_half")
        if half:
            p99 = half["latency"]["forward_to_recipient"]["p99_ms"]
            rows.append({
                "target": "forward-to-recipient p99 within 25 ms at half of saturation",
                "measured": f"{p99:.1f} ms at {half['offered_per_s']:.1f}/s",
                "met": p99 <= 25 and half["errors"] == 0,
            })
        target = (f"{SEVERAL_PROCESSES_RATE} full moderated cycles/s with several processes "
                  "behind Caddy (PostgreSQL+Redis)")
        if count > 1:
            reached = cycle.get("saturation_reached", {}).get("relay", True)
            rows.append({
                "target": target,
                "measured": f"{relay:.0f}/s with {count} processes"
                            f"{'' if reached else ' (relay did not saturate)'}{backend_note}",
                "met": relay >= SEVERAL_PROCESSES_RATE and backend == "PostgreSQL+Redis",
            })
        else:
            rows.append({"target": target, "met": None,
                         "measured": "one Relay process ran (--set relay_processes=N runs "
                                     "several)"})
    catch = results.get("catch_up")
    if catch:
        worst = max(r["from_hello_ms"] for r in catch["runs"])
        rows.append({
            "target": f"catch-up of {catch['events']} events within 200 ms",
            "measured": f"worst {worst:.0f} ms from hello (median "
                        f"{catch['socket_from_hello']['p50_ms']:.0f} ms; with connect "
                        f"{catch['socket_from_connect']['p50_ms']:.0f} ms)",
            "met": worst <= 200 and all(r["events"] == catch["events"] for r in catch["runs"]),
        })
    return rows


def text(results: dict[str, Any]) -> str:
    out: list[str] = []
    s = results["setup"]
    out.append(f"Relay benchmark ({s['plan']}) — {s['when']}")
    out.append(f"machine: {s['machine']['cpu']}, {s['machine']['nproc']} cores, "
               f"{s['machine']['mem_gb']} GB; load average at start {s['machine']['loadavg']}")
    count = processes(s)
    server = "one Daphne" if count == 1 else (
        f"{count} Daphne processes behind {s.get('proxy', 'Caddy')} (deploy/Caddyfile); server "
        "CPU and RSS are their sum, the proxy's CPU is apart")
    out.append(f"server: {server}, {s['database']}, {s['channel_layer']} channel layer, "
               f"commit {s['commit']}{' + uncommitted server changes' if s['dirty'] else ''}"
               f"{'; PROFILED (slower than unprofiled)' if s.get('profiled') else ''}")
    if s.get("interrupted"):
        out.append(f"STOPPED EARLY ({s['interrupted']}): only the scenarios below finished")
    out.append("")
    if "idle" in results:
        out.append("idle hold (signed-in sockets doing nothing)")
        out.append(f"  {'server':<11}{'sockets':>8}{'open/s':>9}{'CPU %core':>11}"
                   f"{'RSS MB':>9}{'KB/socket':>11}")
        for r in results["idle"]["runs"]:
            if "error" in r:
                out.append(f"  {r['server']:<11}{r['asked']:>8}  failed: {r['error']}")
                continue
            if r["sockets"] < r["asked"]:
                out.append(f"  {r['server']:<11} held {r['sockets']} of {r['asked']}: "
                           f"{r['errors']} failed, {r['not_tried']} not tried in time; "
                           f"{r['first_error']}")
            out.append(f"  {r['server']:<11}{r['sockets']:>8}{r['connect_rate']:>9.0f}"
                       f"{r['cpu_percent_of_core']:>11.2f}{r['rss_after_mb']:>9.0f}"
                       f"{r['kb_per_socket']:>11.1f}")
            if "proxy_cpu_percent_of_core" in r:
                out.append(f"  {'  caddy':<11}{'':>8}{'':>9}"
                           f"{r['proxy_cpu_percent_of_core']:>11.2f}")
        out.append("")
    if "storm" in results:
        out.append(f"connect storm (hello {results['storm']['behind']} events behind, "
                   "until caught up)")
        for st in results["storm"]["steps"]:
            out.append(f"  {st['phase']:<10} offered {st['offered_per_s']:>5}/s achieved "
                       f"{st['achieved_per_s']:>6.0f}/s errors {st['errors']:>3}  "
                       f"server {st['server_cpu_ms_per_socket']:.2f} ms CPU/socket"
                       + (f", caddy {st['proxy_cpu_ms_per_socket']:.2f} ms"
                          if "proxy_cpu_ms_per_socket" in st else ""))
            out.append(f"    connect to caught up: {_ms(st['connect_to_caught_up'])}")
            if st["first_error"]:
                out.append(f"    first error: {st['first_error']}")
        out.append("")
    if "cycle" in results:
        cyc = results["cycle"]
        out.append("moderated cycle, open loop (latency from the scheduled start; ms; "
                   "gen = the load generator, late = how late it started arrivals)")
        out.append(f"  {'target':<11}{'offered':>8}{'achieved':>9}{'err':>5}{'e2e p50':>9}"
                   f"{'e2e p99':>9}{'fwd p99':>9}{'srv CPU s/1000':>15}{'srv %':>7}{'gen %':>7}"
                   f"{'gen late p99':>13}")
        for label, steps in cyc["steps"].items():
            for st in steps:
                lat = st["latency"]
                out.append(
                    f"  {label:<11}{st['offered_per_s']:>8.0f}{st['achieved_per_s']:>9.1f}"
                    f"{st['errors']:>5}{lat['end_to_end']['p50_ms']:>9.1f}"
                    f"{lat['end_to_end']['p99_ms']:>9.1f}"
                    f"{lat['forward_to_recipient']['p99_ms']:>9.1f}"
                    f"{st['server_cpu_s_per_1000']:>15.2f}{st['server_cpu_percent']:>7.0f}"
                    f"{st['generator_cpu_percent']:>7.0f}"
                    f"{st['generator_late_start']['p99_ms']:>13.1f}")
                if "proxy_cpu_s_per_1000" in st:
                    out.append(f"  {'  caddy':<11}{'':>49}{st['proxy_cpu_s_per_1000']:>15.2f}"
                               f"{st['proxy_cpu_percent']:>7.0f}")
        sat = cyc["saturation_per_s"]
        reached = cyc.get("saturation_reached", {})
        out.append("  saturation: " + ", ".join(
            f"{k} {v:.0f}/s" if reached.get(k) else f"{k} >= {v:.0f}/s (not reached)"
            for k, v in sat.items()))
        relay = sat.get("relay", 0.0)
        out.append("  ratios relay/baseline: " + ", ".join(
            f"{k} {_ratio(relay, v)}" for k, v in sat.items() if k != "relay"))
        cpu = {k: min((s["server_cpu_s_per_1000"] for s in v if s["completed"]), default=0.0)
               for k, v in cyc["steps"].items()}
        out.append("  server CPU-seconds per 1,000 cycles (lowest step): " + ", ".join(
            f"{k} {v:.2f}" for k, v in cpu.items()) + "; relay/baseline " + ", ".join(
            f"{k} {_ratio(cpu.get('relay', 0.0), v)}" for k, v in cpu.items() if k != "relay"))
        relay_steps = [st for st in cyc["steps"].get("relay", []) if st["completed"]]
        if relay_steps and "proxy_cpu_s_per_1000" in relay_steps[0]:
            lowest = min(relay_steps, key=lambda st: st["server_cpu_s_per_1000"])
            out.append(f"  proxy (Caddy) CPU-seconds per 1,000 cycles, not in relay's: "
                       f"{lowest['proxy_cpu_s_per_1000']:.2f} at relay's lowest step; relay's "
                       "by process there: " + ", ".join(
                           f"{cpu:.2f} s" for cpu in lowest["server_cpu_s_by_process"]))
        half = cyc.get("relay_at_half")
        if half:
            out.append(f"  relay at half saturation, {half['offered_per_s']:.1f}/s, "
                       f"{half['completed']}/{half['cycles']} done, {half['errors']} errors:")
            for k, v in half["latency"].items():
                out.append(f"    {k:<22}{_ms(v)}")
        out.append("")
    if "pause" in results:
        p = results["pause"]
        out.append(f"pause fan-out ({p['cases']} cases at once, {p['sockets_per_case']} "
                   f"sockets each, {p['rounds']} rounds, {p['errors']} errors)")
        out.append(f"  pause to last socket:  {_ms(p['pause_to_last_socket'])}")
        out.append(f"  resume to last socket: {_ms(p['resume_to_last_socket'])}")
        out.append("")
    if "catch_up" in results:
        c = results["catch_up"]
        out.append(f"catch-up of {c['events']} missed events (filled in {c['fill_seconds']} s)")
        for r in c["runs"]:
            out.append(f"  {r['events']} events: {r['from_hello_ms']:.0f} ms from hello, "
                       f"{r['from_connect_ms']:.0f} ms with connect (connect alone "
                       f"{r['connect_without_replay_ms']:.0f} ms); over HTTP pages "
                       f"{r['http_ms']:.0f} ms")
        out.append("")
    if "soak" in results:
        k = results["soak"]
        out.append(f"soak: {k['seconds']:.0f} s at {k['rate_per_s']:.1f} cycles/s with "
                   f"{k['idle_sockets']} idle sockets; {k['completed']}/{k['cycles']} done, "
                   f"{k['errors']} errors, RSS growth {k['rss_growth_mb']} MB")
        for w in k["windows"]:
            out.append(f"  t={w['t_s']:>6.1f}s RSS {w['rss_mb']:>7.1f} MB CPU "
                       f"{w['cpu_percent']:>5.1f}% cycles {w['cycles_done']:>5} e2e p99 "
                       f"{w['e2e_p99_ms']:>7.1f} ms"
                       + (f" caddy CPU {w['proxy_cpu_percent']:.1f}%"
                          if "proxy_cpu_percent" in w else ""))
        out.append("")
    rows = targets(results)
    if rows:
        out.append("targets (reported, not asserted)")
        for row in rows:
            verdict = "not run" if row["met"] is None else "met " if row["met"] else "MISS"
            out.append(f"  [{verdict}] {row['target']}: {row['measured']}")
    return "\n".join(out)
