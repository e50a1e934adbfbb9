"""The study's deposition-morphology sequence reproduced by the lattice model (system.md section 4).

Ag@Cu at 1 mA/cm^2: Li coats the plumes at 2 mAh/cm^2, fills the gaps at 4, buries the plumes at 6,
smooth surface at 8. Bare Cu: uneven at 0.2, mossy at 1 mAh/cm^2. Every number below is a descriptor
of :func:`lilean.lattice.deposition.describe` or is counted here from the voxel arrays; the
bounds are the qualitative SEM statements turned into thresholds, checked on two seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean.lattice import deposition as dl
from lilean.parameters import default_parameters

SEEDS = (0, 1)
AG_SNAPSHOTS = (1.0, 2.0, 4.0, 6.0, 8.0)
CU_SNAPSHOTS = (0.2, 1.0, 2.0, 4.0, 6.0, 8.0)


@pytest.fixture(scope="module")
def params():
    return default_parameters()


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def runs(request, params):
    seed = request.param
    cu = dl.deposit_li(params, "cu", capacity_mAh_cm2=10.0, snapshots=CU_SNAPSHOTS, seed=seed)
    ag = dl.deposit_li(params, "ag-cu", capacity_mAh_cm2=10.0, snapshots=AG_SNAPSHOTS, seed=seed)
    return cu, ag


def row(result, capacity):
    d = result.descriptors
    return d[np.isclose(d["capacity_mAh_cm2"], capacity)].iloc[0]


def snap(result, capacity):
    return result.occupancy[result.capacities_mAh_cm2.index(capacity)]


def test_nucleation_barrier_comes_from_the_nucleation_model(runs):
    cu, ag = runs
    # same parameters as the cell model: ~365 mV on Cu, ~41 mV on Ag@Cu at 1 mA/cm^2 (targets)
    assert cu.meta["nucleation_overpotential_mV"] == pytest.approx(365, abs=25)
    assert ag.meta["nucleation_overpotential_mV"] == pytest.approx(41, abs=10)
    assert cu.meta["nuclei_density_cm2"] < ag.meta["nuclei_density_cm2"]


def test_ag_cu_2_mAh_li_coats_the_plumes(runs):
    _, ag = runs
    occ0 = ag.initial
    ag0 = int(np.sum(occ0 == dl.AG))
    # share of the Ag voxels fully lithiated (counted here from the lattice); the rest lie inside
    # the stems, out of contact with the electrolyte
    lith1, lith2 = (int(np.sum(snap(ag, q) == dl.LIAG)) / ag0 for q in (1.0, 2.0))
    assert lith2 > 0.3
    assert lith2 >= lith1
    r1, r2 = row(ag, 1.0), row(ag, 2.0)
    assert r2["plume_surface_coverage"] > r1["plume_surface_coverage"]
    assert r2["plume_surface_coverage"] >= 0.45
    # plumes still visible: not buried yet (EDS still sees Ag, Cu, F)
    assert r2["buried_plume_fraction"] < 0.85


def test_ag_cu_4_mAh_li_fills_the_gaps(runs):
    _, ag = runs
    g1, g2, g4 = (row(ag, q)["gap_fill_fraction"] for q in (1.0, 2.0, 4.0))
    assert g1 < 0.25
    assert g4 >= 0.65
    assert g4 > g2 + 0.1


def test_ag_cu_6_mAh_plumes_buried(runs):
    _, ag = runs
    assert row(ag, 6.0)["buried_plume_fraction"] >= 0.95
    # every plume column carries Li above its top at 6 (counted here)
    occ = snap(ag, 6.0)
    ini = ag.initial
    plume = (ini == dl.AG) | (ini == dl.AGCUF3)
    cols = np.flatnonzero(plume.any(axis=0))
    tops = np.array([np.flatnonzero(plume[:, c]).max() for c in cols])
    li_above = [
        np.any(np.isin(occ[t + 1 :, c], (dl.LI, dl.LIAG))) for t, c in zip(tops, cols, strict=True)
    ]
    assert np.mean(li_above) >= 0.95


def test_ag_cu_8_mAh_smooth(runs):
    cu, ag = runs
    r2, r6, r8 = (row(ag, q)["roughness_um"] for q in (2.0, 6.0, 8.0))
    assert r8 < 0.5 * r2
    assert r8 < 0.7 * row(cu, 1.0)["roughness_um"]
    assert r8 < 0.5 * row(cu, 8.0)["roughness_um"]
    # in the model the surface is already smooth at 6 (plumes buried at 4-6): 8 is no rougher
    # than 6 within the seed-to-seed scatter (+-25 %), not strictly smoother
    assert r8 <= 1.3 * r6
    # no protrusions: max height within 4 um of the mean
    assert row(ag, 8.0)["max_height_um"] - row(ag, 8.0)["mean_height_um"] < 4.0


def test_cu_0p2_mAh_isolated_nuclei_uneven(runs, params):
    cu, _ = runs
    r = row(cu, 0.2)
    assert 4 <= r["li_islands"] <= 40  # a few isolated deposits on 80 um of foil
    assert r["substrate_coverage"] < 0.9
    per_column = np.sum(snap(cu, 0.2) == dl.LI, axis=0)
    assert np.mean(per_column == 0) > 0.1  # bare Cu between the deposits
    assert per_column.std() / per_column.mean() > 0.5  # uneven (counted here)


def test_cu_1_mAh_mossy(runs, params):
    cu, _ = runs
    r02, r1 = row(cu, 0.2), row(cu, 1.0)
    t1 = 3.6 / 96485.33212 * params.substrates["cu"].nucleation.li_molar_volume_cm3_mol.value * 1e4
    base_um = dl.CU_BASE_VOXELS * cu.voxel_size_um
    # porous: thicker than dense Li, with internal electrolyte, and rougher than at 0.2
    assert r1["mean_height_um"] - base_um > 1.1 * t1
    assert r1["porosity"] > 0.08
    assert r1["roughness_um"] > 1.5 * r02["roughness_um"]
    assert r1["contact_area_ratio"] > 3.0
    assert r1["li_islands"] < r02["li_islands"]


def test_cu_rougher_than_ag_cu_once_the_plumes_are_buried(runs):
    cu, ag = runs
    for q in (6.0, 8.0):
        c, a = row(cu, q), row(ag, q)
        assert c["roughness_um"] > 1.5 * a["roughness_um"]
        assert c["contact_area_ratio"] > 2.0 * a["contact_area_ratio"]
        assert c["max_height_um"] > a["max_height_um"]
        assert c["porosity"] > a["porosity"]


@pytest.mark.xfail(
    strict=True,
    reason="at 1 mAh/cm^2 the Ag@Cu surface is still the bare 20-25 um plume host, whose roughness, "
    "height and (Li-coated) area exceed those of the thin mossy Li on Cu; the study compares SEM "
    "images, not these descriptors",
)
def test_cu_rougher_than_ag_cu_at_1_mAh(runs):
    cu, ag = runs
    c, a = row(cu, 1.0), row(ag, 1.0)
    assert c["roughness_um"] > a["roughness_um"]
    assert c["max_height_um"] > a["max_height_um"]
    assert c["contact_area_ratio"] > a["contact_area_ratio"]


def test_contact_area_factor_consistency_with_calibrated_anode(runs, params):
    """Independent check of the anode model's calibrated contact-area ratio.

    Set from this lattice (anode.toml, assumed): s(ag-cu) / s(cu) = 0.21 / 1.0 (s in cm^2/mAh); the check guards the two from drifting apart. Lattice:
    s = (A(10 mAh/cm^2) - 1) / 10 per substrate. Tolerance: within a factor of 2 (the lattice is 2D,
    its parameters are order-of-magnitude estimates, and Cu's s = 1 is itself assumed).
    """
    cu, ag = runs
    lattice = dl.lattice_specific_area_cm2_per_mAh(ag) / dl.lattice_specific_area_cm2_per_mAh(cu)
    calibrated = (
        params.substrates["ag-cu"].anode.specific_area_cm2_per_mAh.value
        / params.substrates["cu"].anode.specific_area_cm2_per_mAh.value
    )
    assert 0.5 * calibrated <= lattice <= 2.0 * calibrated


def test_contact_area_factor_function(params):
    f = dl.contact_area_factor(params, "ag-cu", capacity_mAh_cm2=4.0, size=(80,), seeds=(2,))
    assert 0 < f < 1
    assert dl.contact_area_factor(params, "cu", capacity_mAh_cm2=1.0, size=(40,)) == pytest.approx(
        1.0
    )


def test_higher_current_density_roughens_cu(params):
    kw = {"capacity_mAh_cm2": 2.0, "size": (120,), "nucleation_overpotential_mV": 365.0}
    slow = dl.deposit_li(params, "cu", current_density_mA_cm2=0.2, seed=4, **kw)
    fast = dl.deposit_li(params, "cu", current_density_mA_cm2=5.0, seed=4, **kw)
    assert (
        fast.descriptors["contact_area_ratio"].iloc[-1]
        > slow.descriptors["contact_area_ratio"].iloc[-1]
    )
    assert fast.descriptors["porosity"].iloc[-1] > slow.descriptors["porosity"].iloc[-1]


@pytest.mark.slow
def test_three_dimensional_sequence(params):
    """The same stages on a 3D lattice (32 x 32 columns): buried at 6, smooth at 8, Cu rougher."""
    kw = {"capacity_mAh_cm2": 8.0, "size": (32, 32), "seed": 0}
    ag = dl.deposit_li(
        params, "ag-cu", snapshots=(2.0, 4.0, 6.0), nucleation_overpotential_mV=41, **kw
    )
    cu = dl.deposit_li(params, "cu", nucleation_overpotential_mV=365, **kw)
    assert row(ag, 4.0)["gap_fill_fraction"] > row(ag, 2.0)["gap_fill_fraction"]
    assert row(ag, 6.0)["buried_plume_fraction"] >= 0.9
    assert row(ag, 8.0)["roughness_um"] < 0.5 * row(ag, 2.0)["roughness_um"]
    assert row(cu, 8.0)["roughness_um"] > 2.0 * row(ag, 8.0)["roughness_um"]
    assert row(cu, 8.0)["contact_area_ratio"] > 2.0 * row(ag, 8.0)["contact_area_ratio"]
