"""The catalogue of invariants every scenario must satisfy, each with why it must hold."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import polars.selectors as cs
from polars.testing import assert_frame_equal

from cbam._api import recycle
from cbam._carbon_prices import fx_by_year
from cbam._eu.config import exact_sums
from cbam._eu.reference import default_values
from cbam._pipeline import compute
from cbam._resolve import load_scenario, rebuilt, resolve
from cbam._scenario import Scenario
from cbam._summary import summarise
from cbam.testing.strategies import code_sectors, routes_of

Check = Callable[[pl.DataFrame, Scenario], bool]
_TOL = 1e-9
_PROPERTIES: list[Property] = []  # CATALOGUE, in the order the checks below are defined
_EXEMPT = "exempt (importer at or below threshold)"
_LIABLE = "liable (importer above threshold)"
_COUNTED = (_EXEMPT, _LIABLE, "not applied (customs value missing)")


@dataclass(frozen=True)
class Property:
    """One invariant: a name, why it must hold, and a check over a panel and a scenario."""

    name: str
    why: str
    check: Check


def _invariant(why: str) -> Callable[[Check], Check]:
    """Add the decorated check to ``CATALOGUE``, in order, named as the function less its ``_``."""

    def add(check: Check) -> Check:
        _PROPERTIES.append(Property(check.__name__.removeprefix("_"), why, check))
        return check

    return add


def _same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Equal frames, floats to 1e-12 relative (sums may associate differently)."""
    try:
        assert_frame_equal(a, b, rel_tol=1e-12, abs_tol=1e-12)
    except AssertionError:
        return False
    return True


def _override(scenario: Scenario, **changes: object) -> Scenario:
    return rebuilt({**scenario.model_dump(), **changes}, f"scenario '{scenario.name}'")


def _with_price(scenario: Scenario, prices: dict[int, float]) -> Scenario | None:
    """The scenario charging ``prices`` (year -> price, in its currency); None if ad valorem."""
    design = resolve(scenario).design
    if design.charge.certificate_price is not None:  # the EU CBAM's: certificate_price_eur
        return _override(scenario, certificate_price_eur=prices)
    if design.charge.price is None:
        return None
    reference = {"title": "property test", "href": "https://example.org"}
    values = [{"from": y, "value": p, "reference": reference} for y, p in prices.items()]
    price = {"description": "test price", "unit": f"{design.currency} per t", "values": values}
    changes = {**scenario.design, "charge": {**scenario.design.get("charge", {}), "price": price}}
    return _override(scenario, design=changes)


def _route(index: int) -> pl.Expr:
    """The ``index``-th route of each row's sector (null for goods without routes)."""
    routes = {code: found[index] for code in code_sectors() if (found := routes_of(code))}
    return pl.col("cn_code").str.replace_all(" ", "").replace_strict(routes, default=None)


def _with_actuals(panel: pl.DataFrame, direct: float) -> pl.DataFrame:
    # Actual values need the row's route where the benchmark depends on it: its sector's first.
    out = panel.with_columns(see_direct=pl.lit(direct), see_indirect=pl.lit(0.1 * direct))
    return out if "route" in panel.columns else out.with_columns(_route(0).alias("route"))


@_invariant("certificates are max(0, ...) times a non-negative price; no null or NaN fee")
def _fee_non_negative(panel: pl.DataFrame, scenario: Scenario) -> bool:
    fee = compute(panel, scenario)["fee_eur"]
    return fee.null_count() == 0 and not fee.is_nan().any() and bool((fee >= 0).all())


@_invariant("one output row per input row, in order, input columns unchanged")
def _rows_in_equal_rows_out(panel: pl.DataFrame, scenario: Scenario) -> bool:
    return compute(panel, scenario).select(panel.columns).equals(panel)


