"""Benchmark: start-up cost, whole processes (cold): ``import lilean``, ``lilean --help`` and the
``--help`` of every command and subcommand.

Usage::

    python benchmarks/bench_startup.py out.json [--repeats 7] [--help-repeats 3]

Alternating runs of a bare interpreter (``python -c pass``, the reference) and of lilean, each a
fresh process (``PYTHONPATH`` = this checkout's ``src``). Reported: the extra seconds over the bare
interpreter (median of the per-round differences; the issue's targets: ``import lilean`` <= 0.15 s
over bare, ``lilean --help`` <= 0.3 s whole process) and the whole-process times. Every command's
and subcommand's ``--help`` (the full app's tree) runs ``--help-repeats`` alternating rounds; the
row shows the slowest one, the JSON has all (``help_s_by_command``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from _protocol import alternate_cold, common_args, row, write


def _command_paths() -> list[list[str]]:
    """Every command and subcommand of the full app (:func:`lilean.cli.command_paths`)."""
    import lilean.cli as cli

    return cli.command_paths()


def _row_over_bare(
    name: str, cmd: list[str], bare: list[str], repeats: int, **extra_fields: Any
) -> dict[str, Any]:
    """Whole-process row of ``cmd`` against a bare interpreter, alternating, with the time over
    the bare start per round."""
    ours, ref = alternate_cold(cmd, bare, repeats)
    extra = [o - r for o, r in zip(ours, ref, strict=True)]
    return row(
        f"{name}: whole process (extra over bare: median "
        f"{statistics.median(extra):.3f} s, range {min(extra):.3f}-{max(extra):.3f} s)",
        "cold",
        ours,
        "bare interpreter `python -c pass`",
        ref,
        accuracy="-",
        extra_over_bare_s=extra,
        **extra_fields,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=7)
    parser.add_argument("--help-repeats", type=int, default=3, help="rounds per subcommand")
    args = parser.parse_args(argv)
    bare = [sys.executable, "-c", "pass"]
    cases = [
        ("import lilean", [sys.executable, "-c", "import lilean"]),
        ("lilean --help", [sys.executable, "-m", "lilean.cli", "--help"]),
    ]  # fmt: skip
    command_paths = _command_paths()
    rows = []
    for name, cmd in cases:
        alternate_cold(cmd, bare, 1)  # warm the OS file cache
        rows.append(_row_over_bare(name, cmd, bare, args.repeats))
    medians: dict[str, float] = {}
    extras: dict[str, list[float]] = {}
    for path in command_paths:
        cmd = [sys.executable, "-m", "lilean.cli", *path, "--help"]
        ours, ref = alternate_cold(cmd, bare, args.help_repeats)
        name = " ".join(path)
        medians[name] = statistics.median(ours)
        extras[name] = [o - r for o, r in zip(ours, ref, strict=True)]
        print(f"lilean {name} --help: {medians[name]:.3f} s", flush=True)
    slowest = max(medians, key=lambda k: medians[k])
    cmd = [sys.executable, "-m", "lilean.cli", *slowest.split(), "--help"]
    rows.append(
        _row_over_bare(
            f"slowest --help of all {len(medians)} commands and subcommands, lilean {slowest} --help",
            cmd,
            bare,
            args.repeats,
            help_s_by_command=medians,
            help_extra_over_bare_s_by_command=extras,
        )
    )
    write(args.output, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
