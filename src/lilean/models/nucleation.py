r"""Galvanostatic Li deposition onto a foreign substrate: nucleation dip and growth plateau.

The cell is Li (counter) || substrate (working electrode, Cu or Ag@Cu), plated at a constant current
density ``j`` (mA/cm^2, magnitude). The model follows the classical picture of electrochemical
phase formation (Budevski, Staikov & Lorenz, *Electrochemical Phase Formation and Growth*, VCH 1996)
as applied to Li by Ely & Garcia (J. Electrochem. Soc. 160, A662 (2013)), Pei et al. (Nano Lett. 17,
1132 (2017)) and, for alloying substrates, Yan et al. (Nature Energy 1, 16010 (2016)); the study is
Zhang2023 (``shared/spec/system.md`` sections 4-5).

Equations (cathodic quantities positive; ``eta`` is the substrate's plating overpotential, V)

* Double layer: ``C_dl d(eta)/dt = j - j_F``.
* Growth kinetics (Butler-Volmer on Li):
  ``j_BV(eta) = i0 [exp(alpha_c F eta / RT) - exp(-(1 - alpha_c) F eta / RT)]``.
* Faradaic current on the Li-covered fraction (Armstrong, Fleischmann & Thirsk, J. Electroanal.
  Chem. 11, 208 (1966): kinetically controlled 3D growth) plus, on an alloying substrate, a
  barrier-free Li-alloying current on the still bare fraction (Li dissolves into Ag: Yan et al. 2016):
  ``j_F = [theta_cov + (1 - theta_cov) i0_alloy / i0] j_BV(eta)`` (``i0_alloy = 0`` for Cu).
* Nucleation, classical theory with a heterogeneous factor (Volmer; Turnbull):
  ``dG*_hom = 16 pi gamma^3 Omega^2 / (3 (e eta)^2)`` (J; Omega = V_m / N_A, e eta = driving force
  per atom, z = 1), ``f(theta_c) = (2 + cos theta_c)(1 - cos theta_c)^2 / 4``,
  ``dG*_het = f dG*_hom``; nucleation on a finite site density N0 (Scharifker & Mostany,
  J. Electroanal. Chem. 177, 13 (1984)): ``dN/dt = k0 exp(-dG*_het / kT) (N0 - N)``. A small contact
  angle (Li-Ag alloying: Li wets / dissolves into Ag) makes the barrier vanish (Yan et al. 2016).
* Lateral growth of each nucleus at ``v = V_m j_BV(eta) / F`` (m/s) and overlap by Avrami / KJMA:
  ``theta_ext = pi sum r^2``, ``theta_cov = 1 - exp(-theta_ext)``, integrated with the moments
  ``S1 = sum r`` and ``S2 = sum r^2``: ``dS1/dt = v N``, ``dS2/dt = 2 v S1`` (nuclei are born with
  r ~ 0; the critical radius 2 gamma Omega / (e eta) ~ 1 nm is neglected).
* Measured substrate potential vs the Li counter (negative while plating):
  ``E = -(eta + eta_ce + j R_s)`` with the counter electrode's Butler-Volmer overpotential ``eta_ce``
  (``j = i0_ce [exp((1 - alpha_c) F eta_ce/RT) - exp(-alpha_c F eta_ce/RT)]``, Li stripping) and
  the area-specific series resistance ``R_s``.

Charge balance: ``int j dt = C_dl eta + Q_Li`` with ``dQ_Li/dt = j_F`` (checked in the tests).
The nuclei actually born on bare substrate (not the Avrami phantoms) follow
``dN_real/dt = (dN/dt) (1 - theta_cov)``.

Limitations: the pre-nucleation ramp is set by the double layer alone (20 uF/cm^2: ~50 V/s at
1 mA/cm^2), so the simulated dip comes within milliseconds, whereas measured dips come after seconds
(SEI formation and native-oxide reduction, not modelled, add charge before nucleation). The dip depth
is what the model is for; its time is not. The recovery after the dip is geometric (the potential
returns once the nuclei cover the surface: the charge of a film about as thick as the nucleus
spacing, ``t_rec ~ N^(-1/2) / j``) and takes ~3 s on Cu at 1 mA/cm^2, against tens of seconds in
measured Li-on-Cu transients. With the dip depth held, the nucleus density is set by the
pre-nucleation ramp ``j / C_dl`` (site density and attempt frequency are absorbed by the contact
angle), so :func:`recovery_time_sensitivity` reports the recovery time over the double layer's
literature range (Cu) or the assumed site density's range (Ag@Cu, barrier-free: ``N = N0``).
Charge that real Cu takes before Li nucleates (SEI and native-oxide reduction, Menkin2021) would
slow the ramp and, by the same mechanism, lengthen the recovery; it is not modelled. The Li-Ag alloy is never saturated (the plumes' Ag content
is not known): at 1 mA/cm^2 Li covers the surface within ~10 s and the alloy current fades, but at
0.1 mA/cm^2 the alloy would carry most of the current for hours, which a finite Ag content would cut
short.

Units inside the right-hand side: mA/cm^2, mF/cm^2 (so ``C_dl eta`` is in mC/cm^2), s, V, cm.
States are scaled to O(1): ``x1 = N / N0``, ``x2 = S1 sqrt(pi / N0)``, ``x3 = pi S2 = theta_ext``,
so ``dx2/dt = w x1``, ``dx3/dt = 2 w x2`` with ``w = v sqrt(pi N0)`` (1/s). The system is stiff
(``C_dl`` charges in ms, coverage completes in minutes) and is solved with ``scipy`` LSODA.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import LSODA
from scipy.optimize import brentq

from lilean.errors import LileanError, ParameterError
from lilean.parameters.set import ParameterSet
from lilean.schema import CyclingData, Metadata, build_table

F = 96485.33212  # C/mol, Faraday constant (CODATA 2018)
R_GAS = 8.314462618  # J/(mol K)
K_B = 1.380649e-23  # J/K
E_CHARGE = 1.602176634e-19  # C
N_A = 6.02214076e23  # 1/mol

_N_STATES = 6

#: default deposited areal capacity when neither duration nor capacity is given
DEFAULT_CAPACITY_MAH_CM2 = 1.0


def heterogeneous_factor(contact_angle_deg: float) -> float:
    """``f(theta) = (2 + cos theta)(1 - cos theta)^2 / 4``: ratio of the heterogeneous to the
    homogeneous nucleation barrier for a spherical-cap nucleus of contact angle ``theta``
    (Volmer 1939; Turnbull, J. Chem. Phys. 18, 198 (1950)). 0 at 0 deg, 1/2 at 90 deg, 1 at 180 deg."""
    c = math.cos(math.radians(contact_angle_deg))
    return (2.0 + c) * (1.0 - c) ** 2 / 4.0


def barrier_coefficient_V2(
    surface_energy_J_m2: float, molar_volume_cm3_mol: float, temperature_K: float
) -> float:
    """``B`` in V^2 such that ``dG*_hom / kT = B / eta^2``.

    ``dG*_hom = 16 pi gamma^3 Omega^2 / (3 (e eta)^2)`` with the atomic volume
    ``Omega = V_m / N_A`` (m^3), gamma in J/m^2, e in C, eta in V (z = 1 for Li+).
    """
    omega_m3 = molar_volume_cm3_mol * 1e-6 / N_A
    dg_times_eta2_J_V2 = 16.0 * math.pi * surface_energy_J_m2**3 * omega_m3**2 / (3.0 * E_CHARGE**2)
    return dg_times_eta2_J_V2 / (K_B * temperature_K)


def critical_radius_nm(
    surface_energy_J_m2: float, molar_volume_cm3_mol: float, eta_V: float
) -> float:
    """Critical nucleus radius ``r* = 2 gamma Omega / (e eta)`` in nm (Pei et al. 2017, eq. 1)."""
    omega_m3 = molar_volume_cm3_mol * 1e-6 / N_A
    return 2.0 * surface_energy_J_m2 * omega_m3 / (E_CHARGE * eta_V) * 1e9


@dataclass(frozen=True)
class _Constants:
    """Plain floats used by the right-hand side (units in the names)."""

    j_mA_cm2: float
    i0_mA_cm2: float
    alpha_c: float
    f_over_rt: float  # F / RT, 1/V
    c_dl_mF_cm2: float
    n0_cm2: float
    k0_s: float
    barrier_V2: float  # f(theta) * B
    vm_cm3_mol: float
    alloy_ratio: float  # i0_alloy / i0: barrier-free alloying current on the bare substrate

    def j_bv(self, eta: float) -> float:
        """Cathodic Butler-Volmer current density on Li, mA/cm^2."""
        a = self.alpha_c * self.f_over_rt * eta
        b = -(1.0 - self.alpha_c) * self.f_over_rt * eta
        return self.i0_mA_cm2 * (math.exp(min(a, 700.0)) - math.exp(min(b, 700.0)))

    def w(self, j_bv: float) -> float:
        """``w = v sqrt(pi N0)`` (1/s) with the lateral speed ``v = V_m j / F`` (cm/s)."""
        v_cm_s = self.vm_cm3_mol * max(j_bv, 0.0) * 1e-3 / F
        return v_cm_s * math.sqrt(math.pi * self.n0_cm2)

    def nucleation_rate(self, eta: float, x1: float) -> float:
        """``d(N/N0)/dt`` in 1/s."""
        if eta <= 0.0:
            return 0.0
        exponent = self.barrier_V2 / (eta * eta)
        if exponent > 700.0:
            return 0.0
        return self.k0_s * math.exp(-exponent) * max(1.0 - x1, 0.0)

    def rhs(self, _t: float, y: np.ndarray) -> list[float]:
        """``d/dt [eta, N/N0, S1 sqrt(pi/N0), theta_ext, Q_Li, N_real/N0]``."""
        eta, x1, x2, x3 = y[0], y[1], y[2], y[3]
        jbv = self.j_bv(eta)
        uncovered = math.exp(-max(x3, 0.0))
        j_f = (1.0 - uncovered + uncovered * self.alloy_ratio) * jbv
        w = self.w(jbv)
        nucleation = self.nucleation_rate(eta, x1)
        return [
            (self.j_mA_cm2 - j_f) / self.c_dl_mF_cm2,
            nucleation,
            w * x1,
            2.0 * w * x2,
            j_f,
            nucleation * uncovered,
        ]

    def kernel_args(self) -> tuple[float, ...]:
        """The arguments of :func:`_rhs_closure`, in its order."""
        return (
            self.j_mA_cm2,
            self.i0_mA_cm2,
            self.alpha_c,
            self.f_over_rt,
            self.c_dl_mF_cm2,
            self.k0_s,
            self.barrier_V2,
            self.vm_cm3_mol,
            math.sqrt(math.pi * self.n0_cm2),
            self.alloy_ratio,
        )

    def active_fraction(self, x3: float) -> float:
        """``theta_cov + (1 - theta_cov) i0_alloy / i0``: the share of the Li kinetics available."""
        uncovered = math.exp(-max(x3, 0.0))
        return 1.0 - uncovered + uncovered * self.alloy_ratio

    def faradaic(self, y: np.ndarray) -> np.ndarray:
        """Faradaic current density (mA/cm^2) for states ``y`` of shape (n_states, n)."""
        eta = np.asarray(y[0], dtype=float)
        a = np.minimum(self.alpha_c * self.f_over_rt * eta, 700.0)
        b = np.minimum(-(1.0 - self.alpha_c) * self.f_over_rt * eta, 700.0)
        j_bv = self.i0_mA_cm2 * (np.exp(a) - np.exp(b))
        uncovered = np.exp(-np.maximum(np.asarray(y[3], dtype=float), 0.0))
        return (1.0 - uncovered + uncovered * self.alloy_ratio) * j_bv


def _rhs_closure(
    j_mA_cm2: float,
    i0_mA_cm2: float,
    alpha_c: float,
    f_over_rt: float,
    c_dl_mF_cm2: float,
    k0_s: float,
    barrier_V2: float,
    vm_cm3_mol: float,
    sqrt_pi_n0: float,
    alloy_ratio: float,
) -> Any:
    """:meth:`_Constants.rhs` as a flat Python closure over the constants: the same operations in
    the same order (so the same numbers) without the attribute look-ups and method calls. A numba
    kernel was measured: ~10 % faster per solve warm, but importing numba and loading its cache adds
    ~0.4 s to the first solve of a process (``lilean simulate nucleation``)."""
    exp = math.exp

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        eta, x1, x2, x3 = y.tolist()[:4]
        a = alpha_c * f_over_rt * eta
        b = -(1.0 - alpha_c) * f_over_rt * eta
        jbv = i0_mA_cm2 * (exp(a if a < 700.0 else 700.0) - exp(b if b < 700.0 else 700.0))
        uncovered = exp(-(x3 if x3 > 0.0 else 0.0))
        j_f = (1.0 - uncovered + uncovered * alloy_ratio) * jbv
        w = vm_cm3_mol * (jbv if jbv > 0.0 else 0.0) * 1e-3 / F * sqrt_pi_n0
        nucleation = 0.0
        if eta > 0.0:
            exponent = barrier_V2 / (eta * eta)
            if exponent <= 700.0:
                nucleation = k0_s * exp(-exponent) * (1.0 - x1 if 1.0 - x1 > 0.0 else 0.0)
        return [
            (j_mA_cm2 - j_f) / c_dl_mF_cm2,
            nucleation,
            w * x1,
            2.0 * w * x2,
            j_f,
            nucleation * uncovered,
        ]

    return rhs


#: the same definitions as the measured-data analysis (lilean.analysis.deposition), restated here so
#: that the model does not depend on the analysis layer; tests/unit/models/test_nucleation.py checks
#: that both give the same numbers on the model's trace
RECOVERY_FRACTION = 0.9
PLATEAU_WINDOW_FRACTION = 0.2


def transient_metrics(time_s: np.ndarray, potential_mV: np.ndarray) -> dict[str, float]:
    """Dip, recovery, plateau and nucleation overpotential of a plating transient.

    dip = minimum potential (at ``dip_time_s``, from the start); recovery = first time after the dip
    at which the potential regains ``RECOVERY_FRACTION`` of the way from the dip to the median of the
    trace after the dip; plateau = median over ``PLATEAU_WINDOW_FRACTION`` of the time left after
    the recovery; nucleation overpotential = plateau - dip (>= 0). All in mV and s.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(potential_mV, dtype=float)
    t_rel = t - t[0]
    k_dip = int(np.argmin(v))
    dip = float(v[k_dip])
    after_t = t_rel[k_dip:]
    after_v = v[k_dip:]
    p0 = float(np.median(after_v))
    threshold = dip + RECOVERY_FRACTION * (p0 - dip)
    reached = np.flatnonzero(after_v >= threshold)
    t_rec = float(after_t[reached[0]]) if reached.size else float(after_t[-1])
    window = PLATEAU_WINDOW_FRACTION * (float(t_rel[-1]) - t_rec)
    mask = (t_rel >= t_rec) & (t_rel <= t_rec + window)
    if mask.any():
        plateau = float(np.median(v[mask]))
    else:
        plateau = float(v[int(np.argmin(np.abs(t_rel - (t_rec + 0.5 * window))))])
    return {
        "dip_mV": dip,
        "dip_time_s": float(t_rel[k_dip]),
        "recovery_time_s": t_rec,
        "plateau_mV": plateau,
        "nucleation_overpotential_mV": max(plateau - dip, 0.0),
    }


