"""Gamry Framework DC ``.DTA`` files: cyclic voltammetry (``TAG CV``), chronoamperometry /
chronopotentiometry (``CHRONOA``, ``CHRONOP``), open circuit (``CORPOT``) and other DC techniques.

Layout: ``EXPLAIN`` on line 1, ``TAG <technique>`` on line 2, tab-separated ``KEY TYPE value
label`` header lines, then one or more tables: a line ``CURVE<n>\\tTABLE[\\tN]`` (or ``OCVCURVE``,
``CURVE``), a tab-led line of column names (``Pt T Vf Im ...``), a tab-led line of units (``# s
V vs. Ref. A ...``) and tab-led data rows. The rows of every ``CURVE*`` table are read in order;
with several (one per CV cycle) the table index is the cycle. Columns: ``T`` (s), ``Vf`` (V vs
the reference; ``V`` in OCP files), ``Im`` (A). Gamry's current is positive for an anodic
(oxidation) current at the working electrode: lilean's convention, so it is taken as it is.
Impedance files (``TAG EISPOT`` / ``EISGALV``, a ``ZCURVE`` table) are refused with a pointer
to ``lilean eis``: they hold no time-domain cycling rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError
from lilean.io.common import finish, head_text, library_version, read_text
from lilean.io.registry import Reader, register
from lilean.schema import CURRENT, CYCLE, TIME, VOLTAGE, CyclingData

_IMPEDANCE_TAGS = ("EISPOT", "EISGALV", "EISMON")


def _sniff(path: Path, head: bytes) -> bool:
    text = head_text(head)
    if text is None:
        return False
    lines = text.lstrip("\ufeff").splitlines()[:2]
    return len(lines) == 2 and lines[0].strip() == "EXPLAIN" and lines[1].startswith("TAG")


def _tables(lines: list[str]) -> list[tuple[str, int, list[str], list[list[str]]]]:
    """(name, line index, column names, rows) of every ``NAME\\tTABLE`` block."""
    out: list[tuple[str, int, list[str], list[list[str]]]] = []
    k = 0
    while k < len(lines):
        fields = lines[k].split("\t")
        if len(fields) >= 2 and fields[1].strip() == "TABLE" and fields[0].strip():
            name = fields[0].strip()
            if k + 2 >= len(lines):
                out.append((name, k, [], []))
                break
            names = [c.strip() for c in lines[k + 1].split("\t")[1:]]
            rows: list[list[str]] = []
            j = k + 3
            while j < len(lines) and lines[j].startswith("\t"):
                rows.append(lines[j].split("\t")[1:])
                j += 1
            out.append((name, k, names, rows))
            k = j
        else:
            k += 1
    return out


def read(path: str | Path) -> CyclingData:
    """Read a Gamry DC ``.DTA`` file (CV, chronoamperometry, OCP ...) into the canonical table."""
    path = Path(path)
    text = read_text(path)
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) < 2 or lines[0].strip() != "EXPLAIN" or not lines[1].startswith("TAG"):
        raise FileFormatError(path, "not a Gamry .DTA file (line 1 'EXPLAIN', line 2 'TAG ...')")
    tag = lines[1].split("\t")[1].strip() if "\t" in lines[1] else lines[1][3:].strip()
    header: dict[str, Any] = {"technique": tag}
    for line in lines[2:]:
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] in ("LABEL", "QUANT", "POTEN", "IQUANT", "SELECTOR"):
            header[fields[0]] = fields[2].strip()
        if len(fields) >= 2 and fields[1].strip() == "TABLE":
            break
    tables = _tables(lines)
    if tag in _IMPEDANCE_TAGS or any(name == "ZCURVE" for name, *_ in tables):
        raise FileFormatError(
            path,
            f"Gamry impedance spectrum (TAG {tag}), not time-domain cycler data; "
            "use 'lilean eis' for impedance files",
        )
    curves = [t for t in tables if t[0].startswith("CURVE")]
    if not curves:
        raise FileFormatError(path, f"no CURVE table in this Gamry {tag} file")
    parts: list[pd.DataFrame] = []
    notes: list[str] = []
    for n, (name, k, names, rows) in enumerate(curves, start=1):
        missing = [c for c in ("T", "Im") if c not in names]
        volt = "Vf" if "Vf" in names else ("V" if "V" in names else None)
        if missing or volt is None:
            raise FileFormatError(
                path, f"table {name} lacks {missing or ['Vf']} (columns {names[:8]})", row=k + 2
            )
        width = len(names)
        whole = [r for r in rows if len(r) >= width]
        if len(whole) < len(rows):
            bad = next(i for i, r in enumerate(rows) if len(r) < width)
            if bad != len(rows) - 1:
                raise FileFormatError(
                    path, f"table {name}: row has {len(rows[bad])} of {width} fields",
                    row=k + 4 + bad,
                )  # fmt: skip
            notes.append(
                f"table {name}: last row has fewer fields (file truncated: cut off mid-line); dropped it"
            )
        frame = pd.DataFrame([r[:width] for r in whole], columns=names)
        try:
            part = pd.DataFrame(
                {
                    TIME: pd.to_numeric(frame["T"]),
                    VOLTAGE: pd.to_numeric(frame[volt]),
                    CURRENT: pd.to_numeric(frame["Im"]),
                    CYCLE: n,
                }
            )
        except ValueError as exc:
            raise FileFormatError(
                path, f"table {name}: non-numeric value ({exc})", row=k + 4
            ) from None
        parts.append(part)
    data = pd.concat(parts, ignore_index=True)
    if data.empty:
        raise FileFormatError(path, "the CURVE tables hold no rows")
    start_time = None
    if "DATE" in header and "TIME" in header:
        ts = pd.to_datetime(f"{header['DATE']} {header['TIME']}", errors="coerce")
        start_time = None if pd.isna(ts) else ts.isoformat()
    notes.append(f"Gamry technique {tag}; {len(curves)} CURVE table(s)")
    return finish(
        path,
        time_s=data[TIME].to_numpy(dtype=float),
        voltage_V=data[VOLTAGE].to_numpy(dtype=float),
        current_A=data[CURRENT].to_numpy(dtype=float),
        instrument="gamry",
        file_format="gamry-dta",
        reader=f"lilean gamry-dta; {library_version('pandas')}",
        units_found={
            TIME: "T [s]",
            VOLTAGE: "Vf [V vs. Ref.]",
            CURRENT: "Im [A] (anodic positive)",
            CYCLE: "CURVE table index" if len(curves) > 1 else "one CURVE table",
        },
        original_columns=curves[0][2],
        cycle=data[CYCLE].to_numpy(dtype=np.int64),
        start_time=start_time,
        notes=notes,
        extra=header,
    )


GAMRY = register(
    Reader(
        name="gamry-dta",
        instrument="gamry",
        extensions=(".dta",),
        sniff=_sniff,
        read=read,
        description="Gamry Framework DC .DTA (CV, chronoamperometry, OCP; EIS is 'lilean eis')",
    )
)
