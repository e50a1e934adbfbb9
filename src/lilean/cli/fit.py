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


def _knee_lines(result: dict[str, Any]) -> list[str]:
    def fmt(v: Any) -> str:
        return f"{v:.0f}" if v is not None else "beyond the horizon"

    out = []
    for key, label in (
        ("knee80_cycle", "knee80 (capacity below 80 % of the first cycle after formation)"),
        ("reservoir_exhausted_cycle", "Li reservoir exhausted"),
    ):
        if key not in result:
            continue
        k = result.get(key)
        status = result.get(key.replace("_cycle", "_status"), "")
        if k is None:
            out.append(f"{label}: {status}")
        else:
            lo, hi = result.get(f"{key}_low"), result.get(f"{key}_high")
            out.append(f"{label}: cycle {k:.0f} (95 %: {fmt(lo)} .. {fmt(hi)})")
    if result.get("first_short_cycle") is not None:
        out.append(f"the twin's cell shorts in cycle {result['first_short_cycle']}")
    return out


def _parse_protocol(text: str | None) -> dict[str, Any]:
    """``--protocol``: ``key=value,key=value`` or a JSON/TOML file with those keys."""
    from lilean import fitting as F

    if not text:
        return {}
    path = Path(text)
    if path.is_file():
        import json
        import tomllib

        try:
            raw = (
                json.loads(path.read_text())
                if path.suffix == ".json"
                else tomllib.loads(path.read_text())
            )
        except (OSError, ValueError) as exc:
            raise LileanError(f"--protocol {text}: not a readable JSON/TOML file ({exc})") from None
        items = list(raw.items()) if isinstance(raw, dict) else []
    else:
        items = []
        for part in text.split(","):
            if not part.strip():
                continue
            key, eq, value = part.partition("=")
            if not eq:
                raise LileanError(f"--protocol {part!r}: expected key=value")
            items.append((key.strip(), value.strip()))
    out: dict[str, Any] = {}
    for key, value in items:
        if key not in F.PROTOCOL_KEYS:
            raise LileanError(f"--protocol {key!r}: expected one of {', '.join(F.PROTOCOL_KEYS)}")
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise LileanError(f"--protocol {key}={value!r}: expected a number") from None
        if not (num == num and abs(num) != float("inf") and num >= 0):
            raise LileanError(f"--protocol {key}={value!r}: expected a finite number >= 0")
        out[key] = int(num) if key in ("formation_cycles", "steps_per_half_cycle") else num
    return out