@dataclass(frozen=True)
class NucleationResult:
    """Simulated galvanostatic deposition transient on one substrate.

    ``data`` is the canonical table (current negative = plating; ``Voltage [V]`` = substrate vs Li);
    ``time_s`` and ``potential_mV`` are the same series as arrays. ``dip_mV`` / ``plateau_mV`` /
    ``nucleation_overpotential_mV`` (= plateau - dip, >= 0), ``dip_time_s`` and ``recovery_time_s``
    use the definitions of :func:`transient_metrics` (those of
    :func:`lilean.analysis.deposition.analyze_deposition`).
    ``nuclei_density_cm2`` is the density of Li nuclei born on the bare substrate at the end.

    ``states`` holds the internal variables on the same time grid: ``overpotential_V`` (substrate
    interface, cathodic > 0), ``coverage`` (theta_cov), ``nuclei_cm2`` (real nuclei),
    ``extended_nuclei_cm2`` (Avrami extended count, <= N0), ``faradaic_mA_cm2``,
    ``li_charge_mC_cm2`` (charge into Li metal and Li alloy) and ``double_layer_charge_mC_cm2``.
    """

    substrate: str
    current_density_mA_cm2: float
    data: CyclingData
    time_s: np.ndarray
    potential_mV: np.ndarray
    dip_mV: float
    plateau_mV: float
    nucleation_overpotential_mV: float
    dip_time_s: float
    recovery_time_s: float
    nuclei_density_cm2: float
    states: dict[str, np.ndarray] = field(repr=False)
    solver: dict[str, Any] = field(default_factory=dict, repr=False)


