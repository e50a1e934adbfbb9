from __future__ import annotations

import pytest

from lilean.errors import LileanError
from lilean.units import factor, unit_from_column


@pytest.mark.parametrize(
    ("unit", "dim", "expected"),
    [
        ("mA", "current", 1e-3),
        ("uA", "current", 1e-6),
        ("h", "time", 3600.0),
        ("mV", "voltage", 1e-3),
        ("Ah", "capacity", 1000.0),
        ("A.s", "capacity", None),
    ],
)
def test_factor(unit, dim, expected):
    if expected is None:
        with pytest.raises(LileanError, match="unknown capacity unit"):
            factor(unit, dim)
    else:
        assert factor(unit, dim) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("Current(mA)", "mA"),
        ("Voltage [V]", "V"),
        ("Capacity/mAh", "mAh"),
        ("Ewe/V", "V"),
        ("Cycle", None),
    ],
)
def test_unit_from_column(header, unit):
    assert unit_from_column(header) == unit
