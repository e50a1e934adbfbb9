"""The CLI loads its command modules lazily (``lilean.cli.main``), and nothing is lost by it.

- ``lilean --help`` (and ``lilean`` alone) imports no command module and none of the heavy
  libraries, nor typer (checked in a fresh interpreter; start-up time itself is a benchmark,
  ``benchmarks/bench_startup.py``, never a timed assertion here), and prints what click renders;
- :data:`lilean.cli.COMMANDS` (names, order, help, modules) matches the full app;
- every command's, group's and subcommand's ``--help`` through the lazy path, in a fresh
  interpreter, is the same text as through the full app and loads none of the heavy libraries
  (pydantic included).
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
HEAVY = ("pandas", "pyarrow", "pydantic", "scipy", "numba", "numpy", "matplotlib", "dask")
ENV = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "COLUMNS": "80", "LANG": "C.UTF-8"}


def _fresh(args: list[str]) -> dict[str, Any]:
    """Run ``lilean.cli.main(args)`` in a fresh interpreter: its stdout, exit code and the
    lilean.cli / heavy modules it imported."""
    code = (
        "import sys, json, io, contextlib\n"
        "from lilean.cli import main\n"
        "buf = io.StringIO()\n"
        "rc = 0\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit as exc:\n"
        "        rc = exc.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "cli = sorted(m for m in sys.modules if m.startswith('lilean.cli.'))\n"
        "typer = 'typer' in sys.modules\n"
        "print(json.dumps({'out': buf.getvalue(), 'rc': rc, 'heavy': heavy, 'cli': cli, "
        "'typer': typer}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _full_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    import lilean.cli as cli

    _ = cli.app  # every module imported
    with pytest.raises(SystemExit) as exc:
        cli.main(args)
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("args", [["--help"], []])
def test_overview_imports_no_command_module_and_no_heavy_library(args: list[str]) -> None:
    import lilean.cli as cli

    got = _fresh(args)
    assert got["heavy"] == [] and got["cli"] == [] and not got["typer"]
    assert got["out"] == cli.OVERVIEW_HELP
    assert got["rc"] == (0 if args else 2)  # `lilean` alone: help and the usage-error status


def _typer_render(args: list[str], capsys: pytest.CaptureFixture[str], full: bool = False) -> str:
    """What click renders for ``args`` through the typer path (no pre-rendered overview): the
    lazy overview group, or (``full``) the real tree with every command module imported."""
    import typer

    import lilean.cli as cli

    if full:
        _ = cli.app
    tree = cli._command() if full else cli._command_for(args)
    try:
        tree.main(args=args, prog_name="lilean", standalone_mode=False)
    except typer.Exit:
        pass
    return capsys.readouterr().out


@pytest.mark.parametrize("full", [False, True])
def test_pre_rendered_overview_is_what_click_renders(
    full: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At >= 80 columns (and on a pipe) the overview is the full app's help, word for word."""
    import lilean.cli as cli

    monkeypatch.setenv("COLUMNS", "80")
    assert _typer_render(["--help"], capsys, full) == cli.OVERVIEW_HELP
    monkeypatch.setenv("COLUMNS", "120")
    assert _typer_render(["--help"], capsys, full) == cli.OVERVIEW_HELP


def test_narrow_terminal_falls_back_to_click(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lilean.cli as cli

    monkeypatch.setenv("COLUMNS", "60")
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    narrow = capsys.readouterr().out
    assert narrow != cli.OVERVIEW_HELP and narrow.startswith("Usage: lilean [OPTIONS] COMMAND")
    assert max(len(line) for line in narrow.splitlines()) <= 60


def _first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


def test_commands_table_matches_the_full_app() -> None:
    import typer

    import lilean.cli as cli

    tree = typer.main.get_command(cli.app)
    assert list(cli.COMMANDS) == list(tree.commands)  # type: ignore[attr-defined]
    for name, command in tree.commands.items():  # type: ignore[attr-defined]
        modules, text = cli.COMMANDS[name]
        assert text == _first_paragraph(command.help), name
        callbacks = [command.callback] + [
            c.callback for c in getattr(command, "commands", {}).values()
        ]
        registered = {
            inspect.unwrap(cb).__module__.rsplit(".", 1)[-1] for cb in callbacks if cb is not None
        }
        registered.discard("common")  # a group's own (empty) callback
        assert registered == set(modules), name
    assert set(cli.MODULES) == {m for modules, _ in cli.COMMANDS.values() for m in modules}


def _paths() -> list[list[str]]:
    """Every command and subcommand of the full app (:func:`lilean.cli.command_paths`)."""
    import lilean.cli as cli

    return cli.command_paths()


def test_every_command_and_subcommand_is_checked() -> None:
    import lilean.cli as cli

    paths = _paths()
    assert [p[0] for p in paths if len(p) == 1] == list(cli.COMMANDS)
    assert ["simulate", "nucleation"] in paths and ["params", "show"] in paths


@pytest.mark.parametrize("path", _paths(), ids=" ".join)
def test_each_commands_help_is_the_same_through_the_lazy_path_and_light(
    path: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--help`` of every command and subcommand: click's full-app text, word for word, and none
    of the heavy libraries loaded (pandas, pyarrow, pydantic, scipy, numba, numpy, matplotlib,
    dask: they load when the command runs; typer's value coercion imports pydantic unless the
    help flags are made light, ``lilean.cli._light_help_option``)."""
    import lilean.cli as cli

    monkeypatch.setenv("COLUMNS", "80")
    got = _fresh([*path, "--help"])
    assert got["rc"] == 0, got["out"]
    assert got["out"] == _full_help([*path, "--help"], capsys)
    # only the modules that register this command were imported (plus what they import)
    assert {f"lilean.cli.{m}" for m in cli.COMMANDS[path[0]][0]} <= set(got["cli"])
    assert got["heavy"] == [], got["heavy"]


def test_subcommand_help_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    got = _fresh(["simulate", "plumes", "--help"])
    assert got["rc"] == 0 and "Usage: lilean simulate plumes" in got["out"]
    assert "lilean.cli.xrd" not in got["cli"]
    proc = subprocess.run(
        [sys.executable, "-m", "lilean.cli", "no-such-command"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 2
    assert "No such command 'no-such-command'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
