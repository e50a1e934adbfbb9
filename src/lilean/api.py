"""The Python API that the CLI wraps: one function per user task.

===========================  =====================================================
CLI command                  function
===========================  =====================================================
``lilean analyze``           :func:`load_table` + :func:`analyze_data`
``lilean simulate <name>``   :func:`simulate` (any scenario of :mod:`lilean.scenarios`)
``lilean fit``               :func:`fit`
``lilean predict``           :func:`predict`
``lilean sweep``             :func:`sweep`
``lilean reproduce``         :func:`reproduce`
``lilean eis fit``           :func:`eis_fit`
``lilean xrd simulate``      :func:`xrd_simulate`
``lilean xrd identify``      :func:`xrd_identify`
===========================  =====================================================

>>> from lilean.api import load_table, analyze_data
>>> data = load_table("cell.ndax", active_mass_mg=2.66)          # doctest: +SKIP
>>> analyze_data(data, kind="cycling")["final_retention_percent"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lilean.errors import LileanError
from lilean.scenarios import analysis_kinds, get_scenario
from lilean.schema import CyclingData

#: the analyses :func:`analyze_data` runs: the analysis kinds the scenarios declare
ANALYSIS_KINDS = analysis_kinds()


def load_table(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: str | None = None,
    area_cm2: float | None = None,
    active_mass_mg: float | None = None,
    allow_partial: bool = False,
) -> CyclingData:
    """A cycler file, or a Parquet table written by lilean, as a :class:`CyclingData`.

    ``allow_partial``: read the whole part of a damaged file (see :func:`lilean.io.read`)."""
    from lilean import io

    path = Path(path)
    changes = {
        k: v for k, v in {"area_cm2": area_cm2, "active_mass_mg": active_mass_mg}.items() if v
    }
    if mapping:
        from lilean.io.csv_generic import parse_mapping, read_csv_mapped

        data = read_csv_mapped(io.check_readable(path), parse_mapping(mapping))
    elif fmt is None and path.suffix.lower() == ".parquet":
        data = CyclingData.from_parquet(io.check_readable(path))
    else:
        data = io.read(path, fmt, allow_partial=allow_partial)
    return data.with_meta(**changes) if changes else data


def analyze_data(
    data: CyclingData, *, kind: str = "auto", plot_dir: str | Path | None = None
) -> dict[str, Any]:
    """Run one analysis on a table and return a JSON-ready dict (``kind`` and ``file`` included).

    kind: ``deposition``, ``symmetric``, ``cycling``, ``rate`` or ``auto`` (detected from the
    current/voltage pattern; when the pattern fits none of them, e.g. a rest-only or single-step
    file, the per-cycle summary is computed and ``kind_note`` says why). ``plot_dir``: also write the matching figures (PNG + SVG) there.
    """
    from lilean.analysis.kind import assess_kind

    note = None
    seen = assess_kind(data)
    if kind == "auto":
        if seen.kind is None:
            # any file has a per-cycle summary; say why nothing more specific was computed
            kind, note = "cycling", f"{seen.reason}; showing the per-cycle summary"
        else:
            kind = seen.kind
    if kind not in ANALYSIS_KINDS:
        raise LileanError(f"unknown analysis kind {kind!r}; expected one of {ANALYSIS_KINDS}")
    out: dict[str, Any] = {"kind": kind, "file": data.meta.source_file}
    if note:
        out["kind_note"] = note
    out["kind_detected"] = {"kind": seen.kind, "confidence": seen.confidence}
    figures: list[Any] = []
    if kind == "deposition":
        from lilean.analysis.deposition import analyze_deposition

        dep = analyze_deposition(data, area_cm2=data.meta.area_cm2)
        out.update(dep.to_dict())
        if plot_dir:
            from lilean.plotting.figures import plot_deposition

            figures.append(("deposition", plot_deposition(data, dep)))
    elif kind == "symmetric":
        from lilean.analysis.symmetric import analyze_symmetric

        sym = analyze_symmetric(data)
        out.update(sym.to_dict())
        if plot_dir:
            from lilean.plotting.figures import plot_symmetric

            figures.append(("symmetric", plot_symmetric(data, sym)))
    elif kind == "cycling":
        from lilean.analysis.cycling import analyze_cycling

        cyc = analyze_cycling(data, active_mass_mg=data.meta.active_mass_mg)
        out.update(cyc.to_dict())
        if plot_dir:
            from lilean.analysis.dqdv import differential_analysis
            from lilean.plotting.figures import plot_cycle_summary, plot_differential, plot_voltage

            figures.append(("cycle_summary", plot_cycle_summary(cyc.table)))
            figures.append(("voltage", plot_voltage(data, x="capacity")))
            table = cyc.table
            cycles = table.loc[table["Complete"], "Cycle"].tolist() or sorted(
                set(data.data["Cycle"])
            )
            picks = sorted({cycles[0], cycles[len(cycles) // 2], cycles[-1]})
            figures.append(("dqdv", plot_differential(differential_analysis(data, picks))))
    else:
        from lilean.analysis.rate import rate_table

        table = rate_table(data, active_mass_mg=data.meta.active_mass_mg)
        out["rate_table"] = table.to_dict(orient="list")
        if plot_dir:
            from lilean.plotting.figures import plot_rate

            figures.append(("rate", plot_rate(table)))
    if plot_dir:
        from lilean.plotting.figures import save_figure

        stem = Path(data.meta.source_file or "lilean").stem
        written: list[str] = []
        for name, fig in figures:
            written += [str(p) for p in save_figure(fig, Path(plot_dir) / f"{stem}_{name}")]
        out["figures"] = written
    return out


# ---- one function per CLI command -------------------------------------------------------------


def _params(params: Any) -> Any:
    from lilean.parameters.set import ParameterSet, default_parameters

    if params is None:
        return default_parameters()
    if isinstance(params, ParameterSet):
        return params
    return ParameterSet.load(params)


def simulate(
    scenario: str,
    params: Any = None,
    *,
    inputs: dict[str, Any] | None = None,
    seed: int = 0,
    **kwargs: Any,
) -> Any:
    """Run the registered scenario ``scenario`` (``lilean simulate <name>``) and return its result.

    ``params``: a :class:`~lilean.parameters.ParameterSet`, a parameter file, or None (the
    defaults); ``inputs`` / ``kwargs``: the scenario's inputs (validated; unset ones take the CLI's
    defaults); ``seed``: the stochastic parts' seed.

    >>> from lilean.api import simulate
    >>> simulate("cycling", substrate="cu", cycles=10).summary  # doctest: +SKIP
    """
    return get_scenario(scenario).run(_params(params), {**(inputs or {}), **kwargs}, seed)


def fit(
    files: Sequence[str | Path],
    experiment: str,
    *,
    substrate: str = "cu",
    params: Any = None,
    free: Sequence[str] | None = None,
    **options: Any,
) -> Any:
    """Fit the twin to measured files (``lilean fit``); returns :class:`lilean.fitting.FitResult`.

    ``experiment``: one of :data:`lilean.scenarios.FIT_EXPERIMENTS`; ``options`` go to the
    experiment's fit function in :mod:`lilean.fitting` (e.g. ``max_cycle``, ``protocol``,
    ``cell`` for EIS)."""
    from lilean import fitting as F
    from lilean.scenarios import FIT_EXPERIMENTS

    if experiment not in FIT_EXPERIMENTS:
        raise LileanError(f"experiment {experiment!r}: expected one of {tuple(FIT_EXPERIMENTS)}")
    p = _params(params)
    free_list = list(free) if free else None
    if experiment == "eis":
        from lilean.eis.io import read_eis

        spectra = [read_eis(f) for f in files]
        return F.fit_eis(
            spectra, p, substrate, free=free_list, files=list(map(str, files)), **options
        )
    datas = [load_table(f) for f in files]
    func: Callable[..., Any] = getattr(F, f"fit_{experiment}")
    return func(datas, p, substrate, free=free_list, **options)


def predict(params: Any, substrate: str = "cu", **options: Any) -> Any:
    """Life prediction of a (fitted) parameter set (``lilean predict``):
    :func:`lilean.fitting.predict`."""
    from lilean.fitting import predict as run

    return run(_params(params), substrate, **options)


def sweep(spec: str | Path, out: str | Path, **options: Any) -> Any:
    """Run a sweep spec (``lilean sweep``): :func:`lilean.sweep.run_sweep`."""
    from lilean.sweep import run_sweep

    return run_sweep(spec, out, **options)


def reproduce(out_dir: str | Path, params: Any = None, **options: Any) -> dict[str, Any]:
    """Reproduce the study in silico and write the report (``lilean reproduce``):
    :func:`lilean.report.reproduce.reproduce`."""
    from lilean.report.reproduce import reproduce as run

    result: dict[str, Any] = run(Path(out_dir), _params(params), **options)
    return result


def eis_fit(
    path: str | Path,
    circuit: str | None = None,
    *,
    spectrum: int | None = None,
    fmt: str | None = None,
    maxfev: int | None = None,
    plot_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Fit an equivalent circuit to a measured spectrum (``lilean eis fit``), JSON-ready."""
    from lilean.eis.workflow import analyze_eis_file

    return analyze_eis_file(
        path, circuit, spectrum=spectrum, plot_dir=plot_dir, format=fmt, maxfev=maxfev
    )


def xrd_simulate(phases: Any, **options: Any) -> Any:
    """A simulated XRD pattern (``lilean xrd simulate``): :func:`lilean.xrd.simulate_pattern`."""
    from lilean.xrd import simulate_pattern

    return simulate_pattern(phases, **options)


def xrd_identify(path: str | Path, **options: Any) -> Any:
    """Identify the phases of a measured pattern (``lilean xrd identify``):
    :func:`lilean.xrd.read_pattern` + :func:`lilean.xrd.identify_phases`."""
    from lilean.xrd import identify_phases, read_pattern

    two_theta, intensity = read_pattern(path)
    return identify_phases(two_theta, intensity, **options)
