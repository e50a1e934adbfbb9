"""The EIS package: Ivium .idf reader, readers in the one registry, old import paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from lilean.eis.io import FREQUENCY, Z_IM, Z_RE, detect_eis_format, read_eis

IVIUM = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "extern" / "eis"
IVIUM_FILE = IVIUM / "exampleDataIvium.idf"
IVIUM_SHA256 = "ecd9fe065c213e7be8acff89f1cf003d59b0723ef604aede98f70e0b8bd5c7b2"


@pytest.fixture(scope="module")
def ivium() -> Path:
    if not IVIUM_FILE.is_file():
        pytest.skip(f"{IVIUM_FILE.name} not in ../shared/data/extern/eis")
    if hashlib.sha256(IVIUM_FILE.read_bytes()).hexdigest() != IVIUM_SHA256:
        pytest.skip(f"{IVIUM_FILE.name}: sha256 differs from the expected file")
    return IVIUM_FILE


def _independent(path: Path) -> np.ndarray:
    """The first 26 three-number lines after ``primary_data`` (PROVENANCE.md: 26 frequencies),
    read with a regular expression (no lilean code)."""
    import re

    text = path.read_bytes().decode("latin-1")
    text = text[text.index("primary_data") :]
    number = r"[-+]?\d\.\d+E[-+]\d+"
    rows = re.findall(rf"(?m)^({number})\s+({number})\s+({number})\s*$", text)[:26]
    return np.array(rows, dtype=float)


def test_ivium_idf_spectrum(ivium: Path) -> None:
    assert detect_eis_format(ivium) == "ivium-idf"
    data = read_eis(ivium)
    want = _independent(ivium)
    assert len(data) == 26 == len(want)
    np.testing.assert_array_equal(data.data[Z_RE], want[:, 0])
    np.testing.assert_array_equal(data.data[Z_IM], want[:, 1])
    np.testing.assert_array_equal(data.data[FREQUENCY], want[:, 2])
    # the file's first and last rows, as printed in it
    assert (want[0] == [13.7548, -1.87976, 1.0e5]).all()
    assert (want[-1] == [92.8463, -16.7393, 1.0]).all()
    assert data.meta.instrument == "ivium" and data.meta.file_format == "ivium-idf"
    assert (data.data[Z_IM] < 0).all()  # capacitive: lilean's sign convention, not negated


def test_truncated_ivium_is_refused(ivium: Path, tmp_path: Path) -> None:
    from lilean.errors import FileFormatError

    raw = ivium.read_bytes()
    cut = tmp_path / "cut.idf"
    cut.write_bytes(raw[: raw.index(b"primary_data") + 200])
    with pytest.raises(FileFormatError, match="primary_data"):
        read_eis(cut)


def test_impedance_readers_are_in_the_one_registry(ivium: Path) -> None:
    from lilean.io.registry import get_reader, readers

    names = {r.name for r in readers("impedance")}
    assert {"eis-gamry-dta", "eis-ivium-idf", "eis-csv", "eis-biologic-mpr"} <= names
    assert all(r.kind == "impedance" for r in readers("impedance"))
    assert not any(r.name.startswith("eis-") for r in readers())  # cycling readers by default
    reader = get_reader("eis-ivium-idf")
    assert reader.sniff(ivium, ivium.read_bytes()[:65536])
    assert len(reader.read(ivium)) == 26


def test_old_import_paths_still_work() -> None:
    from lilean.analysis.eis import analyze_eis_file, fit_circuit
    from lilean.eis.analysis import fit_circuit as new_fit
    from lilean.eis.workflow import analyze_eis_file as new_analyze
    from lilean.errors import FitError
    from lilean.io.eis import ImpedanceData
    from lilean.plotting.eis import plot_nyquist

    assert fit_circuit is new_fit and analyze_eis_file is new_analyze
    assert ImpedanceData.__module__ == "lilean.eis.io"
    assert plot_nyquist.__module__ == "lilean.eis.plotting"
    import lilean.analysis.eis as old

    assert old.FitError is FitError
