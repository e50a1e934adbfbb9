r"""Small-signal impedance of the cell twin, computed from the same parameters and state as cycling.

Every element comes from the :class:`~lilean.parameters.set.ParameterSet` and the model states that
drive :mod:`lilean.models.anode`, :mod:`lilean.models.cathode` and :mod:`lilean.models.full_cell`
(no separate EIS parameter set). All elements are area-specific (per geometric cm^2, or per m^2 in
the SI helpers); divide by the electrode area for Ohm. Convention: :math:`Z = Z' + jZ''`,
:math:`\omega = 2\pi f`, capacitive arcs have :math:`Z'' < 0`.

Li-metal anode (state: :mod:`lilean.models.anode`)
--------------------------------------------------
.. math::

    Z_a = R_{dead} + \frac{R_{SEI}}{1 + j\omega R_{SEI} C_{SEI}}
              + \frac{R_{ct,a}}{1 + j\omega R_{ct,a} C_{dl,a}}

* :math:`R_{dead} = L_{dead}\,\tau/(\kappa\,\varepsilon_p)`: ionic resistance of the electrolyte in
  the porous dead-Li layer (:func:`~lilean.models.anode.dead_layer_resistance_ohm_cm2`; Chen2017). Its geometric capacitance (~nF/cm^2) puts its arc above
  1 MHz, so it is a pure series resistance in the 0.01 Hz-100 kHz window. The cycling model applies
  it only while stripping the Li beneath the layer; ions cross the layer in both directions, so the
  small-signal model keeps it. It includes the DC limit of the layer's concentration polarization,
  ``(2RT/F)(1 - t+) / i_lim`` (:func:`~lilean.models.anode.dead_layer_diffusion_resistance_ohm_cm2`).
* :math:`R_{SEI} = R_{SEI,0} + \rho_{SEI} Q_{SEI}`
  (:func:`~lilean.models.anode.interface_resistance_ohm_cm2`; grows with the Li bound in the SEI).
  The SEI is a dielectric film of relative permittivity :math:`\varepsilon_r` and fixed ionic
  resistivity, so its thickness grows in proportion to its resistance,
  :math:`d = d_0 R_{SEI}/R_{SEI,0}`, and :math:`C_{SEI} = \varepsilon_0\varepsilon_r A_c / d` on the
  contact area :math:`A_c` (Peled2017: SEI as a solid
  electrolyte film). :math:`R_{SEI} C_{SEI} = \varepsilon_0\varepsilon_r A_c d_0/R_{SEI,0}` is then a
  film property times the contact area.
* :math:`R_{ct,a} = RT/(F\,i_0\,\theta)`: the zero-current slope of the anode model's symmetric
  Butler-Volmer term :math:`(2RT/F)\,\mathrm{asinh}(i/(2 i_0\theta))`, with the exchange current
  density :math:`i_0` per geometric cm^2 and the reacting (Li-covered) area fraction
  :math:`\theta = Q_{act}/(Q_{act}+q_{cov})` (:func:`~lilean.models.anode.coverage`). :math:`i_0` was
  calibrated per geometric area on a fully covered electrode, so the true-area factor of the
  kinetics is :math:`\theta`; multiplying by the (much larger) contact-area factor as well would
  count the area twice and break the DC limit (:math:`Z_a(\omega\to0)` = the cycling model's
  polarisation slope).
* :math:`C_{dl,a} = c_{dl} A_c` with the anode model's contact-area factor at full coverage,
  :math:`A_c = m(1 + s Q_{act} + k_{dead} Q_{dead})` (:func:`~lilean.models.anode.corrosion_area_factor`
  divided by :math:`\theta`: the wetted electrode area, substrate and morphology dependent — mossy Li
  on Cu has a larger :math:`s` than the dense Li in the Ag plumes).
* The start-of-half-cycle overpotential peak of the cycling model (nucleation of new Li after
  ~0.05 mAh/cm^2) is not part of the small-signal response: a 5 mV perturbation passes ~nC/cm^2.

LFP cathode (state: :mod:`lilean.models.cathode`, SPMe)
-------------------------------------------------------
.. math::

    Z_c = R_\Omega + Z_e + \left[(R_{ct,c} + Z_s)^{-1} + j\omega C_{dl,c}\right]^{-1}

* :math:`R_\Omega = L_s/(\kappa\varepsilon_{sep}^{b_s}) + L_p/(3\kappa\varepsilon_p^{b_p})
  + L_p/(3\sigma\varepsilon_s^{b_e}) + R_c`: the SPMe ohmic terms of
  :func:`~lilean.models.cathode.cathode_potential_V` (Bruggeman, Nyman conductivity at
  :math:`c_e`), contact resistance included.
* :math:`R_{ct,c} = RT/(F\,i_{0,c}\,aL_p)` with
  :math:`i_{0,c} = k\,c_e^{1/2}c_s^{1/2}(c_{max}-c_s)^{1/2}` at the surface concentration of the state
  of charge (Kashkooli et al., J. Appl. Electrochem. 47, 281 (2017)) and the particle surface per
  geometric area :math:`aL_p = 3\varepsilon_s L_p/R`.
* :math:`C_{dl,c} = c_{dl,c}\,aL_p`.
* Finite-space spherical diffusion in the particle (Jacobsen & West, Electrochim. Acta 40, 255
  (1995); Meyers, Doyle, Darling, Newman, J. Electrochem. Soc. 147, 2930 (2000)), per geometric
  area,

  .. math:: Z_s = -\frac{dU}{dc_s}\frac{R}{F D_s}\frac{\tanh\beta}{\tanh\beta-\beta}\frac{1}{aL_p},
            \qquad \beta = R\sqrt{j\omega/D_s},

  with :math:`dU/dc_s = U'(x)/c_{max}` of the Prada2013 OCV. Limits: :math:`Z_s\to
  -\frac{U'}{c_{max}}\frac{1}{aL_p}\left[\frac{3}{FRj\omega} + \frac{R}{5FD_s}\right]` as
  :math:`\omega\to0` (intercalation capacitance + :math:`R/5D_s` resistance), a Warburg
  :math:`\propto(j\omega)^{-1/2}` at high frequency.
* Electrolyte diffusion (finite length, separator + cathode): the SPMe concentration overpotential
  :math:`\eta_e = \chi\frac{RT}{F}(\overline{\ln c_{e,p}} - \ln c_e(0))`,
  :math:`\chi = 2(1-t^+)\mathrm{TDF}`, linearised, with the salt balance
  :math:`\varepsilon j\omega\hat c = (D_{eff}\hat c')' + S` solved exactly in the two layers (sink
  :math:`(1-t^+)\hat i/F` at the Li surface, uniform source over the cathode, no flux at the current
  collector; continuity of :math:`\hat c` and :math:`D_{eff}\hat c'` at the separator/cathode
  interface) — :func:`electrolyte_impedance_full_cell_ohm_m2`. At low frequency it tends to the
  DC concentration-polarisation resistance of the cycling model.
  The electrolyte term is in series with the electrode (SPMe: the double-layer current is
  negligible at the electrolyte-diffusion frequencies, below ~1 Hz).

Symmetric Li || Li cell (:mod:`lilean.models.symmetric`)
-------------------------------------------------------
:math:`Z = R_{sep} + Z_{a,WE} + Z_{a,CE} + Z_{e,sym}` with the separator resistance of the symmetric
model (:func:`~lilean.models.anode.separator_resistance_ohm_cm2`, MacMullin number :math:`N_M`) and
the bounded (transmissive) Warburg of salt diffusion between two Li electrodes,
:math:`Z_{e,sym} = \chi\frac{RT}{Fc_0}\frac{2(1-t^+)}{F D_{eff} q}\tanh(qL/2)`,
:math:`q = \sqrt{j\omega\varepsilon/D_{eff}}`, :math:`D_{eff} = D_e/N_M` (same tortuosity as the
separator resistance). The symmetric cycling model neglects concentration polarisation; the EIS
keeps it (a low-frequency arc of a few Ohm cm^2).

A shorted cell (a Li filament through the separator) adds :math:`R_{short}` in parallel.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from lilean.errors import ParameterError
from lilean.models.anode import (
    P_KDEAD,
    P_RSEI0,
    P_THERMAL,
    S_AREA,
    S_DEAD,
    corrosion_area_factor,
    coverage,
    dead_layer_diffusion_resistance_ohm_cm2,
    dead_layer_resistance_ohm_cm2,
    interface_resistance_ohm_cm2,
    separator_resistance_ohm_cm2,
)
from lilean.models.cathode import (
    FARADAY,
    GAS_CONSTANT,
    IDX_B_P,
    IDX_B_S,
    IDX_B_SEP,
    IDX_C_E0,
    IDX_C_MAX,
    IDX_D_E,
    IDX_D_S,
    IDX_EPS_P,
    IDX_EPS_S,
    IDX_EPS_SEP,
    IDX_K_REACTION,
    IDX_L_P,
    IDX_L_S,
    IDX_R_CONTACT,
    IDX_R_P,
    IDX_SIGMA_S,
    IDX_T_K,
    IDX_T_PLUS,
    IDX_TDF,
    electrolyte_conductivity_S_m,
)

if TYPE_CHECKING:
    from lilean.parameters.anode import AnodeParameters
    from lilean.parameters.set import ParameterSet

VACUUM_PERMITTIVITY_F_CM = 8.8541878128e-14  # F/cm

#: frequencies of the study's Autolab measurement: 1e5 .. 1e-2 Hz, 10 per decade (71 points)
DEFAULT_FREQUENCIES_HZ = np.logspace(5.0, -2.0, 71)


# ================================================================================================
# anode
# ================================================================================================


@dataclass(frozen=True)
class AnodeElements:
    """Small-signal elements of one Li-metal electrode, per geometric cm^2."""

    R_dead_ohm_cm2: float
    R_SEI_ohm_cm2: float
    C_SEI_F_cm2: float
    R_ct_ohm_cm2: float
    C_dl_F_cm2: float
    sei_thickness_nm: float
    contact_area_factor: float
    coverage: float

    def impedance_ohm_cm2(self, frequency_Hz: np.ndarray) -> np.ndarray:
        """``Z_a = R_dead + R_SEI || C_SEI + R_ct || C_dl`` [ohm cm^2] (module docstring)."""
        w = 2.0 * np.pi * np.asarray(frequency_Hz, dtype=float)
        return (
            self.R_dead_ohm_cm2
            + _rc(w, self.R_SEI_ohm_cm2, self.C_SEI_F_cm2)
            + _rc(w, self.R_ct_ohm_cm2, self.C_dl_F_cm2)
        )

    def to_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": float(v) for k, v in asdict(self).items()}


def _tanh(z: np.ndarray) -> np.ndarray:
    """``tanh z`` for ``Re z >= 0`` without overflow: ``(1 - e^{-2z}) / (1 + e^{-2z})``."""
    e = np.exp(-2.0 * z)
    return (1.0 - e) / (1.0 + e)


def _sech(z: np.ndarray) -> np.ndarray:
    """``1 / cosh z`` for ``Re z >= 0`` without overflow: ``2 e^{-z} / (1 + e^{-2z})``."""
    return 2.0 * np.exp(-z) / (1.0 + np.exp(-2.0 * z))


def _rc(w: np.ndarray, r: float, c: float) -> np.ndarray:
    """``R / (1 + j w R C)``; ``R = inf`` gives the capacitor alone."""
    if math.isinf(r):
        return 1.0 / (1j * w * c)
    return r / (1.0 + 1j * w * r * c)


def anode_elements(anode: AnodeParameters, state: np.ndarray, p: np.ndarray) -> AnodeElements:
    """Elements of a Li-metal electrode in ``state`` (:mod:`lilean.models.anode` layout).

    ``p`` is :func:`lilean.models.anode.anode_parameter_vector` of ``anode`` (its ``P_THERMAL`` =
    2RT/F sets the temperature). Equations in the module docstring.
    """
    v = anode.values()
    theta = float(coverage(state, p))
    rt_f = 0.5 * float(p[P_THERMAL])
    i0_A_cm2 = v["exchange_current_density_mA_cm2"] * 1e-3
    r_ct = rt_f / (i0_A_cm2 * theta) if theta > 0.0 else math.inf
    r_sei = float(interface_resistance_ohm_cm2(state, p))
    r_sei0 = float(p[P_RSEI0])
    d0_cm = v["sei_initial_thickness_nm"] * 1e-7
    d_cm = d0_cm * r_sei / r_sei0 if r_sei0 > 0.0 else d0_cm
    # contact area at full coverage: a_corr / theta = m (1 + s Q_act + k_dead Q_dead)
    if theta > 0.0:
        area = float(corrosion_area_factor(state, p)) / theta
    else:
        area = float(state[S_AREA]) * (1.0 + float(p[P_KDEAD]) * float(state[S_DEAD]))
    c_sei = VACUUM_PERMITTIVITY_F_CM * v["sei_relative_permittivity"] * area / d_cm
    c_dl = v["double_layer_capacitance_uF_cm2"] * 1e-6 * area
    return AnodeElements(
        R_dead_ohm_cm2=float(
            dead_layer_resistance_ohm_cm2(state, p)
            + dead_layer_diffusion_resistance_ohm_cm2(state, p)
        ),
        R_SEI_ohm_cm2=r_sei,
        C_SEI_F_cm2=c_sei,
        R_ct_ohm_cm2=r_ct,
        C_dl_F_cm2=c_dl,
        sei_thickness_nm=d_cm * 1e7,
        contact_area_factor=area,
        coverage=theta,
    )


# ================================================================================================
# cathode
# ================================================================================================


def lfp_ocv_slope_V(x: float) -> float:
    """``dU/dx`` [V] of the Prada2013 OCV ``U = 3.4077 - 0.020269x + 0.5e^{-150x} - 0.9e^{-30(1-x)}``."""
    return -0.020269 - 75.0 * math.exp(-150.0 * x) - 27.0 * math.exp(-30.0 * (1.0 - x))


def spherical_diffusion_impedance_ohm_m2(
    frequency_Hz: np.ndarray, radius_m: float, diffusivity_m2_s: float, dU_dc_V_m3_mol: float
) -> np.ndarray:
    """Finite-space spherical diffusion impedance per unit *particle surface* [ohm m^2].

    ``Z = -(dU/dc) R/(F D) tanh(b)/(tanh(b) - b)``, ``b = R sqrt(j w / D)`` (module docstring;
    Jacobsen & West 1995). ``dU/dc < 0`` for an intercalation cathode, so ``Re Z > 0``. For
    ``|b| < 1e-2`` the series ``3/b^2 + 1/5`` avoids the cancellation.
    """
    w = 2.0 * np.pi * np.asarray(frequency_Hz, dtype=float)
    b = radius_m * np.sqrt(1j * w / diffusivity_m2_s)
    small = np.abs(b) < 1e-2
    b_safe = np.where(small, 1.0, b)
    t = _tanh(b_safe)
    b_series = np.where(small, b, 1.0)
    ratio = np.where(small, 3.0 / b_series**2 + 0.2, t / (b_safe - t))
    # tanh(b)/(b - tanh b) is the positive-real form; Z = -(dU/dc) R/(F D) * that
    return -dU_dc_V_m3_mol * radius_m / (FARADAY * diffusivity_m2_s) * ratio


def electrolyte_impedance_full_cell_ohm_m2(
    frequency_Hz: np.ndarray,
    *,
    separator_thickness_m: float,
    separator_porosity: float,
    separator_diffusivity_m2_s: float,
    cathode_thickness_m: float,
    cathode_porosity: float,
    cathode_diffusivity_m2_s: float,
    transference_number: float,
    thermodynamic_factor: float,
    concentration_mol_m3: float,
    temperature_K: float,
) -> np.ndarray:
    r"""Linearised SPMe concentration overpotential per unit current [ohm m^2] (exact solution).

    Separator :math:`0<x<L_s`: :math:`\hat c = A\cosh q_s x + B\sinh q_s x`,
    :math:`D_s q_s B = s` (sink at the Li surface, :math:`s = (1-t^+)\hat i/F`). Cathode
    :math:`L_s<x<L`: :math:`\hat c = s/(j\omega\varepsilon_p L_p) + C\cosh q_p(L-x)` (uniform source,
    no flux at the collector). :math:`A, C` from continuity of :math:`\hat c` and :math:`D\hat c'` at
    :math:`L_s`; :math:`Z_e = \chi\frac{RT}{Fc_0}(\overline{\hat c}_p - \hat c(0))/\hat i`.
    ``*_diffusivity`` are effective (Bruggeman) diffusivities; ``q = sqrt(j w eps / D_eff)``.
    """
    w = 2.0 * np.pi * np.asarray(frequency_Hz, dtype=float)
    if np.any(w <= 0):
        raise ParameterError("electrolyte impedance: frequencies must be > 0 Hz")
    ls, lp = separator_thickness_m, cathode_thickness_m
    ds, dp = separator_diffusivity_m2_s, cathode_diffusivity_m2_s
    qs = np.sqrt(1j * w * separator_porosity / ds)
    qp = np.sqrt(1j * w * cathode_porosity / dp)
    s = 1.0  # per unit salt flux; scaled below
    b = s / (ds * qs)
    part = s / (1j * w * cathode_porosity * lp)
    # continuity of c and D c' at L_s, written with tanh/sech only (no overflow at high f):
    #   A = [P sech_s - B (th_s + g)] / (1 + g th_s),   c(L_s) = [P - B g sech_s] / (1 + g th_s)
    # with g = D_s q_s / (D_p q_p th_p) and C cosh(q_p L_p) = c(L_s) - P
    th_s, sech_s = _tanh(qs * ls), _sech(qs * ls)
    th_p = _tanh(qp * lp)
    g = ds * qs / (dp * qp * th_p)
    den = 1.0 + g * th_s
    a = (part * sech_s - b * (th_s + g)) / den
    c_ls = (part - b * g * sech_s) / den
    mean_p = part + (c_ls - part) * th_p / (qp * lp)
    chi = 2.0 * (1.0 - transference_number) * thermodynamic_factor
    rt_f = GAS_CONSTANT * temperature_K / FARADAY
    salt_per_current = (1.0 - transference_number) / FARADAY  # s = salt_per_current * i
    return chi * rt_f / concentration_mol_m3 * (mean_p - a) * salt_per_current


def electrolyte_resistance_full_cell_ohm_m2(
    *,
    separator_thickness_m: float,
    separator_diffusivity_m2_s: float,
    cathode_thickness_m: float,
    cathode_diffusivity_m2_s: float,
    transference_number: float,
    thermodynamic_factor: float,
    concentration_mol_m3: float,
    temperature_K: float,
    **_: float,
) -> float:
    """DC limit of :func:`electrolyte_impedance_full_cell_ohm_m2` [ohm m^2] (steady salt profile:
    linear in the separator, parabolic in the cathode)::

        R_e = chi RT/(F c0) (1 - t+)/F (L_s/D_s + L_p/(3 D_p))
    """
    chi = 2.0 * (1.0 - transference_number) * thermodynamic_factor
    rt_f = GAS_CONSTANT * temperature_K / FARADAY
    return (
        chi
        * rt_f
        / concentration_mol_m3
        * (1.0 - transference_number)
        / FARADAY
        * (
            separator_thickness_m / separator_diffusivity_m2_s
            + cathode_thickness_m / (3.0 * cathode_diffusivity_m2_s)
        )
    )


def electrolyte_impedance_symmetric_ohm_m2(
    frequency_Hz: np.ndarray,
    *,
    thickness_m: float,
    porosity: float,
    diffusivity_m2_s: float,
    transference_number: float,
    thermodynamic_factor: float,
    concentration_mol_m3: float,
    temperature_K: float,
) -> np.ndarray:
    """Bounded (transmissive) Warburg of salt diffusion between two Li electrodes [ohm m^2].

    ``Z = chi RT/(F c0) * 2 (1 - t+)/(F D q) * tanh(q L / 2)``, ``q = sqrt(j w eps / D_eff)``;
    DC limit ``chi (1 - t+) RT L / (F^2 c0 D_eff)``.
    """
    w = 2.0 * np.pi * np.asarray(frequency_Hz, dtype=float)
    q = np.sqrt(1j * w * porosity / diffusivity_m2_s)
    chi = 2.0 * (1.0 - transference_number) * thermodynamic_factor
    rt_f = GAS_CONSTANT * temperature_K / FARADAY
    return (
        chi
        * rt_f
        / concentration_mol_m3
        * 2.0
        * (1.0 - transference_number)
        / (FARADAY * diffusivity_m2_s * q)
        * _tanh(q * thickness_m / 2.0)
    )


@dataclass(frozen=True)
class CathodeElements:
    """Small-signal elements of the LFP electrode + electrolyte, per geometric cm^2 (SI inputs of
    the diffusion terms kept for :meth:`impedance_ohm_cm2`)."""

    R_ohmic_ohm_cm2: float
    R_ct_ohm_cm2: float
    C_dl_F_cm2: float
    R_diffusion_solid_ohm_cm2: float
    R_diffusion_electrolyte_ohm_cm2: float
    stoichiometry: float
    exchange_current_density_A_m2: float
    ocv_slope_V: float
    surface_area_ratio: float
    particle_radius_m: float
    solid_diffusivity_m2_s: float
    max_concentration_mol_m3: float
    electrolyte: dict[str, float]

    def solid_diffusion_ohm_cm2(self, frequency_Hz: np.ndarray) -> np.ndarray:
        z = spherical_diffusion_impedance_ohm_m2(
            frequency_Hz,
            self.particle_radius_m,
            self.solid_diffusivity_m2_s,
            self.ocv_slope_V / self.max_concentration_mol_m3,
        )
        return z / self.surface_area_ratio * 1e4

    def electrolyte_diffusion_ohm_cm2(self, frequency_Hz: np.ndarray) -> np.ndarray:
        return electrolyte_impedance_full_cell_ohm_m2(frequency_Hz, **self.electrolyte) * 1e4

    def impedance_ohm_cm2(self, frequency_Hz: np.ndarray) -> np.ndarray:
        """``Z_c = R_ohm + Z_e + (R_ct + Z_s) || C_dl`` [ohm cm^2] (module docstring)."""
        f = np.asarray(frequency_Hz, dtype=float)
        w = 2.0 * np.pi * f
        faradaic = self.R_ct_ohm_cm2 + self.solid_diffusion_ohm_cm2(f)
        electrode = 1.0 / (1.0 / faradaic + 1j * w * self.C_dl_F_cm2)
        return self.R_ohmic_ohm_cm2 + self.electrolyte_diffusion_ohm_cm2(f) + electrode

    def to_dict(self, prefix: str = "") -> dict[str, float]:
        keys = (
            "R_ohmic_ohm_cm2",
            "R_ct_ohm_cm2",
            "C_dl_F_cm2",
            "R_diffusion_solid_ohm_cm2",
            "R_diffusion_electrolyte_ohm_cm2",
            "stoichiometry",
            "exchange_current_density_A_m2",
            "ocv_slope_V",
            "surface_area_ratio",
        )
        return {f"{prefix}{k}": float(getattr(self, k)) for k in keys}


def cathode_elements(
    params: ParameterSet,
    p: np.ndarray,
    stoichiometry: float,
    *,
    electrolyte_concentration_mol_m3: float | None = None,
) -> CathodeElements:
    """Elements of the LFP electrode at a relaxed, uniform ``stoichiometry`` x (1 = LiFePO4).

    ``p`` is the cathode parameter vector (:func:`lilean.models.cathode.cathode_parameter_vector`,
    after any active-material loss). The electrolyte is at rest at ``c_e`` (default: its initial
    concentration, the mean that the salt balance conserves).
    """
    x = float(stoichiometry)
    if not 0.0 < x < 1.0:
        raise ParameterError(f"cathode stoichiometry = {x}, expected 0 < x < 1")
    ce = (
        float(p[IDX_C_E0])
        if electrolyte_concentration_mol_m3 is None
        else float(electrolyte_concentration_mol_m3)
    )
    t_k = float(p[IDX_T_K])
    rt_f = GAS_CONSTANT * t_k / FARADAY
    c_max = float(p[IDX_C_MAX])
    radius = float(p[IDX_R_P])
    eps_s = float(p[IDX_EPS_S])
    lp, ls = float(p[IDX_L_P]), float(p[IDX_L_S])
    kappa = float(electrolyte_conductivity_S_m(p, ce))
    r_e = ls / (kappa * p[IDX_EPS_SEP] ** p[IDX_B_SEP]) + lp / (
        3.0 * kappa * p[IDX_EPS_P] ** p[IDX_B_P]
    )
    r_s = lp / (3.0 * p[IDX_SIGMA_S] * eps_s ** p[IDX_B_S])
    r_ohm_m2 = float(r_e + r_s + p[IDX_R_CONTACT])
    c_s = x * c_max
    i0 = float(p[IDX_K_REACTION]) * math.sqrt(ce) * math.sqrt(c_s) * math.sqrt(c_max - c_s)
    a_l = 3.0 * eps_s * lp / radius
    r_ct_m2 = rt_f / (i0 * a_l)
    c_dl_uF_cm2 = params.cathode.double_layer_capacitance_uF_cm2.value
    slope = lfp_ocv_slope_V(x)
    d_s = float(p[IDX_D_S])
    electrolyte = {
        "separator_thickness_m": ls,
        "separator_porosity": float(p[IDX_EPS_SEP]),
        "separator_diffusivity_m2_s": float(p[IDX_D_E] * p[IDX_EPS_SEP] ** p[IDX_B_SEP]),
        "cathode_thickness_m": lp,
        "cathode_porosity": float(p[IDX_EPS_P]),
        "cathode_diffusivity_m2_s": float(p[IDX_D_E] * p[IDX_EPS_P] ** p[IDX_B_P]),
        "transference_number": float(p[IDX_T_PLUS]),
        "thermodynamic_factor": float(p[IDX_TDF]),
        "concentration_mol_m3": ce,
        "temperature_K": t_k,
    }
    r_solid_m2 = -slope / c_max * radius / (5.0 * FARADAY * d_s) / a_l
    r_elec_m2 = electrolyte_resistance_full_cell_ohm_m2(**electrolyte)
    return CathodeElements(
        R_ohmic_ohm_cm2=r_ohm_m2 * 1e4,
        R_ct_ohm_cm2=r_ct_m2 * 1e4,
        C_dl_F_cm2=c_dl_uF_cm2 * 1e-6 * a_l,
        R_diffusion_solid_ohm_cm2=r_solid_m2 * 1e4,
        R_diffusion_electrolyte_ohm_cm2=r_elec_m2 * 1e4,
        stoichiometry=x,
        exchange_current_density_A_m2=i0,
        ocv_slope_V=slope,
        surface_area_ratio=a_l,
        particle_radius_m=radius,
        solid_diffusivity_m2_s=d_s,
        max_concentration_mol_m3=c_max,
        electrolyte=electrolyte,
    )


# ================================================================================================
# cells
# ================================================================================================


def with_short_ohm_cm2(z_ohm_cm2: np.ndarray, r_short_ohm_cm2: float | None) -> np.ndarray:
    """``Z || R_short`` when the cell is shorted (``r_short`` given), else ``Z``."""
    if r_short_ohm_cm2 is None:
        return z_ohm_cm2
    return 1.0 / (1.0 / z_ohm_cm2 + 1.0 / r_short_ohm_cm2)


def full_cell_impedance_ohm_cm2(
    frequency_Hz: np.ndarray,
    anode: AnodeElements,
    cathode: CathodeElements,
    *,
    r_short_ohm_cm2: float | None = None,
) -> np.ndarray:
    """Li || LFP cell: ``Z = Z_c + Z_a`` (both electrodes in series), optionally ``|| R_short``."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = cathode.impedance_ohm_cm2(f) + anode.impedance_ohm_cm2(f)
    return with_short_ohm_cm2(z, r_short_ohm_cm2)


