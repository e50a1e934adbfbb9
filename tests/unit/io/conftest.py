"""Helpers shared by the reader tests in this folder, as fixtures (the test folders are not
packages, so fixtures are how tests share code).

The generic checks that every real file passes (input unchanged, detection under a neutral
extension, empty/half/garbage copies, vendor capacity within 3 %, Parquet round trip) live in
``tests/integration/test_every_real_file.py``; the unit tests here keep the stronger,
format-specific ones and use these fixtures for the mechanics.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lilean.io as lio
from lilean.errors import FileFormatError
from lilean.io.registry import read_head
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    TIME,
    VENDOR_CHARGE_CAPACITY,
    VENDOR_DISCHARGE_CAPACITY,
    CyclingData,
    capacities_from_current,
)
from lilean.testing.data import data_dir, verified_files

DATA = data_dir()


@pytest.fixture(scope="session")
def data_files() -> list[tuple[Path, bytes]]:
    """Every file in tests/data (sorted) with the first bytes a sniffer sees."""
    return [(p, read_head(p)) for p in verified_files()]


@pytest.fixture
def read_disguised(tmp_path: Path) -> Callable[[Path, str], tuple[str, CyclingData]]:
    """``read_disguised(src, suffix)``: copy ``src`` as ``<stem><suffix>`` (an extension that
    puts another reader first), and return the detected reader name and the table read from
    the copy."""

    def run(src: Path, suffix: str) -> tuple[str, CyclingData]:
        wrong = tmp_path / (src.stem + suffix)
        shutil.copyfile(src, wrong)
        return lio.detect(wrong).name, lio.read(wrong)

    return run


@pytest.fixture
def junk(tmp_path: Path) -> Callable[[str, int, int], Path]:
    """``junk(name, seed, size)``: a file of ``size`` random bytes (``default_rng(seed)``)."""

    def make(name: str, seed: int, size: int) -> Path:
        path = tmp_path / name
        path.write_bytes(np.random.default_rng(seed).bytes(size))
        return path

    return make


@pytest.fixture
def cut_copy(tmp_path: Path) -> Callable[..., Path]:
    """``cut_copy(src, end, name, in_row=None, into_field=2)``: the first ``end`` bytes of
    ``src`` as ``tmp_path / name``. With ``in_row`` (the field separator, bytes) the cut is moved
    into the row that holds byte ``end``: the copy ends ``into_field - 1`` bytes into the fourth
    field of that row, as a copy broken off in the middle of a row would."""

    def make(
        src: Path, end: int, name: str, in_row: bytes | None = None, into_field: int = 2
    ) -> Path:
        raw = src.read_bytes()
        if in_row is not None:
            pos = raw.rindex(b"\n", 0, end) + 1
            for _ in range(3):
                pos = raw.index(in_row, pos) + 1
            end = pos - 1 + into_field
        cut = tmp_path / name
        cut.write_bytes(raw[:end])
        return cut

    return make


@pytest.fixture
def assert_refused() -> Callable[..., None]:
    """``assert_refused(path, *readers)``: every reader raises FileFormatError naming the file."""

    def check(path: Path, *readers: Callable[[Path], Any]) -> None:
        for read in readers:
            with pytest.raises(FileFormatError, match=re.escape(path.name)):
                read(path)

    return check


@pytest.fixture
def trapezoid_bound_mAh() -> Callable[[pd.DataFrame, int], float]:
    """``trapezoid_bound_mAh(table, sign)``: the largest error of the trapezoid rule on the
    logged rows, for the charge (``sign=1``) or discharge (``sign=-1``) direction.

    Where the current changes from I_a to I_b between two logged rows the true charge lies
    between I_a*dt and I_b*dt, so the trapezoid is off by at most ``|I_b - I_a| dt / 2``:
    ``bound = sum(|diff(max(sign*I, 0))| * diff(t)) / 2 / 3.6`` in mAh (I in A, t in s).
    """

    def bound(table: pd.DataFrame, sign: int) -> float:
        i = np.clip(sign * table[CURRENT].to_numpy(), 0, None)
        return float(np.sum(0.5 * np.abs(np.diff(i)) * np.diff(table[TIME].to_numpy()))) / 3.6

    return bound


def with_integrated_capacity(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose capacity columns are lilean's trapezoid integration of the current (the
    readers put the instrument's counter there when the file has one)."""
    out = table.copy()
    out[CHARGE_CAPACITY], out[DISCHARGE_CAPACITY] = capacities_from_current(
        table[TIME].to_numpy(), table[CURRENT].to_numpy(), table[CYCLE].to_numpy()
    )
    return out


@pytest.fixture
def assert_capacity_agrees() -> Callable[..., None]:
    """``assert_capacity_agrees(table, rtol, atol_frac, min_scale)``: per cycle, the maximum of
    our integrated capacity equals that of the vendor's column within ``rtol``, with an absolute
    floor of ``atol_frac`` times the largest vendor cycle (at least ``min_scale`` mAh), for both
    directions. Stricter than the integration test (median within 3 % over the larger cycles):
    every cycle is checked."""

    def check(table: pd.DataFrame, rtol: float, atol_frac: float, min_scale: float) -> None:
        table = with_integrated_capacity(table)
        per_cycle = table.groupby(CYCLE).max(numeric_only=True)
        for ours, vendor in (
            (CHARGE_CAPACITY, VENDOR_CHARGE_CAPACITY),
            (DISCHARGE_CAPACITY, VENDOR_DISCHARGE_CAPACITY),
        ):
            a, b = per_cycle[ours].to_numpy(), per_cycle[vendor].to_numpy()
            scale = max(float(np.max(b)), min_scale)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol_frac * scale)

    return check
