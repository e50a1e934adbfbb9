"""Fit the twin to measured cells and predict their life (issue 9): ``lilean fit``, ``lilean predict``.

The logic is in :mod:`lilean.fitting`; this module only reads files, shows progress and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    PlotOpt,
    SeedOpt,
    app,
    console,
    emit_json,
    err_console,
    handle_errors,
    load_params,
)
from lilean.errors import LileanError


def _print_params(result: dict[str, Any], title: str) -> None:
    table = Table("parameter", "value", "95 % interval", "unit", title=title)
    for name, par in result.get("parameters", {}).items():
        hi = par["high"]
        table.add_row(
            name,
            f"{par['value']:.4g}",
            f"{par['low']:.4g} .. " + (f"{hi:.4g}" if hi is not None else "inf"),
            par["unit"],
        )
    console.print(table)


def _knee_line(result: dict[str, Any]) -> str:
    k = result.get("knee_cycle")
    if k is None:
        return "knee: none within the horizon"

    def fmt(v: Any) -> str:
        return f"{v:.0f}" if v is not None else "beyond the horizon"

    lo, hi = result.get("knee_cycle_low"), result.get("knee_cycle_high")
    return f"knee (Li reservoir exhausted): cycle {k:.0f} (95 %: {fmt(lo)} .. {fmt(hi)})"


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        err_console.print(f"warning: {w}", style="yellow", highlight=False, soft_wrap=True)


@app.command()
@handle_errors
def fit(
    files: Annotated[list[Path], typer.Argument(help="Measured files (any reader; EIS files).")],
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", help="cycling | symmetric | deposition | eis")
    ],
    substrate: Annotated[str, typer.Option("--substrate", "-s", help="cu | ag-cu")] = "cu",
    free: Annotated[
        str | None,
        typer.Option("--free", help="Comma-separated free parameters (default per experiment)."),
    ] = None,
    max_cycle: Annotated[
        int | None, typer.Option("--max-cycle", help="Fit cycles 1..K after formation only.")
    ] = None,
    c_rate: Annotated[
        float | None, typer.Option("--c-rate", help="Override the inferred C-rate.")
    ] = None,
    cathode_loading: Annotated[
        float | None,
        typer.Option("--cathode-loading", help="Override the inferred LFP loading, mAh/cm^2."),
    ] = None,
    li_inventory: Annotated[
        float | None, typer.Option("--li-inventory", help="Li on the anode, mAh/cm^2.")
    ] = None,
    formation_cycles: Annotated[
        int | None, typer.Option("--formation-cycles", help="Override the inferred count.")
    ] = None,
    area_cm2: Annotated[
        float | None, typer.Option("--area-cm2", help="Electrode area in cm^2.")
    ] = None,
    active_mass_mg: Annotated[
        float | None, typer.Option("--active-mass-mg", help="LFP mass in mg.")
    ] = None,
    eis_cell: Annotated[
        str, typer.Option("--cell", help="EIS: symmetric | full (the twin's cell).")
    ] = "symmetric",
    horizon: Annotated[
        int, typer.Option("--horizon", help="Cycling: cycles ahead to look for the knee.")
    ] = 1000,
    mcmc: Annotated[bool, typer.Option("--mcmc", help="Intervals by MCMC (emcee).")] = False,
    mcmc_steps: Annotated[int, typer.Option("--mcmc-steps", help="MCMC steps.")] = 300,
    params_file: ParamsOpt = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the fitted set (.toml/.yaml).")
    ] = None,
    plot: PlotOpt = None,
    seed: SeedOpt = 0,
    json_out: JsonOpt = False,
) -> None:
    """Fit the twin's parameters to measured files; 95 % intervals and identifiability warnings."""
    from lilean import fitting as F

    if experiment not in F.EXPERIMENTS:
        raise LileanError(f"--experiment {experiment!r}: expected one of {F.EXPERIMENTS}")
    params = load_params(params_file)
    free_names = [n for n in free.split(",") if n.strip()] if free else None
    with err_console.status("fitting the twin...", spinner="dots") if not json_out else _null():
        if experiment == "eis":
            from lilean.io.eis import read_eis

            spectra = [read_eis(f) for f in files]
            result = F.fit_eis(
                spectra,
                params,
                substrate,
                free=free_names,
                cell=eis_cell,
                files=list(map(str, files)),
            )
        else:
            from lilean.api import load_table

            datas = [load_table(f, area_cm2=area_cm2, active_mass_mg=active_mass_mg) for f in files]
            if experiment == "cycling":
                overrides = {
                    "c_rate": c_rate,
                    "cathode_loading_mAh_cm2": cathode_loading,
                    "li_inventory_mAh_cm2": li_inventory,
                    "formation_cycles": formation_cycles,
                }
                result = F.fit_cycling(
                    datas,
                    params,
                    substrate,
                    free=free_names,
                    max_cycle=max_cycle,
                    protocol=overrides,
                    knee_horizon=horizon,
                )
            elif experiment == "symmetric":
                result = F.fit_symmetric(
                    datas, params, substrate, free=free_names, max_cycle=max_cycle
                )
            else:
                result = F.fit_deposition(datas, params, substrate, free=free_names)
    chain = None
    if mcmc:
        from rich.progress import Progress

        with Progress(console=err_console, disable=json_out, transient=True) as bar:
            task = bar.add_task("MCMC (emcee)", total=mcmc_steps)
            chain = F.run_mcmc(
                result,
                n_steps=mcmc_steps,
                seed=seed,
                progress=lambda k, n: bar.update(task, completed=k),
            )
    out = result.to_dict()
    if output:
        toml, side = result.save(output)
        out["output"] = str(toml)
        out["sidecar"] = str(side)
    if plot:
        from lilean.plotting.figures import save_figure

        written: list[str] = []
        if chain is not None:
            from lilean.plotting.fitting import plot_corner

            written += map(str, save_figure(plot_corner(chain, result.names), plot / "fit_corner"))
        out["figures"] = written
    if json_out:
        emit_json(out)
        return
    _warn(out["warnings"])
    _print_params(out, f"{experiment} fit ({out['method']}): {', '.join(map(str, files))}")
    if experiment == "cycling":
        console.print(_knee_line(out))
        inferred = out["protocol"].get("inferred", [])
        console.print(f"protocol (inferred: {', '.join(inferred)}): {out['protocol']}")
    if output:
        console.print(f"wrote {out['output']} and {out['sidecar']}")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@app.command()
