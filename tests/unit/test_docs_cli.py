"""A docs page per command group: docs/cli/<module>.md for every module of lilean.cli that
registers commands, naming each of its commands."""

from __future__ import annotations

import inspect
from pathlib import Path

from lilean.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli"


def _commands() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}

    def walk(t: object, prefix: list[str]) -> None:
        for info in t.registered_commands:  # type: ignore[attr-defined]
            name = info.name or info.callback.__name__.replace("_", "-")
            module = inspect.unwrap(info.callback).__module__.rsplit(".", 1)[-1]
            groups.setdefault(module, []).append(" ".join([*prefix, name]))
        for g in t.registered_groups:  # type: ignore[attr-defined]
            walk(g.typer_instance, [*prefix, g.name])

    walk(app, [])
    return groups


def test_every_command_group_has_a_page_naming_its_commands() -> None:
    groups = _commands()
    assert {"data", "simulate", "study", "xrd"} <= set(groups)
    for module, commands in groups.items():
        page = DOCS / f"{module}.md"
        assert page.is_file(), f"docs/cli/{module}.md missing"
        text = page.read_text()
        for command in commands:
            assert f"`lilean {command}`" in text, f"{command} not documented in {page.name}"
    index = (DOCS / "README.md").read_text()
    assert all(f"({m}.md)" in index for m in groups)
