"""Neware (BTS / BTSDA) readers: binary ``.nda`` / ``.ndax``, CSV exports and ``.xls`` exports.

Sign convention: Neware records charge currents as positive and discharge currents as negative
(BTSDA manual; checked on the data by the tests: ``CC_Chg`` rows have I > 0 and a rising voltage),
which is lilean's convention, so currents are taken as they are.

* ``neware-nda``: ``.nda`` and ``.ndax`` via fastnda (BSD-3). fastnda was chosen over NewareNDA
  (BSD-3, kept as the reference reader in the tests) because it reads all five test files with
  identical voltage, current, cycle and step columns, is faster, and returns the *total* test time
  (NewareNDA's ``Time`` column is the step time for several of them). Cycles follow fastnda's
  default (and NewareNDA's): a new cycle starts with a charge step that follows a discharge.
* ``neware-csv``: BTSDA CSV exports, either flat (one row per record: ``DataPoint, Cycle Index,
  Step Index, Step Type, Time, Cumulative Time, Current(A), Voltage(V), ...``) or the "regular"
  nested layout (cycle, step and record rows interleaved under three header lines).
* ``neware-xls``: BTSDA ``.xls`` workbooks (sheets ``Info``, ``Cycle_*``, ``Statis_*``,
  ``Detail_*``); records from the ``Detail_*`` sheets (xlrd). The ``Info`` remark
  (e.g. ``"1.04497215 mg active"``) sets the active mass.

Units are taken from the column headers (``Current(mA)``, ``Capacity(Ah)``...). When a table has
only a step time, the total time is rebuilt by :func:`total_time_from_step_time` (noted in
``meta.notes``). Vendor capacities (per step in Neware files) are accumulated per cycle with
:func:`lilean.io.common.increments_from_step_capacity` and
:func:`lilean.io.common.capacity_per_cycle`.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    SPIKE_FLOOR_I_FRAC,
    SPIKE_FLOOR_V,
    arrow_hms_seconds,
    as_float,
    capacity_per_cycle,
    captured_logs,
    check_records,
    damaged,
    finish,
    first_lines,
    increments_from_step_capacity,
    isolated_spikes,
    library_version,
    off_time_grid,
    require,
    string_table,
    time_out_of_order,
    whole_file_bytes,
    xlsx_sheet_names,
)
from lilean.io.registry import Reader, register
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

NDA_MAGIC = b"NEWARE"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_UNIT_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")
_SCALE = {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "V": 1.0, "mV": 1e-3}
_CAPACITY_TO_MAH = {"Ah": 1e3, "mAh": 1.0, "uAh": 1e-3, "µAh": 1e-3}


# ---- shared helpers ----------------------------------------------------------------------------


def step_sign(step_type: Any) -> np.ndarray:
    """+1 for charge steps (``CC_Chg``, ``CCCV Chg``...), -1 for discharge (``*DChg``), 0 else."""
    text = pd.Series(step_type, dtype="string").fillna("").str.lower().str.replace(" ", "_")
    dis = text.str.contains("dchg", regex=False) | text.str.contains("dischg", regex=False)
    chg = text.str.contains("chg", regex=False) & ~dis
    return np.where(dis, -1.0, np.where(chg, 1.0, 0.0))


def total_time_from_step_time(step_time_s: Any, step: Any) -> np.ndarray:
    """Total test time (s) rebuilt from a step time that restarts with every step.

    ``t[k] = offset(step of k) + step_time[k]``, with ``offset`` of a step = offset of the previous
    step + the last step time recorded in it (any time between the last record of a step and the
    start of the next is unknown and taken as 0).
    """
    ts = np.asarray(step_time_s, dtype=float)
    st = np.asarray(step)
    if ts.size == 0:
        return ts
    new_step = np.concatenate([[True], (st[1:] != st[:-1]) | (ts[1:] < ts[:-1])])
    last_of_prev = np.where(new_step, np.concatenate([[0.0], ts[:-1]]), 0.0)
    last_of_prev[0] = 0.0
    return np.cumsum(last_of_prev) + ts


def _hms_fast(text: pd.Series) -> np.ndarray | None:
    """Vectorised ``h:mm:ss(.fff)`` -> seconds (one split, three numeric columns), or ``None``
    when any value is not of that plain form (days, plain seconds, blanks: the general path)."""
    if len(text) == 0 or text.isna().any():
        return None
    parts = text.str.split(":", n=2, expand=True)
    if parts.shape[1] != 3:
        return None
    h = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    sec = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype=float)
    out = h * 3600.0 + m * 60.0 + sec
    if not np.isfinite(out).all() or (h < 0).any():
        return None
    return out


def parse_duration_s(values: Any, path: Path, column: str) -> np.ndarray:
    """``hh:mm:ss(.fff)`` (hours may exceed 24), ``d-hh:mm:ss`` or plain seconds -> seconds."""
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=float)
    fast = arrow_hms_seconds(series)
    if fast is not None:
        return fast
    text = series.astype("string").str.strip()
    fast = _hms_fast(text)
    if fast is not None:
        return fast
    parts = text.str.extract(
        r"^(?:(?P<d>\d+)[-\s]+(?:days?\s+)?)?(?P<h>\d+):(?P<m>\d+):(?P<s>[\d.]+)$"
    )
    seconds = (
        parts["d"].astype("Float64").fillna(0) * 86400
        + parts["h"].astype("Float64") * 3600
        + parts["m"].astype("Float64") * 60
        + pd.to_numeric(parts["s"], errors="coerce").astype("Float64")
    )
    plain = pd.to_numeric(text, errors="coerce").astype("Float64")
    seconds = seconds.fillna(plain)
    bad = seconds.isna() & text.notna() & (text != "")
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise FileFormatError(
            path,
            f"column {column!r}: {series.iloc[first]!r} is not a duration (expected hh:mm:ss)",
            row=first + 1,
        )
    return seconds.to_numpy(dtype=float, na_value=np.nan)


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    """First column whose name (without its unit) is one of ``names`` (case-insensitive)."""
    wanted = [n.lower() for n in names]
    for name in wanted:
        for col in columns:
            m = _UNIT_RE.match(col)
            base = (m.group("name") if m else col).strip().lower()
            if base == name:
                return col
    return None


def _unit(column: str) -> str:
    m = _UNIT_RE.match(column)
    return m.group("unit").strip() if m else ""


def _scaled(frame: pd.DataFrame, col: str, table: dict[str, float], path: Path) -> np.ndarray:
    unit = _unit(col)
    if unit not in table:
        raise FileFormatError(path, f"column {col!r}: unit {unit!r} not one of {sorted(table)}")
    return as_float(frame[col], path, col) * table[unit]


#: the header names :func:`_find` looks up in a BTSDA record table, per quantity (the first
#: present wins; the date: the start time, :func:`_first_date`)
_RECORD_NAMES: dict[str, tuple[str, ...]] = {
    "current": ("Current", "Cur"),
    "voltage": ("Voltage",),
    "cycle": ("Cycle Index", "Cycle", "CyCle"),
    "step": ("Step Number", "Step Index", "Step"),
    "step type": ("Step Type", "Status"),
    "total time": ("Total Time", "Cumulative Time", "Test Time"),
    "step time": ("Time", "Step Time", "Relative Time"),
    "charge capacity": ("Chg. Cap.",),
    "discharge capacity": ("DChg. Cap.",),
    "capacity": ("Capacity", "CapaCity"),
    "date": ("Date",),
}


def _from_record_table(
    frame: pd.DataFrame,
    path: Path,
    *,
    file_format: str,
    reader: str,
    notes: list[str],
    extra: dict[str, Any],
    start_time: str | None = None,
    active_mass_mg: float | None = None,
    total_time_s: np.ndarray | None = None,
    columns: list[str] | None = None,
) -> CyclingData:
    """Map a BTSDA record table (CSV or the xls Detail sheet) onto the canonical table.
    ``columns``: the file's columns, when ``frame`` holds only those of
    :func:`_record_columns` (else ``frame.columns``)."""
    cols = [str(c) for c in frame.columns] if columns is None else columns
    units: dict[str, str] = {}
    cur = _find(cols, _RECORD_NAMES["current"])
    volt = _find(cols, _RECORD_NAMES["voltage"])
    if cur is None or volt is None:
        raise FileFormatError(path, f"no Current(...) / Voltage(...) column; found {cols[:12]}")
    current_A = _scaled(frame, cur, _SCALE, path)
    voltage_V = _scaled(frame, volt, _SCALE, path)
    units[CURRENT], units[VOLTAGE] = cur, volt

    cycle_col = _find(cols, _RECORD_NAMES["cycle"])
    step_col = _find(cols, _RECORD_NAMES["step"])
    type_col = _find(cols, _RECORD_NAMES["step type"])
    cycle = as_float(frame[cycle_col], path, cycle_col) if cycle_col else None
    step = as_float(frame[step_col], path, step_col) if step_col else None
    if cycle_col:
        units[CYCLE] = cycle_col
    if step_col:
        units[STEP] = step_col

    if total_time_s is None:
        total_col = _find(cols, _RECORD_NAMES["total time"])
        step_time_col = _find(cols, _RECORD_NAMES["step time"])
        if total_col is not None:
            total_time_s = parse_duration_s(frame[total_col], path, total_col)
            units[TIME] = total_col
        elif step_time_col is not None:
            step_t = parse_duration_s(frame[step_time_col], path, step_time_col)
            total_time_s = total_time_from_step_time(
                step_t, step if step is not None else np.zeros(len(frame))
            )
            units[TIME] = f"{step_time_col} (step time, summed over steps)"
            notes.append(
                f"no total-time column: total time rebuilt from the step time {step_time_col!r} "
                "(gaps between steps, if any, are lost)"
            )
        else:
            raise FileFormatError(path, f"no time column; found {cols[:12]}")
    else:
        units.setdefault(TIME, extra.get("time_source", "total time"))

    # vendor capacity: per-step capacity made signed by the step type
    step_for_q = step if step is not None else np.zeros(len(frame))
    signed_q = None
    chg_col = _find(cols, _RECORD_NAMES["charge capacity"])
    dchg_col = _find(cols, _RECORD_NAMES["discharge capacity"])
    cap_col = _find(cols, _RECORD_NAMES["capacity"])
    if chg_col and dchg_col and _unit(chg_col) in _CAPACITY_TO_MAH:
        signed_q = _scaled(frame, chg_col, _CAPACITY_TO_MAH, path) - _scaled(
            frame, dchg_col, _CAPACITY_TO_MAH, path
        )
        vendor_source = f"{chg_col} - {dchg_col} (per step)"
        units[VENDOR_CHARGE_CAPACITY] = units[VENDOR_DISCHARGE_CAPACITY] = vendor_source
    elif cap_col and _unit(cap_col) in _CAPACITY_TO_MAH:
        sign = step_sign(frame[type_col]) if type_col else np.sign(current_A)
        signed_q = np.abs(_scaled(frame, cap_col, _CAPACITY_TO_MAH, path)) * sign
        vendor_source = f"{cap_col} (per step, signed by {type_col or 'current'})"
        units[VENDOR_CHARGE_CAPACITY] = units[VENDOR_DISCHARGE_CAPACITY] = vendor_source
    vendor_ch = vendor_dis = None
    if signed_q is not None:
        cy = cycle if cycle is not None else np.ones(len(frame))
        vendor_ch, vendor_dis = capacity_per_cycle(
            increments_from_step_capacity(signed_q, step_for_q), cy
        )
    if type_col is not None:
        extra.setdefault("step_types", sorted(pd.unique(frame[type_col].astype(str)).tolist()))

    return finish(
        path,
        time_s=total_time_s,
        voltage_V=voltage_V,
        current_A=current_A,
        instrument="neware",
        file_format=file_format,
        reader=reader,
        units_found=units,
        original_columns=cols,
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=vendor_ch,
        vendor_discharge_capacity_mAh=vendor_dis,
        start_time=start_time,
        active_mass_mg=active_mass_mg,
        notes=notes,
        extra=extra,
    )


# ---- .nda / .ndax -----------------------------------------------------------------------------


def _is_ndax(path: Path, head: bytes) -> bool:
    if not head.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "data.ndc" in names or ("Step.xml" in names and "TestInfo.xml" in names)


def sniff_nda(path: Path, head: bytes) -> bool:
    """``.nda`` files start with ``NEWARE``; ``.ndax`` files are zip archives with ``data.ndc``."""
    return head.startswith(NDA_MAGIC) or _is_ndax(path, head)


def _flatten(d: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    if isinstance(d, dict):
        for k, v in d.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = d
    return out


def _nda_start_time(flat: dict[str, Any], unix_s: np.ndarray) -> str | None:
    """Test start (ISO 8601): the header's start time, else the first record's timestamp (UTC)."""
    for key in ("start_time", "TestInfo.TestInfo.StartTime"):
        text = flat.get(key)
        if isinstance(text, str) and text:
            try:
                return datetime.fromisoformat(text.strip()).isoformat()
            except ValueError:
                continue
    if unix_s.size and np.isfinite(unix_s[0]):
        return datetime.fromtimestamp(float(unix_s[0]), tz=UTC).isoformat()
    return None


def _check_zeroed_records(path: Path, begin: int, notes: list[str]) -> None:
    """Versions 5-8: 59-byte records from byte ``begin`` on; a record whose 59 bytes are all
    zero is a zeroed block (fastnda skips such records silently; no instrument writes one)."""
    with open(path, "rb") as fh:
        fh.seek(begin)
        body = fh.read()
    n = len(body) // 59
    if n == 0:
        return
    records = np.frombuffer(body[: n * 59], dtype=np.uint8).reshape(n, 59)
    zero = ~records.any(axis=1)
    if zero.any():
        first = int(np.flatnonzero(zero)[0])
        damaged(
            path,
            f"{int(zero.sum())} of {n} record(s) are all zero bytes (first: record {first + 1}): "
            "a zeroed block, the values of those records are lost",
            notes,
        )


def _check_nda_container(path: Path, head: bytes, notes: list[str]) -> list[str]:
    """Integrity of the container before fastnda reads it; returns the .ndax aux members.

    ``.ndax``: every zip member must pass its CRC check (a corrupt member would silently drop
    the column it holds). ``.nda`` of the 86-byte record layout: the file must end on a record
    boundary (a truncated copy ends inside a record, and the records after the cut are lost).
    """
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.namelist()
                bad = None
                # data.ndc (the bulk) is read whole by fastnda, which checks its CRC; the
                # other members (aux channels, steps, headers) are checked here
                for member in members:
                    if member == "data.ndc" or bad is not None:
                        continue
                    try:
                        with zf.open(member) as fh:
                            while fh.read(1 << 20):
                                pass
                    except Exception:  # BadZipFile (CRC), zlib.error on damaged streams
                        bad = member
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileFormatError(
                path, f"not a readable .ndax archive, truncated or damaged ({exc})"
            ) from None
        if bad is not None:
            damaged(
                path,
                f"archive member {bad} is corrupt (CRC check failed): the data it holds are "
                "missing or wrong",
                notes,
            )
        return [m for m in members if "aux" in m.lower() and m.lower().endswith(".ndc")]
    with open(path, "rb") as fh:
        header = fh.read(80)
    size = path.stat().st_size
    if len(header) >= 72:
        # {begin, length} of the main data block, little-endian u32 at byte 64 (the pointer
        # fastnda follows for .nda versions 1-29; 0 where the version has none)
        begin = int.from_bytes(header[64:68], "little")
        length = int.from_bytes(header[68:72], "little")
        if header[14] in (5, 6, 7, 8) and 0 < begin < size and (size - begin) % 59:
            # versions 5-8: 59-byte records up to the end of the file (fastnda's layout)
            damaged(
                path,
                f"file does not end on a 59-byte record boundary ({(size - begin) % 59} bytes "
                "over): truncated (records after the cut missing) or bytes appended",
                notes,
            )
        if header[14] in (5, 6, 7, 8) and 0 < begin < size:
            _check_zeroed_records(path, begin, notes)
        if 0 < begin < size and length > 0 and begin + length > size:
            damaged(
                path,
                f"the header announces {length} bytes of records from byte {begin}, the file "
                f"ends after {size - begin}: truncated; the records after the cut are missing",
                notes,
            )
    return []


def _col(frame: Any, name: str, dtype: Any = None) -> np.ndarray:
    """One column of fastnda's polars table as a numpy array."""
    return np.asarray(frame[name].to_numpy(), dtype=dtype)


