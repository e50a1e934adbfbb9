"""What kernels that allocate nothing share: their compile option and a copy loop.

A time loop allocates its scratch once, outside the kernel
(:func:`lilean.models.full_cell.run_full_cell`, :func:`lilean.models.cathode.run_constant_current`),
and the kernel works on its arguments and views of them only, compiled with
:data:`WITHOUT_REFCOUNT`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

#: numba option of a kernel that allocates nothing (it works on its arguments, views of them and
#: scratch its caller allocates): no reference counting of arrays. With it on, numba's runtime
#: (NRT) increments and decrements an atomic counter for every view a kernel makes, e.g. each
#: slice of a scratch array: ~12 % of the 303-cycle full cell's kernel time (perf samples in
#: ``NRT_incref``/``NRT_decref``). numba compiles the functions such a kernel calls the same way,
#: so none of them may allocate either (numba refuses to compile one that does).
WITHOUT_REFCOUNT: dict[str, Any] = {"_nrt": False}


@njit(cache=True, error_model="numpy", inline="always")
def copy_into(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[:] = src`` as a plain loop (numba's slice assignment may copy the source through a
    temporary, an allocation, which :data:`WITHOUT_REFCOUNT` kernels cannot make)."""
    for k in range(src.size):
        dst[k] = src[k]
