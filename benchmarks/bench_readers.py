"""File reading (and summarising) throughput: lilean's readers vs the reference reader, same file.

For the largest real file of each format: lilean ``io.read`` (+ ``cycle_summary``) against the
reference reader a researcher would otherwise use (galvani for BioLogic .mpr, NewareNDA for Neware
.nda/.ndax, pandas+openpyxl for LAND/Arbin Excel exports, pandas.read_csv for CSV exports).
ratio = reference_s / lilean_s (> 1: lilean is faster). Best of 3 wall-clock runs.

    python benchmarks/bench_readers.py out.json
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lilean.testing.data import data_dir

DATA = data_dir()  # the real files, through the registry (../shared/data or LILEAN_DATA_DIR)


def best_of(func: Callable[[], Any], n: int = 3) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def ref_galvani(path: Path) -> Any:
    import pandas as pd
    from galvani import BioLogic

    return pd.DataFrame(BioLogic.MPRfile(str(path)).data)


def ref_newarenda(path: Path) -> Any:
    import NewareNDA

    return NewareNDA.read(str(path))


def ref_excel(sheet: str | int) -> Callable[[Path], Any]:
    def read(path: Path) -> Any:
        import pandas as pd

        return pd.read_excel(path, sheet_name=sheet, engine="openpyxl")

    return read


def ref_csv(path: Path) -> Any:
    import pandas as pd

    return pd.read_csv(path, encoding="latin-1", low_memory=False)


CASES: list[tuple[str, str, Callable[[Path], Any] | None]] = [
    ("biologic/biol.mpr", "galvani", ref_galvani),
    ("biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr", "galvani", ref_galvani),
    ("neware/TestFile.nda", "NewareNDA", ref_newarenda),
    ("neware/nw4-120-6-1-36.ndax", "NewareNDA", ref_newarenda),
    ("neware/neware_uio.csv", "pandas.read_csv", ref_csv),
    ("land/custom_data_002.xlsx", "pandas.read_excel(openpyxl)", ref_excel("Record-Tab")),
    (
        "arbin/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
        "pandas.read_excel(openpyxl)",
        ref_excel(1),
    ),
    ("arbin/arbin_example.res", "none installed", None),
    ("maccor/PredictionDiagnostics_000151_test.052", "none installed", None),
]


def main(out: Path) -> None:
    from lilean import io
    from lilean.analysis.cycling import cycle_summary

    rows = []
    for rel, ref_name, ref in CASES:
        path = DATA / rel
        data = io.read(path, strict=False)
        n = len(data)
        ours = best_of(lambda p=path: io.read(p, strict=False))
        ours_summary = best_of(lambda p=path: cycle_summary(io.read(p, strict=False)))
        ref_s = best_of(lambda p=path, f=ref: f(p)) if ref else None
        rows.append(
            {
                "benchmark": f"read {rel} ({n} rows, {data.meta.file_format})",
                "rows": n,
                "lilean_s": ours,
                "lilean_rows_per_s": n / ours,
                "lilean_read_and_summary_s": ours_summary,
                "reference": ref_name,
                "reference_s": ref_s,
                "ratio": (ref_s / ours) if ref_s else None,
            }
        )
        print(
            f"{rel}: lilean {ours:.3f} s ({n / ours:,.0f} rows/s; +summary {ours_summary:.3f} s)"
            + (f", {ref_name} {ref_s:.3f} s, ratio {ref_s / ours:.2f}" if ref_s else "")
        )
    out.write_text(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench_readers.json"))
