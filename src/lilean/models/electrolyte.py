"""Electrolyte inventory: solvent and salt consumed by SEI formation, its feedback, and dry-out.

Every mAh of Li booked as SEI (:mod:`lilean.models.anode`, ``Q_sei``) took as many electrons from the
electrolyte that the electrodes share. A share ``x_salt`` reduces the salt (LiPF6 + 2 e- + 2 Li+ ->
3 LiF + PF3), the rest the solvent (1 e- per EC or EMC molecule into lithium alkyl carbonates; Xu2004). With ``n_e = Q_sei A 3.6 / F`` [mol]::

    n_solvent_used = (1 - x_salt) n_e / z_solvent,     n_salt_used = x_salt n_e / z_salt

The cell holds ``V rho`` of solution: salt ``c V``, solvent ``(V rho - c V M_LiPF6)`` split by the EC mass
fraction ``w`` into ``w m / M_EC + (1 - w) m / M_EMC``. So the electrolyte can take at most::

    Q_salt    = n_salt z_salt / x_salt F / (3.6 A)            [mAh/cm^2 of SEI Li]
    Q_solvent = n_solvent z_solvent / (1 - x_salt) F / (3.6 A)

of SEI Li; the anode kernels carry the fractions left, ``f_salt`` and ``f_solvent`` (state
``S_SALT``, ``S_SOLV``), and never book more SEI than ``min(f_salt Q_salt, f_solvent Q_solvent)``
(consumed <= present, exactly). Once the electrolyte cannot take more, the electrons that would have
reduced it plate or strip Li instead (no SEI can form without electrolyte).

Feedback (the consumption changes the cell): the salt concentration is ``c = c0 f_salt / v`` with the
liquid volume fraction left ``v = phi_solvent f_solvent + (1 - phi_solvent) f_salt`` (partial volumes
approximated by the solution's mean density). Conductivity and salt diffusivity follow the LiPF6 /
carbonate correlations of Valoen & Reimers (J. Electrochem. Soc. 152, A882 (2005); Valoen2005),
applied as ratios to the set's values at ``c0``::

    kappa(c) = c (-10.5 + 0.0740 T - 6.96e-5 T^2 + 0.668 c - 0.0178 c T + 2.80e-5 c T^2
                  + 0.494 c^2 - 8.86e-4 c^2 T)^2                                  [mS/cm, c in M]
    D(c)     = 10^(-4.43 - 54 / (T - 229 - 5 c) - 0.22 c)                          [cm^2/s]

Sand's time scales as ``D c^2`` (Sand's equation; Bai et al. 2016). Dry-out: when the liquid left is
less than the pore volume it must fill (separator + cathode pores, fraction ``phi_pore`` of the
initial volume), only a fraction ``w = v / phi_pore`` of the separator stays wetted and its ionic
resistance rises as ``R_sep kappa0 / (kappa w)``; with the salt used up ``kappa -> 0``: the cell's
resistance diverges and it fails (symmetric: polarization; full cell: the voltage reaches its cut-off
at once, no capacity). ``dry_out`` in :func:`electrolyte_state` says so.
"""

from __future__ import annotations

import math
from typing import Any

from numba import njit

from lilean.constants import FARADAY_C_MOL

M_EC_G_MOL = 88.06  # ethylene carbonate C3H4O3 (IUPAC atomic weights)
M_EMC_G_MOL = 104.10  # ethyl methyl carbonate C4H8O3
M_LIPF6_G_MOL = 151.905  # LiPF6
#: a salt or solvent share below this counts as used up (dry-out)
DEPLETED_FRACTION = 1e-3
#: floor of the conductivity ratio (keeps the diverging resistance finite: ~1e6 x)
KAPPA_FLOOR_RATIO = 1e-6


