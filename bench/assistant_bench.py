"""``python -m bench.assistant_bench [--quick]``: what ``flask_copilot.llm`` adds to a
model's streamed answer, against calling the ``openai`` SDK directly.

One local OpenAI-compatible server (``tests/fake_llm.py`` in a process of its own)
streams a fixed answer: 100 tokens at 100 tokens/s (a fast real model), then 200 tokens
as fast as it can (our cost per token). In the same run, in alternating slices so both
sides see the same machine:

- **SDK**: ``bench/sdk_client.py``, a process that calls
  ``client.chat.completions.create(stream=True)`` directly, with the same system
  prompt and a conversation of its own, in the mode's concurrency (threads, or
  monkey-patched greenlets), 1 and 50 sessions at once.
- **ours**: a gunicorn worker (``bench.apps:make_assistant()``) whose handler is
  ``assistant.reply(msg)``, driven by ``bench/agent.py`` like the widget (a message in,
  ``stream_start``/``stream_token`` out, until ``task_end``).

Time to first token: SDK from the request to the first content chunk; ours from
sending the user's message to the first token arriving on the socket, so the extra
includes our socket round trip, the handler queue, building the conversation and the
widget events. Tokens/s: per stream, (tokens - 1) / (last - first). Printed as one
table (ratios from one run), and written to ``bench/results/<stamp>-assistant/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from .procs import ROOT, Agent, Process, Server
from .run import RESULTS, log

MODES = ("threading", "gevent", "eventlet")
LISTENING = re.compile(r"listening (http://127\.0\.0\.1:\d+/v1)")


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run_sdk(mode: str, url: str, sessions: int, seconds: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    done = subprocess.run(
        [sys.executable, "-m", "bench.sdk_client", mode, url, str(sessions), str(seconds)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 90,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"errors": [f"sdk client failed: {done.stderr[-500:]}"], "ttft": [], "rates": []}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure(
    mode: str, sessions_list: tuple[int, ...], slices: int, seconds: float, llm_url: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    agent = Agent()
    try:
        with Server("assistant", mode, env={"BENCH_LLM_URL": llm_url}) as server:
            run_sdk(mode, llm_url, 1, 1.0)  # warm the endpoint (and the OS) up
            for sessions in sessions_list:
                log(f"{mode}: {sessions} session(s), SDK and ours in alternating slices")
                sdk: dict[str, list[Any]] = {"ttft": [], "rates": [], "errors": []}
                ours: dict[str, list[Any]] = {"ttft": [], "rates": [], "errors": []}
                for number in range(slices):
                    for side in ("sdk", "ours") if number % 2 == 0 else ("ours", "sdk"):
                        if side == "sdk":
                            got = run_sdk(mode, llm_url, sessions, seconds)
                            sdk["ttft"] += got.get("ttft", [])
                            sdk["rates"] += got.get("rates", [])
                            sdk["errors"] += got.get("errors", [])
                            continue
                        answer = agent.run(
                            {
                                "cmd": "load",
                                "targets": [
                                    {
                                        "kind": "copilot",
                                        "url": server.url,
                                        "server_pid": server.worker_pid,
                                    }
                                ],
                                "op": "assistant",
                                "sessions": sessions,
                                "slices": 1,
                                "slice_seconds": seconds,
                                "warmup": 1,
                                "timeout": 30,
                            },
                            120 + seconds,
                        )
                        if "results" not in answer:
                            ours["errors"].append(str(answer.get("error")))
                            continue
                        result = answer["results"][0]
                        ours["ttft"] += result.get("ttft_values", [])
                        ours["rates"] += result.get("rate_values", [])
                        ours["errors"] += result.get("error_samples", [])
                rows.append({"mode": mode, "sessions": sessions, "sdk": sdk, "ours": ours})
    finally:
        agent.stop()
    return rows


def ms(value: float | None) -> str:
    return f"{value * 1000:.1f}" if value is not None else "–"


def number(value: float | None, digits: int = 0) -> str:
    return f"{value:.{digits}f}" if value is not None else "–"


def table(rows: list[dict[str, Any]], tokens: int, delay: float) -> str:
    pace = f"one every {delay * 1000:g} ms" if delay else "as fast as the endpoint sends"
    lines = [
        f"## The assistant against the SDK called directly ({tokens} tokens, {pace})",
        "",
        "| mode | sessions | TTFT p50 SDK ms | TTFT p50 ours ms | **extra TTFT ms** "
        "| TTFT p95 SDK / ours ms | tok/s p50 SDK | tok/s p50 ours | **tok/s ×** "
        "| streams SDK / ours | errors SDK / ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        sdk, ours = row["sdk"], row["ours"]
        sdk_ttft, ours_ttft = median(sdk["ttft"]), median(ours["ttft"])
        sdk_rate, ours_rate = median(sdk["rates"]), median(ours["rates"])
        extra = ours_ttft - sdk_ttft if sdk_ttft is not None and ours_ttft is not None else None
        ratio = ours_rate / sdk_rate if sdk_rate and ours_rate else None
        errors = f"{len(sdk['errors'])} / {len(ours['errors'])}"
        lines.append(
            f"| {row['mode']} | {row['sessions']} | {ms(sdk_ttft)} | {ms(ours_ttft)} "
            f"| **{ms(extra)}** | {ms(p95(sdk['ttft']))} / {ms(p95(ours['ttft']))} "
            f"| {number(sdk_rate)} | {number(ours_rate)} | **{number(ratio, 2)}** "
            f"| {len(sdk['ttft'])} / {len(ours['ttft'])} | {errors} |"
        )
    samples = [e for row in rows for side in ("sdk", "ours") for e in row[side]["errors"]][:3]
    if samples:
        lines += ["", "Errors (first ones): " + "; ".join(samples)]
    return "\n".join(lines)


#: (tokens per answer, seconds between tokens, sessions): a fast real model (100
#: tokens/s), where the question is whether we keep its pace and what we add before
#: the first token; then the endpoint as fast as it goes, one session: our cost per
#: token (each one is a socket event to the widget).
CONFIGS: tuple[tuple[int, float, tuple[int, ...]], ...] = ((100, 0.01, (1, 50)), (200, 0.0, (1,)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one slice each, 2 s")
    parser.add_argument("--modes", default=",".join(MODES))
    options = parser.parse_args()
    modes = tuple(m for m in options.modes.split(",") if m)
    slices, seconds = (1, 2.0) if options.quick else (2, 4.0)
    load_start = os.getloadavg()
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    sections: list[str] = []
    raw: list[dict[str, Any]] = []
    for tokens, delay, sessions in CONFIGS:
        args = ["--tokens", str(tokens), "--delay", str(delay)]
        endpoint = Process([sys.executable, "-m", "tests.fake_llm", *args], env)
        rows: list[dict[str, Any]] = []
        try:
            url = endpoint.wait_for(LISTENING, 30).group(1)
            for mode in modes:
                try:
                    rows += measure(mode, sessions, slices, seconds, url)
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    log(f"{mode}: failed: {exc}")
                    rows.append(
                        {
                            "mode": mode,
                            "sessions": "–",
                            "sdk": {"ttft": [], "rates": [], "errors": [str(exc)]},
                            "ours": {"ttft": [], "rates": [], "errors": []},
                        }
                    )
        finally:
            endpoint.stop()
        sections.append(table(rows, tokens, delay))
        raw.append({"tokens": tokens, "delay": delay, "rows": rows})
    report = "\n\n".join(
        [
            *sections,
            f"Load average at start {load_start[0]:.2f}, at end {os.getloadavg()[0]:.2f} "
            f"({os.cpu_count()} CPUs); {slices} slice(s) of {seconds:g} s per side.",
        ]
    )
    print(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-assistant"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report + "\n", encoding="utf-8")
    (out / "raw.json").write_text(json.dumps(raw), encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    log(f"done in {time.monotonic() - started:.0f} s")
