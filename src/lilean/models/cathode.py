r"""LiFePO4 cathode: a population of LFP particle classes with the SPMe electrolyte, numba kernels.

Model (Marquis, Sulzer, Timms, Please, Chapman, "An asymptotic derivation of a single particle model with
electrolyte", J. Electrochem. Soc. 166 (2019) A3693; half-cell form as in PyBaMM's
``SPMe(options={"working electrode": "positive"})``; the particle population as in PyBaMM's
many-particle model with ``"particle size": "distribution"``, Kirk2022):

* **Particle classes** (``cathode.particle_classes`` = K): equal-volume classes ``k`` of volume-weighted
  lognormal populations of radius :math:`R_k` and electronic contact resistance :math:`r_k` [Ohm m^2 of
  particle surface] (:func:`particle_classes_table`; the "resistive-reactant" picture of porous LFP
  electrodes: Thorat2011, Safari2011, Farkhondeh2011). All classes see the same solid and electrolyte
  potentials (the electrode's particle-side potential :math:`E`); class ``k`` carries the flux
  :math:`j_k` [A/m^2 of particle surface] that solves

  .. math:: E = U(x_{s,k}) + \frac{2RT}{F}\sinh^{-1}\frac{j_k}{2 i_{0,k}} + r_k j_k,\qquad
            \sum_k s_k j_k = J = \frac{i}{a L_p},\quad a = 3\varepsilon_s \sum_k \frac{w_k}{R_k},
            \quad s_k = \frac{w_k/R_k}{\sum_l w_l/R_l},

  solved by Newton's method (:func:`_split_current`) implicitly with the end-of-step surface
  stoichiometries (linear in :math:`j_k` through the backward-Euler particle solve). The split of the last
  step is cached in the state. ``K = 1`` with :math:`r = 0` is the single-particle SPMe. Capacity then
  falls gradually with series (anode) resistance: the poorly contacted particles are reached only while
  the cell's voltage window leaves overpotential for them.
* **Solid diffusion** in every class's sphere of radius :math:`R_k`,

  .. math:: \partial_t c_s = \frac{1}{r^2}\partial_r (r^2 D_s \partial_r c_s),\qquad
            -D_s \partial_r c_s|_{R_k} = j_k / F,

  with :math:`i` the current density per geometric electrode area [A/m^2] (positive = cell charge =
  delithiation of LFP). Finite volumes on
  ``n_shells`` equal-thickness shells, backward Euler in time (exactly conservative: the Li content changes
  by :math:`-\int i\,dt/F` per unit electrode area). The state stores the stoichiometry
  :math:`x = c_s/c_{max}` of each shell (``x = 1`` is LiFePO4).
* **Electrolyte** (separator + cathode, 1D, finite volumes, backward Euler):

  .. math:: \varepsilon \partial_t c_e = \partial_x(\varepsilon^{b} D_e \partial_x c_e) + (1-t^+)\,S,

  with a uniform source :math:`S = i/(F L_p)` in the cathode (SPMe: uniform reaction) and the Li-metal
  counter electrode at :math:`x = 0` removing :math:`(1-t^+) i / F` (no flux at the current collector).
* **Potential** of the cathode vs Li/Li+ in the electrolyte at the Li-metal surface (:math:`x = 0`):

  .. math::
     E_{cath} = E
       + \frac{2(1-t^+)\,\mathrm{TDF}\,RT}{F}\left(\overline{\ln c_{e,p}} - \ln c_e(0)\right)
       + i\left(\frac{L_s}{\kappa\,\varepsilon_{sep}^{b_s}} + \frac{L_p}{3\kappa\,\varepsilon_p^{b_p}}
         + \frac{L_p}{3\sigma\,\varepsilon_s^{b_e}} + R_c\right),

  :math:`i_0 = k\,e^{-E_a/R(1/T-1/T_{ref})}\,\bar c_{e,p}^{0.5}\,c_{s,surf}^{0.5}(c_{max}-c_{s,surf})^{0.5}`
  (symmetric Butler-Volmer; Kashkooli2017), :math:`\kappa` at the
  mean electrolyte concentration (Nyman2008), Bruggeman
  tortuosity. These are the composite (SPMe) electrolyte and electrode ohmic terms of Marquis et al.
  (2019) eqs. for a planar counter electrode, as implemented in PyBaMM.
* **OCV** of LFP (Prada et al., J. Electrochem. Soc. 160 (2013) A616, via PyBaMM "Prada2013", fit of
  Afshar et al. 2017): :math:`U(x) = 3.4077 - 0.020269x + 0.5e^{-150x} - 0.9e^{-30(1-x)}` V.

Geometry from the study's loading (Zhang et al. 2023): LFP mass per area :math:`m = Q/q` (loading
:math:`Q` mAh/cm^2, :math:`q` = 170 mAh/g), LFP volume per area :math:`m/\rho_{LFP}`; the solid volume fraction
of LFP :math:`\phi = (w/\rho_{LFP}) / (w/\rho_{LFP} + (1-w)/\rho_{add})` (:math:`w` = LFP mass fraction),
LFP volume fraction :math:`(1-\varepsilon)\phi` for porosity :math:`\varepsilon`, thickness
:math:`L_p = (m/\rho_{LFP})/((1-\varepsilon)\phi)`. For 0.4 mAh/cm^2 this gives a LFP volume fraction of
0.40 and :math:`L_p \approx 16\,\mu m`. Only the accessible fraction :math:`u` of the LFP
(``active_material_fraction``, electronically connected particles) takes part:
:math:`\varepsilon_s = u(1-\varepsilon)\phi`.

Choices and simplifications: the surface stoichiometry and :math:`c_e(0)` are extrapolated from the
outer cell with the known boundary flux (second-order); :math:`D_e` is constant (Nyman 2008 at 1 M);
:math:`\kappa(c)` uses the Nyman polynomial at the mean concentration. The contact-resistance median and
width and the accessible LFP fraction are calibrated on the study's rate table
(``calibration/calibrate_cathode.py``); the solid diffusivity is Prada2013's.

Validation: in the single-particle limit against PyBaMM's SPMe of the same half-cell
(:func:`pybamm_half_cell_parameter_values`, ``tests/reference/test_cathode_vs_pybamm.py``) the 1 C
discharge curves differ by ~4 mV RMS (10 shells, 200 steps) and the capacities by < 0.1 %; with a
particle-size distribution (sd 0.4 of ln R) against PyBaMM's SPMe with ``"particle size":
"distribution"`` (``tests/reference/test_cathode_distribution_vs_pybamm.py``) by < 10 mV RMS and < 0.5 %
in capacity at 1 C and 2 C. The contact resistances per class have no PyBaMM counterpart; in the one-class
limit the term is an electrode contact resistance :math:`r/(aL_p)` and matches PyBaMM's.

Cost: the step solves every class's particle (one factorisation per radius, kept in the caller's
scratch between steps of one length) and the split (Newton from a first-order predictor: every
class's potential linearised at the last step's converged split, with its cached slopes ``dF/dj``
and ``dF/dx_s``, and moved by the known change of the class's zero-flux surface state; the time
extrapolation of the fluxes over runs of equal steps where no slopes are cached; updates that would
more than halve a surface's distance to 0 or 1 are taken in the logit of the surface
stoichiometry, so no damping is needed).
The split dominates: in the 303-cycle N/P 25 run (``benchmarks/bench_full_cell.py``) ~24.7k splits
take ~2.9 Newton updates on average (~2.75 in plain constant-current sub-steps, where the classes
empty or fill one after another and the class at the steep end of the OCV needs a second; ~4 in
the 3.2k trial steps of the 606 cut-off searches, which start from the last trial's split) and ~40
fall back to the safeguarded Newton search on the common potential, so the cost grows with ``K``:
:func:`cathode_step_into` takes ~1.2-1.5 us per 1 C step with the default 12 classes against
~0.3 us for the single particle (the time loops that call it allocate its scratch once and count
no array references, :data:`lilean.models._kernel.WITHOUT_REFCOUNT`). The potential, the split
and the step are compiled with LLVM's fast-math flags except ``nnan``/``ninf``
(:data:`FAST_FINITE_MATH`: ~3-5 % faster; results move by ~1e-11 V).
``cathode.particle_classes = 1`` with no particle contact resistance is the SPMe at its old speed.
Fewer classes are not converged (6 or 8 classes move the rate table by up to 3 % from 24, 12
classes by 1.1 %).

Ageing: :data:`IDX_LAM_PER_CYCLE` and :data:`IDX_LAM_PER_HOUR` carry the loss-of-active-material rates;
the full-cell loop applies them with :func:`apply_active_material_loss` (the Li stoichiometry of the
remaining material is unchanged; lost LFP takes its Li with it).

Units: SI inside the kernels (m, s, A, mol, V, K); current density per geometric electrode area.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from lilean.errors import ParameterError
from lilean.models._bracket import BRACKET_RECORD_SIZE, bracket_init, bracket_next, bracket_push
from lilean.models._fastmath import exp_fast, log_fast
from lilean.models._kernel import WITHOUT_REFCOUNT, copy_into
from lilean.models._numba_cache import drop_stale_numba_cache

if TYPE_CHECKING:
    from lilean.parameters.set import ParameterSet
    from lilean.schema import CyclingData

# the kernels call lilean.models._bracket, _fastmath and _kernel: numba's cache of this file is
# keyed on it alone
drop_stale_numba_cache(
    __file__,
    *(str(Path(__file__).with_name(n)) for n in ("_bracket.py", "_fastmath.py", "_kernel.py")),
)

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)
T_REF_K = 298.15

# Li-metal exchange current of PyBaMM's Xu2019 set (Xu et al., J. Electrochem. Soc. 166 (2019) A3456):
# i0 = 3.5e-8 F c_Li^0.7 c_e^0.3 A/m^2 with c_Li = 1 / (1.3e-5 m^3/mol).
XU2019_LI_I0_COEFFICIENT = 3.5e-8 * FARADAY * (1.0 / 1.3e-5) ** 0.7  # A/m^2 / (mol/m^3)^0.3
XU2019_LI_I0_EXPONENT = 0.3

# Default numerical resolution (shells in the particle, cells in separator and cathode electrolyte).
DEFAULT_N_SHELLS = 10
DEFAULT_N_SEPARATOR = 4
DEFAULT_N_CATHODE = 4

#: Newton tolerance of the particle-class split: residual [V] below which one more update is the
#: last (a fresh potential evaluation: ~1e-13 V after it; a time step, warm-started from the
#: previous step's split: ~1e-8 V, one Newton update per step in the plateau)
SPLIT_TOLERANCE_V = 1e-7
SPLIT_TOLERANCE_STEP_V = 1e-4
#: clamp of the surface stoichiometry in :func:`_class_potential` and the largest logit step of a
#: Newton update of the split
X_CLAMP_LO = 1e-14
X_CLAMP_HI = 1.0 - 1e-14
LOGIT_STEP_MAX = 8.0
#: LLVM fast-math flags of the hot arithmetic (contraction into FMA, reciprocals, approximate
#: functions): not ``nnan``/``ninf``, which would let the compiler drop the NaN / infinity checks,
#: and not ``reassoc``: with it LLVM vectorises the sums over the particle classes in an order
#: that depends on where a function is inlined (numba links its own copy of every callee into each
#: kernel), and a freshly compiled and a cached kernel gave results differing in the last bits.
#: The kernels also use numba's ``error_model="numpy"`` (a division by zero gives inf / NaN as in
#: numpy, without a Python-exception check on every division, which keeps the class loops
#: vectorisable); they guard their divisors and check results for finiteness.
FAST_FINITE_MATH = {"contract", "arcp", "nsz", "afn"}
#: a class whose Newton update moves its surface stoichiometry by less than this is converged
X_STEP_CONVERGED = 1e-13
#: the class arrays of the split's Newton loop are padded to a multiple of this (float64 lanes of
#: an AVX-512 vector): the compiler vectorises the loop of :func:`_class_potentials` and leaves
#: ``n mod width`` classes to a scalar, latency-bound remainder loop, which for the default 12
#: classes cost more than the 8 in the vector (one evaluation of 12 classes 196 ns, of 16: 111 ns
#: on the development machine)
CLASS_VECTOR_WIDTH = 8

# ---- parameter-vector layout (float64, SI) -------------------------------------------------------
IDX_T_K = 0  # temperature [K]
IDX_C_MAX = 1  # max Li concentration in LFP [mol/m^3]
IDX_D_S = 2  # solid diffusivity [m^2/s]
IDX_R_P = 3  # particle radius [m]
IDX_EPS_S = 4  # LFP (active) volume fraction [-]
IDX_EPS_P = 5  # cathode porosity [-]
IDX_L_P = 6  # cathode thickness [m]
IDX_L_S = 7  # separator thickness [m]
IDX_EPS_SEP = 8  # separator porosity [-]
IDX_B_P = 9  # Bruggeman exponent, cathode electrolyte [-]
IDX_B_SEP = 10  # Bruggeman exponent, separator [-]
IDX_K_REACTION = 11  # exchange-current constant k at T (Arrhenius applied) [A/m^2/(mol/m^3)^1.5]
IDX_SIGMA_S = 12  # cathode solid conductivity [S/m]
IDX_B_S = 13  # Bruggeman exponent, solid phase [-]
IDX_R_CONTACT = 14  # area-specific contact resistance [Ohm m^2]
IDX_C_E0 = 15  # initial electrolyte concentration [mol/m^3]
IDX_D_E = 16  # electrolyte diffusivity [m^2/s]
IDX_T_PLUS = 17  # cation transference number [-]
IDX_TDF = 18  # thermodynamic factor [-]
IDX_KAPPA_C1 = 19  # conductivity coefficients, kappa = c1 c + c15 c^1.5 + c3 c^3, c in mol/L [S/m]
IDX_KAPPA_C15 = 20
IDX_KAPPA_C3 = 21
IDX_N_SHELLS = 22  # number of particle shells (stored as float)
IDX_N_SEP = 23  # electrolyte cells in the separator
IDX_N_CAT = 24  # electrolyte cells in the cathode
IDX_LAM_PER_CYCLE = 25  # loss of active material per cycle [-]
IDX_LAM_PER_HOUR = 26  # loss of active material per hour [1/h]
IDX_N_CLASSES = 27  # number of LFP particle classes K (stored as float)
# derived from the entries above once, in cathode_parameter_vector (the step kernels read them
# instead of recomputing them every step; nothing changes them afterwards)
IDX_SURFACE_WEIGHT_SUM = 28  # sum_k w_k / R_k [1/m] (particle surface per LFP volume / 3)
IDX_TORTUOSITY_SEP = 29  # eps_sep^b_sep: effective / bulk transport in the separator [-]
IDX_TORTUOSITY_P = 30  # eps_p^b_p: effective / bulk electrolyte transport in the cathode [-]
IDX_TORTUOSITY_S = 31  # eps_s^b_s: effective / bulk solid conduction [-] (follows eps_s: set it
# with scale_active_material)
#: per class k (0..K-1): volume fraction of the LFP, radius [m], particle contact resistance
#: [Ohm m^2 of particle surface] at IDX_CLASSES + 3k, + 3k + 1, + 3k + 2; then (derived) each
#: class's share of the particle surface s_k = (w_k / R_k) / sum_j w_j / R_j at IDX_CLASSES + 3K + k
IDX_CLASSES = 32
N_PARAMETERS = 32  # entries before the per-class blocks (vector length = N_PARAMETERS + 4 K)


def lfp_geometry(
    loading_mAh_cm2: float,
    specific_capacity_mAh_g: float,
    lfp_mass_fraction: float,
    lfp_density_g_cm3: float,
    additive_density_g_cm3: float,
    porosity: float,
) -> tuple[float, float]:
    """LFP volume fraction and cathode thickness [m] from the areal loading (see module docstring).

    ``eps_s = (1 - porosity) * (w/rho_LFP) / (w/rho_LFP + (1 - w)/rho_add)``, ``L = (m/rho_LFP)/eps_s``
    with ``m = loading / specific capacity`` (g/cm^2).
    """
    mass_g_cm2 = loading_mAh_cm2 / specific_capacity_mAh_g
    lfp_volume_cm = mass_g_cm2 / lfp_density_g_cm3  # cm^3 of LFP per cm^2
    w = lfp_mass_fraction
    solid_fraction_lfp = (w / lfp_density_g_cm3) / (
        w / lfp_density_g_cm3 + (1.0 - w) / additive_density_g_cm3
    )
    eps_s = (1.0 - porosity) * solid_fraction_lfp
    thickness_m = lfp_volume_cm / eps_s * 1e-2
    return eps_s, thickness_m


def cathode_parameter_vector(
    params: ParameterSet,
    *,
    cathode_loading_mAh_cm2: float | None = None,
    n_shells: int = DEFAULT_N_SHELLS,
    n_separator: int = DEFAULT_N_SEPARATOR,
    n_cathode: int = DEFAULT_N_CATHODE,
    particle_classes: int | None = None,
) -> np.ndarray:
    """Float64 vector of the cathode + electrolyte parameters in SI (layout: the ``IDX_*`` constants,
    then the per-class block of :func:`particle_classes_table`).

    ``cathode_loading_mAh_cm2`` overrides ``cell.cathode_loading_mAh_cm2`` (e.g. 1.0 for N/P = 10);
    ``particle_classes`` overrides ``cathode.particle_classes``.
    The Arrhenius factor of the rate constant is applied here at ``cell.temperature_C``.
    """
    for name, n in (("n_shells", n_shells), ("n_separator", n_separator), ("n_cathode", n_cathode)):
        if int(n) < 1:
            raise ParameterError(f"cathode model: {name} = {n}, expected an integer >= 1")
    c = params.cathode.values()
    cell = params.cell.values()
    loading = (
        cell["cathode_loading_mAh_cm2"]
        if cathode_loading_mAh_cm2 is None
        else float(cathode_loading_mAh_cm2)
    )
    if not loading > 0:
        raise ParameterError(f"cathode_loading_mAh_cm2 = {loading}, expected > 0")
    eps_s, thickness_m = lfp_geometry(
        loading,
        cell["lfp_specific_capacity_mAh_g"],
        cell["lfp_mass_fraction"],
        c["lfp_density_g_cm3"],
        c["additive_density_g_cm3"],
        c["porosity"],
    )
    t_k = cell["temperature_C"] + 273.15
    arrhenius = math.exp(
        c["reaction_activation_energy_J_mol"] / GAS_CONSTANT * (1.0 / T_REF_K - 1.0 / t_k)
    )
    raw_classes = c["particle_classes"] if particle_classes is None else float(particle_classes)
    if raw_classes != int(raw_classes) or not 1 <= int(raw_classes) <= 50:
        raise ParameterError(
            f"cathode.particle_classes = {raw_classes:g}, expected an integer 1..50"
        )
    n_classes = int(raw_classes)
    p = np.zeros(N_PARAMETERS + 4 * n_classes)
    p[IDX_N_CLASSES] = float(n_classes)
    for k, (fraction, radius_m, contact) in enumerate(
        particle_classes_table(
            n_classes,
            c["particle_radius_nm"] * 1e-9,
            c["particle_radius_log_sd"],
            c["particle_contact_resistance_ohm_m2"],
            c["particle_contact_resistance_log_sd"],
        )
    ):
        p[IDX_CLASSES + 3 * k] = fraction
        p[IDX_CLASSES + 3 * k + 1] = radius_m
        p[IDX_CLASSES + 3 * k + 2] = contact
    p[IDX_T_K] = t_k
    p[IDX_C_MAX] = c["max_concentration_mol_m3"]
    p[IDX_D_S] = c["solid_diffusivity_m2_s"]
    p[IDX_R_P] = c["particle_radius_nm"] * 1e-9
    p[IDX_EPS_S] = eps_s * c["active_material_fraction"]
    p[IDX_EPS_P] = c["porosity"]
    p[IDX_L_P] = thickness_m
    p[IDX_L_S] = cell["separator_thickness_um"] * 1e-6
    p[IDX_EPS_SEP] = c["separator_porosity"]
    p[IDX_B_P] = c["bruggeman_electrolyte"]
    p[IDX_B_SEP] = c["separator_bruggeman"]
    p[IDX_K_REACTION] = c["reaction_rate_constant"] * arrhenius
    p[IDX_SIGMA_S] = c["electrode_conductivity_S_m"]
    p[IDX_B_S] = c["bruggeman_electrode"]
    p[IDX_R_CONTACT] = c["contact_resistance_ohm_cm2"] * 1e-4
    p[IDX_C_E0] = c["electrolyte_concentration_mol_m3"]
    p[IDX_D_E] = c["electrolyte_diffusivity_m2_s"]
    p[IDX_T_PLUS] = c["cation_transference_number"]
    p[IDX_TDF] = c["thermodynamic_factor"]
    p[IDX_KAPPA_C1] = c["electrolyte_conductivity_c1_S_m"]
    p[IDX_KAPPA_C15] = c["electrolyte_conductivity_c15_S_m"]
    p[IDX_KAPPA_C3] = c["electrolyte_conductivity_c3_S_m"]
    p[IDX_N_SHELLS] = float(int(n_shells))
    p[IDX_N_SEP] = float(int(n_separator))
    p[IDX_N_CAT] = float(int(n_cathode))
    p[IDX_LAM_PER_CYCLE] = c["loss_of_active_material_per_cycle"]
    p[IDX_LAM_PER_HOUR] = c["loss_of_active_material_per_hour"]
    p[IDX_SURFACE_WEIGHT_SUM] = sum(
        p[IDX_CLASSES + 3 * k] / p[IDX_CLASSES + 3 * k + 1] for k in range(n_classes)
    )
    for k in range(n_classes):
        p[IDX_CLASSES + 3 * n_classes + k] = (
            p[IDX_CLASSES + 3 * k] / p[IDX_CLASSES + 3 * k + 1] / p[IDX_SURFACE_WEIGHT_SUM]
        )
    p[IDX_TORTUOSITY_SEP] = p[IDX_EPS_SEP] ** p[IDX_B_SEP]
    p[IDX_TORTUOSITY_P] = p[IDX_EPS_P] ** p[IDX_B_P]
    p[IDX_TORTUOSITY_S] = p[IDX_EPS_S] ** p[IDX_B_S]
    kappa0 = electrolyte_conductivity_S_m(p, p[IDX_C_E0])
    if not kappa0 > 0:
        raise ParameterError(
            f"cathode.electrolyte_conductivity_*: conductivity at {p[IDX_C_E0]} mol/m^3 is "
            f"{kappa0} S/m, expected > 0"
        )
    return p


def particle_classes_table(
    n_classes: int,
    median_radius_m: float,
    radius_log_sd: float,
    median_contact_ohm_m2: float,
    contact_log_sd: float,
) -> list[tuple[float, float, float]]:
    """(volume fraction, radius [m], contact resistance [Ohm m^2]) of ``n_classes`` equal-volume
    classes of a lognormal particle population.

    Class ``k`` stands for the ``k``-th of ``K`` equal-probability bins of the volume-weighted
    lognormal distributions and sits at its median quantile ``z_k = Phi^-1((k + 1/2) / K)``:
    ``R_k = R_med exp(sigma_R z_k)``, ``r_k = r_med exp(sigma_r z_k)`` (the larger particles also
    have the poorer contacts; with ``sigma_R = 0`` only the contact resistances differ). ``K = 1``
    is the single representative particle (``z = 0``).
    """
    from statistics import NormalDist

    normal = NormalDist()
    rows = []
    for k in range(n_classes):
        z = normal.inv_cdf((k + 0.5) / n_classes) if n_classes > 1 else 0.0
        rows.append(
            (
                1.0 / n_classes,
                median_radius_m * math.exp(radius_log_sd * z),
                median_contact_ohm_m2 * math.exp(contact_log_sd * z),
            )
        )
    return rows


def state_size(p: np.ndarray) -> int:
    """Length of the state vector: every class's particle shells + electrolyte cells + the cached
    split of the last step (mean flux, particle potential, one flux per class, the step length, the
    change of each class's flux over the last two steps, and per class the zero-flux surface state
    ``alpha``, ``beta`` and the slopes ``dF/dx_s``, ``dF/dj`` of the split: the warm start and the
    predictor of the next step)."""
    n_k = int(p[IDX_N_CLASSES])
    return n_k * int(p[IDX_N_SHELLS]) + int(p[IDX_N_SEP]) + int(p[IDX_N_CAT]) + 3 + 7 * n_k


def initial_state(p: np.ndarray, stoichiometry: float) -> np.ndarray:
    """Uniform Li fraction ``x`` in the particle (1 = LiFePO4) and uniform electrolyte at ``c_e0``.

    Layout: ``state[k K:(k + 1) K]`` = the stoichiometries of shell ``k`` (centre first) of the
    ``K`` particle classes (shell-major: the step's sweeps over the classes run on contiguous
    memory), then the electrolyte concentrations [mol/m^3] from the Li-metal side of the separator
    to the current collector (from :func:`electrolyte_offset`), then the cache of the last step's
    split (empty: NaN).
    """
    if not 0.0 <= stoichiometry <= 1.0:
        raise ParameterError(f"initial stoichiometry = {stoichiometry}, expected 0 <= x <= 1")
    n_shells = int(p[IDX_N_CLASSES]) * int(p[IDX_N_SHELLS])
    n_e = int(p[IDX_N_SEP]) + int(p[IDX_N_CAT])
    state = np.empty(state_size(p))
    state[:n_shells] = stoichiometry
    state[n_shells : n_shells + n_e] = p[IDX_C_E0]
    state[n_shells + n_e :] = math.nan
    return state


def cathode_capacity_mAh(p: np.ndarray, area_cm2: float) -> float:
    """Theoretical capacity for x: 0 -> 1, ``eps_s L_p c_max F A / 3.6`` [mAh]."""
    return float(p[IDX_EPS_S] * p[IDX_L_P] * p[IDX_C_MAX] * FARADAY * area_cm2 * 1e-4 / 3.6)


# ---- numba kernels ----------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def lfp_ocv_V(x: float) -> float:
    """Prada2013 / Afshar2017 LFP OCV [V] at Li stoichiometry ``x`` (1 = LiFePO4)."""
    return 3.4077 - 0.020269 * x + 0.5 * math.exp(-150.0 * x) - 0.9 * math.exp(-30.0 * (1.0 - x))


@njit(cache=True, error_model="numpy")
def electrolyte_conductivity_S_m(p: np.ndarray, c_e: float) -> float:
    """Electrolyte conductivity [S/m] (Nyman 2008 form), ``c_e`` in mol/m^3."""
    c = max(c_e, 1e-6) * 1e-3
    return p[IDX_KAPPA_C1] * c + p[IDX_KAPPA_C15] * c * math.sqrt(c) + p[IDX_KAPPA_C3] * c**3


_kappa = electrolyte_conductivity_S_m  # old private name


@njit(cache=True, error_model="numpy")
def _tridiagonal_solve(
    lower: np.ndarray, diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Thomas algorithm; ``lower[0]`` and ``upper[-1]`` are ignored. Returns the solution."""
    n = diag.size
    cp = np.empty(n)
    dp = np.empty(n)
    cp[0] = upper[0] / diag[0]
    dp[0] = rhs[0] / diag[0]
    for k in range(1, n):
        m = diag[k] - lower[k] * cp[k - 1]
        cp[k] = upper[k] / m if k < n - 1 else 0.0
        dp[k] = (rhs[k] - lower[k] * dp[k - 1]) / m
    out = np.empty(n)
    out[n - 1] = dp[n - 1]
    for k in range(n - 2, -1, -1):
        out[k] = dp[k] - cp[k] * out[k + 1]
    return out