def _constants(
    params: ParameterSet, substrate: str, current_density_mA_cm2: float
) -> tuple[_Constants, float, float, float]:
    p = params.substrate(substrate).nucleation.values()
    temperature_K = params.cell.temperature_C.value + 273.15
    f_over_rt = F / (R_GAS * temperature_K)
    b = barrier_coefficient_V2(
        p["li_surface_energy_J_m2"], p["li_molar_volume_cm3_mol"], temperature_K
    )
    consts = _Constants(
        j_mA_cm2=current_density_mA_cm2,
        i0_mA_cm2=p["exchange_current_density_mA_cm2"],
        alpha_c=p["charge_transfer_coefficient"],
        f_over_rt=f_over_rt,
        c_dl_mF_cm2=p["double_layer_capacitance_uF_cm2"] * 1e-3,
        n0_cm2=p["nucleation_site_density_cm2"],
        k0_s=p["nucleation_attempt_frequency_s"],
        barrier_V2=heterogeneous_factor(p["contact_angle_deg"]) * b,
        vm_cm3_mol=p["li_molar_volume_cm3_mol"],
        alloy_ratio=p["alloying_exchange_current_density_mA_cm2"]
        / p["exchange_current_density_mA_cm2"],
    )
    eta_ce = counter_overpotential_V(
        current_density_mA_cm2,
        p["counter_exchange_current_density_mA_cm2"],
        p["charge_transfer_coefficient"],
        f_over_rt,
    )
    ohmic_V = current_density_mA_cm2 * 1e-3 * p["series_resistance_ohm_cm2"]
    return consts, eta_ce, ohmic_V, temperature_K


