"""Importing this module registers every reader. One module per instrument family.

The modules are imported in the order of :data:`_MODULES`, which is the registration order
(:func:`lilean.io.registry.readers`), with the generic ``csv`` reader last. The imports are plain
(no ``try``): a reader module that is broken fails loudly. Optional third-party packages (galvani
for ``.mpr``, ...) are never imported at module level but only when a file is read
(:func:`lilean.io.common.require`), so a missing one breaks only its own format.
"""

from __future__ import annotations

import importlib

_MODULES = (
    "biologic",
    "neware",
    "arbin",
    "maccor",
    "land",
    "basytec",
    "novonix",
    "pec",
    "gamry",
    "bdf",
    "csv_generic",
)

for _name in _MODULES:
    importlib.import_module(f"lilean.io.{_name}")
