"""Lattice (walker) model of Li electrodeposition on bare Cu and on Ag plumes on Cu (Ag@Cu).

Lattice and codes
-----------------
A cubic lattice of voxels (edge ``a`` = ``deposition.voxel_size_um``), axis 0 = height z (z = 0 at the
bottom of the Cu foil), then y and x (periodic side walls). A 2D model is the special case ny = 1.
Voxel codes: 0 electrolyte, 1 Cu, 2 Ag, 3 AgCuF3 (insulating), 4 Li metal, 5 Li-Ag alloy (the same
codes as :func:`lilean.lattice.plumes.grow_plumes`, plus 4 and 5; :mod:`lilean.lattice.codes`).
The walker is :func:`lilean.lattice.kernels.deposit_li_chunk` (splitmix64 random numbers, one
generator per 0.1 mAh/cm^2 chunk seeded from ``seed``: same seed, same deposit; one number per walker
step since 2026-12, so deposits differ from earlier versions at the same seed, see
:mod:`lilean.lattice.kernels`); ``meta`` reports its ``site_updates`` (walker steps: one reaction
attempt and, without a reaction, one move attempt each) and the CPU time ``kernel_cpu_s`` of all
kernel calls (work lattice set-up, walkers, SEI cover, snapshots).

Charge bookkeeping
------------------
One walker carries the charge of one voxel of dense Li. With the Li molar volume ``V_Li``
(``substrates[s].nucleation.li_molar_volume_cm3_mol``, the cell model's value), 1 mAh/cm^2 of dense Li is
``t_1 = 3.6 C / F * V_Li`` thick (4.85 um for 13.0 cm^3/mol), so plating ``Q`` (mAh/cm^2) launches
``N = Q t_1 / a`` walkers per projected column.

Walkers (Aryanfar2014: Brownian motion + migration drift)
-------------------------------------------------------------------------------------------------
Each Li+ walker starts a few voxels above the highest solid voxel and moves, per step, towards the
electrode with probability ``b`` (``migration_bias``) or to a random neighbour otherwise; it cannot
enter solid voxels. When it stands next to an electronically conducting voxel it may be reduced:

* **Ag (Li-Ag alloying, barrier-free)**: a neighbouring Ag voxel absorbs the walker with probability 1
  until it holds ``x_max = alloy_li_per_ag * V_Li / V_Ag`` Li voxels' worth of Li; it then becomes Li-Ag
  (code 5). Li dissolves into Ag without a nucleation barrier (Yan2016).
* **Li or Li-Ag**: the walker sticks as Li metal with probability ``p_Li = Da / (1 + Da)``, with
  ``Da = Da_1 J / max(A_act, 0.03)`` (J in mA/cm^2): the attachment rate follows the local current
  density ``J / A_act`` (Tafel regime, rate ~ exp(alpha F eta / RT) ~ J_local / i0), where ``A_act``
  is the barrier-free reacting area per projected area (fresh Li, Li-Ag and Ag faces in contact with
  electrolyte), updated every 0.1 mAh/cm^2. This reaction/diffusion competition is the
  current-density-dependent tip enhancement: at a high Da every walker sticks at the first protrusion
  it meets (diffusion-limited aggregation, tips screen the valleys); at a low Da walkers explore the
  surface and fill valleys. Li older than ``sei_passivation_capacity_mAh_cm2`` of further plating is
  covered by SEI: there ``p`` is multiplied by ``passivated_li_activity`` and it does not count in
  ``A_act``, so growth continues where the Li is fresh (tips, roots; Steiger2014; dead-Li/SEI picture of Chen2017).
* **bare Cu**: nucleation needs the extra nucleation overpotential ``eta_n`` (dip minus plateau) of the
  nucleation model for the same substrate, parameters and current density
  (:func:`lilean.models.nucleation.simulate_nucleation`). At the same local electrode potential the
  Butler-Volmer rate on bare Cu is smaller than on Li by ``exp(-alpha F eta_n / RT)``, so
  ``p_Cu = p_Li exp(-alpha F eta_n / RT)`` (365 mV on Cu at 1 mA/cm^2: ~8e-4). A few nuclei form, then
  capture the following walkers: uneven coverage, then mossy Li.
* AgCuF3 is an insulator: no reduction on it.

A freshly deposited Li voxel makes up to ``surface_diffusion_hops`` hops to an empty neighbour with more
solid neighbours (surface relaxation).

The nucleation model's nucleus density (``simulate_nucleation(...).nuclei_density_cm2``, ~1e10 cm^-2 on
Cu, ~1e11 on Ag@Cu) is reported in ``meta``; at that density each 0.5 um voxel holds several nuclei, so
the lattice does not place them one by one: the micron-scale unevenness comes from the nucleation
barrier through ``p_Cu`` above.

Descriptors (per snapshot)
--------------------------
``h(x, y)`` = height of the top solid voxel of each column (um). ``roughness_um`` = RMS of h,
``max_height_um`` = max h, ``mean_height_um``; ``contact_area_ratio`` = Li (4, 5) / electrolyte faces
times ``a^2`` per projected area (x and z faces in 2D, all six in 3D); ``porosity`` = electrolyte share
of the voxels below h that are not Cu; ``substrate_coverage`` = share of the initial substrate /
electrolyte faces (Cu, Ag, AgCuF3) now covered (electrolyte side filled, or the Ag lithiated);
``plume_surface_coverage`` the same for the plume faces only (Ag, AgCuF3); ``gap_fill_fraction`` =
share of the electrolyte voxels below the mean plume-top height that are now filled;
``buried_plume_fraction`` = share of plume columns whose top plume voxel lies under >= 1 um of deposit;
``li_islands`` = number of connected Li clusters; ``thickness_cv`` = coefficient of variation of the
Li (4, 5) voxels per column.

Substrate structures
--------------------
``cu``: a flat Cu foil. ``ag-cu``: by default :func:`synthetic_plume_structure` (feather-like Ag plumes
~20 um tall, ~10 um apart, at the lattice's 0.5 um voxels): the study's sequence (gaps filled by
4 mAh/cm^2 = 19 um of dense Li) needs a host of that depth. The structure of
:func:`lilean.lattice.plumes.grow_plumes` (25 nm voxels, a few um tall) can be passed as ``structure=``
with its ``voxel_size_um``; it is not the default because its scale does not match the 10 mAh/cm^2
deposit (48.5 um of Li would need ~2000 voxels per column).

Coupling to the cell model
--------------------------
The anode model (:mod:`lilean.models.anode`) uses a Li/electrolyte contact-area factor
``a_corr = 1 + s Q_act`` with ``s`` = ``specific_area_cm2_per_mAh``: 1.0 on Cu (assumed) and 0.296 on
Ag@Cu (calibrated against the 300-cycle retention), i.e. a ratio of 0.30. The lattice model gives
``s_lattice = (A(Q) - 1) / Q`` from the Li/electrolyte contact area A per projected area after plating
Q (:func:`lattice_specific_area_cm2_per_mAh`), and :func:`contact_area_factor` returns the ratio
``s_lattice(ag-cu) / s_lattice(cu)`` after the study's 10 mAh/cm^2 at 1 mA/cm^2: about 0.19-0.22 in 2D
(seeds 0-3) and 0.11-0.12 in 3D (40 x 40 columns, seed 0: 0.112 with the walker's current random
stream, 0.12 with the previous one), the same order as the calibrated 0.30 and
obtained without using it. The cell model could use it as ``s(ag-cu) = factor * s(cu)``; it does not
(nothing in the anode model or its parameters is changed). The comparison and its tolerance are in
``tests/regression/test_morphology_sequence.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lilean.errors import ParameterError
from lilean.lattice.codes import AG, AGCUF3, CU, EMPTY, LI, LIAG
from lilean.lattice.kernels import (
    deposit_codes,
    deposit_li_chunk,
    grow_deposit_lattice,
    init_deposit_lattice,
    passivate_li,
    seed_state,
)

if TYPE_CHECKING:
    import pandas as pd

FARADAY_C_MOL = 96485.33212
GAS_CONSTANT_J_MOL_K = 8.314462618
COULOMB_PER_MAH = 3.6
CU_BASE_VOXELS = 2
LAUNCH_GAP = 5
MIN_ACTIVE_AREA = 0.03
CHUNK_MAH_CM2 = 0.1
MAX_WALKER_STEPS = 20_000_000

DESCRIPTOR_COLUMNS = (
    "capacity_mAh_cm2",
    "mean_height_um",
    "max_height_um",
    "roughness_um",
    "contact_area_ratio",
    "porosity",
    "substrate_coverage",
    "plume_surface_coverage",
    "gap_fill_fraction",
    "buried_plume_fraction",
    "li_islands",
    "thickness_cv",
)


# ---- structures -----------------------------------------------------------------------------------


def flat_cu(size: Sequence[int], nz: int = CU_BASE_VOXELS) -> np.ndarray:
    """Bare Cu foil: ``CU_BASE_VOXELS`` voxels of Cu, shape (nz, nx) or (nz, ny, nx) for size (nx[, ny])."""
    nx = int(size[0])
    shape = (nz, nx) if len(size) == 1 else (nz, int(size[1]), nx)
    occ = np.zeros(shape, np.uint8)
    occ[:CU_BASE_VOXELS] = CU
    return occ


def synthetic_plume_structure(
    size: Sequence[int] = (160,),
    *,
    voxel_size_um: float = 0.5,
    height_um: float = 20.0,
    spacing_um: float = 10.0,
    seed: int = 0,
) -> np.ndarray:
    """A feather-like Ag-plume array on Cu for tests and development (same codes as ``grow_plumes``).

    Each plume is a vertical Ag stem (1 voxel wide) with oblique barbs every 2 voxels whose length falls
    linearly with height (a feather), capped by AgCuF3 at some barb tips (the precipitate that blocks
    Ag growth in some directions, Zhang2023). Stem positions: one per ``spacing_um`` with a random
    offset; heights vary by +-20 %. Shape (nz, nx) for ``size = (nx,)``, (nz, ny, nx) for (nx, ny),
    in 3D the feather is extruded along y with random gaps.
    """
    rng = np.random.default_rng(seed)
    nx = int(size[0])
    ny = int(size[1]) if len(size) > 1 else 1
    h_vox = round(height_um / voxel_size_um)
    nz = CU_BASE_VOXELS + int(1.3 * h_vox) + 2
    occ = np.zeros((nz, ny, nx), np.uint8)
    occ[:CU_BASE_VOXELS] = CU
    step = max(4, round(spacing_um / voxel_size_um))
    half = max(1, round(0.35 * step))
    for x0 in range(0, nx, step):
        xc = x0 + int(rng.integers(-1, 2)) + step // 2
        h = max(4, round(h_vox * rng.uniform(0.8, 1.2)))
        for y in range(ny):
            if ny > 1 and rng.random() < 0.15:
                continue
            for k in range(h):
                z = CU_BASE_VOXELS + k
                occ[z, y, xc % nx] = AG
                if k % 2 == 1 and k > 1:
                    length = max(1, round(half * (1.0 - k / h)))
                    for side in (-1, 1):
                        for j in range(1, length + 1):
                            zz = z + j // 2
                            if zz >= nz:
                                break
                            occ[zz, y, (xc + side * j) % nx] = AG
                        if rng.random() < 0.3:
                            zz = min(z + (length + 1) // 2, nz - 1)
                            occ[zz, y, (xc + side * (length + 1)) % nx] = AGCUF3
    return occ[:, 0, :] if len(size) == 1 else occ


def _as3d(occ: np.ndarray) -> np.ndarray:
    if occ.ndim == 2:
        return occ[:, None, :]
    if occ.ndim == 3:
        return occ
    raise ParameterError(
        f"structure: expected a 2D (nz, nx) or 3D occupancy array, got {occ.ndim}D"
    )


# ---- result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositionLatticeResult:
    """Snapshots of a lattice deposition run.

    ``occupancy[k]`` is the voxel array after ``capacities_mAh_cm2[k]`` (shape (nz, nx) in 2D,
    (nz, ny, nx) in 3D; codes in the module docstring); ``initial`` the substrate before plating;
    ``descriptors`` one row per snapshot (columns :data:`DESCRIPTOR_COLUMNS`).
    """

    substrate: str
    current_density_mA_cm2: float
    capacities_mAh_cm2: tuple[float, ...]
    voxel_size_um: float
    initial: np.ndarray = field(repr=False)
    occupancy: list[np.ndarray] = field(repr=False)
    descriptors: pd.DataFrame = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (descriptors and meta; no voxel arrays)."""
        return {
            "substrate": self.substrate,
            "current_density_mA_cm2": self.current_density_mA_cm2,
            "capacities_mAh_cm2": list(self.capacities_mAh_cm2),
            "voxel_size_um": self.voxel_size_um,
            "shape": list(self.initial.shape),
            "descriptors": [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in self.descriptors.to_dict(orient="records")
            ],
            "meta": self.meta,
        }


