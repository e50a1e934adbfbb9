"""Parameters: typed, frozen, with unit and provenance. See :mod:`lilean.parameters.core`."""

from lilean.parameters.core import Param, ParameterGroup, spec
from lilean.parameters.set import SUBSTRATES, ParameterSet, default_parameters

__all__ = ["SUBSTRATES", "Param", "ParameterGroup", "ParameterSet", "default_parameters", "spec"]
