"""Li || LFP full cell with a Li-lean anode: one numba loop over a compiled protocol.

Voltage (V; i = cell current density, + = charge = delithiation of LFP = plating on the anode)::

    V = E_LFP(state_c, i) - eta_anode(state_a, -i)

``E_LFP`` is the SPMe cathode potential vs the Li-metal surface (:mod:`lilean.models.cathode`, which
includes the electrolyte and separator terms); ``eta_anode`` is the Li-metal Butler-Volmer +
interface (SEI, dead-Li layer) overpotential of :mod:`lilean.models.anode`, evaluated at the anode's
oxidation current ``-i``. Each solver step advances the anode first (:func:`anode_step`, which also
books SEI / dead Li / corrosion losses and returns the charge it could actually pass), then the
cathode with exactly that charge, so the Li balance::

    Q_act + Q_dead + Q_sei + x Q_cath + Q_LAM = const     (all in mAh/cm^2)

holds to rounding at every step (``Q_LAM`` = Li carried away by lost LFP, cathode ageing). When the
anode reservoir runs out during a discharge, the anode cannot pass the requested current: its potential
diverges and the step ends at the lower cut-off, so the capacity collapse *emerges* from the inventory.

Steps (``CompiledProtocol`` arrays, :mod:`lilean.protocols.steps`):

* rest (mode 0): ``i = 0`` for ``duration`` (corrosion and relaxation continue);
* CC (mode 1): ``n_sub`` sub-steps per nominal step time ``Q_cath / |i|``. A sub-step that crosses
  the voltage cut-off (or that the anode can no longer feed: reservoir exhausted) is shortened to
  the crossing by a bracketing search on ``V(t) - V_cut`` (inverse quadratic interpolation,
  secant, regula falsi and bisection with Brent's safeguards, Brent1973; where the anode runs out
  of Li its exhaustion time is found first on the anode alone and closes the bracket): the step
  ends on the allowed side, within ``CUTOFF_TOLERANCE_V`` (1 uV) of the cut-off when the voltage is
  continuous there; a cut-off is never exceeded. A capacity limit shortens the last sub-step to the
  exact charge. A step whose voltage under load is already past its limit ends at once. On the
  plateau (the last sub-step moved the voltage by < ``PLATEAU_DV_PER_SUBSTEP_V``) the next
  ``PLATEAU_SUBSTEPS`` sub-steps are one cathode step of their total length at the charge the anode
  passed in them (operator splitting: the anode takes every sub-step, the cathode, whose potential
  changes slowly there, one step; its potential and Li at the rows between are interpolated
  linearly in time); a plateau step in which the anode runs out or shorts, or that ends past the
  cut-off, is undone and taken sub-step by sub-step.
* CV hold (mode 2): backward Euler in the current: per sub-step the current ``i`` whose
  end-of-step voltage equals ``V_hold`` (the same bracketing search on ``[0, i_prev]``), so the current
  tapers monotonically; adaptive sub-steps (1 s first, growing while the current changes < 5 %);
  ends when ``|i| <= i_cutoff``, on the capacity limit or after its duration. The direction is the
  one that moves the open-circuit voltage towards ``V_hold``.

A CC step without a duration ends after ``SAFETY_FACTOR`` (3) nominal times, a hold without one after
``CV_SAFETY_FACTOR`` (10) hours at 1C. When the anode reservoir runs out during a discharge, the Li
coverage of the substrate and with it the stripping exchange current fall to zero: the anode potential
rises continuously (:func:`lilean.models.anode.anode_overpotential_V`) and the step ends at the lower
cut-off. Plating onto an emptied substrate needs the substrate's nucleation overpotential (finite),
so the next charge starts below the upper cut-off and ends at it. When a protrusion
bridges the separator (:mod:`lilean.models.anode`), the cell's EMF (~3.4 V) drives the Li filament far
above its fuse voltage (:func:`lilean.models.anode.filament_fuse_voltage_V`, ~0.06 V): the soft short
melts open at once, is counted (``CYC_SOFT_SHORTS``) and the protrusion regrows from zero. Only a
filament whose fuse voltage exceeds the EMF would stay a hard short; then the current bypasses the
electrodes through the Li filament: no more Li moves, the voltage is ``i R_short``, a charge never reaches its cut-off (it ends at
the safety time) and a discharge ends at once, so the delivered capacity drops to zero.

Cathode ageing (documented in :mod:`lilean.models.cathode`): after every cycle a fraction
``lam_c + lam_h * hours`` of the LFP is removed with its Li (``apply_active_material_loss``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import njit

from lilean.models._bracket import (
    BRACKET_RECORD_SIZE,
    bracket_init,
    bracket_next,
    bracket_push,
    bracket_step,
)
from lilean.models._kernel import WITHOUT_REFCOUNT, copy_into
from lilean.models._numba_cache import drop_stale_numba_cache
from lilean.models.anode import (
    P_RSHORT,
    P_VFUSE,
    S_ACT,
    S_DEAD,
    S_NFUSED,
    S_PROT,
    S_SEI,
    S_SHORT,
    anode_overpotential_V,
    anode_step,
    dead_layer_resistance_ohm_cm2,
    interface_resistance_ohm_cm2,
    separator_resistance_increase_ohm_cm2,
)
from lilean.models.cathode import (
    FARADAY,
    IDX_C_MAX,
    IDX_EPS_S,
    IDX_L_P,
    IDX_LAM_PER_CYCLE,
    IDX_LAM_PER_HOUR,
    apply_active_material_loss,
    cathode_potential_into,
    cathode_step_into,
    cathode_stoichiometry_into,
    n_particle_classes,
    new_cathode_work,
    split_cache_offset,
)
from lilean.protocols.steps import MODE_CC, MODE_CV, MODE_REST

drop_stale_numba_cache(
    __file__,
    *(
        str(Path(__file__).with_name(n))
        for n in (
            "anode.py",
            "cathode.py",
            "electrolyte.py",
            "_bracket.py",
            "_fastmath.py",
            "_kernel.py",
        )
    ),
)

#: mA/cm^2 -> A/m^2 (the cathode kernels work in SI)
A_M2_PER_MA_CM2 = 10.0
SECONDS_PER_HOUR = 3600.0
#: a CC step without a duration ends after this many nominal step times (capacity / current)
SAFETY_FACTOR = 3.0
#: the anode is exhausted when it passes less than ``1 - EXHAUSTED_RTOL`` of the set current
EXHAUSTED_RTOL = 1e-9
#: accepted distance of the step's last point from its voltage cut-off (always on the allowed side);
#: tight, so that results depend smoothly on the parameters (fits take finite differences)
CUTOFF_TOLERANCE_V = 1e-6
#: plateau steps of a CC step: where the cell voltage moved by less than
#: ``PLATEAU_DV_PER_SUBSTEP_V`` per sub-step in the last step, the next ``PLATEAU_SUBSTEPS``
#: sub-steps are one cathode step (the anode still takes every sub-step: its inventory, dead Li
#: and SEI keep the full resolution; the rows between get the cathode potential interpolated
#: linearly in time). Chosen against 16x finer steps (960 a half-cycle, every one a cathode step)
#: on the 303-cycle N/P 25 Li-Cu and Ag@Cu cells: capacities and plateau gaps as close to those as
#: with every sub-step a cathode step (4 sub-steps at < 2 mV each; 6-8 sub-steps or 5 mV moved the
#: gaps 2-4 mV further away); ``calibration/numerical_convergence.py`` prints the resolution error
PLATEAU_SUBSTEPS = 4  # the default of run_full_cell's ``plateau_substeps`` (1: none)
PLATEAU_DV_PER_SUBSTEP_V = 0.002
#: floats of the cut-off searches' memory (:func:`_cc_crossing`): per direction the last two ends
#: as fractions of their sub-step and the last first trial's miss
CROSSING_HINT_SIZE = 6
#: the memory is used where the last two ends lie within this fraction of a sub-step of each
#: other and the last first trial missed by less than the second
CROSSING_HINT_MAX_DRIFT = 0.05
CROSSING_HINT_MAX_MISS = 0.02
#: CV hold: first time step [s], nominal time scale = capacity / (1C) [h], safety length in nominal
#: times when the hold has no duration, the largest starting current (C-rate) and rows budgeted
CV_FIRST_STEP_S = 1.0
CV_REFERENCE_HOURS = 1.0
CV_REFERENCE_FACTOR = 20.0
CV_SAFETY_FACTOR = 10.0
CV_MAX_C_RATE = 20.0
CV_MAX_ROWS = 400

#: columns of the per-step record written by :func:`run_full_cell`
REC_TIME, REC_V, REC_I, REC_CYCLE, REC_STEP, REC_ACT, REC_DEAD, REC_SEI, REC_CATH, REC_LAM = range(
    10
)
N_REC = 10
#: columns of the per-cycle summary written by :func:`run_full_cell`
(
    CYC_CHARGE,
    CYC_DISCHARGE,
    CYC_V_CHARGE,
    CYC_V_DISCHARGE,
    CYC_ACT_END,
    CYC_DEAD_END,
    CYC_SEI_END,
    CYC_CATH_CAP,
    CYC_SHORT,
    CYC_R_INT,
    CYC_SOFT_SHORTS,
) = range(11)
N_CYC = 11


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def cathode_li_capacity_mAh_cm2(pc: np.ndarray) -> float:
    """Li capacity of the remaining LFP for x: 0 -> 1, ``eps_s L_p c_max F / 3.6 * 1e-4`` [mAh/cm^2]."""
    return pc[IDX_EPS_S] * pc[IDX_L_P] * pc[IDX_C_MAX] * FARADAY / 3.6 * 1e-4


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def cell_voltage_V(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    i_mA_cm2: float,
    work: np.ndarray,
) -> float:
    """``V = E_LFP(i) - eta_anode(-i)`` [V] at cell current density ``i_mA_cm2`` (+ = charge).
    ``work``: the cathode step's scratch (:func:`lilean.models.cathode.new_cathode_work`)."""
    if sa[S_SHORT] > 0.0:
        return i_mA_cm2 * pa[P_RSHORT] * 1e-3
    e_cathode = cathode_potential_into(sc, pc, A_M2_PER_MA_CM2 * i_mA_cm2, work)
    return _voltage_at(sa, pa, e_cathode, i_mA_cm2)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _voltage_at(sa: np.ndarray, pa: np.ndarray, e_cathode_V: float, i_mA_cm2: float) -> float:
    """``V = E_LFP - eta_anode(-i) - i R_el`` [V] for the cathode potential ``e_cathode_V`` (not
    shorted): electrolyte consumed by the anode's SEI raises the separator's resistance (anode
    side)."""
    r_el = separator_resistance_increase_ohm_cm2(sa, pa)
    return e_cathode_V - anode_overpotential_V(sa, pa, -i_mA_cm2) - i_mA_cm2 * r_el * 1e-3


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _advance(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    i_mA_cm2: float,
    dt: float,
    work: np.ndarray,
) -> float:
    """Advance anode then cathode by ``dt``; return the cell current density actually passed.
    ``work``: the cathode step's scratch (:func:`lilean.models.cathode.new_cathode_work`)."""
    if sa[S_SHORT] > 0.0:
        anode_step(sa, pa, 0.0, dt)
        cathode_step_into(sc, pc, 0.0, dt, work)
        return i_mA_cm2
    passed = anode_step(sa, pa, -i_mA_cm2, dt)  # anode oxidation charge, mAh/cm^2
    i_eff = -passed * SECONDS_PER_HOUR / dt if dt > 0.0 else 0.0
    cathode_step_into(sc, pc, A_M2_PER_MA_CM2 * i_eff, dt, work)
    if sa[S_SHORT] > 0.0 and cathode_potential_into(sc, pc, 0.0, work) > pa[P_VFUSE]:
        # soft short: the cell's EMF across the Li filament melts it open at once
        # (lilean.models.anode.filament_fuse_voltage_V); the burnt protrusion restarts from zero
        sa[S_SHORT] = 0.0
        sa[S_PROT] = 0.0
        sa[S_NFUSED] += 1.0
    return i_eff


