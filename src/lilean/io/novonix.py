"""Novonix UHPC (Ultra High Precision Charger) CSV files.

Layout: ``[Summary]`` ... ``[End Summary]`` (``Key: value`` lines: Channel, Cell, Description,
``Mass (g)``, ``Capacity (Ah)``, ``Area (cm2)``, ``Started: 2025-07-19 15:26:20``, Version),
``[Protocol]`` ... ``[End Protocol]`` (JSON), then ``[Data]`` and a CSV table: ``Date and Time,
Cycle Number, Step Type, Run Time (h), Step Time (h), Current (A), Potential (V),
Capacity (Ah), Temperature (°C), ..., Step Number, ...``.

Current is signed as in lilean (charge positive). ``Capacity (Ah)`` is the charge passed in the
current step (it restarts at every step); it is split per cycle and direction with
:func:`lilean.io.common.vendor_capacity_split`. Units come from the ``(unit)`` in each header.
``Mass (g)`` and ``Area (cm2)`` are used only when they differ from 1.000, the UHPC placeholder
values that the software writes when nothing was entered (both stay in ``meta.extra``).
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
    table_names,
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

#: ``Name (unit)``; the unit without the spaces around it
_UNIT = re.compile(r"^(?P<base>.*?)\s*\(\s*(?P<unit>[^)]*?)\s*\)\s*$")


def _sniff(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None:
        return False
    text = text.lstrip("\ufeff")
    return text.startswith("[Summary]") and "novonix" in text[:400].lower()


def _resets_per_step(q: np.ndarray, step: np.ndarray | None) -> bool:
    """Whether the capacity counter restarts with every step (it drops at most step changes)
    or runs on across them (beep's formation file: 0.669 mAh carried from step 2 into 3)."""
    if step is None:
        return False
    st = np.asarray(step)
    change = np.flatnonzero(st[1:] != st[:-1])
    qa = np.abs(np.nan_to_num(np.asarray(q, dtype=float)))
    moved = change[(qa[change] > 0) | (qa[change + 1] > 0)]
    if moved.size == 0:
        return False
    return bool(np.mean(qa[moved + 1] < qa[moved]) > 0.5)


def _continue_restarts(time_s: np.ndarray, df: pd.DataFrame, notes: list[str]) -> np.ndarray:
    """A test restarted on the UHPC starts its run time again at 0; continue it instead.

    Where the run time drops, the later rows are shifted by the earlier end plus the wall-clock
    pause between the two rows (from ``Date and Time`` when it reads; 0 otherwise).
    """
    drops = np.flatnonzero(np.diff(time_s) < 0)
    if drops.size == 0:
        return time_s
    clock = None
    date_col = next((c for c in df.columns if str(c).lower().startswith("date and time")), None)
    if date_col is not None:
        parsed = pd.to_datetime(df[date_col], errors="coerce", format="mixed")
        if not parsed.isna().any():
            clock = (parsed - parsed.iloc[0]).dt.total_seconds().to_numpy(dtype=float)
    out = time_s.copy()
    for k in drops:
        pause = 0.0
        if clock is not None:
            pause = max(float(clock[k + 1] - clock[k]) - float(time_s[k + 1]), 0.0)
        # row k+1 is time_s[k+1] after the restart, which came `pause` after row k
        out[k + 1 :] += out[k] + pause + time_s[k + 1] - out[k + 1]
    notes.append(
        f"test restarted {drops.size} time(s) (run time starts again at data row "
        f"{int(drops[0]) + 2}): run time continued across the restart"
    )
    return out


def _unwrap_quoted_lines(lines: list[str], start: int) -> tuple[list[str], int]:
    """Lines from ``start`` on that are wrapped in one pair of quotes (beep's file wraps every
    data line: ``"2022-04-11 10:58:07 AM,1,0,..."``) without their quotes, and how many were.

    A line is unwrapped when, stripped, it starts and ends with ``"`` and holds no other quote.
    The common cases (no quote at all; every line wrapped, nothing else quoted) are decided by
    counting quotes over the whole section in C; only a mixed section is walked line by line.
    """
    body = lines[start:]
    text = "\n".join(body)
    n_quotes = text.count('"')
    if n_quotes == 0:
        return lines, 0
    if (
        n_quotes == 2 * len(body)
        and text.startswith('"')
        and text.endswith('"')
        and text.count('"\n"') == len(body) - 1
    ):  # every line is '"..."' and no other quote occurs
        return lines[:start] + text[1:-1].split('"\n"'), len(body)
    stripped = [ln.strip() for ln in body]
    out = list(lines)
    quoted = 0
    for j, ln in enumerate(stripped, start=start):
        if len(ln) > 1 and ln[0] == ln[-1] == '"' and '"' not in ln[1:-1]:
            out[j] = ln[1:-1]
            quoted += 1
    return out, quoted


#: the ``(base)`` of the columns :func:`read` uses (:func:`split_header`, lower case)
_USED_BASES = frozenset(
    ("run time", "current", "potential", "cycle number", "step number", "capacity", "temperature")
)


def _used_column(name: str) -> bool:
    """Whether :func:`read` reads this column (the wall clock for restarts, and the bases)."""
    return (
        name.lower().startswith("date and time")
        or split_header(name, _UNIT)[0].lower() in _USED_BASES
    )


def read(path: str | Path) -> CyclingData:
    """Read a Novonix UHPC CSV file."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    try:
        k = next(i for i, ln in enumerate(lines) if ln.strip() == "[Data]")
    except StopIteration:
        raise FileFormatError(path, "no [Data] section; expected a Novonix UHPC CSV") from None
    summary: dict[str, str] = {}
    in_summary = False
    for line in lines[:k]:
        s = line.strip()
        if s == "[Summary]":
            in_summary = True
        elif s == "[End Summary]":
            in_summary = False
        elif in_summary and ":" in s:
            key, _, value = s.partition(":")
            summary[key.strip()] = value.strip()
    lines, quoted = _unwrap_quoted_lines(lines, k + 1)
    # every column but the wall clock is numeric in a UHPC export: parsed to float64 by the
    # CSV reader (a column holding anything else stays text and is converted by numeric());
    # only the columns read below are converted
    df, notes = table_from_lines(
        path,
        lines,
        k + 1,
        sep=",",
        floats=lambda n: not n.lower().startswith("date"),
        include=_used_column,
    )
    columns = table_names(lines[k + 1], ",")
    if quoted:
        notes.append(f"{quoted} line(s) of the [Data] section wrapped in quotes: unwrapped")
    cols: dict[str, tuple[str, str | None]] = {}
    for col in df.columns:
        base, unit = split_header(str(col), _UNIT)
        cols.setdefault(base.lower(), (str(col), unit))
    for base in ("run time", "current", "potential"):
        if base not in cols:
            raise FileFormatError(
                path, f"no '{base.title()} (unit)' column in the [Data] header", row=k + 2
            )
    units_found: dict[str, str] = {}

    def scaled(base: str, dim: str, default: str, canonical: str) -> np.ndarray:
        col, unit = cols[base]
        values, units_found[canonical] = scaled_column(
            df[col], path, col, unit, dimension=dim, default=default
        )
        return values

    time_s = _continue_restarts(scaled("run time", "time", "h", TIME), df, notes)
    voltage = scaled("potential", "voltage", "V", VOLTAGE)
    current = scaled("current", "current", "A", CURRENT)
    cycle = step = None
    if "cycle number" in cols:
        cycle = numeric(df[cols["cycle number"][0]], path, "Cycle Number")
        units_found[CYCLE] = cols["cycle number"][0]
    if "step number" in cols:
        step = numeric(df[cols["step number"][0]], path, "Step Number")
        units_found[STEP] = cols["step number"][0]
    v_ch = v_dis = temp = None
    if "capacity" in cols:
        q = scaled("capacity", "capacity", "Ah", VENDOR_CHARGE_CAPACITY)
        units_found[VENDOR_CHARGE_CAPACITY] += " (per step, split by direction)"
        units_found[VENDOR_DISCHARGE_CAPACITY] = units_found[VENDOR_CHARGE_CAPACITY]
        v_ch, v_dis = vendor_capacity_split(
            q, current, cycle, step=step, reset_on_step=_resets_per_step(q, step)
        )
    if "temperature" in cols:
        col, _unit = cols["temperature"]
        temp = numeric(df[col], path, col)
        units_found[TEMPERATURE] = col
    start_time = None
    if summary.get("Started"):
        try:
            start_time = pd.Timestamp(summary["Started"]).isoformat()
        except (ValueError, TypeError):
            notes.append(f"could not read the start time {summary['Started']!r}")
    mass_mg = area_cm2 = None
    try:
        mass_g = float(summary.get("Mass (g)", "nan"))
        area = float(summary.get("Area (cm2)", "nan"))
    except ValueError:
        mass_g = area = float("nan")
    if np.isfinite(mass_g) and mass_g > 0 and mass_g != 1.0:
        mass_mg = mass_g * 1e3
    if np.isfinite(area) and area > 0 and area != 1.0:
        area_cm2 = area
    if mass_g == 1.0 or area == 1.0:
        notes.append("Mass (g) / Area (cm2) of 1.000 are UHPC placeholders: not used")
    extra: dict[str, Any] = dict(summary)
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=current,
        instrument="novonix",
        file_format="novonix",
        reader=f"lilean novonix; {library_version('pandas')}",
        units_found=units_found,
        original_columns=columns,
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=start_time,
        area_cm2=area_cm2,
        active_mass_mg=mass_mg,
        notes=notes,
        extra=extra,
    )


register(
    Reader(
        name="novonix",
        instrument="novonix",
        extensions=(".csv",),
        sniff=_sniff,
        read=read,
        description="Novonix UHPC CSV ([Summary] / [Protocol] / [Data] sections)",
    )
)
