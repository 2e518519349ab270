"""pandas and PyArrow in and out of compute (cbam/_interop.py, through narwhals)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import cbam

S80 = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
ROWS = {
    "year": [2026, 2026, 2027],
    "origin": ["TUR", "NOR", "CHN"],
    "cn_code": ["7207 11 11", "72071111", "2523 29 00"],
    "quantity_t": [100.0, 50.0, 1_000.0],
    "value_eur": [55_000.0, 27_000.0, 70_000.0],
}


def test_pandas_in_pandas_out_with_its_index() -> None:
    frame = pd.DataFrame(ROWS, index=pd.Index([10, 20, 30], name="flow"))
    out = cbam.compute(frame, S80)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [10, 20, 30] and out.index.name == "flow"
    # The regulation's worked example on the first row: EUR 9,688.80.
    assert out.loc[10, "fee_eur"] == pytest.approx(9_688.80)
    assert list(out.columns[:5]) == list(ROWS)
    expected = cbam.compute(pl.DataFrame(ROWS), S80)
    assert out["fee_eur"].tolist() == pytest.approx(expected["fee_eur"].to_list())
    assert out["exempt"].tolist() == [False, True, False]


def test_arrow_in_arrow_out() -> None:
    table = pa.table(ROWS)
    out = cbam.compute(table, S80)
    assert isinstance(out, pa.Table)
    assert out.num_rows == 3
    assert out.column("fee_eur")[0].as_py() == pytest.approx(9_688.80)
    assert out.column("exemption_reason")[1].as_py().startswith("Annex III")


def test_pandas_lenient_mode_flags_the_bad_row() -> None:
    frame = pd.DataFrame({**ROWS, "origin": ["TUR", "XYZ", "CHN"]})
    out = cbam.compute(frame, S80, on_error="flag")
    assert isinstance(out, pd.DataFrame)
    assert pd.isna(out["input_error"].iloc[0])
    assert "origin" in out["input_error"].iloc[1]


def test_pandas_bad_input_raises_the_same_error() -> None:
    frame = pd.DataFrame({**ROWS, "quantity_t": [1.0, -4.0, 1.0]})
    with pytest.raises(cbam.CbamInputError, match="quantity_t"):
        cbam.compute(frame, S80)


def test_pandas_nan_value_is_a_missing_value() -> None:
    frame = pd.DataFrame({**ROWS, "value_eur": [55_000.0, float("nan"), 70_000.0]})
    out = cbam.compute(frame, S80)
    assert pd.isna(out["ave"].iloc[1])


def test_something_that_is_not_a_frame_is_refused() -> None:
    with pytest.raises(TypeError, match="pandas, PyArrow"):
        cbam.compute([{"year": 2026}], S80)  # type: ignore[call-overload]


def test_pandas_result_feeds_the_indicators_after_conversion() -> None:
    # A CGE model's loop: pandas in, AVEs out through Polars.
    out = cbam.compute(pd.DataFrame(ROWS), S80)
    ave = cbam.ad_valorem_equivalents(pl.from_pandas(out), by=["origin"])
    tur = ave.filter(pl.col("origin") == "TUR")["ave"].item()
    assert tur == pytest.approx(9_688.80 / 55_000.0)


def test_an_arrow_result_can_be_written_and_keeps_the_input_columns(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["7207 11 11"], "quantity_t": [100.0]}
    )
    out = cbam.compute(table)
    pq.write_table(out, tmp_path / "out.parquet")  # string_view could not be written
    assert out.select(table.column_names).equals(table)
    assert table.join(out.select(["origin", "fee_eur"]), "origin").num_rows == 1


def test_pandas_input_columns_and_index_come_back_as_they_went_in() -> None:
    frame = pd.DataFrame(
        {
            "year": [2027, 2028],
            "origin": ["TUR", "CHN"],
            "cn_code": ["7207 11 11", "7601 10 90"],
            "quantity_t": [100.0, 50.0],
            "firm_id": pd.array([2**53 + 1, None], dtype="Int64"),  # a float would round it
        },
        index=pd.Index([10, 5], name="flow"),
    )
    frame[0] = 1  # a column label that is no text
    out = cbam.compute(frame)
    assert out["firm_id"].tolist() == [2**53 + 1, pd.NA]
    assert str(out["firm_id"].dtype) == "Int64" and 0 in out.columns
    for indicator in (cbam.break_even_carbon_price, cbam.actual_value_threshold):
        assert indicator(out).index.tolist() == [10, 5]
