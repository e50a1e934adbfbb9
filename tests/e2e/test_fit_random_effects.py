"""Replicates through the CLI: two cells of one type whose per-cycle Li loss fractions differ
(neither at the default the fit starts from) are written by ``lilean simulate`` and fitted together
with ``lilean fit A B --random-effects``: each file gets its own value (in the truths' order,
inside its interval), the population value lies between them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lilean.parameters import default_parameters

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LILEAN = [sys.executable, "-m", "lilean.cli"]
LOSS = "substrates.cu.anode.cycling_loss_fraction"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LILEAN, *args], capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )


def test_random_effects_fit_of_written_replicates(tmp_path: Path) -> None:
    d0 = default_parameters().flat()[LOSS].value
    truths = [0.8 * d0, 1.35 * d0]
    files = []
    for k, t in enumerate(truths):
        pset = default_parameters().replace({LOSS: t}).save(tmp_path / f"truth{k}.toml")
        table = tmp_path / f"cell{k}.parquet"
        res = run(
            "simulate", "cycling", "--substrate", "cu", "--cathode-loading", "0.4",
            "--li-inventory", "10", "--c-rate", "1", "--cycles", "30", "--params", str(pset),
            "-o", str(table), "--json",
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        files.append(str(table))
    res = run(
        "fit", *files, "--experiment", "cycling", "--substrate", "cu", "--free",
        "cycling_loss_fraction", "--random-effects", "--samples", "3", "--horizon", "35",
        "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    cells = out["random_effects"]["cells"]
    assert [c["file"] for c in cells] == files
    got = [c["values"][LOSS] for c in cells]
    assert got[0] < got[1]
    for c, t in zip(cells, truths, strict=True):
        assert c["low"][LOSS] <= t <= c["high"][LOSS], (c, t)
    assert truths[0] < out["parameters"][LOSS]["value"] < truths[1]
