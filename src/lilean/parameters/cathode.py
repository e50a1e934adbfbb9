"""LiFePO4 cathode parameters for the SPMe model in :mod:`lilean.models.cathode`.

Sources (full citations in the TOML file's ``source`` strings and in ``models/cathode.py``):

* Prada et al., J. Electrochem. Soc. 160 (2013) A616, as packaged in PyBaMM's ``Prada2013`` set:
  LFP maximum concentration, solid diffusivity, particle radius, electrode conductivity; OCV after
  Afshar et al. (2017) (fixed formula in the model); exchange-current constant after Kashkooli et al.,
  J. Appl. Electrochem. 47 (2017) 281.
* Nyman et al., Electrochim. Acta 53 (2008) 6356: LiPF6 in EC:EMC electrolyte transport
  (diffusivity at 1 M, transference number, conductivity polynomial).
* The cell group (:mod:`lilean.parameters.cell`) gives the loading, area, LFP fraction and separator
  thickness; the cathode thickness and LFP volume fraction are derived from those (see the model).
"""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class CathodeParameters(ParameterGroup):
    """LFP single-particle-with-electrolyte parameters."""

    # ---- LFP active material ---------------------------------------------------------------
    lfp_density_g_cm3: Param = spec("g/cm^3", "LiFePO4 crystal density", gt=0)
    additive_density_g_cm3: Param = spec(
        "g/cm^3", "mean density of the carbon black + PVDF additives", gt=0
    )
    porosity: Param = spec(
        "1", "cathode coating porosity (electrolyte volume fraction)", gt=0, lt=1
    )
    active_material_fraction: Param = spec(
        "1", "fraction of the LFP that is electrochemically accessible (connected)", gt=0, le=1
    )
    max_concentration_mol_m3: Param = spec("mol/m^3", "Li concentration in LiFePO4 (x = 1)", gt=0)
    particle_radius_nm: Param = spec("nm", "radius of the representative LFP particle", gt=0)
    solid_diffusivity_m2_s: Param = spec("m^2/s", "effective Li diffusivity in LFP", gt=0)
    reaction_rate_constant: Param = spec(
        "A/m^2/(mol/m^3)^1.5",
        "k in i0 = k c_e^0.5 c_s^0.5 (c_max - c_s)^0.5 at the reference temperature",
        gt=0,
    )
    reaction_activation_energy_J_mol: Param = spec(
        "J/mol", "Arrhenius activation energy of k (reference 298.15 K)", ge=0
    )
    electrode_conductivity_S_m: Param = spec("S/m", "cathode solid-phase conductivity", gt=0)
    bruggeman_electrode: Param = spec("1", "Bruggeman exponent, solid phase", ge=0)
    bruggeman_electrolyte: Param = spec("1", "Bruggeman exponent, electrolyte in cathode", ge=0)
    particle_classes: Param = spec(
        "1",
        "number of LFP particle classes (equal-volume quantiles of the distributions)",
        ge=1,
        le=50,
    )
    particle_radius_log_sd: Param = spec(
        "1",
        "standard deviation of ln(radius), volume-weighted lognormal particle sizes",
        ge=0,
        lt=3,
    )
    particle_contact_resistance_ohm_m2: Param = spec(
        "Ohm m^2",
        "median electronic contact resistance of a particle, per m^2 of its surface",
        ge=0,
    )
    particle_contact_resistance_log_sd: Param = spec(
        "1", "standard deviation of ln(particle contact resistance), lognormal", ge=0, lt=6
    )
    contact_resistance_ohm_cm2: Param = spec(
        "Ohm cm^2", "area-specific electronic/contact resistance of the cathode", ge=0
    )
    # ---- separator + electrolyte -----------------------------------------------------------
    separator_porosity: Param = spec("1", "separator porosity", gt=0, lt=1)
    separator_bruggeman: Param = spec("1", "Bruggeman exponent, separator", ge=0)
    electrolyte_concentration_mol_m3: Param = spec("mol/m^3", "initial LiPF6 concentration", gt=0)
    electrolyte_diffusivity_m2_s: Param = spec(
        "m^2/s", "LiPF6 salt diffusivity (at the initial concentration)", gt=0
    )
    cation_transference_number: Param = spec("1", "Li+ transference number t+", ge=0, lt=1)
    thermodynamic_factor: Param = spec("1", "1 + dln f / dln c of the salt", gt=0)
    electrolyte_conductivity_c1_S_m: Param = spec(
        "S/m", "kappa = c1 c + c15 c^1.5 + c3 c^3 (c in mol/L): coefficient c1", gt=-1e3
    )
    electrolyte_conductivity_c15_S_m: Param = spec(
        "S/m", "kappa = c1 c + c15 c^1.5 + c3 c^3 (c in mol/L): coefficient c15", gt=-1e3
    )
    electrolyte_conductivity_c3_S_m: Param = spec(
        "S/m", "kappa = c1 c + c15 c^1.5 + c3 c^3 (c in mol/L): coefficient c3", gt=-1e3
    )
    # ---- ageing (applied by the full-cell loop) ----------------------------------------------
    loss_of_active_material_per_cycle: Param = spec(
        "1", "fraction of the remaining LFP lost per full cycle", ge=0, lt=1
    )
    loss_of_active_material_per_hour: Param = spec(
        "1/h", "fraction of the remaining LFP lost per hour (calendar)", ge=0, lt=1
    )
    # ---- small-signal (impedance) properties, used by lilean.models.impedance ----------------
    double_layer_capacitance_uF_cm2: Param = spec(
        "uF/cm^2", "double-layer capacitance per cm^2 of LFP particle surface", gt=0
    )