#: the record's clock (unix time, often whole seconds) and its step time may differ by this
#: much per row; a damaged time value shows as a +x/-x pair of larger differences
_CLOCK_TOLERANCE_S = 1.5


def _record_checks(frame: Any, path: Path, notes: list[str]) -> Any:
    """Cross-checks of Neware records (``.nda`` records carry no checksum): time in order row
    by row and on the file's 1 ms grid, no single-row voltage or current spike within a step,
    the step time and the record's own clock (unix time) advancing alike (a damaged value of
    either gives a +x/-x pair of row differences), the raw step index never a one-row
    excursion. Returns the frame, without the damaged records for a partial read."""
    cols = set(frame.columns)
    n = len(frame)
    if n < 3 or not {"total_time_s", "voltage_V", "current_mA", "step_count"} <= cols:
        return frame
    t = _col(frame, "total_time_s", float)
    step = _col(frame, "step_count")
    v = _col(frame, "voltage_V", float)
    i = _col(frame, "current_mA", float) * 1e-3
    finite = np.abs(i[np.isfinite(i)])
    i_floor = SPIKE_FLOOR_I_FRAC * float(finite.max()) if finite.size else 0.0
    checks = [
        ("with time out of order", time_out_of_order(t)),
        ("with a one-row voltage spike", isolated_spikes(v, step, SPIKE_FLOOR_V)),
        ("with a one-row current spike", isolated_spikes(i, step, i_floor)),
    ]
    if "step_time_s" in cols:
        st = _col(frame, "step_time_s", float)
        checks.append(("with a step time off the file's 1 ms grid", off_time_grid(st)))
        if "unix_time_s" in cols:
            e = np.diff(_col(frame, "unix_time_s", float)) - np.diff(st)
            same = step[1:] == step[:-1]
            big = (np.abs(e) > _CLOCK_TOLERANCE_S) & same
            pair = big[:-1] & big[1:] & (np.abs(e[:-1] + e[1:]) <= _CLOCK_TOLERANCE_S)
            clock = np.zeros(n, dtype=bool)
            clock[1:-1] = pair
            checks.append(("whose step time disagrees with the record clock", clock))
    if "step_index" in cols:
        si = _col(frame, "step_index", float)
        lone = np.zeros(n, dtype=bool)
        lone[1:-1] = (si[:-2] == si[2:]) & (si[1:-1] != si[:-2])
        checks.append(("where the step index jumps for one row", lone))
    keep = check_records(path, notes, checks)
    if keep.all():
        return frame
    import polars as pl  # fastnda's table library (installed with it)

    return frame.filter(pl.Series(keep))


