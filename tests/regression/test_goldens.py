"""Every simulated experiment still gives its golden numbers (``golden_cases.py``).

Tolerance: ``RTOL`` relative / ``ATOL`` absolute on every float (table cells and scalars); exact
equality for integers, booleans, strings and column names. Regenerate on purpose only:
``PYTHONPATH=src python tests/regression/make_goldens.py --force [CASE ...]``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from golden_cases import ATOL, CASES, GOLDENS, RTOL


def _compare(path: str, got: Any, want: Any) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert sorted(got) == sorted(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            _compare(f"{path}.{k}", got[k], want[k])
    elif isinstance(want, list):
        assert isinstance(got, list | tuple) and len(got) == len(want), f"{path}: length"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _compare(f"{path}[{i}]", g, w)
    elif isinstance(want, bool) or want is None or isinstance(want, str):
        assert got == want, f"{path}: {got!r} != {want!r}"
    elif isinstance(want, int) and isinstance(got, int) and not isinstance(got, bool):
        assert got == want, f"{path}: {got} != {want}"
    else:
        g = float(got)
        assert math.isclose(g, float(want), rel_tol=RTOL, abs_tol=ATOL) or (
            math.isnan(g) and math.isnan(float(want))
        ), f"{path}: {g!r} != golden {want!r}"


@pytest.mark.parametrize("name", list(CASES))
def test_golden(name: str) -> None:
    folder = GOLDENS / name
    if not folder.exists():
        pytest.fail(f"no golden for {name}: run tests/regression/make_goldens.py {name}")
    tables, scalars = CASES[name]()
    want_files = sorted(p.stem for p in folder.glob("*.parquet"))
    assert sorted(tables) == want_files
    for table_name, frame in tables.items():
        want = pd.read_parquet(folder / f"{table_name}.parquet")
        got = frame.reset_index(drop=True)
        assert list(got.columns) == list(want.columns), table_name
        assert len(got) == len(want), f"{name}/{table_name}: {len(got)} rows != {len(want)}"
        for col in want.columns:
            g, w = got[col].to_numpy(), want[col].to_numpy()
            if w.dtype.kind == "f":
                np.testing.assert_allclose(
                    g.astype(float), w, rtol=RTOL, atol=ATOL, err_msg=f"{name}/{table_name}/{col}"
                )
            else:
                assert np.array_equal(g, w), f"{name}/{table_name}/{col}"
    want_scalars = json.loads((folder / "scalars.json").read_text())
    _compare(name, json.loads(json.dumps(scalars)), want_scalars)


def test_make_goldens_refuses_to_overwrite(capsys: pytest.CaptureFixture[str]) -> None:
    import make_goldens

    existing = next(n for n in CASES if (GOLDENS / n).exists())
    assert make_goldens.main([existing]) == 2
    assert "--force" in capsys.readouterr().err
