"""The engine of ``lilean reproduce``: context, records, the content-addressed cache, the run.

Each section of the report is one module of :mod:`lilean.report.sections`, registered in
:data:`lilean.report.sections.SECTIONS`; the engine iterates that list and knows nothing about any
experiment. A section is a function ``(ctx) -> Section`` that runs its simulations through the
public API, writes its figures (:meth:`Context.save`) and tables (:meth:`Context.save_table`) and
returns its records (:func:`record`).

Every number has a **kind** (:data:`KINDS`):

* ``input``: a cell-build or protocol value (matches the study by construction);
* ``assumed``: a value the study does not give legibly (e.g. the 4.2 V upper cut-off);
* ``calibrated``: a calibration target of the parameter set: shown and marked, never counted as
  agreement;
* ``predicted``: not used in calibration; with the study's value (where it reports one), a
  tolerance and ``pass``; the held-back blind-validation numbers say so;
* ``qualitative``: a relation the study states, true/false (``pass`` = it holds).

The scorecard (:mod:`lilean.report.scorecard`) counts ``predicted`` and ``qualitative`` entries
only.

Cache (``OUT/.cache/<section>-<inputs hash>.json``): each entry carries the sha256 of its inputs
(parameter hash, settings, lilean version and source code, data-folder fingerprint), the sha256 of
its own content and of every file it wrote (figures, tables), with paths relative to the report
folder. An entry is used only when all of these verify; otherwise the section is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from lilean.parameters import ParameterSet
from lilean.report.html import Figure, Section
from lilean.schema import atomic_output, to_json_records

#: bump when the content of a cached section changes meaning
CACHE_VERSION = 3
#: the kinds of numbers (module docstring)
KINDS = ("input", "assumed", "calibrated", "predicted", "qualitative")
#: kinds a scorecard counts
SCORED_KINDS = ("predicted", "qualitative")
HELD_BACK = "held back for blind validation"
SINGLE_SEED = "single seed"
#: N/P = 25 and N/P = 10 cathode loadings of the study [mAh/cm^2]
NP25_LOADING_mAh_cm2 = 0.4
NP10_LOADING_mAh_cm2 = 1.0
SUBSTRATE_LABELS = {"cu": "Li-Cu", "ag-cu": "Li-Ag@Cu"}
#: parameter kinds of the parameter set -> record kinds
PARAMETER_KIND_TO_RECORD = {"measured": "input", "assumed": "assumed", "calibrated": "calibrated"}


@dataclass
class Measured:
    """A measured cycler file found in ``--data-dir``: table, analysis kind and cell type."""

    path: Path
    reader: str
    kind: str
    data: Any  # CyclingData
    cell_type: str = "unknown"


@dataclass
class Context:
    out_dir: Path
    params: ParameterSet
    fast: bool = False
    data_dir: Path | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    _measured: list[Measured] | None = None
    skipped: list[str] = field(default_factory=list)
    #: files written by the section now running (relative to ``out_dir``), for the cache
    written: list[str] = field(default_factory=list)

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

    def measured_of(self, kind: str, cell_type: str | None = None) -> list[Measured]:
        return [
            m
            for m in self.measured
            if m.kind == kind and (cell_type is None or m.cell_type == cell_type)
        ]

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.out_dir.resolve()).as_posix()

    def save(self, fig: Any, name: str, caption: str, counterpart: str = "") -> Figure:
        """Write ``fig`` as ``figures/<name>.png`` and ``.svg`` (journal layout: legends outside
        the data, axes set by the bulk of the data) and return it with its caption."""
        import matplotlib.pyplot as plt

        from lilean.plotting.figures import save_figure
        from lilean.report.layout import journal_layout

        journal_layout(fig)
        paths = save_figure(fig, self.figures / name)
        plt.close(fig)
        rel = [self.relative(p) for p in paths]
        self.written += rel
        png = next(r for r in rel if r.endswith(".png"))
        return Figure(png, caption, counterpart)

    def save_table(self, frame: pd.DataFrame, name: str) -> Path:
        """Write ``results/<name>.parquet`` and register it with the section's cache entry."""
        path = self.results / f"{name}.parquet"
        frame.to_parquet(path)
        self.written.append(self.relative(path))
        return path


