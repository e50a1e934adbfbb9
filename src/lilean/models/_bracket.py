"""Bracketing root search on a step's length or current (the cut-off and constant-voltage searches).

The full cell's cut-off search (:func:`lilean.models.full_cell._cc_crossing`) and CV hold
(:func:`lilean.models.full_cell._cv_step`) and the half cell's cut-off search
(:func:`lilean.models.cathode.run_constant_current`) all look for the root of a residual ``f`` in a
bracket ``(lo, hi)`` whose low end is on the allowed side (``f < 0``) and whose high end is past
it (``f >= 0``, or no finite residual where the voltage diverged). One rule proposes every trial,
Brent's safeguarded interpolation (Brent1973, ch. 4), on a small search record:

    bracket_init(rec, lo, f_lo, hi, f_hi)               # rec: BRACKET_RECORD_SIZE floats
    t = bracket_next(rec, lo, f_lo, hi, f_hi, margin)   # then evaluate f(t), narrow the bracket
    bracket_push(rec, t, f_t)                           # remember a finite residual
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import njit

from lilean.models._kernel import WITHOUT_REFCOUNT
from lilean.models._numba_cache import drop_stale_numba_cache

drop_stale_numba_cache(__file__, str(Path(__file__).with_name("_kernel.py")))

# the search record: the three latest finite points (a: latest), the last trial, the last two
# steps between trials and the last step in from the high end (:func:`bracket_next`)
_TA, _FA, _TB, _FB, _TC, _FC, _T_LAST, _STEP_1, _STEP_2, _T_END = range(10)
#: floats of a search record
BRACKET_RECORD_SIZE = 10
#: :func:`bracket_next`'s step in from a high end that is the root to rounding: this fraction of
#: the bracket (at least twice the margin), where the high end's residual is at most this fraction
#: of the allowed end's
END_STEP_FRACTION = 1e-3


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def bracket_init(rec: np.ndarray, lo: float, f_lo: float, hi: float, f_hi: float) -> None:
    """Start a search record in ``rec`` (:data:`BRACKET_RECORD_SIZE` floats, a search's scratch,
    reused from one search to the next) for the bracket ``(lo, hi)`` (``f_hi`` NaN where it is
    not finite)."""
    rec[:] = math.nan
    if math.isfinite(f_hi):
        rec[_TA], rec[_FA], rec[_TB], rec[_FB] = hi, f_hi, lo, f_lo
    else:
        rec[_TA], rec[_FA] = lo, f_lo
    rec[_T_LAST] = hi
    rec[_STEP_1] = 2.0 * (hi - lo)
    rec[_STEP_2] = 2.0 * (hi - lo)


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def bracket_push(rec: np.ndarray, t: float, f_t: float) -> None:
    """Remember the trial ``(t, f_t)`` among the latest finite points (ignored if ``f_t`` is not
    finite)."""
    if math.isfinite(f_t):
        rec[_TC], rec[_FC] = rec[_TB], rec[_FB]
        rec[_TB], rec[_FB] = rec[_TA], rec[_FA]
        rec[_TA], rec[_FA] = t, f_t


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def bracket_next(
    rec: np.ndarray, t_lo: float, f_lo: float, t_hi: float, f_hi: float, margin: float
) -> float:
    """Next trial in ``(t_lo + margin, t_hi - margin)`` for the root (``f_lo`` at the allowed end,
    ``f_hi`` at the other: NaN where the function diverged there); records it as the last trial.

    Inverse quadratic interpolation through the three latest finite points, else the secant
    through the latest two (extrapolated from the allowed side where the high end has no finite
    residual), else regula falsi on the bracket; bisection where every interpolant leaves the
    bracket or the step from the last trial is not below half of the step before last (the
    bracket then shrinks at least geometrically). Where the high end is the root to rounding
    (``|f_hi| <= END_STEP_FRACTION |f_lo|``: every interpolant lands on it), a step of
    :data:`END_STEP_FRACTION` of the bracket in from it instead of the bisection, which would
    creep up on it from the allowed side one halving a trial; not twice in a row where such a step
    landed past the crossing (a residual flat at zero: bisection between).
    """
    t_a, f_a, t_b, f_b, t_c, f_c = rec[_TA], rec[_FA], rec[_TB], rec[_FB], rec[_TC], rec[_FC]
    t = math.nan
    if math.isfinite(f_hi) and math.isfinite(f_c) and f_a != f_b and f_a != f_c and f_b != f_c:
        t = (
            t_a * f_b * f_c / ((f_a - f_b) * (f_a - f_c))
            + t_b * f_a * f_c / ((f_b - f_a) * (f_b - f_c))
            + t_c * f_a * f_b / ((f_c - f_a) * (f_c - f_b))
        )
    if not (t_lo + margin < t < t_hi - margin) and math.isfinite(f_b) and f_a != f_b:
        t = t_a - f_a * (t_a - t_b) / (f_a - f_b)
    if not (t_lo + margin < t < t_hi - margin) and math.isfinite(f_hi) and f_hi != f_lo:
        t = t_lo - f_lo * (t_hi - t_lo) / (f_hi - f_lo)
    if not abs(t - rec[_T_LAST]) < 0.5 * rec[_STEP_2]:
        t = math.nan
    if not (t_lo + margin < t < t_hi - margin):
        at_root = math.isfinite(f_hi) and abs(f_hi) <= END_STEP_FRACTION * abs(f_lo)
        if at_root and rec[_T_END] != t_hi:
            t = t_hi - max(2.0 * margin, END_STEP_FRACTION * (t_hi - t_lo))
            rec[_T_END] = t
        if not (t_lo + margin < t < t_hi - margin):
            t = 0.5 * (t_lo + t_hi)
    bracket_step(rec, t)
    return t


@njit(cache=True, error_model="numpy", **WITHOUT_REFCOUNT)
def bracket_step(rec: np.ndarray, t: float) -> None:
    """Record ``t`` as the last trial (for a trial chosen outside :func:`bracket_next`)."""
    rec[_STEP_2] = rec[_STEP_1]
    rec[_STEP_1] = abs(t - rec[_T_LAST])
    rec[_T_LAST] = t
