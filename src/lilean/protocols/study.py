"""The protocols of the study (Zhang, Xia, Li et al., ACS Appl. Energy Mater. 6 (2023) 6338;
``shared/spec/system.md`` sections 3-4), as :class:`~lilean.protocols.steps.Experiment` objects.

Conventions (the study does not state them; they are the usual ones and are parameters here):

* Working electrode = the substrate (Li || substrate and Li || Li cells) or the LFP cathode (full
  cells). Plating Li onto the working electrode is a ``discharge`` step (negative current), stripping
  it a ``charge`` step (:data:`lilean.schema.SIGN_CONVENTION`).
* Full cells are charged first (LFP is assembled lithiated), with no rest steps between steps.
* Rate test: each cycle charges at the same C-rate as it discharges unless ``charge_c_rate`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from lilean.errors import ParameterError
from lilean.protocols.steps import Experiment

_SECONDS_PER_HOUR = 3600.0


def _n(x: float) -> str:
    """Number text that the parser reads back to the same float."""
    return repr(float(x))


def _require_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"protocol parameter {name} = {value}: must be a finite number > 0")


def _require_count(name: str, value: int, minimum: int = 0) -> None:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ParameterError(
            f"protocol parameter {name} = {value}: must be an integer >= {minimum}"
        )


def deposition(current_density_mA_cm2: float = 1.0, capacity_mAh_cm2: float = 10.0) -> Experiment:
    """Galvanostatic Li deposition onto the substrate (Li || substrate cell): one plating step.

    The study deposits 10 mAh/cm2 at 1 mA/cm2 to make the Li-lean anode (system.md section 3); the
    same step at other current densities gives the nucleation transients (section 4). The step ends on
    the areal capacity, i.e. after ``capacity / current_density`` hours.
    """
    _require_positive("current_density_mA_cm2", current_density_mA_cm2)
    _require_positive("capacity_mAh_cm2", capacity_mAh_cm2)
    return Experiment(
        [f"Discharge at {_n(current_density_mA_cm2)} mA/cm2 until {_n(capacity_mAh_cm2)} mAh/cm2"]
    )


def symmetric(
    current_density_mA_cm2: float, areal_capacity_mAh_cm2: float, hours: float
) -> Experiment:
    """Li || Li symmetric-cell cycling: alternating plating / stripping half-cycles.

    Each half-cycle lasts ``t_half = areal_capacity / current_density`` hours (the study: 1 mA/cm2 x
    1 mAh/cm2 for 100 h, 0.5 mA/cm2 x 0.5 mAh/cm2 for 320 h). A cycle is one plating (``discharge``)
    followed by one stripping (``charge``) half-cycle. The test lasts exactly ``hours``: when
    ``hours / t_half`` is not an integer the last half-cycle is cut short, and when it is odd the last
    cycle has only its plating half.
    """
    _require_positive("current_density_mA_cm2", current_density_mA_cm2)
    _require_positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2)
    _require_positive("hours", hours)
    half_s = areal_capacity_mAh_cm2 / current_density_mA_cm2 * _SECONDS_PER_HOUR
    total_s = hours * _SECONDS_PER_HOUR
    j = _n(current_density_mA_cm2)
    n_full = math.floor(total_s / half_s * (1 + 1e-12))
    durations = [half_s] * n_full
    remainder = total_s - n_full * half_s
    if remainder > 1e-9 * total_s:
        durations.append(remainder)
    directions = ("Discharge", "Charge")
    halves = [
        f"{directions[k % 2]} at {j} mA/cm2 for {_n(d)} seconds" for k, d in enumerate(durations)
    ]
    cycles = [tuple(halves[k : k + 2]) for k in range(0, len(halves), 2)]
    return Experiment(cycles)


def _cc_cycle(
    charge_c_rate: float,
    discharge_c_rate: float,
    v_lower: float,
    v_upper: float,
    cv_hold: bool,
    cv_cutoff_c_rate: float,
) -> tuple[str, ...]:
    steps = [f"Charge at {_n(charge_c_rate)} C until {_n(v_upper)} V"]
    if cv_hold:
        steps.append(f"Hold at {_n(v_upper)} V until {_n(cv_cutoff_c_rate)} C")
    steps.append(f"Discharge at {_n(discharge_c_rate)} C until {_n(v_lower)} V")
    return tuple(steps)


def _check_window(v_lower: float, v_upper: float) -> None:
    if not (math.isfinite(v_lower) and math.isfinite(v_upper) and v_lower < v_upper):
        raise ParameterError(
            f"protocol voltage window [{v_lower}, {v_upper}] V: expected finite v_lower < v_upper"
        )


def full_cell(
    c_rate: float,
    cycles: int,
    formation_cycles: int = 3,
    formation_c_rate: float = 0.5,
    v_lower: float = 2.0,
    v_upper: float = 4.2,
    cv_hold: bool = False,
    cv_cutoff_c_rate: float = 0.05,
) -> Experiment:
    """Li || LFP full-cell cycling: ``formation_cycles`` at ``formation_c_rate``, then ``cycles``
    at ``c_rate`` (total ``formation_cycles + cycles`` cycles).

    Each cycle: charge at the C-rate until ``v_upper`` (optionally a CV hold at ``v_upper`` until
    ``cv_cutoff_c_rate``, i.e. CCCV), then discharge at the same C-rate until ``v_lower``. Study values:
    3 formation cycles at 0.5 C, 2.0-4.2 V (4.2 V assumed, system.md section 3), 300 cycles at 1 C.
    """
    _require_positive("c_rate", c_rate)
    _require_positive("formation_c_rate", formation_c_rate)
    _require_positive("cv_cutoff_c_rate", cv_cutoff_c_rate)
    _require_count("cycles", cycles)
    _require_count("formation_cycles", formation_cycles)
    _check_window(v_lower, v_upper)
    return _full_cell(
        float(c_rate), int(cycles), int(formation_cycles), float(formation_c_rate),
        float(v_lower), float(v_upper), bool(cv_hold), float(cv_cutoff_c_rate),
    )  # fmt: skip


@lru_cache(maxsize=16)
def _full_cell(
    c_rate: float,
    cycles: int,
    formation_cycles: int,
    formation_c_rate: float,
    v_lower: float,
    v_upper: float,
    cv_hold: bool,
    cv_cutoff_c_rate: float,
) -> Experiment:
    """:func:`full_cell` after validation, cached (a run builds the same protocol again; an
    :class:`Experiment` is immutable, and its compiled arrays are cached on it)."""
    form = _cc_cycle(
        formation_c_rate, formation_c_rate, v_lower, v_upper, cv_hold, cv_cutoff_c_rate
    )
    main = _cc_cycle(c_rate, c_rate, v_lower, v_upper, cv_hold, cv_cutoff_c_rate)
    return Experiment([form] * formation_cycles + [main] * cycles)


def rate_test(
    c_rates: Sequence[float] = (0.5, 1, 2, 3, 4, 5),
    cycles_per_rate: int = 5,
    first_rate_cycles: int = 3,
    recovery_c_rate: float = 1.0,
    recovery_cycles: int = 5,
    *,
    charge_c_rate: float | None = None,
    v_lower: float = 2.0,
    v_upper: float = 4.2,
    cv_hold: bool = False,
    cv_cutoff_c_rate: float = 0.05,
) -> Experiment:
    """Rate-capability test: ``first_rate_cycles`` at ``c_rates[0]``, ``cycles_per_rate`` at each
    further rate, then ``recovery_cycles`` at ``recovery_c_rate``.

    Study (system.md section 3): 3 cycles at 0.5 C, 5 each at 1, 2, 3, 4, 5 C, then back to 1 C. The
    study does not say how the cells were charged; by default each cycle charges at its discharge
    C-rate (symmetric rate test), ``charge_c_rate`` fixes one charge rate for all cycles instead.
    """
    if not c_rates:
        raise ParameterError("protocol parameter c_rates: expected at least one C-rate")
    for k, c in enumerate(c_rates):
        _require_positive(f"c_rates[{k}]", c)
    _require_positive("recovery_c_rate", recovery_c_rate)
    _require_positive("cv_cutoff_c_rate", cv_cutoff_c_rate)
    if charge_c_rate is not None:
        _require_positive("charge_c_rate", charge_c_rate)
    _require_count("cycles_per_rate", cycles_per_rate, 1)
    _require_count("first_rate_cycles", first_rate_cycles, 1)
    _require_count("recovery_cycles", recovery_cycles)
    _check_window(v_lower, v_upper)
    plan = [(c_rates[0], int(first_rate_cycles))]
    plan += [(c, int(cycles_per_rate)) for c in c_rates[1:]]
    plan.append((recovery_c_rate, int(recovery_cycles)))
    cycles: list[tuple[str, ...]] = []
    for c, n in plan:
        ch = c if charge_c_rate is None else charge_c_rate
        cycles += [_cc_cycle(ch, c, v_lower, v_upper, cv_hold, cv_cutoff_c_rate)] * n
    return Experiment(cycles)
