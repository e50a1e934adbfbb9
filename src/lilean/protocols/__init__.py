"""Experiment protocols: PyBaMM-style step strings -> :class:`Step` -> :class:`Experiment` ->
:class:`CompiledProtocol` (flat arrays for the models), and the study's protocols
(:mod:`lilean.protocols.study`)."""

from lilean.protocols.parser import parse_quantity
from lilean.protocols.steps import (
    MODE_CC,
    MODE_CV,
    MODE_REST,
    CompiledProtocol,
    Experiment,
    Step,
    parse_step,
    to_amperes,
    to_mAh,
)

__all__ = [
    "MODE_CC",
    "MODE_CV",
    "MODE_REST",
    "CompiledProtocol",
    "Experiment",
    "Step",
    "parse_quantity",
    "parse_step",
    "to_amperes",
    "to_mAh",
]
