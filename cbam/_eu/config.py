"""The EU regime's YAML rule files under ``rates/eu/``, as validated pydantic models."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cbam._errors import ScenarioError
from cbam._parameters import DatedParameter, Flag, Reference, float_parameter, validate_file
from cbam._resources import data_dir
from cbam._territory import Territory, territory_problems

T = TypeVar("T")
SectorName = Literal["cement", "fertilisers", "iron_steel", "aluminium", "hydrogen", "electricity"]


class Sourced(BaseModel, Generic[T]):
    """A value (a number, a label such as a route marker) with its source, maybe an assumption."""

    model_config = ConfigDict(extra="allow", frozen=True)
    value: T
    assumption: Flag = False
    reference: Reference


class AnnualPrice(BaseModel):
    """A certificate price in force from a year on."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    start: int = Field(alias="from")
    value: float = Field(ge=0)
    assumption: Flag = False
    reference: Reference


class CertificatePriceFile(BaseModel):
    """``rates/eu/certificate_price.yaml``: quarterly 2026 prices and an annual path."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    annual_from_quarters: Sourced[str]
    quarterly: dict[int, dict[Literal[1, 2, 3, 4], Sourced[float]]]
    annual: list[AnnualPrice]

    @model_validator(mode="after")
    def _mean_of_quarters(self) -> CertificatePriceFile:
        # The engine prices a year without quarters at the mean of its quarters (price_rows).
        if self.annual_from_quarters.value != "mean":
            raise ValueError("annual_from_quarters must be 'mean'")
        return self

    def as_schedule(self) -> dict[int, float | dict[int, float]]:
        """The default price schedule in the scenario's form (year -> price or quarter map)."""
        schedule: dict[int, float | dict[int, float]] = {a.start: a.value for a in self.annual}
        for year, quarters in self.quarterly.items():
            schedule[year] = {int(q): v.value for q, v in quarters.items()}
        return schedule

    def assumed(self) -> dict[tuple[int, int], float]:
        """Prices that are assumptions, by (year, quarter); quarter 0 for annual values."""
        found = {(a.start, 0): a.value for a in self.annual if a.assumption}
        for year, quarters in self.quarterly.items():
            found |= {(year, int(q)): v.value for q, v in quarters.items() if v.assumption}
        return found


class ClinkerShare(Sourced[float]):
    """A heading's default clinker share; ``fixed``: the only share it can have (clinker's 1)."""

    fixed: Flag = False


class ClinkerShareFile(BaseModel):
    """``rates/eu/clinker_share.yaml``: default clinker content per cement heading."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    headings: dict[str, ClinkerShare]

    def fixed(self) -> dict[str, ClinkerShare]:
        """The headings whose share no row or scenario may change."""
        return {code: share for code, share in self.headings.items() if share.fixed}

    default_variant: dict[str, Sourced[str]]


class CodeList(BaseModel):
    """CN8 codes singled out by a rule, with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    codes: list[str] = Field(min_length=1)
    reference: Reference


class SectorRules(BaseModel):
    """Emission scope and route rules of one sector.

    ``indirect_also``: the sector's Annex I codes whose indirect emissions count although the
    sector's ``emissions`` are direct only (goods not listed in Annex II of Reg. 2023/956).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    emissions: Literal["direct", "direct_and_indirect"]
    reference: Reference
    route_preference: list[str]
    routes: list[str] = Field(default_factory=list)
    free_allocation: Flag = True
    indirect_also: CodeList | None = None


class SectorsFile(BaseModel):
    """``rates/eu/sectors.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    route_preference_is_assumption: Flag
    sectors: dict[SectorName, SectorRules]
    route_equivalents: dict[str, str]
    route_markers: dict[str, str]


class ExcludedGroup(BaseModel):
    """An origin group outside the regime, with the reason printed on its rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str
    reference: Reference


class RegimeFile(BaseModel):
    """``rates/eu/regime.yaml``: the years the rules cover and the excluded origins."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    first_rules_year: int
    last_rules_year: int
    reference: Reference
    excluded_origin_groups: dict[str, ExcludedGroup]
    territory: Territory | None = None  # the importers it charges (cbam/_territory.py)


class AggregationFile(BaseModel):
    """``rates/eu/aggregation.yaml``: how aggregate codes are resolved."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    method: Sourced[str]


def _eu_file(name: str) -> Path:
    return data_dir("rates") / "eu" / name


@cache
def aggregation() -> AggregationFile:
    """The aggregation method for codes shorter than the tables' CN8 codes."""
    result = validate_file(AggregationFile, _eu_file("aggregation.yaml"))
    if result.method.value != "simple_mean":
        raise ScenarioError(
            f"rates/eu/aggregation.yaml: unsupported method {result.method.value!r}"
        )
    return result


@cache
def certificate_prices() -> CertificatePriceFile:
    """The default certificate-price schedule with its sources."""
    return validate_file(CertificatePriceFile, _eu_file("certificate_price.yaml"))


@cache
def clinker_shares() -> ClinkerShareFile:
    """Default clinker shares per cement heading."""
    return validate_file(ClinkerShareFile, _eu_file("clinker_share.yaml"))


@cache
def sectors() -> SectorsFile:
    """Per-sector emission scope and route rules."""
    return validate_file(SectorsFile, _eu_file("sectors.yaml"))


@cache
def regime() -> RegimeFile:
    """First rules year and excluded origin groups."""
    path = _eu_file("regime.yaml")
    result = validate_file(RegimeFile, path)
    problems = territory_problems(result.territory) if result.territory is not None else []
    if problems:
        raise ScenarioError(f"{path}: {'; '.join(problems)}")
    return result


def parameter_defaults() -> dict[str, dict[int, Any]]:
    """The cited default of each scenario parameter a dotted override can refine, by year.

    ``certificate_price_eur.2030: 120`` then changes 2030 on the default path instead of
    replacing the whole path.
    """
    prices: dict[int, Any] = certificate_prices().as_schedule()
    defaults = {"certificate_price_eur": prices}
    for key in ("cbam_factor", "cross_sectoral_correction_factor"):
        defaults[key] = {v.start_year: v.value for v in float_parameter(f"eu/{key}.yaml").values}
    return defaults


class DeMinimisFile(DatedParameter[float]):
    """``rates/eu/de_minimis.yaml``: the importer-year mass threshold and the goods it skips."""

    excluded_sectors: list[SectorName]


@cache
def de_minimis() -> DeMinimisFile:
    """The de minimis threshold by year and the sectors it never exempts."""
    return validate_file(DeMinimisFile, _eu_file("de_minimis.yaml"))


class ExactSumsFile(BaseModel):
    """``rates/eu/exact_sums.yaml``: the precision at which threshold sums are taken exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    mass_decimals: int = Field(ge=0, le=9)
    value_decimals: int = Field(ge=0, le=6)
    share_decimals: int = Field(ge=0, le=9)
    row_cap: float = Field(gt=0)
    reference: Reference

    @model_validator(mode="after")
    def _fits_int128(self) -> ExactSumsFile:
        # A row is at most 1e18 units, so ten billion rows times a share denominator of 1e9
        # stay below the Int128 limit (1.7e38).
        if self.row_cap * 10 ** max(self.mass_decimals, self.value_decimals) > 1e18:
            raise ValueError("row_cap x 10^decimals must not exceed 1e18 units")
        return self


@cache
def exact_sums() -> ExactSumsFile:
    """Decimals of mass, value and share in the sums that decide thresholds."""
    return validate_file(ExactSumsFile, _eu_file("exact_sums.yaml"))
