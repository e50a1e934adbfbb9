"""Design-space sweeps of the digital twin on Dask, streamed to Parquet, with Sobol sensitivity.

A *sweep spec* (TOML) names one experiment of :mod:`lilean.simulate`, the inputs to vary and how
(a full-factorial grid, a Latin hypercube, a scrambled Sobol sequence, or a Saltelli design for
Sobol indices), and the scalar outputs to keep (:data:`OUTPUTS`)::

    [sweep]
    experiment = "cycling"          # cycling | rate | symmetric | nucleation | eis
    design = "grid"                 # grid | lhs | sobol | saltelli
    samples = 64                    # lhs / sobol: points; saltelli: base N (N (D + 2) cases)
    seed = 0                        # seeds the sampler (and nothing else)
    chunk_size = 50                 # rows per Parquet part file
    outputs = ["cycles_to_80_percent", "final_retention_percent"]
    params = "mine.toml"            # optional parameter file (relative to the spec)

    [fixed]                         # simulate-function arguments held constant
    cathode_loading_mAh_cm2 = 0.4
    cycles = 300

    [parameters]                    # what varies
    substrate = { values = ["cu", "ag-cu"] }        # categorical: crossed with the design
    c_rate = { values = [0.5, 1, 2] }               # grid values
    li_inventory_mAh_cm2 = { range = [2, 12] }       # continuous: lhs / sobol / saltelli
    "substrates.cu.anode.cycling_loss_fraction" = { range = [0.01, 0.05], log = true }

A parameter name with a dot is a parameter-set name applied with
:meth:`lilean.parameters.ParameterSet.replace`; any other name is a keyword argument of the
experiment's simulate function. In a ``grid`` design every parameter gives ``values`` (or
``range`` + ``num`` for evenly spaced points, ``log = true`` for geometric spacing). In sampled
designs ``range`` parameters span the unit hypercube that the sampler fills (scipy.stats.qmc
``LatinHypercube`` / ``Sobol``, SALib ``sobol.sample`` for ``saltelli``; log-uniform when
``log = true``) and ``values`` parameters are crossed with every sample (not allowed with
``saltelli``, whose case order the Sobol estimator depends on).

Execution (:func:`run_sweep`): cases go to a dask.distributed cluster (an embedded
``LocalCluster`` of ``workers`` single-threaded processes, or an existing scheduler by address),
at most ``4 x workers`` in flight, so the driver holds only the cases in flight plus one chunk of
finished rows. Each finished chunk is written atomically as ``OUT/part-NNNNN.parquet`` (a folder
dataset that ``pandas.read_parquet(OUT)`` reads); a crash or Ctrl-C loses at most the cases in
flight and the unwritten chunk. Every case has a stable id (sha256 of the experiment, fixed
arguments, case inputs and parameter-set hash), so ``resume=True`` skips cases already on disk.
A case that raises is recorded with its ``error`` (outputs NaN) and the sweep goes on.

Sensitivity (:func:`sobol_indices`): first-order and total Sobol indices of one output over a
``saltelli`` sweep, by SALib's estimator (Saltelli et al., Comput. Phys. Commun. 181, 259 (2010);
Sobol', Math. Comput. Simul. 55, 271 (2001)): ``S1_i = V[E(Y|X_i)] / V(Y)``,
``ST_i = E[V(Y|X_~i)] / V(Y)``, with bootstrap confidence intervals.

Dask and SALib are the optional extra ``sweep`` (``pip install 'lilean[sweep]'``).
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import LileanError, OutputError, SweepError
from lilean.parameters.set import ParameterSet, default_parameters
from lilean.scenarios import OUTPUTS, SWEEP_EXPERIMENTS, Output, get_scenario  # noqa: F401

#: columns written for every case besides its inputs and outputs
META_COLUMNS = ("case_index", "case_id", "error", "elapsed_s")
DESIGNS = ("grid", "lhs", "sobol", "saltelli")
MANIFEST = "sweep.json"
PART_GLOB = "part-*.parquet"


def require_sweep_extra(module: str) -> Any:
    """Import ``module`` (dask / distributed / SALib) or fail with the install command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise LileanError(
            f"sweeps need the optional package {module.split('.')[0]!r}: "
            "pip install 'lilean[sweep]'"
        ) from None


# ================================================================================================
# experiments and outputs
# ================================================================================================


def _simulate(name: str) -> Callable[..., Any]:
    func: Callable[..., Any] = get_scenario(name).simulate
    return func


