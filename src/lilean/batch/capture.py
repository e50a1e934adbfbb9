"""Capture of third-party chatter: ``warnings`` and ``logging`` records become notes, never
terminal output (readers such as fastnda log warnings; dask warns at start-up)."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Router(logging.Handler):
    """One root handler for the whole process: a record goes to the notes of the thread that
    made it, or (a thread collecting nothing) to logging's last-resort handler as usual."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.fallback: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        notes = _COLLECTORS.get(record.thread or 0)
        if notes is not None:
            notes.append(f"{record.name}: {record.getMessage()}")
        elif self.fallback is not None and record.levelno >= self.fallback.level:
            self.fallback.handle(record)


_COLLECTORS: dict[int, list[str]] = {}
_LOCK = threading.Lock()
_ROUTER = _Router()
_SAVED: dict[str, Any] = {}


def _show_warning(
    message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    notes = _COLLECTORS.get(threading.get_ident())
    if notes is not None:
        notes.append(f"{category.__name__}: {message}")
    else:
        _SAVED["showwarning"](message, category, filename, lineno, file, line)


@contextmanager
def captured_notes() -> Iterator[list[str]]:
    """Collect the ``warnings`` and ``logging`` records (WARNING and up) made by this thread inside
    the block, as strings, and print none of them; the caller puts them into the result's notes.

    Thread-safe (the batch runs files on threads): while any block is active, one process-wide
    router replaces the root logger's handlers and ``warnings.showwarning``; records of threads
    that collect nothing go where they would have gone.
    """
    notes: list[str] = []
    ident = threading.get_ident()
    with _LOCK:
        if not _COLLECTORS:
            root = logging.getLogger()
            _SAVED["handlers"] = root.handlers[:]
            _SAVED["last_resort"] = logging.lastResort
            _SAVED["showwarning"] = warnings.showwarning
            _SAVED["filters"] = warnings.filters[:]
            _ROUTER.fallback = logging.lastResort
            root.handlers = [_ROUTER]
            logging.lastResort = None
            warnings.showwarning = _show_warning
            warnings.simplefilter("always")
        _COLLECTORS[ident] = notes
    try:
        yield notes
    finally:
        with _LOCK:
            _COLLECTORS.pop(ident, None)
            if not _COLLECTORS:
                root = logging.getLogger()
                root.handlers = _SAVED["handlers"]
                logging.lastResort = _SAVED["last_resort"]
                warnings.showwarning = _SAVED["showwarning"]
                warnings.filters[:] = _SAVED["filters"]  # type: ignore[index]
        # the same message many times (one per row or per block) is one note
        notes[:] = list(dict.fromkeys(notes))