@njit(cache=True, error_model="numpy")
def n_particle_classes(p: np.ndarray) -> int:
    """Number of LFP particle classes in the parameter vector."""
    return int(p[IDX_N_CLASSES])


@njit(cache=True, error_model="numpy")
def electrolyte_offset(p: np.ndarray) -> int:
    """Index of the first electrolyte cell in the state (after every class's shells)."""
    return int(p[IDX_N_CLASSES]) * int(p[IDX_N_SHELLS])


@njit(cache=True, error_model="numpy")
def split_cache_offset(p: np.ndarray) -> int:
    """Offset in the cathode state of the cached class split (flux, potential, per-class fluxes
    and slopes; layout in :func:`cathode_step`)."""
    return electrolyte_offset(p) + int(p[IDX_N_SEP]) + int(p[IDX_N_CAT])


@njit(cache=True, error_model="numpy")
def _surface_weight_sum(p: np.ndarray) -> float:
    """``sum_k w_k / R_k`` [1/m]: the particle surface per LFP volume is ``3 sum_k w_k / R_k``
    (computed once by :func:`cathode_parameter_vector`)."""
    return p[IDX_SURFACE_WEIGHT_SUM]


@njit(cache=True, error_model="numpy")
def surface_share(p: np.ndarray, k: int) -> float:
    """Share ``s_k = (w_k / R_k) / sum_j w_j / R_j`` of class ``k`` in the particle surface
    (computed once by :func:`cathode_parameter_vector`)."""
    return p[IDX_CLASSES + 3 * int(p[IDX_N_CLASSES]) + k]


