"""Reader registry and format auto-detection (by content first, extension only as a tie-breaker).

Each instrument module registers one :class:`Reader` per file format. ``sniff`` looks at the first
bytes of the file (and may open it) and says whether this reader can parse it; detection never
relies on the extension alone.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lilean.errors import FileFormatError

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Reader:
    """One file format.

    name: short id used on the CLI (``--format``), e.g. ``"biologic-mpr"``.
    instrument: vendor family, e.g. ``"biologic"``.
    extensions: usual extensions (lower case, with dot), used only to order candidates.
    sniff: ``sniff(path, head) -> bool``; ``head`` is the first :data:`HEAD_BYTES` bytes.
    read: ``read(path) -> CyclingData`` (``kind = "cycling"``) or
        :class:`lilean.eis.ImpedanceData` (``kind = "impedance"``); raises
        :class:`FileFormatError` on bad input.
    description: one line for ``lilean formats``.
    kind: what the reader returns: ``"cycling"`` (time series) or ``"impedance"`` (spectra, the
        readers of :mod:`lilean.eis.io`, named ``eis-<format>``).
    """

    name: str
    instrument: str
    extensions: tuple[str, ...]
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Path], Any]
    description: str = ""
    kind: str = "cycling"


_REGISTRY: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    if reader.name in _REGISTRY:
        raise ValueError(f"reader {reader.name!r} registered twice")
    _REGISTRY[reader.name] = reader
    return reader


def registered(name: str) -> bool:
    return name in _REGISTRY


#: kind -> the module that registers the readers of that kind when imported (loaded on first
#: use, by name: the providers import this registry, not the other way round)
PROVIDERS: dict[str, str] = {"impedance": "lilean.eis.io"}


def _load_impedance_readers() -> None:
    import importlib

    for module in PROVIDERS.values():
        importlib.import_module(module)


def readers(kind: str | None = "cycling") -> list[Reader]:
    """The registered readers of ``kind`` (``"cycling"``, ``"impedance"``; None: all)."""
    if kind != "cycling":
        _load_impedance_readers()
    return [r for r in _REGISTRY.values() if kind is None or r.kind == kind]


def get_reader(name: str) -> Reader:
    if name.startswith("eis-"):
        _load_impedance_readers()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise FileFormatError(
            name, f"unknown format; expected one of {sorted(_REGISTRY)}"
        ) from None


def read_head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES)


#: how far :func:`contains` looks into a file (the header region of any format lilean reads:
#: an Access catalog, an Excel workbook's directory, a long text preamble)
SCAN_LIMIT_BYTES = 64 * 1024 * 1024


def contains(
    path: Path, needles: tuple[bytes, ...], head: bytes = b"", limit: int = SCAN_LIMIT_BYTES
) -> bool:
    """Whether any of ``needles`` occurs in the first ``limit`` bytes of the file.

    For sniffers whose marker may lie beyond :data:`HEAD_BYTES` (an Arbin ``.res`` catalog entry
    for ``Channel_Normal_Table``). Looks in ``head`` first, then streams the file in 1 MiB
    chunks (overlapping by the longest needle), so memory stays bounded.
    """
    if any(n in head for n in needles):
        return True
    overlap = max(len(n) for n in needles) - 1
    chunk = 1024 * 1024
    tail = b""
    seen = 0
    with open(path, "rb") as fh:
        while seen < limit:
            block = fh.read(chunk)
            if not block:
                return False
            buf = tail + block
            if any(n in buf for n in needles):
                return True
            tail = buf[-overlap:] if overlap > 0 else b""
            seen += len(block)
    return False


def check_readable(path: str | Path) -> Path:
    """Common preconditions: the file exists, is a file and is not empty."""
    path = Path(path)
    try:  # one stat (Path.exists, is_file and stat are one each)
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        # Path.exists / is_file: False for these (a missing file or folder, a bad name)
        if (
            isinstance(exc, ValueError)
            or exc.errno in _MISSING_ERRNOS
            or getattr(exc, "winerror", None) in _MISSING_WINERRORS
        ):
            raise FileFormatError(path, "file not found") from None
        raise
    if not stat.S_ISREG(st.st_mode):
        raise FileFormatError(path, "not a regular file")
    if st.st_size == 0:
        raise FileFormatError(path, "file is empty")
    return path


#: the errors for which ``Path.exists()`` says False instead of raising
_MISSING_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_MISSING_WINERRORS = (21, 123, 1921)  # not ready, invalid name, cannot resolve the name


def detect(path: str | Path) -> Reader:
    """The reader whose ``sniff`` accepts the file. Readers whose extension matches are tried first."""
    path = check_readable(path)
    head = read_head(path)
    ext = path.suffix.lower()
    cycling = [r for r in _REGISTRY.values() if r.kind == "cycling"]
    ordered = sorted(cycling, key=lambda r: ext not in r.extensions)
    for reader in ordered:
        try:
            if reader.sniff(path, head):
                return reader
        except Exception:  # a sniffer must never break detection of other formats
            continue
    impedance = _impedance_kind(path, head)
    if impedance:
        raise FileFormatError(
            path,
            f"impedance spectrum ({impedance}), not time-domain cycler data; "
            "use 'lilean eis' for impedance files",
        )
    raise FileFormatError(
        path,
        "unrecognised file format (not a known cycler export); "
        "use --format to force one, or the generic CSV reader with --map",
    )


def _impedance_kind(path: Path, head: bytes) -> str | None:
    """The impedance format of a file no cycler reader took (``None`` if it is not one), so that
    the refusal says what the file is."""
    kind = "csv"
    try:
        # the impedance readers register themselves (PROVIDERS); asking them by kind keeps this
        # registry free of imports of its providers
        for reader in readers("impedance"):
            if reader.sniff(path, head) and reader.name != "eis-csv":
                kind = reader.name.removeprefix("eis-")
                break
    except Exception:  # the EIS readers are absent, or the file is not one
        kind = "csv"
    if kind != "csv":
        return kind
    text = head[:4096].decode("latin-1").lower()
    if "freq" in text and any(z in text for z in ("z'", "zre", "z_re", "z real", "impedance")):
        return "frequency / impedance columns"
    return None
