"""XRD: simulated patterns of Cu, Ag, AgCuF3, d-spacing checks, phase identification, bad files.

Expected values come from Bragg's law with the cited lattice parameters and the fcc / primitive
cubic selection rules, computed here independently of pymatgen.
"""

from __future__ import annotations

import json
import math
from itertools import product
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymatgen")

from lilean.errors import FileFormatError, ParameterError
from lilean.xrd import (
    PHASES,
    agcuf3_pseudocubic_a_angstrom,
    d_spacing_match,
    identify_phases,
    read_pattern,
    scherrer_fwhm_deg,
    simulate_pattern,
    synthetic_measurement,
)

DATA = Path(__file__).parent.parent / "data" / "xrd"
CU_KA_A = 1.54184  # weighted K-alpha1/alpha2 mean, angstrom


def bragg_two_theta_deg(d_angstrom: float, wavelength_A: float = CU_KA_A) -> float:
    return 2.0 * math.degrees(math.asin(wavelength_A / (2.0 * d_angstrom)))


def cubic_reflections(
    a_angstrom: float, allowed, lo: float = 30.0, hi: float = 80.0
) -> dict[float, set[tuple[int, ...]]]:
    """2-theta (rounded) -> set of sorted |hkl| families allowed by the selection rule."""
    out: dict[float, set[tuple[int, ...]]] = {}
    for h, k, l_ in product(range(0, 6), repeat=3):
        if (h, k, l_) == (0, 0, 0) or not (h >= k >= l_) or not allowed(h, k, l_):
            continue
        d = a_angstrom / math.sqrt(h * h + k * k + l_ * l_)
        if CU_KA_A / (2 * d) >= 1:
            continue
        tt = bragg_two_theta_deg(d)
        if lo <= tt <= hi:
            out.setdefault(round(tt, 2), set()).add((h, k, l_))
    return out


def fcc(h: int, k: int, l_: int) -> bool:
    return len({h % 2, k % 2, l_ % 2}) == 1


# ---- simulated patterns -------------------------------------------------------------------------


@pytest.mark.parametrize("expected", [43.3, 50.4, 74.1])
def test_cu_peaks_at_reported_angles(expected: float) -> None:
    peaks = simulate_pattern("Cu").peaks
    assert np.min(np.abs(peaks["two_theta_deg"] - expected)) < 0.1


def test_cu_reflections_are_111_200_220() -> None:
    peaks = simulate_pattern("Cu").peaks
    assert list(peaks["hkl"]) == ["(111)", "(200)", "(220)"]
    expected = sorted(cubic_reflections(3.615, fcc))
    assert np.allclose(peaks["two_theta_deg"], expected, atol=0.01)


def test_exactly_four_ag_reflections_with_expected_hkl() -> None:
    peaks = simulate_pattern("Ag", two_theta_range=(30, 80)).peaks
    expected = cubic_reflections(4.086, fcc)
    assert len(peaks) == len(expected) == 4
    assert list(peaks["hkl"]) == ["(111)", "(200)", "(220)", "(311)"]
    assert np.allclose(peaks["two_theta_deg"], sorted(expected), atol=0.01)
    # d from Bragg: d = a / sqrt(h^2 + k^2 + l^2), in nm
    assert np.allclose(peaks["d_nm"], [0.4086 / math.sqrt(n) for n in (3, 4, 8, 11)], rtol=1e-4)
    # fcc powder intensities fall off (111) > (200); (111) is the strongest
    assert peaks["intensity"].idxmax() == 0


def test_agcuf3_primitive_cubic_reflections() -> None:
    a = PHASES["AgCuF3"].a_angstrom
    peaks = simulate_pattern("AgCuF3").peaks
    expected = cubic_reflections(a, lambda *_: True)
    assert np.allclose(peaks["two_theta_deg"], sorted(expected), atol=0.01)
    assert PHASES["AgCuF3"].assumed
    assert PHASES["AgCuF3"].space_group == "Pm-3m"


def test_agcuf3_lattice_parameter_estimate_independent() -> None:
    # formula-unit volumes of NaCuF3 (triclinic), KCuF3, RbCuF3 (tetragonal, Z = 4)
    def vol(a, b, c, al, be, ga):
        ca, cb, cg = (math.cos(math.radians(v)) for v in (al, be, ga))
        return a * b * c * math.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)

    v = [
        vol(5.391, 5.552, 7.928, 90.66, 92.05, 86.95) / 4,
        5.855**2 * 7.852 / 4,
        6.023**2 * 7.912 / 4,
    ]
    slope, icept = np.polyfit([1.18, 1.51, 1.61], v, 1)
    a = (icept + slope * 1.28) ** (1 / 3)
    assert agcuf3_pseudocubic_a_angstrom() == pytest.approx(a, rel=1e-9)
    assert 3.90 < a < 4.07  # between NaCuF3 and KCuF3 pseudo-cubic cells


