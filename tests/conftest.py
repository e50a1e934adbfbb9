"""Shared fixtures. Markers follow the directory: tests/reference -> reference, tests/e2e -> e2e."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "reference" in parts:
            item.add_marker(pytest.mark.reference)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
