"""How many single-bit flips the readers of checksum-less binaries see (not a test: a study).

    PYTHONPATH=$PWD/src python -m tests.fuzz.flip_study [N]

For each .mpr / .nda file of the data folder, N (default 60) seeded single-bit flips in the last
three quarters of the file, each read with ``lilean.io.read``: refused (one clean error), the same
table as the intact file (the bit sits in a field lilean does not read), or an undetected change
(with the largest relative change per column). The numbers are quoted in docs/reliability.md.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from lilean import io
from lilean.errors import FileFormatError
from lilean.schema import CURRENT, CYCLE, STEP, TIME, VOLTAGE
from lilean.testing.data import data_dir

FILES = (
    "biologic/biol.mpr",
    "biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "neware/TestFile.nda",
    "extern/neware/nda_v22.nda",
    "extern/neware/2-1-6_61[07005012].nda",
)


def study(name: str, n: int, folder: Path) -> str:
    src = data_dir() / name
    raw = src.read_bytes()
    intact = io.read(src, strict=False)
    outcome: collections.Counter[str] = collections.Counter()
    worst: dict[str, float] = {}
    rng = np.random.default_rng(7)
    for _ in range(n):
        buf = bytearray(raw)
        k = int(rng.integers(len(raw) // 4, len(raw)))
        buf[k] ^= 1 << int(rng.integers(0, 8))
        copy = folder / src.name
        copy.write_bytes(bytes(buf))
        try:
            got = io.read(copy, strict=False)
        except FileFormatError:
            outcome["refused"] += 1
            continue
        if len(got) != len(intact):
            outcome["rows differ"] += 1
            continue
        changed = False
        for col in (TIME, VOLTAGE, CURRENT, CYCLE, STEP):
            a = intact.data[col].to_numpy(dtype=float)
            b = got.data[col].to_numpy(dtype=float)
            if not np.array_equal(a, b, equal_nan=True):
                changed = True
                rel = float(np.nanmax(np.abs(b - a) / np.maximum(np.abs(a), 1e-9)))
                worst[col] = max(worst.get(col, 0.0), rel)
        outcome["undetected change" if changed else "same table"] += 1
    cols = ", ".join(f"{c} up to {v:.1g}" for c, v in worst.items())
    return f"{name}: {dict(outcome)}" + (f"; largest relative change: {cols}" if cols else "")


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 60
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        for name in FILES:
            if (data_dir() / name).is_file():
                print(study(name, n, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
