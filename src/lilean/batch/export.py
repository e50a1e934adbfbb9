"""Export of per-cycle summaries: CSV, Parquet or Excel, chosen by the suffix."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lilean.errors import OutputError

SUMMARY_SUFFIXES = (".csv", ".parquet", ".xlsx")


def summary_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """The per-cycle table of an analysis result dict (:func:`lilean.api.analyze_data`):
    ``table`` (cycling), ``cycles`` (symmetric), ``rate_table`` (rate) or the scalars (deposition)
    as one row."""
    if isinstance(result.get("table"), Mapping):
        return pd.DataFrame(result["table"])
    if isinstance(result.get("cycles"), list):
        return pd.DataFrame(result["cycles"])
    if isinstance(result.get("rate_table"), Mapping):
        frame = pd.DataFrame(result["rate_table"])
        if "Cycles" in frame:
            frame["Cycles"] = frame["Cycles"].map(lambda c: " ".join(str(x) for x in c))
        return frame
    scalars = {k: v for k, v in result.items() if not isinstance(v, (list, dict))}
    return pd.DataFrame([scalars])


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (.csv, .parquet or .xlsx) atomically; refuses other suffixes
    and anything that exists and is not a regular file."""
    from lilean.schema import atomic_output

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUMMARY_SUFFIXES:
        raise OutputError(f"{path}: a summary must end in one of {', '.join(SUMMARY_SUFFIXES)}")
    if path.exists() and not path.is_file():
        raise OutputError(f"{path}: exists and is not a regular file")
    with atomic_output(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                frame.to_excel(writer, index=False, sheet_name="summary")
    return path


def write_summary(result: Mapping[str, Any], path: str | Path) -> Path:
    """Write the per-cycle summary of ``result`` to ``path`` (suffix picks the format); refuses
    to overwrite the analysed file."""
    source = result.get("file")
    if source and Path(str(source)).resolve() == Path(path).resolve():
        raise OutputError(f"{path}: refusing to overwrite the input file")
    return write_frame(summary_frame(result), path)
