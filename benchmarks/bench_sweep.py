"""Benchmark: design-space sweep throughput on dask.distributed and the driver's memory.

Usage::

    python benchmarks/bench_sweep.py results/bench_sweep.json [--cases 80] [--memory-cases 10000]

* Overhead: ``--cases`` copies of the study's 303-cycle N/P 25 Li-Cu || LFP simulation
  (0.4 mAh/cm^2 LFP, 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C + 300 at 1 C; the cases differ
  only by their ``seed``) through :func:`lilean.sweep.run_sweep` on a ``LocalCluster`` of one
  single-threaded worker, against a serial loop of the same cases in the driver doing the same work
  as a worker (:func:`lilean.sweep.run_case`: simulate and compute the spec's outputs), alternating
  rounds (warm: one warm-up sweep and loop first; cluster start-up excluded). ratio = serial /
  sweep (target >= 0.9).
* Scaling: the same sweep on 2 workers against 1 worker (speed-up), judged against this machine's
  own parallel control: two independent serial processes (the same run_case loop) running half the cases each at the same
  time (started together behind a barrier, after their warm-up) against one process running all of
  them. efficiency = sweep speed-up / control speed-up (target >= 90 %); on a shared 2-core
  machine the control is far below 2.
* Memory: ``--memory-cases`` cheap symmetric-cell cases (1 h at 1 mA/cm^2) on 2 workers; the
  driver's resident set size (which also hosts the LocalCluster scheduler) is sampled as cases
  finish: after 10 % of the cases and at the end. Flat = streaming works.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _protocol import alternate, common_args, row, write

OUTPUTS = ("final_retention_percent", "li_remaining_mAh_cm2")
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


SERIAL = """
import sys, time, json, os
from pathlib import Path
from lilean.parameters import default_parameters
from lilean.sweep import run_case
fixed = json.loads(sys.argv[1]); seeds = json.loads(sys.argv[2]); barrier = Path(sys.argv[3])
outputs = tuple(json.loads(sys.argv[5]))
params = default_parameters()
run_case("cycling", params, fixed, {"seed": 1000}, outputs)
(barrier / f"ready-{os.getpid()}").touch()
while len(list(barrier.glob("ready-*"))) < int(sys.argv[4]):
    time.sleep(0.005)
t0 = time.time()
for s in seeds:
    run_case("cycling", params, fixed, {"seed": s}, outputs)
print(json.dumps([t0, time.time()]))
"""


def _processes(fixed: dict[str, Any], groups: list[list[int]], tmp: Path) -> float:
    """Wall seconds of the case loops of ``len(groups)`` serial processes started together."""
    import subprocess

    barrier = Path(tempfile.mkdtemp(dir=tmp))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERIAL,
                json.dumps(fixed),
                json.dumps(g),
                str(barrier),
                str(len(groups)),
                json.dumps(list(OUTPUTS)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for g in groups
    ]
    spans = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return max(e for _, e in spans) - min(s for s, _ in spans)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    common_args(ap, repeats=3)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--memory-cases", type=int, default=10_000)
    args = ap.parse_args(argv)
    if args.quick:
        args.cases = min(args.cases, 16)
        args.memory_cases = min(args.memory_cases, 1000)

    from lilean.parameters import default_parameters
    from lilean.sweep import load_spec, make_client, run_case, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec_path = tmp / "tp.toml"
    spec_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(args.cases))))
    warm_path = tmp / "warm.toml"
    warm_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(1000, 1004))))
    params = default_parameters()
    spec = load_spec(spec_path)
    fixed = dict(spec.fixed)
    assert spec.outputs == OUTPUTS
    run_case("cycling", params, fixed, {"seed": 1000}, OUTPUTS)  # JIT warm-up
    counter = iter(range(10**6))

    def serial() -> None:
        # the work of a worker: simulate and compute the spec's outputs (lilean.sweep.run_case)
        for seed in range(args.cases):
            run_case("cycling", params, fixed, {"seed": seed}, OUTPUTS)

    def sweep_on(client: Any) -> Any:
        def go() -> None:
            s = run_sweep(spec_path, tmp / f"tp{next(counter)}.parquet", client=client)
            assert s.n_failed == 0

        return go

    rows = []
    label = f"{args.cases} x 303-cycle N/P 25 cells"
    client, cluster = make_client(workers=1)
    try:
        run_sweep(warm_path, tmp / "warm1.parquet", client=client)
        one_worker, serial_s = alternate(sweep_on(client), serial, args.repeats)
    finally:
        client.close()
        cluster.close()
    rows.append(
        row(f"{label}: sweep on 1 dask worker", "warm", one_worker,
            "serial loop of run_case (simulate + outputs), one process, no dask", serial_s,
            "same cases, same outputs", cpu=False, per_case_s=[t / args.cases for t in one_worker])
    )  # fmt: skip

    client, cluster = make_client(workers=2)
    try:
        run_sweep(warm_path, tmp / "warm2.parquet", client=client)
        two_workers = [0.0] * args.repeats
        for k in range(args.repeats):
            t0 = time.perf_counter()
            sweep_on(client)()
            two_workers[k] = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    seeds = list(range(args.cases))
    one_proc, two_proc = [], []
    for k in range(args.repeats):
        order = (0, 1) if k % 2 == 0 else (1, 0)
        for which in order:
            if which == 0:
                one_proc.append(_processes(fixed, [seeds], tmp))
            else:
                two_proc.append(_processes(fixed, [seeds[0::2], seeds[1::2]], tmp))
    sweep_speedup = [a / b for a, b in zip(one_worker, two_workers, strict=True)]
    control_speedup = [a / b for a, b in zip(one_proc, two_proc, strict=True)]
    med = statistics.median
    eff = med(sweep_speedup) / med(control_speedup)
    rows.append(
        row(
            f"{label}: sweep on 2 workers; speed-up over 1 worker {med(sweep_speedup):.2f} vs "
            f"the machine's control {med(control_speedup):.2f} (2 serial processes): "
            f"efficiency {100 * eff:.0f} %",
            "warm",
            two_workers,
            "same sweep on 1 worker",
            one_worker,
            "same cases, same outputs",
            cpu=False,
            sweep_speedup=sweep_speedup,
            control_speedup=control_speedup,
            control_one_process_s=one_proc,
            control_two_processes_s=two_proc,
            efficiency_vs_control=eff,
        )
    )

    samples: list[tuple[int, float]] = []
    mem_path = tmp / "mem.toml"
    mem_path.write_text(MEMORY_SPEC.format(n=args.memory_cases))
    client, cluster = make_client(workers=2)
    try:

        def sample(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                samples.append((done, _rss_MB()))

        t0 = time.perf_counter()
        run_sweep(mem_path, tmp / "mem.parquet", client=client, batch_size=20, progress=sample)
        mem_s = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    tenth = next(r for d, r in samples if d >= args.memory_cases // 10)
    rss_end = samples[-1][1]
    rows.append(
        row(
            f"{args.memory_cases:,}-case symmetric sweep, 2 workers (whole sweep); driver RSS "
            f"{tenth:.0f} MB at 10 % -> {rss_end:.0f} MB at the end",
            "warm",
            [mem_s],
            accuracy="-",
            driver_rss_MB_at_10_percent=tenth,
            driver_rss_MB_end=rss_end,
        )
    )
    write(args.output, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
