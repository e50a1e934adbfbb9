"""X-ray diffraction: simulated patterns and phase identification (``lilean xrd``).

``lilean xrd simulate --phase Cu --phase Ag:0.5 [--crystallite-size-nm 30] [--json] [--plot DIR]``
``lilean xrd identify FILE [--phase ...] [--tolerance-deg 0.3] [--json] [--plot DIR]``
``lilean xrd dspacing 0.242 --phase Ag [--json]``
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lilean.cli.common import (
    JsonOpt,
    PlotOpt,
    app,
    console,
    emit_json,
    err_console,
    handle_errors,
)
from lilean.cli.display import progress_bar, spinner
from lilean.errors import ParameterError

xrd_app = typer.Typer(
    help="X-ray diffraction: simulated Cu K-alpha patterns, phase identification, d-spacings.",
    no_args_is_help=True,
)
app.add_typer(xrd_app, name="xrd")

PhaseOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--phase",
        "-p",
        help="Phase Cu | Ag | AgCuF3, optionally with a weight: 'Ag:0.5'. Repeat for a mixture.",
    ),
]
RangeOpt = Annotated[str, typer.Option("--range", help="2-theta range in degrees, 'lo,hi'.")]
WavelengthOpt = Annotated[
    str, typer.Option("--wavelength", help="CuKa, CuKa1, MoKa, ... or a number in angstrom.")
]


def _wavelength(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def _parse_phases(items: list[str] | None, default: tuple[str, ...]) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for item in items or list(default):
        name, _, weight = item.partition(":")
        try:
            out.append((name.strip(), float(weight) if weight else 1.0))
        except ValueError:
            raise ParameterError(f"--phase {item!r}: expected NAME or NAME:WEIGHT") from None
    return out


def _parse_range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ParameterError(f"--range {text!r}: expected 'lo,hi' in degrees") from None
    return lo, hi


def _save(fig: Any, folder: Path, stem: str) -> list[str]:
    from lilean.plotting.figures import save_figure

    folder.mkdir(parents=True, exist_ok=True)
    return [str(p) for p in save_figure(fig, folder / stem)]


@xrd_app.command("simulate")
@handle_errors
def simulate(
    phase: PhaseOpt = None,
    two_theta_range: RangeOpt = "30,80",
    crystallite_size_nm: Annotated[
        float | None,
        typer.Option("--crystallite-size-nm", help="Scherrer broadening for this size (nm)."),
    ] = None,
    wavelength: WavelengthOpt = "CuKa",
    mixture: Annotated[
        bool, typer.Option("--mixture", help="One weighted mixture pattern instead of one each.")
    ] = False,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Simulated powder pattern(s): reflections with 2-theta, d, (hkl), intensity."""
    from lilean.api import xrd_simulate as simulate_pattern

    phases = _parse_phases(phase, ("Cu", "Ag", "AgCuF3"))
    rng = _parse_range(two_theta_range)
    wl = _wavelength(wavelength)
    jobs: list[Any] = [phases] if mixture else [name for name, _ in phases]
    patterns = []
    with progress_bar("simulating XRD patterns (pymatgen)", len(jobs), quiet=json_out) as update:
        for k, job in enumerate(jobs, start=1):
            patterns.append(
                simulate_pattern(
                    job,
                    two_theta_range=rng,
                    wavelength=wl,
                    crystallite_size_nm=crystallite_size_nm,
                )
            )
            update(k)
    figures: list[str] = []
    if plot is not None:
        from lilean.plotting.xrd import plot_patterns

        figures = _save(plot_patterns(patterns), plot, "xrd_patterns")
    payload: dict[str, Any] = {"patterns": [p.to_dict() for p in patterns]}
    if figures:
        payload["figures"] = figures
    if json_out:
        emit_json(payload)
        return
    for pat in patterns:
        names = " + ".join(f"{n} x{w:g}" if len(pat.phases) > 1 else n for n, w in pat.phases)
        table = Table(title=f"{names} ({pat.wavelength_angstrom:.5f} A)")
        for col in ("phase", "2theta [deg]", "d [nm]", "hkl", "I [%]"):
            table.add_column(col)
        for row in pat.peaks.itertuples(index=False):
            table.add_row(
                str(row.phase),
                f"{row.two_theta_deg:.3f}",
                f"{row.d_nm:.4f}",
                str(row.hkl),
                f"{row.intensity:.1f}",
            )
        console.print(table)
    if figures:
        err_console.print(f"figures: {', '.join(figures)}")