# ---- descriptors --------------------------------------------------------------------------------


def _surface_height(occ3: np.ndarray) -> np.ndarray:
    solid = occ3 != EMPTY
    nz = occ3.shape[0]
    top = nz - np.argmax(solid[::-1], axis=0)  # index above the top solid voxel
    return np.where(solid.any(axis=0), top, 0)


def _top_index(mask: np.ndarray) -> np.ndarray:
    """Per column: z of the top True voxel, -1 where none."""
    nz = mask.shape[0]
    top = nz - 1 - np.argmax(mask[::-1], axis=0)
    return np.where(mask.any(axis=0), top, -1)


def describe(
    occupancy: np.ndarray, initial: np.ndarray, voxel_size_um: float, capacity_mAh_cm2: float
) -> dict[str, float]:
    """Morphology descriptors of one snapshot (definitions in the module docstring)."""
    occ = _as3d(occupancy)
    ini = _as3d(initial)
    if ini.shape[0] < occ.shape[0]:
        pad = np.zeros((occ.shape[0] - ini.shape[0], *ini.shape[1:]), np.uint8)
        ini = np.concatenate([ini, pad])
    nz, ny, nx = occ.shape
    a = voxel_size_um
    n_col = nx * ny
    axes = (0, 2) if ny == 1 else (0, 1, 2)
    h = _surface_height(occ) * a
    li = (occ == LI) | (occ == LIAG)
    empty = occ == EMPTY
    # Li/electrolyte faces (periodic in x, y; z open)
    faces = 0
    for ax in axes:
        if ax == 0:
            faces += int(np.sum(li[1:] & empty[:-1]) + np.sum(li[:-1] & empty[1:]))
        else:
            nb = np.roll(empty, 1, axis=ax)
            nb2 = np.roll(empty, -1, axis=ax)
            faces += int(np.sum(li & nb) + np.sum(li & nb2))
    contact = faces / n_col
    below = np.arange(nz)[:, None, None] < (h / a)[None]
    region = below & (occ != CU)
    porosity = float(np.sum(region & empty) / max(np.sum(region), 1))
    # initial substrate faces and their coverage
    sub = ini != EMPTY
    plume = (ini == AG) | (ini == AGCUF3)
    covered_all = covered_plume = total_all = total_plume = 0
    for ax in axes:
        for shift in (1, -1):
            if ax == 0:
                if shift == 1:
                    s_, e_ini, e_now, lith = (
                        sub[:-1],
                        ini[1:] == EMPTY,
                        occ[1:] != EMPTY,
                        occ[:-1] == LIAG,
                    )
                    pl = plume[:-1]
                else:
                    s_, e_ini, e_now, lith = (
                        sub[1:],
                        ini[:-1] == EMPTY,
                        occ[:-1] != EMPTY,
                        occ[1:] == LIAG,
                    )
                    pl = plume[1:]
            else:
                s_, pl, lith = sub, plume, occ == LIAG
                e_ini = np.roll(ini, shift, axis=ax) == EMPTY
                e_now = np.roll(occ, shift, axis=ax) != EMPTY
            face = s_ & e_ini
            cov = face & (e_now | lith)
            total_all += int(face.sum())
            covered_all += int(cov.sum())
            total_plume += int((face & pl).sum())
            covered_plume += int((cov & pl).sum())
    has_plume = plume.any()
    nan = float("nan")
    gap_fill = buried = nan
    if has_plume:
        ptop = _top_index(plume)
        cols = ptop >= 0
        h_p = round(float(np.mean(ptop[cols])))
        gap = ini[: h_p + 1] == EMPTY
        gap_fill = float(np.sum(gap & ~empty[: h_p + 1]) / max(int(gap.sum()), 1))
        surf = _surface_height(occ)
        zt = np.clip(ptop + 1, 0, nz - 1)
        above = np.take_along_axis(occ, zt[None], axis=0)[0]
        depth_ok = (surf - (ptop + 1)) * a >= 1.0
        buried = float(np.mean((depth_ok & (above != EMPTY))[cols]))
    from scipy import ndimage

    li_metal = occ == LI
    structure = np.ones((3,) * 3, bool) if ny > 1 else None
    if ny == 1:
        _, islands = ndimage.label(li_metal[:, 0, :])
    else:
        _, islands = ndimage.label(li_metal, structure=structure)
    per_col = li.sum(axis=0).astype(float)
    cv = float(per_col.std() / per_col.mean()) if per_col.mean() > 0 else nan
    return {
        "capacity_mAh_cm2": float(capacity_mAh_cm2),
        "mean_height_um": float(h.mean()),
        "max_height_um": float(h.max()),
        "roughness_um": float(h.std()),
        "contact_area_ratio": float(contact),
        "porosity": porosity,
        "substrate_coverage": covered_all / max(total_all, 1),
        "plume_surface_coverage": covered_plume / total_plume if total_plume else nan,
        "gap_fill_fraction": gap_fill,
        "buried_plume_fraction": buried,
        "li_islands": float(islands),
        "thickness_cv": cv,
    }


