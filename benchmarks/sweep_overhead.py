"""Benchmark: dask overhead of a 1-worker sweep against a serial loop, alternating A/B runs.

Usage::

    python benchmarks/sweep_overhead.py [--cases 24] [--reps 6] [--json out.json]
    python benchmarks/sweep_overhead.py --malloc-ab 24   # the worker environment's A/B only

Each repetition runs the same ``--cases`` 303-cycle N/P 25 Li-Cu || LFP cases (they differ only by
``seed``) four ways, in an order reversed every other repetition: (serial) a loop of
:func:`lilean.sweep.run_case` in this process (the same work a worker does: simulate + outputs),
(in_worker) the same loop as one task in the warm worker (the worker process's environment
without dask's per-task cost), (sweep_auto) :func:`lilean.sweep.run_sweep` on the warm 1-worker
``LocalCluster`` with the automatic batch size, (sweep_batch1) the same with ``batch_size=1`` (one
task per case). Reported per arm, as the median and range of the per-repetition ratios
serial / arm (>= 0.9 is the target of issue 18: 1 worker within 10 % of a serial loop): the wall
clock, and the CPU (the loop: this process; an arm on the cluster: the worker's CPU plus this
process's, which hosts the scheduler, nanny and client). Cluster start-up and the numba warm-up
of the worker are excluded (the worker runs one case first, then a warm-up sweep). The cases, the
serial loop and the warm-up are ``bench_sweep.py``'s (imported), so both scripts time the same
work.

``--malloc-ab N``: instead, N rounds (8 cases each, order swapped every round) of the same loop as
one task on two warm 1-worker clusters at once, one started by :func:`lilean.sweep.make_client`
(no ``MALLOC_TRIM_THRESHOLD_``), one with dask's default nanny environment
(``MALLOC_TRIM_THRESHOLD_=65536``); reported: the median and range of the per-round ratio of the
workers' thread CPU (default / lilean's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_sweep import (
    OUTPUTS,
    THROUGHPUT_FIXED,
    _workers_cpu,
    serial_loop,
    throughput_specs,
    warm_workers,
)

ARMS = ("serial", "in_worker", "sweep_auto", "sweep_batch1")


def _loop_in_worker(spec_path: str, params: Any) -> None:
    from lilean.sweep import load_spec

    serial_loop(load_spec(spec_path), params)


def _timed_loop(seeds: list[int]) -> float:
    from lilean.parameters import default_parameters
    from lilean.sweep import run_case

    params = default_parameters()
    c0 = time.thread_time()
    for s in seeds:
        run_case("cycling", params, THROUGHPUT_FIXED, {"seed": s}, OUTPUTS)
    return time.thread_time() - c0


def malloc_ab(rounds: int) -> dict[str, Any]:
    """The worker environment's A/B: lilean's embedded cluster against dask's default one."""
    import dask
    import distributed

    from lilean.sweep import make_client
    from lilean.sweep.run import EMBEDDED_CLUSTER_CONFIG

    ours, ours_cluster = make_client(workers=1)
    with dask.config.set(EMBEDDED_CLUSTER_CONFIG):  # dask's own pre-spawn environment
        default_cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        )
    default = distributed.Client(default_cluster)
    ratios = []
    try:
        for c in (ours, default):
            c.submit(_timed_loop, [1000, 1001, 1002], pure=False).result()  # warm-up
        for k in range(rounds):
            seeds = list(range(8 * k, 8 * k + 8))
            pair = [("ours", ours), ("default", default)]
            t = {
                n: c.submit(_timed_loop, seeds, pure=False).result()
                for n, c in pair[:: 1 - 2 * (k % 2)]
            }
            ratios.append(t["default"] / t["ours"])
    finally:
        for c, cl in ((ours, ours_cluster), (default, default_cluster)):
            c.close()
            cl.close()
    return {
        "rounds": rounds,
        "cpu_ratio_default_env_over_lilean_env": statistics.median(ratios),
        "range": [min(ratios), max(ratios)],
        "per_round": ratios,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--malloc-ab", type=int, default=0, metavar="ROUNDS")
    args = ap.parse_args(argv)
    if args.malloc_ab:
        ab = malloc_ab(args.malloc_ab)
        print(json.dumps(ab, indent=1))
        print(
            f"worker CPU, dask's default environment / lilean's: "
            f"{ab['cpu_ratio_default_env_over_lilean_env']:.3f} "
            f"({ab['range'][0]:.3f}-{ab['range'][1]:.3f}), {args.malloc_ab} rounds of 8 cases"
        )
        if args.json:
            args.json.write_text(json.dumps(ab, indent=1))
        return 0

    from lilean.sweep import load_spec, make_client, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_overhead_"))
    spec_path, warm = throughput_specs(tmp, args.cases)
    spec = load_spec(spec_path)
    params = spec.parameters()
    n = args.cases

    client, cluster = make_client(workers=1)
    wall: dict[str, list[float]] = {k: [] for k in ARMS}
    cpu: dict[str, list[float]] = {k: [] for k in ARMS}
    try:
        warm_workers(client, warm)
        run_sweep(warm, tmp / "warm.parquet", client=client)
        serial_loop(load_spec(warm), params)  # numba warm-up in this process
        params_future = client.scatter(params, broadcast=True)
        k = 0

        def run(name: str) -> tuple[float, float]:
            nonlocal k
            k += 1
            w0, c0 = _workers_cpu(client), time.process_time()
            t0 = time.perf_counter()
            if name == "serial":
                serial_loop(spec, params)
            elif name == "in_worker":
                fut = client.submit(_loop_in_worker, str(spec_path), params_future, pure=False)
                fut.result()
            else:
                batch = None if name == "sweep_auto" else 1
                out = tmp / f"run{k}.parquet"
                run_sweep(spec, out, client=client, batch_size=batch, params=params)
            t = time.perf_counter() - t0
            c = time.process_time() - c0
            return t, c + (0.0 if name == "serial" else _workers_cpu(client) - w0)

        for rep in range(args.reps):
            for name in ARMS if rep % 2 == 0 else ARMS[::-1]:
                t, c = run(name)
                wall[name].append(t / n)
                cpu[name].append(c / n)
    finally:
        client.close()
        cluster.close()

    def ratios(d: dict[str, list[float]], arm: str) -> list[float]:
        return [s / a for s, a in zip(d["serial"], d[arm], strict=True)]

    med = statistics.median
    result: dict[str, Any] = {
        "cases": n,
        "reps": args.reps,
        "s_per_case_median": {k: med(v) for k, v in wall.items()},
        "cpu_s_per_case_median": {k: med(v) for k, v in cpu.items()},
        "s_per_case_all": wall,
        "cpu_s_per_case_all": cpu,
    }
    for arm in ARMS[1:]:
        for what, d in (("wall", wall), ("cpu", cpu)):
            r = ratios(d, arm)
            result[f"ratio_serial_over_{arm}_{what}"] = med(r)
            result[f"ratio_serial_over_{arm}_{what}_range"] = [min(r), max(r)]
    print(json.dumps(result, indent=1))
    for arm in ARMS[1:]:
        line = ", ".join(
            f"{what} {result[f'ratio_serial_over_{arm}_{what}']:.3f} "
            f"({result[f'ratio_serial_over_{arm}_{what}_range'][0]:.3f}-"
            f"{result[f'ratio_serial_over_{arm}_{what}_range'][1]:.3f})"
            for what in ("wall", "cpu")
        )
        print(f"serial / {arm}: {line}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
