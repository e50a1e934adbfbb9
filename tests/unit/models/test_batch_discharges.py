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


def test_parallel_equals_serial_and_pads_with_nan() -> None:
    rates = np.linspace(0.8, 1.6, 5)
    thick = PARAMS.replace({"cathode.particle_classes": 1})  # a shorter parameter vector
    sets = [PARAMS, thick, PARAMS, thick, PARAMS]
    serial = simulate_discharges(PARAMS, rates, param_sets=sets)
    threads = simulate_discharges(PARAMS, rates, param_sets=sets, parallel=True)
    for name in ("rows", "time_s", "voltage_V", "capacity_mAh", "capacity_mAh_final"):
        assert np.array_equal(getattr(serial, name), getattr(threads, name), equal_nan=True), name
    for k in range(len(rates)):
        n = int(serial.rows[k])
        assert np.isfinite(serial.voltage_V[k, :n]).all()
        assert np.isnan(serial.time_s[k, n:]).all() and np.isnan(serial.capacity_mAh[k, n:]).all()
        assert serial.capacity_mAh_final[k] == serial.capacity_mAh[k, n - 1]
    # the one-class set is a different model: its cases differ from the 12-class ones
    assert serial.capacity_mAh_final[1] != pytest.approx(serial.capacity_mAh_final[0], rel=1e-3)


def test_inputs_are_built_once_per_set_and_handed_out_as_copies() -> None:
    from lilean.models import batch

    a = batch._inputs(PARAMS, 0.01)
    assert batch._inputs(PARAMS, 0.01)[0] is a[0]
    vec, i_1c, _, state = batch.discharge_inputs(PARAMS, 0.01)
    assert (
        vec is not a[0]
        and np.array_equal(vec, a[0])
        and np.array_equal(state, a[3], equal_nan=True)
    )
    vec[:] = 0.0  # the caller's copy: the cache is untouched
    assert np.array_equal(batch._inputs(PARAMS, 0.01)[0], batch.discharge_inputs(PARAMS, 0.01)[0])
    assert batch._inputs(PARAMS, 0.01)[0].any()
    other = PARAMS.replace({"cell.cathode_loading_mAh_cm2": 0.8})
    c = batch.discharge_inputs(other, 0.01)
    assert c[1] == pytest.approx(2.0 * i_1c)
    assert batch.discharge_inputs(PARAMS, 0.02)[3][0] == pytest.approx(0.02)
    # repeated calls give the same curves (the kernel copies the cached state)
    first = simulate_discharges(PARAMS, [1.0])
    again = simulate_discharges(PARAMS, [1.0])
    assert np.array_equal(first.voltage_V, again.voltage_V, equal_nan=True)


def test_non_finite_rate_is_rejected() -> None:
    with pytest.raises(ParameterError, match="c_rates"):
        simulate_discharges(PARAMS, [1.0, float("inf")])
