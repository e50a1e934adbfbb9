"""The sweep spec: what varies, how (grid, lhs, sobol, saltelli) and what is kept."""

from __future__ import annotations

import inspect
import itertools
import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lilean.parameters.set import ParameterSet, default_parameters
from lilean.sweep.cases import (
    EXPERIMENTS,
    OUTPUTS,
    SweepError,
    experiment_arguments,
    require_sweep_extra,
)

DESIGNS = ("grid", "lhs", "sobol", "saltelli")


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
