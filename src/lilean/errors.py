"""Errors that lilean raises on bad input.

Every error says *where* (file, row, column or parameter) and *what was expected*, in one line, so the
CLI can print it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class LileanError(Exception):
    """Base class for all errors lilean raises on purpose (bad input, bad parameters)."""


class FileFormatError(LileanError):
    """A file could not be read as the expected format.

    Parameters
    ----------
    path:
        The offending file.
    problem:
        What is wrong and what was expected.
    row:
        1-based row (line) number in the file, when known.
    """

    def __init__(self, path: str | Path, problem: str, row: int | None = None) -> None:
        self.path = Path(path)
        # one line, whatever a library put into the text (galvani, pandas ... write several)
        self.problem = problem = " ".join(str(problem).split())
        self.row = row
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")


class ParameterError(LileanError):
    """A parameter is unknown, has the wrong unit, or is out of its physical range."""


class OutputError(LileanError):
    """An output path is unusable (e.g. it would overwrite an input file)."""


class SweepError(LileanError):
    """A sweep spec or a sweep output folder is unusable."""


class FitError(LileanError):
    """An equivalent-circuit (or lin-KK) fit could not be done (too few points, no convergence,
    a spectrum the circuit cannot describe)."""


class MissingExtraError(LileanError, ImportError):
    """An optional dependency (an extra of lilean) is not installed; the message names the
    ``pip install 'lilean[extra]'`` command."""


class DamagedFileError(FileFormatError):
    """A file is damaged (truncated, corrupted, implausible values, a part lost): reading it
    whole is impossible. ``allow_partial=True`` (CLI ``--allow-partial``) reads what is whole
    instead, and the table's notes say exactly what is missing."""


class SourceChangedError(LileanError):
    """The file a table was read from changed (or vanished) after it was read, before its sha256
    (the provenance stamp, computed on first use) was taken: the stamp would not be the hash of
    the bytes that were parsed, so none is given. Read the file again."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
