"""Generic delimited-text reader with an explicit column mapping.

Two entry points:

* :func:`read_csv_mapped` reads any delimited text table once you say which column is what and in
  which unit (``mapping = {"time": ("t/h", "h"), "voltage": ("E", "V"), "current": ("I", "mA")}``).
* The registered ``csv`` reader maps common header spellings automatically (``Time [s]``,
  ``time/s``, ``Test Time (s)``, ``Voltage (V)``, ``Current (mA)``, ...), including the CSV files
  lilean itself writes (:meth:`lilean.schema.CyclingData.to_csv`). Its sniffer is deliberately the
  most conservative of all readers: it claims a file only when the first line is a header in which
  time, voltage and current each map to exactly one column with a unit, and the header carries no
  marker of a vendor format that has its own reader.

Mapping-string syntax (the CLI's ``--map``), parsed by :func:`parse_mapping`::

    key=COLUMN[UNIT], key=COLUMN[UNIT], ...

* ``key`` is one of :data:`MAPPING_KEYS` (``time``, ``voltage``, ``current``, ``cycle``, ``step``,
  ``charge_capacity``, ``discharge_capacity``, ``capacity``, ``temperature``).
* ``COLUMN`` is the header text as written in the file (surrounding spaces are ignored). Put it in
  double quotes when it contains a comma, ``=`` or ends with ``]``: ``time="Time [s]"[s]``.
* ``[UNIT]`` is optional; it is the unit of the numbers in that column, one of those known to
  :func:`lilean.units.factor` for the key's dimension (``s``, ``min``, ``h``; ``V``, ``mV``; ``A``,
  ``mA``, ``uA``; ``Ah``, ``mAh``; ``degC``). A leading minus (``[-mA]``) says the file's current (or
  capacity) has the opposite sign to lilean's (positive = charge). Without a unit the unit written
  in the header (``I/mA``, ``Voltage (V)``) is used; time columns holding date-times or
  ``h:mm:ss`` strings need no unit. ``cycle`` and ``step`` take no unit.
* When ``COLUMN`` is not a header but ``COLUMN [UNIT]`` (or ``COLUMN[UNIT]``) is, that header is
  used, so ``time=Time [s]`` works for lilean's own CSV files.

Example: ``time=Test Time/h[h],voltage=Ecell[V],current=I/mA[mA],cycle=Cycle``.

Text, number, time and vendor-capacity helpers live in :mod:`lilean.io.common`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError, LileanError, ParameterError
from lilean.io.common import (
    column_factor,
    describe_unit,
    fill_gaps,
    finish,
    head_text,
    library_version,
    numeric,
    read_text,
    table_from_lines,
    time_column_s,
    vendor_capacity_per_cycle,
    vendor_capacity_split,
)
from lilean.io.registry import Reader, readers, register
from lilean.schema import (
    CURRENT,
    CYCLE,
    CYCLE_LABEL,
    STEP,
    STEP_TYPE,
    TEMPERATURE,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
)
from lilean.units import factor, unit_from_column

#: mapping keys and the physical dimension of each (``None``: a dimensionless index)
MAPPING_KEYS: dict[str, str | None] = {
    "time": "time",
    "voltage": "voltage",
    "current": "current",
    "cycle": None,
    "step": None,
    "charge_capacity": "capacity",
    "discharge_capacity": "capacity",
    "capacity": "capacity",
    "temperature": "temperature",
}

#: one mapping entry: (column as written in the file, unit or None)
ColumnMap = dict[str, tuple[str, str | None]]


# ================================================================================================
# mapping strings
# ================================================================================================

_ENTRY = re.compile(
    r"""^\s*(?P<key>[A-Za-z_]+)\s*=\s*
        (?:"(?P<quoted>[^"]*)"|(?P<plain>.*?))
        \s*(?:\[(?P<unit>[^\[\]]*)\])?\s*$""",
    re.VERBOSE,
)


def _split_entries(text: str) -> list[str]:
    """Split at commas outside double quotes and square brackets."""
    out: list[str] = []
    buf: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "[":
            depth += 1
        elif not quoted and ch == "]":
            depth = max(depth - 1, 0)
        if ch == "," and not quoted and depth == 0:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if quoted:
        raise ParameterError(f"--map {text!r}: unbalanced double quote")
    out.append("".join(buf))
    return out


def parse_mapping(text: str) -> ColumnMap:
    """Parse a ``--map`` string (syntax in the module docstring) into a mapping for
    :func:`read_csv_mapped`.

    >>> parse_mapping("time=Test Time/h[h],voltage=Ecell[V],current=I/mA[mA],cycle=Cycle")["time"]
    ('Test Time/h', 'h')

    Raises :class:`~lilean.errors.ParameterError` naming the entry and what was expected.
    """
    if not text or not text.strip():
        raise ParameterError("--map is empty; expected 'time=COLUMN[unit],voltage=...,current=...'")
    mapping: ColumnMap = {}
    for entry in _split_entries(text):
        if not entry.strip():
            raise ParameterError(f"--map {text!r}: empty entry (two commas in a row?)")
        m = _ENTRY.match(entry)
        if m is None or "=" not in entry:
            raise ParameterError(
                f"--map entry {entry.strip()!r}: expected key=COLUMN or key=COLUMN[unit]"
            )
        key = m.group("key").lower()
        column = m.group("quoted") if m.group("quoted") is not None else m.group("plain")
        column = (column or "").strip()
        unit = m.group("unit")
        unit = unit.strip() if unit is not None else None
        if key not in MAPPING_KEYS:
            raise ParameterError(
                f"--map entry {entry.strip()!r}: unknown key {key!r}; expected one of "
                f"{sorted(MAPPING_KEYS)}"
            )
        if key in mapping:
            raise ParameterError(f"--map: key {key!r} given twice")
        if not column:
            raise ParameterError(f"--map entry {entry.strip()!r}: no column name after '='")
        _check_unit(key, unit, where=f"--map entry {entry.strip()!r}")
        mapping[key] = (column, unit or None)
    missing = [k for k in ("time", "voltage", "current") if k not in mapping]
    if missing:
        raise ParameterError(f"--map {text!r}: missing required key(s) {missing}")
    return mapping


def _check_unit(key: str, unit: str | None, *, where: str) -> None:
    dim = MAPPING_KEYS[key]
    if unit is None or unit == "":
        return
    if dim is None:
        raise ParameterError(f"{where}: {key!r} is an index and takes no unit (got {unit!r})")
    u = unit[1:] if unit.startswith("-") else unit
    if unit.startswith("-") and key not in ("current", "capacity"):
        raise ParameterError(f"{where}: a sign flip '-' is only allowed for current/capacity")
    try:
        factor(u, dim)
    except LileanError as exc:
        raise ParameterError(f"{where}: {exc}") from None


# ================================================================================================
# reading with a mapping
# ================================================================================================


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in ("\t", ";", ",", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _guess_decimal(df: pd.DataFrame, delimiter: str) -> str:
    """``","`` when numbers like ``3,141`` appear and the delimiter is not a comma."""
    if delimiter == ",":
        return "."
    sample = pd.concat([df[c].head(50) for c in df.columns[: min(len(df.columns), 12)]])
    text = sample.astype("string").str.strip()
    comma = text.str.fullmatch(r"-?\d+,\d+(?:[eE][-+]?\d+)?").sum()
    dot = text.str.fullmatch(r"-?\d+\.\d+(?:[eE][-+]?\d+)?").sum()
    return "," if comma > dot else "."


def _resolve_column(
    path: Path, headers: list[str], key: str, column: str, unit: str | None
) -> tuple[str, str | None]:
    """The header that ``column`` names (see the module docstring) and the unit to use."""
    if column in headers:
        return column, unit if unit else unit_from_column(column)
    if unit:
        bare = unit.lstrip("-")
        for cand in (
            f"{column} [{bare}]",
            f"{column}[{bare}]",
            f"{column} ({bare})",
            f"{column}/{bare}",
        ):
            if cand in headers:
                return cand, unit
    lowered = {h.lower(): h for h in headers}
    if column.lower() in lowered:
        h = lowered[column.lower()]
        return h, unit if unit else unit_from_column(h)
    raise FileFormatError(
        path, f"mapped column {column!r} (for {key}) not found; the header has {headers}"
    )


def _unit_or_error(path: Path, key: str, header: str, unit: str | None) -> str:
    if unit:
        return unit
    dim = MAPPING_KEYS[key]
    raise FileFormatError(
        path,
        f"column {header!r} (for {key}) has no unit; expected a {dim} unit in the header "
        f"(e.g. '{header} [{_EXAMPLE_UNIT[str(dim)]}]') or in the mapping ({key}={header}[unit])",
    )


_EXAMPLE_UNIT = {
    "time": "s",
    "voltage": "V",
    "current": "mA",
    "capacity": "mAh",
    "temperature": "degC",
}


def _find_header(lines: list[str], delimiter: str | None, wanted: list[str]) -> int:
    """Index of the first line that contains every wanted column name."""
    for k, line in enumerate(lines[:500]):
        if not line.strip():
            continue
        d = delimiter or _sniff_delimiter(line)
        fields = [f.strip().strip('"') for f in next(csv.reader([line], delimiter=d))]
        if all(w in fields or any(f.startswith(w) for f in fields) for w in wanted):
            return k
    return 0


def read_csv_mapped(
    path: str | Path,
    mapping: Mapping[str, tuple[str, str | None]] | str,
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    skiprows: int | None = None,
) -> CyclingData:
    """Read a delimited text table whose columns are named by ``mapping``.

    Parameters
    ----------
    path: the file (never modified).
    mapping: ``{key: (column, unit)}`` (keys in :data:`MAPPING_KEYS`; ``time``, ``voltage`` and
        ``current`` required), or a mapping string for :func:`parse_mapping`.
    delimiter: field separator; sniffed from the header line when ``None`` (tab, ``;``, ``,``, ``|``).
    decimal: ``"."`` or ``","``; guessed from the data when ``None``.
    skiprows: lines before the header; when ``None`` the header is the first line that holds
        every mapped column name.

    Conversion: each column is multiplied by :func:`lilean.units.factor` of its unit; a ``-``
    before the unit flips the sign. Without a cycle column the table is one cycle; without a
    step column steps follow the sign of the current (:func:`lilean.schema.build_table`).
    """
    path = Path(path)
    if isinstance(mapping, str):
        mapping = parse_mapping(mapping)
    mapping = dict(mapping)
    for key in ("time", "voltage", "current"):
        if key not in mapping:
            raise ParameterError(f"mapping lacks required key {key!r}; got {sorted(mapping)}")
    for key, (_col, unit) in mapping.items():
        if key not in MAPPING_KEYS:
            raise ParameterError(
                f"unknown mapping key {key!r}; expected one of {sorted(MAPPING_KEYS)}"
            )
        _check_unit(key, unit, where=f"mapping {key!r}")
    text = read_text(path)
    lines = text.splitlines()
    if skiprows is None:
        header_index = _find_header(lines, delimiter, [c for c, _u in mapping.values()])
    else:
        header_index = skiprows
    if header_index >= len(lines):
        raise FileFormatError(path, f"skiprows={skiprows} is past the end of the file")
    sep = delimiter or _sniff_delimiter(lines[header_index])
    df, anomalies = table_from_lines(path, lines, header_index, sep=sep)
    dec = decimal or _guess_decimal(df, sep)
    return _build_from_mapping(
        path, df, mapping, decimal=dec, file_format="csv", notes=anomalies, sep=sep
    )


def _build_from_mapping(
    path: Path,
    df: pd.DataFrame,
    mapping: Mapping[str, tuple[str, str | None]],
    *,
    decimal: str,
    file_format: str,
    notes: list[str],
    sep: str,
    sidecar: dict[str, Any] | None = None,
) -> CyclingData:
    headers = [str(c) for c in df.columns]
    cols: dict[str, tuple[str, str | None]] = {}
    for key, (column, unit) in mapping.items():
        cols[key] = _resolve_column(path, headers, key, column, unit)
    units_found: dict[str, str] = {}

    t_col, t_unit = cols["time"]
    time_s, t_desc, start = time_column_s(df[t_col], path, t_col, t_unit, decimal=decimal)
    units_found[TIME] = t_desc

    def scaled(key: str, canonical: str) -> np.ndarray:
        column, unit = cols[key]
        unit = _unit_or_error(path, key, column, unit)
        sign = -1.0 if unit.startswith("-") else 1.0
        u = unit.lstrip("-")
        units_found[canonical] = describe_unit(column, unit)
        return (
            sign
            * numeric(df[column], path, column, decimal)
            * column_factor(u, str(MAPPING_KEYS[key]), path, column)
        )

    voltage = scaled("voltage", VOLTAGE)
    current = scaled("current", CURRENT)
    cycle = step = None
    if "cycle" in cols:
        c = numeric(df[cols["cycle"][0]], path, cols["cycle"][0], decimal)
        cycle = fill_gaps(c, default=1)
        units_found[CYCLE] = cols["cycle"][0]
    if "step" in cols:
        s = numeric(df[cols["step"][0]], path, cols["step"][0], decimal)
        step = fill_gaps(s, default=1)
        units_found[STEP] = cols["step"][0]
    v_ch = v_dis = temp = None
    if "charge_capacity" in cols:
        v_ch = vendor_capacity_per_cycle(scaled("charge_capacity", VENDOR_CHARGE_CAPACITY), cycle)
    if "discharge_capacity" in cols:
        v_dis = vendor_capacity_per_cycle(
            scaled("discharge_capacity", VENDOR_DISCHARGE_CAPACITY), cycle
        )
    if "capacity" in cols and v_ch is None and v_dis is None:
        q = scaled("capacity", VENDOR_CHARGE_CAPACITY)
        units_found[VENDOR_DISCHARGE_CAPACITY] = units_found[VENDOR_CHARGE_CAPACITY]
        v_ch, v_dis = vendor_capacity_split(q, current, cycle, step=step)
    if "temperature" in cols:
        temp = scaled("temperature", TEMPERATURE)
    sc = sidecar or {}
    extra: dict[str, Any] = {"delimiter": sep, "decimal": decimal}
    if sc:
        extra["sidecar_meta"] = {
            k: sc.get(k) for k in ("instrument", "file_format", "source_file", "source_sha256")
        }
    return finish(
        path,
        time_s=time_s,
        voltage_V=voltage,
        current_A=current,
        instrument=str(sc.get("instrument") or "generic") if sc else "generic",
        file_format=file_format,
        reader=f"lilean csv_generic; {library_version('pandas')}",
        units_found=units_found,
        original_columns=headers,
        cycle=cycle,
        step=step,
        vendor_charge_capacity_mAh=v_ch,
        vendor_discharge_capacity_mAh=v_dis,
        temperature_degC=temp,
        start_time=sc.get("start_time") or start,
        area_cm2=sc.get("area_cm2"),
        active_mass_mg=sc.get("active_mass_mg"),
        notes=notes,
        extra=extra,
        cycle_label=df[CYCLE_LABEL].to_numpy(dtype=object) if CYCLE_LABEL in headers else None,
    )


# ================================================================================================
# the registered ``csv`` reader: automatic mapping of common header spellings
# ================================================================================================

_SPLIT_UNIT = re.compile(
    r"^(?P<base>.*?)\s*(?:\[(?P<u1>[^\]]+)\]|\((?P<u2>[^)]+)\)|/(?P<u3>[^/]+))\s*$"
)

_BASES: dict[str, set[str]] = {
    "time": {"time", "test time", "total time", "elapsed time", "run time", "time elapsed", "t"},
    "voltage": {"voltage", "potential", "cell voltage", "ecell", "e cell", "ewe", "u", "v", "e"},
    "current": {"current", "cell current", "i"},
    "cycle": {"cycle", "cycle number", "cycle index", "cycle no", "cycle nr"},
    "step": {"step", "step number", "step index", "step no"},
    "charge_capacity": {"charge capacity", "vendor charge capacity"},
    "discharge_capacity": {"discharge capacity", "vendor discharge capacity"},
    "temperature": {"temperature", "temp", "t1"},
}

#: header words that belong to formats with their own reader; the csv reader leaves those alone
_VENDOR_MARKERS = (
    "data_point",
    "datapoint",
    "rec#",
    "testtime/sec",
    "step-state",
    "[summary]",
    "resultfile from basytec",
    "ec-lab",
    "ox/red",
    "mode\t",
    "cycle-index",
    "cycle p",
    "amp-hr",
    "record index",
    # impedance tables (frequency sweeps) are not cycling data
    "frequency",
    "freq/hz",
    "zre",
    "zim",
    "|z|",
    "re(z)",
)


def _split_header(header: str) -> tuple[str, str | None]:
    m = _SPLIT_UNIT.match(header.strip())
    if m is None:
        return _norm(header), None
    unit = m.group("u1") or m.group("u2") or m.group("u3")
    return _norm(m.group("base")), unit.strip() if unit else None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[_\-.]", " ", text.strip().lower())).strip()


def auto_mapping(headers: list[str]) -> tuple[ColumnMap, list[str]]:
    """Map headers to keys by common spellings. Returns (mapping, problems); a key is mapped only
    when exactly one header matches it. ``problems`` names ambiguous or unit-less matches."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for h in headers:
        base, unit = _split_header(h)
        for key, bases in _BASES.items():
            if base in bases:
                if key == "time" and unit is None and base in {"t"}:
                    continue
                found.setdefault(key, []).append((h, unit))
    mapping: ColumnMap = {}
    problems: list[str] = []
    for key, hits in found.items():
        if key in ("charge_capacity", "discharge_capacity"):
            vendor = [hit for hit in hits if hit[0].lower().startswith("vendor")]
            hits = vendor or hits
        if len(hits) == 1:
            h, unit = hits[0]
            dim = MAPPING_KEYS[key]
            if dim is not None and unit is not None:
                try:
                    factor(unit, dim)
                except LileanError:
                    problems.append(f"column {h!r}: unit {unit!r} is not a {dim} unit")
                    continue
            mapping[key] = (h, unit)
        else:
            problems.append(f"{key}: several candidate columns {[h for h, _ in hits]}")
    return mapping, problems