#: fastnda's warning when the records hold pulse (16), SIM (17) or ramp (25) steps
_FASTNDA_PULSE_WARNING = (
    "Data contains Pulse, SIM, or Ramp steps. "
    "This might give unexpected cycle numbers with 'chg' 'dchg' or 'auto' mode. "
    "Consider using 'raw' cycle mode instead."
)
_FASTNDA_TIMES = ("step_time_s", "total_time_s", "unix_time_s")


def _with_total_time(df: Any, add_total_time: Any) -> Any:
    """fastnda's ``utils._add_total_time`` (``total_time_s = step_time_s +`` the sum of the
    largest step time of every earlier step, steps ordered by ``step_count``) in numpy where
    ``step_count`` is sorted and no step time is missing: each step one run of rows, so the
    group maxima are ``np.maximum.reduceat`` over the runs and the join a repeat (fastnda's
    polars group-by and join cost more than the parse). The same values: the same maxima,
    cast to float64, summed in the same order. Other tables: fastnda's function itself."""
    import polars as pl

    sc_col, st_col = df["step_count"], df["step_time_s"]
    if sc_col.null_count() or st_col.null_count() or not sc_col.is_sorted():
        return add_total_time(df)
    st = st_col.to_numpy()
    if st.dtype.kind != "f" or np.isnan(st).any():
        return add_total_time(df)
    sc = sc_col.to_numpy()
    firsts = np.flatnonzero(np.concatenate([[True], sc[1:] != sc[:-1]]))
    step_max = np.maximum.reduceat(st, firsts).astype(np.float64)
    before = np.zeros(step_max.size)  # shift(1), fill_null(0), cum_sum
    np.cumsum(step_max[:-1], out=before[1:])
    total = st.astype(np.float64) + np.repeat(before, np.diff(firsts, append=st.size))
    return df.with_columns(pl.Series("total_time_s", total, dtype=pl.Float64))


def _bts9_19_records(mm: Any, nda: Any) -> Any:
    """fastnda's ``nda._read_bts9_19`` (the BTS9 record struct of record version 19, nda 130)
    with its step times from numpy: the same parse of the records (fastnda's ``_df_from_blocks``
    and column expressions); ``step_time_s = total_time_s -`` the largest total time of the step
    before (fastnda: a polars group-by on ``step_count``, sorted, shifted by one and joined back,
    which costs more than the parse). ``step_count`` counts changes of the step index (1, 2, ... in
    row order), so every step is one run of rows: the group maxima are ``np.maximum.reduceat``
    over the runs and the join a repeat. The same values, dtypes and column order."""
    import polars as pl

    blocks = nda._bts9_data_blocks(mm)
    begin = blocks[0][0]
    identifier_bytes = mm[begin : begin + 2]
    identifier = int.from_bytes(identifier_bytes, byteorder="little", signed=False)
    dtypes = nda._BTS9_19_DTYPES
    record_len = nda._bts9_record_len(mm, blocks, identifier_bytes, frozenset(dtypes))
    frame = nda._df_from_blocks(mm, blocks, record_len, np.dtype(dtypes[record_len]), identifier)
    frame = frame.with_columns(
        [
            pl.col("capacity_mAs").clip(lower_bound=0).alias("charge_capacity_mAh") / 3600,
            pl.col("capacity_mAs").clip(upper_bound=0).abs().alias("discharge_capacity_mAh") / 3600,
            pl.col("energy_mWs").clip(lower_bound=0).alias("charge_energy_mWh") / 3600,
            pl.col("energy_mWs").clip(upper_bound=0).abs().alias("discharge_energy_mWh") / 3600,
            (pl.col("total_time_s") + pl.col("time_ns") / 1e9).cast(pl.Float64),
            (pl.col("unix_time_s") + pl.col("uts_ns") / 1e9).alias("unix_time_s"),
            pl.col("cycle_count") + 1,
            nda._count_changes(pl.col("step_index")).alias("step_count"),
        ]
    )
    total = frame["total_time_s"].to_numpy()
    if total.size == 0 or np.isnan(total).any():  # (a NaN maximum: polars and numpy differ)
        return nda._read_bts9_19(mm)
    steps = frame["step_count"].to_numpy()
    firsts = np.flatnonzero(np.concatenate([[True], steps[1:] != steps[:-1]]))
    before = np.zeros(firsts.size)
    before[1:] = np.maximum.reduceat(total, firsts)[:-1]
    step_time = total - np.repeat(before, np.diff(firsts, append=total.size))
    frame = frame.with_columns(pl.Series("step_time_s", step_time, dtype=pl.Float64))
    return frame.drop(["uts_ns", "energy_mWs", "capacity_mAs", "time_ns"])


