"""The compiled right-hand side of the nucleation ODE (``_rhs_kernel``, numba) is the Python one
(``_Constants.rhs``) it replaced in the solver, and the vectorised ``faradaic`` is the per-point one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lilean.models.nucleation import _constants, _rhs_kernel
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
        got = _rhs_kernel(0.0, y, *c.kernel_args())
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
