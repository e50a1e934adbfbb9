"""Shared fixtures. Markers follow the directory: tests/reference -> reference, tests/e2e -> e2e.

Real data files come through one registry (:mod:`lilean.testing.data`): found in ``../shared/data``
(or ``LILEAN_DATA_DIR``) and verified by sha256. A test module that points at them at module level
(any global path inside the data directory) is skipped with one line when the directory is absent
or a file it names does not verify; tests that need one file call ``require(name)``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from lilean.testing import data as testdata


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return testdata.require_dir()


def _module_data_problem(module: ModuleType | None, cache: dict[str, str | None]) -> str | None:
    """Why the real data this module names at module level is unusable (``None`` if usable)."""
    if module is None:
        return None
    if module.__name__ in cache:
        return cache[module.__name__]
    root = testdata.data_dir()
    problem: str | None = None
    for value in list(vars(module).values()):
        paths = value if isinstance(value, list | tuple) else [value]
        for p in paths:
            if not isinstance(p, Path) or not p.is_relative_to(root):
                continue
            if not root.is_dir():
                problem = f"real data directory {root} absent (set {testdata.ENV_DIR})"
                break
            name = p.relative_to(root).as_posix()
            if name in testdata.registry() and not testdata.available(name):
                try:
                    testdata.locate(name)
                except testdata.DataFileMissing as exc:
                    problem = str(exc)
                break
        if problem:
            break
    cache[module.__name__] = problem
    return problem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cache: dict[str, str | None] = {}
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "reference" in parts:
            item.add_marker(pytest.mark.reference)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
        problem = _module_data_problem(getattr(item, "module", None), cache)
        if problem:
            item.add_marker(pytest.mark.skip(reason=problem))
