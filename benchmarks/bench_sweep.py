"""Benchmark: design-space sweep throughput on dask.distributed and the driver's memory.

Usage::

    python benchmarks/bench_sweep.py results/bench_sweep.json [--cases 24] [--repeats 10]
        [--memory-cases 10000]      # --memory-cases 0: no memory row (the throughput rows only)

* Cases: ``--cases`` copies of the study's 303-cycle N/P 25 Li-Cu || LFP simulation (0.4 mAh/cm^2
  LFP, 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C + 300 at 1 C; the cases differ only by their
  ``seed``); :func:`throughput_specs` writes them (``sweep_overhead.py`` uses the same set-up).
* Two phases of rounds; each round runs the same cases several ways, in an order reversed every
  other round (so that the compared pairs stay adjacent and a linear drift of the shared
  machine's load cancels over two rounds): (serial) a loop of :func:`lilean.sweep.run_case` in
  this process (simulate + outputs: a worker's work), (w1) :func:`lilean.sweep.run_sweep` on a
  warm 1-worker ``LocalCluster``, and the machine's own parallel control: (p1) one serial process
  running all cases, (p2) two serial processes running half each at the same time, (w2) the sweep
  on a warm 2-worker cluster. Phase 1 (:data:`ROUND_ONE_WORKER`: serial, w1, p1) runs with only
  the 1-worker cluster up, as a user's 1-worker sweep would; phase 2 (:data:`ROUND`: all five)
  starts the 2-worker cluster beside it (its idle scheduler, nannies and workers take CPU from a
  2-core machine's cases, so phase 1 keeps them out of the 1-worker comparison). The control
  processes are started once, warmed up, and kept (they read their seeds from stdin), so no
  interpreter start or JIT is timed; each cluster's worker is warmed by one case
  (``client.run``) and a warm-up sweep before its first round. Every sweep's rows (all columns
  but ``elapsed_s``) must equal the first sweep's.
* Row 1, 1 worker against a serial loop in a plain process (p1: no dask loaded, nothing else
  running in it; target >= 0.9), phase 1: per round, wall ratio p1 / w1 and CPU ratio (the loop's CPU
  against the worker's CPU plus the driver's, which hosts the scheduler, nanny and client),
  median and range; beside it the worker-only CPU ratio, the driver's and the
  worker's extra CPU milliseconds per case, and the ratios to the loop in the driver's own process
  (serial / w1; that loop shares its process with the idle clusters' event loop and ran ~5 %
  slower than p1 in most runs here, so it flatters the sweep). The control processes get this
  process's environment from before the clusters started (see ``env0`` in :func:`main`).
* Row 2, 2 workers, phase 2: per round, speed-up over 1 worker (w1 / w2) divided by the control's speed-up
  (p1 / p2) = efficiency against the control (target >= 90 %), median and range over the rounds;
  the ratio column is the throughput against the control itself (p2 / w2, adjacent runs). CPU:
  workers' CPU (``client.run(time.process_time)`` before and after) plus the driver's, against
  the control processes' own loop CPU.
* Memory: ``--memory-cases`` cheap symmetric-cell cases (1 h at 1 mA/cm^2) on 2 workers; the
  driver's resident set size (which also hosts the LocalCluster scheduler) is sampled as cases
  finish: after 10 % of the cases and at the end. Flat = streaming works.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _protocol import common_args, row, write

OUTPUTS = ("final_retention_percent", "li_remaining_mAh_cm2")
#: the fixed arguments of :data:`THROUGHPUT_SPEC`
THROUGHPUT_FIXED = {
    "substrate": "cu",
    "cathode_loading_mAh_cm2": 0.4,
    "li_inventory_mAh_cm2": 10.0,
    "c_rate": 1.0,
    "cycles": 300,
    "formation_cycles": 3,
}
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

    def __init__(self, fixed: dict[str, Any], env: dict[str, str] | None = None) -> None:
        import subprocess

        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", SERIAL, json.dumps(fixed), json.dumps(list(OUTPUTS))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
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


def sweep_rows(out: Path) -> list[tuple[Any, ...]]:
    """A sweep folder's rows in case order without ``elapsed_s`` (for the identity check)."""
    from lilean.sweep import load_results

    df = load_results(out).drop(columns=["elapsed_s"])
    return [tuple(r) for r in df.itertuples(index=False)]


def idle_background(clients: list[Any], seconds: float = 5.0) -> dict[str, float]:
    """Percent of a core that the idle clusters take: the driver process (schedulers, nannies,
    clients) and all their workers together."""
    c0, w0 = time.process_time(), sum(_workers_cpu(c) for c in clients)
    time.sleep(seconds)
    c1, w1 = time.process_time(), sum(_workers_cpu(c) for c in clients)
    return {
        "driver_percent": 100 * (c1 - c0) / seconds,
        "workers_percent": 100 * (w1 - w0) / seconds,
    }


