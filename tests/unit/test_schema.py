"""The canonical table: derived columns, conservation of charge, Parquet/CSV round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.errors import FileFormatError, OutputError
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    REQUIRED_COLUMNS,
    STEP,
    STEP_TYPE,
    CyclingData,
    Metadata,
    build_table,
    capacities_from_current,
    validate,
)


def _square_wave(n_cycles: int = 3, current_A: float = 1e-3, half_s: float = 3600.0):
    t, i, c = [], [], []
    for k in range(n_cycles):
        for sign in (+1, -1):
            ts = np.linspace(0, half_s, 61)[1:] + (2 * k + (sign < 0)) * half_s
            t.extend(ts)
            i.extend([sign * current_A] * len(ts))
            c.extend([k + 1] * len(ts))
    return np.array(t), np.array(i), np.array(c)


def test_build_table_has_schema_and_capacities():
    t, i, c = _square_wave()
    df = build_table(t, 3.4 + 0 * t, i, cycle=c)
    assert list(df.columns)[: len(REQUIRED_COLUMNS)] == list(REQUIRED_COLUMNS)
    per_cycle = df.groupby(CYCLE).agg({CHARGE_CAPACITY: "max", DISCHARGE_CAPACITY: "max"})
    # 1 mA for 1 h = 1 mAh each way (minus the first 60 s interval lost at the cycle start)
    assert np.allclose(per_cycle[CHARGE_CAPACITY].iloc[1:], 1.0, rtol=0.02)
    assert np.allclose(per_cycle[DISCHARGE_CAPACITY], 1.0, rtol=0.02)
    assert set(df[STEP_TYPE]) == {"charge", "discharge"}
    assert df[STEP].is_monotonic_increasing and df[STEP].iloc[-1] == 6


def test_renumbering_is_one_based_and_monotonic():
    t = np.arange(6.0)
    df = build_table(t, t, [1, 1, -1, -1, 0, 0], cycle=[7, 7, 7, 9, 9, 9])
    assert df[CYCLE].tolist() == [1, 1, 1, 2, 2, 2]
    assert df[STEP_TYPE].tolist() == ["charge"] * 2 + ["discharge"] * 2 + ["rest"] * 2


@settings(max_examples=60, deadline=None)
@given(
    currents=st.lists(st.floats(-5e-3, 5e-3, allow_nan=False), min_size=2, max_size=80),
    dt=st.floats(0.1, 100.0),
)
def test_capacity_integration_conserves_charge(currents, dt):
    """Total charge minus discharge equals the signed integral of current (one cycle)."""
    i = np.array(currents)
    t = np.arange(i.size) * dt
    q_ch, q_dis = capacities_from_current(t, i, np.ones(i.size, dtype=int))
    signed = np.trapezoid(i, t) / 3.6
    # splitting positive and negative parts of a trapezoid across a sign change is not exact for
    # the split, but the *difference* is exact
    assert q_ch[-1] - q_dis[-1] == pytest.approx(signed, abs=1e-12)
    assert (np.diff(q_ch) >= -1e-15).all() and (np.diff(q_dis) >= -1e-15).all()


def _sample() -> CyclingData:
    t, i, c = _square_wave(2)
    df = build_table(t, 3.3 + 1e-4 * i, i, cycle=c, extra={"Temperature [degC]": 25.0 + 0 * t})
    meta = Metadata(
        instrument="test",
        file_format="synthetic",
        area_cm2=1.131,
        active_mass_mg=2.66,
        units_found={CURRENT: "I/mA"},
        anomalies=["none really"],
        extra={"channel": 3, "nested": {"a": [1, 2]}},
    )
    return CyclingData(df, meta)


def test_parquet_round_trip_loses_nothing(tmp_path):
    data = _sample()
    path = data.to_parquet(tmp_path / "x.parquet")
    back = CyclingData.from_parquet(path)
    pd.testing.assert_frame_equal(back.data, data.data)
    assert back.meta == data.meta
    assert not list(tmp_path.glob("*.part"))  # atomic write left no temporary file


def test_csv_writes_metadata_sidecar(tmp_path):
    data = _sample()
    path = data.to_csv(tmp_path / "x.csv")
    assert pd.read_csv(path).shape == data.data.shape
    meta = json.loads((tmp_path / "x.csv.meta.json").read_text())
    assert meta["area_cm2"] == 1.131 and meta["extra"]["channel"] == 3


def test_refuses_to_overwrite_source(tmp_path):
    src = tmp_path / "raw.csv"
    src.write_text("original")
    data = _sample().with_meta(source_file=str(src))
    with pytest.raises(OutputError, match="refusing to overwrite"):
        data.to_csv(src)
    assert src.read_text() == "original"


def test_from_parquet_rejects_foreign_files(tmp_path):
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(FileFormatError, match="no lilean metadata"):
        CyclingData.from_parquet(path)
    bad = tmp_path / "garbage.parquet"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(FileFormatError, match=r"garbage\.parquet"):
        CyclingData.from_parquet(bad)


def test_validate_reports_anomalies():
    df = build_table([0, 1, 2, 1.5, 5000, 5001], [1] * 6, [0.001] * 6)
    anomalies = validate(df)
    assert any("backwards" in a and "row 4" in a for a in anomalies)
    assert any("gap" in a for a in anomalies)
    with pytest.raises(FileFormatError, match="no data rows"):
        validate(df.iloc[:0])
    with pytest.raises(FileFormatError, match="lacks required columns"):
        validate(df.drop(columns=[STEP]))
