"""Ag plume growth by galvanic displacement on Cu (see models/plumes.py)."""

from __future__ import annotations

from lilean.parameters.core import ParameterGroup


class PlumeParameters(ParameterGroup):
    """Lattice model of Cu + 2 Ag+ -> Cu2+ + 2 Ag with AgCuF3 precipitation."""
