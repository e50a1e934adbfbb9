"""The whole study: reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    app,
    emit_json,
    err_console,
    handle_errors,
    load_params,
)

# ---- the whole study -------------------------------------------------------------------------


@app.command()
@handle_errors
def reproduce(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("report"),
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Measured files to analyse and overlay.")
    ] = None,
    params: ParamsOpt = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Coarser settings for a quick look.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Reproduce the study in silico and write report.html, figures/, results/, summary.json."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lilean.report.reproduce import reproduce as run

    p = load_params(params)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=json_out,
    ) as bar:
        task = bar.add_task("starting", total=1)

        def progress(title: str, done: int, total: int) -> None:
            bar.update(task, description=title, completed=done, total=total)

        result = run(out, p, fast=fast, data_dir=data_dir, progress=progress)
    if json_out:
        emit_json(result)
    else:
        err_console.print(
            f"wrote {result['report']} in {result['seconds']:.1f} s; "
            f"missing: {', '.join(result['missing']) or 'none'}; "
            f"failed: {', '.join(result['failed']) or 'none'}"
        )
    if result["failed"]:
        raise typer.Exit(1)
