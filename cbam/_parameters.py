"""Dated rule parameters read from ``rates/``: one YAML file per rule, each value with a source.

A parameter is a step function of time: each value applies from its date until the next one
(the OpenFisca convention). Files are validated with pydantic on load.

One time model serves every lookup (``in_force``): a value is looked up as in force on an
instant, a day; a start or instant given as a year means 1 January of that year, so the
year-keyed EU schedules and the dated values of designs are read alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from cbam._errors import ScenarioError, shorten, validation_problems
from cbam._resources import data_dir
from cbam._yaml import read_yaml_mapping

T = TypeVar("T")
K = TypeVar("K")
M = TypeVar("M", bound=BaseModel)


def _not_a_bool(value: object) -> object:
    """Refuse true/false where a number is asked for (pydantic would read True as 1.0)."""
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, not {str(value).lower()}")
    return value


# Numbers of rule files, designs and scenarios: true/false is refused, not read as 1 or 0.
Number = Annotated[float, BeforeValidator(_not_a_bool), Field(allow_inf_nan=False)]
Share = Annotated[Number, Field(ge=0, le=1)]
# A share that must be above 0 (a clinker share divides): one bound told, not ge=0 then gt=0.
PositiveShare = Annotated[Number, Field(gt=0, le=1)]
NonNegative = Annotated[Number, Field(ge=0)]
# A carbon price per tonne: a trillion is far above any price path, and a larger one only makes
# fees overflow (blamed on the import rows, which are not at fault).
Price = Annotated[NonNegative, Field(le=1e12)]
Whole = Annotated[int, BeforeValidator(_not_a_bool)]


def _a_bool(value: object) -> object:
    """Refuse anything but true/false where a switch is asked for (pydantic reads 1 as true)."""
    if not isinstance(value, bool):
        given = "null" if value is None else shorten(repr(value), 40)
        raise ValueError(f"true or false is needed, not {given}")
    return value


# Switches of rule files, designs and scenarios: only true or false, not 1, 0 or "yes".
Flag = Annotated[bool, BeforeValidator(_a_bool)]


def first_day(when: dt.date | int) -> dt.date:
    """A start or instant as a day: a year is 1 January of it."""
    return when if isinstance(when, dt.date) else dt.date(when, 1, 1)


def in_force(
    items: Iterable[K], on: dt.date | int, start: Callable[[K], dt.date | int]
) -> K | None:
    """The item in force on ``on``: the latest ``start`` not after it (of equal starts, the last).

    Example:
        >>> in_force([2026, 2030], dt.date(2029, 12, 31), int), in_force([2026], 2025, int)
        (2026, None)

    """
    day = first_day(on)
    begun = [(first_day(start(item)), n, item) for n, item in enumerate(items)]
    latest = max((b for b in begun if b[0] <= day), key=lambda b: b[:2], default=None)
    return None if latest is None else latest[2]


class Reference(BaseModel):
    """Where a value comes from: a title and a link.

    The link is a URI (``https://...``, ``file://...``), or empty where there is none (a
    value set in Python); a note in its place ('see my notes') is refused.

    Example:
        >>> Reference(title="Finance Act 2026", href="https://www.legislation.gov.uk").title
        'Finance Act 2026'

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(pattern=r"\S")  # not blank
    href: str

    @field_validator("href")
    @classmethod
    def _a_link(cls, href: str) -> str:
        # Empty where none exists (a value set in Python); else a link, not a note.
        if href.strip() and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S", href.strip()):
            raise ValueError(f"a link (https://..., file://...), not {shorten(repr(href), 60)}")
        return href


class DatedValue(BaseModel, Generic[T]):
    """One value of a parameter, in force from ``start``; any other key is a typo, refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: dt.date | int = Field(alias="from")
    value: T
    assumption: Flag = False
    reference: Reference
    note: str | None = None  # for the record only: the engine reads none

    @property
    def start_year(self) -> int:
        """The first calendar year in which the value applies."""
        return self.start if isinstance(self.start, int) else self.start.year


def one_value_a_day(values: list[DatedValue[T]]) -> list[DatedValue[T]]:
    """Refuse two values of one parameter from one day: the later would silently win."""
    starts = [first_day(v.start) for v in values]
    twice = sorted({d.isoformat() for d in starts if starts.count(d) > 1})
    if twice:
        raise ValueError(f"two values from the same day: {', '.join(twice)}; keep one")
    return values


class DatedParameter(BaseModel, Generic[T]):
    """A rule parameter as a list of dated values."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    values: list[DatedValue[T]] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _one_value_a_day(cls, values: list[DatedValue[T]]) -> list[DatedValue[T]]:
        return one_value_a_day(values)

    def on(self, day: dt.date | int) -> DatedValue[T] | None:
        """The value in force on ``day`` (a year: its 1 January); ``None`` before the first."""
        return in_force(self.values, day, lambda v: v.start)

    def at_year(self, year: int) -> DatedValue[T]:
        """Return the value in force on 1 January of ``year``.

        Raises:
            KeyError: if ``year`` is before the first value.

        """
        current = self.on(year)
        if current is None:
            raise KeyError(year)
        return current


def key_in_force(schedule: Mapping[int, object], year: int) -> int | None:
    """The year key of ``schedule`` in force in ``year``: the latest not after it.

    Year-keyed scenario parameters (prices, factors, phase-ins, price paths) are step
    functions, like the dated values of ``rates/``: each year key is in force from its
    1 January.

    Example:
        >>> key_in_force({2026: 80, 2030: 120}, 2029), key_in_force({2026: 80}, 2025)
        (2026, None)

    """
    return in_force(schedule, year, int)


def scheduled(schedule: float | Mapping[int, float], year: int) -> float | None:
    """A constant, or the value of a year-keyed step schedule in force in ``year``.

    Example:
        >>> scheduled({2026: 0.975, 2030: 0.5}, 2031), scheduled(0.9, 2026)
        (0.5, 0.9)

    """
    if not isinstance(schedule, Mapping):
        return schedule
    key = key_in_force(schedule, year)
    return None if key is None else schedule[key]


def validate_file(model: type[M], path: Path) -> M:
    """Read ``path`` and validate it as ``model``, turning errors into ``ScenarioError``."""
    raw = read_yaml_mapping(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, raw)
        raise ScenarioError(f"{path}: invalid parameter file: {problems}") from exc


@cache
def float_parameter(relative: str) -> DatedParameter[float]:
    """Load a numeric dated parameter, e.g. ``eu/cbam_factor.yaml``."""
    return validate_file(DatedParameter[float], data_dir("rates") / relative)
