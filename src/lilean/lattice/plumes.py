r"""Ag plume growth on Cu by galvanic displacement: a stochastic lattice model (2D and 3D).

Chemistry (Zhang2023; ``shared/spec/system.md`` section 2):
Cu foil in aqueous AgF undergoes galvanic displacement

.. math:: \mathrm{Cu + 2\,Ag^+ \rightarrow Cu^{2+} + 2\,Ag}
   \qquad (E^0_{Ag^+/Ag} = 0.80\ \mathrm{V},\ E^0_{Cu^{2+}/Cu} = 0.34\ \mathrm{V}),

Ag grows along the Cu lattice, and the released Cu2+ meets Ag+ and F- and precipitates insoluble
AgCuF3, which blocks Ag growth in the directions it covers.

Lattice model (voxel edge ``a = lattice_spacing_nm``; occupancy codes 0 solution, 1 Cu, 2 Ag,
3 AgCuF3; axis 0 is the height z above the bottom of the Cu, then y, x, periodic laterally):

* **Ag+ supply** - diffusion from the quiescent bulk solution (Cottrell): the amount of Ag reaching
  the surface per projected area by time t is :math:`N(t) = 2 c \sqrt{D t / \pi}` [mol/m^2]
  (Bard & Faulkner, *Electrochemical Methods*, 2nd ed. (2001), eq. 5.2.11 integrated), with
  :math:`D(T) = D_{25} \exp[-E_a/R (1/T - 1/298.15)]`. One *event* is one walker carrying 2 Ag+.
* **Transport and reduction** - each walker is launched above the deposit and random-walks on the
  lattice (diffusion-limited aggregation, Witten1981); next to
  Ag or Cu it is reduced with probability ``reduction_probability`` times an anisotropy weight (1 when
  the metal neighbour is below, i.e. growth along the lattice axis; ``lateral_growth_weight``
  otherwise). AgCuF3 neighbours do not count: precipitate blocks growth in that direction.
* **Galvanic coupling (exact stoichiometry)** - a reduction event turns the walker site and one
  empty neighbour into Ag (2 Ag) and removes exactly one Cu voxel from an exposed Cu surface within
  ``dissolution_radius_nm`` (anywhere, if none is close; no event is possible if no Cu is exposed).
  So moles of Ag deposited = 2 x moles of Cu dissolved, exactly. A lattice voxel is a block of
  ``a^3 rho_Ag / M_Ag`` moles of metal atoms for both Ag and Cu (the molar-volume difference of Cu
  and Ag is not resolved by the lattice).
* **AgCuF3 precipitation** - the released Cu2+ random-walks out; at each step next to any solid it
  precipitates (one AgCuF3 voxel) with probability :math:`p = p_{ref} (c / c_{ref})^2`, the product
  [Ag+][F-] of the AgF solution; it is lost to the bulk once it leaves the deposit (or after 2e5
  steps in 2D, 2e4 in 3D: a cutoff that bounds the cost of deep 3D structures). Likewise an Ag+
  walker that finds no unblocked metal within 2e6 (2D) / 1e5 (3D) steps returns to the bulk.
* **Coarsening** - Ag surface diffusion as bond-counting kinetic Monte Carlo (Metropolis acceptance
  :math:`\min(1, e^{-\beta J \Delta n})`, Voter, *Introduction to the kinetic Monte Carlo method*
  (2007)): an Ag voxel hops to an empty neighbour site that keeps at least one solid neighbour; attempts
  per Ag voxel per second ``coarsening_hop_rate_s`` (Arrhenius in T). Thin branches round off and
  neighbouring plumes merge, which lowers the surface area at long immersion times.

The process window (incomplete plumes at low concentration / short time, degraded structure at high
concentration / long time) follows from the competition of DLA growth (rate ~ c sqrt(t)),
precipitation (~ c^2, trapped in deep pores) and coarsening (~ t). ``coarsening_hop_rate_s`` is
calibrated (``calibration/calibrate_plumes.py``) so that the optimum at 1 wt% AgF is at 2 min.

Kernel: :func:`lilean.lattice.kernels.grow_plume_slice`, one call per time slice, each with its own
splitmix64 generator seeded from ``seed`` (same seed, same structure). ``site_updates`` counts Ag+
and Cu2+ walker steps and coarsening attempts; ``extra["kernel_cpu_s"]`` is their CPU time.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lilean.errors import ParameterError
from lilean.lattice.codes import AG, AGCUF3, CU, EMPTY
from lilean.lattice.kernels import grow_plume_slice, seed_state

if TYPE_CHECKING:
    import pandas as pd

R_GAS = 8.314462618  # J/(mol K)
N_SLICES = 24  # time slices of one immersion (growth and coarsening interleaved)
_T_REF_K = 298.15


# ---- results -----------------------------------------------------------------------------------


@dataclass
class PlumeResult:
    """One simulated Ag@Cu substrate.

    ``occupancy``: uint8 codes (0 solution, 1 Cu, 2 Ag, 3 AgCuF3); shape (z, y, x) in 3D, (z, x) in
    2D, z = height upward (the original Cu surface is at index ``cu_surface_index``).
    """

    occupancy: np.ndarray
    voxel_size_um: float
    dim: int
    agf_wt_percent: float
    agf_mM: float
    minutes: float
    temperature_C: float
    seed: int
    cu_surface_index: int
    events: int
    ag_moles_per_cm2: float
    cu_moles_per_cm2: float
    surface_area_factor: float
    coverage: float
    porosity: float
    free_volume_um3_per_um2: float
    plume_height_um: float
    ag_loading_mg_cm2: float
    cu_dissolved_mg_cm2: float
    agcuf3_fraction: float
    passivated: bool
    site_updates: int
    elapsed_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Descriptors as plain JSON-ready values (no occupancy array)."""
        return {
            "agf_wt_percent": self.agf_wt_percent,
            "agf_mM": self.agf_mM,
            "minutes": self.minutes,
            "temperature_C": self.temperature_C,
            "dim": self.dim,
            "shape": list(self.occupancy.shape),
            "seed": self.seed,
            "voxel_size_um": self.voxel_size_um,
            "surface_area_factor": self.surface_area_factor,
            "coverage": self.coverage,
            "porosity": self.porosity,
            "free_volume_um3_per_um2": self.free_volume_um3_per_um2,
            "plume_height_um": self.plume_height_um,
            "ag_loading_mg_cm2": self.ag_loading_mg_cm2,
            "cu_dissolved_mg_cm2": self.cu_dissolved_mg_cm2,
            "ag_umol_cm2": self.ag_moles_per_cm2 * 1e6,
            "cu_dissolved_umol_cm2": self.cu_moles_per_cm2 * 1e6,
            "agcuf3_fraction": self.agcuf3_fraction,
            "events": self.events,
            "passivated": self.passivated,
            "site_updates": self.site_updates,
            "elapsed_s": self.elapsed_s,
        }


