"""Experiment construction and compilation to arrays (unit conversions checked by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lilean.errors import ParameterError
from lilean.protocols import MODE_CC, MODE_CV, MODE_REST, Experiment, parse_step

CAP_MAH = 0.4 * 1.131  # 0.4 mAh/cm2 LFP on a 12 mm disk
AREA = 1.131


def test_pybamm_style_construction_and_counts() -> None:
    cycle = ("Charge at 1C until 4.2 V", "Discharge at 1C until 2.0 V")
    exp = Experiment([cycle] * 300)
    assert exp.n_cycles == 300 == len(exp)
    assert exp.n_steps == 600
    assert exp.cycles[0] == tuple(parse_step(s) for s in cycle)
    single = Experiment(["Rest for 1 hour", "Rest for 2 hours"])  # bare strings = 1-step cycles
    assert single.n_cycles == 2
    assert single.duration_s == 3 * 3600.0
    assert exp.duration_s == float("inf")


def test_concat_and_add() -> None:
    a = Experiment([("Charge at 0.5C until 4.2 V", "Discharge at 0.5C until 2 V")] * 3)
    b = Experiment([("Charge at 1C until 4.2 V", "Discharge at 1C until 2 V")] * 2)
    c = a + b
    assert c == Experiment.concat(a, b)
    assert c.n_cycles == 5
    assert c.cycles[:3] == a.cycles and c.cycles[3:] == b.cycles
    assert Experiment.concat(a, b, a).n_cycles == 8
    with pytest.raises(ParameterError):
        Experiment([()])


def test_compile_arrays() -> None:
    exp = Experiment(
        [
            ("Charge at 0.5 C until 4.2 V", "Hold at 4.2 V until C/20", "Rest for 10 minutes"),
            ("Discharge at 2 mA for 30 minutes or until 2.0 V",),
            ("Discharge at 1 mA/cm2 until 10 mAh/cm2", "Hold at 0.1 V until 0.01 mA/cm2"),
            ("Charge at 1 A until 5 mAh",),
        ]
    )
    p = exp.compile(capacity_mAh=CAP_MAH, area_cm2=AREA)
    assert p.n_steps == 7 and p.n_cycles == 4 and len(p) == 7
    np.testing.assert_array_equal(p.cycle, [1, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(p.step, np.arange(1, 8))
    np.testing.assert_array_equal(
        p.mode, [MODE_CC, MODE_CV, MODE_REST, MODE_CC, MODE_CC, MODE_CV, MODE_CC]
    )
    assert (MODE_REST, MODE_CC, MODE_CV) == (0, 1, 2)
    # currents: 0.5 C of 0.4524 mAh = 0.2262 mA; 2 mA; 1 mA/cm2 x 1.131 cm2; 1 A
    expected_current = [0.2262e-3, 0.0, 0.0, -2e-3, -1.131e-3, 0.0, 1.0]
    np.testing.assert_allclose(p.current_A, expected_current, rtol=1e-12)
    assert np.isnan(p.voltage_V[[0, 2, 3, 4, 6]]).all()
    np.testing.assert_allclose(p.voltage_V[[1, 5]], [4.2, 0.1])
    np.testing.assert_allclose(p.duration_s, [np.inf, np.inf, 600, 1800, np.inf, np.inf, np.inf])
    np.testing.assert_allclose(p.v_upper_V, [4.2, np.inf, np.inf, np.inf, np.inf, np.inf, np.inf])
    np.testing.assert_allclose(
        p.v_lower_V, [-np.inf, -np.inf, -np.inf, 2.0, -np.inf, -np.inf, -np.inf]
    )
    # C/20 of 0.4524 mAh = 22.62 uA; 0.01 mA/cm2 x 1.131 cm2 = 11.31 uA
    np.testing.assert_allclose(p.i_cutoff_A, [0, 22.62e-6, 0, 0, 0, 11.31e-6, 0], rtol=1e-12)
    np.testing.assert_allclose(
        p.capacity_cutoff_mAh, [np.inf, np.inf, np.inf, np.inf, 11.31, np.inf, 5.0], rtol=1e-12
    )
    for arr in (p.cycle, p.step, p.mode):
        assert arr.dtype == np.int64
    for arr in (p.current_A, p.voltage_V, p.duration_s, p.i_cutoff_A):
        assert arr.dtype == np.float64
    assert p.texts[3] == "Discharge at 2 mA for 30 minutes or until 2.0 V"


@given(
    c=st.floats(min_value=0.01, max_value=20, allow_nan=False),
    cap=st.floats(min_value=1e-3, max_value=1e4, allow_nan=False),
    area=st.floats(min_value=1e-2, max_value=1e3, allow_nan=False),
    j=st.floats(min_value=1e-3, max_value=100, allow_nan=False),
)
def test_unit_conversion_properties(c: float, cap: float, area: float, j: float) -> None:
    exp = Experiment(
        [(f"Discharge at {c!r} C until 2 V", f"Charge at {j!r} mA/cm2 until {j!r} mAh/cm2")]
    )
    p = exp.compile(capacity_mAh=cap, area_cm2=area)
    assert p.current_A[0] == pytest.approx(-c * cap / 1000, rel=1e-12)
    assert p.current_A[1] == pytest.approx(j * area / 1000, rel=1e-12)
    assert p.capacity_cutoff_mAh[1] == pytest.approx(j * area, rel=1e-12)
    # at constant current, reaching a capacity cutoff takes Q / I
    hours = p.capacity_cutoff_mAh[1] / (p.current_A[1] * 1000)
    assert hours == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_compile_rejects_bad_capacity_and_area(bad: float) -> None:
    exp = Experiment(["Rest for 1 s"])
    with pytest.raises(ParameterError, match="capacity_mAh"):
        exp.compile(capacity_mAh=bad, area_cm2=1.0)
    with pytest.raises(ParameterError, match="area_cm2"):
        exp.compile(capacity_mAh=1.0, area_cm2=bad)
