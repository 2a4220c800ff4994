"""``python -m bench [--quick]``: our speed, memory and size against the floor.

Starts real gunicorn servers (ours and a bare Flask-SocketIO echo, one worker each) in
threading, gevent and eventlet modes, drives them from a client process of its own
(``bench.agent``), and prints one table per metric with the floor measured in the
same run, to stdout and to ``bench/results/``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .procs import ROOT, Agent, Server, fd_limits, py_spy, py_spy_available, stop_all
from .profile import summarise

RESULTS = ROOT / "bench" / "results"
WIDGET = ROOT / "flask_copilot" / "static" / "copilot"
WIDGET_BUDGET = 60 * 1024
MODES = ("threading", "gevent", "eventlet")
GOAL_LATENCY = 1.25
GOAL_THROUGHPUT = 0.8
GOAL_SESSIONS = 1000


@dataclass
class Plan:
    name: str
    modes: tuple[str, ...]
    rt_sessions: tuple[int, ...]
    stream_sessions: tuple[int, ...]
    call_sessions: tuple[int, ...]
    slices: int
    slice_seconds: float
    tokens: int
    hold_modes: tuple[str, ...]
    hold_steps: tuple[int, ...]
    probe_sessions: int
    probe_seconds: float
    profile_modes: tuple[str, ...]
    profile_sessions: int
    profile_seconds: float
    threads: int = 500


FULL = Plan(
    name="full",
    modes=MODES,
    rt_sessions=(1, 50, 200),
    stream_sessions=(1, 50),
    call_sessions=(1, 50),
    slices=2,
    slice_seconds=1.5,
    tokens=100,
    hold_modes=("gevent", "eventlet"),
    hold_steps=(250, 500, 750, 1000, 1500, 2000),
    probe_sessions=20,
    probe_seconds=3.0,
    profile_modes=("gevent", "threading"),
    profile_sessions=50,
    profile_seconds=8.0,
)
QUICK = Plan(
    name="quick",
    modes=MODES,
    rt_sessions=(1, 50),
    stream_sessions=(1,),
    call_sessions=(1,),
    slices=1,
    slice_seconds=1.0,
    tokens=50,
    hold_modes=("gevent",),
    hold_steps=(100, 200),
    probe_sessions=10,
    probe_seconds=1.0,
    profile_modes=(),
    profile_sessions=50,
    profile_seconds=3.0,
)


@dataclass
class Run:
    plan: Plan
    started: float = field(default_factory=time.monotonic)
    load_start: tuple[float, float, float] = field(default_factory=os.getloadavg)
    rt: list[dict[str, Any]] = field(default_factory=list)
    stream: list[dict[str, Any]] = field(default_factory=list)
    call: list[dict[str, Any]] = field(default_factory=list)
    hold: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    widget: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- measuring ---------------------------------------------------------------------


def measure_mode(run: Run, agent: Agent, mode: str) -> None:
    plan = run.plan
    log(f"{mode}: starting ours, ours + store and the floor")
    scratch = Path(tempfile.mkdtemp(prefix="copilot-bench-"))
    servers = {
        "ours": Server("copilot", mode, threads=plan.threads),
        "store": Server(
            "copilot",
            mode,
            threads=plan.threads,
            env={"BENCH_STORE": "default", "BENCH_INSTANCE": str(scratch)},
            label="copilot+store",
        ),
        "floor": Server("floor", mode, threads=plan.threads),
    }
    try:
        for name, server in servers.items():
            try:
                server.start()
            except Exception as exc:  # noqa: BLE001 - reported in the tables
                run.notes.append(f"{mode}: the {name} server did not start: {exc}")
                return
        ours, store, floor = servers["ours"], servers["store"], servers["floor"]
        if not run.widget:
            run.widget = measure_widget(ours.url)
        targets = [
            {"kind": "copilot", "url": ours.url, "server_pid": ours.worker_pid},
            {"kind": "floor", "url": floor.url, "server_pid": floor.worker_pid},
        ]
        # Round trips also against floor-5 (the floor sending our protocol's 5 packets)
        # and ours with the default SQLite store.
        extra = [
            {"kind": "floor", "url": floor.url, "server_pid": floor.worker_pid, "op": "echo5"},
            {"kind": "copilot", "url": store.url, "server_pid": store.worker_pid},
        ]
        work = [("echo", n, run.rt) for n in plan.rt_sessions]
        work += [("stream", n, run.stream) for n in plan.stream_sessions]
        work += [("call", n, run.call) for n in plan.call_sessions]
        for op, sessions, table in work:
            log(f"{mode}: {op} × {sessions} sessions")
            chosen = [*targets, *extra] if op == "echo" else targets
            cmd = {
                "cmd": "load",
                "targets": chosen,
                "op": op,
                "sessions": sessions,
                "slices": plan.slices,
                "slice_seconds": plan.slice_seconds,
                "tokens": plan.tokens,
                "timeout": 15,
            }
            limit = 60 + len(chosen) * (plan.slices * plan.slice_seconds + sessions * 0.05)
            answer = agent.run(cmd, limit)
            row: dict[str, Any] = {"mode": mode, "sessions": sessions}
            if "results" in answer:
                row["ours"], row["floor"], *rest = answer["results"]
                if rest:
                    row["floor5"], row["store"] = rest
            else:
                row["error"] = answer.get("error", "?")
                row["samples"] = answer.get("samples")
                log(f"{mode}: {op} × {sessions}: {row['error']} {row.get('samples') or ''}")
            dead = [s for s in servers.values() if not s.proc.alive()]
            for server in dead:
                row["error"] = f"{server.app} server died:\n{server.proc.tail(10)}"
            table.append(row)
            if dead:
                break
    finally:
        stop_all(list(servers.values()))
        shutil.rmtree(scratch, ignore_errors=True)


def measure_hold(run: Run, agent: Agent, mode: str) -> None:
    plan = run.plan
    for app, kind in (("copilot", "copilot"), ("floor", "floor")):
        log(f"{mode}: {app} holding up to {plan.hold_steps[-1]} idle sessions")
        row: dict[str, Any] = {"mode": mode, "server": app, "target": plan.hold_steps[-1]}
        try:
            with Server(app, mode, threads=plan.threads) as server:
                answer = agent.run(
                    {
                        "cmd": "hold",
                        "kind": kind,
                        "url": server.url,
                        "server_pid": server.worker_pid,
                        "steps": list(plan.hold_steps),
                        "settle": 1.0,
                        "probe_sessions": plan.probe_sessions,
                        "probe_at": [GOAL_SESSIONS],
                        "probe_seconds": plan.probe_seconds,
                        "max_seconds": 150,
                    },
                    240,
                )
                row.update(answer)
                if not server.proc.alive():
                    row["error"] = f"server died:\n{server.proc.tail(10)}"
        except Exception as exc:  # noqa: BLE001 - reported in the tables
            row["error"] = f"{type(exc).__name__}: {exc}"
        run.hold.append(row)


def measure_profile(run: Run, agent: Agent, mode: str, out_dir: Path) -> None:
    plan = run.plan
    log(f"{mode}: profiling ours, {plan.profile_sessions} sessions, py-spy")
    row: dict[str, Any] = {"mode": mode, "sessions": plan.profile_sessions}
    out = out_dir / f"profile-{mode}.txt"
    try:
        with Server("copilot", mode, threads=plan.threads) as server:
            target = [{"kind": "copilot", "url": server.url, "server_pid": server.worker_pid}]
            base = {
                "cmd": "load",
                "targets": target,
                "op": "echo",
                "sessions": plan.profile_sessions,
                "tokens": 0,
                "timeout": 15,
            }
            # py-spy starts once the sessions are connected and warmed up.
            spies: list[Any] = []

            def start_spy(event: dict[str, Any]) -> None:
                spies.append(
                    py_spy(
                        server.worker_pid,
                        plan.profile_seconds - 1,
                        out,
                        many_threads=mode == "threading",
                    )
                )

            answer = agent.run(
                dict(base, slices=1, slice_seconds=plan.profile_seconds, announce=True),
                90,
                on_event=start_spy,
            )
            if not spies:
                raise RuntimeError(f"the load did not run: {answer}")
            spy = spies[0]
            try:
                spy.process.wait(timeout=30)
            finally:
                spy.stop()
            row["load"] = answer.get("results", [answer])[0]
            if not out.exists():
                raise RuntimeError(f"py-spy wrote nothing: {spy.tail(5)}")
            row["spy"] = [ln.strip() for ln in spy.lines if "behind" in ln or "Errors" in ln][-2:]
            summary = summarise(out)
            row.update(
                samples=summary.total,
                ours_inclusive=summary.ours_inclusive,
                functions=summary.functions,
                costs=summary.costs,
                leaves=summary.top_external,
                file=str(out.relative_to(ROOT)),
            )
    except Exception as exc:  # noqa: BLE001 - reported in the tables
        row["error"] = f"{type(exc).__name__}: {exc}"
    run.profiles.append(row)


def measure_widget(url: str | None) -> dict[str, Any]:
    script = WIDGET / "index.js"
    shipped = WIDGET / "index.js.gz"
    raw = script.read_bytes() if script.exists() else b""
    info: dict[str, Any] = {
        "raw": len(raw),
        "gzip9": len(gzip.compress(raw, 9, mtime=0)) if raw else None,
        "shipped_gz": shipped.stat().st_size if shipped.exists() else None,
        # Lazy chunks: not part of the first open; loaded when a chat first needs them.
        "chunks": {
            path.name: (path.stat().st_size, (path.with_suffix(".js.gz")).stat().st_size)
            for path in sorted(WIDGET.glob("*.js"))
            if path.name != "index.js" and path.with_suffix(".js.gz").exists()
        },
    }
    if url:
        try:
            request = urllib.request.Request(
                f"{url}/copilot/index.js", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                info["served"] = len(response.read())
                info["served_encoding"] = response.headers.get("Content-Encoding") or "identity"
            with urllib.request.urlopen(f"{url}/copilot/settings", timeout=10) as response:
                info["settings"] = len(response.read())
        except OSError as exc:
            info["served_error"] = str(exc)
    return info


# --- formatting ----------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.2f}"


def trio(summary: dict[str, Any] | None, keys: tuple[str, ...] = ("p50", "p95", "p99")) -> str:
    if not summary or not summary.get("n"):
        return "–"
    return " / ".join(ms(summary[k]) for k in keys)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fx(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}×"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def us(value: float | None) -> str:
    return "–" if value is None else f"{value * 1e6:.0f}"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def error_row(row: dict[str, Any], width: int, lead: list[str]) -> list[str]:
    text = str(row.get("error", "?")).splitlines()[0][:120]
    return lead + [f"error: {text}"] + [""] * (width - len(lead) - 1)


def versions() -> str:
    names = [
        "Flask",
        "Werkzeug",
        "Flask-SocketIO",
        "python-socketio",
        "python-engineio",
        "simple-websocket",
        "gunicorn",
        "gevent",
        "greenlet",
        "eventlet",
        "marshmallow",
        "aiohttp",
        "py-spy",
    ]
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return " · ".join(parts)


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "flask_copilot"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return head + (" + uncommitted changes in flask_copilot/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def render(run: Run, elapsed: float) -> str:
    plan = run.plan
    import flask_copilot

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_end = os.getloadavg()
    soft, hard = fd_limits()
    out = [
        f"# flask_copilot benchmarks — {now} ({plan.name} run, {elapsed:.0f} s)",
        "",
        f"flask_copilot {flask_copilot.__version__} (git {git_state()}) · Python "
        f"{platform.python_version()} · {versions()}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), load average "
        f"{run.load_start[0]:.2f} at start, {load_end[0]:.2f} at end (other work on the machine "
        f"skews absolute numbers; ratios are measured in interleaved slices). "
        f"RLIMIT_NOFILE {soft}/{hard} (raised soft→hard for every subprocess).",
        "",
        "Servers: gunicorn, 1 worker, 127.0.0.1; threading = `-k gthread --threads "
        f"{plan.threads}`, gevent/eventlet = `-k gevent|eventlet --worker-connections 4000`. "
        "Client: python-socketio `AsyncClient` (aiohttp) in a separate process, websocket "
        f"only. Each row: {plan.slices} × {plan.slice_seconds:g} s per server, alternating "
        "ours/floor.",
        "",
    ]
    if run.notes:
        out += ["Notes: " + "; ".join(run.notes), ""]

    # Round trip.
    out += [
        "## Round trip: send a message → full reply",
        "",
        "Ours: `client_message` (ack) → echo `new_message`, `task_start`, reply `new_message`, "
        "`task_end` (done at `task_end`): 1 event in, 5 packets out. Floor: `msg` → `reply`, "
        "1 in, 1 out. Latency in ms (p50 / p95 / p99), closed loop (each session sends its "
        "next message when the reply is complete); ratio = ours ÷ floor; goal: latency ≤ "
        f"{GOAL_LATENCY}×, throughput ≥ {GOAL_THROUGHPUT}×.",
        "",
    ]
    headers = [
        "mode",
        "sessions",
        "ours ms",
        "floor ms",
        "p50 ×",
        "p99 ×",
        "ours msg/s",
        "floor msg/s",
        "thr ×",
        "goal",
    ]
    rows = []
    for row in run.rt:
        lead = [row["mode"], str(row["sessions"])]
        if "error" in row:
            rows.append(error_row(row, len(headers), lead))
            continue
        o, f = row["ours"], row["floor"]
        r50 = ratio(o["latency"]["p50"], f["latency"]["p50"])
        rthr = ratio(o["rate"], f["rate"])
        ok = (r50 is not None and r50 <= GOAL_LATENCY) and (
            rthr is not None and rthr >= GOAL_THROUGHPUT
        )
        errs = o["errors"] + f["errors"]
        rows.append(
            [
                *lead,
                trio(o["latency"]),
                trio(f["latency"]),
                fx(r50),
                fx(ratio(o["latency"]["p99"], f["latency"]["p99"])),
                f"{o['rate']:.0f}",
                f"{f['rate']:.0f}",
                fx(rthr),
                ("✓" if ok else "✗") + (f" ({errs} errors)" if errs else ""),
            ]
        )
    out += [*table(headers, rows), ""]
    out += [
        "Where it goes. floor-5: the bare server sending the same 5 packets as our protocol "
        "(ack, echo, task_start, reply, end) and nothing else, so ours ÷ floor-5 is our "
        "code's own cost and floor-5 ÷ floor the protocol's shape. +store: ours with the "
        "default `COPILOT_DATABASE_URL` (a SQLite file; every other row runs with "
        "persistence off, as the floor stores nothing); +store ÷ ours is the overhead "
        "persistence adds to a round trip, in the same run. Server CPU per message = the "
        "worker's CPU time (/proc) ÷ replies: the steadiest number here when other work "
        "shares the machine. CPU % = of one core, during the slices.",
        "",
    ]
    headers = [
        "mode",
        "sessions",
        "floor-5 ms",
        "ours ÷ floor-5 p50",
        "floor-5 msg/s",
        "ours ÷ floor-5 thr",
        "+store ms",
        "+store msg/s",
        "+store ÷ ours p50",
        "+store ÷ ours thr",
        "srv CPU µs/msg +store · ours · floor-5 · floor",
        "srv CPU +store · ours · floor-5 · floor",
        "client CPU +store · ours · floor-5 · floor",
    ]
    rows = []
    for row in run.rt:
        lead = [row["mode"], str(row["sessions"])]
        if "error" in row or "floor5" not in row:
            rows.append(
                error_row(dict(row, error=row.get("error", "no floor-5")), len(headers), lead)
            )
            continue
        o, f, f5, st = row["ours"], row["floor"], row["floor5"], row["store"]
        every = (st, o, f5, f)
        rows.append(
            [
                *lead,
                trio(f5["latency"]),
                fx(ratio(o["latency"]["p50"], f5["latency"]["p50"])),
                f"{f5['rate']:.0f}",
                fx(ratio(o["rate"], f5["rate"])),
                trio(st["latency"]),
                f"{st['rate']:.0f}",
                fx(ratio(st["latency"]["p50"], o["latency"]["p50"])),
                fx(ratio(st["rate"], o["rate"])),
                " · ".join(us(x["server_cpu_per_request"]) for x in every),
                " · ".join(pct(x["server_cpu"]) for x in every),
                " · ".join(pct(x["client_cpu"]) for x in every),
            ]
        )
    out += [*table(headers, rows), ""]

    # Streaming.
    out += [
        f"## Streaming: {plan.tokens} tokens per reply, never sleeping",
        "",
        "TTFT = send → first token at the client. stream_token→client = the first token's "
        "`time.monotonic()` taken on the server just before `stream_token`/`emit`, "
        "subtracted from the client's clock on arrival (goal: ≤ 20 ms). Tokens/s per "
        "session = (tokens − 1) ÷ (last − first token). ms as p50 / p99.",
        "",
    ]
    headers = [
        "mode",
        "sessions",
        "TTFT ours",
        "TTFT floor",
        "stream_token→client ours",
        "floor",
        "tokens/s/session ours",
        "floor",
        "×",
        "all tokens/s ours · floor",
        "tokens seen",
    ]
    rows = []
    for row in run.stream:
        lead = [row["mode"], str(row["sessions"])]
        if "error" in row:
            rows.append(error_row(row, len(headers), lead))
            continue
        o, f = row["ours"], row["floor"]
        tps_o, tps_f = o["tokens_per_s"]["p50"], f["tokens_per_s"]["p50"]
        seen = o["tokens_seen"]
        rows.append(
            [
                *lead,
                trio(o["ttft"], ("p50", "p99")),
                trio(f["ttft"], ("p50", "p99")),
                trio(o["token_delay"], ("p50", "p99")),
                trio(f["token_delay"], ("p50", "p99")),
                "–" if tps_o is None else f"{tps_o:.0f}",
                "–" if tps_f is None else f"{tps_f:.0f}",
                fx(ratio(tps_o, tps_f)),
                f"{o['tokens_total_per_s']:.0f} · {f['tokens_total_per_s']:.0f}",
                f"{seen['p50']:.0f}" if seen.get("n") else "–",
            ]
        )
    out += [*table(headers, rows), ""]

    # Function calls.
    out += [
        "## Function call round trip: server → page → server",
        "",
        'Timed on the server around the call: ours `CopilotFunction("echo", {…}).call()` '
        "(`call_fn` → client `call_fn_result`); floor `socketio.call('call_fn', …, to=sid)` "
        "(an ack). Whole request = send → reply at the client (ours includes the "
        "protocol's other events). ms as p50 / p99.",
        "",
    ]
    headers = [
        "mode",
        "sessions",
        "call ours",
        "call floor",
        "p50 ×",
        "p99 ×",
        "whole request ours",
        "floor",
        "requests/s ours · floor",
    ]
    rows = []
    for row in run.call:
        lead = [row["mode"], str(row["sessions"])]
        if "error" in row:
            rows.append(error_row(row, len(headers), lead))
            continue
        o, f = row["ours"], row["floor"]
        oc, fc = o["server_call"], f["server_call"]
        rows.append(
            [
                *lead,
                trio(oc, ("p50", "p99")),
                trio(fc, ("p50", "p99")),
                fx(ratio(oc.get("p50"), fc.get("p50"))),
                fx(ratio(oc.get("p99"), fc.get("p99"))),
                trio(o["latency"], ("p50", "p99")),
                trio(f["latency"], ("p50", "p99")),
                f"{o['rate']:.0f} · {f['rate']:.0f}",
            ]
        )
    out += [*table(headers, rows), ""]

    # Connections.
    out += [
        "## Connections: idle websocket sessions on one worker",
        "",
        "Ramp (50 connects at a time) through "
        f"{', '.join(map(str, plan.hold_steps))}; after each step 1 s to settle, then the "
        "worker's VmRSS (/proc/PID/status). KB/session = (RSS − RSS before the ramp) ÷ "
        f"sessions held. Probe (at {GOAL_SESSIONS} and at the top): "
        f"{plan.probe_sessions} of the held sessions do round trips for "
        f"{plan.probe_seconds:g} s while the others stay idle (reply latency under that "
        f"load). Goal: {GOAL_SESSIONS} sessions per gevent/eventlet worker; beyond it the "
        "ramp goes on to find where it stops.",
        "",
    ]
    headers = [
        "mode",
        "server",
        "held / target",
        "stopped",
        "RSS before → at top (MB)",
        "KB/session",
        "fds at top",
        "ramp s",
        "probe: held → p50 / p99 ms, msg/s",
    ]
    rows = []
    for row in run.hold:
        lead = [row["mode"], row["server"]]
        if "error" in row and not row.get("steps"):
            rows.append(error_row(row, len(headers), lead))
            continue
        steps = row.get("steps") or [{}]
        top = steps[-1]
        probes = "; ".join(
            f"{s['held']} → {trio(s['probe'].get('latency'), ('p50', 'p99'))}, "
            f"{s['probe'].get('rate', 0):.0f}"
            for s in steps
            if s.get("probe")
        )
        rows.append(
            [
                *lead,
                f"{top.get('held', 0)} / {row['target']}",
                row.get("stopped") or "no",
                f"{row['base_rss_kb'] / 1024:.1f} → {top.get('rss_kb', 0) / 1024:.1f}",
                "–" if top.get("kb_per_session") is None else f"{top['kb_per_session']:.1f}",
                str(top.get("fds", "–")),
                f"{sum(s.get('connect_s', 0) for s in steps):.1f}",
                probes or "–",
            ]
        )
    out += table(headers, rows)
    by_mode: dict[str, dict[str, float]] = {}
    for row in run.hold:
        top = (row.get("steps") or [{}])[-1]
        if top.get("kb_per_session") is not None:
            by_mode.setdefault(row["mode"], {})[row["server"]] = top["kb_per_session"]
    for mode, kb in by_mode.items():
        if "copilot" in kb and "floor" in kb:
            out.append(
                f"\n{mode}: ours {kb['copilot']:.1f} KB/session vs floor {kb['floor']:.1f} "
                f"KB/session ({fx(ratio(kb['copilot'], kb['floor']))})."
            )
    for row in run.hold:
        steps = row.get("steps") or []
        if steps:
            trail = ", ".join(f"{s['held']}: {s['rss_kb'] / 1024:.1f} MB" for s in steps)
            out.append(f"\n{row['mode']} {row['server']} RSS by step: {trail}.")
    out.append("")

    # Widget.
    w = run.widget
    out += ["## Widget: what the first open downloads", ""]
    if w:
        size = w.get("served") or w.get("shipped_gz") or w.get("gzip9") or 0
        total = size + w.get("settings", 0)
        out += table(
            [
                "file",
                "raw bytes",
                "gzip (shipped index.js.gz)",
                "gzip -9 (computed)",
                "served to Accept-Encoding: gzip",
                "budget",
                "within",
            ],
            [
                [
                    "copilot/index.js",
                    f"{w['raw']:,}",
                    "–" if w.get("shipped_gz") is None else f"{w['shipped_gz']:,}",
                    "–" if w.get("gzip9") is None else f"{w['gzip9']:,}",
                    "–"
                    if w.get("served") is None
                    else f"{w['served']:,} ({w.get('served_encoding')})",
                    f"{WIDGET_BUDGET:,}",
                    f"{'✓' if size <= WIDGET_BUDGET else '✗'} {100 * size / WIDGET_BUDGET:.0f}%",
                ]
            ],
        )
        out += [
            "",
            f"First open in total: index.js {size:,} B + /copilot/settings "
            f"{w.get('settings', 0):,} B = {total:,} B (plus the socket handshake).",
        ]
        for name, (raw_size, gz_size) in (w.get("chunks") or {}).items():
            out.append(
                f"Lazy chunk {name} (loaded when a chat first needs it, not at first open): "
                f"{raw_size:,} B raw, {gz_size:,} B gzip."
            )
    out.append("")

    # Profiles.
    if run.profiles:
        out += [
            "## Profile: where our server's CPU goes (py-spy, samples holding the GIL)",
            "",
            'Round trip, ours only. "our code" = samples with a flask_copilot frame on the '
            "stack. Costs: each such sample charged to the deepest flask_copilot frame and "
            "what it called (so buckets add up); % of all samples of the worker.",
            "",
        ]
        for row in run.profiles:
            if "error" in row:
                out += [f"- {row['mode']}: error: {row['error']}", ""]
                continue
            load = row.get("load") or {}
            out += [
                f"### {row['mode']}, {row['sessions']} sessions: {row['samples']} samples, "
                f"our code {row['ours_inclusive']:.1f}% inclusive, "
                f"{load.get('rate', 0):.0f} msg/s under the profiler ({row['file']})",
                "",
            ]
            out += table(
                ["cost (deepest flask_copilot frame → what it called)", "%"],
                [[name, f"{share:.1f}"] for name, share in row["costs"]],
            )
            out += [""]
            out += table(
                ["flask_copilot function (inclusive)", "%"],
                [[name, f"{share:.1f}"] for name, share in row["functions"]],
            )
            out += [""]
            out += table(
                ["hottest leaf functions (any code)", "%"],
                [[name, f"{share:.1f}"] for name, share in row["leaves"]],
            )
            if row.get("spy"):
                out += ["", "py-spy: " + " / ".join(row["spy"])]
            out += [""]
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, about a minute")
    parser.add_argument("--modes", help="comma-separated subset of threading,gevent,eventlet")
    parser.add_argument(
        "--only",
        help="comma-separated subset of load,hold,profile (default: all the plan has)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy")
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else FULL
    if args.modes:
        chosen = tuple(m for m in args.modes.split(",") if m in MODES)
        plan = replace(
            plan,
            modes=chosen,
            hold_modes=tuple(m for m in plan.hold_modes if m in chosen),
            profile_modes=tuple(m for m in plan.profile_modes if m in chosen),
        )
    only = set((args.only or "load,hold,profile").split(","))
    if args.no_profile or not py_spy_available():
        plan = replace(plan, profile_modes=())
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / f"{stamp}-{plan.name}"
    out_dir.mkdir(parents=True, exist_ok=True)

    run = Run(plan)
    if not py_spy_available() and not args.no_profile:
        run.notes.append("py-spy not installed: no profile (`.venv/bin/pip install py-spy`)")
    agent = Agent()
    try:
        if "load" in only:
            for mode in plan.modes:
                measure_mode(run, agent, mode)
        if "hold" in only:
            for mode in plan.hold_modes:
                measure_hold(run, agent, mode)
        if "profile" in only:
            for mode in plan.profile_modes:
                measure_profile(run, agent, mode, out_dir)
        if not run.widget:
            run.widget = measure_widget(None)
    finally:
        agent.stop()
    elapsed = time.monotonic() - run.started
    report = render(run, elapsed)
    print(report)
    (out_dir / "report.md").write_text(report + "\n")
    raw = {
        k: getattr(run, k) for k in ("rt", "stream", "call", "hold", "profiles", "widget", "notes")
    }
    raw["plan"] = plan.__dict__
    raw["elapsed"] = elapsed
    (out_dir / "raw.json").write_text(json.dumps(raw, indent=1, default=str))
    log(f"done in {elapsed:.0f} s: {out_dir.relative_to(ROOT)}/report.md")
    return 0
