"""The record cross-checks of checksum-less binary formats (issue 17): each flags what a damaged
record does and leaves what real measurements do (pulse trains, noise, clock resets) alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lilean.errors import DamagedFileError
from lilean.io.common import (
    PARTIAL_PREFIX,
    check_records,
    isolated_spikes,
    off_time_grid,
    partial_reads,
    time_out_of_order,
)


def _cc_step(n: int = 200, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 3.4 + np.linspace(0, 0.3, n) + rng.normal(0, 2e-4, n)


def test_a_flipped_voltage_within_a_step_is_a_spike() -> None:
    v = _cc_step()
    v[57] = -0.73  # a flipped sign/exponent bit
    v[120] *= 1.0625  # a flipped high mantissa bit: +220 mV
    v[150] *= 1.004  # a lower mantissa bit: +14 mV, below the floor: not seen (documented)
    hit = isolated_spikes(v, np.ones(v.size), floor=0.05)
    assert np.flatnonzero(hit).tolist() == [57, 120]


def test_noise_steps_and_pulse_trains_are_not_spikes() -> None:
    rng = np.random.default_rng(3)
    noisy = -0.044 + rng.normal(0, 8e-4, 5000)  # a potentiostatic current, 2 % noise
    assert not isolated_spikes(noisy, None, floor=0.02 * 0.045).any()
    pulses = np.tile([1.6, 0.0], 500)  # a pulse train inside one step
    assert not isolated_spikes(pulses, np.ones(pulses.size), floor=0.03).any()
    v = _cc_step()
    step = np.where(np.arange(v.size) < 100, 1, 2)
    v[100] = 2.0  # a one-row step of its own (a real, short step): not within one step
    assert not isolated_spikes(v, step, floor=0.05)[98:103].any()


def test_time_out_of_order_alone_but_not_a_clock_reset() -> None:
    t = np.arange(100.0)
    t[40] = 4.1e9  # a damaged time value
    t[70] = 68.5  # one row behind its predecessor: it or the one before is damaged
    assert np.flatnonzero(time_out_of_order(t)).tolist() == [40, 69, 70]
    reset = np.concatenate([np.arange(50.0), np.arange(50.0)])  # every later row moves
    assert not time_out_of_order(reset).any()


def test_time_grid_only_for_files_on_it() -> None:
    t = np.round(np.cumsum(np.full(1000, 0.25)), 3)
    t[500] += 1.3e-5  # a flipped low mantissa bit
    assert np.flatnonzero(off_time_grid(t)).tolist() == [500]
    free = np.cumsum(np.random.default_rng(0).uniform(0.1, 1.0, 1000))  # BioLogic-like
    assert not off_time_grid(free).any()


def test_check_records_refuses_or_drops_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "x.mpr"
    mask = np.zeros(10, dtype=bool)
    mask[[3, 7]] = True
    assert check_records(path, [], [("spikes", np.zeros(10, dtype=bool))]).all()
    with pytest.raises(DamagedFileError) as exc:
        check_records(path, [], [("with a one-row voltage spike", mask)])
    msg = str(exc.value)
    assert "\n" not in msg and "2 record(s)" in msg and "first at record 4" in msg
    notes: list[str] = []
    with partial_reads(True):
        keep = check_records(path, notes, [("with a one-row voltage spike", mask)])
    assert keep.sum() == 8 and notes and notes[0].startswith(PARTIAL_PREFIX)