@njit(cache=True, error_model="numpy")
def _plateau_step(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    sa_b: np.ndarray,
    sc_b: np.ndarray,
    i_set: float,
    h: float,
    m: int,
    sign: float,
    v_up: float,
    v_lo: float,
    sub_sa: np.ndarray,
    sub_i: np.ndarray,
    work: np.ndarray,
) -> tuple[float, float]:
    """``m`` sub-steps of ``h`` at ``i_set`` from the state ``sa_b``/``sc_b`` (held in
    ``sa``/``sc`` on entry): the anode sub-step by sub-step (its state after each in
    ``sub_sa[l]``, the current it passed in ``sub_i[l]``), the cathode in one step of ``m h`` at
    the mean of those currents (the same charge). Returns the cathode potential and the cell
    voltage at the end; (NaN, NaN), with ``sa``/``sc`` restored to ``sa_b``/``sc_b``, where a
    sub-step is not a plain one (the anode runs out or shorts) or the end is past the cut-off."""
    passed = 0.0
    ok = True
    for k in range(m):
        q = anode_step(sa, pa, -i_set, h)
        i_k = -q * SECONDS_PER_HOUR / h
        if sa[S_SHORT] > 0.0 or abs(i_k) < abs(i_set) * (1.0 - EXHAUSTED_RTOL):
            ok = False
            break
        copy_into(sub_sa[k], sa)
        sub_i[k] = i_k
        passed += q
    if ok:
        cathode_step_into(
            sc, pc, A_M2_PER_MA_CM2 * (-passed * SECONDS_PER_HOUR / (m * h)), m * h, work
        )
        e_end = cathode_potential_into(sc, pc, A_M2_PER_MA_CM2 * sub_i[m - 1], work)
        v_end = _voltage_at(sa, pa, e_end, sub_i[m - 1])
        if not _hit(v_end, sign, v_up, v_lo):
            return e_end, v_end
    copy_into(sa, sa_b)
    copy_into(sc, sc_b)
    return math.nan, math.nan


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _hit(v: float, sign: float, v_up: float, v_lo: float) -> bool:
    """True when ``v`` has reached the step's voltage limit in the step's direction (or diverged)."""
    if not math.isfinite(v):
        return True
    if sign > 0.0:
        return v >= v_up
    if sign < 0.0:
        return v <= v_lo
    return False


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _anode_passing_time(
    sa_b: np.ndarray, pa: np.ndarray, sa_x: np.ndarray, i_set: float, t: float
) -> float:
    """``T(t)``: the time the charge the anode (started from ``sa_b``, stepped in ``sa_x``) passes
    in ``t`` at ``i_set`` would take at the full set current (``t`` unless it runs out)."""
    copy_into(sa_x, sa_b)
    return -anode_step(sa_x, pa, -i_set, t) * SECONDS_PER_HOUR / i_set


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _anode_exhaustion_time(
    sa_b: np.ndarray, pa: np.ndarray, sa_x: np.ndarray, i_set: float, t_lo: float, t_hi: float
) -> float:
    """Earliest time in ``(t_lo, t_hi]`` at which the anode, started from ``sa_b``, can no longer
    pass ``i_set`` (it does at ``t_lo``, not at ``t_hi``), to 1e-9 of ``t_hi``.

    Anode alone (the exhaustion does not depend on the cathode): a trial ``t`` that runs out passes
    the charge of ``T(t) = t |i_t| / |i_set|`` at the set current, and the exhaustion time is the
    fixed point ``T(t*) = t*`` (the Li that can still be stripped changes slowly with ``t``): secant
    on ``T(t) - t`` through the two latest exhausted trials (the plain fixed-point step with one),
    bisection where that leaves the bracket. ``sa_x``: scratch of the anode state's size.
    """
    a = t_lo
    b = t_hi
    g_b = _anode_passing_time(sa_b, pa, sa_x, i_set, b) - b  # T(b) - b < 0
    t_prev = math.nan
    g_prev = math.nan
    for _ in range(100):
        if b - a <= 1e-9 * t_hi:
            break
        t = b + g_b  # fixed-point step T(b)
        if math.isfinite(g_prev) and g_prev != g_b:
            t = b - g_b * (b - t_prev) / (g_b - g_prev)  # secant on g = T - t
        if not (a + 0.25e-9 * t_hi < t < b - 0.25e-9 * t_hi):
            t = 0.5 * (a + b)
        passed_t = _anode_passing_time(sa_b, pa, sa_x, i_set, t)
        if passed_t < t * (1.0 - EXHAUSTED_RTOL):
            t_prev = b
            g_prev = g_b
            b = t
            g_b = passed_t - t
        else:
            a = t
    return b


