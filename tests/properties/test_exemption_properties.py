"""Properties of the exemption options, over generated panels and every bundled scenario."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import cbam
from tests.properties.strategies import import_panels

PRICE = {"certificate_price_eur": 80}
BASE = cbam.load_scenario("eu-cbam", overrides=PRICE)
LDC = cbam.load_scenario("eu-cbam-ldc-exempt", overrides=PRICE)
LDC_SIDS = cbam.load_scenario("eu-cbam-ldc-sids-exempt", overrides=PRICE)
PHASED = cbam.load_scenario(
    "eu-cbam",
    overrides={
        **PRICE,
        "exemptions": [
            {"group": "ldc", "grace_years": 3, "fee_share_charged": {2026: 0.0, 2030: 0.5}},
            {"group": "sids", "status_on": "any_day_of_year"},
        ],
    },
)
EXEMPTING = st.sampled_from([LDC, LDC_SIDS, PHASED])


@given(panel=import_panels(), exempting=EXEMPTING)
def test_exemptions_never_raise_any_fee(panel: pl.DataFrame, exempting: cbam.Scenario) -> None:
    """An exemption only waives or scales down a fee: row by row, never above the base fee.

    The would-be fee is computed by the same rules as the base scenario's fee.
    """
    base = cbam.compute(panel, BASE)["fee_eur"]
    exempted = cbam.compute(panel, exempting)
    assert (exempted["fee_eur"] <= base + 1e-9).all()
    assert_frame_equal(
        exempted.select("fee_before_exemptions_eur"),
        cbam.compute(panel, BASE).select("fee_before_exemptions_eur"),
    )


@given(panel=import_panels())
def test_adding_a_group_never_raises_total_revenue(panel: pl.DataFrame) -> None:
    """No exemption >= LDC >= LDC and SIDS in total fee: each group only removes revenue."""
    totals = [cbam.compute(panel, s)["fee_eur"].sum() for s in (BASE, LDC, LDC_SIDS)]
    assert totals[0] + 1e-6 >= totals[1] >= totals[2] - 1e-6


@given(panel=import_panels(), exempting=EXEMPTING)
def test_forgone_revenue_is_the_sum_of_row_differences(
    panel: pl.DataFrame, exempting: cbam.Scenario
) -> None:
    """Revenue forgone by rule (a group-by) adds up to total would-be fee less total fee."""
    out = cbam.compute(panel, exempting)
    by_rule = (
        out.filter(pl.col("exemption_reason").is_not_null())
        .group_by("exemption_reason")
        .agg((pl.col("fee_before_exemptions_eur") - pl.col("fee_eur")).sum().alias("forgone"))
    )
    expected = out["fee_before_exemptions_eur"].sum() - out["fee_eur"].sum()
    assert abs(by_rule["forgone"].sum() - expected) <= 1e-6 * max(1.0, abs(expected))


@given(panel=import_panels(), exempting=EXEMPTING, data=st.data())
def test_exemptions_independent_of_row_order_and_batches(
    panel: pl.DataFrame, exempting: cbam.Scenario, data: st.DataObject
) -> None:
    """Membership depends on the origin and year only, so order and batches do not matter.

    The panel carries no importer here (the de minimis rule sums an importer's year; its
    batching property is in test_rule_properties.py).
    """
    panel = panel.drop("importer", strict=False).with_row_index("row_id")
    whole = cbam.compute(panel, exempting)
    shuffled = cbam.compute(panel.sample(fraction=1.0, shuffle=True, seed=1), exempting)
    assert_frame_equal(shuffled.sort("row_id"), whole)
    cut = data.draw(st.integers(0, panel.height))
    parts = pl.concat([cbam.compute(panel[:cut], exempting), cbam.compute(panel[cut:], exempting)])
    assert_frame_equal(parts, whole)
