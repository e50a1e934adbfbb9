"""Li deposition morphology on Cu and Ag@Cu (issue 6): ``lilean simulate morphology``."""

from __future__ import annotations

from typing import Annotated

import typer

from lilean.cli.common import (
    JsonOpt,
    ParamsOpt,
    PlotOpt,
    SeedOpt,
    SubstrateOpt,
    console,
    emit_json,
    err_console,
    handle_errors,
    load_params,
    simulate_app,
)
from lilean.cli.display import progress_bar
from lilean.errors import ParameterError


def _capacities(text: str) -> list[float]:
    try:
        caps = [float(c) for c in text.split(",") if c.strip()]
    except ValueError:
        raise ParameterError(
            f"--capacities {text!r}: expected comma-separated numbers, e.g. 2,4,6,8"
        ) from None
    if not caps or min(caps) <= 0:
        raise ParameterError(f"--capacities {text!r}: expected positive capacities in mAh/cm^2")
    return caps


@simulate_app.command("morphology")
@handle_errors
def simulate_morphology(
    substrate: SubstrateOpt,
    capacities: Annotated[
        str, typer.Option("--capacities", help="Snapshots, mAh/cm^2, comma-separated.")
    ] = "2,4,6,8",
    current_density: Annotated[
        float, typer.Option("--current-density", help="Plating current density, mA/cm^2.")
    ] = 1.0,
    width: Annotated[int, typer.Option("--width", help="Lattice columns (2D).")] = 160,
    seed: SeedOpt = 0,
    params: ParamsOpt = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Lattice model of Li plating: cross-sections and morphology descriptors per capacity."""
    from lilean.lattice.deposition import deposit_li

    caps = _capacities(capacities)
    p = load_params(params)
    with progress_bar(
        f"plating Li on {substrate}", max(caps), quiet=json_out, unit="mAh/cm^2"
    ) as update:
        result = deposit_li(
            p,
            substrate,
            capacity_mAh_cm2=max(caps),
            current_density_mA_cm2=current_density,
            snapshots=caps,
            size=(width,),
            seed=seed,
            progress=lambda done, total: update(done),
        )
    payload = result.to_dict()
    if plot is not None:
        from lilean.plotting.figures import save_figure
        from lilean.plotting.morphology import plot_deposition_sequence

        plot.mkdir(parents=True, exist_ok=True)
        paths = save_figure(plot_deposition_sequence(result), plot / f"morphology_{substrate}")
        payload["figures"] = [str(x) for x in paths]
    if json_out:
        emit_json(payload)
        return
    console.print(result.descriptors.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for path in payload.get("figures", []):
        err_console.print(f"wrote {path}")
