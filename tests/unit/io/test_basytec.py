"""Basytec result-file reader on the real sample (tests/data/other, see PROVENANCE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.io import basytec
from lilean.testing.data import data_dir

FILE = data_dir() / "other" / "sample_data_basytec.txt"
N_ROWS = 74  # PROVENANCE.md (pyprobe Basytec)


def _raw() -> pd.DataFrame:
    """The file read independently: 12 '~' header lines, then the '~Time[s]...' header."""
    return pd.read_csv(FILE, sep="\t", skiprows=12, encoding="latin-1")


@pytest.fixture(scope="module")
def cd():
    return basytec.read(FILE)


def test_loads_rows_units(cd):
    assert lio.detect(FILE).name == "basytec"
    assert len(cd) == N_ROWS
    raw = _raw()
    np.testing.assert_allclose(cd.data["Voltage [V]"], raw["U[V]"])
    np.testing.assert_allclose(cd.data["Current [A]"], raw["I[A]"])
    np.testing.assert_allclose(cd.data["Time [s]"], raw["~Time[s]"])
    assert 3.52 < cd.data["Voltage [V]"].min() and cd.data["Voltage [V]"].max() < 3.54
    assert cd.data["Current [A]"].abs().max() == pytest.approx(0.4535, rel=1e-3)
    assert cd.meta.start_time == "2023-06-19T17:56:53"  # '19.06.2023': day first
    assert cd.meta.extra["Testchannel"] == "1814 CH14 XCTS_40"
    assert cd.meta.units_found["Current [A]"] == "I[A]"


def test_sign(cd):
    raw = _raw()
    charge = (raw["Command"] == "Charge").to_numpy()
    assert charge.sum() > 5
    assert (cd.data["Current [A]"].to_numpy()[charge][1:] > 0).all()
    v = cd.data["Voltage [V]"].to_numpy()[charge]
    t = cd.data["Time [s]"].to_numpy()[charge]
    assert np.polyfit(t, v, 1)[0] > 0  # charging raises the voltage


def test_capacity_agrees_with_basytec(cd, trapezoid_bound_mAh):
    raw = _raw()
    charge = raw["Command"] == "Charge"
    theirs = float(raw.loc[charge, "Ah-Cyc-Charge"].max()) * 1e3
    ours = float(cd.data["Charge capacity [mAh]"].max())
    assert abs(ours - theirs) <= trapezoid_bound_mAh(cd.data, 1)
    assert abs(ours - theirs) / theirs < 1e-3
    assert cd.data["Vendor charge capacity [mAh]"].max() == pytest.approx(theirs, rel=1e-9)


def test_detect_by_content_with_wrong_extension(read_disguised):
    """As .csv, the Neware, Arbin, Maccor, LAND, Novonix and csv readers are tried first."""
    name, data = read_disguised(FILE, ".csv")
    assert name == "basytec"
    assert len(data) == N_ROWS


def test_truncated_and_garbage(cut_copy, junk, assert_refused):
    assert_refused(cut_copy(FILE, 300, "cut.txt"), basytec.read)  # inside the '~' header block
    assert_refused(junk("junk.txt", 5, 1024), basytec.read, lio.read)