def test_mixture_weights_scale_peak_heights() -> None:
    pat = simulate_pattern([("Cu", 1.0), ("Ag", 0.5)])
    p = pat.peaks
    cu111 = p[(p.phase == "Cu") & (p.hkl == "(111)")]["intensity"].item()
    ag111 = p[(p.phase == "Ag") & (p.hkl == "(111)")]["intensity"].item()
    assert cu111 == pytest.approx(100.0)
    assert ag111 == pytest.approx(50.0)
    assert pat.to_dict()["phases"] == [
        {"phase": "Cu", "weight": 1.0},
        {"phase": "Ag", "weight": 0.5},
    ]


def test_profile_peak_width_follows_scherrer() -> None:
    size_nm, inst = 15.0, 0.05
    pat = simulate_pattern(
        "Ag", crystallite_size_nm=size_nm, instrument_fwhm_deg=inst, step_deg=0.005
    )
    x, y = pat.two_theta_deg, pat.intensity
    centre = 38.148
    window = (x > centre - 1.5) & (x < centre + 1.5)
    xs, ys = x[window], y[window]
    half = ys.max() / 2
    above = xs[ys >= half]
    fwhm_measured = above[-1] - above[0]
    theta = math.radians(centre / 2)
    beta = math.degrees(0.9 * CU_KA_A / 10 / (size_nm * math.cos(theta)))
    assert fwhm_measured == pytest.approx(math.hypot(inst, beta), abs=0.01)
    assert scherrer_fwhm_deg(centre, size_nm, CU_KA_A) == pytest.approx(beta, rel=1e-9)


def test_bad_simulation_inputs() -> None:
    with pytest.raises(ParameterError, match="phase 'Au'"):
        simulate_pattern("Au")
    with pytest.raises(ParameterError, match="two_theta_range"):
        simulate_pattern("Cu", two_theta_range=(80, 30))
    with pytest.raises(ParameterError, match="crystallite_size_nm"):
        simulate_pattern("Cu", crystallite_size_nm=-1)
    with pytest.raises(ParameterError, match="wavelength"):
        simulate_pattern("Cu", wavelength="XyKa")
    with pytest.raises(ParameterError, match="weight"):
        simulate_pattern([("Cu", -1.0)])


# ---- HRTEM d-spacings ---------------------------------------------------------------------------


def test_hrtem_0242_nm_is_nearest_ag_111_within_3_percent() -> None:
    m = d_spacing_match(0.242, "Ag")
    assert m.hkl == "(111)"
    assert m.d_ref_nm == pytest.approx(0.4086 / math.sqrt(3), rel=1e-4)  # 0.2359 nm
    # honest tolerance: 0.242 nm is 0.0061 nm (2.6 %) larger than Ag (111)
    assert m.deviation_nm == pytest.approx(0.242 - 0.4086 / math.sqrt(3), abs=1e-5)
    assert 0.02 < m.relative_deviation < 0.03
    # and no Cu reflection comes closer
    assert abs(d_spacing_match(0.242, "Cu").deviation_nm) > abs(m.deviation_nm)


def test_hrtem_0227_nm_is_agcuf3_111_of_assumed_cell() -> None:
    m = d_spacing_match(0.227, "AgCuF3")
    assert m.hkl == "(111)"
    a_nm = PHASES["AgCuF3"].a_angstrom / 10
    assert m.d_ref_nm == pytest.approx(a_nm / math.sqrt(3), rel=1e-4)
    assert abs(m.relative_deviation) < 0.01  # 0.2282 nm vs 0.227 nm: -0.5 %


def test_d_spacing_bad_input() -> None:
    with pytest.raises(ParameterError):
        d_spacing_match(-0.2, "Ag")


