"""``lilean reproduce``: every experiment of the study, from the digital twin, in one report.

The engine is :mod:`lilean.report.engine`; each section is one module of
:mod:`lilean.report.sections`, registered in :data:`lilean.report.sections.SECTIONS`. This module
keeps the historical import path (``from lilean.report.reproduce import reproduce``).
"""

from __future__ import annotations

from lilean.report.engine import (
    KINDS,
    Context,
    Measured,
    published,
    record,
    reproduce,
    scan_measured,
)
from lilean.report.sections import SECTIONS

#: the registered sections (historical name)
EXPERIMENTS = SECTIONS

__all__ = [
    "EXPERIMENTS",
    "KINDS",
    "SECTIONS",
    "Context",
    "Measured",
    "published",
    "record",
    "reproduce",
    "scan_measured",
]
