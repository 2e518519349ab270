"""The catalogue of invariants every scenario must satisfy, each with why it must hold."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from cbam._pipeline import compute
from cbam._recycling import recycle
from cbam._scenario import Scenario, load_scenario
from cbam._summary import summarise

Check = Callable[[pl.DataFrame, Scenario], bool]
_TOL = 1e-9


@dataclass(frozen=True)
class Property:
    """One invariant: a name, why it must hold, and a check over a panel and a scenario."""

    name: str
    why: str
    check: Check


def _close(a: pl.Series, b: pl.Series, rel: float = 1e-9) -> bool:
    frame = pl.DataFrame({"a": a, "b": b}).fill_null(0.0)
    scale = pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs()) + 1.0
    return bool(frame.select(((pl.col("a") - pl.col("b")).abs() <= rel * scale).all()).item())


def _same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Equal frames, floats to 1e-12 relative (sums may associate differently)."""
    try:
        assert_frame_equal(a, b, rel_tol=1e-12, abs_tol=1e-12)
    except AssertionError:
        return False
    return True


def _override(scenario: Scenario, **changes: object) -> Scenario:
    return Scenario.model_validate({**scenario.model_dump(), **changes})


def _with_price(scenario: Scenario, prices: dict[int, float]) -> Scenario | None:
    """The scenario with its carbon price set to ``prices`` (year -> price).

    Whatever the regime: the EU certificate price, or a design's charge price in its own
    currency. ``None`` where the regime charges no price (ad valorem designs).
    """
    design = scenario.resolved_design()
    if design is None:
        return _override(scenario, certificate_price_eur=prices)
    if design.charge.price is None:
        return None
    reference = {"title": "property test", "href": "https://example.org"}
    values = [
        {"from": year, "value": price, "reference": reference} for year, price in prices.items()
    ]
    price = {"description": "test price", "unit": f"{design.currency} per t", "values": values}
    changes = {**scenario.design, "charge": {**scenario.design.get("charge", {}), "price": price}}
    return _override(scenario, design=changes)


def _fee_non_negative(panel: pl.DataFrame, scenario: Scenario) -> bool:
    fee = compute(panel, scenario)["fee_eur"]
    return fee.null_count() == 0 and not fee.is_nan().any() and bool((fee >= 0).all())


def _rows_kept_in_order(panel: pl.DataFrame, scenario: Scenario) -> bool:
    out = compute(panel, scenario)
    return out.height == panel.height and out.select(panel.columns).equals(panel)


def _linear_in_quantity(panel: pl.DataFrame, scenario: Scenario) -> bool:
    # A shipment three times as large: three times the mass and the customs value.
    plain = panel.drop("importer", strict=False)
    base = compute(plain, scenario)["fee_eur"]
    larger = plain.with_columns(pl.col("quantity_t") * 3)
    if "value_eur" in plain.columns:
        larger = larger.with_columns(pl.col("value_eur") * 3)
    tripled = compute(larger, scenario)["fee_eur"]
    return _close(tripled, base * 3, rel=1e-7)


def _zero_intensity_pays_nothing(panel: pl.DataFrame, scenario: Scenario) -> bool:
    fee = compute(_with_actuals(panel, 0.0), scenario)["fee_eur"]
    return bool((fee == 0.0).all())


def _with_actuals(panel: pl.DataFrame, direct: float) -> pl.DataFrame:
    return panel.with_columns(
        pl.lit(direct).alias("see_direct"), pl.lit(0.1 * direct).alias("see_indirect")
    )


def _monotone_in_intensity(panel: pl.DataFrame, scenario: Scenario) -> bool:
    low = compute(_with_actuals(panel, 1.0), scenario)["fee_eur"]
    high = compute(_with_actuals(panel, 2.0), scenario)["fee_eur"]
    return bool((high >= low - _TOL * (1 + low.abs())).all())


def _monotone_in_certificate_price(panel: pl.DataFrame, scenario: Scenario) -> bool:
    first = scenario.rules_years[0]
    cheap, dear = _with_price(scenario, {first: 50.0}), _with_price(scenario, {first: 100.0})
    if cheap is None or dear is None:
        return True  # an ad valorem design charges no carbon price
    low = compute(panel, cheap)["fee_eur"]
    high = compute(panel, dear)["fee_eur"]
    return bool((high >= low - _TOL * (1 + low.abs())).all())


def _decreasing_in_price_abroad(panel: pl.DataFrame, scenario: Scenario) -> bool:
    def fee(paid: float) -> pl.Series:
        priced = panel.with_columns(pl.lit(paid).alias("carbon_price_paid_eur_per_t"))
        return compute(priced, scenario)["fee_eur"]

    low, high = fee(0.0), fee(30.0)
    return bool((high <= low + _TOL * (1 + low.abs())).all())


def _exempt_rows_pay_nothing(panel: pl.DataFrame, scenario: Scenario) -> bool:
    out = compute(panel, scenario).filter(pl.col("exempt"))
    return bool((out["fee_eur"].fill_null(-1.0) == 0).all()) and (
        out["exemption_reason"].null_count() == 0
    )


def _exemptions_never_raise_a_fee(panel: pl.DataFrame, scenario: Scenario) -> bool:
    without = _override(scenario, exemptions=[], de_minimis=False)
    base = compute(panel, without)["fee_eur"]
    fee = compute(panel, scenario)["fee_eur"]
    return bool((fee <= base + _TOL * (1 + base.abs())).all())


