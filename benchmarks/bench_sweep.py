"""Benchmark: design-space sweep throughput on dask.distributed and the driver's memory.

Usage::

    python benchmarks/bench_sweep.py results/bench_sweep.json [--cases 40] [--repeats 5]
        [--memory-cases 10000]

* Cases: ``--cases`` copies of the study's 303-cycle N/P 25 Li-Cu || LFP simulation (0.4 mAh/cm^2
  LFP, 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C + 300 at 1 C; the cases differ only by their
  ``seed``); :func:`throughput_specs` writes them (``sweep_overhead.py`` uses the same set-up).
* One round = five runs of the same cases, in an order rotated every round (so a drift of the
  shared machine's load hits each kind alike): (a) a serial loop of
  :func:`lilean.sweep.run_case` in this process (simulate + outputs: a worker's work), (b)
  :func:`lilean.sweep.run_sweep` on a warm 1-worker ``LocalCluster``, (c) the same on a warm
  2-worker cluster, and the machine's own parallel control: (d) one serial process running all
  cases, (e) two serial processes running half each at the same time. The control processes are
  started once, warmed up, and kept (they read their seeds from stdin), so no interpreter start
  or JIT is timed; both clusters stay up all the time, each worker warmed by one case
  (``client.run``) before the first round.
* Rows: 1 worker against the serial loop (ratio = serial / sweep, target >= 0.9), and 2 workers:
  per round, speed-up over 1 worker (b / c) divided by the control's speed-up (d / e) = efficiency
  against the control (target >= 90 %), median and range over the rounds. CPU seconds beside it:
  workers' CPU (``client.run(time.process_time)`` before and after) plus the driver's (it hosts
  the schedulers), the control processes' own loop CPU, this process's for the serial loop.
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

from _protocol import common_args, row, write

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


def throughput_specs(tmp: Path, n_cases: int) -> tuple[Path, Path]:
    """The benchmark's sweep spec (seeds 0 .. n_cases - 1) and a 4-case warm-up spec."""
    spec_path = tmp / "tp.toml"
    spec_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(n_cases))))
    warm_path = tmp / "warm.toml"
    warm_path.write_text(THROUGHPUT_SPEC.format(seeds=list(range(1000, 1004))))
    return spec_path, warm_path


def serial_loop(spec: Any, params: Any) -> None:
    """The work of a worker, in this process: simulate and compute the spec's outputs."""
    from lilean.sweep import run_case

    for inputs in spec.cases():
        run_case(spec.experiment, params, spec.fixed, inputs, spec.outputs)


def _warm_worker(spec_path: str) -> float:
    """Run one case in a worker (numba JIT / cache load, model set-up) before any timing."""
    from lilean.sweep import load_spec, run_case

    spec = load_spec(spec_path)
    t0 = time.perf_counter()
    run_case(spec.experiment, spec.parameters(), spec.fixed, {"seed": 999}, spec.outputs)
    return time.perf_counter() - t0


def warm_workers(client: Any, warm_path: Path) -> None:
    client.run(_warm_worker, str(warm_path))


def _workers_cpu(client: Any) -> float:
    return float(sum(client.run(time.process_time).values()))


SERIAL = """
import sys, time, json
from lilean.parameters import default_parameters
from lilean.sweep import run_case
fixed = json.loads(sys.argv[1]); outputs = tuple(json.loads(sys.argv[2]))
params = default_parameters()
run_case("cycling", params, fixed, {"seed": 1000}, outputs)
print("ready", flush=True)
for line in sys.stdin:
    seeds = json.loads(line)
    c0 = time.process_time(); t0 = time.time()
    for s in seeds:
        run_case("cycling", params, fixed, {"seed": s}, outputs)
    print(json.dumps([t0, time.time(), time.process_time() - c0]), flush=True)
"""


