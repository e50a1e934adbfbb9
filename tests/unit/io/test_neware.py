"""Neware readers (.nda/.ndax via fastnda, BTSDA CSV and .xls by lilean) on the real files.

Independent references: NewareNDA (row counts, voltage, current, cycle, step status), the raw CSV
text (pandas / line counts), the cycle rows of the nested export and the Cycle_* sheet of the .xls
(vendor per-cycle capacities), the raw Detail sheet read with xlrd, and PROVENANCE.md numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lilean.errors import FileFormatError
from lilean.io import read
from lilean.io.neware import parse_duration_s, total_time_from_step_time
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    TIME,
    VOLTAGE,
)
from lilean.testing.data import data_dir, names

DATA = data_dir()
NW = DATA / "neware"
NDA_FILES = [DATA / n for n in names("neware") if n.endswith((".nda", ".ndax"))]
UIO = NW / "neware_uio.csv"
NESTED = NW / "nw_regular_export_ife_example.csv"
XLS = NW / "custom_data_003.xls"

NewareNDA = pytest.importorskip("NewareNDA")
# NewareNDA (the reference reader) uses pandas APIs that pandas 3 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")
pytest.importorskip("fastnda")


@pytest.fixture(scope="module")
def uio():
    return read(UIO)


@pytest.fixture(scope="module")
def nested():
    return read(NESTED)


@pytest.fixture(scope="module")
def xls():
    return read(XLS)


#: per-cycle capacity vs the vendor's: within 1 % of the cycle's capacity (absolute floor 0.5 % of
#: the largest cycle, for near-empty half cycles). The vendor integrates at its internal rate, we
#: integrate the recorded points with the trapezoid rule; at constant current the two differ only
#: over the interval at each step change.
CAPACITY_TOL = {"rtol": 1e-2, "atol_frac": 5e-3, "min_scale": 1e-12}


# ---- .nda / .ndax --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NDA_FILES, ids=lambda p: p.name)
def test_nda_matches_newarenda(path: Path) -> None:
    ref = NewareNDA.read(str(path))
    data = read(path, strict=False)
    assert data.meta.file_format == "neware-nda"
    assert len(data) == len(ref)
    np.testing.assert_allclose(data.data[VOLTAGE], ref["Voltage"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(data.data[CURRENT] * 1e3, ref["Current(mA)"], rtol=1e-6, atol=1e-9)
    # cycles: same grouping (both renumbered from 1)
    ref_cycle = ref["Cycle"].to_numpy()
    np.testing.assert_array_equal(
        data.data[CYCLE].to_numpy(), np.cumsum(np.r_[True, ref_cycle[1:] != ref_cycle[:-1]])
    )


@pytest.mark.parametrize("path", NDA_FILES, ids=lambda p: p.name)
def test_nda_sign_by_neware_status(path: Path) -> None:
    """NewareNDA's step status (an independent label) vs the sign of our current."""
    ref = NewareNDA.read(str(path))
    i = read(path, strict=False).data[CURRENT].to_numpy()
    status = ref["Status"].astype(str).str.lower()
    dis = status.str.contains("dchg").to_numpy()
    chg = status.str.contains("chg").to_numpy() & ~dis
    assert np.all(i[chg] >= 0) and np.all(i[dis] <= 0)
    if chg.sum() > 10:
        v = ref["Voltage"].to_numpy()
        cc = (status == "cc_chg").to_numpy()
        if cc.sum() > 10:  # voltage rises on constant-current charge
            dv = np.diff(v)[cc[1:] & cc[:-1]]
            assert dv.sum() > 0


@pytest.mark.parametrize(
    "path", [p for p in NDA_FILES if "Unit27" not in p.name], ids=lambda p: p.name
)
def test_nda_capacity_agrees_with_vendor(path: Path, assert_capacity_agrees) -> None:
    # test.nda records 4 significant digits of a ~50 uA current: allow 2 %
    tol = {**CAPACITY_TOL, "rtol": 2e-2} if "test.nda" in path.name else CAPACITY_TOL
    assert_capacity_agrees(read(path, strict=False).data, **tol)


def test_nda_units_and_time() -> None:
    data = read(NW / "nw4-120-6-1-36.ndax")
    i_mA = data.data[CURRENT].to_numpy() * 1e3
    v = data.data[VOLTAGE].to_numpy()
    assert 22.4 < i_mA.max() < 22.6 and -22.6 < i_mA.min() < -22.4  # PROVENANCE +-22.5 mA
    assert 2.74 < v.min() and v.max() < 4.21
    assert data.n_cycles == 5
    ref = NewareNDA.read(str(NW / "nw4-120-6-1-36.ndax"))
    wall = (ref["Timestamp"] - ref["Timestamp"].iloc[0]).dt.total_seconds().to_numpy()
    np.testing.assert_allclose(data.data[TIME].to_numpy(), wall, atol=0.01)
    assert data.meta.start_time is not None and data.meta.start_time.startswith("2025-02-06")


