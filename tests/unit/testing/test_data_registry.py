"""The real-data registry: files verified by sha256 in the data directory, fetched over HTTP
(pooch, hash-checked) from a mirror where one is given, and one-line skips when absent."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from lilean.testing import data as testdata

SMALL = "maccor/maccor_example.001"  # 1.2 kB
SMALL_EXTERN = "extern/neware/nda_v8.nda"
REPO = Path(__file__).resolve().parents[3]


def test_registry_lists_both_manifests_with_hashes() -> None:
    reg = testdata.registry()
    assert len(reg) == 52
    assert SMALL in reg and SMALL_EXTERN in reg
    assert all(len(e.sha256) == 64 and e.size_bytes > 0 for e in reg.values())
    assert reg[SMALL_EXTERN].member == "nda_v8.nda"
    assert reg[SMALL].url.startswith("https://raw.githubusercontent.com/ROVI-org/")


def test_every_registered_file_verifies(data_dir: Path) -> None:
    missing = [n for n in testdata.names() if not testdata.available(n)]
    assert missing == []


def test_no_registered_file_is_committed() -> None:
    """No file under tests/data has the hash of a registered third-party file."""
    hashes = {e.sha256 for e in testdata.registry().values()}
    committed = [
        p
        for p in (REPO / "tests" / "data").rglob("*")
        if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() in hashes
    ]
    assert committed == []
    if (REPO / ".git").exists():
        tracked = subprocess.run(
            ["git", "ls-files", "tests/data"], cwd=REPO, capture_output=True, text=True
        ).stdout.split()
        names = {Path(n).name for n in testdata.registry()}
        assert [t for t in tracked if Path(t).name in names] == []


def test_tampered_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = testdata.require(SMALL)
    copy = tmp_path / SMALL
    copy.parent.mkdir(parents=True)
    raw = bytearray(src.read_bytes())
    raw[100] ^= 0x01
    copy.write_bytes(bytes(raw))
    monkeypatch.setenv(testdata.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(testdata.ENV_URL, raising=False)
    monkeypatch.delenv(testdata.ENV_FETCH, raising=False)
    with pytest.raises(testdata.DataFileMissing, match="does not match its sha256") as exc:
        testdata.locate(SMALL)
    assert "\n" not in str(exc.value)
    assert not testdata.available(SMALL)


def test_absent_file_skips_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(testdata.ENV_DIR, str(tmp_path / "nowhere"))
    monkeypatch.delenv(testdata.ENV_URL, raising=False)
    monkeypatch.delenv(testdata.ENV_FETCH, raising=False)
    with pytest.raises(pytest.skip.Exception) as exc:
        testdata.require(SMALL)
    msg = str(exc.value)
    assert SMALL in msg and "is absent" in msg and "\n" not in msg
    with pytest.raises(pytest.skip.Exception, match="absent"):
        testdata.require_dir()
    with pytest.raises(testdata.DataFileMissing, match="not a registered"):
        testdata.locate("neware/not_there.nda")


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server (127.0.0.1, ephemeral port) serving a folder laid out like the
    data directory; yields (base URL, served folder)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_from_loopback_mirror(
    tmp_path: Path, mirror: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, served = mirror
    for name in (SMALL, SMALL_EXTERN):
        src = testdata.require(name)
        (served / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, served / name)
    monkeypatch.setenv(testdata.ENV_DIR, str(tmp_path / "empty"))
    monkeypatch.setenv(testdata.ENV_URL, url)
    monkeypatch.setenv(testdata.ENV_CACHE, str(tmp_path / "cache"))
    for name in (SMALL, SMALL_EXTERN):
        got = testdata.locate(name)
        assert got.is_relative_to(tmp_path / "cache")
        assert hashlib.sha256(got.read_bytes()).hexdigest() == testdata.registry()[name].sha256


def test_fetch_refuses_a_tampered_download(
    tmp_path: Path, mirror: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, served = mirror
    raw = bytearray(testdata.require(SMALL).read_bytes())
    raw[10] ^= 0xFF
    (served / SMALL).parent.mkdir(parents=True)
    (served / SMALL).write_bytes(bytes(raw))
    monkeypatch.setenv(testdata.ENV_DIR, str(tmp_path / "empty"))
    monkeypatch.setenv(testdata.ENV_URL, url)
    monkeypatch.setenv(testdata.ENV_CACHE, str(tmp_path / "cache"))
    with pytest.raises(testdata.DataFileMissing, match="fetching failed"):
        testdata.locate(SMALL)
    # nothing unverified is left where a later run would find it
    assert not (tmp_path / "cache" / SMALL).exists()
