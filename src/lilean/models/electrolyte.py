"""Electrolyte inventory: solvent and salt consumed by SEI formation, and dry-out.

Every mAh of Li booked as SEI (:mod:`lilean.models.anode`, ``Q_sei``, summed over the electrodes that
share the electrolyte) took as many electrons from the electrolyte. A share ``x_salt`` reduces the salt
(LiPF6 + 2 e- + 2 Li+ -> 3 LiF + PF3), the rest the solvent (1 e- per EC or EMC molecule into lithium
alkyl carbonates; Xu, Chem. Rev. 104, 4303 (2004)). With ``n_e = Q_sei A 3.6 / F`` [mol]::

    n_solvent_used = (1 - x_salt) n_e / z_solvent,     n_salt_used = x_salt n_e / z_salt

The cell holds ``V rho`` of solution: salt ``c V``, solvent ``(V rho - c V M_LiPF6)`` split by the EC mass
fraction ``w`` into ``w m / M_EC + (1 - w) m / M_EMC``. The electrolyte is dried out once the liquid left
is less than the pore volume it must fill (separator + cathode pores), or once its solvent or its salt
is used up; ``dry_out`` says so (``salt_depleted`` for the salt alone).

This is bookkeeping of the SEI the anode model books; the consumption does not yet feed back into the
kinetics (conductivity, Sand's time), so a state beyond 100 % flags that the loss partition of the
parameter set is inconsistent with the 50 uL the cell holds (docs/identifiability.md).
"""

from __future__ import annotations

from typing import Any

from lilean.models.anode import F_C_MOL

M_EC_G_MOL = 88.06  # ethylene carbonate C3H4O3 (IUPAC atomic weights)
M_EMC_G_MOL = 104.10  # ethyl methyl carbonate C4H8O3
M_LIPF6_G_MOL = 151.905  # LiPF6


def electrolyte_state(
    params: Any,
    sei_li_mAh_cm2: float,
    *,
    cathode_thickness_um: float = 0.0,
    cathode_porosity: float = 0.0,
) -> dict[str, float | bool]:
    """Electrolyte left after ``sei_li_mAh_cm2`` of SEI Li (per geometric cm^2, all electrodes).

    Returns the initial solvent and salt [umol], the consumed shares [%] and the liquid left [uL]
    (solvent and salt removed at their partial volumes, approximated by the solution's mean density),
    the pore volume to fill [uL] and ``dry_out``.
    """
    cell = params.cell
    area = cell.electrode_area_cm2.value
    vol_uL = cell.electrolyte_volume_uL.value
    rho = cell.electrolyte_density_g_mL.value
    c_salt = cell.salt_concentration_mol_L.value
    w_ec = cell.ec_mass_fraction_of_solvent.value
    x_salt = cell.sei_salt_electron_fraction.value
    salt_umol = c_salt * vol_uL  # mol/L * uL = umol
    mass_mg = rho * vol_uL  # g/mL * uL = mg
    solvent_mg = mass_mg - salt_umol * M_LIPF6_G_MOL * 1e-3
    solvent_umol = (w_ec / M_EC_G_MOL + (1.0 - w_ec) / M_EMC_G_MOL) * solvent_mg * 1e3
    electrons_umol = max(sei_li_mAh_cm2, 0.0) * area * 3.6 / F_C_MOL * 1e6
    solvent_used = (1.0 - x_salt) * electrons_umol / cell.electrons_per_solvent_molecule.value
    salt_used = x_salt * electrons_umol / cell.electrons_per_salt_molecule.value
    mean_solvent_g_mol = solvent_mg * 1e3 / solvent_umol
    used_mg = (solvent_used * mean_solvent_g_mol + salt_used * M_LIPF6_G_MOL) * 1e-3
    left_uL = max(vol_uL - used_mg / rho, 0.0)
    eps_sep = params.cathode.separator_porosity.value
    sep = cell.separator_thickness_um.value * 1e-4 * area * eps_sep * 1e3  # cm^3 -> uL
    pores_uL = sep + cathode_thickness_um * 1e-4 * area * cathode_porosity * 1e3
    return {
        "solvent_initial_umol": solvent_umol,
        "salt_initial_umol": salt_umol,
        "solvent_consumed_percent": 100.0 * solvent_used / solvent_umol,
        "salt_consumed_percent": 100.0 * salt_used / salt_umol,
        "electrolyte_left_uL": left_uL,
        "pore_volume_uL": pores_uL,
        "salt_depleted": bool(salt_used >= salt_umol),
        "dry_out": bool(
            left_uL < pores_uL or solvent_used >= solvent_umol or salt_used >= salt_umol
        ),
    }