def test_nda_active_mass_from_header() -> None:
    assert read(NW / "test.nda").meta.active_mass_mg == pytest.approx(1.0)
    assert read(NW / "TestFile.nda", strict=False).meta.active_mass_mg is None  # header says 0


# ---- CSV -----------------------------------------------------------------------------------------


def test_flat_csv_rows_units_sign(uio, assert_capacity_agrees) -> None:
    raw = pd.read_csv(UIO)
    assert len(uio) == len(raw) == 9065
    assert uio.meta.extra["layout"] == "flat"
    np.testing.assert_allclose(uio.data[CURRENT], raw["Current(A)"])
    i_mA = uio.data[CURRENT].to_numpy() * 1e3
    assert 0.98 < np.abs(i_mA).max() < 1.0  # PROVENANCE +-0.99 mA
    v = uio.data[VOLTAGE].to_numpy()
    assert 0.049 < v.min() and v.max() < 2.97
    chg = raw["Step Type"].str.contains("Chg") & ~raw["Step Type"].str.contains("DChg")
    assert (i_mA[chg.to_numpy()] > 0).all() and (i_mA[raw["Step Type"].eq("CC DChg")] < 0).all()
    assert uio.meta.units_found[CURRENT] == "Current(A)"
    assert_capacity_agrees(uio.data, **CAPACITY_TOL)


def test_flat_csv_total_time_matches_cumulative_time(uio) -> None:
    raw = pd.read_csv(UIO)
    cum = pd.to_timedelta(raw["Cumulative Time"]).dt.total_seconds().to_numpy()
    np.testing.assert_allclose(uio.data[TIME], cum - cum[0])


def test_step_time_only_csv_rebuilds_total_time(tmp_path: Path, uio) -> None:
    raw = pd.read_csv(UIO, dtype=str)
    copy = tmp_path / "no_total.csv"
    raw.drop(columns=["Cumulative Time"]).to_csv(copy, index=False)
    rebuilt = read(copy)
    assert any("rebuilt" in n for n in rebuilt.meta.notes)
    # the export has no gap between steps: rebuilt time equals the cumulative time within
    # the 1 s resolution of the timestamps, summed over the ~30 steps
    np.testing.assert_allclose(rebuilt.data[TIME], uio.data[TIME], atol=60.0)
    assert (np.diff(rebuilt.data[TIME].to_numpy()) >= 0).all()


def test_nested_csv_rows_and_cycles(nested) -> None:
    lines = NESTED.read_text().splitlines()
    n_records = sum(1 for ln in lines[3:] if ln.startswith(",,"))
    n_cycles = sum(1 for ln in lines[3:] if ln and not ln.startswith(","))
    assert len(nested) == n_records == 9295
    assert nested.n_cycles == n_cycles == 20
    assert nested.meta.extra["layout"] == "nested"
    v = nested.data[VOLTAGE].to_numpy()
    assert v[0] == pytest.approx(4.3185)  # PROVENANCE: starts at 4.3185 V


def test_nested_csv_capacity_matches_cycle_rows(nested) -> None:
    """Our integrated capacity vs the vendor's own cycle rows (Chg./DChg. Cap.(Ah))."""
    rows = [ln.split(",") for ln in NESTED.read_text().splitlines()[3:] if ln and ln[0] != ","]
    chg_mAh = np.array([float(r[1]) for r in rows]) * 1e3
    dchg_mAh = np.array([float(r[2]) for r in rows]) * 1e3
    per_cycle = nested.data.groupby(CYCLE).max(numeric_only=True)
    np.testing.assert_allclose(per_cycle[CHARGE_CAPACITY], chg_mAh, rtol=1e-2)
    np.testing.assert_allclose(per_cycle[DISCHARGE_CAPACITY], dchg_mAh, rtol=1e-2)
    t = nested.data[TIME].to_numpy()
    i = nested.data[CURRENT].to_numpy()
    v = nested.data[VOLTAGE].to_numpy()
    charging = (i[1:] > 0) & (i[:-1] > 0)
    assert np.diff(v)[charging].sum() / np.diff(t)[charging].sum() > 0


# ---- .xls ----------------------------------------------------------------------------------------


