"""What every command shares: the app objects, options, error handling, JSON output."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lilean.errors import LileanError, ParameterError

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

# markup off: a message or a path containing "[/" is printed as is, never parsed as rich markup
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)
STATE = {"debug": False, "allow_large": False}

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


# ---- validation at the boundary -----------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """Documented bounds of one numeric option (docs/reliability.md lists them all).

    ``lo``/``hi``: the physical or meaningful range (always enforced; ``lo_open`` makes ``lo``
    exclusive). ``large``: the computational limit beyond which a run needs ``--allow-large``
    (memory and time grow with it)."""

    lo: float
    hi: float
    large: float | None = None
    lo_open: bool = False
    unit: str = ""


#: option (parameter name) -> bounds; "command.name" entries override the plain name
LIMITS: dict[str, Limit] = {
    "seed": Limit(0, 2**32 - 1),
    "cycles": Limit(1, 1_000_000, large=5_000, unit="cycles"),
    "simulate eis.cycles": Limit(0, 1_000_000, large=5_000, unit="cycles"),
    "formation_cycles": Limit(0, 10_000, large=100, unit="cycles"),
    "max_cycle": Limit(1, 1_000_000, unit="cycles"),
    "horizon": Limit(1, 10_000_000, large=100_000, unit="cycles"),
    "mcmc_steps": Limit(1, 10_000_000, large=20_000, unit="steps"),
    "samples": Limit(2, 1_000_000, large=2_000, unit="draws"),
    "repeat": Limit(1, 1_000_000, large=5_000, unit="cycles"),
    "c_rate": Limit(0, 100, large=20, unit="C", lo_open=True),
    "formation_c_rate": Limit(0, 100, large=20, unit="C", lo_open=True),
    "c_rates": Limit(0, 100, large=20, unit="C", lo_open=True),
    "current_density": Limit(0, 1000, large=100, unit="mA/cm^2", lo_open=True),
    "capacity": Limit(0, 1000, large=100, unit="mAh/cm^2", lo_open=True),
    "capacities": Limit(0, 1000, large=100, unit="mAh/cm^2", lo_open=True),
    "areal_capacity": Limit(0, 1000, large=100, unit="mAh/cm^2", lo_open=True),
    "hours": Limit(0, 1_000_000, large=5_000, unit="h", lo_open=True),
    "cathode_loading": Limit(0, 1000, large=20, unit="mAh/cm^2", lo_open=True),
    "li_inventory": Limit(0, 10_000, large=1000, unit="mAh/cm^2"),
    "area_cm2": Limit(0, 1e6, unit="cm^2", lo_open=True),
    "active_mass_mg": Limit(0, 1e9, unit="mg", lo_open=True),
    "state_of_charge": Limit(0, 1),
    "width": Limit(8, 1_000_000, large=2_048, unit="columns"),
    "size": Limit(4, 1_000_000, large=2_048, unit="voxels per side"),
    "dim": Limit(2, 3),
    "temperature": Limit(-40, 100, unit="C"),
    "agf_wt": Limit(0, 100, unit="wt%", lo_open=True),
    "minutes": Limit(0, 1_000_000, large=120, unit="min", lo_open=True),
    "workers": Limit(1, 4096, large=256, unit="processes"),
    "batch_size": Limit(1, 1_000_000, unit="cases"),
    "spectrum": Limit(0, 1_000_000),
    "maxfev": Limit(1, 1e9, large=1_000_000, unit="evaluations"),
    "crystallite_size_nm": Limit(0, 1e6, unit="nm", lo_open=True),
    "tolerance_deg": Limit(0, 10, unit="deg", lo_open=True),
    "min_score": Limit(0, 1),
    "d_nm": Limit(0, 1000, unit="nm", lo_open=True),
    "resolution_V": Limit(0, 1, unit="V", lo_open=True),
    "smoothing_window": Limit(0, 10_001, unit="bins"),
}
#: bound for numeric options without an entry in LIMITS (finite, and not absurd)
DEFAULT_LIMIT = Limit(-1e12, 1e12)
#: string options holding comma-separated numbers
LIST_OPTIONS = ("c_rates", "capacities", "size", "agf_wt", "minutes")
#: parameters that name a folder a command reads (``reproduce --data-dir``, ``compare DATASET``)
INPUT_DIR_NAMES = ("data_dir", "dataset")
#: parameters that name something a command writes (checked by the output policy, not protected)
OUTPUT_NAMES = ("output", "out", "plot", "summary")
#: "command.parameter" (or the command alone) -> the format its output file must have
OUTPUT_FORMATS = {
    "convert": "table",
    "simulate nucleation": "table",
    "simulate symmetric": "table",
    "simulate cycling": "table",
    "simulate rate": "table",
    "simulate protocol": "table",
    "simulate eis": "parquet",
    "plumes map": "table",
    "fit": "params",
    "params export": "params",
}


def _format_number(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else f"{x}"


def check_number(name: str, value: float, *, option: str, command: str = "") -> None:
    """Refuse a non-finite or out-of-bounds value of option ``option`` with one line."""
    limit = LIMITS.get(f"{command}.{name}") or LIMITS.get(name) or DEFAULT_LIMIT
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"{option} {value}: expected a finite number")
    unit = f" {limit.unit}" if limit.unit else ""
    low_bad = value <= limit.lo if limit.lo_open else value < limit.lo
    if low_bad or value > limit.hi:
        lo = f"> {_format_number(limit.lo)}" if limit.lo_open else f">= {_format_number(limit.lo)}"
        raise ParameterError(
            f"{option} {_format_number(value)}: expected {lo} and <= {_format_number(limit.hi)}{unit}"
        )
    if limit.large is not None and value > limit.large and not STATE["allow_large"]:
        raise ParameterError(
            f"{option} {_format_number(value)}: above the limit {_format_number(limit.large)}{unit} "
            "for one run (memory and time grow with it); pass `lilean --allow-large ...` to run it"
        )


def _option_names(func: Callable[..., Any]) -> dict[str, tuple[str, bool]]:
    """parameter name -> (its option string, whether it is a positional argument)."""
    import typing

    from typer.models import ArgumentInfo, OptionInfo

    names: dict[str, tuple[str, bool]] = {}
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # annotations that cannot be resolved: fall back to the parameter name
        hints = {}
    for pname, hint in hints.items():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, OptionInfo):
                raw = [meta.default, *(meta.param_decls or ())]  # typer.Option("--x") in Annotated
                decls = [d for d in raw if isinstance(d, str) and d.startswith("--")]
                names[pname] = (decls[0] if decls else "--" + pname.replace("_", "-"), False)
            elif isinstance(meta, ArgumentInfo):
                names[pname] = (pname.upper(), True)
    return names


def _paths_of(value: Any) -> list[Path]:
    if isinstance(value, Path):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, Path)]
    return []


def validate_arguments(
    func: Callable[..., Any], kwargs: dict[str, Any], command: str
) -> list[Path]:
    """The one boundary check every command passes through (called by :func:`handle_errors`):
    numbers finite and within :data:`LIMITS`, input files present and files (not folders),
    inputs protected from being written, outputs checked against the output policy."""
    from lilean import outputs

    names = _option_names(func)
    inputs: list[Path] = []
    for name, value in kwargs.items():
        option, _positional = names.get(name, ("--" + name.replace("_", "-"), False))
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            check_number(name, value, option=option, command=command)
        elif isinstance(value, str) and name in LIST_OPTIONS:
            for item in value.split(","):
                try:
                    number = float(item) if item.strip() else None
                except ValueError:
                    continue  # the command says what it expected
                if number is not None:
                    check_number(name, number, option=option, command=command)
        for path in _paths_of(value):
            if name in OUTPUT_NAMES:
                continue  # checked below, once every input is protected
            if name == "spec" and str(path) == "plumes" and not path.exists():
                continue
            if name in INPUT_DIR_NAMES:
                if not path.is_dir():
                    raise ParameterError(f"{option} {path}: no such folder")
                continue
            if path.is_dir():
                raise ParameterError(f"{path}: is a directory; {option} expects a file")
            if not path.exists():
                raise ParameterError(f"{path}: file not found ({option})")
            outputs.protect(path)
            inputs.append(path)
    for name in OUTPUT_NAMES:
        for path in _paths_of(kwargs.get(name)):
            if name == "plot" or (name == "out" and command in ("sweep", "reproduce", "batch")):
                outputs.check_output_dir(path)
            else:
                outputs.check_output(path, suffixes=OUTPUT_FORMATS.get(command))
    return inputs


def check_circuit(circuit: str) -> None:
    """Refuse a malformed impedance.py circuit string before any fit runs (one line)."""
    text = circuit.replace(" ", "")
    if not text or not re.fullmatch(r"[A-Za-z0-9_(),\-]+", text):
        raise ParameterError(
            f"--circuit {circuit!r}: expected elements like R0, CPE1, W2 joined by '-' "
            "and p(a,b) blocks"
        )
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            raise ParameterError(f"--circuit {circuit!r}: unmatched ')' at position {i + 1}")
    if depth:
        raise ParameterError(
            f"--circuit {circuit!r}: {depth} unclosed '(' (unbalanced parentheses)"
        )
    try:
        from impedance.models.circuits.elements import circuit_elements as registry
    except ImportError:  # the fit itself says which extra is missing
        return
    known = sorted(k for k, v in registry.items() if hasattr(v, "num_params"))
    for match in re.finditer(r"([A-Za-z]+?)_?\d*(?=[-,()]|$)", re.sub(r"p\(", "(", text)):
        if match.group(1) not in known:
            raise ParameterError(
                f"--circuit {circuit!r}: unknown element {match.group(0)!r}; "
                f"impedance.py elements: {', '.join(known)}"
            )


def one_line(text: str, limit: int = 600) -> str:
    """Condense a (library) message to one printable line."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_exception(exc: BaseException, command: str = "", thing: str | None = None) -> str:
    """One line naming the thing (``thing``, e.g. the input file, else the command) and the
    problem for any exception."""
    if isinstance(exc, LileanError):
        return one_line(str(exc))
    where = f"{thing}: " if thing else (f"lilean {command}: " if command else "")
    if isinstance(exc, MemoryError):
        return f"{where}out of memory (the run is too large for this machine; use smaller sizes)"
    if isinstance(exc, RecursionError):
        return f"{where}input nested too deeply (RecursionError)"
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or str(exc)
        return one_line(f"{name}: {reason}" if name else f"{where}{reason}")
    if isinstance(exc, UnicodeError):
        return one_line(f"{where}text is not valid in its encoding ({exc})")
    kind = type(exc).__name__
    module = type(exc).__module__.lstrip("_")
    if module != "builtins" and kind in ("Error", "error"):
        kind = f"{module}.{kind}"  # _csv.Error -> csv.Error
    message = str(exc) or kind
    return one_line(f"{where}{kind}: {message}")


