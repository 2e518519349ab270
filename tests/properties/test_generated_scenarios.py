"""The catalogue's core properties over generated scenarios, not only the bundled ones."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings

import cbam
from cbam.testing.strategies import import_panels, scenarios


@settings(max_examples=max(5, settings().max_examples // 2))
@given(scenario=scenarios(), panel=import_panels(max_rows=10))
def test_any_valid_scenario_computes_a_valid_non_negative_fee(
    scenario: cbam.Scenario, panel: pl.DataFrame
) -> None:
    """Every parameter within its range gives one row per input row and a fee >= 0, never null."""
    out = cbam.compute(panel, scenario)
    assert out.height == panel.height
    assert out["fee_eur"].null_count() == 0
    assert (out["fee_eur"] >= 0).all()
    assert (out["deduction_t"].fill_null(0) <= out["embedded_t"].fill_null(0) + 1e-9).all()
