"""Dated rule parameters read from ``rates/``: one YAML file per rule, each value with a source.

A parameter is a step function of time: each value applies from its date until the next one
(the OpenFisca convention). Files are validated with pydantic on load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cbam._errors import ScenarioError, validation_problems
from cbam._resources import data_dir
from cbam._yaml import read_yaml_mapping

T = TypeVar("T")


class Reference(BaseModel):
    """Where a value comes from: a title and a link."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    href: str


class DatedValue(BaseModel, Generic[T]):
    """One value of a parameter, in force from ``start``."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    start: dt.date | int = Field(alias="from")
    value: T
    assumption: bool = False
    reference: Reference

    @property
    def start_year(self) -> int:
        """The first calendar year in which the value applies."""
        return self.start if isinstance(self.start, int) else self.start.year


class DatedParameter(BaseModel, Generic[T]):
    """A rule parameter as a list of dated values."""

    model_config = ConfigDict(extra="allow", frozen=True)
    description: str
    unit: str
    values: list[DatedValue[T]] = Field(min_length=1)

    def at_year(self, year: int) -> DatedValue[T]:
        """Return the value in force in ``year``.

        Raises:
            KeyError: if ``year`` is before the first value.

        """
        current: DatedValue[T] | None = None
        for item in sorted(self.values, key=lambda v: v.start_year):
            if item.start_year <= year:
                current = item
        if current is None:
            raise KeyError(year)
        return current


def key_in_force(schedule: Mapping[int, object], year: int) -> int | None:
    """The year key of ``schedule`` in force in ``year``: the latest not after it.

    Year-keyed scenario parameters (prices, factors, phase-ins, price paths) are step
    functions, like the dated values of ``rates/``.

    Example:
        >>> key_in_force({2026: 80, 2030: 120}, 2029), key_in_force({2026: 80}, 2025)
        (2026, None)

    """
    keys = [k for k in schedule if k <= year]
    return max(keys) if keys else None


def validate_file(model: type[BaseModel], path: Path) -> Any:
    """Read ``path`` and validate it as ``model``, turning errors into ``ScenarioError``."""
    raw = read_yaml_mapping(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: invalid parameter file: {validation_problems(exc)}") from exc


@cache
def float_parameter(relative: str) -> DatedParameter[float]:
    """Load a numeric dated parameter, e.g. ``eu/cbam_factor.yaml``."""
    result: DatedParameter[float] = validate_file(
        DatedParameter[float], data_dir("rates") / relative
    )
    return result


@cache
def text_parameter(relative: str) -> DatedParameter[str]:
    """Load a dated parameter whose values are labels, e.g. ``eu/markup.yaml``."""
    result: DatedParameter[str] = validate_file(DatedParameter[str], data_dir("rates") / relative)
    return result
