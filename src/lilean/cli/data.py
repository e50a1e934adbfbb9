"""Lab data: formats, info, convert, analyze."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lilean.cli.common import (
    AreaOpt,
    FormatOpt,
    JsonOpt,
    MapOpt,
    MassOpt,
    app,
    console,
    emit_json,
    err_console,
    handle_errors,
)
from lilean.cli.display import captured_notes, literal, output_console, print_result_tables

# ---- lab data ------------------------------------------------------------------------------


#: read what is whole of a damaged file instead of refusing it (its notes say what is missing)
AllowPartialOpt = Annotated[
    bool,
    typer.Option(
        "--allow-partial",
        help="Read the whole part of a damaged file (truncated, corrupted) instead of refusing it; "
        "the table's notes say exactly what is missing.",
    ),
]


def _warn_partial(data: Any) -> None:
    """Print each ``PARTIAL TABLE:`` note of a partial read to stderr (not only stored)."""
    from lilean.io.common import PARTIAL_PREFIX

    for note in data.meta.notes:
        if str(note).startswith(PARTIAL_PREFIX):
            err_console.print(
                f"warning: {data.meta.source_file}: {note}", highlight=False, soft_wrap=True
            )


def _load_table(
    file: Path,
    fmt: str | None,
    mapping: str | None,
    area_cm2: float | None,
    active_mass_mg: float | None,
    allow_partial: bool,
) -> tuple[Any, list[str]]:
    """The file's table (:func:`lilean.api.load_table`) and the notes that reading it printed or
    logged (captured, not lost); each ``PARTIAL TABLE:`` note is also printed to stderr."""
    from lilean.api import load_table

    with captured_notes() as chatter:
        data = load_table(
            file,
            fmt=fmt,
            mapping=mapping,
            area_cm2=area_cm2,
            active_mass_mg=active_mass_mg,
            allow_partial=allow_partial,
        )
    _warn_partial(data)
    return data, list(chatter)


@app.command()
@handle_errors
def formats(json_out: JsonOpt = False) -> None:
    """List the file formats lilean reads (detected by content)."""
    from lilean import io

    rows: list[dict[str, Any]] = [
        {
            "name": r.name,
            "instrument": r.instrument,
            "extensions": list(r.extensions),
            "description": r.description,
        }
        for r in io.formats()
    ]
    if json_out:
        emit_json({"formats": rows})
        return
    table = Table("format", "instrument", "extensions", "description")
    for reader in io.formats():
        table.add_row(
            literal(reader.name),
            literal(reader.instrument),
            literal(" ".join(reader.extensions)),
            literal(reader.description),
        )
    output_console(console).print(table)


@app.command()
@handle_errors
def info(
    file: Annotated[Path, typer.Argument(help="A cycler file.")],
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    allow_partial: AllowPartialOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Format, rows, cycles, duration, columns and anomalies (time going backwards, gaps, NaNs)."""
    from lilean import io
    from lilean.schema import CURRENT, VOLTAGE

    with captured_notes() as chatter:
        if mapping:
            from lilean.api import load_table

            data = load_table(file, mapping=mapping)
        else:
            data = io.read(file, fmt, strict=False, allow_partial=allow_partial)
    _warn_partial(data)
    d = data.data
    out = {
        "file": str(file),
        "format": data.meta.file_format,
        "instrument": data.meta.instrument,
        "reader": data.meta.reader,
        "rows": len(d),
        "cycles": data.n_cycles,
        "duration_h": data.duration_s / 3600,
        "voltage_range_V": [float(d[VOLTAGE].min()), float(d[VOLTAGE].max())],
        "current_range_A": [float(d[CURRENT].min()), float(d[CURRENT].max())],
        "columns": list(d.columns),
        "units_found": data.meta.units_found,
        "area_cm2": data.meta.area_cm2,
        "active_mass_mg": data.meta.active_mass_mg,
        "start_time": data.meta.start_time,
        "anomalies": data.meta.anomalies,
        "notes": [*data.meta.notes, *chatter],
    }
    if json_out:
        emit_json(out)
        return
    table = Table(show_header=False, title=literal(str(file)))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in out.items():
        if key in ("columns", "units_found"):
            value = ", ".join(value) if isinstance(value, list) else json.dumps(value)
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value) if value else "-"
        table.add_row(literal(key), literal(value))
    output_console(console).print(table)


