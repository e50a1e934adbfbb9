"""LiFePO4 cathode parameters (filled in by the cathode model; see models/cathode.py)."""

from __future__ import annotations

from lilean.parameters.core import ParameterGroup


class CathodeParameters(ParameterGroup):
    """LFP single-particle-with-electrolyte parameters."""
