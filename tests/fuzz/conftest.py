"""Helpers of the fuzz suite: run the real CLI entry point in-process and check its invariants.

``run_cli`` calls :func:`lilean.cli.main` (the console-script entry point, so usage errors and the
top-level handler are exercised exactly as a user meets them) with stdout/stderr captured.
``assert_clean`` is the contract every fuzz case must meet: exit 0, or exit 2 (3 for a failed fit)
with exactly one line ``error: ...`` on stderr and no traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: a case that takes longer than this is a hang for the fuzz suite (bounded time)
CASE_TIME_LIMIT_S = 30.0
#: run every corruption of every file (LILEAN_FUZZ_FULL=1), not the deterministic CI sample
FULL = os.environ.get("LILEAN_FUZZ_FULL") == "1"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    seconds: float


def run_cli(args: list[str]) -> CliResult:
    from lilean.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue(), time.perf_counter() - t0)


def assert_clean(res: CliResult, args: list[str], *, allowed: tuple[int, ...] = (0, 2)) -> None:
    """Exit 0, or one clean line; never a traceback; bounded time."""
    where = f"lilean {' '.join(args)}"
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, where + res.stderr
    assert res.code in allowed, f"{where}: exit {res.code}: {res.stderr}"
    assert res.seconds < CASE_TIME_LIMIT_S, f"{where}: {res.seconds:.1f} s"
    if res.code != 0:
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], f"{where}: {res.stderr!r}"
        assert len(errors[0]) < 1000, where


def digest(path: Path) -> tuple[str, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns


def no_temporaries(folder: Path) -> list[Path]:
    """Leftover temporary files of the atomic writer (``.NAME.XXXX.part``)."""
    return [p for p in folder.rglob(".*.part")]


@pytest.fixture
def cli_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own: relative outputs land here and nowhere else."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
