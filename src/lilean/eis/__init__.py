"""Measured impedance spectra: the table, the readers, circuit fits, lin-KK and plots.

=============================  ===========================================================
module                         what
=============================  ===========================================================
:mod:`lilean.eis.io`           :class:`ImpedanceData` (the table, sign convention) and the
                               readers (registered in :mod:`lilean.io.registry` with
                               ``kind = "impedance"``)
:mod:`lilean.eis.ivium`        the Ivium ``.idf`` reader
:mod:`lilean.eis.analysis`     equivalent-circuit fits (impedance.py) and lin-KK
:mod:`lilean.eis.plotting`     Nyquist and Bode plots
:mod:`lilean.eis.workflow`     file -> fit + lin-KK (+ figures): ``lilean eis fit``
=============================  ===========================================================

The twin's small-signal model is not here: it is :mod:`lilean.models.impedance` (a model), and
its spectra use the same table (:meth:`ImpedanceData.from_arrays`).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ImpedanceData": "io",
    "read_eis": "io",
    "detect_eis_format": "io",
    "IMPEDANCE_CONVENTION": "io",
    "fit_circuit": "analysis",
    "linkk": "analysis",
    "EISFit": "analysis",
    "DEFAULT_CIRCUIT": "analysis",
    "CIRCUITS": "analysis",
    "analyze_eis_file": "workflow",
    "plot_nyquist": "plotting",
    "plot_bode": "plotting",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lilean.eis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lilean.eis.{module}"), name)
