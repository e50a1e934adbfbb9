"""The Ag plume process window of Zhang et al. (2023) comes out of the lattice mechanism.

Study (system.md section 2): too little AgF / too short -> plumes incomplete; too much AgF / too long
-> structure degraded; optimum (largest surface area) at 1 wt% AgF, 2 min. Here: the maximum of the
simulated surface area factor over 0.25-4 wt% x 0.5-8 min must lie at 0.5-2 wt% and 1-4 min and
both corners must be clearly lower.
"""

from __future__ import annotations

import pytest

from lilean.lattice.plumes import process_map
from lilean.parameters import default_parameters

CONC = [0.25, 0.5, 1.0, 2.0, 4.0]
MINUTES = [0.5, 1.0, 2.0, 4.0, 8.0]


@pytest.fixture(scope="module")
def frame():
    return process_map(default_parameters(), CONC, MINUTES, size=(256,), seed=0)


@pytest.mark.slow
def test_optimum_inside_the_window(frame) -> None:
    best = frame.loc[frame["surface_area_factor"].idxmax()]
    assert 0.5 <= best["agf_wt_percent"] <= 2.0
    assert 1.0 <= best["minutes"] <= 4.0


@pytest.mark.slow
def test_corners_lower_than_optimum(frame) -> None:
    saf = frame.set_index(["agf_wt_percent", "minutes"])["surface_area_factor"]
    best = saf.max()
    low_short = saf[(0.25, 0.5)]  # incomplete plumes
    high_long = saf[(4.0, 8.0)]  # degraded: AgCuF3 + coarsening
    assert low_short < 0.5 * best
    assert high_long < 0.5 * best
    # the study's recipe is near the top of the map
    assert saf[(1.0, 2.0)] > 0.9 * best


@pytest.mark.slow
def test_high_concentration_degrades_by_agcuf3(frame) -> None:
    rows = frame.set_index(["agf_wt_percent", "minutes"])
    assert rows.loc[(4.0, 8.0), "agcuf3_fraction"] > rows.loc[(0.5, 2.0), "agcuf3_fraction"]
    # incomplete plumes: less Ag and lower coverage at low concentration, short time
    assert rows.loc[(0.25, 0.5), "ag_loading_mg_cm2"] < rows.loc[(1.0, 2.0), "ag_loading_mg_cm2"]
    assert rows.loc[(0.25, 0.5), "coverage"] < rows.loc[(1.0, 2.0), "coverage"]
