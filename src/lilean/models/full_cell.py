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
* CC (mode 1): ``n_sub`` steps per nominal step time ``Q_cath / |i|``; the last step before a voltage
  cut-off is shortened by bisection so that the cut-off is hit to 0.1 mV or 1e-3 of a step;
* CV hold (mode 2): per step, the current that gives ``V = V_hold`` is found by bisection with the
  state frozen (semi-implicit), until ``|i| <= i_cutoff`` or the duration ends.

A step without a voltage or time limit ends after ``3 x`` its nominal time (safety). When a protrusion
shorts the cell (:mod:`lilean.models.anode`), the current bypasses the electrodes through the Li
filament: no more Li moves, the voltage is ``i R_short``, a charge never reaches its cut-off (it ends at
the safety time) and a discharge ends at once, so the delivered capacity drops to zero.

Cathode ageing (documented in :mod:`lilean.models.cathode`): after every cycle a fraction
``lam_c + lam_h * hours`` of the LFP is removed with its Li (``apply_active_material_loss``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import njit

from lilean.models._numba_cache import drop_stale_numba_cache
from lilean.models.anode import (
    P_RSHORT,
    S_ACT,
    S_DEAD,
    S_SEI,
    S_SHORT,
    anode_overpotential_V,
    anode_step,
    dead_layer_resistance_ohm_cm2,
    interface_resistance_ohm_cm2,
)
from lilean.models.cathode import (
    FARADAY,
    IDX_C_MAX,
    IDX_EPS_S,
    IDX_L_P,
    IDX_LAM_PER_CYCLE,
    IDX_LAM_PER_HOUR,
    apply_active_material_loss,
    cathode_potential_V,
    cathode_step,
    cathode_stoichiometry,
)

drop_stale_numba_cache(
    __file__, *(str(Path(__file__).with_name(n)) for n in ("anode.py", "cathode.py"))
)

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
) = range(10)
N_CYC = 10


@njit(cache=True)
def cathode_li_capacity_mAh_cm2(pc: np.ndarray) -> float:
    """Li capacity of the remaining LFP for x: 0 -> 1, ``eps_s L_p c_max F / 3.6 * 1e-4`` [mAh/cm^2]."""
    return pc[IDX_EPS_S] * pc[IDX_L_P] * pc[IDX_C_MAX] * FARADAY / 3.6 * 1e-4


@njit(cache=True)
def cell_voltage_V(
    sa: np.ndarray, pa: np.ndarray, sc: np.ndarray, pc: np.ndarray, i_mA_cm2: float
) -> float:
    """``V = E_LFP(i) - eta_anode(-i)`` [V] at cell current density ``i_mA_cm2`` (+ = charge)."""
    if sa[S_SHORT] > 0.0:
        return i_mA_cm2 * pa[P_RSHORT] * 1e-3
    return cathode_potential_V(sc, pc, 10.0 * i_mA_cm2) - anode_overpotential_V(sa, pa, -i_mA_cm2)


@njit(cache=True)
def _advance(
    sa: np.ndarray, pa: np.ndarray, sc: np.ndarray, pc: np.ndarray, i_mA_cm2: float, dt: float
) -> float:
    """Advance anode then cathode by ``dt``; return the cell current density actually passed."""
    if sa[S_SHORT] > 0.0:
        anode_step(sa, pa, 0.0, dt)
        cathode_step(sc, pc, 0.0, dt)
        return i_mA_cm2
    passed = anode_step(sa, pa, -i_mA_cm2, dt)  # anode oxidation charge, mAh/cm^2
    i_eff = -passed * 3600.0 / dt if dt > 0.0 else 0.0
    cathode_step(sc, pc, 10.0 * i_eff, dt)
    return i_eff


@njit(cache=True)
def _hit(v: float, sign: float, v_up: float, v_lo: float) -> bool:
    if not math.isfinite(v):
        return True
    if sign > 0.0:
        return v >= v_up
    if sign < 0.0:
        return v <= v_lo
    return False


@njit(cache=True)
def _cv_current(
    sa: np.ndarray, pa: np.ndarray, sc: np.ndarray, pc: np.ndarray, v_set: float, i_max: float
) -> float:
    """Current density (same sign as ``i_max``) that gives ``V = v_set`` with the state frozen."""
    lo = 0.0
    hi = i_max
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        v = cell_voltage_V(sa, pa, sc, pc, mid)
        over = (v > v_set) if i_max > 0.0 else (v < v_set)
        if over or not math.isfinite(v):
            hi = mid
        else:
            lo = mid
    return lo


@njit(cache=True)
def _record(
    rec: np.ndarray,
    n: int,
    t: float,
    v: float,
    i: float,
    cycle: int,
    step: int,
    sa: np.ndarray,
    sc: np.ndarray,
    pc: np.ndarray,
    lam_li: float,
) -> None:
    rec[n, REC_TIME] = t
    rec[n, REC_V] = v
    rec[n, REC_I] = i
    rec[n, REC_CYCLE] = cycle
    rec[n, REC_STEP] = step
    rec[n, REC_ACT] = sa[S_ACT]
    rec[n, REC_DEAD] = sa[S_DEAD]
    rec[n, REC_SEI] = sa[S_SEI]
    rec[n, REC_CATH] = cathode_stoichiometry(sc, pc) * cathode_li_capacity_mAh_cm2(pc)
    rec[n, REC_LAM] = lam_li


