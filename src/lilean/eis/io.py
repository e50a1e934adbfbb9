"""Electrochemical impedance spectroscopy (EIS) files -> one impedance table.

The impedance table
-------------------
:class:`ImpedanceData` holds a :class:`pandas.DataFrame` and the same :class:`lilean.schema.Metadata`
as a cycling table. Columns (name, then unit in square brackets):

======================  =======  ===============================================================
column                  dtype    meaning
======================  =======  ===============================================================
``Frequency [Hz]``      float64  excitation frequency f (> 0)
``Z_re [Ohm]``          float64  real part of the impedance
``Z_im [Ohm]``          float64  imaginary part of the impedance (**not** negated)
``Spectrum``            int64    1-based index of the spectrum (sweep) within the file
``Cycle``               int64    optional: the instrument's cycle number, when the file has one
``Time [s]``            float64  optional: time of the point since the start of the file
``Voltage [V]``         float64  optional: DC potential during the point
======================  =======  ===============================================================

Sign convention (one, for measured and simulated spectra alike): ``Z = Z_re + j Z_im`` with
``j = sqrt(-1)`` and the time dependence ``exp(j omega t)``, so a capacitive arc has ``Z_im < 0``.
Nyquist plots show ``-Z_im`` upwards. Readers of files that store ``-Z''`` (BioLogic ``-Im(Z)/Ohm``)
negate it on reading. A spectrum simulated by a model fits in the same table
(:meth:`ImpedanceData.from_arrays`).

Readers (format detected from the file content, never from the name alone)
-----------------------------------------------------------------------------
=====================  ================================================  ==========================
format                 file                                              parsed by
=====================  ================================================  ==========================
``gamry-dta``          Gamry Framework ``.DTA`` (ZCURVE table)           impedance.py ``gamry``
``zview-txt``          Autolab/ZView "Z60W" comma text                    impedance.py ``autolab``
``biologic-mpt``       EC-Lab ASCII ``.mpt`` with ``freq/Hz``             impedance.py ``biologic``
``versastudio-par``    Princeton Applied Research VersaStudio ``.par``   impedance.py ``versastudio``
``zplot-z``            Scribner ZPlot ``.z``                             impedance.py ``zplot``
``parstat-txt``        Parstat tab-separated text                        impedance.py ``parstat``
``chi-txt``            CH Instruments A.C. impedance text                impedance.py ``chinstruments``
``maccor-fra``         Maccor FRA AC-impedance sweep (``.EDA*``)         lilean (impedance.py lacks it)
``biologic-mpr``       EC-Lab binary ``.mpr`` with impedance columns     galvani (GPL, optional extra)
``ivium-idf``          IviumSoft ``.idf`` (``primary_data`` block)       lilean (:mod:`lilean.eis.ivium`)
``csv``                delimited text with frequency, Z', Z'' headers    lilean
=====================  ================================================  ==========================

Every format is also a :class:`lilean.io.registry.Reader` named ``eis-<format>`` with
``kind = "impedance"`` in the one reader registry (:func:`register_readers`).

impedance.py: Murbach2020, doi 10.21105/joss.02349 (MIT).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean._optional import require
from lilean.eis.columns import CYCLE, FREQUENCY, SPECTRUM, TIME, VOLTAGE, Z_IM, Z_RE
from lilean.eis.ivium import read_ivium_idf, sniff_ivium_idf
from lilean.errors import FileFormatError, ParameterError
from lilean.io.common import library_version
from lilean.io.registry import Reader, register, registered
from lilean.schema import (
    Metadata,
    file_sha256,
    read_parquet,
    write_parquet,
)

REQUIRED_IMPEDANCE_COLUMNS: tuple[str, ...] = (FREQUENCY, Z_RE, Z_IM, SPECTRUM)
OPTIONAL_IMPEDANCE_COLUMNS: tuple[str, ...] = (CYCLE, TIME, VOLTAGE)

IMPEDANCE_CONVENTION = (
    "Z = Z_re + j*Z_im with exp(j*omega*t) time dependence; capacitive arcs have Z_im < 0; "
    "Nyquist plots show -Z_im"
)

# lilean format name -> impedance.py instrument name
_IMPEDANCE_PY_FORMATS: dict[str, str] = {
    "gamry-dta": "gamry",
    "zview-txt": "autolab",
    "biologic-mpt": "biologic",
    "versastudio-par": "versastudio",
    "zplot-z": "zplot",
    "parstat-txt": "parstat",
    "chi-txt": "chinstruments",
}
# lilean format name -> instrument written to the metadata: impedance.py's names where it reads
# the format, plus the formats lilean reads itself
_INSTRUMENT: dict[str, str] = {
    **_IMPEDANCE_PY_FORMATS,
    "maccor-fra": "maccor",
    "biologic-mpr": "biologic",
    "ivium-idf": "ivium",
    "csv": "unknown",
}
# impedance.py's instrument names are accepted as aliases
_ALIASES: dict[str, str] = {v: k for k, v in _IMPEDANCE_PY_FORMATS.items()}


# ================================================================================================
# the table
# ================================================================================================


def validate_impedance(data: pd.DataFrame, *, source: str | Path = "<table>") -> list[str]:
    """Check an impedance table. Raises :class:`FileFormatError` on a broken table; returns
    anomalies (human-readable) that leave it usable."""
    missing = [c for c in REQUIRED_IMPEDANCE_COLUMNS if c not in data.columns]
    if missing:
        raise FileFormatError(source, f"impedance table lacks required columns {missing}")
    if len(data) == 0:
        raise FileFormatError(source, "no impedance data rows")
    f = data[FREQUENCY].to_numpy(dtype=float)
    z = data[[Z_RE, Z_IM]].to_numpy(dtype=float)
    bad_f = np.flatnonzero(~(np.isfinite(f) & (f > 0)))
    if bad_f.size:
        raise FileFormatError(
            source,
            f"frequency must be finite and > 0, got {f[bad_f[0]]!r}",
            row=int(bad_f[0]) + 1,
        )
    bad_z = np.flatnonzero(~np.isfinite(z).all(axis=1))
    if bad_z.size:
        raise FileFormatError(source, "impedance value is not finite", row=int(bad_z[0]) + 1)
    anomalies: list[str] = []
    for n, part in data.groupby(SPECTRUM, sort=True):
        if len(part) < 3:
            anomalies.append(f"spectrum {n} has only {len(part)} point(s)")
        if part[FREQUENCY].duplicated().any():
            anomalies.append(f"spectrum {n} repeats a frequency")
    return anomalies


@dataclass(frozen=True)
class ImpedanceData:
    """One or more impedance spectra (see the module docstring for columns and sign convention)
    and their :class:`~lilean.schema.Metadata`."""

    data: pd.DataFrame
    meta: Metadata

    def __len__(self) -> int:
        return len(self.data)

    @property
    def n_spectra(self) -> int:
        return int(self.data[SPECTRUM].nunique()) if len(self.data) else 0

    @property
    def spectrum_ids(self) -> list[int]:
        return [int(v) for v in pd.unique(self.data[SPECTRUM])]

    def spectrum(self, n: int) -> ImpedanceData:
        """Only spectrum ``n`` (1-based, as in the ``Spectrum`` column)."""
        part = self.data[self.data[SPECTRUM] == n]
        if part.empty:
            raise ParameterError(
                f"spectrum={n}: {self.meta.source_file or '<table>'} holds spectra "
                f"{self.spectrum_ids}"
            )
        return ImpedanceData(part.reset_index(drop=True), self.meta)

    def spectra(self) -> Iterator[tuple[int, ImpedanceData]]:
        """``(spectrum number, ImpedanceData of that spectrum)`` in file order."""
        for n in self.spectrum_ids:
            yield n, self.spectrum(n)

    def to_impedance_arrays(self, spectrum: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(f [Hz], Z [Ohm] complex)`` of one spectrum, in impedance.py's convention
        (``Z = Z_re + j Z_im``). ``spectrum`` is required when the table holds several."""
        part = self.data
        if spectrum is not None:
            part = self.spectrum(spectrum).data
        elif self.n_spectra > 1:
            raise ParameterError(
                f"{self.meta.source_file or '<table>'} holds {self.n_spectra} spectra "
                f"{self.spectrum_ids}: pass spectrum=<one of them>"
            )
        f = part[FREQUENCY].to_numpy(dtype=float)
        z = part[Z_RE].to_numpy(dtype=float) + 1j * part[Z_IM].to_numpy(dtype=float)
        return f, z

    @classmethod
    def from_arrays(
        cls,
        frequency_Hz: Any,
        impedance_ohm: Any,
        *,
        spectrum: Any | None = None,
        meta: Metadata | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ImpedanceData:
        """Build a table from ``f`` and complex ``Z`` (e.g. a simulated spectrum).

        ``spectrum`` (per-point spectrum numbers) defaults to 1; ``extra`` adds optional columns
        (``Cycle``, ``Time [s]``, ``Voltage [V]``). ``meta`` defaults to a simulation stamp.
        """
        f = np.asarray(frequency_Hz, dtype=float).ravel()
        z = np.asarray(impedance_ohm, dtype=complex).ravel()
        if f.size != z.size:
            raise ParameterError(f"frequency_Hz has {f.size} values but impedance_ohm has {z.size}")
        sp = np.ones(f.size, dtype=np.int64) if spectrum is None else np.asarray(spectrum)
        cols: dict[str, Any] = {
            FREQUENCY: f,
            Z_RE: z.real.copy(),
            Z_IM: z.imag.copy(),
            SPECTRUM: sp.astype(np.int64),
        }
        for name, values in (extra or {}).items():
            cols[name] = np.asarray(values)
        data = pd.DataFrame(cols)
        if meta is None:
            meta = Metadata(
                source_file=None,
                source_sha256=None,
                area_cm2=None,
                active_mass_mg=None,
                start_time=None,
                instrument="lilean",
                file_format="simulation",
                reader="lilean",
                sign_convention=IMPEDANCE_CONVENTION,
            )
        anomalies = validate_impedance(data, source=meta.source_file or "<arrays>")
        if anomalies:
            meta = meta.model_copy(update={"anomalies": [*meta.anomalies, *anomalies]})
        return cls(data, meta)

    # ---- persistence --------------------------------------------------------------------------
    def to_parquet(self, path: str | Path) -> Path:
        """Write table + metadata to Parquet atomically (as :class:`lilean.schema.CyclingData`)."""
        return write_parquet(self.data, self.meta, path)

    @classmethod
    def from_parquet(cls, path: str | Path) -> ImpedanceData:
        path = Path(path)
        data, meta = read_parquet(path)
        missing = [c for c in REQUIRED_IMPEDANCE_COLUMNS if c not in data.columns]
        if missing:
            raise FileFormatError(path, f"not an impedance table: lacks columns {missing}")
        return cls(data, meta)


# ================================================================================================
# detection
# ================================================================================================

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"


def detect_eis_format(path: str | Path) -> str:
    """The lilean format name of an impedance file, from its first bytes (see module table).

    Anything text-like that no instrument signature matches is tried as ``csv``.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise FileFormatError(path, f"cannot open file ({exc.strerror})") from None
    if not head:
        raise FileFormatError(path, "file is empty")
    if head.startswith(_MPR_MAGIC):
        return "biologic-mpr"
    if sniff_ivium_idf(head):
        return "ivium-idf"
    if b"\x00" in head:
        raise FileFormatError(path, "binary file that is not a BioLogic .mpr impedance file")
    text = head.decode("latin-1").lstrip("\ufeff").lstrip("ï»¿")
    first = text.splitlines()[0] if text.splitlines() else ""
    if first.startswith("EXPLAIN"):
        return "gamry-dta"
    if "Z60W Data File" in first or "ZView" in first:
        return "zview-txt"
    if "ASCII FILE" in first and "Nb header lines" in text:
        return "biologic-mpt"
    if "<Application>" in first and "VersaStudio" in text:
        return "versastudio-par"
    if first.startswith("ZPLOT2 ASCII"):
        return "zplot-z"
    if "Frequency (Hz)" in first and "Zre (ohms)" in first:
        return "parstat-txt"
    if "A.C. Impedance" in text[:400] and "Freq/Hz" in text:
        return "chi-txt"
    if first.startswith("MACCOR") and "AC Impedance" in first:
        return "maccor-fra"
    return "csv"


# ================================================================================================
# readers
# ================================================================================================


def read_eis(path: str | Path, format: str | None = None) -> ImpedanceData:
    """Read an impedance file into an :class:`ImpedanceData` (format detected from content).

    ``format`` forces a reader: one of :data:`EIS_READERS` or an impedance.py instrument name
    (``"gamry"``, ``"autolab"``, ...). Bad input raises :class:`FileFormatError` naming the file;
    a time-domain (cycling) file raises "no impedance columns". The input file is only read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "no such file")
    fmt = (
        detect_eis_format(path)
        if format is None
        else _ALIASES.get(format, format.removeprefix("eis-"))
    )
    reader = EIS_READERS.get(fmt)
    if reader is None:
        raise ParameterError(
            f"format={format!r}: unknown impedance format, expected one of {sorted(EIS_READERS)}"
        )
    cols, units_found, original, extra, notes = reader(path)
    data = pd.DataFrame(cols)
    anomalies = validate_impedance(data, source=path)
    meta = Metadata(
        source_file=str(path),
        source_sha256=file_sha256(path),
        instrument=_INSTRUMENT[fmt],
        file_format=fmt,
        reader=_reader_name(fmt),
        units_found=units_found,
        original_columns=[str(c) for c in original],
        area_cm2=None,
        active_mass_mg=None,
        start_time=None,
        sign_convention=IMPEDANCE_CONVENTION,
        anomalies=anomalies,
        notes=notes,
        extra=extra,
    )
    return ImpedanceData(data, meta)


