#!/usr/bin/env python3
"""Set-up and task runner that needs nothing but Python 3 (no make, no pre-installed packages).

    python3 make.py demo    # create .venv, install lilean, reproduce the study in silico -> report/
    python3 make.py test    # create .venv, install lilean[dev], run ruff, mypy and the whole test suite
    python3 make.py bench   # benchmarks (ratios against PyBaMM and the reference readers)

The virtual environment is reused while pyproject.toml is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".lilean-installed"
LINT_PATHS = ["src", "tests", "benchmarks", "calibration", "make.py"]


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _create_venv() -> None:
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        # Debian's python3 ships venv/ensurepip separately.
        if shutil.which("apt-get") and os.geteuid() == 0:
            _run("apt-get", "update", "-q")
            major_minor = f"{sys.version_info.major}.{sys.version_info.minor}"
            _run("apt-get", "install", "-y", "-q", "python3-venv", f"python{major_minor}-venv")
        else:
            sys.exit("python3 cannot create virtual environments: install python3-venv")
    _run(sys.executable, "-m", "venv", VENV)


def ensure_env() -> None:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        _create_venv()
    _run(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    _run(BIN / "python", "-m", "pip", "install", "-q", "-e", ".[all,dev]")
    STAMP.write_text(digest)


def demo(args: list[str]) -> None:
    ensure_env()
    data = os.environ.get("LILEAN_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    _run(BIN / "lilean", "reproduce", "--out", "report", "--data-dir", data, *args)


def test(args: list[str]) -> None:
    ensure_env()
    _run(BIN / "ruff", "check", *LINT_PATHS)
    _run(BIN / "ruff", "format", "--check", *LINT_PATHS)
    _run(BIN / "mypy")
    _run(BIN / "python", "-m", "pytest", "-n", "2", *args)


def bench(args: list[str]) -> None:
    ensure_env()
    _run(BIN / "python", "benchmarks/run_benchmarks.py", *args)


TASKS = {"demo": demo, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 make.py {{{'|'.join(TASKS)}}} [args...]")
    TASKS[sys.argv[1]](sys.argv[2:])