@_invariant(
    "embedded emissions, adjustment and deduction are all quantity x a per-tonne value, an ad "
    "valorem fee is value x a rate: a shipment three times as large pays three times as much "
    "(checked without importers: thresholds are not linear)"
)
def _fee_linear_in_quantity(panel: pl.DataFrame, scenario: Scenario) -> bool:
    plain = panel.drop("importer", strict=False)
    larger = plain.with_columns(cs.by_name("quantity_t", "value_eur", require_all=False) * 3)
    fees = {"a": compute(larger, scenario)["fee_eur"], "b": compute(plain, scenario)["fee_eur"] * 3}
    scale = pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs()) + 1.0
    close = (pl.col("a") - pl.col("b")).abs() <= 1e-7 * scale
    return bool(pl.DataFrame(fees).fill_null(0.0).select(close.all()).item())


@_invariant("a good with zero actual embedded emissions owes nothing under any design")
def _zero_intensity_pays_nothing(panel: pl.DataFrame, scenario: Scenario) -> bool:
    return bool((compute(_with_actuals(panel, 0.0), scenario)["fee_eur"] == 0.0).all())


@_invariant("a higher actual intensity raises embedded emissions and never the adjustment")
def _fee_monotone_in_intensity(panel: pl.DataFrame, scenario: Scenario) -> bool:
    low, high = (compute(_with_actuals(panel, d), scenario)["fee_eur"] for d in (1.0, 2.0))
    return bool((high >= low - _TOL * (1 + low.abs())).all())


@_invariant(
    "fee = max(0, embedded - adjustment) x price - embedded x price paid abroad, non-decreasing in "
    "the price (vacuous for ad valorem designs)"
)
def _fee_monotone_in_certificate_price(panel: pl.DataFrame, scenario: Scenario) -> bool:
    first = resolve(scenario).rules_years[0]
    cheap, dear = _with_price(scenario, {first: 50.0}), _with_price(scenario, {first: 100.0})
    if cheap is None or dear is None:
        return True  # an ad valorem design charges no carbon price
    low, high = compute(panel, cheap)["fee_eur"], compute(panel, dear)["fee_eur"]
    return bool((high >= low - _TOL * (1 + low.abs())).all())


@_invariant("the Art. 9 deduction only grows with the price paid abroad")
def _fee_decreasing_in_price_paid_abroad(panel: pl.DataFrame, scenario: Scenario) -> bool:
    priced = (panel.with_columns(carbon_price_paid_eur_per_t=pl.lit(p)) for p in (0.0, 30.0))
    low, high = (compute(frame, scenario)["fee_eur"] for frame in priced)
    return bool((high <= low + _TOL * (1 + low.abs())).all())


@_invariant("an exempt row has fee 0 and names its rule")
def _exempt_rows_pay_nothing(panel: pl.DataFrame, scenario: Scenario) -> bool:
    out = compute(panel, scenario).filter(pl.col("exempt"))
    free = bool((out["fee_eur"].fill_null(-1.0) == 0).all())
    return free and out["exemption_reason"].null_count() == 0


@_invariant("an exemption waives or scales down the would-be fee, row by row")
def _exemptions_never_raise_a_fee(panel: pl.DataFrame, scenario: Scenario) -> bool:
    threshold = resolve(scenario).design.threshold is not None  # else none to switch off
    without = _override(scenario, exemptions=[], **({"de_minimis": False} if threshold else {}))
    base, fee = (compute(panel, s)["fee_eur"] for s in (without, scenario))
    return bool((fee <= base + _TOL * (1 + base.abs())).all())


@_invariant("summarise adds rows; nothing is dropped or counted twice")
def _totals_equal_sum_of_rows(panel: pl.DataFrame, scenario: Scenario) -> bool:
    out = compute(panel, scenario)
    total = summarise(out, by=["origin", "sector"])["fee_eur"].sum()
    return math.isclose(total, out["fee_eur"].sum(), rel_tol=1e-9, abs_tol=1e-6)


@_invariant("rules read each row with its origin, code and year (and the importer's year)")
def _independent_of_row_order(panel: pl.DataFrame, scenario: Scenario) -> bool:
    ided = panel.with_row_index("_row")
    return _same(compute(ided, scenario), compute(ided.reverse(), scenario).sort("_row"))