def agf_wt_to_mM(params: Any, agf_wt_percent: float) -> float:
    """AgF concentration: c [mM] = 10 * wt% * rho_solution [g/cm^3] / M_AgF [g/mol] * 1000."""
    p = params.plumes
    return (
        10.0 * agf_wt_percent * p.solution_density_g_cm3.value / p.agf_molar_mass_g_mol.value * 1e3
    )


def _arrhenius(ea_kJ_mol: float, temperature_C: float) -> float:
    t_k = temperature_C + 273.15
    return math.exp(-ea_kJ_mol * 1e3 / R_GAS * (1.0 / t_k - 1.0 / _T_REF_K))


def surface_area_factor(occupancy: np.ndarray) -> float:
    """Metal (Cu or Ag) / solution faces per projected face: 1 for a flat bare Cu surface.

    AgCuF3-covered metal does not count (it is not the lithiophilic Ag/Cu surface).
    """
    occ = occupancy if occupancy.ndim == 3 else occupancy[:, None, :]
    metal = (occ == CU) | (occ == AG)
    empty = occ == EMPTY
    faces = np.count_nonzero(metal[:-1] & empty[1:]) + np.count_nonzero(empty[:-1] & metal[1:])
    for axis in (1, 2):
        if occ.shape[axis] == 1:
            continue
        m2 = np.roll(metal, -1, axis=axis)
        e2 = np.roll(empty, -1, axis=axis)
        faces += np.count_nonzero(metal & e2) + np.count_nonzero(empty & m2)
    return float(faces) / float(occ.shape[1] * occ.shape[2])


def _descriptors(occ: np.ndarray, cu_surface: int, a_um: float) -> dict[str, float]:
    solid_above = occ[cu_surface + 1 :] != EMPTY
    deposit = (occ[cu_surface + 1 :] == AG) | (occ[cu_surface + 1 :] == AGCUF3)
    any_ag = (occ == AG).any(axis=0)
    coverage = float(any_ag.mean())
    # column top heights above the original Cu surface (0 where nothing is above)
    zidx = np.arange(1, solid_above.shape[0] + 1)[:, None, None]
    tops = np.where(solid_above, zidx, 0).max(axis=0)
    height_vox = float(np.percentile(tops, 95))
    h = max(round(height_vox), 0)
    # pore volume between the original Cu surface and the plume height (dissolution pits included)
    layer = occ[: cu_surface + 1 + h]
    below = occ[: cu_surface + 1]
    pits = np.count_nonzero(below == EMPTY)
    n_cols = occ.shape[1] * occ.shape[2]
    empty_above = np.count_nonzero(occ[cu_surface + 1 : cu_surface + 1 + h] == EMPTY)
    volume = h * n_cols + pits
    porosity = float((empty_above + pits) / volume) if volume > 0 else 0.0
    n_ag = np.count_nonzero(layer == AG) + np.count_nonzero(occ[cu_surface + 1 + h :] == AG)
    n_ppt = np.count_nonzero(occ == AGCUF3)
    return {
        "coverage": coverage,
        "plume_height_um": height_vox * a_um,
        "porosity": porosity,
        "free_volume_um3_per_um2": (empty_above + pits) * a_um / n_cols,
        "agcuf3_fraction": float(n_ppt) / float(max(int(n_ag + n_ppt), 1)),
        "deposit_voxels": float(np.count_nonzero(deposit)),
    }


