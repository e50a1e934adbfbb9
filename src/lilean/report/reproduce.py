"""``lilean reproduce``: every experiment of the study, from the digital twin, in one report.

Each experiment is a function ``(ctx) -> Section`` registered in :data:`EXPERIMENTS`. It runs the
simulation through the public API, writes figures and Parquet results, and returns the study-vs-lilean
records. Experiments whose capability has not been built yet are listed as *missing*, never faked; an
experiment that fails is reported as failed and makes the command exit non-zero.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lilean.parameters import ParameterSet
from lilean.report.html import Section, write_report
from lilean.schema import atomic_output, to_json_records


@dataclass
class Context:
    out_dir: Path
    params: ParameterSet
    fast: bool = False
    data_dir: Path | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def figures(self) -> Path:
        return self.out_dir / "figures"

    @property
    def results(self) -> Path:
        return self.out_dir / "results"


def published() -> dict[str, Any]:
    """The study's published numbers (Zhang et al. 2023) with tolerances, for comparison only."""
    text = (resources.files("lilean.report") / "Zhang2023_published.json").read_text()
    return dict(json.loads(text))


def record(
    experiment: str,
    quantity: str,
    unit: str,
    lilean: float | None,
    study: float | None,
    tolerance_percent: float | None = None,
) -> dict[str, Any]:
    """One headline number: ``{"experiment", "quantity", "unit", "lilean", "study"}`` plus
    ``deviation_percent`` when the study gives a number."""
    rec: dict[str, Any] = {
        "experiment": experiment,
        "quantity": quantity,
        "unit": unit,
        "lilean": lilean,
        "study": study,
    }
    if study is not None and lilean is not None and study != 0:
        rec["deviation_percent"] = 100.0 * (lilean - study) / abs(study)
    if tolerance_percent is not None:
        rec["tolerance_percent"] = tolerance_percent
    return rec


def _param_rows(params: ParameterSet, prefixes: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    return [
        (name, f"{p.value:.6g} {p.unit}", p.kind, p.source)
        for name, p in params.flat().items()
        if name.startswith(prefixes)
    ]


# ---- experiments ---------------------------------------------------------------------------


def lab_data(ctx: Context) -> Section:
    """Analyse every readable cycler file found in ``--data-dir`` with the lab-data pipeline."""
    from lilean import io
    from lilean.api import analyze_data
    from lilean.errors import LileanError

    section = Section(
        "lab-data",
        "Measured files (lab-data pipeline)",
        setup="Every cycler file found in the data folder is read by content-detected readers "
        "into the canonical table and analysed with the kind detected from its current pattern.",
    )
    if ctx.data_dir is None:
        section.missing = "no --data-dir given"
        return section
    files = sorted(p for p in ctx.data_dir.rglob("*") if p.is_file())
    table_rows = []
    for path in files:
        try:
            reader = io.detect(path)
        except LileanError:
            continue  # not a cycler file (licences, yml configs, EIS spectra ...)
        try:
            data = io.read(path, reader.name, strict=False)
            result = analyze_data(data, plot_dir=ctx.figures / "lab")
        except LileanError as exc:
            section.notes.append(f"{path.name}: {exc}")
            continue
        table_rows.append(
            f"{path.relative_to(ctx.data_dir)}: {reader.name}, {len(data)} rows, "
            f"{data.n_cycles} cycles, analysed as {result['kind']}"
        )
        section.figures += [Path(f) for f in result.get("figures", []) if f.endswith(".png")][:1]
    section.notes = table_rows + section.notes
    return section


Experiment = Callable[[Context], Section]

#: (key, title, function or None if the capability is not built yet, why missing)
EXPERIMENTS: list[tuple[str, str, Experiment | None, str]] = [
    ("xrd", "XRD of Cu and Ag@Cu", None, "XRD simulation (issue 6) not built yet"),
    ("plumes", "Ag plume growth and process map", None, "plume lattice model (issue 6) not built"),
    (
        "morphology",
        "Li deposition morphology",
        None,
        "Li deposition lattice model (issue 6) not built",
    ),
    ("eis", "Impedance after cycling", None, "impedance model (issue 5) not built yet"),
    ("lab-data", "Measured files", lab_data, ""),
]


def reproduce(
    out_dir: Path,
    params: ParameterSet,
    *,
    fast: bool = False,
    data_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every experiment, write ``report.html``, ``figures/``, ``results/`` and ``summary.json``.

    Returns ``{"summary": [...records], "failed": [...keys], "missing": [...keys], "seconds": s}``.
    """
    ctx = Context(out_dir=out_dir, params=params, fast=fast, data_dir=data_dir)
    ctx.figures.mkdir(parents=True, exist_ok=True)
    ctx.results.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    failed: list[str] = []
    missing: list[str] = []
    start = time.perf_counter()
    for k, (key, title, func, why) in enumerate(EXPERIMENTS):
        if progress:
            progress(title, k, len(EXPERIMENTS))
        if func is None:
            sections.append(Section(key, title, missing=why))
            missing.append(key)
            continue
        try:
            section = func(ctx)
        except Exception as exc:  # one failed experiment must not kill the report
            failed.append(key)
            section = Section(key, title, missing=f"FAILED: {type(exc).__name__}: {exc}")
            section.notes.append(traceback.format_exc(limit=3))
        else:
            if section.missing:
                missing.append(key)
        ctx.records += [dict(r, experiment=r.get("experiment", key)) for r in section.rows]
        sections.append(section)
    if progress:
        progress("writing report", len(EXPERIMENTS), len(EXPERIMENTS))
    intro = (
        "In-silico reproduction of Zhang, Xia, Li et al., ACS Appl. Energy Mater. 6 (2023) 6338 "
        f"(Ag plumes on Cu for Li-lean anodes) with lilean, parameter set '{params.name}' "
        f"(hash {params.hash()}){' — fast mode' if fast else ''}. Study numbers are the published "
        "values; deviations are coloured green within the study tolerance, yellow within twice it."
    )
    write_report(out_dir / "report.html", "lilean: Ag@Cu Li-lean anodes in silico", intro, sections)
    summary = [{k: v for k, v in r.items() if k != "tolerance_percent"} for r in ctx.records]
    with atomic_output(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(to_json_records(summary), indent=1))
    return {
        "summary": summary,
        "failed": failed,
        "missing": missing,
        "seconds": time.perf_counter() - start,
        "report": str(out_dir / "report.html"),
    }