@njit(cache=True, error_model="numpy")
def _surface_flux_A_m2(p: np.ndarray, current_density_A_m2: float) -> float:
    """Mean reaction current per particle surface ``J = i / (a L_p)``, ``a = 3 eps_s sum_k w_k/R_k``
    [A/m^2] (one class: ``a = 3 eps_s / R``)."""
    a = 3.0 * p[IDX_EPS_S] * _surface_weight_sum(p)
    return current_density_A_m2 / (a * p[IDX_L_P])


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _mean_cathode_electrolyte(state: np.ndarray, p: np.ndarray) -> float:
    off = electrolyte_offset(p) + int(p[IDX_N_SEP])
    n_cat = int(p[IDX_N_CAT])
    c_cat = 0.0
    for m in range(n_cat):
        c_cat += max(state[off + m], 1e-6)
    return c_cat / n_cat


@njit(cache=True, inline="always", fastmath=FAST_FINITE_MATH, error_model="numpy")
def _class_potential(
    alpha: float, beta: float, j: float, r_contact: float, kc: float, two_rt_f: float
) -> tuple[float, float, float]:
    """Potential of one particle class vs the electrolyte, its derivative in ``j`` and its partial
    derivative in the surface stoichiometry ``x_s`` at fixed ``j`` (the last two: the predictor of
    the next step's split in :func:`cathode_step`).

    ``F(j) = U(x_s) + (2RT/F) asinh(j / 2 i0(x_s)) + r j`` with the surface stoichiometry
    ``x_s = alpha - beta j`` (linear in the class flux ``j`` [A/m^2 of particle surface]) and
    ``i0 = kc sqrt(x_s (1 - x_s))``. ``dF/dj > 0`` wherever ``0 < x_s < 1``.
    """
    x = min(max(alpha - beta * j, X_CLAMP_LO), X_CLAMP_HI)
    e1 = exp_fast(-150.0 * x)
    e2 = exp_fast(-30.0 * (1.0 - x))
    u = 3.4077 - 0.020269 * x + 0.5 * e1 - 0.9 * e2
    du = -0.020269 - 75.0 * e1 - 27.0 * e2
    g2 = x * (1.0 - x)
    half_inv_i0 = 0.5 / (kc * math.sqrt(g2))  # 1 / (2 i0)
    z = j * half_inv_i0
    sq = math.sqrt(1.0 + z * z)
    # asinh(z) = sign(z) ln(|z| + sqrt(1 + z^2)) (no cancellation for z < 0)
    ln_z = log_fast(abs(z) + sq)
    eta = two_rt_f * (ln_z if z >= 0.0 else -ln_z)
    # d i0 / d j / i0 = g'(x) (-beta) / g = -beta (1 - 2x) / (2 g^2),  g = sqrt(x (1 - x))
    di0_i0 = -beta * (1.0 - 2.0 * x) * 0.5 / g2
    dz = (1.0 - j * di0_i0) * half_inv_i0
    dfdx = du - two_rt_f * z * (1.0 - 2.0 * x) * 0.5 / (g2 * sq)
    return u + eta + r_contact * j, -beta * du + two_rt_f * dz / sq + r_contact, dfdx


@njit(cache=True, inline="always", fastmath=FAST_FINITE_MATH, error_model="numpy")
def _class_potentials(
    n_k: int,
    alpha: np.ndarray,
    beta: np.ndarray,
    j: np.ndarray,
    r_contact: np.ndarray,
    kc: float,
    two_rt_f: float,
    f: np.ndarray,
    df: np.ndarray,
    dfdx: np.ndarray,
    x_s: np.ndarray,
) -> None:
    """:func:`_class_potential` of every class into ``f``, ``df``, ``dfdx`` and the unclamped
    surface stoichiometry ``alpha - beta j`` into ``x_s``: one loop without a call or a branch
    (exp and log inline, :mod:`lilean.models._fastmath`), which the compiler vectorises
    (``n_k``: a multiple of :data:`CLASS_VECTOR_WIDTH`, the padded count of :func:`_split_current`,
    leaves it no scalar remainder)."""
    for k in range(n_k):
        x_s[k] = alpha[k] - beta[k] * j[k]
        f[k], df[k], dfdx[k] = _class_potential(alpha[k], beta[k], j[k], r_contact[k], kc, two_rt_f)


@njit(cache=True, error_model="numpy")
def padded_class_count(n_k: int) -> int:
    """``n_k`` rounded up to a multiple of :data:`CLASS_VECTOR_WIDTH`."""
    return (n_k + CLASS_VECTOR_WIDTH - 1) // CLASS_VECTOR_WIDTH * CLASS_VECTOR_WIDTH


@njit(cache=True, error_model="numpy")
def split_work_size(n_k: int) -> int:
    """Floats of scratch :func:`_split_current` needs for ``n_k`` particle classes."""
    return 11 * padded_class_count(n_k)


@njit(cache=True, error_model="numpy")
def potential_work_size(n_k: int) -> int:
    """Floats of scratch :func:`particle_potential_into` needs for ``n_k`` particle classes: the
    classes' ``alpha``, ``beta`` and ``j``, then the scratch of :func:`_split_current`."""
    return 3 * n_k + split_work_size(n_k)


