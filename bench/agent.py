"""The load generator: an asyncio pool of python-socketio ``AsyncClient`` sessions.

It runs in a process of its own (``python -m bench.agent``), never inside a server,
and takes one JSON command per line on stdin, answering each with one JSON line on
stdout. Every command is bounded: a session count, a measuring window, a per-request
timeout, and a time limit on the whole command.

Two kinds of client, one interface (``request(op)`` → timings):

- ``copilot`` speaks our protocol like the widget: ``GET {server}/copilot/settings``,
  connect to its namespace over websocket with ``auth={"clientType": "copilot"}``, emit
  ``ready`` and wait for ``session``; a request is ``client_message {clientId, type,
  content}`` with an ack, done when the ``task_end`` whose ``messageId`` is the acked
  id arrives. ``call_fn`` is answered with ``call_fn_result`` (value = the args).
- ``floor`` speaks the bare echo server's events: ``msg``/``stream``/``callfn`` with an
  ``id``, done when ``reply`` with that id arrives; ``call_fn`` is answered by ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import resource
import sys
import time
import uuid
from typing import Any

import aiohttp
import socketio

MESSAGE = "Hello, assistant: what is the weather like on the page I am looking at?"
CONNECT_CONCURRENCY = 50
_ids = itertools.count(1)


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class RequestTimings:
    __slots__ = ("end", "first_at", "first_stamp", "last_at", "server_dt", "start", "tokens")

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.end = 0.0
        self.tokens = 0
        self.first_at: float | None = None  # perf_counter of the first token
        self.first_stamp: float | None = None  # monotonic: received - server's stamp
        self.last_at: float | None = None
        self.server_dt: float | None = None

    def token(self, text: str | None) -> None:
        now = time.perf_counter()
        self.tokens += 1
        if self.first_at is None:
            self.first_at = now
            with contextlib.suppress(TypeError, ValueError):
                self.first_stamp = time.monotonic() - float(text or "")
        self.last_at = now


class BaseClient:
    kind = "base"

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, http_session=http, request_timeout=10
        )
        self.current: RequestTimings | None = None
        self.errors: list[str] = []

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def disconnect(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 5)


class CopilotClient(BaseClient):
    kind = "copilot"

    def __init__(self, url: str, http: aiohttp.ClientSession, settings: dict[str, Any]) -> None:
        super().__init__(url, http)
        self.namespace = settings["socket"]["namespace"]
        self.path = settings["socket"]["path"]
        self._greeted: asyncio.Future[Any] | None = None
        self._ended: dict[str, float] = {}
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self.sio.on("*", self._on_event, namespace=self.namespace)

    async def connect(self, timeout: float) -> None:
        self._greeted = asyncio.get_running_loop().create_future()
        await self.sio.connect(
            self.url,
            namespaces=[self.namespace],
            socketio_path=self.path,
            transports=["websocket"],
            auth={"clientType": "copilot"},
            wait_timeout=timeout,
        )
        await self.sio.emit("ready", {"lastSeq": 0}, namespace=self.namespace)
        await asyncio.wait_for(self._greeted, timeout)

    async def _on_event(self, event: str, data: Any = None) -> None:
        current = self.current
        if event == "task_end":
            message_id = data.get("messageId")
            if message_id is None:
                return
            now = time.perf_counter()
            waiter = self._waiters.pop(message_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)
            else:
                self._ended[message_id] = now
        elif event in ("stream_start", "stream_token"):
            if current is not None:
                text = data["message"]["content"] if event == "stream_start" else data["token"]
                current.token(text)
        elif event == "new_message":
            message = data["message"]
            if current is not None and message["type"] == "assistant_message":
                with contextlib.suppress(ValueError):
                    current.server_dt = float(message["content"])
        elif event == "call_fn":
            await self.sio.emit(
                "call_fn_result",
                {"callId": data["callId"], "value": data["args"]},
                namespace=self.namespace,
            )
        elif event == "session":
            if self._greeted is not None and not self._greeted.done():
                self._greeted.set_result(data)
        elif event == "error":
            self.errors.append(f"{data.get('code')}: {data.get('message')}")

    async def request(self, op: str, tokens: int, timeout: float) -> RequestTimings:
        content = {
            "echo": MESSAGE,
            "stream": f"stream {tokens}",
            "call": "call",
            "assistant": "Tell me a story.",
        }[op]
        timings = self.current = RequestTimings()
        ack = await self.sio.call(
            "client_message",
            {"clientId": uuid.uuid4().hex, "type": "user_message", "content": content},
            namespace=self.namespace,
            timeout=timeout,
        )
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise RuntimeError(f"client_message refused: {ack!r}")
        message_id = ack["id"]
        end = self._ended.pop(message_id, None)
        if end is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters[message_id] = waiter
            try:
                end = await asyncio.wait_for(waiter, timeout)
            finally:
                self._waiters.pop(message_id, None)
        timings.end = end
        self.current = None
        return timings


class FloorClient(BaseClient):
    kind = "floor"

    def __init__(self, url: str, http: aiohttp.ClientSession, settings: dict[str, Any]) -> None:
        super().__init__(url, http)
        self._waiters: dict[int, asyncio.Future[tuple[float, Any]]] = {}
        self.sio.on("reply", self._on_reply)
        self.sio.on("token", self._on_token)
        self.sio.on("call_fn", self._on_call_fn)

    async def connect(self, timeout: float) -> None:
        await self.sio.connect(
            self.url, transports=["websocket"], socketio_path="socket.io", wait_timeout=timeout
        )

    def _on_reply(self, data: Any) -> None:
        waiter = self._waiters.pop(int(data["id"]), None)
        if waiter is not None and not waiter.done():
            waiter.set_result((time.perf_counter(), data))

    def _on_token(self, data: Any) -> None:
        if self.current is not None:
            self.current.token(data["token"])

    def _on_call_fn(self, data: Any) -> Any:
        return data

    async def request(self, op: str, tokens: int, timeout: float) -> RequestTimings:
        message_id = next(_ids)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[message_id] = waiter
        timings = self.current = RequestTimings()
        if op == "echo":
            await self.sio.emit("msg", {"id": message_id, "content": MESSAGE})
        elif op == "echo5":
            ack = await self.sio.call(
                "msg5", {"id": message_id, "content": MESSAGE}, timeout=timeout
            )
            if not isinstance(ack, dict) or not ack.get("ok"):
                raise RuntimeError(f"msg5 refused: {ack!r}")
        elif op == "stream":
            await self.sio.emit("stream", {"id": message_id, "n": tokens})
        else:
            await self.sio.emit("callfn", {"id": message_id})
        try:
            end, data = await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.pop(message_id, None)
        timings.end = end
        if op == "call":
            timings.server_dt = float(data["dt"])
        self.current = None
        return timings


# --- process readings ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / _CLK_TCK


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid: int) -> int:
    import os

    return len(os.listdir(f"/proc/{pid}/fd"))


_CLK_TCK = 100
with contextlib.suppress(Exception):
    import os as _os

    _CLK_TCK = _os.sysconf("SC_CLK_TCK")


# --- scenarios -------------------------------------------------------------------------


class Pool:
    """Sessions of one kind against one server."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.clients: list[BaseClient] = []
        self.failures: list[str] = []
        self.http: aiohttp.ClientSession | None = None
        self.settings: dict[str, Any] = {}

    async def open(self) -> None:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        if self.kind == "copilot":
            async with self.http.get(
                f"{self.url}/copilot/settings", timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                self.settings = await response.json()

    async def grow(self, target: int, timeout: float) -> int:
        """Connect sessions until ``target`` are held (50 at a time); returns how many
        new ones failed."""
        assert self.http is not None
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        failed = 0

        async def one() -> None:
            nonlocal failed
            cls = CopilotClient if self.kind == "copilot" else FloorClient
            client = cls(self.url, self.http, self.settings)  # type: ignore[arg-type]
            async with gate:
                try:
                    await asyncio.wait_for(client.connect(timeout), timeout + 1)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    failed += 1
                    self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
                    await client.disconnect()
                    return
            self.clients.append(client)

        await asyncio.gather(*(one() for _ in range(max(0, target - len(self.clients)))))
        return failed

    async def close(self) -> None:
        gate = asyncio.Semaphore(100)

        async def one(client: BaseClient) -> None:
            async with gate:
                await client.disconnect()

        await asyncio.gather(*(one(c) for c in self.clients))
        self.clients.clear()
        if self.http is not None:
            await self.http.close()


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]

    return {
        "n": len(ordered),
        "p50": q(0.50),
        "p95": q(0.95),
        "p99": q(0.99),
        "mean": sum(ordered) / len(ordered),
        "max": ordered[-1],
    }


