"""Readers: cycler and potentiostat files -> one :class:`~lilean.schema.CyclingData` table.

Use :func:`read` (auto-detects the format by content) or a specific reader by name
(``read(path, format="neware-nda")``). :func:`formats` lists what is supported.
"""

from __future__ import annotations

from pathlib import Path

from lilean.errors import FileFormatError
from lilean.io import registry
from lilean.io.common import hashing_beside, partial_reads
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


def _is_utf16(path: Path) -> bool:
    """A text export saved as UTF-16 (BOM ``FF FE`` / ``FE FF``), as Windows tools write."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    return head in (b"\xff\xfe", b"\xfe\xff")


def _read_utf16(path: Path, format: str | None, allow_partial: bool) -> CyclingData:
    """Read a UTF-16 text export through a UTF-8 copy (every text reader expects 8-bit text);
    errors and metadata name the original file."""
    import tempfile

    from lilean.schema import file_sha256

    try:
        text = path.read_bytes().decode("utf-16")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            path, f"UTF-16 byte order mark but not UTF-16 text ({exc.reason})"
        ) from None
    with tempfile.TemporaryDirectory(prefix="lilean-utf16-") as tmp_dir:
        copy = Path(tmp_dir) / path.name
        copy.write_text(text, encoding="utf-8")
        try:
            reader = get_reader(format) if format else registry.detect(copy)
            with partial_reads(allow_partial):
                result = reader.read(copy)
        except FileFormatError as exc:
            raise type(exc)(path, exc.problem, exc.row) from None
    return result.with_meta(
        source_file=str(path),
        source_sha256=file_sha256(path),
        notes=[*result.meta.notes, "UTF-16 text export (decoded, read as UTF-8)"],
    )


def read(
    path: str | Path,
    format: str | None = None,
    *,
    area_cm2: float | None = None,
    active_mass_mg: float | None = None,
    strict: bool = True,
    allow_partial: bool = False,
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
    allow_partial: a damaged file (truncated or corrupted binary, implausible records, a lost
        part) raises :class:`~lilean.errors.DamagedFileError` naming the file and the damage;
        with ``allow_partial=True`` the whole part is returned instead, and ``meta.notes`` says
        exactly what is missing (lines starting ``PARTIAL TABLE:``).
    """
    _load_readers()
    path = check_readable(path)
    if _is_utf16(path):
        result = _read_utf16(path, format, allow_partial)
    else:
        reader = get_reader(format) if format else registry.detect(path)
        with partial_reads(allow_partial), hashing_beside(path):
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


def write_bdf(data: CyclingData, path: str | Path) -> Path:
    """Write a table as Battery Data Format CSV (see :func:`lilean.io.bdf.write_bdf`)."""
    from lilean.io.bdf import write_bdf as _write

    return _write(data, path)


__all__ = ["Reader", "detect", "formats", "read", "write_bdf"]
