"""Lattice (voxel) models: Ag plume growth on Cu and Li electrodeposition on Cu / Ag@Cu.

* :mod:`lilean.lattice.codes` - the voxel codes both models share (0 electrolyte ... 5 Li-Ag);
* :mod:`lilean.lattice.kernels` - every numba kernel of both models (random numbers, periodic
  neighbours, the plume walker, the Li walker), public and in one file;
* :mod:`lilean.lattice.plumes` - :func:`~lilean.lattice.plumes.grow_plumes`, the process map;
* :mod:`lilean.lattice.deposition` - :func:`~lilean.lattice.deposition.deposit_li`, descriptors.

Importing this package loads nothing heavy; the submodules load numba on first use.
"""

from __future__ import annotations

from lilean.lattice.codes import AG, AGCUF3, CODES, CU, EMPTY, LI, LIAG

__all__ = ["AG", "AGCUF3", "CODES", "CU", "EMPTY", "LI", "LIAG"]
