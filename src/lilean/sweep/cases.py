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
from typing import Any

import numpy as np

from lilean.errors import LileanError, SweepError
from lilean.parameters.set import ParameterSet
from lilean.scenarios import OUTPUTS, SWEEP_EXPERIMENTS, Output, get_scenario  # noqa: F401

#: columns written for every case besides its inputs and outputs
META_COLUMNS = ("case_index", "case_id", "error", "elapsed_s")


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
    func: Callable[..., Any] = get_scenario(name).simulate
    return func


#: experiment names: the sweepable scenarios of :mod:`lilean.scenarios` (a live view)
EXPERIMENTS = SWEEP_EXPERIMENTS


def experiment_arguments(experiment: str) -> dict[str, inspect.Parameter]:
    """Keyword arguments of the experiment's simulate function (``params`` excluded)."""
    if experiment not in EXPERIMENTS:
        raise SweepError(f"unknown experiment {experiment!r}; expected one of {list(EXPERIMENTS)}")
    sig = inspect.signature(_simulate(experiment))
    return {k: v for k, v in sig.parameters.items() if k != "params"}


# ================================================================================================
# cases
# ================================================================================================


def jsonable(x: Any) -> Any:
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
            "fixed": {k: jsonable(v) for k, v in sorted(fixed.items())},
            "inputs": {k: jsonable(v) for k, v in sorted(inputs.items())},
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
        kwargs = {k: jsonable(v) for k, v in merged.items() if "." not in k}
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


def run_batch(
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
