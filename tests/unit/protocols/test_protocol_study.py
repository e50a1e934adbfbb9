"""The study's protocols: structure, cycle counts, durations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.errors import ParameterError
from lilean.protocols import MODE_CC, MODE_CV, study


def test_deposition_10_mAh_at_1_mA() -> None:
    exp = study.deposition()
    assert exp.n_cycles == 1 and exp.n_steps == 1
    p = exp.compile(capacity_mAh=1.0, area_cm2=1.131)
    assert p.current_A[0] == pytest.approx(-1.131e-3)  # plating = negative current
    assert p.capacity_cutoff_mAh[0] == pytest.approx(11.31)
    # 10 mAh/cm2 at 1 mA/cm2 takes 10 h
    assert p.capacity_cutoff_mAh[0] / (-p.current_A[0] * 1000) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("j", "q", "hours", "n_cycles"), [(1.0, 1.0, 100, 50), (0.5, 0.5, 320, 160), (2.0, 1.0, 3, 3)]
)
def test_symmetric_study_cases(j: float, q: float, hours: float, n_cycles: int) -> None:
    exp = study.symmetric(j, q, hours)
    assert exp.n_cycles == n_cycles
    assert exp.duration_s == pytest.approx(hours * 3600)
    p = exp.compile(capacity_mAh=1.0, area_cm2=2.0)
    assert np.all(np.abs(p.current_A) == pytest.approx(j * 2.0 / 1000))
    # alternating plating (negative) / stripping (positive), starting with plating
    np.testing.assert_array_equal(np.sign(p.current_A), [(-1) ** (k + 1) for k in range(p.n_steps)])


@settings(deadline=None, max_examples=60)
@given(
    j=st.floats(min_value=0.1, max_value=10, allow_nan=False),
    q=st.floats(min_value=0.1, max_value=10, allow_nan=False),
    hours=st.floats(min_value=0.1, max_value=500, allow_nan=False),
)
def test_symmetric_durations_sum_to_hours(j: float, q: float, hours: float) -> None:
    exp = study.symmetric(j, q, hours)
    p = exp.compile(capacity_mAh=1.0, area_cm2=1.0)
    assert float(np.sum(p.duration_s)) == pytest.approx(hours * 3600, rel=1e-9)
    half = q / j * 3600
    assert np.all(p.duration_s <= half * (1 + 1e-9))
    # every half-cycle but the last is complete
    np.testing.assert_allclose(p.duration_s[:-1], half, rtol=1e-12)
    assert exp.n_cycles == math.ceil(p.n_steps / 2)
    for cycle in exp.cycles:
        assert cycle[0].direction == "discharge"
        if len(cycle) == 2:
            assert cycle[1].direction == "charge"


def test_full_cell_default() -> None:
    exp = study.full_cell(1.0, 300)
    assert exp.n_cycles == 303
    p = exp.compile(capacity_mAh=2.0, area_cm2=1.0)
    assert p.n_steps == 606
    # formation at 0.5 C, then 1 C; charge first
    np.testing.assert_allclose(p.current_A[:6], [1e-3, -1e-3] * 3)
    np.testing.assert_allclose(p.current_A[6:], np.tile([2e-3, -2e-3], 300))
    np.testing.assert_allclose(p.v_upper_V[::2], 4.2)
    np.testing.assert_allclose(p.v_lower_V[1::2], 2.0)


def test_full_cell_cccv() -> None:
    exp = study.full_cell(2.0, 10, formation_cycles=0, cv_hold=True, v_upper=3.8, v_lower=2.5)
    assert exp.n_cycles == 10
    p = exp.compile(capacity_mAh=1.0, area_cm2=1.0)
    assert p.n_steps == 30
    np.testing.assert_array_equal(p.mode, [MODE_CC, MODE_CV, MODE_CC] * 10)
    np.testing.assert_allclose(p.voltage_V[1::3], 3.8)
    np.testing.assert_allclose(p.i_cutoff_A[1::3], 0.05e-3)
    np.testing.assert_allclose(p.v_lower_V[2::3], 2.5)


def test_rate_test_default_matches_study() -> None:
    exp = study.rate_test()
    assert exp.n_cycles == 3 + 5 * 5 + 5
    p = exp.compile(capacity_mAh=1.0, area_cm2=1.0)
    discharge = -p.current_A[p.current_A < 0] * 1000  # C-rate, as capacity is 1 mAh
    charge = p.current_A[p.current_A > 0] * 1000
    expected = [0.5] * 3 + [r for r in (1, 2, 3, 4, 5) for _ in range(5)] + [1.0] * 5
    np.testing.assert_allclose(discharge, expected)
    np.testing.assert_allclose(charge, expected)


def test_rate_test_fixed_charge_rate() -> None:
    p = study.rate_test(charge_c_rate=0.5).compile(capacity_mAh=1.0, area_cm2=1.0)
    np.testing.assert_allclose(p.current_A[p.current_A > 0], 0.5e-3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: study.deposition(0.0),
        lambda: study.deposition(1.0, -1.0),
        lambda: study.symmetric(1.0, 1.0, 0.0),
        lambda: study.full_cell(1.0, -1),
        lambda: study.full_cell(1.0, 2.5),  # type: ignore[arg-type]
        lambda: study.full_cell(1.0, 10, v_lower=4.2, v_upper=2.0),
        lambda: study.rate_test(c_rates=()),
        lambda: study.rate_test(cycles_per_rate=0),
        lambda: study.rate_test(charge_c_rate=-1),
    ],
)
def test_bad_parameters(call: object) -> None:
    with pytest.raises(ParameterError):
        call()  # type: ignore[operator]
