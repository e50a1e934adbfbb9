"""Generic CSV reader: explicit column maps, automatic header mapping, lilean's own CSV round
trip. Data come from real files in tests/data."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.errors import FileFormatError, ParameterError
from lilean.io import csv_generic as cg
from lilean.io.registry import read_head
from lilean.testing.data import data_dir

DATA = data_dir()
RES = DATA / "arbin" / "arbin_example.res"


@pytest.fixture(scope="module")
def reference():
    """A real table (Arbin .res, 2150 rows, 5 cycles, charge and discharge) to write out."""
    return lio.read(RES)


def _frame(reference) -> pd.DataFrame:
    d = reference.data
    return pd.DataFrame(
        {
            "t": d["Time [s]"].to_numpy(),
            "V": d["Voltage [V]"].to_numpy(),
            "I": d["Current [A]"].to_numpy(),
            "cyc": d["Cycle"].to_numpy(),
        }
    )


def _same_core(a, b, *, atol_t: float = 1e-9) -> None:
    np.testing.assert_allclose(a.data["Time [s]"], b.data["Time [s]"], atol=atol_t)
    np.testing.assert_allclose(a.data["Voltage [V]"], b.data["Voltage [V]"], rtol=1e-12)
    np.testing.assert_allclose(a.data["Current [A]"], b.data["Current [A]"], rtol=1e-12, atol=1e-15)


# ---- lilean's own CSV ----------------------------------------------------------------------------


def test_round_trip_own_csv(reference, tmp_path):
    src = reference.with_meta(area_cm2=1.131, active_mass_mg=2.5)
    out = src.to_csv(tmp_path / "table.csv")
    assert lio.detect(out).name == "csv"
    back = lio.read(out)
    pd.testing.assert_frame_equal(back.data, src.data, check_exact=False, rtol=1e-12)
    assert back.meta.area_cm2 == 1.131 and back.meta.active_mass_mg == 2.5
    assert back.meta.start_time == src.meta.start_time
    assert back.meta.extra["sidecar_meta"]["instrument"] == "arbin"
    # without the sidecar the table still reads the same
    (tmp_path / "table.csv.meta.json").unlink()
    again = lio.read(out)
    pd.testing.assert_frame_equal(again.data, src.data, check_exact=False, rtol=1e-12)


# ---- automatic header mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "scale", "sep"),
    [
        (("Time [s]", "Voltage [V]", "Current [A]", "Cycle"), (1, 1, 1), ","),
        (("time/s", "Ewe/V", "I/mA", "cycle number"), (1, 1, 1e3), ","),
        (("Test Time (s)", "Voltage (V)", "Current (mA)", "Cycle Index"), (1, 1, 1e3), ","),
        (("Time (h)", "Potential (mV)", "Current (uA)", "Cycle"), (1 / 3600, 1e3, 1e6), "\t"),
        (("test_time(min)", "voltage(V)", "current(A)", "cycle"), (1 / 60, 1, 1), ";"),
    ],
)
def test_auto_mapping_common_spellings(reference, tmp_path, names, scale, sep):
    frame = _frame(reference)
    for col, s in zip(("t", "V", "I"), scale, strict=True):
        frame[col] = frame[col] * s
    frame.columns = list(names)
    out = tmp_path / "spelled.csv"
    frame.to_csv(out, index=False, sep=sep, float_format="%.17g")
    assert lio.detect(out).name == "csv"
    back = lio.read(out)
    _same_core(back, reference, atol_t=1e-6)
    assert back.n_cycles == reference.n_cycles


def test_time_as_datetime_and_hms(reference, tmp_path):
    frame = _frame(reference)
    t = np.round(frame["t"].to_numpy(), 3)
    frame["t"] = (pd.Timestamp("2024-03-01 08:00:00") + pd.to_timedelta(t, unit="s")).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    out = tmp_path / "dt.csv"
    frame.to_csv(out, index=False)
    cd = cg.read_csv_mapped(
        out, {"time": ("t", None), "voltage": ("V", "V"), "current": ("I", "A")}
    )
    np.testing.assert_allclose(cd.data["Time [s]"], t - t[0], atol=1e-6)
    assert cd.meta.start_time.startswith("2024-03-01T08:00")
    hms = [f"{int(s // 3600)}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}" for s in t]
    frame["t"] = hms
    frame.to_csv(out, index=False)
    cd = cg.read_csv_mapped(out, "time=t,voltage=V[V],current=I[A]")
    np.testing.assert_allclose(cd.data["Time [s]"], t - t[0], atol=1e-6)
    assert "h:mm:ss" in cd.meta.units_found["Time [s]"]


# ---- explicit mapping -----------------------------------------------------------------------------


def test_read_csv_mapped_units_sign_decimal(reference, tmp_path):
    frame = _frame(reference)
    frame["t"] = frame["t"] / 3600  # hours
    frame["I"] = -frame["I"] * 1e3  # mA, opposite sign convention
    text = frame.to_csv(index=False, sep=";", decimal=",", float_format="%.15g")
    out = tmp_path / "mapped.txt"
    out.write_text("instrument: home-made\nsecond header line\n" + text)
    mapping = "time=t[h], voltage=V[V], current=I[-mA], cycle=cyc"
    cd = cg.read_csv_mapped(out, mapping)  # header found by its column names
    _same_core(cd, reference, atol_t=1e-6)
    assert cd.meta.extra["decimal"] == "," and cd.meta.extra["delimiter"] == ";"
    assert "sign flipped" in cd.meta.units_found["Current [A]"]
    cd2 = cg.read_csv_mapped(out, cg.parse_mapping(mapping), delimiter=";", decimal=",", skiprows=2)
    _same_core(cd2, reference, atol_t=1e-6)
    # our charge capacity per cycle equals an independent trapezoid integral of the source data
    d = reference.data
    for c in (1, 2):
        g = d[d["Cycle"] == c]
        i = np.clip(g["Current [A]"].to_numpy(), 0, None)
        q = np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(g["Time [s]"].to_numpy())) / 3.6
        assert cd.data.loc[cd.data["Cycle"] == c, "Charge capacity [mAh]"].max() == pytest.approx(q)


def test_bracketed_header_names(reference, tmp_path):
    out = reference.to_csv(tmp_path / "own.csv")
    # 'Time [s]' names the header 'Time [s]' once the unit is split off
    cd = cg.read_csv_mapped(out, 'time=Time [s], voltage=Voltage[V], current="Current [A]"[A]')
    _same_core(cd, reference)


def test_missing_columns_and_units_are_clear_errors(reference, tmp_path):
    frame = _frame(reference)
    out = tmp_path / "nounits.csv"
    frame.to_csv(out, index=False)
    with pytest.raises(FileFormatError, match=r"nounits.csv.*'I' \(for current\) has no unit"):
        cg.read_csv_mapped(out, {"time": ("t", "s"), "voltage": ("V", "V"), "current": ("I", None)})
    with pytest.raises(FileFormatError, match=r"nounits.csv.*'Ewe' \(for voltage\) not found"):
        cg.read_csv_mapped(out, "time=t[s],voltage=Ewe[V],current=I[A]")
    with pytest.raises(FileFormatError, match=r"nounits.csv.*no time column"):
        cg.read_csv_auto(out)
    frame2 = frame.rename(columns={"t": "Time [s]", "V": "Voltage"})
    frame2.drop(columns=["I"]).to_csv(tmp_path / "novolt.csv", index=False)
    with pytest.raises(FileFormatError, match=r"novolt.csv.*no current column"):
        cg.read_csv_auto(tmp_path / "novolt.csv")
    # and the csv sniffer leaves files without units alone
    assert not cg._sniff_csv(out, read_head(out))


def test_bad_values_name_the_row(tmp_path):
    out = tmp_path / "bad.csv"
    out.write_text("Time [s],Voltage [V],Current [A]\n0,3.0,0.1\n1,3.1,0.1\n2,x,0.1\n")
    with pytest.raises(FileFormatError, match=r"bad.csv, row 3: column 'Voltage \[V\]'"):
        lio.read(out)


# ---- mapping strings ------------------------------------------------------------------------------


def test_parse_mapping_syntax():
    m = cg.parse_mapping("time=Test Time/h[h],voltage=Ecell[V],current=I/mA[mA],cycle=Cycle")
    assert m == {
        "time": ("Test Time/h", "h"),
        "voltage": ("Ecell", "V"),
        "current": ("I/mA", "mA"),
        "cycle": ("Cycle", None),
    }
    m = cg.parse_mapping(' time = "t, total" [min] , voltage=U , current=I[-A] ')
    assert m["time"] == ("t, total", "min") and m["voltage"] == ("U", None)
    assert m["current"] == ("I", "-A")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("time=t[s],voltage=V[V]", r"missing required key\(s\) \['current'\]"),
        ("time=t[s],voltage=V[V],current=I[A],colour=x", "unknown key 'colour'"),
        ("time=t[s],voltage=V[V],current=I[furlong]", "unknown current unit 'furlong'"),
        ("time=t[V],voltage=V[V],current=I[A]", "unknown time unit 'V'"),
        ("time=t[s],voltage=V[V],current=I[A],cycle=c[s]", "'cycle' is an index"),
        ("time=t[s],voltage=V[-V],current=I[A]", "sign flip"),
        ("time=t[s],voltage=V[V],current=I[A],time=x", "given twice"),
        ("time=t[s],,voltage=V[V],current=I[A]", "empty entry"),
        ('time="t[s],voltage=V[V],current=I[A]', "unbalanced"),
        ("time t[s],voltage=V[V],current=I[A]", "expected key=COLUMN"),
        ("time=[s],voltage=V[V],current=I[A]", "no column name"),
    ],
)
def test_parse_mapping_errors(text, message):
    with pytest.raises(ParameterError, match=message):
        cg.parse_mapping(text)


# ---- conservative detection -----------------------------------------------------------------------


def test_csv_sniffer_leaves_vendor_files_alone(data_files):
    files = [
        (p, head)
        for p, head in data_files
        if p.parent.name != "LICENSES" and p.suffix not in (".md", ".tsv", ".json")
    ]
    assert len(files) > 25
    # the generic reader is tried last: a vendor file it could also parse (PyProBE's Arbin CSV
    # with plain 'Current (A)' headers) must still go to its vendor's reader
    claimed = [
        p.name for p, head in files if cg._sniff_csv(p, head) and lio.detect(p).name == "csv"
    ]
    assert claimed == []


def test_garbage_and_truncated(reference, tmp_path, junk, assert_refused):
    assert_refused(junk("junk.csv", 1, 2048), cg.read_csv_auto, lio.read)
    out = reference.to_csv(tmp_path / "own.csv")
    text = out.read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[:40])  # inside the header line
    assert_refused(cut, cg.read_csv_auto)
    mid = tmp_path / "mid.csv"
    row_start = text.rindex("\n", 0, len(text) // 2) + 1
    end = text.index(",", row_start) + 3  # cut inside a row: that row is dropped and noted
    mid.write_text(text[:end])
    cd = cg.read_csv_auto(mid)
    assert any("cut off" in n for n in cd.meta.notes)
    assert len(cd) == text[:end].count("\n") - 1


def test_input_file_unchanged(reference, tmp_path):
    """lilean's own CSV, under an extension no reader claims (not among the real files)."""
    out = reference.to_csv(tmp_path / "own.csv")
    copy = tmp_path / "copy.dat"
    shutil.copyfile(out, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    cd = lio.read(copy)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before == cd.meta.source_sha256
