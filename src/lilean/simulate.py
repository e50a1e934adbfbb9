"""Where parameters, protocol and model meet: the simulated experiments, one function each.

A thin facade over the scenario registry (:mod:`lilean.scenarios`, one module per experiment);
``from lilean.simulate import simulate_cycling`` keeps working. Every function returns a result
with ``.data`` (a canonical :class:`~lilean.schema.CyclingData`, or an
:class:`~lilean.eis.ImpedanceData` for EIS; ``meta.instrument = "lilean"``,
``meta.file_format = "simulation"``, ``meta.extra`` holding the substrate, the protocol and
``params.hash()``), ``.summary``, ``.to_frame()`` and ``.to_dict()`` (JSON-ready; the key names are
a contract with the CLI). Keyword defaults are the CLI's, so
``simulate_cycling(default_parameters(), "cu")`` runs ``lilean simulate cycling --substrate cu``.

* :func:`simulate_nucleation` - Li deposition on a bare substrate (:mod:`lilean.models.nucleation`).
* :func:`simulate_symmetric` - Li || Li cells (:mod:`lilean.models.symmetric`), metrics from
  :func:`lilean.analysis.symmetric.analyze_symmetric` on request.
* :func:`run_experiment` / :func:`simulate_protocol` - any protocol on a Li || LFP cell.
* :func:`simulate_cycling` - Li || LFP cycling (:mod:`lilean.models.full_cell`) with the study protocol
  (:func:`lilean.protocols.study.full_cell`), per-cycle metrics from
  :func:`lilean.analysis.cycling.cycle_summary` on request.
* :func:`simulate_rate` - the study's rate test (:func:`lilean.protocols.study.rate_test`).
* :func:`simulate_eis` - the impedance spectrum of the twin's state (:mod:`lilean.models.impedance`).
"""

from __future__ import annotations

from lilean.scenarios.base import Result
from lilean.scenarios.cycling import CyclingSimulation, simulate_cycling
from lilean.scenarios.eis import EISSimulation, simulate_eis
from lilean.scenarios.nucleation import NucleationSimulation, simulate_nucleation
from lilean.scenarios.protocol import (
    DEFAULT_STEPS_PER_HALF_CYCLE,
    INITIAL_LFP_STOICHIOMETRY,
    FullCellRun,
    run_experiment,
    simulate_protocol,
)
from lilean.scenarios.rate import RateSimulation, simulate_rate
from lilean.scenarios.symmetric import SymmetricSimulation, simulate_symmetric

__all__ = [
    "DEFAULT_STEPS_PER_HALF_CYCLE",
    "INITIAL_LFP_STOICHIOMETRY",
    "CyclingSimulation",
    "EISSimulation",
    "FullCellRun",
    "NucleationSimulation",
    "RateSimulation",
    "Result",
    "SymmetricSimulation",
    "run_experiment",
    "simulate_cycling",
    "simulate_eis",
    "simulate_nucleation",
    "simulate_protocol",
    "simulate_rate",
    "simulate_symmetric",
]
