"""The one table for all cycling data, measured or simulated.

Columns follow the PyBaMM / PyProBE convention (name, then unit in square brackets):

==========================  ========  ===========================================================
column                      dtype     meaning
==========================  ========  ===========================================================
``Time [s]``                float64   test time since the first record; must never decrease
``Voltage [V]``             float64   cell voltage (working electrode vs counter/reference)
``Current [A]``             float64   **positive = charge = oxidation at the working electrode**
``Cycle``                   int64     1-based cycle index (the instrument's, or the protocol's)
``Step``                    int64     1-based step index, increases whenever the step changes
``Step type``               string    ``"charge"`` (I > 0), ``"discharge"`` (I < 0) or ``"rest"``
``Charge capacity [mAh]``   float64   charge passed at I > 0 since the start of the cycle (>= 0)
``Discharge capacity [mAh]``float64   charge passed at I < 0 since the start of the cycle (>= 0)
``Cycle label`` (optional)  category  protocol phase of the row's cycle, ``"formation"`` for
                                      formation cycles (simulated tables carry it; measured files
                                      may lack it, then no cycle counts as formation)
==========================  ========  ===========================================================

Sign convention (one, enforced by every reader and every model): a positive current charges the cell,
i.e. it oxidises the working electrode. In a Li || substrate cell, plating Li onto the substrate is a
*negative* current and the substrate potential then dips below 0 V vs Li/Li+; in a Li || LFP cell,
charging (delithiating LFP) is a positive current.

The two capacity columns (per cycle, >= 0) come from the instrument's own counter where the file has
one (the instrument integrates at its internal rate; integrating sparse logged rows is wrong across
pulses and gaps), and are otherwise computed from ``Current [A]`` and ``Time [s]`` (trapezoid rule).
``Metadata.capacity_source`` says which, per direction; a disagreement between the two is recorded in
``Metadata.anomalies`` (cycle and size). The vendor's column is also kept as ``Vendor charge capacity
[mAh]`` / ``Vendor discharge capacity [mAh]``.

Metadata (cell area, active mass, source file and its hash, instrument, units found in the file, ...)
travels with the table in :class:`Metadata` and is stored in the Parquet file's schema metadata, so a
Parquet round trip loses nothing.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from lilean.errors import FileFormatError, OutputError, SourceChangedError

TIME = "Time [s]"
VOLTAGE = "Voltage [V]"
CURRENT = "Current [A]"
CYCLE = "Cycle"
STEP = "Step"
STEP_TYPE = "Step type"
CHARGE_CAPACITY = "Charge capacity [mAh]"
DISCHARGE_CAPACITY = "Discharge capacity [mAh]"
VENDOR_CHARGE_CAPACITY = "Vendor charge capacity [mAh]"
VENDOR_DISCHARGE_CAPACITY = "Vendor discharge capacity [mAh]"
TEMPERATURE = "Temperature [degC]"
#: optional per-row label of the cycle's protocol phase; ``"formation"`` marks formation cycles
#: (analysis numbers cycles and takes the retention reference after them); measured files may lack it
CYCLE_LABEL = "Cycle label"
FORMATION = "formation"

REQUIRED_COLUMNS: tuple[str, ...] = (
    TIME,
    VOLTAGE,
    CURRENT,
    CYCLE,
    STEP,
    STEP_TYPE,
    CHARGE_CAPACITY,
    DISCHARGE_CAPACITY,
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    TEMPERATURE,
    CYCLE_LABEL,
)

CHARGE, DISCHARGE, REST = "charge", "discharge", "rest"

SIGN_CONVENTION = "positive current = charge of the cell = oxidation of the working electrode"

PARQUET_METADATA_KEY = b"lilean.metadata"


class Metadata(BaseModel):
    """What travels with a cycling table. All fields are JSON-serialisable."""

    model_config = ConfigDict(extra="forbid")

    source_file: str | None = Field(None, description="file the data were read from")
    source_sha256: str | None = Field(None, description="sha256 of that file (provenance stamp)")
    instrument: str = Field(..., description="e.g. 'biologic', 'neware', 'lilean' for simulations")
    file_format: str = Field(..., description="reader name, e.g. 'biologic-mpr'")
    reader: str = Field("", description="library and version that parsed the file")
    area_cm2: float | None = Field(None, gt=0, description="electrode area")
    active_mass_mg: float | None = Field(None, gt=0, description="active material mass")
    units_found: dict[str, str] = Field(
        default_factory=dict, description="canonical column -> column/unit as found in the file"
    )
    original_columns: list[str] = Field(default_factory=list)
    start_time: str | None = Field(None, description="ISO 8601 start of the test, when known")
    sign_convention: str = SIGN_CONVENTION
    anomalies: list[str] = Field(default_factory=list, description="problems found while reading")
    notes: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict, description="instrument-specific header")
    capacity_source: dict[str, str] = Field(
        default_factory=dict,
        description="where 'Charge/Discharge capacity [mAh]' came from, per direction "
        "('charge', 'discharge'): 'instrument counter' (the file's own) or 'integrated current'; "
        "empty for tables built from current alone (simulations)",
    )

    #: the file's sha256 not yet computed (:class:`PendingSha256`): taken on first use of
    #: ``source_sha256``, of the serialised model (dump, JSON, Parquet, pickle), of ``==`` or
    #: ``repr``; ``None`` once taken (or when the stamp was given)
    _pending_sha256: Any = PrivateAttr(None)

    def __getattribute__(self, name: str) -> Any:
        # every read of the fields goes through ``source_sha256`` or ``__dict__`` (pydantic's
        # serialisers, copy, pickle and ``==`` read ``__dict__``): the pending hash is taken first
        if name in _SHA256_READS and not _KEEP_PENDING.get():
            private = object.__getattribute__(self, "__pydantic_private__")
            if private and private.get("_pending_sha256") is not None:
                pending = private["_pending_sha256"]
                object.__getattribute__(self, "__dict__")["source_sha256"] = pending.digest()
                private["_pending_sha256"] = None
        return super().__getattribute__(name)

    def defer_source_sha256(self, pending: PendingSha256) -> None:
        """Stamp ``source_sha256`` on first use, from ``pending`` (the file as stat'ed when read)."""
        object.__getattribute__(self, "__dict__")["source_sha256"] = None
        self.__pydantic_fields_set__.add("source_sha256")
        self.__pydantic_private__["_pending_sha256"] = pending  # type: ignore[index]

    @property
    def source_sha256_pending(self) -> bool:
        """Whether the file's sha256 is still to be computed (on first use)."""
        private = object.__getattribute__(self, "__pydantic_private__")
        return bool(private and private.get("_pending_sha256") is not None)

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Metadata:
        """pydantic's ``model_copy``; a pending hash stays pending in the copy (one computation
        serves both), unless ``update`` gives ``source_sha256``."""
        if not self.source_sha256_pending or deep:
            return super().model_copy(update=update, deep=deep)
        token = _KEEP_PENDING.set(True)
        try:
            copied = super().model_copy(update=update, deep=deep)
        finally:
            _KEEP_PENDING.reset(token)
        if update and "source_sha256" in update:
            copied.__pydantic_private__["_pending_sha256"] = None  # type: ignore[index]
        return copied

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """pydantic's ``model_dump``, a pending hash taken first (its refusal raised as is)."""
        _ = self.source_sha256
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:  # type: ignore[override]
        """pydantic's ``model_dump_json``, a pending hash taken first (its refusal raised as is)."""
        _ = self.source_sha256
        return super().model_dump_json(**kwargs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Metadata):
            _ = self.source_sha256, other.source_sha256  # both stamps taken before comparing
        return super().__eq__(other)


#: attribute reads of :class:`Metadata` that take a pending hash first
_SHA256_READS = frozenset({"source_sha256", "__dict__"})

#: set while :meth:`Metadata.model_copy` copies a model whose hash is pending
_KEEP_PENDING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lilean_keep_pending_sha256", default=False
)


