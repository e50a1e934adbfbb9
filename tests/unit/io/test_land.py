"""LAND (LANDdt) reader on the real Si||Li export (tests/data/land, see PROVENANCE.md)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.errors import FileFormatError
from lilean.io import land
from lilean.testing.data import data_dir

DATA = data_dir()
XLSX = DATA / "land" / "custom_data_002.xlsx"
N_ROWS = 16538  # PROVENANCE.md: Record-Tab rows (cellpy custom + custom_002.yml)


@pytest.fixture(scope="module")
def cd():
    return land.read(XLSX)


def _sheet(name: str) -> pd.DataFrame:
    """A sheet of the workbook read independently (openpyxl, read-only mode)."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(XLSX, read_only=True, data_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])


@pytest.fixture(scope="module")
def record_tab() -> pd.DataFrame:
    return _sheet("Record-Tab")


@pytest.fixture(scope="module")
def cycle_tab() -> pd.DataFrame:
    return _sheet("Cycle-Tab")


def test_row_count_and_metadata(cd):
    assert len(cd) == N_ROWS
    assert cd.n_cycles == 14
    assert cd.meta.instrument == "land"
    assert cd.meta.start_time is not None and cd.meta.start_time.startswith("2021-02-25")
    assert cd.meta.units_found["Current [A]"] == "Current/mA"
    assert "python-calamine" in cd.meta.reader
    assert cd.meta.anomalies == []


def test_units(cd):
    v = cd.data["Voltage [V]"]
    i_mA = cd.data["Current [A]"] * 1e3
    # PROVENANCE: 0.05-3.08 V, +-1.458 mA at most
    assert 0.04 < v.min() < 0.06 and 3.0 < v.max() < 3.1
    assert 1.4 < i_mA.abs().max() < 1.5


def test_values_match_independent_read(cd, record_tab):
    t = record_tab["TestTime/Sec"].to_numpy(dtype=float)
    np.testing.assert_allclose(cd.data["Time [s]"], t - t[0])
    np.testing.assert_allclose(cd.data["Current [A]"], record_tab["Current/mA"].astype(float) / 1e3)
    np.testing.assert_allclose(cd.data["Voltage [V]"], record_tab["Voltage/V"].astype(float))


def test_sign_matches_step_state_and_physics(cd, record_tab):
    state = record_tab["Step-State"].astype(str).to_numpy()
    i = cd.data["Current [A]"].to_numpy()
    assert (i[state == "RateC"] > 0).all()
    assert (i[state == "RateD"] < 0).all()
    # cycle 1 starts with lithiation of Si: a discharge (negative current, voltage falling)
    first_active = np.flatnonzero(i != 0)[0]
    assert i[first_active] < 0
    # galvanostatic steps: voltage rises while charging, falls while discharging
    for sign in (1, -1):
        dv = [
            g["Voltage [V]"].iloc[-1] - g["Voltage [V]"].iloc[0]
            for _, g in cd.data.groupby("Step")
            if len(g) > 3 and np.sign(g["Current [A]"].median()) == sign
        ]
        assert len(dv) >= 14
        assert np.all(np.sign(dv) == sign)


def _edge_bound_mAh(
    df: pd.DataFrame, sign: int, trapezoid_mAh: float, time_res_s: float, cur_res_mA: float
) -> float:
    """Largest possible difference between the trapezoid integral of the logged rows and the
    instrument's own capacity, for one cycle and one direction:
    * ``trapezoid_mAh``: the trapezoid rule's own error bound (fixture ``trapezoid_bound_mAh``);
    * each step edge is logged to the nearest time_res_s, so each edge can miss |I| * time_res_s;
    * the logged current is rounded to cur_res_mA / 2, over the whole duration of the steps."""
    t = df["Time [s]"].to_numpy()
    i = np.clip(sign * df["Current [A]"].to_numpy(), 0, None) * 1e3  # mA
    dt = np.diff(t)
    active = i > 0
    n_steps = df.loc[active, "Step"].nunique()
    edges = 2 * n_steps * float(i.max(initial=0)) * time_res_s / 3600
    duration_h = float(np.sum(dt[active[1:] | active[:-1]])) / 3600
    return trapezoid_mAh + edges + 0.5 * cur_res_mA * duration_h


