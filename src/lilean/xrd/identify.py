"""Phase identification of measured XRD patterns: read, find peaks, match reference sticks.

The reference patterns are simulated by :mod:`lilean.xrd.simulate` (pymatgen, optional extra
``xrd``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import FileFormatError, ParameterError
from lilean.xrd.simulate import (
    MIN_REFERENCE_INTENSITY,
    phase_definition,
    stick_pattern,
    wavelength_angstrom,
)

_SPLIT = re.compile(r"[,;\t ]+")
_MIN_POINTS = 20


def read_pattern(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a measured powder pattern: two numeric columns, 2-theta (deg) and intensity.

    Accepts ``.xy``, ``.csv``, ``.txt``, ``.dat`` and similar text: separators comma, semicolon,
    tab or spaces; leading comment / header lines (``#``, ``!``, ``;`` or text) are skipped, extra
    columns after the second are ignored. Raises :class:`FileFormatError` naming the row when a data
    row is not numeric, when there are fewer than two columns or 20 points, when 2-theta is not
    within (0, 180) deg or not strictly monotonic, or when a value is not finite. A pattern
    recorded from high to low angle is returned in increasing 2-theta. The file is only read.
    """
    from lilean.io.common import read_text

    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "no such file (expected a 2-column 2-theta / intensity table)")
    text = read_text(path)
    x: list[float] = []
    y: list[float] = []
    data_started = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!;%":
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        try:
            values = [float(p) for p in parts[:2]]
        except ValueError:
            if data_started:
                raise FileFormatError(
                    path,
                    f"non-numeric value in {line[:40]!r}; expected two numbers (2-theta, intensity)",
                    row=lineno,
                ) from None
            continue  # header line
        if len(values) < 2:
            raise FileFormatError(
                path,
                f"{len(parts)} column(s); expected two (2-theta in deg, intensity)",
                row=lineno,
            )
        if not all(math.isfinite(v) for v in values):
            raise FileFormatError(path, f"non-finite value in {line[:40]!r}", row=lineno)
        data_started = True
        x.append(values[0])
        y.append(values[1])
    if len(x) < _MIN_POINTS:
        raise FileFormatError(
            path,
            f"{len(x)} data points; expected at least {_MIN_POINTS} rows of 2-theta, intensity",
        )
    tt = np.asarray(x)
    inten = np.asarray(y)
    if tt.min() <= 0 or tt.max() >= 180:
        raise FileFormatError(
            path, f"2-theta from {tt.min():g} to {tt.max():g}; expected values within (0, 180) deg"
        )
    step = np.diff(tt)
    if np.all(step < 0):
        tt, inten = tt[::-1].copy(), inten[::-1].copy()
    elif not np.all(step > 0):
        bad = int(np.argmax(step <= 0)) + 1
        raise FileFormatError(
            path, f"2-theta not strictly increasing at data point {bad + 1}; expected a scan"
        )
    return tt, inten


# ------------------------------------------------------------------------------------------------
# phase identification
# ------------------------------------------------------------------------------------------------


@dataclass
class PhaseMatch:
    """How well one reference phase explains the measured peaks."""

    phase: str
    score: float
    present: bool
    matched: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    mean_offset_deg: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "score": self.score,
            "present": self.present,
            "n_matched": len(self.matched),
            "n_reference": len(self.matched) + len(self.missing),
            "mean_offset_deg": self.mean_offset_deg,
            "matched": self.matched,
            "missing": self.missing,
        }


@dataclass
class PhaseIDResult:
    """Result of :func:`identify_phases`: measured peaks, a match per phase, the verdict."""

    peaks: pd.DataFrame
    matches: list[PhaseMatch]
    tolerance_deg: float
    min_score: float
    wavelength_angstrom: float
    unexplained_peaks_deg: list[float]

    @property
    def present(self) -> list[str]:
        return [m.phase for m in self.matches if m.present]

    @property
    def absent(self) -> list[str]:
        return [m.phase for m in self.matches if not m.present]

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "absent": self.absent,
            "tolerance_deg": self.tolerance_deg,
            "min_score": self.min_score,
            "wavelength_angstrom": self.wavelength_angstrom,
            "n_peaks": len(self.peaks),
            "peaks": self.peaks.to_dict(orient="records"),
            "phases": [m.to_dict() for m in self.matches],
            "unexplained_peaks_deg": self.unexplained_peaks_deg,
        }