def cell_type(data: Any) -> str:
    """``"Li||LFP"`` when the voltages of the active steps sit in the LFP window (median of the
    charge/discharge voltage 3.2-3.6 V, all within 1.8-4.5 V), ``"Li||Cu"`` for Li plating on a
    metal (near 0 V and going below 0 V while plating: a graphite or Si half cell never does),
    else ``"other"`` (Si, graphite, NMC ... cells: their own section)."""
    import numpy as np

    from lilean.schema import CURRENT, VOLTAGE

    frame = data.data if hasattr(data, "data") else data
    v = frame[VOLTAGE].to_numpy(float)
    i = frame[CURRENT].to_numpy(float)
    active = np.isfinite(v) & (np.abs(np.nan_to_num(i)) > 0)
    if active.sum() < 10:
        return "other"
    va = v[active]
    lo, med, hi = np.percentile(va, [1, 50, 99])
    if abs(med) < 0.5 and hi < 1.5 and lo < -0.01:
        return "Li||Cu"
    if 3.2 <= med <= 3.6 and lo >= 1.8 and hi <= 4.5:
        return "Li||LFP"
    return "other"


def scan_measured(data_dir: Path | None, skipped: list[str] | None = None) -> list[Measured]:
    """Read every cycler file under ``data_dir`` (readers detected by content), detect its kind
    with :func:`lilean.analysis.kind.detect_kind` (``cycling`` when no pattern fits) and its cell
    type (:func:`cell_type`)."""
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
        try:
            ctype = cell_type(data)
        except (KeyError, ValueError):
            ctype = "other"
        found.append(Measured(path, reader.name, kind, data, ctype))
    return found


def published() -> dict[str, Any]:
    """The study's published numbers (Zhang2023) with tolerances, for comparison only."""
    text = (resources.files("lilean.report") / "Zhang2023_published.json").read_text()
    return dict(json.loads(text))


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def band_of(result: dict[str, Any], name: str) -> tuple[float, float] | None:
    """The 5-95 % band ``(name_low, name_high)`` of a seed ensemble, when the result has one."""
    low, high = result.get(f"{name}_low"), result.get(f"{name}_high")
    if is_number(low) and is_number(high):
        return float(low), float(high)  # type: ignore[arg-type]
    return None


def record(
    experiment: str,
    quantity: str,
    unit: str,
    lilean: float | bool | None,
    study: float | bool | None,
    tolerance_percent: float | None = None,
    *,
    kind: str,
    basis: str = "",
    band: tuple[float, float] | None = None,
    held_back: bool = False,
) -> dict[str, Any]:
    """One number of the report: ``experiment, quantity, unit, kind, lilean, study`` plus
    ``deviation_percent = 100 (lilean - study) / |study|`` when both are numbers.

    ``predicted`` numbers with a study value need ``tolerance_percent`` and get ``pass``
    (``|deviation| <= tolerance``; False when lilean produced no value); ``qualitative`` ones
    are relations with a boolean ``lilean`` and ``study = True`` (``pass`` = they agree).
    ``basis`` says why the kind (e.g. which calibration used the number); ``band`` is the 5-95 %
    range of a seed ensemble (``"single seed"`` otherwise); ``held_back``: the study value exists
    but is withheld for blind validation.
    """
    if kind not in KINDS:
        raise ValueError(f"record {quantity!r}: kind {kind!r} is not one of {KINDS}")
    if is_number(lilean) and not math.isfinite(float(lilean)):  # type: ignore[arg-type]
        lilean = None
    rec: dict[str, Any] = {
        "experiment": experiment,
        "quantity": quantity,
        "unit": unit,
        "kind": kind,
        "lilean": float(lilean) if is_number(lilean) else lilean,  # type: ignore[arg-type]
        "study": float(study) if is_number(study) else study,  # type: ignore[arg-type]
    }
    if is_number(study) and is_number(lilean) and study != 0:
        rec["deviation_percent"] = 100.0 * (float(lilean) - float(study)) / abs(float(study))  # type: ignore[arg-type]
    if tolerance_percent is not None:
        rec["tolerance_percent"] = float(tolerance_percent)
    if kind == "predicted" and is_number(study):
        if tolerance_percent is None:
            raise ValueError(f"predicted record {quantity!r} has a study value but no tolerance")
        dev = rec.get("deviation_percent")
        if dev is None and is_number(lilean) and study == 0:
            dev = 0.0 if lilean == 0 else math.inf
        rec["pass"] = bool(dev is not None and abs(dev) <= tolerance_percent)
    elif kind == "qualitative":
        rec["pass"] = bool(isinstance(lilean, bool) and lilean == study)
    if held_back:
        rec["study_note"] = HELD_BACK
    if kind in SCORED_KINDS:
        rec["band"] = list(band) if band is not None else SINGLE_SEED
    if basis:
        rec["basis"] = basis
    return rec


