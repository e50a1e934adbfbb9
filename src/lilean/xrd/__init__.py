"""X-ray diffraction of Ag@Cu substrates: simulated patterns and phase identification.

* :mod:`lilean.xrd.simulate` - reference phases (Cu, Ag, AgCuF3, ...) and simulated patterns
  (pymatgen, optional extra ``xrd``).
* :mod:`lilean.xrd.identify` - read a measured pattern, find its peaks, identify the phases.

``from lilean.xrd import simulate_pattern, identify_phases`` keeps working (figures are in
:mod:`lilean.plotting.xrd`).
"""

from __future__ import annotations

from lilean.xrd.identify import (
    PhaseIDResult,
    PhaseMatch,
    ReflectionMatch,
    d_spacing_match,
    find_pattern_peaks,
    identify_phases,
    read_pattern,
)
from lilean.xrd.simulate import (
    PHASES,
    PhaseDefinition,
    XRDPattern,
    agcuf3_pseudocubic_a_angstrom,
    scherrer_fwhm_deg,
    simulate_pattern,
    synthetic_measurement,
    wavelength_angstrom,
)

__all__ = [
    "PHASES",
    "PhaseDefinition",
    "PhaseIDResult",
    "PhaseMatch",
    "ReflectionMatch",
    "XRDPattern",
    "agcuf3_pseudocubic_a_angstrom",
    "d_spacing_match",
    "find_pattern_peaks",
    "identify_phases",
    "read_pattern",
    "scherrer_fwhm_deg",
    "simulate_pattern",
    "synthetic_measurement",
    "wavelength_angstrom",
]
