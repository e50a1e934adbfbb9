"""Property test: any truncation or byte corruption of a real text export either still reads
(into a valid table) or fails with FileFormatError naming the file; never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lilean import io
from lilean.errors import FileFormatError
from lilean.schema import REQUIRED_COLUMNS
from lilean.testing.data import data_dir

DATA = data_dir()
TEXT_FILES = [
    DATA / "arbin" / "arbin_example.csv",
    DATA / "maccor" / "PredictionDiagnostics_000151_test.052",
    DATA / "other" / "sample_data_basytec.txt",
    DATA / "biologic" / "Sample_data_biologic_01_MB_CA1.txt",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, len(TEXT_FILES) - 1),
    cut=st.floats(0.0, 1.0),
    position=st.floats(0.0, 1.0),
    junk=st.binary(min_size=0, max_size=40),
)
def test_corruption_never_crashes(tmp_path, which, cut, position, junk):
    raw = TEXT_FILES[which].read_bytes()
    end = max(1, int(cut * len(raw)))
    where = int(position * end)
    broken = raw[:where] + junk + raw[where:end]
    path = tmp_path / TEXT_FILES[which].name
    path.write_bytes(broken)
    try:
        data = io.read(path, strict=False)
    except FileFormatError as exc:
        assert str(path) in str(exc)
    else:
        assert len(data) > 0
        assert all(c in data.data.columns for c in REQUIRED_COLUMNS)