#: one round: these runs in this order, reversed every other round, so that each compared pair
#: stays adjacent (serial|w1: dask overhead, w1|p1: the loop in a separate process, p2|w2: the
#: 2-worker sweep against the 2-process control) and a linear drift of the machine's load
#: cancels over two rounds
ROUND = ("serial", "w1", "p1", "p2", "w2")
#: a round of phase 1 (only the 1-worker cluster up)
ROUND_ONE_WORKER = ("serial", "w1", "p1")


def _q(values: list[float], fmt: str = ".2f", scale: float = 1.0) -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):{fmt}} ({min(v):{fmt}}-{max(v):{fmt}})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    common_args(ap, repeats=10)
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--memory-cases", type=int, default=10_000, help="0: no memory row")
    args = ap.parse_args(argv)
    if args.quick:
        args.cases = min(args.cases, 16)
        args.memory_cases = min(args.memory_cases, 1000)

    from lilean.sweep import load_spec, make_client, run_case, run_sweep

    # this process's environment before any cluster starts: dask's nanny writes its pre-spawn
    # variables (MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS=1, PYTHONHASHSEED, ...) into the
    # driver's os.environ for good, and the control processes started later would inherit them
    env0 = dict(os.environ)
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec_path, warm_path = throughput_specs(tmp, args.cases)
    spec = load_spec(spec_path)
    params = spec.parameters()
    fixed = dict(spec.fixed)
    assert spec.outputs == OUTPUTS and fixed == THROUGHPUT_FIXED
    run_case("cycling", params, fixed, {"seed": 1000}, OUTPUTS)  # JIT warm-up in the driver
    counter = iter(range(10**6))
    seeds = list(range(args.cases))
    n = args.cases
    reference_rows: list[list[tuple[Any, ...]]] = []

    def sweep_on(client: Any) -> tuple[float, float, float, float]:
        """Wall, CPU (worker + driver), worker CPU and driver CPU of one sweep of the cases."""
        out = tmp / f"tp{next(counter)}.parquet"
        w0, c0 = _workers_cpu(client), time.process_time()
        t0 = time.perf_counter()
        s = run_sweep(spec, out, client=client, params=params)
        wall = time.perf_counter() - t0
        driver, workers = time.process_time() - c0, _workers_cpu(client) - w0
        assert s.n_failed == 0 and s.n_run == n
        rows = sweep_rows(out)  # the same rows every time (identity check)
        if not reference_rows:
            reference_rows.append(rows)
        assert rows == reference_rows[0], "a sweep's rows differ from the first sweep's"
        return wall, workers + driver, workers, driver

    def serial() -> tuple[float, float]:
        c0 = time.process_time()
        t0 = time.perf_counter()
        serial_loop(spec, params)
        return time.perf_counter() - t0, time.process_time() - c0

    def rounds(runs: dict[str, Any], order: tuple[str, ...], phase: str) -> dict[str, Any]:
        """``args.repeats`` rounds of ``order`` (reversed every other round): per run name its
        walls and CPUs, and for the sweeps their worker and driver CPU."""
        got: dict[str, Any] = {"times": {k: [] for k in order}, "cpus": {k: [] for k in order}}
        got["worker_cpus"] = {k: [] for k in order if k.startswith("w")}
        got["driver_cpus"] = {k: [] for k in order if k.startswith("w")}
        for k in range(args.repeats):
            for name in order if k % 2 == 0 else order[::-1]:
                wall, cpu, *sweep = runs[name]()
                got["times"][name].append(wall)
                got["cpus"][name].append(cpu)
                if sweep:
                    got["worker_cpus"][name].append(sweep[0])
                    got["driver_cpus"][name].append(sweep[1])
            print(f"{phase} round {k + 1}: "
                  + ", ".join(f"{n} {got['times'][n][-1]:.2f} s" for n in order),
                  flush=True)  # fmt: skip
        return got

    clusters = []
    control = Control(fixed, env=env0)
    try:
        client1, cluster1 = make_client(workers=1)
        clusters.append((client1, cluster1))
        warm_workers(client1, warm_path)
        run_sweep(warm_path, tmp / f"warm{next(counter)}.parquet", client=client1)
        runs = {
            "serial": serial,
            "w1": lambda: sweep_on(client1),
            "p1": lambda: control.run([seeds]),
            "p2": lambda: control.run([seeds[0::2], seeds[1::2]]),
        }
        background1 = idle_background([client1])
        phase1 = rounds(runs, ROUND_ONE_WORKER, "phase 1 (1-worker cluster only)")
        client2, cluster2 = make_client(workers=2)
        clusters.append((client2, cluster2))
        warm_workers(client2, warm_path)
        run_sweep(warm_path, tmp / f"warm{next(counter)}.parquet", client=client2)
        runs["w2"] = lambda: sweep_on(client2)
        background = idle_background([client1, client2])
        phase2 = rounds(runs, ROUND, "phase 2 (both clusters)")
    finally:
        control.close()
        for c, cl in clusters:
            c.close()
            cl.close()

    med = statistics.median

    def per_round(a: list[float], b: list[float]) -> list[float]:
        return [x / y for x, y in zip(a, b, strict=True)]

    rows = []
    label = f"{n} x 303-cycle N/P 25 cells"
    times, cpus = phase1["times"], phase1["cpus"]
    worker_cpus, driver_cpus = phase1["worker_cpus"], phase1["driver_cpus"]
    wall1 = per_round(times["p1"], times["w1"])
    cpu1 = per_round(cpus["p1"], cpus["w1"])
    cpu1_worker = per_round(cpus["p1"], worker_cpus["w1"])
    here_wall = per_round(times["serial"], times["w1"])
    here_cpu = per_round(cpus["serial"], cpus["w1"])
    driver_ms = [1e3 * d / n for d in driver_cpus["w1"]]
    worker_extra_ms = [
        1e3 * (w - s) / n for w, s in zip(worker_cpus["w1"], cpus["p1"], strict=True)
    ]
    one = row(
        f"{label}: sweep on 1 dask worker (only its cluster up) vs a serial loop in a plain "
        f"process; wall "
        f"{_q(wall1)}, CPU (worker + driver vs the loop) {_q(cpu1)} per round; vs the loop in "
        f"the driver's own process: wall {_q(here_wall)}", "warm",
        times["w1"], "serial loop of run_case (simulate + outputs), a plain process, no dask",
        times["p1"], "same cases, same rows (checked)", cpu=False,
        per_case_s=[t / n for t in times["w1"]], cpu_s=cpus, worker_cpu_s=worker_cpus,
        driver_cpu_s=driver_cpus, idle_background=background1,
    )  # fmt: skip
    one.update(
        lilean_cpu_s=med(cpus["w1"]), reference_cpu_s=med(cpus["p1"]), cpu_ratio=med(cpu1),
        cpu_ratio_range=[min(cpu1), max(cpu1)], cpu_ratio_per_round=cpu1,
        worker_only_cpu_ratio=med(cpu1_worker), driver_cpu_ms_per_case=med(driver_ms),
        worker_cpu_ms_per_case_over_loop=med(worker_extra_ms),
        ratio_vs_loop_in_driver_process=med(here_wall),
        ratio_vs_loop_in_driver_process_range=[min(here_wall), max(here_wall)],
        cpu_ratio_vs_loop_in_driver_process=med(here_cpu),
    )  # fmt: skip
    rows.append(one)

    times, cpus = phase2["times"], phase2["cpus"]
    worker_cpus, driver_cpus = phase2["worker_cpus"], phase2["driver_cpus"]
    sweep_speedup = per_round(times["w1"], times["w2"])
    control_speedup = per_round(times["p1"], times["p2"])
    eff = per_round(sweep_speedup, control_speedup)
    direct = per_round(times["p2"], times["w2"])
    two = row(
        f"{label}: sweep on 2 workers vs the machine's control (2 serial processes, half the "
        f"cases each); efficiency (speed-up over 1 worker / the control's speed-up) "
        f"{_q(eff, '.0f', 100)} %, per round; speed-up {_q(sweep_speedup)}, control "
        f"{_q(control_speedup)} (CPU: 2 workers + driver vs the 2 processes)",
        "warm", times["w2"], "2 serial processes at once, half the cases each (the control)",
        times["p2"], "same cases, same rows (checked)", cpu=False, sweep_speedup=sweep_speedup,
        control_speedup=control_speedup, control_one_process_s=times["p1"],
        control_two_processes_s=times["p2"], efficiency_vs_control=med(eff),
        efficiency_vs_control_range=[min(eff), max(eff)], efficiency_vs_control_per_round=eff,
        cpu_s=cpus, worker_cpu_s=worker_cpus, driver_cpu_s=driver_cpus,
    )  # fmt: skip
    cpu2 = per_round(cpus["p2"], cpus["w2"])
    two.update(
        lilean_cpu_s=med(cpus["w2"]), reference_cpu_s=med(cpus["p2"]), cpu_ratio=med(cpu2),
        cpu_ratio_range=[min(cpu2), max(cpu2)],
        control_cpu_ratio=med(per_round(cpus["p1"], cpus["p2"])),
        throughput_vs_control=med(direct), throughput_vs_control_range=[min(direct), max(direct)],
    )  # fmt: skip
    rows.append(two)
    print(
        f"1 worker / serial loop in a plain process: wall {_q(wall1)}, CPU worker+driver "
        f"{_q(cpu1)}, worker only {_q(cpu1_worker)}; driver {_q(driver_ms, '.1f')} ms CPU per "
        f"case, worker {_q(worker_extra_ms, '.1f')} ms CPU per case over the loop; vs the loop "
        f"in the driver's process: wall {_q(here_wall)}, CPU {_q(here_cpu)}\n"
        f"2 workers: efficiency vs control {_q(eff, '.0f', 100)} %, "
        f"throughput vs control {_q(direct)}, speed-up {_q(sweep_speedup)}, control speed-up "
        f"{_q(control_speedup)}, CPU control/sweep {_q(cpu2)}\nidle background, % of a core "
        f"(driver, workers): 1-worker cluster {background1['driver_percent']:.1f}, "
        f"{background1['workers_percent']:.1f}; both clusters {background['driver_percent']:.1f}, "
        f"{background['workers_percent']:.1f}",
        flush=True,
    )

    if args.memory_cases <= 0:
        write(args.output, rows)
        return 0
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