@njit(cache=True, fastmath=FAST_FINITE_MATH, error_model="numpy")
def _split_current(
    p: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    flux_A_m2: float,
    kc: float,
    j: np.ndarray,
    tolerance_V: float,
    work: np.ndarray,
) -> float:
    """Common potential of the particle classes and the flux of each (in ``j``, warm start on
    entry) for the mean surface flux ``flux_A_m2`` (many-particle model: all classes see the same
    solid and electrolyte potentials, Kirk2022).

    Solves ``F_k(j_k) = E`` (:func:`_class_potential`) for every class ``k`` together with
    ``sum_k s_k j_k = J`` (``s_k`` = surface share of the class) by Newton's method on the
    arrow-shaped system (``E`` eliminated by the Schur complement), each flux kept inside its
    domain ``0 < x_s < 1`` by damping. Returns ``E`` [V] (particle side: OCV + kinetics +
    particle contact resistance), or -inf (+inf) when no split can pass the discharge (charge)
    current: every class surface full (empty); the fluxes are then all ``J``. The returned fluxes
    satisfy ``sum_k s_k j_k = J`` to rounding. ``work``: scratch of :func:`split_work_size`
    floats (no allocation inside the step); on return ``work[5N:5N + K]`` and ``work[6N:6N + K]``
    (``N`` = :func:`padded_class_count` of ``K``) hold ``dF_k/dj_k`` and ``dF_k/dx_s`` of the last
    Newton update (NaN when none ran). The Newton loop works on copies of ``alpha``, ``beta``, ``j``
    padded to ``N`` classes with neutral ones (``x_s = 1/2``, no flux; never read), which keeps the
    class loop of :func:`_class_potentials` in whole vectors.
    """
    n_k = int(p[IDX_N_CLASSES])
    n_v = padded_class_count(n_k)
    two_rt_f = 2.0 * GAS_CONSTANT * p[IDX_T_K] / FARADAY
    fk = work[:n_v]
    inv_dfk = work[n_v : 2 * n_v]
    share = work[2 * n_v : 3 * n_v]
    j_lo = work[3 * n_v : 4 * n_v]
    j_hi = work[4 * n_v : 5 * n_v]
    slope = work[5 * n_v : 6 * n_v]
    slope_x = work[6 * n_v : 7 * n_v]
    r_contact = work[7 * n_v : 8 * n_v]
    a_v = work[8 * n_v : 9 * n_v]  # the padded copies of alpha, beta and the iterate j
    b_v = work[9 * n_v : 10 * n_v]
    j_v = work[10 * n_v : 11 * n_v]
    lo_sum = 0.0
    hi_sum = 0.0
    for k in range(n_k):
        if n_k > 1:
            alpha[k] = min(max(alpha[k], 1e-12), 1.0 - 1e-12)
        s_k = surface_share(p, k)
        share[k] = s_k
        r_contact[k] = p[IDX_CLASSES + 3 * k + 2]
        slope[k] = math.nan
        slope_x[k] = math.nan
        j_lo[k] = (alpha[k] - 1.0) / beta[k]
        j_hi[k] = alpha[k] / beta[k]
        lo_sum += s_k * j_lo[k]
        hi_sum += s_k * j_hi[k]
    if n_k == 1:
        # one class (the SPMe): j = J; the surface clamped into (0, 1) as at zero current
        j[0] = flux_A_m2
        x1 = alpha[0] - beta[0] * flux_A_m2
        if x1 >= 1.0 and flux_A_m2 < 0.0:
            return -math.inf
        if x1 <= 0.0 and flux_A_m2 > 0.0:
            return math.inf
        x1 = min(max(x1, 1e-12), 1.0 - 1e-12)
        return _class_potential(x1, 0.0, flux_A_m2, p[IDX_CLASSES + 2], kc, two_rt_f)[0]
    if not (lo_sum < flux_A_m2 < hi_sum):
        for k in range(n_k):
            j[k] = flux_A_m2
        return -math.inf if flux_A_m2 < 0.0 else math.inf
    # Newton on (j_1..j_K, E), starting from the warm start moved inside the domains
    for k in range(n_k):
        lo = j_lo[k]
        hi = j_hi[k]
        j_k = j[k]
        if not (lo < j_k < hi):
            j_k = min(max(flux_A_m2, lo + 1e-3 * (hi - lo)), hi - 1e-3 * (hi - lo))
        j_v[k] = j_k
        a_v[k] = alpha[k]
        b_v[k] = beta[k]
    for k in range(n_k, n_v):
        j_v[k] = 0.0
        a_v[k] = 0.5
        b_v[k] = 1.0
        r_contact[k] = 0.0
    e_pot = 0.0
    converged = False
    x_s = j_lo  # the bounds are not needed any more: surface stoichiometries of the iterate
    for _ in range(30):
        _class_potentials(n_v, a_v, b_v, j_v, r_contact, kc, two_rt_f, fk, slope, slope_x, x_s)
        for k in range(n_v):  # in whole vectors, as the potentials
            inv_dfk[k] = 1.0 / slope[k]
        num = flux_A_m2
        den = 0.0
        at_clamp = False
        for k in range(n_k):
            s_k = share[k]
            x = x_s[k]
            if x <= X_CLAMP_LO or x >= X_CLAMP_HI:
                at_clamp = True
            inv_df = inv_dfk[k]
            num += s_k * (fk[k] * inv_df - j_v[k])
            den += s_k * inv_df
        e_pot = num / den
        # a class whose surface sits at the clamp of :func:`_class_potential` (x_s = 1e-14 or
        # 1 - 1e-14) while E pushes it further out is pinned there: its flux is at its bound (to
        # ~1e-14 of the class capacity), it leaves the potential update and its residual does not count
        pinned = False
        for k in range(n_k if at_clamp else 0):
            x = x_s[k]
            if (x <= X_CLAMP_LO and e_pot > fk[k]) or (x >= X_CLAMP_HI and e_pot < fk[k]):
                num -= share[k] * fk[k] * inv_dfk[k]
                den -= share[k] * inv_dfk[k]
                inv_dfk[k] = 0.0
                pinned = True
        if pinned:
            if not den > 0.0:
                break  # every class pinned: the bracketed solve decides
            e_pot = num / den
        worst = 0.0
        damped = False
        for k in range(n_k):
            if inv_dfk[k] == 0.0:
                continue
            dj = (e_pot - fk[k]) * inv_dfk[k]
            if abs(beta[k] * dj) < X_STEP_CONVERGED:
                # the surface stoichiometry moves by < 1e-13: this class's flux is settled
                # (a surface near saturation: a large residual in V is a negligible flux)
                j_v[k] += dj
                continue
            worst = max(worst, abs(e_pot - fk[k]))
            # a step that would more than halve the distance of the surface stoichiometry
            # x = alpha - beta j to 0 or 1 is taken in the logit y = ln(x / (1 - x)) instead
            # (step at most LOGIT_STEP_MAX): F is asymptotically linear in y where the surface
            # saturates or empties (i0 ~ sqrt(x (1 - x)) makes it log-singular in j there), and
            # x stays inside the clamp
            x = x_s[k]
            xn = x - beta[k] * dj
            if not (0.5 * x < xn and 0.5 * (1.0 - x) < 1.0 - xn):
                damped = True  # a large step: not the last one
                x = min(max(x, X_CLAMP_LO), X_CLAMP_HI)
                dy = -beta[k] * dj / (x * (1.0 - x))
                dy = min(max(dy, -LOGIT_STEP_MAX), LOGIT_STEP_MAX)
                y = math.log(x) - math.log1p(-x) + dy
                xn = 1.0 / (1.0 + math.exp(-y)) if y >= 0.0 else math.exp(y) / (1.0 + math.exp(y))
                xn = min(max(xn, X_CLAMP_LO), X_CLAMP_HI)
            j_v[k] = (alpha[k] - xn) / beta[k]
        # quadratic convergence: a residual r before the update leaves ~r^2 / (10 mV) after it
        if worst < tolerance_V and not damped:
            converged = True
            break
    for k in range(n_k):
        j[k] = j_v[k]
    if not converged:
        # strongly nonlinear split (surfaces near empty / full): bracketed solve instead
        e_pot = _split_current_bracketed(p, alpha, beta, flux_A_m2, kc, j, two_rt_f, e_pot)
    # exact charge balance (the Newton update keeps it up to rounding; damping may not)
    total = 0.0
    for k in range(n_k):
        total += share[k] * j[k]
    for k in range(n_k):
        j[k] += flux_A_m2 - total
    return e_pot


@njit(cache=True, error_model="numpy")
def _class_flux_at(
    e_pot: float,
    alpha: float,
    beta: float,
    r_contact: float,
    kc: float,
    two_rt_f: float,
    j_start: float,
) -> tuple[float, float]:
    """Flux ``j`` of one class at the common potential ``e_pot`` and ``dj/dE`` there: ``F(j) = e_pot``
    on the class's domain by bracketed Newton (bisection when Newton leaves the bracket); a bound
    (``dj/dE = 0``) when ``e_pot`` is outside the range of ``F``."""
    lo = (alpha - 1.0) / beta
    hi = alpha / beta
    a = lo + 1e-12 * (hi - lo)
    b = hi - 1e-12 * (hi - lo)
    if _class_potential(alpha, beta, a, r_contact, kc, two_rt_f)[0] >= e_pot:
        return a, 0.0
    if _class_potential(alpha, beta, b, r_contact, kc, two_rt_f)[0] <= e_pot:
        return b, 0.0
    j = j_start if a < j_start < b else 0.5 * (a + b)
    for _ in range(100):
        f, df, _ = _class_potential(alpha, beta, j, r_contact, kc, two_rt_f)
        f -= e_pot
        if f > 0.0:
            b = j
        else:
            a = j
        jn = j - f / df
        if not (a < jn < b):
            jn = 0.5 * (a + b)
        if abs(jn - j) <= 1e-15 * (hi - lo) or b - a <= 1e-15 * (hi - lo):
            return jn, 1.0 / df
        j = jn
    return j, 1.0 / _class_potential(alpha, beta, j, r_contact, kc, two_rt_f)[1]


@njit(cache=True, error_model="numpy")
def _split_current_bracketed(
    p: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    flux_A_m2: float,
    kc: float,
    j: np.ndarray,
    two_rt_f: float,
    e_start: float,
) -> float:
    """The split of :func:`_split_current` by a safeguarded Newton search on the common potential
    ``E``: ``g(E) = sum_k s_k j_k(E) - J`` rises monotonically with ``E`` (``g' = sum_k s_k dj_k/dE
    = sum_k s_k / F_k'``), each class's flux by :func:`_class_flux_at` (warm-started from the last
    ``E``'s); a Newton step that leaves the bracket is replaced by bisection. Starts at ``e_start``
    (Newton's last potential) when it lies inside the bracket. Slower than the joint Newton of
    :func:`_split_current`, always converges (to < 1e-12 V); used when that does not."""
    n_k = int(p[IDX_N_CLASSES])
    e_lo = math.inf
    e_hi = -math.inf
    for k in range(n_k):
        lo = (alpha[k] - 1.0) / beta[k]
        hi = alpha[k] / beta[k]
        r_k = p[IDX_CLASSES + 3 * k + 2]
        e_lo = min(
            e_lo, _class_potential(alpha[k], beta[k], lo + 1e-12 * (hi - lo), r_k, kc, two_rt_f)[0]
        )
        e_hi = max(
            e_hi, _class_potential(alpha[k], beta[k], hi - 1e-12 * (hi - lo), r_k, kc, two_rt_f)[0]
        )
    e_pot = e_start if e_lo < e_start < e_hi else 0.5 * (e_lo + e_hi)
    for _ in range(200):
        g = -flux_A_m2
        dg = 0.0
        for k in range(n_k):
            s_k = surface_share(p, k)
            j[k], dj = _class_flux_at(
                e_pot, alpha[k], beta[k], p[IDX_CLASSES + 3 * k + 2], kc, two_rt_f, j[k]
            )
            g += s_k * j[k]
            dg += s_k * dj
        if g == 0.0:
            return e_pot
        if g > 0.0:
            e_hi = e_pot
        else:
            e_lo = e_pot
        e_new = e_pot - g / dg if dg > 0.0 else math.nan
        if not (e_lo < e_new < e_hi):
            e_new = 0.5 * (e_lo + e_hi)
        done = abs(e_new - e_pot) < 1e-13 or e_hi - e_lo < 1e-12
        e_pot = e_new
        if done:
            break
    for k in range(n_k):
        j[k] = _class_flux_at(
            e_pot, alpha[k], beta[k], p[IDX_CLASSES + 3 * k + 2], kc, two_rt_f, j[k]
        )[0]
    return e_pot