def stat_record(st: os.stat_result) -> tuple[int, ...]:
    """What identifies a file's content without reading it: size, mtime and ctime (ns), inode,
    device. Any write changes mtime and ctime (ctime cannot be set back by ``utime``)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class PendingSha256:
    """The sha256 of a file that was read, taken later (on first use of the stamp): honest only
    while the file is the one that was read, so the file's :func:`stat_record` taken before the
    parse must still hold before and after hashing, else :class:`~lilean.errors.SourceChangedError`.
    Readers defer only files last written well before the read (:mod:`lilean.io.common`): a
    write since then changes the record, whatever the file system's timestamp granularity."""

    __slots__ = ("_digest", "path", "record")

    def __init__(self, path: str | Path, record: tuple[int, ...]) -> None:
        self.path = str(path)
        self.record = record
        self._digest: str | None = None

    def _check(self) -> None:
        try:
            now = stat_record(os.stat(self.path))
        except OSError as exc:
            raise SourceChangedError(
                self.path,
                f"no longer readable ({exc.strerror}) since the table was read: its sha256 "
                "(provenance stamp) cannot be taken; read the file again",
            ) from None
        if now != self.record:
            raise SourceChangedError(
                self.path,
                "file changed since the table was read (size, time stamps or inode differ): its "
                "sha256 would not be of the bytes that were read; read the file again",
            )

    def digest(self) -> str:
        """sha256 of the file (computed once), if it is still the file that was read."""
        if self._digest is None:
            self._check()
            digest = file_sha256(self.path)
            self._check()  # not changed while being hashed either
            self._digest = digest
        return self._digest

    def __repr__(self) -> str:
        return f"PendingSha256({self.path!r})"