@njit(cache=True, error_model="numpy")
def _cc_crossing(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    sa_b: np.ndarray,
    sc_b: np.ndarray,
    sa_lo: np.ndarray,
    sc_lo: np.ndarray,
    sa_x: np.ndarray,
    i_set: float,
    h: float,
    sign: float,
    v_up: float,
    v_lo: float,
    v_0: float,
    v_h: float,
    exhausted_h: bool,
    work: np.ndarray,
    sc_w: np.ndarray,
    search: np.ndarray,
    hint: np.ndarray,
) -> tuple[float, float, float]:
    """Largest sub-step ``t <= h`` that stays on the allowed side of the cut-off (the cut-off is
    crossed, the voltage diverges or the anode can no longer pass ``i_set`` within ``h``).

    ``sa_b``/``sc_b`` hold the state at the sub-step's start (voltage ``v_0``), ``sa``/``sc`` the
    state after ``h`` (voltage ``v_h``; ``exhausted_h``: the anode could not pass ``i_set``);
    ``sa_lo``/``sc_lo``/``sa_x``/``sc_w`` and ``search`` (:data:`BRACKET_RECORD_SIZE`) are scratch.
    Where the anode runs out within ``h``, its exhaustion time is found first, on the anode
    alone (:func:`_anode_exhaustion_time`), and closes the bracket. Then a bracketing search on
    ``V(t)`` aimed at the middle of the accepted window (half :data:`CUTOFF_TOLERANCE_V` inside the
    cut-off), trials by :func:`lilean.models._bracket.bracket_next` (inverse quadratic
    interpolation, secant, regula falsi, bisection with Brent's safeguards). Stops when the allowed
    end is within :data:`CUTOFF_TOLERANCE_V` of the cut-off or the bracket is below 1e-7 of the
    step. The state is left advanced to the allowed end. Returns (t, current passed, voltage) there; when the
    bracket collapses onto a divergence the voltage returned is the cut-off (the physical voltage
    crosses it inside the collapsed bracket).

    ``hint`` (:data:`CROSSING_HINT_SIZE` floats, kept by the time loop from one search to the next):
    where the last two searches of the same direction (charge, discharge) ended, as fractions of
    their sub-step, and how far the first trial of the last one was from its end. From one cycle
    to the next the crossing moves by a nearly constant fraction of the sub-step (the capacity fades
    smoothly), so the first two trials go to the crossing extrapolated from the last two and to
    twice the last first trial's miss beyond it, on the side of the cut-off (a bracket around the
    crossing, closed by interpolation in one or two more trials); the bracket's own interpolation
    where a trial would leave the bracket.
    """
    v_cut = v_up if sign > 0.0 else v_lo
    v_aim = v_cut - sign * 0.5 * CUTOFF_TOLERANCE_V
    t_lo = 0.0
    i_lo = i_set
    v_tlo = v_0
    lo_saved = False  # sa_lo/sc_lo hold the state at t_lo (else it is the start: sa_b/sc_b)
    t_hi = h
    f_lo = v_0 - v_aim
    f_hi = v_h - v_aim if (math.isfinite(v_h) and not exhausted_h) else math.nan
    bracket_init(search, 0.0, f_lo, h, f_hi)
    if exhausted_h:
        t_hi = _anode_exhaustion_time(sa_b, pa, sa_x, i_set, 0.0, h)
    # each trial restarts from the sub-step's start state but takes the cathode's cached split (the
    # warm start of its particle-class split) from the last trial with a finite one: the trials
    # converge on the crossing, so the last trial's split predicts the next one's best
    off_cache = split_cache_offset(pc)
    warm = sc_w[: sc.size - off_cache]
    copy_into(warm, sc[off_cache:])
    have_warm = math.isfinite(warm[1])
    o_h = 0 if sign < 0.0 else CROSSING_HINT_SIZE // 2
    frac_1 = hint[o_h]
    frac_2 = hint[o_h + 1]
    # only where the last two ends and the last first trial agree (not across a change of rate
    # or of regime: a drift of under CROSSING_HINT_MAX_DRIFT and a miss under CROSSING_HINT_MAX_MISS)
    last_miss = hint[o_h + 2]  # NaN where the last search had no hint
    steady = (
        abs(frac_1 - frac_2) < CROSSING_HINT_MAX_DRIFT and not last_miss >= CROSSING_HINT_MAX_MISS
    )
    guess = frac_1 + (frac_1 - frac_2) if steady else math.nan
    miss = max(2.0 * last_miss, 1e-5) if math.isfinite(last_miss) else CROSSING_HINT_MAX_MISS
    first_t = math.nan
    hinted = False  # the first trial was the extrapolated crossing
    hinted_search = False
    for trial in range(80):
        if abs(v_tlo - v_cut) <= CUTOFF_TOLERANCE_V or t_hi - t_lo <= 1e-7 * h:
            break
        margin = 1e-9 * h
        t = math.nan
        if trial == 0:
            t = guess * h
        elif trial == 1 and hinted:
            # past the first trial toward the crossing: the allowed side moved up to it, or not
            t = first_t + miss * h if t_lo == first_t else first_t - miss * h
        if t_lo + margin < t < t_hi - margin:  # (false for NaN)
            hinted = trial == 0
            hinted_search = hinted_search or hinted
            bracket_step(search, t)
        elif exhausted_h and not math.isfinite(f_hi):
            # the bracket ends at the anode's exhaustion: try just before it
            if t_hi - t_lo > 0.5e-7 * h:
                t = t_hi - 0.4e-7 * h
            else:
                t = min(t_lo + 0.9e-7 * h, 0.5 * (t_lo + t_hi))
            if not (t_lo + margin < t < t_hi - margin):
                t = 0.5 * (t_lo + t_hi)
            bracket_step(search, t)
        else:
            t = bracket_next(search, t_lo, f_lo, t_hi, f_hi, margin)
        copy_into(sa, sa_b)
        copy_into(sc, sc_b)
        if have_warm:
            copy_into(sc[off_cache:], warm)
        if trial == 0:
            first_t = t
        i_t = _advance(sa, pa, sc, pc, i_set, t, work)
        v_t = cell_voltage_V(sa, pa, sc, pc, i_t, work)
        if math.isfinite(sc[off_cache + 1]):
            copy_into(warm, sc[off_cache:])
            have_warm = True
        exhausted = abs(i_t) < abs(i_set) * (1.0 - EXHAUSTED_RTOL)
        f_t = v_t - v_aim if (math.isfinite(v_t) and not exhausted) else math.nan
        bracket_push(search, t, f_t)
        if exhausted:
            # the anode runs out before t: the bracket ends at its exhaustion time
            t_hi = _anode_exhaustion_time(sa_b, pa, sa_x, i_set, t_lo, t)
            f_hi = math.nan
            exhausted_h = True
        elif _hit(v_t, sign, v_up, v_lo):
            t_hi = t
            f_hi = f_t
        else:
            t_lo = t
            i_lo = i_t
            v_tlo = v_t
            f_lo = f_t
            copy_into(sa_lo, sa)
            copy_into(sc_lo, sc)
            lo_saved = True
    if lo_saved:
        copy_into(sa, sa_lo)
        copy_into(sc, sc_lo)
    else:
        copy_into(sa, sa_b)
        copy_into(sc, sc_b)
    hint[o_h + 1] = frac_1
    hint[o_h] = t_lo / h
    hint[o_h + 2] = abs(first_t - t_lo) / h if hinted_search else math.nan
    if abs(v_tlo - v_cut) > CUTOFF_TOLERANCE_V and math.isfinite(v_cut):
        # the bracket collapsed onto a divergence (LFP surface saturated / emptied, anode
        # reservoir exhausted): the physical voltage runs through the cut-off within it, so the
        # step ends at the cut-off (keeps results smooth in the parameters)
        v_tlo = v_cut
    return t_lo, i_lo, v_tlo


