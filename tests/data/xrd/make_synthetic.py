"""Generate the synthetic XRD patterns in this folder (run from the repository root):

    .venv/bin/python tests/data/xrd/make_synthetic.py

Both files are SYNTHETIC: lilean.xrd.synthetic_measurement (pymatgen kinematic patterns of the
phases in lilean.xrd.PHASES, Gaussian peaks with Scherrer broadening for 30 nm crystallites,
flat background 5, Gaussian noise sigma = 2 % of the strongest peak, seeded).
"""

from pathlib import Path

import numpy as np

from lilean.xrd import synthetic_measurement

HERE = Path(__file__).parent

PATTERNS = {
    # Ag@Cu: Cu substrate + Ag plumes + some AgCuF3 (weights = relative peak heights)
    "ag_at_cu_synthetic.xy": ([("Cu", 1.0), ("Ag", 0.5), ("AgCuF3", 0.3)], 20230601),
    # bare Cu foil
    "cu_foil_synthetic.csv": ([("Cu", 1.0)], 20230602),
}

if __name__ == "__main__":
    for name, (phases, seed) in PATTERNS.items():
        x, y = synthetic_measurement(phases, seed=seed, noise_fraction=0.02)
        counts = np.round(1000.0 * y, 0)
        path = HERE / name
        header = f"synthetic, lilean make_synthetic.py, phases {phases}, seed {seed}"
        if name.endswith(".csv"):
            np.savetxt(
                path,
                np.c_[x, counts],
                fmt=("%.2f", "%.0f"),
                delimiter=",",
                header=f"two_theta_deg,intensity_counts  ({header})",
                comments="# ",
            )
        else:
            np.savetxt(path, np.c_[x, counts], fmt=("%.2f", "%.0f"), header=header)
        print(f"wrote {path}")
