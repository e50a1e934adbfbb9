"""Sweep cases: the experiments a sweep can run, the scalar outputs it keeps (:data:`OUTPUTS`),
case ids, and running one case or a batch of cases in a worker.

The scenario list lives here (:data:`EXPERIMENTS`, :func:`_simulate`, :data:`OUTPUTS`), in one
module, so that a scenario registry can replace it in one place.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lilean.errors import LileanError
from lilean.parameters.set import ParameterSet

#: columns written for every case besides its inputs and outputs
META_COLUMNS = ("case_index", "case_id", "error", "elapsed_s")


class SweepError(LileanError):
    """A sweep spec or a sweep output folder is unusable."""


def require_sweep_extra(module: str) -> Any:
    """Import ``module`` (dask / distributed / SALib) or fail with the install command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise LileanError(
            f"sweeps need the optional package {module.split('.')[0]!r}: "
            "pip install 'lilean[sweep]'"
        ) from None


# ================================================================================================
# experiments and outputs
# ================================================================================================


def _simulate(name: str) -> Callable[..., Any]:
    import lilean.simulate as sim

    func: Callable[..., Any] = getattr(sim, f"simulate_{name}")
    return func


#: experiment name -> simulate function name in :mod:`lilean.simulate`
EXPERIMENTS = ("cycling", "rate", "symmetric", "nucleation", "eis")


def experiment_arguments(experiment: str) -> dict[str, inspect.Parameter]:
    """Keyword arguments of the experiment's simulate function (``params`` excluded)."""
    if experiment not in EXPERIMENTS:
        raise SweepError(f"unknown experiment {experiment!r}; expected one of {list(EXPERIMENTS)}")
    sig = inspect.signature(_simulate(experiment))
    return {k: v for k, v in sig.parameters.items() if k != "params"}


@dataclass(frozen=True)
class Output:
    """A named scalar computed from one simulate result."""

    name: str
    experiments: tuple[str, ...]
    func: Callable[[Any], float]
    description: str


def _last(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    return float(arr[-1]) if arr.size else math.nan


def _cycles_to(result: Any, percent: float) -> float:
    """First cycle after formation whose discharge capacity is below ``percent`` % of the first
    post-formation cycle's; NaN when the run never falls that low (right-censored)."""
    ret = result.summary["Retention [%]"].to_numpy(dtype=float)
    below = np.flatnonzero(ret < percent)
    return float(result.summary["Cycle"].iloc[below[0]]) if below.size else math.nan


def _initial_li(result: Any) -> float:
    """The Li inventory electrodeposited on the anode, mAh/cm^2 (the ``li_inventory_mAh_cm2``
    argument, from the result's protocol metadata)."""
    return float(result.data.meta.extra["protocol"]["li_inventory_mAh_cm2"])


def _life_per_li(result: Any) -> float:
    """Cycles to 80 % per mAh/cm^2 of Li on the anode (NaN if 80 % is never reached)."""
    return _cycles_to(result, 80.0) / _initial_li(result)


def _nan_if_none(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _symmetric_polarization(result: Any, how: str) -> float:
    pol = [c.polarization_mV for c in result.result.cycles if c.polarization_mV is not None]
    if not pol:
        return math.nan
    return float(pol[-1]) if how == "last" else float(np.mean(pol))


def _nuc(key: str) -> Callable[[Any], float]:
    def get(result: Any) -> float:
        return float(getattr(result.result, key))

    return get


def _rate_at(which: str) -> Callable[[Any], float]:
    def get(result: Any) -> float:
        table = result.table
        q = table["Discharge capacity [mAh/g]"].to_numpy(dtype=float)
        if which == "max":
            # the highest-rate block (the final 1C recovery block is not the max rate)
            return float(q[int(np.argmax(table["C-rate"].to_numpy(dtype=float)))])
        return float(q[-1] / q[0]) if q.size and q[0] > 0 else math.nan

    return get


_CYC = ("cycling",)
_FULL = ("cycling", "rate")

#: every output a sweep can keep; each is a float (NaN when undefined)
OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        Output(
            "cycles_to_80_percent",
            _CYC,
            lambda r: _cycles_to(r, 80.0),
            "first post-formation cycle with discharge capacity < 80 % of cycle 1 (NaN: never)",
        ),
        Output(
            "cycles_to_50_percent",
            _CYC,
            lambda r: _cycles_to(r, 50.0),
            "first post-formation cycle with discharge capacity < 50 % of cycle 1 (NaN: never)",
        ),
        Output(
            "cycles_to_80_percent_per_li_mAh_cm2",
            _CYC,
            _life_per_li,
            "cycles to 80 % divided by the Li inventory in mAh/cm^2 (life per mAh of Li)",
        ),
        Output(
            "final_discharge_capacity_mAh_g",
            _FULL,
            lambda r: _last(r.summary["Discharge capacity [mAh/g]"]),
            "discharge capacity of the last cycle, mAh per g of LFP",
        ),
        Output(
            "first_discharge_capacity_mAh_g",
            _FULL,
            lambda r: float(r.summary["Discharge capacity [mAh/g]"].iloc[0]),
            "discharge capacity of the first analysed cycle, mAh per g of LFP",
        ),
        Output(
            "final_retention_percent",
            _CYC,
            lambda r: _last(r.summary["Retention [%]"]),
            "last / first post-formation discharge capacity x 100",
        ),
        Output(
            "mean_coulombic_efficiency",
            _FULL,
            lambda r: float(np.nanmean(r.summary["Coulombic efficiency"].to_numpy(dtype=float))),
            "mean discharge/charge Coulombic efficiency over the analysed cycles",
        ),
        Output(
            "li_remaining_mAh_cm2",
            _FULL,
            lambda r: _last(r.summary["Active Li [mAh/cm2]"]),
            "active Li left on the anode after the last cycle, mAh/cm^2",
        ),
        Output(
            "li_remaining_fraction",
            _FULL,
            lambda r: _last(r.summary["Active Li [mAh/cm2]"]) / _initial_li(r),
            "active Li left / li_inventory_mAh_cm2 (the Li electrodeposited on the anode)",
        ),
        Output(
            "dead_li_mAh_cm2",
            _FULL,
            lambda r: _last(r.summary["Dead Li [mAh/cm2]"]),
            "dead (isolated) Li after the last cycle, mAh/cm^2",
        ),
        Output(
            "shorted",
            _FULL,
            lambda r: float(bool(np.any(r.summary["Shorted"].to_numpy(dtype=bool)))),
            "1 if the cell shorted in any analysed cycle, else 0",
        ),
        Output(
            "capacity_at_max_rate_mAh_g",
            ("rate",),
            _rate_at("max"),
            "mean discharge capacity of the highest C-rate block, mAh/g",
        ),
        Output(
            "rate_recovery_ratio",
            ("rate",),
            _rate_at("recovery"),
            "final 1C block / first block mean discharge capacity",
        ),
        Output(
            "failure_h",
            ("symmetric",),
            lambda r: _nan_if_none(r.to_dict()["failure_h"]),
            "symmetric-cell failure time, h (NaN: no failure)",
        ),
        Output(
            "short_circuit_h",
            ("symmetric",),
            lambda r: _nan_if_none(r.to_dict()["short_circuit_h"]),
            "time of the first short circuit, h (NaN: none)",
        ),
        Output(
            "final_polarization_mV",
            ("symmetric",),
            lambda r: _symmetric_polarization(r, "last"),
            "polarization of the last complete symmetric cycle, mV",
        ),
        Output(
            "mean_polarization_mV",
            ("symmetric",),
            lambda r: _symmetric_polarization(r, "mean"),
            "mean symmetric-cell polarization over all cycles, mV",
        ),
        Output(
            "nucleation_overpotential_mV",
            ("nucleation",),
            _nuc("nucleation_overpotential_mV"),
            "dip minus plateau potential, mV",
        ),
        Output("dip_mV", ("nucleation",), _nuc("dip_mV"), "most negative potential, mV"),
        Output("plateau_mV", ("nucleation",), _nuc("plateau_mV"), "growth plateau, mV"),
        Output(
            "interfacial_resistance_ohm_cm2",
            ("eis",),
            lambda r: float(r.interfacial_resistance_ohm_cm2),
            "anode interfacial (SEI + charge-transfer) resistance, ohm cm^2",
        ),
    )
}


