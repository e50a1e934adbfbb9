"""Benchmark: the lattice kernels (:mod:`lilean.lattice.kernels`) in site updates per CPU-second.

Usage::

    python benchmarks/bench_lattice.py out.json [--repeats 3] [--quick]

Rows (time = CPU seconds per 1e8 site updates, ``time.process_time`` around the kernel calls only;
one warm-up run first, seeds 0..repeats-1, median and range over the seeds):

* Ag plume kernel, 2D: 512 columns (``--quick``: 256), 1 wt% AgF, 2 min; site updates = Ag+ and
  Cu2+ walker steps + coarsening attempts;
* Li deposition kernel: Ag@Cu, 3D 32 x 32 columns, 4 mAh/cm^2 at 1 mA/cm^2 (``--quick``: 2D, 160
  columns, 10 mAh/cm^2); site updates = Li+ walker steps (one reaction attempt and, without a
  reaction, one move attempt each, blocked moves included: the same definition as before the
  one-number-per-step walker of 2026-12), CPU time of every kernel call of ``deposit_li`` (work
  lattice set-up, walkers, SEI cover, snapshots; not the nucleation ODE, which ``deposit_li``
  memoises per condition);
* control: a bare numba random walker on the same kind of lattice (same RNG and ``wrap``, no
  physics): what this machine gives a walker loop. ratio = control time / lilean time (< 1: the
  physics costs that much per step). The issue's target is >= 1e8 site updates per CPU-second;
* a second control: the same bare walker with the Li walker's drift (0.6, the same direction code)
  pressed against a flat wall, where most moves are blocked and their outcome is random (what a
  walker next to a deposit pays without any physics), against the open-lattice control.
"""

from __future__ import annotations

import argparse
import sys
import time

import numba
import numpy as np
from _protocol import common_args, row, write

from lilean.lattice import kernels
from lilean.lattice.deposition import deposit_li
from lilean.lattice.plumes import grow_plumes
from lilean.parameters import default_parameters


@numba.njit(cache=False)
def _control_walk(occ: np.ndarray, n: int, s: np.uint64) -> int:
    nz, _ny, nx = occ.shape
    z = nz // 2
    y = 0
    x = 0
    acc = 0
    for _ in range(n):
        s = kernels.rng_next(s)
        d = kernels.rand_below(s, 4)
        zz = z + kernels.DZ[d]
        if zz < 0 or zz >= nz:
            continue
        xx = kernels.wrap(x + kernels.DX[d], nx)
        if occ[zz, y, xx] != 0:
            continue
        z = zz
        x = xx
        acc += z
    return acc


@numba.njit(cache=False)
def _control_walk_pressed(occ: np.ndarray, n: int, s: np.uint64, bias: float) -> int:
    """The bare walker with the Li walker's drift towards a flat wall (the same direction code,
    :func:`lilean.lattice.kernels.move_direction`): most moves are blocked, as next to a deposit."""
    nz, _ny, nx = occ.shape
    c = kernels.move_thresholds(bias, 4)
    z = 8
    x = 0
    acc = 0
    for _ in range(n):
        s = kernels.rng_next(s)
        d = kernels.move_direction(kernels._mix(s), c)
        zz = z + kernels.DZ[d]
        if zz < 0 or zz >= nz:
            continue
        xx = kernels.wrap(x + kernels.DX[d], nx)
        if occ[zz, 0, xx] != 0:
            continue
        z = zz if zz < 24 else 8
        x = xx
        acc += z
    return acc


def pressed_control_cpu_s_per_1e8(steps: int) -> float:
    occ = np.zeros((256, 1, 256), np.uint8)
    occ[:8] = 1
    _control_walk_pressed(occ, 10, kernels.seed_state(0), 0.6)
    t0 = time.process_time()
    _control_walk_pressed(occ, steps, kernels.seed_state(1), 0.6)
    return (time.process_time() - t0) / steps * 1e8


def control_cpu_s_per_1e8(steps: int) -> float:
    occ = np.zeros((256, 1, 256), np.uint8)
    occ[:8] = 1
    _control_walk(occ, 10, kernels.seed_state(0))
    t0 = time.process_time()
    _control_walk(occ, steps, kernels.seed_state(1))
    return (time.process_time() - t0) / steps * 1e8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=3)
    args = parser.parse_args(argv)
    params = default_parameters()
    nx = 256 if args.quick else 512
    grow_plumes(params, minutes=0.2, size=(32,), seed=0)  # compile / load the cache
    deposit_li(params, "ag-cu", capacity_mAh_cm2=0.2, size=(32,), nucleation_overpotential_mV=365)

    plume, plume_rate, ctrl, pressed = [], [], [], []
    dep, dep_rate = [], []
    for k in range(args.repeats):
        r = grow_plumes(params, agf_wt_percent=1.0, minutes=2.0, size=(nx,), seed=k)
        cpu = r.extra["kernel_cpu_s"]
        plume.append(cpu / r.site_updates * 1e8)
        plume_rate.append(r.site_updates / cpu)
        ctrl.append(control_cpu_s_per_1e8(50_000_000 if args.quick else 200_000_000))
        pressed.append(pressed_control_cpu_s_per_1e8(50_000_000 if args.quick else 200_000_000))
        size, q = ((160,), 10.0) if args.quick else ((32, 32), 4.0)
        d = deposit_li(params, "ag-cu", capacity_mAh_cm2=q, size=size, seed=k)
        dep.append(d.meta["kernel_cpu_s"] / d.meta["site_updates"] * 1e8)
        dep_rate.append(d.meta["site_updates"] / d.meta["kernel_cpu_s"])
    med_p = float(np.median(plume_rate))
    med_d = float(np.median(dep_rate))
    dim = "2D 160 columns, 10 mAh/cm^2" if args.quick else "3D 32x32 columns, 4 mAh/cm^2"
    rows = [
        row(
            f"Ag plume kernel, 2D {nx} columns, 1 wt% 2 min: {med_p:.3g} site updates/CPU-s "
            "(CPU s per 1e8 updates)",
            "warm",
            plume,
            "bare numba walker (same RNG, no physics)",
            ctrl,
            accuracy="-",
            site_updates_per_cpu_s=plume_rate,
        ),
        row(
            f"Li deposition kernel, Ag@Cu {dim}: {med_d:.3g} site updates/CPU-s "
            "(CPU s per 1e8 updates)",
            "warm",
            dep,
            "bare numba walker (same RNG, no physics)",
            ctrl,
            accuracy="-",
            site_updates_per_cpu_s=dep_rate,
        ),
        row(
            "control: bare walker pressed on a wall by the Li walker's drift (0.6), no physics: "
            f"{1e8 / float(np.median(pressed)):.3g} site updates/CPU-s (CPU s per 1e8 updates)",
            "warm",
            pressed,
            "bare numba walker on an open lattice",
            ctrl,
            accuracy="-",
        ),
    ]
    write(args.output, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