#: experiment names: the sweepable scenarios of :mod:`lilean.scenarios` (a live view)
EXPERIMENTS = SWEEP_EXPERIMENTS


def experiment_arguments(experiment: str) -> dict[str, inspect.Parameter]:
    """Keyword arguments of the experiment's simulate function (``params`` excluded)."""
    if experiment not in EXPERIMENTS:
        raise SweepError(f"unknown experiment {experiment!r}; expected one of {list(EXPERIMENTS)}")
    sig = inspect.signature(_simulate(experiment))
    return {k: v for k, v in sig.parameters.items() if k != "params"}


# ================================================================================================
# the spec
# ================================================================================================


@dataclass(frozen=True)
class Dimension:
    """One varied input: ``values`` (categorical or grid) or a continuous ``low..high`` range."""

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    num: int | None = None

    @property
    def is_range(self) -> bool:
        return self.values is None

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples to the range (uniform, or log-uniform when ``log``)."""
        assert self.low is not None and self.high is not None
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def grid(self) -> tuple[Any, ...]:
        if self.values is not None:
            return self.values
        assert self.num is not None and self.low is not None and self.high is not None
        pts = (
            np.geomspace(self.low, self.high, self.num)
            if self.log
            else np.linspace(self.low, self.high, self.num)
        )
        return tuple(float(x) for x in pts)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring for the TOML layout)."""

    experiment: str
    dimensions: tuple[Dimension, ...]
    outputs: tuple[str, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    design: str = "grid"
    samples: int = 0
    seed: int = 0
    chunk_size: int = 50
    name: str = "sweep"
    params_file: Path | None = None
    source: str = "<spec>"

    def __post_init__(self) -> None:
        where = self.source
        args = experiment_arguments(self.experiment)
        if self.design not in DESIGNS:
            raise SweepError(f"{where}: design {self.design!r}, expected one of {list(DESIGNS)}")
        if not self.outputs:
            raise SweepError(f"{where}: no outputs; expected e.g. outputs = {list(OUTPUTS)[:2]}")
        for out in self.outputs:
            if out not in OUTPUTS:
                raise SweepError(
                    f"{where}: unknown output {out!r}; expected one of {list(OUTPUTS)}"
                )
            if self.experiment not in OUTPUTS[out].experiments:
                raise SweepError(
                    f"{where}: output {out!r} is defined for {list(OUTPUTS[out].experiments)}, "
                    f"not for experiment {self.experiment!r}"
                )
        flat = self.parameters().flat()
        names = [d.name for d in self.dimensions] + list(self.fixed)
        if len(set(names)) != len(names):
            raise SweepError(f"{where}: a name appears twice in [fixed] / [parameters]")
        for name in names:
            if "." in name:
                if name not in flat:
                    raise SweepError(f"{where}: unknown parameter-set name {name!r}")
            elif name not in args:
                raise SweepError(
                    f"{where}: {name!r} is not an argument of simulate_{self.experiment}; "
                    f"expected one of {sorted(args)} or a dotted parameter-set name"
                )
        for d in self.dimensions:
            if d.is_range and self.design == "grid" and d.num is None:
                raise SweepError(f"{where}: {d.name}: a grid needs `values` or `range` + `num`")
        if self.design != "grid":
            if self.samples < 1:
                raise SweepError(f"{where}: design {self.design!r} needs samples >= 1")
            if not any(d.is_range for d in self.dimensions):
                raise SweepError(f"{where}: design {self.design!r} needs a `range` parameter")
        if self.design == "saltelli" and any(not d.is_range for d in self.dimensions):
            raise SweepError(
                f"{where}: saltelli designs take `range` parameters only; put categorical "
                "values in [fixed] and run one sweep per value"
            )
        if self.chunk_size < 1:
            raise SweepError(f"{where}: chunk_size must be >= 1")
        required = [
            k
            for k, p in args.items()
            if p.default is inspect.Parameter.empty and k not in names and k != "substrate"
        ]
        if required or ("substrate" in args and "substrate" not in names):
            missing = required + (["substrate"] if "substrate" not in names else [])
            raise SweepError(f"{where}: simulate_{self.experiment} needs {missing}")

    @property
    def range_dimensions(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.is_range)

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict of the continuous dimensions (in unit coordinates)."""
        dims = self.range_dimensions
        return {
            "num_vars": len(dims),
            "names": [d.name for d in dims],
            "bounds": [[0, 1]] * len(dims),
        }

    def parameters(self) -> ParameterSet:
        """The base parameter set (the embedded defaults, or ``params_file`` overlaid)."""
        if self.params_file is None:
            return default_parameters()
        return ParameterSet.load(self.params_file)

    def cases(self) -> Iterator[dict[str, Any]]:
        """Every case's varied inputs, in a deterministic order (a function of spec + seed)."""
        dims = self.dimensions
        if self.design == "grid":
            for combo in itertools.product(*(d.grid() for d in dims)):
                yield dict(zip((d.name for d in dims), combo, strict=True))
            return
        unit = self.unit_samples()
        cont = self.range_dimensions
        scaled = [d.scale(unit[:, i]) for i, d in enumerate(cont)]
        cats = [d for d in dims if not d.is_range]
        for combo in itertools.product(*(d.values or () for d in cats)):
            for row in range(unit.shape[0]):
                case = dict(zip((d.name for d in cats), combo, strict=True))
                case.update({d.name: float(scaled[i][row]) for i, d in enumerate(cont)})
                yield {d.name: case[d.name] for d in dims}

    def unit_samples(self) -> np.ndarray:
        """Samples of the continuous dimensions in [0, 1)^D (seeded)."""
        d = len(self.range_dimensions)
        if self.design == "lhs":
            from scipy.stats import qmc

            return np.asarray(qmc.LatinHypercube(d=d, seed=self.seed).random(self.samples))
        if self.design == "sobol":
            from scipy.stats import qmc

            return np.asarray(qmc.Sobol(d=d, scramble=True, seed=self.seed).random(self.samples))
        sobol_sample = require_sweep_extra("SALib.sample.sobol")
        return np.asarray(
            sobol_sample.sample(
                self.problem(), self.samples, calc_second_order=False, seed=self.seed
            )
        )

    def n_cases(self) -> int:
        if self.design == "grid":
            return math.prod(len(d.grid()) for d in self.dimensions)
        n = self.samples * (len(self.range_dimensions) + 2 if self.design == "saltelli" else 1)
        return n * math.prod(len(d.values or ()) for d in self.dimensions if not d.is_range)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "experiment": self.experiment,
            "design": self.design,
            "samples": self.samples,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "outputs": list(self.outputs),
            "fixed": self.fixed,
            "params_file": str(self.params_file) if self.params_file else None,
            "parameters": {
                d.name: (
                    {"values": list(d.values)}
                    if d.values is not None
                    else {"range": [d.low, d.high], "log": d.log, "num": d.num}
                )
                for d in self.dimensions
            },
        }


