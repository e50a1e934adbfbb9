"""Li nucleation on a substrate (one instance per substrate; see models/nucleation.py)."""

from __future__ import annotations

from lilean.parameters.core import ParameterGroup


class NucleationParameters(ParameterGroup):
    """Classical heterogeneous nucleation + double layer + Butler-Volmer growth parameters."""