def print_error(message: str) -> None:
    """``error: <message>`` on stderr, one line, no markup interpretation."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", one_line(message)), soft_wrap=True)


def handle_errors(func: F) -> F:
    """Validate the arguments at the boundary, then turn every exception that escapes the command
    into one line (naming the thing and the problem) and exit status 2; ``--debug`` re-raises."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer as _typer

        command = _command_name()
        from lilean.outputs import command_scope

        inputs: list[Path] = []
        with command_scope():
            try:
                inputs = validate_arguments(func, kwargs, command)
                return func(*args, **kwargs)
            except (_typer.Exit, _typer.Abort, KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:
                if isinstance(exc, _click_exceptions()):
                    raise
                if STATE["debug"]:
                    raise
                thing = str(inputs[0]) if len(inputs) == 1 else None
                print_error(describe_exception(exc, command, thing))
                raise _typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _click_exceptions() -> tuple[type[BaseException], ...]:
    from typer._click.exceptions import ClickException

    return (ClickException,)


def _command_name() -> str:
    """'simulate cycling' for the command now running (empty outside the CLI)."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return ""
    parts = ctx.command_path.split()[1:]
    return " ".join(parts)


def emit_json(obj: Any) -> None:
    from lilean.schema import dumps

    sys.stdout.write(dumps(obj) + "\n")


def _version(value: bool) -> None:
    if value:
        from lilean import __version__  # importlib.metadata: only when asked

        console.print(f"lilean {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    allow_large: Annotated[
        bool,
        typer.Option(
            "--allow-large",
            help="Allow sizes above the per-run limits (cycles, lattice size, duration, repeat; "
            "see docs/reliability.md).",
        ),
    ] = False,
) -> None:
    STATE["debug"] = debug
    STATE["allow_large"] = allow_large


def load_params(path: Path | None) -> Any:
    from lilean.parameters import ParameterSet, default_parameters

    if path is None:
        return default_parameters()
    from lilean import outputs

    outputs.protect(path)
    try:
        return ParameterSet.load(path)
    except RecursionError:
        raise ParameterError(
            f"{path}: parameter file nested too deeply to be a parameter set"
        ) from None
    except UnicodeError as exc:
        raise ParameterError(
            f"{path}: not a UTF-8 text parameter file ({one_line(str(exc), 120)}); "
            "save it as UTF-8 TOML or YAML"
        ) from None


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
