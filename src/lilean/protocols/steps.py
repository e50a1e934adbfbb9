"""Protocol steps, experiments (ordered cycles of steps) and their compiled array form.

A :class:`Step` is one instruction to the cycler, written the way PyBaMM users write it
(``"Discharge at 1C until 2.0 V"``; see :mod:`lilean.protocols.parser` for the grammar). An
:class:`Experiment` is an ordered list of cycles, each a tuple of steps, built like
``pybamm.Experiment``::

    Experiment([("Charge at 1C until 4.2 V", "Discharge at 1C until 2.0 V")] * 300)

:meth:`Experiment.compile` turns it into :class:`CompiledProtocol`: flat numpy arrays, one row per
step, in absolute units (A, V, s, mAh), ready for a numba time-stepping loop.

Sign convention (:data:`lilean.schema.SIGN_CONVENTION`): a *charge* step drives a positive current
(oxidation of the working electrode), a *discharge* step a negative one. In a Li || substrate cell,
plating Li onto the substrate is therefore a ``discharge`` step and stripping it a ``charge`` step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, get_args

import numpy as np

from lilean.errors import ParameterError
from lilean.protocols.parser import EXAMPLES, parse_step_fields

Direction = Literal["charge", "discharge", "rest", "hold"]
CurrentUnit = Literal["C", "A", "mA", "mA/cm2"]
CapacityUnit = Literal["mAh", "mAh/cm2"]

DIRECTIONS: tuple[str, ...] = get_args(Direction)
CURRENT_UNITS: tuple[str, ...] = get_args(CurrentUnit)
CAPACITY_UNITS: tuple[str, ...] = get_args(CapacityUnit)

#: ``CompiledProtocol.mode`` codes
MODE_REST, MODE_CC, MODE_CV = 0, 1, 2


def _finite_positive(name: str, value: float | None, where: str) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise ParameterError(f"protocol step {where!r}: {name} must be a finite number > 0")


@dataclass(frozen=True)
class Step:
    """One protocol step.

    Attributes
    ----------
    direction:
        ``"charge"`` (constant current > 0), ``"discharge"`` (constant current < 0), ``"rest"``
        (zero current) or ``"hold"`` (constant voltage).
    current, current_unit:
        Magnitude (> 0) and unit of the drive of a charge/discharge step; the unit is one of ``"C"``
        (C-rate, ``I = c x capacity``), ``"A"``, ``"mA"``, ``"mA/cm2"`` (current density). The sign
        comes from ``direction``. ``None`` for rest and hold.
    voltage_V:
        Target voltage of a hold step; ``None`` otherwise.
    duration_s:
        Step duration in s; ``None`` = until a limit is reached.
    until_voltage_V:
        Voltage limit: a charge step stops when ``V >= until_voltage_V``, a discharge step when
        ``V <= until_voltage_V``. Not allowed for rest/hold.
    until_current, until_current_unit:
        Current limit of a hold step: it stops when ``|I| <= until_current`` (same units as
        ``current_unit``). Only for hold.
    until_capacity, until_capacity_unit:
        Stop when the charge passed in this step reaches it (``"mAh"`` or ``"mAh/cm2"``).
    text:
        The original string (not used in comparisons).
    """

    direction: Direction
    current: float | None = None
    current_unit: CurrentUnit | None = None
    voltage_V: float | None = None
    duration_s: float | None = None
    until_voltage_V: float | None = None
    until_current: float | None = None
    until_current_unit: CurrentUnit | None = None
    until_capacity: float | None = None
    until_capacity_unit: CapacityUnit | None = None
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = self.text or self.describe()
        if self.direction not in DIRECTIONS:
            raise ParameterError(
                f"protocol step {where!r}: direction {self.direction!r} is not one of {DIRECTIONS}"
            )
        cc = self.direction in ("charge", "discharge")
        if cc:
            if self.current is None or self.current_unit not in CURRENT_UNITS:
                raise ParameterError(
                    f"protocol step {where!r}: a {self.direction} step needs a current with a unit "
                    f"in {CURRENT_UNITS}"
                )
            _finite_positive("the current", self.current, where)
        elif self.current is not None or self.current_unit is not None:
            raise ParameterError(f"protocol step {where!r}: a {self.direction} step has no current")
        if self.direction == "hold":
            if self.voltage_V is None or not np.isfinite(self.voltage_V):
                raise ParameterError(f"protocol step {where!r}: a hold step needs a finite voltage")
        elif self.voltage_V is not None:
            raise ParameterError(
                f"protocol step {where!r}: only a hold step has a target voltage (voltage_V)"
            )
        _finite_positive("the duration", self.duration_s, where)
        if self.until_voltage_V is not None:
            if not cc:
                raise ParameterError(
                    f"protocol step {where!r}: a voltage limit ('until ... V') needs a charge or "
                    "discharge step"
                )
            if not np.isfinite(self.until_voltage_V):
                raise ParameterError(f"protocol step {where!r}: the voltage limit must be finite")
        if self.until_current is not None:
            if self.direction != "hold":
                raise ParameterError(
                    f"protocol step {where!r}: a current limit ('until C/20', 'until 0.05 mA') "
                    "needs a hold step"
                )
            if self.until_current_unit not in CURRENT_UNITS:
                raise ParameterError(
                    f"protocol step {where!r}: current-limit unit {self.until_current_unit!r} is "
                    f"not one of {CURRENT_UNITS}"
                )
            _finite_positive("the current limit", self.until_current, where)
        if self.until_capacity is not None:
            if self.direction == "rest":
                raise ParameterError(f"protocol step {where!r}: a rest step has no capacity limit")
            if self.until_capacity_unit not in CAPACITY_UNITS:
                raise ParameterError(
                    f"protocol step {where!r}: capacity-limit unit {self.until_capacity_unit!r} is "
                    f"not one of {CAPACITY_UNITS}"
                )
            _finite_positive("the capacity limit", self.until_capacity, where)
        if self.direction == "rest" and self.duration_s is None:
            raise ParameterError(
                f"protocol step {where!r}: a rest step needs a duration ('for ...')"
            )
        if (
            self.duration_s is None
            and self.until_voltage_V is None
            and self.until_current is None
            and self.until_capacity is None
        ):
            raise ParameterError(
                f"protocol step {where!r}: the step never ends; give 'for <time>' or 'until <limit>'"
            )

    # ---- text ---------------------------------------------------------------------------------
    @classmethod
    def from_string(cls, text: str) -> Step:
        """Parse a PyBaMM-style string (see :func:`parse_step`)."""
        return parse_step(text)

    def describe(self) -> str:
        """Canonical text of the step; ``Step.from_string(step.describe()) == step``."""
        parts: list[str] = []
        if self.direction == "rest":
            parts.append("Rest")
        elif self.direction == "hold":
            parts.append(f"Hold at {_num(self.voltage_V)} V")
        else:
            parts.append(
                f"{self.direction.capitalize()} at {_num(self.current)} {self.current_unit}"
            )
        limits: list[str] = []
        if self.duration_s is not None:
            limits.append(f"for {_num(self.duration_s)} seconds")
        until: list[str] = []
        if self.until_voltage_V is not None:
            until.append(f"{_num(self.until_voltage_V)} V")
        if self.until_current is not None:
            until.append(f"{_num(self.until_current)} {self.until_current_unit}")
        if self.until_capacity is not None:
            until.append(f"{_num(self.until_capacity)} {self.until_capacity_unit}")
        if until:
            limits.append("until " + " or ".join(until))
        return " ".join([*parts, " or ".join(limits)]).strip()

    def __str__(self) -> str:
        return self.text or self.describe()

    # ---- conversion ---------------------------------------------------------------------------
    def current_A(self, *, capacity_mAh: float, area_cm2: float) -> float:
        """Signed step current in A (+ = charge; 0 for rest and hold).

        ``I = c x capacity_mAh / 1000`` for a C-rate, ``I = j x area_cm2 / 1000`` for a current
        density j in mA/cm2.
        """
        if self.direction in ("rest", "hold"):
            return 0.0
        assert self.current is not None and self.current_unit is not None
        magnitude = to_amperes(
            self.current, self.current_unit, capacity_mAh=capacity_mAh, area_cm2=area_cm2
        )
        return magnitude if self.direction == "charge" else -magnitude


def _num(x: float | None) -> str:
    """Shortest text that reads back as the same float."""
    return repr(float(x)) if x is not None else "None"


def to_amperes(value: float, unit: str, *, capacity_mAh: float, area_cm2: float) -> float:
    """A current magnitude in A from ``value`` in ``unit`` (``C``, ``A``, ``mA``, ``mA/cm2``)."""
    if unit == "C":
        return value * capacity_mAh / 1000.0
    if unit == "A":
        return value
    if unit == "mA":
        return value / 1000.0
    if unit == "mA/cm2":
        return value * area_cm2 / 1000.0
    raise ParameterError(f"unknown current unit {unit!r}; expected one of {CURRENT_UNITS}")


def to_mAh(value: float, unit: str, *, area_cm2: float) -> float:
    """A capacity in mAh from ``value`` in ``unit`` (``mAh`` or ``mAh/cm2``)."""
    if unit == "mAh":
        return value
    if unit == "mAh/cm2":
        return value * area_cm2
    raise ParameterError(f"unknown capacity unit {unit!r}; expected one of {CAPACITY_UNITS}")


@dataclass(frozen=True)
class CompiledProtocol:
    """An experiment as flat arrays, one row per step in execution order (numba-friendly).

    ============================  =======  ==========================================================
    array                         dtype    meaning
    ============================  =======  ==========================================================
    ``cycle``                     int64    1-based cycle index
    ``step``                      int64    1-based step index (running over the whole protocol)
    ``mode``                      int64    0 rest, 1 constant current, 2 constant voltage (hold)
    ``current_A``                 float64  signed current, + = charge; 0 for rest and hold
    ``voltage_V``                 float64  hold target; NaN otherwise
    ``duration_s``                float64  step duration; +inf when the step ends on a limit only
    ``v_upper_V`` / ``v_lower_V`` float64  stop when V >= v_upper (charge) / V <= v_lower
                                           (discharge); +inf / -inf when there is no limit
    ``i_cutoff_A``                float64  hold stops when abs(I) <= i_cutoff_A; 0 when none
    ``capacity_cutoff_mAh``       float64  stop when the step's charge reaches it; +inf when none
    ============================  =======  ==========================================================
    """

    cycle: np.ndarray
    step: np.ndarray
    mode: np.ndarray
    current_A: np.ndarray
    voltage_V: np.ndarray
    duration_s: np.ndarray
    v_upper_V: np.ndarray
    v_lower_V: np.ndarray
    i_cutoff_A: np.ndarray
    capacity_cutoff_mAh: np.ndarray
    texts: tuple[str, ...]
    capacity_mAh: float
    area_cm2: float

    @property
    def n_steps(self) -> int:
        return int(self.step.size)

    @property
    def n_cycles(self) -> int:
        return int(self.cycle[-1]) if self.cycle.size else 0

    def __len__(self) -> int:
        return self.n_steps


@lru_cache(maxsize=4096)
def parse_step(text: str) -> Step:
    """Parse one PyBaMM-style step string into a :class:`Step` (cached; Steps are immutable).

    Grammar: :mod:`lilean.protocols.parser`. Raises :class:`~lilean.errors.ParameterError` quoting
    the string when any part of it is not understood.
    """
    if not isinstance(text, str):
        raise ParameterError(f"protocol step {text!r}: expected a string such as {EXAMPLES}")
    return Step(**parse_step_fields(text))


def parse_steps(texts: list[str] | tuple[str, ...]) -> tuple[Step, ...]:
    """Parse several step strings."""
    return tuple(parse_step(t) for t in texts)


def _coerce_cycle(cycle: object) -> tuple[Step, ...]:
    if isinstance(cycle, (str, Step)):
        cycle = (cycle,)
    if not isinstance(cycle, Iterable):
        raise ParameterError(
            f"experiment cycle {cycle!r}: expected a step string, a Step or a tuple of them"
        )
    steps: list[Step] = []
    for item in cycle:
        if isinstance(item, Step):
            steps.append(item)
        elif isinstance(item, str):
            steps.append(parse_step(item))
        else:
            raise ParameterError(f"experiment step {item!r}: expected a string or a Step")
    if not steps:
        raise ParameterError("experiment cycle is empty; expected at least one step")
    return tuple(steps)


#: compiled protocols kept by :meth:`Experiment.compile` (a run compiles the same protocol again)
COMPILE_CACHE_SIZE = 32
_COMPILED: dict[tuple[Any, ...], CompiledProtocol] = {}


class Experiment:
    """An ordered list of cycles, each a tuple of :class:`Step` (built like ``pybamm.Experiment``).

    ``cycles`` items may be a step string, a :class:`Step`, or a tuple/list of them (one cycle).
    Identical strings are parsed once (the parser is cached), so ``[(...)] * 1000`` is cheap.
    """

    __slots__ = ("_cycles",)

    def __init__(self, cycles: Sequence[str | Step | Sequence[str | Step]]) -> None:
        if isinstance(cycles, (str, Step)):
            cycles = [cycles]
        self._cycles: tuple[tuple[Step, ...], ...] = tuple(_coerce_cycle(c) for c in cycles)

    @property
    def cycles(self) -> tuple[tuple[Step, ...], ...]:
        return self._cycles

    @property
    def n_cycles(self) -> int:
        return len(self._cycles)

    @property
    def n_steps(self) -> int:
        return sum(len(c) for c in self._cycles)

    def steps(self) -> Iterator[tuple[int, int, Step]]:
        """``(cycle, step, Step)`` with 1-based cycle and running 1-based step index."""
        k = 0
        for ci, cycle in enumerate(self._cycles, start=1):
            for s in cycle:
                k += 1
                yield ci, k, s

    @property
    def duration_s(self) -> float:
        """Sum of the step durations in s; ``inf`` when any step ends on a limit only."""
        total = 0.0
        for _, _, s in self.steps():
            if s.duration_s is None:
                return float("inf")
            total += s.duration_s
        return total

    @classmethod
    def concat(cls, *experiments: Experiment) -> Experiment:
        """One experiment running the given ones in order (cycles are renumbered)."""
        out = cls([])
        out._cycles = tuple(c for e in experiments for c in e._cycles)
        return out

    def __add__(self, other: object) -> Experiment:
        if not isinstance(other, Experiment):
            return NotImplemented
        return Experiment.concat(self, other)

    def __len__(self) -> int:
        return self.n_cycles

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and self._cycles == other._cycles

    def __hash__(self) -> int:
        return hash(self._cycles)

    def __repr__(self) -> str:
        return f"Experiment({self.n_cycles} cycles, {self.n_steps} steps)"

    def compile(self, *, capacity_mAh: float, area_cm2: float) -> CompiledProtocol:
        """Flat arrays (:class:`CompiledProtocol`) in A, V, s, mAh.

        Parameters
        ----------
        capacity_mAh:
            Nominal cell capacity defining 1C (``I[A] = c_rate x capacity_mAh / 1000``).
        area_cm2:
            Electrode area converting current densities (``I[A] = j[mA/cm2] x area / 1000``) and
            areal capacities (``Q[mAh] = q[mAh/cm2] x area``).

        Cached: the same experiment (equal steps) with the same capacity and area returns the
        same object (the last :data:`COMPILE_CACHE_SIZE` kept); its arrays are read-only.
        """
        for name, value in (("capacity_mAh", capacity_mAh), ("area_cm2", area_cm2)):
            if not (np.isfinite(value) and value > 0):
                raise ParameterError(f"Experiment.compile: {name} = {value} must be > 0")
        key = (self._cycles, float(capacity_mAh), float(area_cm2))
        hit = _COMPILED.get(key)
        if hit is not None:
            return hit
        out = self._compile(capacity_mAh=capacity_mAh, area_cm2=area_cm2)
        for value in vars(out).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        if len(_COMPILED) >= COMPILE_CACHE_SIZE:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = out
        return out

    def _compile(self, *, capacity_mAh: float, area_cm2: float) -> CompiledProtocol:
        rows = list(self.steps())
        n = len(rows)
        cycle = np.empty(n, dtype=np.int64)
        step = np.empty(n, dtype=np.int64)
        mode = np.empty(n, dtype=np.int64)
        current = np.zeros(n)
        voltage = np.full(n, np.nan)
        duration = np.full(n, np.inf)
        v_upper = np.full(n, np.inf)
        v_lower = np.full(n, -np.inf)
        i_cut = np.zeros(n)
        q_cut = np.full(n, np.inf)
        kw = {"capacity_mAh": capacity_mAh, "area_cm2": area_cm2}
        for r, (ci, k, s) in enumerate(rows):
            cycle[r], step[r] = ci, k
            if s.direction == "rest":
                mode[r] = MODE_REST
            elif s.direction == "hold":
                mode[r] = MODE_CV
                voltage[r] = s.voltage_V
            else:
                mode[r] = MODE_CC
                current[r] = s.current_A(**kw)
            if s.duration_s is not None:
                duration[r] = s.duration_s
            if s.until_voltage_V is not None:
                if s.direction == "charge":
                    v_upper[r] = s.until_voltage_V
                else:
                    v_lower[r] = s.until_voltage_V
            if s.until_current is not None and s.until_current_unit is not None:
                i_cut[r] = to_amperes(s.until_current, s.until_current_unit, **kw)
            if s.until_capacity is not None and s.until_capacity_unit is not None:
                q_cut[r] = to_mAh(s.until_capacity, s.until_capacity_unit, area_cm2=area_cm2)
        return CompiledProtocol(
            cycle=cycle,
            step=step,
            mode=mode,
            current_A=current,
            voltage_V=voltage,
            duration_s=duration,
            v_upper_V=v_upper,
            v_lower_V=v_lower,
            i_cutoff_A=i_cut,
            capacity_cutoff_mAh=q_cut,
            texts=tuple(str(s) for _, _, s in rows),
            capacity_mAh=float(capacity_mAh),
            area_cm2=float(area_cm2),
        )
