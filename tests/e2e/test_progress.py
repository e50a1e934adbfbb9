"""Long commands show progress on stderr (on a terminal) and never in --json stdout.

Each command runs in a subprocess with ``TTY_COMPATIBLE=1``, which makes rich treat the captured
stderr as a terminal: without ``--json`` the bar's description must appear on stderr (and not on
stdout); with ``--json`` stdout must be exactly one JSON document and stderr free of the bar.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LILEAN = [sys.executable, "-m", "lilean.cli"]
XY = ROOT / "tests" / "data" / "xrd" / "ag_at_cu_synthetic.xy"

CASES = {
    "xrd simulate": (["xrd", "simulate", "--phase", "Cu"], "simulating XRD patterns"),
    "xrd identify": (["xrd", "identify", str(XY), "--phase", "Cu"], "matching peaks"),
    "plumes map": (
        ["plumes", "map", "--agf-wt", "1", "--minutes", "0.5,1", "--size", "48"],
        "process map",
    ),
    "simulate plumes": (
        ["simulate", "plumes", "--minutes", "0.5", "--size", "48"],
        "growing Ag plumes",
    ),
    "simulate cycling": (
        ["simulate", "cycling", "--substrate", "cu", "--cycles", "5"],
        "simulating cycling of a cu || LFP cell",
    ),
    "simulate symmetric": (
        ["simulate", "symmetric", "--substrate", "cu", "--hours", "4"],
        "simulating a cu symmetric cell",
    ),
    "simulate protocol": (
        ["simulate", "protocol", "--substrate", "cu", "--step", "Charge at 1C until 4.2 V"],
        "running 1 x 1 step(s)",
    ),
    "simulate morphology": (
        ["simulate", "morphology", "--substrate", "cu", "--capacities", "0.5", "--width", "32"],
        "plating Li on cu",
    ),
}


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TTY_COMPATIBLE": "1", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [*LILEAN, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("name", list(CASES))
def test_progress_on_stderr_never_in_json_stdout(name: str) -> None:
    args, description = CASES[name]
    shown = _run(args)
    assert description in shown.stderr, f"{name}: no progress on stderr"
    assert description not in shown.stdout
    quiet = _run([*args, "--json"])
    json.loads(quiet.stdout)  # stdout is exactly the JSON document
    assert description not in quiet.stderr
