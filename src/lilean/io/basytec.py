"""Basytec result files (text export of the Basytec Battery Test System).

Layout: header lines starting with ``~`` (``~Resultfile from Basytec Battery Test System``,
``~Name of Test: ...``, ``~Start of Test: 19.06.2023 17:56:53``, ...); the last ``~`` line is the
column header (``~Time[s]  DataSet  t-Step[s] ... U[V]  I[A]  Ah[Ah]  Ah-Cyc-Charge
Ah-Cyc-Discharge ... T1[°C] ... Cyc-Count  Count  State``), tab separated, written in the
Windows code page (cp1252).

Conventions (Basytec manual): current is positive when the cell is charged, as in lilean, so it
is used as it is; ``Cyc-Count`` is the cycle counter and ``Line`` the program line (one step per
line change); ``Ah-Cyc-Charge`` / ``Ah-Cyc-Discharge`` are the charge and discharge passed since
the start of the cycle (the discharge one may be written negative: its magnitude is used) and are
converted with :func:`lilean.io.common.vendor_capacity_per_cycle`. Units come from the
``[unit]`` in each header; the start date is day-first (``dd.mm.yyyy``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    finish,
    head_text,
    library_version,
    numeric,
    read_text,
    scaled_column,
    split_header,
    table_from_lines,
    vendor_capacity_per_cycle,
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

#: ``Name[unit]`` (the unit is optional)
_UNIT = re.compile(r"^(?P<base>[^\[]+?)\s*(?:\[(?P<unit>[^\]]*)\])?$")


def _header_index(lines: list[str]) -> int | None:
    """The last ``~`` line, if it is a column header with time, U and I."""
    last = None
    for k, line in enumerate(lines[:200]):
        if line.startswith("~"):
            last = k
        elif line.strip():
            break
    if last is None:
        return None
    fields = [split_header(f, _UNIT)[0] for f in lines[last][1:].split("\t")]
    if "Time" in fields and "U" in fields and "I" in fields:
        return last
    return None


def _sniff(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None or not text.startswith("~"):
        return False
    if "basytec" not in text[:300].lower() and not text.startswith("~Time["):
        return False
    return _header_index(text.splitlines()) is not None


def read(path: str | Path) -> CyclingData:
    """Read a Basytec result file (``.txt``)."""
    path = Path(path)
    text = read_text(path).lstrip("\ufeff")
    lines = text.splitlines()
    k = _header_index(lines)
    if k is None:
        raise FileFormatError(
            path, "no Basytec column header (a '~Time[..]<TAB>...U[V]<TAB>I[A]...' line) found"
        )
    lines = [*lines[:k], lines[k][1:], *lines[k + 1 :]]
    df, notes = table_from_lines(path, lines, k, sep="\t")
    header: dict[str, str] = {}
    for line in lines[:k]:
        body = line.lstrip("~").strip()
        if ":" in body:
            key, _, value = body.partition(":")
            header[key.strip()] = value.strip()
        elif body:
            header[body] = ""
    cols: dict[str, tuple[str, str | None]] = {}
    for col in df.columns:
        base, unit = split_header(str(col), _UNIT)
        cols.setdefault(base, (str(col), unit))
    for base, what in (("Time", "time"), ("U", "voltage"), ("I", "current")):
        if base not in cols:
            raise FileFormatError(path, f"no {what} column ({base}[unit]) in the header", row=k + 1)
    units_found: dict[str, str] = {}

    def scaled(base: str, dim: str, default: str, canonical: str) -> np.ndarray:
        col, unit = cols[base]
        values, units_found[canonical] = scaled_column(
            df[col], path, col, unit, dimension=dim, default=default
        )
        return values

    time_s = scaled("Time", "time", "s", TIME)
    voltage = scaled("U", "voltage", "V", VOLTAGE)
    current = scaled("I", "current", "A", CURRENT)
    cycle = step = None
    if "Cyc-Count" in cols:
        cycle = numeric(df["Cyc-Count"], path, "Cyc-Count")
        units_found[CYCLE] = "Cyc-Count"
    if "Line" in cols:
        step = numeric(df["Line"], path, "Line")
        units_found[STEP] = "Line"
    v_ch = v_dis = temp = None
    if "Ah-Cyc-Charge" in cols:
        q = numeric(df["Ah-Cyc-Charge"], path, "Ah-Cyc-Charge") * factor("Ah", "capacity")
        v_ch = vendor_capacity_per_cycle(q, cycle)
        units_found[VENDOR_CHARGE_CAPACITY] = "Ah-Cyc-Charge [Ah] (Basytec unit)"
    if "Ah-Cyc-Discharge" in cols:
        q = numeric(df["Ah-Cyc-Discharge"], path, "Ah-Cyc-Discharge") * factor("Ah", "capacity")
        v_dis = vendor_capacity_per_cycle(np.abs(q), cycle)
        units_found[VENDOR_DISCHARGE_CAPACITY] = "Ah-Cyc-Discharge [Ah] (Basytec unit)"
    t1 = next((b for b in cols if b in ("T1", "T")), None)
    if t1 is not None:
        col, unit = cols[t1]
        if unit is None or "c" in unit.lower():
            temp = numeric(df[col], path, col)
            units_found[TEMPERATURE] = col
    start_time = None
    if header.get("Start of Test"):
        try:
            start_time = pd.Timestamp(
                pd.to_datetime(header["Start of Test"], dayfirst=True)
            ).isoformat()
        except (ValueError, TypeError):
            notes.append(f"could not read the start time {header['Start of Test']!r}")
    extra: dict[str, Any] = dict(header)
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=current,
        instrument="basytec",
        file_format="basytec",
        reader=f"lilean basytec; {library_version('pandas')}",
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


register(
    Reader(
        name="basytec",
        instrument="basytec",
        extensions=(".txt",),
        sniff=_sniff,
        read=read,
        description="Basytec result file (text with '~' header lines)",
    )
)