def param_rows(params: ParameterSet, prefixes: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    return [
        (name, f"{p.value:.6g} {p.unit}", p.kind, p.source)
        for name, p in params.flat().items()
        if name.startswith(prefixes)
    ]


# ---- cache ------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(obj: Any) -> bytes:
    return json.dumps(to_json_records(obj), sort_keys=True, separators=(",", ":")).encode()


def _data_fingerprint(data_dir: Path | None) -> list[tuple[str, int, int]]:
    if data_dir is None:
        return []
    return [
        (str(p.relative_to(data_dir)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    ]


def _code_fingerprint() -> str:
    """sha256 of lilean's own source and data files (an edited checkout never reuses results)."""
    import lilean

    digest = hashlib.sha256()
    root = Path(lilean.__file__).parent
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.json"), *root.rglob("*.toml")]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def inputs_hash(ctx: Context, section: str) -> str:
    """sha256 of everything a section's result depends on."""
    from lilean import __version__

    payload = {
        "params": ctx.params.hash(),
        "section": section,
        "fast": ctx.fast,
        "version": __version__,
        "code": _code_fingerprint(),
        "cache_version": CACHE_VERSION,
        "data": _data_fingerprint(ctx.data_dir),
    }
    return _sha256(_canonical(payload))


def cache_path(ctx: Context, section: str, key: str) -> Path:
    return ctx.out_dir / ".cache" / f"{section}-{key[:20]}.json"


def _content_hash(section_json: dict[str, Any], files: dict[str, str]) -> str:
    return _sha256(_canonical({"section": section_json, "files": files}))


def load_cached(ctx: Context, section: str, key: str) -> Section | None:
    """The cached section when its entry verifies (inputs hash, content hash, every file's hash,
    every path inside the report folder); None otherwise (then it is recomputed)."""
    path = cache_path(ctx, section, key)
    if not path.is_file():
        return None
    try:
        entry = json.loads(path.read_text())
        if not isinstance(entry, dict) or entry.get("inputs_hash") != key:
            return None
        body, files = entry["section"], entry["files"]
        if not isinstance(body, dict) or not isinstance(files, dict):
            return None
        if entry.get("content_hash") != _content_hash(body, files):
            return None
        root = ctx.out_dir.resolve()
        for rel, digest in files.items():
            file = (root / rel).resolve()
            if not file.is_relative_to(root) or not file.is_file():
                return None
            if _sha256(file.read_bytes()) != digest:
                return None
        result = Section.from_json(body)
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        return None
    if not all(f.path in files for f in result.figures):
        return None
    return result


def store_cached(ctx: Context, section: Section, key: str, written: Sequence[str]) -> None:
    root = ctx.out_dir.resolve()
    files = {rel: _sha256((root / rel).read_bytes()) for rel in sorted(set(written))}
    body = to_json_records(section.to_json())
    entry = {
        "inputs_hash": key,
        "content_hash": _content_hash(body, files),
        "files": files,
        "section": body,
    }
    path = cache_path(ctx, section.key, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{section.key}-*.json"):
        if old != path:
            old.unlink()
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(entry))


# ---- the run ----------------------------------------------------------------------------------


def missing_extra(exc: BaseException) -> str | None:
    """The message when ``exc`` says an optional dependency (a ``lilean[extra]``) is not
    installed, else None: such a section is reported as missing with the install command, not
    as failed."""
    text = str(exc)
    if type(exc).__name__ == "MissingExtraError" or "pip install 'lilean[" in text:
        return text
    if isinstance(exc, ModuleNotFoundError) and exc.name and not exc.name.startswith("lilean"):
        return f"the optional package {exc.name!r} is not installed (pip install 'lilean[all]')"
    return None
