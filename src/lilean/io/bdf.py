"""Battery Data Format (BDF, Battery Data Alliance) CSV: read and write.

BDF names each column ``<Quantity> / <unit>`` (human labels, e.g. ``Test Time / s``,
``Voltage / V``, ``Current / A``, ``Cycle Count / 1``) or with the machine names of its ontology
(``test_time_second``, ``voltage_volt``, ``current_ampere``, ``cycle_count``). The three required
columns are time, voltage and current; current is positive in charge (lilean's convention).
Capacity columns (``Charging Capacity / Ah`` over the test, ``Cycle Charging Capacity / Ah`` per
cycle, and the discharging twins) are the source's counters and become the vendor capacities.

:func:`write_bdf` writes a lilean table as BDF CSV (labels; capacities per cycle in Ah as
``Cycle Charging/Discharging Capacity / Ah``) so that other BDF tools read it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError, OutputError
from lilean.io.common import finish, head_text, library_version, vendor_capacity_per_cycle
from lilean.io.registry import Reader, register
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    STEP,
    TEMPERATURE,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
    atomic_output,
)

#: BDF label -> (machine name, lilean key, factor to lilean's unit)
_COLUMNS: dict[str, tuple[str, str, float]] = {
    "Test Time / s": ("test_time_second", "time", 1.0),
    "Voltage / V": ("voltage_volt", "voltage", 1.0),
    "Current / A": ("current_ampere", "current", 1.0),
    "Cycle Count / 1": ("cycle_count", "cycle", 1.0),
    "Step Count / 1": ("step_count", "step", 1.0),
    "Step Index / 1": ("step_index", "step_index", 1.0),
    "Unix Time / s": ("unix_time_second", "unix_time", 1.0),
    "Charging Capacity / Ah": ("charging_capacity_ah", "q_ch", 1e3),
    "Discharging Capacity / Ah": ("discharging_capacity_ah", "q_dis", 1e3),
    "Cycle Charging Capacity / Ah": ("cycle_charging_capacity_ah", "q_ch", 1e3),
    "Cycle Discharging Capacity / Ah": ("cycle_discharging_capacity_ah", "q_dis", 1e3),
    "Ambient Temperature / degC": ("ambient_temperature_celsius", "temperature", 1.0),
    "Temperature T1 / degC": ("temperature_t1_celsius", "temperature", 1.0),
}
_BY_NAME = {**{k: (k, *v[1:]) for k, v in _COLUMNS.items()}}
_BY_NAME.update({v[0]: (k, *v[1:]) for k, v in _COLUMNS.items()})
_REQUIRED = ("time", "voltage", "current")


def _header_fields(head: bytes) -> list[str]:
    text = head_text(head)
    if text is None:
        return []
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return [f.strip().strip('"') for f in first.split(",")]


def _sniff(path: Path, head: bytes) -> bool:
    keys = {_BY_NAME[f][1] for f in _header_fields(head) if f in _BY_NAME}
    return all(k in keys for k in _REQUIRED)


def read(path: str | Path) -> CyclingData:
    """Read a BDF CSV file (labels or machine names) into the canonical table."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError(path, "BDF CSV must be UTF-8") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, f"malformed CSV ({type(exc).__name__})") from None
    found: dict[str, str] = {}
    for header in frame.columns:
        name = str(header).strip()
        if name in _BY_NAME:
            found.setdefault(_BY_NAME[name][1], str(header))
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        raise FileFormatError(path, f"BDF file lacks the required column(s) for {missing}")
    if frame.empty:
        raise FileFormatError(path, "no data rows", row=2)
    notes: list[str] = []
    last = frame.iloc[-1]
    if any(str(last[found[k]]).strip() == "" for k in _REQUIRED):
        frame = frame.iloc[:-1]
        notes.append(
            "last row has no time/voltage/current (file truncated: cut off mid-line); dropped it"
        )
        if frame.empty:
            raise FileFormatError(path, "the only data row is incomplete", row=2)

    def col(key: str) -> np.ndarray:
        name = found[key]
        values = pd.to_numeric(frame[name].str.strip(), errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(values) & (frame[name].str.strip() != "").to_numpy())
        if bad.size:
            raise FileFormatError(
                path, f"column {name!r}: non-numeric value {frame[name].iloc[bad[0]]!r}",
                row=int(bad[0]) + 2,
            )  # fmt: skip
        return values * _BY_NAME[name.strip()][2]

    units = {TIME: found["time"], VOLTAGE: found["voltage"], CURRENT: found["current"]}
    cycle = col("cycle") if "cycle" in found else None
    step = (
        col("step") if "step" in found else (col("step_index") if "step_index" in found else None)
    )
    if cycle is not None:
        units[CYCLE] = found["cycle"]
    if step is not None:
        units[STEP] = found.get("step", found.get("step_index", ""))
    v_ch = v_dis = None
    if "q_ch" in found and "q_dis" in found:
        v_ch = vendor_capacity_per_cycle(col("q_ch"), cycle)
        v_dis = vendor_capacity_per_cycle(col("q_dis"), cycle)
        units[VENDOR_CHARGE_CAPACITY] = found["q_ch"]
        units[VENDOR_DISCHARGE_CAPACITY] = found["q_dis"]
    temp = col("temperature") if "temperature" in found else None
    if temp is not None:
        units[TEMPERATURE] = found["temperature"]
    start_time = None
    if "unix_time" in found:
        t0 = col("unix_time")[0]
        if np.isfinite(t0):
            start_time = pd.Timestamp(t0, unit="s", tz="UTC").isoformat()
    return finish(
        path,
        time_s=col("time"),
        voltage_V=col("voltage"),
        current_A=col("current"),
        instrument="bdf",
        file_format="bdf-csv",
        reader=f"lilean bdf-csv; {library_version('pandas')}",
        units_found=units,
        original_columns=[str(c) for c in frame.columns],
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=start_time,
        notes=notes,
    )


