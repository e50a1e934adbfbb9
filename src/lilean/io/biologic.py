"""BioLogic (EC-Lab / BT-Lab) readers: binary ``.mpr`` and ASCII ``.mpt`` / ``.txt`` exports.

Sign convention: BioLogic records ``I > 0`` as an anodic current, i.e. oxidation of the working
electrode (EC-Lab Software User's Manual, "Sign convention"). That is lilean's convention
(:data:`lilean.schema.SIGN_CONVENTION`), so currents are taken as they are; the tests check it on
the data (``Ewe`` rises while ``I > 0`` in the cathode and Si half cells).

* ``biologic-mpr``: parsed with galvani (GPL-3, an optional extra imported lazily). Rows measured
  by an impedance technique (``freq/Hz > 0``, PEIS/GEIS inside a Modulo Bat sequence) are
  dropped; the number dropped is recorded in ``meta.notes``.
* ``biologic-mpt``: parsed by lilean with :func:`pandas.read_csv` (galvani's ``MPTfile`` needs CRLF
  line ends and rejects LF copies). Latin-1 or UTF-8, LF or CRLF, decimal point or comma.

Cycle numbering follows EC-Lab: the ``cycle number`` column when the export has one; else (``.mpr``)
a new cycle each time the "counter inc." flag (bit 7 of ``flags``) toggles; else each time the
technique sequence loops back (``Ns`` decreases); else ``half cycle // 2``. The rule used is
recorded in ``meta.notes``.

The vendor capacity columns (:data:`lilean.schema.VENDOR_CHARGE_CAPACITY`) are built from the
instrument's own charge increments (``dq/mA.h``, or the differences of ``(Q-Qo)/mA.h``), which
EC-Lab integrates at its internal sampling rate, independently of the recorded points.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    SPIKE_FLOOR_I_FRAC,
    SPIKE_FLOOR_V,
    RecordFrame,
    as_float,
    capacity_per_cycle,
    check_records,
    finish,
    isolated_spikes,
    library_version,
    require,
    time_out_of_order,
    whole_file_bytes,
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

MPR_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a"
MPT_MAGICS = (b"EC-Lab ASCII FILE", b"BT-Lab ASCII FILE")

#: EC-Lab writes 0.001 (mg, cm^2, g) when the user leaves a field unset.
_ECLAB_UNSET = 0.001

#: Candidate columns, in order of preference.
_TIME_COLUMNS = ("time/s",)
_VOLTAGE_COLUMNS = ("Ewe/V", "Ecell/V", "<Ewe>/V", "<Ecell>/V", "Ewe/mV", "Ecell/mV")
_CURRENT_COLUMNS = ("I/mA", "<I>/mA", "I/A", "<I>/A", "I/uA", "I/µA")
_TEMPERATURE_COLUMNS = ("Temperature/°C", "Temperature/\ufffdC", "Temperature/degC")

_UNIT_TO_SI = {
    "s": 1.0,
    "h": 3600.0,
    "min": 60.0,
    "V": 1.0,
    "mV": 1e-3,
    "A": 1.0,
    "mA": 1e-3,
    "uA": 1e-6,
    "µA": 1e-6,
    "nA": 1e-9,
    "mA.h": 1.0,  # capacities stay in mAh
    "A.h": 1e3,
    "uA.h": 1e-3,
    "µA.h": 1e-3,
}


def _unit_factor(column: str, path: Path) -> float:
    unit = column.rsplit("/", 1)[-1] if "/" in column else ""
    if column.startswith("control/V/"):
        unit = column.split("/", 2)[-1]
    if unit not in _UNIT_TO_SI:
        raise FileFormatError(path, f"column {column!r}: unknown unit {unit!r}")
    return _UNIT_TO_SI[unit]


def _floats(
    frame: pd.DataFrame | RecordFrame, column: str, path: Path, *, in_si: bool = False
) -> np.ndarray:
    """``as_float(frame[column])``, times the column's unit factor to SI when ``in_si``
    (:func:`_unit_factor`). From a :class:`RecordFrame` (.mpr) the array is made once per
    column and shared by the record checks and the table (read-only)."""
    if isinstance(frame, RecordFrame):
        return frame.floats(column, _unit_factor(column, path) if in_si else 1.0)
    values = as_float(frame[column], path, column)
    return values * _unit_factor(column, path) if in_si else values


def _integers(frame: pd.DataFrame | RecordFrame, column: str) -> np.ndarray:
    """An integer column (``flags``, ``Ns``) for comparisons and bit masks. A :class:`RecordFrame`
    field of unsigned or signed integers is used as it is (the same comparisons and masks as
    after a cast to int64, without one); otherwise ``int64``."""
    values = frame[column].to_numpy()
    if isinstance(frame, RecordFrame) and values.dtype.kind in "iu":
        return values
    return values.astype(np.int64)


def _first(columns: Any, candidates: tuple[str, ...]) -> str | None:
    present = set(columns)
    return next((c for c in candidates if c in present), None)


def _cycle_from_columns(
    frame: pd.DataFrame | RecordFrame, path: Path, notes: list[str]
) -> tuple[np.ndarray | None, str]:
    """EC-Lab's cycle index (see the module docstring); returns (cycle, rule)."""
    if "cycle number" in frame:
        return _floats(frame, "cycle number", path).astype(np.int64), "cycle number"
    if "flags" in frame:
        counter = (_integers(frame, "flags") & 128) > 0
        toggles = np.concatenate([[False], counter[1:] != counter[:-1]])
        if toggles.any():
            return np.cumsum(toggles) + 1, "toggles of the 'counter inc.' flag"
    if "Ns" in frame:
        ns = _integers(frame, "Ns")
        loops = np.concatenate([[False], ns[1:] < ns[:-1]])
        if loops.any():
            return np.cumsum(loops) + 1, "technique loops (Ns decreases)"
    if "half cycle" in frame:
        hc = frame["half cycle"].to_numpy().astype(np.int64)
        return hc // 2 + 1, "half cycle // 2 + 1"
    notes.append("no cycle information in the file: all rows are cycle 1")
    return None, "none"


