"""CLI abuse: every numeric option of every command (found by walking typer's command tree) with
non-finite, huge, negative-huge and wrong-typed values, hostile output paths, and rich-markup
text. Each case must be refused with one clean line (exit 2) before anything runs: no traceback,
no file written, bounded time. Property tests (hypothesis) check the boundary validator itself."""

from __future__ import annotations

import inspect
import math
import os
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.testing.data import data_dir
from tests.fuzz.conftest import assert_clean, digest, run_cli

XRD = Path(__file__).resolve().parents[1] / "data" / "xrd"  # lilean's own synthetic patterns
DATA = data_dir()  # the real files, through the registry (../shared/data or LILEAN_DATA_DIR)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"


def _leaves() -> list[tuple[str, Any]]:
    import typer

    from lilean.cli import app

    found: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, [*path, name])
        else:
            found.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), [])
    return found


def _base_type(hint: Any) -> Any:
    hint = getattr(hint, "__origin__", hint) if hasattr(hint, "__metadata__") else hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else hint
    return hint


def _numeric_options(cmd: Any) -> list[tuple[str, str, type, bool]]:
    """(parameter name, what to type on the command line, int|float, positional) per option."""
    func = inspect.unwrap(cmd.callback)
    hints = typing.get_type_hints(func, include_extras=True)
    out = []
    for param in cmd.params:
        base = _base_type(hints.get(param.name))
        if base in (int, float):
            positional = not param.opts[0].startswith("-")
            out.append((param.name, param.opts[0], base, positional))
    return out


def _required(command: str, tmp: Path) -> list[str]:
    """Arguments that make the command's parse succeed, so that only the abused value fails."""
    params = tmp / "p.toml"
    if not params.exists():
        params.write_text("")
    data_file = str(DATA / "maccor" / "maccor_example.001")
    return {
        "info": [data_file],
        "convert": [data_file, "-o", str(tmp / "c.parquet")],
        "analyze": [data_file],
        "fit": [data_file, "-e", "cycling"],
        "predict": ["--params", str(params)],
        "sweep": [str(EXAMPLES / "smoke.toml"), "--out", str(tmp / "s.parquet")],
        "simulate protocol": ["-s", "cu", "--step", "Charge at 1C until 4.2 V"],
        "eis fit": [str(DATA / "eis" / "exampleDataGamry.DTA")],
        "xrd identify": [str(XRD / "ag_at_cu_synthetic.xy")],
        "dqdv": [data_file],
        "batch": [data_file, "--out", str(tmp / "ds")],
        "compare": [str(tmp)],
        "simulate scenario": ["nucleation"],
        "xrd simulate": ["--phase", "Cu"],
        "xrd dspacing": [],
        "simulate plumes": [],
    }.get(command, ["-s", "cu"] if command.startswith("simulate ") else [])


NUMERIC = [
    (command, name, opt, kind, positional)
    for command, cmd in _leaves()
    for name, opt, kind, positional in _numeric_options(cmd)
]
ABUSE = [
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "99999999999999999999",
    "-99999999999999999999",
    "abc",
    "",
]


def test_the_walk_finds_the_numeric_options() -> None:
    names = {(c, n) for c, n, *_ in NUMERIC}
    assert ("simulate cycling", "cycles") in names and ("predict", "samples") in names
    assert ("simulate morphology", "width") in names and ("eis fit", "maxfev") in names
    assert len(NUMERIC) >= 40


@pytest.mark.parametrize(
    ("command", "name", "opt", "kind", "positional"), NUMERIC, ids=lambda x: str(x)
)
def test_every_numeric_option_refuses_abuse_in_one_line(
    command: str, name: str, opt: str, kind: type, positional: bool, cli_tmp: Path
) -> None:
    base = [*command.split(), *_required(command, cli_tmp)]
    before = sorted(p.name for p in cli_tmp.iterdir())
    for value in ABUSE:
        args = [*base, value] if positional else [*base, f"{opt}={value}"]
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2, f"lilean {' '.join(args)} ran (exit {res.code}): {res.stderr}"
        if positional:
            continue
        line = res.stderr.strip()
        assert opt in line or "Invalid value" in line, line
    assert sorted(p.name for p in cli_tmp.iterdir()) == before  # nothing written


