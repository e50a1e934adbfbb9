"""Physical constants, one place (CODATA 2018 exact / recommended values, SI units).

Sources: Tiesinga et al., Rev. Mod. Phys. 93, 025010 (2021) (CODATA 2018; ``CODATA2018``). Since
the 2019 SI redefinition ``F``, ``R``, ``k_B``, ``N_A`` and ``e`` are exact.
"""

from __future__ import annotations

#: elementary charge, C (exact)
ELEMENTARY_CHARGE_C = 1.602176634e-19
#: Avogadro constant, 1/mol (exact)
AVOGADRO_PER_MOL = 6.02214076e23
#: Boltzmann constant, J/K (exact)
BOLTZMANN_J_K = 1.380649e-23
#: Faraday constant F = e N_A, C/mol (96485.33212..., exact; the value used across lilean)
FARADAY_C_MOL = 96485.33212
#: molar gas constant R = k_B N_A, J/(mol K) (8.314462618..., exact)
GAS_CONSTANT_J_MOL_K = 8.314462618
#: 0 degC in K
ZERO_CELSIUS_K = 273.15
#: seconds per hour
SECONDS_PER_HOUR = 3600.0

__all__ = [
    "AVOGADRO_PER_MOL",
    "BOLTZMANN_J_K",
    "ELEMENTARY_CHARGE_C",
    "FARADAY_C_MOL",
    "GAS_CONSTANT_J_MOL_K",
    "SECONDS_PER_HOUR",
    "ZERO_CELSIUS_K",
]
