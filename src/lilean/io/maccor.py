"""Maccor text readers: raw record files (``.001``, ``.052``, ... exported as text) and MIMS
Client / Data Analysis text exports (``.txt`` with a header block, possibly comma decimals).

Two layouts are recognised:

* raw record text: first line ``Today's Date ... Date of Test: ... Procedure: ...``, then a
  header ``Rec#  Cyc#  Step  Test (Sec)  Step (Sec)  Amp-hr  Watt-hr  Amps  Volts  State  ES
  DPt Time ...`` (time unit in the header: ``(Sec)``, ``(Min)`` or ``(Hr)``);
* MIMS Client text export: ``Name:``, ``Channel:``, ``Procedure``, ``Started`` ... lines, a blank
  line, then ``Rec  Cycle P  Cycle C  Step  TestTime  StepTime  Cap. [Ah]  Ener. [Wh]
  Current [A]  Voltage [V]  Md  ES  DPT Time ...``.

Sign: Maccor writes the current unsigned in many exports (signed in others); the state column
(``State`` / ``Md``: ``C`` charge, ``D`` discharge, ``R`` rest, ``O``/``S`` other) decides, so
``I = +|Amps|`` in C rows and ``-|Amps|`` in D rows; other rows keep the file's value.

Capacity: ``Amp-hr`` / ``Cap. [Ah]`` is one unsigned counter for both directions that restarts
at step or direction changes; it is split per cycle and direction with
:func:`lilean.io.common.vendor_capacity_split`.

Time: when the time header has no unit (``TestTime``), the unit is inferred by comparing the
span of the column with the span of the ``DPT Time`` clock (s, min or h, whichever matches
within 10 %); if the clock cannot decide, seconds are assumed and a note says so. Dates are
``mm/dd/yyyy`` unless the data prove otherwise, or the export uses comma decimals (a European
locale), in which case ``dd/mm/yyyy`` is assumed when the data cannot tell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    arrow_strings,
    describe_unit,
    fill_gaps,
    finish,
    first_lines,
    head_text,
    library_version,
    numeric,
    parse_datetimes,
    read_text,
    table_from_lines,
    table_names,
    time_column_s,
    vendor_capacity_split,
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
from lilean.units import factor

_TIME_UNITS = {"sec": "s", "s": "s", "min": "min", "hr": "h", "h": "h", "hrs": "h"}

#: canonical key -> accepted header spellings (compared case-insensitively, spaces squeezed)
_NAMES: dict[str, tuple[str, ...]] = {
    "rec": ("rec#", "rec"),
    "cycle": ("cyc#", "cycle c", "cycle p", "cycle"),
    "step": ("step",),
    "time": (
        "test (sec)",
        "test (min)",
        "test (hr)",
        "testtime",
        "test time",
        "testtime(s)",
        "test time (sec)",
        "test time (s)",
        "test (s)",
    ),
    "capacity": ("amp-hr", "cap. [ah]", "capacity(ah)", "capacity [ah]", "cap. [mah]"),
    "current": ("amps", "current [a]", "current(a)", "current [ma]"),
    "voltage": ("volts", "voltage [v]", "voltage(v)"),
    "state": ("state", "md"),
    "clock": ("dpt time", "dpt date"),
    "temperature": ("temp 1", "temp1", "temperature"),
}


_SPACES = re.compile(r"\s+")


def _norm(header: str) -> str:
    return _SPACES.sub(" ", header.strip().lower())


def _find_columns(headers: list[str]) -> dict[str, str]:
    normed = {_norm(h): h for h in headers}
    out: dict[str, str] = {}
    for key, names in _NAMES.items():
        for name in names:
            if name in normed:
                out[key] = normed[name]
                break
    return out


#: every header spelling :func:`_find_columns` knows (normalised): the columns read (the others
#: are split by the CSV reader but not converted)
_KNOWN_NAMES = frozenset(name for names in _NAMES.values() for name in names)


def _known_column(header: str) -> bool:
    return _norm(header) in _KNOWN_NAMES


def _is_header(fields: list[str]) -> bool:
    cols = _find_columns(fields)
    return all(k in cols for k in ("rec", "state", "current", "voltage"))


def _split_line(line: str) -> list[str]:
    sep = "\t" if "\t" in line else ","
    return [f.strip() for f in line.split(sep)]


def _header_index(lines: list[str]) -> int | None:
    for k, line in enumerate(lines[:200]):
        # every header spelling of the record column starts with "rec": a line without it
        # is not the header (the cheap test spares splitting and normalising each line)
        if "rec" in line.lower() and _is_header(_split_line(line)):
            return k
    return None


def _sniff(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None:
        return False
    # the first 201 lines decide (a header in the first 200, a row after it): not all split
    lines = first_lines(text, 201)
    k = _header_index(lines)
    return k is not None and k + 1 < len(lines)


def _header_block(lines: list[str]) -> dict[str, str]:
    """Key/value pairs from the lines before the table header."""
    out: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("Today's Date"):
            # Today's Date 10/10/2019  Date of Test:\t10/10/2019\t Filename:\t...
            # Procedure: ...\tComment/Barcode: ...
            for m in re.finditer(
                r"(Today's Date|Date of Test:|Filename:|Procedure:|Comment/Barcode:)\s*"
                r"(.*?)(?=\s*(?:Date of Test:|Filename:|Procedure:|Comment/Barcode:|$))",
                line,
            ):
                out[m.group(1).rstrip(":")] = m.group(2).strip()
            continue
        parts = [p for p in re.split(r"\t|:\t|:\s+", line, maxsplit=1)]
        if len(parts) == 2:
            out[parts[0].strip().rstrip(":")] = parts[1].strip()
        else:
            out[line.strip()] = ""
    return out


def _time_unit_from_header(header: str) -> str | None:
    m = re.search(r"\(([^)]+)\)|\[([^\]]+)\]", header)
    if m is None:
        return None
    unit = (m.group(1) or m.group(2)).strip().lower()
    return _TIME_UNITS.get(unit)


def _infer_time_unit(raw_time: np.ndarray, clock: Any) -> str | None:
    """s / min / h, whichever makes the time column's span match the wall-clock span."""
    if clock is None:
        return None
    ok = ~np.isnan(raw_time)
    if ok.sum() < 2:
        return None
    span_num = float(np.nanmax(raw_time) - np.nanmin(raw_time))
    secs = (clock - clock[0]).total_seconds().to_numpy(dtype=float)
    span_clock = float(np.nanmax(secs) - np.nanmin(secs))
    if span_num <= 0 or span_clock < 60:
        return None
    for unit, scale in (("s", 1.0), ("min", 60.0), ("h", 3600.0)):
        if abs(span_num * scale - span_clock) <= 0.1 * span_clock:
            return unit
    return None


