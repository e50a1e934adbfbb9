"""lilean: a toolkit for Li-metal and Li-lean anodes.

One pipeline, used two ways::

    parameters -> protocol -> model -> cycling table -> analysis -> figures / report
                              cycler file -^

The top-level namespace is kept light (fast import): heavy modules load on first use.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lilean")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from lilean.errors import FileFormatError, LileanError, ParameterError
from lilean.schema import CyclingData, Metadata

__all__ = [
    "CyclingData",
    "FileFormatError",
    "LileanError",
    "Metadata",
    "ParameterError",
    "__version__",
]