def _parse_nda(path: Path) -> Any:
    """``fastnda.nda.read_nda(path)``, the same table, with :func:`_bts9_19_records` for files of
    a confirmed BTS9 record version that fastnda reads with its struct 19 (nda 130: no warning
    from fastnda's dispatch; its de-duplication and sort unchanged); every other file through
    fastnda's own function."""
    import mmap

    from fastnda import nda

    try:
        version_at, bts9_readers = nda._BTS9_VERSION_AT, nda._BTS9_READERS
        confirmed_nda, confirmed_bts9 = nda._CONFIRMED_NDA_VERSIONS, nda._CONFIRMED_BTS9_VERSIONS
        ours = (
            bts9_readers.get(19) is nda._read_bts9_19
            and nda._NDA_READERS.get(130) is nda._read_bts9
        )
        ours = ours and all(
            hasattr(nda, n)
            for n in (
                "_bts9_data_blocks",
                "_BTS9_19_DTYPES",
                "_bts9_record_len",
                "_df_from_blocks",
                "_count_changes",
            )
        )
    except AttributeError:  # a fastnda without these building blocks
        ours = False
    if not ours:
        return nda.read_nda(path)
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        nda_version = int(mm[14]) if len(mm) > 14 else -1
        bts9_version = int.from_bytes(mm[version_at : version_at + 2], "little")
        if (
            mm[:6] != NDA_MAGIC
            or nda._NDA_READERS.get(nda_version) is not nda._read_bts9
            or nda_version not in confirmed_nda
            or bts9_version not in confirmed_bts9
            or bts9_readers.get(bts9_version) is not nda._read_bts9_19
        ):
            return nda.read_nda(path)
        df = _bts9_19_records(mm, nda)
    if (df["index"].diff() > 0).all():
        return df
    return df.unique(subset="index").sort(by="index")


#: the runInfo columns fastnda's ``.ndax`` reader fills forward onto the records without one
_NDAX_FILLED = (
    "dt",
    "step_count",
    "step_time_s",
    "unix_time_s",
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "charge_energy_mWh",
    "discharge_energy_mWh",
)
#: fastnda's warning when an ``.ndax`` record clock runs backwards
_FASTNDA_NDAX_CLOCK_WARNING = (
    "IMPORTANT: This ndax has negative jumps in the 'unix_time_s' column! "
    "Use the 'total_time_s' column for analysis."
)
#: :func:`_run_cumsums`: the runs longer than the padded matrix's width (the 95th percentile of
#: the run lengths) are summed one by one, up to this many (else None: fastnda's own sums)
_LONG_RUNS_MAX = 256


def _run_cumsums(values: list[np.ndarray], run: np.ndarray) -> list[np.ndarray] | None:
    """The running sum of each array restarted at every change of ``run`` (runs contiguous, as
    polars' ``cum_sum().over(run)``), each run summed in row order from its first value, exactly
    (no global cumsum minus an offset): the runs up to the 95th percentile of their lengths as the
    rows of a zero-padded matrix summed along its rows, the longer ones (at most
    :data:`_LONG_RUNS_MAX`, else None) one by one."""
    n = run.size
    starts = np.flatnonzero(np.concatenate([[True], run[1:] != run[:-1]]))
    lengths = np.diff(starts, append=n)
    width = max(1, int(np.percentile(lengths, 95)))
    long_runs = np.flatnonzero(lengths > width)
    if long_runs.size > _LONG_RUNS_MAX:
        return None
    short = np.repeat(lengths <= width, lengths)
    row = np.repeat(np.arange(starts.size), lengths)[short]
    col = (np.arange(n) - np.repeat(starts, lengths))[short]
    out = []
    for x in values:
        m = np.zeros((starts.size, width))
        m[row, col] = x[short]
        np.cumsum(m, axis=1, out=m)
        y = np.empty(n)
        y[short] = m[row, col]
        for r in long_runs:
            a, b = starts[r], starts[r] + lengths[r]
            np.cumsum(x[a:b], out=y[a:b])
        out.append(y)
    return out


def _ndax_interpolation(df: Any, ndax: Any) -> Any:
    """fastnda's ``ndax._data_interpolation`` (records without a runInfo row get its times,
    capacities and energies carried forward from the last one, plus ``dt`` and the charge and
    energy of the records since), the same expressions in polars, except the three running sums
    per group, ``cum_sum().over("group_idx")`` in fastnda, here :func:`_run_cumsums` (the same
    sums, in the same order, several times faster). Tables with a missing value where the sums
    need one, or groups too uneven for the padded sum: fastnda's function itself."""
    import polars as pl

    if df.height == 0 or not {*_NDAX_FILLED, "current_mA", "voltage_V"} <= set(df.columns):
        return ndax._data_interpolation(df)
    out = df.with_columns(
        [
            pl.col("step_time_s").is_null().alias("nan_mask"),
            pl.col("step_time_s").is_not_null().cum_sum().shift(1).fill_null(0).alias("group_idx"),
            pl.col(*_NDAX_FILLED).fill_null(strategy="forward"),
        ]
    )
    if any(out[c].null_count() for c in ("dt", "current_mA", "voltage_V")):
        return ndax._data_interpolation(df)
    dt = out["dt"].to_numpy()
    current = out["current_mA"].to_numpy()
    voltage = out["voltage_V"].to_numpy()
    sums = _run_cumsums(
        [dt, dt * current / 3600, dt * voltage * current / 3600], out["group_idx"].to_numpy()
    )
    if sums is None:
        return ndax._data_interpolation(df)
    mask = out["nan_mask"].to_numpy()
    out = out.with_columns(
        [
            pl.Series("cdt", sums[0] * mask),
            pl.Series("inc_capacity", sums[1] * mask),
            pl.Series("inc_energy", sums[2] * mask),
        ]
    )
    out = out.with_columns(
        [
            (pl.col("step_time_s") + pl.col("cdt")).alias("step_time_s"),
            (pl.col("unix_time_s") + pl.col("cdt")).alias("unix_time_s"),
            (
                pl.col("charge_capacity_mAh").abs() + pl.col("inc_capacity").clip(lower_bound=0)
            ).alias("charge_capacity_mAh"),
            (
                pl.col("discharge_capacity_mAh").abs() - pl.col("inc_capacity").clip(upper_bound=0)
            ).alias("discharge_capacity_mAh"),
            (pl.col("charge_energy_mWh").abs() + pl.col("inc_energy").clip(lower_bound=0)).alias(
                "charge_energy_mWh"
            ),
            (pl.col("discharge_energy_mWh").abs() - pl.col("inc_energy").clip(upper_bound=0)).alias(
                "discharge_energy_mWh"
            ),
        ]
    ).drop(["nan_mask", "group_idx", "cdt", "inc_capacity", "inc_energy", "dt"])
    if (out["unix_time_s"].diff() < 0).any():
        ndax.logger.warning(_FASTNDA_NDAX_CLOCK_WARNING)
    return out


