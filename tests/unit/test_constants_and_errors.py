"""One home for physical constants, error classes and optional-dependency errors."""

from __future__ import annotations

import pytest

from lilean import constants as C


def test_constants_are_codata_2018_products() -> None:
    assert C.ELEMENTARY_CHARGE_C * C.AVOGADRO_PER_MOL == pytest.approx(C.FARADAY_C_MOL, rel=1e-10)
    assert C.BOLTZMANN_J_K * C.AVOGADRO_PER_MOL == pytest.approx(C.GAS_CONSTANT_J_MOL_K, rel=1e-10)


@pytest.mark.parametrize(
    ("module", "faraday", "gas"),
    [
        ("lilean.models.cathode", "FARADAY", "GAS_CONSTANT"),
        ("lilean.models.anode", "F_C_MOL", "R_J_MOL_K"),
        ("lilean.models.nucleation", "F", "R_GAS"),
        ("lilean.models.deposition_lattice", "FARADAY_C_MOL", "GAS_CONSTANT_J_MOL_K"),
        ("lilean.models.plumes", None, "R_GAS"),
    ],
)
def test_model_copies_equal_the_one_home(module: str, faraday: str | None, gas: str) -> None:
    """Until their owners import lilean.constants, the copies must at least agree with it."""
    import importlib

    m = importlib.import_module(module)
    if faraday is not None and hasattr(m, faraday):
        assert getattr(m, faraday) == C.FARADAY_C_MOL
    if hasattr(m, gas):
        assert getattr(m, gas) == C.GAS_CONSTANT_J_MOL_K


def test_errors_live_in_errors_and_old_paths_reexport() -> None:
    from lilean import errors
    from lilean.eis.analysis import FitError as eis_fit_error
    from lilean.sweep import SweepError as sweep_error

    assert sweep_error is errors.SweepError and eis_fit_error is errors.FitError
    assert issubclass(errors.MissingExtraError, errors.LileanError)
    assert issubclass(errors.MissingExtraError, ImportError)


def test_require_names_the_extra() -> None:
    from lilean._optional import require
    from lilean.errors import MissingExtraError

    assert require("math", "core").sqrt(4.0) == 2.0
    with pytest.raises(MissingExtraError, match=r"pip install 'lilean\[xrd\]'"):
        require("no_such_module_lilean_test", "xrd", purpose="XRD simulation")