@njit(cache=True, error_model="numpy")
def valoen_conductivity_mS_cm(c_mol_L: float, temperature_K: float) -> float:
    """Conductivity of LiPF6 in carbonates (Valoen & Reimers 2005) [mS/cm], ``c`` in mol/L."""
    c = max(c_mol_L, 0.0)
    t = temperature_K
    poly = (
        -10.5
        + 0.0740 * t
        - 6.96e-5 * t * t
        + 0.668 * c
        - 0.0178 * c * t
        + 2.80e-5 * c * t * t
        + 0.494 * c * c
        - 8.86e-4 * c * c * t
    )
    return c * poly * poly


@njit(cache=True, error_model="numpy")
def valoen_diffusivity_cm2_s(c_mol_L: float, temperature_K: float) -> float:
    """Salt diffusivity of LiPF6 in carbonates (Valoen & Reimers 2005) [cm^2/s]."""
    c = max(c_mol_L, 0.0)
    return 10.0 ** (-4.43 - 54.0 / (temperature_K - 229.0 - 5.0 * c) - 0.22 * c)


def _amounts(params: Any) -> dict[str, float]:
    cell = params.cell
    vol_uL = cell.electrolyte_volume_uL.value
    rho = cell.electrolyte_density_g_mL.value
    salt_umol = cell.salt_concentration_mol_L.value * vol_uL  # mol/L * uL = umol
    mass_mg = rho * vol_uL  # g/mL * uL = mg
    salt_mg = salt_umol * M_LIPF6_G_MOL * 1e-3
    solvent_mg = mass_mg - salt_mg
    w_ec = cell.ec_mass_fraction_of_solvent.value
    solvent_umol = (w_ec / M_EC_G_MOL + (1.0 - w_ec) / M_EMC_G_MOL) * solvent_mg * 1e3
    return {
        "volume_uL": vol_uL,
        "salt_umol": salt_umol,
        "solvent_umol": solvent_umol,
        "solvent_volume_fraction": solvent_mg / mass_mg,
    }


def pore_volume_uL(
    params: Any, *, cathode_thickness_um: float = 0.0, cathode_porosity: float = 0.0
) -> float:
    """Pore volume the electrolyte must fill: separator + cathode coating [uL]."""
    cell = params.cell
    area = cell.electrode_area_cm2.value
    eps_sep = params.cathode.separator_porosity.value
    sep = cell.separator_thickness_um.value * 1e-4 * area * eps_sep * 1e3  # cm^3 -> uL
    return sep + cathode_thickness_um * 1e-4 * area * cathode_porosity * 1e3


def electrolyte_capacity(
    params: Any, *, cathode_thickness_um: float = 0.0, cathode_porosity: float = 0.0
) -> dict[str, float]:
    """What the cell's electrolyte can take, for the anode kernels
    (:func:`lilean.models.anode.anode_parameter_vector`, keyword ``electrolyte``):

    ``sei_li_salt_mAh_cm2`` / ``sei_li_solvent_mAh_cm2`` (``Q_salt``, ``Q_solvent``: SEI Li per cm^2
    of electrode that uses up the salt / the solvent; ``inf`` when that species takes no electrons),
    ``solvent_volume_fraction``, ``pore_volume_fraction`` (pores / electrolyte volume),
    ``salt_concentration_mol_L``.
    """
    cell = params.cell
    area = cell.electrode_area_cm2.value
    x_salt = cell.sei_salt_electron_fraction.value
    am = _amounts(params)
    umol_to_mAh_cm2 = 1e-6 * FARADAY_C_MOL / 3.6 / area
    q_salt = (
        am["salt_umol"] * cell.electrons_per_salt_molecule.value / x_salt * umol_to_mAh_cm2
        if x_salt > 0
        else math.inf
    )
    q_solv = (
        am["solvent_umol"]
        * cell.electrons_per_solvent_molecule.value
        / (1.0 - x_salt)
        * umol_to_mAh_cm2
        if x_salt < 1
        else math.inf
    )
    pores = pore_volume_uL(
        params, cathode_thickness_um=cathode_thickness_um, cathode_porosity=cathode_porosity
    )
    return {
        "sei_li_salt_mAh_cm2": q_salt,
        "sei_li_solvent_mAh_cm2": q_solv,
        "solvent_volume_fraction": am["solvent_volume_fraction"],
        "pore_volume_fraction": pores / am["volume_uL"],
        "salt_concentration_mol_L": cell.salt_concentration_mol_L.value,
    }


