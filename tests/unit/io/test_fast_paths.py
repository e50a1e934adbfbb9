"""The readers' fast paths give exactly what their general paths give (issue 18).

Each fast path (numpy over Arbin .res records, float columns parsed by the CSV reader,
pyarrow ``strptime`` for slash dates, the quote unwrapping of Novonix lines) is compared with
the slower path it replaces, on the real files where there are some and on made-up tables that
hit the edges where the fast path must step aside.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lilean.errors import FileFormatError
from lilean.io import arbin, novonix
from lilean.io.common import numeric, parse_datetimes, string_table
from lilean.testing.data import require

X = Path("made-up.csv")


@pytest.mark.parametrize("name", ["arbin/arbin_example.res", "extern/arbin/aux_one_x_dx.res"])
def test_res_numpy_records_equal_access_parser(name):
    from access_parser import AccessParser

    path = require(name)
    db = AccessParser(str(path))
    fast = arbin._res_table_arrays(db, "Channel_Normal_Table")
    slow = pd.DataFrame(db.parse_table("Channel_Normal_Table"))
    assert fast is not None
    assert list(fast) == list(slow.columns)
    for col in slow.columns:
        theirs = pd.to_numeric(slow[col]).to_numpy(dtype=float)
        np.testing.assert_array_equal(fast[col], theirs, err_msg=col)


def test_res_numpy_path_steps_aside_for_text_columns():
    """Global_Table holds text columns: the numpy path declines, access_parser parses it."""
    from access_parser import AccessParser

    db = AccessParser(str(require("arbin/arbin_example.res")))
    assert arbin._res_table_arrays(db, "Global_Table") is None


def test_res_numpy_path_declines_records_of_different_lengths():
    """A record whose length differs from the others (damage, or a layout this path does not
    model) sends the whole table to access_parser, which logs what it finds."""
    from access_parser import AccessParser

    db = AccessParser(str(require("arbin/arbin_example.res")))
    table = db.get_table("Channel_Normal_Table")
    pages = table.table.linked_pages
    assert arbin._res_table_arrays(db, "Channel_Normal_Table") is not None
    # move the first record's start by one byte: it becomes one byte shorter
    page = bytearray(pages[0])
    count_at = 12
    first = int.from_bytes(page[count_at + 2 : count_at + 4], "little")
    page[count_at + 2 : count_at + 4] = (first + 1).to_bytes(2, "little")
    pages[0] = bytes(page)
    assert arbin._res_table_arrays(db, "Channel_Normal_Table") is None


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1.5,x\n,y\nnan,z\n",  # empty field and nan: NaN on both paths
        "a,b\n 1.5,x\n2,y\n",  # surrounding blank
        "a,b\n1e-3,x\ninf,y\n-0.25,z\n",
        "a,b\nN/A,x\n2,y\n",  # not a plain number: the column stays text
        "a,b\n1,x\n2,3\n",  # b asked as float but holds text: stays text
        "a,b\n3,8,x\n",  # a decimal comma splits the row: the table itself is refused
    ],
)
def test_float_columns_convert_as_numeric_does(text):
    try:
        plain = string_table(X, text, sep=",")
    except FileFormatError:
        with pytest.raises(FileFormatError):
            string_table(X, text, sep=",", floats=lambda n: True)
        return
    typed = string_table(X, text, sep=",", floats=lambda n: True)
    assert list(typed.columns) == list(plain.columns)
    for col in plain.columns:
        try:
            want = numeric(plain[col], X, col)
        except FileFormatError:  # text: must stay text on the typed path as well
            assert typed[col].dtype.kind != "f"
            assert typed[col].tolist() == plain[col].tolist()
            continue
        np.testing.assert_array_equal(numeric(typed[col], X, col), want)


@pytest.mark.parametrize(
    "rows",
    [
        ["11/02/2019 23:28:51", "13/02/2019 01:02:03"],  # day first (13 > 12)
        ["11/02/2019 23:28:51", "12/02/2019 01:02:03"],  # ambiguous: month first
        ["1.2.2019 3:04:05", "1.3.2019 3:04:05"],  # dots, one-digit fields
        ["02/11/2019 23:28", "02/11/2019 23:29"],  # no seconds: pandas' path
        ["11/02/19 11:28:51 PM", "11/02/19 11:28:52 PM"],  # 2-digit year, AM/PM
        ["2019-01-02 03:04:05", "2019-01-02 03:04:06"],  # ISO 8601
    ],
)
def test_slash_dates_parse_as_pandas_does(rows):
    column = string_table(X, "t\n" + "\n".join(rows), sep=",")["t"]
    ours = parse_datetimes(column, X, "t")
    dayfirst = any(int(r.split("/")[0]) > 12 for r in rows if "/" in r)
    theirs = pd.to_datetime(pd.Series(rows), dayfirst=dayfirst, format="mixed")
    assert list(ours.astype(str)) == list(theirs.astype(str))


def test_impossible_slash_date_is_not_accepted():
    column = string_table(X, "t\n31/02/2019 10:00:00\n13/01/2019 10:00:00", sep=",")["t"]
    with pytest.raises(FileFormatError, match="date-time"):
        parse_datetimes(column, X, "t")


@pytest.mark.parametrize(
    ("body", "want", "n"),
    [
        (["a,b", "1,2"], ["a,b", "1,2"], 0),
        (['"a,b"', '"1,2"'], ["a,b", "1,2"], 2),
        (['"a,b"', "1,2", ' "3,4" '], ["a,b", "1,2", "3,4"], 2),  # mixed: line by line
        (['"a,"b"', '"1,2"'], ['"a,"b"', "1,2"], 1),  # an inner quote: that line kept
    ],
)
def test_novonix_quote_unwrapping(body, want, n):
    lines, quoted = novonix._unwrap_quoted_lines(["[Data]", *body], 1)
    assert lines == ["[Data]", *want]
    assert quoted == n


def _neware_binaries() -> list[Path]:
    from lilean.testing.data import verified_files

    files = [*verified_files("neware"), *verified_files("extern/neware")]
    return [p for p in files if p.suffix.lower() in (".nda", ".ndax")]


@pytest.mark.parametrize("path", _neware_binaries(), ids=lambda p: p.name)
def test_fastnda_table_equals_fastnda_read(path):
    """lilean's one-pass post-processing of fastnda's parser gives exactly fastnda.read's
    table (values, dtypes, column order) on every real Neware binary."""
    fastnda = pytest.importorskip("fastnda")
    import polars.testing

    from lilean.io.neware import fastnda_table

    polars.testing.assert_frame_equal(
        fastnda_table(path), fastnda.read(str(path), raw_categories=True), check_exact=True
    )


def test_fastnda_table_logs_fastnda_pulse_warning(caplog):
    """The warning fastnda.read logs for pulse / SIM / ramp steps is logged alike (the reader
    records fastnda's warnings in meta.notes)."""
    pytest.importorskip("fastnda")
    import logging

    from lilean.io.neware import fastnda_table

    found = []
    for path in _neware_binaries():
        import fastnda

        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="fastnda"):
            fastnda.read(str(path), raw_categories=True)
        theirs = [r.getMessage() for r in caplog.records]
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="fastnda"):
            fastnda_table(path)
        ours = [r.getMessage() for r in caplog.records]
        assert ours == theirs, path.name
        found += ours
    if not found:
        pytest.skip("no real Neware file with pulse, SIM or ramp steps")


