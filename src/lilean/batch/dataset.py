"""A whole archive of cycler files -> one hive-partitioned Parquet dataset, queryable in place.

Layout of ``out/`` (one partition per cell, ``cell=<id>``, the id built from the file's path
relative to the archive root)::

    raw/cell=<id>/part-<sha12>.parquet      the canonical table of the file (lilean.schema)
    cycles/cell=<id>/part-<sha12>.parquet   per-cycle summary (lilean.analysis.cycling) + quality
                                            + Polarization [mV]
    cells/cell=<id>/part-<sha12>.parquet    one row: file, sha256, format, kind, scalars, meta CSV
    status/cell=<id>/part-<sha12>.parquet   one row: ok | failed, the error line, seconds

``sha12`` is the start of the file's sha256, so a part's name says which content it holds.

**Cache.** A file whose status part exists for its current sha256 is not redone (content hash,
not time stamps). A changed file gets new parts and its old ones are removed; a file that has
disappeared from the archive keeps its parts (the dataset is an archive, not a mirror).

**Kill safety.** Every part is written to a temporary name and renamed (atomic); the status part
is written last and is the commit mark. A run killed at any moment leaves only whole parts; the
rerun redoes every file without a status part, overwriting parts of the same name, so nothing is
lost or duplicated. Temporary files of a killed run (``.*.part``) are removed at the start.

**Failures** never stop the batch: the file gets ``status = "failed"`` and the one-line error.

**Polarization [mV]** in ``cycles``: for a symmetric (Li || Li) cell the cycle's polarization of
:mod:`lilean.analysis.symmetric` (``(eta_plating + eta_stripping) / 2``); for any other cell the
voltage gap between mean charge and mean discharge voltage, in mV.

Queries: :func:`query` runs SQL with DuckDB (embedded, no server) on views ``raw``, ``cycles``,
``cells`` and ``status`` over the Parquet files in place; pandas (``pd.read_parquet(out /
"cycles")``) and polars (``pl.scan_parquet(out / "cycles/**/*.parquet", hive_partitioning=True)``)
read the same folders.
"""

from __future__ import annotations

import glob
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import LileanError

