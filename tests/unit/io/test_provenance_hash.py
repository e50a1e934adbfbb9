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
