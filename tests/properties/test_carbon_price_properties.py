"""Properties of the deduction for carbon price paid abroad (Art. 9)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import cbam
from tests.properties.strategies import import_panels

PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
PAID = st.floats(0.0, 500.0, allow_nan=False, allow_infinity=False)


def _with_paid(panel: pl.DataFrame, paid: float) -> pl.DataFrame:
    return panel.drop("importer", strict=False).with_columns(
        pl.lit(paid).alias("carbon_price_paid_eur_per_t")
    )


@given(panel=import_panels(), paid=PAID)
def test_deduction_never_exceeds_embedded_emissions(panel: pl.DataFrame, paid: float) -> None:
    """Deduction = embedded x min(1, paid / certificate price): at most the embedded emissions."""
    out = cbam.compute(_with_paid(panel, paid), PRICED).filter(pl.col("sector").is_not_null())
    assert (out["deduction_t"] <= out["embedded_t"] * (1 + 1e-12) + 1e-12).all()
    assert (out["deduction_t"] >= 0).all()


@given(panel=import_panels(), low=PAID, high=PAID)
def test_fee_non_increasing_in_price_paid_abroad(
    panel: pl.DataFrame, low: float, high: float
) -> None:
    """A higher price paid abroad never raises a fee: the deduction only grows with it."""
    low, high = sorted((low, high))
    fee_low = cbam.compute(_with_paid(panel, low), PRICED)["fee_eur"]
    fee_high = cbam.compute(_with_paid(panel, high), PRICED)["fee_eur"]
    assert (fee_high <= fee_low + 1e-9 * (1 + fee_low.abs())).all()


@given(panel=import_panels())
def test_paying_the_certificate_price_abroad_brings_the_fee_to_zero(panel: pl.DataFrame) -> None:
    """Paid = certificate price deducts all embedded emissions, so nothing is left to pay."""
    out = cbam.compute(_with_paid(panel, 80.0), PRICED)
    assert (out["fee_eur"].abs() <= 1e-9 * (1 + out["fee_before_exemptions_eur"].abs())).all()
