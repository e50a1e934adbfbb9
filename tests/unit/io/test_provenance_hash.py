"""The file's sha256 in the metadata is the hash of every byte, whether computed on first use of the
stamp (files last written well before the read; refused if the file changed since), beside the
parse (a background thread, large files) or after it (small files)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from lilean import io
from lilean.errors import FileFormatError, SourceChangedError
from lilean.io import common
from lilean.schema import CyclingData, Metadata, read_parquet
from lilean.testing.data import require


@pytest.fixture
def hash_during_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as just written: its hash is taken during the read, never deferred."""
    monkeypatch.setattr(common, "DEFER_HASH_MIN_AGE_S", 1e12)


def _settled_copy(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``src`` whose hash a read defers (the age limit lowered to 0: the copy is new)."""
    copy = tmp_path / src.name
    copy.write_bytes(src.read_bytes())
    monkeypatch.setattr(common, "DEFER_HASH_MIN_AGE_S", 0.0)
    return copy


@pytest.mark.parametrize("mode", ["deferred", "after the parse", "threaded"])
def test_source_sha256_is_the_whole_file(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    src = require("neware/TestFile.nda")  # a registered file: written long before this read
    if mode != "deferred":
        monkeypatch.setattr(common, "DEFER_HASH_MIN_AGE_S", 1e12)
    if mode == "threaded":
        monkeypatch.setattr(common, "HASH_THREAD_MIN_BYTES", 0)
    meta = io.read(src).meta
    assert meta.source_sha256_pending == (mode == "deferred")
    assert meta.source_sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert not meta.source_sha256_pending


def test_a_failed_read_leaves_no_hash_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hash_during_read: None
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
    name: str, threaded: bool, monkeypatch: pytest.MonkeyPatch, hash_during_read: None
) -> None:
    """Readers that read the whole file in one piece hash those bytes (no second read) when the
    hash is taken during the read; the stamp is still the sha256 of every byte of the file,
    threaded or not."""
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
    copy.write_bytes(raw)  # just written: hashed during the read (no age limit patched)
    meta = io.read(copy, strict=False).meta
    assert not meta.source_sha256_pending
    first = meta.source_sha256
    assert common._BYTES_HASHED.get() is None
    copy.write_bytes(raw + b"\n")  # same table, one more (blank) line
    second = io.read(copy, strict=False).meta.source_sha256
    assert first != second == hashlib.sha256(copy.read_bytes()).hexdigest()


def test_a_just_written_file_is_hashed_during_the_read(tmp_path: Path) -> None:
    """A file written moments before the read (a later write might keep its time stamps on a
    coarse file system) is hashed while it is read: changing it afterwards changes nothing."""
    src = require("neware/TestFile.nda")
    copy = tmp_path / src.name
    raw = src.read_bytes()
    copy.write_bytes(raw)
    meta = io.read(copy).meta
    assert not meta.source_sha256_pending
    copy.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    assert meta.source_sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("change", ["append", "same size", "delete", "replace"])
def test_a_deferred_hash_is_refused_once_the_file_changed(
    change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deferred stamp is never the hash of other bytes than those read: after any change of
    the file it is refused, by the attribute and by every serialisation (JSON, Parquet)."""
    copy = _settled_copy(require("maccor/maccor_two.txt"), tmp_path, monkeypatch)
    raw = copy.read_bytes()
    data = io.read(copy, strict=False)
    assert data.meta.source_sha256_pending
    st = copy.stat()
    if change == "append":
        copy.write_bytes(raw + b"\n")
    elif change == "same size":  # different bytes, even with the old time stamps put back
        # past the file system's time-stamp tick (a few ms): the age limit, 0 here, guarantees
        # this in real reads (a file is deferred only when last written seconds before)
        time.sleep(0.05)
        copy.write_bytes(raw.replace(b"2", b"3", 1))
        assert len(copy.read_bytes()) == len(raw)
        os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif change == "delete":
        copy.unlink()
    else:  # another file of the same bytes moved in its place
        other = tmp_path / "other.txt"
        other.write_bytes(raw)
        os.replace(other, copy)
    with pytest.raises(SourceChangedError, match="read the file again"):
        _ = data.meta.source_sha256
    with pytest.raises(SourceChangedError):
        data.meta.model_dump_json()
    with pytest.raises(SourceChangedError):
        data.to_parquet(tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_a_deferred_hash_is_written_with_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet, CSV metadata, JSON, pickle and copies of a table whose hash is deferred carry the
    real sha256 of the file (taken then, the file unchanged)."""
    import pickle

    copy = _settled_copy(require("neware/TestFile.nda"), tmp_path, monkeypatch)
    want = hashlib.sha256(copy.read_bytes()).hexdigest()
    out = tmp_path / "out"
    out.mkdir()

    fresh = lambda: io.read(copy)  # noqa: E731
    data = fresh()
    assert data.meta.source_sha256_pending
    data.to_parquet(out / "t.parquet")
    assert read_parquet(out / "t.parquet")[1].source_sha256 == want
    assert CyclingData.from_parquet(out / "t.parquet").meta.source_sha256 == want
    data = fresh()
    data.to_csv(out / "t.csv")
    assert Metadata.model_validate_json((out / "t.csv.meta.json").read_text()).source_sha256 == want
    assert fresh().meta.model_dump()["source_sha256"] == want
    assert pickle.loads(pickle.dumps(fresh().meta)).source_sha256 == want
    data = fresh()
    copied = data.with_meta(area_cm2=1.0)  # stays deferred in the copy; one hash serves both
    assert copied.meta.source_sha256_pending
    assert copied.meta.source_sha256 == data.meta.source_sha256 == want
    assert fresh().meta == io.read(copy).meta  # == takes both stamps
    given = fresh().with_meta(source_sha256="0" * 64)  # a stamp given replaces the deferred one
    assert not given.meta.source_sha256_pending
    assert given.meta.source_sha256 == "0" * 64
