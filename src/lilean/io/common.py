"""What every reader shares: turning arrays in canonical units into a validated CyclingData."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.schema import (
    TEMPERATURE,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    CyclingData,
    Metadata,
    build_table,
    file_sha256,
    validate,
)


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


def as_float(values: Any, path: Path, column: str) -> np.ndarray:
    """Numeric column -> float array; a clear error naming the column and the first bad row."""
    series = pd.Series(values)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype("string").str.strip().str.replace(",", ".", regex=False)
        numeric = pd.to_numeric(text, errors="coerce")
        bad = numeric.isna() & text.notna() & (text != "")
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileFormatError(
                path, f"column {column!r}: non-numeric value {series.iloc[first]!r}", row=first + 1
            )
        return numeric.to_numpy(dtype=float)
    try:
        return series.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise FileFormatError(path, f"column {column!r} is not numeric ({exc})") from None


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
) -> CyclingData:
    """Build the schema table from canonical-unit arrays, validate it, and attach metadata.

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

    def sel(a: Any | None) -> np.ndarray | None:
        return None if a is None else np.asarray(a)[keep]

    t = t[keep]
    extra_cols: dict[str, Any] = {}
    if vendor_charge_capacity_mAh is not None:
        extra_cols[VENDOR_CHARGE_CAPACITY] = np.asarray(
            sel(vendor_charge_capacity_mAh), dtype=float
        )
    if vendor_discharge_capacity_mAh is not None:
        extra_cols[VENDOR_DISCHARGE_CAPACITY] = np.asarray(
            sel(vendor_discharge_capacity_mAh), dtype=float
        )
    if temperature_degC is not None:
        extra_cols[TEMPERATURE] = np.asarray(sel(temperature_degC), dtype=float)
    data = build_table(
        t - t[0],
        v[keep],
        i[keep],
        cycle=sel(cycle),
        step=sel(step),
        extra=extra_cols,
    )
    anomalies += validate(data, source=path)
    meta = Metadata(
        source_file=str(path),
        source_sha256=file_sha256(path),
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
    )
    return CyclingData(data, meta)
