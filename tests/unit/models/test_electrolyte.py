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


def test_320_h_symmetric_and_300_cycle_full_cells_report_a_conserved_electrolyte() -> None:
    """The study's long tests report their electrolyte state in the JSON; nothing consumes more
    than the 50 uL hold. A dried-out cell is stopped (its failure time is reported)."""
    import json

    from lilean.simulate import simulate_cycling

    for substrate in ("cu", "ag-cu"):
        sym = simulate_symmetric(PARAMS, substrate, 0.5, 0.5, 320.0).to_dict()
        cyc = simulate_cycling(
            PARAMS, substrate, cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, cycles=300
        ).to_dict()
        for d in (sym, cyc):
            st = json.loads(json.dumps(d))["electrolyte"]
            assert 0.0 < st["salt_consumed_percent"] <= 100.0
            assert 0.0 < st["solvent_consumed_percent"] <= 100.0
            assert 0.0 <= st["electrolyte_left_uL"] < 50.0
            assert isinstance(st["dry_out"], bool)
        if sym["electrolyte"]["dry_out"]:
            assert sym["failure_h"] is not None
            assert sym["failure_h"] <= sym["electrolyte"]["test_stopped_h"] + 1e-9


def test_depleted_salt_lowers_the_conductivity() -> None:
    from lilean.models.electrolyte import (
        electrolyte_state_from_fractions,
        valoen_conductivity_mS_cm,
    )

    fresh = electrolyte_state_from_fractions(PARAMS, 1.0, 1.0)
    half = electrolyte_state_from_fractions(PARAMS, 0.5, 1.0)
    assert fresh["conductivity_ratio"] == pytest.approx(1.0)
    assert half["salt_concentration_mol_L"] == pytest.approx(0.5 / (0.87 + 0.13 * 0.5), rel=0.02)
    assert 0.5 < half["conductivity_ratio"] < 1.0
    assert electrolyte_state_from_fractions(PARAMS, 0.0, 1.0)["dry_out"]
    # Valoen & Reimers (2005) at 1 M, 25 C: ~12 mS/cm (PC/EC/DMC)
    assert valoen_conductivity_mS_cm(1.0, 298.15) == pytest.approx(11.9, abs=0.3)
