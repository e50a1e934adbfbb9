"""Voxel codes shared by the two lattice models (Ag plumes, Li deposition).

One byte per voxel (``numpy.uint8``); axis 0 of every occupancy array is the height z, then y, x.
The plume model (:mod:`lilean.lattice.plumes`) uses codes 0-3, the Li deposition model
(:mod:`lilean.lattice.deposition`) adds 4 and 5, so a grown plume structure is a valid deposition
substrate as it is.

The values are compiled into the cached numba kernels of :mod:`lilean.lattice.kernels` (numba's
on-disk cache is keyed on the kernel file only): they are part of the file format of every saved
occupancy array and do not change.
"""

from __future__ import annotations

EMPTY = 0
"""Solution / electrolyte."""
CU = 1
"""Cu metal (the foil)."""
AG = 2
"""Ag metal (plumes grown by galvanic displacement)."""
AGCUF3 = 3
"""AgCuF3 precipitate (insulating, blocks growth)."""
LI = 4
"""Li metal (deposited)."""
LIAG = 5
"""Li-Ag alloy (a lithiated Ag voxel)."""

CODES = {"empty": EMPTY, "cu": CU, "ag": AG, "agcuf3": AGCUF3, "li": LI, "liag": LIAG}
"""Name -> code, the one list of voxel codes."""

__all__ = ["AG", "AGCUF3", "CODES", "CU", "EMPTY", "LI", "LIAG"]
