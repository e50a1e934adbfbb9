"""``lilean reproduce --fast`` as a user sees it: run the command, open the report in a real headless
Chromium (selenium + Debian's chromedriver), check every section, the console, and the study numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lilean.testing.data import data_dir

DATA = Path(__file__).parents[1] / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: every section of the report (lilean.report.reproduce.EXPERIMENTS), written out independently
SECTIONS = (
    "cell", "xrd", "plumes", "nucleation", "morphology", "symmetric",
    "full-cell-np25", "eis", "rate", "np10", "lab-data",
)  # fmt: skip

pytestmark = pytest.mark.slow


def _run_reproduce(out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "lilean.cli", "reproduce", "--fast", "--out", str(out),
         "--data-dir", str(data_dir()), "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    return {"out": out, "result": result}


def _numbers(obj: Any, path: str = "") -> list[tuple[str, float]]:
    """Every number in the targets (tolerances excluded: they are criteria, not study numbers)."""
    if isinstance(obj, dict):
        return [
            n
            for k, v in obj.items()
            if not k.startswith("tol")
            for n in _numbers(v, f"{path}.{k}" if path else k)
        ]
    if isinstance(obj, list):
        return [n for i, v in enumerate(obj) for n in _numbers(v, f"{path}[{i}]")]
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        return [(path, float(obj))]
    return []


def test_reproduce_fast_as_a_user_sees_it(tmp_path: Path) -> None:
    """One run of the command (expensive) and every check on it: summary.json holds every study
    number, the outputs exist, and the report renders in Chromium without console errors."""
    report = _run_reproduce(tmp_path / "report")
    _check_summary(report)
    _check_outputs(report)
    _check_browser(report, tmp_path)
    again = _run_reproduce(tmp_path / "report")  # same inputs: every experiment from the cache
    assert sorted(again["result"]["cached"]) == sorted(SECTIONS)
    assert again["result"]["summary"] == report["result"]["summary"]


def _check_summary(report: dict[str, Any]) -> None:
    summary = json.loads((report["out"] / "summary.json").read_text())
    assert summary == report["result"]["summary"]
    targets = json.loads((DATA / "targets.json").read_text())
    missing = []
    for path, value in _numbers(targets):
        top = path.split(".")[0].split("[")[0]
        hits = [
            r
            for r in summary
            if r["experiment"].startswith(top.split("_")[0])
            and isinstance(r["study"], float)
            and math.isclose(r["study"], value, rel_tol=1e-9)
        ]
        if not hits:
            missing.append(f"{path} = {value}")
            continue
        for r in hits:  # the record format of the issue
            assert {"experiment", "quantity", "unit", "lilean", "study"} <= set(r)
            if isinstance(r["lilean"], float):
                expected = 100 * (r["lilean"] - r["study"]) / abs(r["study"])
                assert r["deviation_percent"] == pytest.approx(expected)
    assert not missing, f"study numbers absent from summary.json: {missing}"
    # qualitative relations are records with a boolean lilean value
    assert any(isinstance(r["lilean"], bool) for r in summary)


def _check_outputs(report: dict[str, Any]) -> None:
    out = report["out"]
    assert list((out / "figures").glob("*.png")) and list((out / "figures").glob("*.svg"))
    assert list((out / "results").glob("*.parquet"))
    html = (out / "report.html").read_text()
    assert "<script src" not in html  # self-contained: nothing fetched
    assert "--fast" in html  # the fast mode is stated in the header
    # measured files overlaid on the matching simulations (cycling files; EIS spectra)
    assert (out / "figures" / "full_cell_np25_vs_measured.png").is_file()
    assert "plotly-nyquist-measured" in html


def _check_browser(report: dict[str, Any], tmp_path: Path) -> None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(
            "no /usr/bin/chromium + /usr/bin/chromedriver (apt install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(120)
        driver.get((report["out"] / "report.html").resolve().as_uri())
        for key in SECTIONS:
            section = driver.find_element(By.ID, key)
            assert section.find_element(By.TAG_NAME, "h2").text
            failed = section.find_elements(By.CLASS_NAME, "failed")
            assert not failed, f"section {key} FAILED"
            if key == "lab-data":
                continue  # a list of files and their summary plots
            tables = section.find_elements(By.CSS_SELECTOR, "table.study-vs-lilean")
            assert tables and tables[0].find_elements(By.TAG_NAME, "tr"), key
            images = section.find_elements(By.CSS_SELECTOR, "figure img")  # cell: a table only
            if key != "cell" and not section.find_elements(By.CLASS_NAME, "missing"):
                assert images, f"section {key} has no figure"
            for img in images:  # decoded and laid out by the browser
                width = driver.execute_script("return arguments[0].naturalWidth", img)
                assert width > 0, f"broken image in {key}"
        # the interactive plots were drawn by the inlined plotly.js
        plots = driver.find_elements(By.CSS_SELECTOR, "div.js-plotly-plot")
        assert len(plots) >= 3
        assert driver.execute_script("return typeof Plotly") == "object"
        driver.find_element(By.ID, "xrd").location_once_scrolled_into_view  # noqa: B018
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 1000
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
