"""Scenarios: YAML files validated by pydantic, which can extend one another.

A scenario names a regime and overrides any of its parameters. ``extends: NAME`` starts from
another scenario (bundled name or path); the child's keys are merged into the parent's
(mappings merge key by key, other values replace), then ``overrides:`` applies dotted paths such
as ``certificate_price_eur.2030: 120``. Parameters left unset (null) take the cited defaults in
``rates/``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cbam._carbon_prices import CarbonPriceAbroad
from cbam._design import EU_ENGINE, Design, is_design_file, load_design, regime_path
from cbam._errors import ScenarioError, validation_problems
from cbam._exemptions import Exemption
from cbam._recycling import RecyclingPlan
from cbam._resources import bundled_or_path, scenarios_dir
from cbam._yaml import deep_merge, read_yaml_mapping

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PriceSchedule = Price | dict[int, Price | dict[Literal[1, 2, 3, 4], Price]]


class Scenario(BaseModel):
    """A validated scenario.

    Attributes:
        name: Short name, printed in outputs.
        description: One line on what the scenario models.
        regime: The rule set: ``eu-cbam`` (the EU engine), a bundled design of
            ``rates/regimes/`` (``uk-cbam``, ``us-cca-2025``, ``us-fpf-2025``) or a design
            file's path (see ``cbam._design``).
        design: Changes to the regime design's values (mappings merge key by key), e.g.
            ``{"currency": "USD"}``; only for designs.
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
        excluded_origin_groups: Country groups (files in ``country_lists/``) outside the regime;
            ``None`` takes the regime's own (``rates/eu/regime.yaml``).
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
    rules_year: int | None = None
    certificate_price_eur: PriceSchedule | None = None
    cbam_factor: dict[int, Share] | None = None
    cross_sectoral_correction_factor: Share | dict[int, Share] | None = None
    clinker_share: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(default_factory=dict)
    actual_values_benchmark: Literal["A", "B"] = "A"
    excluded_origin_groups: list[str] | None = None
    exemptions: list[Exemption] = Field(default_factory=list)
    exemption_status_year: Literal["import", "rules"] = "import"
    de_minimis: bool = True
    carbon_price_abroad: CarbonPriceAbroad = Field(default_factory=CarbonPriceAbroad)
    recycling: RecyclingPlan | None = None
    extends: str | None = None
    source: str | None = None

    @field_validator("clinker_share")
    @classmethod
    def _clinker_headings(cls, value: dict[str, float]) -> dict[str, float]:
        from cbam._eu.config import clinker_shares

        known = clinker_shares().headings
        bad = [k for k in value if k not in known]
        if bad:
            raise ValueError(
                f"clinker_share applies to the clinker-based cement headings {sorted(known)}; "
                f"not to {bad}"
            )
        return value

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

    @model_validator(mode="after")
    def _fits_regime(self) -> Scenario:
        if self.regime == EU_ENGINE:
            from cbam._eu.config import regime

            if self.design:
                raise ValueError("'design' changes apply to design regimes, not to eu-cbam")
            first, last = regime().first_rules_year, regime().last_rules_year
        else:
            try:
                design = self.resolved_design()
            except ScenarioError as exc:
                raise ValueError(str(exc)) from exc
            assert design is not None
            eu_only = {
                "certificate_price_eur": self.certificate_price_eur,
                "cbam_factor": self.cbam_factor,
                "cross_sectoral_correction_factor": self.cross_sectoral_correction_factor,
            }
            set_here = [k for k, v in eu_only.items() if v is not None]
            if self.actual_values_benchmark != "A":
                set_here.append("actual_values_benchmark")
            if set_here:
                raise ValueError(
                    f"{', '.join(set_here)} apply to the eu-cbam engine only; change a "
                    f"design's values under 'design:' (e.g. design.charge.price)"
                )
            first, last = design.first_rules_year, design.last_rules_year
        if self.rules_year is not None and not first <= self.rules_year <= last:
            raise ValueError(
                f"rules_year must be between {first} and {last}, not {self.rules_year}"
            )
        return self

    def resolved_design(self) -> Design | None:
        """The regime design with the scenario's changes (``None`` for the EU engine)."""
        if self.regime == EU_ENGINE:
            return None
        base = Path(self.source).parent if self.source else None
        path = regime_path(self.regime, base)
        key = (str(path.resolve()), json.dumps(self.design, sort_keys=True, default=str))
        if key not in _DESIGNS:
            _DESIGNS[key] = load_design(path, self.design)
        return _DESIGNS[key]

    @property
    def rules_years(self) -> tuple[int, int]:
        """The first and last years the scenario's regime has rules for."""
        design = self.resolved_design()
        if design is not None:
            return design.first_rules_year, design.last_rules_year
        from cbam._eu.config import regime

        return regime().first_rules_year, regime().last_rules_year

    @property
    def origin_groups(self) -> list[str]:
        """The excluded origin groups in force: the scenario's, else the regime's."""
        if self.excluded_origin_groups is not None:
            return list(self.excluded_origin_groups)
        design = self.resolved_design()
        if design is not None:
            return list(design.excluded_origin_groups)
        from cbam._eu.config import regime

        return list(regime().excluded_origin_groups)


