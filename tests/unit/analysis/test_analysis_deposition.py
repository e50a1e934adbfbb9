"""Nucleation dip / plateau / overpotential on synthetic transients with known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lilean.analysis.deposition import analyze_deposition
from lilean.errors import LileanError
from lilean.schema import build_table


@pytest.mark.parametrize(
    ("dip_mV", "plateau_mV"),
    [(-427.0, -62.0), (-103.0, -62.0)],  # the study's Cu and Ag@Cu at 1 mA/cm2
)
def test_dip_plateau_and_overpotential(deposition, dip_mV, plateau_mV):
    case = deposition(dip_mV=dip_mV, plateau_mV=plateau_mV)
    res = analyze_deposition(case.data)
    assert res.dip_mV == pytest.approx(dip_mV, abs=1e-9)
    assert res.dip_time_s == pytest.approx(case.dip_time_s)
    assert res.plateau_mV == pytest.approx(plateau_mV, abs=1.0)
    assert res.nucleation_overpotential_mV == pytest.approx(plateau_mV - dip_mV, abs=1.0)
    assert res.nucleation_overpotential_mV > 0
    # areal quantities from the metadata area; independent: Q = |I| t / 3.6 (mAh)
    j = abs(case.current_A) * 1e3 / case.area_cm2
    assert res.current_density_mA_cm2 == pytest.approx(j, rel=1e-9)
    q_dip = abs(case.current_A) * case.dip_time_s / 3.6
    assert res.dip_capacity_mAh_cm2 == pytest.approx(q_dip / case.area_cm2, rel=1e-6)
    # the recovery comes after the dip and before the end
    assert res.dip_time_s < res.recovery_time_s < res.step_duration_s


def test_area_argument_overrides_and_none_without_area(deposition):
    case = deposition()
    table_only = case.data.data
    res = analyze_deposition(table_only)
    assert res.area_cm2 is None and res.dip_capacity_mAh_cm2 is None
    res2 = analyze_deposition(table_only, area_cm2=2.0)
    assert res2.current_density_mA_cm2 == pytest.approx(abs(case.current_A) * 1e3 / 2.0)


def test_plateau_window_and_json(deposition):
    case = deposition(noise_mV=0.0)
    res = analyze_deposition(case.data, plateau_window_s=600.0)
    assert res.plateau_window_s == 600.0
    assert res.plateau_mV == pytest.approx(case.plateau_mV, abs=0.5)
    payload = json.loads(json.dumps(res.to_dict()))
    assert payload["nucleation_overpotential_mV"] == pytest.approx(res.nucleation_overpotential_mV)


def test_no_plating_step_raises():
    t = np.linspace(0, 100, 11)
    table = build_table(t, np.full(11, 3.0), np.full(11, 1e-3))
    with pytest.raises(LileanError, match="no plating"):
        analyze_deposition(table)


def test_bad_window_raises(deposition):
    with pytest.raises(LileanError, match="plateau_window_s"):
        analyze_deposition(deposition().data, plateau_window_s=-1.0)
