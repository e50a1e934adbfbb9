"""``lilean reproduce``: every experiment of the study, from the digital twin, in one report.

Each experiment is a function ``(ctx) -> Section`` registered in :data:`EXPERIMENTS`. It runs the
simulation through the public API, writes figures and Parquet results, and returns the study-vs-lilean
records (:func:`record`). Experiments whose capability has not been built yet (the module is not
installed: :func:`importlib.util.find_spec`) are listed as *missing*, never faked, and their study
numbers appear in ``summary.json`` with ``"lilean": null``; an experiment that fails is reported as
FAILED and makes the command exit non-zero.

Study: Zhang, Xia, Li et al., ACS Appl. Energy Mater. 6 (2023) 6338, doi 10.1021/acsaem.3c00939;
its published numbers are :file:`Zhang2023_published.json` (= ``tests/data/targets.json``).

Results are cached per experiment in ``OUT/.cache/`` under a key made of ``ParameterSet.hash()``,
the experiment and its settings (``--fast``), the lilean version and a fingerprint of ``--data-dir``
(names, sizes, modification times), so a second run with the same inputs only re-renders the page.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import itertools
import json
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from lilean.parameters import ParameterSet
from lilean.report.html import Section, write_report
from lilean.schema import atomic_output, to_json_records

#: bump when the content of a cached section changes meaning
CACHE_VERSION = 2
#: N/P = 25 and N/P = 10 cathode loadings of the study [mAh/cm^2]
NP25_LOADING_mAh_cm2 = 0.4
NP10_LOADING_mAh_cm2 = 1.0

PLUME_MODULE = "lilean.models.plumes"
DEPOSITION_MODULE = "lilean.models.deposition_lattice"
XRD_MODULES = ("lilean.xrd", "lilean.models.xrd", "lilean.analysis.xrd")
MEASURED_XRD_SUFFIXES = (".xy", ".csv", ".txt", ".dat")
#: with --fast, figures are drawn for this many measured files only (all are analysed)
FAST_LAB_FIGURES = 4


@dataclass
class Measured:
    """A measured cycler file found in ``--data-dir``: table and detected analysis kind."""

    path: Path
    reader: str
    kind: str
    data: Any  # CyclingData


@dataclass
class Context:
    out_dir: Path
    params: ParameterSet
    fast: bool = False
    data_dir: Path | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    _measured: list[Measured] | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def figures(self) -> Path:
        return self.out_dir / "figures"

    @property
    def results(self) -> Path:
        return self.out_dir / "results"

    @property
    def measured(self) -> list[Measured]:
        """Cycler files in ``data_dir`` read by the lab-data pipeline (scanned once, lazily)."""
        if self._measured is None:
            self._measured = scan_measured(self.data_dir, self.skipped)
        return self._measured

    def measured_of(self, kind: str) -> list[Measured]:
        return [m for m in self.measured if m.kind == kind]


def scan_measured(data_dir: Path | None, skipped: list[str] | None = None) -> list[Measured]:
    """Read every cycler file under ``data_dir`` (readers detected by content) and detect its
    kind with :func:`lilean.analysis.kind.detect_kind` (``cycling`` when no pattern fits)."""
    from lilean import io
    from lilean.analysis.kind import detect_kind
    from lilean.errors import LileanError

    if data_dir is None:
        return []
    found = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        try:
            reader = io.detect(path)
        except LileanError:
            continue  # not a cycler file (licences, yml configs, EIS spectra ...)
        try:
            data = io.read(path, reader.name, strict=False)
        except LileanError as exc:
            if skipped is not None:
                skipped.append(f"{path.name}: {exc}")
            continue
        try:
            kind = str(detect_kind(data))
        except LileanError:
            kind = "cycling"
        found.append(Measured(path, reader.name, kind, data))
    return found


def published() -> dict[str, Any]:
    """The study's published numbers (Zhang et al. 2023) with tolerances, for comparison only."""
    text = (resources.files("lilean.report") / "Zhang2023_published.json").read_text()
    return dict(json.loads(text))


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def record(
    experiment: str,
    quantity: str,
    unit: str,
    lilean: float | bool | None,
    study: float | bool | None,
    tolerance_percent: float | None = None,
) -> dict[str, Any]:
    """One headline number: ``{"experiment", "quantity", "unit", "lilean", "study"}`` plus
    ``deviation_percent = 100 (lilean - study) / |study|`` when both are numbers.

    Qualitative relations of the study are records with a textual ``quantity``, a boolean
    ``lilean`` (does the relation hold in the simulation) and ``study = True``.
    """
    if _is_number(lilean) and not math.isfinite(float(lilean)):  # type: ignore[arg-type]
        lilean = None
    rec: dict[str, Any] = {
        "experiment": experiment,
        "quantity": quantity,
        "unit": unit,
        "lilean": float(lilean) if _is_number(lilean) else lilean,  # type: ignore[arg-type]
        "study": float(study) if _is_number(study) else study,  # type: ignore[arg-type]
    }
    if _is_number(study) and _is_number(lilean) and study != 0:
        rec["deviation_percent"] = 100.0 * (float(lilean) - float(study)) / abs(float(study))  # type: ignore[arg-type]
    if tolerance_percent is not None:
        rec["tolerance_percent"] = tolerance_percent
    return rec


