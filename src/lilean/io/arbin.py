"""Arbin readers: MITS Pro ``.res`` (MS Access database), DataPro ``.xlsx`` export, and CSV export.

Arbin column names (``Test_Time``, ``Current``, ``Voltage``, ``Cycle_Index``, ``Step_Index``,
``Charge_Capacity``, ``Discharge_Capacity``; DataPro adds the unit: ``Test_Time(s)``,
``Current(A)``) are the same in all three containers. Arbin's sign convention is lilean's
(charge current positive), so currents are taken as they are. Units when the header has none:
s, V, A, Ah (Arbin MITS Pro database defaults).

Arbin's ``Charge_Capacity`` / ``Discharge_Capacity`` are counters in Ah that run over the test or
restart every cycle depending on the software version; they are converted to lilean's per-cycle
convention with :func:`lilean.io.common.vendor_capacity_per_cycle`.

The ``.res`` file is read with ``access_parser`` (pure Python, Apache-2.0), tables
``Global_Table`` (test name, schedule, start time as an OLE automation date: days since
1899-12-30) and ``Channel_Normal_Table`` (the records).
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    captured_logs,
    column_factor,
    damaged,
    fill_gaps,
    finish,
    head_text,
    library_version,
    numeric,
    read_text,
    table_from_lines,
    vendor_capacity_per_cycle,
    xlsx_sheet_names,
)
from lilean.io.registry import Reader, contains, register
from lilean.schema import (
    CURRENT,
    CYCLE,
    STEP,
    TEMPERATURE,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
)

_JET_MAGIC = (b"Standard Jet DB", b"Standard ACE DB")
_OLE_EPOCH = datetime(1899, 12, 30)

#: Arbin base column name -> (canonical key, dimension, default unit when the header has none)
_COLUMNS: dict[str, tuple[str, str | None, str | None]] = {
    "test_time": ("time", "time", "s"),
    "voltage": ("voltage", "voltage", "V"),
    "current": ("current", "current", "A"),
    "cycle_index": ("cycle", None, None),
    "step_index": ("step", None, None),
    "charge_capacity": ("charge_capacity", "capacity", "Ah"),
    "discharge_capacity": ("discharge_capacity", "capacity", "Ah"),
    "temperature": ("temperature", "temperature", "degC"),
    "aux_temperature_1": ("temperature", "temperature", "degC"),
}

#: header bases (:func:`_split`) of the columns read as numbers
_NUMERIC_BASES = frozenset(_COLUMNS) | {"data_point"}

_HEADER_UNIT = re.compile(r"^\s*(?P<base>[A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\((?P<unit>[^)]*)\))?\s*$")


def _split(header: str) -> tuple[str, str | None]:
    m = _HEADER_UNIT.match(str(header))
    if m is None:
        return str(header).strip().lower(), None
    return m.group("base").strip().lower().replace(" ", "_"), m.group("unit")


def _ole_to_iso(days: float) -> str | None:
    try:
        if not np.isfinite(days) or days <= 0:
            return None
        return (_OLE_EPOCH + timedelta(days=float(days))).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):
        return None


def _from_table(
    path: Path,
    df: pd.DataFrame,
    *,
    file_format: str,
    reader: str,
    start_time: str | None,
    extra: dict[str, Any],
    notes: list[str],
    decimal: str = ".",
) -> CyclingData:
    """Arbin records (any container) -> CyclingData."""
    found: dict[str, tuple[str, str | None, str | None]] = {}
    defaults: list[str] = []
    for col in df.columns:
        base, unit = _split(str(col))
        if base in _COLUMNS and _COLUMNS[base][0] not in {v[0] for v in found.values()}:
            found[str(col)] = (_COLUMNS[base][0], _COLUMNS[base][1], unit or _COLUMNS[base][2])
            if unit is None and _COLUMNS[base][1] is not None:
                defaults.append(str(col))
    by_key = {key: (col, dim, unit) for col, (key, dim, unit) in found.items()}
    for key, what in (("time", "Test_Time"), ("voltage", "Voltage"), ("current", "Current")):
        if key not in by_key:
            raise FileFormatError(
                path, f"no {what} column; expected Arbin columns Test_Time, Voltage, Current"
            )
    if "Data_Point" in df.columns:
        point = numeric(df["Data_Point"], path, "Data_Point", decimal)
        # rows already in order (the usual case): the stable sort would be the identity
        if not bool((point[1:] >= point[:-1]).all()):
            order = np.argsort(point, kind="stable")
            df = df.iloc[order].reset_index(drop=True)
    units_found: dict[str, str] = {}
    canonical = {
        "time": TIME,
        "voltage": VOLTAGE,
        "current": CURRENT,
        "charge_capacity": VENDOR_CHARGE_CAPACITY,
        "discharge_capacity": VENDOR_DISCHARGE_CAPACITY,
        "temperature": TEMPERATURE,
    }

    def values(key: str) -> np.ndarray:
        col, dim, unit = by_key[key]
        arr = numeric(df[col], path, col, decimal)
        if dim is None:
            return arr
        assert unit is not None
        scale = column_factor(unit, dim, path, col)
        units_found[canonical[key]] = (
            f"{col} [{unit}] (Arbin default, no unit in the header)" if col in defaults else col
        )
        return arr * scale

    time_s = values("time")
    cycle = step = None
    if "cycle" in by_key:
        raw = values("cycle")
        if not np.isnan(raw).all():
            cycle = fill_gaps(raw)
            units_found[CYCLE] = by_key["cycle"][0]
    if "step" in by_key:
        raw = values("step")
        if not np.isnan(raw).all():
            step = fill_gaps(raw)
            units_found[STEP] = by_key["step"][0]
    v_ch = v_dis = temp = None
    if "charge_capacity" in by_key:
        v_ch = vendor_capacity_per_cycle(values("charge_capacity"), cycle)
    if "discharge_capacity" in by_key:
        v_dis = vendor_capacity_per_cycle(values("discharge_capacity"), cycle)
    if "temperature" in by_key:
        temp = values("temperature")
    if cycle is None:
        notes = [*notes, "no cycle index in the file: the whole test is cycle 1"]
    return finish(
        path,
        time_s=time_s,
        voltage_V=values("voltage"),
        current_A=values("current"),
        instrument="arbin",
        file_format=file_format,
        reader=reader,
        units_found=units_found,
        original_columns=[str(c) for c in df.columns],
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=start_time,
        notes=notes,
        extra=extra,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if np.isfinite(f) else None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


# ---- .res (MS Access) -----------------------------------------------------------------------


def _sniff_res(path: Path, head: bytes) -> bool:
    if head[4:19] not in _JET_MAGIC:
        return False
    table = "Channel_Normal_Table"
    # the catalog entry may lie anywhere in the file (beyond the first 64 KiB in cellpy's
    # aux_one_x_dx.res): look for it in the whole header region, not a fixed window
    return contains(path, (table.encode("utf-16-le"), table.encode()), head)


#: access_parser's column types (``access_parser.utils.TYPE_*``) of fixed-length numbers -> the
#: numpy dtype of their little-endian bytes, as ``access_parser.utils.parse_type`` unpacks them
#: (INT8 signed "b", INT16 "h", INT32 and COMPLEX "i", FLOAT32 "f", FLOAT64 "d")
_RES_NUMBER_DTYPES = {2: "<i1", 3: "<i2", 4: "<i4", 18: "<i4", 6: "<f4", 7: "<f8"}
_RES_BOOLEAN = 1


def _res_table_arrays(db: Any, name: str) -> dict[str, np.ndarray] | None:
    """A table of only fixed-length numbers (``Channel_Normal_Table``) parsed with numpy over
    the records' bytes: the same values as ``access_parser``'s row-by-row parse (its page and
    record layout: page header ``01 01``, free space, owner, [Jet 4: 4 bytes], record count,
    record offsets; a record is [field count: 1 byte, Jet 4: 2 bytes], the fixed fields at their
    column offsets, ..., the null bitmap (1 = has a value) in its last ``ceil(columns / 8)``
    bytes; an offset with bit 15 set is a deleted record, one ending at the previous offset).

    Integer columns come back as float64 (NaN where the bitmap says null; access_parser: None),
    booleans as bool. ``None`` where this layout does not hold exactly (a text or date column,
    overflow records, records of different lengths, a null bitmap or column outside a record):
    the caller then uses access_parser itself, which also logs what it finds damaged."""
    import struct

    table = db.get_table(name)
    columns = list(table.columns.values())
    pages = table.table.linked_pages
    if not pages or not columns:
        return None
    for col in columns:
        if not col.column_flags.fixed_length:
            return None
        if col.type != _RES_BOOLEAN and col.type not in _RES_NUMBER_DTYPES:
            return None
    version = table.version
    count_at = 12 if version > 3 else 8
    records: list[bytes] = []
    for page in pages:
        if page[:2] != b"\x01\x01" or len(page) < count_at + 2:
            return None
        (n_rec,) = struct.unpack_from("<H", page, count_at)
        if len(page) < count_at + 2 + 2 * n_rec:
            return None
        last = None
        for off in struct.unpack_from(f"<{n_rec}H", page, count_at + 2):
            if off & 0x8000:  # deleted
                last = off & 0xFFF
                continue
            if off & 0x4000:  # overflow record: stored elsewhere
                return None
            rec = page[off:] if not last else page[off:last]
            last = off
            if rec:
                records.append(rec)
    if not records:
        return None
    length = len(records[0])
    if any(len(r) != length for r in records):
        return None
    n_null = (table.table_header.column_count + 7) // 8
    skip = 2 if version > 3 else 1
    if not n_null or n_null >= length:
        return None
    rows = np.frombuffer(b"".join(records), dtype=np.uint8).reshape(len(records), length)
    bitmap = rows[:, length - n_null :]
    out: dict[str, np.ndarray] = {}
    for col in columns:
        cid = int(col.column_id)
        if cid >= 8 * n_null:
            return None
        has_value = (bitmap[:, cid // 8] >> (cid % 8)) & 1 == 1
        if col.type == _RES_BOOLEAN:
            out[col.col_name_str] = has_value
            continue
        dtype = np.dtype(_RES_NUMBER_DTYPES[col.type])
        start = skip + int(col.fixed_offset)
        if start + dtype.itemsize > length:
            return None
        values = np.ndarray(
            (len(records),), dtype=dtype, buffer=rows, offset=start, strides=(length,)
        ).astype(float)
        values[~has_value] = np.nan
        out[col.col_name_str] = values
    return out


def read_res(path: str | Path) -> CyclingData:
    """Read an Arbin MITS Pro ``.res`` file (MS Access) with ``access_parser``.

    Only the first test in ``Global_Table`` is read (a .res file normally holds one channel).
    """
    path = Path(path)
    from access_parser import AccessParser

    notes: list[str] = []
    with open(path, "rb") as fh:
        head = fh.read(32)
    page = 2048 if len(head) > 20 and head[20] == 0 else 4096  # Jet 3 / Jet 4 page size
    size = path.stat().st_size
    if size % page:
        damaged(
            path,
            f"file ends inside a database page ({size} bytes is not a whole number of "
            f"{page}-byte pages): truncated; records on the lost pages are missing",
            notes,
        )
    try:
        with captured_logs("access_parser") as problems:
            db = AccessParser(str(path))
            global_rows = pd.DataFrame(db.parse_table("Global_Table"))
            fast = _res_table_arrays(db, "Channel_Normal_Table")
            records = pd.DataFrame(
                db.parse_table("Channel_Normal_Table") if fast is None else fast, copy=False
            )
    except FileFormatError:
        raise
    except Exception as exc:  # access_parser raises many types on damaged files
        raise FileFormatError(
            path, f"not a readable Arbin .res (MS Access) database ({type(exc).__name__}: {exc})"
        ) from None
    if records.empty:
        raise FileFormatError(path, "Channel_Normal_Table has no records")
    if problems:
        damaged(
            path,
            f"the database is damaged ({len(problems)} access_parser error(s), first: "
            f"{problems[0]})",
            notes,
        )
    if "Data_Point" in records:
        dp = pd.to_numeric(records["Data_Point"], errors="coerce").to_numpy(dtype=float)
        order = np.sort(dp[np.isfinite(dp)])
        jumps = np.flatnonzero(np.diff(order) > 1)
        if jumps.size:
            lost = int(np.sum(np.diff(order)[jumps] - 1))
            damaged(
                path,
                f"{lost} record(s) missing from Channel_Normal_Table (Data_Point jumps from "
                f"{int(order[jumps[0]])} to {int(order[jumps[0] + 1])})",
                notes,
            )
    extra: dict[str, Any] = {}
    start_time = None
    if not global_rows.empty:
        first = global_rows.iloc[0]
        extra = {str(k): _jsonable(v) for k, v in first.items()}
        start_time = _ole_to_iso(float(first.get("Start_DateTime", np.nan)))
        if len(global_rows) > 1 and "Test_ID" in records:
            test_id = first.get("Test_ID")
            records = records[records["Test_ID"] == test_id]
            notes.append(f"file holds {len(global_rows)} tests; read Test_ID {test_id}")
    return _from_table(
        path,
        records,
        file_format="arbin-res",
        reader=library_version("access-parser"),
        start_time=start_time,
        extra=extra,
        notes=notes,
    )


# ---- DataPro .xlsx -----------------------------------------------------------------------------


def _sniff_xlsx(path: Path, head: bytes) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        names = xlsx_sheet_names(path)
    except (KeyError, OSError, zipfile.BadZipFile):
        return False
    return "Global_Info" in names and any(re.match(r"Channel_\d+_\d+$", n) for n in names)


def read_xlsx(path: str | Path) -> CyclingData:
    """Read an Arbin DataPro Excel export: sheet ``Global_Info`` (header) and ``Channel_<n>_<k>``
    sheets (records; long tests are split over several sheets, which are concatenated)."""
    path = Path(path)
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        data_sheets = [n for n in names if re.match(r"Channel_\d+_\d+$", n)]
        if not data_sheets:
            raise FileFormatError(path, f"no Channel_<n>_<k> data sheet; sheets are {names}")
        frames = []
        for name in sorted(data_sheets, key=lambda n: int(n.rsplit("_", 1)[1])):
            rows = wb.get_sheet_by_name(name).to_python()
            if len(rows) < 2:
                continue
            frames.append(pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]]))
        info = wb.get_sheet_by_name("Global_Info").to_python() if "Global_Info" in names else []
    except FileFormatError:
        raise
    except Exception as exc:
        raise FileFormatError(
            path, f"not a readable Excel workbook ({type(exc).__name__}: {exc})"
        ) from None
    if not frames:
        raise FileFormatError(path, "the Channel data sheets hold no records")
    df = pd.concat(frames, ignore_index=True).replace("", np.nan)
    extra: dict[str, Any] = {}
    start_time = None
    # Global_Info: a row of field names followed by a row of values (DataPro layout)
    for k in range(len(info) - 1):
        keys, vals = info[k], info[k + 1]
        if "Start DateTime" in keys or "Schedule File Name" in keys:
            for key, val in zip(keys, vals, strict=False):
                if key:
                    extra[str(key)] = _jsonable(val)
            st = extra.get("Start DateTime")
            start_time = str(st) if st else None
            break
    return _from_table(
        path,
        df,
        file_format="arbin-xlsx",
        reader=library_version("python-calamine"),
        start_time=start_time,
        extra=extra,
        notes=[],
    )


# ---- CSV export ---------------------------------------------------------------------------------

_CSV_REQUIRED = ("data_point", "test_time", "current", "voltage")


def _csv_header_ok(line: str) -> bool:
    fields = {_split(f.strip().strip('"'))[0] for f in line.split(",")}
    return all(r in fields for r in _CSV_REQUIRED) and (
        "cycle_index" in fields or "step_index" in fields
    )


def _sniff_csv(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None:
        return False
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return _csv_header_ok(first)


def read_csv(path: str | Path) -> CyclingData:
    """Read an Arbin CSV export (``Data_Point,Test_Time,DateTime,...``, with or without units in
    the headers). A ``<stem>_Metadata.csv`` beside it (TRI/beep layout) supplies the test header:
    schedule, ``First_Start_DateTime`` (Unix seconds), channel."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    if not lines or not _csv_header_ok(lines[0]):
        raise FileFormatError(
            path, "first line is not an Arbin header (Data_Point, Test_Time, Current, Voltage...)"
        )
    # the columns lilean reads as numbers are parsed to float64 by the CSV reader when they
    # hold plain numbers (else they stay text and numeric() converts them or names the row)
    df, notes = table_from_lines(
        path, lines, 0, sep=",", floats=lambda n: _split(n)[0] in _NUMERIC_BASES
    )
    extra: dict[str, Any] = {}
    start_time = None
    meta_path = path.with_name(path.stem + "_Metadata.csv")
    if meta_path.is_file() and meta_path != path:
        try:
            meta = pd.read_csv(meta_path, dtype=str, keep_default_na=False)
        except Exception as exc:
            notes.append(f"ignored unreadable {meta_path.name} ({exc})")
        else:
            if len(meta):
                row = meta.iloc[0]
                extra = {str(k): v for k, v in row.items() if not str(k).startswith("Unnamed")}
                extra["metadata_file"] = meta_path.name
                first = pd.to_numeric(row.get("First_Start_DateTime", ""), errors="coerce")
                if pd.notna(first) and first > 0:
                    start_time = pd.Timestamp(float(first), unit="s", tz="UTC").isoformat()
    if start_time is None and "DateTime" in df.columns:
        first = pd.to_numeric(df["DateTime"].iloc[0], errors="coerce")
        if pd.notna(first) and first > 1e8:  # Unix seconds
            start_time = pd.Timestamp(float(first), unit="s", tz="UTC").isoformat()
    return _from_table(
        path,
        df,
        file_format="arbin-csv",
        reader=f"lilean arbin; {library_version('pandas')}",
        start_time=start_time,
        extra=extra,
        notes=notes,
    )


register(
    Reader(
        name="arbin-res",
        instrument="arbin",
        extensions=(".res",),
        sniff=_sniff_res,
        read=read_res,
        description="Arbin MITS Pro .res (MS Access database), via access_parser",
    )
)
register(
    Reader(
        name="arbin-xlsx",
        instrument="arbin",
        extensions=(".xlsx",),
        sniff=_sniff_xlsx,
        read=read_xlsx,
        description="Arbin DataPro Excel export (Global_Info + Channel_n_k sheets)",
    )
)
register(
    Reader(
        name="arbin-csv",
        instrument="arbin",
        extensions=(".csv",),
        sniff=_sniff_csv,
        read=read_csv,
        description="Arbin CSV export (Data_Point, Test_Time, ...; _Metadata.csv beside it)",
    )
)
