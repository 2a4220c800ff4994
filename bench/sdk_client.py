"""The baseline of ``bench/assistant_bench.py``: the ``openai`` SDK called directly.

``python -m bench.sdk_client MODE URL SESSIONS SECONDS`` runs SESSIONS sessions (threads,
or greenlets under gevent/eventlet, monkey-patched first as a server would be) in a
closed loop for SECONDS: each sends a streamed chat completion to URL with its own
conversation (system prompt, then its last 40 messages, as the assistant sends) and
reads it to the end. Prints one JSON line: time to first token and tokens/s of each
stream, and how many failed.
"""

from __future__ import annotations

import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "threading"
if MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
elif MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()

import json  # noqa: E402 - after the monkey-patching
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from openai import OpenAI  # noqa: E402

from bench.apps import SDK_INSTRUCTIONS  # noqa: E402

HISTORY = 40


def session(client: OpenAI, deadline: float, out: dict[str, list[Any]]) -> None:
    history: list[dict[str, Any]] = []
    while time.perf_counter() < deadline:
        history = [*history, {"role": "user", "content": "Tell me a story."}][-HISTORY:]
        messages = [{"role": "system", "content": SDK_INSTRUCTIONS}, *history]
        started = time.perf_counter()
        first = last = None
        tokens = 0
        text = ""
        try:
            stream = client.chat.completions.create(
                model="bench-model",
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                timeout=30,
            )
            with stream:
                for chunk in stream:
                    if not chunk.choices or not chunk.choices[0].delta.content:
                        continue
                    now = time.perf_counter()
                    first = first or now
                    last = now
                    tokens += 1
                    text += chunk.choices[0].delta.content
        except Exception as exc:  # noqa: BLE001 - counted and reported
            out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
            return
        history = [*history, {"role": "assistant", "content": text}][-HISTORY:]
        if first is not None:
            out["ttft"].append(first - started)
        if first is not None and last is not None and last > first:
            out["rates"].append((tokens - 1) / (last - first))
        out["tokens"].append(tokens)


def main() -> None:
    url, sessions, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    client = OpenAI(base_url=url, api_key="bench", max_retries=0)
    out: dict[str, list[Any]] = {"ttft": [], "rates": [], "tokens": [], "errors": []}
    started = time.perf_counter()
    deadline = started + seconds
    if MODE == "gevent":
        import gevent

        gevent.joinall([gevent.spawn(session, client, deadline, out) for _ in range(sessions)])
    elif MODE == "eventlet":
        import eventlet

        pool = eventlet.GreenPool(sessions)
        for _ in range(sessions):
            pool.spawn(session, client, deadline, out)
        pool.waitall()
    else:
        workers = [
            threading.Thread(target=session, args=(client, deadline, out)) for _ in range(sessions)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(seconds + 60)
    out["elapsed"] = [time.perf_counter() - started]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