def _totals_are_sums_of_rows(panel: pl.DataFrame, scenario: Scenario) -> bool:
    out = compute(panel, scenario)
    total = summarise(out, by=["origin", "sector"])["fee_eur"].sum()
    return math.isclose(total, out["fee_eur"].sum(), rel_tol=1e-9, abs_tol=1e-6)


def _independent_of_row_order(panel: pl.DataFrame, scenario: Scenario) -> bool:
    ided = panel.with_row_index("_row")
    whole = compute(ided, scenario)
    shuffled = compute(ided.reverse(), scenario).sort("_row")
    return _same(whole, shuffled)


def _independent_of_batching(panel: pl.DataFrame, scenario: Scenario) -> bool:
    # Batches keep each importer's year together: the de minimis rule sums over it.
    ided = panel.with_row_index("_row")
    key = pl.col("importer") if "importer" in panel.columns else pl.lit("")
    first = pl.concat_str([key, pl.col("year").cast(pl.String)]).hash(7) % 2 == 0
    whole = compute(ided, scenario)
    parts = pl.concat(
        [compute(ided.filter(first), scenario), compute(ided.filter(~first), scenario)]
    ).sort("_row")
    return _same(whole, parts)


def _extension_is_identical(panel: pl.DataFrame, scenario: Scenario) -> bool:
    if scenario.source is None:
        return True
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "child.yaml"
        path.write_text(f"extends: {scenario.source}\nname: {scenario.name}\n", "utf-8")
        child = load_scenario(path)
    return _same(compute(panel, child), compute(panel, scenario))


def _year_parameter_is_local(panel: pl.DataFrame, scenario: Scenario) -> bool:
    # Raise the price from 2030 on: rows under earlier rules years must not move.
    first = scenario.rules_years[0]
    flat = _with_price(scenario, {first: 80.0, first + 4: 80.0})
    raised = _with_price(scenario, {first: 80.0, first + 4: 120.0})
    if flat is None or raised is None:
        return True  # an ad valorem design charges no carbon price
    base = compute(panel, flat)
    moved = compute(panel, raised)
    early = pl.col("rules_year") < first + 4
    return _same(base.filter(early), moved.filter(early))


def _revenue_recycled_is_revenue_raised(panel: pl.DataFrame, scenario: Scenario) -> bool:
    if scenario.recycling is None:
        return True
    out = compute(panel, scenario)
    result = recycle(out, scenario)
    raised = round(out["fee_eur"].sum() * 100)
    return int(result.flows["amount_cents"].sum()) == result.total_cents and abs(
        result.total_cents - raised
    ) <= len(out)


CATALOGUE: tuple[Property, ...] = (
    Property(
        "fee_non_negative",
        "certificates are max(0, ...) times a non-negative price; no null or NaN fee",
        _fee_non_negative,
    ),
    Property(
        "rows_in_equal_rows_out",
        "one output row per input row, in order, input columns unchanged",
        _rows_kept_in_order,
    ),
    Property(
        "fee_linear_in_quantity",
        "embedded emissions, adjustment and deduction are all quantity x a per-tonne value, "
        "an ad valorem fee is value x a rate: a shipment three times as large pays three "
        "times as much (checked without importers: thresholds are not linear)",
        _linear_in_quantity,
    ),
    Property(
        "zero_intensity_pays_nothing",
        "a good with zero actual embedded emissions owes nothing under any design",
        _zero_intensity_pays_nothing,
    ),
    Property(
        "fee_monotone_in_intensity",
        "a higher actual intensity raises embedded emissions and never the adjustment",
        _monotone_in_intensity,
    ),
    Property(
        "fee_monotone_in_certificate_price",
        "fee = max(0, embedded - adjustment) x price - embedded x price paid abroad, "
        "non-decreasing in the price (vacuous for ad valorem designs)",
        _monotone_in_certificate_price,
    ),
    Property(
        "fee_decreasing_in_price_paid_abroad",
        "the Art. 9 deduction only grows with the price paid abroad",
        _decreasing_in_price_abroad,
    ),
    Property(
        "exempt_rows_pay_nothing",
        "an exempt row has fee 0 and names its rule",
        _exempt_rows_pay_nothing,
    ),
    Property(
        "exemptions_never_raise_a_fee",
        "an exemption waives or scales down the would-be fee, row by row",
        _exemptions_never_raise_a_fee,
    ),
    Property(
        "totals_equal_sum_of_rows",
        "summarise adds rows; nothing is dropped or counted twice",
        _totals_are_sums_of_rows,
    ),
    Property(
        "independent_of_row_order",
        "rules read each row with its origin, code and year (and the importer's year)",
        _independent_of_row_order,
    ),
    Property(
        "independent_of_batching",
        "a panel split into batches that keep each importer's year together gives the same rows",
        _independent_of_batching,
    ),
    Property(
        "extension_without_overrides_is_identical",
        "extends: with nothing changed is the same scenario",
        _extension_is_identical,
    ),
    Property(
        "revenue_recycled_equals_revenue_raised",
        "a recycling plan allocates every cent of the fees, no more (integer cents, "
        "largest-remainder rounding)",
        _revenue_recycled_is_revenue_raised,
    ),
    Property(
        "year_parameter_changes_only_its_years",
        "parameters are step functions of the rules year: raising the price four years "
        "after the first rules year leaves earlier years untouched",
        _year_parameter_is_local,
    ),
)