def _drop_impedance_rows(
    frame: pd.DataFrame | RecordFrame, path: Path, notes: list[str], *, binary: bool = False
) -> pd.DataFrame | RecordFrame:
    """Remove rows measured by an impedance technique (``freq/Hz > 0``).

    ``binary``: in a checksum-less .mpr, a lone impedance row between time-domain rows (a
    frequency sweep has many points) is a damaged record, not a measurement: refused."""
    if "freq/Hz" not in frame:
        return frame
    freq = _floats(frame, "freq/Hz", path)
    eis = np.nan_to_num(freq, nan=0.0) > 0
    if binary and eis.size >= 3:
        lone = np.zeros(eis.size, dtype=bool)
        lone[1:-1] = eis[1:-1] & ~eis[:-2] & ~eis[2:]
        if lone.any():
            keep = check_records(path, notes, [("lone impedance row(s) amid cycling", lone)])
            frame = frame.select(keep) if isinstance(frame, RecordFrame) else frame.loc[keep]
            eis = eis[keep]
    if eis.all():
        raise FileFormatError(
            path,
            "impedance data (frequency sweep, PEIS/GEIS) with no time-domain cycling rows; "
            "use 'lilean eis' for impedance files",
        )
    if not eis.any():
        return frame  # nothing to drop: no copy of the records
    notes.append(
        f"dropped {int(eis.sum())} impedance row(s) (freq/Hz > 0, PEIS/GEIS points); "
        "kept the time-domain rows only"
    )
    if isinstance(frame, RecordFrame):
        return frame.select(~eis)
    return frame.loc[~eis].reset_index(drop=True)


