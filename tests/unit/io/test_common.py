"""Helpers in lilean.io.common that every reader uses: the vendor-capacity counters (on real
counters and on small cases worked out by hand), header and unit parsing."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lilean.errors import FileFormatError
from lilean.io import common
from lilean.testing.data import data_dir

DATA = data_dir()
NAN = float("nan")


def test_counter_helpers_on_real_counters():
    """Arbin's Charge_Capacity runs over cycles, Maccor-style counters restart every step: both
    give the per-cycle sums computed directly here."""
    raw = pd.read_csv(DATA / "arbin" / "arbin_example.csv")
    q = raw["Charge_Capacity"].to_numpy() * 1e3
    cyc = raw["Cycle_Index"].to_numpy()
    per_cycle = common.vendor_capacity_per_cycle(q, cyc)
    for c in np.unique(cyc):
        sel = cyc == c
        assert per_cycle[sel][-1] == pytest.approx(q[sel].max() - q[sel][0], rel=1e-12, abs=1e-12)
    # a counter of |I| that restarts at 0 on the first row of every step, as Maccor's Amp-hr
    t = raw["Test_Time"].to_numpy()
    i = raw["Current"].to_numpy()
    step = raw["Step_Index"].to_numpy()
    counter = np.zeros(len(t))
    expected = {}  # (cycle, sign) -> sum over its steps of the within-step integral
    for (c, _s), g in raw.groupby(["Cycle_Index", "Step_Index"], sort=False):
        k = g.index.to_numpy()
        a = np.abs(i[k])
        inc = np.concatenate([[0.0], np.cumsum(0.5 * (a[1:] + a[:-1]) * np.diff(t[k]) / 3.6)])
        counter[k] = inc
        sign = int(np.sign(np.median(i[k])))
        expected[(c, sign)] = expected.get((c, sign), 0.0) + inc[-1]
    ch, dis = common.vendor_capacity_split(counter, i, cyc, step=step, reset_on_step=True)
    for c in np.unique(cyc):
        sel = cyc == c
        assert ch[sel][-1] == pytest.approx(expected.get((c, 1), 0.0), rel=1e-9)
        assert dis[sel][-1] == pytest.approx(expected.get((c, -1), 0.0), rel=1e-9)
        assert expected.get((c, 1), 0.0) > 100 and expected.get((c, -1), 0.0) > 100


def test_accumulate_per_cycle_by_hand():
    # the increment of row k belongs to the cycle of row k; the first row of a cycle gets none
    d = np.array([9.0, 1.0, 2.0, 3.0, 4.0, NAN, 5.0])
    cyc = np.array([1, 1, 2, 2, 2, 2, 3])
    np.testing.assert_array_equal(common.accumulate_per_cycle(d, cyc), [0, 1, 0, 3, 7, 7, 0])
    np.testing.assert_array_equal(common.accumulate_per_cycle(d, None), [0, 1, 3, 6, 10, 10, 15])
    assert common.accumulate_per_cycle(np.array([]), None).size == 0


def test_capacity_per_cycle_by_hand():
    dq = np.array([5.0, 1.0, -2.0, NAN, 3.0, -1.0])
    cyc = np.array([1, 1, 1, 1, 2, 2])
    ch, dis = common.capacity_per_cycle(dq, cyc)
    np.testing.assert_array_equal(ch, [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(dis, [0, 0, 2, 2, 0, 1])
    ch, dis = common.capacity_per_cycle(
        dq, cyc, start_mask=[False, True, False, False, False, False]
    )
    np.testing.assert_array_equal(ch, [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(dis, [0, 0, 2, 2, 0, 1])


def test_counter_increments_resets_tolerance_and_gaps():
    # grows, is reset (drops to 0.5), grows, has a gap (NaN: no information), grows
    c = np.array([0.0, 1.0, 2.0, 0.5, 1.5, NAN, 2.0])
    np.testing.assert_allclose(common.counter_increments(c), [0, 1, 1, 0.5, 1, 0, 0.5])
    # a drop below rel_tol * max (print rounding) is no reset: it counts as zero
    c = np.array([0.0, 1.0, 2.0, 2.0 - 1e-9, 3.0])
    np.testing.assert_allclose(common.counter_increments(c), [0, 1, 1, 0, 1 + 1e-9])
    # an explicit reset where the counter happens to grow: its value is what passed since
    c = np.array([0.0, 1.0, 2.0, 3.0])
    reset = np.array([False, False, False, True])
    np.testing.assert_allclose(common.counter_increments(c, reset=reset), [0, 1, 1, 3])
    # the magnitude is used (a discharge counter written negative)
    np.testing.assert_allclose(common.counter_increments(-c), [0, 1, 1, 1])


def test_step_capacity_increments_keep_the_sign():
    """A signed capacity restarting each step (Neware): charge +, discharge -; it is not an
    unsigned counter, so it is not handled by counter_increments (which resets on any drop)."""
    q = np.array([0.0, 1.0, 2.0, -0.5, -1.5, 0.3])
    step = np.array([1, 1, 1, 2, 2, 3])
    np.testing.assert_allclose(
        common.increments_from_step_capacity(q, step), [0, 1, 1, -0.5, -1, 0.3]
    )
    # within one step a falling capacity is a negative increment here, a reset there
    q, step = np.array([0.0, 2.0, 1.0]), np.array([1, 1, 1])
    np.testing.assert_allclose(common.increments_from_step_capacity(q, step), [0, 2, -1])
    np.testing.assert_allclose(common.counter_increments(q), [0, 2, 1])


def test_vendor_capacity_split_on_direction_flips():
    """LAND-style counter: one column for both directions, restarting when the current flips
    and carried over a rest."""
    i = np.array([1.0, 1.0, 1.0, 0.0, -1.0, -1.0, 1.0, 1.0])
    q = np.array([0.0, 1.0, 2.0, 2.0, 0.5, 1.5, 0.25, 0.75])
    cyc = np.array([1, 1, 1, 1, 1, 1, 2, 2])
    ch, dis = common.vendor_capacity_split(q, i, cyc)
    np.testing.assert_allclose(ch, [0, 1, 2, 2, 2, 2, 0, 0.5])
    np.testing.assert_allclose(dis, [0, 0, 0, 0, 0.5, 1.5, 0, 0])


def test_split_header_and_units(tmp_path):
    pattern = re.compile(r"^(?P<base>[^\[]+?)\s*(?:\[(?P<unit>[^\]]*)\])?$")
    assert common.split_header(" U[V] ", pattern) == ("U", "V")
    assert common.split_header("Cyc-Count", pattern) == ("Cyc-Count", None)
    assert common.describe_unit("I/mA", "mA") == "I/mA"
    assert common.describe_unit("I", "-mA") == "I [mA] (sign flipped)"
    values, found = common.scaled_column(
        ["1", "2,5"], tmp_path, "I", None, dimension="current", default="mA"
    )
    np.testing.assert_allclose(values, [1e-3, 2.5e-3])
    assert found == "I [mA] (assumed)"
    with pytest.raises(FileFormatError, match=r"column 'I'.*furlong"):
        common.scaled_column(["1"], tmp_path, "I", "furlong", dimension="current", default="A")


def test_numeric_decimal_comma_and_bad_row(tmp_path):
    np.testing.assert_allclose(
        common.numeric(["1,5", "", "1.000,25"], tmp_path, "x", decimal=","), [1.5, NAN, 1000.25]
    )
    with pytest.raises(FileFormatError, match=r"row 2: column 'x'"):
        common.numeric(["1", "one"], tmp_path, "x")


@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=40
    ),
    backward=st.booleans(),
    default=st.one_of(st.none(), st.sampled_from([0.0, 1.0])),
)
def test_fill_gaps_is_pandas_ffill_bfill_fillna(
    values: list[float | None], backward: bool, default: float | None
) -> None:
    a = np.array([np.nan if v is None else v for v in values], dtype=float)
    want = pd.Series(a).ffill()
    if backward:
        want = want.bfill()
    if default is not None:
        want = want.fillna(default)
    got = common.fill_gaps(a, backward=backward, default=default)
    np.testing.assert_array_equal(got, want.to_numpy())
    assert got is not a
