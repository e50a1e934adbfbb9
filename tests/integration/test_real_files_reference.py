"""Every registered real file is read right or refused with one clear line, against RECORDED
references from independent readers (never lilean's own output).

References: ``extern/`` rows from the last column of ``extern/PROVENANCE.md`` (galvani 0.5.0 for
.mpr, the BTSDA export kept in fastnda's tests for Neware binaries, mdbtools for Arbin .res,
python-calamine for BTSDA .xlsx, gamry-parser, pandas for text exports); the older files from
``PROVENANCE.md`` (rows, voltage window as printed there) and, where noted, computed here once with
an independent reader and transcribed: galvani ``MPRfile`` (rows with ``freq/Hz == 0``, sums of
``dq/mA.h`` by sign), NewareNDA 2026.6.11 (sum over (Cycle, Step) of the max of
``Charge_/Discharge_Capacity(mAh)``), pandas on Arbin CSV (per cycle, last minus first value of
``Charge_/Discharge_Capacity``, the counters run on from before the file starts).

Capacities are the file's totals over cycles, in mAh; lilean's must be within 2 % of the
instrument's counter (absolute floor 1e-4 mAh). ``None``: no reference for that quantity.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean import io
from lilean.errors import FileFormatError
from lilean.schema import CHARGE_CAPACITY, CYCLE, DISCHARGE_CAPACITY, VOLTAGE
from lilean.testing.data import names, require
from lilean.testing.references import READ, REFUSED


def test_every_registered_file_has_a_reference() -> None:
    assert sorted(set(READ) | set(REFUSED)) == names()
    assert not set(READ) & set(REFUSED)


def _total(data, col: str) -> float:
    return float(data.data.groupby(CYCLE)[col].max().sum())


@pytest.mark.parametrize("name", sorted(READ))
def test_read_right(name: str) -> None:
    ref = READ[name]
    data = io.read(require(name), strict=False)
    v = data.data[VOLTAGE].to_numpy()
    if ref.rows is not None:
        assert len(data) == ref.rows, f"rows vs {ref.source}"
    if ref.v_min is not None:
        first = v.min() if ref.v_max is not None else v[0]
        assert abs(first - ref.v_min) <= ref.v_tol, f"V min {first} vs {ref.source}"
    if ref.v_max is not None:
        assert abs(v.max() - ref.v_max) <= ref.v_tol, f"V max {v.max()} vs {ref.source}"
    for col, expected in (
        (CHARGE_CAPACITY, ref.charge_mAh),
        (DISCHARGE_CAPACITY, ref.discharge_mAh),
    ):
        if expected is None:
            continue
        got = _total(data, col)
        assert got == pytest.approx(expected, rel=0.02, abs=1e-4), f"{col} vs {ref.source}"
    assert np.isfinite(v).all()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_one_clear_line(name: str) -> None:
    path = require(name)
    with pytest.raises(FileFormatError) as exc:
        io.read(path)
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg and REFUSED[name] in msg
