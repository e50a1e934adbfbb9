"""Many cells: batch (archive -> Parquet dataset) and compare (groups of cells)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lilean.cli.common import JsonOpt, app, console, emit_json, err_console, handle_errors
from lilean.cli.display import literal, output_console, print_result_tables


@app.command()
@handle_errors
def batch(
    source: Annotated[str, typer.Argument(help="A folder (searched recursively) or a glob.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (created).")],
    meta: Annotated[
        Path | None,
        typer.Option("--meta", help="cells.csv: a 'file' column plus group, area_cm2, ..."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Existing dask scheduler address.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Threads of the embedded dask cluster.")
    ] = None,
    serial: Annotated[
        bool, typer.Option("--serial", help="Run in this process, without dask.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Redo every file, cached or not.")] = False,
    summary: Annotated[
        Path | None,
        typer.Option("--summary", help="Also write every cell's per-cycle summary (.csv, ...)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Convert and analyse every cycler file of an archive into one Parquet dataset (DuckDB,
    pandas and polars query it in place); only new or changed files are redone."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from lilean.batch.dataset import run_batch

    bar = Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        console=err_console,
        disable=json_out,
    )
    with bar:
        task = bar.add_task("batch", total=None, last="")

        def progress(status: dict[str, Any], done: int, total: int) -> None:
            mark = "ok" if status["status"] == "ok" else "FAILED"
            bar.update(task, completed=done, total=total, last=f"{mark} {status['file']}")

        result = run_batch(
            source,
            out,
            meta_csv=meta,
            scheduler=scheduler,
            workers=workers,
            serial=serial,
            force=force,
            progress=progress,
        )
    if summary is not None:
        from lilean.batch.dataset import load
        from lilean.batch.export import write_frame

        cycles = load(out, "cycles")
        result["summary"] = str(write_frame(cycles, summary))
    if json_out:
        emit_json(result)
        return
    print_result_tables({"kind": "batch", "file": str(source), **result}, console)


@app.command()
@handle_errors
def compare(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder written by `lilean batch`.")],
    by: Annotated[str, typer.Option("--by", help="Group by this cells/meta column.")] = "group",
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Figure: .png (+ .svg), .svg or .pdf.")
    ] = Path("compare.png"),
    meta: Annotated[
        Path | None, typer.Option("--meta", help="cells.csv giving the group column.")
    ] = None,
    metrics: Annotated[
        str, typer.Option("--metrics", help="Comma list of retention, ce, capacity, polarization.")
    ] = "retention,ce,capacity,polarization",
    json_out: JsonOpt = False,
) -> None:
    """Plot groups of cells (mean and spread bands vs cycle) from a batch dataset."""
    from lilean.batch.compare import compare as run_compare

    result = run_compare(
        dataset,
        by,
        output,
        metrics=[m.strip() for m in metrics.split(",") if m.strip()],
        meta_csv=meta,
    )
    if json_out:
        emit_json(result)
        return
    out = output_console(console)
    for path in result["figures"]:
        out.print(literal(f"wrote {path}"))
    out.print(literal(f"groups: {result['groups']}"))
