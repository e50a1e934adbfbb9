"""The ``lilean`` command line: a thin typer layer over the Python API.

Every command that computes something takes ``--json`` and then prints exactly one JSON object to
stdout and nothing else. Errors on bad input print one line to stderr and exit with status 2
(``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lilean import __version__
from lilean.errors import LileanError

app = typer.Typer(
    name="lilean",
    help="Li-lean anode toolkit: read cycler files, compute the study's metrics, simulate cells.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
simulate_app = typer.Typer(
    help="Simulate the study's experiments with the digital twin.", no_args_is_help=True
)
params_app = typer.Typer(help="Show or export parameter sets.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")
app.add_typer(params_app, name="params")
eis_app = typer.Typer(
    help="Impedance spectra: read and fit measured EIS files.", no_args_is_help=True
)
app.add_typer(eis_app, name="eis")

console = Console()
err_console = Console(stderr=True)
_STATE = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout only.")]
FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="Force a reader (see `lilean formats`).")
]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="Generic CSV column mapping, e.g. 'time=t/h[h],voltage=Ecell[V],current=I[mA]'.",
    ),
]
AreaOpt = Annotated[float | None, typer.Option("--area-cm2", help="Electrode area in cm^2.")]
MassOpt = Annotated[
    float | None, typer.Option("--active-mass-mg", help="Active material mass in mg.")
]
SubstrateOpt = Annotated[str, typer.Option("--substrate", "-s", help="cu | ag-cu")]
OutOpt = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the time series (.parquet or .csv).")
]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Write PNG+SVG figures into this folder.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the stochastic parts.")]
LoadingOpt = Annotated[
    float, typer.Option("--cathode-loading", help="LFP areal capacity, mAh/cm^2.")
]
InventoryOpt = Annotated[float, typer.Option("--li-inventory", help="Li on the anode, mAh/cm^2.")]
ParamsOpt = Annotated[
    Path | None,
    typer.Option("--params", help="Parameter file (TOML/YAML) overlaid on the defaults."),
]


def _errors(func: F) -> F:
    """Turn LileanError (bad input) into a one-line message and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LileanError as exc:
            if _STATE["debug"]:
                raise
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _emit_json(obj: Any) -> None:
    from lilean.schema import dumps

    sys.stdout.write(dumps(obj) + "\n")