def _build(
    frame: pd.DataFrame | RecordFrame,
    path: Path,
    *,
    file_format: str,
    reader: str,
    notes: list[str],
    start_time: str | None,
    extra: dict[str, Any],
    active_mass_mg: float | None = None,
    area_cm2: float | None = None,
    check_records_: bool = False,
) -> CyclingData:
    """Map an EC-Lab table (columns as EC-Lab names them) onto the canonical table.

    ``check_records_``: cross-check the records of a checksum-less binary file
    (:func:`_record_checks`) and refuse damaged ones."""
    frame = _drop_impedance_rows(frame, path, notes, binary=check_records_)
    if check_records_:
        frame = _record_checks(frame, path, notes)
    columns = list(frame.columns)
    units: dict[str, str] = {}
    time_col = _first(columns, _TIME_COLUMNS)
    volt_col = _first(columns, _VOLTAGE_COLUMNS)
    if time_col is None or volt_col is None:
        raise FileFormatError(path, f"no time/s or Ewe/V (Ecell/V) column; found {columns[:12]}")
    time_s = _floats(frame, time_col, path, in_si=True)
    voltage_V = _floats(frame, volt_col, path, in_si=True)
    units[TIME], units[VOLTAGE] = time_col, volt_col

    cur_col = _first(columns, _CURRENT_COLUMNS)
    if cur_col is not None:
        current_A = _floats(frame, cur_col, path, in_si=True)
        units[CURRENT] = cur_col
    else:
        current_A = _current_without_i_column(frame, path, time_s, notes, units)

    cycle, rule = _cycle_from_columns(frame, path, notes)
    if cycle is not None:
        notes.append(f"cycle index from {rule}")
        units[CYCLE] = rule
    step = _integers(frame, "Ns") if "Ns" in frame else None
    if step is not None:
        units[STEP] = "Ns (technique sequence index)"
    cy_for_q = cycle if cycle is not None else np.ones(len(frame), dtype=np.int64)

    vendor_ch = vendor_dis = None
    if "dq/mA.h" in frame:
        dq = _floats(frame, "dq/mA.h", path)
        vendor_ch, vendor_dis = capacity_per_cycle(dq, cy_for_q)
        vendor_source = "dq/mA.h (per-row charge increment)"
        units[VENDOR_CHARGE_CAPACITY] = units[VENDOR_DISCHARGE_CAPACITY] = vendor_source
    elif "(Q-Qo)/mA.h" in frame:
        q = _floats(frame, "(Q-Qo)/mA.h", path)
        vendor_ch, vendor_dis = capacity_per_cycle(np.diff(q, prepend=q[:1]), cy_for_q)
        vendor_source = "(Q-Qo)/mA.h (differences)"
        units[VENDOR_CHARGE_CAPACITY] = units[VENDOR_DISCHARGE_CAPACITY] = vendor_source

    temp_col = _first(columns, _TEMPERATURE_COLUMNS)
    temperature = None
    if temp_col is not None:
        temperature = _floats(frame, temp_col, path)
        units[TEMPERATURE] = temp_col
    if isinstance(frame, RecordFrame):
        frame.release()  # every column is read: the file's bytes are not needed for the table

    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage_V,
        current_A=current_A,
        instrument="biologic",
        file_format=file_format,
        reader=reader,
        units_found=units,
        original_columns=columns,
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=vendor_ch,
        vendor_discharge_capacity_mAh=vendor_dis,
        temperature_degC=temperature,
        start_time=start_time,
        active_mass_mg=active_mass_mg,
        area_cm2=area_cm2,
        notes=notes,
        extra=extra,
    )


def _single_row_excursion(x: np.ndarray) -> np.ndarray:
    """Rows whose value differs from the previous row while the next row returns to it
    (``x_{k-1} == x_{k+1} != x_k``)."""
    out = np.zeros(x.size, dtype=bool)
    if x.size >= 3:
        out[1:-1] = (x[:-2] == x[2:]) & (x[1:-1] != x[:-2])
    return out


