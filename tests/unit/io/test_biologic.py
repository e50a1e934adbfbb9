"""BioLogic readers (.mpr via galvani, .mpt/.txt by lilean) on the real files in tests/data.

Independent references: galvani's raw MPRfile arrays (row counts, timestamps, currents), the raw
text of the ASCII export (line counts, header fields), EC-Lab's own charge increments (dq/mA.h,
(Q-Qo)/mA.h) for the capacity check, and the PROVENANCE.md numbers (±88.8 µA, 2.0-3.8 V...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lilean.errors import FileFormatError
from lilean.io import detect, read
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VOLTAGE,
)
from lilean.testing.data import data_dir

DATA = data_dir()
BIO = DATA / "biologic"
JDB = BIO / "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
BIOL = BIO / "biol.mpr"
SMALL = BIO / "00_test_04_MB_C01.mpr"
TXT = BIO / "Sample_data_biologic_01_MB_CA1.txt"
EIS = DATA / "eis" / "exampleDataBioLogic.mpt"
MPR_FILES = [JDB, BIOL, SMALL]

galvani = pytest.importorskip("galvani.BioLogic")


def galvani_data(path: Path) -> np.ndarray:
    with open(path, "rb") as fh:
        return np.asarray(galvani.MPRfile(fh).data)


@pytest.fixture(scope="module")
def jdb():
    return read(JDB)


@pytest.fixture(scope="module")
def biol():
    return read(BIOL)


@pytest.fixture(scope="module")
def txt():
    return read(TXT)


# ---- loading, row counts, detection ------------------------------------------------------------


@pytest.mark.parametrize("path", MPR_FILES, ids=lambda p: p.name)
def test_mpr_row_count_matches_galvani(path: Path) -> None:
    raw = galvani_data(path)
    names = raw.dtype.names or ()
    n_eis = int((raw["freq/Hz"] > 0).sum()) if "freq/Hz" in names else 0
    data = read(path)
    assert data.meta.file_format == "biologic-mpr"
    assert len(data) == len(raw) - n_eis
    assert data.meta.reader.startswith("galvani ")


def test_mpr_row_counts_match_provenance() -> None:
    # PROVENANCE.md: galvani 46102 (jdb11), 1501 (00_test), 23561 (biol, incl. impedance rows)
    assert len(galvani_data(JDB)) == 46102
    assert len(read(JDB)) == 46102
    assert len(read(SMALL)) == 1501


def test_biol_impedance_rows_dropped_and_recorded(biol) -> None:
    raw = galvani_data(BIOL)
    n_eis = int((raw["freq/Hz"] > 0).sum())
    assert n_eis > 0
    assert len(biol) == 23561 - n_eis
    assert any(f"dropped {n_eis} impedance" in note for note in biol.meta.notes)
    # the kept rows are exactly galvani's time-domain rows, in order
    kept = raw[raw["freq/Hz"] <= 0]
    np.testing.assert_allclose(biol.data[VOLTAGE].to_numpy(), kept["Ewe/V"])
    np.testing.assert_allclose(biol.data[CURRENT].to_numpy(), kept["I/mA"] / 1000.0)


def test_mpt_row_count_matches_raw_text(txt) -> None:
    lines = TXT.read_text(encoding="utf-8").splitlines()
    n_header = int(lines[1].split(":")[1])
    n_data = sum(1 for ln in lines[n_header:] if ln.strip())
    assert len(txt) == n_data == 1397  # PROVENANCE: pyprobe BiologicMB 1397 rows
    assert txt.meta.file_format == "biologic-mpt"


@pytest.mark.parametrize(
    ("src", "fmt"), [(SMALL, "biologic-mpr"), (TXT, "biologic-mpt")], ids=["mpr", "mpt"]
)
def test_detection_by_content_with_wrong_extension(read_disguised, src: Path, fmt: str) -> None:
    """As .csv, every CSV reader (Neware, Arbin, Maccor, LAND, Novonix, csv) is tried first."""
    name, data = read_disguised(src, ".csv")
    assert name == fmt
    assert len(data) == len(read(src))


# ---- units and sign ------------------------------------------------------------------------------


def test_jdb_units_current_and_voltage(jdb) -> None:
    i_uA = jdb.data[CURRENT].to_numpy() * 1e6
    active = np.abs(i_uA) > 1.0
    # PROVENANCE: GCPL at +-88.8 uA between 2.0 and 3.8 V
    np.testing.assert_allclose(np.abs(i_uA[active]), 88.8, rtol=2e-3)
    v = jdb.data[VOLTAGE].to_numpy()
    assert 1.99 < v.min() < 2.01
    assert 3.79 < v.max() < 3.81
    assert jdb.meta.units_found[VOLTAGE] == "Ewe/V"


def test_jdb_current_agrees_with_instrument_charge_increments(jdb) -> None:
    """Where galvani has no I column, our current must match 3.6 dq/dt of EC-Lab's own dq."""
    raw = galvani_data(JDB)
    dt = np.diff(raw["time/s"])
    i_from_dq = 3.6 * raw["dq/mA.h"][1:] / dt  # A
    ours = jdb.data[CURRENT].to_numpy()[1:]
    galvanostatic = (np.abs(ours) > 0) & (np.abs(i_from_dq) > 0) & (dt > 1.0)
    np.testing.assert_allclose(ours[galvanostatic], i_from_dq[galvanostatic], rtol=1e-2)


