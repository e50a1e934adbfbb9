"""Seeded corruptions of every real file in the data folder through ``lilean info`` / ``convert``.

Corruptions: truncation (50 % and 90 %), byte flips, a zeroed block, appended garbage, and a
re-encoding (UTF-16 for text files; for binaries, the bytes as latin-1 re-encoded to UTF-8). Each
case must end as one clean error line (exit 2) or a result that is whole: valid JSON, a Parquet
file that reads back. The input is never modified and no temporary file is left behind.

CI samples two corruptions per file deterministically (the file's position rotates through the
list); ``LILEAN_FUZZ_FULL=1`` runs every corruption of every file through both commands.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from lilean.testing.data import data_dir
from tests.fuzz.conftest import FULL, assert_clean, digest, no_temporaries, run_cli

DATA = data_dir()  # the real files, through the registry (../shared/data or LILEAN_DATA_DIR)
SKIP_SUFFIXES = {".md", ".tsv", ".json", ".py", ".txt~"}
FILES = sorted(
    p.relative_to(DATA).as_posix()
    for p in DATA.rglob("*")
    if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES and "LICENSES" not in p.parts
)
TEXT_SUFFIXES = {".csv", ".txt", ".mpt", ".dta", ".par", ".z", ".yml", ".xy", ".001", ".052"}
KINDS = ("truncate50", "truncate90", "flip", "zero", "append", "reencode")


def corrupt(raw: bytes, kind: str, seed: int, text: bool) -> bytes:
    rng = np.random.default_rng(seed)
    n = len(raw)
    if kind == "truncate50":
        return raw[: n // 2]
    if kind == "truncate90":
        return raw[: int(n * 0.9)]
    if kind == "flip":
        buf = bytearray(raw)
        for k in rng.integers(0, n, size=max(8, n // 2000)):
            buf[int(k)] ^= 1 << int(rng.integers(0, 8))
        return bytes(buf)
    if kind == "zero":
        buf = bytearray(raw)
        start = int(n * 0.4)
        buf[start : start + min(4096, n // 4)] = bytes(min(4096, n // 4))
        return bytes(buf[:n])
    if kind == "append":
        return raw + rng.integers(0, 256, size=1024, dtype=np.uint8).tobytes()
    if kind == "reencode":
        if text:
            return raw.decode("utf-8", errors="replace").encode("utf-16")
        return raw.decode("latin-1").encode("utf-8")
    raise AssertionError(kind)


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for i, name in enumerate(FILES):
        kinds = KINDS if FULL else (KINDS[i % len(KINDS)], KINDS[(i + 3) % len(KINDS)])
        for j, kind in enumerate(kinds):
            commands = ("info", "convert") if FULL else (("info", "convert")[j % 2],)
            cases.extend((name, kind, cmd) for cmd in commands)
    return cases


CASES = _cases()
# Exit 0 for a corrupted binary read "as if whole" (rows lost mid-file, implausible values) is the
# readers' integrity work in progress in parallel (issue 17, readers helper): such cases xfail
# with this reason instead of passing silently; tracebacks, multi-line errors or inputs written
# always fail.
READERS_WORK = (
    "corrupt binary read as whole: plausibility/truncation checks are the readers' work (issue 17)"
)


def _plausible(info: dict[str, object]) -> bool:
    v = info.get("voltage_range_V") or [0.0, 0.0]
    i = info.get("current_range_A") or [0.0, 0.0]
    h = info.get("duration_h")
    vals = [*v, *i] + ([h] if isinstance(h, (int, float)) else [])  # type: ignore[list-item]
    if any(x is None or not math.isfinite(float(x)) for x in vals):
        return False
    return -20 <= v[0] <= v[1] <= 20 and -1e3 <= i[0] <= i[1] <= 1e3 and 0 <= float(h) < 1e5  # type: ignore[arg-type, index]


@pytest.mark.parametrize(("name", "kind", "command"), CASES, ids=lambda x: str(x))
def test_corrupted_copy_ends_clean(
    name: str, kind: str, command: str, data_dir: Path, cli_tmp: Path
) -> None:
    src = data_dir / name
    if not src.is_file():
        pytest.skip(f"{name}: not in the data folder")
    seed = int(hashlib.sha256(f"{name}:{kind}".encode()).hexdigest()[:8], 16)
    text = src.suffix.lower() in TEXT_SUFFIXES
    bad = cli_tmp / f"corrupt_{src.name}"
    bad.write_bytes(corrupt(src.read_bytes(), kind, seed, text))
    for side in src.parent.glob(f"{src.stem}_Metadata.csv"):  # the sidecar travels with its file
        shutil.copy(side, cli_tmp / f"corrupt_{side.name}")
    before = {p.name: digest(p) for p in cli_tmp.iterdir()}
    out = cli_tmp / "out.parquet"
    args = (
        ["info", str(bad), "--json"] if command == "info" else ["convert", str(bad), "-o", str(out)]
    )
    res = run_cli(args)
    assert_clean(res, args)
    assert {p.name: digest(p) for p in cli_tmp.iterdir() if p.name in before} == before
    assert not no_temporaries(cli_tmp)
    if res.code != 0:
        assert not out.exists()
        return
    if command == "info":
        info = json.loads(res.stdout)
        assert info["rows"] >= 1
        if not _plausible(info):
            pytest.xfail(READERS_WORK)
    else:
        from lilean.schema import CyclingData

        table = CyclingData.from_parquet(out)  # whole: it reads back
        assert len(table) >= 1
    if kind.startswith("truncate") and not text:
        original = run_cli(["info", str(src), "--json"])
        if original.code == 0 and command == "info":
            rows = json.loads(original.stdout)["rows"]
            notes = " ".join(map(str, info.get("notes", []) + info.get("anomalies", [])))  # type: ignore[operator]
            if info["rows"] < rows and "trunc" not in notes.lower():
                pytest.xfail(READERS_WORK)


def test_over_long_field_and_peak_memory_are_bounded(data_dir: Path, cli_tmp: Path) -> None:
    """A CSV with a 300 kB field is one line naming the file; reading the largest real file with
    garbage appended keeps the process's peak resident memory bounded (< 3 GiB)."""
    import resource

    long = cli_tmp / "long.csv"
    long.write_text('Time [s],Voltage [V],Current [A]\n0,3.0,0.001\n1,"' + "x" * 300_000 + '",0\n')
    res = run_cli(["info", str(long)])
    assert_clean(res, ["info", str(long)])
    assert res.code == 2 and "long.csv" in res.stderr
    largest = max(
        (data_dir / n for n in FILES if (data_dir / n).is_file()), key=lambda p: p.stat().st_size
    )
    bad = cli_tmp / f"big_{largest.name}"
    bad.write_bytes(largest.read_bytes() + bytes(1 << 20))
    res = run_cli(["info", str(bad), "--json"])
    assert_clean(res, ["info", str(bad)])
    peak_GiB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    assert peak_GiB < 3.0, f"peak RSS {peak_GiB:.2f} GiB"
