"""Start real servers for tests: in-process threading, or gunicorn subprocesses."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
#: Printed by each gunicorn worker once it has loaded the app (tests/gunicorn_hooks.py).
SERVING = re.compile(r"Worker serving \(pid: (\d+)\)")


def _die_with_parent() -> None:
    """In the child before exec: be killed when the test runner dies, even by SIGKILL
    (a killed pytest would otherwise leave its servers running)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class ServerProcess:
    """A server subprocess whose output is drained (and kept) by a reader thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._changed = threading.Condition()  # notified per line, and at end of output
        self._ended = False
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
            self._queue.put(line)
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=min(0.2, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            match = pattern.search(line)
            if match:
                return match
        raise RuntimeError(f"server did not print {pattern.pattern!r}:\n{self.output}")

    def serving_workers(self) -> set[int]:
        """PIDs of the gunicorn workers that have loaded the app (living or not)."""
        with self._changed:
            return {int(m.group(1)) for line in self.lines if (m := SERVING.search(line))}

    def wait_for_workers(self, count: int, timeout: float) -> set[int]:
        """Wait until ``count`` gunicorn workers serve; return their PIDs. Reads the
        kept output (it does not consume lines :meth:`wait_for_line` waits for)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(pids := self.serving_workers()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._ended:
                    raise RuntimeError(f"{count} worker(s) did not serve:\n{self.output}")
                self._changed.wait(remaining)
        return pids

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        """SIGTERM the process group by PID, then SIGKILL after 5 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)


def server_env(mode: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        COPILOT_ASYNC_MODE=mode,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        PYTHONWARNINGS="ignore",
        EVENTLET_NO_GREENDNS="yes",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn_server(
    target: str,
    worker: str,
    *,
    workers: int = 1,
    set_mode: bool = True,
    port: int = 0,
    **env: str,
) -> Iterator[tuple[str, ServerProcess]]:
    """``gunicorn -k worker`` on a free loopback port (or ``port``); yields (url, process)
    once every worker serves.

    ``COPILOT_ASYNC_MODE`` is set to match the worker, unless ``set_mode=False``."""
    server = gunicorn_process(target, worker, workers=workers, set_mode=set_mode, port=port, **env)
    try:
        url = server.wait_for_line(LISTENING, timeout=30).group(1)
        # The master listens before its workers have imported the app (seconds under
        # load); until then connections wait, and the first worker up takes them all.
        server.wait_for_workers(workers, timeout=60)
        yield url, server
    finally:
        server.stop()


def gunicorn_process(
    target: str,
    worker: str,
    *,
    workers: int = 1,
    set_mode: bool = True,
    port: int = 0,
    **env: str,
) -> ServerProcess:
    """A started ``gunicorn -k worker`` process (the caller stops it)."""
    mode = {"gthread": "threading", "sync": "threading"}.get(worker, worker)
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "-k",
        worker,
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--config",
        "python:tests.gunicorn_hooks",  # says when each worker serves
        "--graceful-timeout",
        "2",
        "--timeout",
        "60",
    ]
    if worker == "gthread":
        args += ["--threads", "100"]
    environ = server_env(mode, **env)
    if not set_mode and "COPILOT_ASYNC_MODE" not in env:
        del environ["COPILOT_ASYNC_MODE"]
    return ServerProcess([*args, target], environ)


def wait_until_serving(url: str, timeout: float = 15.0) -> None:
    """Poll ``{url}/copilot/settings`` until it answers (bounded by ``timeout``)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/copilot/settings", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            # TimeoutError: a worker still importing the app answers late (loaded machine)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


REDIS_URL = "redis://127.0.0.1:6379/0"


def ensure_redis(timeout: float = 10.0) -> str:
    """The local Redis: checked, and started (no persistence) when it is down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
        return REDIS_URL
    except redis.ConnectionError:
        pass
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        timeout=10,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return REDIS_URL
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


#: Credentials moto's server accepts (any); region and keys of the test buckets.
S3_OPTIONS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


@contextlib.contextmanager
def s3_server(timeout: float = 30.0) -> Iterator[str]:
    """A real S3-compatible HTTP server on loopback (moto's standalone server, a
    subprocess stopped by its PID); yields its endpoint URL."""
    import urllib.error
    import urllib.request

    port = free_port()
    server = ServerProcess(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        server_env("threading"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{server.output}") from None
                time.sleep(0.05)
        yield url
    finally:
        server.stop()


def make_bucket(endpoint: str, bucket: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint, **S3_OPTIONS).create_bucket(Bucket=bucket)
