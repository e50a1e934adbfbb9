"""Run every benchmark, one script after another, and print the README table as markdown.

    python3 make.py bench                 # all benchmarks, full length
    python3 make.py bench --quick         # shorter runs (both sides alike; rows say so)
    python3 make.py bench bench_lattice   # only some scripts (by stem)
    python3 make.py bench --table         # print the table of results/latest.json again

Each ``bench_*.py`` takes the JSON output path (plus ``--quick``) and writes rows built by
``_protocol.row`` (alternating A/B runs, median and min-max range, per-round ratios, warm / cold
stated, each side's accuracy next to its time). Results: ``benchmarks/results/latest.json``. The
README shows only numbers this command printed. Timings are never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Windows
        load = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1min_at_start": load,
    }


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.3g} ms" if value < 1.0 else f"{value:.3g} s"


def _range(r: list[float] | None, fmt: Any = _s) -> str:
    return "" if not r else f" ({fmt(r[0])}-{fmt(r[1])})"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| benchmark | mode | lilean median (range) | reference | reference median (range) "
        "| ratio ref/lilean median (range) | ratio, CPU time | accuracy | n |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "-"
        if r.get("ratio") is not None:
            lo, hi = r["ratio_range"]
            ratio = f"{r['ratio']:.2f}x ({lo:.2f}-{hi:.2f})"
        cpu = "-"
        if r.get("cpu_ratio") is not None:
            cpu = f"{r['cpu_ratio']:.2f}x ({_s(r['lilean_cpu_s'])} vs {_s(r['reference_cpu_s'])})"
        lines.append(
            f"| {r['benchmark']} | {r.get('mode', '-')} | {_s(r['lilean_s'])}"
            f"{_range(r.get('lilean_range'))} | {r.get('reference') or '-'} | "
            f"{_s(r.get('reference_s'))}{_range(r.get('reference_range'))} | {ratio} | {cpu} | "
            f"{r.get('accuracy') or '-'} | {r.get('n', '-')} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if "--table" in argv:
        latest = json.loads((HERE / "results" / "latest.json").read_text())
        print(f"machine: {latest['machine']}; flags: {latest.get('flags') or 'none'}\n")
        print(table(latest["rows"]))
        return 0
    flags = [a for a in argv if a.startswith("--")]
    only = {a for a in argv if not a.startswith("--")}
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not only or p.stem in only)
    rows: list[dict[str, Any]] = []
    failed = []
    info = machine()
    env = {**os.environ}
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for script in scripts:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.json"
            print(f"running {script.name} {' '.join(flags)} ...", flush=True)
            proc = subprocess.run(
                [sys.executable, str(script), str(out), *flags], cwd=HERE.parent, env=env
            )
            if proc.returncode != 0 or not out.exists():
                failed.append(script.name)
                continue
            rows += [dict(r, script=script.stem) for r in json.loads(out.read_text())["rows"]]
    result = {"machine": info, "flags": flags, "rows": rows, "failed": failed}
    dest = HERE / "results" / "latest.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(result, indent=1))
    print(f"\nmachine: {info}; flags: {flags or 'none'}\n")
    print(table(rows))
    if failed:
        print(f"\nfailed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
