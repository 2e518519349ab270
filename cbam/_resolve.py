"""The resolve step: a validated scenario becomes the regime it runs, checked against the data.

The pydantic models check shapes and ranges and read no file. Here, once per distinct scenario,
its names are checked against ``rates/`` (clinker headings, currencies, origins), its design is
read with its changes (every value dated and referenced), and its rules years and excluded
origin groups are settled: the engines and reports read a scenario's regime from here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from cbam._carbon_prices import fx_by_year, fx_table
from cbam._countries import iso3_codes, members_on
from cbam._design import Design, dated_parameters, load_design, regime_path
from cbam._errors import ScenarioError, shorten, shorten_end, validation_problems
from cbam._eu import config as eu_config
from cbam._eu.lookup import benchmark_periods, value_columns
from cbam._eu.weights import weights_path
from cbam._exemptions import (
    FIRST_GROUP_YEAR,
    Exemption,
    excluded_origins,
    group_members,
    idle_rules,
    is_group_file,
)
from cbam._files import FileCache, noted
from cbam._parameters import first_day, in_force, scheduled
from cbam._scenario import (
    FACTOR_KEYS,
    Scenario,
    group_files,
    parent_path,
    read_raw,
    regime_name,
)
from cbam._yaml import deep_merge


@dataclass(frozen=True)
class Resolved:
    """A scenario's regime, resolved.

    Attributes:
        design: The regime's design (``rates/regimes/``, the EU CBAM's included) with the
            scenario's ``design:`` changes: what the engine runs.
        rules_years: The first and last years the regime has rules for.
        origin_groups: The excluded origin groups in force: the scenario's, else the regime's.
        aggregation_weights: The CN8 weights file of ``aggregation_weights`` (``None``: the
            simple mean).

    """

    design: Design
    rules_years: tuple[int, int]
    origin_groups: tuple[str, ...]
    aggregation_weights: Path | None = None


# Kept per scenario text and current folder (a relative path reads from it), and made again
# when a file it reads (a design, a country group, weights) has changed since (cbam/_files.py).
_RESOLVED: FileCache[Resolved] = FileCache(512)


def _key(scenario: Scenario) -> tuple[str, str]:
    try:
        folder = os.getcwd()
    except OSError:  # the current folder was deleted: relative paths read nothing anyway
        folder = ""
    return scenario.model_dump_json(), folder


def scenario_key(scenario: Scenario) -> str:
    """A key for tables kept per scenario: its text, the folder, its files as they are now.

    Example:
        >>> import cbam
        >>> a, b = cbam.load_scenario("eu-cbam"), cbam.load_scenario("uk-cbam")
        >>> scenario_key(a) == scenario_key(cbam.load_scenario("eu-cbam")) != scenario_key(b)
        True

    """
    key = _key(scenario)
    _kept(scenario, key)
    return repr((key, _RESOLVED.digests(key)))


def resolve(scenario: Scenario, where: str | None = None) -> Resolved:
    """Resolve ``scenario`` against the data (once per distinct scenario, then kept).

    Raises:
        ScenarioError: a regime or design that cannot be read, a parameter the regime does not
            have, a rules year outside its rules, or a name the data do not know (clinker
            heading, currency, origin), after ``where`` (default: the scenario's file).

    Example:
        >>> import cbam
        >>> uk = resolve(cbam.load_scenario("uk-cbam", overrides={"charge.price.2030": 100}))
        >>> [(v.start.isoformat(), v.value) for v in uk.design.charge.price.values]
        [('2027-01-01', 54.4), ('2030-01-01', 100.0)]
        >>> uk.rules_years, uk.origin_groups
        ((2027, 2100), ())

    """
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"resolve takes a Scenario (cbam.load_scenario(...)), not {type(scenario).__name__}"
        )
    return _kept(scenario, _key(scenario), where)


def _kept(scenario: Scenario, key: tuple[str, str], where: str | None = None) -> Resolved:
    """``resolve`` under a key already made (the scenario's text is dumped once a call)."""
    try:
        return _RESOLVED.get(key, lambda: _resolved(scenario))
    except ScenarioError as exc:
        where = where or f"{scenario.source or f'scenario {scenario.name!r}'}: invalid scenario"
        raise ScenarioError(f"{where}: {exc}") from None


def _resolved(scenario: Scenario) -> Resolved:
    _still_valid(scenario)
    problems = _data_problems(scenario)
    base = Path(scenario.source).parent if scenario.source else None
    path = regime_path(regime_name(scenario.regime), base)
    regime = load_design(path, scenario.design)
    if regime.charge.reads_benchmarks and (factors := _factors(scenario, regime)):
        # The scenario's factor schedules are the design's dated values: one source for both.
        regime = load_design(path, deep_merge(scenario.design, {"charge": factors}))
    charge = regime.charge
    unused = [
        key
        for key in (*_BENCHMARK_KEYS, "certificate_price_eur")
        if getattr(scenario, key) != Scenario.model_fields[key].default
        and not (charge.reads_benchmarks if key in _BENCHMARK_KEYS else charge.certificate_price)
    ]
    if unused:
        problems.append(
            f"{', '.join(unused)} apply to the EU CBAM's charge only (kind: benchmark, with a "
            "certificate_price file); change a design's values under 'design:' "
            "(e.g. design.charge.price)"
        )
    problems += _unread_options(scenario, regime) + _unknown_labels(regime)
    problems += _rates_missing(scenario, regime)
    first, last = regime.first_rules_year, regime.last_rules_year
    for key in ("certificate_price_eur", *_BENCHMARK_KEYS[:2]):
        if late := years_beyond(getattr(scenario, key), last):
            problems.append(f"{key}: {late} after the last rules year {last} would never apply")
    for n, rule in enumerate(scenario.exemptions):
        if late := years_beyond(rule.fee_share_charged, last):
            problems.append(
                f"exemptions.{n}.fee_share_charged: {late} after the last rules year {last} "
                "would never apply"
            )
    # Each group a scenario names (its key), with the exemption's rule where it has one.
    named: list[tuple[str, str, Exemption | None]] = [
        (f"exemptions.{n}.group", rule.group, rule) for n, rule in enumerate(scenario.exemptions)
    ]
    named += [
        (f"excluded_origin_groups.{n}", group, None)
        for n, group in enumerate(scenario.excluded_origin_groups or ())
    ]
    # Each reason printed (per kind: exempt or excluded): its key, whether labelled, members.
    named_as: dict[tuple[bool, str], tuple[str, bool, pl.DataFrame]] = {}
    for key, group, exemption in named:
        try:  # a group file that is missing or broken is told at load, not mid-run
            members, label = group_members(group, base)
        except ScenarioError as exc:
            problems.append(f"{key}: {exc}")
            continue
        # A reason names its group: two groups of other members must not print one name,
        # unless both were labelled so on purpose. An empty label prints the group's own
        # (relief_table: rule.label or the group's).
        explicit = exemption is not None and bool(exemption.label)
        if exemption is not None and exemption.label:
            label = exemption.label
        printed = label
        if exemption is None:
            # An excluded group prints the regime's reason for it, else its name as given (a
            # groups.yaml alias too, not the alias's label), as excluded_origins does.
            if not is_group_file(group):
                label = printed = group
            if (spec := regime.excluded_origin_groups.get(group)) is not None:
                printed = spec.reason
        name = (exemption is None, printed)
        if name in named_as:
            other_key, other_explicit, other = named_as[name]
            same = other.sort(pl.all()).equals(members.sort(pl.all()))
            if not same and not (explicit and other_explicit):
                fix = "give one a label" if exemption is not None else "rename one file"
                problems.append(
                    f"{key}: group '{shorten_end(group, 60)}' would be named "
                    f"'{shorten(label, 40)}' in exemption_reason, as {other_key}'s group of "
                    f"other members is: {fix}"
                )
        named_as.setdefault(name, (key, explicit, members))
        if exemption is None or not isinstance(exemption.status_on, dt.date):
            continue
        graced = members.with_columns(pl.col("member_to").dt.offset_by(f"{exemption.grace_years}y"))
        if not members_on(graced, exemption.status_on):
            # Judged on a day the group had no member: the rule would exempt no one, unsaid.
            problems.append(
                f"{key.removesuffix('.group')}.status_on: group '{shorten(group, 60)}' has no "
                f"member on {exemption.status_on}: the exemption would exempt no one"
            )
    year = scenario.rules_year
    if year is not None and not first <= year <= last:
        problems.append(f"rules_year must be between {first} and {last}, not {year}")
    if problems:
        raise ScenarioError("; ".join(problems))
    groups = scenario.excluded_origin_groups
    if groups is None:
        groups = list(regime.excluded_origin_groups)
    own = [g for g in regime.excluded_origin_groups if is_group_file(g)]
    unknown = [g for g in regime.excluded_origin_groups if g not in (*group_files(), *own)]
    changed = "excluded_origin_groups" in (scenario.design or {})
    where = f"{path} with the scenario's changes (excluded_origin_groups)" if changed else path
    for group in own:  # a group file of the user's, read as a scenario's own group is
        try:
            group_members(group, base)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: excluded_origin_groups: {exc}") from None
    if unknown:  # a design's own names, told at load rather than mid-run
        raise ScenarioError(
            f"{where}: excluded_origin_groups: unknown country group(s) {shorten(unknown)} "
            f"(known: {', '.join(group_files())})"
        )
    if scenario.exemptions:
        _exempting_someone(scenario, regime, tuple(groups), base)
    weights = scenario.aggregation_weights
    weights_file = None if weights is None else noted(weights_path(weights, base))
    return Resolved(regime, (first, last), tuple(groups), weights_file)


def _exempting_someone(
    scenario: Scenario, regime: Design, groups: tuple[str, ...], base: Path | None
) -> None:
    """Refuse an exemption that relieves no origin in any year: it would change no fee, unsaid.

    Its group has no member in any year membership is judged in (an empty file, dates that end
    before they start), or only members an earlier exemption holds or the regime leaves out in
    every rules year (``eu27`` under the EU CBAM), or members only in years its phase-in
    charges the whole fee; or its import-share limit is 0.
    """
    first, last = regime.first_rules_year, regime.last_rules_year
    reasons = {group: spec.reason for group, spec in regime.excluded_origin_groups.items()}
    outside: set[str] | None = None
    for year in range(first, last + 1):
        seen = set(regime.home_origins)
        excluded_origins(groups, reasons, year, seen, base)  # adds the year's excluded origins
        outside = seen if outside is None else outside & seen
        if not outside:
            break
    # The regime's rules years, and the years membership is judged in: the import year (back
    # to the first UN list), or under 'exemption_status_year: rules' the rules year. A fixed
    # rules_year does not narrow them: a phase-in over years (cbam.phase_in) may reach one
    # that relieves no one.
    rules_years = range(first, last + 1)

    def relieving(rule: Exemption, year: int) -> bool:
        """Whether the rule charges less than the whole fee in rules year ``year``."""
        return (scheduled(rule.fee_share_charged or {}, year) or 0.0) < 1

    ever = {
        id(rule) for rule in scenario.exemptions if any(relieving(rule, y) for y in rules_years)
    }

    def ever_relieving(rule: Exemption, year: int) -> bool:
        return id(rule) in ever

    if scenario.exemption_status_year == "rules":  # membership and share in the same year
        years, relieves = rules_years, relieving
    else:  # an import of any year may be priced under any rules year's share
        years, relieves = range(FIRST_GROUP_YEAR, last + 1), ever_relieving
    idle = idle_rules(scenario.exemptions, years, outside or set(), base, relieves)
    problems = [
        f"exemptions.{i}: group '{shorten_end(scenario.exemptions[i].group, 60)}' would "
        f"exempt no one: none of its members in any year from {years.start} to "
        f"{years.stop - 1} is left to it by the exemptions before it and the regime's excluded "
        "origins while its share charged is below the whole fee"
        for i in idle
    ]
    # No origin's share of a good's imports is below 0.
    problems += [
        f"exemptions.{i}.max_import_share: 0 would exempt no one (no import share is below 0)"
        for i, rule in enumerate(scenario.exemptions)
        if i not in idle and rule.max_import_share == 0
    ]
    if problems:
        raise ScenarioError("; ".join(problems))


def _still_valid(scenario: Scenario) -> None:
    """Validate again: a scenario is frozen, but the mappings it holds can be changed in place.

    Raises:
        ScenarioError: a value changed so since it was loaded (``clinker_share[...] = -3``).

    """
    try:
        Scenario.model_validate(scenario.model_dump())
    except ValidationError as exc:
        raise ScenarioError(
            f"changed since it was loaded, it is no longer valid: "
            f"{validation_problems(exc, scenario.model_dump())}"
        ) from None


# Scenario keys of a benchmark charge, which other charges leave at their defaults.
_BENCHMARK_KEYS = (
    "cbam_factor",
    "cross_sectoral_correction_factor",
    "actual_values_benchmark",
    "actual_values_route_from_default",
)


def _late_values(scenario: Scenario, regime: Design) -> list[str]:
    """A price path, or any dated design value, that starts after the first rules year read.

    Told at load: otherwise every row of the years before it fails as if the imports were at
    fault (a scenario's own price), or gets no fee, unsaid (a design's mark-up, say).
    """
    needed = regime.first_rules_year if scenario.rules_year is None else scenario.rules_year
    own = scenario.certificate_price_eur
    if isinstance(own, Mapping) and own and (start := min(int(y) for y in own)) > needed:
        return [
            f"certificate_price_eur {shorten(dict(own))} starts in {start}, after rules year "
            f"{needed}: a scenario's own price path replaces the cited one whole, so give a "
            f"price from {needed} (or set one year, certificate_price_eur.{start}: ..., in "
            "overrides)"
        ]
    uses_price = regime.charge.certificate_price is None or own is None
    late = []
    for name, values, _ in dated_parameters(regime):
        if name == "charge.price" and not uses_price:
            continue
        if in_force(values, needed, lambda v: v.start) is None:  # on 1 January
            # Before its first value the rows would have no such rule: a null fee, unsaid.
            begins = min(first_day(v.start) for v in values)
            late.append(
                f"{name} of {regime.name} starts on {begins}, after 1 January of rules year "
                f"{needed}: give a value in force from then"
            )
    return late


def _rates_missing(scenario: Scenario, regime: Design) -> list[str]:
    """Rules years before the first exchange rate of the design's currency: refused.

    Without one a fee in EUR, and a threshold in the currency, would be null (a row silently
    at or below it).
    """
    first, last = regime.first_rules_year, regime.last_rules_year
    years = range(first, last + 1) if scenario.rules_year is None else [scenario.rules_year]
    table = fx_by_year(range(min(years), max(years) + 1))
    have = set(table.filter(pl.col("currency") == regime.currency)["year"].to_list())
    missing = [y for y in years if y not in have]
    if not missing:
        return []
    return [
        f"currency: rates/carbon_prices/fx.csv has no {regime.currency} rate for rules year "
        f"{missing[0]}{f'-{missing[-1]}' if len(missing) > 1 else ''} (the last published rate "
        "is carried forward, none back): start the rules later or add the rate"
    ]


def _unknown_labels(regime: Design) -> list[str]:
    """Design values naming a column or period the EU tables do not have, each by its key."""
    named = {
        "emissions.published_defaults": (
            regime.emissions.published_defaults,
            value_columns(),
            "column of default_values.csv",
        ),
        "charge.benchmark_period": (
            regime.charge.benchmark_period,
            benchmark_periods(),
            "period of benchmarks.csv",
        ),
    }
    return [
        f"{key}: {shorten(value.value, 40)!r} names no {what} (known: {', '.join(known)})"
        for key, (parameter, known, what) in named.items()
        if parameter is not None
        for value in parameter.values
        if value.value not in known
    ]


def _unread_options(scenario: Scenario, regime: Design) -> list[str]:
    """Scenario options the regime never reads: set, they would change nothing, unsaid."""
    problems = []
    if scenario.carbon_price_abroad.path and not regime.carbon_price_relief:
        problems.append(
            f"carbon_price_abroad.path: {regime.name} gives no relief for a carbon price paid "
            "abroad (carbon_price_relief: false), so no price path changes a fee"
        )
    if scenario.clinker_share and "cement" not in regime.sectors:
        problems.append(f"clinker_share: {regime.name} does not cover cement")
    if not scenario.de_minimis and regime.threshold is None:
        problems.append(f"de_minimis: false: {regime.name} has no threshold to switch off")
    return problems


def _factors(scenario: Scenario, regime: Design) -> dict[str, Any]:
    """The scenario's CBAM factor and CSCF schedules as dated values (a year: its 1 January).

    A schedule replaces the regime's values whole; one number holds from the first rules year.
    """
    source = Path(scenario.source).resolve().as_uri() if scenario.source else ""
    reference = {"title": f"scenario {scenario.name}", "href": source}
    changes: dict[str, Any] = {}
    for key in FACTOR_KEYS:
        given = getattr(scenario, key)
        if given is None:
            continue
        if ((scenario.design or {}).get("charge") or {}).get(key) is not None:
            raise ScenarioError(
                f"{scenario.source or scenario.name}: {key} is given both as the scenario's "
                f"own schedule and as the design's charge.{key}: the schedule would replace the "
                "design's values whole; give it one way"
            )
        steps = given if isinstance(given, Mapping) else {regime.first_rules_year: given}
        start = min(int(y) for y in steps) if steps else None
        needed = regime.first_rules_year if scenario.rules_year is None else scenario.rules_year
        if start is None or start > needed:
            raise ScenarioError(
                f"{scenario.source or scenario.name}: {key} {shorten(dict(steps))} starts in "
                f"{start}, after rules year {needed}: a scenario's own schedule replaces the "
                f"cited one whole, so give a value from {needed} (or set one year, "
                f"{key}.{start}: ..., in overrides)"
            )
        values = [{"from": int(y), "value": v, "reference": reference} for y, v in steps.items()]
        changes[key] = {"values": sorted(values, key=lambda v: v["from"])}
    return changes


def years_beyond(schedule: Any, last: int) -> list[int]:
    """The years of a year-keyed schedule after ``last`` (a plain number has none).

    Example:
        >>> years_beyond({2026: 80, 2200: 90}, 2100), years_beyond(80, 2100)
        ([2200], [])

    """
    keys = schedule if isinstance(schedule, Mapping) else {}
    return sorted(int(y) for y in keys if str(y).isdigit() and int(y) > last)


def years_in_force_in_none(
    schedule: Any, first: int, last: int, read: Collection[int] | None = None
) -> list[int]:
    """The year keys of a step-function schedule in force in no year from ``first`` to ``last``.

    A key holds from its year until the next key: one before ``first`` is read from ``first``
    unless a later key starts by then, and one after ``last`` is never read. ``read``: the
    years read, where only some of them are (fixed rules years); by default all.

    Example:
        >>> years_in_force_in_none({1990: 80, 2026: 70, 2031: 90}, 2026, 2030)
        [1990, 2031]
        >>> years_in_force_in_none({2020: 100}, 2026, 2100)
        []
        >>> years_in_force_in_none({2026: 70, 2030: 150}, 2026, 2034, read=[2034])
        [2026]

    """
    if not isinstance(schedule, Mapping) or not schedule:
        return []
    keys = sorted(int(y) for y in schedule if str(y).isdigit())
    ends = [k - 1 for k in keys[1:]] + [last]  # each key's last year, the last key's: last
    years = range(first, last + 1) if read is None else read
    return [
        k
        for k, end in zip(keys, ends, strict=True)
        if not any(max(k, first) <= y <= min(end, last) for y in years)
    ]


def _data_problems(scenario: Scenario) -> list[str]:
    """Names in the scenario that the bundled data do not know."""
    problems = []
    known = eu_config.clinker_shares().headings
    bad = [k for k in scenario.clinker_share if k not in known]
    if bad:
        problems.append(
            f"clinker_share applies to the clinker-based cement headings {sorted(known)}; "
            f"not to {bad}"
        )
    problems += [
        f"clinker_share.{code}: {share:g} is no share of {code}: "
        f"{fixed.reference.title} (its share is {fixed.value:g})"
        for code, fixed in eu_config.clinker_shares().fixed().items()
        if (share := scenario.clinker_share.get(code, fixed.value)) != fixed.value
    ]
    paths = scenario.carbon_price_abroad.path
    unknown = sorted(set(paths) - iso3_codes())
    if unknown:
        problems.append(f"carbon_price_abroad.path: unknown ISO 3166-1 alpha-3 origins {unknown}")
    currencies = set(fx_table()["currency"].to_list())
    problems += [
        f"carbon_price_abroad.path.{origin}.currency: no exchange rates for "
        f"{path.currency!r} (known: {sorted(currencies)})"
        for origin, path in paths.items()
        if path.currency not in currencies
    ]
    return problems


def rebuilt(raw: Mapping[str, Any], where: str) -> Scenario:
    """A scenario validated and resolved from ``raw`` (a changed ``model_dump``).

    Raises:
        ScenarioError: an invalid value, the message starting with ``where``.

    """
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, raw)
        if any(e["type"] == "extra_forbidden" and len(e["loc"]) == 1 for e in exc.errors()):
            valid = [f for f in Scenario.model_fields if f != "source"]
            problems += f" (scenario keys: {', '.join(valid)}, overrides)"
        raise ScenarioError(f"{where}: {problems}") from None  # the message says it all
    resolve(scenario, where)
    return scenario


def load_scenario(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a bundled scenario by name, or a scenario YAML file by path, and resolve it.

    Args:
        name_or_path: A bundled name (``cbam scenarios`` lists them) or a path to a YAML file.
        overrides: Dotted parameter paths and their values, applied last, e.g.
            ``{"certificate_price_eur": 80}``, ``{"clinker_share.25232900": 0.8}`` or, on a
            design regime, ``{"charge.price.2030": 100}``; the reform shape
            ``{"certificate_price_eur": {2030: 100}}`` is the same as
            ``certificate_price_eur.2030`` (a value from 2030, the other years kept; see
            ``set_dotted``).

    Raises:
        ScenarioError: unknown name, missing or malformed file, unknown key or invalid value,
            naming the file and the offending key.

    Example:
        >>> load_scenario("eu-cbam", overrides={"rules_year": 2030}).rules_year
        2030

    """
    path, raw = read_raw(name_or_path, overrides)
    where = f"{path}{' with the overrides given' if overrides else ''}: invalid scenario"
    try:
        scenario = rebuilt(raw, where)
        # A scenario's price must hold from the first year its rows read. A sweep's price
        # paths are checked against its imports' years instead (``cbam._sweep``).
        if late := _late_values(scenario, resolve(scenario).design):
            raise ScenarioError(f"{where}: {'; '.join(late)}")
        return scenario
    except ScenarioError as exc:
        raise _blamed(exc, where, path, raw) from None


def _blamed(exc: ScenarioError, where: str, path: Path, raw: Mapping[str, Any]) -> ScenarioError:
    """``exc``, or the same fault named in the parent file, where that file alone has it."""
    parent = parent_path(raw)
    if parent is None:
        return exc
    problem = str(exc).removeprefix(f"{where}: ")
    try:
        load_scenario(parent)
    except ScenarioError as own:
        if str(own).endswith(problem):
            return ScenarioError(f"{path}: extends: {own}")
    return exc