#: the parameters the two tridiagonal factorisations of :func:`cathode_step_into` depend on
#: (electrolyte: cell sizes, porosities, effective diffusivities; particles: shells, radius of
#: the one class radius, solid diffusivity, capacity); with the step length, the key under which
#: they are kept in the step's scratch (:func:`_factorisation_key_matches`)
_FACTORISATION_PARAMETERS = (
    IDX_N_CLASSES,
    IDX_N_SHELLS,
    IDX_N_SEP,
    IDX_N_CAT,
    IDX_L_S,
    IDX_L_P,
    IDX_EPS_SEP,
    IDX_EPS_P,
    IDX_D_E,
    IDX_TORTUOSITY_SEP,
    IDX_TORTUOSITY_P,
    IDX_D_S,
    IDX_C_MAX,
    IDX_CLASSES + 1,
)
FACTORISATION_KEY_LEN = 1 + len(_FACTORISATION_PARAMETERS)


@njit(cache=True, error_model="numpy")
def cathode_work_size(p: np.ndarray) -> int:
    """Length of the scratch array :func:`cathode_step_into` needs (:func:`new_cathode_work`)."""
    n_e = int(p[IDX_N_SEP]) + int(p[IDX_N_CAT])
    # the split's part, then the electrolyte's lower coefficients, pivots and capacities, the key
    split_end = _split_scratch_offset(p) + potential_work_size(n_particle_classes(p))
    return split_end + 3 * n_e + FACTORISATION_KEY_LEN


@njit(cache=True, error_model="numpy")
def _split_scratch_offset(p: np.ndarray) -> int:
    """Where the split's part of a step scratch starts (:func:`cathode_step_into`'s layout: the
    electrolyte's upper factors, the particles' upper factors and pivots, the unit-flux responses,
    then the classes' ``alpha``, ``beta``, ``j`` and the workspace of :func:`_split_current`, the
    :func:`potential_work_size` floats that every step rewrites before it reads them; the cached
    factorisations follow)."""
    n_r = int(p[IDX_N_SHELLS])
    n_e = int(p[IDX_N_SEP]) + int(p[IDX_N_CAT])
    return n_e + 2 * n_r + n_particle_classes(p) * n_r


@njit(cache=True, error_model="numpy")
def new_cathode_work(p: np.ndarray) -> np.ndarray:
    """The scratch array of :func:`cathode_step_into`, its factorisation cache marked empty."""
    scratch = np.empty(cathode_work_size(p))
    scratch[scratch.size - FACTORISATION_KEY_LEN :] = math.nan
    return scratch


@njit(cache=True, error_model="numpy")
def _factorisation_key_matches(key: np.ndarray, p: np.ndarray, dt_s: float) -> bool:
    """True when ``key`` holds this step length and these parameters
    (:data:`_FACTORISATION_PARAMETERS`): the factorisations in the scratch are then this step's.
    Otherwise ``key`` is set to them and False returned. NaN (a new scratch) never matches. Only
    the default geometry (every class of one radius) is cached."""
    match = key[0] == dt_s
    key[0] = dt_s
    for k in range(len(_FACTORISATION_PARAMETERS)):
        value = p[_FACTORISATION_PARAMETERS[k]]
        if not key[k + 1] == value:
            match = False
            key[k + 1] = value
    return match


@njit(cache=True, error_model="numpy")
def cathode_step(
    state: np.ndarray, p: np.ndarray, current_density_A_m2: float, dt_s: float
) -> None:
    """Advance the state in place by ``dt_s`` at constant current density (backward Euler):
    :func:`cathode_step_into` with a scratch array of its own."""
    cathode_step_into(state, p, current_density_A_m2, dt_s, new_cathode_work(p))


@njit(cache=True, fastmath=FAST_FINITE_MATH, error_model="numpy")
def cathode_step_into(
    state: np.ndarray,
    p: np.ndarray,
    current_density_A_m2: float,
    dt_s: float,
    work: np.ndarray,
) -> None:
    """Advance the state in place by ``dt_s`` at constant current density (backward Euler).

    ``current_density_A_m2`` per geometric electrode area; positive = cell charge = delithiation.
    The electrolyte is advanced first (its source is uniform), then every particle class with the
    flux of the implicit split (:func:`_split_current` on the end-of-step surface stoichiometries,
    which are linear in each class's flux); the split and the potential are cached in the state.
    ``work``: the scratch of :func:`new_cathode_work` (a time loop allocates it once: small-array
    allocations are a large share of a step's cost); its tail keeps the factorisations of the
    last step length, reused while the length and the parameters stay the same.
    """
    if not dt_s > 0.0:
        return
    n_r = int(p[IDX_N_SHELLS])
    n_sep = int(p[IDX_N_SEP])
    n_cat = int(p[IDX_N_CAT])
    n_k = int(p[IDX_N_CLASSES])
    off_e = n_k * n_r
    off_c = off_e + n_sep + n_cat
    n_e = n_sep + n_cat
    # scratch: [electrolyte Thomas factors | particle Thomas factors and pivots | unit-flux
    # responses | alpha, beta, j, Newton workspace]
    same_radius = True
    for c in range(1, n_k):
        if p[IDX_CLASSES + 3 * c + 1] != p[IDX_CLASSES + 1]:
            same_radius = False
    n_resp = n_r if same_radius else n_k * n_r
    cp_e = work[:n_e]
    cp = work[n_e : n_e + n_r]
    pivot = work[n_e + n_r : n_e + 2 * n_r]
    resp = work[n_e + 2 * n_r : n_e + 2 * n_r + n_resp]
    o = _split_scratch_offset(p)
    alpha = work[o : o + n_k]
    beta = work[o + n_k : o + 2 * n_k]
    j = work[o + 2 * n_k : o + 3 * n_k]
    o_e = o + potential_work_size(n_k)
    newton = work[o + 3 * n_k : o_e]
    n_v = padded_class_count(n_k)  # the split's slopes: newton[5 n_v:], newton[6 n_v:]
    g_lo_e = work[o_e : o_e + n_e]  # the electrolyte's lower coefficients
    inv_den_e = work[o_e + n_e : o_e + 2 * n_e]  # and pivots
    cap_e = work[o_e + 2 * n_e : o_e + 3 * n_e]  # eps dx / dt of each cell
    # the factorisations (electrolyte; particles of one radius) depend on the step length and
    # fixed parameters only: kept in the scratch and reused by the next step of the same length
    key = work[work.size - FACTORISATION_KEY_LEN :]
    factorised = _factorisation_key_matches(key, p, dt_s) if same_radius else False
    # ---- electrolyte: eps dx (c' - c)/dt = G+(c_{+1}' - c') - G-(c' - c_{-1}') + src
    # (Thomas algorithm in place on the state: forward sweep stores d' in the state)
    dx_s = p[IDX_L_S] / n_sep
    dx_p = p[IDX_L_P] / n_cat
    d_s_eff = p[IDX_D_E] * p[IDX_TORTUOSITY_SEP]
    d_p_eff = p[IDX_D_E] * p[IDX_TORTUOSITY_P]
    salt_flux = (1.0 - p[IDX_T_PLUS]) * current_density_A_m2 / FARADAY  # mol/(m^2 s)
    if not factorised:  # lower coefficients, pivots and upper factors of the Thomas algorithm
        prev_cp = 0.0
        g_hi = 0.0  # conductance to the next cell: the next cell's g_lo
        for m in range(n_e):
            dx_m = dx_s if m < n_sep else dx_p
            d_m = d_s_eff if m < n_sep else d_p_eff
            eps_m = p[IDX_EPS_SEP] if m < n_sep else p[IDX_EPS_P]
            g_lo = g_hi
            g_hi = 0.0
            if m < n_e - 1:
                dx_u = dx_s if m + 1 < n_sep else dx_p
                d_u = d_s_eff if m + 1 < n_sep else d_p_eff
                g_hi = 1.0 / (0.5 * dx_m / d_m + 0.5 * dx_u / d_u)
            cap_e[m] = eps_m * dx_m / dt_s
            diag = cap_e[m] + g_lo + g_hi
            inv_den = 1.0 / (diag if m == 0 else diag + g_lo * prev_cp)  # lower = -g_lo
            prev_cp = -g_hi * inv_den if m < n_e - 1 else 0.0
            cp_e[m] = prev_cp
            g_lo_e[m] = g_lo
            inv_den_e[m] = inv_den
    # forward sweep (d' stored in the state)
    prev_dp = 0.0
    for m in range(n_e):
        src = 0.0
        if m >= n_sep:
            src = salt_flux * dx_p / p[IDX_L_P]
        if m == 0:
            src -= salt_flux
        rhs = cap_e[m] * state[off_e + m] + src
        prev_dp = (rhs + g_lo_e[m] * prev_dp) * inv_den_e[m]
        state[off_e + m] = prev_dp
    for m in range(n_e - 2, -1, -1):
        state[off_e + m] -= cp_e[m] * state[off_e + m + 1]
    # ---- particles: V_k dx_k/dt = D (A_{k+1}(x_{k+1}-x_k) - A_k(x_k-x_{k-1}))/dr - [k=N-1] A_N j/(F c_max)
    # per class: x' = x0 + j u (x0: zero-flux solve, written into the state; u: response to a unit
    # flux, one per radius), one factorisation per radius
    d_s = p[IDX_D_S]
    c_max = p[IDX_C_MAX]
    inv_dt = 1.0 / dt_s
    inv_n3 = 1.0 / (3.0 * n_r**3)
    vol_dt_0 = inv_n3 * inv_dt  # the centre shell's ((0 + 1)^3 - 0^3) / (3 n^3) / dt
    shells = state[: n_k * n_r].reshape((n_r, n_k))  # shell k of class c: state[k n_k + c]
    # the classes of one radius share a factorisation and are swept together, shell by shell (their
    # recurrences are independent and a shell's classes contiguous: one vector per shell)
    n_groups = 1 if same_radius else n_k
    for grp in range(n_groups):
        c_lo = grp
        c_hi = n_k if same_radius else grp + 1
        radius = p[IDX_CLASSES + 3 * c_lo + 1]
        # dimensionless shells (r = R rho): v_k = ((k+1)^3 - k^3) / (3 n^3), G_k = (D / R^2) k^2 / n
        g_scale = d_s / (radius * radius * n_r)
        rb = 0 if same_radius else c_lo * n_r
        # Thomas algorithm: the factorisation and the response to a unit surface flux (cached:
        # the last step's when it had this length) ...
        if not factorised:
            d1 = 0.0
            for k in range(n_r):
                vol = (3 * k * k + 3 * k + 1) * inv_n3  # ((k + 1)^3 - k^3) / (3 n^3)
                g_in = g_scale * (k * k)
                g_out = g_scale * ((k + 1) * (k + 1)) if k < n_r - 1 else 0.0
                diag = vol * inv_dt + g_in + g_out
                b1 = -1.0 / (radius * FARADAY * c_max) if k == n_r - 1 else 0.0
                if k == 0:
                    m = diag
                    d1 = b1 / m
                else:
                    m = diag + g_in * cp[k - 1]  # lower = -g_in
                    d1 = (b1 + g_in * d1) / m
                cp[k] = -g_out / m
                pivot[k] = 1.0 / m
                resp[rb + k] = d1
            for k in range(n_r - 2, -1, -1):
                resp[rb + k] -= cp[k] * resp[rb + k + 1]
        # ... and the zero-flux solve of every class of the group, in place on the state, on views
        # of each shell's group of classes (indices from 0, which the compiler knows are not
        # negative: no index wrap-around per element, and the loops vectorise)
        n_c = c_hi - c_lo
        row = state[c_lo:c_hi]  # shell 0 of the group's classes
        for c in range(n_c):
            row[c] = vol_dt_0 * row[c] * pivot[0]
        for k in range(1, n_r):
            vol_dt = (3 * k * k + 3 * k + 1) * inv_n3 * inv_dt
            g_in = g_scale * (k * k)
            piv = pivot[k]
            inner = row
            row = state[k * n_k + c_lo : k * n_k + c_hi]
            for c in range(n_c):
                row[c] = (vol_dt * row[c] + g_in * inner[c]) * piv
        for k in range(n_r - 2, -1, -1):
            cp_k = cp[k]
            outer = row
            row = state[k * n_k + c_lo : k * n_k + c_hi]
            for c in range(n_c):
                row[c] -= cp_k * outer[c]
        for c in range(c_lo, c_hi):
            alpha[c] = shells[n_r - 1, c]
            beta[c] = -resp[rb + n_r - 1] + 0.5 * radius / (n_r * FARADAY * c_max * d_s)
    flux = _surface_flux_A_m2(p, current_density_A_m2)
    cached = math.isfinite(state[off_c + 1])
    # warm start: the last split shifted to this mean flux; in a run of equal steps (same flux and
    # length) extrapolated in time, linearly after two and quadratically after three such steps
    # (one Newton update in ~70 % of the steps instead of two)
    # (the full cell steps with the current its anode passed, a charge round trip of the set current
    # that is not bit-exact: equal to 1e-12 relative counts as the same flux)
    repeat = (
        cached and abs(state[off_c] - flux) <= 1e-12 * abs(flux) and state[off_c + 2 + n_k] == dt_s
    )
    extrapolate = repeat and math.isfinite(state[off_c + 3 + n_k])
    quadratic = extrapolate and math.isfinite(state[off_c + 3 + 2 * n_k])
    for c in range(n_k):
        if quadratic:
            j[c] = (
                state[off_c + 2 + c]
                + 2.0 * state[off_c + 3 + n_k + c]
                - state[off_c + 3 + 2 * n_k + c]
            )
        elif extrapolate:
            j[c] = state[off_c + 2 + c] + state[off_c + 3 + n_k + c]
        elif cached:
            j[c] = flux + (state[off_c + 2 + c] - state[off_c])
        else:
            j[c] = flux
    # predictor: every class's potential linearised at the last step's converged split (its slopes
    # dF/dj and dF/dx_s at fixed j, cached) and moved by the known change of its surface state
    # (alpha, beta of the zero-flux solve): F_k(j) ~ E0 + G_x (d alpha - d beta j0) + (G_j - beta G_x)
    # (j - j0), G_j = dF/dj + beta0 G_x; with sum_k s_k j_k = J this gives every j_k (no evaluation)
    off_p = off_c + 3 + 3 * n_k
    if cached and math.isfinite(state[off_p + 3 * n_k]):
        shift = newton[:n_k]
        inv_d = newton[n_k : 2 * n_k]
        num = flux - state[off_c]
        den = 0.0
        ok = True
        for c in range(n_k):
            gx = state[off_p + 2 * n_k + c]
            gj = state[off_p + 3 * n_k + c] + state[off_p + n_k + c] * gx
            d = gj - beta[c] * gx
            if not (d > 0.0 and math.isfinite(gx)):
                ok = False
                break
            s_c = surface_share(p, c)
            shift[c] = gx * (
                (alpha[c] - state[off_p + c])
                - (beta[c] - state[off_p + n_k + c]) * state[off_c + 2 + c]
            )
            inv_d[c] = 1.0 / d
            num += s_c * shift[c] * inv_d[c]
            den += s_c * inv_d[c]
        if ok:
            d_e = num / den
            for c in range(n_k):
                j[c] = state[off_c + 2 + c] + (d_e - shift[c]) * inv_d[c]
    kc = p[IDX_K_REACTION] * math.sqrt(_mean_cathode_electrolyte(state, p)) * c_max
    e_pot = _split_current(p, alpha, beta, flux, kc, j, SPLIT_TOLERANCE_STEP_V, newton)
    for c in range(n_k):
        state[off_c + 3 + 2 * n_k + c] = state[off_c + 3 + n_k + c] if extrapolate else math.nan
        state[off_c + 3 + n_k + c] = j[c] - state[off_c + 2 + c] if repeat else math.nan
    for k in range(n_r):
        if same_radius:
            r_k = resp[k]
            for c in range(n_k):
                shells[k, c] += j[c] * r_k
        else:
            for c in range(n_k):
                shells[k, c] += j[c] * resp[c * n_r + k]
    state[off_c] = flux
    state[off_c + 1] = e_pot
    for c in range(n_k):
        state[off_c + 2 + c] = j[c]
    state[off_c + 2 + n_k] = dt_s
    for c in range(n_k):
        state[off_p + c] = alpha[c]
        state[off_p + n_k + c] = beta[c]
        state[off_p + 2 * n_k + c] = newton[6 * n_v + c]
        state[off_p + 3 * n_k + c] = newton[5 * n_v + c]


