"""Properties of the indicators: break-even price zeroes the fee; ave x value = fee; x*."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import cbam
from tests.properties.strategies import counts_indirect, import_panels

PRICES = st.floats(1.0, 500.0, allow_nan=False, allow_infinity=False)


def _scenario(price: float) -> cbam.Scenario:
    return cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": price})


def _close(a: pl.Series, b: pl.Series, rel: float = 1e-9) -> bool:
    return bool(((a - b).abs() <= rel * (1 + a.abs() + b.abs())).all())


@given(panel=import_panels(), price=PRICES)
def test_break_even_price_brings_the_fee_to_zero(panel: pl.DataFrame, price: float) -> None:
    """Paying p* = P (1 - F / E) at home deducts E - F, so no certificate is due."""
    s = _scenario(price)
    rows = cbam.break_even_carbon_price(cbam.compute(panel, s))
    known = rows["break_even_price_eur_per_t"]
    again = cbam.compute(panel.with_columns(known.alias("carbon_price_paid_eur_per_t")), s)
    zeroed = again.filter(known.is_not_null())
    scale = 1e-9 * (1 + zeroed["embedded_t"] * price)
    assert (zeroed["fee_before_exemptions_eur"] <= scale).all()
    # p* is never negative and never above the certificate price.
    assert (known.drop_nulls() >= 0).all() and (known.drop_nulls() <= price * (1 + 1e-12)).all()


@given(panel=import_panels(), price=PRICES, cut=st.floats(0.0, 0.99))
def test_below_break_even_a_fee_remains(panel: pl.DataFrame, price: float, cut: float) -> None:
    """Any home price below p* leaves a positive fee before exemptions (where p* > 0)."""
    s = _scenario(price)
    rows = cbam.break_even_carbon_price(cbam.compute(panel, s))
    known = rows["break_even_price_eur_per_t"]
    again = cbam.compute(panel.with_columns((known * cut).alias("carbon_price_paid_eur_per_t")), s)
    positive = again.filter(known.fill_null(0) > 1e-6)
    assert (positive["fee_before_exemptions_eur"] > 0).all()


@given(panel=import_panels(with_values=True), price=PRICES)
def test_ave_times_value_is_the_fee(panel: pl.DataFrame, price: float) -> None:
    """Row and group: ave x customs value = fee, for every grouping."""
    fees = cbam.compute(panel, _scenario(price))
    valued = fees.filter(pl.col("value_eur") > 0)
    assert _close(valued["ave"] * valued["value_eur"], valued["fee_eur"])
    for by in ([], ["origin"], ["origin", "sector", "year"]):
        out = cbam.ad_valorem_equivalents(fees, by=by).filter(pl.col("value_eur") > 0)
        assert (out["rows_without_value"] == 0).all()
        assert _close(out["ave"] * out["value_eur"], out["fee_eur"])


@given(panel=import_panels(with_values=True), price=PRICES)
def test_group_fees_add_up_to_the_total(panel: pl.DataFrame, price: float) -> None:
    """Indicators by origin x sector x year partition the fee table: the fees add up."""
    fees = cbam.compute(panel, _scenario(price))
    total = fees["fee_eur"].sum()
    for table in (cbam.ad_valorem_equivalents(fees), cbam.fee_per_tonne(fees)):
        assert abs(table["fee_eur"].sum() - total) <= 1e-9 * (1 + total)


@given(panel=import_panels(max_rows=8), price=PRICES, step=st.floats(0.001, 0.5))
def test_actual_values_below_the_threshold_pay_less(
    panel: pl.DataFrame, price: float, step: float
) -> None:
    """x* - step with actual values owes less than the defaults; x* + step owes more."""
    s = _scenario(price)
    fees = cbam.compute(panel, s)
    out = cbam.actual_value_threshold(fees, s)
    x = out["actual_see_threshold_t_per_t"]
    has = x.is_not_null() & (panel["quantity_t"] > 0)
    if not has.any():
        return
    default = fees.filter(has)["fee_before_exemptions_eur"]
    subset = panel.filter(has)
    threshold = x.filter(has)

    # The threshold reads the benchmark of the default value's route (rows carry no route).
    seeded = s.model_copy(update={"actual_values_route_from_default": True})

    def with_actual(intensity: pl.Series) -> pl.Series:
        indirect = pl.Series([counts_indirect(c) for c in subset["cn_code"]], dtype=pl.Boolean)
        actual = subset.with_columns(
            intensity.clip(lower_bound=0.0).alias("see_direct"),
            pl.when(pl.lit(indirect)).then(0.0).alias("see_indirect"),
        )
        return cbam.compute(actual, seeded)["fee_before_exemptions_eur"]

    below = with_actual(threshold - step)
    above = with_actual(threshold + step)
    tol = 1e-9 * (1 + default.abs())
    assert (below < default + tol).all()
    assert (above > default - tol).all()


@given(panel=import_panels(with_values=True), price=PRICES, e=st.floats(-5.0, 0.0))
def test_trade_response_never_raises_imports_or_revenue(
    panel: pl.DataFrame, price: float, e: float
) -> None:
    """With e <= 0 and a non-negative wedge, imports and revenue can only fall."""
    fees = cbam.compute(panel, _scenario(price))
    out = cbam.trade_response(fees, elasticity=e, by=None).filter(
        pl.col("quantity_after_t").is_not_null()
    )
    assert (out["quantity_after_t"] <= out["quantity_t"] * (1 + 1e-12)).all()
    assert (out["fee_after_response_eur"] <= out["fee_eur"] * (1 + 1e-12)).all()
