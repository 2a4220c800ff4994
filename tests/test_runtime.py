"""ReusableThreads: threading mode's runners reuse idle threads, never queue behind a
busy one, and retire when idle."""

from __future__ import annotations

import threading
import time

from flask_copilot.server.runtime import ReusableThreads


def runner_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "copilot-runner"]


def test_idle_threads_are_reused() -> None:
    pool = ReusableThreads(idle_timeout=5)
    idents: list[int] = []
    for _ in range(20):
        done = threading.Event()
        pool.submit(lambda d=done: (idents.append(threading.get_ident()), d.set()))
        assert done.wait(5)
        deadline = time.monotonic() + 5
        while pool._idle == 0 and time.monotonic() < deadline:  # back to idle
            time.sleep(0.001)
    assert len(set(idents)) == 1  # one thread served all twenty jobs, one after another


def test_a_busy_thread_never_delays_another_job() -> None:
    pool = ReusableThreads(idle_timeout=5)
    release, second_ran = threading.Event(), threading.Event()
    pool.submit(release.wait, 10)  # blocks its thread
    pool.submit(second_ran.set)
    assert second_ran.wait(5), "the second job waited for the blocked one"
    release.set()


def test_a_failing_job_does_not_kill_its_thread() -> None:
    pool = ReusableThreads(idle_timeout=5)

    def boom() -> None:
        raise ValueError("boom")

    pool.submit(boom)
    ran = threading.Event()
    pool.submit(ran.set)
    assert ran.wait(5)


def test_idle_threads_retire_after_the_timeout() -> None:
    before = len(runner_threads())
    pool = ReusableThreads(idle_timeout=0.1)
    events = [threading.Event() for _ in range(3)]
    release = threading.Event()
    for event in events:
        pool.submit(lambda e=event: (e.set(), release.wait(5)))
    assert all(e.wait(5) for e in events)
    assert len(runner_threads()) >= before + 3
    release.set()
    deadline = time.monotonic() + 5
    while len(runner_threads()) > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(runner_threads()) <= before