def _param_rows(params: ParameterSet, prefixes: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    return [
        (name, f"{p.value:.6g} {p.unit}", p.kind, p.source)
        for name, p in params.flat().items()
        if name.startswith(prefixes)
    ]


def _module_with(names: tuple[str, ...], attr: str) -> ModuleType | None:
    """The first of ``names`` that exists and defines ``attr`` (None when none exists)."""
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(name)  # a real import error propagates: FAILED
        if hasattr(module, attr):
            return module
    return None


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def lab_data(ctx: Context) -> Section:
    """Analyse every readable cycler file found in ``--data-dir`` with the lab-data pipeline."""
    from lilean.api import analyze_data
    from lilean.errors import LileanError

    section = Section(
        "lab-data",
        "Measured files (lab-data pipeline)",
        setup="Every cycler file found in the data folder is read by content-detected readers "
        "into the canonical table and analysed with the kind detected from its current pattern. "
        "Files of a kind the study also has (deposition transients, cycling) are overlaid on the "
        "matching simulation above.",
    )
    if ctx.data_dir is None:
        section.missing = "no --data-dir given"
        return section
    table_rows = []
    for k, m in enumerate(ctx.measured):
        plot = not ctx.fast or k < FAST_LAB_FIGURES
        try:
            result = analyze_data(
                m.data, kind=m.kind, plot_dir=ctx.figures / "lab" if plot else None
            )
        except LileanError as exc:
            section.notes.append(f"{m.path.name}: {exc}")
            continue
        table_rows.append(
            f"{m.path.relative_to(ctx.data_dir)}: {m.reader}, {len(m.data)} rows, "
            f"{m.data.n_cycles} cycles, analysed as {result['kind']}"
        )
        section.figures += [Path(f) for f in result.get("figures", []) if f.endswith(".png")][:1]
    if ctx.fast and len(ctx.measured) > FAST_LAB_FIGURES:
        section.notes.append(
            f"--fast: figures for the first {FAST_LAB_FIGURES} files only; all are analysed."
        )
    section.notes = table_rows + section.notes + ctx.skipped
    return section


#: the study's "collapse starts near cycle N" read as the first cycle below this retention
COLLAPSE_RETENTION_PERCENT = 95.0
SUBSTRATE_LABELS = {"cu": "Li-Cu", "ag-cu": "Li-Ag@Cu"}
STUDY_KEYS = {"cu": "cu", "ag-cu": "ag-cu"}


def _save(ctx: Context, fig: Any, name: str) -> Path:
    from lilean.plotting.figures import save_figure

    paths = save_figure(fig, ctx.figures / name)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return next(p for p in paths if p.suffix == ".png")


def cell(ctx: Context) -> Section:
    """Cell build and test conditions: the parameter set against the study's numbers."""
    study = published()["cell"]
    c = ctx.params.cell
    exp = "cell"
    diameter_mm = c.electrode_diameter_mm.value
    li = c.li_inventory_mAh_cm2.value
    section = Section(
        "cell",
        "Cells: build and test conditions",
        setup="12 mm electrode disks, 10 mAh/cm2 Li electrodeposited at 1 mA/cm2 on Cu or Ag@Cu, "
        "LFP:acetylene black:PVDF 80:10:10 on Al (1C = 170 mA/g) at 0.4 mAh/cm2 (N/P = 25) and "
        "1.0 mAh/cm2 (N/P = 10), 50 uL 1 M LiPF6 in EC:EMC, Celgard 2400, CR2025, 25 C, "
        "2.0-4.2 V, 3 formation cycles at 0.5C. The table compares lilean's parameter set (and "
        "the quantities derived from it, e.g. area = pi d^2 / 4, N/P = Li / LFP areal capacity) "
        "with the study.",
        parameters=_param_rows(ctx.params, ("cell.",)),
    )
    loadings = (NP25_LOADING_mAh_cm2, NP10_LOADING_mAh_cm2)
    rows = [
        record(exp, "electrode diameter", "mm", diameter_mm, study["electrode_diameter_mm"]),
        record(
            exp, "electrode area", "cm2", c.electrode_area_cm2.value, study["electrode_area_cm2"]
        ),
        record(
            exp,
            "electrode area from the diameter (pi d^2 / 4)",
            "cm2",
            math.pi * (0.1 * diameter_mm) ** 2 / 4.0,
            study["electrode_area_cm2"],
        ),
        record(exp, "Li inventory", "mAh/cm2", li, study["li_inventory_mAh_cm2"]),
        record(
            exp,
            "LFP specific capacity defining 1C",
            "mA/g",
            c.lfp_specific_capacity_mAh_g.value,
            study["lfp_specific_capacity_1C_mA_g"],
        ),
    ]
    for q, ref_q, np_ref in zip(
        loadings, study["lfp_loading_mAh_cm2"], study["np_ratio"], strict=True
    ):
        rows.append(record(exp, f"LFP loading (N/P {np_ref:g} cells)", "mAh/cm2", q, ref_q))
        rows.append(record(exp, f"N/P ratio = Li / LFP at {q:g} mAh/cm2", "1", li / q, np_ref))
    comp = study["cathode_composition_wt"]
    rows += [
        record(exp, "LFP weight fraction", "1", c.lfp_mass_fraction.value, comp["LFP"]),
        record(
            exp,
            "acetylene black weight fraction (not a model parameter)",
            "1",
            None,
            comp["acetylene_black"],
        ),
        record(exp, "PVDF weight fraction (not a model parameter)", "1", None, comp["PVDF"]),
        record(exp, "lower cut-off", "V", c.lower_cutoff_V.value, study["voltage_window_V"][0]),
        record(exp, "upper cut-off", "V", c.upper_cutoff_V.value, study["voltage_window_V"][1]),
        record(
            exp, "formation cycles", "1", c.formation_cycles.value, study["formation"]["cycles"]
        ),
        record(
            exp, "formation C-rate", "1/h", c.formation_c_rate.value, study["formation"]["c_rate"]
        ),
        record(
            exp, "electrolyte volume", "uL", c.electrolyte_volume_uL.value, study["electrolyte_uL"]
        ),
        record(exp, "temperature", "degC", c.temperature_C.value, study["temperature_C"]),
    ]
    section.rows = rows
    return section


def _hkl_digits(hkl: Any) -> str:
    """``(1, 1, 1)``, ``"(1 1 1)"``, ``"111"`` or ``[(1, 1, 1)]`` -> ``"111"`` (first family)."""
    if isinstance(hkl, list | tuple) and hkl and isinstance(hkl[0], list | tuple | dict):
        hkl = hkl[0]
    if isinstance(hkl, dict):
        hkl = hkl.get("hkl", "")
    return "".join(ch for ch in str(hkl) if ch.isdigit())


def _peaks(pattern: Any) -> pd.DataFrame:
    """The peaks table of an ``XRDPattern`` (``two_theta_deg``, ``d_nm``, ``hkl``, ``intensity``)."""
    for name in ("peaks", "table", "reflections"):
        table = getattr(pattern, name, None)
        if isinstance(table, pd.DataFrame):
            return table
    d = pattern.to_dict()
    return pd.DataFrame(d.get("peaks", d))


def _profile(pattern: Any) -> tuple[Any, Any] | None:
    prof = getattr(pattern, "profile", None)
    if isinstance(prof, pd.DataFrame) and prof.shape[1] >= 2:
        return prof.iloc[:, 0].to_numpy(), prof.iloc[:, 1].to_numpy()
    if isinstance(prof, tuple) and len(prof) == 2:
        return prof[0], prof[1]
    return None


def _xrd_rows(module: ModuleType | None) -> list[dict[str, Any]]:
    study = published()["xrd_two_theta_deg"]
    exp = "xrd_two_theta_deg"
    rows = []
    cu = ag = agcuf3 = None
    if module is not None:
        cu = _peaks(module.simulate_pattern("Cu"))
        ag = _peaks(module.simulate_pattern("Ag"))
        agcuf3 = _peaks(module.simulate_pattern("AgCuF3", two_theta_range=(10.0, 80.0)))
    for hkl, ref in study["Cu"].items():
        value = None
        if cu is not None:
            match = cu[cu["hkl"].map(_hkl_digits) == hkl]
            value = float(match["two_theta_deg"].iloc[0]) if len(match) else None
        rows.append(record(exp, f"Cu ({hkl}) 2-theta", "deg", value, ref, 0.1 / ref * 100))
    n_ag = None
    if ag is not None:
        tt = ag["two_theta_deg"].to_numpy(float)
        inside = sorted({round(float(x), 1) for x in tt if 30.0 <= x <= 80.0})
        n_ag = float(len(inside))
    rows.append(
        record(
            exp,
            "Ag reflections between 30 and 80 deg",
            "1",
            n_ag,
            study["Ag_reflections_between_30_and_80"],
        )
    )
    d_ref = study["d_spacing_nm"]
    d_ag = None
    if ag is not None:
        d_ag = float(ag.loc[(ag["d_nm"] - d_ref["Ag_plume_surface"]).abs().idxmin(), "d_nm"])
    rows.append(
        record(
            exp,
            "Ag d-spacing nearest the HRTEM plume-surface value",
            "nm",
            d_ag,
            d_ref["Ag_plume_surface"],
        )
    )
    d_f = None
    if agcuf3 is not None:
        match = agcuf3[agcuf3["hkl"].map(_hkl_digits) == "111"]
        d_f = float(match["d_nm"].iloc[0]) if len(match) else None
    rows.append(record(exp, "AgCuF3 (111) d-spacing", "nm", d_f, d_ref["AgCuF3_111"]))
    return rows


def xrd(ctx: Context) -> Section:
    """Simulated Cu K-alpha patterns of Cu, Ag and AgCuF3; identification of measured patterns."""
    import matplotlib.pyplot as plt

    from lilean.errors import LileanError
    from lilean.plotting.style import paper_style

    module = _module_with(XRD_MODULES, "simulate_pattern")
    section = Section(
        "xrd",
        "XRD of Cu and Ag@Cu",
        setup="Cu K-alpha powder patterns 30-80 deg 2-theta. Study: Cu (111), (200), (220) at "
        "43.3, 50.4, 74.1 deg (PDF 04-0836), four Ag reflections (PDF 04-0783); HRTEM lattice "
        "spacings 0.242 nm on the plume surface (Ag) and 0.227 nm (AgCuF3 (111)). Sticks: "
        "lilean's simulated reflections (pymatgen, lattice parameters in lilean.xrd); curves: "
        "patterns found in the data folder's xrd/ (the bundled ones are synthetic test "
        "patterns) with the phases identified by peak matching.",
    )
    if module is None:
        section.missing = "XRD module (lilean.xrd / lilean.models.xrd) not built yet"
        section.rows = _xrd_rows(None)
        return section
    section.rows = _xrd_rows(module)
    with paper_style():
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for k, phase in enumerate(("Cu", "Ag", "AgCuF3")):
            peaks = _peaks(module.simulate_pattern(phase))
            peaks.to_parquet(ctx.results / f"xrd_{phase}_peaks.parquet")
            i = peaks["intensity"].to_numpy(float)
            ax.vlines(
                peaks["two_theta_deg"],
                k * 1.1,
                k * 1.1 + i / max(i.max(), 1e-12),
                label=phase,
                color=f"C{k}",
            )
        measured = []
        if ctx.data_dir is not None and hasattr(module, "read_pattern"):
            for path in (
                sorted((ctx.data_dir / "xrd").glob("*")) if (ctx.data_dir / "xrd").is_dir() else []
            ):
                if path.suffix.lower() not in MEASURED_XRD_SUFFIXES:
                    continue
                try:
                    tt, inten = module.read_pattern(path)
                except LileanError as exc:  # not a pattern: say so, keep the section
                    section.notes.append(f"{path.name}: {exc}")
                    continue
                measured.append(path.name)
                y = (inten - min(inten)) / max(max(inten) - min(inten), 1e-12)
                ax.plot(
                    tt,
                    3.4 + y + 1.1 * (len(measured) - 1),
                    lw=0.8,
                    color=f"C{2 + len(measured)}",
                    label=f"data file {path.name}",
                )
                if hasattr(module, "identify_phases"):
                    ident = module.identify_phases(tt, inten)
                    d = ident.to_dict() if hasattr(ident, "to_dict") else dict(ident)
                    present = d.get("present", d.get("phases_present", d))
                    section.notes.append(f"{path.name}: phases identified: {present}")
        ax.set_xlabel("2-theta [deg] (Cu K-alpha)")
        ax.set_ylabel("normalised intensity (offset)")
        ax.set_xlim(30, 80)
        ax.legend(fontsize=7)
        section.figures.append(_save(ctx, fig, "xrd_patterns"))
    return section


def _plume_rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    study = published()["substrate_fabrication"]
    exp = "substrate_fabrication"
    best_wt = best_min = None
    if frame is not None and len(frame):
        best = frame.loc[frame["surface_area_factor"].astype(float).idxmax()]
        best_wt, best_min = float(best["agf_wt_percent"]), float(best["minutes"])
    return [
        record(
            exp,
            "AgF concentration with the largest surface area (process map)",
            "wt%",
            best_wt,
            study["agf_wt_percent"],
        ),
        record(
            exp,
            "immersion time with the largest surface area (process map)",
            "min",
            best_min,
            study["immersion_min"],
        ),
    ]


def plumes(ctx: Context) -> Section:
    """Ag plume growth (galvanic displacement + AgCuF3) and the concentration x time process map."""
    section = Section(
        "plumes",
        "Ag plume growth and the AgF x time process map",
        setup="Cu immersed in aqueous AgF: Cu + 2 Ag+ -> Cu2+ + 2 Ag, with AgCuF3 precipitating "
        "where Cu2+, Ag+ and F- meet. Study: 1 wt% AgF for 2 min gives the largest surface area; "
        "less AgF or a shorter time leaves plumes incomplete, more or longer degrades them.",
        parameters=_param_rows(ctx.params, ("plumes.",)),
    )
    if not _module_exists(PLUME_MODULE):
        section.missing = f"plume lattice model ({PLUME_MODULE}) not built yet"
        section.rows = _plume_rows(None)
        return section
    from lilean.models.plumes import grow_plumes, process_map
    from lilean.plotting.plumes import plot_plume_structure, plot_process_map

    size = (96,) if ctx.fast else (256,)
    result = grow_plumes(ctx.params, agf_wt_percent=1.0, minutes=2.0, size=size, dim=2, seed=0)
    for k, v in result.to_dict().items():
        if _is_number(v):
            section.rows.append(record("plumes_1wt_2min", k, "", float(v), None))
    section.figures.append(_save(ctx, plot_plume_structure(result), "plumes_1wt_2min"))
    wt = [0.25, 1.0, 4.0] if ctx.fast else [0.25, 0.5, 1.0, 2.0, 4.0]
    minutes = [0.5, 2.0, 8.0] if ctx.fast else [0.5, 1.0, 2.0, 4.0, 8.0]
    frame = process_map(ctx.params, agf_wt_percent=wt, minutes=minutes, size=size, dim=2, seed=0)
    frame.to_parquet(ctx.results / "plumes_process_map.parquet")
    section.figures.append(_save(ctx, plot_process_map(frame), "plumes_process_map"))
    section.rows = _plume_rows(frame) + section.rows
    return section


def morphology(ctx: Context) -> Section:
    """Li deposition morphology: Ag@Cu at 2/4/6/8 mAh/cm2, bare Cu at 0.2/1 mAh/cm2."""
    pub = published()
    section = Section(
        "morphology",
        "Li deposition morphology",
        setup="Li electrodeposited at 1 mA/cm2 on Ag@Cu (snapshots at 2, 4, 6, 8 mAh/cm2) and on "
        "bare Cu (0.2, 1 mAh/cm2). Study (SEM): on Ag@Cu Li coats the plumes (2), fills the gaps "
        "(4), buries them (6), smooth and dendrite-free (8); on Cu uneven deposits (0.2), mossy "
        "Li and dendrites at tips (1).",
        parameters=_param_rows(ctx.params, ("deposition.",)),
    )
    if not _module_exists(DEPOSITION_MODULE):
        section.missing = f"Li deposition lattice model ({DEPOSITION_MODULE}) not built yet"
        return section
    from lilean.models.deposition_lattice import deposit_li
    from lilean.plotting.morphology import plot_deposition_sequence

    for substrate, key in (
        ("ag-cu", "deposition_morphology_ag-cu_mAh_cm2"),
        ("cu", "deposition_morphology_cu_mAh_cm2"),
    ):
        stages = pub[key]
        snapshots = tuple(float(q) for q in stages)
        kwargs: dict[str, Any] = {"size": (64,)} if ctx.fast else {}
        result = deposit_li(
            ctx.params,
            substrate,
            capacity_mAh_cm2=max(snapshots),
            snapshots=snapshots,
            seed=0,
            **kwargs,
        )
        table = _descriptor_table(result)
        if table is not None:
            table.to_parquet(ctx.results / f"morphology_{substrate}.parquet")
            for q, text in stages.items():
                if "capacity_mAh_cm2" in table:
                    match = table[(table["capacity_mAh_cm2"] - float(q)).abs() < 1e-9]
                else:
                    match = table.iloc[list(stages).index(q) :][:1]
                if match.empty:
                    continue
                for name, value in match.iloc[0].items():
                    if _is_number(value) and "capacity" not in str(name):
                        section.rows.append(
                            record(
                                key,
                                f"{substrate} at {q} mAh/cm2 ({text}): {name}",
                                "",
                                float(value),
                                None,
                            )
                        )
        section.figures.append(
            _save(ctx, plot_deposition_sequence(result), f"morphology_{substrate}")
        )
    return section


def _descriptor_table(result: Any) -> pd.DataFrame | None:
    for name in ("descriptors", "table", "snapshots_table"):
        table = getattr(result, name, None)
        if isinstance(table, pd.DataFrame):
            return table
    d = result.to_dict() if hasattr(result, "to_dict") else {}
    for name in ("descriptors", "table"):
        if name in d:
            return pd.DataFrame(d[name])
    return None


def nucleation(ctx: Context) -> Section:
    """Li || substrate galvanostatic deposition: dip, plateau, overpotential vs current density."""
    from lilean.plotting.figures import plot_deposition, plot_series
    from lilean.simulate import simulate_nucleation

    study = published()["nucleation_1mA_cm2"]
    section = Section(
        "nucleation",
        "Li nucleation on Cu and Ag@Cu",
        setup="Li || substrate cells, galvanostatic Li deposition at 1 mA/cm2 (and 0.1-5 mA/cm2 "
        "as a prediction). The potential dips (nucleation barrier) and recovers to the growth "
        "plateau; nucleation overpotential = plateau - dip.",
        parameters=_param_rows(ctx.params, ("substrates.cu.nucleation", "substrates.ag-cu.nucl")),
    )
    transients = []
    for substrate in ("cu", "ag-cu"):
        sim = simulate_nucleation(ctx.params, substrate, 1.0)
        r = sim.result
        transients.append((SUBSTRATE_LABELS[substrate], sim.data))
        sim.data.to_parquet(ctx.results / f"nucleation_{substrate}_1mA.parquet")
        ref = study[STUDY_KEYS[substrate]]
        tol = 100 * ref["tol_mV"] / ref["nucleation_overpotential_mV"]
        for quantity, value in (
            ("dip_mV", r.dip_mV),
            ("plateau_mV", r.plateau_mV),
            ("nucleation_overpotential_mV", r.nucleation_overpotential_mV),
        ):
            section.rows.append(
                record(
                    "nucleation_1mA_cm2",
                    f"{substrate} {quantity.removesuffix('_mV')}",
                    "mV",
                    float(value),
                    float(ref[quantity]),
                    tol if quantity == "nucleation_overpotential_mV" else None,
                )
            )
    section.figures.append(_save(ctx, plot_deposition(transients), "nucleation_transients"))
    measured = ctx.measured_of("deposition")
    if measured:
        overlay = transients + [(f"measured {m.path.name}", m.data) for m in measured]
        section.figures.append(
            _save(ctx, plot_deposition(overlay), "nucleation_transients_vs_measured")
        )
        section.notes.append(
            "Measured deposition transients overlaid: " + ", ".join(m.path.name for m in measured)
        )
    densities = [0.2, 1.0, 5.0] if ctx.fast else [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    curves = []
    rises: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        eta = [
            simulate_nucleation(
                ctx.params, substrate, j, capacity_mAh_cm2=0.02 * j
            ).result.nucleation_overpotential_mV
            for j in densities
        ]
        curves.append((SUBSTRATE_LABELS[substrate], densities, eta))
        rises[substrate] = float(eta[-1] - eta[0])
        section.rows.append(
            record(
                "nucleation_1mA_cm2",
                f"{substrate}: nucleation overpotential increases with current density",
                "",
                bool(all(b > a for a, b in itertools.pairwise(eta))),
                True,
            )
        )
        for j, e in zip(densities, eta, strict=True):
            section.rows.append(
                record("nucleation_vs_current", f"{substrate} at {j:g} mA/cm2", "mV", e, None)
            )
    section.rows.append(
        record(
            "nucleation_1mA_cm2",
            f"increase {densities[0]:g} -> {densities[-1]:g} mA/cm2 steeper on cu than on ag-cu",
            "",
            rises["cu"] > rises["ag-cu"],
            True,
        )
    )
    refs = [
        (SUBSTRATE_LABELS[s], [1.0], [study[STUDY_KEYS[s]]["nucleation_overpotential_mV"]])
        for s in ("cu", "ag-cu")
    ]
    fig = plot_series(
        curves,
        xlabel="Current density [mA cm$^{-2}$]",
        ylabel="Nucleation overpotential [mV]",
        logx=True,
        reference=refs,
    )
    section.figures.append(_save(ctx, fig, "nucleation_overpotential_vs_current"))
    return section


def symmetric(ctx: Context) -> Section:
    """Li || Li symmetric cells at 1 mA/cm2-1 mAh/cm2 (100 h) and 0.5-0.5 (320 h)."""
    from lilean.plotting.figures import plot_symmetric
    from lilean.simulate import simulate_symmetric

    section = Section(
        "symmetric",
        "Symmetric cells",
        setup="Two identical electrodes pre-lithiated with 10 mAh/cm2 Li, plated/stripped "
        "alternately at 1 mA/cm2 for 1 mAh/cm2 per half-cycle (100 h) and at 0.5 mA/cm2 for "
        "0.5 mAh/cm2 (320 h). Study: Li-Cu polarization rises markedly after ~60 h with "
        "occasional shorts; Li-Ag@Cu stable for 100 h and for 320 h; Li-Ag@Cu below Li-Cu "
        "throughout.",
        parameters=_param_rows(ctx.params, ("substrates.cu.anode", "substrates.ag-cu.anode")),
    )
    targets = published()["symmetric"]
    asym: dict[str, list[float]] = {"cu": [], "ag-cu": []}
    always_lower = []
    for j, q, hours, tkey in ((1.0, 1.0, 100.0, "1mA_1mAh"), (0.5, 0.5, 320.0, "0.5mA_0.5mAh")):
        runs = []
        results: dict[str, Any] = {}
        for substrate in ("cu", "ag-cu"):
            sim = simulate_symmetric(ctx.params, substrate, j, q, hours)
            runs.append((SUBSTRATE_LABELS[substrate], sim.data, sim.result))
            results[substrate] = sim.result
            asym[substrate] += [
                abs(float(c.asymmetry_mV))
                for c in sim.result.cycles
                if c.asymmetry_mV is not None and math.isfinite(c.asymmetry_mV)
            ]
            sim.data.to_parquet(ctx.results / f"symmetric_{substrate}_{j:g}mA_{q:g}mAh.parquet")
            d = sim.to_dict()
            pol = d["polarization_mV"]
            exp = f"symmetric_{j:g}mA_{q:g}mAh"
            section.rows += [
                record(exp, f"{substrate} initial polarization", "mV", pol[0], None),
                record(exp, f"{substrate} final polarization", "mV", pol[-1], None),
                record(
                    exp, f"{substrate} failure time (2x polarization)", "h", d["failure_h"], None
                ),
                record(exp, f"{substrate} short circuit", "h", d["short_circuit_h"], None),
            ]
        exp = f"symmetric_{j:g}mA_{q:g}mAh"
        cu, ag = results["cu"], results["ag-cu"]
        ag_stable = ag.failure_h is None or ag.failure_h >= hours
        section.rows += [
            record(
                exp,
                "ag-cu test duration (study: stable throughout)",
                "h",
                ag.duration_h if ag_stable else ag.failure_h,
                targets[tkey]["hours"],
            ),
            record(exp, f"ag-cu stable for {hours:g} h", "", bool(ag_stable), True),
        ]
        if tkey == "1mA_1mAh":
            section.rows.append(
                record(
                    exp, "cu polarization rises markedly (failure time)", "h", cu.failure_h, 60.0
                )
            )
        cu_fail = cu.failure_h if cu.failure_h is not None else math.inf
        ag_fail = ag.failure_h if ag.failure_h is not None else math.inf
        section.rows.append(
            record(exp, "cu fails earlier than ag-cu", "", bool(cu_fail < ag_fail), True)
        )
        pol = {
            s: {c.cycle: c.polarization_mV for c in r.cycles if c.polarization_mV is not None}
            for s, r in results.items()
        }
        common = sorted(set(pol["cu"]) & set(pol["ag-cu"]))
        always_lower.append(all(pol["ag-cu"][c] < pol["cu"][c] for c in common))
        fig = plot_symmetric(runs)
        section.figures.append(_save(ctx, fig, f"symmetric_{j:g}mA_{q:g}mAh"))
    mean_asym = {s: (sum(v) / len(v) if v else math.nan) for s, v in asym.items()}
    relations = targets["relations"]
    section.rows += [
        record("symmetric", relations[0], "", bool(all(always_lower)), True),
        record(
            "symmetric", "cu mean |stripping - plating overpotential|", "mV", mean_asym["cu"], None
        ),
        record(
            "symmetric",
            "ag-cu mean |stripping - plating overpotential|",
            "mV",
            mean_asym["ag-cu"],
            None,
        ),
        record(
            "symmetric",
            relations[1] + " (cu |asymmetry| > ag-cu)",
            "",
            bool(mean_asym["cu"] > mean_asym["ag-cu"]),
            True,
        ),
    ]
    section.notes.append(
        "Failure and short times are predictions from the anode model; the study reports them "
        "qualitatively (Li-Cu rising after ~60 h at 1 mA/cm2, Li-Ag@Cu stable 100 h / 320 h)."
    )
    return section


def _cycling(ctx: Context, substrate: str, loading: float, c_rate: float, cycles: int) -> Any:
    from lilean.simulate import simulate_cycling

    return simulate_cycling(
        ctx.params,
        substrate,
        cathode_loading_mAh_cm2=loading,
        li_inventory_mAh_cm2=ctx.params.cell.li_inventory_mAh_cm2.value,
        c_rate=c_rate,
        cycles=cycles,
    )


def full_cell_np25(ctx: Context) -> Section:
    """Li || LFP, N/P = 25 (0.4 mAh/cm2), 1C, 300 cycles after 3 formation cycles at 0.5C."""
    from lilean.analysis.cycling import knee_cycle
    from lilean.plotting.figures import plot_cycle_summary, plot_voltage

    study = published()["full_cell_np25_1C_300cycles"]
    section = Section(
        "full-cell-np25",
        "Full cells Li || LFP, N/P = 25, 1C, 300 cycles",
        setup="LFP 0.4 mAh/cm2 against 10 mAh/cm2 Li on Cu or Ag@Cu, 2.0-4.2 V, 3 formation "
        "cycles at 0.5C then 300 cycles at 1C. Study: Li-Ag@Cu 124.5 mAh/g and 81 % retention "
        "after 300 cycles; Li-Cu collapses from about cycle 150 to 13.1 mAh/g (9 %).",
        parameters=_param_rows(ctx.params, ("cell.", "cathode.")),
    )
    from lilean.report.interactive import cycling_div, profiles_div

    summaries = []
    profiles = []
    gaps: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        sim = _cycling(ctx, substrate, NP25_LOADING_mAh_cm2, 1.0, 300)
        s = sim.summary
        gap = s.loc[s["Complete"].astype(bool), "Voltage gap [V]"].astype(float)
        gaps[substrate] = float(gap.iloc[: min(len(gap), 100)].median() * 1e3)
        section.rows.append(
            record(
                "full_cell_np25_1C_300cycles",
                f"{substrate} charge/discharge mean-voltage gap (median of cycles 1-100)",
                "mV",
                gaps[substrate],
                None,
            )
        )
        d = sim.to_dict()
        summaries.append((SUBSTRATE_LABELS[substrate], sim.summary))
        sim.summary.to_parquet(ctx.results / f"full_cell_np25_{substrate}_summary.parquet")
        sim.data.to_parquet(ctx.results / f"full_cell_np25_{substrate}.parquet")
        ref = study[STUDY_KEYS[substrate]]
        tol = 100 * ref["tol_percent_points"] / ref["retention_percent"]
        section.rows += [
            record(
                "full_cell_np25_1C_300cycles",
                f"{substrate} final discharge capacity",
                "mAh/g",
                d["discharge_capacity_mAh_g"][-1],
                ref["final_discharge_mAh_g"],
            ),
            record(
                "full_cell_np25_1C_300cycles",
                f"{substrate} retention",
                "%",
                d["retention_percent"],
                ref["retention_percent"],
                tol,
            ),
        ]
        knee = knee_cycle(sim.summary)
        onset = knee_cycle(sim.summary, threshold_percent=COLLAPSE_RETENTION_PERCENT)
        section.rows += [
            record(
                "full_cell_np25_1C_300cycles",
                f"{substrate} cycle below 80 % retention",
                "cycle",
                None if knee is None else float(knee),
                None,
            ),
            record(
                "full_cell_np25_1C_300cycles",
                f"{substrate} collapse onset (first cycle < 95 % retention)",
                "cycle",
                None if onset is None else float(onset),
                ref.get("collapse_starts_near_cycle"),
            ),
        ]
        first = sim.formation_cycles + 1
        picks = [first, first + 99, first + 199, first + 299]
        profiles.append((SUBSTRATE_LABELS[substrate], sim.data, picks, sim.run.active_mass_mg))
    section.rows.append(
        record(
            "full_cell_np25_1C_300cycles",
            published()["full_cell_np25_1C_300cycles"]["relations"][0],
            "",
            gaps["ag-cu"] < gaps["cu"],
            True,
        )
    )
    section.figures.append(_save(ctx, plot_cycle_summary(summaries), "full_cell_np25_cycling"))
    measured = _measured_summaries(ctx)
    if measured:
        import matplotlib.pyplot as plt

        from lilean.plotting.style import paper_style

        with paper_style():
            fig, ax = plt.subplots(figsize=(7.5, 4.5))
            for k, (label, s) in enumerate(summaries):
                ax.plot(
                    s["Cycle"], s["Retention [%]"], lw=2, color=f"C{k}", label=f"{label} (lilean)"
                )
            markers = "osD^v<>ph*"
            for k, (label, s) in enumerate(measured):
                ax.plot(
                    s["Cycle"],
                    s["Retention [%]"],
                    ls="none",
                    ms=3,
                    marker=markers[k % len(markers)],
                    color=plt.get_cmap("tab10")(k % 10),
                    label=f"{label} (measured)",
                )
            ax.set_xlabel("Cycle")
            ax.set_ylabel("Retention [%]")
            ax.set_ylim(0, 120)
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
            fig.tight_layout()
        section.figures.append(_save(ctx, fig, "full_cell_np25_vs_measured"))
        section.notes.append(
            "Measured cycling files overlaid as retention (discharge capacity / first complete "
            "cycle): " + ", ".join(label for label, _ in measured)
        )
    section.interactive.append(
        cycling_div(
            summaries,
            measured,
            div_id="plotly-np25-cycling",
            title="N/P = 25, 1C: retention vs cycle (zoomable)",
        )
    )
    for label, data, picks, mass_mg in profiles:
        fig = plot_voltage(data, x="capacity", cycles=picks)
        stem = label.replace("@", "").lower()
        section.figures.append(_save(ctx, fig, f"full_cell_np25_profiles_{stem}"))
        section.interactive.append(
            profiles_div(
                data.data,
                picks,
                active_mass_mg=mass_mg,
                div_id=f"plotly-np25-profiles-{stem}",
                title=f"{label}: charge/discharge profiles at cycles {picks} (zoomable)",
            )
        )
    return section


def _measured_summaries(ctx: Context) -> list[tuple[str, pd.DataFrame]]:
    """Per-cycle summaries (``Cycle``, ``Retention [%]``) of the measured cycling files with at
    least 3 complete cycles; retention = discharge capacity / that of the first complete cycle."""
    from lilean.analysis.cycling import cycle_summary
    from lilean.errors import LileanError

    out = []
    for m in ctx.measured_of("cycling"):
        try:
            s = cycle_summary(m.data)
        except LileanError:
            continue
        s = s[s["Complete"].astype(bool)]
        q = s["Discharge capacity [mAh]"].astype(float)
        if len(s) < 3 or not q.iloc[0] > 0:
            continue
        frame = pd.DataFrame(
            {"Cycle": s["Cycle"].to_numpy(), "Retention [%]": (100.0 * q / q.iloc[0]).to_numpy()}
        )
        out.append((m.path.name, frame))
    return out


def eis(ctx: Context) -> Section:
    """Impedance of the full cells after cycling, computed from the twin's state."""
    from lilean.plotting.eis import plot_nyquist
    from lilean.simulate import simulate_eis

    cycle_counts = [0, 100, 300] if ctx.fast else [0, 50, 100, 200, 300]
    section = Section(
        "eis",
        "Impedance after cycling (N/P = 25, 1C)",
        setup="Spectra 1e5 to 1e-2 Hz (10 per decade) of the Li || LFP cells after N cycles at "
        "1C, at 50 % state of charge, from the same state that drives the cycling model (SEI and "
        "dead Li on the anode, LFP kinetics and diffusion, electrolyte). Study: Li-Ag@Cu shows a "
        "smaller interfacial semicircle than Li-Cu.",
        parameters=_param_rows(ctx.params, ("substrates.", "cathode.", "cell.")),
    )
    from lilean.report.interactive import nyquist_div

    final_r: dict[str, float] = {}
    final_spectra = []
    for substrate in ("cu", "ag-cu"):
        spectra = []
        for n in cycle_counts:
            sim = simulate_eis(ctx.params, substrate, cycles=n)
            spectra.append((f"{n} cycles", sim.data))
            final_r[substrate] = float(sim.interfacial_resistance_ohm_cm2)
            sim.data.to_parquet(ctx.results / f"eis_{substrate}_{n}cycles.parquet")
            section.rows.append(
                record(
                    "eis_np25_1C",
                    f"{substrate} interfacial resistance after {n} cycles",
                    "Ohm cm2",
                    float(sim.interfacial_resistance_ohm_cm2),
                    None,
                )
            )
        final_spectra.append((f"{SUBSTRATE_LABELS[substrate]} lilean, {n} cycles", sim.data))
        fig = plot_nyquist(spectra, color_values=cycle_counts, colorbar_label="cycle")
        section.figures.append(_save(ctx, fig, f"eis_nyquist_{substrate}"))
        section.interactive.append(
            nyquist_div(
                spectra,
                div_id=f"plotly-nyquist-{substrate}",
                title=f"{SUBSTRATE_LABELS[substrate]}: Nyquist after N cycles (zoomable)",
            )
        )
    measured = _measured_spectra(ctx, section)
    if measured:
        overlay = final_spectra + measured  # scales differ by orders: zoomable plot only
        section.interactive.append(
            nyquist_div(
                overlay,
                div_id="plotly-nyquist-measured",
                title="Simulated (1.131 cm2 cells) and measured spectra (zoomable)",
            )
        )
        section.notes.append(
            "Measured spectra overlaid (their cells differ from the study's: compare shapes, "
            "not values): " + ", ".join(label for label, _ in measured)
        )
    section.rows.append(
        record(
            "full_cell_np25_1C_300cycles",
            published()["full_cell_np25_1C_300cycles"]["relations"][1]
            + f" (after {cycle_counts[-1]} cycles)",
            "",
            final_r["ag-cu"] < final_r["cu"],
            True,
        )
    )
    return section


def _measured_spectra(ctx: Context, section: Section) -> list[tuple[str, Any]]:
    """Impedance files in folders named ``eis`` under ``--data-dir`` (read by
    :func:`lilean.io.eis.read_eis`; unreadable ones are noted, not fatal)."""
    from lilean.errors import LileanError
    from lilean.io.eis import read_eis

    if ctx.data_dir is None:
        return []
    found = []
    for path in sorted(ctx.data_dir.rglob("*")):
        if not path.is_file() or path.parent.name.lower() != "eis":
            continue
        try:
            found.append((f"measured {path.name}", read_eis(path)))
        except LileanError as exc:
            section.notes.append(f"{path.name}: {exc}")
    return found


def rate(ctx: Context) -> Section:
    """The study's rate test at N/P = 25 for both anodes (Li-Cu is a blind prediction)."""
    from lilean.plotting.figures import plot_rate
    from lilean.simulate import simulate_rate

    study = published()["rate_np25"]
    section = Section(
        "rate",
        "Rate capability, N/P = 25",
        setup="3 cycles at 0.5C, then 5 cycles each at 1, 2, 3, 4, 5C, then back to 1C "
        "(charge and discharge at the same rate, 2.0-4.2 V). The study gives the Li-Ag@Cu "
        "capacities; its Li-Cu rate capability is held back: lilean's value is a blind "
        "prediction.",
        parameters=_param_rows(ctx.params, ("cathode.", "cell.")),
    )
    tables = []
    for substrate in ("ag-cu", "cu"):
        sim = simulate_rate(
            ctx.params,
            substrate,
            cathode_loading_mAh_cm2=NP25_LOADING_mAh_cm2,
            li_inventory_mAh_cm2=ctx.params.cell.li_inventory_mAh_cm2.value,
        )
        tables.append((SUBSTRATE_LABELS[substrate], sim.table))
        d = sim.to_dict()
        if substrate == "ag-cu":
            for k, (c_sim, c_ref) in enumerate(zip(d["c_rate"], study["c_rates"], strict=False)):
                section.rows.append(
                    record("rate_np25", f"C-rate of block {k + 1}", "1/h", c_sim, c_ref)
                )
        refs = study["ag-cu_discharge_mAh_g"] if substrate == "ag-cu" else None
        for k, (c, q) in enumerate(zip(d["c_rate"], d["discharge_capacity_mAh_g"], strict=True)):
            is_study_block = refs is not None and k < len(refs)
            section.rows.append(
                record(
                    "rate_np25" if substrate == "ag-cu" else "rate_np25_prediction",
                    f"{substrate} at {c:g}C"
                    + (" (recovery)" if k >= len(study["c_rates"]) else ""),
                    "mAh/g",
                    q,
                    refs[k] if is_study_block and refs is not None else None,
                    study["tol_percent"] if is_study_block else None,
                )
            )
    section.figures.append(_save(ctx, plot_rate(tables), "rate_np25"))
    return section


def np10_prediction(ctx: Context) -> Section:
    """Blind prediction: N/P = 10 (1.0 mAh/cm2 LFP), 80 cycles at 1C and at 2C."""
    from lilean.plotting.figures import plot_cycle_summary

    section = Section(
        "np10",
        "Prediction: N/P = 10, 80 cycles at 1C and 2C",
        setup="LFP 1.0 mAh/cm2 against 10 mAh/cm2 Li. The study's results are held back as blind "
        "validation; these are lilean's predictions from parameters calibrated on the rest.",
        parameters=_param_rows(ctx.params, ("substrates.", "cathode.", "cell.")),
    )
    for c_rate in (1.0, 2.0):
        summaries = []
        for substrate in ("cu", "ag-cu"):
            sim = _cycling(ctx, substrate, NP10_LOADING_mAh_cm2, c_rate, 80)
            d = sim.to_dict()
            summaries.append((SUBSTRATE_LABELS[substrate], sim.summary))
            sim.summary.to_parquet(ctx.results / f"np10_{c_rate:g}C_{substrate}_summary.parquet")
            section.rows += [
                record(
                    f"np10_{c_rate:g}C_80cycles",
                    f"{substrate} retention",
                    "%",
                    d["retention_percent"],
                    None,
                ),
                record(
                    f"np10_{c_rate:g}C_80cycles",
                    f"{substrate} final discharge capacity",
                    "mAh/g",
                    d["discharge_capacity_mAh_g"][-1],
                    None,
                ),
            ]
        fig = plot_cycle_summary(summaries)
        section.figures.append(_save(ctx, fig, f"np10_{c_rate:g}C"))
    return section


Experiment = Callable[[Context], Section]

#: (key, title, function); a function reports ``section.missing`` when its capability (module) is
#: not built yet, and still returns the study's numbers with ``lilean = None``
EXPERIMENTS: list[tuple[str, str, Experiment]] = [
    ("cell", "Cells: build and test conditions", cell),
    ("xrd", "XRD of Cu and Ag@Cu", xrd),
    ("plumes", "Ag plume growth and process map", plumes),
    ("nucleation", "Li nucleation on Cu and Ag@Cu", nucleation),
    ("morphology", "Li deposition morphology", morphology),
    ("symmetric", "Symmetric cells", symmetric),
    ("full-cell-np25", "Full cells N/P = 25", full_cell_np25),
    ("eis", "Impedance after cycling", eis),
    ("rate", "Rate capability", rate),
    ("np10", "Prediction: N/P = 10", np10_prediction),
    ("lab-data", "Measured files", lab_data),
]

FAST_NOTE = (
    "--fast: coarser settings for a quick look (nucleation overpotential at 3 current densities "
    "instead of 6, impedance after 3 cycle counts instead of 5, smaller lattices for plumes and "
    "morphology, a 3 x 3 process map, figures for the first 4 measured files); the cell "
    "simulations themselves are unchanged."
)


def _data_fingerprint(data_dir: Path | None) -> list[tuple[str, int, int]]:
    if data_dir is None:
        return []
    return [
        (str(p.relative_to(data_dir)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    ]


def _code_fingerprint() -> str:
    """sha256 of lilean's own source files (so an edited checkout never reuses stale results)."""
    import lilean

    digest = hashlib.sha256()
    root = Path(lilean.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(ctx: Context, experiment: str) -> str:
    """sha256 of the parameter hash, experiment, settings, lilean version (+ its source code)
    and the data fingerprint."""
    from lilean import __version__

    payload = json.dumps(
        {
            "params": ctx.params.hash(),
            "experiment": experiment,
            "fast": ctx.fast,
            "version": __version__,
            "code": _code_fingerprint(),
            "cache_version": CACHE_VERSION,
            "modules": [_module_exists(m) for m in (PLUME_MODULE, DEPOSITION_MODULE, *XRD_MODULES)],
            "data": _data_fingerprint(ctx.data_dir),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _cache_path(ctx: Context, experiment: str) -> Path:
    return ctx.out_dir / ".cache" / f"{experiment}-{cache_key(ctx, experiment)}.json"


def _load_cached(path: Path) -> Section | None:
    if not path.is_file():
        return None
    try:
        section = Section.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
        return None
    if not all(f.is_file() for f in section.figures):
        return None
    return section


def _store_cached(path: Path, section: Section) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(to_json_records(section.to_json())))


def reproduce(
    out_dir: Path,
    params: ParameterSet,
    *,
    fast: bool = False,
    data_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    use_cache: bool = True,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Run every experiment, write ``report.html``, ``figures/``, ``results/`` and ``summary.json``.

    ``only`` restricts the run to those experiment keys (see :data:`EXPERIMENTS`). Returns
    ``{"summary": [...records], "failed": [...keys], "missing": [...keys], "cached": [...keys],
    "seconds": s, "report": path}``.
    """
    ctx = Context(out_dir=out_dir, params=params, fast=fast, data_dir=data_dir)
    ctx.figures.mkdir(parents=True, exist_ok=True)
    ctx.results.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    failed: list[str] = []
    missing: list[str] = []
    cached: list[str] = []
    timings: dict[str, float] = {}
    start = time.perf_counter()
    chosen = [e for e in EXPERIMENTS if only is None or e[0] in only]
    for k, (key, title, func) in enumerate(chosen):
        if progress:
            progress(title, k, len(chosen))
        t0 = time.perf_counter()
        cache_file = _cache_path(ctx, key)
        section = _load_cached(cache_file) if use_cache else None
        if section is not None:
            cached.append(key)
        else:
            try:
                section = func(ctx)
            except Exception as exc:  # one failed experiment must not kill the report
                section = Section(key, title, missing=f"FAILED: {type(exc).__name__}: {exc}")
                section.failed = True
                section.notes.append(traceback.format_exc(limit=3))
            else:
                _store_cached(cache_file, section)
        if section.failed:
            failed.append(key)
        elif section.missing:
            missing.append(key)
        ctx.records += [dict(r, experiment=r.get("experiment", key)) for r in section.rows]
        sections.append(section)
        timings[key] = time.perf_counter() - t0
    if progress:
        progress("writing report", len(chosen), len(chosen))
    header = f"<p class='mode'>{FAST_NOTE}</p>" if fast else ""
    intro = (
        "In-silico reproduction of Zhang, Xia, Li et al., ACS Appl. Energy Mater. 6 (2023) 6338 "
        f"(Ag plumes on Cu for Li-lean anodes) with lilean, parameter set '{params.name}' "
        f"(hash {params.hash()}){' — fast mode' if fast else ''}. Study numbers are the published "
        "values; deviations are coloured green within the study tolerance, yellow within twice "
        "it, red beyond; relations (true/false) green when they hold in the simulation. "
        "Experiments whose model is not built yet are listed as missing, never faked."
    )
    write_report(
        out_dir / "report.html",
        "lilean: Ag@Cu Li-lean anodes in silico",
        intro,
        sections,
        header,
    )
    summary = [{k: v for k, v in r.items() if k != "tolerance_percent"} for r in ctx.records]
    with atomic_output(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(to_json_records(summary), indent=1))
    return {
        "summary": summary,
        "failed": failed,
        "missing": missing,
        "cached": cached,
        "timings_s": timings,
        "seconds": time.perf_counter() - start,
        "report": str(out_dir / "report.html"),
    }
