"""Run every benchmark in one process tree, side by side, and print ratios.

    python3 make.py bench            # -> benchmarks/results/latest.json + a markdown table

Each ``bench_*.py`` script takes the JSON output path as its only argument and writes
``{"machine": ..., "rows": [{"benchmark", "lilean_s", "reference", "reference_s", "ratio", ...}]}``
where ``ratio = reference_s / lilean_s`` (> 1: lilean is faster). Timings are best-of-N wall-clock
seconds on this machine; they are never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, str | int | None]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str]) -> int:
    only = set(argv)
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not only or p.stem in only)
    rows: list[dict[str, object]] = []
    failed = []
    for script in scripts:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.json"
            print(f"running {script.name} ...", flush=True)
            proc = subprocess.run([sys.executable, str(script), str(out)], cwd=HERE.parent)
            if proc.returncode != 0 or not out.exists():
                failed.append(script.name)
                continue
            rows += [dict(r, script=script.stem) for r in json.loads(out.read_text())["rows"]]
    result = {"machine": machine(), "rows": rows, "failed": failed}
    dest = HERE / "results" / "latest.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(result, indent=1))
    print(f"\nmachine: {result['machine']}")
    print("| benchmark | lilean (s) | reference | reference (s) | ratio (ref / lilean) |")
    print("|---|---|---|---|---|")
    for r in rows:
        ref_s = r.get("reference_s")
        ratio = r.get("ratio")
        print(
            f"| {r['benchmark']} | {r['lilean_s']:.4g} | {r.get('reference', '-')} | "
            f"{'-' if ref_s is None else f'{ref_s:.4g}'} | "
            f"{'-' if ratio is None else f'{ratio:.2f}'} |"
        )
    if failed:
        print(f"failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