def test_capacity_agrees_with_cycle_tab(cd, cycle_tab, trapezoid_bound_mAh):
    """Our integral per cycle vs LANDdt's own CapC/CapD (Cycle-Tab, read with openpyxl)."""
    data = cd.data
    assert data["Time [s]"].eq(data["Time [s]"].round()).all()  # logged to 1 s
    for _, row in cycle_tab.iterrows():
        cyc = int(row["Cycle"])
        g = data[data["Cycle"] == cyc]
        for col, vendor_col, sign in (
            ("Charge capacity [mAh]", "CapC/mAh", 1),
            ("Discharge capacity [mAh]", "CapD/mAh", -1),
        ):
            ours = float(g[col].max())
            theirs = float(row[vendor_col])
            trapezoid = trapezoid_bound_mAh(g, sign)
            tol = _edge_bound_mAh(g, sign, trapezoid, time_res_s=1.0, cur_res_mA=1e-5) + 0.5e-5
            assert abs(ours - theirs) <= tol, (cyc, col, ours, theirs, tol)
            assert abs(ours - theirs) <= 5e-4 * theirs  # and the bound is tight: < 0.05 %
    # the vendor column kept beside ours is the same per-cycle number as Cycle-Tab
    vend = data.groupby("Cycle")[
        ["Vendor charge capacity [mAh]", "Vendor discharge capacity [mAh]"]
    ]
    np.testing.assert_allclose(
        vend.max().iloc[:, 0], cycle_tab["CapC/mAh"].astype(float), atol=2e-5
    )
    np.testing.assert_allclose(
        vend.max().iloc[:, 1], cycle_tab["CapD/mAh"].astype(float), atol=2e-5
    )


def test_active_mass_from_specific_capacity(cd, cycle_tab):
    expected_mg = (
        1e3 * cycle_tab["CapC/mAh"].astype(float) / cycle_tab["SpeCapC/mAh/g"].astype(float)
    )
    assert cd.meta.active_mass_mg == pytest.approx(float(expected_mg.median()), rel=1e-3)


def test_csv_export_reads_the_same(cd, record_tab, tmp_path):
    """The same parser on the CSV container: export Record-Tab to CSV, read it back."""
    out = tmp_path / "land_record.csv"
    frame = record_tab.copy()
    frame["SysTime"] = pd.to_datetime(frame["SysTime"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL)
    assert lio.detect(out).name == "land"
    back = lio.read(out)
    assert back.meta.file_format == "land-csv"
    assert len(back) == N_ROWS
    pd.testing.assert_frame_equal(
        back.data[cd.data.columns[:8]], cd.data[cd.data.columns[:8]], check_exact=False
    )
    assert back.meta.start_time == cd.meta.start_time


def test_tab_separated_and_hms_time(record_tab, tmp_path):
    """LANDdt text exports may be tab separated with d-hh:mm:ss times."""
    frame = record_tab.head(500).copy()
    sec = frame["TestTime/Sec"].astype(float)
    frame = frame.rename(columns={"TestTime/Sec": "TestTime/h:m:s"})
    frame["TestTime/h:m:s"] = [
        f"{int(s // 86400)}-{int(s % 86400 // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}"
        for s in sec
    ]
    out = tmp_path / "land.txt"
    frame.to_csv(out, index=False, sep="\t")
    back = lio.read(out, format="land")
    np.testing.assert_allclose(back.data["Time [s]"], sec - sec.iloc[0], atol=1e-3)


def test_detect_by_content_with_wrong_extension(read_disguised):
    """As .res, the Arbin .res reader is tried first."""
    name, data = read_disguised(XLSX, ".res")
    assert name == "land"
    assert len(data) == N_ROWS


def test_truncated_and_garbage(tmp_path, cut_copy, junk, assert_refused):
    # half a workbook must not load (the integration test lets a half copy load)
    assert_refused(cut_copy(XLSX, XLSX.stat().st_size // 2, "cut.xlsx"), land.read)
    assert_refused(junk("junk.xlsx", 7, 4096), land.read, lio.read)
    header_only = tmp_path / "header.csv"
    header_only.write_text("TestTime/Sec,Current/mA,Voltage/V,Cycle-Index\n")
    assert_refused(header_only, land.read)
    bad = tmp_path / "bad.csv"
    bad.write_text("TestTime/Sec,Current/mA,Voltage/V,Cycle-Index\n0,1,abc,1\n1,1,3.0,1\n")
    with pytest.raises(FileFormatError, match=r"bad.csv.*Voltage/V"):
        land.read(bad)