@_invariant(
    "a panel split into batches that keep each importer's year together gives the same rows"
)
def _independent_of_batching(panel: pl.DataFrame, scenario: Scenario) -> bool:
    # Batches keep each importer's year together: the de minimis rule sums over it.
    ided = panel.with_row_index("_row")
    key = pl.col("importer") if "importer" in panel.columns else pl.lit("")
    first = pl.concat_str([key, pl.col("year").cast(pl.String)]).hash(7) % 2 == 0
    parts = pl.concat([compute(ided.filter(batch), scenario) for batch in (first, ~first)])
    return _same(compute(ided, scenario), parts.sort("_row"))


@_invariant("extends: with nothing changed is the same scenario")
def _extension_without_overrides_is_identical(panel: pl.DataFrame, scenario: Scenario) -> bool:
    if scenario.source is None:
        return True
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "child.yaml"
        path.write_text(f"extends: {scenario.source}\nname: {scenario.name}\n", "utf-8")
        child = load_scenario(path)
    return _same(compute(panel, child), compute(panel, scenario))


@_invariant(
    "a recycling plan allocates every cent of the fees, no more (integer cents, largest-remainder "
    "rounding)"
)
def _revenue_recycled_equals_revenue_raised(panel: pl.DataFrame, scenario: Scenario) -> bool:
    if scenario.recycling is None:
        return True
    out = compute(panel, scenario)
    result = recycle(out, scenario)
    raised, cents = round(out["fee_eur"].sum() * 100), result.total_cents
    return int(result.flows["amount_cents"].sum()) == cents and abs(cents - raised) <= len(out)


def _known_default_routes() -> dict[tuple[str, str], bool]:
    """(origin, heading) -> whether every default-value row of it names a route."""
    rows = default_values().group_by("origin", "cn_code").agg((pl.col("route") != "").all())
    return {(o, c): bool(n) for o, c, n in rows.iter_rows()}


@_invariant(
    "with default values the benchmark is the route the default-value table names ('underlying "
    "production route determining CBAM BM', IR 2025/2621): where it names one, the row's route "
    "never changes the fee"
)
def _default_value_route_decides(panel: pl.DataFrame, scenario: Scenario) -> bool:
    plain = panel.drop("route", "see_direct", "see_indirect", strict=False)
    base = compute(plain, scenario)
    # Another route of the row's sector than the one its benchmark used (last, else first).
    used = pl.lit(base["benchmark_route"].cast(pl.String))
    other = pl.when(used == _route(-1)).then(_route(0)).otherwise(_route(-1))
    after = compute(plain.with_columns(other.alias("route")), scenario)
    named = _known_default_routes()
    for b, a in zip(base.iter_rows(named=True), after.iter_rows(named=True), strict=True):
        heading = b["default_value_heading"]
        if heading is None or heading.startswith("mean of ") or a["route"] is None:
            continue
        origin, _, code = heading.partition(" ")
        # The route may pick another published default value (grey or white clinker).
        same_default = (a["default_value_heading"], a["see_t_per_t"]) == (heading, b["see_t_per_t"])
        named_route = named.get((origin, code.replace(" ", "")), False)
        fee_kept = math.isclose(a["fee_eur"], b["fee_eur"], rel_tol=1e-12, abs_tol=1e-9)
        if same_default and named_route and not fee_kept:
            return False
    return True