def _background(y: np.ndarray, window: int) -> np.ndarray:
    """Rolling-minimum background, smoothed by a moving average of the same window."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    return np.asarray(uniform_filter1d(minimum_filter1d(y, window, mode="nearest"), window))


def find_pattern_peaks(
    two_theta_deg: np.ndarray,
    intensity: np.ndarray,
    *,
    min_prominence_fraction: float = 0.02,
    noise_factor: float = 4.0,
    min_separation_deg: float = 0.15,
    smooth_deg: float = 0.2,
) -> pd.DataFrame:
    """Peaks of a measured pattern (``scipy.signal.find_peaks``) after background subtraction.

    Background: rolling minimum over 2 deg, smoothed. The net signal is smoothed with a quadratic
    Savitzky-Golay filter over ``smooth_deg``; the noise is ``sigma = 1.4826 MAD(net - smoothed)``.
    A peak of the smoothed signal needs a prominence above
    ``max(min_prominence_fraction * max, noise_factor * sigma)`` and is ``min_separation_deg``
    from a stronger one. Columns: ``two_theta_deg`` (parabolic vertex
    of the three top points), ``intensity`` (background-subtracted height), ``prominence``,
    ``relative_intensity`` (percent of the strongest peak).
    """
    from scipy.signal import find_peaks, savgol_filter

    x = np.asarray(two_theta_deg, dtype=float)
    y = np.asarray(intensity, dtype=float)
    step = float(np.median(np.diff(x)))
    window = max(3, round(2.0 / step))
    net = y - _background(y, window)
    smooth_pts = max(5, 2 * round(smooth_deg / step / 2) + 1)
    smooth = np.asarray(savgol_filter(net, smooth_pts, 2)) if smooth_pts < net.size else net
    resid = net - smooth
    sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    threshold = max(min_prominence_fraction * float(smooth.max()), noise_factor * sigma)
    distance = max(1, round(min_separation_deg / step))
    net = smooth
    idx, props = find_peaks(net, prominence=threshold, distance=distance)
    centres = []
    for i in idx:
        if 0 < i < len(x) - 1:
            y0, y1, y2 = net[i - 1], net[i], net[i + 1]
            denom = y0 - 2 * y1 + y2
            shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
            centres.append(x[i] + float(np.clip(shift, -1, 1)) * (x[i + 1] - x[i - 1]) / 2)
        else:
            centres.append(x[i])
    heights = net[idx]
    rel = 100.0 * heights / heights.max() if len(idx) else heights
    return pd.DataFrame(
        {
            "two_theta_deg": np.asarray(centres, dtype=float),
            "intensity": heights,
            "prominence": props["prominences"],
            "relative_intensity": rel,
        }
    )


def identify_phases(
    two_theta_deg: Sequence[float] | np.ndarray,
    intensity: Sequence[float] | np.ndarray,
    *,
    phases: Sequence[str] = ("Cu", "Ag", "AgCuF3"),
    tolerance_deg: float = 0.3,
    min_score: float = 0.5,
    min_matched_peaks: int = 2,
    wavelength: str | float = "CuKa",
) -> PhaseIDResult:
    """Which reference phases explain the peaks of a measured pattern.

    For every phase, the reference reflections inside the measured 2-theta range with intensity
    >= :data:`MIN_REFERENCE_INTENSITY` % are matched to the nearest measured peak within
    ``tolerance_deg``. Score = intensity-weighted fraction of reference reflections found,
    ``S = sum(I_ref matched) / sum(I_ref)`` (0 to 1). A phase is reported present when
    ``S >= min_score`` and at least ``min(min_matched_peaks, n_reference)`` reflections matched.
    Measured peaks matched by no present phase are listed as unexplained.
    """
    x = np.asarray(two_theta_deg, dtype=float)
    y = np.asarray(intensity, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ParameterError("two_theta_deg and intensity: expected 1-D arrays of equal length")
    if x.size < _MIN_POINTS:
        raise ParameterError(f"pattern has {x.size} points; expected at least {_MIN_POINTS}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParameterError("pattern: expected finite 2-theta and intensity values")
    if not np.all(np.diff(x) > 0):
        raise ParameterError("two_theta_deg: expected strictly increasing values")
    if tolerance_deg <= 0:
        raise ParameterError(f"tolerance_deg = {tolerance_deg}: expected > 0")
    if not (0 < min_score <= 1):
        raise ParameterError(f"min_score = {min_score}: expected 0 < min_score <= 1")
    peaks = find_pattern_peaks(x, y)
    measured = peaks["two_theta_deg"].to_numpy()
    lam = wavelength_angstrom(wavelength)
    matches: list[PhaseMatch] = []
    explained: set[int] = set()
    for name in phases:
        ref = [
            r
            for r in stick_pattern(
                phase_definition(name).name, wavelength, float(x[0]), float(x[-1])
            )
            if r[2] >= MIN_REFERENCE_INTENSITY
        ]
        matched: list[dict[str, Any]] = []
        missing: list[dict[str, Any]] = []
        used: list[int] = []
        for tt, d_nm, inten, hkl, _ in ref:
            entry = {"hkl": hkl, "two_theta_ref_deg": tt, "d_nm": d_nm, "intensity_ref": inten}
            if measured.size:
                j = int(np.argmin(np.abs(measured - tt)))
                if abs(measured[j] - tt) <= tolerance_deg:
                    matched.append({**entry, "two_theta_meas_deg": float(measured[j])})
                    used.append(j)
                    continue
            missing.append(entry)
        total = sum(r[2] for r in ref)
        score = sum(m["intensity_ref"] for m in matched) / total if total > 0 else 0.0
        need = min(min_matched_peaks, len(ref))
        present = bool(ref) and score >= min_score and len(matched) >= need
        if present:
            explained.update(used)
        offset = (
            float(np.mean([m["two_theta_meas_deg"] - m["two_theta_ref_deg"] for m in matched]))
            if matched
            else None
        )
        matches.append(
            PhaseMatch(phase_definition(name).name, float(score), present, matched, missing, offset)
        )
    unexplained = [float(measured[j]) for j in range(measured.size) if j not in explained]
    return PhaseIDResult(
        peaks=peaks,
        matches=matches,
        tolerance_deg=tolerance_deg,
        min_score=min_score,
        wavelength_angstrom=lam,
        unexplained_peaks_deg=unexplained,
    )


# ------------------------------------------------------------------------------------------------
# lattice spacings (HRTEM)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReflectionMatch:
    """The reflection of ``phase`` whose spacing is closest to a measured one."""

    phase: str
    hkl: str
    d_ref_nm: float
    d_measured_nm: float
    deviation_nm: float
    relative_deviation: float
    two_theta_deg: float
    intensity: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def d_spacing_match(
    d_nm: float, phase: str, *, wavelength: str | float = "CuKa"
) -> ReflectionMatch:
    """Nearest reflection (nonzero structure factor) of ``phase`` to a lattice spacing ``d_nm``.

    Reflections are taken from the simulated pattern over 2-theta 5 to 150 deg (spacings from
    ``lambda / (2 sin 75 deg)`` ~ 0.08 nm to 0.89 nm for Cu K-alpha). ``deviation_nm = d_measured -
    d_ref``, ``relative_deviation = deviation / d_ref``.
    """
    if not (math.isfinite(d_nm) and d_nm > 0):
        raise ParameterError(f"d_nm = {d_nm}: expected a positive spacing in nm")
    name = phase_definition(phase).name
    refs = stick_pattern(name, wavelength, 5.0, 150.0)
    best = min(refs, key=lambda r: abs(r[1] - d_nm))
    tt, d_ref, inten, hkl, _ = best
    return ReflectionMatch(
        phase=name,
        hkl=hkl,
        d_ref_nm=d_ref,
        d_measured_nm=float(d_nm),
        deviation_nm=float(d_nm) - d_ref,
        relative_deviation=(float(d_nm) - d_ref) / d_ref,
        two_theta_deg=tt,
        intensity=inten,
    )


__all__ = [
    "PhaseIDResult",
    "PhaseMatch",
    "ReflectionMatch",
    "d_spacing_match",
    "find_pattern_peaks",
    "identify_phases",
    "read_pattern",
]
