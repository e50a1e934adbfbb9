"""The inline ``exp`` / ``log`` of :mod:`lilean.models._fastmath` against numpy (libm) over the
ranges the cathode kernels use, in ulp; and the loop over the particle classes is vectorised
(the reason they exist)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from lilean.models._fastmath import exp_fast, log_fast


@njit(cache=False)
def _exp_all(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for k in range(x.size):
        out[k] = exp_fast(x[k])
    return out


@njit(cache=False)
def _log_all(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for k in range(x.size):
        out[k] = log_fast(x[k])
    return out


def _ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


@pytest.mark.parametrize(("lo", "hi"), [(-708.0, -300.0), (-60.0, 0.0), (-1.0, 1.0), (0.0, 709.0)])
def test_exp_fast_is_within_one_ulp(lo: float, hi: float) -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(lo, hi, 200_000), np.linspace(lo, hi, 10_001)])
    err = _ulp_error(_exp_all(x), np.exp(x))
    assert err.max() <= 1.0, (x[err.argmax()], err.max())


def test_exp_fast_exact_points() -> None:
    x = np.array([0.0, 1.0, -1.0, np.log(2.0), -30.0, -45.0])
    np.testing.assert_allclose(_exp_all(x), np.exp(x), rtol=3e-16, atol=0.0)
    assert _exp_all(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize(("lo", "hi"), [(1e-300, 1e-14), (1e-14, 0.5), (0.5, 2.0), (2.0, 1e300)])
def test_log_fast_is_within_three_ulp_or_2e_16(lo: float, hi: float) -> None:
    rng = np.random.default_rng(11)
    x = np.exp(rng.uniform(np.log(lo), np.log(hi), 200_000))
    got, want = _log_all(x), np.log(x)
    err = np.abs(got - want)
    # near x = 1 log(x) -> 0: an absolute bound (the callers add it to O(1) terms)
    assert np.all((err <= 3.0 * np.spacing(np.abs(want))) | (err <= 2.3e-16)), (
        x[err.argmax()],
        err.max(),
    )


def test_log_fast_exact_points() -> None:
    x = np.array([1.0, 2.0, 0.5, np.e, 1e-14, 1.0 - 1e-14])
    got = _log_all(x)
    np.testing.assert_allclose(got, np.log(x), rtol=4e-16, atol=2.3e-16)
    assert got[0] == 0.0


def test_the_class_loop_is_vectorised() -> None:
    """:func:`lilean.models.cathode._class_potentials` compiles to packed (SIMD) instructions
    wherever the CPU has 256- or 512-bit vectors: without the inline exp/log it is scalar libm
    calls (``callq``) per class."""
    from lilean.models import cathode

    n = 12
    rng = np.random.default_rng(3)
    alpha = rng.uniform(0.05, 0.95, n)
    beta = np.full(n, 1e-3)
    j = rng.uniform(-5.0, 5.0, n)
    r = rng.uniform(0.0, 1e-3, n)
    out = [np.empty(n) for _ in range(4)]
    options = {**cathode._class_potentials.targetoptions, "cache": False}  # its flags, no cache
    options.pop("nopython", None)
    fn = njit(**options)(cathode._class_potentials.py_func)
    fn(n, alpha, beta, j, r, 3.0, 0.05, *out)
    for k in range(n):
        f, df, dfdx = cathode._class_potential(alpha[k], beta[k], j[k], r[k], 3.0, 0.05)
        assert out[0][k] == pytest.approx(f, rel=1e-14)
        assert out[1][k] == pytest.approx(df, rel=1e-14)
        assert out[2][k] == pytest.approx(dfdx, rel=1e-14, abs=1e-14)
    asm = fn.inspect_asm(fn.signatures[0])
    if "ymm" not in asm and "zmm" not in asm:
        pytest.skip("this CPU / LLVM emits no 256-bit vectors at all")
    # 92 packed double instructions on AVX-512 here; the same loop with libm exp/log: 30
    packed = asm.count("pd\t%ymm") + asm.count("pd\t%zmm")
    assert packed > 60, f"the class loop is not vectorised ({packed} packed instructions)"
