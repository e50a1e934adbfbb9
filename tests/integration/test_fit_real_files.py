"""`lilean fit` on real files from tests/data: the machinery runs, gives intervals, and is honest
about what the data cannot say (a Si half-cell is not a Li || LFP cell)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lilean import fitting as F
from lilean.api import load_table
from lilean.cli import app
from lilean.io.eis import read_eis
from lilean.parameters import default_parameters
from lilean.simulate import simulate_eis
from lilean.testing.data import data_dir

DATA = data_dir()


def test_eis_fit_on_gamry_file_reproduces_the_spectrum() -> None:
    path = DATA / "eis" / "exampleDataGamry.DTA"
    spectrum = read_eis(path)
    fit = F.fit_eis([spectrum], default_parameters(), "cu", files=[str(path)])
    out = fit.to_dict()
    for par in out["parameters"].values():
        assert par["low"] <= par["value"] <= par["high"]
    # independent check: the fitted twin's spectrum against the file, point by point
    f, z = spectrum.to_impedance_arrays(spectrum.spectrum_ids[0] if spectrum.spectrum_ids else None)
    ok = np.isfinite(z) & (f > 0)
    sim = simulate_eis(fit.params, "cu", cycles=0, cell="symmetric", frequencies_Hz=f[ok])
    _f, zs = sim.data.to_impedance_arrays()
    rel = np.abs(zs - z[ok]) / np.abs(z[ok])
    assert np.median(rel) < 0.5  # a fresh Li || Li model on a generic spectrum: shape roughly right
    assert any("does not reproduce this spectrum" in w for w in out["warnings"])
    assert out["status"] == "misfit" and out["median_relative_misfit"] > F.EIS_MISFIT_LIMIT
    # through the CLI: a fit whose misfit exceeds the stated limit is a failure, exit 3
    res = CliRunner().invoke(app, ["fit", str(path), "--experiment", "eis", "--json"])
    assert res.exit_code == F.FAILED_EXIT_CODE, res.output
    assert json.loads(res.stdout)["status"] == "misfit"
    # and clearly better than the unfitted defaults
    sim0 = simulate_eis(
        default_parameters(), "cu", cycles=0, cell="symmetric", frequencies_Hz=f[ok]
    )
    rel0 = np.abs(sim0.data.to_impedance_arrays()[1] - z[ok]) / np.abs(z[ok])
    assert np.median(rel) < 0.5 * np.median(rel0)


def test_cycling_fit_on_a_si_half_cell_is_refused_unless_forced(tmp_path: Path) -> None:
    path = DATA / "land" / "custom_data_002.xlsx"
    res = CliRunner().invoke(
        app, ["fit", str(path), "--experiment", "cycling", "--horizon", "50", "--json"]
    )
    assert res.exit_code == 2, res.output
    assert "not a Li-metal || LFP cell" in res.output and "cut-off" in res.output
    res = CliRunner().invoke(
        app,
        ["fit", str(path), "--experiment", "cycling", "--horizon", "50", "--json", "--force",
         "--samples", "4", "-o", str(tmp_path / "land.toml")],
    )  # fmt: skip
    assert res.exit_code == F.FAILED_EXIT_CODE, res.output  # forced, but the twin cannot fit it
    out = json.loads(res.stdout)
    assert out["status"] != "ok" and out["status_reason"]
    assert out["protocol"]["upper_cutoff_V"] < 3.35  # Si vs Li window: not an LFP cell
    assert any(w.startswith("forced:") for w in out["warnings"])
    assert (tmp_path / "land.fit.json").exists()


def test_protocol_inference_on_a_real_cycler_file() -> None:
    data = load_table(DATA / "land" / "custom_data_002.xlsx")
    proto = F.infer_cycling_protocol(data, default_parameters())
    # independent: the C-rate from the file's own discharge current and capacity basis
    df = data.data
    q_nom = (
        data.meta.active_mass_mg * 1e-3 * 170.0
        if data.meta.active_mass_mg
        else float(df.groupby("Cycle")["Discharge capacity [mAh]"].max().iloc[:5].max())
    )
    last = df[(df["Cycle"] == df["Cycle"].max()) & (df["Current [A]"] < 0)]
    i_last_mA = -float(last["Current [A]"].mean()) * 1e3
    assert proto["c_rate"] == pytest.approx(i_last_mA / q_nom, rel=0.1)  # the main (late) rate
    assert proto["cycles"] >= 1 and proto["formation_cycles"] >= 0
