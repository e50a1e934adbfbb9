"""Terminal output of the data commands: units and names shown verbatim, tables rendered, --json
alone on stdout, third-party log records captured as notes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import warnings

import pytest

from lilean.cli.display import captured_notes

LILEAN = [sys.executable, "-m", "lilean.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([*LILEAN, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def ndax(data_dir):
    path = data_dir / "neware" / "nw4-120-6-1-36.ndax"
    if not path.exists():
        pytest.skip(f"{path} absent")
    return path


def test_info_shows_units(ndax):
    proc = run("info", str(ndax))
    assert proc.returncode == 0, proc.stderr
    for name in ("Time [s]", "Charge capacity [mAh]", "Vendor discharge capacity [mAh]"):
        assert name in proc.stdout


def test_analyze_renders_the_per_cycle_table_and_flags(ndax, tmp_path):
    out = tmp_path / "s.csv"
    proc = run("analyze", str(ndax), "--kind", "cycling", "--summary", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "entries}" not in proc.stdout
    assert "Retention" in proc.stdout and "[%]" in proc.stdout
    assert "ce_out_of_band" in proc.stdout
    import pandas as pd

    summary = pd.read_csv(out)
    assert list(summary["Cycle"]) == [1, 2, 3, 4, 5]
    assert summary["Quality"].iloc[0] != "ok"


@pytest.mark.parametrize("command", ["info", "analyze"])
def test_json_is_one_object_and_nothing_else(ndax, command):
    proc = run(command, str(ndax), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)  # raises on anything else on stdout
    assert isinstance(payload, dict)
    assert proc.stdout.count("\n") == 1


def test_params_show_keeps_names_whole_and_no_emoji():
    from lilean.parameters import default_parameters

    proc = run("params", "show")
    assert proc.returncode == 0, proc.stderr
    assert "LFP:AB:PVDF" in proc.stdout
    assert "\U0001f18e" not in proc.stdout  # the AB emoji
    for name in default_parameters().flat():
        assert name in proc.stdout


def test_library_warnings_and_log_records_become_notes(capsys):
    with captured_notes() as notes:
        logging.getLogger("fastnda.main").warning("Column type %s not understood", "x")
        warnings.warn("odd header", UserWarning, stacklevel=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert notes == ["fastnda.main: Column type x not understood", "UserWarning: odd header"]


def test_dqdv_command_writes_both_branches_and_peaks(ndax, tmp_path):
    import pandas as pd

    out = tmp_path / "curves.csv"
    proc = run("dqdv", str(ndax), "--cycles", "2,5", "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["cycles"] == [2, 5]
    assert "Savitzky-Golay" in payload["method"]
    curves = pd.read_csv(tmp_path / "curves_dqdv.csv")
    assert set(zip(curves["Cycle"], curves["Branch"], strict=True)) == {
        (c, b) for c in (2, 5) for b in ("charge", "discharge")
    }
    peaks = pd.read_csv(tmp_path / "curves_peaks.csv")
    main_discharge = peaks[peaks["Branch"] == "discharge"].groupby("Cycle").first()
    # the discharge's main peak of this NMC cell near 3.67 V in both cycles (what the data holds)
    assert main_discharge["Peak voltage [V]"].between(3.6, 3.75).all()
    bad = run("dqdv", str(ndax), "--cycles", "two")
    assert bad.returncode == 2 and "--cycles" in bad.stderr


def test_notes_are_captured_per_thread(capsys):
    import threading

    barrier = threading.Barrier(3)
    got: dict[str, list[str]] = {}

    def work(name: str) -> None:
        with captured_notes() as notes:
            barrier.wait()
            for k in range(50):
                logging.getLogger("fastnda.utils").warning("%s %d", name, k % 2)
            warnings.warn(f"{name} warns", UserWarning, stacklevel=1)
            barrier.wait()
        got[name] = notes

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("a", "b", "c"):
        assert got[name] == [
            f"fastnda.utils: {name} 0",
            f"fastnda.utils: {name} 1",
            f"UserWarning: {name} warns",
        ]
    assert capsys.readouterr().err == ""
    assert logging.getLogger().handlers == [] or all(
        type(h).__name__ != "_Router" for h in logging.getLogger().handlers
    )
