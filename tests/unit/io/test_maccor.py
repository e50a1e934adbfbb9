"""Maccor text readers on the real files in tests/data/maccor (see PROVENANCE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.errors import FileFormatError
from lilean.io import maccor
from lilean.testing.data import data_dir

DATA = data_dir() / "maccor"
TWO = DATA / "maccor_two.txt"
RAW052 = DATA / "PredictionDiagnostics_000151_test.052"
EX001 = DATA / "maccor_example.001"

# file, rows (PROVENANCE.md), voltage window (V), max |I| (A)
CASES = [
    (TWO, 213, (0.13, 0.16), 0.0),
    (RAW052, 333, (3.86, 3.87), 4.84),
    (EX001, 8, (3.30, 3.31), 0.0),
]
IDS = ["two", "052", "001"]


def _raw_052() -> pd.DataFrame:
    return pd.read_csv(RAW052, sep="\t", skiprows=1, index_col=False)


@pytest.mark.parametrize(("path", "rows", "vwin", "imax"), CASES, ids=IDS)
def test_loads_rows_units(path, rows, vwin, imax):
    assert lio.detect(path).name == "maccor"
    cd = lio.read(path)
    assert len(cd) == rows
    v = cd.data["Voltage [V]"]
    assert vwin[0] <= v.min() and v.max() <= vwin[1]
    assert cd.data["Current [A]"].abs().max() == pytest.approx(imax, abs=0.01)
    assert cd.meta.instrument == "maccor"


def test_comma_decimals_header_and_time_unit():
    """maccor_two.txt: comma decimals, 'TestTime' without unit (inferred from the DPT clock),
    dd/mm/yyyy dates (German export; PROVENANCE: test of 2021-05-06)."""
    cd = maccor.read(TWO)
    assert cd.meta.extra["decimal"] == ","
    assert cd.meta.extra["Tester"] == "Maccor #4"
    assert cd.meta.start_time == "2021-05-06T11:23:46"
    rows = [ln.split("\t") for ln in TWO.read_text().splitlines()[15:228]]
    clock = pd.to_datetime([r[12] for r in rows], format="%d/%m/%Y %H:%M:%S")
    span_clock = (clock[-1] - clock[0]).total_seconds()
    assert cd.duration_s == pytest.approx(span_clock, rel=1e-6)
    assert float(rows[1][9].replace(",", ".")) == pytest.approx(cd.data["Voltage [V]"].iloc[1])
    assert "inferred" in cd.meta.units_found["Time [s]"]
    assert any("cut off" in n for n in cd.meta.notes)  # the file's last line is incomplete


def test_minutes_header():
    cd = maccor.read(EX001)
    assert cd.data["Time [s]"].iloc[-1] == pytest.approx(1.1667 * 60)
    assert cd.meta.start_time == "2016-03-31T16:05:31"  # first DPt Time, mm/dd/yyyy
    assert "vs. Li metal" in cd.meta.extra["Comment/Barcode"]


def test_sign_from_state_column(tmp_path):
    """Discharge rows (State D) are negative, and an unsigned copy of the file gives the same."""
    raw = _raw_052()
    cd = maccor.read(RAW052)
    i = cd.data["Current [A]"].to_numpy()
    assert (raw["State"] == "D").all() and (i < 0).all()
    dvdt = np.polyfit(cd.data["Time [s]"], cd.data["Voltage [V]"], 1)[0]
    assert dvdt < 0  # discharging: voltage falls
    lines = RAW052.read_text().splitlines()
    header = lines[1].split("\t")
    k = header.index("Amps")
    out = []
    for ln in lines[2:]:
        if not ln.strip():
            continue
        f = ln.split("\t")
        f[k] = f[k].lstrip("-")
        out.append("\t".join(f))
    unsigned = tmp_path / "unsigned.052"
    unsigned.write_text("\n".join([*lines[:2], *out]) + "\n")
    cd2 = maccor.read(unsigned)
    np.testing.assert_allclose(cd2.data["Current [A]"], i)
    assert any("sign of 333" in n for n in cd2.meta.notes)


def test_capacity_agrees_with_amp_hr(trapezoid_bound_mAh):
    """Our integral vs Maccor's Amp-hr counter (read independently; the file starts mid-step, so
    the increase since the first row)."""
    raw = _raw_052()
    cd = maccor.read(RAW052)
    theirs = (raw["Amp-hr"].iloc[-1] - raw["Amp-hr"].iloc[0]) * 1e3
    ours = cd.data["Discharge capacity [mAh]"].iloc[-1]
    # trapezoid error bound, plus Amp-hr printed to 1e-10 Ah
    assert abs(ours - theirs) <= trapezoid_bound_mAh(cd.data, -1) + 1e-7
    assert cd.data["Vendor discharge capacity [mAh]"].iloc[-1] == pytest.approx(theirs, rel=1e-9)
    assert cd.data["Charge capacity [mAh]"].max() == 0.0


@pytest.mark.parametrize("path", [TWO, RAW052, EX001], ids=IDS)
def test_detect_by_content_with_wrong_extension(path, read_disguised):
    """As .csv, the Neware and Arbin CSV readers are tried before Maccor's."""
    name, data = read_disguised(path, ".csv")
    assert name == "maccor"
    assert len(data) == len(lio.read(path))


def test_truncated_and_garbage(tmp_path, junk, assert_refused):
    text = RAW052.read_text()
    cut = tmp_path / "cut.052"
    cut.write_text(text[:150])  # inside the header block
    assert_refused(cut, maccor.read)
    assert_refused(junk("junk.052", 11, 2048), maccor.read, lio.read)
    bad = tmp_path / "bad.001"
    lines = EX001.read_text().splitlines()
    lines[3] = lines[3].replace("3.30571450", "3.3O571450")
    bad.write_text("\n".join(lines))
    with pytest.raises(FileFormatError, match=r"bad.001.*Volts"):
        maccor.read(bad)
