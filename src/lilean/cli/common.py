"""What every command shares: the app objects, options, error handling, JSON output."""

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
STATE = {"debug": False}

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


def handle_errors(func: F) -> F:
    """Turn LileanError (bad input) into a one-line message and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LileanError as exc:
            if STATE["debug"]:
                raise
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def emit_json(obj: Any) -> None:
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
    STATE["debug"] = debug


def load_params(path: Path | None) -> Any:
    from lilean.parameters import ParameterSet, default_parameters

    return ParameterSet.load(path) if path else default_parameters()


def print_result(result: dict[str, Any]) -> None:
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
