"""Sweep store integrity: a truncated, a foreign, a duplicated part and a changed spec each resume to
exactly the spec's cases, each once, identical to an uninterrupted run; SIGTERM and Ctrl-C stop a
sweep cleanly (no tracebacks, finished chunks kept); the folder is a dataset every reader reads."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lilean.sweep import MANIFEST, load_results, load_spec, make_client, run_sweep
from lilean.sweep.store import ASIDE

distributed = pytest.importorskip("distributed")

SPEC = """
[sweep]
experiment = "symmetric"
chunk_size = 4
outputs = ["mean_polarization_mV"]

[fixed]
substrate = "cu"
hours = {hours}

[parameters]
current_density_mA_cm2 = {{ range = [{j_lo}, 2.0], num = {n_j} }}
areal_capacity_mAh_cm2 = {{ range = [0.1, 0.5], num = 5 }}
"""
VOLATILE = ["elapsed_s"]


def _write_spec(path: Path, *, j_lo: float = 0.5, n_j: int = 4, hours: float = 2.0) -> Path:
    path.write_text(SPEC.format(j_lo=j_lo, n_j=n_j, hours=hours))
    return path


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    c, cluster = make_client(workers=1)  # the sweep's own embedded cluster
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_spec(tmp_path_factory.mktemp("spec") / "sym.toml")


@pytest.fixture(scope="module")
def finished(client: Any, spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "ref.parquet"
    summary = run_sweep(spec_path, out, client=client, batch_size=2)
    assert summary.n_cases == summary.n_run == 20 and summary.n_failed == 0
    assert len(list(out.glob("part-*.parquet"))) == 5
    return out


def _rows(out: Path) -> pd.DataFrame:
    return load_results(out).drop(columns=VOLATILE).reset_index(drop=True)


def _resume(client: Any, spec: Path, out: Path) -> tuple[Any, list[str]]:
    lines: list[str] = []
    summary = run_sweep(spec, out, client=client, resume=True, say=lines.append)
    return summary, lines


def _check_exact(out: Path, reference: Path, spec: Path) -> None:
    rows = _rows(out)
    assert list(rows["case_index"]) == list(range(load_spec(spec).n_cases()))
    assert rows["case_id"].is_unique
    pd.testing.assert_frame_equal(rows, _rows(reference), check_exact=True)
    # the folder is a dataset for every Parquet reader: the manifest and the set-aside parts
    # are skipped (leading underscore)
    whole = pd.read_parquet(out)
    assert len(whole) == len(rows) and whole["case_id"].is_unique
    import pyarrow.dataset as ds

    assert ds.dataset(out, format="parquet").count_rows() == len(rows)


def test_manifest_has_a_leading_underscore_and_every_reader_reads_the_folder(
    finished: Path,
) -> None:
    assert (finished / MANIFEST).name == "_sweep.json" and (finished / MANIFEST).is_file()
    assert not (finished / "sweep.json").exists()
    frame = pd.read_parquet(finished)
    assert len(frame) == 20 and set(frame["case_index"]) == set(range(20))
    import pyarrow.dataset as ds

    assert ds.dataset(finished, format="parquet").to_table().num_rows == 20
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(finished / "*.parquet").height == 20


def test_truncated_part_is_moved_aside_and_recomputed(
    client: Any, spec_path: Path, finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "trunc.parquet"
    shutil.copytree(finished, out)
    part = out / "part-00002.parquet"
    raw = part.read_bytes()
    part.write_bytes(raw[: int(len(raw) * 0.6)])
    summary, lines = _resume(client, spec_path, out)
    assert summary.n_run == 4 and summary.n_skipped == 16 and summary.n_set_aside == 1
    assert len(lines) == 1 and "part-00002.parquet: damaged" in lines[0]
    assert (out / ASIDE / "part-00002.parquet").read_bytes() == raw[: int(len(raw) * 0.6)]
    _check_exact(out, finished, spec_path)


def test_byte_flipped_part_fails_its_checksum_and_is_recomputed(
    client: Any, spec_path: Path, finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "flip.parquet"
    shutil.copytree(finished, out)
    part = out / "part-00001.parquet"
    raw = bytearray(part.read_bytes())
    for k in range(8, len(raw) // 3, 7):  # inside the data pages, before the footer
        raw[k] ^= 0xFF
    part.write_bytes(bytes(raw))
    summary, lines = _resume(client, spec_path, out)
    assert summary.n_set_aside == 1 and summary.n_run == 4, lines
    _check_exact(out, finished, spec_path)


def test_foreign_parts_are_moved_aside(
    client: Any, spec_path: Path, finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "foreign.parquet"
    shutil.copytree(finished, out)
    # a Parquet file that is not a lilean sweep part, and a part of another sweep
    pd.DataFrame({"case_id": ["x"], "case_index": [0]}).to_parquet(out / "part-00050.parquet")
    other = _write_spec(tmp_path / "other.toml", j_lo=0.25)
    run_sweep(other, tmp_path / "other.parquet", client=client)
    shutil.copy(tmp_path / "other.parquet" / "part-00000.parquet", out / "part-00051.parquet")
    summary, lines = _resume(client, spec_path, out)
    assert summary.n_run == 0 and summary.n_set_aside == 2
    assert any("part-00050.parquet: foreign" in ln for ln in lines)
    assert any("part-00051.parquet: from another spec" in ln for ln in lines)
    _check_exact(out, finished, spec_path)


def test_duplicated_part_is_moved_aside_no_case_twice(
    client: Any, spec_path: Path, finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dup.parquet"
    shutil.copytree(finished, out)
    shutil.copy(out / "part-00001.parquet", out / "part-00007.parquet")
    with pytest.raises(Exception, match="two parts"):
        load_results(out)  # refused before the repair, never silently doubled
    summary, lines = _resume(client, spec_path, out)
    assert summary.n_run == 0 and summary.n_set_aside == 1
    assert len(lines) == 1 and "part-00007.parquet: duplicate" in lines[0]
    _check_exact(out, finished, spec_path)


def test_changed_spec_resumes_to_exactly_the_new_spec(
    client: Any, finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "changed.parquet"
    shutil.copytree(finished, out)
    new_spec = _write_spec(tmp_path / "new.toml", n_j=3)
    reference = tmp_path / "new_ref.parquet"
    run_sweep(new_spec, reference, client=client)
    summary, lines = _resume(client, new_spec, out)
    assert summary.n_cases == 15 and summary.n_run == 15 and summary.n_set_aside == 5
    assert len(lines) == 5 and all("from another spec" in ln for ln in lines)
    _check_exact(out, reference, new_spec)


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lilean.cli", *args],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_parts(out: Path, proc: subprocess.Popen[str], n: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(out.glob("part-*.parquet"))) < n and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "group", "code"), [(signal.SIGTERM, False, 143), (signal.SIGINT, True, 130)]
)
def test_sigterm_and_ctrl_c_stop_cleanly_and_resume_is_identical(
    client: Any, tmp_path: Path, sig: int, group: bool, code: int
) -> None:
    """SIGTERM to the driver (what kill / systemd / a batch scheduler send), and SIGINT to the
    whole process group (what Ctrl-C does): exit 128+signal, one line, no worker tracebacks."""
    spec = _write_spec(tmp_path / "slow.toml", n_j=24, hours=30.0)
    out = tmp_path / "sig.parquet"
    proc = _cli("sweep", str(spec), "--workers", "1", "--batch-size", "2", "--out", str(out))
    try:
        _wait_for_parts(out, proc, 2)
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "interrupted" in stderr and "--resume" in stderr
    kept = len(load_results(out))
    assert 8 <= kept < 120
    summary = run_sweep(spec, out, client=client, resume=True)
    assert summary.n_skipped == kept and summary.n_run == 120 - kept
    reference = tmp_path / "sig_ref.parquet"
    run_sweep(spec, reference, client=client)
    _check_exact(out, reference, spec)
