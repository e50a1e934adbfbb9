"""Synthetic cycling tables whose metrics are known by construction.

Every builder concatenates constant-current steps whose first row repeats the previous step's last
time stamp (dt = 0), so the trapezoid capacities of :func:`lilean.schema.build_table` are exact and
the expected values below are simple closed-form numbers, independent of lilean's analysis code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from lilean.schema import CyclingData, Metadata, build_table


@dataclass
class Steps:
    """Accumulates (time, voltage, current, cycle) rows step by step."""

    t: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)
    i: list[np.ndarray] = field(default_factory=list)
    c: list[np.ndarray] = field(default_factory=list)
    now: float = 0.0

    def add(self, duration_s: float, current_A: float, voltage: Callable, cycle: int, n: int):
        """A step of ``n`` rows from ``now`` to ``now + duration_s``; voltage(tau) with tau in s."""
        tau = np.linspace(0.0, duration_s, n)
        self.t.append(self.now + tau)
        self.v.append(np.asarray(voltage(tau), dtype=float) * np.ones(n))
        self.i.append(np.full(n, current_A))
        self.c.append(np.full(n, cycle))
        self.now += duration_s
        return self

    def data(self, **meta) -> CyclingData:
        table = build_table(
            np.concatenate(self.t),
            np.concatenate(self.v),
            np.concatenate(self.i),
            cycle=np.concatenate(self.c),
        )
        return CyclingData(table, Metadata(instrument="synthetic", file_format="test", **meta))


@dataclass
class Deposition:
    data: CyclingData
    dip_mV: float
    plateau_mV: float
    dip_time_s: float
    current_A: float
    area_cm2: float


def make_deposition(
    *,
    dip_mV: float = -427.0,
    plateau_mV: float = -62.0,
    dip_time_s: float = 40.0,
    tau_s: float = 15.0,
    current_A: float = -1.131e-3,
    area_cm2: float = 1.131,
    duration_s: float = 7200.0,
    noise_mV: float = 0.3,
    seed: int = 0,
) -> Deposition:
    """Rest at 2.8 V, then plating: linear fall to the dip at ``dip_time_s``, exponential recovery
    (time constant ``tau_s``) to the plateau. The minimum is the dip by construction."""
    rng = np.random.default_rng(seed)

    def v_plating(tau: np.ndarray) -> np.ndarray:
        fall = 2.8e3 + (dip_mV - 2.8e3) * tau / dip_time_s
        rise = plateau_mV + (dip_mV - plateau_mV) * np.exp(-(tau - dip_time_s) / tau_s)
        v = np.where(tau <= dip_time_s, fall, rise)
        after = tau > dip_time_s + 5 * tau_s
        v[after] += rng.normal(0.0, noise_mV, after.sum())
        return v / 1e3

    n = int(duration_s) + 1  # 1 s sampling: the dip at an integer second is sampled exactly
    steps = Steps().add(600.0, 0.0, lambda tau: 2.8, 1, 61)
    steps.add(duration_s, current_A, v_plating, 1, n)
    return Deposition(
        steps.data(area_cm2=area_cm2), dip_mV, plateau_mV, dip_time_s, current_A, area_cm2
    )


@dataclass
class Symmetric:
    data: CyclingData
    half_h: float
    plating_mV: np.ndarray  # per cycle
    stripping_mV: np.ndarray  # per cycle
    short_half: int | None  # 0-based index of the first shorted half-cycle


def make_symmetric(
    *,
    n_cycles: int = 40,
    half_h: float = 1.0,
    plating_mV: Callable[[int], float] = lambda n: 20.0,
    stripping_mV: Callable[[int], float] = lambda n: 24.0,
    short_half: int | None = None,
    current_A: float = 1.131e-3,
    points_per_half: int = 61,
    seed: int = 1,
) -> Symmetric:
    """Plating first (I < 0, V < 0), then stripping, ``n_cycles`` times. Each half-cycle: a spike
    (1.5 x eta) decaying in the first 10 %, a flat middle at eta (+ noise 0.2 mV) and a rise to
    1.3 x eta in the last 10 %, so its middle-50 % median is eta. From half-cycle ``short_half`` on,
    the voltage is noise of 0.3 mV around 0 (a hard short)."""
    rng = np.random.default_rng(seed)
    duration = half_h * 3600.0
    steps = Steps()
    eta_p = np.array([plating_mV(n) for n in range(1, n_cycles + 1)])
    eta_s = np.array([stripping_mV(n) for n in range(1, n_cycles + 1)])
    for n in range(n_cycles):
        for h, (sign, eta) in enumerate(((-1.0, eta_p[n]), (1.0, eta_s[n]))):
            index = 2 * n + h

            def shape(tau: np.ndarray, eta: float = eta, sign: float = sign, index: int = index):
                if short_half is not None and index >= short_half:
                    return rng.normal(0.0, 0.3, tau.size) / 1e3
                x = tau / duration
                v = np.full(tau.size, eta) + rng.normal(0.0, 0.2, tau.size)
                v = np.where(x < 0.1, eta * (1.5 - 5.0 * x), v)
                v = np.where(x > 0.9, eta * (1.0 + 3.0 * (x - 0.9)), v)
                return sign * v / 1e3

            steps.add(duration, sign * current_A, shape, n + 1, points_per_half)
    return Symmetric(steps.data(area_cm2=1.131), half_h, eta_p, eta_s, short_half)


@dataclass
class FullCell:
    data: CyclingData
    charge_mAh: np.ndarray
    discharge_mAh: np.ndarray
    v_charge: float
    v_discharge: float


def make_full_cell(
    charge_mAh: np.ndarray,
    discharge_mAh: np.ndarray,
    *,
    current_A: float = 0.5e-3,
    v_charge: float = 3.45,
    v_discharge: float = 3.38,
    points: int = 5,
    charge_first: bool = True,
    active_mass_mg: float | None = None,
) -> FullCell:
    """Constant-current charge then discharge (or the reverse) per cycle at constant voltages, so
    capacities, energies (Q x V) and mean voltages are exact."""
    steps = Steps()
    for n, (qc, qd) in enumerate(zip(charge_mAh, discharge_mAh, strict=True), start=1):
        ch = (qc * 3.6 / current_A, current_A, lambda tau: v_charge)
        dis = (qd * 3.6 / current_A, -current_A, lambda tau: v_discharge)
        for duration, current, volt in (ch, dis) if charge_first else (dis, ch):
            steps.add(duration, current, volt, n, points)
    return FullCell(
        steps.data(active_mass_mg=active_mass_mg),
        np.asarray(charge_mAh, float),
        np.asarray(discharge_mAh, float),
        v_charge,
        v_discharge,
    )


@pytest.fixture
def deposition() -> Callable[..., Deposition]:
    return make_deposition


@pytest.fixture
def symmetric() -> Callable[..., Symmetric]:
    return make_symmetric


@pytest.fixture
def full_cell() -> Callable[..., FullCell]:
    return make_full_cell