def test_documented_cases_are_refused(cli_tmp: Path) -> None:
    for args, needle in [
        (["simulate", "cycling", "-s", "cu", "--cycles", "0"], "--cycles 0"),
        (["simulate", "cycling", "-s", "cu", "--cycles", "1000000000"], "--cycles"),
        (["simulate", "cycling", "-s", "cu", "--cycles", "100000"], "--allow-large"),
        (["simulate", "symmetric", "-s", "cu", "--seed", "-1"], "--seed -1"),
        (["simulate", "morphology", "-s", "cu", "--width", "0"], "--width 0"),
        (["simulate", "plumes", "--size", "100000"], "--allow-large"),
        (["simulate", "plumes", "--minutes", "1e9"], "--minutes"),
        (["simulate", "nucleation", "-s", "cu", "--current-density", "nan"], "finite"),
        (["simulate", "symmetric", "-s", "cu", "--hours", "inf"], "finite"),
        (["simulate", "rate", "-s", "cu", "--c-rates", "0.5,nan"], "finite"),
        (
            [
                "simulate",
                "protocol",
                "-s",
                "cu",
                "--step",
                "Rest for 1 hour",
                "--repeat",
                "1000000000",
            ],
            "--repeat",
        ),
        (
            ["predict", "--params", str(DATA / "maccor" / "maccor_example.001"), "--samples", "0"],
            "--samples 0",
        ),
        (
            ["reproduce", "--data-dir", str(cli_tmp / "missing"), "--out", str(cli_tmp / "r")],
            "--data-dir",
        ),
        (
            [
                "convert",
                str(DATA / "maccor" / "maccor_example.001"),
                "-o",
                "x.parquet",
                "--area-cm2",
                "0",
            ],
            "--area-cm2 0",
        ),
        (
            ["analyze", str(DATA / "maccor" / "maccor_example.001"), "--area-cm2", "nan"],
            "--area-cm2",
        ),
        (
            ["eis", "fit", str(DATA / "eis" / "exampleDataGamry.DTA"), "--circuit", "R0-p(R1"],
            "unbalanced",
        ),
        (["eis", "fit", str(DATA / "eis" / "exampleDataGamry.DTA"), "--maxfev", "0"], "--maxfev 0"),
        (["eis", "fit", str(DATA / "eis")], "is a directory"),
        (["info", str(cli_tmp / "no[/bold]such.csv")], "no[/bold]such.csv"),
    ]:
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2 and needle in res.stderr, (args, res.stderr)
        assert "__builtins__" not in res.stderr
    assert not (cli_tmp / "x.parquet").exists() and not (cli_tmp / "r").exists()


def _hostile_outputs(tmp: Path) -> list[tuple[str, str]]:
    fifo = tmp / "pipe.parquet"
    if not fifo.exists():
        os.mkfifo(fifo)
    folder = tmp / "folder.parquet"
    folder.mkdir(exist_ok=True)
    return [
        ("/dev/null", "/dev"),
        ("/proc/self/x.parquet", "/proc"),
        ("/sys/x.parquet", "/sys"),
        (str(fifo), "FIFO"),
        (str(folder), "directory"),
        (str(tmp / "x.txt"), "must end in"),
        (str(tmp / "p.toml"), "must end in"),
    ]


OUTPUT_COMMANDS = [
    ["simulate", "nucleation", "-s", "cu", "-o"],
    ["simulate", "symmetric", "-s", "cu", "-o"],
    ["simulate", "cycling", "-s", "cu", "-o"],
    ["simulate", "rate", "-s", "cu", "-o"],
    ["simulate", "eis", "-s", "cu", "-o"],
    ["simulate", "protocol", "-s", "cu", "--step", "Rest for 1 hour", "-o"],
    ["convert", str(DATA / "maccor" / "maccor_example.001"), "-o"],
    ["plumes", "map", "--out"],
]


@pytest.mark.parametrize("base", OUTPUT_COMMANDS, ids=lambda b: " ".join(b[:2]))
def test_hostile_output_paths_are_refused(base: list[str], cli_tmp: Path) -> None:
    (cli_tmp / "p.toml").write_text("")
    before = {p.name: p.stat().st_mode for p in cli_tmp.iterdir()}
    for path, needle in _hostile_outputs(cli_tmp):
        args = [*base, path]
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2 and needle in res.stderr, (args, res.stderr)
    after = {p.name: p.stat().st_mode for p in cli_tmp.iterdir()}
    assert {k: v for k, v in after.items() if k in before} == before or set(after) >= set(before)
    assert (cli_tmp / "pipe.parquet").is_fifo() and (cli_tmp / "folder.parquet").is_dir()
    assert not (cli_tmp / "x.txt").exists() and (cli_tmp / "p.toml").read_text() == ""
    assert Path("/dev/null").is_char_device()


