"""Li-lean anode: Li inventory bookkeeping, interface resistance and protrusion growth on a substrate.

State (per electrode, per geometric cm^2; a float64 array, see the ``S_*`` indices)
-------------------------------------------------------------------------------
``Q_act``   active Li reservoir on the substrate [mAh/cm^2] (1 mAh/cm^2 = 4.85 um of dense Li)
``Q_dead``  electrically isolated ("dead") Li metal [mAh/cm^2]
``Q_sei``   Li bound in the SEI [mAh/cm^2]
``L_prot``  protrusion (dendrite) length [um]; the cell shorts when it exceeds ``L_short``
plus the charge and time since the current last changed sign (for transients and Sand's time).

Inventory equations (J = |i| in mA/cm^2, dq = J dt / 3600 in mAh/cm^2)
-----------------------------------------------------------------------
Contact-area factors (relative to the geometric area, ``m`` = this electrode's heterogeneity factor,
``theta = Q_act / (Q_act + q_cov)`` the substrate coverage)::

    a_fresh = m (1 + k_dead Q_dead)                        (fresh surface made per mAh cycled)
    a_corr  = m theta (1 + s Q_act + k_dead Q_dead)        (Li/electrolyte area of the reservoir)

``s`` (cm^2/mAh) is large for the mossy, high-area Li on bare Cu and small for the dense Li hosted in
the Ag plumes of Ag@Cu
(Zhang2023; Adams2018: Li-on-Cu Coulombic efficiency 80-95 % in carbonates). ``k_dead`` makes both grow with the porous
dead-Li layer (Chen2017).

* plating ``dq``: ``Q_act += dq (1 - eps a_fresh (1 - f_dead))``, ``Q_sei += dq eps a_fresh (1 - f_dead)``
  (part of the electrons reduce electrolyte on the freshly exposed Li: SEI);
* stripping ``dq``: ``Q_act -= dq (1 + eps a_fresh f_dead)``, ``Q_dead += dq eps a_fresh f_dead``
  (part of the Li loses electronic contact: dead Li; Fang2019), with ``eps(J) = eps
  (J / 1 mA/cm^2)^n`` (``cycling_loss_current_exponent`` n);
* reconnection of dead Li while stripping, on the bare share of the substrate (where the active
  Li beneath the dead layer is gone): ``Q_dead -> Q_act`` at ``Q_dead (1 - exp(-k (1 - theta) dq))``
  (isolated Li drifts under the stripping field and reconnects, Liu2021; stack pressure presses
  the dead layer onto the collector, Bassett2023); negligible while the reservoir covers the
  substrate, it carries the slow capacity tail once the reservoir is gone;
* calendar corrosion, at rest and under current, with parabolic passivation (Boyle2021):
  ``dQ_act/dt = -k_corr a_corr / sqrt(1 + t_pass / tau)``, ``dQ_sei/dt`` = the same (per hour);
  ``t_pass`` (state ``S_TPASS``, h) is the mean passivation age of the Li surface: it grows with time
  and cycling ``dq`` resets it on the re-exposed share ``dq / (Q_act + q_cov)`` of the surface;
* electrolyte: every SEI term is capped by what the electrolyte left can take
  (``min(f_salt Q_salt, f_solv Q_solvent)``, states ``S_SALT``, ``S_SOLV``;
  :mod:`lilean.models.electrolyte`); the electrons that cannot reduce electrolyte plate Li instead.
  Its consumption lowers the conductivity (dead-layer and separator resistance) and Sand's time.

Every term moves Li between pools (or to/from the cathode through the external circuit), so
``Q_act + Q_dead + Q_sei + Li in the cathode`` is conserved exactly; all losses are >= 0.
Stripping can never take more than ``Q_act``: :func:`anode_step` returns the charge actually passed,
and a shortfall means the reservoir is exhausted (the full cell then ends the step at its cut-off).

Overpotential (V, positive for oxidation = stripping)
------------------------------------------------------
``eta = (2RT/F) asinh(i / (2 i0 theta)) + i (R_SEI0 + rho_SEI Q_sei) [+ i R_dead on stripping]
+ transient``, with Butler-Volmer (alpha = 0.5) kinetics on Li metal, an interphase resistance that
grows with the SEI Li, and tortuous transport through the porous dead-Li layer while stripping the Li
beneath it (Chen2017)::

    R_dead = L_dead tau / (kappa eps_p),  L_dead = 4.85e-4 cm * Q_dead / (1 - eps_p)

While stripping, the porous dead-Li layer also polarizes by concentration (Chen2017):
``eta_c = (2RT/F)(1 - t+) ln(1 + i / i_lim)``, ``i_lim = F D eps_p c / (tau (1 - t+) L_dead)``
(:func:`dead_layer_concentration_overpotential_V`).

The start of each half-cycle carries a peak ``eta * h exp(-q_half / q_tr)`` (nucleation of new Li and
pits; Chen2017). Units: i in mA/cm^2, R in ohm cm^2 (mA/cm^2 * ohm cm^2 = mV -> 1e-3 V).

Protrusions and shorts (Sand's time; Bai2016)
-------------------------------------------------------------------------------------
At deposit hot spots the local current density is ``h_s J``; once the time since plating began exceeds
the local Sand's time ``t_S = t_1 / (h_s J)^2`` (``t_1`` = Sand's time at 1 mA/cm^2), Li grows at tips:
``dL = g dq``; stripping removes ``r g dq``. The cell shorts when ``L_prot > L_short`` where
``L_short = L_sep exp(sigma xi)``, ``xi ~ N(0, 1)`` drawn from the seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numba import njit

from lilean.models._kernel import WITHOUT_REFCOUNT
from lilean.models._numba_cache import drop_stale_numba_cache
from lilean.models.electrolyte import (
    KAPPA_FLOOR_RATIO,
    valoen_conductivity_mS_cm,
    valoen_diffusivity_cm2_s,
)
from lilean.parameters.anode import AnodeParameters

drop_stale_numba_cache(
    __file__, *(str(Path(__file__).with_name(n)) for n in ("electrolyte.py", "_kernel.py"))
)

F_C_MOL = 96485.33212
R_J_MOL_K = 8.314462618
LI_UM_PER_MAH_CM2 = 4.85  # dense Li: 1 mAh/cm^2 = 3.6 C/cm^2 / F * 13.0 cm^3/mol = 4.85 um

# ---- state indices ------------------------------------------------------------------------
(
    S_ACT,
    S_DEAD,
    S_SEI,
    S_PROT,
    S_SHORT,
    S_QHALF,
    S_THALF,
    S_SIGN,
    S_AREA,
    S_LSHORT,
    S_NFUSED,
    S_SALT,
    S_SOLV,
    S_TPASS,
    S_CRATIO,
    S_KRATIO,
    S_SRATIO,
    S_RSEPINC,
    S_SALT_UPD,
    S_SOLV_UPD,
) = range(20)
N_STATE = 20
#: the cached electrolyte feedback is recomputed once the salt or solvent fraction has moved by
#: this much since the last update (the conductivity then lags by < 1e-4 relative; the fractions
#: themselves, and so the conservation, are exact)
FEEDBACK_UPDATE_FRACTION = 1e-4

# ---- parameter-vector indices ---------------------------------------------------------------
(
    P_EPS,
    P_FDEAD,
    P_KCORR,
    P_SAREA,
    P_KDEAD,
    P_QCOV,
    P_I0,
    P_RSEI0,
    P_RHOSEI,
    P_POR,
    P_TAU,
    P_KAPPA,
    P_OVERSHOOT,
    P_QTR,
    P_GROWTH,
    P_RETRACT,
    P_TSAND,
    P_HOTSPOT,
    P_RSHORT,
    P_THERMAL,
    P_I0SUB,
    P_VFUSE,
    P_QSALT,
    P_QSOLV,
    P_PHISOLV,
    P_PHIPORE,
    P_C0,
    P_TK,
    P_RSEP,
    P_TAUPASS,
    P_KAPPA0V,
    P_D0V,
    P_DSALT,
    P_TPLUS,
    P_KREACT,
    P_EPSEXP,
) = range(36)
N_PARAM = 36
#: reference current density of ``cycling_loss_fraction`` [mA/cm^2] (its current-density
#: dependence ``eps(J) = eps (J / J_ref)^n``)
LOSS_REFERENCE_CURRENT_MA_CM2 = 1.0

#: electrolyte defaults when no inventory is given (an unlimited 1 M LiPF6 in EC:EMC; Nyman et al.,
#: Electrochim. Acta 53, 6356 (2008): D = 1.77e-10 m^2/s, t+ = 0.259; the cell's values come from
#: :func:`lilean.models.electrolyte.electrolyte_capacity`)
DEFAULT_SALT_DIFFUSIVITY_CM2_S = 1.77e-6
DEFAULT_TRANSFERENCE_NUMBER = 0.259
DEFAULT_SALT_CONCENTRATION_MOL_L = 1.0

#: Li metal: electrical resistivity at 20 C [ohm m] and melting point [K] (Haynes2016
#: and Physics)
LI_RESISTIVITY_OHM_M = 9.28e-8
LI_MELTING_POINT_K = 453.65
#: ln(R_far / r_filament) of the cylindrical heat-conduction shell around a filament (r_far ~ 100 r)
FILAMENT_HEAT_SHELL_LOG = math.log(100.0)


def filament_fuse_voltage_V(
    filament_radius_um: float,
    length_um: float,
    thermal_conductivity_W_m_K: float,
    temperature_C: float = 25.0,
) -> float:
    """Voltage across a Li filament that melts it open (a soft short that fuses).

    Joule heat ``V^2 / R_f`` with ``R_f = rho_Li L / (pi r^2)`` against steady conduction into the
    electrolyte ``2 pi k L (T_m - T) / ln(R_far / r)``::

        V_fuse = (L / r) sqrt(2 k rho_Li (T_m - T) / ln(R_far / r))        [V]

    (self-heating of Li filaments/dendrites at high local current: Li et al., Science 359, 1513
    (2018); soft shorts that recover: Menkin et al., Faraday Discuss. (2023)). For r = 0.5 um,
    L = 25 um, k = 0.2 W/(m K): 0.06 V. A full cell drives its EMF (~3.4 V for LFP) through the
    filament, far above it (fuses within microseconds); a galvanostatic symmetric cell only
    ``i R_f`` (microwatts): its shorts persist.
    """
    r = filament_radius_um * 1e-6
    length = length_um * 1e-6
    dt = LI_MELTING_POINT_K - (temperature_C + 273.15)
    return (length / r) * math.sqrt(
        2.0 * thermal_conductivity_W_m_K * LI_RESISTIVITY_OHM_M * dt / FILAMENT_HEAT_SHELL_LOG
    )


def anode_parameter_vector(
    anode: AnodeParameters,
    *,
    temperature_C: float = 25.0,
    separator_thickness_um: float = 25.0,
    electrolyte: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Flat float64 vector of the anode parameters for the numba kernels (``P_*`` indices).

    ``P_THERMAL`` holds ``2RT/F`` in V at ``temperature_C``; ``P_VFUSE`` the fuse voltage of a
    filament across the separator (:func:`filament_fuse_voltage_V`). ``electrolyte`` is the cell's
    inventory (:func:`lilean.models.electrolyte.electrolyte_capacity`); without it the electrolyte
    is unlimited (``P_QSALT = P_QSOLV = inf``: no SEI limit, no depletion feedback).
    """
    v = anode.values()
    p = np.zeros(N_PARAM)
    el = dict(electrolyte or {})
    p[P_QSALT] = el.get("sei_li_salt_mAh_cm2", math.inf)
    p[P_QSOLV] = el.get("sei_li_solvent_mAh_cm2", math.inf)
    p[P_PHISOLV] = el.get("solvent_volume_fraction", 0.87)
    p[P_PHIPORE] = el.get("pore_volume_fraction", 0.0)
    p[P_C0] = el.get("salt_concentration_mol_L", DEFAULT_SALT_CONCENTRATION_MOL_L)
    p[P_DSALT] = el.get("salt_diffusivity_cm2_s", DEFAULT_SALT_DIFFUSIVITY_CM2_S)
    p[P_TPLUS] = el.get("cation_transference_number", DEFAULT_TRANSFERENCE_NUMBER)
    p[P_TK] = temperature_C + 273.15
    p[P_KAPPA0V] = valoen_conductivity_mS_cm(p[P_C0], p[P_TK])
    p[P_D0V] = valoen_diffusivity_cm2_s(p[P_C0], p[P_TK])
    p[P_RSEP] = separator_resistance_ohm_cm2(anode, separator_thickness_um)
    p[P_TAUPASS] = v["corrosion_passivation_time_h"]
    p[P_EPS] = v["cycling_loss_fraction"]
    p[P_EPSEXP] = v["cycling_loss_current_exponent"]
    p[P_KREACT] = v["dead_li_reactivation_cm2_per_mAh"]
    p[P_FDEAD] = v["dead_li_fraction"]
    p[P_KCORR] = v["corrosion_rate_mAh_cm2_h"]
    p[P_SAREA] = v["specific_area_cm2_per_mAh"]
    p[P_KDEAD] = v["dead_li_area_factor_cm2_per_mAh"]
    p[P_QCOV] = v["coverage_capacity_mAh_cm2"]
    p[P_I0] = v["exchange_current_density_mA_cm2"]
    p[P_RSEI0] = v["sei_resistance_ohm_cm2"]
    p[P_RHOSEI] = v["sei_resistivity_ohm_cm2_per_mAh"]
    p[P_POR] = v["dead_li_porosity"]
    p[P_TAU] = v["dead_li_tortuosity"]
    p[P_KAPPA] = v["electrolyte_conductivity_mS_cm"] * 1e-3  # S/cm
    p[P_OVERSHOOT] = v["transient_overshoot"]
    p[P_QTR] = v["transient_charge_mAh_cm2"]
    p[P_GROWTH] = v["dendrite_growth_um_per_mAh"]
    p[P_RETRACT] = v["dendrite_retraction"]
    p[P_TSAND] = v["sand_time_1mA_s"]
    p[P_HOTSPOT] = v["hotspot_factor"]
    p[P_RSHORT] = v["short_resistance_ohm_cm2"]
    p[P_I0SUB] = v["substrate_exchange_current_density_mA_cm2"]
    p[P_VFUSE] = filament_fuse_voltage_V(
        v["filament_radius_um"],
        separator_thickness_um,
        v["electrolyte_thermal_conductivity_W_m_K"],
        temperature_C,
    )
    p[P_THERMAL] = 2.0 * R_J_MOL_K * (temperature_C + 273.15) / F_C_MOL
    return p