@dataclass(frozen=True)
class CyclingData:
    """A cycling table (:data:`REQUIRED_COLUMNS`) and its :class:`Metadata`.

    Metadata is held beside the DataFrame, never in ``DataFrame.attrs`` (which pandas arithmetic drops).
    """

    data: pd.DataFrame
    meta: Metadata
    _validated: bool = field(default=False, repr=False, compare=False)

    # ---- convenience -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    @property
    def n_cycles(self) -> int:
        return int(self.data[CYCLE].nunique()) if len(self.data) else 0

    @property
    def duration_s(self) -> float:
        t = self.data[TIME]
        return float(t.iloc[-1] - t.iloc[0]) if len(t) else 0.0

    def with_meta(self, **changes: Any) -> CyclingData:
        """A copy with metadata fields changed (e.g. ``area_cm2=1.131``)."""
        return CyclingData(self.data, self.meta.model_copy(update=changes))

    def cycle(self, n: int) -> pd.DataFrame:
        return self.data[self.data[CYCLE] == n]

    # ---- persistence --------------------------------------------------------------------------
    def to_parquet(self, path: str | Path) -> Path:
        """Write table + metadata to Parquet atomically (a half-written file never appears)."""
        return write_parquet(self.data, self.meta, path)

    @classmethod
    def from_parquet(cls, path: str | Path) -> CyclingData:
        data, meta = read_parquet(path)
        if STEP_TYPE in data:
            data[STEP_TYPE] = data[STEP_TYPE].astype("string")
        return cls(data, meta)

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV and the metadata as JSON beside it (``<name>.meta.json``)."""
        path = Path(path)
        _refuse_overwriting_source(path, self.meta)
        meta_path = path.with_suffix(path.suffix + ".meta.json")
        with atomic_output(path) as tmp:
            self.data.to_csv(tmp, index=False)
        with atomic_output(meta_path) as tmp:
            tmp.write_text(self.meta.model_dump_json(indent=2))
        return path


class LazyCyclingData(CyclingData):
    """A :class:`CyclingData` whose table is built on first access of :attr:`data` (then kept),
    by ``build()`` from the arrays it closes over: a simulation hands back its result at the
    kernel's cost, and the tidy table costs only the callers who read it. Same table, same
    metadata; pickles (and copies) as a plain :class:`CyclingData` with the table built."""

    def __init__(self, build: Callable[[], pd.DataFrame], meta: Metadata) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "meta", meta)
        object.__setattr__(self, "_validated", False)

    @property
    def data(self) -> pd.DataFrame:
        table = self.__dict__.get("_data")
        if table is None:
            table = self.__dict__["_build"]()
            object.__setattr__(self, "_data", table)
            object.__setattr__(self, "_build", None)
        return table

    @property
    def built(self) -> bool:
        """Whether the table has been built."""
        return "_data" in self.__dict__

    def __reduce__(self) -> tuple[Any, ...]:
        return (CyclingData, (self.data, self.meta, self._validated))


# ---- helpers used by readers and models ------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """sha256 of every byte of the file, read in 64 KiB pieces into one reused buffer (a
    fresh 1 MiB ``bytes`` per piece costs more in page faults than the hash on some VMs)."""
    h = hashlib.sha256()
    buf = bytearray(1 << 16)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def step_type_from_current(current_A: np.ndarray, rel_tol: float = 1e-3) -> np.ndarray:
    """Classify each row as charge / discharge / rest from the sign of the current.

    A row is ``rest`` when ``|I| <= rel_tol * max|I|`` (and below 1e-12 A in any case).
    """
    return np.asarray(_STEP_TYPE_NAMES, dtype=object)[_step_type_codes(current_A, rel_tol)]


#: ``Step type`` labels by code (:func:`_step_type_codes`): 0 charge, 1 discharge, 2 rest
_STEP_TYPE_NAMES = (CHARGE, DISCHARGE, REST)


def _step_type_codes(current_A: np.ndarray, rel_tol: float = 1e-3) -> np.ndarray:
    """Codes of :func:`step_type_from_current` (int8: 0 charge, 1 discharge, 2 rest)."""
    current_A = np.asarray(current_A, dtype=float)
    peak = float(np.nanmax(np.abs(current_A))) if current_A.size else 0.0
    threshold = max(rel_tol * peak, 1e-12)
    codes = np.full(current_A.shape, 2, dtype=np.int8)
    codes[current_A > threshold] = 0
    codes[current_A < -threshold] = 1
    return codes


_STEP_TYPE_LABELS: list[Any] = []
#: immutable pyarrow columns of one repeated step type, by (code, rows): shared by the tables'
#: string arrays (pandas never writes into an arrow buffer; setting values makes a new one)
_REPEATED_STEP_TYPES: dict[tuple[int, int], Any] = {}


def _step_type_column(codes: np.ndarray) -> Any:
    """The ``string`` column of the step types from their codes (an array ``take``: no Python
    string per row; one step type throughout, e.g. a simulated discharge: a cached repeated
    column)."""
    if not _STEP_TYPE_LABELS:
        _STEP_TYPE_LABELS.append(pd.array(list(_STEP_TYPE_NAMES), dtype="string"))
    labels = _STEP_TYPE_LABELS[0]
    wrap = getattr(labels, "_from_pyarrow_array", None)
    if (
        codes.size
        and wrap is not None
        and isinstance(labels, pd.arrays.ArrowStringArray)
        and (codes == codes[0]).all()
    ):
        key = (int(codes[0]), int(codes.size))
        column = _REPEATED_STEP_TYPES.get(key)
        if column is None:
            import pyarrow as pa

            if len(_REPEATED_STEP_TYPES) >= 64:
                _REPEATED_STEP_TYPES.clear()
            column = pa.chunked_array([pa.repeat(labels._pa_array[key[0]], key[1])])
            _REPEATED_STEP_TYPES[key] = column
        return wrap(column)
    return labels.take(codes.astype(np.intp, copy=False))


def accumulate_per_cycle(increments: np.ndarray, cycle: np.ndarray | None) -> np.ndarray:
    """Cumulative sum of ``increments`` that restarts at 0 on the first row of every cycle.

    ``Q[k] = sum of d[j] over the rows j <= k of the cycle of row k, except its first row``:
    the increment ``d[j]`` is the charge passed between rows ``j-1`` and ``j``, attributed to the
    cycle of the later row, and nothing is carried across a cycle boundary. This is the
    convention of :func:`capacities_from_current`, which is built on it. ``cycle=None`` means one
    cycle; NaN increments count as 0.
    """
    return accumulate_per_cycle_into(np.array(increments, dtype=float), cycle)


def accumulate_per_cycle_into(d: np.ndarray, cycle: np.ndarray | None) -> np.ndarray:
    """:func:`accumulate_per_cycle` of a float64 array the caller owns, which it overwrites
    (NaN -> 0, then the running sum): one array fewer than the copying form, same values."""
    if not np.isfinite(d).all():  # (nan_to_num leaves finite values as they are)
        np.nan_to_num(d, copy=False, nan=0.0)
    n = d.size
    if n == 0:
        return d
    if cycle is not None:
        cy = np.asarray(cycle)
        starts = np.flatnonzero(cy[1:] != cy[:-1]) + 1
        d[0] = 0.0
        d[starts] = 0.0
        firsts = np.concatenate([[0], starts])
    else:
        d[0] = 0.0
        firsts = np.zeros(1, dtype=np.intp)
    np.cumsum(d, out=d)
    # cum[k] - cum[first row of k's cycle]: the first row's running sum repeated over its run
    base = np.repeat(d[firsts], np.diff(firsts, append=n))
    return np.subtract(d, base, out=base)


def capacities_from_current(
    time_s: np.ndarray, current_A: np.ndarray, cycle: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge capacity in mAh, accumulated within each cycle (trapezoid rule).

    ``Q_ch(t) = (1/3.6) * integral of max(I, 0) dt`` over the current cycle (A*s -> mAh: /3.6), and the
    same with ``max(-I, 0)`` for discharge. The interval between two rows is attributed to the cycle
    of the later row, and nothing is accumulated across a cycle boundary
    (:func:`accumulate_per_cycle`; ``cycle=None``: one cycle).
    """
    t = np.asarray(time_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    if t.size < 2:
        return np.zeros(t.size), np.zeros(t.size)
    dt = np.diff(t)

    def trapezoid_mAh(x: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], 0.5 * (x[1:] + x[:-1]) * dt / 3.6])

    return (
        accumulate_per_cycle(trapezoid_mAh(np.clip(i, 0, None)), cycle),
        accumulate_per_cycle(trapezoid_mAh(np.clip(-i, 0, None)), cycle),
    )


