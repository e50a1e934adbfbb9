"""The sweep store: a folder of Parquet parts that every Parquet reader reads as one table.

Layout of ``OUT/`` (``pandas.read_parquet(OUT)``, ``pyarrow.dataset.dataset(OUT)``,
``polars.read_parquet(OUT / "*.parquet")`` and DuckDB's ``read_parquet('OUT/*.parquet')`` read
the rows; files whose names start with ``_`` are ignored by all of them):

- ``part-NNNNN.parquet``: finished rows, written atomically, with page checksums; its schema
  metadata (key ``lilean.sweep``) holds the spec hash and the part's case ids in row order;
- ``_sweep.json``: the manifest (the spec, its hash, the number of cases);
- ``_aside/``: parts that failed verification on resume (damaged, foreign, duplicated, from
  another spec), moved there with one line each, never deleted.

Integrity (:func:`verify_parts`): on resume every part is read in full (checksums verified), its
metadata must carry the current spec hash, its ``case_id`` column must equal the recorded ids,
every id must be a case of the spec at the recorded ``case_index``, and no id may appear in two
parts. Parts that fail are moved aside and their cases recomputed, so the folder always ends with
exactly the spec's cases, each once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lilean.errors import OutputError
from lilean.sweep.cases import SweepError, jsonable
from lilean.sweep.spec import SweepSpec

#: the manifest; the leading underscore makes every Parquet reader skip it
MANIFEST = "_sweep.json"
#: the manifest name before lilean 0.2 (renamed on resume)
LEGACY_MANIFEST = "sweep.json"
PART_GLOB = "part-*.parquet"
ASIDE = "_aside"
#: Parquet schema-metadata key of a part's integrity record
PART_METADATA_KEY = b"lilean.sweep"
STORE_FORMAT = 2


def spec_hash(spec: SweepSpec, params_hash: str) -> str:
    """sha256 (16 hex) of everything that decides a sweep's rows: experiment, design, samples,
    seed, outputs, fixed arguments, varied parameters and the base parameter-set hash (not the
    spec's name, chunk size or file path)."""
    d = spec.to_dict()
    payload = {k: d[k] for k in ("experiment", "design", "samples", "seed", "outputs")}
    payload["fixed"] = {k: jsonable(v) for k, v in sorted(spec.fixed.items())}
    payload["parameters"] = d["parameters"]
    payload["params"] = params_hash
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def part_path(out: Path, number: int) -> Path:
    return out / f"part-{number:05d}.parquet"


def write_part(
    out: Path, number: int, rows: list[dict[str, Any]], columns: list[str], the_hash: str
) -> Path:
    """Write one chunk of rows atomically as ``part-NNNNN.parquet`` with its integrity record."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lilean.schema import atomic_output

    frame = pd.DataFrame(rows)
    for c in columns:
        if c not in frame:
            frame[c] = None
    frame = frame[columns]
    frame["error"] = frame["error"].astype("string")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    record = {
        "format": STORE_FORMAT,
        "spec_hash": the_hash,
        "case_ids": [str(c) for c in frame["case_id"]],
    }
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), PART_METADATA_KEY: json.dumps(record).encode()}
    )
    dest = part_path(out, number)
    with atomic_output(dest) as tmp:
        pq.write_table(table, tmp, write_page_checksum=True)
    return dest


def _part_numbers(out: Path) -> list[int]:
    numbers = []
    for p in out.glob(PART_GLOB):
        try:
            numbers.append(int(p.stem.split("-")[1]))
        except (IndexError, ValueError):
            continue
    return numbers


@dataclass
class StoreState:
    """What :func:`verify_parts` found: the case ids already done and the parts moved aside."""

    done_ids: set[str] = field(default_factory=set)
    verified: list[Path] = field(default_factory=list)
    aside: list[tuple[Path, str]] = field(default_factory=list)
    next_part: int = 0


def _read_part(path: Path) -> tuple[Any, dict[str, Any] | None]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, page_checksum_verification=True)
    raw = (table.schema.metadata or {}).get(PART_METADATA_KEY)
    return table, (json.loads(raw) if raw else None)


def _problem(
    path: Path,
    the_hash: str,
    index_of: dict[str, int],
    seen: set[str],
) -> tuple[str | None, list[str]]:
    """Why a part cannot be kept (None when it verifies) and its case ids."""
    try:
        table, record = _read_part(path)
    except Exception as exc:
        return f"damaged ({' '.join(str(exc).split())[:160]})", []
    if record is None:
        return "foreign (no lilean sweep integrity record)", []
    if record.get("spec_hash") != the_hash:
        return f"from another spec (hash {record.get('spec_hash')}, this spec {the_hash})", []
    names = table.column_names
    if "case_id" not in names or "case_index" not in names:
        return "foreign (no case_id / case_index column)", []
    ids = [str(c) for c in table.column("case_id").to_pylist()]
    if ids != record.get("case_ids"):
        return "damaged (case ids differ from its integrity record)", []
    if len(set(ids)) != len(ids):
        return "damaged (a case id appears twice)", []
    indices = table.column("case_index").to_pylist()
    for cid, i in zip(ids, indices, strict=True):
        if index_of.get(cid) != i:
            return f"foreign (case {cid} at index {i} is not a case of this spec)", []
    dup = seen.intersection(ids)
    if dup:
        return f"duplicate ({len(dup)} cases already in another part)", []
    return None, ids


def verify_parts(
    out: Path,
    the_hash: str,
    index_of: dict[str, int],
    *,
    say: Callable[[str], None] | None = None,
) -> StoreState:
    """Verify every part of ``out`` (see the module docstring); move the ones that fail to
    ``out/_aside/`` with one line each through ``say``; return the ids that are done."""
    state = StoreState()
    parts = sorted(out.glob(PART_GLOB))
    for path in parts:
        reason, ids = _problem(path, the_hash, index_of, state.done_ids)
        if reason is None:
            state.done_ids.update(ids)
            state.verified.append(path)
            continue
        aside_dir = out / ASIDE
        aside_dir.mkdir(exist_ok=True)
        dest = aside_dir / path.name
        k = 1
        while dest.exists():
            dest = aside_dir / f"{path.stem}.{k}{path.suffix}"
            k += 1
        os.replace(path, dest)
        state.aside.append((dest, reason))
        if say is not None:
            say(f"{path.name}: {reason}; moved to {ASIDE}/{dest.name}, its cases are recomputed")
    numbers = _part_numbers(out) + [
        int(p.name.split("-")[1].split(".")[0])
        for p in (out / ASIDE).glob("part-*")
        if p.name.split("-")[1].split(".")[0].isdigit()
    ]
    state.next_part = max(numbers) + 1 if numbers else 0
    return state


def prepare_output(out: Path, spec: SweepSpec, the_hash: str, resume: bool) -> None:
    """Create / check the dataset folder and write the manifest."""
    from lilean.outputs import check_output_dir
    from lilean.schema import atomic_output

    check_output_dir(out, what="sweep folder")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; a sweep writes a folder of parts")
    parts = sorted(out.glob(PART_GLOB)) if out.exists() else []
    if parts and not resume:
        raise OutputError(f"{out}: already holds sweep results; pass --resume or choose a new path")
    out.mkdir(parents=True, exist_ok=True)
    legacy = out / LEGACY_MANIFEST
    if legacy.is_file():
        legacy.unlink()  # superseded by _sweep.json (pandas.read_parquet(OUT) chokes on it)
    with atomic_output(out / MANIFEST) as tmp:
        tmp.write_text(
            json.dumps(
                {
                    "format": STORE_FORMAT,
                    "spec": spec.to_dict(),
                    "spec_hash": the_hash,
                    "n_cases": spec.n_cases(),
                },
                indent=1,
                default=str,
            )
        )


def finished_case_ids(out: str | Path) -> set[str]:
    """Case ids in the readable parts of ``out`` (only the ``case_id`` column is read)."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for part in sorted(Path(out).glob(PART_GLOB)):
        try:
            ids.update(pq.read_table(part, columns=["case_id"]).column("case_id").to_pylist())
        except Exception:  # a damaged part holds no finished case (resume moves it aside)
            continue
    return ids


def load_results(path: str | Path) -> pd.DataFrame:
    """All rows of a sweep dataset folder, sorted by ``case_index`` (design order); refuses a
    folder with a damaged part or a case in two parts (``--resume`` repairs both)."""
    import pyarrow.parquet as pq

    path = Path(path)
    parts = sorted(path.glob(PART_GLOB))
    if not parts:
        raise SweepError(f"{path}: no {PART_GLOB} files; expected a sweep output folder")
    frames = []
    for p in parts:
        try:
            frames.append(pq.read_table(p).to_pandas())
        except Exception as exc:
            raise SweepError(
                f"{p}: damaged part ({' '.join(str(exc).split())[:160]}); "
                "rerun the sweep with --resume to recompute its cases"
            ) from None
    df = pd.concat(frames, ignore_index=True)
    if not df["case_id"].is_unique:
        n = int(df["case_id"].duplicated().sum())
        raise SweepError(
            f"{path}: {n} case ids appear in two parts; rerun the sweep with --resume to repair"
        )
    return df.sort_values("case_index", kind="stable").reset_index(drop=True)