class Window:
    """What one target did over one or more measuring windows."""

    def __init__(self) -> None:
        self.records: list[RequestTimings] = []
        self.errors: list[str] = []
        self.elapsed = 0.0
        self.client_cpu = 0.0
        self.server_cpu = 0.0
        self.server_measured = False

    def result(self, op: str, sessions: int) -> dict[str, Any]:
        records, elapsed = self.records, self.elapsed
        server_cpu = self.server_cpu if self.server_measured else None
        result: dict[str, Any] = {
            "sessions": sessions,
            "count": len(records),
            "elapsed": elapsed,
            "rate": len(records) / elapsed if elapsed else 0.0,
            "latency": _summary([r.end - r.start for r in records]),
            "errors": len(self.errors),
            "error_samples": self.errors[:3],
            "client_cpu": self.client_cpu / elapsed if elapsed else None,
            "server_cpu": server_cpu / elapsed if server_cpu is not None and elapsed else None,
            "server_cpu_per_request": (
                server_cpu / len(records) if server_cpu is not None and records else None
            ),
        }
        if op in ("stream", "assistant"):
            ttft = [r.first_at - r.start for r in records if r.first_at is not None]
            stamp = [r.first_stamp for r in records if r.first_stamp is not None]
            rates = [
                (r.tokens - 1) / (r.last_at - r.first_at)
                for r in records
                if r.first_at is not None and r.last_at is not None and r.last_at > r.first_at
            ]
            result["ttft"] = _summary(ttft)
            result["token_delay"] = _summary(stamp)
            result["tokens_per_s"] = _summary(rates)
            result["tokens_total_per_s"] = (
                sum(r.tokens for r in records) / elapsed if elapsed else 0.0
            )
            result["tokens_seen"] = _summary([float(r.tokens) for r in records])
            if op == "assistant":  # raw, to pool with the direct SDK client's slices
                result["ttft_values"] = ttft
                result["rate_values"] = rates
        if op == "call":
            result["server_call"] = _summary(
                [r.server_dt for r in records if r.server_dt is not None]
            )
        return result