def steps_from_changes(step_type: np.ndarray, cycle: np.ndarray) -> np.ndarray:
    """A 1-based step index that increases whenever the step type or the cycle changes."""
    return _renumber(np.asarray(step_type), np.asarray(cycle))


def build_table(
    time_s: Any,
    voltage_V: Any,
    current_A: Any,
    *,
    cycle: Any | None = None,
    step: Any | None = None,
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Assemble a schema table from arrays in canonical units, computing the derived columns.

    ``cycle``/``step`` default to 1 / sign changes; cycles and steps are renumbered to start at 1
    and to increase monotonically (renumbering keeps the instrument's grouping). The arrays are
    copied (the table never shares memory with the inputs). Built from the arrays without Python
    per row: the step types as codes (one ``take`` makes the ``string`` column), the float and
    integer columns straight into the table's blocks where pandas offers
    ``pandas.api.internals.create_dataframe_from_blocks`` (pandas >= 3; otherwise, or with
    ``extra`` columns, through the ``DataFrame`` constructor: the same columns, dtypes and values),
    the derived columns in one compiled pass where numba is already imported (:func:`_fill_columns`)
    and by vectorised numpy otherwise.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    i = np.asarray(current_A, dtype=float)
    n = t.size
    if not extra and n > 1 and v.shape == i.shape == t.shape and t.ndim == 1:
        fill = _compiled_fill()
        if fill is not None:
            fast = _frame_compiled(fill, t, v, i, cycle, step)
            if fast is not None:
                return fast
    codes = _step_type_codes(i)
    cy = None if cycle is None else _renumber(np.asarray(cycle))
    if step is None:
        sp = _renumber(codes, cy)
    else:
        sp = _renumber(np.asarray(step), cy)
    st = _step_type_column(codes)
    if not extra and v.shape == i.shape == t.shape and t.ndim == 1:
        fast = _frame_from_blocks(t, v, i, cy, sp, st)
        if fast is not None:
            return fast
    q_ch, q_dis = capacities_from_current(t, i, cy)
    data = {
        TIME: t,
        VOLTAGE: v,
        CURRENT: i,
        CYCLE: np.ones(n, dtype=np.int64) if cy is None else cy,
        STEP: sp,
        STEP_TYPE: st,
        CHARGE_CAPACITY: q_ch,
        DISCHARGE_CAPACITY: q_dis,
    }
    for name, values in (extra or {}).items():
        data[name] = np.asarray(values)
    return pd.DataFrame(data)


_COLUMNS_INDEX: list[Any] = []
#: column positions of the float block (time, voltage, current, charge and discharge capacity)
_FLOAT_PLACEMENT = np.array([0, 1, 2, 6, 7], dtype=np.intp)
_INT_PLACEMENT = np.array([3, 4], dtype=np.intp)
_STRING_PLACEMENT = np.array([5], dtype=np.intp)


def _frame_from_blocks(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    cy: np.ndarray | None,
    sp: np.ndarray,
    st: Any,
) -> pd.DataFrame | None:
    """The table of :func:`build_table` assembled from its three blocks (one 2-D float array, one
    2-D int64 array, the string column), as ``pd.DataFrame(dict)`` would consolidate them, without
    the constructor's per-column inference; the capacities are integrated into the float block in
    place (the arithmetic of :func:`capacities_from_current`, so the same values to the bit).
    ``cy`` None: one cycle. None where pandas lacks the block constructor."""
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pandas < 3
        return None
    n = t.size
    floats = np.empty((5, n))
    floats[0] = t
    floats[1] = v
    floats[2] = i
    if n < 2:
        floats[3:] = 0.0
    else:
        dt = np.diff(t)
        starts = None if cy is None else np.flatnonzero(cy[1:] != cy[:-1]) + 1
        for row, x in ((3, np.clip(i, 0, None)), (4, np.clip(-i, 0, None))):
            out = floats[row]
            out[0] = 0.0
            inc = out[1:]
            np.add(x[1:], x[:-1], out=inc)
            inc *= 0.5
            inc *= dt
            inc /= 3.6
            if not np.isfinite(inc).all():
                np.nan_to_num(inc, copy=False)
            if starts is None or not starts.size:
                np.cumsum(out, out=out)
            else:
                out[starts] = 0.0
                np.cumsum(out, out=out)
                out -= np.repeat(
                    out[np.concatenate(([0], starts))], np.diff(starts, prepend=0, append=n)
                )
    ints = np.empty((2, n), dtype=np.int64)
    ints[0] = 1 if cy is None else cy
    ints[1] = sp
    if not _COLUMNS_INDEX:
        _COLUMNS_INDEX.append(pd.DataFrame(columns=list(REQUIRED_COLUMNS)).columns)
    return create_dataframe_from_blocks(
        [(floats, _FLOAT_PLACEMENT), (ints, _INT_PLACEMENT), (st, _STRING_PLACEMENT)],
        index=pd.RangeIndex(n),
        columns=_COLUMNS_INDEX[0].copy(),  # own object: Index.name can be set in place
    )


def _fill_columns(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    cy: np.ndarray,
    new_steps: bool,
    floats: np.ndarray,
    ints: np.ndarray,
    codes: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba (same values as the numpy path: tested)
    """One pass of :func:`build_table`'s derived columns into its blocks: ``floats`` rows time,
    voltage, current, charge and discharge capacity; ``ints`` rows cycle (``cy``, already
    renumbered) and step (from the step-type ``codes`` and the cycles when ``new_steps``; else
    left as given); the same arithmetic in the same order as :func:`_step_type_codes`,
    :func:`capacities_from_current` (numpy's ``cumsum`` is sequential) and :func:`_renumber`."""
    n = t.size
    peak = 0.0
    for r in range(n):
        a = abs(i[r])
        if a > peak:  # NaN never compares: nanmax
            peak = a
    threshold = max(1e-3 * peak, 1e-12)
    big = 1.7976931348623157e308
    cum_ch = 0.0
    cum_dis = 0.0
    base_ch = 0.0
    base_dis = 0.0
    for r in range(n):
        x = i[r]
        floats[0, r] = t[r]
        floats[1, r] = v[r]
        floats[2, r] = x
        ints[0, r] = cy[r]
        codes[r] = 0 if x > threshold else (1 if x < -threshold else 2)
        if r == 0 or cy[r] != cy[r - 1]:
            d_ch = 0.0
            d_dis = 0.0
            start = True
        else:
            start = False
            x0 = i[r - 1]
            dt = t[r] - t[r - 1]
            p1 = x if x > 0.0 or x != x else 0.0
            p0 = x0 if x0 > 0.0 or x0 != x0 else 0.0
            m1 = -x if -x > 0.0 or x != x else 0.0
            m0 = -x0 if -x0 > 0.0 or x0 != x0 else 0.0
            d_ch = 0.5 * (p1 + p0) * dt / 3.6
            d_dis = 0.5 * (m1 + m0) * dt / 3.6
            if d_ch != d_ch:
                d_ch = 0.0
            elif d_ch > big:
                d_ch = big
            elif d_ch < -big:
                d_ch = -big
            if d_dis != d_dis:
                d_dis = 0.0
            elif d_dis > big:
                d_dis = big
            elif d_dis < -big:
                d_dis = -big
        cum_ch += d_ch
        cum_dis += d_dis
        if start:
            base_ch = cum_ch
            base_dis = cum_dis
        floats[3, r] = cum_ch - base_ch
        floats[4, r] = cum_dis - base_dis
        if new_steps:
            if r == 0:
                ints[1, r] = 1
            else:
                change = codes[r] != codes[r - 1] or cy[r] != cy[r - 1]
                ints[1, r] = ints[1, r - 1] + (1 if change else 0)


_FILL: list[Any] = []


def _compiled_fill() -> Any:
    """:func:`_fill_columns` compiled by numba where numba is already imported (the simulations);
    None otherwise (the numpy path: a table never pays numba's import)."""
    if not _FILL:
        import sys

        if "numba" not in sys.modules:
            return None
        from numba import njit

        _FILL.append(njit(cache=True)(_fill_columns))
    return _FILL[0]


def _frame_compiled(
    fill: Any, t: np.ndarray, v: np.ndarray, i: np.ndarray, cycle: Any, step: Any
) -> pd.DataFrame | None:
    """:func:`build_table`'s table with the derived columns from the compiled :func:`_fill_columns`."""
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pandas < 3
        return None
    n = t.size
    cy = np.ones(n, dtype=np.int64) if cycle is None else _renumber(np.asarray(cycle))
    floats = np.empty((5, n))
    ints = np.empty((2, n), dtype=np.int64)
    codes = np.empty(n, dtype=np.int8)
    if step is not None:
        ints[1] = _renumber(np.asarray(step), cy)
    fill(t, v, i, cy, step is None, floats, ints, codes)
    if not _COLUMNS_INDEX:
        _COLUMNS_INDEX.append(pd.DataFrame(columns=list(REQUIRED_COLUMNS)).columns)
    return create_dataframe_from_blocks(
        [
            (floats, _FLOAT_PLACEMENT),
            (ints, _INT_PLACEMENT),
            (_step_type_column(codes), _STRING_PLACEMENT),
        ],
        index=pd.RangeIndex(n),
        columns=_COLUMNS_INDEX[0].copy(),  # own object: Index.name can be set in place
    )


def _renumber(values: np.ndarray, cycle: np.ndarray | None = None) -> np.ndarray:
    """1-based index that increases by one every time ``values`` (or ``cycle``) changes."""
    if values.size == 0:
        return values.astype(np.int64)
    change = values[1:] != values[:-1]
    if cycle is not None:
        change = change | (cycle[1:] != cycle[:-1])
    return np.cumsum(np.concatenate([[True], change])).astype(np.int64)


def validate(data: pd.DataFrame, *, source: str | Path = "<table>") -> list[str]:
    """Check a table against the schema. Raises :class:`FileFormatError` on a broken table and
    returns a list of anomalies (human-readable) that do not make the table unusable."""
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        raise FileFormatError(source, f"table lacks required columns {missing}")
    return validate_columns(
        data[TIME].to_numpy(dtype=float),
        data[VOLTAGE].to_numpy(dtype=float),
        data[CURRENT].to_numpy(dtype=float),
        data[CYCLE].to_numpy(),
        source=source,
    )


def validate_columns(
    t: np.ndarray,
    voltage: np.ndarray,
    current: np.ndarray,
    cycle: np.ndarray,
    *,
    source: str | Path = "<table>",
) -> list[str]:
    """:func:`validate` on the arrays of a table's time, voltage, current and cycle columns (a
    reader that has just built the table from them skips the DataFrame look-ups)."""
    if len(t) == 0:
        raise FileFormatError(source, "no data rows")
    anomalies: list[str] = []
    for col, values in ((TIME, t), (VOLTAGE, voltage), (CURRENT, current)):
        n_nan = int(np.isnan(values).sum())
        if n_nan:
            anomalies.append(f"{n_nan} NaN value(s) in {col!r}")
    dt = np.diff(t)
    back = np.flatnonzero(dt < 0)
    if back.size:
        anomalies.append(
            f"time goes backwards {back.size} time(s), first at data row {int(back[0]) + 2}"
        )
    if t.size > 2:
        # a gap exceeds max(100 x median, 1 h) >= 1 h: none when no step exceeds 1 h (the
        # median, a sort of the steps, is then not needed)
        dt_pos = dt[dt > 0] if (dt > 3600.0).any() else dt[:0]
        if dt_pos.size:
            median = float(np.median(dt_pos))
            gaps = np.flatnonzero(dt > max(100 * median, 3600.0))
            if gaps.size:
                anomalies.append(
                    f"{gaps.size} gap(s) in time longer than max(100 x median step, 1 h); "
                    f"largest {float(dt.max()):.0f} s at data row {int(np.argmax(dt)) + 2}"
                )
    if (np.diff(cycle) < 0).any():
        anomalies.append("cycle index decreases")
    return anomalies


def write_parquet(data: pd.DataFrame, meta: Metadata, path: str | Path) -> Path:
    """Write a table to Parquet with ``meta`` in the schema metadata, atomically; refuses to
    overwrite the table's own source file. Shared by every lilean table type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    _refuse_overwriting_source(path, meta)
    table = pa.Table.from_pandas(data, preserve_index=False)
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata(
        {**existing, PARQUET_METADATA_KEY: meta.model_dump_json().encode()}
    )
    with atomic_output(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_parquet(path: str | Path) -> tuple[pd.DataFrame, Metadata]:
    """Read a Parquet file written by :func:`write_parquet`: the table and its metadata."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types
        raise FileFormatError(path, f"not a readable Parquet file ({exc})") from exc
    raw = (table.schema.metadata or {}).get(PARQUET_METADATA_KEY)
    if raw is None:
        raise FileFormatError(path, "Parquet file has no lilean metadata (not written by lilean)")
    return table.to_pandas(), Metadata.model_validate_json(raw)


def _refuse_overwriting_source(path: Path, meta: Metadata) -> None:
    if meta.source_file and Path(meta.source_file).resolve() == path.resolve():
        raise OutputError(f"{path}: refusing to overwrite the input file")


class atomic_output:
    """Context manager yielding a temporary path next to ``path``; renamed onto ``path`` only if the
    block succeeds, so readers never see a half-written result."""

    def __init__(self, path: str | Path) -> None:
        from lilean.outputs import check_output

        # the one output policy: regular files only, never an input, never /proc, /sys, /dev
        self.path = check_output(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
        )
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def to_json_records(obj: Any) -> Any:
    """Make numpy/pandas values JSON-serialisable (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_json_records(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_records(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_json_records(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, BaseModel):
        return to_json_records(obj.model_dump())
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(to_json_records(obj))