def _dimension(name: str, raw: Any, where: str) -> Dimension:
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        raise SweepError(
            f"{where}: parameters.{name}: expected {{ values = [...] }} or {{ range = [lo, hi] }}"
        )
    unknown = set(raw) - {"values", "range", "log", "num"}
    if unknown:
        raise SweepError(f"{where}: parameters.{name}: unknown keys {sorted(unknown)}")
    if "values" in raw:
        vals = raw["values"]
        if not isinstance(vals, list) or not vals:
            raise SweepError(f"{where}: parameters.{name}.values: expected a non-empty list")
        return Dimension(name, values=tuple(vals))
    if "range" not in raw:
        raise SweepError(f"{where}: parameters.{name}: expected `values` or `range`")
    rng = raw["range"]
    ok = isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng)
    if not ok or not rng[0] < rng[1]:
        raise SweepError(f"{where}: parameters.{name}.range: expected [low, high] with low < high")
    log = bool(raw.get("log", False))
    if log and rng[0] <= 0:
        raise SweepError(f"{where}: parameters.{name}: log ranges need low > 0")
    num = raw.get("num")
    if num is not None and (not isinstance(num, int) or num < 1):
        raise SweepError(f"{where}: parameters.{name}.num: expected an integer >= 1")
    return Dimension(name, low=float(rng[0]), high=float(rng[1]), log=log, num=num)


