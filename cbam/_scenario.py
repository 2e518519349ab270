"""Scenarios: YAML files validated by pydantic, which can extend one another.

A scenario names a regime and overrides any of its parameters. ``extends: NAME`` starts from
another scenario (bundled name or path); the child's keys are merged into the parent's
(mappings merge key by key, other values replace), then ``overrides:`` applies dotted paths such
as ``certificate_price_eur.2030: 120`` (one year of the EU price path) or, on a design regime,
``charge.price.2030: 100`` (a dated value in force from that day, the others kept), or the same
in the reform shape ``{certificate_price_eur: {2030: 120}}``. Parameters left unset (null) take
the cited defaults in ``rates/``.

The model checks shapes and ranges and reads no file; ``read_raw`` (loading) matches names
to the data, and ``cbam._resolve`` checks the rest against it once per distinct scenario.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import types
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cbam._carbon_prices import CarbonPriceAbroad
from cbam._countries import upper_ascii_text
from cbam._design import (
    EU_ENGINE,
    OVERRIDE_TITLE,
    Design,
    is_design_file,
    list_regimes,
    read_design,
    regime_path,
)
from cbam._errors import ScenarioError, shorten
from cbam._eu import config as eu_config
from cbam._exemptions import Exemption, group_aliases
from cbam._parameters import Flag, PositiveShare, Price, Share, Whole, first_day, key_in_force
from cbam._recycling import RecyclingPlan, read_plan
from cbam._resources import bundled_or_path, data_dir, is_path, scenarios_dir
from cbam._yaml import deep_merge, matching_key, read_yaml_mapping, spelled_as

PriceSchedule = Price | dict[int, Price | dict[Literal[1, 2, 3, 4], Price]]


class Scenario(BaseModel):
    """A validated scenario.

    Attributes:
        name: Short name, printed in outputs.
        description: One line on what the scenario models.
        regime: The rule set: ``eu-cbam`` (the EU engine), a bundled design of
            ``rates/regimes/`` (``uk-cbam``, ``us-cca-2025``, ``us-fpf-2025``) or a design
            file's path (see ``cbam._design``).
        design: Changes to the regime design's values, set as overrides are (mappings key by
            key, a mapping of dates at a dated value adds values from those dates), e.g.
            ``{"currency": "USD"}`` or ``{"charge": {"price": {2030: 100}}}``.
        rules_year: Apply this year's rules to every row (``None``: each row's ``year``).
        certificate_price_eur: A number, or year -> price, or year -> quarter -> price; years
            are a step function (a price applies until the next year listed). ``None`` takes
            ``rates/eu/certificate_price.yaml``.
        cbam_factor: Year -> CBAM factor override (step function); ``None`` takes
            ``rates/eu/cbam_factor.yaml``.
        cross_sectoral_correction_factor: A number or year -> factor; ``None`` takes
            ``rates/eu/cross_sectoral_correction_factor.yaml``.
        clinker_share: CN8 heading -> default clinker share, overriding
            ``rates/eu/clinker_share.yaml`` for rows without a ``clinker_share`` value.
        actual_values_benchmark: ``A`` (the regulation): rows with actual values take the
            column-A benchmark of the good's own process plus the row's
            ``precursor_benchmark_t_per_t``; ``B``: read actual values as cumulative
            (precursors included) and take the cumulative column-B benchmark, an approximation
            for when precursor data are missing.
        actual_values_route_from_default: Rows with actual values but no ``route``, of a code
            whose benchmarks differ by route, take the default value's route (an assumption,
            said in ``benchmark_route_source``); ``False`` (default): such rows are an input
            error naming the routes to choose from.
        excluded_origin_groups: Country groups (files in ``country_lists/``) outside the regime,
            for the EU engine and designs alike; ``None`` takes the regime's own
            (``rates/eu/regime.yaml``, a design's ``excluded_origin_groups``).
        exemptions: Country-group exemptions in order (see ``cbam._exemptions.Exemption``);
            the first group an origin belongs to decides.
        exemption_status_year: Group membership is judged in the row's import ``year``
            (default) or in its rules year (which differ when ``rules_year`` is set).
        de_minimis: Apply the regime's de minimis rule or threshold (EU:
            ``rates/eu/de_minimis.yaml``; a design's ``threshold``) to rows
            that carry an ``importer``.
        carbon_price_abroad: Whether and how the carbon price paid in the country of origin is
            deducted (Art. 9): the table in ``rates/carbon_prices/``, none, or own price paths.
        recycling: Where the revenue goes (``cbam.recycle``): a plan inline, or a bundled plan's
            name (``rates/recycling/``) or a plan file's path; ``None``: no plan.
        aggregation_weights: CN8 trade weights for aggregate codes (HS2, CN4, CN6): a bundled
            name (``rates/eu/aggregation_weights/``) or a CSV/Parquet file of ``cn_code``,
            ``weight`` and optionally ``origin``, relative to the scenario file (see
            ``cbam._eu.weights``); ``None``: the simple mean over the CN8 codes.
        extends: The scenario this one was built on, for the record.
        source: The file it was read from, for the record.

    Example:
        >>> import cbam
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> (s.name, s.certificate_price_eur, s.rules_year)
        ('eu-cbam', 80.0, None)

    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    regime: str = EU_ENGINE
    design: dict[str, Any] = Field(default_factory=dict)
    rules_year: Whole | None = None
    certificate_price_eur: PriceSchedule | None = None
    cbam_factor: dict[int, Share] | None = None
    cross_sectoral_correction_factor: Share | dict[int, Share] | None = None
    clinker_share: dict[str, PositiveShare] = Field(default_factory=dict)
    actual_values_benchmark: Literal["A", "B"] = "A"
    actual_values_route_from_default: Flag = False
    excluded_origin_groups: list[str] | None = None
    exemptions: list[Exemption] = Field(default_factory=list)
    exemption_status_year: Literal["import", "rules"] = "import"
    de_minimis: Flag = True
    carbon_price_abroad: CarbonPriceAbroad = Field(default_factory=CarbonPriceAbroad)
    recycling: RecyclingPlan | None = None
    aggregation_weights: str | None = None
    extends: str | None = None
    source: str | None = None

    @field_validator("clinker_share", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted CN code as a number: 25232900 and '25232900' are one code.
        if not isinstance(value, dict):
            return value
        codes: dict[Any, Any] = {}
        for key, share in value.items():
            code = (
                str(key).strip()
                if isinstance(key, int | str) and not isinstance(key, bool)
                else key
            )
            if code in codes:
                raise ValueError(f"{code!r} is given twice ({key!r}); give it once")
            codes[code] = share
        return codes

    @field_validator("certificate_price_eur")
    @classmethod
    def _whole_quarters(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for year, entry in value.items():
                if isinstance(entry, dict) and sorted(entry) != [1, 2, 3, 4]:
                    raise ValueError(
                        f"year {year} is given by quarter: give all four quarters, "
                        f"not {sorted(entry)}"
                    )
        return value


def _every_year(factor: Any) -> Any:
    """A CBAM factor (or CSCF) given as one number: that number in every year, as a price is."""
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        return {eu_config.regime().first_rules_year: factor}
    return factor


def _known_names(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """``raw`` with regime, currency and group names as the data spell them, its plan read."""
    raw, where = dict(raw), f"{where}: invalid scenario"
    for key in FACTOR_KEYS:
        if key in raw:
            raw[key] = _every_year(raw[key])
    if "regime" in raw:
        raw["regime"] = _canonical(raw["regime"], _regime_names(), "regime", f"{where}: regime")
    design = raw.get("design")
    if isinstance(design, dict) and isinstance(design.get("currency"), str):
        raw["design"] = {**design, "currency": upper_ascii_text(design["currency"].strip())}
    if isinstance(rules := raw.get("exemptions"), list):
        raw["exemptions"] = [dict(rule) if isinstance(rule, dict) else rule for rule in rules]
        for n, rule in enumerate(raw["exemptions"]):
            if isinstance(rule, dict) and "group" in rule:
                at = f"{where}: exemptions.{n}.group"
                rule["group"] = _canonical(rule["group"], country_groups(), "country group", at)
    if isinstance(groups := raw.get("excluded_origin_groups"), list):
        raw["excluded_origin_groups"] = [
            _canonical(g, group_files(), "country group", f"{where}: excluded_origin_groups.{n}")
            for n, g in enumerate(groups)
        ]
        named = [g for g in raw["excluded_origin_groups"] if isinstance(g, str)]  # else refused
        if twice := sorted({g for g in named if named.count(g) > 1}):
            raise ScenarioError(
                f"{where}: excluded_origin_groups: {shorten(twice)} given more than once; keep one"
            )
    if isinstance(raw.get("recycling"), str | Path):
        try:
            raw["recycling"] = read_plan(raw["recycling"])
        except ValueError as exc:
            raise ScenarioError(f"{where}: recycling: {exc}") from None
    return raw


def _canonical(name: Any, known: list[str], kind: str, where: str) -> Any:
    """``name`` as one of ``known`` (case and spaces ignored); a path or non-text is kept."""
    if not isinstance(name, str) or is_path(name) or name in known:
        return name
    match = {k.lower(): k for k in known}.get(name.strip().lower())
    if match is None:
        raise ScenarioError(
            f"{where}: unknown {kind} '{shorten(name, 80)}' (known: {', '.join(known)})"
        )
    return match


@cache
def country_groups() -> list[str]:
    """The group names an exemption can name: short names, then the dated group files.

    Example:
        >>> {"ldc", "un_ldc"} <= set(country_groups())
        True

    """
    return list(dict.fromkeys([*group_aliases(), *group_files()]))


@cache
def group_files() -> list[str]:
    """The dated group files of ``country_lists/`` by stem: what an excluded origin group names.

    Example:
        >>> "eu_cbam_annex_iii" in group_files(), "ldc" in group_files()
        (True, False)

    """
    files = sorted(data_dir("country_lists").glob("*.csv"))
    return [p.stem for p in files if "member_from" in _header(p)]


def _header(path: Path) -> str:
    """A CSV file's first line (the file closed again)."""
    with path.open(encoding="utf-8") as file:
        return file.readline()


def list_scenarios() -> dict[str, str]:
    """Bundled scenario names with their one-line descriptions.

    Example:
        >>> "eu-cbam" in list_scenarios()
        True

    """
    return {
        path.stem: str(read_yaml_mapping(path).get("description", "")).strip()
        for path in sorted(scenarios_dir().glob("*.yaml"))
    }


def _resolve_path(name_or_path: str | Path, relative_to: Path | None) -> Path:
    if isinstance(name_or_path, Scenario):
        raise TypeError(
            "load_scenario reads a bundled name or a YAML path; this Scenario is loaded "
            "already: pass it as it is, or its name with overrides"
        )
    if not isinstance(name_or_path, str | Path):
        raise TypeError(
            "a scenario is a Scenario, a bundled name or a YAML path, not "
            f"{type(name_or_path).__name__}"
        )
    text = str(name_or_path)
    if not is_path(text):
        # A bundled name in any case: 'EU-CBAM' is eu-cbam.
        folded = {p.stem.lower(): p.stem for p in scenarios_dir().glob("*.yaml")}
        text = folded.get(text.strip().lower(), text)
    try:
        return bundled_or_path(text, scenarios_dir(), relative_to, "scenario", list_scenarios)
    except OSError as exc:  # a name the file system refuses (too long, ...)
        raise ScenarioError(f"unknown scenario '{shorten(text)}': {exc.strerror}") from None


def parent_path(raw: Mapping[str, Any]) -> Path | None:
    """The file a scenario read by ``read_raw`` extends, if it extends one."""
    parent, source = raw.get("extends"), raw.get("source")
    if parent is None or source is None:
        return None
    try:
        return _resolve_path(str(parent), Path(source).parent)
    except ScenarioError:
        return None


# Scenario parameters keyed by year (a step function), and how deep their keys go.
_BY_YEAR = {"certificate_price_eur": 2, "cbam_factor": 1, "cross_sectoral_correction_factor": 1}
_YEAR = re.compile(r"^\d{4}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def plain_value(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays as the Python numbers and lists YAML gives.

    Example:
        >>> import numpy as np
        >>> plain_value({np.int64(2030): [np.float64(80.5)], "x": np.arange(2)})
        {2030: [80.5], 'x': [0, 1]}

    """
    if isinstance(value, Mapping):
        return {plain_value(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain_value(v) for v in value)
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return plain_value(value.tolist())
    return value


def set_dotted(tree: dict[Any, Any], dotted: str, value: Any, where: str) -> None:
    """Set one parameter by dotted path in a raw scenario, the same way for every regime.

    ``certificate_price_eur.2030`` sets one year of an EU schedule (the cited default path is
    kept for the other years). Any other path goes into the regime's design, the EU CBAM's
    included (``charge.price.2030``, ``charge.cbam_factor.2030``, or with ``design.`` before
    it): a last key that is a year or a date adds a dated value in force from that day, keeping
    the values listed before and after it.

    A mapping sets its keys one by one, as ``path.key`` would: the reform shape
    ``{"certificate_price_eur": {2030: 100}}`` or ``{"charge": {"price": {"2030-01-01": 100}}}``
    equals the dotted ``certificate_price_eur.2030`` or ``charge.price.2030-01-01`` (outside the
    design and the EU schedules, only a mapping of years or dates onto a mapping already there;
    other mappings are set whole). A number replaces an EU schedule whole, so
    ``{"certificate_price_eur": 70, "certificate_price_eur.2030": 120}`` is the whole path
    EUR 70, then 120 from 2030; a design's ``charge.price.values`` list is replaced whole.

    Raises:
        ScenarioError: an empty path, a key that does not exist (listing those that do at that
            level), or a key that should be a year or date and is not.

    """
    value = plain_value(value)  # a NumPy price is a number too
    parts = [p.strip() for p in str(dotted).split(".")]
    if not any(parts):
        raise ScenarioError(f"{where}: empty override path")
    if not all(parts):
        raise ScenarioError(f"{where}: '{shorten(dotted, 80)}' has an empty part")
    if (
        spelled := _factor_spelling(tree, parts) or _price_spelling(tree, parts, value)
    ) is not None:
        _set_as_spelled(tree, spelled, value, where, str(dotted))
        return
    # Every regime is a design: a path that is not a scenario key goes into it.
    head = parts[0]
    if head not in Scenario.model_fields:
        if head not in Design.model_fields:
            valid = [f for f in Scenario.model_fields if f not in ("source", "extends")]
            raise ScenarioError(
                f"{where}: '{shorten(dotted, 80)}': {shorten(head, 80)}: Extra inputs are not "
                f"permitted: no such parameter (valid: {', '.join(valid)}, design keys: "
                f"{', '.join(Design.model_fields)})"
            )
        parts = ["design", *parts]
    if parts[0] == "design" and len(parts) > 1:
        _set_design(tree, parts[1:], value, where, str(dotted))
        return
    if isinstance(value, Mapping) and (
        parts == ["design"]
        or len(parts) <= _BY_YEAR.get(parts[0], 0)
        or (value and all(map(_date_like, value)) and isinstance(_node(tree, parts), dict))
    ):
        # The reform shape {path: {year: value}}: each year as path.year would set it (the
        # other years kept), so both spellings of an override give the same scenario.
        _once_each(value, where, str(dotted))
        for key, item in value.items():
            set_dotted(tree, f"{'design' if parts == ['design'] else dotted}.{key}", item, where)
        return
    if parts in ([key] for key in FACTOR_KEYS):
        value = _every_year(value)  # a sweep's vary is set so too
    if parts[0] == "certificate_price_eur" and len(parts) == 2:
        day = _day(parts[1])
        if day is not None and day.day == 1 and day.month in (4, 7, 10):
            _from_quarter_start(tree, day, value, where, str(dotted))
            return
    if parts[0] in _BY_YEAR and len(parts) > 1:
        parts = [parts[0], *_year_keys(parts[0], parts[1:], where, str(dotted))]
    if len(parts) > 1 and tree.get(parts[0]) is None:
        # Refine the cited default (e.g. one year of the price path) rather than replace it.
        seed = eu_config.parameter_defaults().get(parts[0])
        if seed is not None:
            tree[parts[0]] = copy.deepcopy(seed)
    if parts[0] in _BY_YEAR and len(parts) > 1 and not isinstance(tree.get(parts[0]), dict):
        # One number for every year: it stays in force until the year set here.
        tree[parts[0]] = {eu_config.regime().first_rules_year: tree[parts[0]]}
    if parts[0] == "certificate_price_eur" and len(parts) == 3:
        _one_quarter(tree[parts[0]], parts[1])
    if parts[0] == "recycling" and len(parts) > 1 and isinstance(tree.get("recycling"), str):
        # One key of a plan named by name or path: the plan's own keys, that one changed.
        try:
            tree["recycling"] = read_plan(tree["recycling"])
        except ValueError as exc:
            raise ScenarioError(f"{where}: recycling: {exc}") from None
    node: Any = tree
    for part in parts[:-1]:
        if isinstance(node, list):  # exemptions.0.grace_years: a list entry by its position
            node = node[_position(node, part, where, str(dotted))]
            continue
        key = matching_key(node, part)
        if not isinstance(node.get(key), dict | list):
            # A list the scenario leaves empty (exemptions.0.group): no entry to change.
            listed = node is tree and _is_list(Scenario.model_fields.get(str(key)))
            node[key] = [] if listed else {}
        node = node[key]
    if isinstance(node, list):
        node[_position(node, parts[-1], where, str(dotted))] = value
    else:
        node[matching_key(node, parts[-1])] = value


# Parameters a scenario may give as its own schedule or as the design's dated values.
FACTOR_KEYS = ("cbam_factor", "cross_sectoral_correction_factor")


def _factor_spelling(tree: dict[Any, Any], parts: list[str]) -> str | None:
    """The other spelling of a CBAM factor (or CSCF) path, where the scenario uses that one.

    ``cbam_factor.2031`` and ``charge.cbam_factor.2031`` set one value: where the scenario (or
    a parent) already has its own ``cbam_factor`` schedule, a design path goes into it, and
    where the design's values were changed, a schedule path goes into them, so neither
    spelling drops the other's values. None: the path as it is.
    """
    charge = (tree.get("design") or {}).get("charge") or {}
    path = parts[1:] if parts[0] == "design" else parts
    if len(path) > 2 and path[0] == "charge" and path[1] in FACTOR_KEYS:
        if tree.get(path[1]) is not None:
            day = _day(path[2])
            if day is not None and (day.month, day.day) == (1, 1):
                return ".".join([path[1], str(day.year), *path[3:]])
    elif len(parts) > 1 and parts[0] in FACTOR_KEYS and charge.get(parts[0]) is not None:
        return ".".join(["charge", *parts])
    return None


def _set_as_spelled(
    tree: dict[Any, Any], spelled: str, value: Any, where: str, dotted: str
) -> None:
    """``set_dotted`` by the path's other spelling, its errors naming the path as given."""
    try:
        set_dotted(tree, spelled, value, where)
    except ScenarioError as exc:
        raise ScenarioError(str(exc).replace(f"'{spelled}", f"'{dotted}")) from None


def _under_price(path: list[str]) -> list[str] | None:
    """The keys below a design's price path; None for another path.

    The price path is ``charge.price``, or the EU file's ``charge.certificate_price`` with its
    ``annual`` or ``quarterly``.
    """
    if path[:2] not in (["charge", "price"], ["charge", "certificate_price"]):
        return None
    return path[3:] if path[2:3] in (["annual"], ["quarterly"]) else path[2:]


def _price_spelling(tree: dict[Any, Any], parts: list[str], value: Any) -> str | None:
    """The EU CBAM's price path for ``charge.price`` or ``charge.certificate_price``; else None.

    Every design's price is ``charge.price``; the EU CBAM's is the certificate price schedule
    (``certificate_price_eur``, its file ``charge.certificate_price``): so ``charge.price.2030``,
    ``charge.certificate_price.annual.2030`` and ``charge.certificate_price.quarterly.2026.3``
    set one year (or quarter) of it, as a sweep or an override does for any regime, and a
    number or a mapping of years sets it as ``certificate_price_eur`` does.
    """
    rest = _under_price(parts[1:] if parts[0] == "design" else parts)
    if rest is None:
        return None
    try:
        if regime_name(str(tree.get("regime") or EU_ENGINE)) != regime_name(EU_ENGINE):
            return None
    except ScenarioError:
        return None  # an unknown regime: named where the design is read
    whole = isinstance(value, int | float) or (
        isinstance(value, Mapping) and bool(value) and all(map(_date_like, value))
    )
    return ".".join(["certificate_price_eur", *rest]) if rest or whole else None


def _is_list(field: Any) -> bool:
    """Whether a model field (or None) holds a list."""
    return field is not None and get_origin(field.annotation) is list


def _position(items: list[Any], part: str, where: str, dotted: str) -> int:
    """The list entry ``part`` names (0 the first), or an error saying which there are."""
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise ScenarioError(
        f"{where}: '{shorten(dotted, 80)}': {shorten(part, 20)}: a list entry is named by its "
        f"position, 0 to {len(items) - 1}"
        if items
        else f"{where}: '{shorten(dotted, 80)}': the list is empty (set it whole)"
    )


def _from_quarter_start(
    tree: dict[Any, Any], day: dt.date, value: Any, where: str, dotted: str
) -> None:
    """The EU price from the first day of a quarter (2030-07-01), as a design's dated price.

    It holds for that quarter and the year's later ones, and on into the next years until
    the path's next entry: the year after is set to it unless the path gives that year.
    """
    current = tree.get("certificate_price_eur")
    if current is None:
        current = eu_config.parameter_defaults().get("certificate_price_eur")
    # A year the path gives keeps its price; one carried from an earlier day takes this one.
    given = {
        str(k)
        for k, v in (current.items() if isinstance(current, dict) else ())
        if not isinstance(v, _Carried)
    }
    quarter = (day.month - 1) // 3 + 1
    for q in range(quarter, 5):
        _set_as_spelled(tree, f"certificate_price_eur.{day.year}.{q}", value, where, dotted)
    if str(day.year + 1) not in given and day.year < eu_config.regime().last_rules_year:
        _set_as_spelled(tree, f"certificate_price_eur.{day.year + 1}", value, where, dotted)
        schedule = tree["certificate_price_eur"]
        next_year = matching_key(schedule, day.year + 1)
        schedule[next_year] = _Carried(schedule[next_year])


class _Carried(float):
    """A price set for the year after a day's price (``_from_quarter_start``): no new value.

    The schedule needs the year to carry the day's price on (a quarterly year carries its
    mean); a later day of the same year replaces it, and ``check_rules_year`` reads it as
    the day's own value, not one replacing it.
    """


def _one_quarter(schedule: dict[Any, Any], year: Any) -> None:
    """Ready ``schedule`` for one quarter of ``year`` to be set, the rest of the path kept.

    The year's other quarters take the price in force (a number, or a quarterly year's mean as
    it is carried forward), and the next year keeps it, so only the quarter set changes.
    """
    key = next((k for k in schedule if str(k) == str(year)), year)
    if isinstance(schedule.get(key), dict):
        return
    known = {int(k): v for k, v in schedule.items() if str(k).isdigit()}
    before = known.get(int(year)) if key in schedule else None
    if before is None and (earlier := key_in_force(known, int(year))) is not None:
        before = known[earlier]
    if isinstance(before, dict) and len(before) == 4:
        before = sum(before.values()) / 4
    if not isinstance(before, int | float) or isinstance(before, bool):
        return  # no price in force: the quarter model asks for all four
    if int(year) + 1 not in known and int(year) < eu_config.regime().last_rules_year:
        schedule[int(year) + 1] = before
    schedule[key] = dict.fromkeys((1, 2, 3, 4), before)


def _node(tree: dict[Any, Any], parts: list[str]) -> Any:
    """The value at ``parts`` of a raw scenario (keys matched by text), ``None`` if absent.

    A list entry is named by its position, as ``set_dotted`` names it (``exemptions.0``).
    """
    node: Any = tree
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            node = node.get(matching_key(node, part)) if isinstance(node, dict) else None
    return node


@cache
def _regime_names() -> list[str]:
    """The bundled regime names (package data: read once)."""
    return list(list_regimes())


def regime_name(regime: str) -> str:
    """The regime's bundled name ignoring case, ``regime`` itself for a path."""
    if is_path(regime):
        return regime
    return {k.lower(): k for k in _regime_names()}.get(regime.strip().lower(), regime)


def _year_keys(name: str, keys: list[str], where: str, dotted: str) -> list[Any]:
    """The year (and quarter) keys of a year-keyed EU parameter, as ints."""
    depth, at = _BY_YEAR[name], f"{where}: '{shorten(dotted, 80)}'"
    form = f"{name}.2030" + (f" or {name}.2030.3 (a quarter)" if depth == 2 else "")
    day = _day(keys[0])
    if day is not None and (day.month, day.day) == (1, 1):  # one time model: 2030-01-01 is 2030
        keys = [str(day.year), *keys[1:]]
    elif day is not None:  # a day within a year: the schedule holds years (and quarters)
        rules = eu_config.regime()
        _in_rules_years(day.year, keys[0], rules.first_rules_year, rules.last_rules_year, at)
        raise ScenarioError(
            f"{at}: {name} changes by year{' or quarter' if depth == 2 else ''}, not on "
            f"{shorten(keys[0], 40)} (write {form}"
            + (", or a quarter's first day, 2030-07-01" if depth == 2 else "")
            + ")"
        )
    if len(keys) > depth or not _YEAR.match(keys[0]):
        raise ScenarioError(
            f"{at}: {name} is set by year: '{shorten(keys[0], 40)}' is not a year (write {form})"
        )
    if len(keys) == 2 and keys[1] not in ("1", "2", "3", "4"):
        raise ScenarioError(f"{at}: quarter '{shorten(keys[1], 40)}' is not 1-4")
    rules = eu_config.regime()
    _in_rules_years(int(keys[0]), keys[0], rules.first_rules_year, rules.last_rules_year, at)
    return [int(k) for k in keys]


def _in_rules_years(year: int, label: str, first: Any, last: Any, at: str) -> None:
    """Refuse a dated override outside the regime's rules years: it would never apply."""
    if isinstance(first, int) and isinstance(last, int) and not first <= year <= last:
        raise ScenarioError(
            f"{at}: {shorten(label, 40)} is outside the years the regime has rules for "
            f"({first}-{last}): a value from then would never apply"
        )


def _day(key: str) -> dt.date | None:
    """A dotted key as the first day it names: ``2030`` is 1 January 2030."""
    try:
        if _YEAR.match(key):
            return first_day(int(key))
        return dt.date.fromisoformat(key) if _DAY.match(key) else None
    except ValueError:
        return None


def _spelt(key: Any) -> Any:
    """A key as one value is spelt: a year or date as its first day's key (``spelled_as``)."""
    day = _day(str(key).strip())
    return spelled_as(key if day is None else day)


def _once_each(mapping: Mapping[Any, Any], where: str, dotted: str) -> None:
    """Refuse two keys of one mapping that name one value (2030, '2030' and '2030-01-01').

    Set one by one, the last would replace the first, unsaid.
    """
    seen: dict[Any, Any] = {}
    for key in mapping:
        if (same := _spelt(key)) in seen:
            raise ScenarioError(
                f"{where}: '{shorten(dotted, 80)}': {seen[same]!r} and {key!r} name the same "
                "key; give it once"
            )
        seen[same] = key


def _date_like(key: Any) -> bool:
    """Whether a mapping key is meant as a year or date (a number, a date, digits first)."""
    return isinstance(key, int | dt.date) or str(key).strip()[:1].isdigit()


def _dated(node: Any) -> list[Any] | None:
    """The dated values of a node: a ``values:`` list of a parameter, or such a list itself."""
    if isinstance(node, dict) and isinstance(node.get("values"), list):
        node = node["values"]
    if isinstance(node, list) and node and all(isinstance(v, dict) and "from" in v for v in node):
        return node
    return None


def _starts(item: dict[str, Any]) -> dt.date:
    start = item["from"]
    return first_day(start if isinstance(start, dt.date) else int(start))


def _model_of(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    """The pydantic model of field ``key`` of ``model`` (through ``X | None``), if any."""
    if model is None or key not in model.model_fields:
        return None
    annotation = model.model_fields[key].annotation
    union = get_origin(annotation) in (Union, types.UnionType)
    candidates = get_args(annotation) if union else (annotation,)
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _set_design(
    tree: dict[Any, Any], parts: list[str], value: Any, where: str, dotted: str
) -> None:
    """Set a value of the scenario's design by path, adding to ``tree['design']``'s changes.

    The path is checked against the design as the scenario has it (the regime's file with the
    scenario's changes so far); a dated parameter takes a new value from the date given.
    """
    spelled = _factor_spelling(tree, ["design", *parts]) or _price_spelling(tree, parts, value)
    if spelled is not None:
        _set_as_spelled(tree, spelled, value, where, dotted)  # a mapping's dates one by one
        return
    source, at = tree.get("source"), f"{where}: '{shorten(dotted, 80)}'"
    try:
        regime = regime_name(str(tree.get("regime") or EU_ENGINE))
        path = regime_path(regime, Path(source).parent if source else None)
    except ScenarioError as exc:
        raise ScenarioError(f"{at}: {exc}") from None
    changes: dict[str, Any] = tree.get("design") or {}
    current: Any = deep_merge(read_design(path), changes)
    node: Any = current
    model: type[BaseModel] | None = Design
    trail: list[Any] = []  # keys from the design's top to ``node``, then to the value set
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(map(str, trail)) or "the design"
        dated = _dated(node)
        if dated is not None and not (isinstance(node, dict) and part in node):
            day = _day(part)
            if day is None:
                keys = f" (or a key of {here}: {', '.join(node)})" if isinstance(node, dict) else ""
                raise ScenarioError(
                    f"{at}: '{shorten(part, 40)}' is not a year or "
                    f"date such as 2030 or 2030-07-01{keys}"
                )
            if not last:
                raise ScenarioError(
                    f"{at}: a dated value is set whole; end the path at the date ('{part}')"
                )
            years = (current.get("first_rules_year"), current.get("last_rules_year"))
            _in_rules_years(day.year, part, *years, at)
            added = _override_value(day, value, dotted, where)
            value = sorted([*(dict(v) for v in dated if _starts(v) != day), added], key=_starts)
            trail = [*trail, "values"] if isinstance(node, dict) else trail
            break
        if isinstance(node, dict):
            known = [str(k) for k in node]
            if model is not None:
                known += [k for k in model.model_fields if k not in known]
            key = matching_key(node, part)
            free = trail[-1:] in (["sectors"], ["excluded_origin_groups"])  # named entries
            if part not in known and not free:
                raise ScenarioError(
                    f"{at}: no key '{shorten(part, 40)}' in {here} (valid: {', '.join(known)})"
                )
            trail.append(key)
            if last:
                whole = not isinstance(value, Mapping) or set(value) <= {"file", "key"}
                dated_field = "values" in getattr(_model_of(model, part), "model_fields", {})
                if dated_field and node.get(key) is None and not isinstance(value, Mapping | None):
                    _unset(part, trail, regime, at)
                if _dated(node.get(key)) is not None and not isinstance(
                    value, Mapping | list | None
                ):
                    # A number for a dated parameter: its whole path, in force from the first
                    # rules year, as a number replaces an EU schedule (sweep paths read alike).
                    first = first_day(int(current["first_rules_year"]))
                    value = [_override_value(first, value, dotted, where)]
                    if isinstance(node.get(key), dict):  # {values: [...]}, else the list itself
                        trail.append("values")
                    break
                # Dates onto a parameter the design leaves unset: refused as path.date is.
                unset = not whole and node.get(key) is None and all(map(_date_like, value))
                # Dates onto a list of dated values (a sector's free-allocation shares) add
                # to it, as its dotted path does.
                listed = isinstance(node.get(key), list) and not whole and bool(value)
                dates = listed and all(map(_date_like, value))
                if not whole and (isinstance(node.get(key), dict) or unset or dates):
                    # A mapping sets its keys one by one, each checked as its own path: a date
                    # adds a dated value from that day, an unknown key is an error (a model
                    # that allows extra keys would keep it unread). A {file: ...} is set whole.
                    _once_each(value, where, dotted)
                    for sub, item in value.items():
                        _set_design(tree, [*parts, str(sub)], item, where, f"{dotted}.{sub}")
                    return
                break
            model = _model_of(model, part)
            if node.get(key) is None and _date_like(parts[depth + 1]):
                _unset(part, trail, regime, at)
            node = node.setdefault(key, {})
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    f"{at}: {here} is a list of {len(node)}; "
                    f"'{shorten(part, 40)}' is not a position in it (0-{len(node) - 1})"
                )
            trail.append(int(part))
            if last:
                break
            node = node[int(part)]
            model = None
        else:
            raise ScenarioError(
                f"{at}: {here} is a value "
                f"({shorten(node, 40)}), not a mapping with key '{shorten(part, 40)}'"
            )
    _put(changes, current, trail, value)
    tree["design"] = changes


def _unset(part: str, trail: list[Any], regime: str, at: str) -> None:
    """Refuse dated values for a parameter that the design does not set at all."""
    eu = part == "price" and regime == regime_name(EU_ENGINE)
    hint = " (EU CBAM certificates: certificate_price_eur.2030)" if eu else ""
    raise ScenarioError(
        f"{at}: {'.'.join(map(str, trail))} is not set "
        f"by regime '{regime}', so it has no dated values to add to{hint}"
    )


def _override_value(start: Any, value: Any, dotted: str, where: str) -> dict[str, Any]:
    """A dated value set by an override, citing the override as its reference."""
    reference = {
        "title": f"{OVERRIDE_TITLE}{dotted} = {shorten(value, 80)} ({where})",
        "href": Path(where).resolve().as_uri() if is_path(where) else "",
    }
    return {"from": start, "value": value, "reference": reference}


def _put(changes: dict[Any, Any], current: Any, at: list[Any], value: Any) -> None:
    """Record ``current`` at ``at`` := ``value`` as a ``design:`` change.

    Changes merge into the design mapping by mapping; a list is replaced whole, so a path
    through a list records the whole list (from ``current``) with the one item changed.
    """
    first_list = next((i for i in range(len(at)) if isinstance(_get(current, at[:i]), list)), None)
    if first_list is not None:
        whole = copy.deepcopy(_get(current, at[:first_list]))
        _get(whole, at[first_list:-1])[at[-1]] = value
        at, value = at[:first_list], whole
    node = changes
    for key in at[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[at[-1]] = value


def _get(tree: Any, at: list[Any]) -> Any:
    for key in at:
        tree = tree[key]
    return tree


def _leaves(dotted: str, value: Any, *, nested: bool = False) -> list[tuple[str, ...]]:
    """The values an override sets, each as its path spelt one way.

    ``design.`` is dropped, a date is its first day, a CBAM factor sits under ``charge.``;
    a reform mapping of dates sets each of its dates, and with ``nested`` any mapping sets
    each of its keys (``charge: {price: {2030: ..}}`` sets ``charge.price.2030``).
    """
    parts = [p.strip() for p in str(dotted).split(".")]
    parts = parts[1:] if parts[:1] == ["design"] else parts
    parts = ["charge", *parts] if parts[:1] and parts[0] in FACTOR_KEYS else parts
    if (rest := _under_price(parts)) is not None:
        # The price of every regime: on the EU CBAM it is certificate_price_eur (_price_spelling).
        parts = ["certificate_price_eur", *rest]
    spelt = tuple(str(_spelt(p)) for p in parts)
    if isinstance(value, Mapping) and value and (nested or all(map(_date_like, value))):
        return [
            leaf for k, v in value.items() for leaf in _leaves(f"{dotted}.{k}", v, nested=nested)
        ]
    return [spelt]


def _once_per_leaf(
    overrides: Mapping[Any, Any], where: str, own: Mapping[Any, Any] | None = None
) -> None:
    """Refuse two overrides that set one value (``price.2030`` and ``price: {2030: ...}``).

    Applied in turn, the later would replace the earlier, unsaid. ``own``: a file's keys that
    read as overrides do (``design:``), which its ``overrides:`` may not set again either.
    """
    entries = [
        (str(key), value, f"the file's '{shorten(key, 80)}'") for key, value in (own or {}).items()
    ]
    entries += [(str(d), value, f"'{shorten(d, 80)}'") for d, value in overrides.items()]
    seen: dict[tuple[str, ...], tuple[int, str]] = {}
    for i, (dotted, value, label) in enumerate(entries):
        for leaf in _leaves(dotted, value, nested=True):
            if leaf in seen and seen[leaf][0] != i:
                raise ScenarioError(
                    f"{where}: {seen[leaf][1]} and {label} both set {'.'.join(leaf)}; give it once"
                )
            seen[leaf] = (i, label)


def _in_order(overrides: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """The overrides, each path before those below it, so that key order changes nothing.

    A whole path is set before the dated values under it (``certificate_price_eur: 70`` and
    ``certificate_price_eur.2030: 120`` are EUR 70, then 120 from 2030, in either order), a
    year before a day within it (``.2030`` before ``.2030-07-01``, which sets the later
    quarters), days in date order, and a day before one quarter (``.2030.4``): the narrower
    value wins.
    """

    def narrowness(leaf: tuple[str, ...]) -> tuple[int, bool, str]:
        # A day other than 1 January is spelt as a date (``_spelt``): narrower than a year,
        # and days in date order (each holds until the next).
        day = bool(leaf) and "-" in leaf[-1]
        return len(leaf), day, leaf[-1] if day else ""

    def depth(item: tuple[Any, Any]) -> tuple[int, bool, str]:
        return min(map(narrowness, _leaves(str(item[0]), item[1])), default=(0, False, ""))

    return sorted(overrides.items(), key=depth)


def check_rules_year(tree: Mapping[str, Any], overrides: Mapping[Any, Any], where: str) -> None:
    """Refuse an override a fixed ``rules_year`` never reads: every row reads that year's rules.

    One dated after it, or one that another value of its parameter replaces by 1 January of
    it (``_starts_at``).
    """
    year = tree.get("rules_year")
    if isinstance(year, bool) or not isinstance(year, int):
        return
    for dotted, value in overrides.items():
        for leaf in _leaves(str(dotted), value):
            dated = [(i, d) for i, d in enumerate(map(_day, leaf)) if d is not None]
            if not dated:
                continue
            at, day = dated[0]
            if day.year > year:
                raise ScenarioError(
                    f"{where}: '{shorten(dotted, 80)}' sets a value from {day}, but "
                    f"rules_year {year} applies the {year} rules to every row: it would never "
                    "apply (set rules_year to a later year, or leave it out)"
                )
            later = [s for s in _starts_at(tree, leaf[:at]) if day < s <= dt.date(year, 1, 1)]
            if later:
                raise ScenarioError(
                    f"{where}: '{shorten(dotted, 80)}' sets a value from {day}, but the value "
                    f"from {min(later)} replaces it before rules year {year}, whose rules "
                    "every row reads: it would never apply"
                )


def _starts_at(tree: Mapping[str, Any], parts: tuple[str, ...]) -> list[dt.date]:
    """The first days of the values of the dated parameter at ``parts``, as the tree has it.

    A schedule keyed by years (the EU price, a scenario's own factor) or a design's dated
    values, which an override writes into the scenario's design changes whole.
    """
    given = tree.get("design")
    design: dict[Any, Any] = given if isinstance(given, dict) else {}
    places = [_node(dict(tree), list(parts)), _node(design, list(parts))]
    if parts[:1] == ("certificate_price_eur",):  # a design's price: charge.price (_leaves)
        places.append(_node(design, ["charge", "price", *parts[1:]]))
    if parts[:1] == ("charge",) and parts[1:2] and parts[1] in FACTOR_KEYS:  # an own schedule
        places.append(_node(dict(tree), list(parts[1:])))
    for node in places:
        if isinstance(node, dict) and node and all(map(_date_like, node)):
            days = (_day(str(k)) for k, v in node.items() if not isinstance(v, _Carried))
            return [d for d in days if d is not None]
        if (dated := _dated(node)) is not None:
            return [_starts(v) for v in dated]
    return []


def apply_overrides(
    tree: dict[Any, Any], overrides: Mapping[Any, Any], where: str, *, rules_year: bool = True
) -> None:
    """Apply ``overrides`` to a raw scenario in place, refusing any that would change nothing.

    Each leaf once, whole paths before the dated values under them (``_in_order``), and (unless
    ``rules_year`` is false, for a sweep that checks across its designs) none that a fixed
    ``rules_year`` never reads (``check_rules_year``); ``where`` starts each error message.
    """
    _once_per_leaf(overrides, where)
    for dotted, value in _in_order(overrides):
        _override(tree, str(dotted), value, where)
    if rules_year:
        check_rules_year(tree, overrides, where)


def _override(tree: dict[Any, Any], dotted: str, value: Any, where: str) -> None:
    """Apply one entry of ``overrides``: ``set_dotted``, refusing what would change nothing.

    ``extends`` and ``source`` are records of how the scenario was read (a parent is named by
    ``extends:`` at the top of a file), a null where nothing is set would quietly stand for the
    default, and a new ``regime`` is checked as a child file's is.
    """
    head, at = str(dotted).split(".")[0].strip(), "" if where == "overrides" else f"{where}: "
    if head == dotted == "regime":
        _same_regime_for_design(tree, {"regime": value}, f"{at}overrides")
    if head in ("extends", "source"):
        raise ScenarioError(
            f"{at}overrides: '{shorten(dotted, 80)}' cannot be overridden: it records how the "
            "scenario was read (name a parent with 'extends:' at the top of a scenario file)"
        )
    nullable = head == dotted and Scenario.model_fields.get(head, Field()).default is None
    if value is None and not (nullable and tree.get(head) is not None):
        # A null stands for the default: it changes something only where a value is set
        # (rules_year: null undoes a parent's rules year).
        raise ScenarioError(
            f"{at}overrides: '{shorten(dotted, 80)}': null is not a value; give one, or leave the "
            "override out to keep the scenario's own"
        )
    set_dotted(tree, dotted, value, where)


def _same_regime_for_design(base: dict[str, Any], raw: dict[str, Any], where: str | Path) -> None:
    """Refuse a child that changes regime under a parent's design changes, made for another.

    They would be merged into the new regime's design unseen (a UK price list read as USD).
    """
    before, after = (regime_name(str(r.get("regime") or EU_ENGINE)) for r in (base, raw))
    if "regime" in raw and before != after and base.get("design"):
        raise ScenarioError(
            f"{where}: regime: '{shorten(after, 80)}' replaces '{shorten(before, 80)}' of the "
            f"scenario it extends, whose design changes ({shorten(', '.join(base['design']))}) "
            f"are for '{shorten(before, 80)}': extend a scenario of the new regime instead"
        )


def _anchored(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``raw`` with the relative file paths it names taken from ``folder``, where they lie.

    A parent's group, weights, plan and index files are its own folder's, not those of the
    file extending it; a path that is not there is kept as given (and read as before).
    """

    def anchor(value: Any) -> Any:
        if isinstance(value, list):
            return [anchor(v) for v in value]
        relative = isinstance(value, str) and is_path(value) and not Path(value).is_absolute()
        if relative and (folder / value).exists():
            return str((folder / value).resolve())
        return value

    def each(items: Any, *keys: str) -> Any:
        if not isinstance(items, list):
            return items
        return [
            {k: anchor(v) if k in keys else v for k, v in item.items()}
            if isinstance(item, dict)
            else item
            for item in items
        ]

    out = dict(raw)
    if "excluded_origin_groups" in raw:
        out["excluded_origin_groups"] = anchor(raw["excluded_origin_groups"])
    if "exemptions" in raw:
        out["exemptions"] = each(raw["exemptions"], "group")
    if "aggregation_weights" in raw:
        out["aggregation_weights"] = anchor(raw["aggregation_weights"])
    plan = raw.get("recycling")
    if isinstance(plan, dict) and "allocations" in plan:
        out["recycling"] = {**plan, "allocations": each(plan["allocations"], "group", "index")}
    elif plan is not None and not isinstance(plan, dict):
        out["recycling"] = anchor(plan)
    return out


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ScenarioError(f"scenario extends itself: {cycle}")
    raw = _anchored(read_yaml_mapping(path), path.parent)
    if is_design_file(raw):
        # A design file runs as a scenario of its own regime, with nothing changed.
        raw = {
            "name": str(raw.get("name", path.stem)),
            "description": str(raw.get("description", "")),
            "regime": str(resolved),
        }
    regime = raw.get("regime")
    if isinstance(regime, str) and regime.endswith((".yaml", ".yml")):
        raw["regime"] = str((path.parent / regime).resolve())
    if "kind" in raw:  # a misspelt design kind would read as a scenario's unknown keys
        raise ScenarioError(
            f"{path}: kind: {shorten(repr(raw['kind']))}: the one kind is 'regime' (a design "
            "file, as rates/regimes/ holds); a scenario file has no kind"
        )
    parent_name = raw.pop("extends", None)
    design = raw.pop("design", None)
    if design is not None and not isinstance(design, dict):
        raise ScenarioError(
            f"{path}: 'design' must be a mapping of the design's keys to values, not "
            f"{type(design).__name__} ({shorten(repr(design))})"
        )
    overrides = raw.pop("overrides", None) or {}
    if not isinstance(overrides, dict):
        raise ScenarioError(
            f"{path}: 'overrides' must be a mapping of dotted paths to values, not "
            f"{type(overrides).__name__}"
        )
    # design: reads as an override does (its own keys are the base both apply to): between
    # them, a value is set once.
    _once_per_leaf(overrides, str(path), {} if design is None else {"design": design})
    if parent_name is not None:
        try:
            base = _load_raw(_resolve_path(str(parent_name), path.parent), (*chain, resolved))
        except ScenarioError as exc:  # say which file names the parent
            raise ScenarioError(f"{path}: extends: {exc}") from None
        base.pop("source", None)
        _same_regime_for_design(base, raw, path)
        for key in FACTOR_KEYS:  # a child's own schedule replaces the parent's, however set
            charge = (base.get("design") or {}).get("charge")
            if raw.get(key) is not None and isinstance(charge, dict):
                charge.pop(key, None)
        raw = deep_merge(base, raw)
        raw["extends"] = str(parent_name)
    if design is not None:  # set as an override is: a mapping of dates adds dated values
        set_dotted(raw, "design", design, str(path))
    apply_overrides(raw, overrides, str(path))
    raw = _anchored(raw, path.parent)  # the paths this file's overrides name
    raw["source"] = str(resolved)
    return raw


def read_raw(
    name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> tuple[Path, dict[str, Any]]:
    """A scenario's file and its raw mapping, parents and overrides applied, names matched."""
    if overrides is not None and not isinstance(overrides, Mapping):
        raise TypeError(
            "overrides must be a mapping of dotted parameter paths to values, e.g. "
            f"{{'certificate_price_eur.2030': 120}}, not {type(overrides).__name__}"
        )
    path = _resolve_path(name_or_path, None)
    raw = _load_raw(path, ())
    apply_overrides(raw, overrides or {}, "overrides")
    where = f"{path} with the overrides given" if overrides else str(path)
    try:
        return path, _known_names(raw, where)
    except ScenarioError as exc:
        # A name the parent file gives is named in that file, as load_scenario names a value.
        parent = parent_path(raw)
        problem = str(exc).removeprefix(f"{where}: invalid scenario: ")
        if parent is not None:
            try:
                read_raw(parent)
            except ScenarioError as own:
                if str(own).endswith(problem):
                    raise ScenarioError(f"{path}: extends: {own}") from None
        raise
