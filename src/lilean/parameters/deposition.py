"""Lattice model of Li electrodeposition on Cu and Ag@Cu (see models/deposition_lattice.py)."""

from __future__ import annotations

from lilean.parameters.core import ParameterGroup


class DepositionLatticeParameters(ParameterGroup):
    """Li deposition morphology: site density, tip enhancement, Li-Ag alloying."""
