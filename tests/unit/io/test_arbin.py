"""Arbin readers (.res, DataPro .xlsx, CSV) on the real files in tests/data/arbin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.io import arbin
from lilean.testing.data import data_dir

DATA = data_dir() / "arbin"
RES = DATA / "arbin_example.res"
XLSX = DATA / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
CH33 = DATA / "2017-05-09_test-TC-contact_CH33.csv"
CSV = DATA / "arbin_example.csv"

# file, reader name, rows (PROVENANCE.md), voltage window (V), max |I| (A)
CASES = [
    (RES, "arbin-res", 2150, (3.0, 4.3), 86.6e-6),
    (XLSX, "arbin-xlsx", 4526, (0.05, 2.64), 50e-6),
    (CH33, "arbin-csv", 287, (3.30, 3.60), 6.6),
    (CSV, "arbin-csv", 2142, (2.0, 3.6), 6.6),
]
IDS = [c[0].name[:20] for c in CASES]


@pytest.fixture(scope="module")
def loaded():
    return {c[0]: lio.read(c[0]) for c in CASES}


def _vendor_table(path: Path) -> pd.DataFrame:
    """The vendor's records read independently of lilean, columns renamed to bare names."""
    if path.suffix == ".res":
        from access_parser import AccessParser

        df = pd.DataFrame(AccessParser(str(path)).parse_table("Channel_Normal_Table"))
        return df.sort_values("Data_Point", kind="stable").reset_index(drop=True)
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, sheet_name="Channel_11_1", engine="calamine")
        return df.rename(columns=lambda c: str(c).split("(")[0])
    return pd.read_csv(path)


@pytest.mark.parametrize(("path", "name", "rows", "vwin", "imax"), CASES, ids=IDS)
def test_loads_rows_units(loaded, path, name, rows, vwin, imax):
    cd = loaded[path]
    assert lio.detect(path).name == name
    assert cd.meta.file_format == name
    assert len(cd) == rows
    v = cd.data["Voltage [V]"]
    assert vwin[0] - 0.05 <= v.min() and v.max() <= vwin[1] + 0.05
    assert v.max() - v.min() > 0.5 * (vwin[1] - vwin[0])
    # nominal currents from PROVENANCE.md; the xlsx peaks at 52.6 uA for a nominal 50 uA
    assert cd.data["Current [A]"].abs().max() == pytest.approx(imax, rel=0.06)
    assert cd.meta.start_time is not None
    assert cd.meta.anomalies == []


@pytest.mark.parametrize(("path", "name", "rows", "vwin", "imax"), CASES, ids=IDS)
def test_values_match_independent_read(loaded, path, name, rows, vwin, imax):
    cd, raw = loaded[path], _vendor_table(path)
    t = raw["Test_Time"].to_numpy(dtype=float)
    np.testing.assert_allclose(cd.data["Time [s]"], t - t[0], atol=1e-9)
    np.testing.assert_allclose(cd.data["Current [A]"], raw["Current"].astype(float))
    np.testing.assert_allclose(cd.data["Voltage [V]"], raw["Voltage"].astype(float))


@pytest.mark.parametrize(("path", "name", "rows", "vwin", "imax"), CASES, ids=IDS)
def test_sign_charge_positive_voltage_rises(loaded, path, name, rows, vwin, imax):
    """Arbin's Charge_Capacity only grows while charging: those rows must have I > 0 here, and
    over the charge steps the voltage rises (galvanostatic physics), discharge the opposite."""
    cd, raw = loaded[path], _vendor_table(path)
    i = cd.data["Current [A]"].to_numpy()
    growing = np.diff(raw["Charge_Capacity"].to_numpy(dtype=float)) > 1e-9
    assert (i[1:][growing] > 0).mean() > 0.99
    step = cd.data["Step"] if path != CH33 else pd.Series(np.ones(len(cd)))
    for sign in (1, -1):
        dv = [
            g["Voltage [V]"].iloc[-1] - g["Voltage [V]"].iloc[0]
            for _, g in cd.data.groupby(step.to_numpy())
            if len(g) > 3 and np.sign(g["Current [A]"].median()) == sign
        ]
        if dv:
            assert np.mean(dv) * sign > 0


