"""Ensembles: any stochastic simulation over N seeds, reported as median and 5-95 % band.

The twin's stochastic inputs (the electrode contact-area factor and the protrusion length that
bridges the separator, :func:`lilean.models.anode.initial_anode_state`) are drawn per seed, so one
seed is one possible cell. :func:`run_ensemble` runs a simulation once per seed and summarises every
numeric output::

    key        median over the seeds
    key_low    5th percentile          (band of the cell-to-cell spread, not a confidence interval)
    key_high   95th percentile

Scalars give scalars; lists of equal length give element-wise medians and bands (e.g. the capacity
per cycle). ``None`` (e.g. no failure within the test) is kept apart: ``key_n_none`` counts the
seeds without a value, and the statistics run over the seeds that have one (``None`` when none do).
Percentiles use numpy's default (linear) interpolation. Same seeds, same result.

The ``ensemble_*`` helpers wrap :mod:`lilean.simulate` (``to_dict`` of each result).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from lilean.errors import ParameterError

LOW_PERCENTILE = 5.0
HIGH_PERCENTILE = 95.0
#: the default ensemble size for reported predictions (issue 13: >= 20)
DEFAULT_N_SEEDS = 20


def seed_list(seeds: int | Sequence[int], first_seed: int = 0) -> list[int]:
    """``seeds`` as a list: an int N gives ``first_seed .. first_seed + N - 1``."""
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ParameterError(f"seeds = {seeds}, expected a whole number >= 1")
        return [int(first_seed) + k for k in range(int(seeds))]
    out = [int(s) for s in seeds]
    if not out:
        raise ParameterError("seeds: expected at least one seed")
    return out


def _number(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, float, np.integer, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    return None


def _stats(values: list[float | None]) -> tuple[float | None, float | None, float | None, int]:
    have = [v for v in values if v is not None]
    n_none = len(values) - len(have)
    if not have:
        return None, None, None, n_none
    arr = np.asarray(have, dtype=float)
    return (
        float(np.median(arr)),
        float(np.percentile(arr, LOW_PERCENTILE)),
        float(np.percentile(arr, HIGH_PERCENTILE)),
        n_none,
    )


def summarize(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Median and 5-95 % band of every numeric entry of ``runs`` (one mapping per seed).

    Keys whose values are not numbers (or lists of numbers of one length) in every run are
    copied from the first run when they are equal in all runs and skipped otherwise.
    """
    if not runs:
        raise ParameterError("an ensemble needs at least one run")
    out: dict[str, Any] = {}
    keys = list(runs[0].keys())
    for key in keys:
        vals = [r.get(key) for r in runs]
        if all(isinstance(v, (list, tuple)) for v in vals):
            lists: list[list[Any]] = [list(v) for v in vals]  # type: ignore[arg-type]
            lengths = {len(v) for v in lists}
            if len(lengths) != 1 or not all(
                _number(x) is not None or x is None for v in lists for x in v
            ):
                continue
            n = lengths.pop()
            same = all(lists[0] == v for v in lists[1:])
            if same and n and not any(isinstance(x, float) for x in lists[0]):
                out[key] = lists[0]  # identical integer lists, e.g. cycle numbers
                continue
            med, low, high = [], [], []
            for j in range(n):
                m, lo, hi, _ = _stats([_number(v[j]) for v in lists])
                med.append(m)
                low.append(lo)
                high.append(hi)
            out[key], out[f"{key}_low"], out[f"{key}_high"] = med, low, high
            continue
        numbers = [_number(v) for v in vals]
        numeric = all(n is not None or v is None for n, v in zip(numbers, vals, strict=True))
        if (numeric and any(n is not None for n in numbers)) or all(v is None for v in vals):
            m, lo, hi, n_none = _stats(numbers)
            out[key], out[f"{key}_low"], out[f"{key}_high"] = m, lo, hi
            if n_none:
                out[f"{key}_n_none"] = n_none
        elif all(v == vals[0] for v in vals[1:]):
            out[key] = vals[0]
    return out


def run_ensemble(
    simulate_one: Callable[[int], Mapping[str, Any]],
    seeds: int | Sequence[int] = DEFAULT_N_SEEDS,
    *,
    first_seed: int = 0,
    keep_runs: bool = False,
) -> dict[str, Any]:
    """Run ``simulate_one(seed)`` for each seed and :func:`summarize` the outputs.

    Adds ``seeds`` and ``n_seeds``; with ``keep_runs`` also ``runs`` (each seed's own output).
    """
    seed_values = seed_list(seeds, first_seed)
    runs = [dict(simulate_one(s)) for s in seed_values]
    out = summarize(runs)
    out["seeds"] = seed_values
    out["n_seeds"] = len(seed_values)
    out["band_percentiles"] = [LOW_PERCENTILE, HIGH_PERCENTILE]
    if keep_runs:
        out["runs"] = runs
    return out