@njit(cache=True, error_model="numpy")
def cathode_stoichiometry(state: np.ndarray, p: np.ndarray) -> float:
    """Volume-averaged Li stoichiometry x of the LFP (all particle classes):
    :func:`cathode_stoichiometry_into` with its scratch allocated."""
    return cathode_stoichiometry_into(state, p, np.empty(int(p[IDX_N_CLASSES])))


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def cathode_stoichiometry_into(state: np.ndarray, p: np.ndarray, part: np.ndarray) -> float:
    """Volume-averaged Li stoichiometry of the LFP,
    ``x = sum_c w_c sum_k ((k + 1)^3 - k^3) x_kc / N^3`` (``w_c`` the volume fraction of class
    ``c``, ``N`` equal-thickness shells). ``part``: scratch of at least one float per class, which
    holds each class's shell sum; the sums run shell by shell over a shell's classes (contiguous in
    the state: one vector per shell), each class's in the order of its shells."""
    n_r = int(p[IDX_N_SHELLS])
    n_k = int(p[IDX_N_CLASSES])
    for c in range(n_k):
        part[c] = 0.0
    for k in range(n_r):
        weight = 3 * k * k + 3 * k + 1  # (k + 1)^3 - k^3
        shell = state[k * n_k : (k + 1) * n_k]
        for c in range(n_k):
            part[c] += weight * shell[c]
    total = 0.0
    for c in range(n_k):
        total += p[IDX_CLASSES + 3 * c] * part[c]
    return total / n_r**3


@njit(cache=True, error_model="numpy")
def _surface_x(state: np.ndarray, p: np.ndarray, current_density_A_m2: float) -> float:
    """Surface stoichiometry (volume-weighted over the classes), each class extrapolated from its
    outer shell with the mean flux ``J``: ``x_surf = x_N - (dr/2) J / (F c_max D_s)``."""
    n_r = int(p[IDX_N_SHELLS])
    j = _surface_flux_A_m2(p, current_density_A_m2)
    n_k = int(p[IDX_N_CLASSES])
    total = 0.0
    for c in range(n_k):
        dr = p[IDX_CLASSES + 3 * c + 1] / n_r
        x_c = state[(n_r - 1) * n_k + c] - 0.5 * dr * j / (FARADAY * p[IDX_C_MAX] * p[IDX_D_S])
        total += p[IDX_CLASSES + 3 * c] * x_c
    return total


@njit(cache=True, error_model="numpy")
def cathode_surface_stoichiometry(state: np.ndarray, p: np.ndarray) -> float:
    """Surface stoichiometry at zero current (the outer shell's value extrapolated with zero flux)."""
    return _surface_x(state, p, 0.0)


@njit(cache=True, error_model="numpy")
def electrolyte_concentration_at_anode(
    state: np.ndarray, p: np.ndarray, current_density_A_m2: float
) -> float:
    """Electrolyte concentration [mol/m^3] at the Li-metal surface (x = 0), extrapolated with the
    boundary flux ``-D_eff dc/dx = -(1 - t+) i / F``."""
    off_e = electrolyte_offset(p)
    n_sep = int(p[IDX_N_SEP])
    dx = p[IDX_L_S] / n_sep
    d_eff = p[IDX_D_E] * p[IDX_TORTUOSITY_SEP]
    grad = (1.0 - p[IDX_T_PLUS]) * current_density_A_m2 / (FARADAY * d_eff)
    return max(state[off_e] - 0.5 * dx * grad, 1e-6)


@njit(cache=True, error_model="numpy")
def _potential_is_cached(state: np.ndarray, p: np.ndarray, flux_A_m2: float) -> bool:
    """The split cached by the last :func:`cathode_step_into` was taken at this mean surface flux
    (to 1e-12 relative: the full cell steps with the current its anode passed, a charge round trip
    of the requested one that is not bit-exact)."""
    off_c = split_cache_offset(p)
    return abs(state[off_c] - flux_A_m2) <= 1e-12 * abs(flux_A_m2)


@njit(cache=True, error_model="numpy")
def particle_potential_V(state: np.ndarray, p: np.ndarray, current_density_A_m2: float) -> float:
    """:func:`particle_potential_into` with a scratch of its own (allocated only when the cached
    split does not apply)."""
    if _potential_is_cached(state, p, _surface_flux_A_m2(p, current_density_A_m2)):
        return state[split_cache_offset(p) + 1]
    work = np.empty(potential_work_size(n_particle_classes(p)))
    return particle_potential_into(state, p, current_density_A_m2, work)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def particle_potential_into(
    state: np.ndarray, p: np.ndarray, current_density_A_m2: float, work: np.ndarray
) -> float:
    """Particle side of the cathode potential [V]: OCV at the surfaces + Butler-Volmer + particle
    contact resistance, common to all classes (:func:`_split_current` on the present state; the
    value cached by the last :func:`cathode_step` is used when it was taken at this current,
    :func:`_potential_is_cached`; the cached split is converged to ~1e-8 V, the fresh one to
    ~1e-13 V, so 300 cycles of the N/P 25 cell move by < 2e-7 relative in capacity). ``work``:
    scratch of :func:`potential_work_size` floats."""
    n_r = int(p[IDX_N_SHELLS])
    n_k = int(p[IDX_N_CLASSES])
    off_c = split_cache_offset(p)
    flux = _surface_flux_A_m2(p, current_density_A_m2)
    if _potential_is_cached(state, p, flux):
        return state[off_c + 1]
    c_max = p[IDX_C_MAX]
    alpha = work[:n_k]
    beta = work[n_k : 2 * n_k]
    j = work[2 * n_k : 3 * n_k]
    cached = math.isfinite(state[off_c + 1])
    for c in range(n_k):
        dr = p[IDX_CLASSES + 3 * c + 1] / n_r
        alpha[c] = state[(n_r - 1) * n_k + c]
        beta[c] = 0.5 * dr / (FARADAY * c_max * p[IDX_D_S])
        j[c] = flux + (state[off_c + 2 + c] - state[off_c]) if cached else flux
    kc = p[IDX_K_REACTION] * math.sqrt(_mean_cathode_electrolyte(state, p)) * c_max
    return _split_current(p, alpha, beta, flux, kc, j, SPLIT_TOLERANCE_V, work[3 * n_k :])