def test_biol_units(biol) -> None:
    v = biol.data[VOLTAGE].to_numpy()
    assert 0.1 < v.min() < 0.13 and 0.99 < v.max() <= 1.001  # PROVENANCE: Ewe 0.12-1.0 V
    i_mA = biol.data[CURRENT].to_numpy() * 1e3
    assert 0.32 < i_mA.max() < 0.33


def test_mpt_units(txt) -> None:
    v = txt.data[VOLTAGE].to_numpy()
    assert 2.4 <= v.min() and v.max() <= 4.3  # header safety limits
    i_A = txt.data[CURRENT].to_numpy()
    # header: CC steps at 0.900 A; this excerpt is a discharge at -0.9 A
    np.testing.assert_allclose(i_A[i_A < -0.1], -0.9, rtol=1e-3)
    assert txt.meta.units_found[VOLTAGE] == "Ecell/V"


@pytest.mark.parametrize("name", ["jdb", "biol"])
def test_sign_voltage_rises_on_positive_current(name: str, request) -> None:
    data = request.getfixturevalue(name).data
    t = data[TIME].to_numpy()
    v = data[VOLTAGE].to_numpy()
    i = data[CURRENT].to_numpy()
    dv, dt = np.diff(v), np.diff(t)
    charging = (i[1:] > 0) & (i[:-1] > 0)
    discharging = (i[1:] < 0) & (i[:-1] < 0)
    assert charging.sum() > 100
    # time-weighted mean of dV/dt over the charging intervals (robust to sub-ms sampling noise)
    assert dv[charging].sum() / dt[charging].sum() > 0
    if discharging.sum() > 100:
        assert dv[discharging].sum() / dt[discharging].sum() < 0


# ---- capacity agrees with the vendor -------------------------------------------------------------


@pytest.mark.parametrize("name", ["jdb", "biol", "txt"])
def test_integrated_capacity_agrees_with_vendor(name: str, request, assert_capacity_agrees) -> None:
    """Trapezoid on the recorded points vs EC-Lab's internally integrated charge.

    Tolerance 1 % of the cycle's capacity: the recorded points sample a constant current every
    10 s or finer, so the trapezoid rule is exact up to the one interval at each step change
    (< 0.1 % of a multi-hour step); 1 % leaves room for that and for float32 storage.
    """
    data = request.getfixturevalue(name).data
    assert_capacity_agrees(data, rtol=1e-2, atol_frac=1e-3, min_scale=1e-9)
    per_cycle = data.groupby(CYCLE).max(numeric_only=True)
    assert per_cycle[CHARGE_CAPACITY].max() + per_cycle[DISCHARGE_CAPACITY].max() > 0


def test_vendor_capacity_matches_eclab_half_cycle_totals(jdb) -> None:
    """Our per-cycle vendor column equals EC-Lab's 'Q charge/discharge' at the half-cycle ends."""
    raw = galvani_data(JDB)
    q = raw["Q charge/discharge/mA.h"]
    hc = raw["half cycle"]
    ends = np.flatnonzero(np.diff(hc) != 0)
    total_charge = sum(q[k] for k in ends if q[k] > 0) + max(q[-1], 0)
    ours = jdb.data.groupby(CYCLE)[VENDOR_CHARGE_CAPACITY].max().sum()
    assert ours == pytest.approx(total_charge, rel=1e-3)


