"""lilean.ensemble: median and 5-95 % band over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.ensemble import ensemble_cycling, run_ensemble, seed_list, summarize
from lilean.errors import ParameterError
from lilean.parameters import default_parameters


def test_summarize_scalars_lists_and_none() -> None:
    runs = [
        {"x": float(k), "curve": [k, 2.0 * k], "cycle": [1, 2], "t_fail": None if k < 5 else k}
        for k in range(10)
    ]
    out = summarize(runs)
    xs = np.arange(10.0)
    assert out["x"] == pytest.approx(np.median(xs))
    assert out["x_low"] == pytest.approx(np.percentile(xs, 5))
    assert out["x_high"] == pytest.approx(np.percentile(xs, 95))
    assert out["curve_high"][1] == pytest.approx(np.percentile(2 * xs, 95))
    assert out["cycle"] == [1, 2]  # identical integer lists are copied, not banded
    assert out["t_fail_n_none"] == 5
    assert out["t_fail"] == pytest.approx(7.0)


def test_run_ensemble_seeds_and_determinism() -> None:
    rng_out = lambda s: {"v": float(np.random.default_rng(s).normal())}  # noqa: E731
    a = run_ensemble(rng_out, 7, first_seed=3)
    b = run_ensemble(rng_out, 7, first_seed=3)
    assert a == b
    assert a["seeds"] == list(range(3, 10)) and a["n_seeds"] == 7
    assert a["v_low"] <= a["v"] <= a["v_high"]
    with pytest.raises(ParameterError):
        seed_list(0)


def test_ensemble_cycling_band_brackets_the_seeds() -> None:
    out = ensemble_cycling(
        default_parameters(),
        "ag-cu",
        4,
        cathode_loading_mAh_cm2=0.4,
        li_inventory_mAh_cm2=10.0,
        c_rate=1.0,
        cycles=10,
    )
    for key in ("retention_percent", "final_discharge_capacity_mAh_g"):
        assert out[f"{key}_low"] <= out[key] <= out[f"{key}_high"]
    assert len(out["discharge_capacity_mAh_g_low"]) == 10


def test_cli_seeds_reports_band() -> None:
    """``lilean simulate cycling --seeds N --json`` prints the ensemble (a real subprocess)."""
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "lilean.cli", "simulate", "cycling", "--substrate", "cu",
         "--cycles", "5", "--seeds", "3", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["n_seeds"] == 3 and out["seeds"] == [0, 1, 2]
    assert out["retention_percent_low"] <= out["retention_percent"] <= out["retention_percent_high"]
