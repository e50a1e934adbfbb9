"""Batched half-cell discharges equal the single-discharge function case by case."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.models.batch import simulate_discharges
from lilean.models.cathode import simulate_half_cell_discharge
from lilean.parameters import default_parameters

PARAMS = default_parameters()


def test_each_case_equals_the_single_discharge() -> None:
    rates = [0.5, 1.0, 2.0]
    batch = simulate_discharges(PARAMS, rates)
    assert len(batch) == 3
    for k, c in enumerate(rates):
        ref = simulate_half_cell_discharge(PARAMS, c).data
        case = batch.case(k)
        assert batch.rows[k] == len(ref)
        np.testing.assert_allclose(case["time_s"], ref["Time [s]"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(case["voltage_V"], ref["Voltage [V]"].to_numpy(), rtol=1e-12)
        q_ref = ref["Discharge capacity [mAh]"].to_numpy()
        np.testing.assert_allclose(case["capacity_mAh"], q_ref, rtol=1e-9, atol=1e-12)
    # higher rate, lower capacity (polarisation reaches the cut-off earlier)
    assert batch.capacity_mAh_final[0] > batch.capacity_mAh_final[1] > batch.capacity_mAh_final[2]
    assert np.isnan(batch.voltage_V[0, batch.rows[0] :]).all()


def test_one_parameter_set_per_case() -> None:
    thick = PARAMS.replace(
        {"cell.cathode_loading_mAh_cm2": 2.0 * PARAMS.get("cell.cathode_loading_mAh_cm2")}
    )
    batch = simulate_discharges(PARAMS, [1.0, 1.0], param_sets=[PARAMS, thick])
    assert batch.capacity_mAh_final[1] == pytest.approx(2.0 * batch.capacity_mAh_final[0], rel=0.1)


@pytest.mark.parametrize(
    ("rates", "kw", "match"),
    [([], {}, "c_rates"), ([1.0, -1.0], {}, "c_rates"), ([1.0], {"param_sets": []}, "param_sets")],
)
def test_bad_input(rates, kw, match) -> None:
    with pytest.raises(ParameterError, match=match):
        simulate_discharges(PARAMS, rates, **kw)
