"""The content-addressed report cache: the four tamperings of issue 17 each lead to recomputation
(changed digit, copied folder, truncated figure, wrong-shaped entry), plus a foreign entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lilean.parameters import default_parameters
from lilean.report import engine
from lilean.report.html import Section
from lilean.report.reproduce import reproduce
from lilean.report.sections import SectionSpec


class Toy:
    """A cheap section with one real figure and one table; counts its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, ctx: engine.Context) -> Section:
        import matplotlib.pyplot as plt
        import pandas as pd

        self.runs += 1
        value = ctx.params.cell.electrolyte_volume_uL.value
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, value, 0], label="toy")
        ax.legend()
        ctx.save_table(pd.DataFrame({"x": [1.0, 2.0]}), "toy")
        section = Section("toy", "Toy")
        section.figures.append(ctx.save(fig, "toy", "A toy figure.", "none"))
        section.rows.append(engine.record("toy", "volume", "uL", value, None, kind="input"))
        return section


def _run(out: Path, toy: Toy) -> dict:
    spec = SectionSpec("toy", "Toy", toy)
    return reproduce(out, default_parameters(), sections=[spec])


def _entry(out: Path) -> Path:
    [path] = (out / ".cache").glob("toy-*.json")
    return path


@pytest.fixture
def first(tmp_path: Path) -> tuple[Path, Toy]:
    toy = Toy()
    out = tmp_path / "report"
    result = _run(out, toy)
    assert toy.runs == 1 and result["cached"] == []
    again = _run(out, toy)
    assert toy.runs == 1 and again["cached"] == ["toy"]  # verified entry: served from the cache
    return out, toy


def test_entry_carries_hashes_and_relative_paths(first: tuple[Path, Toy]) -> None:
    out, _ = first
    entry = json.loads(_entry(out).read_text())
    assert set(entry) == {"inputs_hash", "content_hash", "files", "section"}
    assert sorted(entry["files"]) == ["figures/toy.png", "figures/toy.svg", "results/toy.parquet"]
    assert str(out) not in _entry(out).read_text()  # nothing absolute


def test_changed_digit_is_recomputed(first: tuple[Path, Toy]) -> None:
    out, toy = first
    path = _entry(out)
    entry = json.loads(path.read_text())
    entry["section"]["rows"][0]["lilean"] = -927.0
    path.write_text(json.dumps(entry))
    result = _run(out, toy)
    assert toy.runs == 2 and result["cached"] == []
    assert result["summary"][0]["lilean"] == 50.0
    assert json.loads((out / "summary.json").read_text())[0]["lilean"] == 50.0


def test_copied_folder_uses_its_own_figures(first: tuple[Path, Toy], tmp_path: Path) -> None:
    out, toy = first
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(out)  # the original is gone: nothing may point there
    result = _run(copy, toy)
    assert result["cached"] == ["toy"] and toy.runs == 1
    html = (copy / "report.html").read_text()
    assert "figures/toy.png" in html and str(out) not in html
    # a copy whose figure differs from the one its entry hashed is recomputed
    (copy / "figures" / "toy.png").write_bytes((copy / "figures" / "toy.png").read_bytes() + b"x")
    assert _run(copy, toy)["cached"] == [] and toy.runs == 2


def test_truncated_figure_is_recomputed(first: tuple[Path, Toy]) -> None:
    from PIL import Image

    out, toy = first
    png = out / "figures" / "toy.png"
    png.write_bytes(png.read_bytes()[: png.stat().st_size // 2])
    result = _run(out, toy)
    assert result["cached"] == [] and toy.runs == 2
    with Image.open(png) as img:
        img.verify()  # whole again


@pytest.mark.parametrize(
    "content",
    ["[1, 2, 3]", "{}", '{"inputs_hash": 1}', "not json", '{"section": "x", "files": []}'],
)
def test_wrong_shaped_entry_is_recomputed(first: tuple[Path, Toy], content: str) -> None:
    out, toy = first
    path = _entry(out)
    entry = json.loads(path.read_text())
    if content == '{"section": "x", "files": []}':  # right hashes key, wrong inner shape
        content = json.dumps({**entry, "section": "x"})
    path.write_text(content)
    result = _run(out, toy)
    assert result["cached"] == [] and toy.runs == 2 and not result["failed"]


def test_entry_of_other_inputs_is_not_used(first: tuple[Path, Toy]) -> None:
    out, toy = first
    changed = default_parameters().replace({"cell.electrolyte_volume_uL": 60.0})
    result = reproduce(out, changed, sections=[SectionSpec("toy", "Toy", toy)])
    assert result["cached"] == [] and result["summary"][0]["lilean"] == 60.0


def test_path_outside_the_report_folder_is_refused(first: tuple[Path, Toy], tmp_path: Path) -> None:
    out, toy = first
    path = _entry(out)
    entry = json.loads(path.read_text())
    outside = tmp_path / "elsewhere.png"
    shutil.copy(out / "figures" / "toy.png", outside)
    digest = entry["files"].pop("figures/toy.png")
    entry["files"]["../elsewhere.png"] = digest
    entry["section"]["figures"][0]["path"] = "../elsewhere.png"
    body, files = entry["section"], entry["files"]
    entry["content_hash"] = engine._content_hash(body, files)  # a consistent, malicious entry
    path.write_text(json.dumps(entry))
    assert _run(out, toy)["cached"] == [] and toy.runs == 2


def test_failure_is_reported_not_raised(tmp_path: Path) -> None:
    def boom(ctx: engine.Context) -> Section:
        raise RuntimeError("kaput")

    out = reproduce(tmp_path, default_parameters(), sections=[SectionSpec("cell", "Cells", boom)])
    assert out["failed"] == ["cell"]
    assert "FAILED: RuntimeError: kaput" in (tmp_path / "report.html").read_text()
    assert not list((tmp_path / ".cache").glob("cell-*.json"))  # a failure is never cached


def test_missing_optional_extra_is_missing_not_failed(tmp_path: Path) -> None:
    from lilean.errors import LileanError

    def needs_pymatgen(ctx: engine.Context) -> Section:
        raise LileanError(
            "XRD simulation needs the optional package 'pymatgen': pip install 'lilean[xrd]'"
        )

    out = reproduce(
        tmp_path, default_parameters(), sections=[SectionSpec("xrd", "XRD", needs_pymatgen)]
    )
    assert out["failed"] == [] and out["missing"] == ["xrd"]
    assert "lilean[xrd]" in (tmp_path / "report.html").read_text()
