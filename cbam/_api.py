"""Public entry points that start from a scenario and hand its parts to the layers below.

The layers below take what they need (a recycling plan, a folder), never a scenario's name:
this is where a name or path becomes a ``Scenario`` and the scenario gives those parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from cbam import _recycling
from cbam._errors import ScenarioError, shorten
from cbam._recycling import Recycling, RecyclingPlan, list_recycling_plans
from cbam._resolve import load_scenario, resolve
from cbam._scenario import Scenario, list_scenarios
from cbam._yaml import read_yaml_mapping


def recycle(
    fees: pl.DataFrame | pl.LazyFrame,
    scenario: Scenario | str | Path | RecyclingPlan | dict[str, Any] = "eu-cbam",
    plan: RecyclingPlan | str | Path | dict[str, Any] | None = None,
) -> Recycling:
    """Allocate the revenue of a ``compute`` result under the scenario's recycling plan.

    Args:
        fees: A frame returned by ``cbam.compute`` (at least ``origin`` and ``fee_eur``; ``year``
            when a group's membership is judged by the fees' year; ``fee_before_exemptions_eur``
            for ``basis: fee_before_exemptions_eur``).
        scenario: The scenario whose ``recycling:`` plan applies (name, path or Scenario);
            or the plan itself (``recycle(fees, plan)``: a RecyclingPlan, a mapping, a bundled
            plan's name or a plan file), applied on the EU CBAM's territory.
        plan: A plan to apply instead (bundled name, YAML path, mapping or RecyclingPlan).

    Returns:
        A ``Recycling`` with the pools, the flows and the balance per country.

    Raises:
        ScenarioError: no plan, or a plan that cannot be applied to these fees (a pool with
            money and no eligible recipient, a fixed amount above what remains, an unknown
            group or index table), naming the allocation.
        CbamInputError: missing columns, or a null, negative or non-finite fee.

    Example:
        >>> import polars as pl, cbam
        >>> fees = pl.DataFrame({"origin": ["TUR", "CHN"], "fee_eur": [600.0, 400.0]})
        >>> r = cbam.recycle(fees, "eu-cbam-own-resources")
        >>> r.total_eur, r.flows.select("recipient", "amount_eur").rows()
        (1000.0, [('EU budget', 750.0), ("Member States' budgets", 250.0)])

    """
    if _is_plan(scenario):
        if plan is not None:
            raise TypeError("recycle: a plan given twice (second argument and plan=)")
        scenario, plan = "eu-cbam", scenario
    if isinstance(scenario, RecyclingPlan | dict):  # a plan file's mapping, say: not a scenario
        raise TypeError(
            f"recycle: scenario must be a Scenario, a name or a path, not {type(scenario).__name__}"
        )
    try:
        chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    except ScenarioError as exc:
        if not isinstance(scenario, str) or not str(exc).startswith("unknown scenario"):
            raise
        # The slot takes a plan's name too: a typo of one is told among both kinds.
        raise ScenarioError(
            f"unknown scenario or recycling plan '{shorten(scenario, 80)}' (scenarios: "
            f"{', '.join(list_scenarios())}; plans: {', '.join(list_recycling_plans())}; or "
            "give a YAML path)"
        ) from None
    applied = plan if plan is not None else chosen.recycling
    if applied is None:
        raise ScenarioError(
            f"scenario '{chosen.name}' has no recycling plan: add 'recycling:' to it or pass "
            f"plan= (bundled plans: {', '.join(list_recycling_plans())})"
        )
    # A plan inline in the scenario reads its relative paths from the scenario's folder.
    base_dir = Path(chosen.source).parent if chosen.source else None
    design = resolve(chosen).design
    # Its own parts are no foreign recipient; another regime's fees are not its revenue.
    return _recycling.recycle(
        fees, applied, base_dir=base_dir, territory=design.territory, currency=design.currency
    )


def _is_plan(given: object) -> bool:
    """Whether ``recycle``'s second argument is a plan, not a scenario."""
    if isinstance(given, RecyclingPlan | dict):
        return True
    if isinstance(given, str) and given in list_recycling_plans():
        return given not in list_scenarios()
    if isinstance(given, str | Path) and str(given).lower().endswith((".yaml", ".yml")):
        try:
            return "allocations" in read_yaml_mapping(Path(given))
        except (OSError, ValueError):
            return False  # not readable: load_scenario says why
    return False
