"""One helper for optional dependencies (the extras of ``pyproject.toml``).

>>> from lilean._optional import require
>>> np = require("numpy", "core")
"""

from __future__ import annotations

import importlib
from types import ModuleType

from lilean.errors import MissingExtraError


def require(module: str, extra: str, *, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`~lilean.errors.MissingExtraError` naming the install
    command ``pip install 'lilean[extra]'`` (one line, no traceback in the CLI)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        what = f"{purpose} needs" if purpose else "this needs"
        raise MissingExtraError(
            f"{what} the optional package {module.split('.')[0]!r}: pip install 'lilean[{extra}]'"
        ) from None


__all__ = ["require"]
