"""Unit tests of the Li deposition lattice model (lilean.lattice.deposition)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.lattice import deposition as dl
from lilean.parameters import default_parameters

F = 96485.33212
R = 8.314462618


@pytest.fixture(scope="module")
def params():
    return default_parameters()


def test_dense_li_thickness_from_molar_volume():
    # 1 mAh = 3.6 C; 3.6 / F mol of Li x 13.0 cm^3/mol = 4.85e-4 cm
    assert dl.li_thickness_um_per_mAh_cm2(13.0) == pytest.approx(3.6 / F * 13.0 * 1e4, rel=1e-12)
    assert dl.li_thickness_um_per_mAh_cm2(13.0) == pytest.approx(4.85, abs=0.01)


def test_sticking_ratio_is_the_butler_volmer_factor(params):
    alpha = params.substrates["cu"].nucleation.charge_transfer_coefficient.value
    t_k = params.cell.temperature_C.value + 273.15
    p_li, p_cu = dl.sticking_probabilities(params, "cu", 1.0, 365.0, active_area_ratio=1.0)
    assert p_cu / p_li == pytest.approx(math.exp(-alpha * F * 0.365 / (R * t_k)), rel=1e-9)
    da = params.deposition.damkohler_1mA.value
    assert p_li == pytest.approx(da / (1 + da))
    # larger reacting area -> lower local current density -> lower sticking probability
    p_big, _ = dl.sticking_probabilities(params, "cu", 1.0, 365.0, active_area_ratio=10.0)
    assert p_big < p_li
    p_fast, _ = dl.sticking_probabilities(params, "cu", 5.0, 365.0, active_area_ratio=1.0)
    assert p_fast > p_li


def test_descriptors_of_a_flat_film():
    occ = np.zeros((12, 20), np.uint8)
    occ[:2] = dl.CU
    ini = occ.copy()
    occ[2:6] = dl.LI
    d = dl.describe(occ, ini, 0.5, 1.0)
    assert d["roughness_um"] == 0.0
    assert d["max_height_um"] == pytest.approx(6 * 0.5)
    assert d["contact_area_ratio"] == pytest.approx(1.0)  # only the top faces
    assert d["porosity"] == 0.0
    assert d["substrate_coverage"] == 1.0
    assert d["li_islands"] == 1
    assert math.isnan(d["gap_fill_fraction"])


def test_descriptors_of_a_single_spike():
    nx, h = 10, 5
    occ = np.zeros((12, nx), np.uint8)
    occ[:2] = dl.CU
    ini = occ.copy()
    occ[2 : 2 + h, 3] = dl.LI
    d = dl.describe(occ, ini, 1.0, 0.1)
    # faces: top 1 + two sides of h voxels, per projected column
    assert d["contact_area_ratio"] == pytest.approx((1 + 2 * h) / nx)
    heights = np.full(nx, 2.0)
    heights[3] = 2 + h
    assert d["roughness_um"] == pytest.approx(heights.std())
    assert d["substrate_coverage"] == pytest.approx(1 / nx)
    assert d["thickness_cv"] == pytest.approx(np.array([0] * 3 + [h] + [0] * 6).std() / (h / nx))


def test_charge_is_conserved_on_cu(params):
    q = 0.5
    r = dl.deposit_li(
        params, "cu", capacity_mAh_cm2=q, size=(60,), seed=3, nucleation_overpotential_mV=365
    )
    t1 = 3.6 / F * params.substrates["cu"].nucleation.li_molar_volume_cm3_mol.value * 1e4
    expected = round(q * t1 / params.deposition.voxel_size_um.value * 60)
    assert int(np.sum(r.occupancy[-1] == dl.LI)) == expected
    assert np.array_equal(r.occupancy[-1][:2], r.initial[:2])  # the Cu foil is untouched


def test_ag_absorbs_li_first(params):
    ini = dl.synthetic_plume_structure((60,), seed=1)
    r = dl.deposit_li(
        params,
        "ag-cu",
        capacity_mAh_cm2=0.05,
        structure=ini,
        seed=1,
        nucleation_overpotential_mV=41,
    )
    occ = r.occupancy[-1]
    n_li, n_alloy = int(np.sum(occ == dl.LI)), int(np.sum(occ == dl.LIAG))
    assert n_alloy > 0
    # barrier-free alloying takes most of the first walkers (the rest plate as Li metal)
    assert n_li < 0.5 * r.meta["walkers"]
    assert r.meta["structure"] == "user"


def test_seeded_and_deterministic(params):
    kw = {"capacity_mAh_cm2": 0.3, "size": (40,), "nucleation_overpotential_mV": 365.0}
    a = dl.deposit_li(params, "cu", seed=7, **kw)
    b = dl.deposit_li(params, "cu", seed=7, **kw)
    c = dl.deposit_li(params, "cu", seed=8, **kw)
    assert np.array_equal(a.occupancy[-1], b.occupancy[-1])
    assert not np.array_equal(a.occupancy[-1], c.occupancy[-1])


def test_three_dimensional_run(params):
    r = dl.deposit_li(
        params, "ag-cu", capacity_mAh_cm2=0.5, size=(16, 12), seed=0, nucleation_overpotential_mV=41
    )
    occ = r.occupancy[-1]
    assert occ.ndim == 3 and occ.shape[1:] == (12, 16)
    assert r.meta["dim"] == 3
    assert np.any(occ == dl.LIAG)
    assert r.descriptors["contact_area_ratio"].iloc[-1] > 0


def test_accepts_grow_plumes_structure(params):
    plumes = pytest.importorskip("lilean.lattice.plumes")
    res = plumes.grow_plumes(params, size=(48,), dim=2, seed=0)
    r = dl.deposit_li(
        params,
        "ag-cu",
        capacity_mAh_cm2=0.01,
        structure=res.occupancy,
        voxel_size_um=res.voxel_size_um,
        nucleation_overpotential_mV=41,
    )
    assert r.voxel_size_um == res.voxel_size_um
    assert np.any(r.occupancy[-1] >= dl.LI)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"capacity_mAh_cm2": -1.0}, "must be > 0"),
        ({"capacity_mAh_cm2": 1.0, "snapshots": (2.0,)}, "snapshots"),
        ({"capacity_mAh_cm2": 1.0, "current_density_mA_cm2": 0.0}, "current_density"),
        ({"capacity_mAh_cm2": 1.0, "structure": np.full((4, 4), 7, np.uint8)}, "codes"),
    ],
)
def test_bad_input(params, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        dl.deposit_li(params, "cu", nucleation_overpotential_mV=365, **kwargs)
    with pytest.raises(ParameterError, match="unknown substrate"):
        dl.deposit_li(params, "gold", capacity_mAh_cm2=1.0)


def test_to_dict_plot_and_cli(params, tmp_path):
    from typer.testing import CliRunner

    from lilean.cli import app
    from lilean.plotting.morphology import plot_deposition_sequence

    r = dl.deposit_li(
        params,
        "ag-cu",
        capacity_mAh_cm2=0.4,
        snapshots=(0.2,),
        size=(40,),
        nucleation_overpotential_mV=41,
    )
    d = json.loads(json.dumps(r.to_dict()))
    assert [row["capacity_mAh_cm2"] for row in d["descriptors"]] == [0.2, 0.4]
    fig = plot_deposition_sequence(r)
    assert len([ax for ax in fig.axes if ax.images]) == 2
    res = CliRunner().invoke(
        app,
        [
            "simulate",
            "morphology",
            "-s",
            "cu",
            "--capacities",
            "0.1,0.2",
            "--width",
            "30",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["substrate"] == "cu" and len(out["descriptors"]) == 2
    bad = CliRunner().invoke(app, ["simulate", "morphology", "-s", "cu", "--capacities", "x"])
    assert bad.exit_code == 2


def test_unreachable_sites_raise_instead_of_hanging(params):
    # a 100 V nucleation overpotential makes p_Cu underflow to 0 on bare Cu: nothing can plate
    with pytest.raises(ParameterError, match="no site"):
        dl.deposit_li(
            params, "cu", capacity_mAh_cm2=0.01, size=(8,), nucleation_overpotential_mV=1e5
        )


def test_progress_reports_plated_capacity(params):
    seen = []
    dl.deposit_li(
        params,
        "cu",
        capacity_mAh_cm2=0.5,
        size=(24,),
        nucleation_overpotential_mV=300.0,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(seen) >= 5  # one call per 0.1 mAh/cm^2 chunk
    assert all(total == 0.5 for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == pytest.approx(0.5, abs=0.01)
