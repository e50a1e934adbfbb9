"""``import lilean`` stays light: the package root loads no heavy dependency.

Checked in a fresh interpreter (``sys.modules`` after the import), not with a timed assertion: the
start-up time itself is a benchmark (``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "pyarrow", "pydantic", "scipy", "numba", "numpy", "matplotlib", "dask")
SRC = Path(__file__).resolve().parents[2] / "src"


def _loaded_after(statement: str) -> list[str]:
    code = (
        f"import sys, json; {statement}; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    ["import lilean", "import lilean.errors", "import lilean.lattice", "import lilean.cli"],
)
def test_import_loads_no_heavy_dependency(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_lazy_names_still_resolve() -> None:
    loaded = _loaded_after(
        "import lilean; v = lilean.__version__; e = lilean.ParameterError; "
        "assert issubclass(e, lilean.LileanError), e; assert isinstance(v, str) and v"
    )
    assert "pandas" not in loaded  # errors and the version need no table library
    # the table classes load their module on first use
    assert "pandas" in _loaded_after("import lilean; lilean.CyclingData")


def test_unknown_attribute_raises() -> None:
    import lilean

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = lilean.nope  # type: ignore[attr-defined]
