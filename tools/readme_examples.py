#!/usr/bin/env python3
"""Run every usage example of README.md as printed, from a fresh shell, and report what fails.

Each ``lilean ...`` line of the README's "Usage" section (and each ``python`` block there) runs
in a new ``bash`` that first sources the virtual environment's ``activate`` script, as the
README tells a new user to do, in a scratch folder laid out like the repository (``tests/``
and ``examples/`` linked, ``../shared`` linked to the real one), so the examples' relative paths
resolve and their outputs never land in the repository. Commands run in README order (later ones
read what earlier ones wrote: ``run.parquet``, ``fitted.toml``, ``dataset/``).

    python3 tools/readme_examples.py                       # .venv of the repository
    python3 tools/readme_examples.py --venv /path/to/venv --only "simulate cycling" --only fit

Exit status 1 when any example fails (its last stderr line is printed).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def usage_section(readme: str, until: str | None = None) -> str:
    """The README's "## Usage" section (up to the next level-2 heading), cut before the first
    ``until`` text when given (``tests/e2e/test_readme.py`` stops at the notebooks paragraph)."""
    text = readme[readme.index("## Usage") :]
    end = text.find("\n## ", 3)
    text = text if end < 0 else text[:end]
    if until is not None:
        text = text[: text.index(until)]
    return text


def commands(readme: str, until: str | None = None) -> list[str]:
    """The ``lilean ...`` commands of the usage section, in order: lines of its indented code
    blocks (4 spaces; prose such as "lilean is BSD-3-Clause" is not a command), ``;`` splitting a
    line, ``  #`` starting a comment."""
    out = []
    for raw in usage_section(readme, until).splitlines():
        if not raw.startswith("    lilean "):
            continue
        for part in raw.strip().split(";"):
            part = part.split("  #")[0].strip()
            if part.startswith("lilean "):
                out.append(part)
    return out


def python_blocks(readme: str) -> list[str]:
    """The ```` ```python ```` blocks of the usage section."""
    blocks, inside, current = [], False, []
    for line in usage_section(readme).splitlines():
        if line.strip() == "```python":
            inside, current = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append("\n".join(current) + "\n")
        elif inside:
            current.append(line)
    return blocks


def scratch(base: Path) -> Path:
    """``base/repo`` with ``tests`` and ``examples`` linked, ``base/shared`` -> the real one."""
    repo = base / "repo"
    repo.mkdir()
    for name in ("tests", "examples"):
        (repo / name).symlink_to(ROOT / name)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (base / "shared").symlink_to(shared)
    return repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--only", action="append", default=[], help="run commands containing this")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per example")
    args = parser.parse_args(argv)
    activate = args.venv / "bin" / "activate"
    if not activate.is_file():
        print(f"readme_examples: {activate} not found (python3 make.py test creates .venv)")
        return 2
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = [(c, c) for c in commands(readme)]
    examples += [(f"python block {k + 1}", b) for k, b in enumerate(python_blocks(readme))]
    if args.only:
        examples = [(n, c) for n, c in examples if any(o in n for o in args.only)]
    failed = []
    with tempfile.TemporaryDirectory(prefix="lilean-readme-") as tmp:
        repo = scratch(Path(tmp))
        for name, code in examples:
            if name.startswith("python block"):
                script = repo / "example.py"
                script.write_text(code)
                code = "python example.py"
            line = f". {shlex.quote(str(activate))} && {code}"
            t0 = time.monotonic()
            try:
                proc = subprocess.run(
                    ["bash", "-c", line], cwd=repo, capture_output=True, text=True,
                    timeout=args.timeout,
                )  # fmt: skip
                rc, err = proc.returncode, proc.stderr.strip()
            except subprocess.TimeoutExpired:
                rc, err = 124, f"timed out after {args.timeout:g} s"
            print(f"{time.monotonic() - t0:7.1f} s  rc={rc}  {name[:100]}", flush=True)
            if rc != 0:
                failed.append(name)
                print(f"           {err.splitlines()[-1] if err else '(no stderr)'}")
    print(f"readme_examples: {len(examples) - len(failed)}/{len(examples)} ran", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
