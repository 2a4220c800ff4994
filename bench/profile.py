"""Read py-spy's collapsed stacks and name where the server's CPU goes in our code.

Each sample is one stack (only samples holding the GIL are recorded, so every sample
is CPU spent in Python or in a C call made from it). Two views:

- **our code, inclusive**: the share of samples with a ``flask_copilot`` frame on the
  stack, and per ``flask_copilot`` function.
- **costs**: each sample with a ``flask_copilot`` frame is charged to the *deepest*
  ``flask_copilot`` frame and the frame it called (``namespace.py:_load →
  marshmallow…Schema.__init__``), so the buckets add up and the largest ones are the
  costs of our code, what they spend it on included.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

OURS = "flask_copilot/"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass
class Frame:
    func: str
    file: str

    @property
    def ours(self) -> bool:
        return OURS in self.file and "/site-packages/" not in self.file

    def short(self) -> str:
        path = self.file
        for marker in ("site-packages/", "flask_copilot/", "lib/python3.11/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                if marker == "flask_copilot/":
                    path = marker + path
                break
        return f"{path}:{self.func}"


def parse(path: Path) -> list[tuple[list[Frame], int]]:
    samples: list[tuple[list[Frame], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            match = FRAME.match(raw)
            if match:
                frames.append(Frame(match["func"], match["file"]))
            else:
                frames.append(Frame(raw, ""))
        samples.append((frames, int(count)))
    return samples


@dataclass
class ProfileSummary:
    total: int
    ours_inclusive: float
    functions: list[tuple[str, float]]
    costs: list[tuple[str, float]]
    top_external: list[tuple[str, float]]


def summarise(path: Path, top: int = 8) -> ProfileSummary:
    samples = parse(path)
    total = sum(count for _, count in samples) or 1
    ours_total = 0
    functions: Counter[str] = Counter()
    costs: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, count in samples:
        leaves[frames[-1].short() if frames else "?"] += count
        ours_idx = [i for i, f in enumerate(frames) if f.ours]
        if not ours_idx:
            continue
        ours_total += count
        for name in {frames[i].short() for i in ours_idx}:
            functions[name] += count
        deepest = ours_idx[-1]
        callee = frames[deepest + 1].short() if deepest + 1 < len(frames) else "(self)"
        costs[f"{frames[deepest].short()} → {callee}"] += count

    def pct(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100.0 * n / total) for name, n in counter.most_common(top)]

    return ProfileSummary(
        total=total,
        ours_inclusive=100.0 * ours_total / total,
        functions=pct(functions),
        costs=pct(costs),
        top_external=pct(leaves),
    )