def electrolyte_state_from_fractions(
    params: Any,
    salt_left_fraction: float,
    solvent_left_fraction: float,
    *,
    cathode_thickness_um: float = 0.0,
    cathode_porosity: float = 0.0,
) -> dict[str, float | bool]:
    """The electrolyte state reported by the scenarios, from the kernel's fractions left
    (``S_SALT``, ``S_SOLV`` of :mod:`lilean.models.anode`).

    Returns the initial solvent and salt [umol], the consumed shares [%] (0..100 by construction),
    the liquid left [uL], the pore volume to fill [uL], the salt concentration [mol/L] and
    conductivity ratio ``kappa / kappa0`` left, ``salt_depleted`` and ``dry_out``.
    """
    cell = params.cell
    am = _amounts(params)
    f_salt = min(max(float(salt_left_fraction), 0.0), 1.0)
    f_solv = min(max(float(solvent_left_fraction), 0.0), 1.0)
    phi = am["solvent_volume_fraction"]
    v = phi * f_solv + (1.0 - phi) * f_salt
    left_uL = am["volume_uL"] * v
    pores = pore_volume_uL(
        params, cathode_thickness_um=cathode_thickness_um, cathode_porosity=cathode_porosity
    )
    c0 = cell.salt_concentration_mol_L.value
    t_k = cell.temperature_C.value + 273.15
    c = c0 * f_salt / v if v > 0 else 0.0
    k0 = valoen_conductivity_mS_cm(c0, t_k)
    return {
        "solvent_initial_umol": am["solvent_umol"],
        "salt_initial_umol": am["salt_umol"],
        "solvent_consumed_percent": 100.0 * (1.0 - f_solv),
        "salt_consumed_percent": 100.0 * (1.0 - f_salt),
        "electrolyte_left_uL": left_uL,
        "pore_volume_uL": pores,
        "salt_concentration_mol_L": c,
        "conductivity_ratio": valoen_conductivity_mS_cm(c, t_k) / k0 if k0 > 0 else 0.0,
        "salt_depleted": bool(f_salt <= DEPLETED_FRACTION),
        "dry_out": bool(
            left_uL < pores or f_salt <= DEPLETED_FRACTION or f_solv <= DEPLETED_FRACTION
        ),
    }


def electrolyte_state(
    params: Any,
    sei_li_mAh_cm2: float,
    *,
    cathode_thickness_um: float = 0.0,
    cathode_porosity: float = 0.0,
) -> dict[str, float | bool]:
    """The electrolyte left after ``sei_li_mAh_cm2`` of SEI Li formed in the cell (per cm^2 of
    electrode, all electrodes), capped at what the cell holds (the kernels never book more; see the
    module docstring). Same keys as :func:`electrolyte_state_from_fractions`."""
    cap = electrolyte_capacity(
        params, cathode_thickness_um=cathode_thickness_um, cathode_porosity=cathode_porosity
    )
    q = max(float(sei_li_mAh_cm2), 0.0)
    q = min(q, cap["sei_li_salt_mAh_cm2"], cap["sei_li_solvent_mAh_cm2"])
    f_salt = 1.0 - q / cap["sei_li_salt_mAh_cm2"]
    f_solv = 1.0 - q / cap["sei_li_solvent_mAh_cm2"]
    return electrolyte_state_from_fractions(
        params,
        f_salt,
        f_solv,
        cathode_thickness_um=cathode_thickness_um,
        cathode_porosity=cathode_porosity,
    )