def spec_from_mapping(
    mapping: dict[str, Any], *, source: str = "<spec>", base_dir: Path | None = None
) -> SweepSpec:
    """Build a :class:`SweepSpec` from the parsed TOML mapping (``[sweep]``, ``[fixed]``,
    ``[parameters]``)."""
    unknown = set(mapping) - {"sweep", "fixed", "parameters"}
    if unknown:
        raise SweepError(
            f"{source}: unknown tables {sorted(unknown)}; expected sweep, fixed, parameters"
        )
    head = dict(mapping.get("sweep", {}))
    allowed = {"experiment", "design", "samples", "seed", "chunk_size", "outputs", "name", "params"}
    if set(head) - allowed:
        raise SweepError(f"{source}: [sweep] has unknown keys {sorted(set(head) - allowed)}")
    if "experiment" not in head:
        raise SweepError(f"{source}: [sweep] needs experiment = one of {list(EXPERIMENTS)}")
    params_file = head.get("params")
    if params_file is not None:
        params_file = Path(params_file)
        if not params_file.is_absolute() and base_dir is not None:
            params_file = base_dir / params_file
    dims = tuple(_dimension(k, v, source) for k, v in mapping.get("parameters", {}).items())
    for key in ("samples", "seed", "chunk_size"):
        if key in head and (isinstance(head[key], bool) or not isinstance(head[key], int)):
            raise SweepError(f"{source}: [sweep] {key} must be an integer")
    return SweepSpec(
        experiment=str(head["experiment"]),
        dimensions=dims,
        outputs=tuple(head.get("outputs", ())),
        fixed=dict(mapping.get("fixed", {})),
        design=str(head.get("design", "grid")),
        samples=int(head.get("samples", 0)),
        seed=int(head.get("seed", 0)),
        chunk_size=int(head.get("chunk_size", 50)),
        name=str(head.get("name", "sweep")),
        params_file=params_file,
        source=source,
    )


def load_spec(path: str | Path) -> SweepSpec:
    """Read a sweep spec TOML file."""
    path = Path(path)
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep spec") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: not valid TOML ({exc})") from None
    head = mapping.get("sweep", {})
    if isinstance(head, dict):
        head.setdefault("name", path.stem)
    return spec_from_mapping(mapping, source=str(path), base_dir=path.parent)


# ================================================================================================
# cases
# ================================================================================================


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    return x


