"""The one registry of real data files that tests, examples and the demo use.

Third-party cycler files are never committed to the repository. They live in a data directory
next to it (``../shared/data`` relative to the repository root, on every development and CI
machine) or wherever ``LILEAN_DATA_DIR`` points, with the same layout as :data:`REGISTRY_FILE`
(``registry.tsv``: relative path, size, sha256, pinned public source). Every file is verified by
its sha256 before use (pooch's hashing; each file hashed once per process).

Where a network exists, a missing file can be fetched from its pinned public source
(``https://raw.githubusercontent.com/<repo>/<commit>/<path>``) into pooch's cache: set
``LILEAN_DATA_FETCH=1``; or from a mirror with the same layout as the data directory:
``LILEAN_DATA_URL=http://host/path/``. Fetching is off by default so that a machine without a
network never waits on one.

Tests call :func:`require` (or :func:`require_dir`), which skips the test with one line when the
file is absent: the suite passes without the data, skipping the real-file tests.
"""

from __future__ import annotations

import csv
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lilean.errors import LileanError

REGISTRY_FILE = Path(__file__).with_name("registry.tsv")
#: ``<repository root>/../shared/data``: src/lilean/testing/data.py -> parents[3] is the root
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"
ENV_DIR = "LILEAN_DATA_DIR"
ENV_URL = "LILEAN_DATA_URL"
ENV_FETCH = "LILEAN_DATA_FETCH"
ENV_CACHE = "LILEAN_DATA_CACHE"


class DataFileMissing(LileanError):
    """A registered real data file is not available (absent, or its hash does not verify)."""


@dataclass(frozen=True)
class Entry:
    """One registered file: ``name`` relative to the data directory."""

    name: str
    size_bytes: int
    sha256: str
    source_repo: str
    snapshot_commit: str
    path_in_repo: str
    license: str

    @property
    def url(self) -> str:
        """The pinned public source (for an archive member: the archive's URL)."""
        path = self.path_in_repo.split("!", 1)[0]
        return (
            f"https://raw.githubusercontent.com/{self.source_repo}/{self.snapshot_commit}/"
            f"{urllib.parse.quote(path)}"
        )

    @property
    def member(self) -> str | None:
        """The member name when the source is an archive (``archive.zip!member``)."""
        return self.path_in_repo.split("!", 1)[1] if "!" in self.path_in_repo else None


@cache
def registry() -> dict[str, Entry]:
    """Every registered file by its name relative to the data directory."""
    with open(REGISTRY_FILE, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    out: dict[str, Entry] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        entry = Entry(
            name=row["file"],
            size_bytes=int(row["size_bytes"]),
            sha256=row["sha256"],
            source_repo=row["source_repo"],
            snapshot_commit=row["snapshot_commit"],
            path_in_repo=row["path_in_repo"],
            license=row["license"],
        )
        out[entry.name] = entry
    return out


def names(under: str = "") -> list[str]:
    """Registered names (sorted) under a folder of the data directory, e.g. ``"neware"``."""
    prefix = under.rstrip("/") + "/" if under else ""
    return sorted(n for n in registry() if n.startswith(prefix))


def data_dir() -> Path:
    """The local data directory: ``LILEAN_DATA_DIR`` if set, else ``../shared/data`` beside the
    repository (it may not exist: see :func:`available`)."""
    env = os.environ.get(ENV_DIR)
    return Path(env).expanduser() if env else DEFAULT_DATA_DIR


@cache
def _hash_of(path: Path, size: int, mtime_ns: int) -> str:
    import pooch

    return str(pooch.file_hash(str(path), alg="sha256"))


def verify(path: Path, entry: Entry) -> bool:
    """The file at ``path`` is the registered one (size, then sha256)."""
    try:
        st = path.stat()
    except OSError:
        return False
    if not path.is_file() or st.st_size != entry.size_bytes:
        return False
    return _hash_of(path, st.st_size, st.st_mtime_ns) == entry.sha256


def _fetch(entry: Entry) -> Path:
    """Download ``entry`` (pooch, hash-checked) from the mirror ``LILEAN_DATA_URL`` or its
    pinned public source; return the cached path."""
    import pooch

    cache_dir = Path(os.environ.get(ENV_CACHE) or pooch.os_cache("lilean-data"))
    mirror = os.environ.get(ENV_URL)
    target = cache_dir / entry.name
    if mirror:
        url = mirror.rstrip("/") + "/" + urllib.parse.quote(entry.name)
        got = pooch.retrieve(
            url,
            known_hash=f"sha256:{entry.sha256}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
        return Path(got)
    if entry.member is None:
        got = pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
        return Path(got)
    # archive member: the archive has no registered hash, the member has (verified below)
    members = pooch.retrieve(
        entry.url,
        known_hash=None,
        path=target.parent,
        progressbar=False,
        processor=pooch.Unzip(members=[entry.member]),
    )
    got_path = Path(members[0])
    if not verify(got_path, entry):
        raise DataFileMissing(f"{entry.name}: fetched archive member does not match its sha256")
    return got_path


def _fetch_allowed() -> bool:
    return bool(os.environ.get(ENV_URL)) or os.environ.get(ENV_FETCH, "") not in ("", "0")


def locate(name: str) -> Path:
    """The verified local path of the registered file ``name`` (fetching it where allowed).

    Raises :class:`DataFileMissing` (one line) when it is not registered, absent, or its hash
    does not verify.
    """
    entry = registry().get(name)
    if entry is None:
        raise DataFileMissing(f"{name}: not a registered data file (see {REGISTRY_FILE.name})")
    path = data_dir() / name
    if verify(path, entry):
        return path
    problem = "does not match its sha256" if path.exists() else "is absent"
    if _fetch_allowed():
        try:
            return _fetch(entry)
        except DataFileMissing:
            raise
        except Exception as exc:
            raise DataFileMissing(
                f"{name}: {path} {problem}, and fetching failed ({type(exc).__name__})"
            ) from exc
    raise DataFileMissing(
        f"real data file {name} {problem} in {data_dir()} "
        f"(set {ENV_DIR}, or {ENV_FETCH}=1 to fetch it)"
    )


def available(name: str | None = None) -> bool:
    """Whether ``name`` (or, without it, the data directory) is available locally."""
    if name is None:
        return data_dir().is_dir()
    try:
        locate(name)
    except DataFileMissing:
        return False
    return True


def require(name: str) -> Path:
    """:func:`locate` for tests: skip the calling test with one line when the file is absent."""
    try:
        return locate(name)
    except DataFileMissing as exc:
        import pytest

        pytest.skip(str(exc))


def require_dir() -> Path:
    """The data directory for tests that walk it; skips with one line when it is absent."""
    root = data_dir()
    if not root.is_dir():
        import pytest

        pytest.skip(f"real data directory {root} absent (set {ENV_DIR})")
    return root


def verified_files(under: str = "") -> Iterator[Path]:
    """Local verified paths of the registered files under ``under`` (absent ones left out)."""
    for name in names(under):
        if available(name):
            yield locate(name)


__all__ = [
    "DEFAULT_DATA_DIR",
    "DataFileMissing",
    "Entry",
    "available",
    "data_dir",
    "locate",
    "names",
    "registry",
    "require",
    "require_dir",
    "verified_files",
    "verify",
]
