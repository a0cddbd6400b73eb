"""DACC measure definitions (``dacc/measures.json``): names and group keys."""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel


class MeasureDefinition(BaseModel):
    name: str
    group1Key: str | None = None
    group2Key: str | None = None
    group3Key: str | None = None
    aggregationPeriod: Literal["day", "week", "month", "year"] | None = None
    executionFrequency: str | None = None
    aggregationThreshold: int = 5
    withQuartiles: bool = False
    accessApp: bool = False
    accessPublic: bool = False
    description: str = ""
    source: str = ""

    def group_keys(self) -> tuple[str | None, str | None, str | None]:
        return (self.group1Key, self.group2Key, self.group3Key)

    @property
    def assumed(self) -> bool:
        """True for measures named by the Ecolyo page but absent from the public definitions."""
        return self.source.startswith("assumed")


class MeasureCatalog(BaseModel):
    org: str = "grandlyon"
    createdBy: str = "ecolyo"
    aggregationThreshold: int = 5
    definitions: list[MeasureDefinition]

    def get(self, name: str) -> MeasureDefinition | None:
        return self.by_name().get(name)

    def by_name(self) -> dict[str, MeasureDefinition]:
        return self._index

    @cached_property
    def _index(self) -> dict[str, MeasureDefinition]:
        # Looked up once per measure checked: built once.
        return {d.name: d for d in self.definitions}

    def names(self) -> list[str]:
        return [d.name for d in self.definitions]


@lru_cache(maxsize=1)
def load_catalog() -> MeasureCatalog:
    """The definitions shipped with this package."""
    text = resources.files("dacc_gui.dacc").joinpath("measures.json").read_text("utf-8")
    return MeasureCatalog.model_validate(json.loads(text))


def definition(name: str) -> MeasureDefinition:
    found = load_catalog().get(name)
    if found is None:
        raise KeyError(f"no measure definition named {name!r}")
    return found
