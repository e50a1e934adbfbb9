"""Reader registration: the order of lilean.io.instruments._MODULES, the generic csv reader last,
and formats other than BioLogic .mpr still detected and read when galvani is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from lilean.io import instruments
from lilean.testing.data import data_dir

DATA = data_dir()


def _run(script: str) -> str:
    """Run ``script`` in a fresh interpreter (no reader module imported yet); its stdout."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_registration_follows_modules_order():
    """In a fresh interpreter (in this one the test modules have imported readers directly, which
    registers them in import order), ``lilean.io`` registers the modules in _MODULES order."""
    got = _run(
        """
        import lilean.io as lio
        print(" ".join(r.read.__module__.rsplit(".", 1)[-1] for r in lio.formats()))
        print(lio.formats()[-1].name)
        """
    ).splitlines()
    modules = got[0].split()
    assert list(dict.fromkeys(modules)) == list(instruments._MODULES)
    assert modules == sorted(modules, key=instruments._MODULES.index)  # grouped per module
    assert got[1] == "csv"


def test_other_formats_work_without_galvani():
    """In a fresh interpreter where importing galvani fails, every reader still registers, other
    files are detected and read, and an .mpr is detected but refused with the pip hint."""
    script = f"""
        import sys
        from importlib.abc import MetaPathFinder

        class NoGalvani(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "galvani" or name.startswith("galvani."):
                    raise ModuleNotFoundError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, NoGalvani())
        import lilean.io as lio
        from lilean.errors import FileFormatError

        data = {str(DATA)!r}
        assert len(lio.formats()) == 17, [r.name for r in lio.formats()]
        assert lio.read(data + "/arbin/arbin_example.csv").meta.file_format == "arbin-csv"
        assert lio.detect(data + "/other/sample_data_basytec.txt").name == "basytec"
        mpr = data + "/biologic/00_test_04_MB_C01.mpr"
        assert lio.detect(mpr).name == "biologic-mpr"
        try:
            lio.read(mpr)
        except FileFormatError as exc:
            assert "pip install 'lilean[gpl]'" in str(exc), exc
        else:
            raise AssertionError("read an .mpr without galvani")
        assert "galvani" not in sys.modules
        print("ok")
        """
    assert _run(script) == "ok"
