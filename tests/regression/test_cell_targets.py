"""Calibrated cell model vs the study's targets (tests/data/targets.json, within its tolerances)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling, simulate_rate, simulate_symmetric

TARGETS = json.loads((Path(__file__).parents[1] / "data" / "targets.json").read_text())
PARAMS = default_parameters()


@pytest.fixture(scope="module")
def np25() -> dict[str, dict]:
    return {
        s: simulate_cycling(
            PARAMS,
            s,
            cathode_loading_mAh_cm2=0.4,
            li_inventory_mAh_cm2=10.0,
            c_rate=1.0,
            cycles=300,
        ).to_dict()
        for s in ("cu", "ag-cu")
    }


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_np25_retention_after_300_cycles(np25: dict, substrate: str) -> None:
    target = TARGETS["full_cell_np25_1C_300cycles"][substrate]
    assert (
        abs(np25[substrate]["retention_percent"] - target["retention_percent"])
        <= target["tol_percent_points"]
    )


def test_np25_final_capacity_ag_cu(np25: dict) -> None:
    """Final capacity within the target's 5 retention points (x the first-cycle capacity).

    The first-cycle 1C capacity is the cathode model's (calibrated on the rate test, 145.4 mAh/g at
    1C); the study's 300-cycle cell started higher (124.5 / 0.81 = 154 mAh/g), so the absolute final
    capacity carries that cell-to-cell difference.
    """
    target = TARGETS["full_cell_np25_1C_300cycles"]["ag-cu"]
    q = np25["ag-cu"]["discharge_capacity_mAh_g"]
    tol = target["tol_percent_points"] / 100 * q[0]
    assert abs(q[-1] - target["final_discharge_mAh_g"]) <= tol


def _collapse_onset(q: np.ndarray) -> int | None:
    """First cycle 5 retention points below the linear trend of cycles 5-60 (the knee, not the
    gradual cathode fade; the definition of calibration/calibrate_cell.py)."""
    ret = 100 * q / q[0]
    cyc = np.arange(1, q.size + 1)
    slope, icpt = np.polyfit(cyc[4:60], ret[4:60], 1)
    below = np.flatnonzero(ret < slope * cyc + icpt - 5.0)
    return int(below[0]) + 1 if below.size else None


def test_cu_collapse_starts_near_cycle_150(np25: dict) -> None:
    q = np.array(np25["cu"]["discharge_capacity_mAh_g"])
    onset = _collapse_onset(q)
    assert onset is not None
    assert (
        abs(onset - TARGETS["full_cell_np25_1C_300cycles"]["cu"]["collapse_starts_near_cycle"])
        <= 25
    )
    li = np.array(np25["cu"]["li_remaining_mAh_cm2"])
    assert li[onset - 1] < 0.5  # the collapse is the reservoir running out


def test_ag_cu_declines_gradually_without_a_knee(np25: dict) -> None:
    """Li-Ag@Cu: no collapse within 300 cycles (its reservoir lasts); the capacity falls steadily,
    no single cycle loses more than 1 % of the first capacity, and the reservoir is not empty."""
    q = np.array(np25["ag-cu"]["discharge_capacity_mAh_g"])
    assert _collapse_onset(q) is None
    assert np.max(-np.diff(q)) < 0.01 * q[0]
    assert q[99] < q[0] and q[199] < q[99] and q[-1] < q[199]
    assert np25["ag-cu"]["li_remaining_mAh_cm2"][-1] > 0.5


def test_ag_cu_rate_capability() -> None:
    target = TARGETS["rate_np25"]
    d = simulate_rate(
        PARAMS, "ag-cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0
    ).to_dict()
    sim = np.array(d["discharge_capacity_mAh_g"][:6])
    ref = np.array(target["ag-cu_discharge_mAh_g"])
    np.testing.assert_allclose(sim, ref, rtol=target["tol_percent"] / 100)


@pytest.mark.parametrize(("j", "q", "hours"), [(1.0, 1.0, 100.0), (0.5, 0.5, 320.0)])
def test_symmetric_ag_cu_stable_and_cu_fails(j: float, q: float, hours: float) -> None:
    ag = simulate_symmetric(PARAMS, "ag-cu", j, q, hours).to_dict()
    cu = simulate_symmetric(PARAMS, "cu", j, q, hours).to_dict()
    assert ag["failure_h"] is None  # stable for the whole test
    assert cu["failure_h"] is not None and cu["failure_h"] < hours
    if j == 1.0:
        assert 50.0 <= cu["failure_h"] <= 90.0  # "rises markedly after ~60 h"
    # before the Li-Cu cell shorts (a short collapses its voltage)
    end_h = cu["short_circuit_h"] if cu["short_circuit_h"] is not None else hours
    n_cu = int(np.floor(end_h / (2 * q / j)))
    # (a dried-out Li-Cu cell is stopped by the cycler: its trace ends there)
    n = min(len(ag["polarization_mV"]), len(cu["polarization_mV"]), n_cu)
    assert n > 10
    assert (np.array(ag["polarization_mV"][:n]) < np.array(cu["polarization_mV"][:n])).all()


def test_np25_relations_plateau_gap_and_interface_resistance() -> None:
    """targets.json relations: ag-cu plateau gap < cu, ag-cu interfacial resistance < cu."""
    kw = {
        "cathode_loading_mAh_cm2": 0.4,
        "li_inventory_mAh_cm2": 10.0,
        "c_rate": 1.0,
        "cycles": 140,
    }
    cu = simulate_cycling(PARAMS, "cu", **kw).summary  # type: ignore[arg-type]
    ag = simulate_cycling(PARAMS, "ag-cu", **kw).summary  # type: ignore[arg-type]
    assert (ag["Voltage gap [V]"].to_numpy() < cu["Voltage gap [V]"].to_numpy()).all()
    r = "Anode interface resistance [ohm cm2]"
    assert (ag[r].to_numpy() < cu[r].to_numpy()).all()


def test_cu_effective_coulombic_efficiency_in_literature_range(np25: dict) -> None:
    """Independent check: Li consumed per mAh cycled before the collapse gives Li-on-Cu CEs of
    80-95 % in carbonates (Adams et al., Adv. Energy Mater. 8, 1702097 (2018))."""
    li = np.array(np25["cu"]["li_remaining_mAh_cm2"])
    q_g = np.array(np25["cu"]["discharge_capacity_mAh_g"])
    cycled = q_g[:100] * 0.4 / 170.0  # mAh/g -> mAh/cm2 (0.4 mAh/cm2 at 170 mAh/g)
    ce = 1.0 - (li[0] - li[99]) / cycled[1:100].sum()
    # Adams et al.: typically 0.80-0.95 with a fast protocol; our cells also lose Li by calendar
    # corrosion during the 2 h cycles (Boyle et al. 2021), so allow 5 points below that range.
    assert 0.75 <= ce <= 0.95