@njit(cache=True, error_model="numpy")
def cathode_potential_V(state: np.ndarray, p: np.ndarray, current_density_A_m2: float) -> float:
    """Cathode potential vs Li/Li+ (reference at the Li-metal surface) at this current density [V].

    Particle side (:func:`particle_potential_V`: OCV(surface x) + Butler-Volmer overpotential +
    particle contact resistance, common to the classes) + electrolyte concentration overpotential +
    ohmic drops (electrolyte in separator and cathode, solid phase) + contact resistance (equation
    in the module docstring). Returns ``-inf`` when discharging with every surface saturated
    (x_surf >= 1) and ``+inf`` when charging with every surface empty (x_surf <= 0): the exchange
    current vanishes there, so no finite potential drives the current (PyBaMM stops on the same
    surface-stoichiometry events).
    """
    e_particle = particle_potential_V(state, p, current_density_A_m2)
    return _cathode_potential(state, p, current_density_A_m2, e_particle)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def cathode_potential_into(
    state: np.ndarray, p: np.ndarray, current_density_A_m2: float, work: np.ndarray
) -> float:
    """:func:`cathode_potential_V` without an allocation: the particle side by
    :func:`particle_potential_into` in a step's scratch ``work`` (:func:`new_cathode_work`; it
    overwrites only the split's part, :func:`_split_scratch_offset`)."""
    o = _split_scratch_offset(p)
    split_work = work[o : o + potential_work_size(n_particle_classes(p))]
    e_particle = particle_potential_into(state, p, current_density_A_m2, split_work)
    return _cathode_potential(state, p, current_density_A_m2, e_particle)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _cathode_potential(
    state: np.ndarray, p: np.ndarray, current_density_A_m2: float, e_particle: float
) -> float:
    """The cathode potential from its particle side ``e_particle`` [V]
    (:func:`cathode_potential_V`)."""
    i = current_density_A_m2
    if not math.isfinite(e_particle):
        return e_particle
    off_e = electrolyte_offset(p)
    n_sep = int(p[IDX_N_SEP])
    n_cat = int(p[IDX_N_CAT])
    rt_f = GAS_CONSTANT * p[IDX_T_K] / FARADAY
    # electrolyte averages; sum_m ln(c_m / c0) as the log of a product (one log per ~100 cells
    # instead of one per cell; c_m >= 1e-6 mol/m^3 keeps each factor >= ~1e-9)
    c_ref = p[IDX_C_E0]
    ln_cat = 0.0
    prod = 1.0
    c_cat = 0.0
    for m in range(n_cat):
        c = max(state[off_e + n_sep + m], 1e-6)
        prod *= c / c_ref
        if not 1e-150 < prod < 1e150:
            ln_cat += math.log(prod)
            prod = 1.0
        c_cat += c
    ln_cat = (ln_cat + math.log(prod)) / n_cat  # mean ln(c_m / c0)
    c_cat /= n_cat
    c_sep = 0.0
    for m in range(n_sep):
        c_sep += state[off_e + m]
    c_sep /= n_sep
    c_av = (c_sep * p[IDX_L_S] + c_cat * p[IDX_L_P]) / (p[IDX_L_S] + p[IDX_L_P])
    c_anode = electrolyte_concentration_at_anode(state, p, i)
    # electrolyte
    chi = 2.0 * (1.0 - p[IDX_T_PLUS]) * p[IDX_TDF]
    eta_c = chi * rt_f * (ln_cat - math.log(c_anode / c_ref))
    kappa = electrolyte_conductivity_S_m(p, c_av)
    r_e = p[IDX_L_S] / (kappa * p[IDX_TORTUOSITY_SEP]) + p[IDX_L_P] / (
        3.0 * kappa * p[IDX_TORTUOSITY_P]
    )
    r_s = p[IDX_L_P] / (3.0 * p[IDX_SIGMA_S] * p[IDX_TORTUOSITY_S])
    return e_particle + eta_c + i * (r_e + r_s + p[IDX_R_CONTACT])


@njit(cache=True, error_model="numpy")
def apply_active_material_loss(p: np.ndarray, fraction: float) -> None:
    """Remove ``fraction`` of the remaining LFP (scales ``eps_s``; geometry otherwise unchanged)."""
    scale_active_material(p, 1.0 - fraction)


@njit(cache=True, error_model="numpy")
def scale_active_material(p: np.ndarray, factor: float) -> None:
    """Scale the LFP volume fraction ``eps_s`` by ``factor`` and its solid-conduction factor
    ``eps_s^b_s`` with it (the only entry of the vector that changes after it is built)."""
    p[IDX_EPS_S] *= factor
    p[IDX_TORTUOSITY_S] = p[IDX_EPS_S] ** p[IDX_B_S]


@njit(cache=True, error_model="numpy")
def li_metal_overpotential_V(
    current_density_A_m2: float,
    c_e_mol_m3: float,
    temperature_K: float,
    i0_coefficient: float,
    i0_exponent: float,
    resistance_ohm_m2: float,
) -> float:
    """Potential of a Li-metal electrode vs Li/Li+ while the *cell* passes ``current_density``.

    Symmetric Butler-Volmer, ``i0 = i0_coefficient c_e^i0_exponent`` (PyBaMM Xu2019:
    :data:`XU2019_LI_I0_COEFFICIENT`, exponent 0.3) plus an interface resistance. Cell charge (i > 0)
    plates Li, so the Li electrode sits at ``-(2RT/F) asinh(i / 2 i0) - i R``.
    """
    i0 = i0_coefficient * c_e_mol_m3**i0_exponent
    rt_f = GAS_CONSTANT * temperature_K / FARADAY
    return -2.0 * rt_f * math.asinh(current_density_A_m2 / (2.0 * i0)) - (
        current_density_A_m2 * resistance_ohm_m2
    )


@njit(cache=True, error_model="numpy")
def half_cell_voltage_V(
    state: np.ndarray,
    p: np.ndarray,
    current_density_A_m2: float,
    anode_i0_coefficient: float,
    anode_i0_exponent: float,
    anode_resistance_ohm_m2: float,
    work: np.ndarray,
) -> float:
    """Li || LFP half-cell voltage: cathode potential minus the Li-metal electrode potential.
    ``work``: the cathode step's scratch (:func:`new_cathode_work`)."""
    c0 = electrolyte_concentration_at_anode(state, p, current_density_A_m2)
    e_an = li_metal_overpotential_V(
        current_density_A_m2,
        c0,
        p[IDX_T_K],
        anode_i0_coefficient,
        anode_i0_exponent,
        anode_resistance_ohm_m2,
    )
    return cathode_potential_into(state, p, current_density_A_m2, work) - e_an


@njit(cache=True, error_model="numpy")
def _saturation_residual(v: float, v_limit: float, sign: float, rt_f: float) -> float:
    """Residual of the half cell's cut-off search, ``1 - exp(-sign (V - V_cut) / (RT/F))`` (NaN
    where ``V`` is not finite): where the surface saturates, the kinetic overpotential diverges as
    (RT/F) ln(t* - t) (i0 ~ sqrt(1 - x_s)), so the residual is linear in t up to the saturation
    time t* and the interpolation lands on the cut-off instead of bisecting down to it."""
    if not math.isfinite(v):
        return math.nan
    return 1.0 - math.exp(-sign * (v - v_limit) / rt_f)


@njit(cache=True, error_model="numpy")
def run_constant_current(
    state: np.ndarray,
    p: np.ndarray,
    current_density_A_m2: float,
    dt_s: float,
    v_limit: float,
    max_time_s: float,
    anode_i0_coefficient: float,
    anode_i0_exponent: float,
    anode_resistance_ohm_m2: float,
    out_time_s: np.ndarray,
    out_voltage_V: np.ndarray,
) -> int:
    """Constant-current step of a Li || LFP half-cell until ``v_limit`` (or ``max_time_s``).

    Charging (i > 0) stops when V >= v_limit, discharging when V <= v_limit; the last step is shortened
    (bracketing search on the step length, Brent's safeguards, re-stepping from the saved state) so
    the cut-off is hit to 1 uV. If the particle surface saturates first (low rates: the potential
    only diverges at x_surf = 1), the step ends on the last time with a finite potential, just
    above the cut-off. Writes times (from 0) and voltages into the output arrays (row 0 = start) and
    returns the number of rows written; the state is advanced in place. Stops early if the output
    arrays are full.
    """
    return _run_constant_current(
        state, p, current_density_A_m2, dt_s, v_limit, max_time_s,
        anode_i0_coefficient, anode_i0_exponent, anode_resistance_ohm_m2, out_time_s, out_voltage_V,
        np.empty_like(state), new_cathode_work(p), np.empty(BRACKET_RECORD_SIZE),
    )  # fmt: skip


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _run_constant_current(
    state: np.ndarray,
    p: np.ndarray,
    current_density_A_m2: float,
    dt_s: float,
    v_limit: float,
    max_time_s: float,
    anode_i0_coefficient: float,
    anode_i0_exponent: float,
    anode_resistance_ohm_m2: float,
    out_time_s: np.ndarray,
    out_voltage_V: np.ndarray,
    backup: np.ndarray,
    work: np.ndarray,
    search: np.ndarray,
) -> int:
    """:func:`run_constant_current` in the scratch its wrapper allocates: ``backup`` the state
    before the step, ``work`` the cathode step's (:func:`new_cathode_work`), ``search`` the
    cut-off search's record (:data:`lilean.models._bracket.BRACKET_RECORD_SIZE`)."""
    sign = 1.0 if current_density_A_m2 > 0 else -1.0
    a0 = anode_i0_coefficient
    a1 = anode_i0_exponent
    a2 = anode_resistance_ohm_m2
    v = half_cell_voltage_V(state, p, current_density_A_m2, a0, a1, a2, work)
    out_time_s[0] = 0.0
    out_voltage_V[0] = v
    n = 1
    t = 0.0
    if sign * (v - v_limit) >= 0.0:
        return n
    cap = out_time_s.size
    while t < max_time_s and n < cap:
        h = min(dt_s, max_time_s - t)
        copy_into(backup, state)
        cathode_step_into(state, p, current_density_A_m2, h, work)
        v_new = half_cell_voltage_V(state, p, current_density_A_m2, a0, a1, a2, work)
        if sign * (v_new - v_limit) >= 0.0 or not math.isfinite(v_new):
            # shorten the step to land on the cut-off: bracketing search on the step length
            # (lilean.models._bracket.bracket_next: Brent's safeguards), re-stepping from the
            # saved state; no finite residual where the potential diverged
            lo = 0.0
            hi = h
            v_lo = v
            v_hi = v_new
            rt_f = GAS_CONSTANT * p[IDX_T_K] / FARADAY
            f_lo = _saturation_residual(v, v_limit, sign, rt_f)
            f_hi = _saturation_residual(v_hi, v_limit, sign, rt_f)
            bracket_init(search, lo, f_lo, hi, f_hi)
            for _ in range(100):
                mid = bracket_next(search, lo, f_lo, hi, f_hi, 0.0)
                copy_into(state, backup)
                cathode_step_into(state, p, current_density_A_m2, mid, work)
                v_mid = half_cell_voltage_V(state, p, current_density_A_m2, a0, a1, a2, work)
                f_mid = _saturation_residual(v_mid, v_limit, sign, rt_f)
                bracket_push(search, mid, f_mid)
                if not math.isfinite(v_mid) or sign * (v_mid - v_limit) >= 0.0:
                    hi = mid
                    v_hi = v_mid
                    f_hi = f_mid
                else:
                    lo = mid
                    v_lo = v_mid
                    f_lo = f_mid
                if hi - lo < 1e-13 * h or abs(v_mid - v_limit) < 1e-6:
                    break
            # end on whichever bracket side is closer to the cut-off (lo when the surface
            # saturated: the potential diverges there)
            t_end = hi
            if not (math.isfinite(v_hi) and abs(v_hi - v_limit) <= abs(v_lo - v_limit)):
                t_end = lo
            copy_into(state, backup)
            cathode_step_into(state, p, current_density_A_m2, t_end, work)
            if t_end > 0.0:
                t += t_end
                out_time_s[n] = t
                out_voltage_V[n] = half_cell_voltage_V(
                    state, p, current_density_A_m2, a0, a1, a2, work
                )
                n += 1
            return n
        t += h
        out_time_s[n] = t
        out_voltage_V[n] = v_new
        v = v_new
        n += 1
    return n


# ---- convenience (not numba) --------------------------------------------------------------------


def one_c_current_density_A_m2(params: ParameterSet, loading_mAh_cm2: float | None = None) -> float:
    """1C current density of the study (170 mA/g x LFP mass = loading in mA/cm^2) in A/m^2."""
    loading = (
        params.cell.cathode_loading_mAh_cm2.value if loading_mAh_cm2 is None else loading_mAh_cm2
    )
    return float(loading) * 10.0  # 1 mA/cm^2 = 10 A/m^2


