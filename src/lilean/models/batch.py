"""Many Li || LFP half-cell discharges in one call, as arrays (no table per case).

:func:`simulate_discharges` runs the same kernel as
:func:`lilean.models.cathode.simulate_half_cell_discharge` (SPMe cathode, Xu2019 Butler-Volmer Li
counter electrode, :func:`lilean.models.cathode.run_constant_current`) for every pair of C-rate and
parameter set, into preallocated arrays: sweeps, ensembles and fits that need voltages and
capacities skip the per-case pandas table, which costs more than the kernel for one discharge.
Results are identical to the single-discharge function at the same step length (tested).

Cost: one numba loop over the cases (:func:`_run_discharges`; ``parallel=True``: a ``prange`` over
the cases on numba's threads) runs the kernel, the capacities and the NaN padding, so a case costs
its kernel and nothing per case in Python; each parameter set's vector, 1C current and initial
state are built once and kept while the (frozen) set lives (:func:`discharge_inputs`,
:func:`lilean.models._derived.derived`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit, prange

from lilean.errors import ParameterError
from lilean.models import cathode as _cathode
from lilean.models._derived import derived
from lilean.models._numba_cache import drop_stale_numba_cache

drop_stale_numba_cache(
    __file__,
    *(
        str(Path(__file__).with_name(n))
        for n in ("cathode.py", "_bracket.py", "_fastmath.py", "_kernel.py")
    ),
)


@dataclass(frozen=True)
class DischargeBatch:
    """Discharge curves of ``n`` cases, padded with NaN after each case's last row.

    ``time_s``, ``voltage_V``, ``capacity_mAh``: shape (n, rows); ``rows[k]`` valid rows of case
    k; ``c_rate[k]``; ``capacity_mAh_final[k]`` the discharge capacity at the cut-off (mAh, for
    ``params.cell.electrode_area_cm2``).
    """

    c_rate: np.ndarray
    rows: np.ndarray
    time_s: np.ndarray
    voltage_V: np.ndarray
    capacity_mAh: np.ndarray
    capacity_mAh_final: np.ndarray

    def __len__(self) -> int:
        return int(self.c_rate.size)

    def case(self, k: int) -> dict[str, np.ndarray]:
        """Case ``k`` without padding: ``{"time_s", "voltage_V", "capacity_mAh"}``."""
        n = int(self.rows[k])
        return {
            "time_s": self.time_s[k, :n],
            "voltage_V": self.voltage_V[k, :n],
            "capacity_mAh": self.capacity_mAh[k, :n],
        }


def discharge_inputs(params: Any, x0: float) -> tuple[np.ndarray, float, float, np.ndarray]:
    """The kernel's inputs of one parameter set: its cathode parameter vector
    (:func:`lilean.models.cathode.cathode_parameter_vector`), 1C current density [A/m^2], electrode
    area [cm^2] and the initial state at stoichiometry ``x0`` (copies of the ones built once per
    (set, ``x0``) and kept while the set lives)."""
    vec, i_1c, area, state0 = _inputs(params, x0)
    return vec.copy(), i_1c, area, state0.copy()


def _inputs(params: Any, x0: float) -> tuple[np.ndarray, float, float, np.ndarray]:
    """:func:`discharge_inputs` without the copies: the cached arrays, never to be modified
    (the kernels copy them)."""

    def build() -> tuple[np.ndarray, float, float, np.ndarray]:
        vec = derived(params, "cathode_parameter_vector", lambda: cathode_vector(params))
        return (
            vec,
            _cathode.one_c_current_density_A_m2(params),
            float(params.cell.electrode_area_cm2.value),
            _cathode.initial_state(vec, x0),
        )

    return derived(params, ("discharge_inputs", float(x0)), build)


def cathode_vector(params: Any) -> np.ndarray:
    """:func:`lilean.models.cathode.cathode_parameter_vector` at the set's own loading."""
    return _cathode.cathode_parameter_vector(params)


@njit(cache=True)
def _run_case(
    p_table: np.ndarray,
    p_len: np.ndarray,
    s_table: np.ndarray,
    s_len: np.ndarray,
    j: int,
    k: int,
    current: np.ndarray,
    dt: np.ndarray,
    t_max: np.ndarray,
    v_min: float,
    area_cm2: np.ndarray,
    time_out: np.ndarray,
    volt_out: np.ndarray,
    cap_out: np.ndarray,
    rows: np.ndarray,
    q_final: np.ndarray,
) -> None:
    p = p_table[j, : p_len[j]].copy()
    state = s_table[j, : s_len[j]].copy()
    tk = time_out[k]
    vk = volt_out[k]
    ck = cap_out[k]
    n = _cathode.run_constant_current(
        state, p, current[k], dt[k], v_min, t_max[k],
        _cathode.XU2019_LI_I0_COEFFICIENT, _cathode.XU2019_LI_I0_EXPONENT, 0.0, tk, vk,
    )  # fmt: skip
    rows[k] = n
    i_abs = abs(current[k])
    a = area_cm2[j]
    for r in range(n):
        # |i| [A/m^2] * A [cm^2] * 1e-4 [m^2/cm^2] * t [s] / 3.6 [C/mAh]
        ck[r] = i_abs * a * 1e-4 * tk[r] / 3.6
    for r in range(n, tk.size):
        tk[r] = math.nan
        vk[r] = math.nan
        ck[r] = math.nan
    q_final[k] = ck[n - 1]


