"""Regimes as data: a border-adjustment design read from one YAML file and validated by pydantic.

Every regime (the EU CBAM, the UK CBAM, the US Clean Competition Act, the Foreign Pollution Fee
Act, a user's own) is a ``Design``: which goods it covers, which emissions count, and one of
four charges assembled from ``cbam.blocks`` by the one engine (``cbam._engine``, where each
kind is declared once, on its rule, with ``charge_kind``):

* ``benchmark``: embedded emissions less benchmark x CBAM factor x CSCF (columns A/B, periods
  and routes of IR 2025/2620), times a certificate price (the EU CBAM);
* ``per_tonne``: embedded emissions, less a free-allocation share, times a carbon price;
* ``baseline_intensity``: only the intensity above a declining reference baseline is charged;
* ``ad_valorem_tiers``: a share of customs value set by the intensity ratio to a reference.

Bundled designs live in ``rates/regimes/``; a mapping ``{file: eu/x.yaml}`` (optionally with
``key:``) in one stands for that rule file of ``rates/`` (or one of its keys), so dated rules
are pointed at, not copied. A scenario names a design with ``regime:`` and may change any of
its values under ``design:``. A design file is itself a runnable scenario.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cbam._carbon_prices import fx_table
from cbam._countries import iso3_codes
from cbam._errors import ScenarioError, shorten, validation_problems
from cbam._eu.config import CertificatePriceFile, ExcludedGroup
from cbam._eu.reference import SECTORS
from cbam._files import FileCache, noted
from cbam._parameters import (
    DatedParameter,
    DatedValue,
    Flag,
    NonNegative,
    Number,
    Price,
    Reference,
    Share,
    first_day,
    in_force,
    one_value_a_day,
)
from cbam._resources import bundled_or_path, data_dir
from cbam._territory import Territory, territory_problems
from cbam._yaml import deep_merge, read_yaml_mapping

EU_ENGINE = "eu-cbam"
# Rules years a design may span: from the first UN list of LDCs (the earliest year a country's
# status is read, cbam/_exemptions.py) to 2200; the engine lays out a table row per year.
RulesYear = Annotated[int, Field(ge=1971, le=2200)]
# A factor: a mark-up on the base default values (1.3: 30 % more), an ad valorem tier's share
# of customs value (0.15: 15 %); above 10 it is a percent written as a factor (30 for 30 %),
# or a figure that only makes fees overflow.
Factor = Annotated[Number, Field(ge=0, le=10)]


class SectorParameter(BaseModel):
    """A dated parameter per sector (e.g. the UK's free-allocation share of each sector)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    unit: str
    sectors: dict[str, Annotated[list[DatedValue[Share]], Field(min_length=1)]]

    @field_validator("sectors")
    @classmethod
    def _one_value_a_day(
        cls, sectors: dict[str, list[DatedValue[float]]]
    ) -> dict[str, list[DatedValue[float]]]:
        for sector, values in sectors.items():
            try:
                one_value_a_day(values)
            except ValueError as exc:
                raise ValueError(f"{sector}: {exc}") from None
        return sectors

    def at(self, sector: str, year: int) -> DatedValue[float] | None:
        """The value in force for ``sector`` on 1 January of ``year`` (``None``: none yet)."""
        return in_force(self.sectors.get(sector, []), year, lambda v: v.start)


class Tier(BaseModel):
    """One ad valorem tier: a ``rate`` of customs value above an intensity ratio.

    The highest tier whose ``ratio_above`` the row's ratio exceeds applies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    ratio_above: NonNegative
    rate: Factor
    assumption: Flag = False
    reference: Reference


class ReferenceIntensity(BaseModel):
    """The intensity a design compares imports with (the US industry average, say).

    ``origin``'s own EU default values (IR 2025/2621, without mark-up) stand in for it, in the
    design's emission scope; the output's ``reference_source`` says so on every row.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    origin: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    assumption: Flag = True
    reference: Reference


class ChargeKind(NamedTuple):
    """A charge kind as the engine declares it (``cbam._engine.charge_kind``).

    ``needs``: the ``Charge`` parameters it needs (a tuple: any one of them); ``reads``: those
    it reads where given (any other is refused, as it would change nothing); ``benchmarks``:
    whether it reads the CBAM benchmarks (free allocation by production route and benchmark
    period); ``customs_value``: whether it charges a share of the customs value, which rows
    must then give.
    """

    needs: tuple[tuple[str, ...], ...]
    reads: tuple[str, ...]
    benchmarks: bool
    customs_value: bool


# The charge kinds, in the order declared. Each kind is declared once, with its rule, by
# ``cbam._engine.charge_kind``, which fills this in as the package is imported; ``Charge``
# checks a design against it.
CHARGE_KINDS: dict[str, ChargeKind] = {}


class Charge(BaseModel):
    """What the design charges, and the parameters that kind of charge needs.

    ``kind`` is one of ``CHARGE_KINDS`` (the engine declares them). ``certificate_price`` is a
    price file in the EU's form (quarters of a year, then an annual path:
    ``rates/eu/certificate_price.yaml``), read where no ``price`` is given;
    ``benchmark_period`` names the period of ``rates/eu/benchmarks.csv`` in force in a year.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    price: DatedParameter[Price] | None = None
    certificate_price: CertificatePriceFile | None = None
    free_allocation_share: SectorParameter | None = None
    reference_intensity: ReferenceIntensity | None = None
    applicable_percentage: DatedParameter[Share] | None = None
    tiers: list[Tier] | None = None
    cbam_factor: DatedParameter[Share] | None = None
    cross_sectoral_correction_factor: DatedParameter[Share] | None = None
    benchmark_period: DatedParameter[str] | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in CHARGE_KINDS:
            raise ValueError(f"unknown charge kind '{kind}' (known: {', '.join(CHARGE_KINDS)})")
        return kind

    @model_validator(mode="after")
    def _parameters_of_kind(self) -> Charge:
        missing = [
            " or ".join(need)
            for need in CHARGE_KINDS[self.kind].needs
            if all(getattr(self, name) is None for name in need)
        ]
        if missing:
            raise ValueError(f"a '{self.kind}' charge needs {', '.join(missing)}")
        if self.price is not None and self.certificate_price is not None:
            raise ValueError(  # the price would be read, the file not: a change without effect
                "give price or certificate_price, not both (to put one in the other's place, "
                "set the other to null: price: null)"
            )
        kind = CHARGE_KINDS[self.kind]
        read = {name for need in kind.needs for name in need} | set(kind.reads)
        unread = [
            name
            for name in type(self).model_fields
            if name != "kind" and getattr(self, name) is not None and name not in read
        ]
        if unread:  # set by the design, never read by its kind: a fee that ignores it
            raise ValueError(
                f"a '{self.kind}' charge does not read {', '.join(unread)} (it reads "
                f"{', '.join(name for name in type(self).model_fields if name in read)})"
            )
        if self.tiers is not None:
            bounds = [t.ratio_above for t in self.tiers]
            if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                raise ValueError("tiers must be listed by strictly increasing ratio_above")
        if self.free_allocation_share is not None:
            for sector, values in self.free_allocation_share.sectors.items():
                if any(not 0 <= v.value <= 1 for v in values):
                    raise ValueError(f"free_allocation_share of {sector} must be within 0..1")
        return self

    @property
    def reads_benchmarks(self) -> bool:
        """Whether this kind of charge reads the CBAM benchmarks (``ChargeKind.benchmarks``)."""
        return CHARGE_KINDS[self.kind].benchmarks

    @property
    def charges_value(self) -> bool:
        """Whether this kind of charge is a share of customs value (``ChargeKind``)."""
        return CHARGE_KINDS[self.kind].customs_value


def declare_charge_kind(
    kind: str,
    needs: Sequence[str | tuple[str, ...]],
    *,
    reads: Sequence[str] = (),
    benchmarks: bool = False,
    customs_value: bool = False,
) -> None:
    """Add ``kind`` to the charge kinds a design may name, with the parameters it needs.

    Args:
        kind: The name a design gives as ``charge.kind``.
        needs: Parameters of ``Charge`` a design of this kind must give; a tuple of names is
            one need that any of them meets (``("price", "certificate_price")``).
        reads: Parameters the kind reads where a design gives them (``free_allocation_share``
            of a per-tonne charge); a design setting any other is refused.
        benchmarks: The kind reads the CBAM benchmarks: rows get benchmark columns, routes
            and their checks.
        customs_value: The kind charges a share of customs value: a liable row needs one.

    Raises:
        ValueError: a kind declared twice, or a need that is no parameter of ``Charge``.

    """
    if kind in CHARGE_KINDS:
        raise ValueError(f"charge kind '{kind}' is declared twice")
    grouped = tuple((need,) if isinstance(need, str) else tuple(need) for need in needs)
    parameters = set(Charge.model_fields) - {"kind"}
    unknown = [name for need in (*grouped, reads) for name in need if name not in parameters]
    if unknown:
        raise ValueError(f"charge kind '{kind}' reads {unknown}: not parameters of Charge")
    CHARGE_KINDS[kind] = ChargeKind(grouped, tuple(reads), benchmarks, customs_value)


class Emissions(BaseModel):
    """Which emissions count, and how the published EU default values are used.

    ``indirect_sectors`` is dated: the sectors whose indirect (electricity) emissions count
    from each date; without it, the goods of Annex II (``rates/eu/sectors.yaml``, by code).
    Default values are either the base values times ``defaults_markup`` (1: none) or the
    published marked-up column of IR 2025/2621 that ``published_defaults`` names by year.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    indirect_sectors: DatedParameter[list[str]] | None = None
    defaults_markup: DatedParameter[Factor] | None = None
    published_defaults: DatedParameter[str] | None = None

    @model_validator(mode="after")
    def _one_default_rule(self) -> Emissions:
        if (self.defaults_markup is None) == (self.published_defaults is None):
            raise ValueError("give one of defaults_markup and published_defaults")
        return self


class Threshold(BaseModel):
    """A per-importer annual threshold at or below which nothing is owed.

    ``basis``: ``value`` (customs value in the design's currency) or ``mass`` (tonnes).
    ``reason`` is printed on exempt rows (default: below the design's threshold);
    ``not_counted`` on rows of the excluded sectors.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    basis: Literal["value", "mass"]
    amount: DatedParameter[NonNegative]
    excluded_sectors: list[str] = Field(default_factory=list)
    reason: str | None = None
    not_counted: Literal[
        "not covered (sector outside threshold)", "not covered (electricity, hydrogen)"
    ] = "not covered (sector outside threshold)"


class Design(BaseModel):
    """A border-adjustment design: one YAML file (``kind: regime``).

    Attributes:
        name: Short name.
        description: One line on what it models.
        reference: The legal text (bill, act) it follows.
        currency: ISO 4217 code the charge is set in (converted to EUR with
            ``rates/carbon_prices/fx.csv``).
        first_rules_year: First year the design applies; ``last_rules_year`` the last.
        sectors: CBAM sectors (of ``rates/eu/sectors.yaml``) the design covers.
        home_origins: ISO3 codes of the importing jurisdiction itself (its goods are not
            imports).
        excluded_origin_groups: Country groups (``country_lists/``) outside the design.
        territory: The importing countries it charges (rows with a ``destination`` elsewhere
            owe nothing; ``cbam/_territory.py``); none: every row, as before.
        emissions: The emission scope and the use of default values.
        charge: The charge and its parameters.
        carbon_price_relief: Whether a carbon price paid abroad is deducted (as in EU Art. 9).
        threshold: A per-importer annual threshold, if any.
        notes: What is assumed, in words, printed with results. In the file a note may be
            ``{note: text, about: [dotted paths]}``: a scenario that changes one of the
            paths gets the note saying so.

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["regime"]
    name: str
    description: str
    reference: Reference
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    first_rules_year: RulesYear
    last_rules_year: RulesYear
    sectors: list[str] = Field(min_length=1)
    home_origins: list[str] = Field(default_factory=list)
    excluded_origin_groups: dict[str, ExcludedGroup] = Field(default_factory=dict)
    territory: Territory | None = None
    emissions: Emissions
    charge: Charge
    carbon_price_relief: Flag = False
    threshold: Threshold | None = None
    notes: list[str] = Field(default_factory=list)

    @field_validator("notes", mode="before")
    @classmethod
    def _note_texts(cls, notes: Any) -> Any:
        """A note given as ``{note: text, about: paths}`` is its text (see ``_note``)."""
        if not isinstance(notes, list):
            return notes
        return [_note(n, []) for n in notes]

    @model_validator(mode="after")
    def _known_names(self) -> Design:
        named: dict[str, list[str]] = {" in sectors": self.sectors}
        if (indirect := self.emissions.indirect_sectors) is not None:
            named[" in indirect_sectors"] = [s for v in indirect.values for s in v.value]
        if (shares := self.charge.free_allocation_share) is not None:
            named[" in free_allocation_share"] = list(shares.sectors)
        if self.threshold is not None:
            named[" in threshold.excluded_sectors"] = self.threshold.excluded_sectors
        problems = [
            f"unknown sector '{s}'{where}"
            for where, names in named.items()
            for s in names
            if s not in SECTORS
        ]
        listed = [("sectors", self.sectors), ("home_origins", self.home_origins)]
        if indirect is not None:
            listed += [
                (f"emissions.indirect_sectors from {v.start}", v.value) for v in indirect.values
            ]
        if self.threshold is not None:
            listed.append(("threshold.excluded_sectors", self.threshold.excluded_sectors))
        if self.territory is not None:
            listed += [("territory.codes", self.territory.codes)]
            listed += [("territory.groups", self.territory.groups)]
        for field, codes in listed:
            twice = sorted({c for c in codes if codes.count(c) > 1})
            if twice:  # one entry twice would be joined twice, or say nothing more
                problems.append(f"{field}: {shorten(twice)} given more than once; keep one")
        if self.charge.tiers == []:
            problems.append("charge.tiers: empty: an ad valorem charge needs at least one tier")
        if self.first_rules_year > self.last_rules_year:
            problems.append("first_rules_year is after last_rules_year")
        if self.carbon_price_relief and CHARGE_KINDS[self.charge.kind].customs_value:
            problems.append(
                f"carbon_price_relief: a '{self.charge.kind}' charge is a share of customs "
                "value, with no certificates to deduct a price paid abroad from; set it false"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def regimes_dir() -> Path:
    """The folder of bundled regime designs."""
    return data_dir("rates") / "regimes"


def list_regimes() -> dict[str, str]:
    """Bundled regimes with their one-line descriptions.

    Example:
        >>> sorted(list_regimes())[:2]
        ['eu-cbam', 'uk-cbam']

    """
    return {
        path.stem: str(read_yaml_mapping(path).get("description", "")).strip()
        for path in sorted(regimes_dir().glob("*.yaml"))
    }


def is_design_file(raw: dict[str, Any]) -> bool:
    """Whether a YAML mapping is a regime design (rather than a scenario)."""
    return raw.get("kind") == "regime"


def regime_path(regime: str, relative_to: Path | None) -> Path:
    """The design file a scenario's ``regime:`` names: a bundled name or a path."""
    return bundled_or_path(regime, regimes_dir(), relative_to, "regime", list_regimes)


def _included(node: Any, where: Path) -> Any:
    """``node`` with every ``{file: ...}`` mapping replaced by that rule file (or its ``key``)."""
    if isinstance(node, list):
        return [_included(item, where) for item in node]
    if not isinstance(node, dict):
        return node
    if "file" in node and set(node) <= {"file", "key"}:
        path = data_dir("rates") / str(node["file"])
        content: Any = read_yaml_mapping(noted(path))
        if "key" in node:
            if node["key"] not in content:
                raise ScenarioError(f"{where}: {node['file']} has no key {node['key']!r}")
            content = content[node["key"]]
        elif isinstance(content.get("values"), list):
            # A rule file read whole is its dated parameter. A bundled one's other keys
            # (de_minimis.yaml's excluded_sectors) are read by references of their own,
            # {file, key}; a user's file holds the parameter alone, so a typo is not dropped.
            parameter = ("description", "unit", "values")
            others = [k for k in content if k not in parameter]
            if others and not path.resolve().is_relative_to(data_dir("rates").resolve()):
                raise ScenarioError(
                    f"{where}: {node['file']}: keys {shorten(others)} are no part of a dated "
                    "parameter (description, unit, values)"
                )
            content = {k: content[k] for k in parameter if k in content}
        return content
    return {key: _included(value, where) for key, value in node.items()}


_DESIGNS: FileCache[dict[str, Any]] = FileCache()


def _read_design(path: Path) -> dict[str, Any]:
    """The design file with its rule files read in, kept while none of them changes."""
    return _DESIGNS.get(
        path, lambda: cast(dict[str, Any], _included(read_yaml_mapping(noted(path)), path))
    )


def read_design(path: Path) -> dict[str, Any]:
    """A design file as a mapping, the rule files it points at read in (a copy to change)."""
    return copy.deepcopy(_read_design(path.absolute()))


def _for_kind(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with only the charge parameters that a new ``charge.kind`` of ``changes`` reads.

    A scenario that changes the kind (UK CBAM with EU benchmarks) replaces the charge: the old
    kind's parameters are not carried into one that would refuse them as unread.
    """
    changed = changes.get("charge")
    kind = changed.get("kind") if isinstance(changed, Mapping) else None  # else the model says
    given = base.get("charge")
    charge: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    if kind is None or kind == charge.get("kind") or kind not in CHARGE_KINDS:
        return base
    declared = CHARGE_KINDS[kind]
    kept = {"kind", *declared.reads, *(name for need in declared.needs for name in need)}
    return {**base, "charge": {k: v for k, v in charge.items() if k in kept}}


def _own_threshold_reason(raw: dict[str, Any], base: Mapping[str, Any], changed: Any) -> None:
    """Drop the regime's threshold reason where a change gives the threshold another basis.

    The EU's reason names a mass ('importer's annual Annex I mass ...'): a value threshold set
    in its place takes the default reason, which names its own basis.
    """
    new = changed.get("threshold") if isinstance(changed, Mapping) else None
    old = base.get("threshold")
    merged = raw.get("threshold")
    if not (isinstance(new, Mapping) and isinstance(old, Mapping) and isinstance(merged, dict)):
        return
    if "reason" not in new and new.get("basis", old.get("basis")) != old.get("basis"):
        raw["threshold"] = {k: v for k, v in merged.items() if k != "reason"}


def dated_parameters(design: Design) -> list[tuple[str, list[DatedValue[Any]], str]]:
    """Each dated parameter of ``design``: its path, its values and the day it is read on.

    The price is read on the first day of each quarter; every other dated parameter on
    1 January of each rules year (``year_table``, ``sector_table``).
    """
    charge, emissions = design.charge, design.emissions
    by_year: dict[str, Any] = {
        "charge.cbam_factor": charge.cbam_factor,
        "charge.cross_sectoral_correction_factor": charge.cross_sectoral_correction_factor,
        "charge.applicable_percentage": charge.applicable_percentage,
        "charge.benchmark_period": charge.benchmark_period,
        "emissions.defaults_markup": emissions.defaults_markup,
        "emissions.published_defaults": emissions.published_defaults,
        "emissions.indirect_sectors": emissions.indirect_sectors,
        "threshold.amount": None if design.threshold is None else design.threshold.amount,
    }
    dated = [(name, p.values, "1 January") for name, p in by_year.items() if p is not None]
    if charge.free_allocation_share is not None:
        dated += [
            (f"charge.free_allocation_share.sectors.{sector}", values, "1 January")
            for sector, values in charge.free_allocation_share.sectors.items()
        ]
    if charge.price is not None:
        dated.append(("charge.price", charge.price.values, "first day of a quarter"))
    return dated


def days_not_read(design: Design) -> list[str]:
    """Dated values from a day the engine never reads them on: they would apply later, unsaid."""
    starts = {"1 January": {1}, "first day of a quarter": {1, 4, 7, 10}}
    first = first_day(design.first_rules_year)  # a value from before it is in force then
    return [
        f"{name}: a value from {value.start} would take effect only on the next {when}, when "
        "the engine reads it; start it on one"
        for name, values, when in dated_parameters(design)
        for value in values
        if isinstance(value.start, dt.date)
        and value.start > first
        and (value.start.day != 1 or value.start.month not in starts[when])
    ]


def load_design(path: Path, changes: dict[str, Any] | None = None) -> Design:
    """Read a design file, apply a scenario's ``design:`` changes, and validate it.

    Raises:
        ScenarioError: missing or malformed file, or an invalid design, naming the file and
            the offending key.

    """
    base, changed = _read_design(path.absolute()), _included(changes or {}, path)
    raw = _without_nulls(deep_merge(_for_kind(base, changed), changed))
    _own_threshold_reason(raw, base, changed)
    # A fault of the scenario's changes is not one of the regime's file: say which it is.
    invalid = f"{path} with the scenario's changes ({', '.join(changed)})" if changed else path
    changed_paths = [at for at, _ in _set_by_overrides(raw)] + _paths_set(changed)
    changed_paths += _dropped(base.get("charge"), raw.get("charge"), "charge")
    if isinstance(raw.get("notes"), list):
        raw["notes"] = [_note_or_kept(n, changed_paths) for n in raw["notes"]]
    try:
        design = Design.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, raw)
        for at, dotted in _set_by_overrides(raw):  # named as the user wrote them
            problems = problems.replace(f"{at}.value: ", f"{dotted}: ")
        raise ScenarioError(f"{invalid}: invalid regime design: {problems}") from exc
    # Names checked against the data files, which the model itself does not read.
    known = iso3_codes()
    unknown = [f"unknown ISO3 '{c}' in home_origins" for c in design.home_origins if c not in known]
    reference = design.charge.reference_intensity
    if reference is not None and reference.origin not in known:
        unknown.append(
            f"unknown ISO3 '{reference.origin}' in charge.reference_intensity.origin (its "
            "default values are the reference: an unknown origin reads 'other countries')"
        )
    if design.territory is not None:
        unknown += territory_problems(design.territory)
    if design.currency not in set(fx_table()["currency"].to_list()):
        unknown.append(f"currency: no exchange rate for currency '{design.currency}' in fx.csv")
    unknown += days_not_read(design) + _unit_problems(design)
    # A scenario narrowing a design's sectors leaves their values unread; the lists it sets
    # itself must name covered sectors.
    unknown += _uncovered(design, _paths_set(changed) if changed else None)
    if unknown:
        raise ScenarioError(f"{invalid}: invalid regime design: {'; '.join(unknown)}")
    return design


def _uncovered(design: Design, changed: Sequence[str] | None = None) -> list[str]:
    """Sectors a design gives values for but does not cover: they would never apply.

    With ``changed`` (a scenario's changes, as dotted paths), only the lists they set.
    """
    shares = design.charge.free_allocation_share
    indirect = design.emissions.indirect_sectors
    named = {
        "emissions.indirect_sectors": []
        if indirect is None
        else [s for v in indirect.values for s in v.value],
        "charge.free_allocation_share.sectors": [] if shares is None else list(shares.sectors),
        "threshold.excluded_sectors": []
        if design.threshold is None
        else design.threshold.excluded_sectors,
    }
    if changed is not None:
        named = {
            where: names
            for where, names in named.items()
            if any(f"{p}.".startswith(f"{where}.") or where.startswith(f"{p}.") for p in changed)
        }
    return [
        f"{where}: {s} is no sector of the design's, so its value would never apply"
        for where, names in named.items()
        for s in dict.fromkeys(names)
        if s in SECTORS and s not in design.sectors
    ]


def _paths_set(tree: Any, at: str = "") -> list[str]:
    """The dotted path of every value a scenario's ``design:`` changes set."""
    if not isinstance(tree, dict) or not tree:
        return [at] if at else []
    return [p for k, v in tree.items() for p in _paths_set(v, f"{at}.{k}" if at else str(k))]


def _note_or_kept(note: Any, changed: list[str]) -> Any:
    """``_note``, or the note as given where it is malformed: validation names it then."""
    try:
        return _note(note, changed)
    except ValueError:
        return note


def _dropped(before: Any, after: Any, at: str) -> list[str]:
    """The keys of mapping ``before`` that ``after`` no longer has, as dotted paths."""
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    return [f"{at}.{key}" for key in before if key not in after]


def _note(note: Any, changed: list[str]) -> Any:
    """A design note as text: ``{note: ..., about: [paths]}`` says when a scenario changes them.

    A note on an assumed value then never reads as the run's assumption once it is replaced.
    """
    if not isinstance(note, dict) or set(note) != {"note", "about"}:
        return note  # text, or a mistake the model names
    about = [note["about"]] if isinstance(note["about"], str) else note["about"]
    if not isinstance(about, list) or not all(isinstance(a, str) for a in about):
        raise ValueError(
            "a note is text or {note: text, about: dotted paths}; about: "
            f"{shorten(repr(note['about']), 40)} is no dotted path"
        )
    unknown = [a for a in about if not _names_a_key(a)]
    if unknown:  # its "this scenario changes" marker could never show
        raise ValueError(f"a note's about: {shorten(unknown)} names no key of a design")
    hit = [a for a in about if any(c == a or c.startswith(f"{a}.") for c in changed)]
    if not hit:
        return note["note"]
    return f"{note['note']} (this scenario changes {', '.join(hit)})"


def _names_a_key(path: str) -> bool:
    """Whether a dotted path names a key of a design (below a mapping or list: any key)."""
    fields: dict[str, Any] | None = Design.model_fields
    for part in path.split("."):
        if fields is None:
            return True
        if part not in fields:
            return False
        annotation = fields[part].annotation
        kinds = get_args(annotation) or (annotation,)
        models = [k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)]
        keyed = get_origin(annotation) in (dict, list)  # its keys are the user's own
        fields = models[0].model_fields if models and not keyed else None
    return True


def _without_nulls(tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` without its null keys: a null removes a design key, which then takes its default.

    (``home_origins: null`` is no home origin, as ``territory: null`` is no territory.)
    """
    return {
        k: _without_nulls(v) if isinstance(v, dict) else v for k, v in tree.items() if v is not None
    }


OVERRIDE_TITLE = "scenario override: "  # how the reference of a dated value a scenario set begins


def _set_by_overrides(tree: Any, at: str = "") -> list[tuple[str, str]]:
    """Each dated value of ``tree`` set by a scenario: its path in the design, and the path given.

    Such a value cites ``scenario override: PATH = VALUE (FILE)`` as its reference.
    """
    found: list[tuple[str, str]] = []
    items = (
        tree.items()
        if isinstance(tree, dict)
        else enumerate(tree)
        if isinstance(tree, list)
        else ()
    )
    for key, item in items:
        here = f"{at}.{key}" if at else str(key)
        title = item.get("reference", {}).get("title") if isinstance(item, dict) else None
        if isinstance(title, str) and title.startswith(OVERRIDE_TITLE) and " = " in title:
            found.append((here, title.removeprefix(OVERRIDE_TITLE).split(" = ")[0]))
        else:
            found += _set_by_overrides(item, here)
    return found


def _unit_problems(design: Design) -> list[str]:
    """Amounts whose unit is not the design's currency (or tonnes, for a mass threshold).

    Nothing converts a price or a threshold: ``unit: USD per t CO2e`` in a ``currency: GBP``
    design would be charged as pounds, and a mass threshold in EUR read as tonnes.
    """
    money: list[tuple[str, str]] = []
    if design.charge.price is not None:
        money.append(("charge.price", design.charge.price.unit))
    if design.charge.certificate_price is not None:
        money.append(("charge.certificate_price", design.charge.certificate_price.unit))
    problems = []
    threshold = design.threshold
    if threshold is not None and threshold.basis == "value":
        money.append(("threshold.amount", threshold.amount.unit))
    elif threshold is not None and threshold.amount.unit.split()[:1] != ["t"]:
        problems.append(
            f"threshold.amount: a mass threshold is in tonnes (unit: t ...), not "
            f"{shorten(repr(threshold.amount.unit), 60)}"
        )
    per = {"threshold.amount": "per importer per year"}  # the others are prices
    problems += [
        f"{where}: unit {shorten(repr(unit), 60)} is not in the design's currency "
        f"{design.currency} (a unit such as '{design.currency} {per.get(where, 'per t CO2e')}'; "
        "or set currency)"
        for where, unit in money
        if _currency_of(unit) != design.currency
    ]
    return problems


_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "US$": "USD"}


def _currency_of(unit: str) -> str:
    """The currency a unit is written in: its first word, an ISO code or a symbol.

    Example:
        >>> [_currency_of(u) for u in ("GBP per t CO2e", "eur/t", "US$ per t", "£ per t")]
        ['GBP', 'EUR', 'USD', 'GBP']

    """
    first = (re.split(r"[\s/]+", unit.strip(), maxsplit=1) or [""])[0]
    return _SYMBOLS.get(first, first.upper())