def _record_checks(
    frame: pd.DataFrame | RecordFrame, path: Path, notes: list[str]
) -> pd.DataFrame | RecordFrame:
    """Cross-checks of .mpr records (no checksum in the format): time in order row by row,
    no single-row voltage or current spike within a sequence (``Ns``), the cycle number
    never decreasing and never a one-row excursion, the sequence index ``Ns`` never a one-row
    excursion. A damaged record raises :class:`DamagedFileError` (or, for a partial read, is
    dropped with a note)."""
    columns = list(frame.columns)
    checks: list[tuple[str, np.ndarray]] = []
    ns = _integers(frame, "Ns") if "Ns" in frame else None
    time_col = _first(columns, _TIME_COLUMNS)
    if time_col is not None:
        checks.append(("with time out of order", time_out_of_order(_floats(frame, time_col, path))))
    volt_col = _first(columns, _VOLTAGE_COLUMNS)
    if volt_col is not None:
        v = _floats(frame, volt_col, path, in_si=True)
        checks.append(("with a one-row voltage spike", isolated_spikes(v, ns, SPIKE_FLOOR_V)))
    cur_col = _first(columns, _CURRENT_COLUMNS)
    if cur_col is not None:
        i = _floats(frame, cur_col, path, in_si=True)
        finite = np.abs(i[np.isfinite(i)])
        floor = SPIKE_FLOOR_I_FRAC * float(finite.max()) if finite.size else 0.0
        checks.append(("with a one-row current spike", isolated_spikes(i, ns, floor)))
    if "cycle number" in frame:
        c = _floats(frame, "cycle number", path)
        down = np.concatenate([[False], c[1:] < c[:-1]])
        checks.append(
            (
                "where the cycle number jumps and returns or decreases",
                _single_row_excursion(c) | down,
            )
        )
    if ns is not None:
        checks.append(("where the sequence index Ns jumps for one row", _single_row_excursion(ns)))
    ctrl_col = _first(columns, ("control/V/mA", "control/mA", "control/A", "control/V"))
    if ctrl_col is not None:  # the set point: constant within a sequence, or a smooth ramp
        ctrl = _floats(frame, ctrl_col, path)
        finite = np.abs(ctrl[np.isfinite(ctrl)])
        floor = SPIKE_FLOOR_I_FRAC * float(finite.max()) if finite.size else 0.0
        checks.append(("with a one-row spike of the set point", isolated_spikes(ctrl, ns, floor)))
    if "flags" in frame:  # control mode (bits 0-1) and the cycle counter bit (7) of each record
        flags = _integers(frame, "flags")
        same = np.ones(flags.size, dtype=bool)
        if ns is not None and ns.size >= 3:
            same[1:-1] = (ns[:-2] == ns[1:-1]) & (ns[2:] == ns[1:-1])
        mode = _single_row_excursion(flags & 3) & same
        counter = _single_row_excursion((flags & 128) > 0)
        checks.append(("whose control mode differs for one row within a sequence", mode))
        checks.append(("whose cycle-counter flag toggles for one row", counter))
    keep = check_records(path, notes, checks) if checks else np.ones(len(frame), dtype=bool)
    if keep.all():
        return frame
    if isinstance(frame, RecordFrame):
        return frame.select(keep)
    return frame.loc[keep].reset_index(drop=True)