def _version(value: bool) -> None:
    if value:
        console.print(f"lilean {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _STATE["debug"] = debug


def _params(path: Path | None) -> Any:
    from lilean.parameters import ParameterSet, default_parameters

    return ParameterSet.load(path) if path else default_parameters()


# ---- lab data ------------------------------------------------------------------------------


@app.command()
@_errors
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
        _emit_json({"formats": rows})
        return
    table = Table("format", "instrument", "extensions", "description")
    for reader in io.formats():
        table.add_row(
            reader.name, reader.instrument, " ".join(reader.extensions), reader.description
        )
    console.print(table)


@app.command()
@_errors
def info(
    file: Annotated[Path, typer.Argument(help="A cycler file.")],
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Format, rows, cycles, duration, columns and anomalies (time going backwards, gaps, NaNs)."""
    from lilean import io
    from lilean.schema import CURRENT, VOLTAGE

    if mapping:
        from lilean.api import load_table

        data = load_table(file, mapping=mapping)
    else:
        data = io.read(file, fmt, strict=False)
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
        "notes": data.meta.notes,
    }
    if json_out:
        _emit_json(out)
        return
    table = Table(show_header=False, title=str(file))
    for key, value in out.items():
        if key in ("columns", "units_found"):
            value = ", ".join(value) if isinstance(value, list) else json.dumps(value)
        table.add_row(key, str(value))
    console.print(table)


@app.command()
@_errors
def convert(
    file: Annotated[Path, typer.Argument(help="A cycler file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="out.parquet or out.csv")],
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    area_cm2: AreaOpt = None,
    active_mass_mg: MassOpt = None,
) -> None:
    """Convert a cycler file to the canonical table (Parquet keeps all metadata; CSV writes
    a .meta.json beside it)."""
    from lilean.errors import OutputError

    if output.resolve() == file.resolve():
        raise OutputError(f"{output}: refusing to overwrite the input file")
    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise OutputError(f"{output}: output must end in .parquet or .csv")
    from lilean.api import load_table

    data = load_table(
        file, fmt=fmt, mapping=mapping, area_cm2=area_cm2, active_mass_mg=active_mass_mg
    )
    if suffix == ".parquet":
        data.to_parquet(output)
    else:
        data.to_csv(output)
    err_console.print(f"wrote {output} ({len(data)} rows, {data.n_cycles} cycles)")


@app.command()
@_errors
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
    json_out: JsonOpt = False,
) -> None:
    """Compute the study's metrics from a measured (or simulated) file."""
    from lilean.api import analyze_data, load_table

    data = load_table(
        file, fmt=fmt, mapping=mapping, area_cm2=area_cm2, active_mass_mg=active_mass_mg
    )
    result = analyze_data(data, kind=kind, plot_dir=plot)
    if json_out:
        _emit_json(result)
        return
    _print_result(result)


def _print_result(result: dict[str, Any]) -> None:
    table = Table(show_header=False, title=f"{result.get('kind', '')}: {result.get('file', '')}")
    for key, value in result.items():
        if isinstance(value, list) and len(value) > 8:
            value = f"[{len(value)} values] {value[:3]} ... {value[-2:]}"
        elif isinstance(value, dict) and len(json.dumps(value, default=str)) > 200:
            value = f"{{{len(value)} entries}}"
        if isinstance(value, float):
            value = f"{value:.6g}"
        table.add_row(key, str(value))
    console.print(table)


# ---- impedance ---------------------------------------------------------------------------


@eis_app.command("fit")
@_errors
def eis_fit(
    file: Annotated[Path, typer.Argument(help="An impedance file (Gamry, BioLogic, Autolab...).")],
    circuit: Annotated[
        str | None,
        typer.Option(
            "--circuit",
            help="impedance.py circuit string; default R0-p(R1,CPE1)-p(R2-W2,CPE2).",
        ),
    ] = None,
    spectrum: Annotated[
        int | None, typer.Option("--spectrum", help="Which spectrum of a multi-spectrum file.")
    ] = None,
    fmt: FormatOpt = None,
    maxfev: Annotated[
        int | None, typer.Option("--maxfev", help="Cap on fit function evaluations.")
    ] = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit an equivalent circuit (impedance.py) with 95 % intervals and a lin-KK check."""
    from lilean.analysis.eis import analyze_eis_file

    result = analyze_eis_file(
        file, circuit, spectrum=spectrum, plot_dir=plot, format=fmt, maxfev=maxfev
    )
    if json_out:
        _emit_json(result)
        return
    table = Table(
        "parameter", "value", "95 % interval", "unit", title=f"{file}: {result['circuit']}"
    )
    for name, par in result["parameters"].items():
        interval = "fixed" if par.get("fixed") else f"{par['low']:.4g} .. {par['high']:.4g}"
        table.add_row(name, f"{par['value']:.4g}", interval, par["unit"])
    console.print(table)
    console.print(
        f"interfacial resistance {result['interfacial_resistance_ohm']:.4g} Ohm; "
        f"lin-KK {'passed' if result['linkk']['passed'] else 'FAILED'} "
        f"(residual RMS {result['linkk']['residual_rms_pct']:.2f} %)"
    )
    for note in result.get("fit_notes", []):
        console.print(f"note: {note}")


# ---- parameters ---------------------------------------------------------------------------


@params_app.command("show")
@_errors
def params_show(params: ParamsOpt = None, json_out: JsonOpt = False) -> None:
    """Every parameter with value, unit and provenance."""
    p = _params(params)
    flat = p.flat()
    if json_out:
        _emit_json({k: v.model_dump() for k, v in flat.items()})
        return
    table = Table("parameter", "value", "unit", "kind", "source", title=f"parameter set {p.name}")
    for key, v in flat.items():
        table.add_row(key, f"{v.value:.6g}", v.unit, v.kind, v.source)
    console.print(table)


@params_app.command("export")
@_errors
def params_export(
    output: Annotated[Path, typer.Argument(help="out.toml or out.yaml")],
    params: ParamsOpt = None,
) -> None:
    """Write the whole parameter set (with provenance) to TOML or YAML."""
    _params(params).save(output)
    err_console.print(f"wrote {output}")


# ---- simulations ---------------------------------------------------------------------------


def _finish_simulation(
    result: Any, json_out: bool, output: Path | None, plot: Path | None, stem: str
) -> None:
    """Common tail of the simulate commands: write table / figures, print JSON or a summary."""
    if output is not None:
        if output.suffix.lower() == ".csv":
            result.data.to_csv(output)
        else:
            result.data.to_parquet(output)
    payload = result.to_dict()
    if plot is not None:
        from lilean.api import analyze_data

        figs = analyze_data(result.data, kind=_SIM_KIND[stem], plot_dir=plot)
        if not json_out:
            err_console.print(f"figures: {', '.join(figs.get('figures', []))}")
    if json_out:
        _emit_json(payload)
    else:
        _print_result({"kind": stem, **payload})
        if output is not None:
            err_console.print(f"wrote {output}")


_SIM_KIND = {
    "nucleation": "deposition",
    "symmetric": "symmetric",
    "cycling": "cycling",
    "rate": "rate",
}


@simulate_app.command("nucleation")
@_errors
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

    result = run(_params(params), substrate, current_density, capacity_mAh_cm2=capacity)
    _finish_simulation(result, json_out, output, plot, "nucleation")


@simulate_app.command("symmetric")
@_errors
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
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Li || Li symmetric cell of two pre-lithiated electrodes: polarization, failure, shorts."""
    from lilean.simulate import simulate_symmetric as run

    result = run(_params(params), substrate, current_density, areal_capacity, hours, seed=seed)
    _finish_simulation(result, json_out, output, plot, "symmetric")


@simulate_app.command("cycling")
@_errors
def simulate_cycling(
    substrate: SubstrateOpt,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    c_rate: Annotated[float, typer.Option("--c-rate", help="C-rate of the test cycles.")] = 1.0,
    cycles: Annotated[int, typer.Option("--cycles", help="Test cycles after formation.")] = 300,
    formation_cycles: Annotated[int, typer.Option("--formation-cycles")] = 3,
    formation_c_rate: Annotated[float, typer.Option("--formation-c-rate")] = 0.5,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Li || LFP full cell over many cycles (formation first, as in the study)."""
    from lilean.simulate import simulate_cycling as run

    result = run(
        _params(params),
        substrate,
        cathode_loading_mAh_cm2=cathode_loading,
        li_inventory_mAh_cm2=li_inventory,
        c_rate=c_rate,
        cycles=cycles,
        formation_cycles=formation_cycles,
        formation_c_rate=formation_c_rate,
        seed=seed,
    )
    _finish_simulation(result, json_out, output, plot, "cycling")


@simulate_app.command("rate")
@_errors
def simulate_rate(
    substrate: SubstrateOpt,
    cathode_loading: LoadingOpt = 0.4,
    li_inventory: InventoryOpt = 10.0,
    c_rates: Annotated[
        str, typer.Option("--c-rates", help="Comma-separated C-rates of the blocks.")
    ] = "0.5,1,2,3,4,5",
    params: ParamsOpt = None,
    output: OutOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The study's rate test: 3 cycles at the first rate, 5 at each next, then back to 1C."""
    from lilean.errors import ParameterError
    from lilean.simulate import simulate_rate as run

    try:
        rates = tuple(float(x) for x in c_rates.split(",") if x.strip())
    except ValueError:
        raise ParameterError(f"--c-rates {c_rates!r}: expected numbers like 0.5,1,2") from None
    result = run(
        _params(params),
        substrate,
        cathode_loading_mAh_cm2=cathode_loading,
        li_inventory_mAh_cm2=li_inventory,
        c_rates=rates,
    )
    _finish_simulation(result, json_out, output, plot, "rate")


@simulate_app.command("eis")
@_errors
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

    result = run(
        _params(params), substrate, cycles=cycles, cathode_loading_mAh_cm2=cathode_loading,
        li_inventory_mAh_cm2=li_inventory, c_rate=c_rate, cell=cell,
        state_of_charge=state_of_charge, seed=seed,
    )  # fmt: skip
    if output is not None:
        result.data.to_parquet(output)
    if plot is not None:
        from lilean.plotting.eis import plot_bode, plot_nyquist, save_eis_figure

        label = f"{substrate}, {cycles} cycles"
        for name, fig in (("nyquist", plot_nyquist([(label, result.data)])),
                          ("bode", plot_bode([(label, result.data)]))):  # fmt: skip
            save_eis_figure(fig, plot / f"eis_{substrate}_{cycles}cycles_{name}")
    payload = result.to_dict()
    if json_out:
        _emit_json(payload)
        return
    table = Table("element", "value", title=f"{substrate} {cell} cell after {cycles} cycles")
    for key, value in payload["elements"].items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)


@simulate_app.command("protocol")
@_errors
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
    from lilean.errors import ParameterError
    from lilean.protocols import Experiment
    from lilean.simulate import run_experiment

    if repeat < 1:
        raise ParameterError(f"--repeat {repeat}: expected a whole number >= 1")
    experiment = Experiment([tuple(step)] * repeat)
    run = run_experiment(
        _params(params), substrate, experiment, cathode_loading_mAh_cm2=cathode_loading,
        li_inventory_mAh_cm2=li_inventory, seed=seed,
    )  # fmt: skip
    if output is not None and output.suffix.lower() == ".csv":
        run.data.to_csv(output)
    elif output is not None:
        run.data.to_parquet(output)
    result = analyze_data(run.data, kind="cycling", plot_dir=plot)
    if json_out:
        _emit_json(result)
    else:
        _print_result(result)


# ---- the whole study -------------------------------------------------------------------------


@app.command()
@_errors
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

    p = _params(params)
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
        _emit_json(result)
    else:
        err_console.print(
            f"wrote {result['report']} in {result['seconds']:.1f} s; "
            f"missing: {', '.join(result['missing']) or 'none'}; "
            f"failed: {', '.join(result['failed']) or 'none'}"
        )
    if result["failed"]:
        raise typer.Exit(1)


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
