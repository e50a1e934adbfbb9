"""The README's benchmark table is what ``benchmarks/run_benchmarks.py`` prints for the committed
results file (``benchmarks/results/latest.json``), not a hand edit; a run of some scripts replaces
only their rows there. No benchmark runs here (timings are never asserted in tests)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "run_benchmarks", REPO / "benchmarks" / "run_benchmarks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_the_printed_table_of_the_results_file() -> None:
    runner = _runner()
    result = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())
    shown = runner.readme_table((REPO / "README.md").read_text())
    assert shown == runner.render(result), (
        "README.md's benchmark table differs from benchmarks/results/latest.json: "
        "run benchmarks/run_benchmarks.py --write-readme"
    )
    # every row of the results file is in the README, each once
    for r in result["rows"]:
        assert shown.count(f"| {r['benchmark']} |") == 1, r["benchmark"]


def test_check_readme_fails_on_a_hand_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = _runner()
    readme = (REPO / "README.md").read_text()
    block = runner.readme_table(readme)
    assert runner.main(["--check-readme"]) == 0
    edited = readme.replace(block, block.replace(" | warm | ", " | warm | 1", 1))
    assert edited != readme
    monkeypatch.setattr(runner, "README", tmp_path / "README.md")
    (tmp_path / "README.md").write_text(edited)
    assert runner.main(["--check-readme"]) == 1
    assert runner.main(["--write-readme"]) == 0  # regenerated from the results file
    assert (tmp_path / "README.md").read_text() == readme


def _row(name: str, script: str) -> dict[str, Any]:
    return {"benchmark": name, "mode": "warm", "lilean_s": 0.5, "lilean_range": [0.4, 0.6],
            "reference": None, "n": 3, "script": script}  # fmt: skip


def test_a_partial_run_replaces_only_its_scripts_rows() -> None:
    runner = _runner()
    old = {
        "machine": {"cpus": 2, "load": 8},
        "flags": [],
        "rows": [_row("a1", "bench_a"), _row("b1", "bench_b"), _row("b2", "bench_b"),
                 _row("c1", "bench_c")],
        "failed": ["bench_b.py"],
    }  # fmt: skip
    run = {"machine": {"cpus": 2, "load": 3}, "flags": [], "finished_utc": "t"}
    new = {"machine": run["machine"], "flags": [], "rows": [_row("b3", "bench_b")],
           "failed": [], "runs": {"bench_b": run}}  # fmt: skip
    merged = runner.merge(old, new, ["bench_b"])
    assert [r["benchmark"] for r in merged["rows"]] == ["a1", "b3", "c1"]
    assert merged["failed"] == [] and merged["machine"] == old["machine"]
    text = runner.render(merged)
    first, second = text.splitlines()[:2]
    assert first == "machine: {'cpus': 2, 'load': 8}; flags: none"
    assert second.startswith(
        "rows of bench_b from a later run (t): machine: {'cpus': 2, 'load': 3}"
    )
    # a full run replaces everything; a one-run result prints one machine line as before
    assert runner.merge(old, new, ["bench_a", "bench_b", "bench_c"]) is new
    assert runner.render(old).splitlines()[0] == first
    assert runner.render(old).splitlines()[1] == ""


@pytest.mark.parametrize(
    "script", sorted((REPO / "benchmarks").glob("bench_*.py")), ids=lambda p: p.stem
)
def test_every_bench_script_takes_the_runners_arguments(script: Path) -> None:
    """``make.py bench`` runs every ``benchmarks/bench_*.py`` as ``script out.json [--quick]``
    (:data:`run_benchmarks` protocol): each must take that command line (a developer timing
    script with other arguments is named otherwise, e.g. ``time_*.py``)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    usage = result.stdout
    assert "output" in usage and "--quick" in usage and "--repeats" in usage, usage[:500]
