"""The next trial of a bracketing root search on a step's length (the voltage cut-off searches).

Both cut-off searches (the full cell's :func:`lilean.models.full_cell._cc_crossing`, the half
cell's :func:`lilean.models.cathode.run_constant_current`) shorten a time step that crossed its
cut-off to the crossing: trials ``t`` in a bracket ``(t_lo, t_hi)`` whose low end is on the allowed
side and whose high end is past the cut-off (or where the voltage diverged: no finite residual).
:func:`bracket_trial` proposes the next ``t`` with Brent's safeguards (Brent1973, ch. 4).
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def bracket_trial(
    t_lo: float,
    f_lo: float,
    t_hi: float,
    f_hi: float,
    t_a: float,
    f_a: float,
    t_b: float,
    f_b: float,
    t_c: float,
    f_c: float,
    t_last: float,
    step_2: float,
    margin: float,
) -> float:
    """Next trial in ``(t_lo + margin, t_hi - margin)`` for the root of ``f`` (``f_lo`` at the
    allowed end, ``f_hi`` at the other: NaN where the function diverged there).

    ``(t_a, f_a)``, ``(t_b, f_b)``, ``(t_c, f_c)``: the three latest trials with a finite residual,
    latest first (NaN where there are fewer). Inverse quadratic interpolation through them, else the
    secant through the latest two (extrapolated from the allowed side where the high end has no
    finite residual), else regula falsi on the bracket; bisection where every interpolant leaves
    the bracket or the step from the last trial
    ``t_last`` is not below half of ``step_2`` (the step before last: the bracket then shrinks at
    least geometrically).
    """
    t = math.nan
    if math.isfinite(f_hi):
        if math.isfinite(f_c) and f_a != f_b and f_a != f_c and f_b != f_c:
            t = (
                t_a * f_b * f_c / ((f_a - f_b) * (f_a - f_c))
                + t_b * f_a * f_c / ((f_b - f_a) * (f_b - f_c))
                + t_c * f_a * f_b / ((f_c - f_a) * (f_c - f_b))
            )
    if not (t_lo + margin < t < t_hi - margin) and math.isfinite(f_b) and f_a != f_b:
        # (with no finite high end: extrapolated from the allowed side)
        t = t_a - f_a * (t_a - t_b) / (f_a - f_b)
    if not (t_lo + margin < t < t_hi - margin) and math.isfinite(f_hi) and f_hi != f_lo:
        t = t_lo - f_lo * (t_hi - t_lo) / (f_hi - f_lo)
    if not abs(t - t_last) < 0.5 * step_2:
        t = math.nan
    if not (t_lo + margin < t < t_hi - margin):
        t = 0.5 * (t_lo + t_hi)
    return t
