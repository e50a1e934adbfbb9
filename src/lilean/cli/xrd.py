"""X-ray diffraction: simulated patterns and phase identification (issue 6)."""

from __future__ import annotations