def counter_overpotential_V(
    j_mA_cm2: float, i0_mA_cm2: float, alpha_c: float, f_over_rt: float
) -> float:
    """Stripping overpotential of the Li counter electrode at ``j`` (V, > 0): the root of
    ``j = i0 [exp((1 - alpha_c) F eta / RT) - exp(-alpha_c F eta / RT)]`` (Butler-Volmer)."""
    if j_mA_cm2 == 0.0:
        return 0.0

    def g(eta: float) -> float:
        return (
            i0_mA_cm2
            * (math.exp((1 - alpha_c) * f_over_rt * eta) - math.exp(-alpha_c * f_over_rt * eta))
            - j_mA_cm2
        )

    hi = 0.05
    while g(hi) < 0:
        hi *= 2.0
    return float(brentq(g, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _solve_on_grid(
    c: _Constants, t_end: float, first_step: float, fixed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Integrate the ODE with LSODA (``rtol`` 1e-8) and return ``(grid, y(grid), solver info)``:
    ``grid`` is ``fixed`` (sorted, unique, within ``[0, t_end]``) plus the time of the potential
    minimum, the first root of ``j - j_F`` (d(eta)/dt = 0, from + to -), located on the solver's
    steps and refined (``brentq``) on the step's interpolant.

    The same steps and interpolants as ``solve_ivp(..., method="LSODA", dense_output=True)``,
    evaluated by the same rule (a time on a step boundary belongs to the step that ends there), but
    an interpolant is built only for a step that holds a grid point or the dip."""
    args = c.kernel_args()
    atol = np.array([1e-9, 1e-12, 1e-12, 1e-12, 1e-9 * c.j_mA_cm2, 1e-12])
    y0 = np.zeros(_N_STATES)

    rhs = _rhs_closure(*args)

    solver = LSODA(rhs, 0.0, y0, t_end, rtol=1e-8, atol=atol, first_step=first_step)
    chunks_t: list[np.ndarray] = []
    chunks_y: list[np.ndarray] = []
    pos = 0
    t_prev = 0.0
    y_prev = y0
    fixed_list = fixed.tolist()
    g_prev = c.j_mA_cm2 - c.active_fraction(0.0) * c.j_bv(0.0)
    dip_found = False
    first = True
    while solver.status == "running":
        message = solver.step()
        if solver.status == "failed":
            raise LileanError(f"simulate_nucleation: {message}")
        t_now = float(solver.t)
        y_now = solver.y.copy()
        g_now = c.j_mA_cm2 - c.active_fraction(float(y_now[3])) * c.j_bv(float(y_now[0]))
        hi = bisect.bisect_right(fixed_list, t_now, lo=pos)
        is_dip = not dip_found and g_prev > 0 and g_now <= 0
        if hi > pos or is_dip:
            interp = solver.dense_output()
        if hi > pos:
            chunks_t.append(fixed[pos:hi])
            chunks_y.append(interp(fixed[pos:hi]))
            pos = hi
        if is_dip:
            dip_found = True
            t_a = t_prev

            # at the step's left end the previous step's interpolant applies: it gives its own end
            # state exactly (the first step has none before it: its own interpolant applies)
            def state(
                t: float,
                interp: Any = interp,
                t_a: float = t_a,
                y_a: Any = y_prev,
                at0: bool = first,
            ) -> Any:
                return y_a if (t <= t_a and not at0) else interp(t)

            def g_t(t: float, state: Any = state) -> float:
                y = state(t)
                return c.j_mA_cm2 - c.active_fraction(y[3]) * c.j_bv(y[0])

            if g_t(t_a) > 0 >= g_t(t_now):
                t_dip = float(brentq(g_t, t_a, t_now, xtol=1e-15, rtol=1e-12))
            else:
                t_dip = t_now if g_now == 0 else t_a
            t_dip = min(max(t_dip, 0.0), t_end)
            if not np.any(fixed == t_dip):
                chunks_t.append(np.array([t_dip]))
                chunks_y.append(np.asarray(state(t_dip), dtype=float).reshape(_N_STATES, 1))
        t_prev, g_prev, y_prev = t_now, g_now, y_now
        first = False
    grid = np.concatenate(chunks_t)
    y = np.concatenate(chunks_y, axis=1)
    order = np.argsort(grid, kind="stable")
    return grid[order], y[:, order], {"nfev": solver.nfev, "njev": solver.njev, "status": 0}


def simulate_nucleation(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float,
    *,
    duration_s: float | None = None,
    capacity_mAh_cm2: float | None = None,
    area_cm2: float | None = None,
    n_points: int = 600,
) -> NucleationResult:
    """Simulate galvanostatic Li plating onto ``substrate`` and measure the nucleation dip.

    Parameters
    ----------
    params:
        Parameter set; uses ``substrates[substrate].nucleation`` and ``cell.temperature_C``.
    substrate:
        ``"cu"`` or ``"ag-cu"`` (any key of ``params.substrates``).
    current_density_mA_cm2:
        Plating current density (magnitude, > 0).
    duration_s, capacity_mAh_cm2:
        Stop after this time or this plated areal capacity, whichever comes first (default:
        ``DEFAULT_CAPACITY_MAH_CM2`` = 1 mAh/cm^2).
    area_cm2:
        Electrode area for the table's ``Current [A]`` (default: ``cell.electrode_area_cm2``).
    n_points:
        Number of output samples (log-spaced over the transient, then uniform; plus the exact dip).

    Returns
    -------
    NucleationResult
    """
    if not (math.isfinite(current_density_mA_cm2) and current_density_mA_cm2 > 0):
        raise ParameterError(
            f"simulate_nucleation: current_density_mA_cm2 = {current_density_mA_cm2} must be > 0"
        )
    for name, value in (("duration_s", duration_s), ("capacity_mAh_cm2", capacity_mAh_cm2)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ParameterError(f"simulate_nucleation: {name} = {value} must be > 0")
    if n_points < 20:
        raise ParameterError(f"simulate_nucleation: n_points = {n_points} must be >= 20")
    area = params.cell.electrode_area_cm2.value if area_cm2 is None else float(area_cm2)
    if not (math.isfinite(area) and area > 0):
        raise ParameterError(f"simulate_nucleation: area_cm2 = {area} must be > 0")
    if duration_s is None and capacity_mAh_cm2 is None:
        capacity_mAh_cm2 = DEFAULT_CAPACITY_MAH_CM2
    t_end = math.inf if duration_s is None else float(duration_s)
    if capacity_mAh_cm2 is not None:
        t_end = min(t_end, capacity_mAh_cm2 * 3600.0 / current_density_mA_cm2)

    c, eta_ce, ohmic_V, temperature_K = _constants(params, substrate, current_density_mA_cm2)

    # characteristic time of the double layer to reach ~1 V: sets the first output sample
    t_dl = c.c_dl_mF_cm2 * 1.0 / c.j_mA_cm2
    n_log = n_points // 2
    t_first = min(t_dl * 1e-3, t_end * 1e-6)
    fixed = np.concatenate(
        [
            [0.0],
            np.geomspace(t_first, t_end, n_log),
            np.linspace(0.0, t_end, n_points - n_log),
        ]
    )
    grid, y, solver_info = _solve_on_grid(
        c, t_end, min(t_dl * 1e-4, t_end / 10), np.unique(np.clip(fixed, 0.0, t_end))
    )
    eta = y[0]
    # galvanostatic from t = 0: the ohmic drop and the counter electrode respond at once
    potential_V = -(eta + eta_ce + ohmic_V)
    current_A = np.full(grid.size, -current_density_mA_cm2 * area * 1e-3)
    table = build_table(grid, potential_V, current_A)
    meta = Metadata.model_validate(
        {
            "instrument": "lilean",
            "file_format": "simulation",
            "reader": "lilean.models.nucleation",
            "area_cm2": area,
            "notes": [
                f"simulate_nucleation: substrate={substrate}, j={current_density_mA_cm2} mA/cm^2, "
                f"T={temperature_K:.2f} K, parameter set {params.name}"
            ],
            "extra": {
                "substrate": substrate,
                "current_density_mA_cm2": float(current_density_mA_cm2),
                "parameter_set_hash": params.hash(),
            },
        }
    )
    data = CyclingData(table, meta)

    metrics = transient_metrics(grid, potential_V * 1e3)
    j_f = c.faradaic(y)
    states = {
        "overpotential_V": eta,
        "coverage": -np.expm1(-np.maximum(y[3], 0.0)),
        "nuclei_cm2": y[5] * c.n0_cm2,
        "extended_nuclei_cm2": y[1] * c.n0_cm2,
        "faradaic_mA_cm2": j_f,
        "li_charge_mC_cm2": y[4],
        "double_layer_charge_mC_cm2": c.c_dl_mF_cm2 * eta,
    }
    return NucleationResult(
        substrate=substrate,
        current_density_mA_cm2=float(current_density_mA_cm2),
        data=data,
        time_s=grid,
        potential_mV=potential_V * 1e3,
        dip_mV=metrics["dip_mV"],
        plateau_mV=metrics["plateau_mV"],
        nucleation_overpotential_mV=metrics["nucleation_overpotential_mV"],
        dip_time_s=metrics["dip_time_s"],
        recovery_time_s=metrics["recovery_time_s"],
        nuclei_density_cm2=float(y[5, -1] * c.n0_cm2),
        states=states,
        solver={**solver_info, "t_end_s": t_end},
    )


#: the input that moves the recovery time most once the dip depth is held, per kind of substrate,
#: with its plausible range (``docs/identifiability.md``, "Nucleation transient"):
#: * barrier-controlled nucleation (Cu): the double-layer capacitance, 10-40 uF/cm^2 for
#:   metal/electrolyte interfaces (Bard & Faulkner, *Electrochemical Methods*, 2nd ed. (2001), ch. 13);
#: * barrier-free nucleation with alloying (Ag@Cu): the site density (every site nucleates, N = N0),
#:   assumed 1e11 cm^-2; range one decade either side (one site per ~100 nm to ~10 nm), not measured.
SENSITIVITY_RANGES: dict[str, tuple[str, tuple[float, float]]] = {
    "barrier": ("double_layer_capacitance_uF_cm2", (10.0, 40.0)),
    "alloying": ("nucleation_site_density_cm2", (1e10, 1e12)),
}


def _dip_parameter(params: ParameterSet, substrate: str) -> tuple[str, float, bool]:
    """The parameter that sets the dip depth on ``substrate`` (the one ``calibrate_nucleation.py``
    fits): the alloying i0 (fitted in log10) where alloying is on, else the contact angle."""
    p = params.substrate(substrate).nucleation
    prefix = f"substrates.{substrate}.nucleation."
    alloy = p.alloying_exchange_current_density_mA_cm2.value
    if alloy > 0.0:
        return prefix + "alloying_exchange_current_density_mA_cm2", alloy, True
    return prefix + "contact_angle_deg", p.contact_angle_deg.value, False


def hold_dip(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float,
    changes: dict[str, float],
    target_overpotential_mV: float,
) -> tuple[ParameterSet, float]:
    """``params`` with ``changes`` applied and the dip parameter (:func:`_dip_parameter`) refitted
    so that the nucleation overpotential at ``current_density_mA_cm2`` stays at
    ``target_overpotential_mV`` (``scipy.optimize.brentq``, bracket searched outwards from the
    current value). Returns the new set and the refitted value; raises :class:`LileanError` when no
    value holds the dip (e.g. a site density too low to give 365 mV on Cu)."""
    key, start, in_log = _dip_parameter(params, substrate)
    base = params.replace(changes)

    def residual(x: float) -> float:
        value = 10.0**x if in_log else x
        r = simulate_nucleation(base.replace({key: value}), substrate, current_density_mA_cm2)
        return r.nucleation_overpotential_mV - target_overpotential_mV

    x0 = math.log10(start) if in_log else start
    lo_lim, hi_lim = (-6.0, 3.0) if in_log else (1.0, 179.0)
    step = 0.25 if in_log else 5.0
    lo, hi = max(x0 - step, lo_lim), min(x0 + step, hi_lim)
    f_lo, f_hi = residual(lo), residual(hi)
    while f_lo * f_hi > 0 and (lo > lo_lim or hi < hi_lim):
        step *= 2.0
        lo, hi = max(x0 - step, lo_lim), min(x0 + step, hi_lim)
        f_lo, f_hi = residual(lo), residual(hi)
    if f_lo * f_hi > 0:
        raise LileanError(
            f"hold_dip({substrate!r}, {changes}): no {key} on its range gives a nucleation "
            f"overpotential of {target_overpotential_mV:.1f} mV"
        )
    x = float(brentq(residual, lo, hi, xtol=1e-4, rtol=1e-8))
    value = 10.0**x if in_log else x
    return base.replace({key: value}), value


def recovery_time_sensitivity(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float,
    *,
    parameter: str | None = None,
    values: tuple[float, ...] | None = None,
) -> dict[str, Any]:
    """Recovery time of the dip over the plausible range of its unpinned input, with the dip depth
    held (the dip parameter refitted at each value, :func:`hold_dip`).

    Default input (:data:`SENSITIVITY_RANGES`): on a barrier-controlled substrate (Cu) the
    double-layer capacitance. The nucleus density, hence the recovery time (``t_rec ~ N^(-1/2) /
    j``: the charge of a film about as thick as the nucleus spacing), is set by how fast the
    overpotential ramps up before nucleation (``j / C_dl``) against the nucleation rate: a slower
    ramp at the same dip depth needs a higher barrier, so fewer nuclei and a longer recovery. The
    site density and the attempt frequency leave it unchanged once the dip is held (the refit of
    the contact angle absorbs them). On an alloying substrate (Ag@Cu) nucleation is barrier-free,
    every site nucleates (``N = N0``), and the site density sets the recovery time while hardly
    touching the dip. Returns ``parameter``, ``values``, ``recovery_time_s``,
    ``nuclei_density_cm2``, ``nucleation_overpotential_mV`` (held), ``refitted`` (name) and
    ``refitted_values``.
    """
    _, _, alloying = _dip_parameter(params, substrate)
    default_name, default_values = SENSITIVITY_RANGES["alloying" if alloying else "barrier"]
    name = default_name if parameter is None else parameter
    grid = default_values if values is None else values
    ref = simulate_nucleation(params, substrate, current_density_mA_cm2)
    key = f"substrates.{substrate}.nucleation.{name}"
    rows: dict[str, list[float]] = {
        "values": [],
        "recovery_time_s": [],
        "nuclei_density_cm2": [],
        "nucleation_overpotential_mV": [],
        "refitted_values": [],
    }
    for x in grid:
        held, value = hold_dip(
            params,
            substrate,
            current_density_mA_cm2,
            {key: float(x)},
            ref.nucleation_overpotential_mV,
        )
        r = simulate_nucleation(held, substrate, current_density_mA_cm2)
        rows["values"].append(float(x))
        rows["recovery_time_s"].append(r.recovery_time_s)
        rows["nuclei_density_cm2"].append(r.nuclei_density_cm2)
        rows["nucleation_overpotential_mV"].append(r.nucleation_overpotential_mV)
        rows["refitted_values"].append(value)
    return {
        "parameter": name,
        "refitted": _dip_parameter(params, substrate)[0].rsplit(".", 1)[-1],
        **rows,
    }
