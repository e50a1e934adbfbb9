"""Keep numba's on-disk cache honest across modules."""

from __future__ import annotations

from pathlib import Path


def drop_stale_numba_cache(module_file: str, *dependencies: str) -> None:
    """Delete ``module_file``'s numba cache files that are older than any of ``dependencies``.

    numba's on-disk cache (``cache=True``) is keyed on the defining file only, so a kernel that calls
    njit functions of another module keeps the *old* callee code after that module changes. Called at
    import by every module whose kernels call njit functions of another module (full cell, symmetric
    cell, impedance, Li deposition lattice). Only the default cache location (``__pycache__`` beside the source)
    is handled; errors (read-only trees, races) are ignored: numba then recompiles or reuses.
    """
    here = Path(module_file)
    cache_dir = here.parent / "__pycache__"
    try:
        newest = max(Path(d).stat().st_mtime for d in dependencies)
        for f in cache_dir.glob(f"{here.stem}.*.nb[ic]"):
            if f.stat().st_mtime < newest:
                f.unlink(missing_ok=True)
    except (OSError, ValueError):
        return