@_invariant(
    "an importer whose year sums exactly to the threshold (de minimis 50 t, a design's value "
    "threshold) is exempt in any row order, split or engine, and liable one gram or cent above: "
    "sums are whole units (rates/eu/exact_sums.yaml)"
)
def _thresholds_decided_exactly(panel: pl.DataFrame, scenario: Scenario) -> bool:
    year = int(panel["year"][0])
    rules_year = scenario.rules_year or year
    design = resolve(scenario).design
    threshold = design.threshold  # per importer and year
    if not scenario.de_minimis or threshold is None:
        return True  # no threshold applies
    try:
        basis, amount = threshold.basis, threshold.amount.at_year(rules_year).value
    except KeyError:
        return True  # no threshold yet in that year
    sums = exact_sums()
    one = 10.0 ** (sums.mass_decimals if basis == "mass" else sums.value_decimals)
    eur_per_unit = 1.0
    rows = panel.with_columns(year=pl.lit(year), importer=pl.lit("importer-1"))
    if basis == "value":
        fx = fx_by_year(range(rules_year, rules_year + 1))
        eur_per_unit = float(fx.filter(pl.col("currency") == design.currency)["eur_per_unit"][0])
        value = pl.col("value_eur").fill_null(1.0) if "value_eur" in rows.columns else pl.lit(1.0)
        rows = rows.with_columns(value_eur=value)
    counted = compute(rows, scenario)["de_minimis"].cast(pl.String).is_in(_COUNTED)
    if not counted.any():
        return True
    column = "quantity_t" if basis == "mass" else "value_eur"
    weights = [float(q) + 1.0 for q in rows.filter(counted)["quantity_t"]]
    # Amounts that sum to the threshold exactly in whole units, not as floats.
    total, step, scale = round(amount * one), max(1, int(one) // 1000), sum(weights) or 1.0
    parts = [int(total * w / scale) // step * step for w in weights]
    parts[-1] += total - sum(parts)

    def with_parts(frame: pl.DataFrame, mask: pl.Series, units: list[int]) -> pl.DataFrame:
        amounts = iter([u / one * eur_per_unit for u in units])
        values = [next(amounts) if m else v for m, v in zip(mask, frame[column], strict=True)]
        return frame.with_columns(pl.Series(column, values, dtype=pl.Float64))

    at = with_parts(rows, counted, parts).with_row_index("_row")
    # Every shipment split in ten near-equal whole parts (500 shipments of 0.1 t are 50 t).
    pieces = [[p // 10 + (1 if i < p % 10 else 0) for p in parts] for i in range(10)]
    tenths = [with_parts(at.filter(counted), pl.Series([True] * len(u)), u) for u in pieces]
    split = pl.concat([*tenths, at.filter(~counted)])
    # One unit above; past 2^53 units a float cannot hold that, so the least step it can.
    above = 1
    while (total + above) / one == total / one:
        above *= 10
    over = with_parts(rows, counted, [parts[0] + above, *parts[1:]])

    def statuses(frame: pl.DataFrame) -> set[str]:
        out = compute(frame, scenario)
        return set(out["de_minimis"].cast(pl.String).drop_nulls()) & set(_COUNTED)

    lazy = compute(at.reverse().lazy(), scenario)
    assert isinstance(lazy, pl.LazyFrame)
    streamed = set(lazy.collect(engine="streaming")["de_minimis"].cast(pl.String).drop_nulls())
    return (
        statuses(at) == {_EXEMPT}
        and statuses(at.reverse()) == {_EXEMPT}
        and statuses(split.sample(fraction=1.0, shuffle=True, seed=0)) == {_EXEMPT}
        and streamed & set(_COUNTED) == {_EXEMPT}
        and statuses(over) == {_LIABLE}
    )


@_invariant(
    "parameters are step functions of the rules year: raising the price four years after the first "
    "rules year leaves earlier years untouched"
)
def _year_parameter_changes_only_its_years(panel: pl.DataFrame, scenario: Scenario) -> bool:
    # Raise the price from 2030 on: rows under earlier rules years must not move.
    first = resolve(scenario).rules_years[0]
    flat, raised = (_with_price(scenario, {first: 80.0, first + 4: p}) for p in (80.0, 120.0))
    if flat is None or raised is None:
        return True  # an ad valorem design charges no carbon price
    early = pl.col("rules_year") < first + 4
    return _same(compute(panel, flat).filter(early), compute(panel, raised).filter(early))


CATALOGUE: tuple[Property, ...] = tuple(_PROPERTIES)
