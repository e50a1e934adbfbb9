"""Values derived from a frozen object: built once, kept while the object lives."""

from __future__ import annotations

import gc

from lilean.models import _derived
from lilean.models._derived import derived
from lilean.parameters import default_parameters


def test_built_once_per_object_and_key_and_dropped_with_the_object() -> None:
    calls: list[str] = []

    def build(tag: str) -> list[str]:
        calls.append(tag)
        return [tag]

    a = default_parameters()
    b = a.replace({"cell.cathode_loading_mAh_cm2": 0.8})
    first = derived(a, "k", lambda: build("a"))
    assert derived(a, "k", lambda: build("again")) is first and calls == ["a"]
    assert derived(a, "other", lambda: build("a2")) == ["a2"]
    assert derived(b, "k", lambda: build("b")) == ["b"] and calls == ["a", "a2", "b"]
    slot = (id(a), "k")
    assert slot in _derived._CACHE
    del a, first
    gc.collect()
    assert slot not in _derived._CACHE


def test_objects_without_weak_references_are_not_cached() -> None:
    calls: list[int] = []
    key = (1, 2)  # a tuple takes no weak reference
    derived(key, "k", lambda: calls.append(1))
    derived(key, "k", lambda: calls.append(1))
    assert calls == [1, 1]