async def drive(
    clients: list[BaseClient],
    op: str,
    window: Window,
    *,
    seconds: float,
    max_per_session: int,
    tokens: int,
    timeout: float,
    server_pid: int | None,
) -> None:
    """Closed loop: every session sends, waits for the full reply, sends again, until
    the window closes (or it sent ``max_per_session``); adds to ``window``."""
    cpu0 = time.process_time()
    server0 = cpu_seconds(server_pid) if server_pid else None
    started = time.perf_counter()
    deadline = started + seconds

    async def loop(client: BaseClient) -> None:
        for _ in range(max_per_session):
            if time.perf_counter() >= deadline:
                return
            try:
                window.records.append(await client.request(op, tokens, timeout))
            except Exception as exc:  # noqa: BLE001 - counted and reported
                window.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                return

    await asyncio.gather(*(loop(c) for c in clients))
    window.elapsed += time.perf_counter() - started
    window.client_cpu += time.process_time() - cpu0
    if server_pid and server0 is not None:
        window.server_cpu += cpu_seconds(server_pid) - server0
        window.server_measured = True


async def cmd_load(cmd: dict[str, Any]) -> dict[str, Any]:
    """The same load against each target (ours and the floor), in alternating slices
    (A B B A A B …) so that both see the same machine: ratios stay fair when something
    else on the machine comes and goes."""
    targets = cmd["targets"]
    op, sessions = cmd["op"], cmd["sessions"]
    pools = [Pool(t["kind"], t["url"]) for t in targets]
    ops = [t.get("op", op) for t in targets]
    windows = [Window() for _ in targets]
    options = {"tokens": cmd.get("tokens", 0), "timeout": cmd.get("timeout", 10)}
    try:
        for pool, target_op in zip(pools, ops, strict=True):
            await pool.open()
            failed = await pool.grow(sessions, cmd.get("connect_timeout", 10))
            if failed:
                return {
                    "error": f"{pool.kind}: {failed} of {sessions} sessions failed to connect",
                    "samples": pool.failures[:3],
                }
            warm = Window()
            await drive(
                pool.clients,
                target_op,
                warm,
                seconds=30,
                max_per_session=cmd.get("warmup", 2),
                server_pid=None,
                **options,
            )
            if warm.errors:
                return {"error": f"{pool.kind}: warm-up failed", "samples": warm.errors[:3]}
        order = list(range(len(targets)))
        if cmd.get("announce"):
            sys.stdout.write(json.dumps({"event": "measuring"}) + "\n")
            sys.stdout.flush()
        for _ in range(cmd.get("slices", 2)):
            for index in order:
                await drive(
                    pools[index].clients,
                    ops[index],
                    windows[index],
                    seconds=cmd["slice_seconds"],
                    max_per_session=cmd.get("max_per_session", 100_000),
                    server_pid=targets[index].get("server_pid"),
                    **options,
                )
            order.reverse()
        results = []
        for pool, window, target_op in zip(pools, windows, ops, strict=True):
            result = window.result(target_op, sessions)
            result["protocol_errors"] = [e for c in pool.clients for e in c.errors][:3]
            results.append(result)
        return {"results": results}
    finally:
        for pool in pools:
            await pool.close()


