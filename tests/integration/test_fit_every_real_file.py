"""Every real cycling file in ``../shared/data`` (and its ``extern/``) is either fitted with a
reason to believe it (status ``ok``, bounded intervals) or refused with a reason: a reader's
refusal, "not a Li-metal || LFP cell" with the failed checks, or a failed fit (status != ok,
``lilean fit`` exits 3). Never a silent fit with intervals [0, inf]."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pytest

from lilean import fitting as F
from lilean.errors import LileanError
from lilean.parameters import default_parameters

pytestmark = pytest.mark.slow
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
#: not cycling files: impedance spectra, sidecars, instrument descriptions, licences
NOT_CYCLING = ("eis/", "LICENSES/", "_Metadata.csv", ".yml", "gamry/")


def _cycling_files() -> list[Path]:
    out: list[Path] = []
    for manifest in (SHARED / "MANIFEST.tsv", SHARED / "extern" / "MANIFEST.tsv"):
        if not manifest.exists():
            continue
        with manifest.open() as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                name = row.get("file") or ""
                if name and not any(tag in name for tag in NOT_CYCLING):
                    out.append(manifest.parent / name)
    return out


FILES = _cycling_files()


@pytest.mark.skipif(not FILES, reason="../shared/data not present (real files are not committed)")
def test_every_real_cycling_file_is_fitted_with_reason_or_refused() -> None:
    from lilean.api import load_table

    rows = []
    for path in FILES:
        t0 = time.perf_counter()
        try:
            data = load_table(path)
        except LileanError as exc:  # the reader refuses it, with its reason
            rows.append((path.name, "refused by the reader", str(exc)))
            continue
        try:
            fit = F.fit_cycling(
                [data], default_parameters(), "cu", knee_horizon=300, n_samples=8, profile=False
            )
        except LileanError as exc:
            msg = str(exc)
            assert msg, path
            rows.append((path.name, "refused", msg))
            continue
        out = fit.to_dict()
        if out["status"] != "ok":
            assert out["status_reason"], path
            rows.append((path.name, f"fit failed ({out['status']}, exit 3)", out["status_reason"]))
            continue
        # a fit accepted as ok: reproduces the cell within the stated misfit limits, bounded
        for name, par in out["parameters"].items():
            assert par["high"] is not None and math.isfinite(par["high"]), (path, name)
            assert par["low"] > 0, (path, name)
        rows.append((path.name, "fitted", f"rms misfit {out['rms_misfit']}"))
        assert time.perf_counter() - t0 < 600
    for name, outcome, why in rows:
        print(f"{name}: {outcome}: {why[:200]}")
    assert len(rows) == len(FILES)
