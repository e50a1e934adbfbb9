"""Parameter sets: show and export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    console,
    emit_json,
    err_console,
    handle_errors,
    load_params,
    params_app,
)
from lilean.cli.display import literal, output_console

# ---- parameters ---------------------------------------------------------------------------


@params_app.command("show")
@handle_errors
def params_show(params: ParamsOpt = None, json_out: JsonOpt = False) -> None:
    """Every parameter with value, unit and provenance."""
    p = load_params(params)
    flat = p.flat()
    if json_out:
        emit_json({k: v.model_dump() for k, v in flat.items()})
        return
    table = Table(
        "parameter", "value", "unit", "kind", "source", title=literal(f"parameter set {p.name}")
    )
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max((len(k) for k in flat), default=9)
    table.columns[4].overflow = "fold"
    for key, v in flat.items():
        table.add_row(
            literal(key),
            literal(f"{v.value:.6g}"),
            literal(v.unit),
            literal(v.kind),
            literal(v.source),
        )
    output_console(console).print(table)


@params_app.command("export")
@handle_errors
def params_export(
    output: Annotated[Path, typer.Argument(help="out.toml or out.yaml")],
    params: ParamsOpt = None,
) -> None:
    """Write the whole parameter set (with provenance) to TOML or YAML."""
    load_params(params).save(output)
    err_console.print(f"wrote {output}")
