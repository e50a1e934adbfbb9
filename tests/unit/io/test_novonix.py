"""Novonix UHPC CSV reader on the real sample (tests/data/other, see PROVENANCE.md)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.io import novonix
from lilean.testing.data import data_dir

FILE = data_dir() / "other" / "sample_data_novonix.csv"
N_ROWS = 207  # PROVENANCE.md (pyprobe Novonix)


def _raw() -> pd.DataFrame:
    lines = FILE.read_text(encoding="utf-8").splitlines()
    k = lines.index("[Data]")
    return pd.read_csv(io.StringIO("\n".join(lines[k + 1 :])))


@pytest.fixture(scope="module")
def cd():
    return novonix.read(FILE)


def test_loads_rows_units(cd):
    assert lio.detect(FILE).name == "novonix"
    assert len(cd) == N_ROWS
    raw = _raw()
    np.testing.assert_allclose(cd.data["Time [s]"], raw["Run Time (h)"] * 3600)
    np.testing.assert_allclose(cd.data["Voltage [V]"], raw["Potential (V)"])
    assert 3.84 < cd.data["Voltage [V]"].min() and cd.data["Voltage [V]"].max() < 4.13
    assert cd.data["Current [A]"].abs().max() == pytest.approx(0.5, rel=1e-3)
    assert cd.meta.start_time == "2025-07-19T15:26:20"
    assert cd.meta.extra["Description"] == "LGM50LT-Co10-1C"
    assert cd.meta.active_mass_mg is None  # 1.000 g is the UHPC placeholder
    assert "Temperature [degC]" in cd.data


def test_sign(cd):
    i = cd.data["Current [A]"].to_numpy()
    assert (i[1:] > 0).all()  # a CC charge at 0.5 A
    slope = np.polyfit(cd.data["Time [s]"], cd.data["Voltage [V]"], 1)[0]
    assert slope > 0


def test_capacity_agrees_with_novonix(cd, trapezoid_bound_mAh):
    raw = _raw()
    theirs = float(raw["Capacity (Ah)"].iloc[-1] - raw["Capacity (Ah)"].iloc[0]) * 1e3
    ours = float(cd.data["Charge capacity [mAh]"].iloc[-1])
    i = np.clip(cd.data["Current [A]"].to_numpy(), 0, None)
    # trapezoid error bound, plus the rounding of Run Time (printed to 1e-7 h) on every interval
    n_dt = len(i) - 1
    bound = trapezoid_bound_mAh(cd.data, 1) + i.max() * 0.5e-7 * 3600 / 3.6 * n_dt
    assert abs(ours - theirs) <= bound
    assert abs(ours - theirs) / theirs < 1e-4
    assert cd.data["Vendor charge capacity [mAh]"].iloc[-1] == pytest.approx(theirs, rel=1e-9)


def test_detect_by_content_with_wrong_extension(read_disguised):
    """As .txt, the BioLogic .mpt, Maccor, Basytec and csv readers are tried first."""
    name, data = read_disguised(FILE, ".txt")
    assert name == "novonix"
    assert len(data) == N_ROWS


def test_truncated_and_garbage(tmp_path, junk, assert_refused):
    text = FILE.read_text(encoding="utf-8")
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.index("[Data]")], encoding="utf-8")
    assert_refused(cut, novonix.read)
    assert_refused(junk("junk.csv", 9, 1024), novonix.read, lio.read)


def test_restarted_test_continues_the_run_time(tmp_path):
    """A test restarted on the UHPC writes its run time from 0 again: lilean continues it by
    the earlier end plus the wall-clock pause (``Date and Time``), and says so."""
    lines = FILE.read_text(encoding="utf-8").splitlines()
    k = lines.index("[Data]")
    header = lines[k + 1].split(",")
    t_col = next(i for i, h in enumerate(header) if h.startswith("Run Time"))
    rows = [ln.split(",") for ln in lines[k + 2 :] if ln.strip()]
    half = len(rows) // 2
    t_half = float(rows[half][t_col]) - 0.001  # the first row after the restart at 3.6 s
    for r in rows[half:]:
        r[t_col] = f"{float(r[t_col]) - t_half:.7f}"  # the restart: run time from 0 again
    restarted = tmp_path / "restarted.csv"
    restarted.write_text("\n".join([*lines[: k + 2], *(",".join(r) for r in rows)]) + "\n")
    data = lio.read(restarted)  # strict: time must not go backwards
    t = data.data["Time [s]"].to_numpy()
    assert (np.diff(t) >= 0).all()
    original = novonix.read(FILE).data["Time [s]"].to_numpy()
    # the pause is the wall-clock gap between the two rows, as in the original file
    np.testing.assert_allclose(t, original, atol=1.5)
    assert any("restarted 1 time(s)" in n for n in data.meta.notes)
