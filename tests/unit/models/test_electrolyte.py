"""Electrolyte inventory bookkeeping (lilean.models.electrolyte)."""

from __future__ import annotations

import pytest

from lilean.models.electrolyte import M_EC_G_MOL, M_EMC_G_MOL, M_LIPF6_G_MOL, electrolyte_state
from lilean.parameters import default_parameters
from lilean.simulate import simulate_symmetric

PARAMS = default_parameters()
F = 96485.33212


def test_fresh_cell_holds_its_50_uL() -> None:
    st = electrolyte_state(PARAMS, 0.0)
    assert st["salt_initial_umol"] == pytest.approx(50.0)  # 1 M x 50 uL
    solvent_mg = 1.2 * 50.0 - 50.0 * M_LIPF6_G_MOL * 1e-3
    expected = (0.5 / M_EC_G_MOL + 0.5 / M_EMC_G_MOL) * solvent_mg * 1e3
    assert st["solvent_initial_umol"] == pytest.approx(expected)
    assert st["solvent_consumed_percent"] == 0.0 and not st["dry_out"]
    assert st["electrolyte_left_uL"] == pytest.approx(50.0)


def test_consumption_follows_the_electron_count() -> None:
    q = 1.0  # mAh/cm^2 of SEI Li
    st = electrolyte_state(PARAMS, q)
    electrons_umol = q * PARAMS.cell.electrode_area_cm2.value * 3.6 / F * 1e6
    assert st["salt_consumed_percent"] == pytest.approx(100 * 0.2 * electrons_umol / 2 / 50.0)
    solvent = 0.8 * electrons_umol / 1.0
    assert st["solvent_consumed_percent"] == pytest.approx(
        100 * solvent / st["solvent_initial_umol"]
    )
    more = electrolyte_state(PARAMS, 2 * q)
    assert more["solvent_consumed_percent"] == pytest.approx(2 * st["solvent_consumed_percent"])
    assert more["electrolyte_left_uL"] < st["electrolyte_left_uL"]
    assert electrolyte_state(PARAMS, 100.0)["dry_out"]


def test_symmetric_cell_reports_its_electrolyte_state() -> None:
    d = simulate_symmetric(PARAMS, "ag-cu", 1.0, 1.0, 10.0).to_dict()
    st = d["electrolyte"]
    assert 0 < st["solvent_consumed_percent"] < 100
    assert st["electrolyte_left_uL"] < 50.0
