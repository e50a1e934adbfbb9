"""Old home of the Li deposition lattice model: re-exports :mod:`lilean.lattice.deposition`."""

from __future__ import annotations

from lilean.lattice.deposition import *  # noqa: F403
from lilean.lattice.deposition import __all__  # noqa: F401