def grow_plumes(
    params: Any,
    *,
    agf_wt_percent: float = 1.0,
    minutes: float = 2.0,
    size: Sequence[int] = (256,),
    dim: int = 2,
    temperature_C: float = 25.0,
    seed: int = 0,
    agf_mM: float | None = None,
) -> PlumeResult:
    """Grow Ag plumes on Cu by immersion in AgF solution (lattice DLA + KMC, see module docstring).

    Parameters
    ----------
    params:
        A :class:`lilean.parameters.ParameterSet` (uses ``params.plumes``).
    agf_wt_percent, agf_mM:
        AgF concentration in wt% (1 wt% ~ 79 mM) or directly in mM (overrides wt%).
    minutes:
        Immersion time [min].
    size:
        Lateral lattice size in voxels: ``(nx,)`` in 2D, ``(nx, ny)`` in 3D; an optional last entry
        gives the height nz (default: enough for the deposit).
    dim:
        2 (cross-section (z, x)) or 3 ((z, y, x)).
    temperature_C:
        Solution temperature; D(Ag+) and the coarsening rate are Arrhenius in T.
    seed:
        Seed of the random numbers: the same seed gives the same structure.
    """
    if dim not in (2, 3):
        raise ParameterError(f"dim = {dim}: expected 2 or 3")
    size = tuple(int(s) for s in size)
    n_lat = dim - 1
    if len(size) not in (n_lat, n_lat + 1) or any(s < 4 for s in size):
        raise ParameterError(
            f"size = {size}: expected {n_lat} lateral size(s) (+ optional height), each >= 4"
        )
    if minutes < 0:
        raise ParameterError(f"minutes = {minutes}: expected >= 0")
    c_mM = agf_wt_to_mM(params, agf_wt_percent) if agf_mM is None else float(agf_mM)
    if c_mM < 0:
        raise ParameterError(f"AgF concentration {c_mM} mM: expected >= 0")
    if agf_mM is not None:
        agf_wt_percent = c_mM / agf_wt_to_mM(params, 1.0)
    if not -5.0 <= temperature_C <= 100.0:
        raise ParameterError(
            f"temperature {temperature_C} C: expected an aqueous solution, 0-100 C"
        )
    p = params.plumes
    a_m = p.lattice_spacing_nm.value * 1e-9
    a_um = a_m * 1e6
    mol_per_voxel = (a_m * 100) ** 3 * p.ag_density_g_cm3.value / p.ag_molar_mass_g_mol.value
    d_m2_s = p.ag_diffusion_coefficient_m2_s.value * _arrhenius(
        p.diffusion_activation_energy_kJ_mol.value, temperature_C
    )
    t_s = minutes * 60.0
    # Cottrell supply: Ag voxels per projected site by time t, N(t) a^2 / mol_per_voxel
    c_mol_m3 = c_mM  # 1 mM = 1 mol/m^3

    def ag_per_site(t: float) -> float:
        return 2.0 * c_mol_m3 * math.sqrt(d_m2_s * t / math.pi) * a_m**2 / mol_per_voxel

    nx = size[0]
    ny = size[1] if dim == 3 else 1
    n_cols = nx * ny
    total_ag_per_site = ag_per_site(t_s)
    total_events = round(total_ag_per_site * n_cols / 2.0)
    cu_layers = math.ceil(total_ag_per_site / 2.0 * 3.0) + 6
    if len(size) == n_lat + 1:
        nz = size[-1]
        if nz < cu_layers + 8:
            raise ParameterError(f"height {nz} too small: need >= {cu_layers + 8} voxels here")
    else:
        nz = cu_layers + math.ceil(total_ag_per_site * 12.0) + 40
    occ = np.zeros((nz, ny, nx), dtype=np.uint8)
    occ[:cu_layers] = CU
    cu_top = np.full((ny, nx), cu_layers - 1, dtype=np.int64)
    ag_pos = np.zeros((2 * total_events + 2, 3), dtype=np.int64)
    state = np.array([cu_layers - 1, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    c_ref = p.reference_agf_concentration_mM.value
    p_prec = min(1.0, p.precipitation_probability_ref.value * (c_mM / c_ref) ** 2)
    hop_rate = p.coarsening_hop_rate_s.value * _arrhenius(
        p.coarsening_activation_energy_kJ_mol.value, temperature_C
    )
    radius = max(1, round(p.dissolution_radius_nm.value / p.lattice_spacing_nm.value))
    t0 = _time.perf_counter()
    cpu_s = 0.0
    done_events = 0
    rng = np.random.default_rng(seed)
    slice_seeds = rng.integers(0, 2**31 - 1, size=N_SLICES)
    for k in range(N_SLICES):
        t_end = t_s * (k + 1) / N_SLICES
        target = round(ag_per_site(t_end) * n_cols / 2.0) if k < N_SLICES - 1 else total_events
        n_new = max(target - done_events, 0) if state[5] == 0 else 0
        hops = round(hop_rate * (t_s / N_SLICES) * (state[1] + 2 * int(n_new)))
        k0 = _time.process_time()
        grow_plume_slice(
            occ,
            cu_top,
            ag_pos,
            state,
            n_new,
            hops,
            p.reduction_probability.value,
            p.lateral_growth_weight.value,
            p_prec,
            p.bond_energy_kT.value * _T_REF_K / (temperature_C + 273.15),
            radius,
            seed_state(int(slice_seeds[k])),
        )
        cpu_s += _time.process_time() - k0
        done_events = target
    elapsed = _time.perf_counter() - t0
    events = int(state[2])
    area_cm2 = n_cols * (a_m * 100) ** 2
    ag_mol_cm2 = 2 * events * mol_per_voxel / area_cm2
    cu_mol_cm2 = events * mol_per_voxel / area_cm2
    cu_surface = cu_layers - 1
    desc = _descriptors(occ, cu_surface, a_um)
    out = occ[:, 0, :] if dim == 2 else occ
    return PlumeResult(
        occupancy=np.ascontiguousarray(out),
        voxel_size_um=a_um,
        dim=dim,
        agf_wt_percent=float(agf_wt_percent),
        agf_mM=float(c_mM),
        minutes=float(minutes),
        temperature_C=float(temperature_C),
        seed=int(seed),
        cu_surface_index=cu_surface,
        events=events,
        ag_moles_per_cm2=ag_mol_cm2,
        cu_moles_per_cm2=cu_mol_cm2,
        surface_area_factor=surface_area_factor(occ),
        coverage=desc["coverage"],
        porosity=desc["porosity"],
        free_volume_um3_per_um2=desc["free_volume_um3_per_um2"],
        plume_height_um=desc["plume_height_um"],
        ag_loading_mg_cm2=ag_mol_cm2 * p.ag_molar_mass_g_mol.value * 1e3,
        cu_dissolved_mg_cm2=cu_mol_cm2 * p.cu_molar_mass_g_mol.value * 1e3,
        agcuf3_fraction=desc["agcuf3_fraction"],
        passivated=bool(state[5] > 0),
        site_updates=int(state[3]),
        elapsed_s=elapsed,
        extra={
            "target_events": total_events,
            "precipitated": int(state[4]),
            "cu_ion_steps": int(state[6]),
            "coarsening_attempts": int(state[7]),
            "kernel_cpu_s": cpu_s,
        },
    )


def process_map(
    params: Any,
    agf_wt_percent: Sequence[float],
    minutes: Sequence[float],
    *,
    size: Sequence[int] = (256,),
    dim: int = 2,
    seed: int = 0,
    temperature_C: float = 25.0,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Grow one substrate per (concentration, time) case; one row per case with all descriptors.

    ``progress(done, total)`` is called after each case. Every case uses the same ``seed``.
    """
    rows = []
    cases = [(c, m) for c in agf_wt_percent for m in minutes]
    for i, (c, m) in enumerate(cases):
        res = grow_plumes(
            params,
            agf_wt_percent=float(c),
            minutes=float(m),
            size=size,
            dim=dim,
            temperature_C=temperature_C,
            seed=seed,
        )
        rows.append(res.to_dict())
        if progress is not None:
            progress(i + 1, len(cases))
    import pandas as pd

    frame = pd.DataFrame(rows)
    frame["shape"] = frame["shape"].map(lambda s: "x".join(str(v) for v in s))
    return frame


__all__ = [
    "AG",
    "AGCUF3",
    "CU",
    "EMPTY",
    "N_SLICES",
    "R_GAS",
    "PlumeResult",
    "agf_wt_to_mM",
    "grow_plumes",
    "process_map",
    "surface_area_factor",
]
