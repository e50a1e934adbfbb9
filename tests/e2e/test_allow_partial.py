"""`--allow-partial` through the CLI: a damaged file is refused in one line (exit 2) unless the user
asks for what is whole, and then every ``PARTIAL TABLE:`` note is printed, not only stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lilean.testing.data import require

LILEAN = [sys.executable, "-m", "lilean.cli"]


@pytest.fixture
def cut_res(tmp_path: Path) -> Path:
    src = require("extern/arbin/aux_one_x_dx.res")
    raw = src.read_bytes()
    dst = tmp_path / "cut.res"
    dst.write_bytes(raw[: len(raw) * 9 // 10])  # cut at 90 %, inside a database page
    return dst


@pytest.mark.parametrize("command", ["info", "analyze"])
def test_damaged_file_refused_then_read_partially_with_notes_shown(
    command: str, cut_res: Path, tmp_path: Path
) -> None:
    args = [*LILEAN, command, str(cut_res), "--format", "arbin-res"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "truncated" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""

    partial = subprocess.run(
        [*args, "--allow-partial", "--json"], capture_output=True, text=True, timeout=300
    )
    assert partial.returncode == 0, partial.stderr
    assert "PARTIAL TABLE:" in partial.stderr  # shown to the user ...
    assert "PARTIAL TABLE:" in partial.stdout  # ... and kept in the JSON notes
    assert partial.stdout.count("\n") == 1  # still one JSON object on stdout


def test_convert_partial_keeps_the_notes_in_the_table(cut_res: Path, tmp_path: Path) -> None:
    from lilean.schema import CyclingData

    out = tmp_path / "cut.parquet"
    proc = subprocess.run(
        [
            *LILEAN,
            "convert",
            str(cut_res),
            "--format",
            "arbin-res",
            "--allow-partial",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    notes = CyclingData.from_parquet(out).meta.notes
    assert any(str(n).startswith("PARTIAL TABLE:") for n in notes)
