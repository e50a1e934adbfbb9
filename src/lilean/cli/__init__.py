"""The ``lilean`` command line: a thin typer layer over the Python API.

Every command that computes something takes ``--json`` and then prints exactly one JSON object to
stdout and nothing else. Errors on bad input print one line to stderr and exit with status 2
(``--debug`` shows the traceback instead); usage errors (an unknown option, a value of the wrong
type) are one line too. Exit status 3 marks a result that ran but failed (documented per command).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from lilean.cli import (  # noqa: F401  (importing a module registers its commands)
    batch,
    data,
    eis,
    fit,
    morphology,
    params,
    plumes,
    simulate,
    study,
    sweep,
    xrd,
)
from lilean.cli.common import STATE, app, describe_exception, print_error

_BUILT: dict[str, Any] = {}


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


def _command() -> Any:
    """The click command tree of the app, built once (typer rebuilds it on every ``app()`` call,
    ~0.3 s) and rebuilt when a command is registered later."""
    import typer

    key = _registry_key(app)
    if _BUILT.get("key") != key:
        _BUILT["command"] = typer.main.get_command(app)
        _BUILT["key"] = key
    return _BUILT["command"]


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the app and make sure that whatever escapes (usage errors,
    errors raised before a command starts) ends as one line on stderr and a non-zero exit."""
    import typer
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    args = list(sys.argv[1:] if argv is None else argv)
    STATE["debug"] = "--debug" in args
    try:
        rv = _command().main(args=args, prog_name="lilean", standalone_mode=False)
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


__all__ = ["app", "main"]