def _sniff_csv(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None:
        return False
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    first = lines[0]
    low = text[:4096].lower()
    if any(marker in low for marker in _VENDOR_MARKERS):
        return False
    sep = _sniff_delimiter(first)
    headers = [h.strip().strip('"') for h in next(csv.reader([first], delimiter=sep))]
    if len(headers) < 3:
        return False
    mapping, _problems = auto_mapping(headers)
    if not all(k in mapping for k in ("time", "voltage", "current")):
        return False
    if mapping["voltage"][1] is None or mapping["current"][1] is None:
        return False
    # the first data row must have as many fields as the header
    fields = next(csv.reader([lines[1]], delimiter=sep))
    if len(fields) < len([h for h in headers if h]):
        return False
    # the generic reader is the last resort, whatever the registration order
    for other in readers():
        if other.name == "csv":
            continue
        try:
            if other.sniff(path, head):
                return False
        except Exception:
            continue
    return True


def read_csv_auto(path: str | Path) -> CyclingData:
    """Read a CSV (or tab/semicolon separated) table whose header names time, voltage and current
    in a common spelling with units (see :func:`auto_mapping`). A ``<file>.meta.json`` beside it
    (written by :meth:`~lilean.schema.CyclingData.to_csv`) restores area, mass and start time."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    k = 0
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k >= len(lines):
        raise FileFormatError(path, "no header line (the file is blank)")
    sep = _sniff_delimiter(lines[k])
    df, anomalies = table_from_lines(path, lines, k, sep=sep)
    headers = [str(c) for c in df.columns]
    mapping, problems = auto_mapping(headers)
    for key in ("time", "voltage", "current"):
        if key not in mapping:
            detail = "; ".join(p for p in problems if p.startswith(key)) or "no header matched"
            raise FileFormatError(
                path,
                f"no {key} column recognised ({detail}); expected a header like "
                f"'{key.capitalize()} [{_EXAMPLE_UNIT[str(MAPPING_KEYS[key])]}]', or pass a "
                "column map (--map)",
                row=k + 1,
            )
    if STEP_TYPE in headers:
        # lilean's own CSV: its capacity columns are recomputed; only vendor columns are kept
        for key in ("charge_capacity", "discharge_capacity"):
            if key in mapping and not mapping[key][0].lower().startswith("vendor"):
                del mapping[key]
    sidecar: dict[str, Any] = {}
    meta_path = path.with_suffix(path.suffix + ".meta.json")
    if meta_path.is_file():
        try:
            sidecar = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            anomalies.append(f"ignored unreadable metadata file {meta_path.name}")
            sidecar = {}
        if not isinstance(sidecar, dict):
            sidecar = {}
    dec = _guess_decimal(df, sep)
    if sidecar:
        anomalies.append(f"metadata restored from {meta_path.name}")
    return _build_from_mapping(
        path, df, mapping, decimal=dec, file_format="csv", notes=anomalies, sep=sep, sidecar=sidecar
    )


register(
    Reader(
        name="csv",
        instrument="generic",
        extensions=(".csv", ".txt", ".tsv"),
        sniff=_sniff_csv,
        read=read_csv_auto,
        description="delimited text with recognisable time/voltage/current headers "
        "(incl. lilean's own CSV); any other table via --map",
    )
)
