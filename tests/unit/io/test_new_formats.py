"""Readers added for issue 14: Battery Data Format CSV (read and write), Gamry DC .DTA, PEC CSV,
Neware BTSDA 8 .xlsx. Numbers from extern/PROVENANCE.md (independent readers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.errors import FileFormatError, OutputError
from lilean.io.bdf import write_bdf
from lilean.schema import CHARGE_CAPACITY, CURRENT, CYCLE, DISCHARGE_CAPACITY, TIME, VOLTAGE
from lilean.testing.data import require


def test_bdf_round_trip(tmp_path: Path) -> None:
    src = lio.read(require("neware/nw4-120-6-1-36.ndax"), strict=False)
    out = write_bdf(src, tmp_path / "cell.bdf.csv")
    header = out.read_text().splitlines()[0].split(",")
    assert header[:3] == ["Test Time / s", "Voltage / V", "Current / A"]
    assert lio.detect(out).name == "bdf-csv"
    back = lio.read(out)
    assert len(back) == len(src)
    for col in (TIME, VOLTAGE, CURRENT):
        np.testing.assert_allclose(back.data[col], src.data[col], rtol=1e-9, atol=1e-12)
    assert (back.data[CYCLE].to_numpy() == src.data[CYCLE].to_numpy()).all()
    for col in (CHARGE_CAPACITY, DISCHARGE_CAPACITY):
        a = back.data.groupby(CYCLE)[col].max().to_numpy()
        b = src.data.groupby(CYCLE)[col].max().to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-9)
    assert back.meta.capacity_source["charge"] == "instrument counter"


def test_bdf_machine_names_and_refusals(tmp_path: Path) -> None:
    t = np.arange(0.0, 100.0, 10.0)
    frame = pd.DataFrame(
        {"test_time_second": t, "voltage_volt": 3.5 + t / 1e3, "current_ampere": 0.001}
    )
    p = tmp_path / "m.csv"
    frame.to_csv(p, index=False)
    data = lio.read(p)
    assert data.meta.file_format == "bdf-csv" and len(data) == 10
    assert data.data[CHARGE_CAPACITY].iloc[-1] == pytest.approx(0.001 * 90 / 3.6)
    bad = tmp_path / "bad.csv"
    bad.write_text("Test Time / s,Voltage / V,Current / A\n0,3.5,0.1\n1,x,0.1\n")
    with pytest.raises(FileFormatError, match=r"bad.csv, row 3: column 'Voltage / V'"):
        lio.read(bad)
    with pytest.raises(OutputError, match="refusing to overwrite"):
        write_bdf(lio.read(p), p)


def test_gamry_cv_curves_are_cycles() -> None:
    data = lio.read(require("extern/gamry/cv_data.dta"))
    d = data.data
    assert data.meta.file_format == "gamry-dta" and len(d) == 50
    assert d[CYCLE].nunique() == 5 and (d.groupby(CYCLE).size() == 10).all()
    assert d[VOLTAGE].min() == pytest.approx(0.49) and d[VOLTAGE].max() == pytest.approx(0.897987)
    assert d[CURRENT].iloc[0] == pytest.approx(7.80498e-09)
    assert d[TIME].iloc[-1] == pytest.approx(601.1 - 0.1)


def test_gamry_truncated_and_impedance(tmp_path: Path) -> None:
    raw = require("extern/gamry/cv_data.dta").read_bytes()
    cut = tmp_path / "cut.dta"
    cut.write_bytes(raw[: raw.rindex(b"\t", 0, len(raw) - 20)])
    data = lio.read(cut)
    assert len(data) == 49 and any("cut off" in n for n in data.meta.notes)
    with pytest.raises(FileFormatError, match="impedance"):
        lio.read(require("eis/exampleDataGamry.DTA"))


def test_pec_csv() -> None:
    data = lio.read(require("extern/other/Test25205.csv"))
    assert data.meta.file_format == "pec-csv" and len(data) == 489
    assert data.meta.start_time == "2026-01-08T17:40:39"
    d = data.data
    assert d[TIME].iloc[-1] == pytest.approx(19 * 3600 + 41 * 60 + 58.980 - 0.002)


def test_neware_btsda8_xlsx_record_sheet() -> None:
    name = (
        "extern/neware/GMJuly2022_CELL002_RPT_3_P0C_5P0PSI_20230110_R0_CH041_20230110143333"
        "_37_2_1_2818580185.xlsx"
    )
    data = lio.read(require(name))
    assert data.meta.file_format == "neware-xlsx" and len(data) == 2833
    assert 0.999 < data.data[CURRENT].max() < 1.001  # 1 A CCCV charge


def test_library_logs_go_to_notes_not_the_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    """fastnda logs a warning for the pulse file; access_parser logs damage: neither reaches
    stderr, both are in the notes or the one-line error."""
    data = lio.read(require("extern/neware/2-1-6_61[07005012].nda"), strict=False)
    assert any(n.startswith("fastnda: Data contains Pulse") for n in data.meta.notes)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
