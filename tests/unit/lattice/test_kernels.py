"""The shared lattice kernels: random numbers, periodic neighbours, layout of the package."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from lilean.lattice import codes, kernels

SRC = Path(__file__).resolve().parents[3] / "src"
LATTICE = SRC / "lilean" / "lattice"


@numba.njit(cache=False)
def _draw(seed_state: np.uint64, n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    ints = np.empty(count, np.int64)
    units = np.empty(count, np.float64)
    s = seed_state
    for k in range(count):
        s = kernels.rng_next(s)
        ints[k] = kernels.rand_below(s, n)
        s = kernels.rng_next(s)
        units[k] = kernels.rand_unit(s)
    return ints, units


@numba.njit(cache=False)
def _wrap_all(n: int) -> np.ndarray:
    out = np.empty(3 * n, np.int64)
    for i in range(-n, 2 * n):
        out[i + n] = kernels.wrap(i, n)
    return out


def test_wrap_is_modulo_one_period_either_side() -> None:
    for n in (1, 2, 7, 64):
        i = np.arange(-n, 2 * n)
        assert np.array_equal(_wrap_all(n), i % n)


def test_random_numbers_are_seeded_uniform_and_in_range() -> None:
    ints, units = _draw(kernels.seed_state(7), 6, 200_000)
    again, _ = _draw(kernels.seed_state(7), 6, 200_000)
    other, _ = _draw(kernels.seed_state(8), 6, 200_000)
    assert np.array_equal(ints, again)  # same seed, same stream
    assert not np.array_equal(ints, other)
    assert ints.min() == 0 and ints.max() == 5
    counts = np.bincount(ints, minlength=6)
    expected = len(ints) / 6
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 25.0  # 5 degrees of freedom: p ~ 1e-4
    assert 0.0 <= units.min() and units.max() < 1.0
    assert abs(units.mean() - 0.5) < 0.005
    assert abs(np.corrcoef(units[:-1], units[1:])[0, 1]) < 0.01
    # successive directions carry no memory (a random walk's transition matrix is flat)
    pairs = np.zeros((6, 6))
    np.add.at(pairs, (ints[:-1], ints[1:]), 1)
    rows = pairs / pairs.sum(axis=1, keepdims=True)
    assert np.abs(rows - 1 / 6).max() < 0.01


def test_seed_state_is_the_splitmix64_mix() -> None:
    # reference values of splitmix64 (Steele et al. 2014) for seed 0: first output of the sequence
    assert int(kernels.seed_state(0)) == 0xE220A8397B1DCDAF
    assert len({int(kernels.seed_state(k)) for k in range(1000)}) == 1000


def test_solid_neighbours_counts_faces_with_periodic_sides() -> None:
    occ = np.zeros((4, 1, 5), np.uint8)
    occ[0, 0, :] = codes.CU
    occ[1, 0, 4] = codes.AG  # left neighbour of x = 0 through the periodic side
    # (1, 0): Cu below, Ag on the periodic left -> 2 of 4 faces
    assert kernels.solid_neighbours(occ, 1, 0, 0, 4) == 2
    # z = 0 counts the substrate below as solid
    assert kernels.solid_neighbours(occ, 0, 0, 2, 4) == 3
    assert kernels.solid_neighbours(occ, 3, 0, 2, 4) == 0
    assert kernels.exposed(occ, 0, 0, 2, 4)
    assert kernels.is_conductor(codes.LI) and not kernels.is_conductor(codes.AGCUF3)


def test_one_list_of_codes_shared_by_both_models() -> None:
    from lilean.lattice import deposition, plumes

    assert codes.CODES == {"empty": 0, "cu": 1, "ag": 2, "agcuf3": 3, "li": 4, "liag": 5}
    for name in ("EMPTY", "CU", "AG", "AGCUF3"):
        assert getattr(plumes, name) == getattr(deposition, name) == getattr(codes, name)


def test_no_private_cross_module_imports_in_the_lattice_package() -> None:
    for path in LATTICE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lilean"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"


def test_import_deletes_no_numba_cache_file(tmp_path: Path) -> None:
    """The old modules deleted their cache files at import; the lattice package never does."""
    cache = LATTICE / "__pycache__"
    cache.mkdir(exist_ok=True)
    stale = [cache / "kernels.lilean-test-stale.nbi", cache / "deposition.lilean-test-stale.nbi"]
    try:
        for f in stale:
            f.write_bytes(b"")
            os.utime(f, (0, 0))  # older than every source file
        code = (
            "import lilean.lattice.plumes, lilean.lattice.deposition, "
            "lilean.models.plumes, lilean.models.deposition_lattice"
        )
        subprocess.run(
            [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(SRC)}
        )
        assert all(f.exists() for f in stale)
    finally:
        for f in stale:
            f.unlink(missing_ok=True)


def test_old_module_paths_reexport_the_lattice_package() -> None:
    from lilean.lattice import deposition, plumes
    from lilean.models import deposition_lattice as old_dl
    from lilean.models import plumes as old_plumes

    assert old_plumes.grow_plumes is plumes.grow_plumes
    assert old_plumes.process_map is plumes.process_map
    assert old_plumes.PlumeResult is plumes.PlumeResult
    assert old_dl.deposit_li is deposition.deposit_li
    assert old_dl.describe is deposition.describe
    assert old_dl.LIAG == deposition.LIAG == 5


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_deposition_reports_site_updates(substrate: str) -> None:
    from lilean.lattice.deposition import deposit_li
    from lilean.parameters import default_parameters

    r = deposit_li(
        default_parameters(),
        substrate,
        capacity_mAh_cm2=0.3,
        size=(32,),
        nucleation_overpotential_mV=300.0,
    )
    assert r.meta["site_updates"] >= r.meta["walkers"] > 0
    assert r.meta["kernel_cpu_s"] >= 0.0


def test_deposition_work_lattice_stays_consistent() -> None:
    """The Li walker keeps neighbour bits and the reacting face count up to date by local updates:
    after a run they equal a fresh recomputation (and the numpy face count of the model)."""
    from lilean.lattice import codes as codes_mod
    from lilean.lattice import deposition

    for size in ((40,), (12, 12), (2,), (6, 2)):  # (2,), (6, 2): a voxel its own neighbour twice
        occ = deposition._as3d(deposition.synthetic_plume_structure(size, height_um=5.0))
        nz0 = occ.shape[0]
        occ = np.concatenate([occ, np.zeros((60, *occ.shape[1:]), np.uint8)])
        hmax = int(np.nonzero(occ.any(axis=(1, 2)))[0].max())
        w, faces = kernels.init_deposit_lattice(occ, hmax)
        alloy = np.zeros(occ.shape)
        li_site = np.full(4000, -1, np.int64)
        placed = 0
        n_walk = min(150, 4 * occ.shape[1] * occ.shape[2])  # ~4 rows per chunk on narrow ones
        for chunk in range(6):
            if chunk == 3:
                faces = kernels.passivate_li(w, li_site, 0, placed // 2, faces)
            done, hmax, stalled, steps, faces = kernels.deposit_li_chunk(
                w, alloy, li_site, n_walk, 0.3, 0.01, 3.0, 0.6, 2, kernels.seed_state(chunk),
                hmax, placed, 0.05, 10_000_000, 5, faces,
            )  # fmt: skip
            assert not stalled and steps > done > 0
            placed += done
        again = w.copy()
        kernels._refresh_rows(again, 0, again.shape[0])
        # exact: every code and free-direction bit, and the neighbour codes of electrolyte voxels
        # (where walkers stand); those of solid voxels are never read and not maintained
        keep = np.uint16(7 | (0x3F << 9))
        assert np.array_equal(again & keep, w & keep)
        electrolyte = (w & 7) == 0
        assert np.array_equal(again[electrolyte], w[electrolyte])
        codes = w & 7
        fresh = codes != kernels.LI_SEI
        assert (codes == kernels.LI_SEI).any() and (codes == codes_mod.LI).any()
        plain = kernels.deposit_codes(w, w.shape[0])
        assert faces == round(
            deposition.active_area_ratio(plain, fresh) * plain.shape[1] * plain.shape[2]
        )
        assert plain.shape[0] >= nz0 and kernels.LI_SEI not in plain


@numba.njit(cache=False)
def _direction_counts(bias: float, ndir: int, n: int, s: np.uint64) -> np.ndarray:
    c = kernels.move_thresholds(bias, ndir)
    counts = np.zeros(6, np.int64)
    for _ in range(n):
        s = kernels.rng_next(s)
        counts[kernels.move_direction(kernels._mix(s), c)] += 1
    return counts


@pytest.mark.parametrize("ndir", [4, 6])
@pytest.mark.parametrize("bias", [0.0, 0.6, 0.95])
def test_walker_direction_is_the_drift_mixture(bias: float, ndir: int) -> None:
    """Towards the electrode (d = 1) with probability b + (1 - b) / ndir, every other direction
    (1 - b) / ndir (the +x / -x and +y / -y pairs alike: no lateral drift), within 5 sigma."""
    n = 2_000_000
    counts = _direction_counts(bias, ndir, n, kernels.seed_state(7))
    assert counts[ndir:].sum() == 0
    q = (1.0 - bias) / ndir
    expected = np.full(ndir, q)
    expected[1] += bias
    sigma = np.sqrt(n * expected * (1 - expected))
    assert np.all(np.abs(counts[:ndir] - n * expected) < 5 * sigma + 1)


def test_reaction_thresholds_follow_the_neighbour_codes() -> None:
    """Next to Ag always (alloying), next to fresh Li / Li-Ag p_Li, SEI-covered Li only p_old,
    bare Cu p_Cu (unless higher), AgCuF3 or nothing never; ``u < T`` on 32-bit ``u``."""
    p_li, p_cu, p_old = 0.25, 0.01, 0.05
    thr = kernels.reaction_thresholds(p_li, p_cu, p_old)
    bit = {c: 1 << (c - 1) for c in (1, 2, 3, 4, 5, 6)}  # index bit of code c: (word >> 3) & 63
    full = 2**32
    assert thr[0] == 0 and thr[bit[codes.AGCUF3]] == 0
    assert thr[bit[codes.AG]] == full and thr[bit[codes.AG] | bit[codes.CU]] == full
    assert thr[bit[codes.LI]] == thr[bit[codes.LIAG]] == int(p_li * full)
    assert thr[bit[kernels.LI_SEI]] == int(p_old * full)
    assert thr[bit[kernels.LI_SEI] | bit[codes.LI]] == int(p_li * full)
    assert thr[bit[codes.CU]] == int(p_cu * full)
    assert thr[bit[codes.CU] | bit[kernels.LI_SEI]] == int(p_old * full)


@numba.njit(cache=False)
def _both_directions(bias: float, ndir: int, us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = kernels.move_thresholds(bias, ndir)
    dtab = kernels.direction_table(c)
    direct = np.empty(len(us), np.int64)
    table = np.empty(len(us), np.int64)
    for k in range(len(us)):
        r = np.uint64(us[k])
        direct[k] = kernels.move_direction(r, c)
        table[k] = kernels.table_direction(r, dtab, c)
    return direct, table


@pytest.mark.parametrize("ndir", [4, 6])
@pytest.mark.parametrize("bias", [0.0, 0.37, 0.6, 0.95, 1.0])
def test_direction_table_gives_the_same_direction_as_the_compares(bias: float, ndir: int) -> None:
    """The walker's table look-up (:func:`kernels.table_direction`) equals
    :func:`kernels.move_direction` for every number: at each threshold and its neighbours, at
    every bin edge, and at random numbers (high bits set too: only the low 32 bits count)."""
    c = kernels.move_thresholds(bias, ndir).astype(np.int64)
    dtab = kernels.direction_table(kernels.move_thresholds(bias, ndir))
    assert dtab.shape == (1024,) and dtab.dtype == np.uint8
    assert int((dtab == 255).sum()) <= 5  # only bins holding a threshold fall back
    width = 1 << 22
    edges = np.arange(1024, dtype=np.int64) * width
    near = (c[c < 2**32][:, None] + np.arange(-2, 3)[None, :]).ravel()
    rng = np.random.default_rng(3)
    us = np.concatenate(
        [
            edges,
            edges + width - 1,
            near[(near >= 0) & (near < 2**32)],
            rng.integers(0, 2**32, 100_000),
        ]
    ).astype(np.uint64)
    us = np.concatenate([us, us | np.uint64(0xABCD_0000_0000_0000)])
    direct, table = _both_directions(bias, ndir, us)
    assert np.array_equal(direct, table)
    assert direct.max() < ndir


def test_step_table_is_the_periodic_step_of_the_flat_index() -> None:
    """For every x, y and direction: the keys after the step and the change of the flat index
    ``(z ny + y) nx + x`` equal the periodic step (:data:`kernels.DX` ... with :func:`kernels.wrap`)."""
    for ny, nx in ((1, 7), (5, 3), (4, 32), (1, 1)):
        st = kernels.step_table(ny, nx)
        ndir = 6 if ny > 1 else 4
        z = 3
        for y in range(ny):
            for x in range(nx):
                i = (z * ny + y) * nx + x
                kx, ky = 16 * x, 16 * (nx + y)
                for d in range(ndir):
                    zn = z + kernels.DZ[d]
                    yn = kernels.wrap(y + kernels.DY[d], ny)
                    xn = kernels.wrap(x + kernels.DX[d], nx)
                    assert i + st[kx + 2 * d + 1] + st[ky + 2 * d + 1] == (zn * ny + yn) * nx + xn
                    assert st[kx + 2 * d] == 16 * xn and st[ky + 2 * d] == 16 * (nx + yn)
