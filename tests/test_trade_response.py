"""The light trade response (cbam/_trade_response.py): hand-derived constant-elasticity cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

import cbam

S80 = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
FEE = 9_688.80  # the regulation's worked example: 121.11 certificates x EUR 80
VALUE = 55_000.0
WEDGE = FEE / VALUE  # 0.17616


def _fees() -> pl.DataFrame:
    rows = pl.DataFrame(
        {
            "year": [2026, 2026, 2026],
            "origin": ["TUR", "TUR", "NOR"],
            "cn_code": ["72071111", "72071111", "72071111"],
            "quantity_t": [100.0, 100.0, 100.0],
            "value_eur": [VALUE, None, VALUE],
        }
    )
    return cbam.compute(rows, S80)


def test_row_level_response_is_constant_elasticity() -> None:
    out = cbam.trade_response(_fees(), elasticity=-2.0, by=None)
    first = out.row(0, named=True)
    factor = (1 + WEDGE) ** -2.0  # 1 / 1.17616^2 = 0.72289
    assert first["wedge"] == pytest.approx(WEDGE)
    assert first["quantity_after_t"] == pytest.approx(100.0 * factor)
    assert first["value_after_eur"] == pytest.approx(VALUE * factor)
    assert first["fee_after_response_eur"] == pytest.approx(FEE * factor)
    # No customs value: no wedge, no response.
    second = out.row(1, named=True)
    assert second["wedge"] is None and second["quantity_after_t"] is None
    # Exempt origin (Norway, Annex III): wedge 0, nothing changes.
    third = out.row(2, named=True)
    assert third["wedge"] == 0.0 and third["quantity_after_t"] == pytest.approx(100.0)


def test_static_and_responded_revenue_side_by_side() -> None:
    out = cbam.trade_response(_fees(), elasticity=-1.0, by=[]).row(0, named=True)
    # Static: two Turkish rows owe 9,688.80 each; Norway 0.
    assert out["fee_eur"] == pytest.approx(2 * FEE)
    # After: the valued row falls by 1 / 1.17616 to 8,237.65; the unvalued row keeps its fee.
    assert out["fee_after_response_eur"] == pytest.approx(FEE / (1 + WEDGE) + FEE)
    assert out["revenue_change_eur"] == pytest.approx(FEE / (1 + WEDGE) - FEE)
    assert out["rows_without_response"] == 1
    assert out["quantity_after_t"] == pytest.approx(100 / (1 + WEDGE) + 100 + 100)


def test_zero_elasticity_changes_nothing() -> None:
    out = cbam.trade_response(_fees(), elasticity=0.0)
    assert out["fee_after_response_eur"].to_list() == pytest.approx(out["fee_eur"].to_list())


def test_elasticity_table_by_origin() -> None:
    table = pl.DataFrame({"origin": ["TUR", "NOR"], "elasticity": [-0.5, -3.0]})
    out = cbam.trade_response(_fees(), elasticity=table, by=None)
    assert out["elasticity"].to_list() == [-0.5, None, -3.0]  # null where no wedge
    assert out["fee_after_response_eur"][0] == pytest.approx(FEE * (1 + WEDGE) ** -0.5)


def test_origin_missing_from_the_table_gets_no_response() -> None:
    table = pl.DataFrame({"origin": ["TUR"], "elasticity": [-1.0]})
    out = cbam.trade_response(_fees(), elasticity=table, by=["origin"])
    nor = out.filter(pl.col("origin") == "NOR").row(0, named=True)
    assert nor["rows_without_response"] == 1
    assert nor["quantity_after_t"] == pytest.approx(100.0)


@pytest.mark.parametrize("bad", [0.5, math.inf, math.nan])
def test_bad_elasticities_raise(bad: float) -> None:
    with pytest.raises(ValueError, match="elasticity"):
        cbam.trade_response(_fees(), elasticity=bad)


def test_bad_tables_raise() -> None:
    with pytest.raises(ValueError, match="elasticity"):
        cbam.trade_response(_fees(), elasticity=pl.DataFrame({"origin": ["TUR"], "e": [-1.0]}))
    with pytest.raises(ValueError, match="key columns"):
        cbam.trade_response(
            _fees(), elasticity=pl.DataFrame({"iso3": ["TUR"], "elasticity": [-1.0]})
        )
    with pytest.raises(ValueError, match="duplicate"):
        cbam.trade_response(
            _fees(),
            elasticity=pl.DataFrame({"origin": ["TUR", "TUR"], "elasticity": [-1.0, -2.0]}),
        )
    with pytest.raises(ValueError, match="<= 0"):
        cbam.trade_response(
            _fees(), elasticity=pl.DataFrame({"origin": ["TUR"], "elasticity": [1.0]})
        )


def test_needs_a_customs_value_column() -> None:
    fees = cbam.compute(
        pl.DataFrame(
            {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
        ),
        S80,
    )
    with pytest.raises(ValueError, match="value_eur"):
        cbam.trade_response(fees, elasticity=-1.0)


def test_lazy_in_lazy_out() -> None:
    out = cbam.trade_response(_fees().lazy(), elasticity=-1.0)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().height == 2  # TUR and NOR groups


def test_table_keys_match_as_the_rules_read_them() -> None:
    # Keys were joined as written: 'tur' or '7207 11 11' in the table or the fees matched
    # nothing, and the row silently kept its static fee ("no response").
    rows = pl.DataFrame(
        {
            "year": [2027, 2027],
            "origin": ["TUR", " tur"],
            "cn_code": ["72071111", "7207 11 11"],
            "quantity_t": [100.0, 100.0],
            "value_eur": [55_000.0, 55_000.0],
        }
    )
    fees = cbam.compute(rows, "eu-cbam")
    for table in (
        pl.DataFrame({"origin": ["tur"], "elasticity": [-1.0]}),
        pl.DataFrame({"origin": ["TUR"], "cn_code": ["7207 11 11"], "elasticity": [-1.0]}),
    ):
        out = cbam.trade_response(fees, table, by=None)
        assert out["elasticity"].to_list() == [-1.0, -1.0]
        fee = out["fee_eur"][0]
        assert out["fee_after_response_eur"].to_list() == pytest.approx(
            [fee / (1 + fee / 55_000)] * 2
        )
    with pytest.raises(ValueError, match="duplicate keys"):
        cbam.trade_response(fees, pl.DataFrame({"origin": ["TUR", "tur"], "elasticity": [-1, -2]}))


def test_table_keys_match_an_enum_or_integer_key_of_the_fees() -> None:
    # The table was cast to the fees' type first: 'tur' into an Enum, '7207 11 11' into Int64.
    rows = pl.DataFrame(
        {
            "year": [2027],
            "origin": ["TUR"],
            "cn_code": ["72071111"],
            "quantity_t": [100.0],
            "value_eur": [55_000.0],
        }
    )
    enum = rows.with_columns(pl.col("origin").cast(pl.Enum(["TUR", "CHN"])))
    integer = rows.with_columns(pl.col("cn_code").cast(pl.Int64))
    for fees, table in (
        (cbam.compute(enum, "eu-cbam"), pl.DataFrame({"origin": ["tur"], "elasticity": [-1.0]})),
        (
            cbam.compute(integer, "eu-cbam"),
            pl.DataFrame({"cn_code": ["7207 11 11"], "elasticity": [-1.0]}),
        ),
    ):
        assert cbam.trade_response(fees, table)["rows_without_response"].to_list() == [0]


def test_a_value_too_small_for_the_ratio_has_no_wedge() -> None:
    # 9,688.80 / 1e-310 overflowed to an infinite wedge (and imports fell to 0).
    fees = _fees().with_columns(pl.Series("value_eur", [1e-310, None, VALUE]))
    out = cbam.trade_response(fees, elasticity=-2.0, by=None)
    assert out["wedge"][0] is None and out["quantity_after_t"][0] is None
    assert all(math.isfinite(w) for w in out["wedge"].drop_nulls())