@handle_errors
def predict(
    params_file: Annotated[
        Path, typer.Option("--params", help="Fitted parameter file (from `lilean fit -o`).")
    ],
    cycles: Annotated[int, typer.Option("--cycles", help="Cycles after formation.")] = 300,
    substrate: Annotated[
        str | None, typer.Option("--substrate", "-s", help="cu | ag-cu (default: the fit's)")
    ] = None,
    cathode_loading: Annotated[
        float | None, typer.Option("--cathode-loading", help="LFP areal capacity, mAh/cm^2.")
    ] = None,
    li_inventory: Annotated[
        float | None, typer.Option("--li-inventory", help="Li on the anode, mAh/cm^2.")
    ] = None,
    c_rate: Annotated[float | None, typer.Option("--c-rate", help="C-rate.")] = None,
    samples: Annotated[int, typer.Option("--samples", help="Parameter draws for the band.")] = 40,
    seed: SeedOpt = 0,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Predicted capacity with a 95 % band (parameter covariance sampled) and the knee."""
    from rich.progress import Progress

    from lilean import fitting as F

    params = load_params(params_file)
    side = F.load_sidecar(params_file)
    base = side.get("protocol") if side else None
    sub = substrate or (side.get("substrate") if side else None) or "cu"
    proto = F.default_prediction_protocol(
        params,
        cathode_loading_mAh_cm2=cathode_loading,
        li_inventory_mAh_cm2=li_inventory,
        c_rate=c_rate,
        base=base,
    )
    names: list[str] = list(side["names"]) if side else []
    notes: list[str] = []
    if side and sub != side.get("substrate"):
        fitted_on = side.get("substrate")
        names = [n.replace(f"substrates.{fitted_on}.", f"substrates.{sub}.") for n in names]
        notes.append(
            f"parameters fitted on {fitted_on} are applied to the {sub} anode (same values and "
            "covariance); its other parameters are the set's"
        )
    with Progress(console=err_console, disable=json_out, transient=True) as bar:
        task = bar.add_task("sampling the fitted parameters", total=samples)
        pred = F.predict(
            params,
            sub,
            cycles=cycles,
            protocol=proto,
            names=names,
            log_value=side["log_value"] if side else None,
            log_cov=side["log_cov"] if side else None,
            n_samples=samples,
            seed=seed,
            progress=lambda k, n: bar.update(task, completed=k),
        )
    out = pred.to_dict()
    if side:
        out["parameters"] = side.get("parameters", {})
        out["warnings"] = list(side.get("warnings", [])) + notes + out["warnings"]
    if plot:
        from lilean.plotting.figures import save_figure
        from lilean.plotting.fitting import plot_prediction

        out["figures"] = [str(p) for p in save_figure(plot_prediction(pred), plot / "prediction")]
    if json_out:
        emit_json(out)
        return
    _warn(out["warnings"])
    if "parameters" in out:
        _print_params(out, f"fitted parameters ({params_file})")
    q = out["discharge_capacity_mAh_g"]
    console.print(
        f"{sub}: {q[0]:.1f} -> {q[-1]:.1f} mAh/g after {cycles} cycles "
        f"(95 %: {out['discharge_capacity_mAh_g_low'][-1]:.1f} .. "
        f"{out['discharge_capacity_mAh_g_high'][-1]:.1f})"
    )
    console.print(_knee_line(out))
