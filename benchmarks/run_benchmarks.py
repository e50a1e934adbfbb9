"""Run every benchmark, one script after another, and print the README table as markdown.

    python3 make.py bench                 # all benchmarks, full length
    python3 make.py bench --quick         # shorter runs (both sides alike; rows say so)
    python3 make.py bench bench_lattice   # only some scripts (by stem)
    python3 make.py bench --table         # print the table of results/latest.json again
    python3 make.py bench --check-readme  # exit 1 unless README.md's table is that text
    python3 make.py bench --write-readme  # write that text into README.md's table block

Each ``bench_*.py`` takes the JSON output path (plus ``--quick``) and writes rows built by
``_protocol.row`` (alternating A/B runs, median and min-max range, per-round ratios, warm / cold
stated, each side's accuracy next to its time). Results: ``benchmarks/results/latest.json``; a
run of some scripts replaces only their rows there (each row's script keeps its run's machine
line). The README's table is the text this command prints at the end of a run (and ``--table``
prints again), written by ``--write-readme``; ``tests/unit/test_benchmark_table.py`` checks that
it is. Timings are never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
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


RESULTS = HERE / "results" / "latest.json"
README = HERE.parent / "README.md"
#: the README's benchmark table sits between these lines (HTML comments: invisible on the page)
README_START = "<!-- bench-table: start (benchmarks/run_benchmarks.py --write-readme) -->"
README_END = "<!-- bench-table: end -->"


def _flags(flags: list[str]) -> str:
    return " ".join(flags) if flags else "none"


def render(result: dict[str, Any]) -> str:
    """What a run prints at its end and ``--table`` prints again: the machine line(s) and the
    markdown table of every row of ``result`` (the README shows exactly this text).

    Rows of scripts rerun alone later (``run_benchmarks.py bench_sweep``) keep their own run's
    machine line, listed after the main one."""
    runs = result.get("runs") or {}
    scripts = list(dict.fromkeys(r.get("script", "") for r in result["rows"]))
    groups: dict[str, list[str]] = {}
    infos: dict[str, dict[str, Any]] = {
        "": {"machine": result["machine"], "flags": result["flags"]}
    }
    for script in scripts:
        info = runs.get(script)
        key = json.dumps(info, sort_keys=True) if info else ""
        infos.setdefault(key, info or {})
        groups.setdefault(key, []).append(script)
    main_key = max(groups, key=lambda k: len(groups[k]), default="")
    lines = []
    for key, members in sorted(groups.items(), key=lambda kv: kv[0] != main_key):
        info = infos[key]
        line = f"machine: {info['machine']}; flags: {_flags(info['flags'])}"
        if key != main_key:
            line = (
                f"rows of {', '.join(members)} from a later run ({info.get('finished_utc')}): "
                + line
            )
        lines.append(line)
    failed = result.get("failed") or []
    tail = f"\n\nfailed: {failed}" if failed else ""
    return "\n".join(lines) + "\n\n" + table(result["rows"]) + tail


def merge(old: dict[str, Any] | None, new: dict[str, Any], ran: list[str]) -> dict[str, Any]:
    """``old`` results with the rows of the scripts in ``ran`` replaced by ``new``'s (a run of
    some scripts keeps every other script's rows and their run's machine line)."""
    if old is None or set(ran) >= {r.get("script") for r in old["rows"]}:
        return new
    runs = dict(old.get("runs") or {})
    info = {"machine": old["machine"], "flags": old["flags"]}
    for script in {r.get("script") for r in old["rows"]}:
        runs.setdefault(script, info)
    runs.update(new["runs"])
    rows = [r for r in old["rows"] if r.get("script") not in ran] + new["rows"]
    order = sorted({r["script"] for r in rows})
    rows.sort(key=lambda r: order.index(r["script"]))  # stable: a script's rows keep their order
    replaced = {f"{script}.py" for script in ran}
    failed = sorted({f for f in old.get("failed") or [] if f not in replaced} | set(new["failed"]))
    return {
        "machine": old["machine"],
        "flags": old["flags"],
        "rows": rows,
        "failed": failed,
        "runs": runs,
    }


def readme_table(readme: str) -> str:
    """The text between the README's table markers (ValueError when they are missing)."""
    try:
        start = readme.index(README_START) + len(README_START)
        end = readme.index(README_END, start)
    except ValueError:
        raise ValueError(f"README.md: no {README_START!r} ... {README_END!r} block") from None
    return readme[start:end].strip("\n")


def with_readme_table(readme: str, text: str) -> str:
    start = readme.index(README_START) + len(README_START)
    end = readme.index(README_END, start)
    return readme[:start] + "\n" + text + "\n" + readme[end:]


def main(argv: list[str]) -> int:
    if "--table" in argv or "--check-readme" in argv or "--write-readme" in argv:
        text = render(json.loads(RESULTS.read_text()))
        if "--write-readme" in argv:
            README.write_text(with_readme_table(README.read_text(), text))
            print(f"README.md: benchmark table written from {RESULTS.relative_to(HERE.parent)}")
        elif "--check-readme" in argv:
            if readme_table(README.read_text()) != text:
                print(
                    "README.md: the benchmark table is not what results/latest.json gives; "
                    "run benchmarks/run_benchmarks.py --write-readme"
                )
                return 1
            print("README.md: the benchmark table is results/latest.json's")
        else:
            print(text)
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
    finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    run = {"machine": info, "flags": flags, "finished_utc": finished}
    result = {"machine": info, "flags": flags, "rows": rows, "failed": failed,
              "runs": {p.stem: run for p in scripts}}  # fmt: skip
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() and only else None
    result = merge(old, result, [p.stem for p in scripts])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print("\n" + render(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
