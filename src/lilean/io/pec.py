"""PEC (SBT series, LifeTest) CSV export.

Layout (cellpy's ``pec_multiple_tests/Test25205.csv``): a preamble of ``Key:,value`` lines
(``Test:``, ``TestRegime Name:``, ``Start Time:``, ...), then the table header
``Test,Cell,Rack,Shelf,Position,Cell ID,Step,Instruction Name,Cycle,Total Time (Hours in
hh:mm:ss.xxx),...,Voltage (V),Current (A),Charge Capacity (mAh),Discharge Capacity (mAh),...``.
Rows may leave out trailing empty fields. Total time is an ``hh:mm:ss.xxx`` duration (hours may
exceed 24). Current is positive in charge (PEC's convention, the same as lilean's). The two
capacity columns are the instrument's counters (per cycle, one direction each).
"""

from __future__ import annotations

import io
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
    time_column_s,
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

_HEADER = re.compile(r"^Test,Cell,(?:Rack,)?.*\bVoltage \(V\).*\bCurrent \(A\)", re.M)


def _sniff(path: Path, head: bytes) -> bool:
    text = head_text(head)
    return text is not None and _HEADER.search(text) is not None


def _header_index(lines: list[str]) -> int | None:
    return next((k for k, ln in enumerate(lines) if _HEADER.match(ln)), None)


def read(path: str | Path) -> CyclingData:
    """Read a PEC CSV export into the canonical table."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    k = _header_index(lines)
    if k is None:
        raise FileFormatError(path, "no 'Test,Cell,...,Voltage (V),Current (A)' table header")
    preamble: dict[str, Any] = {}
    for line in lines[:k]:
        key, sep, value = line.partition(":,")
        if sep and key.strip():
            preamble[key.strip()] = value.strip()
    body = [ln for ln in lines[k + 1 :] if ln.strip()]
    if not body:
        raise FileFormatError(path, "table header but no data rows", row=k + 2)
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join([lines[k], *body])),
            dtype=str,
            keep_default_na=False,
            index_col=False,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, f"malformed table ({type(exc).__name__})", row=k + 1) from None
    cols = [str(c) for c in frame.columns]
    need = {
        "time": next((c for c in cols if c.startswith("Total Time")), None),
        "voltage": "Voltage (V)" if "Voltage (V)" in cols else None,
        "current": "Current (A)" if "Current (A)" in cols else None,
    }
    missing = [key for key, col in need.items() if col is None]
    if missing:
        raise FileFormatError(path, f"no {missing} column in the table header", row=k + 1)
    notes: list[str] = []
    # a row cut inside its voltage or current field is not a whole record
    last = frame.iloc[-1]
    if last[need["voltage"]] == "" or last[need["current"]] == "":
        frame = frame.iloc[:-1]
        notes.append(
            "last row has no voltage/current (file truncated: cut off mid-line); dropped it"
        )
        if frame.empty:
            raise FileFormatError(path, "the only data row is incomplete", row=k + 2)
    time_col = str(need["time"])
    time_s, how, _ = time_column_s(frame[time_col], path, time_col, None)
    units: dict[str, str] = {TIME: how, VOLTAGE: "Voltage (V)", CURRENT: "Current (A)"}
    voltage = numeric(frame["Voltage (V)"], path, "Voltage (V)")
    current = numeric(frame["Current (A)"], path, "Current (A)")
    cycle = step = None
    if "Cycle" in frame:
        cycle = numeric(frame["Cycle"], path, "Cycle")
        units[CYCLE] = "Cycle"
    if "Step" in frame:
        step = numeric(frame["Step"], path, "Step")
        units[STEP] = "Step"
    v_ch = v_dis = None
    if "Charge Capacity (mAh)" in frame and "Discharge Capacity (mAh)" in frame:
        v_ch = vendor_capacity_per_cycle(
            numeric(frame["Charge Capacity (mAh)"], path, "Charge Capacity (mAh)"), cycle
        )
        v_dis = vendor_capacity_per_cycle(
            numeric(frame["Discharge Capacity (mAh)"], path, "Discharge Capacity (mAh)"), cycle
        )
        units[VENDOR_CHARGE_CAPACITY] = "Charge Capacity (mAh)"
        units[VENDOR_DISCHARGE_CAPACITY] = "Discharge Capacity (mAh)"
    temp = None
    temp_col = next((c for c in cols if c.startswith("Temp (")), None)
    if temp_col is not None:
        raw = frame[temp_col].replace("", np.nan)
        if raw.notna().any():
            temp = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            units[TEMPERATURE] = temp_col
    start_time = None
    if preamble.get("Start Time"):
        ts = pd.to_datetime(preamble["Start Time"], errors="coerce")
        start_time = None if pd.isna(ts) else ts.isoformat()
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=current,
        instrument="pec",
        file_format="pec-csv",
        reader=f"lilean pec-csv; {library_version('pandas')}",
        units_found=units,
        original_columns=cols,
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=start_time,
        notes=notes,
        extra=preamble,
    )


PEC = register(
    Reader(
        name="pec-csv",
        instrument="pec",
        extensions=(".csv",),
        sniff=_sniff,
        read=read,
        description="PEC SBT / LifeTest CSV export (Key:,value preamble, then Test,Cell,... table)",
    )
)
