"""Capacities come from the instrument's own counter where the file has one; lilean's integration
of the logged current is only a check, and a disagreement is an anomaly with cycle and size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lilean import io
from lilean.io.common import INSTRUMENT_COUNTER, INTEGRATED_CURRENT, prefer_vendor_capacity
from lilean.schema import (
    CHARGE_CAPACITY,
    CYCLE,
    DISCHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    build_table,
)
from lilean.testing.data import require


def _total(data, col: str) -> float:
    return float(data.data.groupby(CYCLE)[col].max().sum())


def test_pulse_nda_uses_the_vendor_counter() -> None:
    """NewareNDA's mediafire pulse file: the BTSDA export counts 299.8 mAh of discharge;
    integrating the logged current gives 900.3 mAh (PROVENANCE.md of extern/)."""
    data = io.read(require("extern/neware/2-1-6_61[07005012].nda"), strict=False)
    assert _total(data, DISCHARGE_CAPACITY) == pytest.approx(299.8, rel=0.002)
    assert data.meta.capacity_source == {
        "charge": INSTRUMENT_COUNTER,
        "discharge": INSTRUMENT_COUNTER,
    }
    [flag] = [a for a in data.meta.anomalies if "integrated current" in a]
    assert flag.startswith("cycle 1: discharge capacity") and "299.8" in flag and "900" in flag


def test_arbin_csv_counter_disagreement_is_flagged() -> None:
    """PyProBE's Arbin CSV: counters 0.4008 / 0.02044 mAh, integration 0.63 mAh."""
    data = io.read(require("extern/arbin/sample_data_arbin.csv"), strict=False)
    assert _total(data, CHARGE_CAPACITY) == pytest.approx(0.4008, rel=0.002)
    assert _total(data, DISCHARGE_CAPACITY) == pytest.approx(0.02044, rel=0.01)
    assert any(a.startswith("cycle 1: charge capacity") for a in data.meta.anomalies)


def test_agreeing_counter_gives_no_anomaly() -> None:
    data = io.read(require("neware/nw4-120-6-1-36.ndax"), strict=False)
    assert not [a for a in data.meta.anomalies if "counter" in a]
    assert data.meta.capacity_source["discharge"] == INSTRUMENT_COUNTER


def test_without_counter_the_integration_stays() -> None:
    t = np.arange(0.0, 3601.0, 1.0)
    table = build_table(t, np.full_like(t, 3.5), np.full_like(t, 1e-3))
    before = table[CHARGE_CAPACITY].to_numpy().copy()
    source, anomalies = prefer_vendor_capacity(table)
    assert source == {"charge": INTEGRATED_CURRENT, "discharge": INTEGRATED_CURRENT}
    assert anomalies == [] and np.array_equal(table[CHARGE_CAPACITY].to_numpy(), before)
    assert before[-1] == pytest.approx(1.0)  # 1 mA for 1 h


def test_counter_with_gaps_is_not_used() -> None:
    t = np.arange(0.0, 11.0)
    table = build_table(t, np.full_like(t, 3.5), np.full_like(t, -1e-3))
    vendor = np.linspace(0, 1, t.size)
    vendor[3] = np.nan
    table[VENDOR_DISCHARGE_CAPACITY] = vendor
    source, _ = prefer_vendor_capacity(table)
    assert source["discharge"].startswith(INTEGRATED_CURRENT)
    assert isinstance(table, pd.DataFrame)