def _parse_ndax(path: Path) -> Any:
    """``fastnda.ndax.read_ndax(path)``, the same table, with :func:`_ndax_interpolation`:
    fastnda's parse of every member (in its threads), its joins and its merge of the auxiliary
    channels, unchanged."""
    import zipfile

    import polars as pl
    from fastnda import ndax

    try:
        find_aux, read_members = ndax._find_auxiliary_channels, ndax._read_ndc_files
        chl_map, chl_scale = ndax.AUX_CHL_MAP, ndax.AUX_CHL_SCALE_MAP
        _ = (ndax._data_interpolation, ndax.logger)
    except AttributeError:  # a fastnda without these building blocks
        return ndax.read_ndax(path)
    with zipfile.ZipFile(str(path)) as zf:
        aux_channels = find_aux(zf)
        dfs = read_members(zf, ["data.ndc", "data_runInfo.ndc", "data_step.ndc", *aux_channels])
    df = dfs["data.ndc"]
    if "data_runInfo.ndc" in dfs:
        df = df.join(dfs["data_runInfo.ndc"], how="left", on="index")
        df = _ndax_interpolation(df, ndax)
        if "data_step.ndc" in dfs:
            df = df.join(dfs["data_step.ndc"], how="left", on="step_count")
    for k, (member, info) in enumerate(aux_channels.items()):
        aux = dfs.get(member)
        if aux is None:
            continue
        aux_id = info.get("AuxID", -k)  # (fastnda: -k where the channel has no ID)
        kind = info.get("ChlType")
        if "?" in aux.columns and kind in chl_map:
            scale = chl_scale.get(kind, 1)
            if scale != 1:
                aux = aux.with_columns(pl.col("?") * scale)
            aux = aux.rename({"?": f"aux{aux_id}_{chl_map[kind]}"})
        else:
            aux = aux.rename({c: f"aux{aux_id}_{c}" for c in aux.columns if c != "index"})
        if len(df) == len(aux):
            df = pl.concat([df, aux.drop("index")], how="horizontal")
        else:
            df = df.join(aux, how="left", on="index")
    return df


def fastnda_table(path: Path) -> Any:
    """``fastnda.read(path, cycle_mode="chg", raw_categories=True)``: the same table, from
    fastnda's own parser of the format (``fastnda.nda.read_nda`` / ``fastnda.ndax.read_ndax``),
    with ``fastnda.read``'s post-processing written as one polars ``select`` of the same
    expressions (cycle numbers incremented by a charge step after a discharge, total time from
    the step times where the file has none, times rounded to 1 us, ``capacity_mAh`` and
    ``energy_mWh`` as charge - discharge where absent, fastnda's dtypes and column order)
    instead of four passes, each a polars collect. Files of an unusual shape (no records, no
    step type, an extension fastnda does not dispatch on) go through ``fastnda.read`` itself.
    The equality with ``fastnda.read`` is tested on every real Neware file."""
    import fastnda

    suffix = path.suffix.lower()
    parse: Callable[[Path], Any]
    if suffix == ".nda":
        parse = _parse_nda
    elif suffix == ".ndax":
        parse = _parse_ndax
    else:
        return fastnda.read(str(path), raw_categories=True)
    try:  # fastnda's own building blocks; a fastnda without them: its read() itself
        import polars as pl
        from fastnda import utils
        from fastnda.dicts import CHARGE_DISCHARGE_MAP, DTYPE_MAP

        add_total_time, log = utils._add_total_time, utils.logger
    except (ImportError, AttributeError):
        return fastnda.read(str(path), raw_categories=True)

    df = parse(path)
    if len(df) == 0 or "step_type" not in df.columns:
        return fastnda.read(str(path), raw_categories=True)
    if np.isin(df["step_type"].to_numpy(), (16, 17, 25)).any():
        log.warning(_FASTNDA_PULSE_WARNING)
    if "total_time_s" not in df.columns:
        df = _with_total_time(df, add_total_time)
    present = set(df.columns)
    derived: dict[str, Any] = {
        "cycle_count": pl.col("step_type")
        .replace_strict(CHARGE_DISCHARGE_MAP, default=None)
        .forward_fill()
        .diff()
        .eq(1)
        .cum_sum()
        .fill_null(0)
        .add(1)
        .cast(pl.UInt32)
    }
    if "capacity_mAh" not in present:
        derived["capacity_mAh"] = pl.col("charge_capacity_mAh") - pl.col("discharge_capacity_mAh")
        derived["energy_mWh"] = pl.col("charge_energy_mWh") - pl.col("discharge_energy_mWh")
    exprs = []
    for name, dtype in DTYPE_MAP.items():
        if name in derived:
            expr = derived[name]
        elif name in present:
            expr = pl.col(name)
        else:
            continue
        if name in _FASTNDA_TIMES:
            expr = expr.round(6)
        exprs.append(expr.cast(pl.UInt8 if name == "step_type" else dtype).alias(name))
    exprs += [pl.col(c) for c in df.columns if c.startswith("aux")]
    return df.select(exprs)