# ---- adapters for the simulate functions --------------------------------------------------------


def cycling_metrics(sim: Any) -> dict[str, Any]:
    """Scalars of a :class:`lilean.simulate.CyclingSimulation` worth a band, plus its per-cycle
    capacity: first/final discharge capacity [mAh/g], retention [%], Li left [mAh/cm^2], the first
    cycle below 80 % of the first capacity, the first cycle with a lasting (hard) short (``None``
    when none) and the number of soft shorts that fused open."""
    d = sim.to_dict()
    dis = d["discharge_capacity_mAh_g"]
    s = sim.summary
    below = s["Cycle"][s["Retention [%]"] < 80.0]
    shorted = s["Cycle"][s["Shorted"].astype(bool)]
    soft = sim.run.cycles.get("Soft shorts")
    return {
        "cycle": d["cycle"],
        "discharge_capacity_mAh_g": dis,
        "first_discharge_capacity_mAh_g": dis[0] if dis else None,
        "final_discharge_capacity_mAh_g": dis[-1] if dis else None,
        "retention_percent": d["retention_percent"],
        "li_remaining_mAh_cm2": d["li_remaining_mAh_cm2"][-1] if dis else None,
        "cycle_below_80_percent": int(below.iloc[0]) if len(below) else None,
        "short_cycle": int(shorted.iloc[0]) if len(shorted) else None,
        "soft_shorts": int(soft.iloc[-1]) if soft is not None and len(soft) else 0,
        **_electrolyte_fields(d.get("electrolyte") or {}),
    }


def _electrolyte_fields(state: Mapping[str, Any]) -> dict[str, Any]:
    """The electrolyte state's numbers, prefixed (``electrolyte_solvent_consumed_percent``, ...)."""
    return {
        f"electrolyte_{k}": (float(v) if not isinstance(v, bool) else int(v))
        for k, v in state.items()
        if k
        in ("solvent_consumed_percent", "salt_consumed_percent", "electrolyte_left_uL", "dry_out")
    }


def ensemble_cycling(
    params: Any, substrate: str, seeds: int | Sequence[int] = DEFAULT_N_SEEDS, **kw: Any
) -> dict[str, Any]:
    """:func:`lilean.simulate.simulate_cycling` over ``seeds`` (keywords passed through)."""
    from lilean.simulate import simulate_cycling

    first = int(kw.pop("seed", 0))
    return run_ensemble(
        lambda s: cycling_metrics(simulate_cycling(params, substrate, seed=s, **kw)),
        seeds,
        first_seed=first,
    )


def ensemble_rate(
    params: Any, substrate: str, seeds: int | Sequence[int] = DEFAULT_N_SEEDS, **kw: Any
) -> dict[str, Any]:
    """:func:`lilean.simulate.simulate_rate` over ``seeds``: per C-rate median and band."""
    from lilean.simulate import simulate_rate

    first = int(kw.pop("seed", 0))
    return run_ensemble(
        lambda s: simulate_rate(params, substrate, seed=s, **kw).to_dict(), seeds, first_seed=first
    )


def ensemble_symmetric(
    params: Any,
    substrate: str,
    current_density_mA_cm2: float,
    areal_capacity_mAh_cm2: float,
    hours: float,
    seeds: int | Sequence[int] = DEFAULT_N_SEEDS,
    **kw: Any,
) -> dict[str, Any]:
    """:func:`lilean.simulate.simulate_symmetric` over ``seeds``: failure and short times [h]
    (``None`` = not within the test) and the per-cycle polarization when all runs have the same
    number of cycles."""
    from lilean.simulate import simulate_symmetric

    first = int(kw.pop("seed", 0))

    def one(s: int) -> dict[str, Any]:
        d = simulate_symmetric(
            params,
            substrate,
            current_density_mA_cm2,
            areal_capacity_mAh_cm2,
            hours,
            seed=s,
            **kw,
        ).to_dict()
        pol = d["polarization_mV"]
        elyte = d.pop("electrolyte", None) or {}
        return {
            **d,
            **_electrolyte_fields(elyte),
            "initial_polarization_mV": pol[0] if pol else None,
            "final_polarization_mV": pol[-1] if pol else None,
        }

    return run_ensemble(one, seeds, first_seed=first)
