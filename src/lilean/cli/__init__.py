"""The ``lilean`` command line: a thin typer layer over the Python API.

Every command that computes something takes ``--json`` and then prints exactly one JSON object to
stdout and nothing else. Errors on bad input print one line to stderr and exit with status 2
(``--debug`` shows the traceback instead); usage errors (an unknown option, a value of the wrong
type) are one line too. Exit status 3 marks a result that ran but failed (documented per command).

Start-up: the command modules load lazily. :func:`main` imports only the module(s) that register
the command named on the command line (:data:`COMMANDS`); ``lilean`` / ``lilean --help`` prints
:data:`OVERVIEW_HELP` (click's render at >= 80 columns, kept equal to it by a test) without
importing typer, rich or any command module (on a narrower terminal click renders the overview
from :data:`COMMANDS`, still without importing a command module). Help is click's plain layout (typer's
rich layout imports ``rich.markdown``, markdown-it and pygments: ~0.12 s of a 0.3 s budget).
``lilean.cli.app`` (tests, ``typer.testing.CliRunner``) is the full app with every module imported.
``tests/unit/cli/test_lazy_dispatch.py`` checks that :data:`COMMANDS` matches the full app and that
each command's help is the same through the lazy path.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

#: Top-level commands and groups, in the order ``lilean --help`` lists them: the modules of
#: ``lilean.cli`` that register each (a group's commands may come from several modules) and the
#: first paragraph of its help, shown in the overview without importing the module.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "batch": (
        ("batch",),
        "Convert and analyse every cycler file of an archive into one Parquet dataset (DuckDB, "
        "pandas and polars query it in place); only new or changed files are redone.",
    ),
    "compare": (
        ("batch",),
        "Plot groups of cells (mean and spread bands vs cycle) from a batch dataset.",
    ),
    "formats": (("data",), "List the file formats lilean reads (detected by content)."),
    "info": (
        ("data",),
        "Format, rows, cycles, duration, columns and anomalies (time going backwards, gaps, NaNs).",
    ),
    "convert": (
        ("data",),
        "Convert a cycler file to the canonical table (Parquet keeps all metadata; CSV writes a "
        ".meta.json beside it).",
    ),
    "analyze": (("data",), "Compute the study's metrics from a measured (or simulated) file."),
    "dqdv": (
        ("data",),
        "dQ/dV and dV/dQ of both branches, with peak positions and heights per cycle (as data).",
    ),
    "fit": (
        ("fit",),
        "Fit the twin's parameters to measured files; 95 % intervals and identifiability warnings.",
    ),
    "predict": (
        ("fit",),
        "Predicted capacity with a 95 % band (parameter covariance sampled) and the knee.",
    ),
    "reproduce": (
        ("study",),
        "Reproduce the study in silico and write report.html, figures/, results/, summary.json.",
    ),
    "sweep": (
        ("sweep",),
        "Run every case of a sweep spec on Dask, streaming rows to a Parquet folder.",
    ),
    "simulate": (
        ("morphology", "plumes", "simulate"),
        "Simulate the study's experiments with the digital twin.",
    ),
    "params": (("params",), "Show or export parameter sets."),
    "eis": (("eis",), "Impedance spectra: read and fit measured EIS files."),
    "plumes": (("plumes",), "Ag plumes on Cu by galvanic displacement: process maps."),
    "xrd": (
        ("xrd",),
        "X-ray diffraction: simulated Cu K-alpha patterns, phase identification, d-spacings.",
    ),
}

#: ``lilean --help`` as click renders it on a terminal of >= 80 columns (or a pipe): printed without
#: importing typer or rich. ``tests/unit/cli/test_lazy_dispatch.py`` checks it against the render.
OVERVIEW_WIDTH = 80  # click wraps help at min(terminal, 80) - 2 columns
OVERVIEW_HELP = """\
Usage: lilean [OPTIONS] COMMAND [ARGS]...

  Li-lean anode toolkit: read cycler files, compute the study's metrics,
  simulate cells.

Options:
  --version      Show the version.
  --debug        Show tracebacks on errors.
  --allow-large  Allow sizes above the per-run limits (cycles, lattice size,
                 duration, repeat; see docs/reliability.md).
  --help         Show this message and exit.

