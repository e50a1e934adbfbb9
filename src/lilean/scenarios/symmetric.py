"""Scenario ``symmetric``: Li-substrate || Li-substrate cells (:mod:`lilean.models.symmetric`).

Per-cycle metrics come from :func:`lilean.analysis.symmetric.analyze_symmetric`, computed lazily on
the result (``result``), not inside the model run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lilean.parameters.set import ParameterSet
from lilean.scenarios.base import ResultBase, Scenario, none_if_nan, output, sim_meta
from lilean.schema import CyclingData, build_table


@dataclass(frozen=True, repr=False)
class SymmetricSimulation(ResultBase):
    """A simulated symmetric cell: table, final electrode states and (lazily) per-cycle metrics."""

    data: CyclingData
    we_states: np.ndarray
    ce_states: np.ndarray
    electrolyte: dict[str, Any] = field(default_factory=dict)  # lilean.models.electrolyte
    #: when the cycler stopped the test at its safety limit (a dried-out cell), h; None: ran to the end
    stopped_h: float | None = None
    scenario = "symmetric"

    @cached_property
    def result(self) -> Any:
        """:class:`lilean.analysis.symmetric.SymmetricResult` of ``data`` (computed on first use)."""
        from lilean.analysis.symmetric import analyze_symmetric

        return analyze_symmetric(self.data)

    @property
    def summary(self) -> pd.DataFrame:
        """Per-cycle table of the analysis (:meth:`SymmetricResult.table`)."""
        table: pd.DataFrame = self.result.table
        return table

    def _failure_h(self) -> float | None:
        """The analysis' failure time; a test the cycler stopped (safety limit) failed there."""
        fail = none_if_nan(self.result.failure_h)
        if fail is None and self.stopped_h is not None:
            return float(self.stopped_h)
        return fail

    def to_dict(self) -> dict[str, Any]:
        """``cycle``, ``polarization_mV`` (per cycle), ``short_circuit_h``, ``failure_h`` (the
        analysis' failure, or the time the cycler stopped a dried-out cell),
        ``electrolyte`` (state at the end, :func:`lilean.models.electrolyte.electrolyte_state`)."""
        cycles = [c for c in self.result.cycles if c.polarization_mV is not None]
        return {
            "cycle": [int(c.cycle) for c in cycles],
            "polarization_mV": [float(c.polarization_mV) for c in cycles],
            "short_circuit_h": none_if_nan(self.result.short_circuit_h),
            "failure_h": self._failure_h(),
            "electrolyte": self.electrolyte,
        }


def simulate_symmetric(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float = 1.0,
    areal_capacity_mAh_cm2: float = 1.0,
    hours: float = 100.0,
    *,
    seed: int = 0,
) -> SymmetricSimulation:
    """Symmetric Li-substrate || Li-substrate cell, both electrodes made by electrodepositing
    ``cell.li_inventory_mAh_cm2`` at ``cell.li_deposition_current_density_mA_cm2`` (simulated, with
    its losses); the working electrode is stripped first (positive current). Both electrodes share
    the cell's electrolyte (``cell.electrolyte_volume_uL``): its consumption by SEI formation feeds
    back into the cell and ends it when it dries out (:mod:`lilean.models.electrolyte`)."""
    from lilean.models.anode import S_SALT, S_SOLV
    from lilean.models.electrolyte import electrolyte_capacity, electrolyte_state_from_fractions
    from lilean.models.symmetric import run_symmetric

    cell = params.cell
    anode = params.substrate(substrate).anode
    area = cell.electrode_area_cm2.value
    trace = run_symmetric(
        anode,
        li_mAh_cm2=cell.li_inventory_mAh_cm2.value,
        current_density_mA_cm2=current_density_mA_cm2,
        areal_capacity_mAh_cm2=areal_capacity_mAh_cm2,
        hours=hours,
        separator_thickness_um=cell.separator_thickness_um.value,
        temperature_C=cell.temperature_C.value,
        seed=seed,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
        electrolyte=electrolyte_capacity(params),
    )
    table = build_table(
        trace.time_s, trace.voltage_V, trace.current_density_mA_cm2 * area * 1e-3, cycle=trace.cycle
    )
    protocol = {
        "kind": "symmetric",
        "current_density_mA_cm2": current_density_mA_cm2,
        "areal_capacity_mAh_cm2": areal_capacity_mAh_cm2,
        "hours": hours,
        "seed": seed,
    }
    data = CyclingData(table, sim_meta(params, substrate, protocol, area_cm2=area))
    last = trace.we_states[-1]
    electrolyte: dict[str, Any] = dict(
        electrolyte_state_from_fractions(params, last[S_SALT], last[S_SOLV])
    )
    # when it dried out: the first half-cycle that ended dry (None: it did not)
    t_half_h = areal_capacity_mAh_cm2 / current_density_mA_cm2
    electrolyte["dry_out_h"] = None
    for k, st in enumerate(trace.we_states):
        if electrolyte_state_from_fractions(params, st[S_SALT], st[S_SOLV])["dry_out"]:
            electrolyte["dry_out_h"] = (k + 1) * t_half_h
            break
    electrolyte["test_stopped_h"] = float(trace.time_s[-1]) / 3600.0 if trace.time_s.size else 0.0
    t_end_h = electrolyte["test_stopped_h"]
    stopped = t_end_h if t_end_h < hours - 0.999 * 2 * t_half_h else None
    return SymmetricSimulation(data, trace.we_states, trace.ce_states, electrolyte, stopped)


def _nan_if_none(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _polarization(result: Any, how: str) -> float:
    pol = [c.polarization_mV for c in result.result.cycles if c.polarization_mV is not None]
    if not pol:
        return math.nan
    return float(pol[-1]) if how == "last" else float(np.mean(pol))


SCENARIO = Scenario(
    name="symmetric",
    simulate=simulate_symmetric,
    description="Li || Li symmetric cell: polarization, failure, shorts.",
    outputs=(
        output(
            "failure_h",
            lambda r: _nan_if_none(r.to_dict()["failure_h"]),
            "symmetric-cell failure time, h (NaN: no failure)",
        ),
        output(
            "short_circuit_h",
            lambda r: _nan_if_none(r.to_dict()["short_circuit_h"]),
            "time of the first short circuit, h (NaN: none)",
        ),
        output(
            "final_polarization_mV",
            lambda r: _polarization(r, "last"),
            "polarization of the last complete symmetric cycle, mV",
        ),
        output(
            "mean_polarization_mV",
            lambda r: _polarization(r, "mean"),
            "mean symmetric-cell polarization over all cycles, mV",
        ),
    ),
    analysis_kind="symmetric",
    fit_experiment="symmetric",
    fit_residuals=("polarization_mV",),
    default_free=(
        "anode.sei_resistivity_ohm_cm2_per_mAh",
        "anode.exchange_current_density_mA_cm2",
    ),
)
