"""Symmetric Li || Li cell: two pre-lithiated electrodes alternately plated and stripped.

Each electrode is a :mod:`lilean.models.anode` state that evolves on its own (the one being stripped
and the one being plated lose Li, grow SEI and dead Li differently, and their contact-area factors
differ by the drawn heterogeneity), so the traces of a heterogeneous, mossy deposit (Li-Cu) come out
asymmetric and those of a dense deposit (Li-Ag@Cu) symmetric (Zhang2023). Cell voltage at working-electrode oxidation current density ``i`` (+ = stripping the
working electrode, the schema's sign convention)::

    V = eta_WE(i) - eta_CE(-i) + i R_sep * 1e-3         [V; i in mA/cm^2, R in ohm cm^2]

with ``eta`` from :func:`lilean.models.anode.anode_overpotential_V` and ``R_sep = L N_M / kappa``
(rising as the shared electrolyte is consumed: :func:`lilean.models.anode.share_electrolyte`,
:func:`lilean.models.anode.separator_resistance_increase_ohm_cm2`).
Once a protrusion bridges the separator (either electrode), the current flows through the Li
filament: ``V = i R_short (1 + 0.3 xi) * 1e-3`` with seeded noise ``xi ~ N(0, 1)`` and no more Li is
transferred (calendar corrosion goes on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from lilean.models._numba_cache import drop_stale_numba_cache
from lilean.models.anode import (
    P_RSHORT,
    S_SHORT,
    anode_overpotential_V,
    anode_parameter_vector,
    anode_step,
    initial_anode_state,
    separator_resistance_increase_ohm_cm2,
    separator_resistance_ohm_cm2,
    share_electrolyte,
)
from lilean.parameters.anode import AnodeParameters

drop_stale_numba_cache(
    __file__,
    *(str(Path(__file__).with_name(n)) for n in ("anode.py", "electrolyte.py", "_kernel.py")),
)

#: fractions of each half-cycle at which the voltage is recorded (dense at the start: the peak)
SAMPLE_FRACTIONS = np.array(
    [0.005, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97, 1.0]
)


#: the cycler's voltage safety limit [V]: a test whose |V| exceeds it is stopped there (a dried-out
#: cell's resistance diverges; without a limit its voltage would run to kV). Assumed: Li||Li tests
#: are usually run with a +-1 V safety limit (typical polarization < 0.2 V)
SAFETY_LIMIT_V = 1.0


@dataclass(frozen=True)
class SymmetricTrace:
    """Recorded time series (per unit area) and per-half-cycle electrode states."""

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_density_mA_cm2: np.ndarray
    cycle: np.ndarray
    we_states: np.ndarray  # (n_half, N_STATE) after each half-cycle
    ce_states: np.ndarray


@njit(cache=True)
def _run(
    we: np.ndarray,
    ce: np.ndarray,
    p: np.ndarray,
    r_sep: float,
    j: float,
    t_half_s: float,
    n_half: int,
    fractions: np.ndarray,
    substeps: int,
    noise: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_pts = fractions.size
    t_out = np.empty(n_half * n_pts)
    v_out = np.empty(n_half * n_pts)
    i_out = np.empty(n_half * n_pts)
    c_out = np.empty(n_half * n_pts, dtype=np.int64)
    we_hist = np.empty((n_half, we.size))
    ce_hist = np.empty((n_half, ce.size))
    k = 0
    for h in range(n_half):
        i = j if h % 2 == 0 else -j  # stripping the working electrode first
        t_start = h * t_half_s
        f_prev = 0.0
        for m in range(n_pts):
            dt = (fractions[m] - f_prev) * t_half_s / substeps
            shorted = we[S_SHORT] > 0.0 or ce[S_SHORT] > 0.0
            for _ in range(substeps):
                if dt <= 0.0:
                    break
                if shorted:
                    anode_step(we, p, 0.0, dt)
                    share_electrolyte(we, ce)
                    anode_step(ce, p, 0.0, dt)
                else:
                    anode_step(we, p, i, dt)
                    share_electrolyte(we, ce)
                    anode_step(ce, p, -i, dt)
                    shorted = we[S_SHORT] > 0.0 or ce[S_SHORT] > 0.0
                share_electrolyte(ce, we)
            f_prev = fractions[m]
            if shorted:
                v = i * p[P_RSHORT] * (1.0 + 0.3 * noise[k]) * 1e-3
            else:
                v = (
                    anode_overpotential_V(we, p, i)
                    - anode_overpotential_V(ce, p, -i)
                    + i * (r_sep + separator_resistance_increase_ohm_cm2(we, p)) * 1e-3
                )
            t_out[k] = t_start + fractions[m] * t_half_s
            v_out[k] = v
            i_out[k] = i
            c_out[k] = h // 2 + 1
            k += 1
        we_hist[h, :] = we
        ce_hist[h, :] = ce
    return t_out, v_out, i_out, c_out, we_hist, ce_hist


def run_symmetric(
    anode: AnodeParameters,
    *,
    li_mAh_cm2: float,
    current_density_mA_cm2: float,
    areal_capacity_mAh_cm2: float,
    hours: float,
    separator_thickness_um: float = 25.0,
    temperature_C: float = 25.0,
    seed: int = 0,
    substeps: int = 4,
    deposition_current_density_mA_cm2: float | None = None,
    electrolyte: Mapping[str, float] | None = None,
) -> SymmetricTrace:
    """Simulate a symmetric cell for ``hours`` of galvanostatic plating/stripping.

    Half-cycle duration ``t = areal_capacity / current_density`` (h); the first half-cycle strips the
    working electrode; the run stops where ``|V|`` first exceeds :data:`SAFETY_LIMIT_V` (the
    cycler's limit; e.g. a dried-out cell). ``electrolyte`` is the cell's inventory
    (:func:`lilean.models.electrolyte.electrolyte_capacity`, shared by both electrodes; None:
    unlimited). ``deposition_current_density_mA_cm2`` simulates the electrodeposition of
    ``li_mAh_cm2`` onto each bare substrate first (see :func:`initial_anode_state`). Stochastic elements (heterogeneity, short threshold, short noise) come from
    ``numpy.random.default_rng(seed)``.
    """
    if current_density_mA_cm2 <= 0 or areal_capacity_mAh_cm2 <= 0 or hours <= 0:
        from lilean.errors import ParameterError

        raise ParameterError(
            "symmetric cell: current density, areal capacity and hours must be > 0, got "
            f"{current_density_mA_cm2}, {areal_capacity_mAh_cm2}, {hours}"
        )
    rng = np.random.default_rng(seed)
    p = anode_parameter_vector(
        anode,
        temperature_C=temperature_C,
        separator_thickness_um=separator_thickness_um,
        electrolyte=electrolyte,
    )
    kw = {
        "separator_thickness_um": separator_thickness_um,
        "deposition_current_density_mA_cm2": deposition_current_density_mA_cm2,
        "temperature_C": temperature_C,
    }
    we = initial_anode_state(anode, li_mAh_cm2, rng, **kw)  # type: ignore[arg-type]
    ce = initial_anode_state(anode, li_mAh_cm2, rng, **kw)  # type: ignore[arg-type]
    t_half_s = areal_capacity_mAh_cm2 / current_density_mA_cm2 * 3600.0
    n_half = max(int(np.floor(hours * 3600.0 / t_half_s + 1e-9)), 2)
    noise = rng.standard_normal(n_half * SAMPLE_FRACTIONS.size)
    r_sep = separator_resistance_ohm_cm2(anode, separator_thickness_um)
    t, v, i, c, we_h, ce_h = _run(
        we,
        ce,
        p,
        r_sep,
        current_density_mA_cm2,
        t_half_s,
        n_half,
        SAMPLE_FRACTIONS,
        substeps,
        noise,
    )
    over = np.flatnonzero(np.abs(v) > SAFETY_LIMIT_V)
    if over.size:  # the cycler stops the test at its safety limit
        n = int(over[0])
        t, v, i, c = t[:n], v[:n], i[:n], c[:n]
        n_half_done = n // SAMPLE_FRACTIONS.size + 1
        we_h, ce_h = we_h[:n_half_done], ce_h[:n_half_done]
    return SymmetricTrace(t, v, i, c, we_h, ce_h)