def test_maccor_decimal_comma_file_is_not_read_with_float_columns(tmp_path):
    """In a decimal-comma Maccor export, ``1.000`` in a column is one thousand with a
    thousands point; the columns parsed as floats while reading (which would give 1.0) are
    read again as text for ``numeric(decimal=",")``."""
    import lilean.io as lio

    src = require("maccor/maccor_two.txt")
    lines = src.read_text(encoding="latin-1").splitlines(keepends=True)
    k = next(j for j, ln in enumerate(lines) if ln.startswith("Rec\t"))
    rows = [j for j in range(k + 1, len(lines)) if lines[j].strip()]
    cut = tmp_path / "maccor_thousands.txt"
    # a TestTime that is a whole number of seconds above 1000, written with a thousands point
    # in every row: the column alone parses as plain (wrong) floats
    body = []
    for n, j in enumerate(rows[:-1]):
        fields = lines[j].rstrip("\r\n").split("\t")
        fields[4] = f"{1 + n // 1000}.{n % 1000:03d}"  # 1.000, 1.001, ... = 1000 s, 1001 s
        body.append("\t".join(fields) + "\n")
    cut.write_text("".join(lines[: k + 1]) + "".join(body), encoding="latin-1")
    cd = lio.read(cut, strict=False)
    assert cd.meta.extra["decimal"] == ","
    steps = np.diff(cd.data["Time [s]"].to_numpy())[:5]
    # one whole unit per row (its unit inferred from the clock), not a thousandth of it
    assert np.all(steps == steps[0]) and steps[0] >= 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_run_cumsums_equal_polars_cum_sum_over_runs_exactly(seed):
    """The Neware ``.ndax`` path's running sums per run (short runs as a padded matrix, the long
    ones one by one) are exactly polars' ``cum_sum().over(run)``, which fastnda uses: the same
    float sums in the same order, also where runs of one row meet runs of hundreds."""
    pl = pytest.importorskip("polars")
    from lilean.io.neware import _run_cumsums

    rng = np.random.default_rng(seed)
    lengths = np.concatenate([rng.integers(1, 8, 400), rng.integers(100, 900, 12)])
    rng.shuffle(lengths)
    run = np.repeat(np.arange(lengths.size), lengths)
    x = [rng.normal(size=run.size) * 10.0 ** rng.integers(-3, 4, run.size) for _ in range(2)]
    ours = _run_cumsums(x, run)
    assert ours is not None
    frame = pl.DataFrame({"run": run, "a": x[0], "b": x[1]})
    theirs = frame.select(pl.col("a", "b").cum_sum().over("run"))
    np.testing.assert_array_equal(ours[0], theirs["a"].to_numpy())
    np.testing.assert_array_equal(ours[1], theirs["b"].to_numpy())
    # and a global cumsum minus each run's offset is not exact (the test can tell the two apart)
    offset = np.cumsum(x[0]) - np.repeat(
        np.cumsum(x[0])[np.cumsum(lengths) - lengths] - x[0][np.cumsum(lengths) - lengths], lengths
    )
    assert not np.array_equal(offset, ours[0])
