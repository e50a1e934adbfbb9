"""``lilean reproduce``: every experiment of the study, from the digital twin, in one report.

The engine (context, records, cache) is :mod:`lilean.report.engine`; each section is one module of
:mod:`lilean.report.sections`, registered in :data:`lilean.report.sections.SECTIONS`; this module
runs them (:func:`reproduce`) and writes the report. It imports the engine and the sections, never
the other way round.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lilean.parameters import ParameterSet
from lilean.report.citations_section import works_cited
from lilean.report.engine import (
    KINDS,
    Context,
    Measured,
    inputs_hash,
    load_cached,
    missing_extra,
    published,
    record,
    scan_measured,
    store_cached,
)
from lilean.report.html import Section, write_report
from lilean.report.scorecard import scorecard
from lilean.report.sections import SECTIONS
from lilean.schema import atomic_output, to_json_records

#: the registered sections (historical name)
EXPERIMENTS = SECTIONS

__all__ = [
    "EXPERIMENTS",
    "KINDS",
    "SECTIONS",
    "Context",
    "Measured",
    "published",
    "record",
    "reproduce",
    "scan_measured",
]


FAST_NOTE = (
    "--fast: coarser settings for a quick look (nucleation overpotential at 3 current densities "
    "instead of 6, impedance after 3 cycle counts instead of 5, smaller lattices for plumes and "
    "morphology, a 3 x 3 process map, figures for the first 4 measured files); the cell "
    "simulations themselves are unchanged."
)


def reproduce(
    out_dir: Path,
    params: ParameterSet,
    *,
    fast: bool = False,
    data_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    use_cache: bool = True,
    only: list[str] | None = None,
    sections: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Run every registered section, write ``report.html``, ``figures/``, ``results/`` and
    ``summary.json``.

    ``only`` restricts the run to those section keys; ``sections`` replaces the registry
    (:data:`lilean.report.sections.SECTIONS`, for tests). Returns ``{"summary": [...records],
    "scorecard": [...], "failed": [...keys], "missing": [...keys], "cached": [...keys],
    "seconds": s, "report": path}``.
    """
    registry = list(SECTIONS if sections is None else sections)
    ctx = Context(out_dir=out_dir, params=params, fast=fast, data_dir=data_dir)
    ctx.figures.mkdir(parents=True, exist_ok=True)
    ctx.results.mkdir(parents=True, exist_ok=True)
    done: list[Section] = []
    failed: list[str] = []
    missing: list[str] = []
    cached: list[str] = []
    timings: dict[str, float] = {}
    start = time.perf_counter()
    chosen = [s for s in registry if only is None or s.key in only]
    for k, spec in enumerate(chosen):
        if progress:
            progress(spec.title, k, len(chosen))
        t0 = time.perf_counter()
        key = inputs_hash(ctx, spec.key)
        section = load_cached(ctx, spec.key, key) if use_cache else None
        if section is not None:
            cached.append(spec.key)
        else:
            ctx.written = []
            try:
                section = spec.run(ctx)
            except Exception as exc:  # one failed experiment must not kill the report
                extra = missing_extra(exc)
                if extra is not None:  # an optional extra is not installed: say which
                    section = Section(spec.key, spec.title, missing=extra)
                else:
                    section = Section(
                        spec.key, spec.title, missing=f"FAILED: {type(exc).__name__}: {exc}"
                    )
                    section.failed = True
                    section.notes.append(traceback.format_exc(limit=3))
            else:
                store_cached(ctx, section, key, ctx.written)
        if section.failed:
            failed.append(spec.key)
        elif section.missing:
            missing.append(spec.key)
        ctx.records += [dict(r, experiment=r.get("experiment", spec.key)) for r in section.rows]
        done.append(section)
        timings[spec.key] = time.perf_counter() - t0
    if progress:
        progress("writing report", len(chosen), len(chosen))
    card = scorecard(done)
    header = f"<p class='mode'>{FAST_NOTE}</p>" if fast else ""
    intro = (
        "In-silico reproduction of Zhang, Xia, Li et al., ACS Appl. Energy Mater. 6 (2023) 6338 "
        f"[Zhang2023] (Ag plumes on Cu for Li-lean anodes) with lilean, parameter set "
        f"'{params.name}' (hash {params.hash()}){' — fast mode' if fast else ''}. Every number "
        "has a kind: <b>input</b> (cell build or protocol: matches by construction), "
        "<b>assumed</b>, <b>calibrated</b> (a calibration target of the parameter set: shown, "
        "never counted as agreement), <b>predicted</b> (not used in calibration: study value, "
        "tolerance, pass/fail; blind-validation values are held back) and <b>qualitative</b> "
        "(a relation the study states). The scorecard counts predictions only."
    )
    write_report(
        out_dir / "report.html",
        "lilean: Ag@Cu Li-lean anodes in silico",
        intro,
        done,
        header,
        scorecard=card,
        works_cited=works_cited(params, [s.key for s in done]),
    )
    summary = list(ctx.records)
    with atomic_output(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(to_json_records(summary), indent=1))
    return {
        "summary": summary,
        "scorecard": card,
        "failed": failed,
        "missing": missing,
        "cached": cached,
        "timings_s": timings,
        "seconds": time.perf_counter() - start,
        "report": str(out_dir / "report.html"),
    }