_ReaderResult = tuple[dict[str, Any], dict[str, str], list[str], dict[str, Any], list[str]]


def _reader_name(fmt: str) -> str:
    if fmt in _IMPEDANCE_PY_FORMATS:
        return library_version("impedance")
    if fmt == "biologic-mpr":
        return library_version("galvani")
    return "lilean"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _table(
    f: np.ndarray,
    z: np.ndarray,
    path: Path,
    *,
    spectrum: np.ndarray | None = None,
    optional: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    f = np.asarray(f, dtype=float)
    z = np.asarray(z, dtype=complex)
    if f.size == 0:
        raise FileFormatError(path, "no impedance data rows")
    sp = np.ones(f.size, dtype=np.int64) if spectrum is None else spectrum.astype(np.int64)
    cols: dict[str, Any] = {FREQUENCY: f, Z_RE: z.real.copy(), Z_IM: z.imag.copy(), SPECTRUM: sp}
    cols.update(optional or {})
    return cols


def _spectrum_index(f: np.ndarray, breaks: np.ndarray | None = None) -> np.ndarray:
    """1-based spectrum number that increases when the sweep direction restarts.

    A sweep runs monotonically (high -> low or low -> high); a new sweep starts where the
    frequency jumps back by more than a factor of 2 against the sweep direction, or where
    ``breaks`` (boolean, same length) is true.
    """
    n = f.size
    new = np.zeros(n, dtype=bool)
    if n > 2 and np.all(f > 0):
        direction = np.sign(np.median(np.diff(np.log(f))))
        step = np.diff(np.log(f)) * direction
        new[1:] = step < -math.log(2.0)
    if breaks is not None:
        new |= breaks
    new[0] = True
    return np.cumsum(new)


def _read_with_impedance_py(path: Path, fmt: str) -> _ReaderResult:
    readFile = require("impedance.preprocessing", "eis", purpose=f"{path}: this format").readFile

    instrument = _IMPEDANCE_PY_FORMATS[fmt]
    notes: list[str] = [f"parsed by impedance.py readFile(instrument={instrument!r})"]
    units = {FREQUENCY: "Hz", Z_RE: "Ohm", Z_IM: "Ohm"}
    original: list[str] = []
    optional: dict[str, np.ndarray] = {}
    spectrum: np.ndarray | None = None
    if fmt == "gamry-dta":
        _require_text(path, "ZCURVE", "no impedance columns (no ZCURVE table in the .DTA file)")
    if fmt == "biologic-mpt":
        header, n_header = _mpt_header(path)
        original = header
        if "freq/Hz" not in header:
            raise FileFormatError(
                path, f"no impedance columns (no 'freq/Hz' among {len(header)} columns)"
            )
        units[Z_IM] = "-Im(Z)/Ohm (negated on reading)"
    if fmt == "zview-txt":
        units[Z_IM] = "Z''(b) [Ohm]"
    try:
        f, z = readFile(str(path), instrument=instrument)
    except Exception as exc:  # impedance.py raises many types on malformed files
        raise FileFormatError(
            path, f"impedance.py could not parse this {fmt} file ({_one_line(exc)})"
        ) from None
    f = np.asarray(f, dtype=float)
    z = np.asarray(z, dtype=complex)
    if fmt == "biologic-mpt":
        optional, spectrum, keep = _mpt_extras(path, n_header, f.size)
        if keep is not None and not keep.all():
            notes.append(f"dropped {int((~keep).sum())} row(s) without impedance (freq/Hz = 0)")
            f, z = f[keep], z[keep]
            optional = {k: v[keep] for k, v in optional.items()}
            spectrum = None if spectrum is None else spectrum[keep]
    if f.size == 0:
        raise FileFormatError(path, "no impedance data rows")
    if spectrum is None:
        spectrum = _spectrum_index(f) if f.size > 2 else None
    elif spectrum.size:
        spectrum = _spectrum_index(f, np.concatenate([[True], np.diff(spectrum) != 0]))
    return (_table(f, z, path, spectrum=spectrum, optional=optional), units, original, {}, notes)


def _require_text(path: Path, needle: str, problem: str) -> None:
    with open(path, encoding="latin-1") as fh:
        if needle not in fh.read():
            raise FileFormatError(path, problem)


def _mpt_header(path: Path) -> tuple[list[str], int]:
    with open(path, encoding="latin-1") as fh:
        lines = fh.readlines()
    if len(lines) < 2:
        raise FileFormatError(path, "truncated EC-Lab ASCII file (no header)")
    m = re.search(r"Nb header lines\s*:\s*(\d+)", lines[1])
    if not m:
        raise FileFormatError(path, "expected 'Nb header lines : N' on line 2", row=2)
    n_header = int(m.group(1))
    if n_header > len(lines) or n_header < 1:
        raise FileFormatError(
            path, f"header says {n_header} lines but the file has {len(lines)}", row=2
        )
    header = lines[n_header - 1].rstrip("\r\n").rstrip("\t").split("\t")
    return header, n_header


def _mpt_extras(
    path: Path, n_header: int, n_rows: int
) -> tuple[dict[str, np.ndarray], np.ndarray | None, np.ndarray | None]:
    """Optional columns (time, <Ewe>, cycle number) of an EC-Lab .mpt, aligned with
    impedance.py's rows (every data line)."""
    df = pd.read_csv(
        path,
        sep="\t",
        skiprows=n_header - 1,
        encoding="latin-1",
        decimal=".",
        skip_blank_lines=False,
    )
    if len(df) != n_rows:
        return {}, None, None
    out: dict[str, np.ndarray] = {}
    if "time/s" in df:
        out[TIME] = pd.to_numeric(df["time/s"], errors="coerce").to_numpy(dtype=float)
    for col in ("<Ewe>/V", "Ewe/V"):
        if col in df:
            out[VOLTAGE] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
            break
    spectrum = None
    if "cycle number" in df:
        cyc = pd.to_numeric(df["cycle number"], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(cyc).all():
            out[CYCLE] = cyc.astype(np.int64)
            spectrum = cyc.astype(np.int64)
    keep = pd.to_numeric(df["freq/Hz"], errors="coerce").to_numpy(dtype=float) > 0
    return out, spectrum, keep


def _parse_float(text: str, path: Path, row: int, column: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise FileFormatError(
            path, f"column {column!r}: expected a number, got {text.strip()!r}", row=row
        ) from None


def _read_maccor_fra(path: Path) -> _ReaderResult:
    """Maccor FRA AC-impedance sweep text: header block, then a tab-separated table whose header
    line starts with ``Freq(Hz)``. ``Z''(b)`` is Z_im as is: the file's ``Phase_Angle`` equals
    atan2(Z'', Z') (checked on reading)."""
    with open(path, encoding="latin-1", newline="") as fh:
        lines = fh.read().splitlines()
    head_idx = next((i for i, ln in enumerate(lines) if ln.startswith("Freq(Hz)")), None)
    if head_idx is None:
        raise FileFormatError(path, "no impedance columns (no 'Freq(Hz)' header line)")
    header = lines[head_idx].split("\t")
    need = {"Freq(Hz)": FREQUENCY, "Z'(a)": Z_RE, "Z''(b)": Z_IM}
    missing = [c for c in need if c not in header]
    if missing:
        raise FileFormatError(path, f"no impedance columns (missing {missing})", row=head_idx + 1)
    idx = {c: header.index(c) for c in header}
    wanted = {**need, "time(sec)": TIME, "V-DC": VOLTAGE, "Phase_Angle": "phase"}
    values: dict[str, list[float]] = {v: [] for c, v in wanted.items() if c in idx}
    for i in range(head_idx + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) <= max(idx[c] for c in need):
            raise FileFormatError(
                path,
                f"row has {len(fields)} fields, expected at least {max(idx[c] for c in need) + 1}",
                row=i + 1,
            )
        for c, name in wanted.items():
            if c not in idx:
                continue
            text = fields[idx[c]] if idx[c] < len(fields) else ""
            values[name].append(
                _parse_float(text, path, i + 1, c) if text.strip() else float("nan")
            )
    f = np.asarray(values[FREQUENCY])
    if f.size == 0:
        raise FileFormatError(path, "no impedance data rows", row=head_idx + 2)
    z = np.asarray(values[Z_RE]) + 1j * np.asarray(values[Z_IM])
    notes: list[str] = []
    if "phase" in values:
        phase = np.asarray(values["phase"])
        ok = np.isfinite(phase)
        if ok.any():
            agree = np.allclose(np.degrees(np.angle(z[ok])), phase[ok], atol=0.05)
            flipped = np.allclose(np.degrees(np.angle(np.conj(z[ok]))), phase[ok], atol=0.05)
            if flipped and not agree:
                z = np.conj(z)
                notes.append("Z''(b) holds -Z_im (from Phase_Angle); negated")
    optional = {k: np.asarray(values[k]) for k in (TIME, VOLTAGE) if k in values and len(values[k])}
    units = {FREQUENCY: "Freq(Hz)", Z_RE: "Z'(a) [Ohm]", Z_IM: "Z''(b) [Ohm]"}
    extra = {"header": [ln for ln in lines[:head_idx] if ln.strip()]}
    cols = _table(f, z, path, spectrum=_spectrum_index(f), optional=optional)
    return cols, units, header, extra, notes


def _read_biologic_mpr(path: Path) -> _ReaderResult:
    """EC-Lab binary ``.mpr`` via galvani (GPL-3, optional extra ``gpl``).

    Impedance rows are those with ``freq/Hz > 0``. Z comes from ``Re(Z)/Ohm`` and
    ``-Im(Z)/Ohm`` (negated), or, when the file only has the polar form (e.g. Modulo Bat files),
    from ``Z = |Z| exp(j * Phase(Z))`` with EC-Lab's phase in degrees (negative for capacitive).
    Spectra are split where the rows stop being consecutive, where the ``z cycle`` / ``Ns``
    changes, or where the sweep restarts.
    """
    biologic = require("galvani.BioLogic", "gpl", purpose=f"{path}: a BioLogic .mpr")
    try:
        mpr = biologic.MPRfile(str(path))
    except Exception as exc:  # galvani raises several types on malformed files
        raise FileFormatError(
            path, f"galvani could not parse this .mpr ({_one_line(exc)})"
        ) from None
    df = pd.DataFrame(mpr.data)
    names = list(df.columns)
    if "freq/Hz" not in df:
        raise FileFormatError(path, f"no impedance columns (no 'freq/Hz' among {len(names)})")
    freq = df["freq/Hz"].to_numpy(dtype=float)
    rows = np.flatnonzero(freq > 0)
    if rows.size == 0:
        raise FileFormatError(path, "no impedance columns with data (freq/Hz is 0 everywhere)")
    e = df.iloc[rows]
    units = {FREQUENCY: "freq/Hz"}
    if "Re(Z)/Ohm" in e and "-Im(Z)/Ohm" in e:
        z = e["Re(Z)/Ohm"].to_numpy(float) - 1j * e["-Im(Z)/Ohm"].to_numpy(float)
        units.update({Z_RE: "Re(Z)/Ohm", Z_IM: "-Im(Z)/Ohm (negated)"})
    elif "|Z|/Ohm" in e and "Phase(Z)/deg" in e:
        z = e["|Z|/Ohm"].to_numpy(float) * np.exp(
            1j * np.radians(e["Phase(Z)/deg"].to_numpy(float))
        )
        units.update({Z_RE: "|Z|/Ohm * cos(Phase(Z))", Z_IM: "|Z|/Ohm * sin(Phase(Z))"})
    else:
        raise FileFormatError(path, "no impedance columns (neither Re(Z)/-Im(Z) nor |Z|/Phase(Z))")
    f = e["freq/Hz"].to_numpy(dtype=float)
    breaks = np.concatenate([[True], np.diff(rows) > 1])
    for col in ("z cycle", "Ns", "cycle number"):
        if col in e:
            v = e[col].to_numpy()
            breaks[1:] |= v[1:] != v[:-1]
    optional: dict[str, np.ndarray] = {}
    if "time/s" in e:
        optional[TIME] = e["time/s"].to_numpy(dtype=float)
    for col in ("<Ewe>/V", "Ewe/V"):
        if col in e:
            optional[VOLTAGE] = e[col].to_numpy(dtype=float)
            break
    if "cycle number" in e:
        optional[CYCLE] = e["cycle number"].to_numpy().astype(np.int64)
    notes = [f"{rows.size} impedance rows out of {len(df)} (freq/Hz > 0)"]
    cols = _table(f, z, path, spectrum=_spectrum_index(f, breaks), optional=optional)
    extra: dict[str, Any] = {}
    if getattr(mpr, "startdate", None) is not None:
        extra["start_date"] = str(mpr.startdate)
    return cols, units, names, extra, notes


_FREQ_RE = re.compile(r"freq|^f\s*[\[(/]|^f$|^nu\b|\bhz\b", re.IGNORECASE)
_REAL_RE = re.compile(r"^(z'|zre|z_re|z\.re|re\(z\)|zreal|z_real|real|re)", re.IGNORECASE)
_IMAG_RE = re.compile(r"^(z''|z\"|zim|z_im|z\.im|im\(z\)|zimag|z_imag|imag|im)", re.IGNORECASE)
_SI_PREFIX = {"": 1.0, "u": 1e-6, "µ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6}
_OHM_UNIT = re.compile(r"(?<![A-Za-z])([uµmkM]?)(?i:ohms?|Ω)(?![A-Za-z])")
_HZ_UNIT = re.compile(r"(?<![A-Za-z])([uµmkM]?)(?i:hz)(?![A-Za-z])")


def _clean_header(name: str) -> str:
    return name.strip().strip('"').strip()


def _unit_scale(name: str, unit: re.Pattern[str]) -> float:
    """Factor to SI from the unit in a column header: the prefix is case-sensitive (``mOhm`` =
    1e-3, ``MOhm`` = 1e6), the unit is not; no unit found -> 1."""
    m = unit.search(name)
    return _SI_PREFIX[m.group(1)] if m else 1.0


def _read_csv(path: Path) -> _ReaderResult:
    """Delimited text with a header naming frequency, real and imaginary columns.

    The imaginary column is taken as ``-Z_im`` (and negated) when its header starts with a minus
    sign (``-Z''``, ``-Im(Z)``, ``-Zim``), else as ``Z_im``. Unit prefixes in the headers
    (``kHz``, ``mOhm``, ``kOhm``, ...) are converted to Hz and Ohm. A file whose first row is
    numeric is read by impedance.py's ``readCSV`` (columns f, Z_re, Z_im).
    """
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        with open(path, encoding="latin-1") as fh:
            text = fh.read()
    lines = text.splitlines()
    first_idx = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first_idx is None:
        raise FileFormatError(path, "file is empty")
    try:
        dialect: Any = csv.Sniffer().sniff("\n".join(lines[first_idx : first_idx + 20]), ",;\t")
    except csv.Error:
        dialect = csv.excel
    header = [_clean_header(h) for h in next(csv.reader([lines[first_idx]], dialect))]
    if all(_is_number(h) for h in header if h):
        return _read_headerless_csv(path, lines, first_idx, dialect)
    f_col = next((i for i, h in enumerate(header) if _FREQ_RE.search(h)), None)
    re_col = next((i for i, h in enumerate(header) if _REAL_RE.match(h.lstrip("+"))), None)
    im_col = _find_imag(header, (f_col, re_col))
    if f_col is None or re_col is None or im_col is None:
        raise FileFormatError(
            path,
            "no impedance columns (expected headers for frequency, Z' / Z_re and Z'' / Z_im; "
            f"found {[h[:30] for h in header[:8]]})",
            row=first_idx + 1,
        )
    negated = header[im_col].lstrip().startswith("-")
    rows = list(csv.reader(lines[first_idx + 1 :], dialect))
    f_l, re_l, im_l = [], [], []
    for k, fields in enumerate(rows):
        row = first_idx + 2 + k
        if not fields or all(not x.strip() for x in fields):
            continue
        if len(fields) <= max(f_col, re_col, im_col):
            raise FileFormatError(
                path, f"row has {len(fields)} fields, expected {len(header)}", row=row
            )
        f_l.append(_parse_float(fields[f_col], path, row, header[f_col]))
        re_l.append(_parse_float(fields[re_col], path, row, header[re_col]))
        im_l.append(_parse_float(fields[im_col], path, row, header[im_col]))
    f = np.asarray(f_l) * _unit_scale(header[f_col], _HZ_UNIT)
    z_re = np.asarray(re_l) * _unit_scale(header[re_col], _OHM_UNIT)
    z_im = np.asarray(im_l) * _unit_scale(header[im_col], _OHM_UNIT)
    if negated:
        z_im = -z_im
    units = {FREQUENCY: header[f_col], Z_RE: header[re_col], Z_IM: header[im_col]}
    notes = [f"imaginary column {header[im_col]!r} read as {'-Z_im' if negated else 'Z_im'}"]
    cols = _table(f, z_re + 1j * z_im, path, spectrum=_spectrum_index(f) if f.size else None)
    return cols, units, header, {}, notes


def _find_imag(header: list[str], taken: tuple[int | None, ...]) -> int | None:
    for i, h in enumerate(header):
        if i in taken:
            continue
        bare = h.lstrip("-+ ").strip()
        if _IMAG_RE.match(bare) or bare.lower().startswith(("z''", 'z"', "zim", "im(")):
            return i
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_headerless_csv(
    path: Path, lines: list[str], first_idx: int, dialect: Any
) -> _ReaderResult:
    from impedance.preprocessing import readCSV

    for k, fields in enumerate(csv.reader(lines[first_idx:], dialect)):
        if not fields:
            continue
        if len(fields) < 3:
            raise FileFormatError(
                path,
                f"row has {len(fields)} fields, expected 3 (f, Z_re, Z_im)",
                row=first_idx + k + 1,
            )
        for j, x in enumerate(fields[:3]):
            _parse_float(x, path, first_idx + k + 1, f"column {j + 1}")
    if getattr(dialect, "delimiter", ",") != ",":
        raise FileFormatError(path, "a headerless impedance file must be comma-separated")
    f, z = readCSV(str(path))
    notes = ["no header: columns read as f [Hz], Z_re [Ohm], Z_im [Ohm] (impedance.py readCSV)"]
    units = {FREQUENCY: "column 1", Z_RE: "column 2", Z_IM: "column 3"}
    f = np.atleast_1d(np.asarray(f, dtype=float))
    return _table(f, np.atleast_1d(z), path, spectrum=_spectrum_index(f)), units, [], {}, notes


def _impedance_py_reader(fmt: str) -> Callable[[Path], _ReaderResult]:
    def reader(path: Path) -> _ReaderResult:
        return _read_with_impedance_py(path, fmt)

    reader.__name__ = f"read_{fmt.replace('-', '_')}"
    return reader


EIS_READERS: dict[str, Callable[[Path], _ReaderResult]] = {
    **{fmt: _impedance_py_reader(fmt) for fmt in _IMPEDANCE_PY_FORMATS},
    "maccor-fra": _read_maccor_fra,
    "biologic-mpr": _read_biologic_mpr,
    "ivium-idf": read_ivium_idf,
    "csv": _read_csv,
}
"""lilean impedance format name -> reader (path -> columns, units, original columns, extra, notes)."""


def _sniffer(fmt: str) -> Callable[[Path, bytes], bool]:
    def sniff(path: Path, head: bytes) -> bool:
        return detect_eis_format(path) == fmt

    return sniff


def _loader(fmt: str) -> Callable[[Path], ImpedanceData]:
    def read(path: Path) -> ImpedanceData:
        return read_eis(path, format=fmt)

    return read


_EXTENSIONS = {
    "gamry-dta": (".dta",),
    "zview-txt": (".txt", ".z"),
    "biologic-mpt": (".mpt",),
    "versastudio-par": (".par",),
    "zplot-z": (".z",),
    "parstat-txt": (".txt",),
    "chi-txt": (".txt",),
    "maccor-fra": (),
    "biologic-mpr": (".mpr",),
    "ivium-idf": (".idf",),
    "csv": (".csv", ".txt"),
}


def register_readers() -> None:
    """Register every impedance format in :mod:`lilean.io.registry` as ``eis-<format>`` with
    ``kind = "impedance"`` (idempotent)."""
    for fmt in EIS_READERS:
        name = f"eis-{fmt}"
        if registered(name):
            continue
        register(
            Reader(
                name=name,
                instrument=_INSTRUMENT[fmt],
                extensions=_EXTENSIONS.get(fmt, ()),
                sniff=_sniffer(fmt),
                read=_loader(fmt),
                description=f"impedance spectrum ({fmt}); read with lilean.eis.read_eis",
                kind="impedance",
            )
        )


__all__ = [
    "CYCLE",
    "EIS_READERS",
    "FREQUENCY",
    "IMPEDANCE_CONVENTION",
    "SPECTRUM",
    "TIME",
    "VOLTAGE",
    "Z_IM",
    "Z_RE",
    "ImpedanceData",
    "detect_eis_format",
    "read_eis",
    "register_readers",
    "validate_impedance",
]

register_readers()
