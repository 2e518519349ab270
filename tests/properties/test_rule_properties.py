"""Properties of ``cbam.compute`` and ``cbam.summarise`` over generated, valid import panels.

Each property says in its docstring why the EU CBAM rules (or the library's contract) make it
hold for every valid panel, whatever the codes, origins, years and quantities.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from strategies import (
    EXEMPT_ORIGINS,
    NON_CBAM_CODES,
    actual_value_panels,
    import_panels,
    routes_of,
    with_row_id,
)

import cbam
from cbam.testing._catalogue import _known_default_routes

EU = cbam.load_scenario("eu-cbam")
PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
SCENARIOS = st.sampled_from([EU, PRICED])
PRICES = st.floats(0.0, 1000.0, allow_nan=False, allow_infinity=False)
RESULTS = ("fee_eur", "certificates", "embedded_t", "free_allocation_t", "exempt")


def _close(a: float, b: float, rel: float, abs_tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def _priced(price: float | dict[int, float]) -> cbam.Scenario:
    """EU CBAM with ``price`` as its whole path (a mapping from 2026: a number, then years)."""
    if not isinstance(price, dict):
        return cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": price})
    (first, value), *later = sorted(price.items())
    assert first == 2026  # the first rules year, from which a number holds
    overrides = {"certificate_price_eur": value}
    overrides.update({f"certificate_price_eur.{year}": v for year, v in later})
    return cbam.load_scenario("eu-cbam", overrides=overrides)


@given(panel=import_panels(), scenario=SCENARIOS)
def test_fees_are_non_negative_and_complete(panel: pl.DataFrame, scenario: cbam.Scenario) -> None:
    """Fees and certificates are never negative and never missing on valid input.

    certificates = max(0, embedded - free allocation - deduction) is clipped at zero (Art. 22:
    no refund for over-performance), prices are validated non-negative, and every valid row has a
    default value, a benchmark and a price, so nothing can be null or NaN.
    """
    out = cbam.compute(panel, scenario)
    for column in ("fee_eur", "certificates", "exempt"):
        assert out[column].null_count() == 0, column
    for column in ("fee_eur", "certificates"):
        assert not out[column].is_nan().any(), column
        assert (out[column] >= 0).all(), column
    assert out["input_error"].null_count() == out.height


@given(panel=import_panels())
def test_rows_in_equal_rows_out_in_order(panel: pl.DataFrame) -> None:
    """One output row per input row, in input order, with the input columns untouched.

    ``compute`` only adds columns (left joins keep order and multiplicity, every lookup key is
    unique), so the input columns of the result are the input, row by row.
    """
    out = cbam.compute(panel, EU)
    assert out.height == panel.height
    assert out.columns == [*panel.columns, *cbam.OUTPUT_COLUMNS]
    assert_frame_equal(out.select(panel.columns), panel, check_exact=True)


@given(panel=import_panels(), k=st.floats(1e-3, 1e3, allow_nan=False), scenario=SCENARIOS)
def test_fee_is_linear_in_quantity(panel: pl.DataFrame, k: float, scenario: cbam.Scenario) -> None:
    """Scaling every quantity by k > 0 scales every fee by k.

    Embedded emissions and free allocation are both quantity x per-tonne value, so their
    difference scales by k, and max(0, k x d) = k x max(0, d). The tolerance is 1e-9 relative,
    plus rounding relative to the size of the terms that are subtracted. The de minimis rule is a
    threshold on mass, so it is left out (no importer column): it is not linear by design.
    """
    panel = panel.drop("importer", strict=False)
    base = cbam.compute(panel, scenario)
    scaled = cbam.compute(panel.with_columns(pl.col("quantity_t") * k), scenario)
    for before, after, embedded, price in zip(
        base["fee_eur"],
        scaled["fee_eur"],
        base["embedded_t"].fill_null(0.0),
        base["certificate_price_eur"].fill_null(0.0),
        strict=True,
    ):
        term = max(abs(embedded), abs(before / price) if price else 0.0) * price * k
        assert _close(after, k * before, 1e-9, abs_tol=1e-9 * term + 1e-12), (before, after, k)


@given(panel=import_panels(), p1=PRICES, p2=PRICES)
def test_fee_non_decreasing_in_certificate_price(panel: pl.DataFrame, p1: float, p2: float) -> None:
    """A higher certificate price never lowers a fee.

    fee = certificates x price with certificates >= 0 independent of the price.
    """
    low, high = sorted((p1, p2))
    fee_low = cbam.compute(panel, _priced(low))["fee_eur"]
    fee_high = cbam.compute(panel, _priced(high))["fee_eur"]
    assert (fee_high >= fee_low).all()


@given(panel=actual_value_panels(), data=st.data())
def test_fee_non_decreasing_in_intensity(panel: pl.DataFrame, data: st.DataObject) -> None:
    """Raising a row's verified direct emissions never lowers its fee.

    With actual values the benchmark is column A, fixed by the code and year, so free
    allocation does not move while embedded emissions = quantity x clinker x (direct [+
    indirect]) grow; max(0, embedded - free) is non-decreasing in embedded.
    """
    deltas = data.draw(
        st.lists(
            st.floats(0.0, 50.0, allow_nan=False), min_size=panel.height, max_size=panel.height
        )
    )
    raised = panel.with_columns(pl.col("see_direct") + pl.Series(deltas, dtype=pl.Float64))
    before = cbam.compute(panel, PRICED)
    after = cbam.compute(raised, PRICED)
    assert (after["fee_eur"] >= before["fee_eur"]).all()
    assert (after["embedded_t"].fill_null(0.0) >= before["embedded_t"].fill_null(0.0)).all()
    assert_frame_equal(after.select("free_allocation_t"), before.select("free_allocation_t"))


@given(panel=import_panels(), scenario=SCENARIOS)
def test_exempt_rows_owe_nothing_and_say_why(panel: pl.DataFrame, scenario: cbam.Scenario) -> None:
    """An exempt row has fee 0 and a reason; a row that is not exempt has no reason.

    ``exempt`` is defined as 'has an exemption reason' (an origin outside the regime, or a good
    outside Annex I), and exempt rows owe no certificates. EU and Annex III origins and non-CBAM
    codes are always exempt.
    """
    out = cbam.compute(panel, scenario)
    exempt = out.filter(pl.col("exempt"))
    assert (exempt["fee_eur"] == 0).all()
    assert (exempt["certificates"] == 0).all()
    assert exempt["exemption_reason"].null_count() == 0
    assert (
        out.filter(~pl.col("exempt"))["exemption_reason"].null_count()
        == out.filter(~pl.col("exempt")).height
    )
    assert out.filter(pl.col("origin").is_in(EXEMPT_ORIGINS))["exempt"].all()
    non_cbam = out.filter(pl.col("cn_code").is_in(NON_CBAM_CODES))
    assert non_cbam["exempt"].all()
    assert (non_cbam["exemption_reason"] == "not a CBAM good").all()
    assert non_cbam["sector"].null_count() == non_cbam.height


def _sums(frame: pl.DataFrame, by: list[str]) -> dict[tuple[object, ...], dict[str, float]]:
    totals: dict[tuple[object, ...], dict[str, float]] = {}
    for row in frame.iter_rows(named=True):
        key = tuple(row[c] for c in by)
        entry = totals.setdefault(key, {"fee_eur": 0.0, "embedded_t": 0.0, "certificates": 0.0})
        for column in entry:
            entry[column] += row[column] or 0.0
    return totals


@given(panel=import_panels(), scenario=SCENARIOS)
def test_summarise_reconciles_with_rows(panel: pl.DataFrame, scenario: cbam.Scenario) -> None:
    """Totals by (origin, sector), and the grand total, are the sums of the rows.

    ``summarise`` is a plain group-by sum; nothing is dropped or double counted (null sectors,
    the non-CBAM goods, form their own group).
    """
    fees = cbam.compute(panel, scenario)
    for by in (["origin", "sector"], []):
        summary = cbam.summarise(fees, by=by)
        expected = _sums(fees, by)
        assert summary.height == len(expected)
        assert summary["rows"].sum() == fees.height
        for row in summary.iter_rows(named=True):
            want = expected[tuple(row[c] for c in by)]
            for column, total in want.items():
                assert _close(row[column], total, 1e-6), (by, column, row[column], total)


@example(
    panel=pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "CHN"],
            "cn_code": ["72071111", "7601"],
            "quantity_t": [100.0, 5.0],
        }
    )
)
@given(panel=import_panels())
def test_summary_ave_is_fee_over_value_or_null(panel: pl.DataFrame) -> None:
    """A summary's ``ave`` is total fee over total positive customs value, never NaN.

    ``ave`` is documented as the total fee over the customs value of the rows that have one;
    a group without any has no ratio, which is null (as on the rows), not 0/0 = NaN.
    """
    fees = cbam.compute(panel, PRICED)
    summary = cbam.summarise(fees, by=["origin"])
    assert not summary["ave"].is_nan().any()
    valued = fees.filter(pl.col("value_eur") > 0) if "value_eur" in fees.columns else fees.clear()
    for row in summary.iter_rows(named=True):
        group = valued.filter(pl.col("origin") == row["origin"])
        if group.height == 0:
            assert row["ave"] is None
        else:
            assert _close(row["ave"], group["fee_eur"].sum() / group["value_eur"].sum(), 1e-9)


@given(panel=import_panels(min_rows=2), data=st.data())
def test_result_independent_of_row_order(panel: pl.DataFrame, data: st.DataObject) -> None:
    """Shuffling the rows, computing and sorting back gives the same result.

    Every output is a function of its own row and the scenario, and of sums over the importer's
    year (de minimis); such sums may associate differently in another order, so floats are
    compared to 1e-12 relative.
    """
    panel = with_row_id(panel)
    order = data.draw(st.permutations(range(panel.height)))
    expected = cbam.compute(panel, EU)
    shuffled = cbam.compute(panel[list(order)], EU).sort("row_id")
    assert_frame_equal(shuffled, expected, rel_tol=1e-12, abs_tol=1e-12)


@given(panel=import_panels(min_rows=2), data=st.data())
def test_result_independent_of_batching(panel: pl.DataFrame, data: st.DataObject) -> None:
    """Computing two halves and concatenating equals computing the whole.

    Rows are independent, so a panel may be processed in chunks (e.g. per file or per year),
    except for the de minimis rule, which sums each importer's year: that case is the next test,
    and here the panel carries no importer.
    """
    panel = panel.drop("importer", strict=False)
    cut = data.draw(st.integers(1, panel.height - 1))
    whole = cbam.compute(panel, EU)
    halves = pl.concat([cbam.compute(panel[:cut], EU), cbam.compute(panel[cut:], EU)])
    assert_frame_equal(halves, whole, check_exact=True)


@given(panel=import_panels(), data=st.data())
def test_result_independent_of_batching_by_importer_year(
    panel: pl.DataFrame, data: st.DataObject
) -> None:
    """Batches that keep each importer's year together give the whole panel's result.

    The de minimis rule (rates/eu/de_minimis.yaml) depends only on the sum of an importer's
    Annex I mass in an import year, so any split that keeps those rows together is safe.
    """
    if "importer" not in panel.columns:
        panel = panel.with_columns(importer=pl.lit("imp-1"))
    panel = panel.with_row_index("row_id")
    keys = panel.select("importer", "year").unique().sort("importer", "year").rows()
    first = set(data.draw(st.lists(st.sampled_from(keys), unique=True)))
    in_first = pl.Series([(i, y) in first for i, y in panel.select("importer", "year").rows()])
    whole = cbam.compute(panel, EU)
    parts = pl.concat(
        [cbam.compute(panel.filter(in_first), EU), cbam.compute(panel.filter(~in_first), EU)]
    ).sort("row_id")
    # Sums over an importer's year may associate differently in another batch: equal to 1e-12.
    assert_frame_equal(parts, whole, rel_tol=1e-12, abs_tol=1e-12)


@given(panel=import_panels(), on_error=st.sampled_from(["raise", "flag"]))
def test_dataframe_and_lazyframe_agree(panel: pl.DataFrame, on_error: str) -> None:
    """A LazyFrame input gives a LazyFrame that collects to the DataFrame result.

    Both inputs run the same lazy plan; only the validation pass and the engine that collects
    differ, so sums over an importer's year are compared to 1e-12 relative.
    """
    eager = cbam.compute(panel, EU, on_error=on_error)  # type: ignore[arg-type]
    lazy = cbam.compute(panel.lazy(), EU, on_error=on_error)  # type: ignore[arg-type]
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), eager, rel_tol=1e-12, abs_tol=1e-12)


@pytest.fixture(scope="module")
def extended_scenario(tmp_path_factory: pytest.TempPathFactory) -> cbam.Scenario:
    path: Path = tmp_path_factory.mktemp("scenarios") / "x.yaml"
    path.write_text("extends: eu-cbam\nname: x\n", encoding="utf-8")
    return cbam.load_scenario(path)


@given(panel=import_panels())
def test_extending_without_overrides_changes_nothing(
    panel: pl.DataFrame, extended_scenario: cbam.Scenario
) -> None:
    """A scenario that extends eu-cbam and overrides nothing computes exactly like eu-cbam.

    ``extends`` merges the child's keys into the parent's; with only a new name, every rule
    parameter is the parent's.
    """
    assert extended_scenario.name == "x"
    assert extended_scenario.extends == "eu-cbam"
    assert_frame_equal(
        cbam.compute(panel, extended_scenario), cbam.compute(panel, EU), check_exact=True
    )


@given(
    panel=import_panels(),
    split=st.integers(2027, 2034),
    prices=st.tuples(PRICES, PRICES, PRICES),
    change_first=st.booleans(),
)
def test_price_change_of_one_year_touches_only_its_rows(
    panel: pl.DataFrame, split: int, prices: tuple[float, float, float], change_first: bool
) -> None:
    """Changing the price of one year of a two-year schedule changes only the rows it covers.

    A price schedule {2026: a, Y: b} is a step function: a applies to rules years 2026..Y-1, b
    from Y on. Changing a (b) must leave every row of the other span identical, and re-price
    only its own rows: with Y = 2027 and a changed, that is exactly the 2026 rows. Within the
    span, the deduction for carbon price paid abroad (embedded x paid / certificate price) and so
    the certificates move with the price too.
    """
    a, b, new = prices
    before = cbam.compute(panel, _priced({2026: a, split: b}))
    changed = {2026: new, split: b} if change_first else {2026: a, split: new}
    after = cbam.compute(panel, _priced(changed))
    in_span = (pl.col("year") < split) if change_first else (pl.col("year") >= split)
    assert_frame_equal(after.filter(~in_span), before.filter(~in_span), check_exact=True)
    touched = after.filter(in_span)
    assert (touched["certificate_price_eur"] == new).all()
    priced = (
        "certificate_price_eur",
        "fee_eur",
        "fee_local",
        "fee_before_exemptions_eur",
        "ave",
        "deduction_t",
        "certificates",
    )
    assert_frame_equal(touched.drop(priced), before.filter(in_span).drop(priced), check_exact=True)
    for fee, certificates in zip(touched["fee_eur"], touched["certificates"], strict=True):
        assert _close(fee, certificates * new, 1e-12)


def test_dotted_price_override_of_one_year_keeps_the_default_path() -> None:
    """``certificate_price_eur.2030: 120`` re-prices 2030 onwards and keeps the default before.

    The scenario module documents dotted overrides such as ``certificate_price_eur.2030: 120``
    and says unset parameters take the cited defaults, so overriding one year of the default
    path must leave the other years at their defaults.
    """
    panel = pl.DataFrame(
        {
            "year": list(range(2026, 2035)),
            "origin": ["TUR"] * 9,
            "cn_code": ["7207 11 11"] * 9,
            "quantity_t": [100.0] * 9,
        }
    )
    overridden = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur.2030": 120})
    out = cbam.compute(panel, overridden)
    default = cbam.compute(panel, EU)
    early = pl.col("year") < 2030
    assert_frame_equal(out.filter(early), default.filter(early))
    assert (out.filter(~early)["certificate_price_eur"] == 120).all()


@given(panel=import_panels(), data=st.data(), scenario=SCENARIOS)
def test_row_route_never_changes_a_default_value_fee(
    panel: pl.DataFrame, data: st.DataObject, scenario: cbam.Scenario
) -> None:
    """With default values the benchmark's route is the one the default value names.

    IR 2025/2621 gives each default value its "underlying production route determining CBAM
    BM"; the row's route decides only with actual values, or where the default names none.
    So any route of the row's sector leaves the fee of a row priced with a default value
    that names its route unchanged (unless the route picks another published default value:
    white instead of grey clinker).
    """
    routes = [
        data.draw(st.sampled_from(r)) if (r := routes_of(c)) else None for c in panel["cn_code"]
    ]
    base = cbam.compute(panel, scenario)
    routed = cbam.compute(panel.with_columns(pl.Series("route", routes, pl.String)), scenario)
    named = _known_default_routes()
    for b, a in zip(base.iter_rows(named=True), routed.iter_rows(named=True), strict=True):
        heading = b["default_value_heading"]
        if heading is None or heading.startswith("mean of ") or a["route"] is None:
            continue
        origin, _, code = heading.partition(" ")
        same_default = (a["default_value_heading"], a["see_t_per_t"]) == (heading, b["see_t_per_t"])
        if same_default and named.get((origin, code.replace(" ", "")), False):
            assert a["benchmark_route"] == b["benchmark_route"]
            assert a["fee_eur"] == b["fee_eur"], (heading, a["route"])
