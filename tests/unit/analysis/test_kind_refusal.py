"""Kind detection with a confidence; ``symmetric`` refused, with the reason, on non-Li||Li cells."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.analysis.kind import assess_kind, check_kind
from lilean.analysis.symmetric import analyze_symmetric
from lilean.errors import LileanError


def test_symmetric_cell_is_detected_with_full_confidence(symmetric):
    case = symmetric()
    seen = assess_kind(case.data)
    assert seen.kind == "symmetric"
    assert seen.confidence == pytest.approx(1.0)
    assert seen.sign_agreement == pytest.approx(1.0)
    check_kind(case.data, "symmetric")  # no refusal


def test_full_cell_cannot_be_symmetric(full_cell):
    case = full_cell(np.full(4, 1.0), np.full(4, 0.99))
    assert assess_kind(case.data).kind == "cycling"
    with pytest.raises(LileanError, match="cannot be a symmetric") as err:
        analyze_symmetric(case.data)
    message = str(err.value)
    assert "0 % of" in message and "3.38..3.45 V" in message
    assert "looks like cycling" in message


def test_si_half_cell_as_symmetric_is_refused_from_the_cli(data_dir):
    import subprocess
    import sys

    path = data_dir / "land" / "custom_data_002.xlsx"  # Si vs Li half-cell, 0.05-3.08 V
    if not path.exists():
        pytest.skip(f"{path} absent")
    proc = subprocess.run(
        [sys.executable, "-m", "lilean.cli", "analyze", str(path), "--kind", "symmetric", "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "cannot be a symmetric Li||Li test" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_deposition_needs_a_plating_step(full_cell):
    case = full_cell(np.full(1, 1.0), np.full(1, 0.0) + 1e-12)
    frame = case.data.data
    charge_only = frame[frame["Current [A]"] >= 0]
    with pytest.raises(LileanError, match="no plating"):
        check_kind(charge_only, "deposition")


def test_analyze_data_reports_the_detected_kind_and_confidence(full_cell, symmetric):
    from lilean.api import analyze_data

    out = analyze_data(symmetric(n_cycles=5).data)
    assert out["kind"] == "symmetric"
    assert out["kind_detected"] == {"kind": "symmetric", "confidence": 1.0}
    case = full_cell(np.full(4, 1.0), np.full(4, 0.99))
    out = analyze_data(case.data, kind="cycling")
    assert out["kind_detected"]["kind"] == "cycling"
    with pytest.raises(LileanError, match="cannot be a symmetric"):
        analyze_data(case.data, kind="symmetric")