@njit(cache=True, error_model="numpy")
def _cv_trial(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    sa_b: np.ndarray,
    sc_b: np.ndarray,
    i: float,
    h: float,
    work: np.ndarray,
) -> float:
    """Restore, advance by ``h`` at ``i``, return the voltage at the end (at the current passed)."""
    copy_into(sa, sa_b)
    copy_into(sc, sc_b)
    i_eff = _advance(sa, pa, sc, pc, i, h, work)
    return cell_voltage_V(sa, pa, sc, pc, i_eff, work)


@njit(cache=True, error_model="numpy")
def _cv_step(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    v_set: float,
    i_max: float,
    h: float,
    work: np.ndarray,
    sa_b: np.ndarray,
    sc_b: np.ndarray,
    search: np.ndarray,
) -> float:
    """One implicit constant-voltage step: the current ``i`` (same sign as ``i_max``,
    ``|i| <= |i_max|``) whose end-of-step voltage equals ``v_set`` (backward Euler in the current),
    by a bracketing search on ``|i|`` in ``[0, |i_max|]`` (:func:`lilean.models._bracket.bracket_next`).
    The state is left advanced with it. ``sa_b``/``sc_b`` (state sizes) and ``search``
    (:data:`BRACKET_RECORD_SIZE`) are scratch.

    Bounding ``|i|`` by the previous step's current makes the taper monotonic (the cell is relaxing
    towards ``v_set``; a current that would have to rise means the hold is being overtaken by
    relaxation, and the bound then holds the step at the previous current's voltage side).
    """
    sign = 1.0 if i_max > 0.0 else -1.0
    copy_into(sa_b, sa)
    copy_into(sc_b, sc)
    lo = 0.0
    f_lo = sign * (_cv_trial(sa, pa, sc, pc, sa_b, sc_b, 0.0, h, work) - v_set)
    if f_lo >= 0.0:  # already at/over the set voltage without current: no current flows
        copy_into(sa, sa_b)
        copy_into(sc, sc_b)
        _advance(sa, pa, sc, pc, 0.0, h, work)
        return 0.0
    # search on the current's magnitude u in [0, |i_max|] (lilean.models._bracket.bracket_next)
    hi = abs(i_max)
    v_hi = _cv_trial(sa, pa, sc, pc, sa_b, sc_b, i_max, h, work)
    f_hi = sign * (v_hi - v_set) if math.isfinite(v_hi) else math.nan
    if math.isfinite(f_hi) and f_hi <= 0.0:  # even the bound does not reach v_set: keep it
        return i_max
    bracket_init(search, lo, f_lo, hi, f_hi)
    for _ in range(80):
        u = bracket_next(search, lo, f_lo, hi, f_hi, 0.0)
        v = _cv_trial(sa, pa, sc, pc, sa_b, sc_b, sign * u, h, work)
        f = sign * (v - v_set) if math.isfinite(v) else math.nan
        bracket_push(search, u, f)
        if not math.isfinite(f) or f > 0.0:
            hi = u
            f_hi = f
        else:
            lo = u
            f_lo = f
        if abs(f_lo) <= 0.1 * CUTOFF_TOLERANCE_V or hi - lo <= 1e-12 * abs(i_max):
            break
    # end on the allowed side (never past v_set)
    _cv_trial(sa, pa, sc, pc, sa_b, sc_b, sign * lo, h, work)
    return sign * lo


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _book(cyc: np.ndarray, c_idx: int, i: float, dq: float, v_mean: float) -> None:
    """Add a sub-step's charge ``dq`` at current ``i`` and its mean voltage (the trapezoid of its
    two rows) to the cycle's sums."""
    if i > 0.0:
        cyc[c_idx, CYC_CHARGE] += dq
        cyc[c_idx, CYC_V_CHARGE] += v_mean * dq
    elif i < 0.0:
        cyc[c_idx, CYC_DISCHARGE] += dq
        cyc[c_idx, CYC_V_DISCHARGE] += v_mean * dq


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _close_substep(
    rec: np.ndarray,
    n_rec: int,
    cyc: np.ndarray,
    c_idx: int,
    t: float,
    t_step: float,
    q_step: float,
    h: float,
    i: float,
    v: float,
    v_prev: float,
    cycle_no: int,
    step_no: int,
    sa: np.ndarray,
    cathode_li_mAh_cm2: float,
    lam_li: float,
) -> tuple[float, float, float, int]:
    """Book a finished sub-step of length ``h`` at current ``i`` ending at voltage ``v`` (the last
    row's ``v_prev``): its charge and mean voltage into the cycle's sums, its row into ``rec``
    while there is room. Returns the advanced (time, step time, step charge, rows)."""
    dq = abs(i) * h / SECONDS_PER_HOUR
    _book(cyc, c_idx, i, dq, 0.5 * (v_prev + v))
    if n_rec < rec.shape[0]:
        _record_row(rec, n_rec, t + h, v, i, cycle_no, step_no, sa, cathode_li_mAh_cm2, lam_li)
        n_rec += 1
    return t + h, t_step + h, q_step + dq, n_rec


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _cathode_li(sc: np.ndarray, pc: np.ndarray, part: np.ndarray) -> float:
    """Li in the cathode [mAh/cm^2] (``part``: the scratch of
    :func:`lilean.models.cathode.cathode_stoichiometry_into`)."""
    return cathode_stoichiometry_into(sc, pc, part) * cathode_li_capacity_mAh_cm2(pc)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _record_row(
    rec: np.ndarray,
    n: int,
    t: float,
    v: float,
    i: float,
    cycle: int,
    step: int,
    sa: np.ndarray,
    cathode_li_mAh_cm2: float,
    lam_li: float,
) -> None:
    """Row ``n`` of the per-step record (columns ``REC_*``)."""
    rec[n, REC_TIME] = t
    rec[n, REC_V] = v
    rec[n, REC_I] = i
    rec[n, REC_CYCLE] = cycle
    rec[n, REC_STEP] = step
    rec[n, REC_ACT] = sa[S_ACT]
    rec[n, REC_DEAD] = sa[S_DEAD]
    rec[n, REC_SEI] = sa[S_SEI]
    rec[n, REC_CATH] = cathode_li_mAh_cm2
    rec[n, REC_LAM] = lam_li


