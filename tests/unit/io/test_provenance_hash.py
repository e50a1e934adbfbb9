"""The file's sha256 in the metadata is the hash of every byte, whether computed beside the parse
(a background thread, large files) or after it (small files)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lilean import io
from lilean.errors import FileFormatError
from lilean.io import common
from lilean.testing.data import require


@pytest.mark.parametrize("threaded", [False, True])
def test_source_sha256_is_the_whole_file(threaded: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    src = require("neware/TestFile.nda")
    if threaded:
        monkeypatch.setattr(common, "HASH_THREAD_MIN_BYTES", 0)
    got = io.read(src).meta.source_sha256
    assert got == hashlib.sha256(src.read_bytes()).hexdigest()


def test_a_failed_read_leaves_no_hash_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(common, "HASH_THREAD_MIN_BYTES", 0)
    bad = tmp_path / "TestFile.nda"
    bad.write_bytes(require("neware/TestFile.nda").read_bytes()[:5000])
    with pytest.raises(FileFormatError):
        io.read(bad)
    assert not [t for t in threading.enumerate() if t.name.startswith("lilean-sha256")]


@pytest.mark.parametrize(
    "name",
    [
        "biologic/biol.mpr",  # galvani parses the bytes read once
        "neware/neware_uio.csv",  # Neware's own text decoding
        "maccor/maccor_two.txt",  # common.read_text
        "other/sample_data_novonix.csv",
    ],
)
@pytest.mark.parametrize("threaded", [False, True])
def test_hash_of_the_bytes_read_is_the_file_hash(
    name: str, threaded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers that read the whole file in one piece hash those bytes (no second read); the
    stamp is still the sha256 of every byte of the file, threaded or not."""
    if name.endswith(".mpr"):
        pytest.importorskip("galvani")
    src = require(name)
    if threaded:
        monkeypatch.setattr(common, "HASH_THREAD_MIN_BYTES", 0)
    calls: list[Path] = []
    real = common.file_sha256
    monkeypatch.setattr(common, "file_sha256", lambda p: calls.append(Path(p)) or real(p))
    got = io.read(src, strict=False).meta.source_sha256
    assert got == hashlib.sha256(src.read_bytes()).hexdigest()
    if not threaded:
        assert calls == []  # the bytes already read were hashed: the file was not read again


def test_bytes_hash_does_not_outlive_the_read(tmp_path: Path) -> None:
    """A hash kept from one read is never the stamp of a later read of a changed file."""
    src = require("maccor/maccor_two.txt")
    copy = tmp_path / "maccor_two.txt"
    raw = src.read_bytes()
    copy.write_bytes(raw)
    first = io.read(copy, strict=False).meta.source_sha256
    assert common._BYTES_HASHED.get() is None
    copy.write_bytes(raw + b"\n")  # same table, one more (blank) line
    second = io.read(copy, strict=False).meta.source_sha256
    assert first != second == hashlib.sha256(copy.read_bytes()).hexdigest()
