"""The model registry: the models a request may name, and their named policy mixes.

A registered model is a model file ``models_dir/<name>.toml`` (the registry name is
the file's stem, e.g. ``demo_critical_materials``); requests name models only this
way, never by a path. Its named policy mixes are the ``[[policies]]`` of the run
configs in ``configs_dir`` whose ``run.model`` is that file (first config in name
order wins a name), e.g. the mixes of ``configs/quickstart.toml`` for the demo model.
The model *version* is the SHA-256 of the model file's bytes.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from simcore.schema.config import parse_config
from simcore.schema.errors import InputError
from simcore.schema.modelfile import LoadedModel, load_model

log = logging.getLogger("simcore.service")


@dataclass
class NamedMix:
    name: str
    description: str
    raw: dict  # the [[policies]] table as written (config schema)
    source: str  # config file it came from


@dataclass
class RegisteredModel:
    name: str  # registry name (file stem)
    path: Path
    loaded: LoadedModel
    version: str  # sha256 of the model file
    mixes: dict[str, NamedMix] = field(default_factory=dict)

    def describe(self, full: bool = False) -> dict:
        loaded = self.loaded
        out = {
            "name": self.name, "title": loaded.name, "version": self.version,
            "description": loaded.description, "currency": loaded.currency, "io_value_unit": loaded.io_value_unit,
            "products": list(loaded.products), "origins": list(loaded.origins), "sectors": list(loaded.sectors),
            "mixes": [{"name": m.name, "description": m.description, "source": m.source}
                      for m in self.mixes.values()],
        }
        if full:
            import numpy as np

            model = loaded.model
            out["product_details"] = [
                {"name": name, "unit": unit, "storable": bool(np.asarray(model.storable)[p] > 0.5),
                 "import_share": {o: float(s) for o, s in zip(loaded.origins, np.asarray(model.import_share)[p])
                                  if s > 0}}
                for p, (name, unit) in enumerate(zip(loaded.products, loaded.units))]
            out["mix_levers"] = {m.name: _jsonable(m.raw) for m in self.mixes.values()}
        return out


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Registry:
    """Registered models by name."""

    def __init__(self, models: dict[str, RegisteredModel]):
        self.models = models

    @classmethod
    def scan(cls, models_dir: Path, configs_dir: Path | None) -> "Registry":
        """Load every ``*.toml`` model of ``models_dir`` (bad files are skipped with a log
        line) and the named mixes of the configs in ``configs_dir`` that use them."""
        models: dict[str, RegisteredModel] = {}
        for path in sorted(Path(models_dir).glob("*.toml")):
            try:
                loaded = load_model(path)
            except (InputError, OSError, ValueError) as exc:
                log.warning("model %s skipped: %s", path.name, str(exc).splitlines()[0])
                continue
            models[path.stem] = RegisteredModel(path.stem, path.resolve(), loaded, file_sha256(path))
        by_path = {m.path: m for m in models.values()}
        for config_path in sorted(Path(configs_dir).glob("*.toml")) if configs_dir else []:
            try:
                raw = tomllib.loads(config_path.read_text())
                model_ref = raw.get("run", {}).get("model")
                target = (config_path.parent / model_ref).resolve() if isinstance(model_ref, str) else None
            except (OSError, tomllib.TOMLDecodeError, AttributeError):
                continue
            entry = by_path.get(target)
            if entry is None or not raw.get("policies"):
                continue
            try:  # only configs that load: their mixes are known to be valid for the model
                parse_config(raw, loaded=entry.loaded)
            except (InputError, ValueError) as exc:
                log.warning("mixes of %s skipped: %s", config_path.name, str(exc).splitlines()[0])
                continue
            for policy in raw["policies"]:
                if policy["name"] not in entry.mixes:
                    entry.mixes[policy["name"]] = NamedMix(policy["name"], policy.get("description", ""),
                                                           copy.deepcopy(policy), config_path.name)
        return cls(models)

    def names(self) -> list[str]:
        return sorted(self.models)

    def get(self, name) -> RegisteredModel | None:
        return self.models.get(name) if isinstance(name, str) else None
