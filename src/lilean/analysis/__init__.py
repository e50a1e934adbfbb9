"""The study's metrics, computed on the canonical table (measured or simulated alike).

Pure functions: they never read files and never run models.

========================================  =====================================================
function                                  what
========================================  =====================================================
:func:`kind.detect_kind`                  deposition / symmetric / cycling / rate, from the data
:func:`kind.assess_kind`                  the same with a confidence; :func:`kind.check_kind` refuses
:func:`quality.cycle_quality`             per-cycle quality flags (incomplete, CE band, spikes, V)
:func:`deposition.analyze_deposition`     nucleation dip, plateau, nucleation overpotential
:func:`symmetric.analyze_symmetric`       Li || Li overpotentials, polarization, failure, shorts
:func:`cycling.cycle_summary`             per-cycle capacity, CE, energy, voltage gap, retention
:func:`cycling.analyze_cycling`           the summary plus knee cycle and final retention
:func:`dqdv.dqdv`                         differential capacity of one charge / discharge
:func:`dqdv.differential_analysis`        dQ/dV, dV/dQ and peaks of both branches, per cycle
:func:`rate.rate_table`                   discharge capacity per C-rate block
:func:`eis.fit_circuit`                   equivalent-circuit fit of a spectrum (impedance.py)
:func:`eis.linkk`                         Kramers-Kronig validity (lin-KK)
========================================  =====================================================

Submodules are imported on first use (fast ``import lilean``). The functions listed above are also
available here (``from lilean.analysis import analyze_cycling``), except ``dqdv``, whose name is its
module's: use ``from lilean.analysis.dqdv import dqdv``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "detect_kind": "kind",
    "assess_kind": "kind",
    "check_kind": "kind",
    "cycle_quality": "quality",
    "differential_analysis": "dqdv",
    "analyze_deposition": "deposition",
    "DepositionResult": "deposition",
    "analyze_symmetric": "symmetric",
    "SymmetricResult": "symmetric",
    "cycle_summary": "cycling",
    "analyze_cycling": "cycling",
    "CyclingResult": "cycling",
    "rate_table": "rate",
    "fit_circuit": "eis",
    "linkk": "eis",
    "analyze_eis_file": "eis",
    "EISFit": "eis",
    "DEFAULT_CIRCUIT": "eis",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lilean.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lilean.analysis.{module}"), name)
