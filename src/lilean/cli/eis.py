"""Impedance: fit measured spectra (``lilean eis fit``, over :func:`lilean.api.eis_fit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lilean.cli.common import (
    FormatOpt,
    JsonOpt,
    PlotOpt,
    check_circuit,
    console,
    eis_app,
    emit_json,
    handle_errors,
    print_error,
)

# ---- impedance ---------------------------------------------------------------------------


@eis_app.command("fit")
@handle_errors
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
    from lilean.api import eis_fit as run

    if circuit is not None:
        check_circuit(circuit)
    result = run(file, circuit, spectrum=spectrum, plot_dir=plot, fmt=fmt, maxfev=maxfev)
    failed = [r for r in [result, *result.get("spectra", [])] if r.get("fit_error")]
    result["status"] = "failed" if failed else "ok"
    if json_out:
        emit_json(result)
    if failed:  # a fit that did not run is a failure: exit 3 (the JSON says why in fit_error)
        print_error(f"{file}: circuit fit failed: {failed[0]['fit_error']}")
        raise typer.Exit(3)
    if json_out:
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