def _charge_discharge_rows(state: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose state (stripped, any case) is ``C`` and rows whose state is ``D``; in
    pyarrow when the column is Arrow text (no Python string per row)."""
    arr = arrow_strings(state)
    if arr is not None:
        import pyarrow.compute as pc

        up = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
        return tuple(  # type: ignore[return-value]
            np.asarray(pc.equal(up, letter).fill_null(False).to_numpy(zero_copy_only=False))
            for letter in ("C", "D")
        )
    text = pd.Series(state).astype("string").str.strip().str.upper().fillna("")
    return (text == "C").to_numpy(dtype=bool), (text == "D").to_numpy(dtype=bool)


def read(path: str | Path) -> CyclingData:
    """Read a Maccor text file (either layout, tab or comma separated, ``.`` or ``,`` decimals)."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    k = _header_index(lines)
    if k is None:
        raise FileFormatError(
            path, "no Maccor table header (Rec#/Rec, State/Md, Amps/Current, Volts/Voltage) found"
        )
    sep = "\t" if "\t" in lines[k] else ","
    # the columns read as numbers: parsed to float64 by the CSV reader itself when they hold
    # plain numbers (else they stay text for numeric(), which knows the decimal comma)
    wanted = _find_columns(_split_line(lines[k]))
    numbers = {_norm(wanted[key]) for key in wanted if key not in ("state", "clock")}
    df, notes = table_from_lines(
        path, lines, k, sep=sep, floats=lambda n: _norm(n) in numbers, include=_known_column
    )
    header = _header_block(lines[:k])
    cols = _find_columns([str(c) for c in df.columns])
    if "time" not in cols:
        raise FileFormatError(path, "no test-time column (Test (Sec), TestTime ...)", row=k + 1)
    # decimal separator: comma decimals when the voltage column holds "3,8"
    volts = df[cols["voltage"]]
    if volts.dtype.kind == "f":  # parsed as plain numbers while reading: decimal point
        decimal = "."
    else:
        volts_text = volts.astype("string").str.strip()
        decimal = "," if volts_text.str.fullmatch(r"-?\d+,\d+").mean() > 0.5 else "."
    if decimal == "," and any(df[c].dtype.kind == "f" for c in df.columns):
        # decimal comma: "1.234" in another column is 1234 with a thousands point, which the
        # float parse read as 1.234; read every column as text for numeric(decimal=",")
        df, notes = table_from_lines(path, lines, k, sep=sep, include=_known_column)
    units_found: dict[str, str] = {}
    clock = None
    start_time = None
    if "clock" in cols:
        try:
            clock = parse_datetimes(
                df[cols["clock"]], path, cols["clock"], dayfirst=True if decimal == "," else None
            )
            start_time = clock[0].isoformat()
        except FileFormatError:
            notes.append(f"could not read the clock column {cols['clock']!r}")
            clock = None

    t_col = df[cols["time"]]
    t_text = None if t_col.dtype.kind == "f" else t_col.astype("string").str.strip()
    if t_text is not None and t_text.head(20).str.match(r"^\d+d\s+\d+:\d{2}:\d{2}").all():
        # 'Xd HH:MM:SS.ffff' (Maccor raw export of an EIS/FRA procedure, beep's .041 file)
        time_s, how, _ = time_column_s(t_text, path, cols["time"], None)
        raw_t = time_s
        t_unit: str | None = "s"
        units_found[TIME] = how
    else:
        raw_t = numeric(df[cols["time"]], path, cols["time"], decimal)
        t_unit = _time_unit_from_header(cols["time"])
    if TIME in units_found:
        pass
    elif t_unit is None:
        t_unit = _infer_time_unit(raw_t, clock)
        if t_unit is None:
            t_unit = "s"
            notes.append(f"time column {cols['time']!r} has no unit; assumed seconds")
            units_found[TIME] = f"{cols['time']} [s] (assumed)"
        else:
            units_found[TIME] = f"{cols['time']} [{t_unit}] (inferred from {cols['clock']!r})"
    else:
        units_found[TIME] = f"{cols['time']} [{t_unit}]"
    time_s = raw_t * factor(t_unit or "s", "time")

    def unit_of(header: str, default: str) -> str:
        m = re.search(r"\[([^\]]+)\]|\(([^)]+)\)", header)
        return (m.group(1) or m.group(2)).strip() if m else default

    v_unit = unit_of(cols["voltage"], "V")
    voltage = numeric(df[cols["voltage"]], path, cols["voltage"], decimal) * factor(
        v_unit, "voltage"
    )
    units_found[VOLTAGE] = describe_unit(cols["voltage"], v_unit)
    i_unit = unit_of(cols["current"], "A")
    current = numeric(df[cols["current"]], path, cols["current"], decimal) * factor(
        i_unit, "current"
    )
    is_c, is_d = _charge_discharge_rows(df[cols["state"]])
    signed = np.where(is_c, np.abs(current), np.where(is_d, -np.abs(current), current))
    n_flipped = int(np.sum(signed != current))
    units_found[CURRENT] = (
        f"{describe_unit(cols['current'], i_unit)}, signed by {cols['state']!r} (C +, D -)"
    )
    if n_flipped:
        notes.append(f"sign of {n_flipped} current value(s) set from the state column")

    cycle = step = None
    if "cycle" in cols:
        cycle = numeric(df[cols["cycle"]], path, cols["cycle"], decimal)
        units_found[CYCLE] = cols["cycle"]
    if "step" in cols:
        step = numeric(df[cols["step"]], path, cols["step"], decimal)
        units_found[STEP] = cols["step"]
    v_ch = v_dis = temp = None
    if "capacity" in cols:
        q_unit = unit_of(cols["capacity"], "Ah")
        q_unit = "Ah" if q_unit.lower() == "amp-hr" else q_unit
        cap = numeric(df[cols["capacity"]], path, cols["capacity"], decimal)
        cap_mAh = cap * factor(q_unit, "capacity")
        v_ch, v_dis = vendor_capacity_split(cap_mAh, signed, cycle, step=step)
        units_found[VENDOR_CHARGE_CAPACITY] = (
            f"{describe_unit(cols['capacity'], q_unit)} (split by direction)"
        )
        units_found[VENDOR_DISCHARGE_CAPACITY] = units_found[VENDOR_CHARGE_CAPACITY]
    if "temperature" in cols:
        t_raw = numeric(df[cols["temperature"]], path, cols["temperature"], decimal)
        if not np.isnan(t_raw).all():
            temp = t_raw
            units_found[TEMPERATURE] = f"{cols['temperature']} [degC] (assumed)"
    fmt = "maccor-raw" if any(ln.startswith("Today's Date") for ln in lines[:k]) else "maccor-txt"
    extra: dict[str, Any] = {**header, "decimal": decimal, "delimiter": sep}
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=signed,
        instrument="maccor",
        file_format=fmt,
        reader=f"lilean maccor; {library_version('pandas')}",
        units_found=units_found,
        original_columns=table_names(lines[k], sep),
        cycle=cycle if cycle is None else fill_gaps(cycle),
        step=step if step is None else fill_gaps(step),
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=start_time,
        notes=notes,
        extra=extra,
    )


register(
    Reader(
        name="maccor",
        instrument="maccor",
        extensions=(".txt", ".001", ".csv"),  # raw files use .001-.999: found by content
        sniff=_sniff,
        read=read,
        description="Maccor text: raw record files (.001, .052, ...) and MIMS text exports",
    )
)
