"""Under gevent and eventlet (monkey-patched), a PostgreSQL query through the store lets
other greenlets run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, time, warnings
    warnings.simplefilter("ignore")
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "eventlet":
        import eventlet
        eventlet.monkey_patch()
        sleep, spawn = eventlet.sleep, eventlet.spawn
    else:
        from gevent import monkey
        monkey.patch_all()
        import gevent
        sleep, spawn = gevent.sleep, gevent.spawn
    import sqlalchemy as sa
    from flask_copilot.store import open_store

    store = open_store(url, "/nonexistent")
    gaps = []

    def tick():
        last = time.monotonic()
        for _ in range(15):
            sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = spawn(tick)
    sleep(0)
    with store.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_sleep(0.5)"))
    ticker.wait() if hasattr(ticker, "wait") else ticker.join()
    store.close()
    print(round(max(gaps) * 1000))
    """
)


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_postgres_query_does_not_block_the_hub(postgres_url: str, mode: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, postgres_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    max_gap_ms = int(done.stdout.strip().splitlines()[-1])
    # Blocking would show one gap of about 500 ms (the whole query).
    assert max_gap_ms < 250, f"a 20 ms ticker stalled for {max_gap_ms} ms under {mode}"