@njit(cache=True, error_model="numpy")
def run_full_cell(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    cycle: np.ndarray,
    mode: np.ndarray,
    current_mA_cm2: np.ndarray,
    voltage_V: np.ndarray,
    duration_s: np.ndarray,
    v_upper_V: np.ndarray,
    v_lower_V: np.ndarray,
    i_cutoff_mA_cm2: np.ndarray,
    capacity_cutoff_mAh_cm2: np.ndarray,
    n_sub: int,
    plateau_substeps: int,
    rec: np.ndarray,
    cyc: np.ndarray,
) -> int:
    """Run the protocol in place on anode state ``sa`` and cathode state ``sc``.

    Currents and capacities per geometric cm^2. ``pc`` is modified (cathode ageing): pass a copy.
    Writes one row per solver step into ``rec`` (columns ``REC_*``) and one row per protocol cycle
    into ``cyc`` (``CYC_*``; cycle n in row n - 1). Returns the number of rows written to ``rec``
    (recording stops when ``rec`` is full, the simulation goes on; size it with
    :func:`record_rows`).
    """
    # the scratch of every step (the kernel allocates nothing)
    sub = max(plateau_substeps, 1)
    return _run_full_cell(
        sa, pa, sc, pc, cycle, mode, current_mA_cm2, voltage_V, duration_s, v_upper_V, v_lower_V,
        i_cutoff_mA_cm2, capacity_cutoff_mAh_cm2, n_sub, plateau_substeps, rec, cyc,
        np.empty_like(sa), np.empty_like(sc), np.empty_like(sa), np.empty_like(sc),
        np.empty_like(sa), np.empty_like(sc), new_cathode_work(pc), np.empty((sub, sa.size)),
        np.empty(sub), np.empty(BRACKET_RECORD_SIZE), np.empty(n_particle_classes(pc)),
        np.full(CROSSING_HINT_SIZE, np.nan),
    )  # fmt: skip


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def _run_full_cell(
    sa: np.ndarray,
    pa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    cycle: np.ndarray,
    mode: np.ndarray,
    current_mA_cm2: np.ndarray,
    voltage_V: np.ndarray,
    duration_s: np.ndarray,
    v_upper_V: np.ndarray,
    v_lower_V: np.ndarray,
    i_cutoff_mA_cm2: np.ndarray,
    capacity_cutoff_mAh_cm2: np.ndarray,
    n_sub: int,
    plateau_substeps: int,
    rec: np.ndarray,
    cyc: np.ndarray,
    sa_b: np.ndarray,
    sc_b: np.ndarray,
    sa_lo: np.ndarray,
    sc_lo: np.ndarray,
    sa_x: np.ndarray,
    sc_w: np.ndarray,
    work: np.ndarray,
    sub_sa: np.ndarray,
    sub_i: np.ndarray,
    search: np.ndarray,
    part: np.ndarray,
    hint: np.ndarray,
) -> int:
    """:func:`run_full_cell` in the scratch its wrapper allocates: ``sa_b``/``sc_b`` the CC
    sub-step's start state (and the CV step's), ``sa_lo``/``sc_lo``/``sa_x``/``sc_w`` and
    ``search`` the cut-off and CV searches', ``work`` the cathode step's
    (:func:`lilean.models.cathode.new_cathode_work`), ``sub_sa``/``sub_i`` a plateau step's anode
    sub-states and currents (``max(plateau_substeps, 1)`` rows), ``part`` the cathode Li sum's (one
    float per particle class), ``hint`` the cut-off searches' memory (:func:`_cc_crossing`)."""
    n_rec = 0
    t = 0.0
    lam_li = 0.0
    n_steps = mode.size
    cap_rec = rec.shape[0]
    t_cycle_start = 0.0
    for k in range(n_steps):
        c_idx = cycle[k] - 1
        mo = mode[k]
        i_set = current_mA_cm2[k]
        q_cath = cathode_li_capacity_mAh_cm2(pc)
        q_cut = capacity_cutoff_mAh_cm2[k]
        sign = 1.0 if i_set > 0.0 else (-1.0 if i_set < 0.0 else 0.0)
        if mo == MODE_REST:
            t_end = duration_s[k]
            dt = max(t_end / 10.0, 1.0)
        elif mo == MODE_CC:
            t_nominal = q_cath / abs(i_set) * SECONDS_PER_HOUR
            t_end = duration_s[k] if math.isfinite(duration_s[k]) else SAFETY_FACTOR * t_nominal
            dt = t_nominal / n_sub
        else:
            # hold: the direction is the one that moves the open-circuit voltage to the set value
            v_oc = cell_voltage_V(sa, pa, sc, pc, 0.0, work)
            sign = 1.0 if voltage_V[k] >= v_oc else -1.0
            i_ref = max(abs(i_cutoff_mA_cm2[k]) * CV_REFERENCE_FACTOR, q_cath / CV_REFERENCE_HOURS)
            t_nominal = q_cath / i_ref * SECONDS_PER_HOUR
            t_end = duration_s[k] if math.isfinite(duration_s[k]) else CV_SAFETY_FACTOR * t_nominal
            dt = CV_FIRST_STEP_S
        # the step's current at its start (CC: the set current; CV: the previous step's current,
        # or 1C when it had none in this direction)
        i_prev = 0.0
        if mo == MODE_CV:
            i_prev = current_mA_cm2[k - 1] if k > 0 else 0.0
            if i_prev * sign <= 0.0 or abs(i_prev) > CV_MAX_C_RATE * q_cath:
                i_prev = sign * q_cath
            if abs(i_prev) < abs(i_cutoff_mA_cm2[k]):
                i_prev = sign * abs(i_cutoff_mA_cm2[k]) * CV_REFERENCE_FACTOR
        i_start = 0.0 if mo == MODE_REST else (i_set if mo == MODE_CC else i_prev)
        v_start = cell_voltage_V(sa, pa, sc, pc, i_start, work)
        blocked = mo == MODE_CC and _hit(v_start, sign, v_upper_V[k], v_lower_V[k])
        if mo == MODE_CV and not (
            math.isfinite(v_start) and sign * (v_start - voltage_V[k]) <= CUTOFF_TOLERANCE_V
        ):
            # the previous current would overshoot the set voltage: the hold starts from rest
            blocked_cv = True
        else:
            blocked_cv = False
        if blocked or blocked_cv:
            # the limit is already reached under load: the step ends at once (the cycler's check
            # before it applies the current); record the open-circuit state
            i_start = 0.0
            v_start = cell_voltage_V(sa, pa, sc, pc, 0.0, work)
        if n_rec < cap_rec:
            _record_row(
                rec,
                n_rec,
                t,
                v_start,
                i_start,
                cycle[k],
                k + 1,
                sa,
                _cathode_li(sc, pc, part),
                lam_li,
            )
            n_rec += 1
        t_step = 0.0
        q_step = 0.0
        done = blocked
        i_cv = i_prev
        v_sub = v_start  # voltage at the start of the next (CC) sub-step or plateau step
        v_prev = v_start  # voltage of the last row (the mean voltages integrate by the trapezoid)
        # the last CC step moved the voltage by < PLATEAU_DV_PER_SUBSTEP_V a sub-step
        plateau = False
        while not done and t_step < t_end * (1.0 - 1e-12):
            h = min(dt, t_end - t_step)
            if mo == MODE_REST:
                i_eff = _advance(sa, pa, sc, pc, 0.0, h, work)
                v = cell_voltage_V(sa, pa, sc, pc, 0.0, work)
            elif mo == MODE_CC:
                if math.isfinite(q_cut):
                    h_cap = (q_cut - q_step) * SECONDS_PER_HOUR / abs(i_set)
                    if h_cap <= h:
                        h = h_cap
                        done = True  # capacity limit reached at the end of this sub-step
                copy_into(sa_b, sa)
                copy_into(sc_b, sc)
                # a plateau step: m sub-steps of the anode, one of the cathode; it ends a sub-step
                # before the step's end, its capacity limit or a cut-off (else the plain sub-step)
                m = 0
                if plateau and not done and plateau_substeps > 1:
                    left = t_end - t_step
                    if math.isfinite(q_cut):
                        left = min(left, (q_cut - q_step) * SECONDS_PER_HOUR / abs(i_set))
                    m = min(plateau_substeps, int(left / h) - 1)
                if m > 1:
                    e_0 = cathode_potential_into(sc, pc, A_M2_PER_MA_CM2 * i_set, work)
                    li_0 = _cathode_li(sc, pc, part)
                    e_1, v = _plateau_step(
                        sa, pa, sc, pc, sa_b, sc_b, i_set, h, m, sign, v_upper_V[k],
                        v_lower_V[k], sub_sa, sub_i, work,
                    )  # fmt: skip
                    if math.isfinite(e_1):
                        li_1 = _cathode_li(sc, pc, part)
                        # the first m - 1 sub-steps' rows (the last one: below, as any sub-step's)
                        for sub in range(m - 1):
                            f = (sub + 1.0) / m
                            i_l = sub_i[sub]
                            v_l = _voltage_at(sub_sa[sub], pa, e_0 + f * (e_1 - e_0), i_l)
                            t, t_step, q_step, n_rec = _close_substep(
                                rec, n_rec, cyc, c_idx, t, t_step, q_step, h, i_l, v_l, v_prev,
                                cycle[k], k + 1, sub_sa[sub], li_0 + f * (li_1 - li_0), lam_li,
                            )  # fmt: skip
                            v_prev = v_l
                        i_eff = sub_i[m - 1]
                    else:
                        m = 0  # undone: the plain sub-step (and its cut-off search) instead
                if m <= 1:
                    i_eff = _advance(sa, pa, sc, pc, i_set, h, work)
                    v = cell_voltage_V(sa, pa, sc, pc, i_eff, work)
                plateau = abs(v - v_sub) < PLATEAU_DV_PER_SUBSTEP_V * max(m, 1)
                exhausted = abs(i_eff) < abs(i_set) * (1.0 - EXHAUSTED_RTOL)
                if _hit(v, sign, v_upper_V[k], v_lower_V[k]) or exhausted:
                    h, i_eff, v = _cc_crossing(
                        sa, pa, sc, pc, sa_b, sc_b, sa_lo, sc_lo, sa_x, i_set, h, sign,
                        v_upper_V[k], v_lower_V[k], v_sub, v, exhausted, work, sc_w, search,
                        hint,
                    )  # fmt: skip
                    done = True
                if sa[S_SHORT] > 0.0 and sign < 0.0:
                    done = True  # a shorted cell delivers nothing
            else:
                i_eff = _cv_step(sa, pa, sc, pc, voltage_V[k], i_cv, h, work, sa_b, sc_b, search)
                v = cell_voltage_V(sa, pa, sc, pc, i_eff, work)
                ratio = abs(i_eff) / abs(i_cv) if i_cv != 0.0 else 0.0
                if abs(i_eff) <= abs(i_cutoff_mA_cm2[k]) or i_eff == 0.0:
                    done = True
                # adapt the step to the taper: ~5-20 % current change per step
                if ratio > 0.95:
                    dt = min(dt * 1.6, t_nominal / 4.0)
                elif ratio < 0.8:
                    dt = max(dt * 0.5, CV_FIRST_STEP_S * 0.1)
                if i_eff != 0.0:
                    i_cv = i_eff
            if mo == MODE_CV and q_step + abs(i_eff) * h / SECONDS_PER_HOUR >= q_cut:
                done = True
            t, t_step, q_step, n_rec = _close_substep(
                rec, n_rec, cyc, c_idx, t, t_step, q_step, h, i_eff, v, v_prev,
                cycle[k], k + 1, sa, _cathode_li(sc, pc, part), lam_li,
            )  # fmt: skip
            v_prev = v
            v_sub = v
        last_of_cycle = k == n_steps - 1 or cycle[k + 1] != cycle[k]
        if last_of_cycle:
            cyc[c_idx, CYC_ACT_END] = sa[S_ACT]
            cyc[c_idx, CYC_DEAD_END] = sa[S_DEAD]
            cyc[c_idx, CYC_SEI_END] = sa[S_SEI]
            cyc[c_idx, CYC_CATH_CAP] = cathode_li_capacity_mAh_cm2(pc)
            cyc[c_idx, CYC_SHORT] = sa[S_SHORT]
            cyc[c_idx, CYC_SOFT_SHORTS] = sa[S_NFUSED]
            cyc[c_idx, CYC_R_INT] = interface_resistance_ohm_cm2(
                sa, pa
            ) + dead_layer_resistance_ohm_cm2(sa, pa)
            # cathode ageing: lost LFP takes its Li with it (booked in lam_li)
            hours = (t - t_cycle_start) / SECONDS_PER_HOUR
            frac = 1.0 - (1.0 - pc[IDX_LAM_PER_CYCLE]) * math.exp(-pc[IDX_LAM_PER_HOUR] * hours)
            if frac > 0.0:
                lam_li += (
                    frac
                    * cathode_stoichiometry_into(sc, pc, part)
                    * cathode_li_capacity_mAh_cm2(pc)
                )
                apply_active_material_loss(pc, frac)
            t_cycle_start = t
    return n_rec


def record_rows(mode: np.ndarray, n_sub: int) -> int:
    """Rows :func:`run_full_cell` may write for a protocol with these step ``mode`` codes and
    ``n_sub`` sub-steps per nominal step (CC: ``SAFETY_FACTOR n_sub`` + the start row; CV: the
    adaptive taper, bounded by :data:`CV_MAX_ROWS`; rest: 11)."""
    mode = np.asarray(mode)
    per = np.where(
        mode == MODE_CC,
        int(SAFETY_FACTOR * n_sub) + 4,
        np.where(mode == MODE_CV, CV_MAX_ROWS, 12),
    )
    return int(per.sum()) + 16
