"""Benchmark: start-up cost, whole processes (cold): ``import lilean`` and ``lilean --help``.

Usage::

    python benchmarks/bench_startup.py out.json [--repeats 7]

Alternating runs of a bare interpreter (``python -c pass``, the reference) and of lilean, each a
fresh process (``PYTHONPATH`` = this checkout's ``src``). Reported: the extra seconds over the bare
interpreter (median of the per-round differences; the issue's targets: ``import lilean`` <= 0.15 s
over bare, ``lilean --help`` <= 0.3 s whole process) and the whole-process times.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from _protocol import alternate_cold, common_args, row, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=7)
    args = parser.parse_args(argv)
    bare = [sys.executable, "-c", "pass"]
    cases = [
        ("import lilean", [sys.executable, "-c", "import lilean"]),
        ("lilean --help", [sys.executable, "-m", "lilean.cli", "--help"]),
        ("lilean simulate nucleation --help", [sys.executable, "-m", "lilean.cli", "simulate", "nucleation", "--help"]),
    ]  # fmt: skip
    rows = []
    for name, cmd in cases:
        alternate_cold(cmd, bare, 1)  # warm the OS file cache
        ours, ref = alternate_cold(cmd, bare, args.repeats)
        extra = [o - r for o, r in zip(ours, ref, strict=True)]
        rows.append(
            row(
                f"{name}: whole process (extra over bare: median "
                f"{statistics.median(extra):.3f} s, range {min(extra):.3f}-{max(extra):.3f} s)",
                "cold",
                ours,
                "bare interpreter `python -c pass`",
                ref,
                accuracy="-",
                extra_over_bare_s=extra,
            )
        )
    write(args.output, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
