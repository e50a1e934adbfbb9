"""Design-space sweeps on Dask (issue 8)."""

from __future__ import annotations
