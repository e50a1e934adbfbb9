"""Design-space sweeps on Dask (issue 8): ``lilean sweep SPEC.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    PlotOpt,
    app,
    console,
    emit_json,
    err_console,
    handle_errors,
    print_result,
)


@app.command()
@handle_errors
def sweep(
    spec: Annotated[
        Path,
        typer.Argument(
            help="Sweep spec (TOML), see docs/sweeps.md; or the word 'plumes' for the AgF "
            "concentration x immersion time process map (= lilean plumes map, default grid)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Result folder (Parquet parts); default SPEC.parquet."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Existing dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Local worker processes (default: CPU count)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip the cases already in --out.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            help="Cases per dask task (default: automatic, shrinking to 1 at the end so that the "
            "workers finish together; at most 16).",
        ),
    ] = None,
    sobol: Annotated[
        str | None,
        typer.Option("--sobol", help="After the run: Sobol indices of this output (saltelli)."),
    ] = None,
    params: ParamsOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run every case of a sweep spec on Dask, streaming rows to a Parquet folder."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if str(spec) == "plumes" and not spec.exists():
        from lilean.cli.plumes import plumes_map

        plumes_map(params=params, out=out, plot=plot, json_out=json_out)
        return

    from lilean.parameters import ParameterSet
    from lilean.sweep import load_results, load_spec, plot_sobol, run_sweep, sobol_indices

    the_spec = load_spec(spec)
    dest = out if out is not None else spec.with_suffix(".parquet")
    base = ParameterSet.load(params) if params is not None else None
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=json_out,
        transient=False,
    )
    with bar:
        task = bar.add_task(the_spec.name, total=the_spec.n_cases(), rate="")
        start: dict[str, Any] = {}

        def update(done: int, total: int) -> None:
            import time

            now = time.perf_counter()
            start.setdefault("t", now)
            start.setdefault("done", done)
            dt = now - start["t"]
            rate = (done - start["done"]) / dt if dt > 0 else 0.0
            bar.update(task, completed=done, total=total, rate=f"{rate:.1f} cases/s")

        try:
            summary = run_sweep(
                the_spec,
                dest,
                scheduler=scheduler,
                workers=workers,
                resume=resume,
                params=base,
                batch_size=batch_size,
                progress=update,
                say=lambda line: err_console.print(f"warning: {line}", highlight=False),
            )
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (SweepInterrupted)
            import signal

            bar.stop()
            signum = getattr(exc, "signum", signal.SIGINT)
            err_console.print(
                f"interrupted ({signal.Signals(signum).name}): finished cases are in {dest}; "
                "rerun with --resume to continue",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(128 + int(signum)) from None
    payload: dict[str, Any] = {"kind": "sweep", "spec": str(spec), **summary.to_dict()}
    if sobol is not None:
        indices = sobol_indices(the_spec, load_results(dest), sobol)
        payload["sobol"] = {"output": sobol, "indices": indices.to_dict(orient="records")}
        if plot is not None:
            paths = plot_sobol(indices, sobol, plot / f"{the_spec.name}_sobol_{sobol}")
            payload["figures"] = [str(p) for p in paths]
        if not json_out:
            console.print(indices.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if json_out:
        emit_json(payload)
    else:
        print_result({k: v for k, v in payload.items() if k != "sobol"})
