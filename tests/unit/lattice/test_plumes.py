"""Unit tests of the Ag plume lattice model (lilean.lattice.plumes)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.lattice.plumes import (
    AG,
    AGCUF3,
    CU,
    agf_wt_to_mM,
    grow_plumes,
    process_map,
    surface_area_factor,
)
from lilean.parameters import default_parameters

PARAMS = default_parameters()


def _initial_cu_voxels(result) -> int:
    occ = result.occupancy
    n_cols = occ.shape[1] if occ.ndim == 2 else occ.shape[1] * occ.shape[2]
    return (result.cu_surface_index + 1) * n_cols


def test_same_seed_same_structure_and_different_seed_differs() -> None:
    a = grow_plumes(PARAMS, minutes=0.5, size=(96,), seed=3)
    b = grow_plumes(PARAMS, minutes=0.5, size=(96,), seed=3)
    c = grow_plumes(PARAMS, minutes=0.5, size=(96,), seed=4)
    assert np.array_equal(a.occupancy, b.occupancy)
    assert a.to_dict()["surface_area_factor"] == b.to_dict()["surface_area_factor"]
    assert not np.array_equal(a.occupancy, c.occupancy)


@pytest.mark.parametrize(
    ("wt", "dim", "size"), [(1.0, 2, (128,)), (4.0, 2, (96,)), (1.0, 3, (12, 12))]
)
def test_mass_balance_two_ag_per_cu(wt: float, dim: int, size: tuple[int, ...]) -> None:
    """Counted in the lattice: Ag voxels = 2 x Cu voxels removed; reported moles and masses agree."""
    r = grow_plumes(PARAMS, agf_wt_percent=wt, minutes=1.0, size=size, dim=dim, seed=1)
    occ = r.occupancy
    n_ag = int(np.count_nonzero(occ == AG))
    cu_removed = _initial_cu_voxels(r) - int(np.count_nonzero(occ == CU))
    assert n_ag > 0
    assert n_ag == 2 * cu_removed == 2 * r.events
    assert r.ag_moles_per_cm2 == pytest.approx(2 * r.cu_moles_per_cm2, rel=1e-12)
    p = PARAMS.plumes
    ratio = r.ag_loading_mg_cm2 / r.cu_dissolved_mg_cm2
    assert ratio == pytest.approx(2 * p.ag_molar_mass_g_mol.value / p.cu_molar_mass_g_mol.value)
    # loading from the voxel count, computed independently: N_ag a^3 rho_Ag / projected area
    a_cm = p.lattice_spacing_nm.value * 1e-7
    n_cols = occ.shape[1] if occ.ndim == 2 else occ.shape[1] * occ.shape[2]
    mg = n_ag * a_cm**3 * p.ag_density_g_cm3.value * 1e3 / (n_cols * a_cm**2)
    assert r.ag_loading_mg_cm2 == pytest.approx(mg, rel=1e-9)


def test_ag_supply_follows_cottrell_before_passivation() -> None:
    """Ag deposited = 2 c sqrt(D t / pi) (Cottrell, integrated) when the Cu is not passivated."""
    r = grow_plumes(PARAMS, agf_wt_percent=0.5, minutes=1.0, size=(128,), seed=0)
    assert not r.passivated
    c = agf_wt_to_mM(PARAMS, 0.5)  # mol/m^3
    d = PARAMS.plumes.ag_diffusion_coefficient_m2_s.value
    n_mol_cm2 = 2 * c * math.sqrt(d * 60.0 / math.pi) * 1e-4
    assert r.ag_moles_per_cm2 == pytest.approx(n_mol_cm2, rel=0.02)


def test_wt_percent_conversion() -> None:
    # 1 wt% AgF: 10 g/L / 126.87 g/mol = 78.8 mM (system.md: ~79 mM)
    assert agf_wt_to_mM(PARAMS, 1.0) == pytest.approx(10.0 / 126.866 * 1e3, rel=1e-6)
    assert agf_wt_to_mM(PARAMS, 1.0) == pytest.approx(79.0, rel=0.01)


def test_surface_area_factor_of_simple_shapes() -> None:
    flat = np.zeros((6, 10), dtype=np.uint8)
    flat[:2] = CU
    assert surface_area_factor(flat) == pytest.approx(1.0)
    pillar = flat.copy()
    pillar[2:5, 3] = AG  # a 3-voxel Ag pillar adds 2 x 3 side faces over 10 columns
    assert surface_area_factor(pillar) == pytest.approx(1.0 + 6 / 10)
    covered = pillar.copy()
    covered[5, 3] = AGCUF3  # AgCuF3 cap hides the pillar's top face
    assert surface_area_factor(covered) == pytest.approx(1.0 + 6 / 10 - 1 / 10)
    flat3 = np.zeros((4, 5, 5), dtype=np.uint8)
    flat3[:1] = CU
    assert surface_area_factor(flat3) == pytest.approx(1.0)


def test_descriptors_are_physical() -> None:
    r = grow_plumes(PARAMS, agf_wt_percent=1.0, minutes=1.0, size=(128,), seed=2)
    d = r.to_dict()
    for key in (
        "surface_area_factor",
        "coverage",
        "porosity",
        "plume_height_um",
        "ag_loading_mg_cm2",
        "cu_dissolved_mg_cm2",
    ):
        assert key in d and np.isfinite(d[key])
    assert 0.0 < d["coverage"] <= 1.0
    assert 0.0 < d["porosity"] < 1.0
    assert d["surface_area_factor"] > 2.0  # a porous plume layer, far above a flat surface
    # plume height within the lattice and above the dense-Ag thickness (porous layer)
    dense_um = r.ag_moles_per_cm2 * 107.868 / 10.49 * 1e4
    assert dense_um < d["plume_height_um"] < r.occupancy.shape[0] * r.voxel_size_um
    assert r.occupancy.dtype == np.uint8
    assert set(np.unique(r.occupancy)) <= {0, 1, 2, 3}


def test_three_dimensional_growth() -> None:
    r = grow_plumes(PARAMS, minutes=0.5, size=(12, 12), dim=3, seed=0)
    assert r.occupancy.ndim == 3
    assert r.occupancy.shape[1:] == (12, 12)
    assert r.surface_area_factor > 1.5


def test_more_agf_precipitates_more_agcuf3() -> None:
    low = grow_plumes(PARAMS, agf_wt_percent=0.5, minutes=1.0, size=(128,), seed=0)
    high = grow_plumes(PARAMS, agf_wt_percent=4.0, minutes=1.0, size=(128,), seed=0)
    assert high.agcuf3_fraction > low.agcuf3_fraction


def test_process_map_rows() -> None:
    frame = process_map(PARAMS, [0.5, 1.0], [0.5, 1.0], size=(64,), seed=0)
    assert len(frame) == 4
    assert {"agf_wt_percent", "minutes", "surface_area_factor", "porosity"} <= set(frame.columns)


@pytest.mark.parametrize(
    "kwargs",
    [{"dim": 4}, {"size": (2,)}, {"size": (8, 8), "dim": 2, "minutes": -1}, {"minutes": -1.0}],
)
def test_bad_input_raises_parameter_error(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        grow_plumes(PARAMS, **kwargs)


def test_cli_simulate_plumes_json_and_plot(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from lilean.cli import app

    args = ["simulate", "plumes", "--agf-wt", "1.0", "--minutes", "0.5", "--size", "64"]
    res = CliRunner().invoke(app, [*args, "--json", "--plot", str(tmp_path)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    for key in (
        "surface_area_factor",
        "coverage",
        "porosity",
        "plume_height_um",
        "ag_loading_mg_cm2",
        "cu_dissolved_mg_cm2",
    ):
        assert key in payload
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".png", ".svg"]
    bad = CliRunner().invoke(app, ["simulate", "plumes", "--dim", "5"])
    assert bad.exit_code == 2


def test_cli_plumes_map(tmp_path) -> None:
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from lilean.cli import app

    out = tmp_path / "map.parquet"
    grid = ["plumes", "map", "--agf-wt", "0.5,1", "--minutes", "0.5,1", "--size", "48"]
    res = CliRunner().invoke(app, [*grid, "--json", "--out", str(out), "--plot", str(tmp_path)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert len(payload["cases"]) == 4
    frame = pd.read_parquet(out)
    assert payload["optimum"]["surface_area_factor"] == frame["surface_area_factor"].max()
    assert (tmp_path / "plumes_process_map.png").exists()
