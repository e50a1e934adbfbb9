"""Scenario ``rate``: the study's rate test (:func:`lilean.protocols.study.rate_test`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lilean.parameters.set import ParameterSet
from lilean.scenarios.base import ResultBase, Scenario, output
from lilean.scenarios.cycling import cycling_summary
from lilean.scenarios.protocol import (
    DEFAULT_STEPS_PER_HALF_CYCLE,
    FULL_CELL_OUTPUTS,
    FullCellRun,
    run_experiment,
)
from lilean.schema import CyclingData


@dataclass(frozen=True, repr=False)
class RateSimulation(ResultBase):
    """The study's rate test: ``table`` has one row per C-rate block, ``summary`` one per cycle
    (both computed on first use)."""

    data: CyclingData
    run: FullCellRun = field(repr=False)
    plan: tuple[tuple[float, int], ...] = ()
    scenario = "rate"

    @cached_property
    def summary(self) -> pd.DataFrame:  # type: ignore[override]
        return cycling_summary(self.run, 1)

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per block: ``Block``, ``C-rate``, ``Cycles``, mean ``Discharge capacity [mAh/g]``."""
        summary = self.summary
        rows = []
        start = 0
        for block, (c, n) in enumerate(self.plan, start=1):
            part = summary.iloc[start : start + n]
            start += n
            rows.append(
                {
                    "Block": block,
                    "C-rate": float(c),
                    "Cycles": [int(x) for x in part["Cycle"]],
                    "Discharge capacity [mAh/g]": float(part["Discharge capacity [mAh/g]"].mean()),
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """``c_rate`` and ``discharge_capacity_mAh_g`` (mean of each block)."""
        return {
            "c_rate": [float(c) for c in self.table["C-rate"]],
            "discharge_capacity_mAh_g": [
                float(q) for q in self.table["Discharge capacity [mAh/g]"]
            ],
        }


def simulate_rate(
    params: ParameterSet,
    substrate: str,
    *,
    cathode_loading_mAh_cm2: float = 0.4,
    li_inventory_mAh_cm2: float = 10.0,
    c_rates: tuple[float, ...] = (0.5, 1, 2, 3, 4, 5),
    seed: int = 0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
) -> RateSimulation:
    """Rate test: 3 cycles at ``c_rates[0]``, 5 at each further rate, then 5 back at 1C (the study's
    protocol, :func:`lilean.protocols.study.rate_test`); one row per block, the final 1C block
    included (its ``C-rate`` is 1)."""
    from lilean.protocols.study import rate_test

    experiment = rate_test(
        tuple(c_rates),
        v_lower=params.cell.lower_cutoff_V.value,
        v_upper=params.cell.upper_cutoff_V.value,
    )
    plan = ((c_rates[0], 3), *((c, 5) for c in c_rates[1:]), (1.0, 5))
    run = run_experiment(
        params,
        substrate,
        experiment,
        cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
        li_inventory_mAh_cm2=li_inventory_mAh_cm2,
        seed=seed,
        steps_per_half_cycle=steps_per_half_cycle,
        protocol_info={"kind": "rate_test", "c_rates": list(c_rates)},
    )
    return RateSimulation(run.data, run, plan)


def _rate_at(which: str) -> Any:
    def get(result: Any) -> float:
        table = result.table
        q = table["Discharge capacity [mAh/g]"].to_numpy(dtype=float)
        if which == "max":
            # the highest-rate block (the final 1C recovery block is not the max rate)
            return float(q[int(np.argmax(table["C-rate"].to_numpy(dtype=float)))])
        return float(q[-1] / q[0]) if q.size and q[0] > 0 else math.nan

    return get


SCENARIO = Scenario(
    name="rate",
    simulate=simulate_rate,
    description="The study's rate test: 3 cycles at the first rate, 5 at each next, then 1C.",
    outputs=(
        *FULL_CELL_OUTPUTS,
        output(
            "capacity_at_max_rate_mAh_g",
            _rate_at("max"),
            "mean discharge capacity of the highest C-rate block, mAh/g",
        ),
        output(
            "rate_recovery_ratio",
            _rate_at("recovery"),
            "final 1C block / first block mean discharge capacity",
        ),
    ),
    analysis_kind="rate",
)