def _current_without_i_column(
    frame: pd.DataFrame | RecordFrame,
    path: Path,
    time_s: np.ndarray,
    notes: list[str],
    units: dict[str, str],
) -> np.ndarray:
    """Current when the file has no ``I`` column (e.g. GCPL ``.mpr`` with ``control/V/mA``).

    In galvanostatic rows (flags mode 1) the control value is the applied current; in rest rows
    (mode 3) I = 0; in potentiostatic rows (mode 2) I = 3.6 * dq / dt (dq in mAh, dt in s, I in A).
    """
    ctrl = _first(frame.columns, ("control/V/mA", "control/mA", "control/A"))
    current_like = [c for c in frame.columns if c.startswith(("control", "dq/", "(Q-Qo)", "Q "))]
    if not current_like:
        # a voltage-only technique (OCV: EC-Lab writes time, Ewe and flags only): no current
        units[CURRENT] = "none in the file (voltage-only technique, e.g. OCV): 0 A"
        notes.append("no current in the file (voltage-only technique such as OCV): current = 0")
        return np.zeros(len(frame))
    if ctrl is None or "flags" not in frame or "dq/mA.h" not in frame:
        raise FileFormatError(
            path, "no current column (I/mA) and no control/dq columns to derive it from"
        )
    mode = _integers(frame, "flags") & 3
    control_A = _floats(frame, ctrl, path, in_si=True)
    dq_mAh = _floats(frame, "dq/mA.h", path)
    dt = np.diff(time_s, prepend=time_s[:1])
    # current = where(mode == 1, control_A, where(mode == 3, 0, where(dt > 0, 3.6 dq / dt, 0)))
    # built in one array
    current = np.multiply(3.6, dq_mAh)
    with np.errstate(divide="ignore", invalid="ignore"):
        current /= dt
    current[~(dt > 0)] = 0.0
    current[mode == 3] = 0.0
    np.copyto(current, control_A, where=mode == 1)
    units[CURRENT] = f"{ctrl} (galvanostatic rows), 0 (rest), dq/mA.h / dt (potentiostatic)"
    notes.append(f"no I column: current = {ctrl} in galvanostatic rows, 0 at rest, dq/dt otherwise")
    return current


# ---- .mpr ----------------------------------------------------------------------------------------


def sniff_mpr(path: Path, head: bytes) -> bool:
    """EC-Lab binary files start with the magic ``BIO-LOGIC MODULAR FILE\\x1a``."""
    return head.startswith(MPR_MAGIC)


class _BytesView:
    """A read-only file object over bytes whose large reads are :class:`memoryview` slices, not
    copies (``io.BytesIO.read`` copies): galvani's ``MPRfile`` reads each module's data and
    slices it again before ``np.frombuffer``, ~3 fresh copies of the data module that cost more
    than the parse. Reads of up to :attr:`SMALL` bytes (magics, module headers, the only values
    galvani compares, concatenates or prints) are ``bytes`` as from any file."""

    SMALL = 4096

    def __init__(self, raw: bytes) -> None:
        self._view = memoryview(raw)
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes | memoryview:
        start = self._pos
        n = len(self._view)
        end = n if size is None or size < 0 else min(n, start + size)
        self._pos = max(start, end)
        chunk = self._view[start:end]
        return chunk if end - start > self.SMALL else chunk.tobytes()

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos


def read_mpr(path: str | Path) -> CyclingData:
    """Read an EC-Lab ``.mpr`` file (galvani's ``MPRfile``) into the canonical table."""
    path = Path(path)
    frame, start_time, extra = _open_mpr(path)
    notes: list[str] = []
    return _build(
        frame,
        path,
        file_format="biologic-mpr",
        reader=library_version("galvani"),
        notes=notes,
        start_time=start_time,
        extra=extra,
        check_records_=True,
    )


