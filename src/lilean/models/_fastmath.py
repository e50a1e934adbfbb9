"""``exp`` and ``log`` as inline numba code (no libm call), so that the compiler can vectorise the
loops that use them (the particle-class Newton passes of :mod:`lilean.models.cathode`).

LLVM vectorises a loop over the classes only when every operation in it has a vector form; the
libm calls ``math.exp`` / ``math.log`` have none on a stock llvmlite (no SVML), so one such call
keeps the whole loop scalar. These versions are branch-free polynomials with the exponent handled
through the IEEE-754 bits (:func:`bits_of` / :func:`float_of`, LLVM ``bitcast``):

* :func:`exp_fast`: ``exp(x) = 2^n exp(r)``, ``n = round(x / ln 2)``, ``r = x - n ln 2`` with
  ``ln 2`` split in two parts (Cody and Waite's range reduction, Muller2016), ``|r| <= ln(2)/2``,
  ``exp(r)`` by its Taylor polynomial to ``r^13/13!`` (truncation < 2e-17 relative). Valid for
  ``-708 < x < 709`` (no overflow / underflow handling: the callers' arguments are bounded).
* :func:`log_fast`: ``x = m 2^k`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (the split taken on the
  bits, no branch), ``log m = 2 atanh(s)``, ``s = (m - 1) / (m + 1)``, ``|s| <= 0.1716``, the
  odd series to ``s^23`` (truncation < 1e-18). Valid for normal ``x > 0``.

Accuracy against numpy (``tests/unit/models/test_fastmath.py``): exp within 1 ulp, log within
3 ulp (absolute error below 2.3e-16) over the ranges the kernels use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits (21 trailing zero bits: n _LN2_HI is exact)
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of sqrt(1/2)


def _bitcast_float_to_int(typingctx: Any, x: Any) -> Any:
    if x != types.float64:
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _bitcast_int_to_float(typingctx: Any, x: Any) -> Any:
    if x != types.int64:
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


#: the IEEE-754 bits of a float64 as int64 (LLVM ``bitcast``: no instruction); numba code only
bits_of: Callable[[float], int] = intrinsic(_bitcast_float_to_int)  # type: ignore[assignment]
#: the float64 whose IEEE-754 bits are the int64 argument (LLVM ``bitcast``); numba code only
float_of: Callable[[int], float] = intrinsic(_bitcast_int_to_float)  # type: ignore[assignment]


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def exp_fast(x: float) -> float:
    """``exp(x)`` for ``-708 < x < 709`` (module docstring), within 1 ulp."""
    n = math.floor(x * _INV_LN2 + 0.5)  # round(x / ln 2), an int64 in numba
    n_f = float(n)
    r = (x - n_f * _LN2_HI) - n_f * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * float_of((n + 1023) << 52)


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def log_fast(x: float) -> float:
    """``log(x)`` for normal ``x > 0`` (module docstring), within 3 ulp."""
    bits = bits_of(x)
    k = (bits - _SQRT_HALF_BITS) >> 52  # x = m 2^k, m in [sqrt(1/2), sqrt(2))
    m = float_of(bits - (k << 52))
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    p = 1.0 / 23.0
    p = p * s2 + 1.0 / 21.0
    p = p * s2 + 1.0 / 19.0
    p = p * s2 + 1.0 / 17.0
    p = p * s2 + 1.0 / 15.0
    p = p * s2 + 1.0 / 13.0
    p = p * s2 + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    p = p * s2 + 1.0
    k_f = float(k)
    return k_f * _LN2_HI + (2.0 * s * p + k_f * _LN2_LO)
