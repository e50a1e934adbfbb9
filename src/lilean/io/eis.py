"""Moved to :mod:`lilean.eis.io` (the EIS package owns measured spectra); a thin re-export."""

from lilean.eis.io import *  # noqa: F403
from lilean.eis.io import __all__  # noqa: F401
