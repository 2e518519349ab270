"""Generated malformed frames: one bad cell in a valid panel is named, or flagged, never silent."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given

import cbam
from cbam.testing.strategies import corrupted_panels

PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})


@given(case=corrupted_panels())
def test_a_bad_cell_raises_an_error_naming_its_column_and_row(
    case: tuple[pl.DataFrame, str, int],
) -> None:
    """Strict mode: a CbamInputError whose problems name the column and the row; no traceback."""
    panel, column, row = case
    with pytest.raises(cbam.CbamInputError) as exc:
        cbam.compute(panel, PRICED)
    named = [p for p in exc.value.problems if p.column == column]
    assert named, exc.value
    assert any(row in p.rows or p.count > len(p.rows) for p in named)


@given(case=corrupted_panels())
def test_a_bad_cell_is_flagged_and_the_other_rows_computed(
    case: tuple[pl.DataFrame, str, int],
) -> None:
    """Lenient mode: every row kept, the bad one flagged with a null fee, no NaN anywhere."""
    panel, column, row = case
    out = cbam.compute(panel, PRICED, on_error="flag")
    assert out.height == panel.height
    assert out["input_error"][row] is not None and column in out["input_error"][row]
    assert out["fee_eur"][row] is None
    fees = out["fee_eur"].drop_nulls()
    assert not fees.is_nan().any() and (fees >= 0).all()