@njit(cache=True)
def _run_discharges(
    p_table: np.ndarray,
    p_len: np.ndarray,
    s_table: np.ndarray,
    s_len: np.ndarray,
    which: np.ndarray,
    current: np.ndarray,
    dt: np.ndarray,
    t_max: np.ndarray,
    v_min: float,
    area_cm2: np.ndarray,
    time_out: np.ndarray,
    volt_out: np.ndarray,
    cap_out: np.ndarray,
    rows: np.ndarray,
    q_final: np.ndarray,
) -> None:
    """Case ``k`` of set ``which[k]``: :func:`lilean.models.cathode.run_constant_current` at
    ``current[k]`` [A/m^2] with steps ``dt[k]`` until ``v_min`` (or ``t_max[k]``) into row ``k`` of
    the outputs (NaN after its last row), capacity ``|i| A t / 3.6`` [mAh]. Parameter vectors and
    initial states: rows of ``p_table`` / ``s_table`` (first ``p_len`` / ``s_len`` entries)."""
    for k in range(which.size):
        _run_case(
            p_table, p_len, s_table, s_len, which[k], k, current, dt, t_max, v_min, area_cm2,
            time_out, volt_out, cap_out, rows, q_final,
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _run_discharges_parallel(
    p_table: np.ndarray,
    p_len: np.ndarray,
    s_table: np.ndarray,
    s_len: np.ndarray,
    which: np.ndarray,
    current: np.ndarray,
    dt: np.ndarray,
    t_max: np.ndarray,
    v_min: float,
    area_cm2: np.ndarray,
    time_out: np.ndarray,
    volt_out: np.ndarray,
    cap_out: np.ndarray,
    rows: np.ndarray,
    q_final: np.ndarray,
) -> None:
    """:func:`_run_discharges` with the cases spread over numba's threads (``prange``)."""
    for k in prange(which.size):
        _run_case(
            p_table, p_len, s_table, s_len, which[k], k, current, dt, t_max, v_min, area_cm2,
            time_out, volt_out, cap_out, rows, q_final,
        )  # fmt: skip


def simulate_discharges(
    params: Any,
    c_rates: Sequence[float] | np.ndarray,
    *,
    param_sets: Sequence[Any] | None = None,
    v_min: float = 2.0,
    x0: float = 0.01,
    points_per_discharge: int = 200,
    parallel: bool = False,
) -> DischargeBatch:
    """Constant-current discharges of a Li || LFP half-cell, one per C-rate (and parameter set).

    ``param_sets`` (optional, same length as ``c_rates``) gives one parameter set per case;
    otherwise every case uses ``params``. Each case steps ``dt = 3600 / c_rate /
    points_per_discharge`` seconds (the default of ``simulate_half_cell_discharge``) from
    stoichiometry ``x0`` to ``v_min``; capacity ``Q = |i| A t / 3.6`` (mAh). ``parallel``: the
    cases run on numba's threads (same results; worth it where the machine has idle cores).
    """
    rates = np.asarray(c_rates, dtype=float).ravel()
    if rates.size == 0 or not np.all((rates > 0) & np.isfinite(rates)):
        raise ParameterError(f"c_rates = {c_rates!r}: expected one or more finite C-rates > 0")
    if param_sets is not None and len(param_sets) != rates.size:
        raise ParameterError(
            f"param_sets: {len(param_sets)} sets for {rates.size} C-rates; expected one per C-rate"
        )
    if points_per_discharge < 2:
        raise ParameterError(f"points_per_discharge = {points_per_discharge}: expected >= 2")
    sets = [params] if param_sets is None else list(param_sets)
    index: dict[int, int] = {}
    inputs: list[tuple[np.ndarray, float, float, np.ndarray]] = []
    which = np.empty(rates.size, dtype=np.int64)
    for k, ps in enumerate(sets):
        j = index.get(id(ps))
        if j is None:
            j = index[id(ps)] = len(inputs)
            inputs.append(_inputs(ps, x0))
        which[k] = j
    if param_sets is None:
        which[:] = 0
    m = len(inputs)
    p_len = np.array([vec.size for vec, *_ in inputs], dtype=np.int64)
    s_len = np.array([s0.size for *_, s0 in inputs], dtype=np.int64)
    if m == 1:
        p_table = inputs[0][0].reshape(1, -1)
        s_table = inputs[0][3].reshape(1, -1)
    else:
        p_table = np.zeros((m, int(p_len.max())))
        s_table = np.zeros((m, int(s_len.max())))
        for j, (vec, _, _, s0) in enumerate(inputs):
            p_table[j, : vec.size] = vec
            s_table[j, : s0.size] = s0
    i_1c = np.array([inp[1] for inp in inputs])
    area = np.array([inp[2] for inp in inputs])
    duration = 3600.0 / rates
    dt = duration / points_per_discharge
    current = -rates * i_1c[which]
    n_max = int(1.5 * points_per_discharge) + 10
    time_s = np.empty((rates.size, n_max))
    voltage = np.empty((rates.size, n_max))
    capacity = np.empty((rates.size, n_max))
    rows = np.empty(rates.size, dtype=np.int64)
    q_final = np.empty(rates.size)
    run = _run_discharges_parallel if parallel and rates.size > 1 else _run_discharges
    run(
        p_table, p_len, s_table, s_len, which, current, dt, 1.5 * duration, float(v_min), area,
        time_s, voltage, capacity, rows, q_final,
    )  # fmt: skip
    return DischargeBatch(
        c_rate=rates,
        rows=rows,
        time_s=time_s,
        voltage_V=voltage,
        capacity_mAh=capacity,
        capacity_mAh_final=q_final,
    )


__all__ = ["DischargeBatch", "discharge_inputs", "simulate_discharges"]
