"""Moved to :mod:`lilean.eis.plotting`; a thin re-export."""

from lilean.eis.plotting import *  # noqa: F403
from lilean.eis.plotting import __all__  # noqa: F401
