"""The flat right-hand side of the nucleation ODE (``_rhs_closure``) is the method one
(``_Constants.rhs``) it replaced in the solver, the vectorised ``faradaic`` is the per-point one,
and the own LSODA stepping loop (``_solve_on_grid``) gives what ``solve_ivp`` with dense output gave."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from lilean.models.nucleation import _constants, _rhs_closure, _solve_on_grid
from lilean.parameters import default_parameters


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
@pytest.mark.parametrize("j", [0.1, 1.0, 5.0])
def test_kernel_equals_python_rhs(substrate: str, j: float) -> None:
    c = _constants(default_parameters(), substrate, j)[0]
    rng = np.random.default_rng(0)
    # overpotentials across the sign change and up to the exp cap, states from 0 to saturated
    etas = np.concatenate([rng.uniform(-0.2, 0.6, 200), [0.0, -1e-12, 1e-12, 5.0, -5.0, 40.0]])
    for eta in etas:
        y = np.array([eta, *rng.uniform(0.0, 1.2, 3), *rng.uniform(0.0, 2.0, 2)])
        y[3] = rng.choice([-0.5, y[3], 30.0])
        expected = np.array(c.rhs(0.0, y))
        got = np.array(_rhs_closure(*c.kernel_args())(0.0, y))
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0.0)


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_vectorised_faradaic_equals_per_point(substrate: str) -> None:
    c = _constants(default_parameters(), substrate, 1.0)[0]
    rng = np.random.default_rng(1)
    y = rng.uniform(0.0, 1.0, (6, 500))
    y[0] = rng.uniform(-0.3, 0.6, 500)
    y[3] = rng.uniform(-1.0, 20.0, 500)
    expected = [c.active_fraction(x3) * c.j_bv(e) for e, x3 in zip(y[0], y[3], strict=True)]
    np.testing.assert_allclose(c.faradaic(y), expected, rtol=1e-13, atol=1e-15 * c.i0_mA_cm2)
    assert math.isfinite(float(np.sum(c.faradaic(y))))


def _reference_solve(c: Any, t_end: float, first_step: float, fixed: np.ndarray) -> Any:
    """What simulate_nucleation did before :func:`_solve_on_grid`: ``solve_ivp`` with dense output,
    the dip located on ``sol.t`` and refined by ``brentq`` on ``sol.sol``, all evaluated at once."""
    sol = solve_ivp(
        c.rhs,
        (0.0, t_end),
        np.zeros(6),
        method="LSODA",
        rtol=1e-8,
        atol=np.array([1e-9, 1e-12, 1e-12, 1e-12, 1e-9 * c.j_mA_cm2, 1e-12]),
        dense_output=True,
        first_step=first_step,
    )
    g = c.j_mA_cm2 - c.faradaic(sol.y)
    down = np.flatnonzero((g[:-1] > 0) & (g[1:] <= 0))
    dips: list[float] = []
    if down.size:
        k = int(down[0])

        def g_t(t: float) -> float:
            y = sol.sol(t)
            return c.j_mA_cm2 - c.active_fraction(y[3]) * c.j_bv(y[0])

        a, b = float(sol.t[k]), float(sol.t[k + 1])
        if g_t(a) > 0 >= g_t(b):
            dips = [brentq(g_t, a, b, xtol=1e-15, rtol=1e-12)]
        else:
            dips = [b if g[k + 1] == 0 else a]
    grid = np.unique(np.clip(np.concatenate([fixed, dips]), 0.0, t_end))
    return grid, sol.sol(grid), sol.nfev


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
@pytest.mark.parametrize("j", [0.1, 1.0, 3.0])
def test_solve_on_grid_equals_solve_ivp_dense_output(substrate: str, j: float) -> None:
    c = _constants(default_parameters(), substrate, j)[0]
    t_end = 1.0 * 3600.0 / j
    t_dl = c.c_dl_mF_cm2 / c.j_mA_cm2
    fixed = np.unique(
        np.concatenate([[0.0], np.geomspace(t_dl * 1e-3, t_end, 300), np.linspace(0, t_end, 300)])
    )
    first_step = min(t_dl * 1e-4, t_end / 10)
    grid, y, info = _solve_on_grid(c, t_end, first_step, fixed)
    ref_grid, ref_y, ref_nfev = _reference_solve(c, t_end, first_step, fixed)
    assert grid.shape == ref_grid.shape
    np.testing.assert_allclose(grid, ref_grid, rtol=1e-10, atol=0.0)
    np.testing.assert_allclose(y, ref_y, rtol=1e-9, atol=1e-15)
    assert info["nfev"] == ref_nfev  # the same solver steps
    assert np.all(np.diff(grid) > 0)
