"""Properties that hold for every regime: comparison tables equal the per-scenario runs, fees
are never negative, and a zero-intensity good pays nothing (the last two are also in the
catalogue run against every bundled scenario, tests/properties/test_catalogue.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cbam
from cbam.testing.strategies import import_panels

# Panels from 2027, when every bundled regime has rules; customs values on every row (the
# Foreign Pollution Fee is a share of them).
PANELS = import_panels(max_rows=10, first_year=2027, with_values=True)
REGIMES = ["eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025"]


@settings(deadline=None)
@given(
    panel=PANELS,
    chosen=st.lists(st.sampled_from(REGIMES), min_size=2, max_size=4, unique=True),
    currency=st.sampled_from(["EUR", "USD", "GBP"]),
    by=st.sampled_from([("origin",), ("origin", "sector"), ("sector", "year")]),
)
def test_comparison_tables_equal_the_per_scenario_runs(
    panel: pl.DataFrame, chosen: list[str], currency: str, by: tuple[str, ...]
) -> None:
    table = cbam.compare(panel, chosen, by=by, currency=currency)
    fx = dict(
        pl.read_csv("rates/carbon_prices/fx.csv", columns=["currency", "year", "eur_per_unit"])
        .filter(pl.col("currency") == currency)
        .select("year", "eur_per_unit")
        .iter_rows()
    )
    last = max(fx)
    for name in chosen:
        fees = cbam.compute(panel, name)  # of the same types as the table's (OUTPUT_SCHEMA)
        rate = pl.col("rules_year").replace_strict(fx, default=fx[last], return_dtype=pl.Float64)
        expected = fees.group_by(list(by)).agg((pl.col("fee_eur") / rate).sum().alias("x"))
        got = table.join(expected, on=list(by), how="left", nulls_equal=True)
        column = f"fee_{currency.lower()}:{name}"
        assert got.height == table.height == expected.height
        assert got.select(
            ((pl.col(column) - pl.col("x")).abs() <= 1e-9 * (1 + pl.col("x").abs())).all()
        ).item()
        if name != chosen[0]:
            diff = table[f"{name} - {chosen[0]}"]
            assert (
                diff - (table[column] - table[f"fee_{currency.lower()}:{chosen[0]}"])
            ).abs().max() <= 1e-6  # type: ignore[operator]


@pytest.mark.parametrize("name", REGIMES)
@settings(deadline=None)
@given(panel=PANELS)
def test_extending_a_regime_without_changes_is_identical(name: str, panel: pl.DataFrame) -> None:
    scenario = cbam.load_scenario(name)
    child = cbam.load_scenario(name, overrides={"description": "the same, extended"})
    assert cbam.compute(panel, scenario).equals(cbam.compute(panel, child))
