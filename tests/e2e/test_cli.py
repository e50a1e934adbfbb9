"""The CLI as a user runs it: a real subprocess of the installed ``lilean`` entry point."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"
LILEAN = [sys.executable, "-m", "lilean.cli"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*LILEAN, *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"lilean {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def test_version_and_help():
    assert "lilean" in run("--version").stdout
    for cmd in (
        [],
        ["info"],
        ["convert"],
        ["analyze"],
        ["formats"],
        ["reproduce"],
        ["params", "show"],
        ["simulate", "nucleation"],
        ["simulate", "symmetric"],
        ["simulate", "cycling"],
        ["simulate", "rate"],
    ):
        out = run(*cmd, "--help").stdout
        assert "Usage" in out, cmd


def test_info_json_is_one_object():
    proc = run("info", str(DATA / "neware" / "test.ndax"), "--json")
    obj = json.loads(proc.stdout)  # stdout holds exactly one JSON object
    assert obj["rows"] > 0 and obj["format"].startswith("neware")
    assert obj["cycles"] >= 1


def test_convert_then_analyze_parquet(tmp_path):
    src = DATA / "land" / "custom_data_002.xlsx"
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "land.parquet"
    run("convert", str(src), "-o", str(out))
    assert out.exists()
    res = json.loads(run("analyze", str(out), "--kind", "cycling", "--json").stdout)
    assert res["kind"] == "cycling"
    assert len(res["table"]["Cycle"]) == 14
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    ("content", "name", "needle"),
    [
        (b"", "empty.csv", "empty"),
        (b"\x00\xff\x13garbage" * 200, "garbage.nda", "unrecognised"),
        (b"a,b\n1,2\n", "nounits.csv", "unrecognised"),
        (b"time,voltage,current\n0,3.0,0.001\n1,3.1,0.001\n", "unitless.csv", "unrecognised"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, content, name, needle):
    path = tmp_path / name
    path.write_bytes(content)
    proc = run("info", str(path), check=False)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) <= 2, proc.stderr  # one message (rich may wrap a long line)
    assert "Traceback" not in proc.stderr
    assert name in proc.stderr.replace("\n", "") and needle in proc.stderr.lower()
    assert path.read_bytes() == content


def test_missing_file_and_debug_traceback(tmp_path):
    proc = run("info", str(tmp_path / "nope.csv"), check=False)
    assert proc.returncode == 2 and "file not found" in proc.stderr
    proc = run("--debug", "info", str(tmp_path / "nope.csv"), check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_convert_refuses_to_overwrite_input(tmp_path):
    src = tmp_path / "x.csv"
    shutil.copyfile(DATA / "arbin" / "arbin_example.csv", src)
    before = src.read_bytes()
    proc = run("convert", str(src), "-o", str(src), check=False)
    assert proc.returncode == 2 and "refusing to overwrite" in proc.stderr
    assert src.read_bytes() == before


CYCLER_FILES = sorted(
    p
    for sub in ("arbin", "biologic", "land", "maccor", "neware", "other")
    for p in (DATA / sub).iterdir()
    if p.suffix.lower() not in {".yml"} and not p.name.endswith("_Metadata.csv")
)


@pytest.mark.parametrize("path", CYCLER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_file_converts_and_analyses(path, tmp_path):
    out = tmp_path / "t.parquet"
    run("convert", str(path), "-o", str(out))
    res = json.loads(run("analyze", str(path), "--json", "--plot", str(tmp_path)).stdout)
    assert res["kind"] in {"deposition", "symmetric", "cycling", "rate"}
    assert res["figures"], "analysis wrote no figure"
    for fig in res["figures"]:
        assert Path(fig).stat().st_size > 1000


def test_time_going_backwards_is_refused_by_convert_and_reported_by_info(tmp_path):
    src = tmp_path / "back.csv"
    src.write_text("Time [s],Voltage [V],Current [A]\n0,3.0,0.001\n1,3.1,0.001\n0.5,3.2,0.001\n")
    out = tmp_path / "back.parquet"
    proc = run("convert", str(src), "-o", str(out), check=False)
    assert proc.returncode == 2 and "time goes backwards at data row 3" in proc.stderr
    assert not out.exists(), "no half result may be written"
    info = json.loads(run("info", str(src), "--json").stdout)
    assert any("backwards" in a for a in info["anomalies"])
