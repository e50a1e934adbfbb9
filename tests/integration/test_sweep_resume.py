"""Sweeps on a real dask LocalCluster: 1,000 cases from Python and the CLI, failed cases kept,
Ctrl-C and SIGKILL midway then --resume give exactly the uninterrupted results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from lilean.errors import OutputError
from lilean.sweep import finished_case_ids, load_results, load_spec, make_client, run_sweep

distributed = pytest.importorskip("distributed")

# 40 x 25 = 1,000 cheap symmetric-cell cases (a few ms each)
SPEC = """
[sweep]
experiment = "symmetric"
chunk_size = 50
outputs = ["mean_polarization_mV", "final_polarization_mV"]

[fixed]
substrate = "cu"
hours = 2.0

[parameters]
current_density_mA_cm2 = {{ range = [0.5, 2.0], num = {n_j} }}
areal_capacity_mAh_cm2 = {{ range = [0.1, 0.5], num = 25 }}
"""
VOLATILE = ["elapsed_s"]  # wall-clock time per case: the only column allowed to differ


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    c, cluster = make_client(workers=2)  # the sweep's own embedded cluster
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "sym.toml"
    path.write_text(SPEC.format(n_j=40))
    return path


@pytest.fixture(scope="module")
def reference(
    client: Any, spec_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    """The uninterrupted 1,000-case run from Python."""
    out = tmp_path_factory.mktemp("ref") / "ref.parquet"
    summary = run_sweep(spec_path, out, client=client, batch_size=5)
    assert summary.n_cases == summary.n_run == 1000 and summary.n_failed == 0
    return load_results(out)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.drop(columns=VOLATILE).reset_index(drop=True),
        b.drop(columns=VOLATILE).reset_index(drop=True),
        check_exact=True,
    )


def test_reference_covers_the_design(reference: pd.DataFrame, spec_path: Path) -> None:
    spec = load_spec(spec_path)
    assert list(reference["case_index"]) == list(range(1000))
    assert reference["case_id"].is_unique
    expected = pd.DataFrame(list(spec.cases()))
    pd.testing.assert_frame_equal(reference[expected.columns], expected, check_dtype=False)
    assert reference["error"].isna().all()
    assert (reference["mean_polarization_mV"] > 0).all()
    # polarization grows with current density at fixed areal capacity (Ohm + kinetics)
    q0 = reference[reference["areal_capacity_mAh_cm2"] == reference["areal_capacity_mAh_cm2"].min()]
    assert q0["mean_polarization_mV"].is_monotonic_increasing


def test_cli_runs_1000_cases_on_an_existing_scheduler(
    client: Any, spec_path: Path, reference: pd.DataFrame, tmp_path: Path
) -> None:
    from lilean.cli import app

    out = tmp_path / "cli.parquet"
    args = ["sweep", str(spec_path), "--scheduler", client.scheduler.address, "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--batch-size", "5", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["n_run"] == 1000 and payload["n_failed"] == 0
    _same(load_results(out), reference)  # same spec -> same results, whatever the batching
    res = CliRunner().invoke(app, args)  # results exist: refuse, one line, exit status 2
    assert res.exit_code == 2 and "--resume" in res.output
    with pytest.raises(OutputError, match="resume"):
        run_sweep(spec_path, out, client=client)
    again = run_sweep(spec_path, out, client=client, resume=True)
    assert again.n_run == 0 and again.n_skipped == 1000


def test_ctrl_c_keeps_finished_chunks_and_resume_completes(
    client: Any, spec_path: Path, reference: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "interrupted.parquet"

    def interrupt(done: int, total: int) -> None:
        if done >= 120:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec_path, out, client=client, batch_size=5, progress=interrupt)
    kept = len(finished_case_ids(out))
    assert kept >= 120  # the unwritten chunk was flushed, not lost
    second = run_sweep(spec_path, out, client=client, batch_size=5, resume=True)
    assert second.n_skipped == kept and second.n_run == 1000 - kept
    _same(load_results(out), reference)


@pytest.mark.slow
def test_sigkill_midway_then_resume_is_identical(
    client: Any, spec_path: Path, reference: pd.DataFrame, tmp_path: Path
) -> None:
    """Kill the whole sweep process group (driver + its LocalCluster) after a few chunks."""
    out = tmp_path / "killed.parquet"
    code = (
        "import sys; from lilean.sweep import run_sweep; "
        "run_sweep(sys.argv[1], sys.argv[2], workers=2, batch_size=1)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(spec_path), str(out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("part-*.parquet"))) < 3 and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    kept = len(finished_case_ids(out))  # parts are atomic: every part on disk is readable
    assert 150 <= kept < 1000
    second = run_sweep(spec_path, out, client=client, batch_size=5, resume=True)
    assert second.n_skipped == kept and second.n_run == 1000 - kept
    _same(load_results(out), reference)


def test_failed_cases_are_recorded_not_dropped(client: Any, tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(
        SPEC.format(n_j=2)
        .replace('substrate = "cu"\n', "")
        .replace("[parameters]\n", '[parameters]\nsubstrate = { values = ["cu", "unobtainium"] }\n')
    )
    summary = run_sweep(spec, tmp_path / "bad.parquet", client=client, batch_size=3)
    df = load_results(tmp_path / "bad.parquet")
    assert summary.n_cases == len(df) == 100 and summary.n_failed == 50
    bad = df[df["substrate"] == "unobtainium"]
    assert bad["error"].str.contains("unobtainium").all()
    assert bad["mean_polarization_mV"].isna().all()
    assert df[df["substrate"] == "cu"]["error"].isna().all()
