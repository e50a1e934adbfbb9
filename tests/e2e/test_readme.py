"""The README's commands work as printed: every input file they name exists (in the repository,
in ../shared/data, or written by an earlier README command), every command's --help runs, and
the quick ones run for real (in a scratch folder)."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
#: options (and the `params export` word) followed by a file the command writes
OUTPUT_OPTIONS = {"-o", "--out", "--plot", "--summary", "export"}
#: quick enough to run on every test run (seconds each)
QUICK = (
    "formats",
    "info",
    "convert",
    "analyze",
    "params show",
    "simulate nucleation",
    "xrd identify",
)


def _tool() -> ModuleType:
    """``tools/readme_examples.py``: the one parser of the README's usage section."""
    spec = importlib.util.spec_from_file_location(
        "readme_examples", REPO / "tools" / "readme_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> list[list[str]]:
    """The usage section's commands, up to the notebooks paragraph (the tool runs them all)."""
    text = (REPO / "README.md").read_text()
    return [shlex.split(c) for c in _tool().commands(text, until="Example notebooks")]


def test_the_tool_parses_commands_and_the_python_block_after_the_notebooks() -> None:
    """The tool reads the whole usage section (the Python block comes after the notebooks
    paragraph), only command lines of its code blocks (not prose that starts with "lilean "),
    and the test's cut at the notebooks paragraph loses no command."""
    tool = _tool()
    text = (REPO / "README.md").read_text()
    everything = tool.commands(text)
    assert [shlex.split(c) for c in everything] == _commands()
    assert len(everything) >= 20 and all(c.startswith("lilean ") for c in everything)
    assert not [c for c in everything if c.startswith("lilean is ")]
    assert text.index("Example notebooks") < text.index("```python")
    blocks = tool.python_blocks(text)
    assert blocks and "from lilean" in blocks[0]
    assert "```python" not in tool.usage_section(text, until="Example notebooks")


def _inputs(argv: list[str]) -> list[str]:
    """Arguments that name existing files (not outputs)."""
    found = []
    for k, arg in enumerate(argv[1:], start=1):
        if argv[k - 1] in OUTPUT_OPTIONS or arg.startswith("-"):
            continue
        if re.search(r"\.[A-Za-z0-9]{1,5}$", arg) and not re.match(r"^[\d.,]+$", arg):
            found.append(arg)
    return found


def _outputs(argv: list[str]) -> list[str]:
    return [argv[k + 1] for k, a in enumerate(argv[:-1]) if a in OUTPUT_OPTIONS]


def test_every_input_file_exists_or_is_written_before() -> None:
    written: set[str] = set()
    missing = []
    for argv in _commands():
        for name in _inputs(argv):
            if name in written:
                continue
            path = REPO / name
            if name.startswith("../shared/data") and not SHARED.is_dir():
                pytest.skip("no ../shared/data next to the repository")
            if not path.exists():
                missing.append(" ".join(argv))
        written |= set(_outputs(argv))
    assert not missing, f"README commands on files that do not exist: {missing}"


def _lilean(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lilean.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )  # fmt: skip


def test_every_command_has_help(tmp_path: Path) -> None:
    seen = set()
    for argv in _commands():
        words = [w for w in argv[1:3] if not w.startswith("-") and "/" not in w and "." not in w]
        group = (
            words[:2]
            if words and words[0] in {"simulate", "params", "eis", "plumes", "xrd"}
            else words[:1]
        )
        key = tuple(group)
        if key in seen:
            continue
        seen.add(key)
        proc = _lilean([*group, "--help"], tmp_path)
        assert proc.returncode == 0, (group, proc.stderr[-500:])


@pytest.mark.slow
def test_quick_commands_run_as_printed(tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip("no ../shared/data next to the repository")
    ran = 0
    for argv in _commands():
        if not any(" ".join(argv[1:]).startswith(q) for q in QUICK):
            continue
        args = [
            str(SHARED / a.removeprefix("../shared/data/")) if a.startswith("../shared/data") else
            str(REPO / a) if a.startswith("tests/data") else a
            for a in argv[1:]
        ]  # fmt: skip
        proc = _lilean(args, tmp_path)
        assert proc.returncode == 0, (" ".join(argv), proc.stderr[-800:])
        ran += 1
    assert ran >= 8
