"""Subprocesses of a benchmark run: gunicorn servers, the client agent, py-spy.

Every process is started in a session of its own and stopped by its PID (SIGTERM to
its process group, SIGKILL after 5 s). Servers listen on a free loopback port
(``-b 127.0.0.1:0``), read back from gunicorn's "Listening at" line.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers import server_env  # the environment the test servers get

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
WORKER_CLASS = {"threading": "gthread", "gevent": "gevent", "eventlet": "eventlet"}


def _raise_fd_limit() -> None:
    """preexec_fn of every subprocess: soft RLIMIT_NOFILE up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def fd_limits() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Process:
    """A subprocess whose output is drained by a thread (last lines kept)."""

    def __init__(self, args: list[str], env: dict[str, str], *, stdin: bool = False) -> None:
        self.args = args
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if not stdin else subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_raise_fd_limit,
        )
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        ]
        if stdin:
            self._readers.append(
                threading.Thread(target=self._drain_err, args=(self.process.stderr,), daemon=True)
            )
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._queue.put(line)
            self.lines.append(line)
            del self.lines[:-200]

    def _drain_err(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)
            del self.lines[:-200]

    def next_line(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self._queue.get(timeout=min(0.2, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if self.process.poll() is not None and self._queue.empty():
                    return None
        return None

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.next_line(deadline - time.monotonic())
            if line is None:
                if self.process.poll() is not None:
                    break
                continue
            match = pattern.search(line)
            if match:
                return match
        raise RuntimeError(f"{self.args[:4]} did not print {pattern.pattern!r}:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        return "".join(self.lines[-n:])

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """SIGTERM the process group by PID (``stop`` then waits for it)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM the process group by PID, then SIGKILL after 5 s."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()


class Server:
    """``gunicorn -k <mode's worker> -w 1`` serving ``bench.apps:make_<app>()``."""

    def __init__(
        self,
        app: str,
        mode: str,
        *,
        threads: int = 500,
        worker_connections: int = 4000,
        env: dict[str, str] | None = None,
        label: str | None = None,
    ) -> None:
        self.app = label or app
        self.mode = mode
        worker = WORKER_CLASS[mode]
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            worker,
            "-w",
            "1",
            "-b",
            "127.0.0.1:0",
            "--no-control-socket",
            "--graceful-timeout",
            "2",
            "--timeout",
            "120",
        ]
        if worker == "gthread":
            args += ["--threads", str(threads)]
        else:
            args += ["--worker-connections", str(worker_connections)]
        args.append(f"bench.apps:make_{app}()")
        self.proc = Process(args, {**server_env(mode), **(env or {})})
        self.url = ""
        self.worker_pid = 0

    def start(self, timeout: float = 30) -> Server:
        self.url = self.proc.wait_for(LISTENING, timeout).group(1)
        deadline = time.monotonic() + timeout
        while True:
            children = _children(self.proc.pid)
            if children:
                self.worker_pid = children[0]
                try:
                    with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                        response.read()
                    return self
                except OSError:
                    pass
            if time.monotonic() > deadline or not self.proc.alive():
                raise RuntimeError(f"{self.app}/{self.mode} did not serve:\n{self.proc.tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.stop()

    def __enter__(self) -> Server:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_all(servers: list[Server]) -> None:
    """Stop several servers at once: SIGTERM to all, then wait for each (SIGKILL after
    5 s), so their graceful shutdowns overlap."""
    for server in servers:
        server.proc.terminate()
    for server in servers:
        server.stop()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class Agent:
    """The client process (``python -m bench.agent``): JSON commands in, JSON out."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = Process([sys.executable, "-m", "bench.agent"], env, stdin=True)

    def run(
        self,
        cmd: dict[str, Any],
        limit: float,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Send one command; its answer, or ``{"error": …}`` (the agent is restarted
        when it does not answer within ``limit`` + 15 s). Progress lines the agent
        prints before its answer (``{"event": …}``) go to ``on_event``."""
        cmd = dict(cmd, limit=limit)
        assert self.proc.process.stdin is not None
        try:
            self.proc.process.stdin.write(json.dumps(cmd) + "\n")
            self.proc.process.stdin.flush()
        except OSError as exc:
            self.restart()
            return {"error": f"agent gone: {exc}"}
        deadline = time.monotonic() + limit + 15
        while True:
            line = self.proc.next_line(max(0.1, deadline - time.monotonic()))
            if line is None:
                tail = self.proc.tail(5)
                self.restart()
                return {"error": f"agent did not answer within {limit + 15:.0f} s; {tail}"}
            answer: dict[str, Any] = json.loads(line)
            if "event" not in answer:
                return answer
            if on_event is not None:
                on_event(answer)

    def restart(self) -> None:
        self.proc.stop()
        self.__init__()  # type: ignore[misc]

    def stop(self) -> None:
        if self.proc.alive():
            with contextlib.suppress(Exception):
                assert self.proc.process.stdin is not None
                self.proc.process.stdin.write('{"cmd": "quit"}\n')
                self.proc.process.stdin.flush()
                self.proc.process.wait(timeout=5)
        self.proc.stop()


def py_spy(pid: int, seconds: float, out: Path, *, many_threads: bool = False) -> Process:
    """``py-spy record`` of ``pid`` for ``seconds`` (only samples holding the GIL,
    aggregated by function), collapsed-stack output to ``out``. With
    ``many_threads`` (gthread: hundreds of threads) it samples without pausing the
    process, or it falls behind."""
    exe = Path(sys.executable).with_name("py-spy")
    args = [
        str(exe),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "100",
        "--gil",
        *(["--nonblocking"] if many_threads else []),
        "--function",
        "--format",
        "raw",
        "-o",
        str(out),
    ]
    return Process(args, dict(os.environ))


def py_spy_available() -> bool:
    return Path(sys.executable).with_name("py-spy").exists()