def test_xls_rows_mass_units(xls) -> None:
    import xlrd

    book = xlrd.open_workbook(str(XLS))
    detail = book.sheet_by_name("Detail_14_1_3")
    assert len(xls) == detail.nrows - 1 == 2943
    assert xls.meta.active_mass_mg == pytest.approx(1.04497215)
    assert xls.n_cycles == 14
    statis = book.sheet_by_name("Statis_14_1_3")
    hdr = statis.row_values(0)
    start_i = np.array(statis.col_values(hdr.index("Start Current(mA)"))[1:], dtype=float)
    i_mA = xls.data[CURRENT].to_numpy() * 1e3
    assert np.abs(i_mA).max() == pytest.approx(np.abs(start_i).max(), rel=1e-3)
    v = xls.data[VOLTAGE].to_numpy()
    assert 0.049 < v.min() and v.max() < 2.38  # PROVENANCE 0.05-2.375 V
    status = pd.Series(detail.col_values(1)[1:])
    assert (i_mA[status.eq("CC_Chg").to_numpy()] > 0).all()
    assert (i_mA[status.str.contains("DChg").to_numpy()] < 0).all()


def test_xls_capacity_matches_cycle_sheet(xls, assert_capacity_agrees) -> None:
    import xlrd

    sheet = xlrd.open_workbook(str(XLS)).sheet_by_name("Cycle_14_1_3")
    chg = np.array(sheet.col_values(2)[1:], dtype=float)
    dchg = np.array(sheet.col_values(3)[1:], dtype=float)
    per_cycle = xls.data.groupby(CYCLE).max(numeric_only=True)
    np.testing.assert_allclose(per_cycle[CHARGE_CAPACITY], chg, rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose(per_cycle[DISCHARGE_CAPACITY], dchg, rtol=1e-2, atol=1e-3)
    assert_capacity_agrees(xls.data, **CAPACITY_TOL)


def test_xls_time_matches_step_times(xls) -> None:
    """Absolute-time total agrees with the summed step times (the test was never paused)."""
    import xlrd

    detail = xlrd.open_workbook(str(XLS)).sheet_by_name("Detail_14_1_3")
    step = np.array(detail.col_values(4)[1:], dtype=float)
    step_t = parse_duration_s(detail.col_values(9)[1:], XLS, "Relative Time")
    rebuilt = total_time_from_step_time(step_t, step)
    np.testing.assert_allclose(xls.data[TIME], rebuilt, atol=120.0)


# ---- helpers ------------------------------------------------------------------------------------


def test_duration_parser() -> None:
    got = parse_duration_s(["00:00:01", "142:58:18", "0:01:37.500", "1-02:00:00", 12.5], UIO, "t")
    np.testing.assert_allclose(got, [1, 142 * 3600 + 58 * 60 + 18, 97.5, 26 * 3600, 12.5])
    with pytest.raises(FileFormatError, match="row 2"):
        parse_duration_s(["00:00:01", "soon"], UIO, "t")


def test_total_time_from_step_time() -> None:
    step = np.array([1, 1, 1, 2, 2, 3])
    t_step = np.array([0.0, 5.0, 10.0, 0.0, 4.0, 0.0])
    np.testing.assert_allclose(total_time_from_step_time(t_step, step), [0, 5, 10, 10, 14, 14])


# ---- detection, bad input, provenance ---------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "fmt"),
    [
        (NW / "test.ndax", "neware-nda"),
        (NW / "TestFile.nda", "neware-nda"),
        (UIO, "neware-csv"),
        (NESTED, "neware-csv"),
        (XLS, "neware-xls"),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else x,
)
def test_truncated_copy_raises_file_format_error(
    cut_copy, assert_refused, src: Path, fmt: str
) -> None:
    """Unlike the integration test (where a half copy may load), these cuts must not load."""
    end = int(src.stat().st_size * 0.6)
    in_row = b"," if src.suffix == ".csv" else None  # cut inside a row, after its third field
    cut = cut_copy(src, end, "cut_" + src.name, in_row=in_row, into_field=2)
    assert_refused(cut, read, lambda p: read(p, format=fmt))


@pytest.mark.parametrize("fmt", ["neware-nda", "neware-csv", "neware-xls"])
def test_garbage_raises_file_format_error(tmp_path: Path, assert_refused, fmt: str) -> None:
    rng = np.random.default_rng(1)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"NEWARE" + rng.integers(0, 256, 8192, dtype=np.uint8).tobytes())
    assert_refused(junk, lambda p: read(p, format=fmt))
    text = tmp_path / "junk.csv"
    text.write_text("DataPoint,Cycle Index,Current(A),Voltage(V)\n1,1,abc,def\n")
    assert_refused(text, read)


def test_sniffers_claim_no_foreign_file(data_files) -> None:
    """Of all the real files in tests/data, the Neware sniffers accept only Neware data files."""
    from lilean.io.neware import sniff_csv, sniff_nda, sniff_xls, sniff_xlsx

    for path, head in data_files:
        sniffers = (sniff_nda, sniff_csv, sniff_xls, sniff_xlsx)
        claimed = any(sniff(path, head) for sniff in sniffers)
        is_neware = path.parent.name == "neware" and path.suffix != ".yml"
        assert claimed == is_neware, path.name
