"""Importing this module registers every reader. One module per instrument family."""

from __future__ import annotations

import importlib
import importlib.util

_MODULES = ("biologic", "neware", "arbin", "maccor", "land", "basytec", "novonix", "csv_generic")

for _name in _MODULES:
    if importlib.util.find_spec(f"lilean.io.{_name}") is not None:
        importlib.import_module(f"lilean.io.{_name}")