# ---- metadata ------------------------------------------------------------------------------------


def test_mpr_start_time_from_galvani(jdb) -> None:
    with open(JDB, "rb") as fh:
        stamp = galvani.MPRfile(fh).timestamp
    assert jdb.meta.start_time == stamp.isoformat()
    assert jdb.meta.instrument == "biologic"
    assert jdb.meta.units_found[TIME] == "time/s"


def test_mpt_header_fields(txt) -> None:
    assert txt.meta.start_time == "2024-05-13T11:19:51.602000"
    assert txt.meta.extra["Battery capacity"] == "4.500 A.h"
    assert txt.meta.extra["Device"].startswith("BCS-815")
    # 0.001 mg / 0.001 cm2 are EC-Lab's unset defaults, not real values
    assert txt.meta.active_mass_mg is None and txt.meta.area_cm2 is None


# ---- encodings, line ends, decimal comma -------------------------------------------------------


def test_mpt_latin1_crlf_and_decimal_comma_give_the_same_table(tmp_path: Path, txt) -> None:
    text = TXT.read_text(encoding="utf-8")
    lines = text.splitlines()
    n_header = int(lines[1].split(":")[1])
    crlf = tmp_path / "crlf_latin1.mpt"
    crlf.write_bytes("\r\n".join(lines).replace("\ufffd", "°").encode("latin-1") + b"\r\n")
    comma = tmp_path / "comma.mpt"
    body = [ln.replace(".", ",") for ln in lines[n_header:]]
    comma.write_text("\n".join(lines[:n_header] + body) + "\n", encoding="utf-8")
    for variant in (crlf, comma):
        other = read(variant)
        assert len(other) == len(txt)
        np.testing.assert_allclose(other.data[VOLTAGE], txt.data[VOLTAGE])
        np.testing.assert_allclose(other.data[CURRENT], txt.data[CURRENT])
        np.testing.assert_allclose(other.data[TIME], txt.data[TIME])


# ---- bad input -----------------------------------------------------------------------------------


def test_eis_only_file_is_refused_with_a_clear_message() -> None:
    assert detect(EIS).name == "biologic-mpt"
    with pytest.raises(FileFormatError, match=r"impedance data.*lilean eis") as err:
        read(EIS)
    assert err.value.path == EIS


@pytest.mark.parametrize("src", [SMALL, BIOL, TXT], ids=lambda p: p.name)
@pytest.mark.parametrize("fraction", [0.3, 0.95])
def test_truncated_copy_raises_file_format_error(
    cut_copy, assert_refused, src: Path, fraction: float
) -> None:
    """Unlike the integration test (where a half copy may load), these cuts must not load."""
    end = int(src.stat().st_size * fraction)
    # text: cut inside a row (2 bytes into its fourth field), as a broken copy would be
    in_row = b"\t" if src.suffix == ".txt" else None
    assert_refused(cut_copy(src, end, "cut_" + src.name, in_row=in_row, into_field=3), read)


def test_truncated_inside_the_mpt_header(cut_copy, assert_refused) -> None:
    cut = cut_copy(TXT, 2000, "head.mpt")
    assert_refused(cut, lambda p: read(p, format="biologic-mpt"))


@pytest.mark.parametrize("fmt", ["biologic-mpr", "biologic-mpt"])
def test_garbage_raises_file_format_error(tmp_path: Path, assert_refused, fmt: str) -> None:
    rng = np.random.default_rng(0)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert_refused(junk, lambda p: read(p, format=fmt), read)
    fake = tmp_path / "fake.mpr"
    fake.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + bytes(rng.integers(0, 256, 4096, np.uint8)))
    assert_refused(fake, read)


def test_sniffers_claim_no_foreign_file(data_files) -> None:
    """Of all the real files in tests/data, the BioLogic sniffers accept only BioLogic ones."""
    from lilean.io.biologic import sniff_mpr, sniff_mpt

    for path, head in data_files:
        claimed = sniff_mpr(path, head) or sniff_mpt(path, head)
        is_biologic = path.parent.name == "biologic" or path == EIS
        assert claimed == is_biologic, path.name
