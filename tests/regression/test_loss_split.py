"""The Li loss split of the calibrated set against its literature basis (docs/identifiability.md,
"Loss split"): Boyle2021 calendar loss, Fang2019 dead-Li dominance, and the symmetric-cell signature
of a per-charge (throughput) loss."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.models import anode as an
from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling, simulate_symmetric

PARAMS = default_parameters()


def test_fresh_cu_deposit_loses_boyle2021_share_in_24_h_at_rest() -> None:
    """Boyle2021: a fresh Li deposit on Cu loses 2-3 % of its charge in 24 h of rest; the set's
    corrosion rate is the closed form for 2.5 % of 1 mAh/cm^2 (calibrate_cell.py): the kernel,
    stepped through the rest, must reproduce it (and Ag@Cu's denser Li loses less)."""
    losses = {}
    for substrate in ("cu", "ag-cu"):
        a = PARAMS.substrate(substrate).anode
        p = an.anode_parameter_vector(a)
        s = an.initial_anode_state(a, 1.0, np.random.default_rng(0))
        s[an.S_AREA] = 1.0
        for _ in range(2400):
            an.anode_step(s, p, 0.0, 36.0)
        losses[substrate] = 1.0 - s[an.S_ACT]
    assert 0.02 <= losses["cu"] <= 0.03
    assert losses["cu"] == pytest.approx(0.025, rel=0.02)
    assert losses["ag-cu"] < losses["cu"]


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_dead_li_dominates_the_lost_li(substrate: str) -> None:
    """Fang2019: in carbonate electrolytes unreacted metallic (dead) Li, not SEI Li+, dominates the
    inactive Li. After 300 N/P 25 cycles at 1C (corrosion SEI included) most lost Li is dead Li."""
    sm = simulate_cycling(
        PARAMS, substrate, cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, cycles=300
    ).summary
    dead = float(sm["Dead Li [mAh/cm2]"].iloc[-1])
    sei = float(sm["SEI Li [mAh/cm2]"].iloc[-1])
    assert dead / (dead + sei) > 0.6


def test_li_cu_symmetric_life_follows_throughput() -> None:
    """Same 1 h half-cycle, half the charge per hour: a per-charge (Coulombic) loss makes the
    0.5 mA/cm2 x 0.5 mAh/cm2 Li-Cu cell last markedly longer than the 1 x 1 cell (a time-based
    corrosion loss would give about the same life); both fail well before Ag@Cu's 320 h."""
    t1 = simulate_symmetric(PARAMS, "cu", 1.0, 1.0, 100.0).to_dict()["failure_h"]
    t05 = simulate_symmetric(PARAMS, "cu", 0.5, 0.5, 320.0).to_dict()["failure_h"]
    assert t1 is not None and t05 is not None
    assert t05 > 1.3 * t1
    assert t05 < 320.0 / 2
