"""Readers: cycler and potentiostat files -> one :class:`~lilean.schema.CyclingData` table.

Use :func:`read` (auto-detects the format by content) or a specific reader by name
(``read(path, format="neware-nda")``). :func:`formats` lists what is supported.
"""

from __future__ import annotations

from pathlib import Path

from lilean.errors import FileFormatError
from lilean.io import registry
from lilean.io.registry import Reader, check_readable, get_reader, readers
from lilean.schema import TIME, CyclingData

_LOADED = False


def _load_readers() -> None:
    """Import the instrument modules (each registers its readers). Done lazily: fast CLI start."""
    global _LOADED
    if _LOADED:
        return
    from lilean.io import instruments  # noqa: F401  (registers all readers)

    _LOADED = True


def formats() -> list[Reader]:
    _load_readers()
    return readers()


def detect(path: str | Path) -> Reader:
    """The reader that recognises the file by its content."""
    _load_readers()
    return registry.detect(path)


def read(
    path: str | Path,
    format: str | None = None,
    *,
    area_cm2: float | None = None,
    active_mass_mg: float | None = None,
    strict: bool = True,
) -> CyclingData:
    """Read a cycler file into the canonical table.

    Parameters
    ----------
    path: the file.
    format: reader name (see :func:`formats`); auto-detected from the content when ``None``.
    area_cm2, active_mass_mg: stored in the metadata (override what the file says).
    strict: raise :class:`~lilean.errors.FileFormatError` when time goes backwards (the
        row is named). ``strict=False`` keeps such tables and lists the problem in
        ``meta.anomalies`` (what ``lilean info`` shows).
    """
    _load_readers()
    path = check_readable(path)
    reader = get_reader(format) if format else registry.detect(path)
    result = reader.read(path)
    if strict:
        t = result.data[TIME].to_numpy()
        back = (t[1:] < t[:-1]).nonzero()[0]
        if back.size:
            raise FileFormatError(
                path,
                f"time goes backwards at data row {int(back[0]) + 2} "
                f"({t[back[0]]:.6g} s -> {t[back[0] + 1]:.6g} s); time must never decrease",
            )
    changes: dict[str, float] = {}
    if area_cm2 is not None:
        changes["area_cm2"] = area_cm2
    if active_mass_mg is not None:
        changes["active_mass_mg"] = active_mass_mg
    return result.with_meta(**changes) if changes else result


__all__ = ["Reader", "detect", "formats", "read"]
