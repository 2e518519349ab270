"""``check_scenario``: run the invariant catalogue against a scenario with hypothesis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl
from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from cbam._errors import CbamInputError, ScenarioError
from cbam._resolve import load_scenario, resolve
from cbam._scenario import Scenario
from cbam.testing._catalogue import CATALOGUE, Property
from cbam.testing.strategies import import_panels


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of one property: holds, or the smallest counterexample found."""

    name: str
    why: str
    holds: bool
    examples: int
    counterexample: pl.DataFrame | None = None
    error: str | None = None


@dataclass(frozen=True)
class CheckReport:
    """Every property's result for one scenario."""

    scenario: str
    results: list[PropertyResult] = field(default_factory=list)

    @property
    def all_hold(self) -> bool:
        """Whether every property held on every example tried."""
        return all(r.holds for r in self.results)


def check_scenario(
    scenario: Scenario | str,
    *,
    max_examples: int = 25,
    max_rows: int = 12,
    properties: Sequence[str] | None = None,
) -> CheckReport:
    """Run every property of ``CATALOGUE`` against a scenario on generated import panels.

    Hypothesis searches for a panel on which the property fails and shrinks it to the smallest
    one; the search is derandomised, so a report is reproducible.

    Args:
        scenario: A ``Scenario``, or a bundled name or YAML path.
        max_examples: Panels tried per property.
        max_rows: Largest panel generated.
        properties: Names of the properties to run (default: the whole catalogue).

    Example:
        >>> report = check_scenario("eu-cbam", max_examples=3)
        >>> report.all_hold, len(report.results)
        (True, 17)

    """
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    base = settings(deadline=None, database=None, derandomize=True)  # reproducible, no files
    config = settings(base, max_examples=max_examples, suppress_health_check=list(HealthCheck))
    chosen_props = [p for p in CATALOGUE if properties is None or p.name in properties]
    if unknown := set(properties or ()) - {p.name for p in CATALOGUE}:
        raise ValueError(f"unknown properties {sorted(unknown)}")
    # Panels start in the regime's first rules year; ad valorem designs need customs values.
    resolved = resolve(chosen)
    first, last = resolved.rules_years[0], resolved.rules_years[-1]
    panels = import_panels(
        max_rows=max_rows,
        first_year=first,
        last_year=None if chosen.rules_year is not None else last,  # any year, one year's rules
        with_values=resolved.design.charge.charges_value,
    )

    def result(prop: Property) -> PropertyResult:
        errors: list[str] = []

        def fails(panel: pl.DataFrame) -> bool:
            try:
                return not prop.check(panel, chosen)
            except (CbamInputError, ScenarioError, ArithmeticError, ValueError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return True

        try:
            example = find(panels, fails, settings=config)
        except NoSuchExample:
            return PropertyResult(prop.name, prop.why, True, max_examples)
        error = errors[-1] if errors else None
        return PropertyResult(prop.name, prop.why, False, max_examples, example, error)

    return CheckReport(chosen.name, [result(p) for p in chosen_props])
