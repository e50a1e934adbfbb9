"""Timing of two analysis/model hot spots, alternating A/B, CPU seconds (``time.process_time``).

A developer script, not one of ``make.py bench``'s ``bench_*.py`` (it writes no result rows).

Usage::

    PYTHONPATH=src python benchmarks/time_quality_nucleation.py [quality|nucleation|all] [--repeats 7]

* ``quality``: :func:`lilean.analysis.quality.cycle_quality` on a simulated 303-cycle Li||LFP cell
  (3 formation + 300 cycles, Cu) against the per-cycle loop it replaced
  (``tests/unit/analysis/_quality_reference.py``), runs alternating new / old, median and range;
* ``nucleation``: ``simulate_nucleation(cu, 1 mA/cm^2)`` and ``simulate_nucleation(ag-cu, 1
  mA/cm^2)`` warm, median and range (compare before/after by running this on both commits).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _report(label: str, times: list[float]) -> None:
    print(
        f"{label:<44s} median {1e3 * statistics.median(times):8.2f} ms CPU "
        f"(range {1e3 * min(times):.2f}..{1e3 * max(times):.2f}, n={len(times)})"
    )


def bench_quality(repeats: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "unit" / "analysis"))
    from _quality_reference import cycle_quality_reference

    from lilean.analysis.quality import cycle_quality
    from lilean.parameters import default_parameters
    from lilean.scenarios.cycling import simulate_cycling
    from lilean.schema import CHARGE_CAPACITY, CYCLE, DISCHARGE_CAPACITY

    frame = simulate_cycling(default_parameters(), "cu", cycles=300).data.data
    grouped = frame.groupby(CYCLE, sort=True)
    q_ch = grouped[CHARGE_CAPACITY].max().astype(float)
    q_dis = grouped[DISCHARGE_CAPACITY].max().astype(float)
    ce = (q_dis / q_ch).where((q_ch > 0) & (q_dis > 0))
    args = (frame, q_ch.to_numpy(), q_dis.to_numpy(), ce.to_numpy(), q_ch.index.to_numpy())
    print(f"quality: {len(frame)} rows, {len(q_ch)} cycles")
    new, old = [], []
    for fn in (cycle_quality, cycle_quality_reference):  # warm-up
        fn(*args)
    for _ in range(repeats):
        new.append(_cpu(lambda: cycle_quality(*args)))
        old.append(_cpu(lambda: cycle_quality_reference(*args)))
    _report("cycle_quality (vectorised)", new)
    _report("cycle_quality (per-cycle loop, reference)", old)
    print(f"speed-up {statistics.median(old) / statistics.median(new):.1f}x")


def bench_nucleation(repeats: int) -> None:
    from lilean.models.nucleation import simulate_nucleation
    from lilean.parameters import default_parameters

    p = default_parameters()
    for substrate in ("cu", "ag-cu"):
        simulate_nucleation(p, substrate, 1.0)  # warm-up (imports, numba compile or cache load)
        times = [_cpu(lambda s=substrate: simulate_nucleation(p, s, 1.0)) for _ in range(repeats)]
        _report(f"simulate_nucleation({substrate}, 1 mA/cm^2)", times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all", choices=["quality", "nucleation", "all"])
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    if a.what in ("quality", "all"):
        bench_quality(a.repeats)
    if a.what in ("nucleation", "all"):
        bench_nucleation(a.repeats)


if __name__ == "__main__":
    main()