def case_id(
    experiment: str, fixed: dict[str, Any], inputs: dict[str, Any], params_hash: str
) -> str:
    """Stable 16-hex id of one case: sha256 of its experiment, fixed arguments, varied inputs and
    the base parameter-set hash (floats by their ``repr``, so the id is exact)."""
    payload = json.dumps(
        {
            "experiment": experiment,
            "fixed": {k: _jsonable(v) for k, v in sorted(fixed.items())},
            "inputs": {k: _jsonable(v) for k, v in sorted(inputs.items())},
            "params": params_hash,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def run_case(
    experiment: str,
    params: ParameterSet,
    fixed: dict[str, Any],
    inputs: dict[str, Any],
    outputs: tuple[str, ...],
) -> dict[str, Any]:
    """Run one case (in a worker) and return ``{output: float, "error": str | None,
    "elapsed_s": float}``; an exception becomes the ``error`` text, outputs NaN."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {name: math.nan for name in outputs}
    row["error"] = None
    try:
        merged = {**fixed, **inputs}
        dotted = {k: v for k, v in merged.items() if "." in k}
        kwargs = {k: _jsonable(v) for k, v in merged.items() if "." not in k}
        p = params.replace(dotted) if dotted else params
        result = _simulate(experiment)(p, **kwargs)
        for name in outputs:
            row[name] = float(OUTPUTS[name].func(result))
    except Exception as exc:  # recorded per case (error column); the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        row["error"] = f"{type(exc).__name__}: {exc}{where}"
    row["elapsed_s"] = time.perf_counter() - t0
    return row


def _run_batch(
    experiment: str,
    params: ParameterSet,
    fixed: dict[str, Any],
    batch: list[tuple[int, str, dict[str, Any]]],
    outputs: tuple[str, ...],
) -> list[dict[str, Any]]:
    return [
        {
            "case_index": i,
            "case_id": cid,
            **inputs,
            **run_case(experiment, params, fixed, inputs, outputs),
        }
        for i, cid, inputs in batch
    ]


# ================================================================================================
# the output dataset
# ================================================================================================


def finished_case_ids(out: str | Path) -> set[str]:
    """Case ids already written to the dataset folder ``out`` (only the ``case_id`` column is read)."""
    import pyarrow.parquet as pq

    out = Path(out)

    ids: set[str] = set()
    for part in sorted(out.glob(PART_GLOB)):
        ids.update(pq.read_table(part, columns=["case_id"]).column("case_id").to_pylist())
    return ids


def load_results(path: str | Path) -> pd.DataFrame:
    """All rows of a sweep dataset folder, sorted by ``case_index`` (design order)."""
    path = Path(path)
    parts = sorted(path.glob(PART_GLOB))
    if not parts:
        raise SweepError(f"{path}: no {PART_GLOB} files; expected a sweep output folder")
    frames = [pd.read_parquet(p) for p in parts]
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values("case_index", kind="stable").reset_index(drop=True)


def _write_part(out: Path, number: int, rows: list[dict[str, Any]], columns: list[str]) -> Path:
    from lilean.schema import atomic_output

    frame = pd.DataFrame(rows)
    for c in columns:
        if c not in frame:
            frame[c] = None
    frame = frame[columns]
    frame["error"] = frame["error"].astype("string")
    dest = out / f"part-{number:05d}.parquet"
    with atomic_output(dest) as tmp:
        frame.to_parquet(tmp, index=False)
    return dest


def _prepare_output(out: Path, spec: SweepSpec, resume: bool) -> int:
    """Create / check the dataset folder; return the next part number."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; a sweep writes a folder of parts")
    parts = sorted(out.glob(PART_GLOB)) if out.exists() else []
    manifest = out / MANIFEST
    if parts and not resume:
        raise OutputError(f"{out}: already holds sweep results; pass --resume or choose a new path")
    if resume and manifest.exists():
        old = json.loads(manifest.read_text())
        if old.get("spec", {}).get("experiment") != spec.experiment:
            raise OutputError(f"{out}: holds a sweep of another experiment; refusing to resume")
    out.mkdir(parents=True, exist_ok=True)
    from lilean.schema import atomic_output

    with atomic_output(manifest) as tmp:
        tmp.write_text(
            json.dumps({"spec": spec.to_dict(), "n_cases": spec.n_cases()}, indent=1, default=str)
        )
    numbers = [int(p.stem.split("-")[1]) for p in parts]
    return max(numbers) + 1 if numbers else 0


# ================================================================================================
# running
# ================================================================================================


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`run_sweep` did."""

    path: Path
    n_cases: int
    n_run: int
    n_skipped: int
    n_failed: int
    elapsed_s: float
    workers: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "n_cases": self.n_cases,
            "n_run": self.n_run,
            "n_skipped": self.n_skipped,
            "n_failed": self.n_failed,
            "elapsed_s": self.elapsed_s,
            "cases_per_s": self.n_run / self.elapsed_s if self.elapsed_s > 0 else None,
            "workers": self.workers,
        }


def make_client(scheduler: str | None = None, workers: int | None = None) -> tuple[Any, Any]:
    """A dask ``Client`` and the ``LocalCluster`` it owns (None when connecting to ``scheduler``).

    The embedded cluster runs ``workers`` processes (default: the CPU count) with one thread each
    and no dashboard."""
    distributed = require_sweep_extra("distributed")
    if scheduler:
        return distributed.Client(scheduler), None
    import os

    n = workers or os.cpu_count() or 1
    cluster = distributed.LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return distributed.Client(cluster), cluster


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    client: Any = None,
    params: ParameterSet | None = None,
    batch_size: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Run every case of ``spec`` on Dask and stream the rows to the folder ``out``.

    ``client``: an existing ``distributed.Client`` (then ``scheduler`` / ``workers`` are ignored and
    the client is left open); otherwise one is made with :func:`make_client` and closed at the end.
    ``params`` overrides the spec's base parameter set. ``batch_size`` cases go in one task (raise it
    for experiments of a few ms). ``progress(done, total)`` is called as cases finish (``done``
    counts skipped cases too). Rows: ``case_index``, ``case_id``, the varied inputs, the outputs,
    ``error`` (None when the case ran) and ``elapsed_s``.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    out = Path(out)
    base = params if params is not None else spec.parameters()
    phash = base.hash()
    total = spec.n_cases()
    next_part = _prepare_output(out, spec, resume)
    done_ids = finished_case_ids(out) if resume else set()
    columns = [
        "case_index",
        "case_id",
        *(d.name for d in spec.dimensions),
        *spec.outputs,
        "error",
        "elapsed_s",
    ]

    def todo() -> Iterator[list[tuple[int, str, dict[str, Any]]]]:
        batch: list[tuple[int, str, dict[str, Any]]] = []
        for i, inputs in enumerate(spec.cases()):
            cid = case_id(spec.experiment, spec.fixed, inputs, phash)
            if cid in done_ids:
                continue
            batch.append((i, cid, inputs))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    n_skipped = len(done_ids)
    own = client is None
    cluster = None
    if own:
        client, cluster = make_client(scheduler, workers)
    distributed = require_sweep_extra("distributed")
    t0 = time.perf_counter()
    n_run = n_failed = 0
    buffer: list[dict[str, Any]] = []
    n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
    live: set[Any] = set()

    def submit(batch: list[tuple[int, str, dict[str, Any]]]) -> None:
        fut = client.submit(
            _run_batch, spec.experiment, params_future, spec.fixed, batch, spec.outputs, pure=False
        )
        live.add(fut)
        pending.add(fut)

    try:
        # hash=False: a fresh key per run. With content hashing a resumed run on the same client
        # reuses the key that the interrupted run's cancellation is still releasing, and its
        # batches fail with "lost dependencies".
        params_future = client.scatter(base, broadcast=True, hash=False)
        batches = todo()
        pending = distributed.as_completed()
        for batch in itertools.islice(batches, 4 * n_workers):
            submit(batch)
        if progress:
            progress(n_skipped, total)
        for fut in pending:
            rows = fut.result()
            live.discard(fut)
            fut.release()
            buffer.extend(rows)
            n_run += len(rows)
            n_failed += sum(r["error"] is not None for r in rows)
            nxt = next(batches, None)
            if nxt is not None:
                submit(nxt)
            if len(buffer) >= spec.chunk_size:
                _write_part(out, next_part, buffer, columns)
                next_part += 1
                buffer = []
            if progress:
                progress(n_skipped + n_run, total)
    finally:
        # flush what finished, even on Ctrl-C or an error: only cases in flight are lost
        if buffer:
            _write_part(out, next_part, buffer, columns)
        if live:
            client.cancel(list(live))
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return SweepSummary(out, total, n_run, n_skipped, n_failed, time.perf_counter() - t0, n_workers)


# ================================================================================================
# sensitivity
# ================================================================================================


def sobol_indices(
    spec: SweepSpec, results: pd.DataFrame, output: str, *, seed: int | None = None
) -> pd.DataFrame:
    """First-order (``S1``) and total (``ST``) Sobol indices of ``output`` with 95 % bootstrap
    confidence half-widths (``S1_conf``, ``ST_conf``), one row per continuous parameter, from a
    complete ``saltelli`` sweep (SALib ``sobol.analyze``, ``calc_second_order=False``)."""
    if spec.design != "saltelli":
        raise SweepError(
            f"{spec.source}: Sobol indices need design = 'saltelli', not {spec.design!r}"
        )
    if output not in results:
        raise SweepError(
            f"{spec.source}: output {output!r} was not kept; kept {list(spec.outputs)}"
        )
    total = spec.n_cases()
    df = results.sort_values("case_index")
    if len(df) != total or not np.array_equal(df["case_index"].to_numpy(), np.arange(total)):
        raise SweepError(
            f"{spec.source}: Sobol indices need all {total} cases; found {len(df)} (resume the sweep)"
        )
    y = df[output].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise SweepError(
            f"{spec.source}: {output} is NaN/failed in {bad.size} cases (first: case {int(df['case_index'].iloc[bad[0]])}); "
            "Sobol indices need a finite output everywhere"
        )
    analyze = require_sweep_extra("SALib.analyze.sobol")
    res = analyze.analyze(
        spec.problem(), y, calc_second_order=False, print_to_console=False,
        seed=spec.seed if seed is None else seed,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "parameter": spec.problem()["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def plot_sobol(indices: pd.DataFrame, output: str, stem: str | Path) -> list[Path]:
    """Bar chart of S1 and ST (with confidence bars) per parameter -> ``stem``.png/.svg."""
    import matplotlib.pyplot as plt

    from lilean.plotting.figures import save_figure
    from lilean.plotting.style import paper_style

    with paper_style():
        n = len(indices)
        fig, ax = plt.subplots(figsize=(max(3.5, 0.9 * n + 1.5), 3.0))
        x = np.arange(n)
        ax.bar(
            x - 0.2,
            indices["S1"],
            0.4,
            yerr=indices["S1_conf"],
            label="first order $S_1$",
            capsize=2,
        )
        ax.bar(x + 0.2, indices["ST"], 0.4, yerr=indices["ST_conf"], label="total $S_T$", capsize=2)
        ax.set_xticks(
            x, [str(p).rsplit(".", 1)[-1] for p in indices["parameter"]], rotation=30, ha="right"
        )
        ax.set_ylabel(f"Sobol index of {output}")
        ax.set_ylim(bottom=min(0.0, float(np.nanmin(indices[["S1", "ST"]].to_numpy())) - 0.05))
        ax.legend(frameon=False)
        fig.tight_layout()
        paths: list[Path] = save_figure(fig, stem)
        plt.close(fig)
    return paths
