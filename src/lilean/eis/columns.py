"""Column names of the impedance table (see :mod:`lilean.eis.io` for their meaning)."""

from __future__ import annotations

FREQUENCY = "Frequency [Hz]"
Z_RE = "Z_re [Ohm]"
Z_IM = "Z_im [Ohm]"
SPECTRUM = "Spectrum"
CYCLE = "Cycle"
TIME = "Time [s]"
VOLTAGE = "Voltage [V]"

__all__ = ["CYCLE", "FREQUENCY", "SPECTRUM", "TIME", "VOLTAGE", "Z_IM", "Z_RE"]
