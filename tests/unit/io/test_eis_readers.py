"""Impedance readers (lilean.io.eis) on the real files in tests/data/eis and biologic/biol.mpr.

Independent references: the frequency counts in tests/data/PROVENANCE.md, impedance.py's own
readers called directly, the raw text of the Maccor FRA file, galvani's raw MPRfile arrays, and
hand-written CSV files whose values are known by construction.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lilean.errors import FileFormatError, OutputError, ParameterError
from lilean.io.eis import (
    FREQUENCY,
    SPECTRUM,
    Z_IM,
    Z_RE,
    ImpedanceData,
    detect_eis_format,
    read_eis,
)
from lilean.schema import Metadata
from lilean.testing.data import data_dir

DATA = data_dir()
EIS = DATA / "eis"
MACCOR = "maccor_test_file_4267-66-6519.EDA0001.041"

# file, lilean format, impedance.py instrument, frequency count from PROVENANCE.md
IMPEDANCE_PY_FILES = [
    ("exampleDataGamry.DTA", "gamry-dta", "gamry", 72),
    ("exampleDataAutolab.txt", "zview-txt", "autolab", 41),
    ("exampleDataBioLogic.mpt", "biologic-mpt", "biologic", 43),
    ("exampleDataVersaStudio.par", "versastudio-par", "versastudio", 61),
    ("exampleDataZPlot.z", "zplot-z", "zplot", 21),
    ("exampleDataParstat.txt", "parstat-txt", "parstat", 31),
    ("exampleDataCHInstruments.txt", "chi-txt", "chinstruments", 73),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("name", "fmt", "instrument", "n_freq"), IMPEDANCE_PY_FILES)
def test_impedance_py_formats_match_impedance_py(
    name: str, fmt: str, instrument: str, n_freq: int
) -> None:
    from impedance.preprocessing import readFile

    path = EIS / name
    before = sha256(path)
    assert detect_eis_format(path) == fmt
    data = read_eis(path)
    assert sha256(path) == before  # input untouched
    assert data.meta.file_format == fmt
    assert data.meta.source_sha256 == before
    assert len(data) == n_freq
    assert data.n_spectra == 1
    f_ref, z_ref = readFile(str(path), instrument=instrument)
    f, z = data.to_impedance_arrays()
    np.testing.assert_array_equal(f, f_ref)
    np.testing.assert_array_equal(z, z_ref)
    assert (f > 0).all()


def test_biologic_mpt_negates_minus_im_column() -> None:
    """The .mpt stores -Im(Z); the table must hold Im(Z). Check against the raw text."""
    path = EIS / "exampleDataBioLogic.mpt"
    lines = path.read_text(encoding="latin-1").splitlines()
    n_header = int(lines[1].split(":")[1])
    header = lines[n_header - 1].split("\t")
    first = lines[n_header].split("\t")
    minus_im = float(first[header.index("-Im(Z)/Ohm")])
    data = read_eis(path)
    assert data.data[Z_IM].iloc[0] == pytest.approx(-minus_im, rel=1e-12)
    assert data.data[Z_RE].iloc[0] == pytest.approx(float(first[header.index("Re(Z)/Ohm")]))


def test_maccor_fra_against_raw_text() -> None:
    path = EIS / MACCOR
    before = sha256(path)
    assert detect_eis_format(path) == "maccor-fra"
    data = read_eis(path)
    assert sha256(path) == before
    lines = path.read_text(encoding="latin-1").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Freq(Hz)"))
    rows = [ln.split("\t") for ln in lines[start + 1 :] if ln.strip()]
    assert len(rows) == 60 == len(data)
    raw = np.array([[float(r[0]), float(r[3]), float(r[4]), float(r[5])] for r in rows])
    np.testing.assert_allclose(data.data[FREQUENCY], raw[:, 0])
    np.testing.assert_allclose(data.data[Z_RE], raw[:, 1])
    # the file's own phase column fixes the sign of Z'': arg(Z) must reproduce it
    _f, z = data.to_impedance_arrays()
    np.testing.assert_allclose(np.degrees(np.angle(z)), raw[:, 3], atol=0.01)
    assert data.data["Voltage [V]"].iloc[0] == pytest.approx(3.909893)


def test_biologic_mpr_impedance_part_against_galvani() -> None:
    galvani = pytest.importorskip("galvani.BioLogic")
    path = DATA / "biologic" / "biol.mpr"
    before = sha256(path)
    data = read_eis(path)
    assert sha256(path) == before
    raw = pd.DataFrame(galvani.MPRfile(str(path)).data)
    eis = raw[raw["freq/Hz"] > 0]
    assert len(data) == len(eis) == 310
    # consecutive blocks of impedance rows = spectra
    blocks = 1 + int((np.diff(eis.index.to_numpy()) > 1).sum())
    assert data.n_spectra == blocks == 5
    modulus = np.hypot(data.data[Z_RE], data.data[Z_IM])
    np.testing.assert_allclose(modulus, eis["|Z|/Ohm"].to_numpy(), rtol=1e-6)
    phase = np.degrees(np.arctan2(data.data[Z_IM], data.data[Z_RE]))
    np.testing.assert_allclose(phase, eis["Phase(Z)/deg"].to_numpy(), atol=1e-4)
    # capacitive: phase < 0 -> Z_im < 0 over the semicircle
    assert (data.data[Z_IM] < 0).mean() > 0.9
    f1, _z1 = data.to_impedance_arrays(spectrum=1)
    assert f1.size == 64 and f1[0] > f1[-1]
    with pytest.raises(ParameterError, match="spectrum"):
        data.to_impedance_arrays()


@pytest.mark.parametrize(
    ("header", "sign"),
    [
        ("Frequency (Hz),Z' (Ohm),Z'' (Ohm)", 1.0),
        ("freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm", -1.0),
        ("f [Hz];Zre [Ohm];-Z'' [Ohm]", -1.0),
        ("Frequency [Hz]\tZ_re [Ohm]\tZ_im [Ohm]", 1.0),
    ],
)
def test_csv_detects_sign_of_imaginary_column(tmp_path: Path, header: str, sign: float) -> None:
    f = np.logspace(5, -1, 25)
    z = 5 + 20 / (1 + 2j * np.pi * f * 20 * 1e-5)
    sep = ";" if ";" in header else ("\t" if "\t" in header else ",")
    lines = [header] + [
        f"{a:.8g}{sep}{b.real:.8g}{sep}{sign * b.imag:.8g}" for a, b in zip(f, z, strict=True)
    ]
    path = tmp_path / "spectrum.csv"
    path.write_text("\n".join(lines) + "\n")
    data = read_eis(path)
    assert data.meta.file_format == "csv"
    f_read, z_read = data.to_impedance_arrays()
    np.testing.assert_allclose(f_read, f, rtol=1e-7)
    np.testing.assert_allclose(z_read, z, rtol=1e-6)
    assert (z_read.imag < 0).all()


def test_csv_unit_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Freq (kHz),Z' (kOhm),Z'' (mOhm)\n1,2,-3\n0.1,2.5,-4\n0.01,3,-2\n")
    f, z = read_eis(path).to_impedance_arrays()
    np.testing.assert_allclose(f, [1000, 100, 10])
    np.testing.assert_allclose(z, [2000 - 0.003j, 2500 - 0.004j, 3000 - 0.002j])


def test_headerless_csv_uses_impedance_py(tmp_path: Path) -> None:
    from impedance.preprocessing import readCSV

    path = tmp_path / "plain.csv"
    path.write_text("1000,10,-1\n100,12,-3\n10,15,-2\n")
    f, z = read_eis(path).to_impedance_arrays()
    f_ref, z_ref = readCSV(str(path))
    np.testing.assert_array_equal(f, f_ref)
    np.testing.assert_array_equal(z, z_ref)


@pytest.mark.parametrize(
    "path",
    [
        DATA / "biologic" / "Sample_data_biologic_01_MB_CA1.txt",
        DATA / "biologic" / "00_test_04_MB_C01.mpr",
        DATA / "arbin" / "arbin_example.csv",
        DATA / "maccor" / "maccor_example.001",
    ],
    ids=lambda p: p.name,
)
def test_cycling_files_have_no_impedance_columns(path: Path) -> None:
    if path.suffix == ".mpr":
        pytest.importorskip("galvani")
    before = sha256(path)
    with pytest.raises(FileFormatError, match="no impedance columns") as err:
        read_eis(path)
    assert path.name in str(err.value)
    assert "\n" not in str(err.value)
    assert sha256(path) == before


@pytest.mark.parametrize(("name", "fmt", "instrument", "n_freq"), IMPEDANCE_PY_FILES)
def test_truncated_copies_raise(
    tmp_path: Path, name: str, fmt: str, instrument: str, n_freq: int
) -> None:
    """A copy cut in the middle of a data line (or before the data) is refused, one line."""
    src = EIS / name
    text = src.read_bytes()
    copy = tmp_path / name
    # cut inside the header: no data table at all
    copy.write_bytes(text[: min(300, len(text) // 20)])
    with pytest.raises(FileFormatError) as err:
        read_eis(copy, format=fmt)
    assert copy.name in str(err.value) and "\n" not in str(err.value)


def test_truncated_mid_line_raises(tmp_path: Path) -> None:
    src = EIS / "exampleDataAutolab.txt"
    text = src.read_text(encoding="utf-8-sig")
    cut = text.rindex("\n", 0, len(text) // 2) + 12  # a few characters into a data line
    copy = tmp_path / "autolab_cut.txt"
    copy.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"autolab_cut\.txt"):
        read_eis(copy)
    maccor = (EIS / MACCOR).read_text(encoding="latin-1")
    copy2 = tmp_path / "maccor_cut.041"
    copy2.write_text(maccor[: maccor.index("0.773446") + 3], encoding="latin-1")
    with pytest.raises(FileFormatError, match="maccor_cut"):
        read_eis(copy2)


def test_garbage_raises(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    binary = tmp_path / "noise.bin"
    binary.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(FileFormatError, match=r"noise\.bin"):
        read_eis(binary)
    text = tmp_path / "words.txt"
    text.write_text("hello world\nthis is not impedance\n")
    with pytest.raises(FileFormatError, match="no impedance columns"):
        read_eis(text)
    bad_value = tmp_path / "bad.csv"
    bad_value.write_text("freq/Hz,Z'/Ohm,Z''/Ohm\n100,1,-1\n10,abc,-2\n1,3,-1\n")
    with pytest.raises(FileFormatError, match="abc") as err:
        read_eis(bad_value)
    assert err.value.row == 3
    empty = tmp_path / "empty.z"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        read_eis(empty)
    negative_f = tmp_path / "neg.csv"
    negative_f.write_text("freq/Hz,Z'/Ohm,Z''/Ohm\n100,1,-1\n-10,2,-2\n1,3,-1\n")
    with pytest.raises(FileFormatError, match="> 0") as err2:
        read_eis(negative_f)
    assert err2.value.row == 2


def test_unknown_format_name() -> None:
    with pytest.raises(ParameterError, match="unknown impedance format"):
        read_eis(EIS / "exampleDataZPlot.z", format="nope")


def test_format_alias_and_forced_reader() -> None:
    a = read_eis(EIS / "exampleDataZPlot.z", format="zplot")
    b = read_eis(EIS / "exampleDataZPlot.z")
    pd.testing.assert_frame_equal(a.data, b.data)


def test_parquet_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("galvani")
    data = read_eis(DATA / "biologic" / "biol.mpr")
    out = data.to_parquet(tmp_path / "eis.parquet")
    back = ImpedanceData.from_parquet(out)
    pd.testing.assert_frame_equal(back.data, data.data)
    assert back.meta == data.meta
    assert back.n_spectra == 5
    # refuses to overwrite the input, refuses a non-lilean parquet
    with pytest.raises(OutputError):
        data.to_parquet(DATA / "biologic" / "biol.mpr")
    plain = tmp_path / "plain.parquet"
    data.data.to_parquet(plain)
    with pytest.raises(FileFormatError, match="no lilean metadata"):
        ImpedanceData.from_parquet(plain)


def test_from_arrays_simulated_spectrum_and_copy(tmp_path: Path) -> None:
    f = np.logspace(4, -2, 30)
    z = 2.0 + 10.0 / (1 + 2j * np.pi * f * 1e-3)
    data = ImpedanceData.from_arrays(f, z)
    assert data.meta.file_format == "simulation"
    f2, z2 = data.to_impedance_arrays()
    np.testing.assert_array_equal(f2, f)
    np.testing.assert_array_equal(z2, z)
    assert list(data.data.columns[:4]) == [FREQUENCY, Z_RE, Z_IM, SPECTRUM]
    two = ImpedanceData.from_arrays(
        np.r_[f, f], np.r_[z, 2 * z], spectrum=np.r_[np.ones(30), 2 * np.ones(30)]
    )
    assert two.n_spectra == 2
    np.testing.assert_allclose(two.to_impedance_arrays(spectrum=2)[1], 2 * z)
    with pytest.raises(ParameterError):
        ImpedanceData.from_arrays(f, z[:-1])
    with pytest.raises(FileFormatError, match="> 0"):
        ImpedanceData.from_arrays(-f, z)
    # a copy of a real file reads the same as the original
    src = EIS / "exampleDataGamry.DTA"
    copy = tmp_path / "copy.DTA"
    shutil.copyfile(src, copy)
    pd.testing.assert_frame_equal(read_eis(copy).data, read_eis(src).data)


def test_metadata_is_the_shared_schema() -> None:
    data = read_eis(EIS / "exampleDataGamry.DTA")
    assert isinstance(data.meta, Metadata)
    assert "Z_im < 0" in data.meta.sign_convention
    assert data.meta.reader.startswith("impedance")
