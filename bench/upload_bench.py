"""``python -m bench.upload_bench [--quick] [--modes gevent,…]``: upload throughput and the
server's memory while a large file (100 MB; 20 MB with ``--quick``) is uploaded.

Per async mode, two gunicorn servers (one worker each, ``bench/procs.py``), measured in
the same run, in alternating order:

- **ours**: ``POST /copilot/uploads`` of ``bench.apps:make_copilot()`` (local storage in a
  scratch folder, ``COPILOT_MAX_UPLOAD_MB`` raised to fit), with the upload grant of a
  chat session opened first (``flask_copilot.testing``); the body streams through our
  multipart reader into the storage while its type is sniffed and its size counted.
- **floor**: a bare Flask view (``bench.apps:make_upload_floor()``): ``request.files``
  (Werkzeug's parser spools the file to a temporary file) then ``save()``.

The client (this process, never inside a server) streams a multipart body of 1 MiB
blocks from memory with ``http.client``; throughput = bytes ÷ (request sent → answer).
Memory: the worker's ``VmRSS`` (``/proc/PID/status``) sampled every 10 ms during the
upload; "growth" = peak − the RSS just before. Flat memory (a few MB, independent of the
file's size) means the file was streamed, not buffered.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from .procs import Server, stop_all

MODES = ("threading", "gevent", "eventlet")
BLOCK = 1024 * 1024


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler:
    """The worker's peak RSS while it runs (every 10 ms, bounded by ``stop``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = rss_kb(pid)
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_kb(self.pid))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, rss_kb(self.pid))


def multipart(size: int, boundary: str) -> tuple[int, Iterator[bytes]]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = (bytes(range(256)) * (BLOCK // 256))[:BLOCK]

    def chunks() -> Iterator[bytes]:
        yield head
        left = size
        while left > 0:
            piece = block if left >= BLOCK else block[:left]
            left -= len(piece)
            yield piece
        yield tail

    return len(head) + size + len(tail), chunks()


def post(url: str, path: str, size: int, headers: dict[str, str]) -> tuple[int, float]:
    """Stream a ``size``-byte file as multipart; (status, seconds)."""
    parts = urlsplit(url)
    boundary = uuid.uuid4().hex
    length, body = multipart(size, boundary)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    started = time.perf_counter()
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(length))
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for chunk in body:
            connection.send(chunk)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def measure(mode: str, size: int, rounds: int, scratch: str) -> list[dict[str, Any]]:
    from flask_copilot.testing import CopilotTestClient

    ours_dir, floor_dir = (
        os.path.join(scratch, f"ours-{mode}"),
        os.path.join(scratch, f"floor-{mode}"),
    )
    os.makedirs(ours_dir)
    os.makedirs(floor_dir)
    megabytes = str(size // BLOCK + 1)
    ours = Server(
        "copilot",
        mode,
        env={"BENCH_INSTANCE": ours_dir, "BENCH_UPLOAD_MB": megabytes},
        label="ours",
    )
    floor = Server("upload_floor", mode, env={"BENCH_INSTANCE": floor_dir}, label="floor")
    servers = [ours, floor]
    rows: dict[str, dict[str, Any]] = {
        "ours": {"mode": mode, "server": "ours", "seconds": [], "growth_kb": [], "before_kb": []},
        "floor": {"mode": mode, "server": "floor", "seconds": [], "growth_kb": [], "before_kb": []},
    }
    try:
        for server in servers:
            server.start()
        with CopilotTestClient(ours.url) as client:
            token = (client.session_info or {})["uploadToken"]
            targets = {
                "ours": (ours, "/copilot/uploads", {"X-Copilot-Upload": token}),
                "floor": (floor, "/upload", {}),
            }
            order = ["ours", "floor"]
            for round_ in range(rounds):
                for name in order if round_ % 2 == 0 else order[::-1]:
                    server, path, headers = targets[name]
                    sampler = Sampler(server.worker_pid)
                    status, seconds = post(server.url, path, size, headers)
                    sampler.stop()
                    if status != 201:
                        raise RuntimeError(f"{name}/{mode}: upload answered {status}")
                    row = rows[name]
                    row["seconds"].append(seconds)
                    row["growth_kb"].append(sampler.peak - sampler.before)
                    row["before_kb"].append(sampler.before)
                    for folder in (ours_dir, floor_dir):  # keep the disk clean between rounds
                        shutil.rmtree(os.path.join(folder, "copilot-files"), ignore_errors=True)
                        for entry in os.listdir(folder):
                            path_ = os.path.join(folder, entry)
                            if os.path.isfile(path_):
                                os.unlink(path_)
    finally:
        stop_all(servers)
    for row in rows.values():
        row["mb_s"] = size / BLOCK / statistics.median(row["seconds"])
        row["growth_mb"] = max(row["growth_kb"]) / 1024
        row["before_mb"] = statistics.median(row["before_kb"]) / 1024
    return [rows["ours"], rows["floor"]]


def render(rows: list[dict[str, Any]], size: int, rounds: int) -> str:
    lines = [
        f"## Uploads: one {size // BLOCK} MB file, {rounds} round(s), median throughput, "
        "worker RSS",
        "",
        "| mode | server | MB/s | × floor | RSS before (MB) | RSS growth during upload (MB) |",
        "|---|---|---|---|---|---|",
    ]
    floors = {r["mode"]: r for r in rows if r["server"] == "floor"}
    for row in rows:
        ratio = row["mb_s"] / floors[row["mode"]]["mb_s"]
        lines.append(
            f"| {row['mode']} | {row['server']} | {row['mb_s']:.0f} | {ratio:.2f} | "
            f"{row['before_mb']:.1f} | {row['growth_mb']:.1f} |"
        )
    lines += [
        "",
        "Growth is the largest over the rounds. ours: the multipart body streamed into the "
        "storage, sniffed and size-checked; floor: Werkzeug's form parser (temporary file) "
        "then save().",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one 20 MB upload per server")
    parser.add_argument("--modes", help="comma-separated subset of threading,gevent,eventlet")
    args = parser.parse_args(argv)
    size = (20 if args.quick else 100) * BLOCK
    rounds = 1 if args.quick else 3
    modes = [m for m in (args.modes or ",".join(MODES)).split(",") if m in MODES]
    scratch = tempfile.mkdtemp(prefix="copilot-upload-bench-")
    rows: list[dict[str, Any]] = []
    try:
        for mode in modes:
            print(f"[upload bench] {mode}", file=sys.stderr, flush=True)
            rows += measure(mode, size, rounds, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(render(rows, size, rounds))
    print(json.dumps(rows, default=str), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
