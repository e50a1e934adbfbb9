"""X-ray powder diffraction of the Ag@Cu substrate: simulated patterns and phase identification.

The study (Zhang et al., ACS Appl. Energy Mater. 6 (2023) 6338) reports Cu K-alpha XRD of Ag@Cu
with the Cu (111), (200), (220) reflections at 2-theta = 43.3, 50.4, 74.1 deg (PDF 04-0836) and four
Ag reflections between 30 and 80 deg (PDF 04-0783), and HRTEM lattice spacings of 0.242 nm (plume
surface, assigned to Ag) and 0.227 nm (assigned to AgCuF3 (111)). This module

* builds the three phases from published lattice parameters and space groups
  (:data:`PHASES`) and computes their powder patterns with pymatgen's kinematic
  :class:`~pymatgen.analysis.diffraction.xrd.XRDCalculator` (atomic scattering factors,
  multiplicity and Lorentz-polarisation factor ``(1 + cos^2 2theta) / (sin^2 theta cos theta)``);
* turns the stick pattern into a profile: each reflection is a Gaussian whose FWHM combines an
  instrumental width and Scherrer broadening ``beta = K lambda / (L cos theta)`` (K = 0.9, L the
  crystallite size; Scherrer, Nachr. Ges. Wiss. Goettingen (1918) 98; Langford & Wilson, J. Appl.
  Cryst. 11 (1978) 102) in quadrature, ``FWHM = sqrt(FWHM_inst^2 + beta^2)``;
* identifies phases in a measured pattern by peak matching (:func:`identify_phases`);
* matches a lattice spacing (HRTEM) to the nearest reflection of a phase (:func:`d_spacing_match`).

Bragg's law links angle and spacing: ``lambda = 2 d sin(theta)``, ``2theta`` in degrees.

pymatgen is an optional extra (``pip install 'lilean[xrd]'``) and is imported lazily.

AgCuF3 -- an honest note on the structure
-----------------------------------------
No refined AgCuF3 structure could be retrieved while writing this module (the study does not
give one either; it only assigns 0.227 nm to "AgCuF3 (111)", i.e. indexes it on a small
perovskite-type cell). AgCuF3 is therefore modelled as the **idealised cubic perovskite
aristotype** (space group Pm-3m, Ag on the A site 1b (1/2,1/2,1/2), Cu on the B site 1a (0,0,0),
F on 3d (1/2,0,0)); the real compound, with Jahn-Teller-active Cu2+ and a tolerance factor
``t = (r_Ag + r_F) / (sqrt 2 (r_Cu + r_F)) ~ 0.90``, is certainly distorted (tilted, orthorhombic
or lower), so its weak superstructure reflections and peak splittings are missing here. The
pseudo-cubic lattice parameter is *estimated, not fitted to the HRTEM value*: the formula-unit
volumes of three refined ACuF3 fluoroperovskites (NaCuF3, KCuF3, RbCuF3; see
:data:`ACUF3_REFERENCE_CELLS`) are linear in the Shannon radius of the A cation (CN VIII; Shannon,
Acta Cryst. A32 (1976) 751), and the line evaluated at r(Ag+) = 1.28 A gives V = 61.8 A^3,
``a = V^(1/3) = 3.953 A`` (:func:`agcuf3_pseudocubic_a_angstrom`). Its (111) spacing is 0.2282 nm,
0.5 % above the study's 0.227 nm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lilean._optional import require
from lilean.errors import ParameterError

if TYPE_CHECKING:
    from pymatgen.core import Structure

#: Scherrer shape factor for spherical crystallites and FWHM (Langford & Wilson 1978)
SCHERRER_K = 0.9
#: default instrumental FWHM of a laboratory Bragg-Brentano diffractometer, degrees 2-theta
INSTRUMENT_FWHM_DEG = 0.08
#: reflections weaker than this (percent of the phase's strongest) are left out of matching
MIN_REFERENCE_INTENSITY = 2.0

# ------------------------------------------------------------------------------------------------
# phases
# ------------------------------------------------------------------------------------------------

#: Refined ACuF3 cells used to estimate the AgCuF3 pseudo-cubic lattice parameter:
#: (A cation, Shannon radius of A+ for CN VIII in angstrom, a, b, c in angstrom, alpha, beta, gamma
#: in degrees, formula units Z, source).
ACUF3_REFERENCE_CELLS: tuple[
    tuple[str, float, float, float, float, float, float, float, int, str], ...
] = (
    (
        "Na",
        1.18,
        5.391,
        5.552,
        7.928,
        90.66,
        92.05,
        86.95,
        4,
        "NaCuF3, P-1: Kaiser et al., 'Jahn-Teller effect and crystal structure distortion of the "
        "copper fluoroperovskites NaCuF3 and RbCuF3', Z. Anorg. Allg. Chem. 585 (1990) 93",
    ),
    (
        "K",
        1.51,
        5.855,
        5.855,
        7.852,
        90.0,
        90.0,
        90.0,
        4,
        "KCuF3, I4/mcm: Okazaki & Suemune, 'The crystal structure of KCuF3', "
        "J. Phys. Soc. Jpn. 16 (1961) 176",
    ),
    (
        "Rb",
        1.61,
        6.023,
        6.023,
        7.912,
        90.0,
        90.0,
        90.0,
        4,
        "RbCuF3, I4/mcm: Kaiser et al., Z. Anorg. Allg. Chem. 585 (1990) 93",
    ),
)
#: Shannon (1976) ionic radius of Ag+ for CN VIII, angstrom
AG_PLUS_RADIUS_CN8_ANGSTROM = 1.28


def _cell_volume_angstrom3(
    a: float, b: float, c: float, alpha: float, beta: float, gamma: float
) -> float:
    """Triclinic cell volume ``V = abc sqrt(1 - cos^2 a - cos^2 b - cos^2 g + 2 cos a cos b cos g)``."""
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    return a * b * c * math.sqrt(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg)


def agcuf3_pseudocubic_a_angstrom() -> float:
    """Pseudo-cubic lattice parameter of AgCuF3 in angstrom, estimated from ACuF3 analogues.

    Least-squares line ``V_fu = c0 + c1 r_A`` through the formula-unit volumes
    ``V_fu = V_cell / Z`` of NaCuF3, KCuF3 and RbCuF3 (:data:`ACUF3_REFERENCE_CELLS`) against the
    Shannon CN VIII radius of the A cation, evaluated at r(Ag+) = 1.28 A; ``a = V_fu^(1/3)``.
    This is an assumption (see the module docstring), about 3.953 A.
    """
    radii = np.array([row[1] for row in ACUF3_REFERENCE_CELLS])
    volumes = np.array(
        [_cell_volume_angstrom3(*row[2:8]) / row[8] for row in ACUF3_REFERENCE_CELLS]
    )
    slope, intercept = np.polyfit(radii, volumes, 1)
    return float((intercept + slope * AG_PLUS_RADIUS_CN8_ANGSTROM) ** (1.0 / 3.0))


@dataclass(frozen=True)
class PhaseDefinition:
    """A crystal structure built from a space group, a cubic lattice parameter and sites."""

    name: str
    formula: str
    space_group: str
    a_angstrom: float
    species: tuple[str, ...]
    fractional_coords: tuple[tuple[float, float, float], ...]
    source: str
    assumed: bool = False

    def structure(self) -> Structure:
        """The pymatgen Structure (space-group expansion of the asymmetric sites)."""
        core = _pymatgen_core()
        lattice = core.Lattice.cubic(self.a_angstrom)
        return core.Structure.from_spacegroup(
            self.space_group, lattice, list(self.species), [list(c) for c in self.fractional_coords]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "formula": self.formula,
            "space_group": self.space_group,
            "a_angstrom": self.a_angstrom,
            "source": self.source,
            "assumed_structure": self.assumed,
        }


PHASES: dict[str, PhaseDefinition] = {
    "Cu": PhaseDefinition(
        "Cu",
        "Cu",
        "Fm-3m",
        3.615,
        ("Cu",),
        ((0.0, 0.0, 0.0),),
        "fcc Cu, Fm-3m, a = 3.615 A: ICDD PDF 04-0836",
    ),
    "Ag": PhaseDefinition(
        "Ag",
        "Ag",
        "Fm-3m",
        4.086,
        ("Ag",),
        ((0.0, 0.0, 0.0),),
        "fcc Ag, Fm-3m, a = 4.086 A: ICDD PDF 04-0783",
    ),
    "AgCuF3": PhaseDefinition(
        "AgCuF3",
        "AgCuF3",
        "Pm-3m",
        round(agcuf3_pseudocubic_a_angstrom(), 4),
        ("Ag", "Cu", "F"),
        ((0.5, 0.5, 0.5), (0.0, 0.0, 0.0), (0.5, 0.0, 0.0)),
        "ASSUMED idealised cubic perovskite (Pm-3m); a estimated from the A-cation radius trend of "
        "NaCuF3, KCuF3, RbCuF3 (Kaiser et al. 1990; Okazaki & Suemune 1961) with Shannon (1976) "
        "radii; no refined AgCuF3 structure was used",
        assumed=True,
    ),
}


def _pymatgen_core() -> Any:
    return require("pymatgen.core", "xrd", purpose="XRD simulation")


def _xrd_calculator(wavelength: str | float) -> Any:
    xrd = require("pymatgen.analysis.diffraction.xrd", "xrd", purpose="XRD simulation")
    WAVELENGTHS, XRDCalculator = xrd.WAVELENGTHS, xrd.XRDCalculator
    if isinstance(wavelength, str) and wavelength not in WAVELENGTHS:
        raise ParameterError(
            f"wavelength {wavelength!r}: expected one of {sorted(WAVELENGTHS)} or a number in angstrom"
        )
    if not isinstance(wavelength, str) and not (0.1 < float(wavelength) < 5.0):
        raise ParameterError(f"wavelength {wavelength!r} A: expected 0.1 to 5 angstrom")
    return XRDCalculator(wavelength=wavelength)


def wavelength_angstrom(wavelength: str | float) -> float:
    """The X-ray wavelength in angstrom (``"CuKa"`` is the K-alpha1/alpha2 weighted mean 1.54184 A)."""
    return float(_xrd_calculator(wavelength).wavelength)


def phase_definition(name: str) -> PhaseDefinition:
    for key, value in PHASES.items():
        if key.lower() == str(name).strip().lower():
            return value
    raise ParameterError(f"phase {name!r}: expected one of {sorted(PHASES)}")


@lru_cache(maxsize=64)
def stick_pattern(
    name: str, wavelength: str | float, lo_deg: float, hi_deg: float
) -> tuple[tuple[float, float, float, str, int], ...]:
    """(two_theta_deg, d_nm, intensity 0-100, hkl label, multiplicity) of one phase."""
    phase = phase_definition(name)
    calc = _xrd_calculator(wavelength)
    pattern = calc.get_pattern(phase.structure(), scaled=True, two_theta_range=(lo_deg, hi_deg))
    out = []
    for x, y, hkls, d in zip(pattern.x, pattern.y, pattern.hkls, pattern.d_hkls, strict=True):
        label = ",".join("(" + "".join(str(i) for i in h["hkl"]) + ")" for h in hkls)
        mult = int(sum(h["multiplicity"] for h in hkls))
        out.append((float(x), float(d) / 10.0, float(y), label, mult))
    return tuple(out)


# ------------------------------------------------------------------------------------------------
# simulated patterns
# ------------------------------------------------------------------------------------------------


@dataclass
class XRDPattern:
    """A simulated powder pattern.

    ``peaks``: one row per reflection with columns ``phase``, ``two_theta_deg``, ``d_nm``, ``hkl``,
    ``multiplicity``, ``intensity`` (percent of the strongest reflection of the whole pattern).
    ``two_theta_deg`` / ``intensity``: the broadened profile on an even grid (same scale).
    """

    peaks: pd.DataFrame
    two_theta_deg: np.ndarray
    intensity: np.ndarray
    wavelength_angstrom: float
    phases: list[tuple[str, float]]
    crystallite_size_nm: float | None
    instrument_fwhm_deg: float
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, include_profile: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "wavelength_angstrom": self.wavelength_angstrom,
            "phases": [{"phase": p, "weight": w} for p, w in self.phases],
            "crystallite_size_nm": self.crystallite_size_nm,
            "instrument_fwhm_deg": self.instrument_fwhm_deg,
            "structures": [phase_definition(p).to_dict() for p, _ in self.phases],
            "peaks": self.peaks.to_dict(orient="records"),
        }
        if include_profile:
            out["profile"] = {
                "two_theta_deg": self.two_theta_deg.tolist(),
                "intensity": self.intensity.tolist(),
            }
        return out


def scherrer_fwhm_deg(
    two_theta_deg: np.ndarray | float, crystallite_size_nm: float, wavelength_A: float
) -> np.ndarray:
    """Scherrer broadening (FWHM, degrees 2-theta): ``beta = K lambda / (L cos theta)`` in radians.

    K = :data:`SCHERRER_K`, lambda and L in the same unit (lambda in A, L in nm are converted).
    """
    if crystallite_size_nm <= 0:
        raise ParameterError(f"crystallite_size_nm = {crystallite_size_nm}: expected > 0")
    theta = np.radians(np.asarray(two_theta_deg, dtype=float) / 2.0)
    beta_rad = SCHERRER_K * (wavelength_A / 10.0) / (crystallite_size_nm * np.cos(theta))
    return np.asarray(np.degrees(beta_rad))


def _normalise_phases(phase: str | Sequence[Any]) -> list[tuple[str, float]]:
    if isinstance(phase, str):
        return [(phase_definition(phase).name, 1.0)]
    out: list[tuple[str, float]] = []
    for item in phase:
        if isinstance(item, str):
            name, weight = item, 1.0
        else:
            try:
                name, weight = item
                weight = float(weight)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"phase {item!r}: expected a phase name or a (phase, weight) pair"
                ) from None
        if not math.isfinite(weight) or weight < 0:
            raise ParameterError(f"weight of phase {name!r} = {weight}: expected >= 0")
        out.append((phase_definition(name).name, weight))
    if not out or sum(w for _, w in out) <= 0:
        raise ParameterError("phase: expected at least one phase with a positive weight")
    return out


def simulate_pattern(
    phase: str | Sequence[str | tuple[str, float]],
    *,
    two_theta_range: tuple[float, float] = (30.0, 80.0),
    wavelength: str | float = "CuKa",
    crystallite_size_nm: float | None = None,
    step_deg: float = 0.02,
    instrument_fwhm_deg: float = INSTRUMENT_FWHM_DEG,
) -> XRDPattern:
    """Simulated powder pattern of one phase or a weighted mixture.

    ``phase``: a name in :data:`PHASES` or a list of names / ``(name, weight)`` pairs. Each phase's
    pattern is scaled to 100 at its strongest reflection and multiplied by its weight; the weights
    are therefore relative peak heights, not mass fractions (those would need reference intensity
    ratios). The result is rescaled to 100 at the strongest reflection.

    Profile: Gaussians of FWHM ``sqrt(instrument_fwhm_deg^2 + beta_Scherrer^2)`` (no Scherrer term
    when ``crystallite_size_nm`` is None) with integrated area proportional to the stick intensity,
    on a grid of ``step_deg``. Intensities from pymatgen (kinematic, Lorentz-polarisation, no
    absorption, no texture, no Debye-Waller factor).
    """
    lo, hi = (float(x) for x in two_theta_range)
    if not (0.0 < lo < hi < 180.0):
        raise ParameterError(f"two_theta_range = {two_theta_range}: expected 0 < lo < hi < 180 deg")
    if not (0.0 < step_deg <= 1.0):
        raise ParameterError(f"step_deg = {step_deg}: expected 0 < step <= 1 deg")
    if instrument_fwhm_deg <= 0:
        raise ParameterError(f"instrument_fwhm_deg = {instrument_fwhm_deg}: expected > 0")
    phases = _normalise_phases(phase)
    lam = wavelength_angstrom(wavelength)
    rows = []
    for name, weight in phases:
        for x, d_nm, y, hkl, mult in stick_pattern(name, wavelength, lo, hi):
            rows.append(
                {
                    "phase": name,
                    "two_theta_deg": x,
                    "d_nm": d_nm,
                    "hkl": hkl,
                    "multiplicity": mult,
                    "intensity": y * weight,
                }
            )
    peaks = pd.DataFrame(
        rows, columns=["phase", "two_theta_deg", "d_nm", "hkl", "multiplicity", "intensity"]
    )
    peaks = peaks[peaks["intensity"] > 0].sort_values("two_theta_deg").reset_index(drop=True)
    if len(peaks):
        peaks["intensity"] = 100.0 * peaks["intensity"] / peaks["intensity"].max()
    grid = np.arange(lo, hi + 0.5 * step_deg, step_deg)
    profile = np.zeros_like(grid)
    if len(peaks):
        centres = peaks["two_theta_deg"].to_numpy()
        fwhm = np.full_like(centres, instrument_fwhm_deg)
        if crystallite_size_nm is not None:
            fwhm = np.hypot(fwhm, scherrer_fwhm_deg(centres, crystallite_size_nm, lam))
        sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        area = peaks["intensity"].to_numpy()
        z = (grid[:, None] - centres[None, :]) / sigma[None, :]
        profile = (area / (sigma * math.sqrt(2 * math.pi)) * np.exp(-0.5 * z * z)).sum(axis=1)
        profile = 100.0 * profile / profile.max()
    return XRDPattern(
        peaks=peaks,
        two_theta_deg=grid,
        intensity=profile,
        wavelength_angstrom=lam,
        phases=phases,
        crystallite_size_nm=crystallite_size_nm,
        instrument_fwhm_deg=instrument_fwhm_deg,
    )


def synthetic_measurement(
    phases: Sequence[tuple[str, float]],
    *,
    seed: int,
    noise_fraction: float = 0.01,
    background: float = 5.0,
    crystallite_size_nm: float | None = 30.0,
    two_theta_range: tuple[float, float] = (30.0, 80.0),
    step_deg: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """A realistic "measured" pattern for tests and demos: the simulated mixture profile (max 100)
    plus a flat background and Gaussian noise of standard deviation ``noise_fraction * 100``
    (``numpy.random.default_rng(seed)``). Returns (two_theta_deg, intensity)."""
    pattern = simulate_pattern(
        list(phases),
        two_theta_range=two_theta_range,
        crystallite_size_nm=crystallite_size_nm,
        step_deg=step_deg,
    )
    rng = np.random.default_rng(seed)
    noisy = (
        pattern.intensity
        + background
        + rng.normal(0.0, 100.0 * noise_fraction, pattern.intensity.size)
    )
    return pattern.two_theta_deg.copy(), noisy


# ------------------------------------------------------------------------------------------------
# reading measured patterns
# ------------------------------------------------------------------------------------------------


__all__ = [
    "INSTRUMENT_FWHM_DEG",
    "MIN_REFERENCE_INTENSITY",
    "PHASES",
    "SCHERRER_K",
    "PhaseDefinition",
    "XRDPattern",
    "agcuf3_pseudocubic_a_angstrom",
    "phase_definition",
    "scherrer_fwhm_deg",
    "simulate_pattern",
    "stick_pattern",
    "synthetic_measurement",
    "wavelength_angstrom",
]