def _open_mpr(path: Path) -> tuple[RecordFrame, str | None, dict[str, Any]]:
    """The records of an ``.mpr`` file (galvani's ``MPRfile.data``, a view of the file's bytes,
    which the returned frame alone holds, so that :func:`_build` can let them go before the
    table is built), its start time and the module metadata."""
    galvani_biologic = require("galvani.BioLogic", "gpl", path)
    raw = whole_file_bytes(path)  # read once: galvani parses these bytes, the hash is of them
    if not raw.startswith(MPR_MAGIC):
        raise FileFormatError(path, "not an EC-Lab .mpr file (magic 'BIO-LOGIC MODULAR FILE')")
    try:
        mpr = galvani_biologic.MPRfile(_BytesView(raw))
    except Exception as exc:  # galvani raises ValueError, AssertionError, struct errors...
        raise FileFormatError(
            path,
            f"unreadable .mpr file, truncated or unsupported ({type(exc).__name__}: {exc})",
        ) from None
    frame = RecordFrame(np.asarray(mpr.data))
    if len(frame) == 0:
        raise FileFormatError(path, "the .mpr data module holds no rows")
    timestamp = getattr(mpr, "timestamp", None)
    start_time = timestamp.isoformat() if isinstance(timestamp, datetime) else None
    modules = [m["shortname"].decode("latin-1").strip() for m in mpr.modules]
    extra: dict[str, Any] = {
        "modules": modules,
        "data_module_version": int(mpr.version),
        "n_points": len(frame),
        "start_date": str(getattr(mpr, "startdate", "")),
        "end_date": str(getattr(mpr, "enddate", "")),
    }
    return frame, start_time, extra


# ---- .mpt ----------------------------------------------------------------------------------------


#: column names that only EC-Lab writes (a headerless export starts with its column line)
_ECLAB_HEADER_MARKERS = ("ox/red", "control changes", "Ns changes", "counter inc.")


def _headerless_columns(first_line: str) -> list[str] | None:
    """The column names when ``first_line`` is an EC-Lab column line (an export saved without
    its header block), else ``None``."""
    names = [c.strip() for c in first_line.rstrip("\r\n").split("\t")]
    while names and names[-1] == "":
        names.pop()
    if "time/s" not in names or _first(names, _VOLTAGE_COLUMNS) is None:
        return None
    if sum(m in names for m in _ECLAB_HEADER_MARKERS) < 2:
        return None
    return names


def sniff_mpt(path: Path, head: bytes) -> bool:
    """EC-Lab / BT-Lab ASCII exports start with ``EC-Lab ASCII FILE`` (or ``BT-Lab ...``), or,
    saved without the header block, with EC-Lab's own tab-separated column line."""
    head = head.lstrip(b"\xef\xbb\xbf")
    if head.startswith(MPT_MAGICS):
        return True
    first = head.split(b"\n", 1)[0]
    return b"\t" in first and _headerless_columns(first.decode("latin-1")) is not None


