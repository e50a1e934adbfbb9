"""LAND (Wuhan LAND / LANHE, e.g. CT2001A) exports from LANDdt: Excel ``.xlsx``/``.xls`` with a
record sheet (``Record-Tab``) and a cycle sheet (``Cycle-Tab``), or the record table as ``.csv``.

Record headers are ``Name/unit``: ``Record``, ``TestTime/Sec``, ``StepTime/Sec``, ``Current/mA``,
``Capacity/mAh``, ``SpeCap/mAh/g``, ``Voltage/V``, ``Energy/mWh``, ``SysTime``, ``Cycle-Index``,
``Step-Index``, ``Step-State`` (``R`` rest, ``RateC``/``CC_Chg``... charge, ``RateD``/``CC_DChg``...
discharge). The unit after the first ``/`` is converted with :func:`lilean.units.factor`; time
may also be ``d-hh:mm:ss`` text.

Sign: LANDdt writes discharge currents negative (checked on the Si||Li file in the tests: the
first step ``RateD`` has I < 0 and the voltage falls from 2.0 V to 0.05 V). When the export has
unsigned currents the ``Step-State`` decides (charge +, discharge -), as for Maccor.

Capacity: ``Capacity/mAh`` is one counter for both directions that LANDdt restarts when the
direction changes (it carries over a rest); it is split per cycle and direction with
:func:`lilean.io.common.vendor_capacity_split`. The active mass is not a field of the export,
but ``SpeCap = Capacity / mass``, so it is recovered as ``mass_mg = 1000 * Capacity/mAh /
SpeCap/(mAh/g)`` when the ratio is the same on every row (within 0.5 %).

All three containers are parsed by one function (:func:`_from_records`); Excel files are read with
python-calamine (xlsx and xls; about 10x faster than openpyxl on 16k rows).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import (
    fill_gaps,
    finish,
    head_text,
    library_version,
    numeric,
    read_text,
    scaled_column,
    table_from_lines,
    time_column_s,
    vendor_capacity_split,
    xlsx_sheet_names,
)
from lilean.io.registry import Reader, register
from lilean.schema import (
    CURRENT,
    CYCLE,
    STEP,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
)

HEAD_CHUNK = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

_TIME_UNITS = {"sec": "s", "s": "s", "min": "min", "h": "h", "hr": "h", "ms": "ms"}
_CHARGE_STATES = re.compile(r"^(ratec|c|cc_chg|cv_chg|ccv_chg|chg|charge|cc-c|cv-c)$", re.I)
_DISCHARGE_STATES = re.compile(
    r"^(rated|d|cc_dchg|cv_dchg|ccv_dchg|dchg|discharge|cc-d|cv-d)$", re.I
)


def _split(header: str) -> tuple[str, str | None]:
    text = str(header).strip()
    if "/" in text:
        base, unit = text.split("/", 1)
        return base.strip().lower(), unit.strip()
    return text.lower(), None


def _columns(headers: list[str]) -> dict[str, tuple[str, str | None]]:
    """canonical key -> (header, unit)."""
    want = {
        "testtime": "time",
        "current": "current",
        "voltage": "voltage",
        "capacity": "capacity",
        "specap": "specap",
        "cycle-index": "cycle",
        "step-index": "step",
        "step-state": "state",
        "systime": "clock",
        "record": "record",
    }
    out: dict[str, tuple[str, str | None]] = {}
    for h in headers:
        base, unit = _split(h)
        key = want.get(base)
        if key and key not in out:
            out[key] = (str(h), unit)
    return out


def _is_record_header(fields: list[Any]) -> bool:
    cols = _columns([str(f) for f in fields])
    return (
        all(k in cols for k in ("time", "current", "voltage"))
        and ("state" in cols or "cycle" in cols)
        and cols["time"][0].lower().startswith("testtime")
    )


# ---- sniffing ----------------------------------------------------------------------------------


def _record_sheet(wb: Any) -> tuple[str, list[list[Any]]] | None:
    """The first sheet whose first row is a LAND record header, and its rows."""
    names = list(wb.sheet_names)
    ordered = sorted(names, key=lambda n: "record" not in n.lower())
    for name in ordered:
        rows = wb.get_sheet_by_name(name).to_python()
        if rows and _is_record_header(rows[0]):
            return name, rows
    return None


def _sniff(path: Path, head: bytes) -> bool:
    if head.startswith(_ZIP_MAGIC):
        try:
            names = xlsx_sheet_names(path)
        except (KeyError, OSError, zipfile.BadZipFile):
            return False
        if not any("record" in n.lower() for n in names):
            return False
        # cheap: the header strings sit near the start of the shared-string table (or inline in
        # the sheet); loading the whole sheet here would double the reading time
        with zipfile.ZipFile(path) as zf:
            parts = [n for n in zf.namelist() if n.endswith("sharedStrings.xml")]
            parts += sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
            for part in parts:
                with zf.open(part) as fh:
                    chunk = fh.read(HEAD_CHUNK).decode("utf-8", errors="replace")
                if all(m in chunk for m in ("TestTime/", "Current/", "Voltage/")):
                    return True
        return False
    if head.startswith(_OLE_MAGIC):
        import python_calamine as pc

        try:
            wb = pc.CalamineWorkbook.from_path(str(path))
        except Exception:  # not a workbook (other OLE files: .doc, .msg, ...)
            return False
        if not any("record" in n.lower() for n in wb.sheet_names):
            return False
        return _record_sheet(wb) is not None
    text = head_text(head)
    if text is None:
        return False
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = _delimiter(first)
    return _is_record_header([f.strip().strip('"') for f in first.split(sep)])


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=lambda d: counts[d])


# ---- reading -----------------------------------------------------------------------------------


def read(path: str | Path) -> CyclingData:
    """Read a LANDdt export (.xlsx, .xls or .csv; detected from the content, not the name)."""
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(8)
    cycle_table: pd.DataFrame | None = None
    notes: list[str] = []
    if magic.startswith(_ZIP_MAGIC) or magic.startswith(_OLE_MAGIC):
        import python_calamine as pc

        try:
            wb = pc.CalamineWorkbook.from_path(str(path))
            found = _record_sheet(wb)
            cyc_names = [n for n in wb.sheet_names if "cycle" in n.lower()]
            if cyc_names:
                crow = wb.get_sheet_by_name(cyc_names[0]).to_python()
                if len(crow) > 1:
                    cycle_table = pd.DataFrame(crow[1:], columns=[str(c) for c in crow[0]])
        except Exception as exc:
            raise FileFormatError(
                path, f"not a readable Excel workbook ({type(exc).__name__}: {exc})"
            ) from None
        if found is None:
            raise FileFormatError(
                path, "no LAND record sheet (first row TestTime/..., Current/..., Voltage/...)"
            )
        sheet, rows = found
        if len(rows) < 2:
            raise FileFormatError(path, f"sheet {sheet!r} has a header but no records")
        df = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
        container = "xlsx" if magic.startswith(_ZIP_MAGIC) else "xls"
        reader = library_version("python-calamine")
    else:
        text = read_text(path)
        lines = text.splitlines()
        if not lines or not _is_record_header(lines[0].split(_delimiter(lines[0]))):
            raise FileFormatError(
                path, "first line is not a LAND record header (TestTime/..., Current/..., ...)"
            )
        df, notes = table_from_lines(path, lines, 0, sep=_delimiter(lines[0]))
        container, sheet = "csv", ""
        reader = f"lilean land; {library_version('pandas')}"
    return _from_records(path, df, container, sheet, reader, notes, cycle_table)


def _from_records(
    path: Path,
    df: pd.DataFrame,
    container: str,
    sheet: str,
    reader: str,
    notes: list[str],
    cycle_table: pd.DataFrame | None,
) -> CyclingData:
    cols = _columns([str(c) for c in df.columns])
    units_found: dict[str, str] = {}
    t_col, t_unit_raw = cols["time"]
    t_unit = _TIME_UNITS.get((t_unit_raw or "").lower(), t_unit_raw)
    time_s, t_desc, _start = time_column_s(df[t_col], path, t_col, t_unit)
    units_found[TIME] = t_desc

    def scaled(key: str, dim: str, default: str) -> tuple[np.ndarray, str]:
        col, unit = cols[key]
        return scaled_column(df[col], path, col, unit, dimension=dim, default=default)

    voltage, units_found[VOLTAGE] = scaled("voltage", "voltage", "V")
    current, units_found[CURRENT] = scaled("current", "current", "mA")
    if "state" in cols:
        state = df[cols["state"][0]].astype("string").str.strip().fillna("")
        is_c = state.str.match(_CHARGE_STATES).fillna(False).to_numpy(dtype=bool)
        is_d = state.str.match(_DISCHARGE_STATES).fillna(False).to_numpy(dtype=bool)
        signed = np.where(is_c, np.abs(current), np.where(is_d, -np.abs(current), current))
        n_flip = int(np.sum(signed != current))
        if n_flip:
            notes.append(f"sign of {n_flip} current value(s) set from {cols['state'][0]!r}")
        current = signed
    cycle = step = None
    if "cycle" in cols:
        cycle = fill_gaps(numeric(df[cols["cycle"][0]], path, cols["cycle"][0]))
        units_found[CYCLE] = cols["cycle"][0]
    if "step" in cols:
        step = fill_gaps(numeric(df[cols["step"][0]], path, cols["step"][0]))
        units_found[STEP] = cols["step"][0]
    v_ch = v_dis = None
    active_mass_mg = None
    if "capacity" in cols:
        cap_mAh, desc = scaled("capacity", "capacity", "mAh")
        v_ch, v_dis = vendor_capacity_split(cap_mAh, current, cycle, step=step)
        units_found[VENDOR_CHARGE_CAPACITY] = f"{desc} (split by direction)"
        units_found[VENDOR_DISCHARGE_CAPACITY] = units_found[VENDOR_CHARGE_CAPACITY]
        if "specap" in cols and (cols["specap"][1] or "").lower() == "mah/g":
            spe = numeric(df[cols["specap"][0]], path, cols["specap"][0])
            ok = (cap_mAh > 1e-3 * np.nanmax(cap_mAh)) & (spe > 0)
            if ok.sum() >= 3:
                mass = 1e3 * cap_mAh[ok] / spe[ok]
                med = float(np.median(mass))
                if med > 0 and float(np.max(np.abs(mass - med))) <= 5e-3 * med:
                    active_mass_mg = med
                    notes.append(
                        "active mass recovered from Capacity/SpeCap: "
                        f"{med:.4g} mg (LANDdt's SpeCap uses the mass entered for the test)"
                    )
    start_time = None
    if "clock" in cols:
        first = df[cols["clock"][0]].iloc[0]
        try:
            ts = pd.Timestamp(first)
            start_time = None if pd.isna(ts) else ts.isoformat()
        except (ValueError, TypeError):
            start_time = None
    extra: dict[str, Any] = {"container": container}
    if sheet:
        extra["record_sheet"] = sheet
    if cycle_table is not None:
        keep = [c for c in cycle_table.columns if c.split("/")[0] in ("Cycle", "CapC", "CapD")]
        extra["cycle_table"] = {
            c: [float(v) if isinstance(v, (int, float)) else None for v in cycle_table[c]]
            for c in keep
        }
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=current,
        instrument="land",
        file_format=f"land-{container}",
        reader=reader,
        units_found=units_found,
        original_columns=[str(c) for c in df.columns],
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        start_time=start_time,
        active_mass_mg=active_mass_mg,
        notes=notes,
        extra=extra,
    )


register(
    Reader(
        name="land",
        instrument="land",
        extensions=(".xlsx", ".xls", ".csv"),
        sniff=_sniff,
        read=read,
        description="LAND/LANHE LANDdt export (Record-Tab/Cycle-Tab workbook, or record CSV)",
    )
)
