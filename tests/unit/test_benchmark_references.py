"""The reader benchmark's raw references do the work of reading each file: on every real text
export it times, the pyarrow reference returns the file's whole table (every column of its
header, every data row lilean reads), not the lines as text. No timing here."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest

from lilean import io
from lilean.testing.data import require

REPO = Path(__file__).resolve().parents[2]


def _bench_readers() -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_readers
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return bench_readers


BENCH = _bench_readers()
TEXT_FILES = [
    rel
    for rel in BENCH.FILES
    if Path(rel).suffix.lower() == ".csv" or Path(rel).suffix[1:].isdigit()
]


@pytest.mark.parametrize("rel", TEXT_FILES)
def test_text_reference_returns_the_whole_table(rel: str) -> None:
    path = require(rel)
    refs = BENCH.references(path)
    assert refs and refs[0][0] == "pyarrow.csv", refs
    try:
        table = refs[0][1]()
    except pa.ArrowInvalid as exc:  # the bench's row then says "no raw reader installed"
        pytest.skip(f"{rel}: pyarrow cannot parse it ({str(exc)[:60]}): no raw reader")
    data = io.read(path, strict=False)
    assert table.num_columns == len(data.meta.original_columns), (
        f"{rel}: the reference parsed {table.num_columns} column(s); the header has "
        f"{len(data.meta.original_columns)}: {data.meta.original_columns}"
    )
    assert table.num_rows >= len(data.data)


def test_wrapped_lines_are_unwrapped_for_the_reference(tmp_path: Path) -> None:
    """A table whose lines are each one quoted field: parsed as it stands it is one column; the
    reference removes the quotes first (a file lilean writes here, not a real export)."""
    path = tmp_path / "wrapped.csv"
    path.write_text('[Summary]\nx: 1\n[Data]\n"a,b,c"\n"1,2.5,x"\n"2,3.5,y"\n')
    refs = BENCH.references(path)
    table = refs[0][1]()
    assert table.column_names == ["a", "b", "c"]
    assert table.column("b").to_pylist() == [2.5, 3.5]
