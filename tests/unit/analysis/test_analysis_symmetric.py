"""Symmetric-cell overpotentials, polarization growth, failure and shorts, known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lilean.analysis.symmetric import analyze_symmetric
from lilean.errors import LileanError
from lilean.schema import build_table


def test_constant_overpotentials(symmetric):
    case = symmetric(n_cycles=20)
    res = analyze_symmetric(case.data)
    table = res.table
    assert len(table) == 20
    # middle-50 % median of a flat 20 / 24 mV plateau with 0.2 mV noise
    np.testing.assert_allclose(table["Plating overpotential [mV]"], 20.0, atol=0.2)
    np.testing.assert_allclose(table["Stripping overpotential [mV]"], 24.0, atol=0.2)
    np.testing.assert_allclose(table["Polarization [mV]"], 22.0, atol=0.2)
    np.testing.assert_allclose(table["Hysteresis [mV]"], 44.0, atol=0.4)
    np.testing.assert_allclose(table["Asymmetry [mV]"], 4.0, atol=0.4)
    # peaks: the start spike, 1.5 x eta
    np.testing.assert_allclose(table["Plating peak [mV]"], 30.0, atol=1.0)
    # cycle n ends at 2 n half-cycles
    np.testing.assert_allclose(table["Time [h]"], 2.0 * np.arange(1, 21) * case.half_h)
    assert res.failure_h is None and res.short_circuit_h is None and res.failure_reason is None
    assert res.initial_polarization_mV == pytest.approx(22.0, abs=0.2)
    assert res.current_density_mA_cm2 == pytest.approx(1.0, rel=1e-6)
    payload = json.loads(json.dumps(res.to_dict()))
    assert payload["failure_h"] is None
    assert payload["table"]["Cycle"] == list(range(1, 21))
    assert len(payload["half_cycles"]) == 40


def test_polarization_growth_failure_time(symmetric):
    onset = 30

    def grow(base):
        return lambda n: base * (1.0 + 0.13 * max(n - onset, 0))

    case = symmetric(n_cycles=50, plating_mV=grow(20.0), stripping_mV=grow(24.0))
    res = analyze_symmetric(case.data, failure_factor=2.0)
    pol = 0.5 * (case.plating_mV + case.stripping_mV)
    first = int(np.flatnonzero(pol > 2.0 * pol[0])[0]) + 1  # 1-based cycle
    assert res.failure_reason == "polarization"
    assert res.failure_h == pytest.approx(2 * first * case.half_h)
    assert res.short_circuit_h is None
    # a larger factor fails later
    later = analyze_symmetric(case.data, failure_factor=2.5)
    assert later.failure_h is not None and later.failure_h > res.failure_h


def test_short_circuit_detected_at_its_half_cycle(symmetric):
    case = symmetric(n_cycles=40, short_half=51)
    res = analyze_symmetric(case.data)
    assert res.short_circuit_h == pytest.approx(case.short_half * case.half_h)
    assert res.failure_reason == "short"
    assert res.failure_h == pytest.approx(res.short_circuit_h)
    shorted = res.table["Short"].to_numpy()
    assert not shorted[: case.short_half // 2].any()
    assert shorted[case.short_half // 2 :].all()


def test_li_foil_initial_fall_is_not_the_reference(symmetric):
    # native passivation: 2.5 x higher for the first two cycles, then settled and stable
    case = symmetric(
        n_cycles=20,
        plating_mV=lambda n: 50.0 if n <= 2 else 20.0,
        stripping_mV=lambda n: 60.0 if n <= 2 else 24.0,
    )
    res = analyze_symmetric(case.data)
    assert res.initial_polarization_mV == pytest.approx(22.0, abs=0.2)
    assert res.failure_h is None


def test_needs_both_signs_and_valid_arguments(symmetric):
    t = np.linspace(0, 100, 11)
    with pytest.raises(LileanError, match="both plating"):
        analyze_symmetric(build_table(t, np.full(11, -0.02), np.full(11, -1e-3)))
    with pytest.raises(LileanError, match="failure_factor"):
        analyze_symmetric(symmetric(n_cycles=3).data, failure_factor=0.5)
    with pytest.raises(LileanError, match="short_threshold"):
        analyze_symmetric(symmetric(n_cycles=3).data, short_threshold=1.5)


def test_split_half_cycle_and_blips_keep_the_pairing(symmetric):
    """A rest in the middle of the first plating splits it in two runs, and a 2-row current blip
    splits the plating of cycle 5: both stay one half-cycle, so every cycle pairs plating with
    stripping and the overpotentials are unchanged."""
    frame = symmetric(n_cycles=10).data.data
    t = frame["Time [s]"].to_numpy()
    v = frame["Voltage [V]"].to_numpy().copy()
    i = frame["Current [A]"].to_numpy().copy()
    i[20:23] = 0.0  # rest inside the first plating
    blip = 61 * 8 + 30  # middle of half-cycle 9 (plating of cycle 5)
    i[blip : blip + 2] *= -1
    table = build_table(t, v, i, cycle=frame["Cycle"].to_numpy())
    res = analyze_symmetric(table)
    pol = res.table["Polarization [mV]"].to_numpy(dtype=float)
    assert len(pol) == 10
    np.testing.assert_allclose(pol, 22.0, atol=0.3)
    assert len(res.half_cycles) == 20
