"""Paper-style figures (matplotlib, Agg canvas): :mod:`lilean.plotting.figures`.

Imported on first use so that ``import lilean`` stays fast and matplotlib-free.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = (
    "plot_voltage",
    "plot_deposition",
    "plot_symmetric",
    "plot_cycle_summary",
    "plot_dqdv",
    "plot_rate",
    "save_figure",
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lilean.plotting' has no attribute {name!r}")
    return getattr(importlib.import_module("lilean.plotting.figures"), name)