def symmetric_separator_elements(
    params: ParameterSet, anode: AnodeParameters
) -> tuple[float, dict[str, float]]:
    """Separator resistance [ohm cm^2] of the symmetric model and its diffusion inputs (SI).

    ``R_sep = L N_M / kappa`` (:func:`lilean.models.anode.separator_resistance_ohm_cm2`);
    ``D_eff = D_e / N_M`` with ``D_e``, ``t+``, TDF and ``c_0`` of the cathode group's electrolyte.
    """
    cell = params.cell.values()
    c = params.cathode.values()
    a = anode.values()
    r_sep = separator_resistance_ohm_cm2(anode, cell["separator_thickness_um"])
    diffusion = {
        "thickness_m": cell["separator_thickness_um"] * 1e-6,
        "porosity": c["separator_porosity"],
        "diffusivity_m2_s": c["electrolyte_diffusivity_m2_s"] / a["separator_macmullin"],
        "transference_number": c["cation_transference_number"],
        "thermodynamic_factor": c["thermodynamic_factor"],
        "concentration_mol_m3": c["electrolyte_concentration_mol_m3"],
        "temperature_K": cell["temperature_C"] + 273.15,
    }
    return r_sep, diffusion


def symmetric_cell_impedance_ohm_cm2(
    frequency_Hz: np.ndarray,
    working: AnodeElements,
    counter: AnodeElements,
    separator_resistance_ohm_cm2: float,
    diffusion: dict[str, float],
    *,
    r_short_ohm_cm2: float | None = None,
) -> np.ndarray:
    """Li || Li cell: ``Z = R_sep + Z_a,WE + Z_a,CE + Z_e,sym`` (module docstring)."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = (
        separator_resistance_ohm_cm2
        + working.impedance_ohm_cm2(f)
        + counter.impedance_ohm_cm2(f)
        + electrolyte_impedance_symmetric_ohm_m2(f, **diffusion) * 1e4
    )
    return with_short_ohm_cm2(z, r_short_ohm_cm2)


def electrolyte_resistance_symmetric_ohm_m2(
    *,
    thickness_m: float,
    diffusivity_m2_s: float,
    transference_number: float,
    thermodynamic_factor: float,
    concentration_mol_m3: float,
    temperature_K: float,
    **_: float,
) -> float:
    """DC limit of :func:`electrolyte_impedance_symmetric_ohm_m2`:
    ``chi (1 - t+) RT L / (F^2 c0 D_eff)`` [ohm m^2]."""
    chi = 2.0 * (1.0 - transference_number) * thermodynamic_factor
    rt_f = GAS_CONSTANT * temperature_K / FARADAY
    return (
        chi
        * rt_f
        * (1.0 - transference_number)
        * thickness_m
        / (FARADAY * concentration_mol_m3 * diffusivity_m2_s)
    )
