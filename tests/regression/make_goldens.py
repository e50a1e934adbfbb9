"""Write the golden outputs of every simulated experiment (see ``golden_cases.py``).

    PYTHONPATH=src python tests/regression/make_goldens.py            # writes only missing cases
    PYTHONPATH=src python tests/regression/make_goldens.py --force    # overwrite all
    PYTHONPATH=src python tests/regression/make_goldens.py --force cycling_cu rate_cu
    PYTHONPATH=src python tests/regression/make_goldens.py --list

Refuses to overwrite an existing golden without ``--force``: a golden changes only when a commit
changes a number on purpose.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from golden_cases import CASES, GOLDENS


def write_case(name: str) -> Path:
    tables, scalars = CASES[name]()
    folder = GOLDENS / name
    tmp = GOLDENS / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table_name, frame in tables.items():
        frame.reset_index(drop=True).to_parquet(
            tmp / f"{table_name}.parquet", compression="zstd", index=False
        )
    (tmp / "scalars.json").write_text(json.dumps(scalars, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--force", action="store_true", help="overwrite existing goldens")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(CASES))
        return 0
    names = args.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s) {unknown}; expected some of {list(CASES)}", file=sys.stderr)
        return 2
    existing = [n for n in names if (GOLDENS / n).exists()]
    if existing and not args.force:
        print(
            f"goldens exist for {existing}; pass --force to overwrite "
            "(only when a number changes on purpose)",
            file=sys.stderr,
        )
        return 2
    for n in names:
        print(f"wrote {write_case(n)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