# ---- driver ---------------------------------------------------------------------------------------


def li_thickness_um_per_mAh_cm2(li_molar_volume_cm3_mol: float) -> float:
    """Dense-Li thickness per mAh/cm^2: ``t_1 = 3.6 C / F * V_Li`` (um; 4.85 um at 13.0 cm^3/mol)."""
    return COULOMB_PER_MAH / FARADAY_C_MOL * li_molar_volume_cm3_mol * 1e4


def active_area_ratio(occupancy: np.ndarray, fresh: np.ndarray | None = None) -> float:
    """Barrier-free reacting area per projected area: fresh Li, Li-Ag and Ag faces next to electrolyte.

    ``fresh`` (bool, same shape) marks the Li voxels not yet passivated by SEI (all Li when None).
    Bare Cu is not counted (it needs the nucleation overpotential). Periodic in x, y; 2D (nz, nx)
    arrays count x and z faces, 3D arrays all six.
    """
    occ = _as3d(occupancy)
    _, ny, nx = occ.shape
    li = occ == LI
    if fresh is not None:
        li &= _as3d(fresh)
    act = li | (occ == LIAG) | (occ == AG)
    empty = occ == EMPTY
    faces = int(np.sum(act[1:] & empty[:-1]) + np.sum(act[:-1] & empty[1:]))
    for ax in (2,) if ny == 1 else (1, 2):
        faces += int(
            np.sum(act & np.roll(empty, 1, axis=ax)) + np.sum(act & np.roll(empty, -1, axis=ax))
        )
    return faces / (nx * ny)


