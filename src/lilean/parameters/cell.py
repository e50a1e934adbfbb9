"""Cell build and test conditions of the study (Zhang et al. 2023, system.md sections 2-3)."""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class CellParameters(ParameterGroup):
    """Coin-cell geometry, Li inventory, cathode loading and the cycling protocol's limits."""

    electrode_diameter_mm: Param = spec("mm", "electrode disk diameter", gt=0)
    electrode_area_cm2: Param = spec("cm^2", "electrode area (pi d^2 / 4)", gt=0)
    li_inventory_mAh_cm2: Param = spec("mAh/cm^2", "Li electrodeposited on the substrate", ge=0)
    li_deposition_current_density_mA_cm2: Param = spec(
        "mA/cm^2", "current density of the Li pre-deposition", gt=0
    )
    cathode_loading_mAh_cm2: Param = spec("mAh/cm^2", "LFP areal capacity (at 1C rating)", gt=0)
    lfp_specific_capacity_mAh_g: Param = spec("mAh/g", "LFP capacity defining 1C", gt=0)
    lfp_mass_fraction: Param = spec("1", "LFP weight fraction in the cathode coating", gt=0, le=1)
    electrolyte_volume_uL: Param = spec("uL", "electrolyte per coin cell", gt=0)
    electrolyte_density_g_mL: Param = spec("g/mL", "density of 1 M LiPF6 in EC:EMC", gt=0)
    salt_concentration_mol_L: Param = spec("mol/L", "LiPF6 concentration", gt=0)
    ec_mass_fraction_of_solvent: Param = spec(
        "1", "EC share of the EC:EMC solvent mass", ge=0, le=1
    )
    electrons_per_solvent_molecule: Param = spec(
        "1", "electrons consumed per solvent molecule reduced into the SEI", gt=0
    )
    electrons_per_salt_molecule: Param = spec(
        "1", "electrons consumed per LiPF6 reduced into the SEI (LiF)", gt=0
    )
    sei_salt_electron_fraction: Param = spec(
        "1",
        "share of the SEI-forming electrons that reduce the salt (the rest the solvent)",
        ge=0,
        le=1,
    )
    separator_thickness_um: Param = spec("um", "Celgard 2400 thickness", gt=0)
    temperature_C: Param = spec("degC", "test temperature", gt=-60, lt=100)
    upper_cutoff_V: Param = spec("V", "full-cell charge cut-off voltage", gt=0)
    lower_cutoff_V: Param = spec("V", "full-cell discharge cut-off voltage", gt=0)
    formation_cycles: Param = spec("1", "formation cycles before the test", ge=0)
    formation_c_rate: Param = spec("1/h", "C-rate of the formation cycles", gt=0)

    @property
    def np_ratio(self) -> float:
        """N/P = Li inventory / cathode areal capacity (dimensionless)."""
        return self.li_inventory_mAh_cm2.value / self.cathode_loading_mAh_cm2.value

    @property
    def active_mass_mg(self) -> float:
        """LFP mass on one electrode: loading x area / specific capacity, in mg."""
        return (
            self.cathode_loading_mAh_cm2.value
            * self.electrode_area_cm2.value
            / self.lfp_specific_capacity_mAh_g.value
            * 1e3
        )