Commands:
  batch      Convert and analyse every cycler file of an archive into one...
  compare    Plot groups of cells (mean and spread bands vs cycle) from a...
  formats    List the file formats lilean reads (detected by content).
  info       Format, rows, cycles, duration, columns and anomalies (time...
  convert    Convert a cycler file to the canonical table (Parquet keeps...
  analyze    Compute the study's metrics from a measured (or simulated)...
  dqdv       dQ/dV and dV/dQ of both branches, with peak positions and...
  fit        Fit the twin's parameters to measured files; 95 % intervals...
  predict    Predicted capacity with a 95 % band (parameter covariance...
  reproduce  Reproduce the study in silico and write report.html,...
  sweep      Run every case of a sweep spec on Dask, streaming rows to a...
  simulate   Simulate the study's experiments with the digital twin.
  params     Show or export parameter sets.
  eis        Impedance spectra: read and fit measured EIS files.
  plumes     Ag plumes on Cu by galvanic displacement: process maps.
  xrd        X-ray diffraction: simulated Cu K-alpha patterns, phase...
"""

#: Every module that registers commands (import order = registration order of the full app).
MODULES = ("batch", "data", "eis", "fit", "morphology", "params", "plumes", "simulate", "study",
           "sweep", "xrd")  # fmt: skip

#: The top-level options (flags without a value): the first other argument names the command.
_TOP_FLAGS = frozenset({"--version", "--debug", "--allow-large", "--help"})

_BUILT: dict[str, Any] = {}


def _import_modules(names: Sequence[str]) -> None:
    """Import command modules in :data:`MODULES` order (= the order the full app lists them)."""
    for name in sorted(names, key=MODULES.index):
        importlib.import_module(f"lilean.cli.{name}")  # importing a module registers its commands


def _full_app() -> typer.Typer:
    """The app with every command registered."""
    _import_modules(MODULES)
    from lilean.cli.common import app

    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return _full_app()
    raise AttributeError(f"module 'lilean.cli' has no attribute {name!r}")


def _registry_key(typer_app: Any) -> tuple[Any, ...]:
    """Identity of every command and group registered on the app (sub-apps included)."""
    return (
        tuple(id(c) for c in typer_app.registered_commands),
        tuple(
            (id(g), _registry_key(g.typer_instance))
            for g in typer_app.registered_groups
            if g.typer_instance is not None
        ),
    )


def _light_help_option(command: Any) -> None:
    """Let ``--help`` pass through typer's value coercion without pydantic.

    typer coerces each option's value with a pydantic ``TypeAdapter`` that it builds on first use;
    the ``--help`` option of every group on the way to a command (``lilean``, ``simulate`` in
    ``lilean simulate nucleation --help``) is processed with the value None, which built one and
    imported pydantic (~0.2 s of start-up). A help flag's value is None or a bool: the
    pass-through coercion returns both unchanged. Skipped (help then just costs the import) if
    typer's internals differ; ``tests/unit/cli/test_lazy_dispatch.py`` checks that every
    command's ``--help`` loads no pydantic."""
    try:
        from typer._click.core import Context
        from typer._coercion import PassThroughRuntimeParam

        option = command.get_help_option(Context(command))
        if option is None or option.type_descriptor.annotation is not bool:
            return
        if option._runtime_param is None:
            option._runtime_param = PassThroughRuntimeParam(
                parameter_info=option.type_descriptor.parameter_info, annotation=bool
            )
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another typer
        return


def _plain_help(command: Any) -> Any:
    """Switch typer's rich help layout off on a click command tree (see the module docstring)
    and make each ``--help`` light (:func:`_light_help_option`)."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    _light_help_option(command)
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)
    return command


def _command() -> Any:
    """The click command tree of the commands registered so far, built once (typer rebuilds it on
    every ``app()`` call) and rebuilt when a command is registered later."""
    import typer

    from lilean.cli.common import app

    key = _registry_key(app)
    if _BUILT.get("key") != key:
        _BUILT["command"] = _plain_help(typer.main.get_command(app))
        _BUILT["key"] = key
    return _BUILT["command"]


def _overview() -> Any:
    """The top-level group for ``lilean`` / ``lilean --help`` / ``--version``: the real callback and
    options, and one placeholder per entry of :data:`COMMANDS` (name and help only)."""
    import copy

    from typer.core import TyperCommand

    group = copy.copy(_command())
    group.commands = {
        name: TyperCommand(name, help=text, rich_markup_mode=None)
        for name, (_, text) in COMMANDS.items()
    }
    return group


def _command_for(args: Sequence[str]) -> Any:
    """The click tree that can run ``args``: only the modules of the command it names loaded."""
    name = next((a for a in args if a not in _TOP_FLAGS), None)
    if name is None:
        return _overview()
    if name in COMMANDS:
        _import_modules(COMMANDS[name][0])
    else:  # an unknown name (or ``--``, an unknown option): the full app gives the usual error
        _full_app()
    return _command()


def command_paths() -> list[list[str]]:
    """Every command and group of the full app, subcommands included (``["simulate",
    "nucleation"]``, ...), in registration order (imports every command module)."""
    import typer

    paths: list[list[str]] = []

    def walk(command: Any, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(_full_app()), [])
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the app and make sure that whatever escapes (usage errors,
    errors raised before a command starts) ends as one line on stderr and a non-zero exit."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in ([], ["--help"]) and shutil.get_terminal_size().columns >= OVERVIEW_WIDTH:
        # the overview as click renders it at this width (checked by a test): no typer import
        sys.stdout.write(OVERVIEW_HELP)
        sys.stdout.flush()
        sys.exit(0 if args else 2)  # `lilean` alone: the help and the usage-error status
    import typer
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    from lilean.cli.common import STATE, describe_exception, print_error

    STATE["debug"] = "--debug" in args
    try:
        rv = _command_for(args).main(args=args, prog_name="lilean", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `lilean` or `lilean simulate` alone: the help, as before
        if exc.ctx is not None:
            sys.stdout.write(exc.ctx.get_help() + "\n")
        sys.exit(exc.exit_code)
    except ClickException as exc:  # usage: unknown option, wrong type, missing argument
        print_error(exc.format_message())
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        print_error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if STATE["debug"]:
            raise
        print_error(describe_exception(exc))
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)


__all__ = ["COMMANDS", "MODULES", "OVERVIEW_HELP", "app", "main"]