def _decode(raw: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8, else Latin-1 (EC-Lab's native encoding)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_HEADER_LINES = re.compile(r"Nb header lines\s*:\s*(\d+)")
_NUMBER_UNIT = re.compile(r"^\s*([-+]?\d+(?:[.,]\d*)?(?:[eE][-+]?\d+)?)\s*(\S+)?\s*$")


def _parse_header(lines: list[str]) -> dict[str, str]:
    """``key : value`` pairs of an EC-Lab header (first occurrence of each key)."""
    out: dict[str, str] = {}
    for line in lines:
        if " : " in line:
            key, _, value = line.partition(" : ")
            key, value = key.strip(), value.strip()
            if key and key not in out:
                out[key] = value
    return out


def _header_quantity(header: dict[str, str], key: str, unit_prefix: str) -> float | None:
    """A positive number from a header field (``0.001`` = EC-Lab's "unset" value -> None)."""
    text = header.get(key)
    if not text:
        return None
    m = _NUMBER_UNIT.match(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    unit = m.group(2) or ""
    if not unit.startswith(unit_prefix) or value <= 0 or value == _ECLAB_UNSET:
        return None
    return value


def _start_time(header: dict[str, str]) -> str | None:
    text = header.get("Acquisition started on") or header.get("Technique started on")
    if not text:
        return None
    for fmt in ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), fmt).isoformat()
        except ValueError:
            continue
    return None


def read_mpt(path: str | Path) -> CyclingData:
    """Read an EC-Lab / BT-Lab ASCII export (``.mpt`` or ``.txt``) into the canonical table."""
    path = Path(path)
    text = _decode(whole_file_bytes(path))
    lines = text.splitlines()
    headerless = bool(lines) and _headerless_columns(lines[0]) is not None
    if headerless:
        n_header = 1
    elif not lines or not lines[0].strip().encode("latin-1", "replace").startswith(MPT_MAGICS):
        raise FileFormatError(path, "not an EC-Lab ASCII export (first line 'EC-Lab ASCII FILE')")
    else:
        m = _HEADER_LINES.search(lines[1]) if len(lines) > 1 else None
        if m is None:
            raise FileFormatError(path, "line 2 should read 'Nb header lines : N'", row=2)
        n_header = int(m.group(1))
    if len(lines) < n_header or (n_header < 3 and not headerless):
        raise FileFormatError(
            path, f"header says {n_header} lines but the file has {len(lines)} (truncated?)"
        )
    column_line = lines[n_header - 1]
    names = [c.strip() for c in column_line.split("\t")]
    while names and names[-1] == "":
        names.pop()
    if "time/s" not in names and "freq/Hz" not in names:
        raise FileFormatError(
            path, f"line {n_header} should be the column header (with time/s)", row=n_header
        )
    body = lines[n_header:]
    if not body:
        raise FileFormatError(path, "no data rows after the header", row=n_header + 1)
    first = body[0].split("\t")
    decimal = "," if any("," in f for f in first) and not any("." in f for f in first) else "."
    for k, line in enumerate(body):
        n_fields = len(line.rstrip("\t").split("\t"))
        if line.strip() and n_fields != len(names):
            raise FileFormatError(
                path,
                f"row has {n_fields} fields, the header names {len(names)} (truncated file?)",
                row=n_header + k + 1,
            )
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(body)),
            sep="\t",
            header=None,
            names=names,
            usecols=range(len(names)),
            decimal=decimal,
            skip_blank_lines=True,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, f"unparseable data block ({exc})", row=n_header + 1) from None
    header = _parse_header(lines[: n_header - 1])
    notes: list[str] = []
    if headerless:
        notes.append("EC-Lab export without its header block (no cell or technique metadata)")
    if decimal == ",":
        notes.append("decimal comma")
    active_mass = _header_quantity(header, "Mass of active material", "mg")
    area = _header_quantity(header, "Electrode surface area", "cm")
    for key in ("Mass of active material", "Electrode surface area"):
        if key in header and (active_mass if key.startswith("Mass") else area) is None:
            notes.append(f"header '{key} : {header[key]}' is EC-Lab's unset default: ignored")
    wanted = (
        "Run on channel",
        "Device",
        "User",
        "Electrode material",
        "Electrolyte",
        "Comments",
        "Battery capacity",
        "Mass of active material",
        "Electrode surface area",
        "Characteristic mass",
        "Cycle Definition",
        "Acquisition started on",
        "Loaded Setting File",
    )
    technique = lines[3].strip() if len(lines) > 3 and not headerless else ""
    extra: dict[str, Any] = {"technique": technique}
    extra.update({k: header[k] for k in wanted if k in header})
    extra["software"] = next((ln.strip() for ln in lines[:n_header] if "(software)" in ln), "")
    return _build(
        frame,
        path,
        file_format="biologic-mpt",
        reader=f"lilean biologic-mpt (pandas {pd.__version__})",
        notes=notes,
        start_time=_start_time(header),
        extra=extra,
        active_mass_mg=active_mass,
        area_cm2=area,
    )


MPR = register(
    Reader(
        name="biologic-mpr",
        instrument="biologic",
        extensions=(".mpr",),
        sniff=sniff_mpr,
        read=read_mpr,
        description="BioLogic EC-Lab binary .mpr (galvani, optional GPL extra)",
    )
)
MPT = register(
    Reader(
        name="biologic-mpt",
        instrument="biologic",
        extensions=(".mpt", ".txt"),
        sniff=sniff_mpt,
        read=read_mpt,
        description="BioLogic EC-Lab / BT-Lab ASCII export (.mpt, .txt)",
    )
)