def separator_resistance_ohm_cm2(anode: AnodeParameters, separator_thickness_um: float) -> float:
    """Ionic resistance of the electrolyte-filled separator: ``R = L N_M / kappa`` [ohm cm^2]."""
    v = anode.values()
    return (
        separator_thickness_um
        * 1e-4
        * v["separator_macmullin"]
        / (v["electrolyte_conductivity_mS_cm"] * 1e-3)
    )


def initial_anode_state(
    anode: AnodeParameters,
    li_mAh_cm2: float,
    rng: np.random.Generator,
    *,
    separator_thickness_um: float = 25.0,
    deposition_current_density_mA_cm2: float | None = None,
    temperature_C: float = 25.0,
) -> np.ndarray:
    """A fresh Li-lean electrode; heterogeneity ``m`` and short threshold are drawn from ``rng``
    (lognormal, sigmas ``electrode_heterogeneity`` and ``short_threshold_spread``).

    Without ``deposition_current_density_mA_cm2`` the electrode holds exactly ``li_mAh_cm2`` of active
    Li. With it, the study's pre-deposition is simulated: ``li_mAh_cm2`` is *electrodeposited* onto
    the bare substrate at that current density (:func:`anode_step`, 200 steps), so the losses of the
    deposition itself (SEI on the fresh deposit, corrosion during the hours it takes) are booked and
    ``Q_act`` starts a little below ``li_mAh_cm2``. The electrode is then assembled against a fresh
    separator: protrusion length and half-cycle counters restart at zero.
    """
    v = anode.values()
    s = np.zeros(N_STATE)
    s[S_AREA] = float(np.exp(v["electrode_heterogeneity"] * rng.standard_normal()))
    s[S_LSHORT] = separator_thickness_um * float(
        np.exp(v["short_threshold_spread"] * rng.standard_normal())
    )
    s[S_SALT] = 1.0
    s[S_SOLV] = 1.0
    s[S_CRATIO] = 1.0
    s[S_KRATIO] = 1.0
    s[S_SRATIO] = 1.0
    s[S_SALT_UPD] = 1.0
    s[S_SOLV_UPD] = 1.0
    if deposition_current_density_mA_cm2 is None:
        s[S_ACT] = li_mAh_cm2
        return s
    if not deposition_current_density_mA_cm2 > 0:
        from lilean.errors import ParameterError

        raise ParameterError(
            f"deposition current density = {deposition_current_density_mA_cm2} mA/cm^2, expected > 0"
        )
    p = anode_parameter_vector(anode, temperature_C=temperature_C)
    n = 200
    dt = li_mAh_cm2 / deposition_current_density_mA_cm2 * 3600.0 / n
    for _ in range(n):
        anode_step(s, p, -deposition_current_density_mA_cm2, dt)
    s[S_PROT] = 0.0
    s[S_SHORT] = 0.0
    s[S_QHALF] = 0.0
    s[S_THALF] = 0.0
    s[S_SIGN] = 0.0
    # the deposition cell's electrolyte stays behind: the assembled cell starts with fresh
    # electrolyte (the Li surface keeps its passivation age)
    s[S_SALT] = 1.0
    s[S_SOLV] = 1.0
    s[S_CRATIO] = 1.0
    s[S_KRATIO] = 1.0
    s[S_SRATIO] = 1.0
    s[S_RSEPINC] = 0.0
    s[S_SALT_UPD] = 1.0
    s[S_SOLV_UPD] = 1.0
    return s


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def coverage(state: np.ndarray, p: np.ndarray) -> float:
    """Substrate coverage ``theta = Q_act / (Q_act + q_cov)`` (dimensionless, 0..1)."""
    q = max(state[S_ACT], 0.0)
    return q / (q + p[P_QCOV])


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def fresh_area_factor(state: np.ndarray, p: np.ndarray) -> float:
    """``a_fresh = m (1 + k_dead Q_dead)``: fresh Li surface per mAh cycled, relative to flat."""
    return state[S_AREA] * (1.0 + p[P_KDEAD] * state[S_DEAD])


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def corrosion_area_factor(state: np.ndarray, p: np.ndarray) -> float:
    """``a_corr = m theta (1 + s Q_act + k_dead Q_dead)``: Li/electrolyte area of the reservoir."""
    return (
        state[S_AREA]
        * coverage(state, p)
        * (1.0 + p[P_SAREA] * max(state[S_ACT], 0.0) + p[P_KDEAD] * state[S_DEAD])
    )


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def electrolyte_unlimited(p: np.ndarray) -> bool:
    """No inventory given (``P_QSALT = P_QSOLV = inf``): no consumption, no feedback."""
    return not (math.isfinite(p[P_QSALT]) or math.isfinite(p[P_QSOLV]))


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def liquid_fraction(state: np.ndarray, p: np.ndarray) -> float:
    """Liquid electrolyte left / initial: ``v = phi_solv f_solv + (1 - phi_solv) f_salt``."""
    if electrolyte_unlimited(p):
        return 1.0
    return p[P_PHISOLV] * state[S_SOLV] + (1.0 - p[P_PHISOLV]) * state[S_SALT]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def update_electrolyte_feedback(state: np.ndarray, p: np.ndarray) -> None:
    """Recompute the electrolyte's feedback from the fractions left (in place; cached in the state
    because the voltage is evaluated far more often than the electrolyte changes):

    ``c / c0 = f_salt / v`` (``S_CRATIO``), ``kappa(c) / kappa(c0)`` (Valoen & Reimers 2005,
    floored at ``KAPPA_FLOOR_RATIO``; ``S_KRATIO``), Sand's time ratio ``D(c) c^2 / (D(c0) c0^2)``
    (``S_SRATIO``) and the separator's resistance rise ``R_sep (kappa0 / (kappa w) - 1)`` with the
    wetted share ``w = min(v / phi_pore, 1)`` (dry-out; ``S_RSEPINC``)."""
    v = p[P_PHISOLV] * state[S_SOLV] + (1.0 - p[P_PHISOLV]) * state[S_SALT]
    x = state[S_SALT] / v if v > 1e-12 else 0.0
    c = p[P_C0] * x
    k = max(valoen_conductivity_mS_cm(c, p[P_TK]) / p[P_KAPPA0V], KAPPA_FLOOR_RATIO)
    w = 1.0
    if p[P_PHIPORE] > 0.0:
        w = min(v / p[P_PHIPORE], 1.0)
    w = max(w, KAPPA_FLOOR_RATIO)
    state[S_CRATIO] = x
    state[S_KRATIO] = k
    state[S_SRATIO] = valoen_diffusivity_cm2_s(c, p[P_TK]) / p[P_D0V] * x * x
    state[S_RSEPINC] = p[P_RSEP] * (1.0 / (k * w) - 1.0)
    state[S_SALT_UPD] = state[S_SALT]
    state[S_SOLV_UPD] = state[S_SOLV]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def salt_concentration_ratio(state: np.ndarray, p: np.ndarray) -> float:
    """``c / c0 = f_salt / v`` (the salt left in the liquid left; :mod:`lilean.models.electrolyte`)."""
    return 1.0 if electrolyte_unlimited(p) else state[S_CRATIO]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def conductivity_ratio(state: np.ndarray, p: np.ndarray) -> float:
    """``kappa(c) / kappa(c0)`` (Valoen & Reimers 2005), floored at ``KAPPA_FLOOR_RATIO``."""
    return 1.0 if electrolyte_unlimited(p) else state[S_KRATIO]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def sand_time_ratio(state: np.ndarray, p: np.ndarray) -> float:
    """Sand's time / its value at ``c0``: ``D(c) c^2 / (D(c0) c0^2)`` (Sand's equation)."""
    return 1.0 if electrolyte_unlimited(p) else state[S_SRATIO]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def separator_resistance_increase_ohm_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """Rise of the separator's ionic resistance with electrolyte consumption [ohm cm^2]:
    ``R_sep (kappa0 / (kappa w) - 1)`` with the wetted share ``w = min(v / phi_pore, 1)`` (dry-out).
    Zero for a fresh (or unlimited) electrolyte."""
    return 0.0 if electrolyte_unlimited(p) else state[S_RSEPINC]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def sei_allowance_mAh_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """SEI Li the electrolyte left can still form: ``min(f_salt Q_salt, f_solv Q_solvent)``."""
    return max(min(state[S_SALT] * p[P_QSALT], state[S_SOLV] * p[P_QSOLV]), 0.0)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def consume_electrolyte(state: np.ndarray, p: np.ndarray, sei_mAh_cm2: float) -> None:
    """Book ``sei_mAh_cm2`` of SEI Li against the salt and solvent fractions left (in place)."""
    if sei_mAh_cm2 <= 0.0:
        return
    if math.isfinite(p[P_QSALT]):
        state[S_SALT] = max(state[S_SALT] - sei_mAh_cm2 / p[P_QSALT], 0.0)
    if math.isfinite(p[P_QSOLV]):
        state[S_SOLV] = max(state[S_SOLV] - sei_mAh_cm2 / p[P_QSOLV], 0.0)
    moved = abs(state[S_SALT] - state[S_SALT_UPD]) + abs(state[S_SOLV] - state[S_SOLV_UPD])
    if moved > FEEDBACK_UPDATE_FRACTION or state[S_SALT] <= 0.0 or state[S_SOLV] <= 0.0:
        update_electrolyte_feedback(state, p)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def share_electrolyte(src: np.ndarray, dst: np.ndarray) -> None:
    """Two electrodes in one electrolyte (symmetric cell): ``dst`` takes the electrolyte left after
    ``src``'s step (in place). Called between the two electrodes' steps and after them, so each
    step sees what the other has consumed and the pair never books more than the cell holds."""
    dst[S_SALT] = src[S_SALT]
    dst[S_SOLV] = src[S_SOLV]
    dst[S_CRATIO] = src[S_CRATIO]
    dst[S_KRATIO] = src[S_KRATIO]
    dst[S_SRATIO] = src[S_SRATIO]
    dst[S_RSEPINC] = src[S_RSEPINC]
    dst[S_SALT_UPD] = src[S_SALT_UPD]
    dst[S_SOLV_UPD] = src[S_SOLV_UPD]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def dead_layer_resistance_ohm_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """``R_dead = L_dead tau / (kappa eps_p)`` with ``L_dead = 4.85e-4 cm Q_dead / (1 - eps_p)``
    (``kappa`` falls with the salt left, :func:`conductivity_ratio`)."""
    thickness_cm = LI_UM_PER_MAH_CM2 * 1e-4 * state[S_DEAD] / (1.0 - p[P_POR])
    return thickness_cm * p[P_TAU] / (p[P_KAPPA] * conductivity_ratio(state, p) * p[P_POR])


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def dead_layer_limiting_current_mA_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """``i_lim = F D_eff c / ((1 - t+) L_dead)`` [mA/cm^2], ``D_eff = D eps_p / tau`` (inf: no dead Li)."""
    thickness_cm = LI_UM_PER_MAH_CM2 * 1e-4 * state[S_DEAD] / (1.0 - p[P_POR])
    if thickness_cm <= 0.0:
        return math.inf
    c_mol_cm3 = p[P_C0] * max(salt_concentration_ratio(state, p), KAPPA_FLOOR_RATIO) * 1e-3
    d_eff = p[P_DSALT] * p[P_POR] / p[P_TAU]
    return F_C_MOL * d_eff * c_mol_cm3 / ((1.0 - p[P_TPLUS]) * thickness_cm) * 1e3


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def dead_layer_diffusion_resistance_ohm_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """Small-signal (i -> 0) resistance of :func:`dead_layer_concentration_overpotential_V`:
    ``(2RT/F)(1 - t+) / i_lim`` [ohm cm^2] (its DC limit; for the impedance model)."""
    return p[P_THERMAL] * (1.0 - p[P_TPLUS]) / dead_layer_limiting_current_mA_cm2(state, p) * 1e3


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def dead_layer_concentration_overpotential_V(
    state: np.ndarray, p: np.ndarray, i_mA_cm2: float
) -> float:
    """Concentration polarization across the porous dead-Li layer (Chen2017) [V].

    Binary electrolyte, steady diffusion through a layer of thickness ``L_dead`` with
    ``D_eff = D eps_p / tau``: limiting current ``i_lim = F D_eff c / ((1 - t+) L_dead)`` and::

        eta_c = sign(i) (2RT/F) (1 - t+) ln(1 + |i| / i_lim)

    (Li+ released beneath the layer while stripping enriches the surface; the ohmic part is
    :func:`dead_layer_resistance_ohm_cm2`). ``c`` falls with the salt left.
    """
    if state[S_DEAD] <= 0.0 or i_mA_cm2 == 0.0:
        return 0.0
    x = abs(i_mA_cm2) / dead_layer_limiting_current_mA_cm2(state, p)
    eta = p[P_THERMAL] * (1.0 - p[P_TPLUS]) * math.log(1.0 + x)
    return eta if i_mA_cm2 > 0.0 else -eta


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def interface_resistance_ohm_cm2(state: np.ndarray, p: np.ndarray) -> float:
    """``R_SEI0 + rho_SEI Q_sei`` [ohm cm^2] (both half-cycles)."""
    return p[P_RSEI0] + p[P_RHOSEI] * state[S_SEI]


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def anode_overpotential_V(state: np.ndarray, p: np.ndarray, i_ox_mA_cm2: float) -> float:
    """Electrode potential vs Li/Li+ [V] at oxidation current density ``i_ox_mA_cm2`` (+ = stripping).

    ``eta = (2RT/F) asinh(i / (2 i0_eff)) + i R(i) * 1e-3`` plus the start-of-half-cycle peak
    (see the module docstring). Stripping (i > 0) runs on the Li-covered area only,
    ``i0_eff = i0 theta``: as the reservoir empties (theta -> 0) the anode potential rises without
    bound, continuously. Plating (i < 0) also proceeds on the bare substrate,
    ``i0_eff = i0 theta + i0_sub (1 - theta)`` (``i0_sub``: nucleation-limited on Cu, alloying on
    Ag), so an emptied electrode is re-plated at the substrate's nucleation overpotential.
    Zero current gives zero (no transient at rest).
    """
    i = i_ox_mA_cm2
    if i == 0.0:
        return 0.0
    theta = coverage(state, p)
    if i > 0.0:
        i0_eff = max(p[P_I0] * theta, 1e-300)
    else:
        i0_eff = p[P_I0] * theta + p[P_I0SUB] * (1.0 - theta)
    eta_bv = p[P_THERMAL] * math.asinh(i / (2.0 * i0_eff))
    r = interface_resistance_ohm_cm2(state, p)
    if i > 0.0:
        r += dead_layer_resistance_ohm_cm2(state, p)
    eta = eta_bv + i * r * 1e-3
    # start-of-half-cycle peak; the charge counter restarts when the current changes sign
    q_half = state[S_QHALF] if state[S_SIGN] * i > 0.0 else 0.0
    eta *= 1.0 + p[P_OVERSHOOT] * state[S_AREA] * math.exp(-q_half / p[P_QTR])
    if i > 0.0:
        eta += dead_layer_concentration_overpotential_V(state, p, i)
    return eta


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def anode_step(state: np.ndarray, p: np.ndarray, i_ox_mA_cm2: float, dt_s: float) -> float:
    """Advance one electrode by ``dt_s`` at oxidation current density ``i_ox_mA_cm2`` (in place).

    Returns the charge actually passed [mAh/cm^2, signed like the current]: during stripping it is
    limited by the active Li left, ``Q_act / (1 + eps a_fresh f_dead)``.
    """
    i = i_ox_mA_cm2
    sign = 1.0 if i > 0.0 else (-1.0 if i < 0.0 else 0.0)
    if sign != state[S_SIGN]:  # a new half-cycle (or a rest): transients and Sand's clock restart
        state[S_QHALF] = 0.0
        state[S_THALF] = 0.0
        state[S_SIGN] = sign
    dq = abs(i) * dt_s / 3600.0
    eps = 0.0
    if i != 0.0:
        # (j / j_ref)^n; n = 0 (the default) skips the power: x^0 = 1 exactly
        exponent = p[P_EPSEXP]
        j_factor = 1.0 if exponent == 0.0 else (abs(i) / LOSS_REFERENCE_CURRENT_MA_CM2) ** exponent
        eps = min(p[P_EPS] * j_factor * fresh_area_factor(state, p), 0.99)
    passed = 0.0
    # surface renewal: cycling dq re-exposes that share of the reservoir's surface (fresh Li, the
    # passivation age restarts there; area-weighted mean age)
    if dq > 0.0:
        renew = min(dq / (max(state[S_ACT], 0.0) + p[P_QCOV]), 1.0)
        state[S_TPASS] *= 1.0 - renew
    if i < 0.0:  # plating
        # SEI on the fresh deposit, limited by what the electrolyte can still take
        to_sei = min(dq * eps * (1.0 - p[P_FDEAD]), sei_allowance_mAh_cm2(state, p))
        state[S_ACT] += dq - to_sei
        state[S_SEI] += to_sei
        consume_electrolyte(state, p, to_sei)
        # protrusion growth after the local Sand's time (Sand's time falls with the salt left)
        j_local = p[P_HOTSPOT] * abs(i)
        t_sand = p[P_TSAND] * sand_time_ratio(state, p) / (j_local * j_local)
        t0 = state[S_THALF]
        t1 = t0 + dt_s
        if t1 > t_sand:
            frac = (t1 - max(t0, t_sand)) / dt_s
            state[S_PROT] += p[P_GROWTH] * dq * frac
        passed = -dq
    elif i > 0.0:  # stripping
        # dead Li reconnects where the active Li beneath it has been stripped away (bare share
        # 1 - theta of the substrate: the isolated Li drifts under the stripping field, Liu2021,
        # and the stack pressure presses the dead layer onto the collector, Bassett2023); first
        # order in the dead-Li inventory per mAh/cm^2 stripped; it can be stripped in this step
        if p[P_KREACT] > 0.0 and state[S_DEAD] > 0.0:
            bare = 1.0 - coverage(state, p)
            back = state[S_DEAD] * (1.0 - math.exp(-p[P_KREACT] * bare * dq))
            state[S_DEAD] -= back
            state[S_ACT] += back
        need = dq * (1.0 + eps * p[P_FDEAD])
        if need > state[S_ACT]:
            dq = max(state[S_ACT], 0.0) / (1.0 + eps * p[P_FDEAD])
            need = max(state[S_ACT], 0.0)
        to_dead = need - dq
        state[S_ACT] -= need
        state[S_DEAD] += to_dead
        state[S_PROT] = max(state[S_PROT] - p[P_RETRACT] * p[P_GROWTH] * dq, 0.0)
        passed = dq
    # calendar corrosion with parabolic passivation (Boyle et al. 2021): the rate on a surface of
    # passivation age t falls as 1 / sqrt(1 + t / tau); midpoint age over the step
    age_h = state[S_TPASS] + 0.5 * dt_s / 3600.0
    rate = p[P_KCORR] * corrosion_area_factor(state, p) / math.sqrt(1.0 + age_h / p[P_TAUPASS])
    corr = min(rate * dt_s / 3600.0, state[S_ACT], sei_allowance_mAh_cm2(state, p))
    corr = max(corr, 0.0)
    state[S_ACT] -= corr
    state[S_SEI] += corr
    consume_electrolyte(state, p, corr)
    state[S_TPASS] += dt_s / 3600.0
    state[S_QHALF] += abs(passed)
    state[S_THALF] += dt_s
    if state[S_PROT] > state[S_LSHORT]:
        state[S_SHORT] = 1.0
    return passed


def total_li_mAh_cm2(state: np.ndarray) -> float:
    """``Q_act + Q_dead + Q_sei`` of one electrode [mAh/cm^2]."""
    return float(state[S_ACT] + state[S_DEAD] + state[S_SEI])