# ---- identification -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mixture", "present"),
    [
        ([("Cu", 1.0), ("Ag", 0.5), ("AgCuF3", 0.3)], {"Cu", "Ag", "AgCuF3"}),
        ([("Cu", 1.0), ("Ag", 0.3)], {"Cu", "Ag"}),
        ([("Cu", 1.0)], {"Cu"}),
        ([("Ag", 1.0), ("AgCuF3", 0.8)], {"Ag", "AgCuF3"}),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_identify_synthetic_mixtures(mixture, present, seed: int) -> None:
    x, y = synthetic_measurement(mixture, seed=seed, noise_fraction=0.02, crystallite_size_nm=25)
    result = identify_phases(x, y)
    assert set(result.present) == present
    assert set(result.absent) == {"Cu", "Ag", "AgCuF3"} - present
    for m in result.matches:
        if m.present:
            assert m.score >= 0.5
            assert abs(m.mean_offset_deg) < 0.1
        else:
            assert m.score < 0.5
    assert result.unexplained_peaks_deg == []
    json.dumps(result.to_dict())  # serialisable


def test_identify_rejects_shifted_phase_beyond_tolerance() -> None:
    x, y = synthetic_measurement([("Cu", 1.0)], seed=3)
    shifted = x + 0.6  # a 0.6 deg zero error is outside the 0.3 deg window
    result = identify_phases(shifted, y, tolerance_deg=0.3)
    assert "Cu" not in result.present
    assert identify_phases(shifted, y, tolerance_deg=0.8).present == ["Cu"]


def test_identify_bad_arrays() -> None:
    with pytest.raises(ParameterError):
        identify_phases([1, 2, 3], [1, 2])
    x = np.linspace(30, 80, 100)
    with pytest.raises(ParameterError, match="increasing"):
        identify_phases(x[::-1], np.ones_like(x))


# ---- files --------------------------------------------------------------------------------------


def test_read_and_identify_bundled_patterns() -> None:
    x, y = read_pattern(DATA / "ag_at_cu_synthetic.xy")
    assert x[0] == pytest.approx(30.0) and x[-1] == pytest.approx(80.0)
    assert x.size == y.size == 2501
    assert identify_phases(x, y).present == ["Cu", "Ag", "AgCuF3"]
    x2, y2 = read_pattern(DATA / "cu_foil_synthetic.csv")
    assert identify_phases(x2, y2).present == ["Cu"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _good_lines(n: int = 30, sep: str = " ") -> list[str]:
    return [f"{30 + 0.5 * i:.2f}{sep}{100 + i}" for i in range(n)]


def test_read_pattern_formats(tmp_path: Path) -> None:
    semicolon = _write(tmp_path, "a.txt", "2theta;I\n" + "\n".join(_good_lines(sep=";")))
    x, y = read_pattern(semicolon)
    assert x.size == 30 and y[0] == 100
    descending = _write(tmp_path, "b.xy", "\n".join(reversed(_good_lines())))
    xd, _ = read_pattern(descending)
    assert np.all(np.diff(xd) > 0)
    before = descending.read_bytes()
    read_pattern(descending)
    assert descending.read_bytes() == before  # input untouched


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        ("two_theta,I\n" + "\n".join(_good_lines(sep=",")[:5]) + "\n31.0,abc\n", "non-numeric", 7),
        ("\n".join(_good_lines(5)), "expected at least 20", None),
        ("\n".join([*_good_lines(25), "10.0"]), "column", 26),
        ("\n".join([*_good_lines(25), "40.0 nan"]), "non-finite", 26),
        ("\n".join([*_good_lines(25), "32.0 5"]), "strictly increasing", None),
        ("\n".join(f"{-5 + i} 1" for i in range(30)), "within (0, 180)", None),
        ("", "expected at least 20", None),
    ],
)
def test_read_pattern_bad_files(tmp_path: Path, text: str, message: str, row: int | None) -> None:
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(FileFormatError) as err:
        read_pattern(path)
    assert message in str(err.value)
    assert err.value.row == row
    assert str(path) in str(err.value)


def test_read_pattern_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_pattern(tmp_path / "nope.xy")
    binary = tmp_path / "x.xy"
    binary.write_bytes(b"\x00\x01\x02" * 20)
    with pytest.raises(FileFormatError, match="binary"):
        read_pattern(binary)


# ---- plots and CLI ------------------------------------------------------------------------------


def test_plots_and_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lilean.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["xrd", "simulate", "--phase", "Cu", "--phase", "Ag", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert [len(p["peaks"]) for p in payload["patterns"]] == [3, 4]

    res = runner.invoke(
        app,
        ["xrd", "identify", str(DATA / "ag_at_cu_synthetic.xy"), "--json", "--plot", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["present"] == ["Cu", "Ag", "AgCuF3"]
    assert all(Path(f).stat().st_size > 0 for f in payload["figures"])

    res = runner.invoke(app, ["xrd", "simulate", "-p", "Cu", "--plot", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "xrd_patterns.png").stat().st_size > 0

    res = runner.invoke(app, ["xrd", "dspacing", "0.242", "-p", "Ag", "--json"])
    assert json.loads(res.stdout)["matches"][0]["hkl"] == "(111)"

    bad = _write(tmp_path, "bad.xy", "x y\n1 2\n")
    res = runner.invoke(app, ["xrd", "identify", str(bad)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["xrd", "simulate", "--phase", "Au"])
    assert res.exit_code == 2
