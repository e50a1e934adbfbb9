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


def _load(path: Path, fmt: str | None, mapping: str | None, **meta: float | None) -> Any:
    from lilean import io

    if mapping:
        from lilean.io.csv_generic import parse_mapping, read_csv_mapped

        data = read_csv_mapped(path, parse_mapping(mapping))
        changes = {k: v for k, v in meta.items() if v is not None}
        return data.with_meta(**changes) if changes else data
    return io.read(path, fmt, **meta)


def _params(path: Path | None) -> Any:
    from lilean.parameters import ParameterSet, default_parameters

    return ParameterSet.load(path) if path else default_parameters()


# ---- lab data ------------------------------------------------------------------------------


@app.command()
@_errors
def formats(json_out: JsonOpt = False) -> None:
    """List the file formats lilean reads (detected by content)."""
    from lilean import io

    rows = [
        {"name": r.name, "instrument": r.instrument, "extensions": list(r.extensions),
         "description": r.description}
        for r in io.formats()
    ]
    if json_out:
        _emit_json({"formats": rows})
        return
    table = Table("format", "instrument", "extensions", "description")
    for r in rows:
        table.add_row(r["name"], r["instrument"], " ".join(r["extensions"]), r["description"])
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
        data = _load(file, fmt, mapping)
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
    """Convert a cycler file to the canonical table (Parquet keeps all metadata; CSV writes a
    ``.meta.json`` beside it)."""
    from lilean.errors import OutputError

    if output.resolve() == file.resolve():
        raise OutputError(f"{output}: refusing to overwrite the input file")
    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise OutputError(f"{output}: output must end in .parquet or .csv")
    data = _load(file, fmt, mapping, area_cm2=area_cm2, active_mass_mg=active_mass_mg)
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

    data = load_table(file, fmt=fmt, mapping=mapping, area_cm2=area_cm2,
                      active_mass_mg=active_mass_mg)
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


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
