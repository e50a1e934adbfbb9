"""The output policy (lilean.outputs): regular files only, suffix per format, inputs never written."""

from __future__ import annotations

import os

import pytest

from lilean import outputs
from lilean.errors import OutputError
from lilean.schema import atomic_output


def test_device_node_fifo_directory_and_kernel_folders_are_refused(tmp_path):
    fifo = tmp_path / "pipe.parquet"
    os.mkfifo(fifo)
    for path, needle in (
        ("/dev/null", "/dev"),
        ("/proc/self/x.parquet", "/proc"),
        ("/sys/x.parquet", "/sys"),
        (fifo, "FIFO"),
        (tmp_path, "directory"),
    ):
        with pytest.raises(OutputError, match=needle):
            outputs.check_output(path)
    with pytest.raises(OutputError, match="/dev"), atomic_output("/dev/null"):
        pass
    assert fifo.exists() and not fifo.is_file()  # still the FIFO


def test_suffix_must_match_the_format(tmp_path):
    with pytest.raises(OutputError, match=r"\.parquet or \.csv"):
        outputs.check_output(tmp_path / "x.txt", suffixes="table")
    assert outputs.check_output(tmp_path / "x.CSV", suffixes="table").name == "x.CSV"


def test_protected_inputs_by_path_sidecar_and_inode(tmp_path):
    src = tmp_path / "cell_CH33.csv"
    src.write_text("a\n")
    side = tmp_path / "cell_CH33_Metadata.csv"
    side.write_text("b\n")
    link = tmp_path / "hard.csv"
    os.link(src, link)
    with outputs.command_scope():
        outputs.protect(src)
        for target in (src, side, link, tmp_path / "." / "cell_CH33.csv"):
            with pytest.raises(OutputError, match="a file this command reads"):
                outputs.check_output(target)
        with pytest.raises(OutputError), atomic_output(side) as tmp:
            tmp.write_text("overwritten")
        outputs.check_output(tmp_path / "other.csv")  # anything else is fine
    assert src.read_text() == "a\n" and side.read_text() == "b\n"
    outputs.check_output(src)  # outside the command's scope the file is no longer protected


def test_atomic_replace_follows_a_symlink_and_keeps_it(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with atomic_output(link) as tmp:
        tmp.write_text("new")
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]
