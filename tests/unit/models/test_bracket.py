"""The searches' trial rule (lilean.models._bracket.bracket_next): always inside the
bracket, and converging on smooth, steep and diverging crossings in a few trials."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.models._bracket import BRACKET_RECORD_SIZE, bracket_init, bracket_next, bracket_push


def _record(lo: float, f_lo: float, hi: float, f_hi: float) -> np.ndarray:
    rec = np.empty(BRACKET_RECORD_SIZE)
    bracket_init(rec, lo, f_lo, hi, f_hi)
    return rec


def _search(f: Callable[[float], float], tol_t: float) -> tuple[float, int]:
    """Drive the search as the cut-off searches do on [0, 1]: f < 0 allowed, f >= 0 or NaN
    (diverged) past the crossing. Returns the bracket's allowed end and the trials taken."""
    lo, hi = 0.0, 1.0
    f_lo, f_hi = f(lo), f(hi)
    rec = _record(lo, f_lo, hi, f_hi)
    for n in range(1, 200):
        t = bracket_next(rec, lo, f_lo, hi, f_hi, 0.0)
        assert lo < t < hi
        ft = f(t)
        bracket_push(rec, t, ft)
        if not math.isfinite(ft) or ft >= 0.0:
            hi, f_hi = t, ft
        else:
            lo, f_lo = t, ft
        if hi - lo < tol_t:
            return lo, n
    raise AssertionError("no convergence in 200 trials")


@settings(max_examples=200, deadline=None)
@given(
    root=st.floats(0.01, 0.99),
    steepness=st.floats(-30.0, 30.0).filter(lambda k: abs(k) > 1e-3),
)
def test_smooth_monotone_crossing_in_few_trials(root: float, steepness: float) -> None:
    # f rises through 0 at the root, curved (exponential) like a voltage near an electrode's end
    def f(t: float) -> float:
        return math.expm1(steepness * (t - root)) / steepness

    lo, n = _search(f, 1e-12)
    assert abs(lo - root) < 1e-11
    assert n <= 30  # bisection alone needs 40


@settings(max_examples=100, deadline=None)
@given(t_star=st.floats(0.05, 0.95), depth=st.floats(1e-9, 1e-3))
def test_diverging_crossing_stays_in_bracket_and_converges(t_star: float, depth: float) -> None:
    # a residual that diverges at t_star (no finite value beyond), crossing 0 `depth` before it,
    # linear in t up to t_star (the transformed voltage of a saturating surface)
    def f(t: float) -> float:
        return math.nan if t >= t_star else 1.0 - (t_star - t) / depth

    lo, n = _search(f, 1e-14)
    root = t_star - depth
    assert root - 1e-12 <= lo <= t_star
    assert n <= 40  # bisection alone needs 47


def test_bisects_without_finite_points() -> None:
    rec = _record(0.2, math.nan, 0.6, math.nan)
    t = bracket_next(rec, 0.2, math.nan, 0.6, math.nan, 0.0)
    assert t == 0.4
    assert np.isfinite(t)


def test_push_ignores_non_finite_residuals() -> None:
    rec = _record(0.0, -1.0, 1.0, math.nan)
    before = rec.copy()
    bracket_push(rec, 0.5, math.nan)
    np.testing.assert_array_equal(rec[:6], before[:6])
    bracket_push(rec, 0.5, -0.2)
    assert rec[0] == 0.5 and rec[1] == -0.2 and rec[2] == 0.0 and rec[3] == -1.0


def test_a_trial_on_the_root_is_followed_by_steps_in_from_it_not_by_bisection() -> None:
    """A trial that lands on the root (residual 0 or rounding) ends the bracket's high side there;
    every interpolant then lands on that end, and the trials step in from it (a thousandth of
    the bracket each) instead of bisecting up to it from the allowed side (a case hypothesis
    found: 32 trials, 18 of them halvings, before the step)."""
    root, k = 0.31023189690552955, 21.037420920975336

    def f(t: float) -> float:
        return math.expm1(k * (t - root)) / k

    lo, n = _search(f, 1e-12)
    assert abs(lo - root) < 1e-11
    assert n <= 18


def test_a_residual_flat_at_zero_still_converges_on_its_allowed_end() -> None:
    """Where the residual is exactly 0 over an interval, steps in from the high end land past
    the crossing again; bisection alternates with them, so the bracket still closes on the
    interval's lower end (the allowed side's last point)."""
    a, b = 0.4, 0.45

    def f(t: float) -> float:
        return t - a if t < a else (0.0 if t <= b else t - b)

    lo, n = _search(f, 1e-12)
    assert a - 1e-12 <= lo <= a
    assert n <= 80
