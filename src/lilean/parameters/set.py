"""The whole parameter set: cell + cathode + one block per substrate.

The embedded default set lives in ``sets/Zhang2023/*.toml`` (one file per group, values with unit,
provenance kind and source; ``nucleation.toml`` and ``anode.toml`` hold one table per substrate). User files (TOML or YAML) overlay it: a bare number or an inline table per
parameter, e.g.::

    [cell]
    li_inventory_mAh_cm2 = 5.0

    [substrates.cu.anode]
    coulombic_efficiency = {value = 0.97, source = "my Li||Cu test"}
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from lilean.errors import ParameterError
from lilean.parameters.anode import AnodeParameters
from lilean.parameters.cathode import CathodeParameters
from lilean.parameters.cell import CellParameters
from lilean.parameters.core import (
    Param,
    flatten,
    merge,
    to_mapping,
    unflatten,
    validation_message,
)
from lilean.parameters.deposition import DepositionLatticeParameters
from lilean.parameters.nucleation import NucleationParameters
from lilean.parameters.plumes import PlumeParameters

SUBSTRATES = ("cu", "ag-cu")
DEFAULT_SET = "Zhang2023"
_GROUP_FILES = ("cell", "cathode", "plumes", "deposition")
_SUBSTRATE_GROUP_FILES = ("nucleation", "anode")  # each holds one table per substrate


class SubstrateParameters(BaseModel):
    """Everything that differs between bare Cu and Ag@Cu."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nucleation: NucleationParameters
    anode: AnodeParameters


class ParameterSet(BaseModel):
    """All parameters of a lilean simulation. Frozen; use :meth:`replace` to change values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = DEFAULT_SET
    cell: CellParameters
    cathode: CathodeParameters
    plumes: PlumeParameters
    deposition: DepositionLatticeParameters
    substrates: dict[str, SubstrateParameters]

    # ---- access ---------------------------------------------------------------------------
    def substrate(self, name: str) -> SubstrateParameters:
        try:
            return self.substrates[name]
        except KeyError:
            raise ParameterError(
                f"unknown substrate {name!r}; expected one of {sorted(self.substrates)}"
            ) from None

    def flat(self) -> dict[str, Param]:
        """``{"cell.electrode_area_cm2": Param, ...}``."""
        return flatten(
            {
                "cell": self.cell,
                "cathode": self.cathode,
                "plumes": self.plumes,
                "deposition": self.deposition,
                "substrates": self.substrates,
            }
        )

    def get(self, dotted: str) -> float:
        flat = self.flat()
        if dotted not in flat:
            raise ParameterError(f"unknown parameter {dotted!r}")
        return flat[dotted].value

    def replace(self, changes: dict[str, Any]) -> ParameterSet:
        """A new set with ``{"dotted.name": value_or_inline_table}`` applied (kind -> user)."""
        return ParameterSet.from_mapping(merge(self.to_mapping(), unflatten(changes)))

    def hash(self) -> str:
        """Stable hash of all values (for result caching)."""
        payload = json.dumps({k: v.value for k, v in sorted(self.flat().items())})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    # ---- (de)serialisation ----------------------------------------------------------------
    def to_mapping(self) -> dict[str, Any]:
        return {"name": self.name, **{k: v for k, v in to_mapping(self).items() if k != "name"}}

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> ParameterSet:
        try:
            return cls.model_validate(mapping)
        except ValidationError as exc:
            raise ParameterError(validation_message(exc)) from None

    def save(self, path: str | Path) -> Path:
        """Write the whole set to ``.toml`` or ``.yaml``/``.yml`` (atomically)."""
        from lilean.schema import atomic_output

        path = Path(path)
        mapping = self.to_mapping()
        with atomic_output(path) as tmp:
            if path.suffix.lower() == ".toml":
                import tomli_w

                tmp.write_text(tomli_w.dumps(mapping))
            elif path.suffix.lower() in (".yaml", ".yml"):
                tmp.write_text(yaml.safe_dump(mapping, sort_keys=False))
            else:
                raise ParameterError(f"{path}: parameter files must end in .toml, .yaml or .yml")
        return path

    @classmethod
    def load(cls, path: str | Path, base: ParameterSet | None = None) -> ParameterSet:
        """Read a TOML/YAML file and overlay it on ``base`` (default: the embedded set)."""
        path = Path(path)
        overrides = read_mapping(path)
        base = base or default_parameters()
        try:
            return cls.from_mapping(merge(base.to_mapping(), overrides))
        except ParameterError as exc:
            raise ParameterError(f"{path}: {exc}") from None


def read_mapping(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ParameterError(f"{path}: file not found")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ParameterError(f"{path}: parameter files must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ParameterError(f"{path}: not valid {path.suffix[1:].upper()} ({exc})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter groups")
    return data


def default_parameters(name: str = DEFAULT_SET) -> ParameterSet:
    """The embedded parameter set (``sets/<name>/*.toml``), validated."""
    root = resources.files("lilean.parameters") / "sets" / name
    if not root.is_dir():
        raise ParameterError(f"no embedded parameter set {name!r}")
    mapping: dict[str, Any] = {"name": name}
    for group in _GROUP_FILES:
        mapping[group] = tomllib.loads((root / f"{group}.toml").read_text())
    substrates: dict[str, dict[str, Any]] = {s: {} for s in SUBSTRATES}
    for group in _SUBSTRATE_GROUP_FILES:
        tables = tomllib.loads((root / f"{group}.toml").read_text())
        for substrate in SUBSTRATES:
            substrates[substrate][group] = tables.get(substrate, {})
    mapping["substrates"] = substrates
    return ParameterSet.from_mapping(mapping)
