"""Ag plume growth by galvanic displacement on Cu (see :mod:`lilean.models.plumes`).

Values live in ``sets/Zhang2023/plumes.toml``. The lattice model is a diffusion-limited aggregation
(Witten & Sander, Phys. Rev. Lett. 47, 1400 (1981)) of Ag+ walkers with a reaction (sticking)
probability, coupled to Cu dissolution (Cu + 2 Ag+ -> Cu2+ + 2 Ag), AgCuF3 precipitation by the
released Cu2+ and bond-counting surface diffusion of Ag (coarsening, a kinetic Monte Carlo step).
"""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class PlumeParameters(ParameterGroup):
    """Lattice model of Cu + 2 Ag+ -> Cu2+ + 2 Ag with AgCuF3 precipitation and Ag coarsening."""

    # ---- lattice and materials ----------------------------------------------------------------
    lattice_spacing_nm: Param = spec("nm", "edge of one lattice voxel", gt=0)
    ag_molar_mass_g_mol: Param = spec("g/mol", "molar mass of Ag", gt=0)
    cu_molar_mass_g_mol: Param = spec("g/mol", "molar mass of Cu", gt=0)
    agf_molar_mass_g_mol: Param = spec("g/mol", "molar mass of AgF (wt% -> mM conversion)", gt=0)
    ag_density_g_cm3: Param = spec("g/cm^3", "density of Ag metal (sets moles per Ag voxel)", gt=0)
    solution_density_g_cm3: Param = spec(
        "g/cm^3", "density of the dilute aqueous AgF solution (wt% -> mM conversion)", gt=0
    )
    # ---- transport ----------------------------------------------------------------------------
    ag_diffusion_coefficient_m2_s: Param = spec(
        "m^2/s", "diffusion coefficient of Ag+ in water at 25 C (Cottrell supply flux)", gt=0
    )
    diffusion_activation_energy_kJ_mol: Param = spec(
        "kJ/mol", "Arrhenius activation energy of D(Ag+) in water", ge=0
    )
    # ---- reactions ----------------------------------------------------------------------------
    reduction_probability: Param = spec(
        "1", "probability that an Ag+ walker next to Ag/Cu is reduced, per visit", gt=0, le=1
    )
    lateral_growth_weight: Param = spec(
        "1",
        "anisotropy: reduction probability for attachment to a lateral or overhanging neighbour "
        "relative to attachment on top of the growth direction (lattice-following growth)",
        gt=0,
        le=1,
    )
    dissolution_radius_nm: Param = spec(
        "nm", "lateral range of the local galvanic cell: Cu dissolves within this radius", gt=0
    )
    precipitation_probability_ref: Param = spec(
        "1",
        "probability per wall-contact step that a Cu2+ ion precipitates AgCuF3 at the reference "
        "AgF concentration; scales with [Ag+][F-] = c^2",
        ge=0,
        le=1,
    )
    reference_agf_concentration_mM: Param = spec(
        "mM", "reference AgF concentration of precipitation_probability_ref (1 wt%)", gt=0
    )
    # ---- coarsening ---------------------------------------------------------------------------
    coarsening_hop_rate_s: Param = spec(
        "1/s", "attempt frequency of Ag surface-diffusion hops per Ag voxel at 25 C", ge=0
    )
    coarsening_activation_energy_kJ_mol: Param = spec(
        "kJ/mol", "Arrhenius activation energy of the Ag coarsening hops", ge=0
    )
    bond_energy_kT: Param = spec(
        "1", "Ag-neighbour bond energy in units of kT at 25 C (bond-counting KMC)", ge=0
    )
