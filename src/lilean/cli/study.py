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
        bool,
        typer.Option(
            "--fast",
            help="Coarser settings for a quick look: 3 instead of 6 current densities for the "
            "nucleation overpotential, 3 instead of 5 cycle counts for impedance, smaller "
            "lattices, a 3 x 3 plume process map and figures for the first 4 measured files (stated in the report header).",
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Recompute every experiment (by default results are cached in OUT/.cache, "
            "content-addressed: parameter hash, settings, lilean version and source, data-dir "
            "fingerprint, and the hash of every cached number and figure; an entry that does not "
            "verify is recomputed).",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Reproduce the study in silico and write report.html, figures/, results/, summary.json.

    Runs every experiment of Zhang et al. 2023 (XRD, plume growth and process map, nucleation,
    deposition morphology, symmetric cells, N/P 25 full cells, EIS, rate test, N/P 10
    predictions) and, with --data-dir, analyses the measured files found there and shows those of
    the study's cell types beside the matching simulation (the others in their own section).
    summary.json holds one record per number with its kind (input, assumed, calibrated,
    predicted, qualitative), the study value, tolerance and pass; the report opens with the
    scorecard of predictions. A progress bar shows each experiment. Exit status 1 when an
    experiment failed.
    """
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from lilean.report.reproduce import reproduce as run

    p = load_params(params)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=json_out,
    ) as bar:
        overall = bar.add_task("reproduce", total=1)
        current: list[TaskID] = []

        def progress(title: str, done: int, total: int) -> None:
            # one bar per experiment (finished when the next starts) and one for the whole run
            for task in current:
                bar.update(task, completed=1)
            bar.update(overall, completed=done, total=total)
            if done < total:
                current[:] = [bar.add_task(f"  {title}", total=1)]

        result = run(
            out, p, fast=fast, data_dir=data_dir, progress=progress, use_cache=not no_cache
        )
    if json_out:
        emit_json(result)
    else:
        from lilean.report.scorecard import totals

        passed, tried = totals(result["scorecard"])
        err_console.print(
            f"predictions passed {passed} / {tried} (calibration targets not counted); "
            f"wrote {result['report']} in {result['seconds']:.1f} s "
            f"({len(result['cached'])} experiments from the cache); "
            f"missing: {', '.join(result['missing']) or 'none'}; "
            f"failed: {', '.join(result['failed']) or 'none'}"
        )
    if result["failed"]:
        raise typer.Exit(1)
