"""Benchmark: dask overhead of a 1-worker sweep against a serial loop, alternating A/B runs.

Usage::

    python benchmarks/sweep_overhead.py [--cases 24] [--reps 3] [--json out.json]

Each repetition runs the same ``--cases`` 303-cycle N/P 25 Li-Cu || LFP cases (they differ only by
``seed``) three ways, in alternating order: (A) a serial loop of :func:`lilean.sweep.run_case` in
this process (the same work a worker does: simulate + outputs), (B) :func:`lilean.sweep.run_sweep`
on a warm 1-worker ``LocalCluster`` with the automatic batch size, (C) the same with
``batch_size=1`` (one task per case, the old default). Reported: median seconds per case and the
ratios A/B and A/C (>= 0.9 is the target of issue 18: 1 worker within 10 % of a serial loop).
Cluster start-up and the numba warm-up of the worker are excluded (the worker runs one case
first, then a warm-up sweep). The cases, the serial loop and the warm-up are ``bench_sweep.py``'s
(imported), so both scripts time the same work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench_sweep import serial_loop, throughput_specs, warm_workers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    from lilean.sweep import load_spec, make_client, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_overhead_"))
    spec_path, warm = throughput_specs(tmp, args.cases)
    spec = load_spec(spec_path)
    params = spec.parameters()

    def serial() -> float:
        t0 = time.perf_counter()
        serial_loop(spec, params)
        return (time.perf_counter() - t0) / args.cases

    client, cluster = make_client(workers=1)
    times: dict[str, list[float]] = {"serial": [], "sweep_auto": [], "sweep_batch1": []}
    try:
        warm_workers(client, warm)
        run_sweep(warm, tmp / "warm.parquet", client=client)
        serial_loop(load_spec(warm), params)  # numba warm-up in this process
        k = 0

        def sweep(batch: int | None) -> float:
            nonlocal k
            k += 1
            t0 = time.perf_counter()
            run_sweep(spec, tmp / f"run{k}.parquet", client=client, batch_size=batch, params=params)
            return (time.perf_counter() - t0) / args.cases

        for rep in range(args.reps):
            order = ["serial", "sweep_auto", "sweep_batch1"]
            if rep % 2:
                order.reverse()
            for name in order:
                if name == "serial":
                    times[name].append(serial())
                else:
                    times[name].append(sweep(None if name == "sweep_auto" else 1))
    finally:
        client.close()
        cluster.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "cases": args.cases,
        "reps": args.reps,
        "s_per_case_median": med,
        "s_per_case_all": times,
        "ratio_serial_over_sweep_auto": med["serial"] / med["sweep_auto"],
        "ratio_serial_over_sweep_batch1": med["serial"] / med["sweep_batch1"],
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
