"""The CLI as a user runs it: a real subprocess of the installed ``lilean`` entry point."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lilean.testing.data import data_dir, names

DATA = data_dir()
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
    for p in (DATA / n for n in names(sub))
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


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (
            ["nucleation", "--substrate", "cu", "--current-density", "1"],
            {"dip_mV", "plateau_mV", "nucleation_overpotential_mV", "time_s", "potential_mV"},
        ),
        (
            ["symmetric", "--substrate", "ag-cu", "--current-density", "1",
             "--areal-capacity", "1", "--hours", "20"],
            {"cycle", "polarization_mV", "short_circuit_h", "failure_h"},
        ),
        (
            ["cycling", "--substrate", "cu", "--cathode-loading", "0.4", "--li-inventory", "10",
             "--c-rate", "1", "--cycles", "20"],
            {"cycle", "discharge_capacity_mAh_g", "charge_capacity_mAh_g",
             "coulombic_efficiency", "retention_percent"},
        ),
        (
            ["rate", "--substrate", "ag-cu", "--cathode-loading", "0.4", "--li-inventory", "10",
             "--c-rates", "0.5,1,2"],
            {"c_rate", "discharge_capacity_mAh_g"},
        ),
        (
            ["eis", "--substrate", "cu", "--cycles", "10"],
            {"frequency_Hz", "z_real_ohm", "z_imag_ohm", "elements"},
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)  # fmt: skip
def test_simulate_json_contract(args, keys):
    """The simulate commands' JSON keys are a contract other tools depend on."""
    proc = run("simulate", *args, "--json")
    obj = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert keys <= set(obj), keys - set(obj)
    if args[0] == "nucleation":
        assert obj["nucleation_overpotential_mV"] > 0
        assert len(obj["time_s"]) == len(obj["potential_mV"]) > 10
    if args[0] == "cycling":
        assert len(obj["cycle"]) == 20 == len(obj["coulombic_efficiency"])
    if args[0] == "eis":
        assert obj["frequency_Hz"][0] == pytest.approx(1e5)
        assert obj["frequency_Hz"][-1] == pytest.approx(1e-2)


def test_simulate_protocol_and_analyze_the_output(tmp_path):
    out = tmp_path / "run.parquet"
    proc = run(
        "simulate", "protocol", "--substrate", "ag-cu",
        "--step", "Charge at 1C until 4.2 V", "--step", "Discharge at 2C until 2.0 V",
        "--repeat", "3", "-o", str(out), "--json",
    )  # fmt: skip
    res = json.loads(proc.stdout)
    assert res["kind"] == "cycling" and len(res["table"]["Cycle"]) == 3
    again = json.loads(run("analyze", str(out), "--kind", "cycling", "--json").stdout)
    assert again["table"] == res["table"]
    bad = run("simulate", "protocol", "--substrate", "cu", "--step", "Charge at 1C untill 4.2 V",
              check=False)  # fmt: skip
    assert bad.returncode == 2 and "untill" in bad.stderr


def test_sweep_plumes_process_map_shows_the_study_window():
    res = json.loads(run("sweep", "plumes", "--json").stdout)
    best = res["optimum"]
    assert 0.5 <= best["agf_wt_percent"] <= 2 and 1 <= best["minutes"] <= 4
    corners = [
        c["surface_area_factor"]
        for c in res["cases"]
        if (c["agf_wt_percent"], c["minutes"]) in {(0.25, 0.5), (4.0, 8.0)}
    ]
    assert len(corners) == 2 and max(corners) < best["surface_area_factor"]


EIS_FILES = [DATA / n for n in names("eis")]


@pytest.mark.slow
@pytest.mark.parametrize("path", EIS_FILES, ids=lambda p: p.name)
def test_every_eis_file_fits_from_the_cli(path, tmp_path):
    res = json.loads(run("eis", "fit", str(path), "--json", "--plot", str(tmp_path)).stdout)
    assert len(res["frequency_Hz"]) == len(res["z_real_ohm"]) > 10
    assert res["parameters"], res.get("fit_error")
    r0 = res["parameters"]["R0"]
    assert r0["low"] <= r0["value"] <= r0["high"]
    assert "passed" in res["linkk"]
    assert res["figures"] and all(Path(f).exists() for f in res["figures"])