def test_plot_folder_and_params_export_are_checked(cli_tmp: Path) -> None:
    for args, needle in [
        (["simulate", "nucleation", "-s", "cu", "--plot", "/proc/self/figs"], "/proc"),
        (["simulate", "nucleation", "-s", "cu", "--plot", "/dev/null"], "/dev"),
        (["params", "export", "/dev/null"], "/dev"),
        (["params", "export", str(cli_tmp / "x.parquet")], "must end in"),
        (["sweep", str(EXAMPLES / "smoke.toml"), "--out", "/proc/self/s"], "/proc"),
        (["reproduce", "--out", "/sys/report"], "/sys"),
    ]:
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2 and needle in res.stderr, (args, res.stderr)


def test_inputs_sidecars_and_parameter_files_are_never_written(cli_tmp: Path) -> None:
    import shutil

    src = cli_tmp / "2017-05-09_test-TC-contact_CH33.csv"
    side = cli_tmp / "2017-05-09_test-TC-contact_CH33_Metadata.csv"
    shutil.copy(DATA / "arbin" / src.name, src)
    shutil.copy(DATA / "arbin" / side.name, side)
    os.link(src, cli_tmp / "hardlink.csv")
    params = cli_tmp / "p.toml"
    assert run_cli(["params", "export", str(params)]).code == 0
    before = {p: digest(p) for p in (src, side, params)}
    for args in (
        ["convert", str(src), "-o", str(src)],
        ["convert", str(src), "-o", str(side)],
        ["convert", str(src), "-o", str(cli_tmp / "hardlink.csv")],
        ["convert", str(cli_tmp / "." / src.name), "-o", str(src)],
        ["fit", str(src), "-e", "cycling", "--params", str(params), "-o", str(params)],
        ["params", "export", str(params), "--params", str(params)],
    ):
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2 and "refusing to overwrite" in res.stderr, (args, res.stderr)
    assert {p: digest(p) for p in before} == before


def test_binary_and_utf16_parameter_files_are_one_line(cli_tmp: Path) -> None:
    files = {
        "bin.toml": bytes(range(256)) * 4,
        "u16.toml": "[cell]\n".encode("utf-16"),
        "markup.toml": b"[/x]\n",
        "bad.yaml": b"a: [1\n",
        "deep.yaml": b"[" * 5000,
    }
    for name, content in files.items():
        (cli_tmp / name).write_bytes(content)
        args = ["simulate", "nucleation", "-s", "cu", "--params", str(cli_tmp / name)]
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2 and name in res.stderr, (name, res.stderr)
        assert (cli_tmp / name).read_bytes() == content


def test_usage_errors_are_one_line() -> None:
    for args in (["simulate", "cycling", "--bogus"], ["nosuchcommand"], ["info"], ["convert", "x"]):
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == 2


# ---- the validator itself (hypothesis) -----------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    name=st.sampled_from(sorted({n for _, n, *_ in NUMERIC})),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**80), max_value=2**80),
    ),
)
def test_check_number_accepts_only_finite_values_within_the_limits(name: str, value: float) -> None:
    from lilean.cli.common import DEFAULT_LIMIT, LIMITS, STATE, check_number
    from lilean.errors import ParameterError

    limit = LIMITS.get(name, DEFAULT_LIMIT)
    STATE["allow_large"] = False
    try:
        check_number(name, value, option=f"--{name}")
    except ParameterError as exc:
        assert f"--{name}" in str(exc) and "\n" not in str(exc)
        return
    assert math.isfinite(value)
    assert (value > limit.lo if limit.lo_open else value >= limit.lo) and value <= limit.hi
    assert limit.large is None or value <= limit.large


def test_paths_with_rich_markup_print_as_they_are(cli_tmp: Path) -> None:
    """A folder named ``we[`` makes ``we[/ird].001`` a path containing ``[/`` (rich's closing tag):
    info, convert and analyze print it verbatim instead of failing on markup."""
    import shutil

    (cli_tmp / "we[").mkdir()
    src = cli_tmp / "we[" / "ird].001"
    shutil.copy(DATA / "maccor" / "maccor_example.001", src)
    out = cli_tmp / "we[" / "x].parquet"
    for args in (
        ["info", str(src)],
        ["convert", str(src), "-o", str(out)],
        ["analyze", str(src)],
        ["info", str(cli_tmp / "we[" / "missing].001")],
    ):
        res = run_cli(args)
        assert_clean(res, args)
        assert res.code == (2 if "missing" in args[1] else 0), res.stderr
    assert "we[/x].parquet" in run_cli(["convert", str(src), "-o", str(out)]).stderr
    assert out.is_file()
