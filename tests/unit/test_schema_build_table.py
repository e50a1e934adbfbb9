"""build_table's block-built table: the same columns, dtypes and values (to the bit) as the
``pd.DataFrame`` constructor over the schema's helper functions, which is how the table is
defined (the reference below); no memory shared with the inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lilean import schema
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    STEP,
    STEP_TYPE,
    TIME,
    VOLTAGE,
    build_table,
    capacities_from_current,
    step_type_from_current,
    steps_from_changes,
)


def _reference(t, v, i, cycle=None, step=None) -> pd.DataFrame:
    """The table as defined: the helpers' columns through the DataFrame constructor."""
    t, v, i = (np.asarray(x, dtype=float) for x in (t, v, i))
    st = step_type_from_current(i)
    cy = np.ones(t.size, dtype=np.int64) if cycle is None else schema._renumber(np.asarray(cycle))
    sp = steps_from_changes(st, cy) if step is None else schema._renumber(np.asarray(step), cy)
    q_ch, q_dis = capacities_from_current(t, i, cy)
    return pd.DataFrame(
        {
            TIME: t,
            VOLTAGE: v,
            CURRENT: i,
            CYCLE: cy,
            STEP: sp,
            STEP_TYPE: pd.array(st, dtype="string"),
            CHARGE_CAPACITY: q_ch,
            DISCHARGE_CAPACITY: q_dis,
        }
    )


def _cases():
    rng = np.random.default_rng(18)
    for k in range(40):
        n = int(rng.integers(0, 300)) if k else 0
        t = np.cumsum(rng.uniform(0.0, 5.0, n))
        v = rng.uniform(2.0, 4.0, n)
        if k % 3:
            i = rng.choice([-1e-3, 0.0, 2e-3, 1e-9, -0.0, np.nan], n)
            if k % 7 == 2:
                i[rng.integers(0, n, 2)] = [np.inf, -np.inf] if n else []
        else:
            i = np.full(n, -1e-3)  # one constant-current discharge
        cycle = np.sort(rng.integers(0, 5, n)) if k % 2 else None
        if k % 11 == 4:
            t = t[::-1].copy()  # time going backwards: negative intervals
        step = rng.integers(0, 4, n) if k % 5 == 1 else None
        yield t, v, i, cycle, step


@pytest.mark.parametrize("path", ["compiled", "blocks", "constructor"])
def test_build_table_equals_the_constructor_table(path, monkeypatch):
    if path == "compiled":
        pytest.importorskip("numba")
        assert schema._compiled_fill() is not None
    else:
        monkeypatch.setattr(schema, "_compiled_fill", lambda: None)
    if path == "constructor":
        monkeypatch.setattr(schema, "_frame_from_blocks", lambda *a: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmax of all-NaN currents
        for t, v, i, cycle, step in _cases():
            got = build_table(t, v, i, cycle=cycle, step=step)
            want = _reference(t, v, i, cycle, step)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            for col in (CHARGE_CAPACITY, DISCHARGE_CAPACITY):
                assert np.array_equal(got[col].to_numpy(), want[col].to_numpy(), equal_nan=True)


def test_compiled_path_only_where_numba_is_loaded(monkeypatch):
    import sys

    monkeypatch.setattr(schema, "_FILL", [])
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    assert schema._compiled_fill() is None


def test_strided_inputs():
    rec = np.random.default_rng(3).uniform(-1.0, 1.0, (50, 4))
    rec[:, 0] = np.arange(50.0)
    got = build_table(rec[:, 0], rec[:, 1], rec[:, 2] * 1e-3, cycle=(rec[:, 3] > 0).cumsum())
    want = _reference(rec[:, 0], rec[:, 1], rec[:, 2] * 1e-3, (rec[:, 3] > 0).cumsum())
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_build_table_copies_its_inputs():
    t = np.arange(10.0)
    v = np.full(10, 3.0)
    i = np.full(10, -1e-3)
    df = build_table(t, v, i)
    t[:] = -1.0
    v[:] = 0.0
    i[:] = 5.0
    assert df[TIME].tolist() == list(range(10))
    assert (df[VOLTAGE] == 3.0).all() and (df[CURRENT] == -1e-3).all()
    assert (df[STEP_TYPE] == "discharge").all()
    # the table is an ordinary one: columns can be set and added
    df[VOLTAGE] = 1.0
    df["x"] = 2
    assert df[VOLTAGE].iloc[0] == 1.0 and list(df.columns)[-1] == "x"
    assert build_table(t, v, i)[VOLTAGE].iloc[0] == 0.0


def test_lazy_cycling_data_builds_its_table_once_on_first_access(tmp_path):
    import pickle

    from lilean.schema import CyclingData, LazyCyclingData, Metadata

    calls = []
    t = np.arange(20.0)

    def build() -> pd.DataFrame:
        calls.append(1)
        return build_table(t, 3.0 + 0 * t, np.full(20, -1e-3))

    meta = Metadata(instrument="lilean", file_format="simulation")
    lazy = LazyCyclingData(build, meta)
    assert isinstance(lazy, CyclingData) and not lazy.built and not calls
    assert lazy.meta is meta
    table = lazy.data
    assert lazy.built and calls == [1] and lazy.data is table and len(lazy) == 20
    assert lazy.n_cycles == 1 and lazy.duration_s == 19.0
    pd.testing.assert_frame_equal(table, build())
    back = pickle.loads(pickle.dumps(LazyCyclingData(build, meta)))
    assert type(back) is CyclingData
    pd.testing.assert_frame_equal(back.data, table)
    assert lazy.with_meta(area_cm2=1.0).meta.area_cm2 == 1.0
    again = CyclingData.from_parquet(lazy.to_parquet(tmp_path / "x.parquet"))
    pd.testing.assert_frame_equal(again.data, table)


def test_tables_sharing_a_cached_step_type_column_stay_independent():
    t = np.arange(30.0)
    a = build_table(t, 3.0 + 0 * t, np.full(30, -1e-3))
    b = build_table(t, 3.0 + 0 * t, np.full(30, -1e-3))
    a.loc[0, STEP_TYPE] = "rest"
    a[STEP_TYPE] = a[STEP_TYPE].str.upper()
    assert (b[STEP_TYPE] == "discharge").all()
    assert (build_table(t, 3.0 + 0 * t, np.full(30, -1e-3))[STEP_TYPE] == "discharge").all()
    assert a[STEP_TYPE].iloc[0] == "REST" and a[STEP_TYPE].dtype == b[STEP_TYPE].dtype


def test_tables_do_not_share_their_column_index():
    t = np.arange(5.0)
    a = build_table(t, t, -np.ones(5))
    b = build_table(t, t, -np.ones(5))
    a.columns.name = "renamed"
    assert b.columns.name is None and build_table(t, t, -np.ones(5)).columns.name is None