def write_bdf(data: CyclingData, path: str | Path) -> Path:
    """Write ``data`` as a BDF CSV file (atomic; refuses to overwrite its own source).

    Columns: ``Test Time / s, Voltage / V, Current / A, Cycle Count / 1, Step Count / 1,
    Cycle Charging Capacity / Ah, Cycle Discharging Capacity / Ah`` (from lilean's capacity
    columns, mAh / 1000), and ``Temperature T1 / degC`` when the table has a temperature.
    """
    d = data.data
    out: dict[str, Any] = {
        "Test Time / s": d[TIME].to_numpy(),
        "Voltage / V": d[VOLTAGE].to_numpy(),
        "Current / A": d[CURRENT].to_numpy(),
        "Cycle Count / 1": d[CYCLE].to_numpy(),
        "Step Count / 1": d[STEP].to_numpy(),
        "Cycle Charging Capacity / Ah": d[CHARGE_CAPACITY].to_numpy() / 1e3,
        "Cycle Discharging Capacity / Ah": d[DISCHARGE_CAPACITY].to_numpy() / 1e3,
    }
    if TEMPERATURE in d:
        out["Temperature T1 / degC"] = d[TEMPERATURE].to_numpy()
    target = Path(path)
    if data.meta.source_file and Path(data.meta.source_file).resolve() == target.resolve():
        raise OutputError(f"{target}: refusing to overwrite the input file")
    with atomic_output(target) as tmp:
        pd.DataFrame(out).to_csv(tmp, index=False, float_format="%.10g")
    return target


BDF = register(
    Reader(
        name="bdf-csv",
        instrument="bdf",
        extensions=(".csv",),
        sniff=_sniff,
        read=read,
        description="Battery Data Format CSV (Battery Data Alliance; read and write_bdf)",
    )
)
