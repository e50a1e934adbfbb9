"""The rate test on Li-Cu vs Li-Ag@Cu: the anode with the higher interfacial resistance gives the lower
capacity at high rate (the LFP electrode responds to series resistance, tests/unit/models/
test_cathode_classes.py), and the difference grows with the rate."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.parameters import default_parameters
from lilean.scenarios.rate import simulate_rate

R_INT = "Anode interface resistance [ohm cm2]"


@pytest.fixture(scope="module")
def runs():
    params = default_parameters()
    return {s: simulate_rate(params, s) for s in ("cu", "ag-cu")}


def test_cu_has_the_higher_anode_interfacial_resistance(runs):
    r_cu = runs["cu"].summary[R_INT].to_numpy()
    r_ag = runs["ag-cu"].summary[R_INT].to_numpy()
    assert np.all(r_cu > r_ag)
    assert np.median(r_cu / r_ag) > 1.5


def test_higher_anode_resistance_gives_lower_high_rate_capacity(runs):
    q_cu = np.array(runs["cu"].to_dict()["discharge_capacity_mAh_g"][:6])
    q_ag = np.array(runs["ag-cu"].to_dict()["discharge_capacity_mAh_g"][:6])
    gap = q_ag - q_cu
    # same cathode: (almost) the same at 0.5 C, Li-Cu clearly lower at 3-5 C
    assert abs(gap[0]) < 0.01 * q_ag[0]
    assert np.all(gap[3:] > 0.0)
    assert gap[5] > 0.01 * q_ag[5]
    assert gap[5] > gap[1]


def test_gap_disappears_without_the_resistance_difference():
    """Control: give Cu the Ag@Cu interface (same SEI resistance and growth), the gap closes."""
    params = default_parameters()
    ag = params.substrate("ag-cu").anode
    same = params.replace(
        {
            "substrates.cu.anode.sei_resistance_ohm_cm2": ag.sei_resistance_ohm_cm2.value,
            "substrates.cu.anode.sei_resistivity_ohm_cm2_per_mAh": (
                ag.sei_resistivity_ohm_cm2_per_mAh.value
            ),
        }
    )
    q_cu = simulate_rate(same, "cu").to_dict()["discharge_capacity_mAh_g"][5]
    q_cu0 = simulate_rate(params, "cu").to_dict()["discharge_capacity_mAh_g"][5]
    q_ag = simulate_rate(params, "ag-cu").to_dict()["discharge_capacity_mAh_g"][5]
    assert abs(q_ag - q_cu) < abs(q_ag - q_cu0)