def read_nda(path: str | Path) -> CyclingData:
    """Read a Neware ``.nda`` or ``.ndax`` file (fastnda) into the canonical table."""
    path = Path(path)
    fastnda = require("fastnda", "neware", path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not (head.startswith(NDA_MAGIC) or head.startswith(ZIP_MAGIC)):
        raise FileFormatError(path, "not a Neware .nda (magic 'NEWARE') or .ndax (zip) file")
    notes: list[str] = []
    aux_members = _check_nda_container(path, head, notes)
    try:
        with warnings.catch_warnings(record=True) as caught, captured_logs("fastnda") as logs:
            warnings.simplefilter("always")
            # polars; columns taken as numpy, no pandas copy. The step type stays fastnda's
            # integer code (lilean derives step types from the current; the categorical
            # mapping is work nothing here reads)
            frame = fastnda_table(path)
    except Exception as exc:  # fastnda raises many types on corrupt input
        raise FileFormatError(
            path, f"unreadable Neware file, truncated or unsupported ({type(exc).__name__}: {exc})"
        ) from None
    notes += [f"fastnda: {w.message}" for w in caught]
    notes += [f"fastnda: {m}" for m in logs]
    if len(frame) == 0:
        raise FileFormatError(path, "the Neware file holds no records")
    if "index" in frame.columns:
        index = _col(frame, "index", np.int64)
        # a record whose own index is damaged: its neighbours count on as if it were whole
        lone = np.zeros(index.size, dtype=bool)
        lone[1:-1] = (index[2:] == index[:-2] + 2) & (index[1:-1] != index[:-2] + 1)
        if lone.any():
            import polars as pl  # fastnda's table library (installed with it)

            keep = check_records(path, notes, [("with a damaged record index", lone)])
            frame, index = frame.filter(pl.Series(keep)), index[keep]
        jumps = np.flatnonzero(np.diff(index) > 1)
        if jumps.size:
            lost = int(np.sum(np.diff(index)[jumps] - 1))
            where = f"record index jumps from {int(index[jumps[0]])} to {int(index[jumps[0] + 1])}"
            if lost > 10 * index.size:  # more than the file could hold: damaged index values
                problem = (
                    f"record index damaged ({where}, values up to {int(index.max())} in a file "
                    f"of {index.size} records)"
                )
            else:
                problem = f"{lost} record(s) missing ({where}): damaged or zeroed block"
            damaged(path, problem, notes)
    frame = _record_checks(frame, path, notes)
    meta: dict[str, Any] = {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta = dict(fastnda.read_metadata(str(path)) or {})
        notes += [f"fastnda metadata: {w.message}" for w in caught]
    except Exception as exc:  # metadata is optional: keep the data
        notes.append(f"header metadata unreadable ({type(exc).__name__}: {exc})")

    flat = _flatten(meta)
    version = flat.get("nda_version")
    if isinstance(version, int) and version >= 129 and "stop_time" not in flat:
        # BTS 9 .nda files end with a footer (test id, start/stop time, record count)
        raise FileFormatError(
            path, "the BTS 9 .nda footer (start/stop time, record count) is missing: truncated?"
        )
    expected = flat.get("num_datapoints")
    if isinstance(expected, int) and 0 < expected != len(frame):
        raise FileFormatError(
            path, f"header announces {expected} records but {len(frame)} were read (truncated?)"
        )
    mass = flat.get("active_mass_mg")
    active_mass_mg = float(mass) if isinstance(mass, (int, float)) and mass > 0 else None
    if active_mass_mg is not None:
        notes.append(f"active mass {active_mass_mg} mg from the file header")
    keep_keys = re.compile(
        r"(version|remarks?|Remark|barcode|Barcode|creator|StartTime|EndTime|start_time|"
        r"stop_time|StepName|step_name|test_name|sn$|SN$|active_mass|SCQ|MultCap|DevID|ChlID|"
        r"UnitID|CurrRange|VoltRange)"
    )
    extra: dict[str, Any] = {
        k: (v if isinstance(v, (int, float, str)) else str(v))
        for k, v in flat.items()
        if keep_keys.search(k) and len(str(v)) < 200
    }
    start_time = _nda_start_time(flat, _col(frame, "unix_time_s", float))
    temp_col = next((c for c in frame.columns if c.endswith("temperature_degC")), None)
    aux_cols = [c for c in frame.columns if str(c).lower().startswith("aux")]
    if aux_members and not aux_cols and temp_col is None:
        damaged(
            path,
            f"the archive holds auxiliary channel data ({', '.join(aux_members)}) but no "
            "auxiliary column (temperature, voltage) could be read from it: that column is lost",
            notes,
        )
    units = {
        TIME: "total_time_s",
        VOLTAGE: "voltage_V",
        CURRENT: "current_mA",
        CYCLE: "cycle_count (fastnda cycle_mode='chg')",
        STEP: "step_count",
        VENDOR_CHARGE_CAPACITY: "capacity_mAh (per step, signed)",
        VENDOR_DISCHARGE_CAPACITY: "capacity_mAh (per step, signed)",
    }
    if temp_col:
        units[TEMPERATURE] = temp_col
    step = _col(frame, "step_count")
    cycle = _col(frame, "cycle_count")
    vendor_ch, vendor_dis = capacity_per_cycle(
        increments_from_step_capacity(_col(frame, "capacity_mAh", float), step), cycle
    )
    return finish(
        path,
        time_s=_col(frame, "total_time_s", float),
        voltage_V=_col(frame, "voltage_V", float),
        current_A=_col(frame, "current_mA", float) * 1e-3,
        instrument="neware",
        file_format="neware-nda",
        reader=library_version("fastnda"),
        units_found=units,
        original_columns=[str(c) for c in frame.columns],
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=vendor_ch,
        vendor_discharge_capacity_mAh=vendor_dis,
        temperature_degC=None if temp_col is None else _col(frame, temp_col, float),
        start_time=start_time,
        active_mass_mg=active_mass_mg,
        notes=notes,
        extra=extra,
    )


# ---- CSV --------------------------------------------------------------------------------------


def _text_head(head: bytes) -> str:
    return head.decode("utf-8-sig", errors="replace")


def _is_nested(lines: list[str]) -> bool:
    return (
        len(lines) >= 3
        and lines[0].startswith("Cycle Index,")
        and lines[1].startswith(",Step Index,")
        and lines[2].startswith(",,")
    )


def sniff_csv(path: Path, head: bytes) -> bool:
    """BTSDA CSV: a flat header with ``DataPoint``, ``Cycle Index``, ``Current(..)``, or the nested
    layout (``Cycle Index,...`` / ``,Step Index,...`` / ``,,DataPoint,...``)."""
    if b"\x00" in head[:4096]:
        return False
    lines = first_lines(_text_head(head), 3)
    if _is_nested(lines):
        return "DataPoint" in lines[2] or "Record" in lines[2]
    if not lines:
        return False
    first = lines[0]
    return (
        "DataPoint" in first
        and "Cycle Index" in first
        and ("Current(" in first)
        and ("Voltage(" in first)
    )


_CP1252_MICRO_UNIT = re.compile(rb"\(\xb5(?:A|V|W|Ah|As|Wh)\)")


def _encoding(raw: bytes) -> str:
    """UTF-8 when valid; cp1252 when the header has a micro sign in a unit (``Current(µA)``
    written by an English BTSDA: byte 0xB5, which gb18030 would merge with the next byte into
    one CJK character); else gb18030 (a Chinese BTSDA)."""
    try:
        raw.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    first = raw.split(b"\n", 1)[0]
    return "cp1252" if _CP1252_MICRO_UNIT.search(first) else "gb18030"


def _decoded(raw: bytes, notes: list[str] | None = None) -> str:
    """The text of a BTSDA export's bytes (:func:`_encoding`; a detected encoding is noted)."""
    try:  # UTF-8 (the usual case): decoded once, not once to test and once to use
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    enc = _encoding(raw)
    if notes is not None and enc != "utf-8-sig":
        notes.append(f"text encoding {enc} (detected)")
    return raw.decode(enc, errors="replace")


def _nested_records(text: str, path: Path, notes: list[str], extra: dict[str, Any]) -> pd.DataFrame:
    """Flatten the nested BTSDA export: each record row gets the cycle and step it sits under.

    Record rows (``,,<fields>``) are parsed in one pass by :func:`string_table` (pyarrow);
    only the few cycle and step rows go through Python's csv module. A file whose record rows
    do not all have the header's field count (or that quotes fields) takes the row-by-row path,
    which names the bad row."""
    fast = _nested_records_fast(text, path, notes, extra)
    if fast is not None:
        return fast
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 4:
        raise FileFormatError(path, "nested Neware CSV has no data below its three header lines")
    cycle_hdr = [c.strip() for c in rows[0]]
    step_hdr = [c.strip() for c in rows[1][1:]]
    rec_hdr = [c.strip() for c in rows[2][2:]]
    n_cyc = len(cycle_hdr)
    records: list[list[str]] = []
    rec_cycle: list[int] = []
    rec_step: list[int] = []
    rec_type: list[str] = []
    cycles: list[list[str]] = []
    cycle = step_no = 0
    step_type = ""
    i_num = step_hdr.index("Step Number") if "Step Number" in step_hdr else 0
    i_type = step_hdr.index("Step Type") if "Step Type" in step_hdr else None

    def take_step(fields: list[str], line: int) -> None:
        nonlocal step_no, step_type
        try:
            step_no = int(fields[i_num])
        except (ValueError, IndexError):
            raise FileFormatError(path, "step row without a step number", row=line) from None
        step_type = fields[i_type] if i_type is not None and i_type < len(fields) else ""

    for k, row in enumerate(rows[3:], start=4):
        if not row or all(not c.strip() for c in row):
            continue
        if row[0].strip():
            try:
                cycle = int(float(row[0]))
            except ValueError:
                raise FileFormatError(path, f"bad cycle index {row[0]!r}", row=k) from None
            cycles.append(row[:n_cyc])
            if len(row) > n_cyc:  # the first step row of a cycle may share its line
                take_step(row[n_cyc:], k)
        elif len(row) > 1 and row[1].strip():
            take_step(row[1:], k)
        else:
            fields = row[2:]
            if len(fields) != len(rec_hdr):
                raise FileFormatError(
                    path,
                    f"record row has {len(fields)} fields, the header names {len(rec_hdr)} "
                    "(truncated file?)",
                    row=k,
                )
            records.append(fields)
            rec_cycle.append(cycle)
            rec_step.append(step_no)
            rec_type.append(step_type)
    if not records:
        raise FileFormatError(path, "nested Neware CSV holds no record rows")
    frame = pd.DataFrame(records, columns=rec_hdr)
    return _with_enclosing_rows(
        frame, rec_cycle, rec_step, rec_type, len(records), cycles, cycle_hdr, notes, extra
    )


def _nested_records_fast(
    text: str, path: Path, notes: list[str], extra: dict[str, Any]
) -> pd.DataFrame | None:
    """:func:`_nested_records` for the regular case (see there), or ``None``."""
    if '"' in text:
        return None
    lines = text.splitlines()
    if len(lines) < 4:
        return None
    cycle_hdr = [c.strip() for c in lines[0].split(",")]
    step_hdr = [c.strip() for c in lines[1].split(",")[1:]]
    rec_hdr = [c.strip() for c in lines[2].split(",")[2:]]
    n_cyc = len(cycle_hdr)
    n_commas = len(rec_hdr) + 1
    i_num = step_hdr.index("Step Number") if "Step Number" in step_hdr else 0
    i_type = step_hdr.index("Step Type") if "Step Type" in step_hdr else None
    records: list[str] = []
    rec_cycle: list[int] = []
    rec_step: list[int] = []
    rec_type: list[str] = []
    cycles: list[list[str]] = []
    cycle = step_no = 0
    step_type = ""

    def take_step(fields: list[str]) -> bool:
        nonlocal step_no, step_type
        try:
            step_no = int(fields[i_num])
        except (ValueError, IndexError):
            return False
        step_type = fields[i_type] if i_type is not None and i_type < len(fields) else ""
        return True

    for line in lines[3:]:
        if line.startswith(",,"):
            if line.count(",") != n_commas:
                if not line.strip(", \t"):
                    continue  # an empty row
                return None  # a ragged record row: the row-by-row path names it
            records.append(line[2:])
            rec_cycle.append(cycle)
            rec_step.append(step_no)
            rec_type.append(step_type)
            continue
        row = line.split(",")
        if all(not c.strip() for c in row):
            continue
        if row[0].strip():
            try:
                cycle = int(float(row[0]))
            except ValueError:
                return None
            cycles.append(row[:n_cyc])
            if len(row) > n_cyc and not take_step(row[n_cyc:]):
                return None
        elif len(row) > 1 and row[1].strip():
            if not take_step(row[1:]):
                return None
        else:
            return None
    if not records or len(set(rec_hdr)) != len(rec_hdr):
        return None
    frame = string_table(path, "\n".join(records), sep=",", names=rec_hdr)
    rec_type_column = pd.array(rec_type, dtype=frame.dtypes.iloc[0])
    return _with_enclosing_rows(
        frame, rec_cycle, rec_step, rec_type_column, len(records), cycles, cycle_hdr, notes, extra
    )


def _with_enclosing_rows(
    frame: pd.DataFrame,
    rec_cycle: list[Any],
    rec_step: list[Any],
    rec_type: Any,
    n_records: int,
    cycles: list[list[str]],
    cycle_hdr: list[str],
    notes: list[str],
    extra: dict[str, Any],
) -> pd.DataFrame:
    """The record table of a nested BTSDA export with the cycle, step and step type of the
    enclosing rows in front; the cycle rows kept in ``extra["cycle_table"]`` (both parsers)."""
    frame.insert(0, "Cycle Index", rec_cycle)
    frame.insert(1, "Step Number", rec_step)
    frame.insert(2, "Step Type", rec_type)
    notes.append(
        f"nested BTSDA export: {n_records} record rows under {len(cycles)} cycle rows; "
        "cycle and step taken from the enclosing rows"
    )
    extra["cycle_table"] = {
        name: [c[j] if j < len(c) else "" for c in cycles] for j, name in enumerate(cycle_hdr)
    }
    return frame


#: the BTSDA columns :func:`_from_record_table` reads as numbers (names without their unit)
_NUMERIC_BASES = frozenset(
    n.lower()
    for n in (
        "DataPoint",
        "Current",
        "Cur",
        "Voltage",
        "Cycle Index",
        "Cycle",
        "CyCle",
        "Step Number",
        "Step Index",
        "Step",
        "Chg. Cap.",
        "DChg. Cap.",
        "Capacity",
        "CapaCity",
    )
)


def _numeric_csv_column(name: str) -> bool:
    """Whether a flat BTSDA column is one lilean reads as numbers (current, voltage, indices,
    capacities); durations, dates, step types and the rest stay text."""
    m = _UNIT_RE.match(name)
    return (m.group("name") if m else name).strip().lower() in _NUMERIC_BASES


def _record_columns(cols: list[str]) -> set[str]:
    """The columns :func:`_from_record_table` (and :func:`_first_date`) can read
    from a table with these columns: each one its ``_find`` picks."""
    return {c for c in (_find(cols, names) for names in _RECORD_NAMES.values()) if c is not None}


def _first_date(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """ISO start time from the first row of the record table's ``Date`` column (``columns``:
    the table's column names), ``None`` without one or when it does not parse."""
    date_col = _find(columns, _RECORD_NAMES["date"])
    if date_col is None or not len(frame):
        return None
    ts = pd.to_datetime(frame[date_col].iloc[0], errors="coerce")
    return None if pd.isna(ts) else ts.isoformat()


def read_csv(path: str | Path) -> CyclingData:
    """Read a Neware BTSDA CSV export (flat or nested) into the canonical table."""
    path = Path(path)
    notes: list[str] = []
    raw = whole_file_bytes(path)
    # ASCII (the usual export): the bytes are the text; the flat layout is parsed from them
    # without a decoded copy of the whole file (the same text: ASCII decodes to itself)
    text: str | bytes = raw if raw.isascii() else _decoded(raw, notes)
    head = text[: 1 << 16]
    lines = first_lines(head.decode("ascii") if isinstance(head, bytes) else head, 3)
    if len(head) < len(text) and len(lines) < 3:  # very long lines: the whole text
        lines = first_lines(text.decode("ascii") if isinstance(text, bytes) else text, 3)
    extra: dict[str, Any] = {}
    columns = None
    if _is_nested(lines):
        if isinstance(text, bytes):
            text = text.decode("ascii")
        frame = _nested_records(text, path, notes, extra)
        extra["layout"] = "nested"
    elif lines and "DataPoint" in lines[0] and "Cycle Index" in lines[0]:
        header = next(csv.reader([lines[0]]))
        n_fields = len(header)
        # the names string_table gives the columns; only those read are converted
        columns = [h or f"Unnamed: {k}" for k, h in enumerate(header)]
        used = _record_columns(columns) if len(set(columns)) == len(columns) else None
        try:
            # the numeric columns parsed to float64 by the CSV reader (durations, dates and
            # step types stay text; a column that holds anything but numbers stays text too)
            frame = string_table(
                path,
                text,
                sep=",",
                floats=_numeric_csv_column,
                include=None if used is None else used.__contains__,
            )
        except FileFormatError as exc:
            raise FileFormatError(path, f"unparseable CSV ({exc.problem})") from None
        if isinstance(text, bytes):
            last_line = text.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].decode("ascii")
        else:
            last_line = text.rstrip("\r\n").rsplit("\n", 1)[-1]
        if len(next(csv.reader([last_line]))) != n_fields:
            raise FileFormatError(
                path,
                f"last row has not the {n_fields} fields of the header (truncated file?)",
                row=len(frame) + 1,
            )
        extra["layout"] = "flat"
        if used is None:
            columns = None
        elif list(frame.columns) != [c for c in columns if c in used]:
            # the CSV reader named the columns otherwise (an odd header line): all of them
            frame = string_table(path, text, sep=",", floats=_numeric_csv_column)
            columns = None
    else:
        raise FileFormatError(
            path, "not a Neware BTSDA CSV export (no DataPoint/Cycle Index header)"
        )
    if columns is None:
        columns = [str(c) for c in frame.columns]
    start_time = _first_date(frame, columns)
    return _from_record_table(
        frame,
        path,
        file_format="neware-csv",
        reader=f"lilean neware-csv (pandas {pd.__version__})",
        notes=notes,
        extra=extra,
        start_time=start_time,
        columns=columns,
    )


# ---- .xls -------------------------------------------------------------------------------------


def sniff_xls(path: Path, head: bytes) -> bool:
    """An OLE2 (BIFF) workbook with an ``Info`` sheet and at least one ``Detail_*`` sheet."""
    if not head.startswith(OLE2_MAGIC):
        return False
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
        try:
            names = book.sheet_names()
        finally:
            book.release_resources()
    except Exception:
        return False
    return "Info" in names and any(n.startswith("Detail") for n in names)


_MASS_RE = re.compile(r"([\d.]+(?:[eE][-+]?\d+)?)\s*(mg|g|ug|µg)\b", re.IGNORECASE)


def _info_sheet(sheet: Any) -> dict[str, Any]:
    """The Info sheet: a label row (``Equipment, Unit, Channel, ...``) above a value row."""
    rows = [[str(v).strip() for v in sheet.row_values(r)] for r in range(sheet.nrows)]
    info: dict[str, Any] = {}
    for r, row in enumerate(rows):
        if "Equipment" in row and r + 1 < len(rows):
            info.update({k: v for k, v in zip(row, rows[r + 1], strict=False) if k})
        elif row and ":" in row[0]:
            key, _, value = row[0].partition(":")
            info[key.strip()] = (value.strip() or " ".join(x for x in row[1:] if x)).strip()
    return info


def read_xls(path: str | Path) -> CyclingData:
    """Read a Neware BTSDA ``.xls`` export (``Detail_*`` sheets) into the canonical table."""
    import xlrd

    path = Path(path)
    try:
        book = xlrd.open_workbook(str(path), logfile=io.StringIO())
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors...
        raise FileFormatError(
            path, f"unreadable .xls workbook, truncated or not BIFF ({type(exc).__name__}: {exc})"
        ) from None
    names = book.sheet_names()
    detail = [n for n in names if n.startswith("Detail")]
    if not detail or "Info" not in names:
        raise FileFormatError(path, f"expected sheets Info and Detail_*; found {names}")
    parts = []
    header: list[str] | None = None
    for name in detail:
        sheet = book.sheet_by_name(name)
        if sheet.nrows < 2:
            continue
        hdr = [str(v).strip() for v in sheet.row_values(0)]
        if header is None:
            header = hdr
        elif hdr != header:
            raise FileFormatError(path, f"sheet {name!r} has other columns than {detail[0]!r}")
        parts.append(
            pd.DataFrame([sheet.row_values(r) for r in range(1, sheet.nrows)], columns=hdr)
        )
    if not parts or header is None:
        raise FileFormatError(path, "the Detail sheets hold no records")
    frame = pd.concat(parts, ignore_index=True)
    info = _info_sheet(book.sheet_by_name("Info"))
    notes: list[str] = []
    extra: dict[str, Any] = {"sheets": names, "info": info}
    active_mass_mg = None
    m = _MASS_RE.search(str(info.get("Remark", "")))
    if m:
        factor = {"mg": 1.0, "g": 1e3, "ug": 1e-3, "µg": 1e-3}[m.group(2).lower()]
        active_mass_mg = float(m.group(1)) * factor
        notes.append(
            f"active mass {active_mass_mg} mg from the Info sheet remark {info['Remark']!r}"
        )
    cols = [str(c) for c in frame.columns]
    abs_col = _find(cols, ("Absolute Time",))
    total = None
    start_time = None
    if abs_col is not None:
        absolute = as_float(frame[abs_col], path, abs_col)
        if np.all(np.diff(absolute) >= 0):
            total = (absolute - absolute[0]) * 86400.0
            extra["time_source"] = f"{abs_col} (Excel date, days -> s)"
            start_time = xlrd.xldate.xldate_as_datetime(absolute[0], book.datemode).isoformat()
            notes.append(f"total time from {abs_col!r} (wall clock; includes any pause)")
    if start_time is None and info.get("Start time"):
        start_time = str(info["Start time"])
    return _from_record_table(
        frame,
        path,
        file_format="neware-xls",
        reader=library_version("xlrd"),
        notes=notes,
        extra=extra,
        start_time=start_time,
        active_mass_mg=active_mass_mg,
        total_time_s=total,
    )


NDA = register(
    Reader(
        name="neware-nda",
        instrument="neware",
        extensions=(".nda", ".ndax"),
        sniff=sniff_nda,
        read=read_nda,
        description="Neware BTS binary .nda / .ndax (fastnda)",
    )
)
CSV = register(
    Reader(
        name="neware-csv",
        instrument="neware",
        extensions=(".csv",),
        sniff=sniff_csv,
        read=read_csv,
        description="Neware BTSDA CSV export (flat or nested cycle/step/record layout)",
    )
)
XLS = register(
    Reader(
        name="neware-xls",
        instrument="neware",
        extensions=(".xls",),
        sniff=sniff_xls,
        read=read_xls,
        description="Neware BTSDA .xls export (Info, Cycle_*, Statis_*, Detail_* sheets)",
    )
)


# ---- .xlsx (BTSDA 8) --------------------------------------------------------------------------

#: the sheets of a BTSDA 8 Excel export; the records are in 'record'
_XLSX_SHEETS = {"test", "cycle", "step", "record"}


def sniff_xlsx(path: Path, head: bytes) -> bool:
    """A BTSDA 8 ``.xlsx`` workbook: sheets ``unit``/``test``/``cycle``/``step``/``record``."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        names = set(xlsx_sheet_names(path))
    except (KeyError, OSError, zipfile.BadZipFile):
        return False
    return _XLSX_SHEETS <= names


def read_xlsx(path: str | Path) -> CyclingData:
    """Read a Neware BTSDA 8 ``.xlsx`` export (python-calamine): the ``record`` sheet has the
    flat CSV layout (``DataPoint, Cycle Index, Step Index, Step Type, Time, Total Time,
    Current(A), Voltage(V), ...``)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if "record" not in names:
            raise FileFormatError(path, f"no 'record' sheet; found {names}")
        rows = book.get_sheet_by_name("record").to_python()
    except FileFormatError:
        raise
    except Exception as exc:  # calamine raises its own errors on broken zips / XML
        raise FileFormatError(
            path, f"unreadable .xlsx workbook, truncated or damaged ({type(exc).__name__})"
        ) from None
    if len(rows) < 2:
        raise FileFormatError(path, "the 'record' sheet holds no records")
    header = [str(h).strip() for h in rows[0]]
    width = len(header)
    body = [r for r in rows[1:] if any(v not in ("", None) for v in r)]
    frame = pd.DataFrame([list(r[:width]) for r in body], columns=header).astype(str)
    start_time = _first_date(frame, header)
    return _from_record_table(
        frame,
        path,
        file_format="neware-xlsx",
        reader=library_version("python-calamine"),
        notes=[],
        extra={"sheets": names, "layout": "BTSDA 8 xlsx"},
        start_time=start_time,
    )


XLSX = register(
    Reader(
        name="neware-xlsx",
        instrument="neware",
        extensions=(".xlsx",),
        sniff=sniff_xlsx,
        read=read_xlsx,
        description="Neware BTSDA 8 .xlsx export (unit/test/cycle/step/record sheets)",
    )
)