def _parse_cutoffs(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    parts = text.split(",")
    try:
        lo, hi = (float(v) for v in parts)
    except ValueError:
        raise LileanError(
            f"--cutoffs {text!r}: expected LOWER,UPPER in volts, e.g. 2.0,4.2"
        ) from None
    if not (0.0 < lo < hi < 10.0):
        raise LileanError(f"--cutoffs {text!r}: expected 0 < lower < upper < 10 V")
    return {"lower_cutoff_V": lo, "upper_cutoff_V": hi}


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
        typer.Option(
            "--loading", "--cathode-loading", help="Override the inferred LFP loading, mAh/cm^2."
        ),
    ] = None,
    li_inventory: Annotated[
        float | None, typer.Option("--li-inventory", help="Li on the anode, mAh/cm^2.")
    ] = None,
    cutoffs: Annotated[
        str | None,
        typer.Option("--cutoffs", help="Override the inferred voltage window: LOWER,UPPER (V)."),
    ] = None,
    protocol_text: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Override inferred protocol values: key=value,... or a JSON/TOML file "
            "(keys: c_rate, formation_cycles, formation_c_rate, cathode_loading_mAh_cm2, "
            "li_inventory_mAh_cm2, lower_cutoff_V, upper_cutoff_V, steps_per_half_cycle).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Fit a cell the twin cannot represent (not Li || LFP)."),
    ] = False,
    samples: Annotated[
        int, typer.Option("--samples", help="Parameter draws for the knee intervals.")
    ] = 40,
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
    random_effects: Annotated[
        bool,
        typer.Option(
            "--random-effects",
            help="Cycling, several files: population parameters + per-cell deviations with a "
            "prior (default: one pooled set).",
        ),
    ] = False,
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
                overrides: dict[str, Any] = {
                    **_parse_protocol(protocol_text),
                    **_parse_cutoffs(cutoffs),
                }
                for key, value in (
                    ("c_rate", c_rate),
                    ("cathode_loading_mAh_cm2", cathode_loading),
                    ("li_inventory_mAh_cm2", li_inventory),
                    ("formation_cycles", formation_cycles),
                ):
                    if value is not None:
                        overrides[key] = value
                if samples < 1:
                    raise LileanError(f"--samples {samples}: expected >= 1")
                result = F.fit_cycling(
                    datas,
                    params,
                    substrate,
                    free=free_names,
                    max_cycle=max_cycle,
                    protocol=overrides,
                    knee_horizon=horizon,
                    n_samples=samples,
                    seed=seed,
                    force=force,
                    random_effects=random_effects,
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
    for cell, path in zip(out.get("random_effects", {}).get("cells", []), files, strict=False):
        if cell["file"] == "<table>":
            cell["file"] = str(path)
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
    failed = out.get("status", "ok") != "ok"
    if json_out:
        emit_json(out)
        if failed:
            raise typer.Exit(F.FAILED_EXIT_CODE)
        return
    _warn(out["warnings"])
    _print_params(out, f"{experiment} fit ({out['method']}): {', '.join(map(str, files))}")
    if "random_effects" in out:
        re_table = Table(
            "file", "parameter", "value [95 %]", title="per-cell values (random effects)"
        )
        for cell in out["random_effects"]["cells"]:
            for name, value in cell["values"].items():
                re_table.add_row(
                    cell["file"],
                    name,
                    f"{value:.4g} [{cell['low'][name]:.4g}, {cell['high'][name]:.4g}]",
                )
        console.print(re_table)
    if experiment == "cycling":
        for line in _knee_lines(out):
            console.print(line, highlight=False)
        proto = out["protocol"]
        how = proto.get("how", {})
        table = Table("protocol", "value", "how it was obtained", title="protocol of the twin")
        for key, text in how.items():
            table.add_row(key, f"{proto.get(key)}", text)
        console.print(table)
    if output:
        console.print(f"wrote {out['output']} and {out['sidecar']}")
    if failed:
        err_console.print(
            f"[bold red]fit failed ({out['status']}):[/] {out.get('status_reason', '')}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(F.FAILED_EXIT_CODE)


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
    cycles: Annotated[
        int | None,
        typer.Option(
            "--cycles", help="Cycles after formation (default: the fit's horizon, or 300)."
        ),
    ] = None,
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
    samples: Annotated[
        int | None,
        typer.Option("--samples", help="Parameter draws for the band (default: the fit's, 40)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the draws (default: the fit's, 0).")
    ] = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Predicted capacity with a 95 % band (parameter covariance sampled) and the knee."""
    from rich.progress import Progress

    from lilean import fitting as F

    params = load_params(params_file)
    side = F.load_sidecar(params_file)
    fitted = side or {}
    if samples is None:
        samples = int(fitted.get("n_samples", F.DEFAULT_SAMPLES))
    if samples < 1:
        raise LileanError(f"--samples {samples}: a 95 % band needs >= 1 draw (default 40)")
    if seed is None:
        seed = int(fitted.get("seed", 0))
    if cycles is None:
        cycles = int(fitted.get("horizon", 300))
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
            capacity_noise_percent=float(fitted.get("capacity_noise_percent", 0.0)),
            fitted_cycles=(fitted.get("fitted_cycles") or [None])[0],
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
    for line in _knee_lines(out):
        console.print(line, highlight=False)
