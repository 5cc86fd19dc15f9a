"""What every benchmark shares: the machine's description, medians, a child process per run, memory sampling."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, memory, CPU model, Python, date."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()[1]
        memory = " ".join(memory.split()[1:2]) + " total"
    except (OSError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "memory": memory, "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100): a value that was actually observed."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return float(ordered[rank - 1])


def peak_rss_mib() -> float:
    """This process's peak resident memory so far: VmHWM, not getrusage's ru_maxrss, which Linux carries across
    fork and exec, so a child would report at least the peak of the benchmark process that started it."""
    return hwm_mib(os.getpid())


def rss_mib(pid: int | None = None) -> float:
    """Resident memory now, of this process or another one, from /proc."""
    path = Path(f"/proc/{pid or 'self'}/status")
    for line in path.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hwm_mib(pid: int) -> float:
    """Peak resident memory of another process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemorySampler:
    """Samples this process's resident memory in a thread, against a progress figure the caller updates."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.samples: list[tuple[float, float, float]] = []  # (seconds, progress, MiB)
        self.progress = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-memory")
        self._started = time.perf_counter()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.samples.append((time.perf_counter() - self._started, self.progress, rss_mib()))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def at_progress(self, share: float) -> float:
        """Resident memory at the first sample taken once `share` of the work was done."""
        done = [mib for _, progress, mib in self.samples if progress >= share]
        return done[0] if done else float("nan")


def spawn(module: str, params: dict[str, Any], timeout: float = 7200) -> dict[str, Any]:
    """Run `bench.MODULE.child(params)` in a fresh interpreter; its JSON answer is its last line of output."""
    code = f"import json,sys; from bench import {module} as m; print(json.dumps(m.child(json.loads(sys.argv[1]))))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code, json.dumps(params)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bench.{module} child failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-5000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@dataclass
class Figure:
    """One recorded number: its median over runs, each run's value, and its target if the issue sets one."""

    name: str
    unit: str
    values: list[float]
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def value(self) -> float:
        return median(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "median": self.value, "runs": self.values,
                "target": self.target, "met": self.met, "note": self.note}


def at_least(figure: Figure, goal: float, text: str) -> Figure:
    figure.target, figure.met = text, figure.value >= goal
    return figure


def at_most(figure: Figure, goal: float, text: str) -> Figure:
    figure.target, figure.met = text, figure.value <= goal
    return figure


@dataclass
class Result:
    """A benchmark's outcome: its figures, tables for the docs, each run's raw data, the sizes it ran at."""

    benchmark: str
    title: str
    params: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)  # {"title", "columns", "rows"}
    raw: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "title": self.title, "params": self.params,
                "figures": [f.as_dict() for f in self.figures], "tables": self.tables, "notes": self.notes,
                "charts": self.charts, "raw": self.raw}


def recent_incidents(path: Path, count: int, now: datetime, within: timedelta = timedelta(hours=12),
                     seed: int = 11) -> Path:
    """`count` distinct valid incidents (tests.factories), reported in the `within` before `now`.

    Reported recently on purpose: their recording clocks start and none is due yet, so a run measures intake to
    case and clock, not SLA events (those are measured on their own).
    """
    import random

    from tests.factories import OFFICES, incident

    rng = random.Random(seed)
    span = int(within.total_seconds())
    with path.open("w") as out:
        for n in range(count):
            office = OFFICES[n % len(OFFICES)]
            when = now - timedelta(seconds=rng.randint(60, span))
            sitrep = f"SR-{office[:3].upper()}-{when:%G-W%V}"
            record = incident(sitrep, n + 1, when, office, location=f"Village {n}",
                              occurred_at=(when - timedelta(days=1)).isoformat())
            out.write(json.dumps(record) + "\n")
    return path


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value
