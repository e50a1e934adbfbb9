"""Helpers shared by the analysis modules (private).

Everything here works on the canonical table of :mod:`lilean.schema`, measured or simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from pydantic import BaseModel

from lilean.errors import LileanError
from lilean.schema import (
    CHARGE,
    CURRENT,
    CYCLE,
    DISCHARGE,
    REQUIRED_COLUMNS,
    STEP_TYPE,
    TIME,
    VOLTAGE,
    CyclingData,
    Metadata,
    to_json_records,
)

TableLike: TypeAlias = CyclingData | pd.DataFrame


def unpack(data: TableLike) -> tuple[pd.DataFrame, Metadata | None]:
    """The DataFrame and (when there is one) the metadata of ``data``.

    Raises :class:`LileanError` when a required column is missing or the table is empty.
    """
    if isinstance(data, CyclingData):
        frame, meta = data.data, data.meta
    elif isinstance(data, pd.DataFrame):
        frame, meta = data, None
    else:
        raise LileanError(
            f"expected a CyclingData or a pandas DataFrame, got {type(data).__name__}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise LileanError(f"cycling table lacks required columns {missing}")
    if len(frame) == 0:
        raise LileanError("cycling table has no rows")
    return frame, meta


def meta_value(meta: Metadata | None, name: str, given: float | None) -> float | None:
    """``given`` if not None, else the metadata field ``name`` (e.g. ``area_cm2``), else None."""
    if given is not None:
        if not np.isfinite(given) or given <= 0:
            raise LileanError(f"{name} must be a positive number, got {given}")
        return float(given)
    if meta is None:
        return None
    value = getattr(meta, name, None)
    return None if value is None else float(value)


@dataclass(frozen=True)
class Segment:
    """A maximal run of consecutive rows with the same non-rest step type (a half-cycle)."""

    kind: str  # "charge" or "discharge"
    start: int  # first row (positional)
    stop: int  # one past the last row (positional)
    cycle: int  # instrument cycle of the first row

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[self.start : self.stop]


def segments(frame: pd.DataFrame) -> list[Segment]:
    """Half-cycles: maximal runs of rows whose ``Step type`` is ``charge`` or ``discharge``.

    A rest row ends a run; two runs of the same type separated only by a rest stay separate.
    """
    st = frame[STEP_TYPE].astype("string").fillna("rest").to_numpy(dtype=object)
    cyc = frame[CYCLE].to_numpy()
    n = st.size
    change = np.concatenate([[True], st[1:] != st[:-1]])
    starts = np.flatnonzero(change)
    stops = np.concatenate([starts[1:], [n]])
    out: list[Segment] = []
    for a, b in zip(starts, stops, strict=True):
        kind = st[a]
        if kind in (CHARGE, DISCHARGE):
            out.append(Segment(str(kind), int(a), int(b), int(cyc[a])))
    return out


def arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time [s], voltage [V] and current [A] as float arrays."""
    return (
        frame[TIME].to_numpy(dtype=float),
        frame[VOLTAGE].to_numpy(dtype=float),
        frame[CURRENT].to_numpy(dtype=float),
    )


def window_median(t: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    """Median of ``y`` over ``lo <= t <= hi``; the nearest sample when the window holds none."""
    mask = (t >= lo) & (t <= hi)
    if mask.any():
        return float(np.median(y[mask]))
    mid = 0.5 * (lo + hi)
    return float(y[int(np.argmin(np.abs(t - mid)))])


class Result(BaseModel):
    """Base of analysis results: a pydantic model with a JSON-ready :meth:`to_dict`."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (NaN -> None) for ``--json`` output."""
        out = to_json_records(self.model_dump(by_alias=True))
        assert isinstance(out, dict)
        return out


def frame_to_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """A DataFrame as JSON-ready columns ``{name: [values]}`` (NaN -> None, numpy -> Python)."""
    columns = to_json_records(frame.to_dict(orient="list"))
    assert isinstance(columns, dict)
    return columns
