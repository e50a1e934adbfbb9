"""Moved to :mod:`lilean.eis.analysis` (fits, lin-KK) and :mod:`lilean.eis.workflow`
(:func:`analyze_eis_file`); a thin re-export."""

from lilean.eis.analysis import *  # noqa: F403
from lilean.eis.analysis import __all__ as _all
from lilean.eis.analysis import fit_notes as _fit_notes  # noqa: F401  (old private name)
from lilean.eis.workflow import analyze_eis_file

__all__ = [*_all, "analyze_eis_file"]