def _sticking_constants(
    params: Any, substrate: str, current_density_mA_cm2: float, nucleation_overpotential_mV: float
) -> tuple[float, float]:
    """``(Da_1 J, exp(-alpha F eta_n / RT))``: the parts of :func:`sticking_probabilities` that do
    not change during a run."""
    dep = params.deposition.values()
    nuc = params.substrate(substrate).nucleation.values()
    t_k = float(params.cell.temperature_C.value) + 273.15
    alpha = nuc["charge_transfer_coefficient"]
    factor = math.exp(
        -alpha * FARADAY_C_MOL * nucleation_overpotential_mV * 1e-3 / (GAS_CONSTANT_J_MOL_K * t_k)
    )
    return dep["damkohler_1mA"] * current_density_mA_cm2, factor


def sticking_probabilities(
    params: Any,
    substrate: str,
    current_density_mA_cm2: float,
    nucleation_overpotential_mV: float,
    active_area_ratio: float = 1.0,
) -> tuple[float, float]:
    """``(p_Li, p_Cu)`` for the current morphology.

    ``p_Li = Da / (1 + Da)`` with ``Da = Da_1 J / max(A_act, A_min)``: the attachment rate grows with
    the local current density ``J / A_act`` (Tafel regime: rate ~ exp(alpha F eta / RT) ~ J_local / i0),
    where ``A_act`` is the barrier-free reacting area per projected area (:func:`active_area_ratio`)
    and ``A_min = 0.03``. ``p_Cu = p_Li exp(-alpha F eta_n / RT)`` with the nucleation overpotential
    ``eta_n`` (Butler-Volmer rate ratio at the same electrode potential). :func:`deposit_li` uses the
    same expressions, with ``A_act`` kept up to date by the kernel.
    """
    da_j, factor = _sticking_constants(
        params, substrate, current_density_mA_cm2, nucleation_overpotential_mV
    )
    da = da_j / max(active_area_ratio, MIN_ACTIVE_AREA)
    p_li = da / (1.0 + da)
    return p_li, p_li * factor


