"""Li || LFP full-cell model: schema, bookkeeping, emergent collapse, relations, speed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.parameters import default_parameters
from lilean.schema import REQUIRED_COLUMNS
from lilean.simulate import CyclingSimulation, simulate_cycling, simulate_rate

PARAMS = default_parameters()


def _sim(substrate: str = "ag-cu", **kw: Any) -> CyclingSimulation:
    args: dict[str, Any] = {
        "cathode_loading_mAh_cm2": 0.4,
        "li_inventory_mAh_cm2": 10.0,
        "c_rate": 1.0,
        "cycles": 20,
    }
    args.update(kw)
    return simulate_cycling(PARAMS, substrate, **args)


def test_schema_meta_and_contract() -> None:
    sim = _sim()
    assert all(c in sim.data.data.columns for c in REQUIRED_COLUMNS)
    meta = sim.data.meta
    assert meta.instrument == "lilean" and meta.file_format == "simulation"
    assert meta.extra["substrate"] == "ag-cu"
    assert meta.extra["parameter_set_hash"] == PARAMS.hash()
    d = sim.to_dict()
    for key in (
        "cycle",
        "discharge_capacity_mAh_g",
        "charge_capacity_mAh_g",
        "coulombic_efficiency",
        "li_remaining_mAh_cm2",
    ):
        assert len(d[key]) == 20
    assert d["retention_percent"] == pytest.approx(
        100 * d["discharge_capacity_mAh_g"][-1] / d["discharge_capacity_mAh_g"][0]
    )


def test_table_capacities_match_kernel_sums() -> None:
    """The trapezoid capacities of the table (analysis.cycling) equal the kernel's exact sums."""
    sim = _sim(cycles=5)
    area = sim.data.meta.area_cm2
    kernel = sim.run.cycles["Discharge capacity [mAh/cm2]"].to_numpy()[3:] * area
    table = sim.summary["Discharge capacity [mAh]"].to_numpy()
    np.testing.assert_allclose(table, kernel, rtol=1e-9)


def test_voltage_window_respected() -> None:
    v = _sim(cycles=3).data.data["Voltage [V]"].to_numpy()
    assert v.max() <= 4.2 + 1e-3 and v.min() >= 2.0 - 1e-3


def test_capacity_collapses_when_reservoir_exhausted() -> None:
    """A small Li excess (N/P = 2) runs out: capacity must fall by the inventory lost, no fit."""
    sim = _sim("cu", li_inventory_mAh_cm2=0.8, cycles=60)
    d = sim.to_dict()
    q = np.array(d["discharge_capacity_mAh_g"])
    li = np.array(d["li_remaining_mAh_cm2"])
    big = np.array(_sim("cu", cycles=60).to_dict()["discharge_capacity_mAh_g"])
    assert q[-1] < 0.8 * q[0]
    assert big[-1] > 0.95 * big[0]  # same cell with the study's 10 mAh/cm2: no collapse yet
    assert li[-1] < 0.05
    # the discharge can never exceed the Li that was available: pools + cathode Li
    run = sim.run
    total = run.pools.iloc[:, 1:].sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, run.initial_li_mAh_cm2, rtol=1e-9)


def test_plateau_gap_ag_cu_below_cu() -> None:
    cu = _sim("cu", cycles=100).summary["Voltage gap [V]"].to_numpy()
    ag = _sim("ag-cu", cycles=100).summary["Voltage gap [V]"].to_numpy()
    assert (ag < cu).all()
    assert cu[-1] > cu[0]  # resistance growth raises the polarization


def test_rate_test_blocks() -> None:
    d = simulate_rate(
        PARAMS, "ag-cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0
    ).to_dict()
    assert d["c_rate"] == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 1.0]
    q = d["discharge_capacity_mAh_g"]
    assert all(q[k] > q[k + 1] for k in range(5))  # falls with C-rate
    assert q[6] == pytest.approx(q[1], rel=0.02)  # recovers at 1C


def test_300_cycles_run_fast() -> None:
    _sim("cu", cycles=5)  # JIT warm-up
    t0 = time.perf_counter()
    _sim("cu", cycles=300)
    assert time.perf_counter() - t0 < 5.0


@pytest.mark.parametrize(
    ("substrate", "kw", "match"),
    [
        ("zn", {}, "unknown substrate"),
        ("cu", {"cathode_loading_mAh_cm2": -1.0}, "cathode_loading_mAh_cm2"),
        ("cu", {"li_inventory_mAh_cm2": 0.0}, "li_inventory_mAh_cm2"),
    ],
)
def test_bad_input_raises_parameter_error(substrate: str, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        _sim(substrate, cycles=1, **kw)
