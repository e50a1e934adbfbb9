"""Old home of the Ag plume lattice model: re-exports :mod:`lilean.lattice.plumes`."""

from __future__ import annotations

from lilean.lattice.plumes import *  # noqa: F403
from lilean.lattice.plumes import __all__  # noqa: F401
