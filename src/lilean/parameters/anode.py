"""Li-lean anode parameters per substrate: Li inventory losses, corrosion, resistances, shorts.

One :class:`AnodeParameters` instance per substrate (``[cu]`` and ``["ag-cu"]`` in
``sets/Zhang2023/anode.toml``). The equations that use them are in :mod:`lilean.models.anode`.
"""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class AnodeParameters(ParameterGroup):
    """Li inventory bookkeeping and interface evolution on one substrate."""

    # ---- Li inventory losses ------------------------------------------------------------------
    cycling_loss_fraction: Param = spec(
        "1",
        "fraction of the plated/stripped Li lost (SEI + dead Li) on a fresh, flat deposit; "
        "1 - intrinsic Coulombic efficiency",
        ge=0,
        lt=1,
    )
    cycling_loss_current_exponent: Param = spec(
        "1",
        "current-density dependence of the cycling loss: eps(J) = eps (J / 1 mA/cm^2)^n "
        "(0 = independent of current)",
        ge=0,
    )
    dead_li_reactivation_cm2_per_mAh: Param = spec(
        "cm^2/mAh",
        "first-order reconnection of isolated (dead) Li per mAh/cm^2 stripped: "
        "dQ_dead = -k Q_dead dq (isolated Li moves under the cell's field and reconnects)",
        ge=0,
    )
    dead_li_fraction: Param = spec(
        "1",
        "share of the cycling loss that becomes electrically isolated (dead) Li metal",
        ge=0,
        le=1,
    )
    corrosion_rate_mAh_cm2_h: Param = spec(
        "mAh/cm^2/h",
        "calendar corrosion of Li metal per unit Li/electrolyte contact area (per geometric cm^2)",
        ge=0,
    )
    corrosion_passivation_time_h: Param = spec(
        "h",
        "time constant of SEI passivation: the corrosion rate on a surface of age t is "
        "k_corr / sqrt(1 + t / tau) (parabolic SEI growth)",
        gt=0,
    )
    specific_area_cm2_per_mAh: Param = spec(
        "cm^2/mAh",
        "Li/electrolyte contact area added per mAh of Li reservoir (per geometric cm^2; 0 = dense)",
        ge=0,
    )
    dead_li_area_factor_cm2_per_mAh: Param = spec(
        "cm^2/mAh", "contact area added per mAh of dead Li (the porous dead-Li layer)", ge=0
    )
    coverage_capacity_mAh_cm2: Param = spec(
        "mAh/cm^2",
        "Li needed to keep the substrate covered; below it the exchange current and the corrosion "
        "area fall in proportion",
        gt=0,
    )
    # ---- kinetics and resistances -------------------------------------------------------------
    exchange_current_density_mA_cm2: Param = spec(
        "mA/cm^2", "Li/Li+ exchange current density (Butler-Volmer, alpha = 0.5)", gt=0
    )
    substrate_exchange_current_density_mA_cm2: Param = spec(
        "mA/cm^2",
        "effective exchange current density of plating onto the bare (Li-free) substrate: "
        "nucleation on Cu, alloying on Ag",
        gt=0,
    )
    sei_resistance_ohm_cm2: Param = spec("ohm*cm^2", "initial SEI resistance", ge=0)
    sei_resistivity_ohm_cm2_per_mAh: Param = spec(
        "ohm*cm^2/(mAh/cm^2)", "interphase resistance growth per mAh/cm^2 of Li lost to SEI", ge=0
    )
    dead_li_porosity: Param = spec("1", "porosity of the dead-Li layer", gt=0, lt=1)
    dead_li_tortuosity: Param = spec("1", "tortuosity of the dead-Li layer", ge=1)
    electrolyte_conductivity_mS_cm: Param = spec(
        "mS/cm", "ionic conductivity of 1 M LiPF6 in EC:EMC at 25 C", gt=0
    )
    separator_macmullin: Param = spec(
        "1", "MacMullin number of the separator (tortuosity / porosity)", ge=1
    )
    transient_overshoot: Param = spec(
        "1",
        "relative height of the start-of-half-cycle overpotential peak (nucleation of new Li on Li)",
        ge=0,
    )
    transient_charge_mAh_cm2: Param = spec(
        "mAh/cm^2", "charge over which the start-of-half-cycle peak decays", gt=0
    )
    # ---- dendrites, shorts, heterogeneity ----------------------------------------------------
    dendrite_growth_um_per_mAh: Param = spec(
        "um/(mAh/cm^2)", "protrusion growth per mAh/cm^2 plated (below Sand's time)", ge=0
    )
    dendrite_retraction: Param = spec(
        "1", "fraction of the protrusion growth removed again on stripping", ge=0, le=1
    )
    sand_time_1mA_s: Param = spec(
        "s", "Sand's time at 1 mA/cm^2 (t_Sand = t_1 / J^2, J in mA/cm^2)", gt=0
    )
    hotspot_factor: Param = spec(
        "1", "local / mean current density at deposit hot spots (sets the local Sand's time)", ge=1
    )
    short_threshold_spread: Param = spec(
        "1", "lognormal sigma of the protrusion length that bridges the separator", ge=0
    )
    short_resistance_ohm_cm2: Param = spec("ohm*cm^2", "resistance of a short (Li filament)", gt=0)
    filament_radius_um: Param = spec(
        "um", "radius of the Li filament that bridges the separator (sets its fuse voltage)", gt=0
    )
    electrolyte_thermal_conductivity_W_m_K: Param = spec(
        "W/(m*K)",
        "thermal conductivity of the electrolyte-filled separator around a filament",
        gt=0,
    )
    electrode_heterogeneity: Param = spec(
        "1", "lognormal sigma of the electrode-to-electrode contact-area factor", ge=0
    )
    # ---- small-signal (impedance) properties, used by lilean.models.impedance ----------------
    double_layer_capacitance_uF_cm2: Param = spec(
        "uF/cm^2",
        "double-layer capacitance of the Li/electrolyte interface per cm^2 of contact area",
        gt=0,
    )
    sei_relative_permittivity: Param = spec(
        "1", "relative permittivity of the SEI film (its capacitance C = eps0 eps_r A / d)", gt=0
    )
    sei_initial_thickness_nm: Param = spec(
        "nm", "thickness of the SEI film on fresh Li (when its resistance is sei_resistance)", gt=0
    )
