"""Unit conversion at the edges (readers, CLI, protocol strings).

Inside lilean every quantity is a plain float in the unit written in its name (``current_A``,
``current_density_mA_cm2``). This module converts the units that cycler files and users write into
those canonical units. It is deliberately small: a table of factors, no magic.
"""

from __future__ import annotations

import re

from lilean.errors import LileanError

#: factor to the canonical unit, per dimension
_FACTORS: dict[str, dict[str, float]] = {
    "time": {
        "s": 1.0,
        "sec": 1.0,
        "ms": 1e-3,
        "min": 60.0,
        "h": 3600.0,
        "hr": 3600.0,
        "hour": 3600.0,
    },
    "voltage": {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "µv": 1e-6},
    "current": {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "na": 1e-9},
    "capacity": {
        "ah": 1e3,
        "mah": 1.0,
        "uah": 1e-3,
        "µah": 1e-3,
        "as": 1e3 / 3600,
        "c": 1e3 / 3600,
    },
    "energy": {"wh": 1e3, "mwh": 1.0, "uwh": 1e-3, "µwh": 1e-3, "j": 1e3 / 3600},
    "resistance": {"ohm": 1.0, "mohm": 1e-3, "kohm": 1e3},
    "temperature": {"degc": 1.0, "c": 1.0, "°c": 1.0},
}

#: canonical unit of each dimension
CANONICAL = {
    "time": "s",
    "voltage": "V",
    "current": "A",
    "capacity": "mAh",
    "energy": "mWh",
    "resistance": "Ohm",
    "temperature": "degC",
}


def factor(unit: str, dimension: str) -> float:
    """Multiplicative factor converting ``unit`` to the canonical unit of ``dimension``.

    >>> factor("mA", "current")
    0.001
    """
    table = _FACTORS[dimension]
    key = unit.strip().lower().replace(" ", "").replace("ω", "ohm").replace("Ω".lower(), "ohm")
    if key not in table:
        raise LileanError(f"unknown {dimension} unit {unit!r}; expected one of {sorted(table)}")
    return table[key]


_UNIT_IN_NAME = re.compile(r"[\[(/]\s*([^\])/]+?)\s*[\])]?\s*$")


def unit_from_column(name: str) -> str | None:
    """Extract the unit written in a column header: ``'Current(mA)'``, ``'Voltage [V]'``,
    ``'Capacity/mAh'`` -> ``'mA'``, ``'V'``, ``'mAh'``. ``None`` when the header has no unit."""
    match = _UNIT_IN_NAME.search(name.strip())
    return match.group(1) if match else None