def _default_structure(
    params: Any, substrate: str, size: Sequence[int], voxel_size_um: float, seed: int
) -> tuple[np.ndarray, float, str]:
    if substrate == "cu":
        return flat_cu(size), voxel_size_um, "flat Cu"
    occ = synthetic_plume_structure(size, voxel_size_um=voxel_size_um, seed=seed)
    return occ, voxel_size_um, "synthetic_plume_structure"


_NUCLEATION_MEMO: dict[tuple[str, str, float, float], tuple[float, float]] = {}
_NUCLEATION_MEMO_SIZE = 64


def nucleation_inputs(
    params: Any, substrate: str, current_density_mA_cm2: float, capacity_mAh_cm2: float
) -> tuple[float, float]:
    """``(eta_n [mV], nuclei density [cm^-2])`` from the nucleation model for one condition.

    :func:`lilean.models.nucleation.simulate_nucleation` over the first ``min(Q, 0.1)`` mAh/cm^2.
    Memoised on the parameter set's value hash (:meth:`ParameterSet.hash`), substrate, current
    density and capacity: the nucleation transient is an ODE solve that costs more than a short
    lattice run, and a morphology sequence or a seed ensemble asks for the same condition again.
    """
    q = min(float(capacity_mAh_cm2), 0.1)
    key = (str(params.hash()), substrate, float(current_density_mA_cm2), q)
    hit = _NUCLEATION_MEMO.get(key)
    if hit is not None:
        return hit
    from lilean.models.nucleation import simulate_nucleation

    r = simulate_nucleation(params, substrate, current_density_mA_cm2, capacity_mAh_cm2=q)
    out = (float(r.nucleation_overpotential_mV), float(r.nuclei_density_cm2))
    if len(_NUCLEATION_MEMO) >= _NUCLEATION_MEMO_SIZE:
        _NUCLEATION_MEMO.pop(next(iter(_NUCLEATION_MEMO)))
    _NUCLEATION_MEMO[key] = out
    return out


