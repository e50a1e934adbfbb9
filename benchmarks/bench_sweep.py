"""Benchmark: design-space sweep throughput on dask.distributed and the driver's memory.

Usage::

    python benchmarks/bench_sweep.py results/bench_sweep.json [--cases 80] [--memory-cases 10000]

* Throughput: ``--cases`` copies of the study's 303-cycle N/P 25 Li-Cu || LFP simulation
  (0.4 mAh/cm^2 LFP, 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C + 300 at 1 C; the cases differ
  only by their ``seed``) through :func:`lilean.sweep.run_sweep` on a ``LocalCluster`` of 1 and of
  2 single-threaded worker processes, timed after a warm-up sweep (numba JIT in each worker),
  cluster start-up excluded. Reported as seconds per case. References: a plain serial loop in one
  process (dask overhead) and the 1-worker sweep (scaling: ratio = speed-up, efficiency =
  speed-up / 2).
* Memory: ``--memory-cases`` cheap symmetric-cell cases (1 h at 1 mA/cm^2) on 2 workers; the
  driver's resident set size (which also hosts the LocalCluster scheduler) is sampled as cases
  finish: after 10 % of the cases and at the end. Flat = streaming works.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

THROUGHPUT_SPEC = """
[sweep]
experiment = "cycling"
chunk_size = 20
outputs = ["final_retention_percent", "li_remaining_mAh_cm2"]
[fixed]
substrate = "cu"
cathode_loading_mAh_cm2 = 0.4
li_inventory_mAh_cm2 = 10.0
c_rate = 1.0
cycles = 300
formation_cycles = 3
[parameters]
seed = {{ values = {seeds} }}
"""

MEMORY_SPEC = """
[sweep]
experiment = "symmetric"
chunk_size = 500
outputs = ["mean_polarization_mV"]
[fixed]
substrate = "cu"
hours = 1.0
current_density_mA_cm2 = 1.0
[parameters]
areal_capacity_mAh_cm2 = {{ range = [0.25, 0.5], num = {n} }}
"""


def _rss_MB() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss / 2**20)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("output", type=Path)
    ap.add_argument("--cases", type=int, default=80)
    ap.add_argument("--memory-cases", type=int, default=10_000)
    args = ap.parse_args(argv)

    from lilean.parameters import default_parameters
    from lilean.simulate import simulate_cycling
    from lilean.sweep import load_spec, make_client, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec_path = tmp / "tp.toml"
    spec_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(args.cases))))
    warm_path = tmp / "warm.toml"
    warm_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(1000, 1004))))

    params = default_parameters()
    fixed = load_spec(spec_path).fixed
    simulate_cycling(params, **fixed)  # JIT warm-up
    t0 = time.perf_counter()
    for seed in range(args.cases):
        simulate_cycling(params, **{**fixed, "seed": seed})
    serial_s = (time.perf_counter() - t0) / args.cases

    per_case: dict[int, float] = {}
    for n in (1, 2):
        client, cluster = make_client(workers=n)
        try:
            run_sweep(warm_path, tmp / f"warm{n}.parquet", client=client)
            t0 = time.perf_counter()
            s = run_sweep(spec_path, tmp / f"tp{n}.parquet", client=client)
            per_case[n] = (time.perf_counter() - t0) / args.cases
            assert s.n_failed == 0
        finally:
            client.close()
            cluster.close()

    samples: list[tuple[int, float]] = []
    mem_path = tmp / "mem.toml"
    mem_path.write_text(MEMORY_SPEC.format(n=args.memory_cases))
    client, cluster = make_client(workers=2)
    try:
        rss_start = _rss_MB()

        def sample(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                samples.append((done, _rss_MB()))

        t0 = time.perf_counter()
        mem = run_sweep(
            mem_path, tmp / "mem.parquet", client=client, batch_size=20, progress=sample
        )
        mem_s = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    tenth = next(r for d, r in samples if d >= args.memory_cases // 10)
    rss_end = samples[-1][1]
    rss_peak = max(r for _, r in samples)

    speedup = per_case[1] / per_case[2]
    res: dict[str, Any] = {
        "serial_s_per_case": serial_s,
        "sweep_1_worker_s_per_case": per_case[1],
        "sweep_2_workers_s_per_case": per_case[2],
        "cases_per_s_1_worker": 1 / per_case[1],
        "cases_per_s_2_workers": 1 / per_case[2],
        "scaling_efficiency_2_workers": speedup / 2,
        "memory_cases": args.memory_cases,
        "memory_cases_failed": mem.n_failed,
        "memory_sweep_s": mem_s,
        "driver_rss_MB_start": rss_start,
        "driver_rss_MB_at_10_percent": tenth,
        "driver_rss_MB_end": rss_end,
        "driver_rss_MB_peak": rss_peak,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    label = "303-cycle N/P 25 sweep"
    res["rows"] = [
        {
            "benchmark": f"{label}, 1 dask worker (s per case)",
            "lilean_s": per_case[1],
            "reference": "serial loop, one process, no dask",
            "reference_s": serial_s,
            "ratio": serial_s / per_case[1],
        },
        {
            "benchmark": f"{label}, 2 dask workers (s per case)",
            "lilean_s": per_case[2],
            "reference": "same sweep on 1 worker (ratio = speed-up; efficiency = ratio / 2)",
            "reference_s": per_case[1],
            "ratio": speedup,
            "scaling_efficiency": speedup / 2,
        },
        {
            "benchmark": (
                f"{args.memory_cases:,}-case symmetric sweep, 2 workers (s per case); driver RSS "
                f"{tenth:.0f} MB at 10 % -> {rss_end:.0f} MB at the end"
            ),
            "lilean_s": mem_s / args.memory_cases,
            "reference": None,
            "reference_s": None,
            "ratio": None,
            "driver_rss_MB_at_10_percent": tenth,
            "driver_rss_MB_end": rss_end,
        },
    ]
    print(json.dumps(res, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
