"""Ivium ``.idf`` impedance files (IviumSoft): the spectrum of the ``primary_data`` block.

An ``.idf`` file is a sequence of ``key=value`` text blocks with a few binary length prefixes
(so it is not plain text). The measured spectrum is the block::

    primary_data     3          <- number of columns
    26                          <- number of rows
    Z_re  Z_im  f               <- one row per frequency (Ohm, Ohm, Hz)

``Z_im`` is stored with its sign (capacitive arcs negative), which is lilean's convention
(:data:`lilean.eis.io.IMPEDANCE_CONVENTION`), so no column is negated. Detected by content:
``Method=Impedance`` and the ``I_Frequencies`` list in the header.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from lilean.eis.columns import FREQUENCY, SPECTRUM, Z_IM, Z_RE
from lilean.errors import FileFormatError

# the header line may hold a binary length byte between the name and the column count
_BLOCK = re.compile(rb"(?m)^primary_data[^\n\d]*(\d+)[ \t]*\r?\n[ \t]*(\d+)[ \t]*\r?\n")


def sniff_ivium_idf(head: bytes) -> bool:
    """True for the header of an Ivium impedance ``.idf`` file."""
    return b"Method=Impedance" in head and b"I_Frequencies" in head


def parse_ivium_idf(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(f [Hz], Z [Ohm] complex)`` of the ``primary_data`` block (rows in file order)."""
    raw = path.read_bytes()
    m = _BLOCK.search(raw)
    if m is None:
        raise FileFormatError(path, "Ivium .idf without a primary_data block")
    n_cols, n_rows = int(m.group(1)), int(m.group(2))
    if n_cols < 3:
        raise FileFormatError(path, f"primary_data has {n_cols} columns, expected Zre, Zim, f")
    lines = raw[m.end() :].split(b"\n", n_rows)[:n_rows]
    if len(lines) < n_rows:
        raise FileFormatError(path, f"primary_data announces {n_rows} rows, file ends earlier")
    values = np.empty((n_rows, 3))
    for i, line in enumerate(lines):
        parts = line.split()
        try:
            values[i] = [float(x) for x in parts[:3]]
        except ValueError:
            raise FileFormatError(
                path, f"primary_data row {i + 1}: expected three numbers (Zre Zim f)"
            ) from None
        if len(parts) < 3:
            raise FileFormatError(path, f"primary_data row {i + 1}: expected three numbers")
    z = values[:, 0] + 1j * values[:, 1]
    return values[:, 2].copy(), z


def read_ivium_idf(
    path: Path,
) -> tuple[dict[str, Any], dict[str, str], list[str], dict[str, Any], list[str]]:
    """The ``ivium-idf`` parser for :func:`lilean.eis.io.read_eis` (columns, units, original
    columns, extra metadata, notes)."""
    f, z = parse_ivium_idf(path)
    cols = {
        FREQUENCY: f,
        Z_RE: z.real.copy(),
        Z_IM: z.imag.copy(),
        SPECTRUM: np.ones(f.size, dtype=np.int64),
    }
    units = {
        FREQUENCY: "Hz (primary_data column 3)",
        Z_RE: "Ohm (column 1)",
        Z_IM: "Ohm (column 2)",
    }
    return cols, units, ["Zre", "Zim", "f"], {}, []