def deposit_li(
    params: Any,
    substrate: str,
    *,
    capacity_mAh_cm2: float,
    current_density_mA_cm2: float = 1.0,
    structure: np.ndarray | None = None,
    voxel_size_um: float | None = None,
    size: Sequence[int] = (160,),
    seed: int = 0,
    snapshots: Sequence[float] = (),
    nucleation_overpotential_mV: float | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> DepositionLatticeResult:
    """Plate ``capacity_mAh_cm2`` of Li at ``current_density_mA_cm2`` onto ``substrate`` on a lattice.

    Parameters
    ----------
    params:
        Parameter set: ``deposition``, ``substrates[substrate].nucleation``, ``cell.temperature_C``.
    substrate:
        ``"cu"`` (flat Cu foil) or ``"ag-cu"`` (Ag plumes on Cu: ``structure``, else
        :func:`lilean.lattice.plumes.grow_plumes` when available, else :func:`synthetic_plume_structure`).
    structure:
        Initial occupancy (codes 0-3, axis 0 = height), 2D (nz, nx) or 3D (nz, ny, nx).
    voxel_size_um:
        Voxel edge of ``structure`` (default: ``deposition.voxel_size_um``).
    size:
        ``(nx,)`` for 2D or ``(nx, ny)`` for 3D when no structure is given.
    snapshots:
        Capacities (mAh/cm^2, <= capacity) at which to keep the lattice; the final capacity is always kept.
    nucleation_overpotential_mV:
        Override of the nucleation overpotential; by default it is computed with
        :func:`lilean.models.nucleation.simulate_nucleation` for this substrate and current density.
    progress:
        Called as ``progress(plated_mAh_cm2, capacity_mAh_cm2)`` after every 0.1 mAh/cm^2 chunk.
    """
    if substrate not in params.substrates:
        raise ParameterError(
            f"unknown substrate {substrate!r}; expected one of {sorted(params.substrates)}"
        )
    if not capacity_mAh_cm2 > 0:
        raise ParameterError(f"capacity_mAh_cm2 = {capacity_mAh_cm2}: must be > 0")
    if not current_density_mA_cm2 > 0:
        raise ParameterError(f"current_density_mA_cm2 = {current_density_mA_cm2}: must be > 0")
    caps = sorted({float(c) for c in snapshots} | {float(capacity_mAh_cm2)})
    if caps[0] <= 0 or caps[-1] > capacity_mAh_cm2:
        raise ParameterError(
            f"snapshots {list(snapshots)}: each must be in (0, {capacity_mAh_cm2}]"
        )
    dep = params.deposition.values()
    nuc = params.substrate(substrate).nucleation.values()
    a = float(voxel_size_um or dep["voxel_size_um"])
    source = "user"
    if structure is None:
        structure, a, source = _default_structure(params, substrate, size, a, seed)
    initial = _as3d(np.asarray(structure, np.uint8)).copy()
    if initial.max() > AGCUF3:
        raise ParameterError("structure: codes must be 0 (electrolyte), 1 Cu, 2 Ag or 3 AgCuF3")

    nuc_result: dict[str, float] = {}
    if nucleation_overpotential_mV is None:
        eta_mV, density_cm2 = nucleation_inputs(
            params, substrate, current_density_mA_cm2, capacity_mAh_cm2
        )
        nucleation_overpotential_mV = eta_mV
        nuc_result["nuclei_density_cm2"] = density_cm2
    t1 = li_thickness_um_per_mAh_cm2(nuc["li_molar_volume_cm3_mol"])
    alloy_cap = (
        dep["alloy_li_per_ag"] * nuc["li_molar_volume_cm3_mol"] / dep["ag_molar_volume_cm3_mol"]
    )
    # Here alloy_cap is in Li-voxel units: x Li per Ag, V_Li per mol Li, V_Ag per mol Ag:
    # one Ag voxel (a^3 / V_Ag mol Ag) takes x a^3 / V_Ag mol Li = x V_Li / V_Ag Li voxels.

    nz0, ny, nx = initial.shape
    n_col = nx * ny
    walkers_per_mAh = t1 / a * n_col
    nz = nz0 + int(4.0 * t1 * capacity_mAh_cm2 / a) + 4 * LAUNCH_GAP
    occ = np.zeros((nz, ny, nx), np.uint8)
    occ[:nz0] = initial
    alloy = np.zeros(occ.shape, np.float64)
    fresh_walkers = round(dep["sei_passivation_capacity_mAh_cm2"] * walkers_per_mAh)
    hmax = int(_surface_height(occ).max()) - 1
    da_j, cu_factor = _sticking_constants(
        params, substrate, current_density_mA_cm2, nucleation_overpotential_mV
    )
    bias = float(dep["migration_bias"])
    hops = int(dep["surface_diffusion_hops"])
    passive = float(dep["passivated_li_activity"])

    snaps: list[np.ndarray] = []
    rows: list[dict[str, float]] = []
    placed = 0
    passivated = 0  # walkers whose Li is SEI-covered: born before placed - fresh_walkers
    chunk = 0
    p_trace: list[float] = []
    walker_steps = 0
    k0 = time.process_time()
    work, faces = init_deposit_lattice(occ, hmax)
    # the Li voxel of each walker (kernels.pack_site; -1: it alloyed Ag), for the SEI cover
    li_site = np.full(round(caps[-1] * walkers_per_mAh) + 1, -1, np.int64)
    kernel_cpu_s = time.process_time() - k0
    chunk_walkers = max(round(CHUNK_MAH_CM2 * walkers_per_mAh), 1)
    p_li = p_cu = 0.0
    for cap in caps:
        target = round(cap * walkers_per_mAh)
        while placed < target:
            k0 = time.process_time()
            if placed - fresh_walkers > passivated:
                faces = passivate_li(work, li_site, passivated, placed - fresh_walkers, faces)
                passivated = placed - fresh_walkers
            da = da_j / max(faces / n_col, MIN_ACTIVE_AREA)
            p_li = da / (1.0 + da)
            p_cu = p_li * cu_factor
            p_trace.append(p_li)
            done, hmax, stalled, steps, faces = deposit_li_chunk(
                work,
                alloy,
                li_site,
                min(target - placed, chunk_walkers),
                p_li,
                p_cu,
                alloy_cap,
                bias,
                hops,
                seed_state(seed * 100003 + chunk),
                hmax,
                placed,
                passive,
                MAX_WALKER_STEPS,
                LAUNCH_GAP,
                faces,
            )
            walker_steps += steps
            kernel_cpu_s += time.process_time() - k0
            if stalled:
                raise ParameterError(
                    f"deposit_li({substrate!r}): a Li+ walker found no site to be reduced in "
                    f"{MAX_WALKER_STEPS} steps (p_Li = {p_li:.3g}, p_Cu = {p_cu:.3g}); check "
                    "deposition.damkohler_1mA and the nucleation overpotential"
                )
            placed += done
            chunk += 1
            if progress is not None:
                progress(min(placed / walkers_per_mAh, capacity_mAh_cm2), capacity_mAh_cm2)
            if hmax + 2 * LAUNCH_GAP + 3 >= work.shape[0]:  # grow the lattice upwards
                work = grow_deposit_lattice(work, nz // 2)
                alloy = np.concatenate([alloy, np.zeros((nz // 2, ny, nx))])
        k0 = time.process_time()
        view = deposit_codes(work, max(hmax + 3, nz0))
        kernel_cpu_s += time.process_time() - k0
        snap = view[:, 0, :] if ny == 1 else view
        snaps.append(snap)
        rows.append(describe(snap, initial[:, 0, :] if ny == 1 else initial, a, cap))
    meta = {
        "structure": source,
        "seed": seed,
        "nucleation_overpotential_mV": float(nucleation_overpotential_mV),
        **nuc_result,
        "p_li_first": p_trace[0],
        "p_li_last": p_trace[-1],
        "p_substrate_over_p_li": p_cu / p_li,
        "alloy_li_voxels_per_ag_voxel": alloy_cap,
        "li_thickness_um_per_mAh_cm2": t1,
        "walkers": placed,
        "site_updates": walker_steps,
        "kernel_cpu_s": kernel_cpu_s,
        "dim": 2 if ny == 1 else 3,
    }
    import pandas as pd

    return DepositionLatticeResult(
        substrate=substrate,
        current_density_mA_cm2=float(current_density_mA_cm2),
        capacities_mAh_cm2=tuple(caps),
        voxel_size_um=a,
        initial=initial[:, 0, :] if ny == 1 else initial,
        occupancy=snaps,
        descriptors=pd.DataFrame(rows, columns=list(DESCRIPTOR_COLUMNS)),
        meta=meta,
    )


def lattice_specific_area_cm2_per_mAh(result: DepositionLatticeResult, index: int = -1) -> float:
    """``s = (A(Q) - A_0) / Q``: Li/electrolyte area per projected area gained per mAh/cm^2 plated.

    ``A_0 = 1`` is a flat, dense Li film; ``Q = capacities_mAh_cm2[index]``. The anode model's
    ``specific_area_cm2_per_mAh`` has the same meaning (``a_corr = 1 + s Q_act``).
    """
    row = result.descriptors.iloc[index]
    return float((row["contact_area_ratio"] - 1.0) / row["capacity_mAh_cm2"])


def contact_area_factor(
    params: Any,
    substrate: str,
    *,
    capacity_mAh_cm2: float | None = None,
    current_density_mA_cm2: float | None = None,
    reference: str = "cu",
    size: Sequence[int] = (160,),
    seeds: Sequence[int] = (0,),
) -> float:
    """Lattice estimate of the anode model's contact-area factor of ``substrate`` relative to ``reference``.

    ``s_lattice(substrate) / s_lattice(reference)`` (see :func:`lattice_specific_area_cm2_per_mAh`),
    averaged over ``seeds``, after plating ``capacity_mAh_cm2`` (default ``cell.li_inventory_mAh_cm2``,
    the study's 10 mAh/cm^2) at ``current_density_mA_cm2`` (default
    ``cell.li_deposition_current_density_mA_cm2``). The cell model could use it as
    ``specific_area(substrate) = factor * specific_area(reference)``; the calibrated ratio is
    0.296 / 1.0 (``anode.toml``).
    """
    q = float(capacity_mAh_cm2 or params.cell.li_inventory_mAh_cm2.value)
    j = float(current_density_mA_cm2 or params.cell.li_deposition_current_density_mA_cm2.value)

    def mean_s(s: str) -> float:
        vals = [
            lattice_specific_area_cm2_per_mAh(
                deposit_li(
                    params, s, capacity_mAh_cm2=q, current_density_mA_cm2=j, size=size, seed=k
                )
            )
            for k in seeds
        ]
        return float(np.mean(vals))

    return mean_s(substrate) / mean_s(reference)


__all__ = [
    "AG",
    "AGCUF3",
    "CHUNK_MAH_CM2",
    "COULOMB_PER_MAH",
    "CU",
    "CU_BASE_VOXELS",
    "DESCRIPTOR_COLUMNS",
    "EMPTY",
    "FARADAY_C_MOL",
    "GAS_CONSTANT_J_MOL_K",
    "LAUNCH_GAP",
    "LI",
    "LIAG",
    "MAX_WALKER_STEPS",
    "MIN_ACTIVE_AREA",
    "DepositionLatticeResult",
    "active_area_ratio",
    "contact_area_factor",
    "deposit_li",
    "describe",
    "flat_cu",
    "lattice_specific_area_cm2_per_mAh",
    "li_thickness_um_per_mAh_cm2",
    "nucleation_inputs",
    "sticking_probabilities",
    "synthetic_plume_structure",
]