async def probe(pool: Pool, cmd: dict[str, Any]) -> dict[str, Any] | None:
    """``probe_sessions`` of the held sessions do round trips for ``probe_seconds``
    while the rest stay idle: reply latency under that load."""
    live = [c for c in pool.clients if c.connected][: cmd.get("probe_sessions", 0)]
    if not live:
        return None
    options = {"tokens": 0, "timeout": 10}
    await drive(live, "echo", Window(), seconds=30, max_per_session=2, server_pid=None, **options)
    window = Window()
    await drive(
        live,
        "echo",
        window,
        seconds=cmd.get("probe_seconds", 3),
        max_per_session=100_000,
        server_pid=cmd["server_pid"],
        **options,
    )
    result = window.result("echo", len(live))
    result["held"] = sum(1 for c in pool.clients if c.connected)
    return result


async def cmd_hold(cmd: dict[str, Any]) -> dict[str, Any]:
    """Ramp idle sessions up to each step; after each, let the server settle and read
    its RSS (and probe the latency at the ``probe_at`` steps and at the top)."""
    pid = cmd["server_pid"]
    pool = Pool(cmd["kind"], cmd["url"])
    steps: list[dict[str, Any]] = []
    stopped: str | None = None
    try:
        await pool.open()
        # Warm up (imports, first-request work), then the baseline.
        await pool.grow(1, 10)
        await pool.close()
        pool = Pool(cmd["kind"], cmd["url"])
        await pool.open()
        await asyncio.sleep(cmd.get("settle", 1.0))
        base = rss_kb(pid)
        base_fds = fd_count(pid)
        started = time.perf_counter()
        for target in cmd["steps"]:
            t0 = time.perf_counter()
            failed = await pool.grow(target, cmd.get("connect_timeout", 10))
            connect_s = time.perf_counter() - t0
            await asyncio.sleep(cmd.get("settle", 1.0))
            alive = sum(1 for c in pool.clients if c.connected)
            rss = rss_kb(pid)
            step: dict[str, Any] = {
                "target": target,
                "held": alive,
                "failed": failed,
                "connect_s": connect_s,
                "rss_kb": rss,
                "fds": fd_count(pid),
                "kb_per_session": (rss - base) / alive if alive else None,
            }
            steps.append(step)
            if failed or alive < target:
                stopped = f"at {alive} of {target}: {failed} connects failed" + (
                    f" ({pool.failures[-1]})" if pool.failures else ""
                )
                break
            if target in cmd.get("probe_at", ()) or target == cmd["steps"][-1]:
                step["probe"] = await probe(pool, cmd)
            if time.perf_counter() - started > cmd.get("max_seconds", 120):
                stopped = f"time limit after {target}"
                break
        if stopped and steps and "probe" not in steps[-1]:
            steps[-1]["probe"] = await probe(pool, cmd)
        return {
            "base_rss_kb": base,
            "base_fds": base_fds,
            "steps": steps,
            "stopped": stopped,
            "client_fd_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        }
    finally:
        await pool.close()


COMMANDS = {"load": cmd_load, "hold": cmd_hold}


async def main() -> None:
    raise_fd_limit()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            return
        handler = COMMANDS[cmd.pop("cmd")]
        try:
            result = await asyncio.wait_for(handler(cmd), cmd.get("limit", 120))
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
            result = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
