"""What every reader shares: text and number parsing, unit conversion, vendor capacity counters,
and turning arrays in canonical units into a validated CyclingData.

One place for each idea, so that every instrument module imports from here (and from
:mod:`lilean.io.registry`) and never from another instrument module:

* text tables: :func:`read_text`, :func:`head_text`, :func:`table_from_lines`,
  :func:`xlsx_sheet_names`;
* numbers, units and times: :func:`as_float`, :func:`numeric`, :func:`column_factor`,
  :func:`scaled_column`, :func:`describe_unit`, :func:`parse_datetimes`, :func:`time_column_s`;
* vendor capacities: cyclers report capacity as counters that reset at different events (every
  step for Maccor, Novonix and Neware, every change of direction for LAND, every cycle or never
  for Arbin, signed per-row increments for BioLogic). They are turned into per-row increments
  (:func:`counter_increments`, :func:`increments_from_step_capacity`) and re-accumulated per
  cycle (:func:`accumulate_per_cycle`, :func:`capacity_per_cycle`,
  :func:`vendor_capacity_per_cycle`, :func:`vendor_capacity_split`), which is lilean's
  convention (``Vendor charge capacity [mAh]``: charge passed at I > 0 since the first row of
  the cycle, >= 0; the same as :func:`lilean.schema.capacities_from_current`);
* :func:`finish`: build, validate and stamp the table.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import DamagedFileError, FileFormatError, LileanError
from lilean.schema import (
    CHARGE,
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    CYCLE_LABEL,
    DISCHARGE,
    DISCHARGE_CAPACITY,
    REST,
    STEP,
    STEP_TYPE,
    TEMPERATURE,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
    Metadata,
    PendingSha256,
    accumulate_per_cycle,
    accumulate_per_cycle_into,
    file_sha256,
    stat_record,
    validate_columns,
)
from lilean.units import factor

# ================================================================================================
# libraries
# ================================================================================================


@functools.cache
def library_version(dist: str) -> str:
    """``"name version"`` of an installed distribution (for Metadata.reader)."""
    try:
        return f"{dist} {version(dist)}"
    except PackageNotFoundError:
        return dist


def require(module: str, extra: str, path: Path) -> Any:
    """Import an optional dependency lazily, or fail with an actionable one-line message."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise FileFormatError(
            path,
            f"reading this format needs the optional package {module!r}: "
            f"pip install 'lilean[{extra}]'",
        ) from None


# ================================================================================================
# text tables
# ================================================================================================


def read_text(path: Path, encodings: Iterable[str] = ("utf-8-sig", "cp1252", "latin-1")) -> str:
    """The file as text. Binary content (NUL bytes) raises :class:`FileFormatError`.

    Encodings are tried in order; latin-1 accepts every byte, so it is the last resort (cycler
    software on Windows writes cp1252, e.g. ``T1[°C]`` in Basytec files).
    """
    raw = whole_file_bytes(path)
    if b"\x00" in raw:
        raise FileFormatError(path, "binary content (NUL bytes) where a text table was expected")
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # pragma: no cover - latin-1 never fails


def first_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]`` without splitting the whole text: the lines of the text up to
    its ``n``-th ``\n`` (the same first ``n`` lines), or of all of it when it has fewer."""
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return text.splitlines()[:n]
    return text[: end + 1].splitlines()[:n]


def head_text(head: bytes) -> str | None:
    """The sniffer's first bytes as text, or ``None`` when they look binary."""
    if b"\x00" in head:
        return None
    head = head.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark is not content
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # the head may cut a multi-byte character; or it is cp1252
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8", errors="replace")
        return head.decode("latin-1")


