"""Every real cycler file loads through auto-detection with sane units and signs, and survives a
Parquet round trip; corrupted copies fail cleanly (FileFormatError naming the file)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lilean import io
from lilean.errors import FileFormatError
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    DISCHARGE_CAPACITY,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    VOLTAGE,
    CyclingData,
    capacities_from_current,
)
from lilean.testing.data import data_dir, names

DATA = data_dir()

#: every time-domain cycler file (EIS spectra, reader configs and licences excluded)
CYCLER_FILES: list[Path] = sorted(
    p
    for sub in ("arbin", "biologic", "land", "maccor", "neware", "other")
    for p in (DATA / n for n in names(sub))
    if p.is_file()
    and p.suffix.lower() not in {".yml", ".md", ".tsv", ".json"}
    and not p.name.endswith("_Metadata.csv")
)


def file_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=CYCLER_FILES, ids=file_id)
def loaded(request):
    path = request.param
    before = _sha(path)
    data = io.read(path, strict=False)
    assert _sha(path) == before, "reading modified the input file"
    return path, data


def test_loads_with_sane_units(loaded):
    path, data = loaded
    d = data.data
    assert len(d) > 0
    v = d[VOLTAGE].to_numpy()
    # every file here is a Li-ion / Li-metal / Na cell: |V| < 6 V, in volts not millivolts
    assert np.nanmax(np.abs(v)) < 6.0, f"{path.name}: voltage not in V?"
    i = d[CURRENT].to_numpy()
    assert np.nanmax(np.abs(i)) < 20.0, f"{path.name}: current not in A?"
    assert np.isfinite(d[TIME]).all()
    assert data.meta.source_sha256 == _sha(path)
    assert data.meta.units_found, "units found in the file must be recorded"


def test_sign_convention(loaded):
    """Positive current = charge: the voltage rises, on average, while the current is positive,
    and falls while it is negative (each direction checked where the file has one)."""
    path, data = loaded
    d = data.data
    dv = np.diff(d[VOLTAGE].to_numpy())
    i = d[CURRENT].to_numpy()[1:]
    same_step = np.diff(d["Step"].to_numpy()) == 0
    charge = (i > 0) & same_step
    discharge = (i < 0) & same_step
    v = d[VOLTAGE].to_numpy()[1:]

    def galvanostatic(rows: np.ndarray) -> bool:
        # enough rows, and the voltage moves (a potentiostatic hold says nothing about the sign)
        return rows.sum() >= 10 and np.ptp(v[rows]) > 0.01

    if not (galvanostatic(charge) or galvanostatic(discharge)):
        pytest.skip(f"{path.name}: no galvanostatic charge or discharge")
    if galvanostatic(charge):
        assert dv[charge].mean() > 0, f"{path.name}: voltage falls while charging"
    if galvanostatic(discharge):
        assert dv[discharge].mean() < 0, f"{path.name}: voltage rises while discharging"


def test_vendor_capacity_agrees(loaded):
    """Our integrated capacity per cycle vs the vendor's own column (independent computation)."""
    path, data = loaded
    d = data.data
    if VENDOR_CHARGE_CAPACITY not in d or VENDOR_DISCHARGE_CAPACITY not in d:
        pytest.skip(f"{path.name}: no vendor capacity column")
    d = d.copy()  # the readers put the counter in the capacity columns: integrate again here
    d[CHARGE_CAPACITY], d[DISCHARGE_CAPACITY] = capacities_from_current(
        d[TIME].to_numpy(), d[CURRENT].to_numpy(), d["Cycle"].to_numpy()
    )
    per_cycle = d.groupby("Cycle")[
        [CHARGE_CAPACITY, DISCHARGE_CAPACITY, VENDOR_CHARGE_CAPACITY, VENDOR_DISCHARGE_CAPACITY]
    ].max()
    scale = per_cycle[[VENDOR_CHARGE_CAPACITY, VENDOR_DISCHARGE_CAPACITY]].to_numpy().max()
    for ours, theirs in (
        (CHARGE_CAPACITY, VENDOR_CHARGE_CAPACITY),
        (DISCHARGE_CAPACITY, VENDOR_DISCHARGE_CAPACITY),
    ):
        big = per_cycle[theirs] > 0.05 * scale  # cycles where this direction carries charge
        if big.sum() == 0:
            continue
        rel = (per_cycle[ours][big] - per_cycle[theirs][big]).abs() / per_cycle[theirs][big]
        # trapezoid integration of logged points vs the instrument's internal coulomb counter:
        # a few % at most for files logged every few seconds/mV
        assert rel.median() < 0.03, f"{path.name}: {ours} vs {theirs}: {rel.to_dict()}"


def test_parquet_round_trip(loaded, tmp_path):
    _, data = loaded
    back = CyclingData.from_parquet(data.to_parquet(tmp_path / "x.parquet"))
    pd.testing.assert_frame_equal(back.data, data.data)
    assert back.meta == data.meta


@pytest.mark.parametrize("path", CYCLER_FILES, ids=file_id)
def test_detected_by_content_under_a_wrong_extension(path, tmp_path):
    reader = io.detect(path)
    disguised = tmp_path / (path.stem + ".dat")
    shutil.copyfile(path, disguised)
    assert io.detect(disguised).name == reader.name


@pytest.mark.parametrize("path", CYCLER_FILES, ids=file_id)
@pytest.mark.parametrize("cut", ["empty", "head", "half", "garbage"])
def test_corrupted_copies_fail_cleanly(path, cut, tmp_path):
    """A broken copy either still reads (a truncated text file is a shorter valid file) or raises
    FileFormatError naming the file; never another exception type."""
    raw = path.read_bytes()
    broken = tmp_path / path.name
    content = {
        "empty": b"",
        "head": raw[:200],
        "half": raw[: len(raw) // 2],
        "garbage": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    }[cut]
    broken.write_bytes(content)
    try:
        data = io.read(broken, strict=False)
    except FileFormatError as exc:
        assert str(broken) in str(exc)
    else:
        assert cut in {"half", "head"}, "empty or garbage input must not load"
        assert len(data) > 0