def simulate_half_cell_discharge(
    params: ParameterSet,
    c_rate: float,
    *,
    v_min: float = 2.0,
    x0: float = 0.01,
    dt_s: float | None = None,
    cathode_loading_mAh_cm2: float | None = None,
    anode_i0_A_m2: float | None = None,
    anode_resistance_ohm_cm2: float = 0.0,
    p: np.ndarray | None = None,
) -> CyclingData:
    """Constant-current discharge of a Li || LFP half-cell from stoichiometry ``x0`` down to ``v_min``.

    The Li counter electrode is symmetric Butler-Volmer with PyBaMM's Xu2019 exchange current
    (``i0 = 3.5e-8 F c_Li^0.7 c_e^0.3``) unless ``anode_i0_A_m2`` gives a constant one, plus
    ``anode_resistance_ohm_cm2``. ``dt_s`` defaults to 1/200 of the nominal discharge time.
    Returns a canonical table (negative current = discharge), ``meta.instrument = "lilean"``.
    """
    from lilean.schema import LazyCyclingData, Metadata, build_table

    if not c_rate > 0:
        raise ParameterError(f"c_rate = {c_rate}, expected > 0")
    if p is None and cathode_loading_mAh_cm2 is None:
        from lilean.models._derived import derived  # the vector built once per (frozen) set

        p = derived(params, "cathode_parameter_vector", lambda: cathode_parameter_vector(params))
        p = p.copy()
    elif p is None:
        p = cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    area_cm2 = params.cell.electrode_area_cm2.value
    i_1c = one_c_current_density_A_m2(params, cathode_loading_mAh_cm2)
    current_density = -c_rate * i_1c
    duration = 3600.0 / c_rate
    dt = duration / 200.0 if dt_s is None else float(dt_s)
    if anode_i0_A_m2 is None:
        k_an, g_an = XU2019_LI_I0_COEFFICIENT, XU2019_LI_I0_EXPONENT
    else:
        k_an, g_an = float(anode_i0_A_m2), 0.0
    state = initial_state(p, x0)
    n_max = int(1.5 * duration / dt) + 10
    t = np.empty(n_max)
    v = np.empty(n_max)
    n = run_constant_current(
        state, p, current_density, dt, v_min, 1.5 * duration, k_an, g_an,
        anode_resistance_ohm_cm2 * 1e-4, t, v,
    )  # fmt: skip
    current_A = np.full(n, current_density * area_cm2 * 1e-4)
    meta = Metadata(
        source_file=None,
        source_sha256=None,
        start_time=None,
        instrument="lilean",
        file_format="simulation",
        reader="lilean.models.cathode (SPMe)",
        area_cm2=area_cm2,
        active_mass_mg=params.cell.active_mass_mg
        if cathode_loading_mAh_cm2 is None
        else cathode_loading_mAh_cm2
        * area_cm2
        / params.cell.lfp_specific_capacity_mAh_g.value
        * 1e3,
        notes=[
            f"Li || LFP half-cell SPMe discharge at {c_rate:g} C from x = {x0:g} to {v_min:g} V"
        ],
    )
    # the table is built from the arrays on first access of .data
    return LazyCyclingData(lambda: build_table(t[:n], v[:n], current_A), meta)


def _cycling_data(data: Any, meta: Any) -> CyclingData:
    from lilean.schema import CyclingData

    return CyclingData(data, meta)


def pybamm_size_distribution(pv: Any, median_radius_m: float, log_sd: float) -> Any:
    """A copy of PyBaMM ``ParameterValues`` ``pv`` with an area-weighted lognormal particle-size
    distribution of the positive electrode (for validation against PyBaMM's SPMe with
    ``{"particle size": "distribution"}``): volume-weighted median ``median_radius_m`` [m]
    (area-weighted median ``R_v exp(-sd^2)``), standard deviation ``log_sd`` of ln R, truncated at
    +-3 sd. PyBaMM is imported here (test/benchmark oracle only)."""
    import pybamm

    pv = pv.copy()
    r_a = median_radius_m * math.exp(-(log_sd**2))

    def f_a(radius: Any) -> Any:
        return pybamm.exp(-(pybamm.log(radius / r_a) ** 2) / (2 * log_sd**2)) / (
            radius * log_sd * math.sqrt(2 * math.pi)
        )

    pv.update(
        {
            "Positive area-weighted particle-size distribution [m-1]": f_a,
            "Positive minimum particle radius [m]": median_radius_m * math.exp(-3 * log_sd),
            "Positive maximum particle radius [m]": median_radius_m * math.exp(3 * log_sd),
        },
        check_already_exists=False,
    )
    return pv


def pybamm_half_cell_parameter_values(
    params: ParameterSet,
    *,
    cathode_loading_mAh_cm2: float | None = None,
    x0: float = 0.01,
    p: np.ndarray | None = None,
) -> Any:
    """PyBaMM ``ParameterValues`` for the *same* Li || LFP half-cell (for validation).

    Built from PyBaMM's ``Xu2019`` set (Li-metal counter electrode: Xu2019 exchange current,
    Li partial molar volume 1.3e-5 m^3/mol) with every cathode, separator and electrolyte entry
    replaced by lilean's values: the Prada2013 OCV and Kashkooli k (our value, Arrhenius already at
    T), c_max, D_s, R, eps_s, porosity, L_p, sigma, Bruggeman exponents, separator thickness/porosity,
    c_e0, constant D_e, t+, TDF, the Nyman-form conductivity, the contact resistance (converted to
    Ohm with the electrode area), the electrode area (height = width = sqrt(area)) and T.
    Requires pybamm (optional ``reference`` extra).
    """
    try:
        import pybamm
    except ImportError:  # pragma: no cover - pybamm is a dev dependency
        raise ImportError(
            "the PyBaMM comparison needs pybamm: pip install 'lilean[reference]'"
        ) from None
    if p is None:
        p = cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    area_m2 = params.cell.electrode_area_cm2.value * 1e-4
    side = math.sqrt(area_m2)
    k = float(p[IDX_K_REACTION])
    c1, c15, c3 = (float(p[IDX_KAPPA_C1]), float(p[IDX_KAPPA_C15]), float(p[IDX_KAPPA_C3]))
    i_1c_A = one_c_current_density_A_m2(params, cathode_loading_mAh_cm2) * area_m2

    def ocp(sto: Any) -> Any:
        return (
            3.4077
            - 0.020269 * sto
            + 0.5 * pybamm.exp(-150 * sto)
            - 0.9 * pybamm.exp(-30 * (1 - sto))
        )

    def j0(c_e: Any, c_s_surf: Any, c_s_max: Any, T: Any) -> Any:
        return k * c_e**0.5 * c_s_surf**0.5 * (c_s_max - c_s_surf) ** 0.5

    def kappa(c_e: Any, T: Any) -> Any:
        c = c_e / 1000
        return c1 * c + c15 * c**1.5 + c3 * c**3

    pv = pybamm.ParameterValues("Xu2019")
    pv.update(
        {
            "Positive electrode thickness [m]": float(p[IDX_L_P]),
            "Separator thickness [m]": float(p[IDX_L_S]),
            "Electrode height [m]": side,
            "Electrode width [m]": side,
            "Nominal cell capacity [A.h]": i_1c_A,
            "Current function [A]": i_1c_A,
            "Contact resistance [Ohm]": float(p[IDX_R_CONTACT]) / area_m2,
            "Positive electrode conductivity [S.m-1]": float(p[IDX_SIGMA_S]),
            "Maximum concentration in positive electrode [mol.m-3]": float(p[IDX_C_MAX]),
            "Positive particle diffusivity [m2.s-1]": float(p[IDX_D_S]),
            "Positive electrode OCP [V]": ocp,
            "Positive electrode porosity": float(p[IDX_EPS_P]),
            "Positive electrode active material volume fraction": float(p[IDX_EPS_S]),
            "Positive particle radius [m]": float(p[IDX_R_P]),
            "Positive electrode Bruggeman coefficient (electrolyte)": float(p[IDX_B_P]),
            "Positive electrode Bruggeman coefficient (electrode)": float(p[IDX_B_S]),
            "Positive electrode charge transfer coefficient": 0.5,
            "Positive electrode exchange-current density [A.m-2]": j0,
            "Separator porosity": float(p[IDX_EPS_SEP]),
            "Separator Bruggeman coefficient (electrolyte)": float(p[IDX_B_SEP]),
            "Initial concentration in electrolyte [mol.m-3]": float(p[IDX_C_E0]),
            "Cation transference number": float(p[IDX_T_PLUS]),
            "Thermodynamic factor": float(p[IDX_TDF]),
            "Electrolyte diffusivity [m2.s-1]": float(p[IDX_D_E]),
            "Electrolyte conductivity [S.m-1]": kappa,
            "Ambient temperature [K]": float(p[IDX_T_K]),
            "Reference temperature [K]": float(p[IDX_T_K]),
            "Initial temperature [K]": float(p[IDX_T_K]),
            "Lower voltage cut-off [V]": 2.0,
            "Upper voltage cut-off [V]": 4.2,
            "Open-circuit voltage at 0% SOC [V]": 2.0,
            "Open-circuit voltage at 100% SOC [V]": 4.2,
            "Initial concentration in positive electrode [mol.m-3]": x0 * float(p[IDX_C_MAX]),
        },
        check_already_exists=False,
    )
    return pv


def rate_test_discharge_capacities_mAh_g(
    params: ParameterSet,
    c_rates: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0),
    cycles_per_rate: tuple[int, ...] = (3, 5, 5, 5, 5, 5),
    *,
    x0: float = 0.99,
    anode_i0_A_m2: float = 10.0,
    anode_resistance_ohm_cm2: float = 20.0,
    steps_per_half_cycle: int = 200,
    cathode_loading_mAh_cm2: float | None = None,
    p: np.ndarray | None = None,
) -> np.ndarray:
    """The study's rate protocol on a Li || LFP cell; discharge capacity [mAh/g LFP] of the last cycle
    of each block.

    Each cycle: constant-current charge to ``cell.upper_cutoff_V`` then constant-current discharge to
    ``cell.lower_cutoff_V`` at the same C-rate (1C = ``cell.lfp_specific_capacity_mAh_g`` x LFP
    mass), no rests, starting from as-made LFP at stoichiometry ``x0``. The Li electrode is a simple
    symmetric Butler-Volmer interface with a constant ``anode_i0_A_m2`` plus
    ``anode_resistance_ohm_cm2`` (Li inventory is not limiting at N/P = 25). Time step: the
    nominal half-cycle time / ``steps_per_half_cycle``.
    """
    if len(c_rates) != len(cycles_per_rate):
        raise ParameterError("rate test: c_rates and cycles_per_rate must have the same length")
    if p is None:
        p = cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    loading = (
        params.cell.cathode_loading_mAh_cm2.value
        if cathode_loading_mAh_cm2 is None
        else cathode_loading_mAh_cm2
    )
    mass_g_m2 = loading / params.cell.lfp_specific_capacity_mAh_g.value * 1e4
    i_1c = one_c_current_density_A_m2(params, loading)
    v_hi = params.cell.upper_cutoff_V.value
    v_lo = params.cell.lower_cutoff_V.value
    r_an = anode_resistance_ohm_cm2 * 1e-4
    state = initial_state(p, x0)
    n_buf = 4 * steps_per_half_cycle + 10
    t = np.empty(n_buf)
    v = np.empty(n_buf)
    out = np.empty(len(c_rates))
    for b, (c_rate, n_cycles) in enumerate(zip(c_rates, cycles_per_rate, strict=True)):
        if not c_rate > 0 or n_cycles < 1:
            raise ParameterError(f"rate test: C-rate {c_rate} x {n_cycles} cycles, expected > 0")
        dt = 3600.0 / c_rate / steps_per_half_cycle
        t_max = 2.0 * 3600.0 / c_rate
        q = 0.0
        for _ in range(n_cycles):
            run_constant_current(
                state, p, c_rate * i_1c, dt, v_hi, t_max, anode_i0_A_m2, 0.0, r_an, t, v
            )
            n = run_constant_current(
                state, p, -c_rate * i_1c, dt, v_lo, t_max, anode_i0_A_m2, 0.0, r_an, t, v
            )
            q = c_rate * i_1c * t[n - 1] / 3.6 / mass_g_m2  # (A/m^2 s -> mAh/m^2) / (g/m^2)
        out[b] = q
    return out
