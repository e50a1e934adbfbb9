"""lilean: a toolkit for Li-metal and Li-lean anodes.

One pipeline, used two ways::

    parameters -> protocol -> model -> cycling table -> analysis -> figures / report
                              cycler file -^

The top-level namespace is kept light (fast import, nothing beyond the standard library): the
names below load their module on first attribute access (PEP 562 module ``__getattr__``), so
``import lilean`` does not import pandas, pyarrow, pydantic, scipy or numba.
``tests/unit/test_import_time.py`` checks that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lilean.errors import FileFormatError, LileanError, ParameterError
    from lilean.schema import CyclingData, Metadata

__version__: str

_LAZY = {
    "CyclingData": "lilean.schema",
    "Metadata": "lilean.schema",
    "FileFormatError": "lilean.errors",
    "LileanError": "lilean.errors",
    "ParameterError": "lilean.errors",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lilean")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'lilean' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "__version__"})


__all__ = [
    "CyclingData",
    "FileFormatError",
    "LileanError",
    "Metadata",
    "ParameterError",
    "__version__",
]