class Control:
    """Two warm serial processes (the machine's parallel control), fed seeds through stdin."""

    def __init__(self, fixed: dict[str, Any]) -> None:
        import subprocess

        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", SERIAL, json.dumps(fixed), json.dumps(list(OUTPUTS))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in self.procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"

    def run(self, groups: list[list[int]]) -> tuple[float, float]:
        """Wall seconds (first start to last end) and CPU seconds of ``groups`` run at once."""
        used = self.procs[: len(groups)]
        for p, g in zip(used, groups, strict=True):
            assert p.stdin is not None
            p.stdin.write(json.dumps(g) + "\n")
            p.stdin.flush()
        spans = []
        for p in used:
            assert p.stdout is not None
            spans.append(json.loads(p.stdout.readline()))
        return max(e for _, e, _ in spans) - min(s for s, _, _ in spans), sum(c for *_, c in spans)

    def close(self) -> None:
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.close()
            p.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    common_args(ap, repeats=5)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--memory-cases", type=int, default=10_000)
    args = ap.parse_args(argv)
    if args.quick:
        args.cases = min(args.cases, 16)
        args.memory_cases = min(args.memory_cases, 1000)

    from lilean.sweep import load_spec, make_client, run_case, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec_path, warm_path = throughput_specs(tmp, args.cases)
    spec = load_spec(spec_path)
    params = spec.parameters()
    fixed = dict(spec.fixed)
    assert spec.outputs == OUTPUTS
    run_case("cycling", params, fixed, {"seed": 1000}, OUTPUTS)  # JIT warm-up in the driver
    counter = iter(range(10**6))
    seeds = list(range(args.cases))
    times: dict[str, list[float]] = {k: [] for k in ("serial", "w1", "w2", "p1", "p2")}
    cpus: dict[str, list[float]] = {k: [] for k in times}

    def sweep_on(client: Any) -> tuple[float, float]:
        c0 = _workers_cpu(client) + time.process_time()
        t0 = time.perf_counter()
        s = run_sweep(spec, tmp / f"tp{next(counter)}.parquet", client=client, params=params)
        wall = time.perf_counter() - t0
        assert s.n_failed == 0 and s.n_run == args.cases
        return wall, _workers_cpu(client) + time.process_time() - c0

    def serial() -> tuple[float, float]:
        c0 = time.process_time()
        t0 = time.perf_counter()
        serial_loop(spec, params)
        return time.perf_counter() - t0, time.process_time() - c0

    client1, cluster1 = make_client(workers=1)
    client2, cluster2 = make_client(workers=2)
    control = Control(fixed)
    try:
        for client in (client1, client2):
            warm_workers(client, warm_path)
            run_sweep(warm_path, tmp / f"warm{next(counter)}.parquet", client=client)
        runs = {
            "serial": serial,
            "w1": lambda: sweep_on(client1),
            "w2": lambda: sweep_on(client2),
            "p1": lambda: control.run([seeds]),
            "p2": lambda: control.run([seeds[0::2], seeds[1::2]]),
        }
        names = list(runs)
        for k in range(args.repeats):
            order = names[k % len(names) :] + names[: k % len(names)]
            if k % 2:
                order.reverse()
            for name in order:
                wall, cpu = runs[name]()
                times[name].append(wall)
                cpus[name].append(cpu)
            print(f"round {k + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in names),
                  flush=True)  # fmt: skip
    finally:
        control.close()
        for c, cl in ((client1, cluster1), (client2, cluster2)):
            c.close()
            cl.close()

    med = statistics.median
    rows = []
    label = f"{args.cases} x 303-cycle N/P 25 cells"
    one = row(
        f"{label}: sweep on 1 dask worker (CPU: worker + driver vs the loop)", "warm",
        times["w1"], "serial loop of run_case (simulate + outputs), one process, no dask",
        times["serial"], "same cases, same outputs", cpu=False,
        per_case_s=[t / args.cases for t in times["w1"]], cpu_s=cpus,
    )  # fmt: skip
    cpu_ratio = [s / w for s, w in zip(cpus["serial"], cpus["w1"], strict=True)]
    one.update(
        lilean_cpu_s=med(cpus["w1"]), reference_cpu_s=med(cpus["serial"]), cpu_ratio=med(cpu_ratio)
    )
    rows.append(one)

    sweep_speedup = [a / b for a, b in zip(times["w1"], times["w2"], strict=True)]
    control_speedup = [a / b for a, b in zip(times["p1"], times["p2"], strict=True)]
    eff = [s / c for s, c in zip(sweep_speedup, control_speedup, strict=True)]
    two = row(
        f"{label}: sweep on 2 workers; efficiency vs the machine's control (2 serial processes) "
        f"{100 * med(eff):.0f} % (range {100 * min(eff):.0f}-{100 * max(eff):.0f} %, per round); "
        f"speed-up over 1 worker {med(sweep_speedup):.2f} ({min(sweep_speedup):.2f}-"
        f"{max(sweep_speedup):.2f}), control {med(control_speedup):.2f} "
        f"({min(control_speedup):.2f}-{max(control_speedup):.2f}) (CPU: 1 vs 2 workers)",
        "warm", times["w2"], "same sweep on 1 worker", times["w1"], "same cases, same outputs",
        cpu=False, sweep_speedup=sweep_speedup, control_speedup=control_speedup,
        control_one_process_s=times["p1"], control_two_processes_s=times["p2"],
        efficiency_vs_control=med(eff), efficiency_vs_control_per_round=eff, cpu_s=cpus,
    )  # fmt: skip
    cpu2 = [a / b for a, b in zip(cpus["w1"], cpus["w2"], strict=True)]
    two.update(
        lilean_cpu_s=med(cpus["w2"]), reference_cpu_s=med(cpus["w1"]), cpu_ratio=med(cpu2),
        control_cpu_ratio=med(a / b for a, b in zip(cpus["p1"], cpus["p2"], strict=True)),
    )  # fmt: skip
    rows.append(two)

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
