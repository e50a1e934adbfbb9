"""Compiled protocols are cached (a run builds and compiles the same protocol again)."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.protocols import Experiment, study


def test_same_protocol_same_compiled_object_read_only() -> None:
    a = study.full_cell(1.0, 20).compile(capacity_mAh=0.45, area_cm2=1.13)
    b = study.full_cell(1.0, 20).compile(capacity_mAh=0.45, area_cm2=1.13)
    assert a is b
    with pytest.raises(ValueError, match="read-only"):
        a.current_A[0] = 1.0
    # the consumer's copies are writable
    assert a.current_A.astype(float).flags.writeable


def test_other_capacity_area_or_steps_compile_anew() -> None:
    base = study.full_cell(1.0, 20).compile(capacity_mAh=0.45, area_cm2=1.13)
    other_q = study.full_cell(1.0, 20).compile(capacity_mAh=0.9, area_cm2=1.13)
    assert other_q is not base
    np.testing.assert_allclose(other_q.current_A, 2 * base.current_A)
    other_steps = study.full_cell(2.0, 20).compile(capacity_mAh=0.45, area_cm2=1.13)
    assert other_steps is not base
    # an equal experiment built another way hits the same entry
    again = Experiment(
        [("Charge at 0.5 C until 4.2 V", "Discharge at 0.5 C until 2 V")] * 3
        + [("Charge at 1 C until 4.2 V", "Discharge at 1 C until 2 V")] * 20
    )
    assert again == study.full_cell(1.0, 20)
    assert again.compile(capacity_mAh=0.45, area_cm2=1.13) is base
