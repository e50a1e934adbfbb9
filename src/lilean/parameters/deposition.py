"""Lattice model of Li electrodeposition on Cu and Ag@Cu (see models/deposition_lattice.py).

Only the parameters that are specific to the lattice model live here. The nucleation barrier
(nucleation overpotential), the Li molar volume, the transfer coefficient and the temperature come
from the same groups the cell model uses (``substrates[s].nucleation`` and ``cell``).
"""

from __future__ import annotations

from lilean.parameters.core import Param, ParameterGroup, spec


class DepositionLatticeParameters(ParameterGroup):
    """Li deposition morphology: lattice scale, sticking (tip enhancement), Li-Ag alloying."""

    voxel_size_um: Param = spec(
        "um", "edge length of one lattice voxel (one Li walker deposits one voxel of Li)", gt=0
    )
    damkohler_1mA: Param = spec(
        "1",
        "Damkohler number Da_1 of Li attachment at 1 mA/cm^2 on a unit reacting area; Da = Da_1 J / A_act "
        "(local current density) sets the sticking probability p = Da / (1 + Da) "
        "(reaction-limited, compact growth for Da << 1; diffusion-limited tip growth for Da >> 1)",
        gt=0,
    )
    migration_bias: Param = spec(
        "1",
        "probability that a walker step is a field-driven step towards the electrode instead of a "
        "random (diffusive) step (drift / (drift + diffusion))",
        ge=0,
        lt=1,
    )
    surface_diffusion_hops: Param = spec(
        "1",
        "number of hops a freshly deposited Li atom may make towards a better-coordinated surface "
        "site (surface relaxation)",
        ge=0,
        le=20,
    )
    ag_molar_volume_cm3_mol: Param = spec("cm^3/mol", "molar volume of Ag metal", gt=0)
    alloy_li_per_ag: Param = spec(
        "1",
        "Li atoms absorbed per Ag atom before the Ag voxel is fully lithiated (x in Li_x Ag)",
        gt=0,
    )
    sei_passivation_capacity_mAh_cm2: Param = spec(
        "mAh/cm^2",
        "Li plated after a Li voxel was deposited before its SEI passivates it (fresh-Li window)",
        gt=0,
    )
    passivated_li_activity: Param = spec(
        "1",
        "attachment probability on SEI-passivated Li relative to fresh Li (tip/base growth where the "
        "SEI is fresh or broken)",
        ge=0,
        le=1,
    )