@njit(cache=True)
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
    rec: np.ndarray,
    cyc: np.ndarray,
) -> int:
    """Run the protocol in place on anode state ``sa`` and cathode state ``sc``.

    Currents and capacities per geometric cm^2. ``pc`` is modified (cathode ageing): pass a copy.
    Writes one row per solver step into ``rec`` (columns ``REC_*``) and one row per protocol cycle
    into ``cyc`` (``CYC_*``; cycle n in row n - 1). Returns the number of rows written to ``rec``
    (recording stops silently when ``rec`` is full; the simulation goes on).
    """
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
        if mo == 0:
            t_end = duration_s[k]
            dt = max(t_end / 10.0, 1.0)
        else:
            i_ref = abs(i_set) if mo == 1 else abs(i_cutoff_mA_cm2[k]) * 20.0
            if i_ref <= 0.0:
                i_ref = q_cath  # 1C as a fallback time scale
            t_nominal = q_cath / i_ref * 3600.0
            t_end = min(duration_s[k], 3.0 * t_nominal)
            dt = t_nominal / n_sub
        sign = 1.0 if i_set > 0.0 else (-1.0 if i_set < 0.0 else 0.0)
        i_cv = 0.0
        if mo == 2:
            # hold: direction from the previous step's sign of current
            sign = 1.0 if (k == 0 or current_mA_cm2[k - 1] >= 0.0) else -1.0
            i_cv = sign * q_cath * 10.0  # start the search below 10C
        t_step = 0.0
        q_step = 0.0
        done = False
        if n_rec < cap_rec:  # a row at the start of the step (the current is constant within CC)
            i0 = (
                0.0
                if mo == 0
                else (i_set if mo == 1 else _cv_current(sa, pa, sc, pc, voltage_V[k], i_cv))
            )
            _record(
                rec,
                n_rec,
                t,
                cell_voltage_V(sa, pa, sc, pc, i0),
                i0,
                cycle[k],
                k + 1,
                sa,
                sc,
                pc,
                lam_li,
            )
            n_rec += 1
        while not done and t_step < t_end - 1e-9:
            h = min(dt, t_end - t_step)
            i_now = i_set
            if mo == 0:
                i_now = 0.0
            elif mo == 2:
                i_now = _cv_current(sa, pa, sc, pc, voltage_V[k], i_cv)
                i_cv = i_now if i_now != 0.0 else i_cv
                if abs(i_now) <= i_cutoff_mA_cm2[k]:
                    break
            sa_b = sa.copy()
            sc_b = sc.copy()
            i_eff = _advance(sa, pa, sc, pc, i_now, h)
            v = cell_voltage_V(sa, pa, sc, pc, i_eff)
            exhausted = abs(i_eff) < abs(i_now) * (1.0 - 1e-9)
            if mo == 1 and _hit(v, sign, v_upper_V[k], v_lower_V[k]) and not exhausted:
                lo = 0.0
                hi = h
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    sa[:] = sa_b
                    sc[:] = sc_b
                    i_m = _advance(sa, pa, sc, pc, i_now, mid)
                    v_m = cell_voltage_V(sa, pa, sc, pc, i_m)
                    if _hit(v_m, sign, v_upper_V[k], v_lower_V[k]):
                        hi = mid
                    else:
                        lo = mid
                    if hi - lo < 1e-3 * h:
                        break
                sa[:] = sa_b
                sc[:] = sc_b
                h = hi
                i_eff = _advance(sa, pa, sc, pc, i_now, h)
                v = cell_voltage_V(sa, pa, sc, pc, i_eff)
                if not math.isfinite(v):
                    v = v_upper_V[k] if sign > 0.0 else v_lower_V[k]
                done = True
            if exhausted and mo == 1:
                # the reservoir is empty: the anode potential diverges to the cut-off
                v = v_lower_V[k] if sign < 0.0 else v_upper_V[k]
                done = True
            if sa[S_SHORT] > 0.0 and sign < 0.0:
                done = True
            dq = abs(i_eff) * h / 3600.0
            t += h
            t_step += h
            q_step += dq
            if i_eff > 0.0:
                cyc[c_idx, CYC_CHARGE] += dq
                cyc[c_idx, CYC_V_CHARGE] += v * dq
            elif i_eff < 0.0:
                cyc[c_idx, CYC_DISCHARGE] += dq
                cyc[c_idx, CYC_V_DISCHARGE] += v * dq
            if q_step >= capacity_cutoff_mAh_cm2[k]:
                done = True
            if n_rec < cap_rec:
                _record(rec, n_rec, t, v, i_eff, cycle[k], k + 1, sa, sc, pc, lam_li)
                n_rec += 1
        last_of_cycle = k == n_steps - 1 or cycle[k + 1] != cycle[k]
        if last_of_cycle:
            cyc[c_idx, CYC_ACT_END] = sa[S_ACT]
            cyc[c_idx, CYC_DEAD_END] = sa[S_DEAD]
            cyc[c_idx, CYC_SEI_END] = sa[S_SEI]
            cyc[c_idx, CYC_CATH_CAP] = cathode_li_capacity_mAh_cm2(pc)
            cyc[c_idx, CYC_SHORT] = sa[S_SHORT]
            cyc[c_idx, CYC_R_INT] = interface_resistance_ohm_cm2(
                sa, pa
            ) + dead_layer_resistance_ohm_cm2(sa, pa)
            # cathode ageing: lost LFP takes its Li with it (booked in lam_li)
            hours = (t - t_cycle_start) / 3600.0
            frac = 1.0 - (1.0 - pc[IDX_LAM_PER_CYCLE]) * math.exp(-pc[IDX_LAM_PER_HOUR] * hours)
            if frac > 0.0:
                lam_li += frac * cathode_stoichiometry(sc, pc) * cathode_li_capacity_mAh_cm2(pc)
                apply_active_material_loss(pc, frac)
            t_cycle_start = t
    return n_rec