# ================================================================================================
# cases
# ================================================================================================


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    return x


def case_id(
    experiment: str, fixed: dict[str, Any], inputs: dict[str, Any], params_hash: str
) -> str:
    """Stable 16-hex id of one case: sha256 of its experiment, fixed arguments, varied inputs and
    the base parameter-set hash (floats by their ``repr``, so the id is exact)."""
    payload = json.dumps(
        {
            "experiment": experiment,
            "fixed": {k: _jsonable(v) for k, v in sorted(fixed.items())},
            "inputs": {k: _jsonable(v) for k, v in sorted(inputs.items())},
            "params": params_hash,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def run_case(
    experiment: str,
    params: ParameterSet,
    fixed: dict[str, Any],
    inputs: dict[str, Any],
    outputs: tuple[str, ...],
) -> dict[str, Any]:
    """Run one case (in a worker) and return ``{output: float, "error": str | None,
    "elapsed_s": float}``; an exception becomes the ``error`` text, outputs NaN."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {name: math.nan for name in outputs}
    row["error"] = None
    try:
        merged = {**fixed, **inputs}
        dotted = {k: v for k, v in merged.items() if "." in k}
        kwargs = {k: _jsonable(v) for k, v in merged.items() if "." not in k}
        p = params.replace(dotted) if dotted else params
        result = _simulate(experiment)(p, **kwargs)
        for name in outputs:
            row[name] = float(OUTPUTS[name].func(result))
    except Exception as exc:  # recorded per case (error column); the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        row["error"] = f"{type(exc).__name__}: {exc}{where}"
    row["elapsed_s"] = time.perf_counter() - t0
    return row


def _run_batch(
    experiment: str,
    params: ParameterSet,
    fixed: dict[str, Any],
    batch: list[tuple[int, str, dict[str, Any]]],
    outputs: tuple[str, ...],
) -> list[dict[str, Any]]:
    return [
        {
            "case_index": i,
            "case_id": cid,
            **inputs,
            **run_case(experiment, params, fixed, inputs, outputs),
        }
        for i, cid, inputs in batch
    ]