@xrd_app.command("identify")
@handle_errors
def identify(
    file: Annotated[
        Path, typer.Argument(help="Measured pattern: 2 columns, 2-theta and intensity.")
    ],
    phase: PhaseOpt = None,
    tolerance_deg: Annotated[
        float, typer.Option("--tolerance-deg", help="Peak matching window, degrees 2-theta.")
    ] = 0.3,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Score (0-1) from which a phase counts as present.")
    ] = 0.5,
    wavelength: WavelengthOpt = "CuKa",
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Identify Cu, Ag, AgCuF3 (or the given phases) in a measured pattern by peak matching."""
    from lilean.xrd import identify_phases, read_pattern

    names = tuple(n for n, _ in _parse_phases(phase, ("Cu", "Ag", "AgCuF3")))
    with spinner(f"reading {file.name}", quiet=json_out):
        two_theta, intensity = read_pattern(file)
    with spinner(f"matching peaks of {len(names)} phase(s) (pymatgen)", quiet=json_out):
        result = identify_phases(
            two_theta,
            intensity,
            phases=names,
            tolerance_deg=tolerance_deg,
            min_score=min_score,
            wavelength=_wavelength(wavelength),
        )
    payload = {"file": str(file), **result.to_dict()}
    if plot is not None:
        from lilean.plotting.xrd import plot_identification

        payload["figures"] = _save(
            plot_identification(two_theta, intensity, result, label=file.name),
            plot,
            f"{file.stem}_xrd_identification",
        )
    if json_out:
        emit_json(payload)
        return
    table = Table(title=f"{file}: {len(result.peaks)} peaks")
    for col in ("phase", "present", "score", "matched", "mean offset [deg]"):
        table.add_column(col)
    for m in result.matches:
        table.add_row(
            m.phase,
            "yes" if m.present else "no",
            f"{m.score:.2f}",
            f"{len(m.matched)}/{len(m.matched) + len(m.missing)}",
            "" if m.mean_offset_deg is None else f"{m.mean_offset_deg:+.3f}",
        )
    console.print(table)
    if result.unexplained_peaks_deg:
        peaks = ", ".join(f"{v:.2f}" for v in result.unexplained_peaks_deg)
        console.print(f"unexplained peaks at 2-theta = {peaks} deg")
    if plot is not None:
        err_console.print(f"figures: {', '.join(payload['figures'])}")


@xrd_app.command("dspacing")
@handle_errors
def dspacing(
    d_nm: Annotated[float, typer.Argument(help="Lattice spacing in nm (e.g. from HRTEM).")],
    phase: PhaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Nearest reflection of each phase to a lattice spacing (e.g. HRTEM fringes)."""
    from lilean.xrd import d_spacing_match

    names = [n for n, _ in _parse_phases(phase, ("Cu", "Ag", "AgCuF3"))]
    matches = [d_spacing_match(d_nm, n).to_dict() for n in names]
    if json_out:
        emit_json({"d_nm": d_nm, "matches": matches})
        return
    table = Table(title=f"d = {d_nm} nm")
    for col in ("phase", "hkl", "d_ref [nm]", "deviation [nm]", "deviation [%]"):
        table.add_column(col)
    for m in matches:
        table.add_row(
            m["phase"],
            m["hkl"],
            f"{m['d_ref_nm']:.4f}",
            f"{m['deviation_nm']:+.4f}",
            f"{100 * m['relative_deviation']:+.2f}",
        )
    console.print(table)
