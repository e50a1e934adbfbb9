"""Values derived from a frozen object, built once and kept while the object lives.

A :class:`~lilean.parameters.ParameterSet` is frozen, so what a model derives from it (the cathode's
parameter vector, a discharge's initial state) is the same on every call: :func:`derived` keeps
it by the object's identity (checked through a weak reference, dropped when the object dies).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: (id(obj), key) -> (weak reference to obj, value); bounded
_CACHE: dict[tuple[int, Hashable], tuple[Any, Any]] = {}
MAX_ENTRIES = 256


def derived(obj: Any, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` for ``(obj, key)``, computed on the first call and kept while ``obj`` lives
    (``obj`` must be immutable; values must not be modified by the callers). Objects that take no
    weak reference are not cached."""
    slot = (id(obj), key)
    hit = _CACHE.get(slot)
    if hit is not None and hit[0]() is obj:
        return hit[1]  # type: ignore[no-any-return]
    value = build()

    def forget(_ref: Any, slot: tuple[int, Hashable] = slot) -> None:
        _CACHE.pop(slot, None)

    try:
        ref = weakref.ref(obj, forget)
    except TypeError:
        return value
    if len(_CACHE) >= MAX_ENTRIES:
        _CACHE.clear()
    _CACHE[slot] = (ref, value)
    return value
