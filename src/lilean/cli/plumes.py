"""Ag plume growth on Cu: ``lilean simulate plumes`` and ``lilean plumes map`` (issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    PlotOpt,
    SeedOpt,
    app,
    emit_json,
    err_console,
    handle_errors,
    load_params,
    print_result,
    simulate_app,
)
from lilean.cli.display import progress_bar, spinner
from lilean.errors import ParameterError

plumes_app = typer.Typer(
    help="Ag plumes on Cu by galvanic displacement: process maps.", no_args_is_help=True
)
app.add_typer(plumes_app, name="plumes")

SizeOpt = Annotated[
    str | None,
    typer.Option(
        "--size",
        help="Lattice size in voxels: 'nx' (2D) or 'nx,ny' (3D), optional ',nz' height. "
        "Default 256 (2D), 32,32 (3D).",
    ),
]
DimOpt = Annotated[int, typer.Option("--dim", help="2 (cross-section) or 3.")]
TempOpt = Annotated[float, typer.Option("--temperature", help="Solution temperature, C.")]


def _floats(text: str, name: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ParameterError(f"{name} {text!r}: expected comma-separated numbers") from None
    if not values:
        raise ParameterError(f"{name} {text!r}: expected at least one number")
    return values


def _size(text: str | None, dim: int) -> tuple[int, ...]:
    if text is None:
        return (256,) if dim == 2 else (32, 32)
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ParameterError(f"--size {text!r}: expected comma-separated integers") from None


@simulate_app.command("plumes")
@handle_errors
def simulate_plumes(
    agf_wt: Annotated[float, typer.Option("--agf-wt", help="AgF concentration, wt%.")] = 1.0,
    minutes: Annotated[float, typer.Option("--minutes", help="Immersion time, min.")] = 2.0,
    size: SizeOpt = None,
    dim: DimOpt = 2,
    temperature: TempOpt = 25.0,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Grow Ag plumes on Cu in AgF solution (lattice DLA + AgCuF3 precipitation + coarsening)."""
    from lilean.lattice.plumes import grow_plumes

    p = load_params(params)
    with spinner(f"growing Ag plumes ({agf_wt:g} wt% AgF, {minutes:g} min)", quiet=json_out):
        result = grow_plumes(
            p,
            agf_wt_percent=agf_wt,
            minutes=minutes,
            size=_size(size, dim),
            dim=dim,
            temperature_C=temperature,
            seed=seed,
        )
    payload = result.to_dict()
    if plot is not None:
        from lilean.plotting.figures import save_figure
        from lilean.plotting.plumes import plot_plume_structure

        plot.mkdir(parents=True, exist_ok=True)
        stem = plot / f"plumes_{agf_wt:g}wt_{minutes:g}min_{dim}d"
        payload["figures"] = [str(f) for f in save_figure(plot_plume_structure(result), stem)]
    if json_out:
        emit_json(payload)
    else:
        print_result({"kind": "plumes", **payload})


@plumes_app.command("map")
@handle_errors
def plumes_map(
    agf_wt: Annotated[
        str, typer.Option("--agf-wt", help="AgF concentrations, wt%, comma-separated.")
    ] = "0.25,0.5,1,2,4",
    minutes: Annotated[
        str, typer.Option("--minutes", help="Immersion times, min, comma-separated.")
    ] = "0.5,1,2,4,8",
    size: SizeOpt = None,
    dim: DimOpt = 2,
    temperature: TempOpt = 25.0,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the map table (.parquet or .csv).")
    ] = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Process map over AgF concentration x immersion time (surface area factor and more)."""
    from lilean.lattice.plumes import process_map

    p = load_params(params)
    conc = _floats(agf_wt, "--agf-wt")
    times = _floats(minutes, "--minutes")
    total = len(conc) * len(times)
    with progress_bar("process map (cases)", total, quiet=json_out) as update:
        frame = process_map(
            p,
            conc,
            times,
            size=_size(size, dim),
            dim=dim,
            seed=seed,
            temperature_C=temperature,
            progress=lambda done, total: update(done),
        )
    best = frame.loc[frame["surface_area_factor"].idxmax()]
    payload: dict[str, object] = {
        "optimum": {
            "agf_wt_percent": float(best["agf_wt_percent"]),
            "minutes": float(best["minutes"]),
            "surface_area_factor": float(best["surface_area_factor"]),
        },
        "cases": frame.drop(columns=["shape"]).to_dict(orient="records"),
    }
    if out is not None:
        from lilean.schema import atomic_output

        with atomic_output(out) as tmp:
            if out.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
        payload["output"] = str(out)
    if plot is not None:
        from lilean.plotting.figures import save_figure
        from lilean.plotting.plumes import plot_process_map

        plot.mkdir(parents=True, exist_ok=True)
        payload["figures"] = [
            str(f) for f in save_figure(plot_process_map(frame), plot / "plumes_process_map")
        ]
    if json_out:
        emit_json(payload)
    else:
        grid = frame.pivot_table(
            index="agf_wt_percent", columns="minutes", values="surface_area_factor"
        )
        err_console.print("surface area factor (rows: AgF wt%, columns: min)")
        err_console.print(grid.round(2).to_string())
        print_result({"kind": "plumes map", **payload["optimum"]})  # type: ignore[dict-item]
