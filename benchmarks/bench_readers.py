"""Benchmark: lilean's readers vs the fastest raw reader of each format, on the real files.

Usage::

    python benchmarks/bench_readers.py out.json [--repeats 5] [--quick]

Files: ``../shared/data`` (and its ``extern/``), else ``tests/data``; the largest files of each
format (``--quick``: one per format). lilean: ``lilean.io.read(path, strict=False)`` (canonical
table: units, cycle/step bookkeeping, capacities, hash). References, each on its fastest documented
path and returning its own native table: galvani ``MPRfile(...).data`` (numpy record array) for
BioLogic .mpr; fastnda ``read`` (polars) and NewareNDA ``read`` for Neware .nda/.ndax;
python-calamine ``CalamineWorkbook ... to_python()`` of the data sheet for .xlsx; pyarrow
``csv.read_csv`` for text exports it can parse (a table whose every line is wrapped in quotes
with its quotes removed first: parsed as it stands, it would be one column of text);
access-parser ``parse_table`` of ``Channel_Normal_Table`` (dict of lists) for Arbin .res (the only MS Access reader installed:
no mdbtools). Each row states what each side produces (``lilean_produces``,
``reference_produces``); the CPU-time ratio (``cpu_ratio``, this process and its threads) is the
one to quote on a shared machine. The row's ratio is against the *fastest* of the
references (alternating runs of lilean and that reference; median and range).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _protocol import alternate, common_args, row, write

from lilean.testing.data import data_dir

DATA = data_dir()  # the real files, through the registry (../shared/data or LILEAN_DATA_DIR)

FILES = [
    "biologic/biol.mpr",
    "biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "extern/neware/2-1-6_61[07005012].nda",
    "neware/TestFile.nda",
    "neware/nw4-120-6-1-36.ndax",
    "neware/neware_uio.csv",
    "neware/nw_regular_export_ife_example.csv",
    "land/custom_data_002.xlsx",
    "arbin/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
    "arbin/arbin_example.csv",
    "extern/arbin/aux_one_x_dx.res",
    "extern/maccor/PredictionDiagnostics_000109_tztest.010",
    "extern/novonix/test_Nova_Form-CH01-01_short.csv",
]
QUICK = {
    "biologic/biol.mpr",
    "neware/nw4-120-6-1-36.ndax",
    "neware/neware_uio.csv",
    "land/custom_data_002.xlsx",
}


def ref_galvani(path: Path) -> Any:
    from galvani import BioLogic

    return BioLogic.MPRfile(str(path)).data


def ref_fastnda(path: Path) -> Any:
    import fastnda

    return fastnda.read(path)


def ref_newarenda(path: Path) -> Any:
    import NewareNDA

    return NewareNDA.read(str(path))


def ref_calamine(path: Path) -> Callable[[], Any]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    sizes = {n: wb.get_sheet_by_name(n).height for n in wb.sheet_names}
    sheet = max(sizes, key=lambda n: sizes[n])  # the data sheet: the largest

    def read() -> Any:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()

    return read


def ref_access_parser(path: Path) -> Any:
    """access-parser (pure Python, the only MS Access reader installed; no mdbtools): the
    record table of an Arbin .res as its native dict of column lists."""
    from access_parser import AccessParser

    return AccessParser(str(path)).parse_table("Channel_Normal_Table")


def _header_line(path: Path, marker: str) -> int:
    """0-based index of the first line starting with ``marker`` (the column header of a text
    export with a metadata block above it), else 0."""
    with open(path, encoding="latin-1") as fh:
        for k, line in enumerate(fh):
            if line.startswith(marker):
                return k
            if k > 500:
                break
    return 0


def ref_pyarrow_csv(path: Path, *, delimiter: str = ",", skip_rows: int = 0) -> Any:
    from pyarrow import csv

    return csv.read_csv(
        path,
        read_options=csv.ReadOptions(encoding="latin-1", skip_rows=skip_rows),
        parse_options=csv.ParseOptions(delimiter=delimiter),
    )


def ref_pyarrow_unwrapped_csv(path: Path, *, skip_rows: int) -> Any:
    """pyarrow's CSV parse of a table whose lines are each wrapped in one pair of quotes (a
    Novonix export as some tools write it: ``"2022-04-11 10:58:07 AM,1,0,..."``), from 0-based
    line ``skip_rows`` on (the lines :func:`ref_pyarrow_csv` would skip): the file's bytes from
    that line, the quotes removed (one C pass), then parsed. Parsed as it stands, such a table
    is one column of text per line, which is not the work of reading it."""
    import pyarrow as pa
    from pyarrow import csv

    raw = path.read_bytes()
    start = 0
    for _ in range(skip_rows):
        start = raw.index(b"\n", start) + 1
    return csv.read_csv(
        pa.BufferReader(raw[start:].replace(b'"', b"")),
        read_options=csv.ReadOptions(encoding="latin-1"),
    )


def _wrapped_line(path: Path, index: int) -> bool:
    """Whether 0-based line ``index`` is one quoted field holding commas (``"a,b,c"``)."""
    with open(path, encoding="latin-1") as fh:
        for k, line in enumerate(fh):
            if k == index:
                text = line.strip()
                return len(text) > 1 and text[0] == text[-1] == '"' and "," in text
    return False


#: what lilean's side does beyond the raw reader (printed with each row: where lilean is below
#: 1.0x, this is the work the raw reader does not do)
EXTRA_WORK = (
    "lilean also: the file's stat record for its sha256 (provenance; the hash itself is taken on "
    "first use of the stamp, or during the read for a file written < 5 s before), plausibility "
    "checks of V/I/t, the "
    "canonical table (units, renumbered cycles/steps, step types, per-cycle capacities from the "
    "current and from the vendor counter, their cross-check), schema validation"
)
RECORD_CHECKS = "; record cross-checks of this checksum-less binary (issue 17)"

#: what each side returns (the row's ``lilean_produces`` / ``reference_produces``)
LILEAN_PRODUCES = (
    "CyclingData: the canonical pandas table (time, voltage, current, cycle, step, step type, "
    "charge/discharge capacity, vendor capacities, temperature where present) and its "
    "Metadata (sha256 of the file on first use, units found, anomalies, header fields)"
)
REFERENCE_PRODUCES = {
    "galvani": "numpy record array of the data module (a view over the file's bytes)",
    "fastnda": "polars DataFrame of the records (fastnda columns, cycle numbers, float32 V/I)",
    "NewareNDA": "pandas DataFrame of the records",
    "python-calamine": "Python lists of the data sheet's cell values",
    "pyarrow.csv": "Arrow table, column types inferred (text as strings; a table whose every "
    "line is wrapped in quotes unwrapped first)",
    "access-parser": "dict of Python lists (Channel_Normal_Table only)",
}


def references(path: Path) -> list[tuple[str, Callable[[], Any]]]:
    ext = path.suffix.lower()
    if ext == ".mpr":
        return [("galvani", lambda: ref_galvani(path))]
    if ext in (".nda", ".ndax"):
        return [("fastnda", lambda: ref_fastnda(path)), ("NewareNDA", lambda: ref_newarenda(path))]
    if ext == ".res":
        return [("access-parser", lambda: ref_access_parser(path))]
    if ext == ".xlsx":
        return [("python-calamine", ref_calamine(path))]
    if ext == ".csv":
        skip = _header_line(path, "[Data]")
        skip = skip + 1 if skip else 0  # Novonix: the table starts below "[Data]"
        if skip and _wrapped_line(path, skip):
            return [("pyarrow.csv", lambda: ref_pyarrow_unwrapped_csv(path, skip_rows=skip))]
        return [("pyarrow.csv", lambda: ref_pyarrow_csv(path, skip_rows=skip))]
    if ext[1:].isdigit():  # Maccor text export (.001, .010, ...): tab-separated below a title
        skip = _header_line(path, "Rec#")
        return [("pyarrow.csv", lambda: ref_pyarrow_csv(path, delimiter="\t", skip_rows=skip))]
    return []


def extra_work(path: Path) -> str:
    ext = path.suffix.lower()
    return EXTRA_WORK + (RECORD_CHECKS if ext in (".mpr", ".nda", ".ndax") else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=5)
    args = parser.parse_args(argv)
    from lilean import io

    rows = []
    for rel in FILES:
        if args.quick and rel not in QUICK:
            continue
        path = DATA / rel
        if not path.exists():
            print(f"skip {rel}: not in {DATA}")
            continue
        data = io.read(path, strict=False)
        n = len(data)

        def ours(p: Path = path) -> Any:
            return io.read(p, strict=False)

        usable = []
        notes = []
        for name, fn in references(path):
            try:
                fn()
                usable.append((name, fn))
            except Exception as exc:  # a reference that cannot parse this file is reported
                notes.append(f"{name} fails: {type(exc).__name__}")
        label = f"read {rel} ({n:,} rows, {data.meta.file_format})"
        if not usable:
            none = "no raw reader installed" + (f" ({'; '.join(notes)})" if notes else "")
            rows.append(
                row(
                    label,
                    "warm",
                    [_t(ours) for _ in range(args.repeats)],
                    none,
                    None,
                    "-",
                    lilean_does=extra_work(path),
                    lilean_produces=LILEAN_PRODUCES,
                )
            )
            continue
        # the fastest reference (a short pre-run of each), then alternating runs against it
        pre = {name: min(_t(fn) for _ in range(2)) for name, fn in usable}
        best = min(pre, key=lambda k: pre[k])
        fn = dict(usable)[best]
        a, b = alternate(ours, fn, args.repeats)
        others = ", ".join(f"{k} {v:.3g} s" for k, v in pre.items() if k != best)
        other = others + (f"; {'; '.join(notes)}" if notes else "")
        produces = REFERENCE_PRODUCES.get(best, "")
        native = fn()
        if best == "pyarrow.csv" and getattr(native, "num_columns", 2) == 1:
            # e.g. beep's Novonix file wraps every line in quotes: one text field per line
            produces += "; here ONE text column (each line is one quoted field): not the table"
        rows.append(
            row(
                label,
                "warm",
                a,
                best,
                b,
                "same file, full table",
                other_references=other,
                lilean_does=extra_work(path),
                lilean_produces=LILEAN_PRODUCES,
                reference_produces=produces,
            )
        )
    write(args.output, rows, data_dir=str(DATA))
    below = [r for r in rows if r["ratio"] is None or r["ratio"] < 1.0]
    if below:
        print(f"\nrows below 1.0x (or without a raw reader): {len(below)}; {EXTRA_WORK}")
        print(f"  .mpr/.nda/.ndax rows{RECORD_CHECKS}")
    return 0


def _t(fn: Callable[[], Any]) -> float:
    import time

    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
