"""The scenario registry: one module per simulated experiment, one list every consumer iterates.

Built in (in this order): ``nucleation``, ``symmetric``, ``protocol``, ``cycling``, ``rate``,
``eis`` (each module here defines ``simulate_<name>`` and ``SCENARIO``). The sweep
(:mod:`lilean.sweep`), the fits (:mod:`lilean.fitting`), the CLI (``lilean simulate``) and
:mod:`lilean.api` read the experiments, outputs, default free parameters and analysis kinds from
here, never from a list of their own.

Adding an experiment (docs/design.md, "Adding a scenario"): write a module with a keyword function
``simulate_x(params, substrate, ...) -> Result`` (defaults = the CLI's) and a :class:`Scenario`,
and :func:`register` it, either from your own code or as a plugin: a module named in the
environment variable ``LILEAN_SCENARIOS`` (comma-separated) or an entry point of group
``lilean.scenarios`` is imported on first use of the registry.

>>> from lilean.scenarios import get_scenario
>>> get_scenario("cycling").analysis_kind
'cycling'
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import overload

from lilean.scenarios.base import Output, Result, ResultBase, Scenario, output

__all__ = [
    "DEFAULT_FREE",
    "FIT_EXPERIMENTS",
    "OUTPUTS",
    "SWEEP_EXPERIMENTS",
    "Output",
    "Result",
    "ResultBase",
    "Scenario",
    "analysis_kinds",
    "get_scenario",
    "output",
    "register",
    "scenarios",
    "unregister",
]

_BUILTIN = ("nucleation", "symmetric", "protocol", "cycling", "rate", "eis")
_REGISTRY: dict[str, Scenario] = {}
_PLUGINS_LOADED = False


def register(scenario: Scenario, *, replace_existing: bool = False) -> Scenario:
    """Add ``scenario`` to the registry (a name is registered once unless ``replace_existing``)."""
    _load()
    if scenario.name in _REGISTRY and not replace_existing:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    _REGISTRY[scenario.name] = scenario
    return scenario


def unregister(name: str) -> None:
    """Remove a scenario (tests, plugins that replace one)."""
    _load()
    _REGISTRY.pop(name, None)


def _load() -> None:
    global _PLUGINS_LOADED
    if not _REGISTRY:
        for name in _BUILTIN:
            module = importlib.import_module(f"lilean.scenarios.{name}")
            _REGISTRY[name] = module.SCENARIO
    if not _PLUGINS_LOADED:
        _PLUGINS_LOADED = True
        names = [n.strip() for n in os.environ.get("LILEAN_SCENARIOS", "").split(",") if n.strip()]
        for name in names:
            importlib.import_module(name)  # the module calls register()
        from importlib.metadata import entry_points

        for ep in entry_points(group="lilean.scenarios"):
            obj = ep.load()
            if isinstance(obj, Scenario) and obj.name not in _REGISTRY:
                _REGISTRY[obj.name] = obj


def scenarios() -> list[Scenario]:
    """Every registered scenario, built-ins first."""
    _load()
    return list(_REGISTRY.values())


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name`` (a :class:`KeyError`-free lookup: unknown names raise
    :class:`~lilean.errors.ParameterError` listing the known ones)."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        from lilean.errors import ParameterError

        raise ParameterError(
            f"unknown scenario {name!r}; expected one of {list(_REGISTRY)}"
        ) from None


def analysis_kinds() -> tuple[str, ...]:
    """The analysis kinds the scenarios' tables have, in registry order, without repeats."""
    kinds: list[str] = []
    for s in scenarios():
        if s.analysis_kind and s.analysis_kind not in kinds:
            kinds.append(s.analysis_kind)
    return tuple(kinds)


class _Names(Sequence[str]):
    """A live tuple-like view of scenario names (follows :func:`register`)."""

    def __init__(self, which: str) -> None:
        self._which = which

    def _names(self) -> tuple[str, ...]:
        if self._which == "sweep":
            return tuple(s.name for s in scenarios() if s.sweepable)
        return tuple(s.fit_experiment for s in scenarios() if s.fit_experiment)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        return self._names()[i]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, x: object) -> bool:
        return x in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __repr__(self) -> str:
        return repr(self._names())

    def __eq__(self, other: object) -> bool:
        return tuple(self._names()) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(self._names())


class _Outputs(Mapping[str, Output]):
    """A live view ``name -> Output`` over every scenario's outputs; ``Output.experiments`` lists
    the scenarios that declare it."""

    def _merged(self) -> dict[str, Output]:
        merged: dict[str, Output] = {}
        for s in scenarios():
            for o in s.outputs:
                prev = merged.get(o.name)
                exps = (prev.experiments if prev else ()) + (s.name,)
                merged[o.name] = replace(prev or o, experiments=exps)
        return merged

    def __getitem__(self, key: str) -> Output:
        return self._merged()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return f"OUTPUTS({list(self._merged())})"


class _DefaultFree(Mapping[str, tuple[str, ...]]):
    """A live view ``fit experiment -> default free parameters``."""

    def _merged(self) -> dict[str, tuple[str, ...]]:
        return {s.fit_experiment: s.default_free for s in scenarios() if s.fit_experiment}

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._merged()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return repr(self._merged())


#: every scalar output a sweep can keep (live view over the registry)
OUTPUTS: Mapping[str, Output] = _Outputs()
#: the scenarios a sweep can run (live view)
SWEEP_EXPERIMENTS: Sequence[str] = _Names("sweep")
#: the ``lilean fit --experiment`` names (live view)
FIT_EXPERIMENTS: Sequence[str] = _Names("fit")
#: fit experiment -> default free parameters, relative to ``substrates.<s>.`` (live view)
DEFAULT_FREE: Mapping[str, tuple[str, ...]] = _DefaultFree()
