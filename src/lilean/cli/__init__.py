"""The ``lilean`` command line: a thin typer layer over the Python API.

Every command that computes something takes ``--json`` and then prints exactly one JSON object to
stdout and nothing else. Errors on bad input print one line to stderr and exit with status 2
(``--debug`` shows the traceback instead).
"""

from __future__ import annotations

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
from lilean.cli.common import app


def main() -> None:  # console-script entry point
    app()


__all__ = ["app", "main"]
