"""Li nucleation on a substrate (one instance per substrate; see :mod:`lilean.models.nucleation`).

One :class:`NucleationParameters` instance per substrate (``[cu]`` and ``["ag-cu"]`` in
``sets/Zhang2023/nucleation.toml``). The substrate enters only through the Li/substrate contact angle
(heterogeneous factor of classical nucleation theory); everything else describes Li metal, the
electrolyte and the cell, and has the same value on both substrates.
"""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class NucleationParameters(ParameterGroup):
    """Classical heterogeneous nucleation + double layer + Butler-Volmer growth parameters."""

    # ---- substrate ----------------------------------------------------------------------------
    contact_angle_deg: Param = spec(
        "deg",
        "Li nucleus / substrate contact angle; heterogeneous factor "
        "f = (2 + cos t)(1 - cos t)^2 / 4 (0 = perfect wetting, no barrier; 180 = homogeneous)",
        ge=0,
        le=180,
    )
    alloying_exchange_current_density_mA_cm2: Param = spec(
        "mA/cm^2",
        "exchange current density of the barrier-free Li alloying pathway on the bare substrate "
        "(Li + Ag -> Li-Ag solid solution); 0 for a non-alloying substrate such as Cu",
        ge=0,
    )
    # ---- Li metal and its interface -----------------------------------------------------------
    li_surface_energy_J_m2: Param = spec(
        "J/m^2", "surface (interfacial) energy of the Li nucleus, sets the nucleation barrier", gt=0
    )
    li_molar_volume_cm3_mol: Param = spec("cm^3/mol", "molar volume of Li metal", gt=0)
    exchange_current_density_mA_cm2: Param = spec(
        "mA/cm^2", "Li/Li+ exchange current density on the growing Li deposit (Butler-Volmer)", gt=0
    )
    counter_exchange_current_density_mA_cm2: Param = spec(
        "mA/cm^2", "Li/Li+ exchange current density of the Li-foil counter electrode", gt=0
    )
    charge_transfer_coefficient: Param = spec(
        "1",
        "cathodic transfer coefficient alpha_c of Li+ + e- -> Li (anodic: 1 - alpha_c)",
        gt=0,
        lt=1,
    )
    double_layer_capacitance_uF_cm2: Param = spec(
        "uF/cm^2", "double-layer capacitance of the substrate/electrolyte interface", gt=0
    )
    # ---- nucleation kinetics ------------------------------------------------------------------
    nucleation_site_density_cm2: Param = spec(
        "1/cm^2", "density of active nucleation sites N0 (saturation nucleus density)", gt=0
    )
    nucleation_attempt_frequency_s: Param = spec(
        "1/s", "attempt frequency k0 per site: rate = k0 exp(-dG*/kT) (N0 - N)", gt=0
    )
    # ---- cell ---------------------------------------------------------------------------------
    series_resistance_ohm_cm2: Param = spec(
        "ohm*cm^2",
        "area-specific series resistance (electrolyte, separator, SEI of both sides)",
        ge=0,
    )