TABLES = ("raw", "cycles", "cells", "status")
#: suffixes never tried as cycler data (documentation, manifests, configs)
SKIP_SUFFIXES = (".md", ".tsv", ".json", ".yml", ".yaml", ".py", ".license", ".toml")
#: meta CSV columns that set the reader's metadata
META_NUMERIC = ("area_cm2", "active_mass_mg")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cell_id(relpath: str) -> str:
    """A partition-safe id of a file from its relative path (``neware/a b.nda`` ->
    ``neware__a_b.nda``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", relpath.replace("/", "__").replace("\\", "__"))


def discover(source: str | Path) -> tuple[Path, list[Path]]:
    """``(root, files)``: every regular file under a folder (recursively), or matching a glob
    (``**`` allowed); hidden files, ``LICENSES`` folders and documentation suffixes skipped."""
    text = str(source)
    if any(ch in text for ch in "*?["):
        files = [Path(p) for p in glob.glob(text, recursive=True)]
        prefix = re.split(r"[*?\[]", text, maxsplit=1)[0]
        root = Path(prefix) if prefix.endswith(("/", "\\")) else Path(prefix).parent
    else:
        root = Path(source)
        if root.is_file():
            return root.parent, [root]
        if not root.is_dir():
            raise LileanError(f"{source}: no such folder or file (expected a folder or a glob)")
        files = list(root.rglob("*"))
    keep = []
    for f in files:
        parts = f.relative_to(root).parts if f.is_relative_to(root) else f.parts
        if not f.is_file() or any(p.startswith(".") for p in parts) or "LICENSES" in parts:
            continue
        if f.name.lower().endswith(SKIP_SUFFIXES):
            continue
        keep.append(f)
    return root, sorted(keep)


def read_meta(path: str | Path | None) -> pd.DataFrame:
    """The cell metadata CSV: a ``file`` column (path relative to the archive root, or a bare
    file name) and any others (group, substrate, replicate, ``area_cm2``, ``active_mass_mg``)."""
    if path is None:
        return pd.DataFrame({"file": pd.Series([], dtype=str)})
    path = Path(path)
    try:
        meta = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise LileanError(f"{path}: not a readable CSV ({exc})") from exc
    if "file" not in meta.columns:
        raise LileanError(f"{path}: the meta CSV needs a 'file' column, found {list(meta.columns)}")
    for col in META_NUMERIC:
        if col in meta.columns:
            bad = [v for v in meta[col] if v and not _is_number(v)]
            if bad:
                raise LileanError(f"{path}: column {col} must be numbers, found {bad[0]!r}")
    return meta


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _meta_for(meta: pd.DataFrame, relpath: str) -> dict[str, str]:
    if meta.empty:
        return {}
    name = Path(relpath).name
    hit = meta[(meta["file"] == relpath) | (meta["file"] == name)]
    if hit.empty:
        return {}
    row = hit.iloc[0].to_dict()
    row.pop("file", None)
    return {str(k): str(v) for k, v in row.items()}


@dataclass(frozen=True)
class Job:
    """One file to convert and analyse."""

    path: str
    relpath: str
    cell: str
    sha256: str
    out: str
    meta: dict[str, str] = field(default_factory=dict)


def _part(out: Path, table: str, cell: str, sha256: str) -> Path:
    return out / table / f"cell={cell}" / f"part-{sha256[:12]}.parquet"


def _write(frame: pd.DataFrame, path: Path) -> None:
    from lilean.schema import atomic_output

    with atomic_output(path) as tmp:
        frame.to_parquet(tmp, index=False)


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical/object columns as plain strings (the same Parquet type in every part)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("string")
        elif out[col].dtype == object:
            values = [
                v for v in out[col] if v is not None and not (isinstance(v, float) and np.isnan(v))
            ]
            if all(
                isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
            ):
                out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
            else:
                out[col] = out[col].astype("string")
    return out


def process_file(job: Job) -> dict[str, Any]:
    """Convert and analyse one file, write its parts (status last); never raises."""
    start = time.perf_counter()
    out = Path(job.out)
    for table in TABLES:  # parts of an earlier content of this file
        folder = out / table / f"cell={job.cell}"
        if folder.is_dir():
            for old in folder.glob("part-*.parquet"):
                if old.name != f"part-{job.sha256[:12]}.parquet":
                    old.unlink()
    status: dict[str, Any] = {
        "file": job.relpath,
        "sha256": job.sha256,
        "status": "ok",
        "error": "",
        "rows": 0,
        "cycles": 0,
    }
    try:
        cells_row = _convert_and_analyse(job, out)
        status["rows"] = int(cells_row["rows"])
        status["cycles"] = int(cells_row["n_cycles"])
    except Exception as exc:  # recorded per file: the batch never stops
        from lilean import __version__

        status["status"] = "failed"
        status["error"] = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__) + (
            "" if isinstance(exc, LileanError) else f" ({type(exc).__name__})"
        )
        status["lilean_version"] = __version__
    status["seconds"] = time.perf_counter() - start
    _write(pd.DataFrame([status]), _part(out, "status", job.cell, job.sha256))
    return {"cell": job.cell, **status}


def _convert_and_analyse(job: Job, out: Path) -> dict[str, Any]:
    from lilean import __version__
    from lilean.analysis.cycling import analyze_cycling
    from lilean.analysis.kind import assess_kind
    from lilean.api import load_table
    from lilean.batch.capture import captured_notes

    numeric = {k: float(job.meta[k]) for k in META_NUMERIC if job.meta.get(k)}
    with captured_notes() as chatter:
        data = load_table(job.path, **numeric)  # type: ignore[arg-type]
        seen = assess_kind(data)
        cyc = analyze_cycling(data, active_mass_mg=data.meta.active_mass_mg)
        table = cyc.table
        polarization = 1000.0 * table["Voltage gap [V]"].to_numpy(dtype=float)
        if seen.kind == "symmetric":
            from lilean.analysis.symmetric import analyze_symmetric

            sym = analyze_symmetric(data)
            by_cycle = {c.cycle: c.polarization_mV for c in sym.cycles}
            polarization = np.array(
                [by_cycle.get(int(c)) or np.nan for c in table["Cycle"]], dtype=float
            )
    table = table.assign(**{"Polarization [mV]": polarization})
    _write(_strings(data.data), _part(out, "raw", job.cell, job.sha256))
    _write(_strings(table), _part(out, "cycles", job.cell, job.sha256))
    row: dict[str, Any] = {
        "file": job.relpath,
        "sha256": job.sha256,
        "format": data.meta.file_format,
        "instrument": data.meta.instrument,
        "reader": data.meta.reader,
        "rows": len(data.data),
        "n_cycles": int(data.n_cycles),
        "kind": seen.kind or "unknown",
        "kind_confidence": seen.confidence,
        "n_flagged_cycles": cyc.n_flagged_cycles,
        "mean_coulombic_efficiency": cyc.mean_coulombic_efficiency,
        "knee_cycle": cyc.knee_cycle,
        "area_cm2": data.meta.area_cm2,
        "active_mass_mg": data.meta.active_mass_mg,
        "notes": "; ".join([*data.meta.notes, *data.meta.anomalies, *chatter]),
        "lilean_version": __version__,
    }
    for key, value in job.meta.items():
        if key not in row:
            row[key] = value
    frame = pd.DataFrame([row]).astype({"knee_cycle": "Int64"})
    _write(_strings(frame), _part(out, "cells", job.cell, job.sha256))
    return row


def plan(
    source: str | Path,
    out: str | Path,
    meta_csv: str | Path | None = None,
    *,
    force: bool = False,
) -> tuple[list[Job], list[Job]]:
    """``(to_do, cached)``: the jobs of every file under ``source``; cached = a status part for
    the file's current sha256 exists in ``out``, its meta row is unchanged, and it did not fail
    under another lilean version (a newer reader may read it). ``force``: redo every file."""
    root, files = discover(source)
    out = Path(out).resolve()
    meta = read_meta(meta_csv)
    todo, cached = [], []
    for f in files:
        if out in f.resolve().parents:
            continue  # never read the dataset itself
        rel = f.relative_to(root).as_posix() if f.is_relative_to(root) else f.name
        job = Job(str(f), rel, cell_id(rel), _sha256(f), str(out), _meta_for(meta, rel))
        status_part = _part(out, "status", job.cell, job.sha256)
        cells_part = _part(out, "cells", job.cell, job.sha256)
        if (
            not force
            and status_part.exists()
            and (not job.meta or _meta_unchanged(cells_part, job.meta))
            and not _failed_by_another_version(status_part)
        ):
            cached.append(job)
        else:
            todo.append(job)
    return todo, cached


def _failed_by_another_version(status_part: Path) -> bool:
    from lilean import __version__

    row = pd.read_parquet(status_part).iloc[0]
    return bool(row["status"] == "failed" and row.get("lilean_version") != __version__)


def _meta_unchanged(cells_part: Path, meta: Mapping[str, str]) -> bool:
    if not cells_part.exists():
        return True  # a failed file has no cells part: its meta cannot help it
    row = pd.read_parquet(cells_part).iloc[0]
    return all(k in row.index and str(row[k]) == v for k, v in meta.items())


def _clean_temporaries(out: Path) -> None:
    for table in TABLES:
        folder = out / table
        if folder.is_dir():
            for tmp in folder.glob("cell=*/.*.part"):
                tmp.unlink(missing_ok=True)


def run_batch(
    source: str | Path,
    out: str | Path,
    *,
    meta_csv: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    force: bool = False,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
) -> dict[str, Any]:
    """Convert and analyse every file under ``source`` into the dataset ``out`` (module doc).

    Runs on an embedded Dask cluster (``workers`` threads in one process; dask.distributed from
    the ``sweep`` extra), on an existing scheduler (``scheduler="tcp://host:8786"``), or in this
    process (``serial=True``, or when dask is not installed, which the result's ``notes`` say).
    ``force`` redoes every file. ``progress(status, done, total)`` is called after each file. Returns counts and the failures.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LileanError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    _clean_temporaries(out)
    todo, cached = plan(source, out, meta_csv, force=force)
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    total = len(todo)
    start = time.perf_counter()

    def done(status: dict[str, Any]) -> None:
        results.append(status)
        if progress:
            progress(status, len(results), total)

    mode = "serial" if todo else "nothing to do"
    if todo and not serial:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            notes.append("dask.distributed not installed (extra 'sweep'): ran in this process")
            serial = True
    if todo and not serial:
        from dask.distributed import Client, LocalCluster, as_completed

        from lilean.batch.capture import captured_notes

        cluster = None
        with captured_notes() as chatter:  # dask's own warnings go to the notes
            if scheduler:
                client = Client(scheduler)
                mode = f"scheduler {scheduler}"
            else:
                import os

                n = workers or min(4, os.cpu_count() or 1)
                # ":0": any free port for the (unused) dashboard, never "port in use" warnings
                cluster = LocalCluster(
                    n_workers=1, threads_per_worker=n, processes=False, dashboard_address=":0"
                )
                client = Client(cluster)
                mode = f"embedded dask cluster ({n} threads)"
        notes += chatter
        try:
            futures = client.map(
                process_file,
                todo,
                pure=False,
                key=[f"lilean-batch-{j.cell}-{j.sha256[:12]}-{time.time_ns()}" for j in todo],
            )
            for future in as_completed(futures):
                done(future.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        for job in todo:
            done(process_file(job))
    failed = [r for r in results if r["status"] == "failed"]
    cached_failed = 0
    for job in cached:
        part = _part(out, "status", job.cell, job.sha256)
        if pd.read_parquet(part)["status"].iloc[0] == "failed":
            cached_failed += 1
    return {
        "dataset": str(out),
        "files": total + len(cached),
        "processed": total,
        "cached": len(cached),
        "ok": total - len(failed),
        "failed": len(failed),
        "cached_failed": cached_failed,
        "ok_total": total - len(failed) + len(cached) - cached_failed,
        "failed_total": len(failed) + cached_failed,
        "failures": [{"file": r["file"], "error": r["error"]} for r in failed],
        "mode": mode,
        "seconds": time.perf_counter() - start,
        "notes": notes,
    }


def _glob(out: Path, table: str) -> str:
    return (out / table / "**" / "*.parquet").as_posix()


def connect(out: str | Path) -> Any:
    """A DuckDB connection (in memory) with views ``raw``, ``cycles``, ``cells``, ``status`` over
    the dataset's Parquet files in place (hive partition ``cell`` as a column). A view whose
    folder holds no part yet is left out."""
    import duckdb

    out = Path(out)
    con = duckdb.connect()
    for table in TABLES:
        if any((out / table).glob("cell=*/*.parquet")):
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{_glob(out, table)}', "
                "hive_partitioning = true, union_by_name = true)"
            )
    return con


def query(out: str | Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` on the dataset (views as in :func:`connect`) and return a DataFrame."""
    con = connect(out)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def load(out: str | Path, table: str, cells: Iterable[str] | None = None) -> pd.DataFrame:
    """One table of the dataset as a DataFrame (all cells, or ``cells``)."""
    if table not in TABLES:
        raise LileanError(f"unknown dataset table {table!r}; expected one of {TABLES}")
    where = ""
    if cells is not None:
        names = ", ".join("'" + c.replace("'", "''") + "'" for c in cells)
        where = f" WHERE cell IN ({names})"
    try:
        return query(out, f"SELECT * FROM {table}{where}")
    except Exception as exc:
        raise LileanError(f"{out}: no {table} table in this dataset ({exc})") from exc
