"""Benchmark: the Ag plume lattice kernel (lilean.models.plumes) - site updates per second.

Usage::

    python benchmarks/bench_lattice.py results/bench_lattice.json

Rows (no external reference exists for this model, so ``reference`` is None):

* 2D kernel throughput: lattice site updates (walker steps + coarsening attempts) per second, one
  core, for 512 columns at 1 wt% AgF, 2 min (aim: > 1e7 /s);
* a 512 x 512 2D plume growth (512 columns, lattice height 512) wall time;
* a small 3D growth (32 x 32 columns, 1 wt%, 2 min) wall time.

Each after one warm-up run (numba compilation, cached on disk).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lilean.models.plumes import grow_plumes
from lilean.parameters import default_parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="JSON file to write")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    params = default_parameters()
    grow_plumes(params, minutes=0.2, size=(32,), seed=0)  # compile / load the cache
    grow_plumes(params, minutes=0.1, size=(4, 4), dim=3, seed=0)

    rates = []
    times_512 = []
    for k in range(args.repeats):
        t0 = time.perf_counter()
        r = grow_plumes(params, agf_wt_percent=1.0, minutes=2.0, size=(512, 512), seed=k)
        times_512.append(time.perf_counter() - t0)
        rates.append(r.site_updates / r.elapsed_s)
    t0 = time.perf_counter()
    r3 = grow_plumes(params, agf_wt_percent=1.0, minutes=2.0, size=(32, 32), dim=3, seed=0)
    t_3d = time.perf_counter() - t0
    res: dict[str, Any] = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "site_updates_per_s_2d": statistics.median(rates),
        "grow_512x512_2d_s": statistics.median(times_512),
        "grow_32x32_3d_s": t_3d,
        "site_updates_per_s_3d": r3.site_updates / r3.elapsed_s,
    }
    res["rows"] = [
        {
            "benchmark": f"plume lattice 2D kernel: {res['site_updates_per_s_2d']:.3g} "
            "site updates/s (512 columns, 1 wt%, 2 min)",
            "lilean_s": 1e6 / res["site_updates_per_s_2d"],
            "reference": None,
            "reference_s": None,
            "ratio": None,
        },
        {
            "benchmark": "plume growth 512x512 2D (1 wt% AgF, 2 min)",
            "lilean_s": res["grow_512x512_2d_s"],
            "reference": None,
            "reference_s": None,
            "ratio": None,
        },
        {
            "benchmark": "plume growth 32x32 3D (1 wt% AgF, 2 min)",
            "lilean_s": t_3d,
            "reference": None,
            "reference_s": None,
            "ratio": None,
        },
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2))
    print(json.dumps(res["rows"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
