"""The data-driven knee baseline (lilean.fit.baseline): features of real simulated cells and a
ridge fit that recovers a known linear law."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.errors import LileanError
from lilean.fit import FEATURES, KneeRidge, early_features
from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling


def test_ridge_recovers_a_linear_law_and_its_loo_error() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = np.exp(5.0 + 0.3 * x[:, 0] - 0.2 * x[:, 2] + rng.normal(0, 0.05, 40))
    model = KneeRidge().fit(x, y)
    pred, lo, hi = model.predict(x)
    assert np.median(np.abs(pred / y - 1)) < 0.06
    assert 0.03 < model.loo_rms_log < 0.08  # about the 0.05 noise
    assert np.mean((lo <= y) & (y <= hi)) > 0.85
    with pytest.raises(LileanError):
        KneeRidge().fit(x[:2], y[:2])


def test_features_follow_the_twin() -> None:
    p = default_parameters()
    a = simulate_cycling(p, "cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0,
                         c_rate=1.0, cycles=30, steps_per_half_cycle=20)  # fmt: skip
    rho = "substrates.cu.anode.sei_resistivity_ohm_cm2_per_mAh"
    faster = 1.75 * p.flat()[rho].value  # faster SEI resistance growth than the set's
    b = simulate_cycling(p.replace({rho: faster}), "cu", cathode_loading_mAh_cm2=0.4,
                         li_inventory_mAh_cm2=10.0, c_rate=1.0, cycles=30,
                         steps_per_half_cycle=20)  # fmt: skip
    fa, fb = early_features(a.summary, 30), early_features(b.summary, 30)
    assert fa.shape == (len(FEATURES),)
    gap = FEATURES.index("gap_slope_mV_per_cycle")
    assert fb[gap] > 1.5 * fa[gap] > 0  # faster SEI resistance growth: faster gap growth
    with pytest.raises(LileanError):
        early_features(a.summary, 3)