@app.command()
@handle_errors
def convert(
    file: Annotated[Path, typer.Argument(help="A cycler file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="out.parquet or out.csv")],
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    area_cm2: AreaOpt = None,
    active_mass_mg: MassOpt = None,
    allow_partial: AllowPartialOpt = False,
) -> None:
    """Convert a cycler file to the canonical table (Parquet keeps all metadata; CSV writes
    a .meta.json beside it)."""
    from lilean.errors import OutputError

    if output.resolve() == file.resolve():
        raise OutputError(f"{output}: refusing to overwrite the input file")
    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise OutputError(f"{output}: output must end in .parquet or .csv")
    data, chatter = _load_table(file, fmt, mapping, area_cm2, active_mass_mg, allow_partial)
    if chatter:
        data = data.with_meta(notes=[*data.meta.notes, *chatter])
    if suffix == ".parquet":
        data.to_parquet(output)
    else:
        data.to_csv(output)
    # err_console interprets no markup (cli.common): the path prints as it is
    err_console.print(
        f"wrote {output} ({len(data)} rows, {data.n_cycles} cycles)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@handle_errors
def analyze(
    file: Annotated[Path, typer.Argument(help="A cycler file (or a lilean Parquet table).")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", "-k", help="deposition | symmetric | cycling | rate | auto (detect)."
        ),
    ] = "auto",
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    area_cm2: AreaOpt = None,
    active_mass_mg: MassOpt = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write PNG+SVG figures into this folder.")
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary", help="Also write the per-cycle summary: out.csv, .parquet or .xlsx."
        ),
    ] = None,
    allow_partial: AllowPartialOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Compute the study's metrics from a measured (or simulated) file."""
    from lilean.api import analyze_data

    data, chatter = _load_table(file, fmt, mapping, area_cm2, active_mass_mg, allow_partial)
    with captured_notes() as analysis_chatter:
        result = analyze_data(data, kind=kind, plot_dir=plot)
    notes = [*data.meta.notes, *chatter, *analysis_chatter]
    if notes:
        result["notes"] = notes
    if summary is not None:
        from lilean.batch.export import write_summary

        write_summary(result, summary)
    if json_out:
        emit_json(result)
        return
    print_result_tables(result, console)


@app.command()
@handle_errors
def dqdv(
    file: Annotated[Path, typer.Argument(help="A cycler file (or a lilean Parquet table).")],
    cycles: Annotated[
        str | None, typer.Option("--cycles", help="Comma list of cycles (default: all).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the curves: <stem>_dqdv / _dvdq / _peaks (.csv/.parquet)."
        ),
    ] = None,
    resolution_V: Annotated[
        float, typer.Option("--resolution-v", help="Voltage bin width of dQ/dV [V].")
    ] = 0.005,
    smoothing_window: Annotated[
        int, typer.Option("--window", help="Savitzky-Golay window in bins (0: none).")
    ] = 7,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the dQ/dV + dV/dQ figure here (.png).")
    ] = None,
    fmt: FormatOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """dQ/dV and dV/dQ of both branches, with peak positions and heights per cycle (as data)."""
    from lilean.analysis.dqdv import SMOOTHING_METHOD, differential_analysis
    from lilean.api import load_table

    chosen = None
    if cycles:
        try:
            chosen = [int(c) for c in cycles.split(",") if c.strip()]
        except ValueError:
            from lilean.errors import LileanError

            raise LileanError(
                f"--cycles must be integers separated by commas, got {cycles!r}"
            ) from None
    with captured_notes() as chatter:
        data = load_table(file, fmt=fmt)
        result = differential_analysis(
            data, chosen, voltage_resolution_V=resolution_V, smoothing_window=smoothing_window
        )
    written: list[str] = []
    if output is not None:
        from lilean.batch.export import write_frame
        from lilean.errors import OutputError

        suffix = output.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise OutputError(f"{output}: output must end in .csv or .parquet")
        for key, table in result.items():
            path = output.with_name(f"{output.stem}_{key}{suffix}")
            if path.resolve() == file.resolve():
                raise OutputError(f"{path}: refusing to overwrite the input file")
            written.append(str(write_frame(table, path)))
    if plot is not None:
        from lilean.plotting.figures import plot_differential, save_figure

        stem = plot.with_suffix("") if plot.suffix else plot / f"{file.stem}_dqdv"
        written += [str(p) for p in save_figure(plot_differential(result), stem)]
    from lilean.analysis._common import frame_to_columns

    out: dict[str, Any] = {
        "file": str(file),
        "kind": "dqdv",
        "method": SMOOTHING_METHOD,
        "voltage_resolution_V": resolution_V,
        "smoothing_window": smoothing_window,
        "cycles": sorted({int(c) for c in result["dqdv"]["Cycle"]}),
        "peaks": frame_to_columns(result["peaks"]),
        "written": written,
    }
    if chatter:
        out["notes"] = chatter
    if json_out:
        emit_json(out)
        return
    print_result_tables(out, console)
