"""The Python API that the CLI wraps: one function per user task.

>>> from lilean.api import load_table, analyze_data
>>> data = load_table("cell.ndax", active_mass_mg=2.66)          # doctest: +SKIP
>>> analyze_data(data, kind="cycling")["final_retention_percent"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lilean.errors import LileanError
from lilean.schema import CyclingData

ANALYSIS_KINDS = ("deposition", "symmetric", "cycling", "rate")


def load_table(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: str | None = None,
    area_cm2: float | None = None,
    active_mass_mg: float | None = None,
) -> CyclingData:
    """A cycler file, or a Parquet table written by lilean, as a :class:`CyclingData`."""
    from lilean import io

    path = Path(path)
    changes = {
        k: v for k, v in {"area_cm2": area_cm2, "active_mass_mg": active_mass_mg}.items() if v
    }
    if mapping:
        from lilean.io.csv_generic import parse_mapping, read_csv_mapped

        data = read_csv_mapped(io.check_readable(path), parse_mapping(mapping))
    elif fmt is None and path.suffix.lower() == ".parquet":
        data = CyclingData.from_parquet(io.check_readable(path))
    else:
        data = io.read(path, fmt)
    return data.with_meta(**changes) if changes else data


def analyze_data(
    data: CyclingData, *, kind: str = "auto", plot_dir: str | Path | None = None
) -> dict[str, Any]:
    """Run one analysis on a table and return a JSON-ready dict (``kind`` and ``file`` included).

    kind: ``deposition``, ``symmetric``, ``cycling``, ``rate`` or ``auto`` (detected from the
    current/voltage pattern; when the pattern fits none of them, e.g. a rest-only or single-step
    file, the per-cycle summary is computed and ``kind_note`` says why). ``plot_dir``: also write the matching figures (PNG + SVG) there.
    """
    from lilean.analysis.kind import assess_kind

    note = None
    seen = assess_kind(data)
    if kind == "auto":
        if seen.kind is None:
            # any file has a per-cycle summary; say why nothing more specific was computed
            kind, note = "cycling", f"{seen.reason}; showing the per-cycle summary"
        else:
            kind = seen.kind
    if kind not in ANALYSIS_KINDS:
        raise LileanError(f"unknown analysis kind {kind!r}; expected one of {ANALYSIS_KINDS}")
    out: dict[str, Any] = {"kind": kind, "file": data.meta.source_file}
    if note:
        out["kind_note"] = note
    out["kind_detected"] = {"kind": seen.kind, "confidence": seen.confidence}
    figures: list[Any] = []
    if kind == "deposition":
        from lilean.analysis.deposition import analyze_deposition

        dep = analyze_deposition(data, area_cm2=data.meta.area_cm2)
        out.update(dep.to_dict())
        if plot_dir:
            from lilean.plotting.figures import plot_deposition

            figures.append(("deposition", plot_deposition(data, dep)))
    elif kind == "symmetric":
        from lilean.analysis.symmetric import analyze_symmetric

        sym = analyze_symmetric(data)
        out.update(sym.to_dict())
        if plot_dir:
            from lilean.plotting.figures import plot_symmetric

            figures.append(("symmetric", plot_symmetric(data, sym)))
    elif kind == "cycling":
        from lilean.analysis.cycling import analyze_cycling

        cyc = analyze_cycling(data, active_mass_mg=data.meta.active_mass_mg)
        out.update(cyc.to_dict())
        if plot_dir:
            from lilean.analysis.dqdv import differential_analysis
            from lilean.plotting.figures import plot_cycle_summary, plot_differential, plot_voltage

            figures.append(("cycle_summary", plot_cycle_summary(cyc.table)))
            figures.append(("voltage", plot_voltage(data, x="capacity")))
            table = cyc.table
            cycles = table.loc[table["Complete"], "Cycle"].tolist() or sorted(
                set(data.data["Cycle"])
            )
            picks = sorted({cycles[0], cycles[len(cycles) // 2], cycles[-1]})
            figures.append(("dqdv", plot_differential(differential_analysis(data, picks))))
    else:
        from lilean.analysis.rate import rate_table

        table = rate_table(data, active_mass_mg=data.meta.active_mass_mg)
        out["rate_table"] = table.to_dict(orient="list")
        if plot_dir:
            from lilean.plotting.figures import plot_rate

            figures.append(("rate", plot_rate(table)))
    if plot_dir:
        from lilean.plotting.figures import save_figure

        stem = Path(data.meta.source_file or "lilean").stem
        written: list[str] = []
        for name, fig in figures:
            written += [str(p) for p in save_figure(fig, Path(plot_dir) / f"{stem}_{name}")]
        out["figures"] = written
    return out
