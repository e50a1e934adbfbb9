"""The sections of ``lilean reproduce``, one module each, registered in :data:`SECTIONS`.

Adding a section: write ``sections/<name>.py`` with a ``run(ctx) -> Section`` function and append
one :class:`SectionSpec` here; the engine, the scorecard, the cache and the CLI iterate this list.
``models`` names the model modules a section runs: their registered citations
(:mod:`lilean.citations`) go into the report's works cited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lilean.report.sections import (
    cell,
    eis,
    full_cell,
    lab_data,
    morphology,
    np10,
    nucleation,
    plumes,
    rate,
    symmetric,
    xrd,
)

if TYPE_CHECKING:
    from lilean.report.engine import Context
    from lilean.report.html import Section


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    run: Callable[[Context], Section]
    models: tuple[str, ...] = ()


CELL_MODELS = (
    "lilean.models.anode",
    "lilean.models.cathode",
    "lilean.models.full_cell",
    "lilean.models.electrolyte",
    "lilean.analysis.cycling",
)

SECTIONS: list[SectionSpec] = [
    SectionSpec("cell", "Cells: build and test conditions", cell.run),
    SectionSpec(
        "xrd", "XRD of Cu and Ag@Cu", xrd.run, ("lilean.xrd.simulate", "lilean.xrd.identify")
    ),
    SectionSpec(
        "plumes",
        "Ag plume growth and process map",
        plumes.run,
        ("lilean.models.plumes", "lilean.lattice.plumes"),
    ),
    SectionSpec(
        "nucleation", "Li nucleation on Cu and Ag@Cu", nucleation.run, ("lilean.models.nucleation",)
    ),
    SectionSpec(
        "morphology",
        "Li deposition morphology",
        morphology.run,
        ("lilean.models.deposition_lattice", "lilean.lattice.deposition"),
    ),
    SectionSpec(
        "symmetric",
        "Symmetric cells",
        symmetric.run,
        ("lilean.models.anode", "lilean.models.symmetric", "lilean.analysis.symmetric"),
    ),
    SectionSpec("full-cell-np25", "Full cells N/P = 25", full_cell.run, CELL_MODELS),
    SectionSpec(
        "eis", "Impedance after cycling", eis.run, ("lilean.models.impedance", *CELL_MODELS)
    ),
    SectionSpec("rate", "Rate capability", rate.run, CELL_MODELS),
    SectionSpec("np10", "Prediction: N/P = 10", np10.run, CELL_MODELS),
    SectionSpec(
        "lab-data",
        "Measured files",
        lab_data.run,
        (
            "lilean.analysis.cycling",
            "lilean.analysis.deposition",
            "lilean.analysis.symmetric",
            "lilean.analysis.dqdv",
            "lilean.eis.analysis",
        ),
    ),
]
