"""Measured files of ``--data-dir``: every cycler file through the lab-data pipeline, grouped by
cell type; measured impedance spectra. Each file has its own figure: files of different cells are
never overlaid."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from lilean.report.engine import Context
from lilean.report.html import Figure, Section

#: with --fast, figures are drawn for this many measured files only (all are analysed)
FAST_LAB_FIGURES = 4
FIGURE_TITLES = {
    "cycle_summary": "per-cycle discharge capacity and Coulombic efficiency",
    "deposition": "deposition transient",
    "symmetric": "symmetric-cell voltage",
    "rate": "rate table",
    "voltage": "voltage profiles",
    "dqdv": "dQ/dV",
}


def slug(relative: str) -> str:
    """A file-name-safe, unique stem for a data file (its suffix included: ``arbin/x.res`` ->
    ``arbin_x_res``, never the same as ``arbin/x.csv``)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", relative).strip("_")


def _measured_spectra(ctx: Context, section: Section) -> list[tuple[str, Any]]:
    """Impedance files in folders named ``eis`` under ``--data-dir`` (read by
    :func:`lilean.io.eis.read_eis`; unreadable ones are noted, not fatal)."""
    from lilean.errors import LileanError
    from lilean.io.eis import read_eis

    if ctx.data_dir is None:
        return []
    found = []
    for path in sorted(ctx.data_dir.rglob("*")):
        if not path.is_file() or path.parent.name.lower() != "eis":
            continue
        try:
            found.append((f"measured {path.relative_to(ctx.data_dir)}", read_eis(path)))
        except LileanError as exc:
            section.notes.append(f"{path.name}: {exc}")
    return found


def _analysed_figure(
    ctx: Context, m: Any, rel: str, result: dict[str, Any], tmp: Path
) -> Figure | None:
    """Rename the figures :func:`lilean.api.analyze_data` wrote into ``tmp`` to unique names and
    return the first one with its caption."""
    chosen: Figure | None = None
    stem = Path(m.data.meta.source_file or "lilean").stem
    for written in result.get("figures", []):
        src = Path(written)
        name = src.stem.removeprefix(f"{stem}_")
        dest = ctx.figures / "lab" / f"{slug(rel)}_{name}{src.suffix}"
        shutil.move(str(src), dest)
        ctx.written.append(ctx.relative(dest))
        if chosen is None and dest.suffix == ".png":
            chosen = Figure(
                ctx.relative(dest),
                f"Measured file {rel} ({m.reader}, {len(m.data)} rows, {m.data.n_cycles} "
                f"cycles, cell type {m.cell_type}, analysed as {result['kind']}): "
                f"{FIGURE_TITLES.get(name, name)} computed by lilean from the file.",
                "none (a measured file, not a study figure)",
            )
    shutil.rmtree(tmp, ignore_errors=True)
    return chosen


def run(ctx: Context) -> Section:
    from lilean.api import analyze_data
    from lilean.errors import LileanError
    from lilean.report.interactive import nyquist_div

    section = Section(
        "lab-data",
        "Measured files (lab-data pipeline)",
        setup="Every cycler file found in the data folder is read by content-detected readers "
        "into the canonical table and analysed with the kind detected from its current pattern. "
        "Only files of the study's cell types (Li || LFP cycling, Li || Cu deposition) are shown "
        "beside the matching simulation above; the others (Si, graphite, NMC ... cells; impedance "
        "spectra of other cells) are shown here.",
    )
    if ctx.data_dir is None:
        section.missing = "no --data-dir given"
        return section
    (ctx.figures / "lab").mkdir(parents=True, exist_ok=True)
    table_rows = []
    for k, m in enumerate(ctx.measured):
        rel = str(m.path.relative_to(ctx.data_dir))
        plot = not ctx.fast or k < FAST_LAB_FIGURES
        tmp = ctx.figures / "lab" / f".tmp-{k}"
        try:
            result = analyze_data(m.data, kind=m.kind, plot_dir=tmp if plot else None)
        except LileanError as exc:
            section.notes.append(f"{rel}: {exc}")
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        table_rows.append(
            f"{rel}: {m.reader}, {len(m.data)} rows, {m.data.n_cycles} cycles, cell type "
            f"{m.cell_type}, analysed as {result['kind']}"
        )
        if plot:
            figure = _analysed_figure(ctx, m, rel, result, tmp)
            if figure is not None:
                section.figures.append(figure)
    if ctx.fast and len(ctx.measured) > FAST_LAB_FIGURES:
        section.notes.append(
            f"--fast: figures for the first {FAST_LAB_FIGURES} files only; all are analysed."
        )
    spectra = _measured_spectra(ctx, section)
    if spectra:
        section.interactive.append(
            nyquist_div(
                spectra,
                div_id="plotly-nyquist-measured",
                title="Measured impedance spectra of the data folder (other cells; zoomable)",
            )
        )
        section.notes.append(
            "Measured impedance spectra (their cells differ from the study's): "
            + ", ".join(label for label, _ in spectra)
        )
    section.notes = table_rows + section.notes + ctx.skipped
    return section
