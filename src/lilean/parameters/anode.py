"""Li-lean anode parameters per substrate: Li inventory losses, corrosion, resistances, shorts."""

from __future__ import annotations

from lilean.parameters.core import ParameterGroup


class AnodeParameters(ParameterGroup):
    """Li inventory bookkeeping and interface evolution on one substrate."""