def table_from_lines(
    path: Path,
    lines: list[str],
    header_index: int,
    *,
    sep: str,
    skip_blank_after_header: bool = True,
    floats: Callable[[str], bool] | None = None,
    include: Callable[[str], bool] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Parse ``lines[header_index:]`` (header line, then data rows) into a DataFrame of strings.

    Returns the table and a list of anomalies. A last line with fewer fields than the header (a
    file cut off while being written or copied) is dropped and reported, never half-parsed.
    Numbers stay text; convert with :func:`numeric` (which knows the decimal separator).
    ``floats``: columns (by name) to parse as float64 while reading, when every field of the
    column is a plain number (see :func:`string_table`). ``include``: only the columns for which
    it returns True are in the table (the others are not converted; see :func:`string_table`).
    """
    anomalies: list[str] = []
    body = lines[header_index:]
    if not body:
        raise FileFormatError(path, "no header line found", row=header_index + 1)
    header = header_fields(body[0], sep)
    data_lines = body[1:]
    if skip_blank_after_header:
        data_lines = list(filter(str.strip, data_lines))  # lines with a non-blank character
    if not data_lines:
        raise FileFormatError(path, "header found but no data rows", row=header_index + 2)
    last_fields = next(csv.reader([data_lines[-1]], delimiter=sep))
    n_needed = sum(1 for h in header if h)
    if len(last_fields) < n_needed:
        data_lines = data_lines[:-1]
        anomalies.append(
            f"last line has {len(last_fields)} of {n_needed} fields (file truncated: cut off mid-line); dropped it"
        )
        if not data_lines:
            raise FileFormatError(path, "the only data row is incomplete", row=header_index + 2)
    text = "\n".join(data_lines)
    names = _column_names(header)
    df = string_table(path, text, sep=sep, names=names, floats=floats, include=include)
    return df, anomalies


def header_fields(line: str, sep: str) -> list[str]:
    """The stripped fields of a header line, without the trailing empty fields of trailing
    delimiters (one field is kept): the header of :func:`table_from_lines`."""
    header = [h.strip() for h in next(csv.reader([line], delimiter=sep))]
    # drop a trailing empty field produced by a trailing delimiter
    while header and header[-1] == "" and len(header) > 1:
        header.pop()
    return header


def table_names(line: str, sep: str) -> list[str]:
    """The column names :func:`table_from_lines` gives the table of this header line (every
    column, whether or not ``include`` reads it)."""
    return _column_names(header_fields(line, sep))


def _column_names(header: list[str]) -> list[str]:
    """Header fields as column names (an empty field: ``unnamed_<index>``)."""
    return [h if h else f"unnamed_{k}" for k, h in enumerate(header)]


#: the dtype pandas gives text read with ``dtype=str`` (pyarrow storage, NaN as missing value)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


#: how many columns :func:`string_table` gives up parsing as numbers before it reads all as text
_FLOAT_RETRIES = 4
_CSV_COLUMN = re.compile(r"CSV column #(\d+)")


def string_table(
    path: Path,
    text: str | bytes,
    *,
    sep: str,
    names: list[str] | None = None,
    floats: Callable[[str], bool] | None = None,
    include: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """A delimited text table as a DataFrame of strings (empty fields stay ``""``).

    ``names``: the column names, ``text`` holds the data rows only; ``None``: the first line
    of ``text`` is the header. Parsed by pyarrow's multi-threaded CSV reader into Arrow string
    columns (no Python object per field); a table pyarrow refuses (rows of different widths)
    is parsed by pandas' C parser, which pads short rows (the readers check the last row).

    ``text`` may be given as its UTF-8 bytes (a file read as bytes that is ASCII: no decoded
    copy of the whole file, and none encoded back for the parser).

    ``floats``: the columns for which it returns True are converted to float64 by the CSV
    reader itself (one C++ pass; an empty field is NaN), exactly as :func:`numeric` would
    convert their text (pyarrow's own string -> float64 parser); a column with any other field
    (a blank, a unit, ``N/A``, a decimal comma) stays text, for :func:`numeric` to convert or
    to name the bad row.

    ``include``: only the columns for which it returns True are in the frame, in the file's
    order (the CSV reader still splits every field and checks every row's width, but converts
    only these columns); ``None``: every column.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if isinstance(text, bytes):
        raw = text
        has_nul = b"\x00" in raw
    else:
        raw = text.encode("utf-8")
        has_nul = "\x00" in text
    if names is None:
        header_line = raw.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
        names = [  # as pandas names them: an empty header field is "Unnamed: <k>"
            h or f"Unnamed: {k}"
            for k, h in enumerate(next(csv.reader([header_line], delimiter=sep)))
        ]
        skip = 1
    else:
        skip = 0
    read = names if include is None else [n for n in names if include(n)]
    if len(set(names)) == len(names) and not has_nul and read:
        as_float = {n for n in read if floats is not None and floats(n)}
        table = None
        for _ in range(_FLOAT_RETRIES + 1):
            try:
                table = pacsv.read_csv(
                    pa.BufferReader(raw),  # zero copy (BytesIO.read copies)
                    read_options=pacsv.ReadOptions(
                        column_names=names, skip_rows=skip, block_size=max(1 << 20, len(raw) + 1)
                    ),
                    parse_options=pacsv.ParseOptions(
                        delimiter=sep, quote_char='"', newlines_in_values=False
                    ),
                    convert_options=pacsv.ConvertOptions(
                        # text straight as large_string, the type of pandas' Arrow strings
                        # (no cast of every text column afterwards)
                        column_types={
                            n: pa.float64() if n in as_float else pa.large_string() for n in read
                        },
                        include_columns=read,
                        null_values=[""],
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                m = _CSV_COLUMN.search(str(exc))
                bad = names[int(m.group(1))] if m and int(m.group(1)) < len(names) else None
                if bad is None or bad not in as_float:
                    break  # not a number conversion: the table itself is refused
                as_float.discard(bad)  # that column holds text: read it as text
        if table is not None:
            return pd.DataFrame(
                {
                    n: (
                        table.column(k).to_numpy()
                        if n in as_float
                        else pd.arrays.ArrowStringArray(
                            table.column(k).combine_chunks(), dtype=_STR
                        )
                    )
                    for k, n in enumerate(read)
                },
                copy=False,
            )
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None if skip == 0 else 0,
            names=names if skip == 0 else None,
            dtype=str,
            keep_default_na=False,
            index_col=False,
            quotechar='"',
            engine="c",
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(path, f"malformed table ({exc})") from None
    if include is None:
        return frame
    return frame[[c for c in frame.columns if include(str(c))]]


def arrow_strings(values: Any) -> Any | None:
    """The pyarrow string array behind a pandas string column (zero copy), else ``None``."""
    import pyarrow as pa

    arr = getattr(values, "array", None)
    if not isinstance(arr, pd.arrays.ArrowStringArray):
        return None
    out = pa.array(arr)
    return out if pa.types.is_string(out.type) or pa.types.is_large_string(out.type) else None


def arrow_float(values: Any) -> np.ndarray | None:
    """A string column of plain numbers -> float64 through pyarrow's C++ cast (surrounding
    whitespace and empty fields allowed: NaN), or ``None`` when any field is not such a number
    (the caller's general path then names the bad row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_strings(values)
    if arr is None:
        return None
    trimmed = pc.utf8_trim_whitespace(arr)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)
    try:
        out = pc.cast(trimmed, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=float)


def _plain_hms_seconds(arr: Any) -> np.ndarray | None:
    """:func:`arrow_hms_seconds` of an Arrow string array whose every value is digits only in
    the form ``H+:MM:SS`` (1-15 hour digits; BTSDA's ``Cumulative Time``), read from the
    array's bytes at fixed distances from the end of each value: ``3600 h + 60 m + s`` with
    ``h, m, s`` the integers the digits spell (exact in float64, the values pyarrow's cast
    gives). ``None`` for any other array (fractions, blanks, signs, spaces: the general path).
    """
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return None
        arr = arr.chunk(0)
    bufs = arr.buffers()
    if len(bufs) != 3 or bufs[1] is None or bufs[2] is None:
        return None
    n = len(arr)
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + n + 1].astype(np.intp)
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    start, end = offsets[:-1], offsets[1:]
    length = end - start
    if length.min() < 7 or length.max() > 21:
        return None

    def digit(index: np.ndarray) -> np.ndarray:  # '0'..'9' -> 0..9; ':' -> 10
        return data[index].astype(np.int16) - 48

    def fixed(k: int) -> np.ndarray:
        return digit(end - k)

    if not ((fixed(3) == 10).all() and (fixed(6) == 10).all()):
        return None
    tens_m, ones_m, tens_s, ones_s = fixed(5), fixed(4), fixed(2), fixed(1)
    for d in (tens_m, ones_m, tens_s, ones_s):
        if not ((d >= 0) & (d <= 9)).all():
            return None
    h = np.zeros(n)
    hour_digits = length - 6
    for j in range(int(hour_digits.max())):  # hour digit j from the right
        present = hour_digits > j
        d = digit(np.where(present, end - 7 - j, start))
        if not (((d >= 0) & (d <= 9)) | ~present).all():
            return None
        h += np.where(present, d, 0) * 10.0**j
    m = (tens_m * 10 + ones_m).astype(float)
    sec = (tens_s * 10 + ones_s).astype(float)
    return h * 3600.0 + m * 60.0 + sec


def arrow_hms_seconds(values: Any) -> np.ndarray | None:
    """``h:mm:ss[.f]`` strings (hours may exceed 24) -> seconds, vectorised in pyarrow, or
    ``None`` when any field is not of that plain form (blank, days, plain seconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_strings(values)
    if arr is None or len(arr) == 0 or arr.null_count:
        return None
    plain = _plain_hms_seconds(arr)
    if plain is not None:
        return plain
    parts = pc.split_pattern(pc.utf8_trim_whitespace(arr), ":", max_splits=2)
    if pc.min(pc.list_value_length(parts)).as_py() != 3:
        return None
    flat = pc.list_flatten(parts)
    try:
        nums = pc.cast(flat, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    h, m, sec = nums[0::3], nums[1::3], nums[2::3]
    out = h * 3600.0 + m * 60.0 + sec
    if not np.isfinite(out).all() or (h < 0).any() or (m < 0).any() or (sec < 0).any():
        return None
    return out


class RecordFrame:
    """Columns of a numpy record array (galvani's ``MPRfile.data``) with the small part of the
    DataFrame interface the readers use (``in``, ``[name]`` -> Series, ``columns``, ``len``,
    :meth:`select`), without copying the records into a DataFrame first.

    A selection of rows is kept as row indices and applied to each column when it is first
    asked for (never a copy of every record, most of whose fields nothing reads). Float columns
    (:meth:`floats`) are converted once and shared read-only by every caller; :meth:`release`
    lets the records (a view of the file's bytes) go once every column has been taken."""

    def __init__(self, records: np.ndarray, rows: np.ndarray | None = None) -> None:
        self._records = records
        self._rows = rows
        self.columns = list(records.dtype.names or ())
        self._contiguous: dict[str, np.ndarray] = {}
        self._floats: dict[tuple[str, float], np.ndarray] = {}
        self._n = len(records) if rows is None else len(rows)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> pd.Series:
        """The column as a Series over a contiguous, aligned copy of the field (the selected
        rows), made once per column: a field of packed records (galvani's dtype) is a strided,
        unaligned view, on which every numpy operation runs ~10-50x slower than on a plain
        array."""
        values = self._contiguous.get(name)
        if values is None:
            field = self._records[name]
            values = np.ascontiguousarray(field if self._rows is None else field[self._rows])
            self._contiguous[name] = values
        return pd.Series(values, name=name, copy=False)

    def floats(self, name: str, scale: float = 1.0) -> np.ndarray:
        """``as_float(self[name]) * scale`` (``scale == 1.0``: no multiplication, which would
        return the same values), made once per column and scale and shared by every caller:
        the array is read-only. Converted from the selected records without keeping a
        contiguous copy in the field's own type."""
        key = (name, scale)
        values = self._floats.get(key)
        if values is None:
            if scale == 1.0:
                raw = self._contiguous.get(name)
                if raw is None:
                    field = self._records[name]
                    raw = np.ascontiguousarray(field if self._rows is None else field[self._rows])
                values = np.asarray(raw, dtype=float)
                if values is raw:  # already float64: never share the writeable column copy
                    values = raw.view()
            else:
                values = self.floats(name) * scale
            values.flags.writeable = False
            self._floats[key] = values
        return values

    def __len__(self) -> int:
        return self._n

    def release(self) -> None:
        """Drop the records and the column copies (the caller holds the arrays it took): the
        memory of the file's bytes goes back before the table is built. Only ``columns`` and
        ``len`` work afterwards."""
        self._records = np.zeros(0, dtype=self._records.dtype)
        self._contiguous.clear()
        self._floats.clear()

    def select(self, mask: np.ndarray) -> RecordFrame:
        """The rows where ``mask`` is True (indices into the same records; no copy)."""
        mask = np.asarray(mask, dtype=bool)
        rows = np.flatnonzero(mask) if self._rows is None else self._rows[mask]
        return RecordFrame(self._records, rows)


def xlsx_sheet_names(path: Path) -> list[str]:
    """Sheet names of an ``.xlsx`` workbook, read from ``xl/workbook.xml`` without loading any
    sheet (cheap enough for a sniffer). Raises ``KeyError``, ``OSError`` or
    ``zipfile.BadZipFile`` when the file is not such a workbook."""
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
    return re.findall(r'<sheet\b[^>]*\bname="([^"]+)"', xml)


# ================================================================================================
# numbers, units, times
# ================================================================================================


def as_float(values: Any, path: Path, column: str) -> np.ndarray:
    """Numeric column -> float array; a clear error naming the column and the first bad row."""
    if isinstance(values, (np.ndarray, pd.Series)) and values.dtype.kind in "fiub":
        return np.asarray(values, dtype=float)  # already numbers: no per-element work
    fast = arrow_float(values)  # Arrow text of plain numbers: one C++ cast
    if fast is not None:
        return fast
    series = pd.Series(values)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype("string").str.strip().str.replace(",", ".", regex=False)
        converted = pd.to_numeric(text, errors="coerce")
        bad = converted.isna() & text.notna() & (text != "")
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileFormatError(
                path, f"column {column!r}: non-numeric value {series.iloc[first]!r}", row=first + 1
            )
        return converted.to_numpy(dtype=float)
    try:
        return series.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise FileFormatError(path, f"column {column!r} is not numeric ({exc})") from None


def numeric(values: Any, path: Path, column: str, decimal: str = ".") -> np.ndarray:
    """A text or numeric column as float; empty fields and ``N/A`` become NaN.

    With ``decimal=","`` a comma is the decimal separator (German Maccor exports); with ``"."``
    thousands separators are not expected. Non-numeric text raises :class:`FileFormatError`
    naming the column and the row (1-based within the data).
    """
    if isinstance(values, (np.ndarray, pd.Series)) and values.dtype.kind in "fiub":
        return np.asarray(values, dtype=float)  # already numbers (as_float's first case)
    if decimal == ".":
        fast = arrow_float(values)
        if fast is not None:
            return fast
    series = pd.Series(values)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        if decimal == ".":
            try:  # fast path: clean numbers (empty fields become NaN)
                return pd.to_numeric(series).to_numpy(dtype=float)
            except (ValueError, TypeError):
                pass
        text = series.astype("string").str.strip()
        text = text.mask(text.isin(["", "N/A", "NA", "nan", "NaN", "-", "--"]))
        if decimal == ",":
            text = text.str.replace(".", "", regex=False)  # thousands separator, if any
        return as_float(text, path, column)
    return as_float(series, path, column)


def column_factor(unit: str, dimension: str, path: Path, column: str) -> float:
    """:func:`lilean.units.factor` (``unit`` -> canonical unit of ``dimension``), with an unknown
    unit reported as a :class:`FileFormatError` naming the file and the column."""
    try:
        return factor(unit, dimension)
    except LileanError as exc:
        raise FileFormatError(path, f"column {column!r}: {exc}") from None


def scaled_column(
    values: Any, path: Path, column: str, unit: str | None, *, dimension: str, default: str
) -> tuple[np.ndarray, str]:
    """A column in the canonical unit of ``dimension``, and its ``units_found`` entry.

    ``x_canonical = numeric(values) * factor(unit or default, dimension)``. The entry is the
    header itself when it carries the unit, else ``"<header> [<default>] (assumed)"``.
    """
    u = unit or default
    scale = column_factor(u, dimension, path, column)
    found = column if unit else f"{column} [{u}] (assumed)"
    return numeric(values, path, column) * scale, found


def split_header(header: str, pattern: re.Pattern[str]) -> tuple[str, str | None]:
    """``(name, unit)`` of a column header, by a vendor's ``pattern`` with the named groups
    ``base`` and ``unit`` (e.g. ``U[V]`` -> ``("U", "V")``); ``(header, None)`` when the stripped
    header does not match. The name is stripped; the unit is returned as the pattern captures it.
    """
    m = pattern.match(header.strip())
    if m is None:
        return header.strip(), None
    return m.group("base").strip(), m.group("unit")


def describe_unit(column: str, unit: str) -> str:
    """``units_found`` entry: the header, plus ``[unit]`` when the header does not show it."""
    low, u = column.lower(), unit.lower().lstrip("-")
    shown = any(f"{a}{u}{b}" in low for a, b in (("[", "]"), ("(", ")"), ("/", "")))
    sign = " (sign flipped)" if unit.startswith("-") else ""
    return (column if shown else f"{column} [{unit.lstrip('-')}]") + sign


_HMS = re.compile(r"^\s*(?:\d+\s*(?:days?|d)?[\s-]+)?\d+:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?\s*$")
_DATE_SLASH = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})")


def parse_datetimes(values: Any, path: Path, column: str, *, dayfirst: bool | None = None) -> Any:
    """Date-time strings -> ``pandas.DatetimeIndex``.

    ISO 8601 is tried first. For ``dd/mm/yyyy`` vs ``mm/dd/yyyy`` the order is taken from
    ``dayfirst`` when given, else from the data (a first field above 12 means day-first, a second
    field above 12 means month-first; if neither occurs, month-first, the US cycler default).
    """
    if isinstance(values, pd.DatetimeIndex):
        return values
    series = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.DatetimeIndex(series)
    if series.dtype == object and len(series) and not isinstance(series.iloc[0], str):
        try:
            return pd.DatetimeIndex(pd.to_datetime(series))
        except (ValueError, TypeError):
            pass
    text = series.astype("string").str.strip()
    first_text = str(text.iloc[0]) if len(text) else ""
    # an ISO 8601 date starts with its year: a first row that does not cannot be parsed so
    # (pandas would fail on it, after setting up the parse)
    if _ISO_START.match(first_text) or not _DATE_SLASH.match(first_text):
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601"))
        except (ValueError, TypeError):
            pass
    fields = None
    if dayfirst is None:
        fields = first, second = _slash_fields(text)
        dayfirst = bool((first > 12).any()) and not bool((second > 12).any())
    fixed = _slash_datetimes(text, dayfirst, fields)
    if fixed is not None:
        return fixed
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, dayfirst=dayfirst, format="mixed"))
    except (ValueError, TypeError) as exc:
        raise FileFormatError(
            path, f"column {column!r}: cannot read {text.iloc[0]!r} as a date-time ({exc})"
        ) from None


_SLASH_TIMES = (
    "%H:%M:%S",
    "%H:%M:%S.%f",
    "%H:%M",
    "%I:%M:%S %p",
    "%I:%M:%S.%f %p",
    "%I:%M %p",
)


_ISO_START = re.compile(r"^\s*[+-]?\d{4}")


def _slash_fields(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The first two numbers of each ``a/b/yyyy`` date (NaN where a row is not such a date),
    by one pyarrow regex pass over the strings (pandas' ``str.extract`` calls Python per row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_strings(text)
    if arr is None:
        arr = pa.array(text.astype(object).where(text.notna(), None), type=pa.string())
    parts = pc.extract_regex(arr, r"^\s*(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<c>\d{2,4})")
    out = []
    for name in ("a", "b"):
        field = pc.struct_field(parts, name) if len(parts) else pa.array([], pa.string())
        out.append(np.asarray(pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False)))
    return out[0], out[1]


def _arrow_slash_datetimes(
    text: pd.Series,
    fmt: str,
    sep: str,
    year: str,
    dayfirst: bool,
    fields: tuple[np.ndarray, np.ndarray] | None = None,
) -> Any | None:
    """``a/b/yyyy hh:mm:ss`` parsed by pyarrow's ``strptime`` (C++, vectorised) when every row
    has exactly that shape (checked by one regex pass first) and every parsed day and month is
    the one written (pyarrow rolls 31/02 over into March, where Python's ``strptime`` refuses
    it); else ``None``, and the caller's pandas path decides. ``fields``: ``_slash_fields(text)``
    when the caller has it already."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if year != "%Y" or not fmt.endswith("%H:%M:%S"):
        return None
    arr = arrow_strings(text)
    if arr is None or arr.null_count:
        return None
    s = re.escape(sep)
    shape = rf"^\d{{1,2}}{s}\d{{1,2}}{s}\d{{4}} \d{{1,2}}:\d{{2}}:\d{{2}}$"
    if not pc.all(pc.match_substring_regex(arr, shape)).as_py():
        return None
    try:
        stamps = pc.strptime(arr, format=fmt, unit="us")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    first, second = _slash_fields(text) if fields is None else fields
    day, month = (first, second) if dayfirst else (second, first)
    days = np.asarray(pc.day(stamps).to_numpy(zero_copy_only=False), dtype=float)
    months = np.asarray(pc.month(stamps).to_numpy(zero_copy_only=False), dtype=float)
    if not (np.array_equal(days, day) and np.array_equal(months, month)):
        return None  # an impossible date (31/02): the general path names it
    return pd.DatetimeIndex(stamps.to_numpy(zero_copy_only=False))


def _slash_datetimes(
    text: pd.Series, dayfirst: bool, fields: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.DatetimeIndex | None:
    """``dd/mm/yyyy hh:mm:ss`` (or month first, ``.`` as separator, 2-digit years, AM/PM)
    parsed with one explicit format, vectorised, instead of per-row format guessing; ``None``
    when no single such format fits every row (the caller's general path then decides)."""
    if not len(text):
        return None
    m = _DATE_SLASH.match(str(text.iloc[0]))
    if m is None:
        return None
    sep = str(text.iloc[0])[m.end(1)]
    year = "%Y" if len(m.group(3)) == 4 else "%y"
    day, month = ("%d", "%m") if dayfirst else ("%m", "%d")
    fast = _arrow_slash_datetimes(
        text, f"{day}{sep}{month}{sep}{year} %H:%M:%S", sep, year, dayfirst, fields
    )
    if fast is not None:
        return fast
    for clock in _SLASH_TIMES:
        fmt = f"{day}{sep}{month}{sep}{year} {clock}"
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, format=fmt))
        except (ValueError, TypeError):
            continue
    return None


def time_column_s(
    values: Any, path: Path, column: str, unit: str | None, *, decimal: str = "."
) -> tuple[np.ndarray, str, str | None]:
    """A time column in seconds since its first row, and how it was read.

    Numbers are scaled by ``factor(unit, "time")``; ``h:mm:ss[.f]`` (and ``d hh:mm:ss``) strings
    are durations; date-time strings (or datetime cells from Excel) are converted to seconds
    after the first row. Returns (seconds, description for ``units_found``, ISO start time or None).
    """
    series = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or (
        series.dtype == object and len(series) and hasattr(series.iloc[0], "year")
    ):
        dt = parse_datetimes(series, path, column)
        sec = (dt - dt[0]).total_seconds().to_numpy(dtype=float)
        return sec, f"{column} (date-time)", dt[0].isoformat()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype("string").str.strip()
        sample = text.dropna()
        sample = sample[sample != ""].head(20)
        if len(sample) and sample.str.match(_HMS).all():
            days = text.str.replace(r"^(\d+)\s*(?:days?|d)?\s*-\s*", r"\1 days ", regex=True)
            days = days.str.replace(r"^(\d+)\s*d\s+", r"\1 days ", regex=True)
            try:
                td = pd.to_timedelta(days)
            except (ValueError, TypeError) as exc:
                raise FileFormatError(path, f"column {column!r}: not a duration ({exc})") from None
            return td.dt.total_seconds().to_numpy(dtype=float), f"{column} (h:mm:ss)", None
        if len(sample) and sample.str.contains(r"\d[-/.]\d+[-/.]\d+\D+\d+:\d", regex=True).all():
            dt = parse_datetimes(text, path, column)
            sec = (dt - dt[0]).total_seconds().to_numpy(dtype=float)
            return sec, f"{column} (date-time)", dt[0].isoformat()
    if unit is None:
        raise FileFormatError(
            path, f"time column {column!r} has no unit; expected e.g. 'time/s', 'Time [h]' or a map"
        )
    scale = column_factor(unit, "time", path, column)
    return numeric(series, path, column, decimal) * scale, describe_unit(column, unit), None


# ================================================================================================
# vendor capacities: counters -> increments -> per-cycle sums
# ================================================================================================


def capacity_per_cycle(
    increment_mAh: Any, cycle: Any, *, start_mask: Any | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cycle cumulative charge and discharge capacity (mAh, both >= 0) from signed charge
    increments (BioLogic ``dq/mA.h``, Neware per-step capacities, a direction-split counter).

    ``increment_mAh[k]`` is the charge passed between rows ``k-1`` and ``k`` (positive = charge).
    With :func:`accumulate_per_cycle` (the interval belongs to the cycle of the later row, and
    nothing is accumulated into the first row of a cycle)::

        Q_ch[k] = sum_{j in cycle(k), j <= k, j not first of cycle} max(dq_j, 0)
        Q_dis[k] = sum_{same j} max(-dq_j, 0)

    ``start_mask`` marks further rows whose increment is ignored (default: none). NaN
    increments count as 0.
    """
    dq = np.asarray(increment_mAh, dtype=float)
    if start_mask is not None:
        dq = np.where(np.asarray(start_mask, dtype=bool), 0.0, dq)
    discharge = np.negative(dq)
    np.clip(discharge, 0, None, out=discharge)
    # both clipped arrays are fresh: accumulated in place (no copy each)
    return (
        accumulate_per_cycle_into(np.clip(dq, 0, None), cycle),
        accumulate_per_cycle_into(discharge, cycle),
    )


def fill_gaps(values: Any, *, backward: bool = True, default: float | None = None) -> np.ndarray:
    """``pd.Series(values).ffill().bfill().to_numpy()`` (``backward=False``: ``ffill()`` only;
    ``default``: then ``.fillna(default)``) without pandas: each NaN takes the last value before
    it (leading NaNs the first value after them, NaNs left over ``default``); arrays of any
    other dtype than float come back as they are (a copy)."""
    a = np.asarray(values)
    if a.dtype.kind != "f":
        return a.copy()
    missing = np.isnan(a)
    if not missing.any():
        return a.copy()
    n = a.size
    idx = np.arange(n)
    idx[missing] = 0
    np.maximum.accumulate(idx, out=idx)
    out = a[idx]  # leading NaNs: a[0], itself NaN
    if backward and np.isnan(out[0]):
        valid = np.flatnonzero(~missing)
        if valid.size:
            out[: valid[0]] = a[valid[0]]
    if default is not None:
        out[np.isnan(out)] = default
    return out


def counter_increments(
    counter: np.ndarray, *, reset: np.ndarray | None = None, rel_tol: float = 1e-6
) -> np.ndarray:
    """Increments of a capacity counter that only grows, except where the instrument resets it.

    ``d[k] = c[k] - c[k-1]`` while the counter grows, and ``d[k] = c[k]`` where it was reset
    (the counter drops by more than ``rel_tol * max|c|``, or ``reset[k]`` is True): after a reset
    the counter restarts from zero, so its new value is what passed since. Drops smaller than
    the tolerance (print rounding) count as zero. ``d[0] = 0``. NaN counts as no information (0).

    The counter is unsigned (its magnitude is used), so the increments are >= 0; the direction
    comes from elsewhere (:func:`vendor_capacity_split`). For a *signed* capacity that restarts
    with every step, use :func:`increments_from_step_capacity`.
    """
    c = np.abs(np.asarray(counter, dtype=float))
    n = c.size
    d = np.zeros(n)
    if n < 2:
        return d
    filled = fill_gaps(c, backward=False, default=0.0)
    diff = np.diff(filled)
    scale = float(np.max(filled))
    tol = rel_tol * scale
    dropped = diff < -tol
    is_reset = dropped if reset is None else (dropped | np.asarray(reset, dtype=bool)[1:])
    d[1:] = np.where(is_reset, filled[1:], np.clip(diff, 0.0, None))
    return d


def increments_from_step_capacity(signed_q_mAh: Any, step: Any) -> np.ndarray:
    """Per-row charge increments (mAh) from a *signed* capacity that restarts at 0 with every
    step (Neware: positive in charge steps, negative in discharge steps).

    ``dq[k] = q[k] - q[k-1]`` inside a step and ``dq[k] = q[k]`` on the first row of a step;
    NaN counts as 0. Unlike :func:`counter_increments` the sign is kept and resets happen only
    at step changes (a capacity that falls inside a step gives a negative increment).
    """
    q = np.nan_to_num(np.asarray(signed_q_mAh, dtype=float))
    st = np.asarray(step)
    if q.size == 0:
        return q
    new_step = np.concatenate([[True], st[1:] != st[:-1]])
    return np.where(new_step, q, np.diff(q, prepend=0.0))


def vendor_capacity_per_cycle(counter_mAh: Any, cycle: Any | None) -> np.ndarray:
    """One-direction capacity counter (Arbin ``Charge_Capacity``, Basytec ``Ah-Cyc-Charge``) ->
    charge passed since the first row of the cycle (mAh, >= 0). Works whether the counter runs over
    the whole test, resets every cycle, or resets every step."""
    return accumulate_per_cycle(
        counter_increments(np.asarray(counter_mAh, dtype=float)),
        None if cycle is None else np.asarray(cycle),
    )


def vendor_capacity_split(
    capacity_mAh: Any,
    current_A: Any,
    cycle: Any | None,
    *,
    step: Any | None = None,
    reset_on_step: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """One capacity column for both directions (Maccor ``Amp-hr``, LAND ``Capacity/mAh``,
    Novonix ``Capacity (Ah)``) -> per-cycle (charge, discharge) capacity in mAh.

    The counter is turned into increments (:func:`counter_increments`; a reset is also assumed
    where the direction of the current flips, and at every step change when ``reset_on_step``).
    Each increment belongs to the direction of the current at that row (or of the previous row
    when this one is at rest), then charge and discharge increments are accumulated per cycle
    (:func:`capacity_per_cycle`).
    """
    i = np.asarray(current_A, dtype=float)
    direction = np.sign(np.where(np.isnan(i), 0.0, i))
    prev = fill_gaps(np.where(direction == 0, np.nan, direction), backward=False, default=0.0)
    flip = np.concatenate([[False], (direction[1:] != 0) & (direction[1:] != prev[:-1])])
    flip &= np.concatenate([[False], prev[:-1] != 0])
    reset = flip
    if reset_on_step and step is not None:
        sp = np.asarray(step)
        reset = reset | np.concatenate([[False], sp[1:] != sp[:-1]])
    d = counter_increments(np.asarray(capacity_mAh, dtype=float), reset=reset)
    owner = np.where(direction != 0, direction, np.concatenate([[0.0], prev[:-1]]))
    signed = np.where(owner > 0, d, np.where(owner < 0, -d, 0.0))
    return capacity_per_cycle(signed, None if cycle is None else np.asarray(cycle))


#: relative disagreement per cycle between the integrated current and the instrument's counter
#: above which an anomaly is recorded (the trapezoid of logged rows is a few 0.1 % off at most
#: for a densely logged CC step; more means sparse logging, pulses or gaps)
CAPACITY_DISAGREEMENT_REL = 0.02
#: ... and above this fraction of the file's largest cycle capacity (tiny cycles are not flagged)
CAPACITY_DISAGREEMENT_ABS_FRAC = 0.005
INSTRUMENT_COUNTER = "instrument counter"
INTEGRATED_CURRENT = "integrated current"


def _cycle_runs(cycles: np.ndarray) -> np.ndarray:
    """Start index of every run of equal cycle numbers (cycles are renumbered, so one run each)."""
    if cycles.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], cycles[1:] != cycles[:-1]]))


def choose_capacity(
    cycles: np.ndarray,
    integrated: dict[str, np.ndarray],
    vendor: dict[str, np.ndarray | None],
) -> tuple[dict[str, np.ndarray], dict[str, str], list[str]]:
    """The array core of :func:`prefer_vendor_capacity`: per direction (``"charge"``,
    ``"discharge"``) the capacity to use, its source, and the disagreements found.

    ``cycles`` is the table's (renumbered, run-wise constant) cycle index; per cycle the largest
    value of each side is compared (``np.maximum.reduceat`` over the cycle runs).
    """
    source: dict[str, str] = {}
    chosen: dict[str, np.ndarray] = {}
    anomalies: list[str] = []
    scale = 0.0
    for arr in vendor.values():
        if arr is not None and arr.size:
            finite = np.isfinite(arr)
            if finite.all():  # no copy of the finite values
                scale = max(scale, float(np.max(np.abs(arr))))
            elif finite.any():
                scale = max(scale, float(np.max(np.abs(arr[finite]))))
    starts: np.ndarray | None = None
    found: list[tuple[int, str, float, float]] = []
    for direction in ("charge", "discharge"):
        ours = integrated[direction]
        theirs = vendor.get(direction)
        if theirs is None:
            source[direction] = INTEGRATED_CURRENT
            chosen[direction] = ours
            continue
        if not np.isfinite(theirs).all():
            source[direction] = f"{INTEGRATED_CURRENT} (instrument counter has missing values)"
            chosen[direction] = ours
            continue
        if ours.size:
            if starts is None:
                starts = _cycle_runs(cycles)
            a = np.maximum.reduceat(ours, starts)
            b = np.maximum.reduceat(theirs, starts)
            bad = np.abs(a - b) > np.maximum(
                CAPACITY_DISAGREEMENT_REL * np.abs(b), CAPACITY_DISAGREEMENT_ABS_FRAC * scale
            )
            for k in np.flatnonzero(bad):
                found.append((int(cycles[starts[k]]), direction, float(a[k]), float(b[k])))
        chosen[direction] = theirs
        source[direction] = INSTRUMENT_COUNTER
    found.sort()
    for c, direction, x, y in found[:5]:
        rel = f"{100 * (x - y) / y:+.1f} %" if y else "counter 0"
        anomalies.append(
            f"cycle {c}: {direction} capacity from the integrated current {x:.6g} mAh differs "
            f"from the instrument's counter {y:.6g} mAh ({rel}); the counter is used"
        )
    if len(found) > 5:
        anomalies.append(
            f"{len(found) - 5} more cycle(s) where the integrated current and the instrument's "
            "counter disagree"
        )
    return chosen, source, anomalies


def prefer_vendor_capacity(data: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Use the instrument's own capacity counter for ``Charge/Discharge capacity [mAh]`` where
    the file has one (in place), keeping lilean's trapezoid integration only as a check.

    The instrument integrates the current at its internal sampling rate; integrating the logged
    rows is wrong with sparse logging, pulses or gaps at step changes. Per cycle and direction,
    ``|Q_integrated - Q_counter| > max(2 % of Q_counter, 0.5 % of the largest cycle)`` is
    recorded as an anomaly (cycle, both values, relative size). A counter with missing values
    is not used (the integrated current stays). Returns ``({"charge": source, "discharge":
    source}, anomalies)`` with source :data:`INSTRUMENT_COUNTER` or :data:`INTEGRATED_CURRENT`.
    (:func:`finish` runs the same check on arrays, :func:`choose_capacity`, before the table
    is built.)
    """
    cols = {"charge": CHARGE_CAPACITY, "discharge": DISCHARGE_CAPACITY}
    vcols = {"charge": VENDOR_CHARGE_CAPACITY, "discharge": VENDOR_DISCHARGE_CAPACITY}
    integrated = {d: data[c].to_numpy(dtype=float) for d, c in cols.items()}
    vendor = {
        d: (data[c].to_numpy(dtype=float) if c in data.columns else None) for d, c in vcols.items()
    }
    chosen, source, anomalies = choose_capacity(data[CYCLE].to_numpy(), integrated, vendor)
    for d, c in cols.items():
        if source[d] == INSTRUMENT_COUNTER:
            data[c] = chosen[d]
    return source, anomalies


# ================================================================================================
# integrity: damaged files, plausibility
# ================================================================================================

#: set by :func:`lilean.io.read` for the duration of one read
_ALLOW_PARTIAL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lilean_allow_partial", default=False
)
PARTIAL_PREFIX = "PARTIAL TABLE: "

#: instrument-plausible bounds (no battery cycler or potentiostat lilean reads measures beyond
#: them; a value outside is a damaged record: a flipped byte gives e.g. -4.5e30 V)
PLAUSIBLE_VOLTAGE_V = 100.0
PLAUSIBLE_CURRENT_A = 2000.0
PLAUSIBLE_DURATION_S = 20 * 365.25 * 86400.0


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(" ".join(record.getMessage().split()))


@contextlib.contextmanager
def captured_logs(logger_name: str) -> Iterator[list[str]]:
    """Within the block, a library's warnings and errors go into the yielded list (for the
    table's notes or a damage report), never to the terminal."""
    sink: list[str] = []
    handler = _ListHandler(sink)
    log = logging.getLogger(logger_name)
    log.addHandler(handler)
    propagate, log.propagate = log.propagate, False
    try:
        yield sink
    finally:
        log.removeHandler(handler)
        log.propagate = propagate


@contextlib.contextmanager
def partial_reads(allow: bool) -> Iterator[None]:
    """Within the block, :func:`damaged` records instead of raising when ``allow``."""
    token = _ALLOW_PARTIAL.set(allow)
    try:
        yield
    finally:
        _ALLOW_PARTIAL.reset(token)


def damaged(path: Path, problem: str, notes: list[str]) -> None:
    """A reader found damage. Raise :class:`DamagedFileError` (one line naming the file), or,
    when partial reads are allowed, append ``PARTIAL TABLE: <problem>`` to ``notes`` and return
    (the caller then keeps what is whole)."""
    if _ALLOW_PARTIAL.get():
        notes.append(PARTIAL_PREFIX + problem)
        return
    raise DamagedFileError(path, f"{problem}; allow_partial=True (--allow-partial) reads the rest")


def _beyond(x: np.ndarray, bound: float) -> np.ndarray:
    """``|x| > bound`` (``bound >= 0``) as ``(x > bound) | (x < -bound)``: the same mask."""
    out = np.greater(x, bound)
    out |= np.less(x, -bound)
    return out


def implausible_rows(t: np.ndarray, v: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, str]:
    """Rows outside the instrument-plausible bounds (``|V| > 100 V``, ``|I| > 2000 A``, time
    negative or beyond 20 years from the first row), and a one-line description ('' if none)."""
    t0 = t[0] if t.size else 0.0
    # |x| > b  <=>  x > b or x < -b (NaN: neither), without an array of |x|
    bad_v = _beyond(v, PLAUSIBLE_VOLTAGE_V)
    bad_i = _beyond(i, PLAUSIBLE_CURRENT_A)
    bad_t = _beyond(t, PLAUSIBLE_DURATION_S)
    bad_t |= _beyond(t - t0, PLAUSIBLE_DURATION_S)
    bad = bad_v | bad_i | bad_t
    if not bad.any():
        return bad, ""
    k = int(np.flatnonzero(bad)[0])
    parts = [
        f"{int(m.sum())} with {what}"
        for m, what in (
            (bad_v, f"|V| > {PLAUSIBLE_VOLTAGE_V:g} V"),
            (bad_i, f"|I| > {PLAUSIBLE_CURRENT_A:g} A"),
            (bad_t, "time beyond 20 years"),
        )
        if m.any()
    ]
    return bad, (
        f"{int(bad.sum())} row(s) with implausible values ({', '.join(parts)}), first at data "
        f"row {k + 1} (t={t[k]:.4g} s, V={v[k]:.4g} V, I={i[k]:.4g} A): damaged records"
    )


# ---- record consistency of checksum-less binary formats -----------------------------------------
# EC-Lab .mpr and Neware .nda records carry no checksum: a flipped byte changes a value and
# nothing in the file says so. These checks cross-check what the records themselves make
# redundant; what they cannot see is listed in docs/reliability.md.

#: a single-row excursion must exceed this many times the larger neighbouring step (noisy
#: potentiostatic currents reach ~11x; damaged records 10^2-10^30x)
SPIKE_FACTOR = 50.0
#: ... and return to within this fraction of its size on the next row
SPIKE_RETURN = 0.1
#: voltage excursions smaller than this are never flagged (noise, quantisation)
SPIKE_FLOOR_V = 0.05
#: current excursions smaller than this fraction of the file's largest |I| are never flagged
SPIKE_FLOOR_I_FRAC = 0.02
#: time values of a file whose rows lie on a 1 ms grid (all but this fraction) must all do
TIME_GRID_S = 1e-3
TIME_GRID_SHARE = 0.99


def isolated_spikes(x: np.ndarray, group: np.ndarray | None, floor: float) -> np.ndarray:
    """Rows ``k`` whose value jumps away from both neighbours and comes straight back, while
    the rows around are quiet: within one step (rows ``k-2 .. k+2`` in the same ``group``)::

        s = min(|x_k - x_{k-1}|, |x_k - x_{k+1}|) > max(floor, 50 * max(|x_{k-1} - x_{k-2}|,
                                                                  |x_{k+2} - x_{k+1}|))
        and |x_{k+1} - x_{k-1}| <= 0.1 * s

    A controlled current or a cell voltage does not do this within a step (pulse trains change
    on every row, so their neighbouring steps are as large); a flipped exponent or high mantissa
    bit does. Returns a boolean mask over the rows."""
    x = np.asarray(x, dtype=float)
    n = x.size
    out = np.zeros(n, dtype=bool)
    if n < 5:
        return out
    d = np.subtract(x[1:], x[:-1])  # d[j] = |x[j+1] - x[j]|; rows k = 2 .. n-3 below
    np.abs(d, out=d)
    # s > floor  <=>  both steps around row k exceed the floor (NaN: neither): the rows where
    # the other conditions are evaluated, on those rows only (same formulas, same values)
    big = d > floor
    rows = np.flatnonzero(big[1 : n - 3] & big[2 : n - 2]) + 2
    if rows.size:
        s = np.minimum(d[rows - 1], d[rows])
        quiet = np.maximum(d[rows - 2], d[rows + 1])
        back = np.abs(x[rows + 1] - x[rows - 1])
        hit = (s > floor) & (s > SPIKE_FACTOR * quiet) & (back <= SPIKE_RETURN * s)
        rows = rows[hit]
    if group is not None and rows.size:
        g = np.asarray(group)
        c = g[rows]
        same = (g[rows - 2] == c) & (g[rows - 1] == c) & (g[rows + 1] == c) & (g[rows + 2] == c)
        rows = rows[same]
    out[rows] = True
    return out


def time_out_of_order(t: np.ndarray) -> np.ndarray:
    """Rows whose time alone is out of order: ``t_k`` above the next or below the previous row's
    time while the neighbours themselves are in order (``t_{k-1} <= t_{k+1}``): a damaged
    record, not a clock reset (which moves every later row)."""
    t = np.asarray(t, dtype=float)
    n = t.size
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    prev, here, nxt = t[: n - 2], t[1 : n - 1], t[2:]
    out[1 : n - 1] = (prev <= nxt) & ((here > nxt) | (here < prev))
    return out


def off_time_grid(t: np.ndarray) -> np.ndarray:
    """Rows off the 1 ms grid in a file whose other rows (>= 99 %) all lie on it (instruments
    that log in whole milliseconds; a flipped low mantissa bit of the stored float leaves the
    grid). All False for files not on such a grid."""
    t = np.asarray(t, dtype=float)
    r = t / TIME_GRID_S
    off = np.abs(r - np.round(r)) > 1e-4
    off &= np.isfinite(t)
    if off.mean() > 1.0 - TIME_GRID_SHARE:
        return np.zeros(t.size, dtype=bool)
    return off


def check_records(
    path: Path,
    notes: list[str],
    checks: list[tuple[str, np.ndarray]],
) -> np.ndarray:
    """Combine per-row consistency findings (``(what, mask)``) into one :func:`damaged` call
    naming how many rows each check found and the first row; returns the mask of rows to keep
    (all True when nothing was found; the flagged rows dropped for a partial read)."""
    n = checks[0][1].size if checks else 0
    bad = np.zeros(n, dtype=bool)
    parts = []
    for what, mask in checks:
        if mask.any():
            bad |= mask
            parts.append(f"{int(mask.sum())} {what}")
    if not bad.any():
        return ~bad
    first = int(np.flatnonzero(bad)[0])
    damaged(
        path,
        f"{int(bad.sum())} record(s) inconsistent with the rest of the file "
        f"({'; '.join(parts)}), first at record {first + 1}: damaged bytes (this format "
        "carries no checksum)",
        notes,
    )
    return ~bad


# ================================================================================================
# provenance: the file's sha256, on first use (or computed beside the parse)
# ================================================================================================

#: the file of the current :func:`lilean.io.read` call whose hash is deferred: ``(path, stat
#: record taken before the parse)``
_DEFERRED_HASH: contextvars.ContextVar[tuple[str, tuple[int, ...]] | None] = contextvars.ContextVar(
    "lilean_deferred_hash", default=None
)

#: a file last written (mtime or ctime) less than this long before the read is hashed during the
#: read; older files on first use of the stamp (:class:`lilean.schema.PendingSha256`). A write
#: after the read then always changes the stat record, even on file systems with coarse time
#: stamps (FAT: 2 s) or a clock a little off (git's "racily clean" rule)
DEFER_HASH_MIN_AGE_S = 5.0

#: the hash being computed for the file of the current :func:`lilean.io.read` call
_PENDING_HASH: contextvars.ContextVar[tuple[str, Any] | None] = contextvars.ContextVar(
    "lilean_pending_hash", default=None
)


#: files smaller than this are hashed in the reading thread (~20 ms of sha256 at 8 MiB)
HASH_THREAD_MIN_BYTES = 8 << 20


#: within one :func:`hashing_beside` block: ``{path: sha256}`` of files whose every byte a reader
#: read in one piece (:func:`whole_file_bytes`), so that the file is not read a second time
_BYTES_HASHED: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "lilean_bytes_hashed", default=None
)


def whole_file_bytes(path: Path) -> bytes:
    """``path.read_bytes()``; inside a :func:`lilean.io.read` call whose hash is taken during
    the read, the sha256 of exactly these bytes (the whole file, the bytes that are parsed) is
    kept for :func:`source_sha256`, which then does not read the file again. Not when a
    background thread already hashes it, nor when the hash is deferred."""
    raw = path.read_bytes()
    hashed = _BYTES_HASHED.get()
    pending = _PENDING_HASH.get()
    if hashed is not None and (pending is None or pending[0] != str(path)):
        import hashlib

        hashed[str(path)] = hashlib.sha256(raw).hexdigest()
    return raw


@contextlib.contextmanager
def hashing_beside(path: Path) -> Iterator[None]:
    """Within the block, the table's ``source_sha256`` is provided for: for a file last written
    more than :data:`DEFER_HASH_MIN_AGE_S` before the read, on first use of the stamp, from the
    file's stat record taken now (:class:`lilean.schema.PendingSha256`: refused if the file
    changed since). Else during the read: files below :data:`HASH_THREAD_MIN_BYTES` from the
    bytes the reader read (:func:`whole_file_bytes`), or when the table is finished, in this
    thread; larger ones in a background thread (hashlib releases the GIL), overlapping the
    parse. Always the hash of every byte of the file, exactly :func:`lilean.schema.file_sha256`."""
    import os
    import time
    from concurrent.futures import ThreadPoolExecutor

    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None:
        written = max(st.st_mtime_ns, st.st_ctime_ns)
        if time.time_ns() - written > DEFER_HASH_MIN_AGE_S * 1e9:
            token = _DEFERRED_HASH.set((str(path), stat_record(st)))
            try:
                yield
            finally:
                _DEFERRED_HASH.reset(token)
            return
    small = st is None or st.st_size < HASH_THREAD_MIN_BYTES
    if small:  # a thread costs more than it saves (and waits for a core on a busy machine)
        scope = _BYTES_HASHED.set({})
        try:
            yield
        finally:
            _BYTES_HASHED.reset(scope)
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lilean-sha256")
    future = pool.submit(file_sha256, path)
    token2 = _PENDING_HASH.set((str(path), future))
    try:
        yield
    finally:
        _PENDING_HASH.reset(token2)
        pool.shutdown(wait=True, cancel_futures=True)


def source_sha256(path: Path) -> str:
    """sha256 of the file, now: the one computed beside the parse (:func:`hashing_beside`) when
    it is of this path, else computed now."""
    pending = _PENDING_HASH.get()
    if pending is not None and pending[0] == str(path):
        return str(pending[1].result())
    hashed = _BYTES_HASHED.get()
    if hashed is not None and str(path) in hashed:
        return hashed[str(path)]
    return file_sha256(path)


def stamp_source(meta: Metadata, path: Path) -> Metadata:
    """``meta`` with the file's sha256 as ``source_sha256``: deferred to its first use where
    :func:`hashing_beside` defers it for this file, else taken now (:func:`source_sha256`)."""
    deferred = _DEFERRED_HASH.get()
    if deferred is not None and deferred[0] == str(path):
        meta.defer_source_sha256(PendingSha256(path, deferred[1]))
    else:
        meta.source_sha256 = source_sha256(path)
    return meta


# ================================================================================================
# the table
# ================================================================================================
def finish(
    path: Path,
    *,
    time_s: Any,
    voltage_V: Any,
    current_A: Any,
    instrument: str,
    file_format: str,
    reader: str,
    units_found: dict[str, str],
    original_columns: list[str],
    cycle: Any | None = None,
    step: Any | None = None,
    vendor_charge_capacity_mAh: Any | None = None,
    vendor_discharge_capacity_mAh: Any | None = None,
    temperature_degC: Any | None = None,
    start_time: str | None = None,
    area_cm2: float | None = None,
    active_mass_mg: float | None = None,
    notes: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    cycle_label: Any | None = None,
) -> CyclingData:
    """Build the schema table from canonical-unit arrays, validate it, and attach metadata.

    ``cycle_label`` (optional, one string per row) is the schema's ``Cycle label`` column
    (``"formation"`` / ``"cycling"``), carried through when a file has it (lilean's own CSV).

    Rows whose time, voltage or current is NaN are dropped (and counted in ``meta.anomalies``).
    Time is shifted to start at 0. Anomalies that leave the table usable (time going backwards,
    gaps) are recorded, not raised; :func:`lilean.io.read` decides whether to raise on them.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    i = np.asarray(current_A, dtype=float)
    if not (t.size == v.size == i.size):
        raise FileFormatError(path, "time, voltage and current columns differ in length")
    if t.size == 0:
        raise FileFormatError(path, "no data rows")
    anomalies: list[str] = []
    keep = ~(np.isnan(t) | np.isnan(v) | np.isnan(i))
    if not keep.all():
        anomalies.append(f"dropped {int((~keep).sum())} row(s) with NaN time, voltage or current")
        if not keep.any():
            raise FileFormatError(path, "every row has a missing time, voltage or current")

    whole = bool(keep.all())
    bad, problem = (
        implausible_rows(t, v, i) if whole else implausible_rows(t[keep], v[keep], i[keep])
    )
    if problem:
        notes = list(notes or [])
        damaged(path, problem, notes)
        idx = np.flatnonzero(keep)
        keep[idx[bad]] = False
        if not keep.any():
            raise FileFormatError(path, "no row has plausible time, voltage and current")

    if not keep.all():
        t, v, i = t[keep], v[keep], i[keep]

    all_kept = bool(keep.all())

    def sel(a: Any | None, dtype: Any = None) -> np.ndarray | None:
        if a is None:
            return None
        arr = np.asarray(a, dtype=dtype)
        return arr if all_kept else arr[keep]

    data, capacity_source, disagreements = table_from_arrays(
        t,
        v,
        i,
        cycle=sel(cycle),
        step=sel(step),
        vendor_charge_mAh=sel(vendor_charge_capacity_mAh, float),
        vendor_discharge_mAh=sel(vendor_discharge_capacity_mAh, float),
        temperature_degC=sel(temperature_degC, float),
        where=path,
    )
    anomalies += disagreements  # ... and the schema's validation of the table
    if cycle_label is not None:
        labels = pd.Series(np.asarray(sel(cycle_label), dtype=object)).fillna("cycling")
        data[CYCLE_LABEL] = pd.Categorical(labels.astype(str))
    meta = Metadata(
        source_file=str(path),
        source_sha256=None,  # stamped below (stamp_source)
        instrument=instrument,
        file_format=file_format,
        reader=reader,
        area_cm2=area_cm2,
        active_mass_mg=active_mass_mg,
        units_found=units_found,
        original_columns=[str(c) for c in original_columns],
        start_time=start_time,
        anomalies=anomalies,
        notes=notes or [],
        extra=extra or {},
        capacity_source=capacity_source,
    )
    return CyclingData(data, stamp_source(meta, path))


def _renumber(
    values: np.ndarray, cycle: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """1-based index that increases by one every time ``values`` (or ``cycle``) changes (the
    rule of :func:`lilean.schema.build_table`); written into ``out`` (int64) when given."""
    if values.size == 0:
        return values.astype(np.int64)
    change = values[1:] != values[:-1]
    if cycle is not None:
        change |= cycle[1:] != cycle[:-1]
    if out is None:
        out = np.empty(values.size, dtype=np.int64)
    out[0] = 1
    np.cumsum(change, out=out[1:])
    out[1:] += 1
    return out


_STEP_TYPES = (CHARGE, DISCHARGE, REST)


def step_type_array(codes: np.ndarray) -> Any:
    """``Step type`` as the schema's ``string`` column from codes 0/1/2 (charge, discharge,
    rest), built by pyarrow ``take`` (no Python string per row)."""
    import pyarrow as pa

    labels = pa.array(_STEP_TYPES, type=pa.large_string())
    return pd.arrays.ArrowStringArray(labels.take(pa.array(codes)))


def table_from_arrays(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    *,
    cycle: np.ndarray | None,
    step: np.ndarray | None,
    vendor_charge_mAh: np.ndarray | None = None,
    vendor_discharge_mAh: np.ndarray | None = None,
    temperature_degC: np.ndarray | None = None,
    where: str | Path = "<table>",
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The schema table of :func:`lilean.schema.build_table` (same columns, rules and values),
    built in one pass over numpy arrays into one float block (no per-column DataFrame copies),
    with the capacity source chosen on the arrays (:func:`choose_capacity`). Returns the table,
    the capacity source and the anomalies: the capacity disagreements, then the schema's
    (:func:`lilean.schema.validate_columns` on the table's own arrays; ``where`` names the
    file in its errors).

    ``t`` is shifted to start at 0; ``cycle`` is renumbered here (1-based, increasing at every
    change; ``None``: one cycle); ``step`` is renumbered within cycles (``None``: the sign changes
    of the current). Step types: ``rest`` where ``|I| <= max(1e-3 max|I|, 1e-12 A)``. Capacities: the
    trapezoid of ``max(+-I, 0)`` over ``dt`` in mAh (``/3.6``), restarting at 0 on the first row
    of every cycle (:func:`lilean.schema.capacities_from_current`).
    """
    n = t.size
    # the integer block: cycle and step, renumbered straight into it
    ints = np.empty((2, n), dtype=np.int64)
    cy = ints[0]
    if cycle is None:
        cy[:] = 1
    else:
        _renumber(np.asarray(cycle), out=cy)
    peak = float(np.nanmax(np.abs(i))) if n else 0.0
    threshold = max(1e-3 * peak, 1e-12)
    codes = np.full(n, 2, dtype=np.int8)
    codes[i > threshold] = 0
    codes[i < -threshold] = 1
    _renumber(codes if step is None else np.asarray(step), cy, out=ints[1])

    names = [TIME, VOLTAGE, CURRENT, CHARGE_CAPACITY, DISCHARGE_CAPACITY]
    extras = [
        (name, arr)
        for name, arr in (
            (VENDOR_CHARGE_CAPACITY, vendor_charge_mAh),
            (VENDOR_DISCHARGE_CAPACITY, vendor_discharge_mAh),
            (TEMPERATURE, temperature_degC),
        )
        if arr is not None
    ]
    block = np.empty((len(names) + len(extras), n))
    if n:
        np.subtract(t, t[0], out=block[0])
    block[1] = v
    block[2] = i
    for k, (_, arr) in enumerate(extras):
        block[5 + k] = arr
    # capacities: trapezoid increments, zero on the first row of each cycle, cumsum per cycle;
    # the temporaries (dt, the clipped current, the cycle-start sums) share two buffers
    integrated: dict[str, np.ndarray] = {}
    if n < 2:
        block[3:5] = 0.0
    else:
        firsts = np.concatenate([[0], np.flatnonzero(cy[1:] != cy[:-1]) + 1])
        run_lengths = np.diff(firsts, append=n)
        dt_h = np.subtract(block[0, 1:], block[0, :-1])
        dt_h /= 3.6
        x = np.empty(n)
        for row in (3, 4):
            out = block[row]
            # max(+-I, 0): clip(+-1.0 * I, 0, None) is numpy's maximum(+-I, 0), the same values
            if row == 3:
                np.maximum(i, 0, out=x)
            else:
                np.negative(i, out=x)
                np.maximum(x, 0, out=x)
            out[0] = 0.0
            np.add(x[1:], x[:-1], out=out[1:])
            out[1:] *= 0.5
            out[1:] *= dt_h
            out[firsts] = 0.0
            np.cumsum(out, out=out)
            # out[k] -= out[first row of k's cycle] (that row's running sum, over its run)
            out -= np.repeat(out[firsts], run_lengths)
    integrated["charge"], integrated["discharge"] = block[3], block[4]
    vendor = {"charge": vendor_charge_mAh, "discharge": vendor_discharge_mAh}
    chosen, capacity_source, anomalies = choose_capacity(cy, integrated, vendor)
    for row, direction in ((3, "charge"), (4, "discharge")):
        if chosen[direction] is not integrated[direction]:
            block[row] = chosen[direction]
    names += [name for name, _ in extras]
    data = _frame_of_blocks(block, ints, step_type_array(codes), names)
    anomalies += validate_columns(block[0], block[1], block[2], cy, source=where)
    return data, capacity_source, anomalies


#: ``(float column names) -> (columns Index, float placement)`` of :func:`_frame_of_blocks`
_BLOCK_LAYOUTS: dict[tuple[str, ...], tuple[pd.Index, np.ndarray]] = {}


def _frame_of_blocks(
    floats: np.ndarray, ints: np.ndarray, step_type: Any, float_names: list[str]
) -> pd.DataFrame:
    """The table in the schema's column order (time, voltage, current, cycle, step, step type,
    charge and discharge capacity, then the optional float columns) from its three blocks: the
    2-D float array (rows in ``float_names`` order: the first five required, then the extras),
    the 2-D int64 array (cycle, step) and the string column. The same frame as
    ``pd.DataFrame({name: column, ...})`` (columns, dtypes, values, RangeIndex), assembled by
    ``pandas.api.internals.create_dataframe_from_blocks`` (pandas >= 3) without the
    constructor's per-column inference; through the constructor on older pandas."""
    key = tuple(float_names)
    layout = _BLOCK_LAYOUTS.get(key)
    order = [*float_names[:3], CYCLE, STEP, STEP_TYPE, *float_names[3:]]
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pandas < 3: the constructor
        columns: dict[str, Any] = dict(zip(float_names, floats, strict=True))
        columns[CYCLE], columns[STEP], columns[STEP_TYPE] = ints[0], ints[1], step_type
        return pd.DataFrame({name: columns[name] for name in order}, copy=False)
    if layout is None:
        index = pd.DataFrame(columns=order).columns
        placement = np.array([order.index(name) for name in float_names], dtype=np.intp)
        layout = _BLOCK_LAYOUTS.setdefault(key, (index, placement))
    index, placement = layout
    return create_dataframe_from_blocks(
        [
            (floats, placement),
            (ints, np.array([3, 4], dtype=np.intp)),
            (step_type, np.array([5], dtype=np.intp)),
        ],
        index=pd.RangeIndex(floats.shape[1]),
        columns=index.copy(),  # own object: Index.name can be set in place
    )
