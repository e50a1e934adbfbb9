"""Simulations of the study's experiments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lilean.cli.common import (
    InventoryOpt,
    JsonOpt,
    LoadingOpt,
    OutOpt,
    ParamsOpt,
    PlotOpt,
    SeedOpt,
    SubstrateOpt,
    console,
    emit_json,
    err_console,
    handle_errors,
    load_params,
    print_result,
    simulate_app,
)
from lilean.cli.display import spinner
from lilean.errors import ParameterError

# ---- simulations ---------------------------------------------------------------------------


SeedsOpt = Annotated[
    int,
    typer.Option(
        "--seeds",
        help="Run this many seeds (seed, seed+1, ...) and report the median and 5-95 % band "
        "(lilean.ensemble); the table and figures are those of the first seed.",
    ),
]


def _finish_simulation(
    result: Any,
    json_out: bool,
    output: Path | None,
    plot: Path | None,
    stem: str,
    ensemble: dict[str, Any] | None = None,
) -> None:
    """Common tail of the simulate commands: write table / figures, print JSON or a summary
    (the ensemble summary instead of the single run's payload when one is given)."""
    if output is not None:
        if output.suffix.lower() == ".csv":
            result.data.to_csv(output)
        else:
            result.data.to_parquet(output)
    payload = result.to_dict() if ensemble is None else ensemble
    if plot is not None:
        from lilean.api import analyze_data
        from lilean.scenarios import get_scenario

        kind = get_scenario(stem).analysis_kind
        if kind is None:
            raise ParameterError(f"--plot: scenario {stem!r} has no analysis kind to plot")
        figs = analyze_data(result.data, kind=kind, plot_dir=plot)
        if not json_out:
            err_console.print(f"figures: {', '.join(figs.get('figures', []))}")
    if json_out:
        emit_json(payload)
    else:
        print_result({"kind": stem, **payload})
        if output is not None:
            err_console.print(f"wrote {output}")


@simulate_app.command("nucleation")
@handle_errors
def simulate_nucleation(
    substrate: SubstrateOpt,
    current_density: Annotated[
        float, typer.Option("--current-density", help="Plating current density, mA/cm^2.")
    ] = 1.0,
    capacity: Annotated[
        float | None, typer.Option("--capacity", help="Deposited capacity, mAh/cm^2.")
    ] = None,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Galvanostatic Li deposition on a substrate: potential dip and growth plateau."""
    from lilean.simulate import simulate_nucleation as run

    with spinner(f"simulating Li nucleation on {substrate}", quiet=json_out):
        result = run(load_params(params), substrate, current_density, capacity_mAh_cm2=capacity)
    _finish_simulation(result, json_out, output, plot, "nucleation")


@simulate_app.command("symmetric")
@handle_errors
def simulate_symmetric(
    substrate: SubstrateOpt,
    current_density: Annotated[
        float, typer.Option("--current-density", help="mA/cm^2 per half-cycle.")
    ] = 1.0,
    areal_capacity: Annotated[
        float, typer.Option("--areal-capacity", help="mAh/cm^2 per half-cycle.")
    ] = 1.0,
    hours: Annotated[float, typer.Option("--hours", help="Test duration in hours.")] = 100.0,
    seed: SeedOpt = 0,
    seeds: SeedsOpt = 1,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Li || Li symmetric cell of two pre-lithiated electrodes: polarization, failure, shorts."""
    from lilean.simulate import simulate_symmetric as run

    p = load_params(params)
    with spinner(f"simulating a {substrate} symmetric cell ({hours:g} h)", quiet=json_out):
        result = run(p, substrate, current_density, areal_capacity, hours, seed=seed)
        ens = None
        if seeds > 1:
            from lilean.ensemble import ensemble_symmetric

            ens = ensemble_symmetric(
                p, substrate, current_density, areal_capacity, hours, seeds, seed=seed
            )
    _finish_simulation(result, json_out, output, plot, "symmetric", ens)


def _run_seeded(
    kind: str,
    run: Any,
    params: Any,
    substrate: str,
    seed: int,
    seeds: int,
    kw: dict[str, Any],
    json_out: bool,
    output: Path | None,
    plot: Path | None,
) -> None:
    """Run ``kind`` once at ``seed`` (table, figures) and, for ``seeds > 1``, its seed ensemble
    (:func:`lilean.ensemble.ensemble_<kind>`: median and 5-95 % band) for the printed numbers."""
    with spinner(f"simulating {kind} of a {substrate} || LFP cell", quiet=json_out):
        result = run(params, substrate, seed=seed, **kw)
        ens = None
        if seeds > 1:
            import lilean.ensemble as ensemble

            ens = getattr(ensemble, f"ensemble_{kind}")(params, substrate, seeds, seed=seed, **kw)
    _finish_simulation(result, json_out, output, plot, kind, ens)


@simulate_app.command("cycling")
@handle_errors
def simulate_cycling(
    substrate: SubstrateOpt,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    c_rate: Annotated[float, typer.Option("--c-rate", help="C-rate of the test cycles.")] = 1.0,
    cycles: Annotated[int, typer.Option("--cycles", help="Test cycles after formation.")] = 300,
    formation_cycles: Annotated[int, typer.Option("--formation-cycles")] = 3,
    formation_c_rate: Annotated[float, typer.Option("--formation-c-rate")] = 0.5,
    seed: SeedOpt = 0,
    seeds: SeedsOpt = 1,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Li || LFP full cell over many cycles (formation first, as in the study)."""
    from lilean.simulate import simulate_cycling as run

    p = load_params(params)
    kw: dict[str, Any] = {
        "cathode_loading_mAh_cm2": cathode_loading,
        "li_inventory_mAh_cm2": li_inventory,
        "c_rate": c_rate,
        "cycles": cycles,
        "formation_cycles": formation_cycles,
        "formation_c_rate": formation_c_rate,
    }
    _run_seeded("cycling", run, p, substrate, seed, seeds, kw, json_out, output, plot)


@simulate_app.command("rate")
@handle_errors
def simulate_rate(
    substrate: SubstrateOpt,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    c_rates: Annotated[
        str, typer.Option("--c-rates", help="Comma-separated C-rates of the blocks.")
    ] = "0.5,1,2,3,4,5",
    seed: SeedOpt = 0,
    seeds: SeedsOpt = 1,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The study's rate test: 3 cycles at the first rate, 5 at each next, then back to 1C."""
    from lilean.simulate import simulate_rate as run

    try:
        rates = tuple(float(x) for x in c_rates.split(",") if x.strip())
    except ValueError:
        raise ParameterError(f"--c-rates {c_rates!r}: expected numbers like 0.5,1,2") from None
    p = load_params(params)
    kw: dict[str, Any] = {
        "cathode_loading_mAh_cm2": cathode_loading,
        "li_inventory_mAh_cm2": li_inventory,
        "c_rates": rates,
    }
    _run_seeded("rate", run, p, substrate, seed, seeds, kw, json_out, output, plot)


@simulate_app.command("eis")
@handle_errors
def simulate_eis(
    substrate: SubstrateOpt,
    cycles: Annotated[int, typer.Option("--cycles", help="Cycles before the spectrum.")] = 0,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    c_rate: Annotated[float, typer.Option("--c-rate", help="C-rate of those cycles.")] = 1.0,
    cell: Annotated[str, typer.Option("--cell", help="full | symmetric")] = "full",
    state_of_charge: Annotated[
        float, typer.Option("--soc", help="State of charge at the measurement (0..1).")
    ] = 0.5,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Impedance spectrum (1e5..1e-2 Hz) of the twin after N cycles, from its own state."""
    from lilean.simulate import simulate_eis as run

    with spinner(f"simulating {cycles} cycles and the spectrum ({substrate})", quiet=json_out):
        result = run(
            load_params(params), substrate, cycles=cycles, cathode_loading_mAh_cm2=cathode_loading,
            li_inventory_mAh_cm2=li_inventory, c_rate=c_rate, cell=cell,
            state_of_charge=state_of_charge, seed=seed,
        )  # fmt: skip
    if output is not None:
        result.data.to_parquet(output)
    if plot is not None:
        from lilean.eis.plotting import plot_bode, plot_nyquist, save_eis_figure

        label = f"{substrate}, {cycles} cycles"
        for name, fig in (("nyquist", plot_nyquist([(label, result.data)])),
                          ("bode", plot_bode([(label, result.data)]))):  # fmt: skip
            save_eis_figure(fig, plot / f"eis_{substrate}_{cycles}cycles_{name}")
    payload = result.to_dict()
    if json_out:
        emit_json(payload)
        return
    table = Table("element", "value", title=f"{substrate} {cell} cell after {cycles} cycles")
    for key, value in payload["elements"].items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)


@simulate_app.command("protocol")
@handle_errors
def simulate_protocol(
    substrate: SubstrateOpt,
    step: Annotated[
        list[str],
        typer.Option(
            "--step",
            help="One step of a cycle, PyBaMM style, e.g. 'Charge at 1C until 4.2 V'. Repeatable.",
        ),
    ],
    repeat: Annotated[int, typer.Option("--repeat", help="How many times the cycle runs.")] = 1,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Any protocol on a Li-substrate || LFP cell: --step ... [--step ...] --repeat N."""
    from lilean.api import analyze_data
    from lilean.protocols import Experiment
    from lilean.simulate import run_experiment

    if repeat < 1:
        raise ParameterError(f"--repeat {repeat}: expected a whole number >= 1")
    experiment = Experiment([tuple(step)] * repeat)
    with spinner(f"running {repeat} x {len(step)} step(s) on {substrate} || LFP", quiet=json_out):
        run = run_experiment(
            load_params(params), substrate, experiment, cathode_loading_mAh_cm2=cathode_loading,
            li_inventory_mAh_cm2=li_inventory, seed=seed,
        )  # fmt: skip
    if output is not None and output.suffix.lower() == ".csv":
        run.data.to_csv(output)
    elif output is not None:
        run.data.to_parquet(output)
    result = analyze_data(run.data, kind="cycling", plot_dir=plot)
    if json_out:
        emit_json(result)
    else:
        print_result(result)


def _parse_input(text: str) -> tuple[str, Any]:
    """``name=value``: the value as JSON when it parses (numbers, lists, true/false), else text."""
    import json

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"--input {text!r}: expected name=value, e.g. cycles=40")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return name.strip(), value


@simulate_app.command("scenario")
@handle_errors
def simulate_scenario(
    name: Annotated[str, typer.Argument(help="A registered scenario (lilean simulate list).")],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="name=value of an input; repeatable."),
    ] = None,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Any registered scenario by name, its inputs as --input name=value (defaults: the CLI's)."""
    from lilean.api import simulate

    values = dict(_parse_input(t) for t in inputs or [])
    with spinner(f"simulating {name}", quiet=json_out):
        result = simulate(name, load_params(params), inputs=values, seed=seed)
    _finish_simulation(result, json_out, output, plot, name)


@simulate_app.command("list")
@handle_errors
def simulate_list(json_out: JsonOpt = False) -> None:
    """The registered scenarios, their inputs (with defaults) and sweep outputs."""
    import inspect

    from lilean.scenarios import scenarios

    rows: list[dict[str, Any]] = []
    for s in scenarios():
        args = {
            k: (None if p.default is inspect.Parameter.empty else p.default)
            for k, p in s.arguments().items()
        }
        rows.append(
            {
                "name": s.name,
                "description": s.description,
                "inputs": args,
                "outputs": [o.name for o in s.outputs],
                "analysis_kind": s.analysis_kind,
                "fit_experiment": s.fit_experiment,
            }
        )
    if json_out:
        emit_json({"scenarios": rows})
        return
    table = Table("scenario", "inputs", "outputs", title="registered scenarios")
    for r in rows:
        table.add_row(r["name"], ", ".join(r["inputs"]), ", ".join(r["outputs"]))
    console.print(table)