@pytest.mark.parametrize(("path", "name", "rows", "vwin", "imax"), CASES, ids=IDS)
def test_capacity_agrees_with_arbin(loaded, trapezoid_bound_mAh, path, name, rows, vwin, imax):
    """Per cycle: our integral vs Arbin's Charge_Capacity/Discharge_Capacity (Ah, read here
    independently; increase from the first row of the cycle)."""
    cd, raw = loaded[path], _vendor_table(path)
    cyc = raw["Cycle_Index"].fillna(1).to_numpy() if raw["Cycle_Index"].notna().any() else None
    cyc = np.ones(len(raw)) if cyc is None else cyc
    checked = 0
    for k, (c, g) in enumerate(cd.data.groupby("Cycle")):
        rows_raw = raw[cyc == np.unique(cyc)[k]]
        for col, vcol, sign in (
            ("Charge capacity [mAh]", "Charge_Capacity", 1),
            ("Discharge capacity [mAh]", "Discharge_Capacity", -1),
        ):
            q = rows_raw[vcol].to_numpy(dtype=float) * 1e3
            theirs = float(q.max() - q[0])
            ours = float(g[col].iloc[-1])
            # + float32 rounding of the Arbin counters (~1e-7 relative) and 1 nAh of noise
            tol = trapezoid_bound_mAh(g, sign) + 1e-6 * theirs + 1e-6
            assert abs(ours - theirs) <= tol, (c, col, ours, theirs, tol)
            vendor = float(g[f"Vendor {col[0].lower()}{col[1:]}"].iloc[-1])
            assert vendor == pytest.approx(theirs, rel=1e-9, abs=1e-9)
            checked += theirs > 0
    assert checked >= 1


def test_res_header_fields(loaded):
    meta = loaded[RES].meta
    assert meta.extra["Schedule_File_Name"].endswith("LCO-ajm5-SSA8-N_5xCo10.sdu")
    assert meta.start_time.startswith("2023-07-24")  # OLE date 45131.78
    assert "access-parser" in meta.reader


def test_metadata_csv_beside(loaded):
    meta = loaded[CH33].meta
    assert meta.extra["Schedule_File_Name"] == "20170509-6C_1C_36CV.sdu"
    assert meta.start_time == pd.Timestamp(1494377253, unit="s", tz="UTC").isoformat()


@pytest.mark.parametrize("path", [RES, XLSX, CSV], ids=["res", "xlsx", "csv"])
def test_detect_by_content_with_wrong_extension(path, read_disguised):
    """As .txt, the BioLogic .mpt, Maccor, Basytec and csv readers are tried first."""
    name, data = read_disguised(path, ".txt")
    assert name == lio.detect(path).name
    assert len(data) == len(lio.read(path))


@pytest.mark.parametrize("path", [RES, XLSX], ids=["res", "xlsx"])
def test_truncated_binary(path, cut_copy, assert_refused):
    """A third of the file must not load (the integration test lets a half copy load)."""
    cut = cut_copy(path, path.stat().st_size // 3, "cut" + path.suffix)
    assert_refused(cut, arbin.read_res if path.suffix == ".res" else arbin.read_xlsx)


def test_truncated_text_and_garbage(tmp_path, junk, assert_refused):
    text = CSV.read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[:60])  # inside the header line
    assert_refused(cut, arbin.read_csv)
    mid = tmp_path / "mid.csv"
    mid.write_text(text[: len(text) // 2])  # cut inside a data row
    cd = arbin.read_csv(mid)
    assert any("cut off" in n for n in cd.meta.notes)
    assert_refused(
        junk("junk.res", 3, 8192), arbin.read_res, arbin.read_xlsx, arbin.read_csv, lio.read
    )
