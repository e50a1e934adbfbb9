"""``lilean.plotting`` exports its public functions (resolved lazily, each one callable)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lilean.plotting as plotting


@pytest.mark.parametrize("name", plotting.__all__)
def test_every_export_resolves_to_a_callable(name: str) -> None:
    assert callable(getattr(plotting, name))


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_plot"):
        plotting.no_such_plot  # noqa: B018


def test_import_is_matplotlib_free() -> None:
    code = "import sys, lilean.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