_DESIGNS: dict[tuple[str, str], Design] = {}


def list_scenarios() -> dict[str, str]:
    """Bundled scenario names with their one-line descriptions.

    Example:
        >>> "eu-cbam" in list_scenarios()
        True

    """
    result: dict[str, str] = {}
    for path in sorted(scenarios_dir().glob("*.yaml")):
        raw = read_yaml_mapping(path)
        result[path.stem] = str(raw.get("description", "")).strip()
    return result


def _resolve_path(name_or_path: str | Path, relative_to: Path | None) -> Path:
    text = str(name_or_path)
    return bundled_or_path(text, scenarios_dir(), relative_to, "scenario", list_scenarios)


def _set_dotted(tree: dict[Any, Any], dotted: str, value: Any, where: str) -> None:
    parts = dotted.split(".")
    if len(parts) > 1 and tree.get(parts[0]) is None:
        # Refine the cited default (e.g. one year of the price path) rather than replace it.
        from cbam._eu.config import parameter_defaults

        seed = parameter_defaults().get(parts[0])
        if seed is not None:
            tree[parts[0]] = copy.deepcopy(seed)
    node: dict[Any, Any] = tree
    for depth, part in enumerate(parts):
        # YAML keys may be ints (years, quarters): match a segment to an existing key by text.
        key: Any = next((k for k in node if str(k) == part), part)
        if depth == len(parts) - 1:
            node[key] = value
            return
        child = node.get(key)
        if child is None or not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    raise ScenarioError(f"{where}: empty override path")


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ScenarioError(f"scenario extends itself: {cycle}")
    raw = read_yaml_mapping(path)
    if is_design_file(raw):
        # A design file runs as a scenario of its own regime, with nothing changed.
        raw = {
            "name": str(raw.get("name", path.stem)),
            "description": str(raw.get("description", "")),
            "regime": str(path.resolve()),
        }
    regime = raw.get("regime")
    if isinstance(regime, str) and regime.endswith((".yaml", ".yml")):
        raw["regime"] = str((path.parent / regime).resolve())
    parent_name = raw.pop("extends", None)
    overrides = raw.pop("overrides", None) or {}
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}: 'overrides' must be a mapping of dotted paths to values")
    if parent_name is not None:
        parent_path = _resolve_path(str(parent_name), path.parent)
        base = _load_raw(parent_path, (*chain, resolved))
        base.pop("source", None)
        raw = deep_merge(base, raw)
        raw["extends"] = str(parent_name)
    for dotted, value in overrides.items():
        _set_dotted(raw, str(dotted), value, str(path))
    raw["source"] = str(path.resolve())
    return raw


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a bundled scenario by name, or a scenario YAML file by path.

    Args:
        name_or_path: A bundled name (``cbam scenarios`` lists them) or a path to a YAML file.
        overrides: Dotted parameter paths and their values, applied last, e.g.
            ``{"certificate_price_eur": 80}`` or ``{"clinker_share.25232900": 0.8}``.

    Raises:
        ScenarioError: unknown name, missing or malformed file, unknown key or invalid value,
            naming the file and the offending key.

    Example:
        >>> load_scenario("eu-cbam", overrides={"rules_year": 2030}).rules_year
        2030

    """
    path = _resolve_path(name_or_path, None)
    raw = _load_raw(path, ())
    for dotted, value in (overrides or {}).items():
        _set_dotted(raw, dotted, value, "overrides")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise ScenarioError(f"{path}: invalid scenario: {problems}") from exc
