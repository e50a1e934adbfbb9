"""The one timing protocol every ``bench_*.py`` script uses (so both sides are timed alike).

* **Alternating A/B runs**: :func:`alternate` runs lilean and the reference in turn (A B A B ...,
  starting side swapped every round), so drifts of a shared machine hit both sides alike.
* **Median and spread**: each side's median and its min-max range; the ratio is the median of
  the per-round ratios ``reference / lilean`` with its min-max range (> 1: lilean is faster).
* **Warm** = in one process after one untimed run of each side (JIT compiled, models built);
  **cold** = a whole fresh interpreter per run (:func:`cold_command`), imports and JIT/disk
  cache loads included.
* Wall clock is the headline (what a user waits); the CPU seconds of the same runs are reported
  beside it (``cpu_ratio``), since on a shared machine the wall clock also measures the others.
* Full-length runs only: a row never extrapolates; ``--quick`` shortens both sides alike and the
  row's label says what was run.

Rows are plain dicts (``benchmark``, ``mode``, ``lilean_s``, ``lilean_range``, ``reference``,
``reference_s``, ``reference_range``, ``ratio``, ``ratio_range``, ``accuracy``, ``n``), written
by :func:`write` as ``{"rows": [...]}``; ``run_benchmarks.py`` prints them as one markdown table.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


_LAST_CPU: dict[str, list[float]] = {}
_CHILD_CPU: list[float] = [0.0]


def _cpu_now() -> float:
    """CPU seconds of this process (all threads) plus its finished child processes."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ru.ru_utime + ru.ru_stime


def alternate(
    ours: Callable[[], Any], reference: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of ``repeats`` alternating runs of each side (A B, B A, A B, ...).

    The CPU seconds of the same runs (this process's threads and finished child processes) are
    kept for the next :func:`row`: on a shared, oversubscribed machine the wall clock mostly
    measures the other users, the CPU time what each side itself costs.
    """
    a: list[float] = []
    b: list[float] = []
    ca: list[float] = []
    cb: list[float] = []
    for k in range(repeats):
        order = ((ours, a, ca), (reference, b, cb))
        if k % 2:
            order = order[::-1]
        for fn, sink, cpu in order:
            c0 = _cpu_now()
            t0 = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - t0)
            cpu.append(_cpu_now() - c0)
    _LAST_CPU.clear()
    _LAST_CPU.update(ours=ca, reference=cb)
    return a, b


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` runs of one side (rows without a reference)."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def cold_command(code: str) -> list[str]:
    """A fresh interpreter running ``code`` with this checkout's ``src`` first on the path."""
    return [sys.executable, "-c", code]


def run_cold(cmd: Sequence[str]) -> float:
    """Wall-clock seconds of one whole process (it must exit 0)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    subprocess.run(list(cmd), check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def alternate_cold(
    ours: Sequence[str], reference: Sequence[str], repeats: int
) -> tuple[list[float], list[float]]:
    """:func:`alternate` for whole processes."""
    return alternate(lambda: run_cold(ours), lambda: run_cold(reference), repeats)


def _range(values: Sequence[float]) -> list[float]:
    return [min(values), max(values)]


def row(
    benchmark: str,
    mode: str,
    ours_s: Sequence[float],
    reference: str | None = None,
    reference_s: Sequence[float] | None = None,
    accuracy: str = "",
    cpu: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """One table row from the raw timings of both sides (same length when alternated).

    ``cpu=False`` drops the CPU ratio (work in processes that are still running, such as dask
    workers, is not visible to this process's CPU clocks)."""
    out: dict[str, Any] = {
        "benchmark": benchmark,
        "mode": mode,
        "lilean_s": statistics.median(ours_s),
        "lilean_range": _range(ours_s),
        "reference": reference,
        "reference_s": None,
        "reference_range": None,
        "ratio": None,
        "ratio_range": None,
        "accuracy": accuracy,
        "n": len(ours_s),
        "raw_lilean_s": list(ours_s),
    }
    cpu_o, cpu_r = _LAST_CPU.get("ours"), _LAST_CPU.get("reference")
    if cpu and reference_s and cpu_o and cpu_r and len(cpu_o) == len(ours_s):
        cpu_ratios = [r / o for r, o in zip(cpu_r, cpu_o, strict=False) if o > 0]
        out.update(
            lilean_cpu_s=statistics.median(cpu_o),
            reference_cpu_s=statistics.median(cpu_r),
            cpu_ratio=statistics.median(cpu_ratios) if cpu_ratios else None,
        )
    _LAST_CPU.clear()
    if reference_s:
        ratios = [r / o for r, o in zip(reference_s, ours_s, strict=False)]
        out.update(
            reference_s=statistics.median(reference_s),
            reference_range=_range(reference_s),
            ratio=statistics.median(ratios),
            ratio_range=_range(ratios),
            raw_reference_s=list(reference_s),
        )
    out.update(extra)
    return out


def write(path: Path, rows: list[dict[str, Any]], **meta: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows, **meta}, indent=1))
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        cpu = r.get("cpu_ratio")
        cpu_txt = "" if cpu is None else f", CPU ratio {cpu:.2f}x"
        print(
            f"{r['benchmark']} [{r['mode']}]: lilean {r['lilean_s']:.4g} s, ratio {ratio}{cpu_txt}"
        )


def common_args(parser: Any, repeats: int) -> None:
    parser.add_argument("output", type=Path, help="JSON file to write")
    parser.add_argument("--repeats", type=int, default=repeats, help="alternating rounds")
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs (both sides alike; labelled)"
    )
