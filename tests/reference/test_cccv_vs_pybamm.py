"""CC-CV charge with a current taper: lilean's protocol engine against PyBaMM's experiment engine.

Same Li || LFP half-cell as ``test_cathode_vs_pybamm.py`` (PyBaMM SPMe, ``working electrode:
positive``, parameters from :func:`lilean.models.cathode.pybamm_half_cell_parameter_values`). On the
lilean side the full-cell kernel runs with an anode reduced to PyBaMM's Li-metal counter electrode
(symmetric Butler-Volmer with the Xu2019 exchange current at the initial electrolyte
concentration; no SEI, dead Li, corrosion or transient), so only the protocol engine and the cathode
differ. Protocol: ``Charge at 1C until 4.2 V``, ``Hold at 4.2 V until C/50``. Compared: CC and CV
charge, CV duration, the current during the taper.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean.models import anode as an
from lilean.models import cathode as cm
from lilean.models.full_cell import (
    N_CYC,
    N_REC,
    PLATEAU_SUBSTEPS,
    REC_I,
    REC_STEP,
    REC_TIME,
    run_full_cell,
)
from lilean.parameters import default_parameters
from lilean.protocols import Experiment

pybamm = pytest.importorskip("pybamm", reason="pybamm (the 'reference' extra) is not installed")

pytestmark = pytest.mark.reference

X0 = 0.95
STEPS = ("Charge at 1C until 4.2 V", "Hold at 4.2 V until C/50")


def _pybamm(params):
    pv = cm.pybamm_half_cell_parameter_values(params, x0=X0)
    pv.update({"Upper voltage cut-off [V]": 4.4, "Open-circuit voltage at 100% SOC [V]": 4.4})
    model = pybamm.lithium_ion.SPMe(
        options={"working electrode": "positive", "contact resistance": "true"}
    )
    var_pts = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 40}
    sim = pybamm.Simulation(
        model,
        parameter_values=pv,
        var_pts=var_pts,
        experiment=pybamm.Experiment([STEPS], period="10 seconds"),
    )
    sol = sim.solve()
    cc, cv = sol.cycles[0].steps
    # PyBaMM: positive current = discharge; charge current is negative
    return (
        -cc["Current [A]"].entries,
        cc["Time [s]"].entries,
        -cv["Current [A]"].entries,
        cv["Time [s]"].entries,
    )


def _lilean(params):
    area = params.cell.electrode_area_cm2.value
    pc = cm.cathode_parameter_vector(params)
    sc = cm.initial_state(pc, X0)
    anode = params.substrate("ag-cu").anode
    pa = an.anode_parameter_vector(anode, temperature_C=params.cell.temperature_C.value)
    c_e0 = float(pc[cm.IDX_C_E0])
    i0_mA_cm2 = cm.XU2019_LI_I0_COEFFICIENT * c_e0**cm.XU2019_LI_I0_EXPONENT / 10.0
    for idx, value in (
        (an.P_I0, i0_mA_cm2),
        (an.P_QCOV, 1e-9),
        (an.P_RSEI0, 0.0),
        (an.P_RHOSEI, 0.0),
        (an.P_EPS, 0.0),
        (an.P_KCORR, 0.0),
        (an.P_OVERSHOOT, 0.0),
        (an.P_GROWTH, 0.0),
    ):
        pa[idx] = value
    sa = np.zeros(an.N_STATE)
    sa[an.S_ACT] = 50.0
    sa[an.S_AREA] = 1.0
    sa[an.S_LSHORT] = 1e9
    loading = params.cell.cathode_loading_mAh_cm2.value
    comp = Experiment([STEPS]).compile(capacity_mAh=loading * area, area_cm2=area)
    rec = np.zeros((4000, N_REC))
    cyc = np.zeros((1, N_CYC))
    to_density = 1e3 / area
    n = run_full_cell(
        sa, pa, sc, pc.copy(), comp.cycle, comp.mode, comp.current_A * to_density,
        comp.voltage_V, comp.duration_s, comp.v_upper_V, comp.v_lower_V,
        comp.i_cutoff_A * to_density, comp.capacity_cutoff_mAh / area, 200, PLATEAU_SUBSTEPS, rec,
        cyc,
    )  # fmt: skip
    rec = rec[:n]
    i_A = rec[:, REC_I] * area * 1e-3
    out = []
    for step in (1, 2):
        m = rec[:, REC_STEP] == step
        out += [i_A[m], rec[m, REC_TIME]]
    return tuple(out)


def _charge_mAh(i_A, t_s) -> float:
    return float(np.trapezoid(i_A, t_s) / 3.6)


def test_cccv_taper_matches_pybamm():
    # the cathode in its single-particle limit (the SPMe that PyBaMM runs)
    params = default_parameters().replace(
        {"cathode.particle_classes": 1, "cathode.particle_contact_resistance_ohm_m2": 0.0}
    )
    ref = _pybamm(params)
    ours = _lilean(params)
    q_cc_ref, q_cv_ref = _charge_mAh(ref[0], ref[1]), _charge_mAh(ref[2], ref[3])
    q_cc, q_cv = _charge_mAh(ours[0], ours[1]), _charge_mAh(ours[2], ours[3])
    assert q_cc == pytest.approx(q_cc_ref, rel=0.02)
    assert q_cc + q_cv == pytest.approx(q_cc_ref + q_cv_ref, rel=0.01)
    assert q_cv == pytest.approx(q_cv_ref, rel=0.1)
    t_cv_ref = ref[3][-1] - ref[3][0]
    t_cv = ours[3][-1] - ours[3][0]
    assert t_cv == pytest.approx(t_cv_ref, rel=0.1)
    # both tapers end at C/50 and decrease monotonically
    i_1c = ours[0][0]
    assert ours[2][-1] <= i_1c / 50 * 1.001 and ref[2][-1] <= i_1c / 50 * 1.05
    assert np.all(np.diff(ours[2]) <= 1e-15)
    # the current halfway through PyBaMM's taper agrees
    t_half = ref[3][0] + 0.5 * t_cv_ref
    i_ref = np.interp(t_half, ref[3], ref[2])
    i_ours = np.interp(t_half - ref[3][0] + ours[3][0], ours[3], ours[2])
    assert i_ours == pytest.approx(i_ref, rel=0.1)
    print(
        f"CC {q_cc:.4f} vs {q_cc_ref:.4f} mAh, CV {q_cv:.4f} vs {q_cv_ref:.4f} mAh, "
        f"t_CV {t_cv:.0f} vs {t_cv_ref:.0f} s, I(t_half) {i_ours * 1e3:.4f} vs {i_ref * 1e3:.4f} mA"
    )
