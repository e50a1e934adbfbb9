"""lilean's particle-class LFP electrode against PyBaMM with a particle-size distribution.

PyBaMM: ``SPMe(options={"working electrode": "positive", "particle size": "distribution",
"contact resistance": "true"})`` (the many-particle model of Kirk2022 with the SPMe electrolyte) with
the parameter values of :func:`lilean.models.cathode.pybamm_half_cell_parameter_values` and the
area-weighted lognormal that corresponds to lilean's volume-weighted one (same sd, median
``R_v exp(-sd^2)``), truncated at +-3 sd. lilean: ``cathode.particle_classes`` equal-volume quantile
classes of the same distribution sharing one electrode potential (no particle contact resistance,
which PyBaMM does not have per particle). The per-class contact resistance is checked in its
one-class limit, where it is an electrode contact resistance ``r / (a L)`` that PyBaMM has.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean.models import cathode as cm
from lilean.parameters import default_parameters
from lilean.schema import DISCHARGE_CAPACITY, VOLTAGE

pybamm = pytest.importorskip("pybamm", reason="pybamm (the 'reference' extra) is not installed")

pytestmark = pytest.mark.reference

X0 = 0.01
SIZE_SD = 0.4


def _rms_mV(q, v, q_ref, v_ref) -> float:
    """RMS voltage difference on a common capacity grid, excluding the last 2 % before cut-off."""
    grid = np.linspace(0.0, 0.98 * min(q[-1], q_ref[-1]), 500)
    diff = np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)
    return 1e3 * float(np.sqrt(np.mean(diff**2)))


def _pybamm_discharge(params, c_rate: float, *, distribution: bool, extra_contact_ohm: float = 0.0):
    pv = cm.pybamm_half_cell_parameter_values(params, x0=X0)
    pv["Current function [A]"] = pv["Current function [A]"] * c_rate
    pv["Contact resistance [Ohm]"] = pv["Contact resistance [Ohm]"] + extra_contact_ohm
    options = {"working electrode": "positive", "contact resistance": "true"}
    var_pts = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 30}
    if distribution:
        pv = cm.pybamm_size_distribution(
            pv, params.cathode.particle_radius_nm.value * 1e-9, SIZE_SD
        )
        options["particle size"] = "distribution"
        # a coarser grid in x and r: PyBaMM's DAE solver fails near the cut-off on the finer one
        var_pts.update({"x_s": 10, "x_p": 10, "r_p": 20, "R_p": 15})
    model = pybamm.lithium_ion.SPMe(options=options)
    solver = pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8)
    sim = pybamm.Simulation(model, parameter_values=pv, var_pts=var_pts, solver=solver)
    t_end = 1.2 * 3600.0 / c_rate
    sol = sim.solve([0.0, t_end], t_interp=np.linspace(0.0, t_end, 2000))
    assert "Minimum voltage" in sol.termination
    return sol["Discharge capacity [A.h]"].entries * 1e3, sol["Voltage [V]"].entries


@pytest.mark.parametrize("c_rate", [1.0, 2.0])
def test_size_distribution_matches_pybamm(c_rate):
    params = default_parameters().replace(
        {
            "cathode.particle_contact_resistance_ohm_m2": 0.0,
            "cathode.particle_radius_log_sd": SIZE_SD,
        }
    )
    q_ref, v_ref = _pybamm_discharge(params, c_rate, distribution=True)
    ours = cm.simulate_half_cell_discharge(params, c_rate, x0=X0).data
    q = ours[DISCHARGE_CAPACITY].to_numpy()
    v = ours[VOLTAGE].to_numpy()
    assert q[-1] == pytest.approx(q_ref[-1], rel=5e-3)
    rms = _rms_mV(q, v, q_ref, v_ref)
    assert rms < 10.0, f"RMS difference {rms:.2f} mV at {c_rate} C"
    # and the distribution matters: one particle of the median size differs clearly
    single = cm.simulate_half_cell_discharge(
        params.replace({"cathode.particle_classes": 1}), c_rate, x0=X0
    ).data
    assert _rms_mV(
        single[DISCHARGE_CAPACITY].to_numpy(), single[VOLTAGE].to_numpy(), q_ref, v_ref
    ) > (rms)


def test_one_class_contact_resistance_is_an_electrode_contact_resistance():
    r_particle = 2.0  # Ohm m^2 of particle surface
    params = default_parameters().replace(
        {
            "cathode.particle_classes": 1,
            "cathode.particle_contact_resistance_ohm_m2": r_particle,
        }
    )
    p = cm.cathode_parameter_vector(params)
    a_l = 3.0 * p[cm.IDX_EPS_S] / p[cm.IDX_R_P] * p[cm.IDX_L_P]
    area_m2 = params.cell.electrode_area_cm2.value * 1e-4
    q_ref, v_ref = _pybamm_discharge(
        params, 2.0, distribution=False, extra_contact_ohm=r_particle / a_l / area_m2
    )
    ours = cm.simulate_half_cell_discharge(params, 2.0, x0=X0).data
    q = ours[DISCHARGE_CAPACITY].to_numpy()
    assert q[-1] == pytest.approx(q_ref[-1], rel=5e-3)
    assert _rms_mV(q, ours[VOLTAGE].to_numpy(), q_ref, v_ref) < 10.0
