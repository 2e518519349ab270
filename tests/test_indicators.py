"""Golden cases for the indicators (cbam/_indicators.py), hand-derived from the rules.

The base case is the regulation's worked example, also checked by the compute doctest:
100 t of CN 7207 11 11 from Türkiye in 2026 at EUR 80 has embedded emissions 254.1 t (default
2.541 t/t), a free-allocation adjustment of 132.99 t (100 x column-B benchmark 1.364 x CBAM
factor 0.975), 121.11 certificates and a fee of EUR 9,688.80.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import cbam

PRICE = 80.0
FEE = 9_688.80  # 121.11 x 80
EMBEDDED = 254.1
FREE = 132.99
S80 = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": PRICE})


def _rows(**extra: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "year": [2026],
        "origin": ["TUR"],
        "cn_code": ["72071111"],
        "quantity_t": [100.0],
    }
    return pl.DataFrame({**base, **extra})


def test_ave_is_fee_over_customs_value_and_skips_rows_without_value() -> None:
    # Two Turkish rows in one group: one with a customs value of EUR 55,000, one without.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [100.0, 50.0],
            "value_eur": [55_000.0, None],
        }
    )
    out = cbam.ad_valorem_equivalents(cbam.compute(rows, S80))
    row = out.row(0, named=True)
    assert (row["origin"], str(row["sector"]), row["year"]) == ("TUR", "iron_steel", 2026)
    assert row["rows"] == 2 and row["rows_without_value"] == 1
    assert row["value_eur"] == pytest.approx(55_000.0)
    # fee_eur counts both rows: 9,688.80 + half of it for 50 t = 14,533.20
    assert row["fee_eur"] == pytest.approx(14_533.20)
    # ave counts only the valued row: 9,688.80 / 55,000 = 0.176160
    assert row["ave"] == pytest.approx(9_688.80 / 55_000.0)
    assert row["ave_before_exemptions"] == pytest.approx(row["ave"])


def test_ave_before_exemptions_for_an_exempt_origin() -> None:
    # Mozambique (LDC) exempt: fee 0, but the would-be fee keeps its AVE.
    # MOZ 7207 11 11 takes the 'other countries' default, like the row's own value shows.
    rows = _rows(value_eur=[55_000.0]).with_columns(pl.lit("MOZ").alias("origin"))
    s = cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"certificate_price_eur": PRICE})
    fees = cbam.compute(rows, s)
    out = cbam.ad_valorem_equivalents(fees, by=["origin"])
    assert out["ave"].item() == 0.0
    expected = fees["fee_before_exemptions_eur"].item() / 55_000.0
    assert out["ave_before_exemptions"].item() == pytest.approx(expected)
    assert expected > 0


def test_ave_is_null_not_nan_without_any_value() -> None:
    out = cbam.ad_valorem_equivalents(cbam.compute(_rows(), S80), by=[])
    assert out["ave"].item() is None and out["rows_without_value"].item() == 1


def test_fee_per_tonne() -> None:
    out = cbam.fee_per_tonne(cbam.compute(_rows(), S80), by=["origin"]).row(0, named=True)
    assert out["fee_per_t"] == pytest.approx(96.888)  # 9,688.80 / 100 t
    assert out["embedded_t_per_t"] == pytest.approx(2.541)  # the default value
    # 9,688.80 / 254.1 t = EUR 38.1299 per t CO2e = 80 x (1 - 132.99 / 254.1)
    assert out["fee_per_t_co2e"] == pytest.approx(FEE / EMBEDDED)


def test_exposure_against_exports_total_exports_and_gdp() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026, 2027],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [100.0, 100.0],
            "value_eur": [55_000.0, 55_000.0],
        }
    )
    fees = cbam.compute(rows, S80)
    economy = pl.DataFrame(
        {
            "origin": ["TUR", "TUR"],
            "year": [2026, 2027],
            "total_exports_eur": [1e6, 2e6],
            "gdp_eur": [1e7, None],
        }
    )
    out = cbam.exposure(fees, by=["origin", "year"], economy=economy)
    first = out.row(0, named=True)
    assert first["year"] == 2026 and first["exports_eur"] == pytest.approx(55_000.0)
    assert first["share_of_exports"] == pytest.approx(FEE / 55_000.0)
    assert first["share_of_total_exports"] == pytest.approx(FEE / 1e6)  # 0.0096888
    assert first["share_of_gdp"] == pytest.approx(FEE / 1e7)
    second = out.row(1, named=True)
    assert second["share_of_gdp"] is None  # no GDP given for 2027
    assert second["share_of_total_exports"] == pytest.approx(second["fee_eur"] / 2e6)


def test_exposure_rejects_an_economy_table_without_keys_or_denominators() -> None:
    fees = cbam.compute(_rows(value_eur=[1.0]), S80)
    with pytest.raises(ValueError, match="key column"):
        cbam.exposure(fees, economy=pl.DataFrame({"iso": ["TUR"], "gdp_eur": [1.0]}))
    with pytest.raises(ValueError, match="gdp_eur"):
        cbam.exposure(fees, economy=pl.DataFrame({"origin": ["TUR"], "pop": [1.0]}))


def test_break_even_price_and_gap() -> None:
    # p* = 80 x (1 - 132.99 / 254.1) = 38.1299; with EUR 20 paid the gap is 18.1299.
    fees = cbam.compute(_rows(carbon_price_paid_eur_per_t=[20.0]), S80)
    out = cbam.break_even_carbon_price(fees).row(0, named=True)
    expected = PRICE * (1 - FREE / EMBEDDED)
    assert out["break_even_price_eur_per_t"] == pytest.approx(expected)
    assert out["price_gap_eur_per_t"] == pytest.approx(expected - 20.0)
    # Paying p* at home zeroes the fee.
    again = cbam.compute(_rows(carbon_price_paid_eur_per_t=[expected]), S80)
    assert again["fee_eur"].item() == pytest.approx(0.0, abs=1e-9)


def test_break_even_price_without_free_allocation_is_the_certificate_price() -> None:
    # 2034: CBAM factor 0, so no free allocation and p* = P.
    s = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": PRICE, "rules_year": 2034}
    )
    out = cbam.break_even_carbon_price(cbam.compute(_rows(), s))
    assert out["break_even_price_eur_per_t"].item() == pytest.approx(PRICE)


def test_break_even_price_is_null_when_the_scenario_ignores_prices_paid() -> None:
    s = cbam.load_scenario(
        "eu-cbam",
        overrides={"certificate_price_eur": PRICE, "carbon_price_abroad.source": "none"},
    )
    out = cbam.break_even_carbon_price(cbam.compute(_rows(), s))
    assert out["break_even_price_eur_per_t"].item() is None


def test_break_even_price_is_null_where_the_regime_gives_no_relief() -> None:
    # The US CCA deducts no price paid abroad ('none (no relief in us-cca-2025)'): a p* of
    # 24.57 for Ukrainian steel, paid at home, left the fee as it was.
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["UKR"], "cn_code": ["72081000"], "quantity_t": [100.0]}
    )
    fees = cbam.compute(rows, "us-cca-2025")
    assert fees["fee_eur"].item() > 0
    out = cbam.break_even_carbon_price(fees)
    assert out["break_even_price_eur_per_t"].item() is None
    assert out["price_gap_eur_per_t"].item() is None


def test_break_even_price_by_group_takes_the_largest_and_the_weighted_mean() -> None:
    # 2026 row: p* = 38.1299 on 254.1 t; a 2034 row of the same trade: p* = 80 on E(2034).
    rows = pl.DataFrame(
        {
            "year": [2026, 2034],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [100.0, 100.0],
        }
    )
    fees = cbam.compute(rows, S80)
    out = cbam.break_even_carbon_price(fees, by=["origin"]).row(0, named=True)
    assert out["break_even_price_eur_per_t"] == pytest.approx(PRICE)
    e26, e34 = fees["embedded_t"].to_list()
    weighted = (PRICE * (1 - FREE / EMBEDDED) * e26 + PRICE * e34) / (e26 + e34)
    assert out["break_even_price_weighted_eur_per_t"] == pytest.approx(weighted)


def test_actual_value_threshold_hand_derived() -> None:
    # Default 2.541 t/t, column-B benchmark 1.364, column-A benchmark of 7207 11 11 (BF-BOF
    # semi-finished, own process only) 0.188, factor 0.975, no price paid:
    # x* = 2.541 - (1.364 - 0.188) x 0.975 = 1.3944 t/t.
    out = cbam.actual_value_threshold(cbam.compute(_rows(), S80), S80).row(0, named=True)
    assert out["default_see_t_per_t"] == pytest.approx(2.541)
    assert out["default_benchmark_t_per_t"] == pytest.approx(1.364)
    assert out["actual_benchmark_t_per_t"] == pytest.approx(0.188)
    assert out["actual_see_threshold_t_per_t"] == pytest.approx(2.541 - 1.176 * 0.975)
    # With EUR 20 paid at P = 80 the deduction share is d = 0.25:
    # x* = 2.541 - 1.176 x 0.975 / 0.75 = 1.0122.
    paid = cbam.compute(_rows(carbon_price_paid_eur_per_t=[20.0]), S80)
    x = cbam.actual_value_threshold(paid, S80)["actual_see_threshold_t_per_t"].item()
    assert x == pytest.approx(2.541 - 1.176 * 0.975 / 0.75)


def test_actual_values_just_below_the_threshold_beat_the_defaults() -> None:
    fees = cbam.compute(_rows(), S80)
    x = cbam.actual_value_threshold(fees, S80)["actual_see_threshold_t_per_t"].item()
    # Actual values name their route: C, the route of TUR 7207 11 11's default value.
    below = cbam.compute(_rows(see_direct=[x - 0.01], route=["C"]), S80)["fee_eur"].item()
    above = cbam.compute(_rows(see_direct=[x + 0.01], route=["C"]), S80)["fee_eur"].item()
    assert below < FEE < above
    # At x* itself the two fees are equal.
    at = cbam.compute(_rows(see_direct=[x], route=["C"]), S80)["fee_eur"].item()
    assert at == pytest.approx(FEE)


def test_actual_value_threshold_with_benchmark_b_for_actual_values_is_the_default() -> None:
    # actual_values_benchmark: B reads actual values on column B, so x* = SEE_D.
    s = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": PRICE, "actual_values_benchmark": "B"}
    )
    out = cbam.actual_value_threshold(cbam.compute(_rows(), s), s)
    assert out["actual_see_threshold_t_per_t"].item() == pytest.approx(2.541)


def test_actual_value_threshold_nulls_where_it_is_undefined() -> None:
    # A non-CBAM code, a full deduction (paid >= price) and zero quantity give no threshold.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026, 2026],
            "origin": ["TUR", "TUR", "TUR"],
            "cn_code": ["01012100", "72071111", "72071111"],
            "quantity_t": [10.0, 100.0, 0.0],
            "carbon_price_paid_eur_per_t": [None, 100.0, None],
        }
    )
    fees = cbam.compute(rows, S80)
    out = cbam.actual_value_threshold(fees, S80)
    assert out["actual_see_threshold_t_per_t"].to_list() == [None, None, None]
    # The fee table's own columns come through unchanged.
    assert out.select(fees.columns).equals(fees)


def test_actual_value_threshold_keeps_lazy_frames_lazy() -> None:
    fees = cbam.compute(_rows().lazy(), S80)
    out = cbam.actual_value_threshold(fees, S80)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["actual_see_threshold_t_per_t"].item() == pytest.approx(1.3944)


def test_phase_in_trajectory_hand_derived() -> None:
    # The same 100 t under each year's rules at EUR 80. From 2028 the default carries the
    # 2028 mark-up, 3.003 t/t; the benchmark stays 1.364 (2028-2030 period).
    rows = _rows().with_columns(pl.lit(2025).alias("year"))
    path = cbam.phase_in(rows, S80)
    assert path["rules_year"].to_list() == list(range(2026, 2035))
    assert path["cbam_factor"].to_list() == [0.975, 0.95, 0.9, 0.775, 0.515, 0.39, 0.265, 0.14, 0]
    fee = dict(zip(path["rules_year"], path["fee_eur"], strict=True))
    assert fee[2026] == pytest.approx(FEE)
    assert fee[2030] == pytest.approx(80 * 100 * (3.003 - 1.364 * 0.515))  # 18,404.32
    assert fee[2034] == pytest.approx(80 * 100 * 3.003)  # 24,024.00
    # Fees never fall while the factor falls and the price is flat.
    fees = path["fee_eur"].to_list()
    assert fees == sorted(fees)


def test_phase_in_by_origin_and_chosen_years() -> None:
    rows = pl.DataFrame(
        {
            "year": [2025, 2025],
            "origin": ["TUR", "NOR"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [100.0, 100.0],
        }
    )
    path = cbam.phase_in(rows, S80, years=[2026, 2034], by=["origin"])
    assert path.select("rules_year", "origin").rows() == [
        (2026, "NOR"),
        (2026, "TUR"),
        (2034, "NOR"),
        (2034, "TUR"),
    ]
    assert path.filter(pl.col("origin") == "NOR")["fee_eur"].to_list() == [0.0, 0.0]
    # A year given twice is one year of the path, not two rows of it.
    again = cbam.phase_in(rows, S80, years=[2026, 2034, 2026], by=["origin"])
    assert again.select("rules_year", "origin").rows() == path.select("rules_year", "origin").rows()


def test_phase_in_rejects_a_year_without_rules() -> None:
    # pydantic's ValidationError is a ValueError; the message names the field.
    with pytest.raises(ValueError, match="rules_year"):
        cbam.phase_in(_rows(), S80, years=[2020])


def test_flagged_rows_stay_out_of_the_indicators() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "XYZ"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [100.0, 100.0],
            "value_eur": [55_000.0, 1.0],
        }
    )
    fees = cbam.compute(rows, S80, on_error="flag")
    out = cbam.ad_valorem_equivalents(fees, by=[])
    assert out["rows"].item() == 1 and out["ave"].item() == pytest.approx(FEE / 55_000.0)


def test_rows_imported_elsewhere_are_left_out_as_summarise_leaves_them() -> None:
    # The USA-bound row (no EU import) doubled the tonnes and halved the EU's ave; recycling
    # on fees before exemptions paid CHN back for a fee it never owed the EU.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "CHN"],
            "cn_code": ["72071111"] * 2,
            "quantity_t": [100.0, 100.0],
            "value_eur": [55_000.0, 55_000.0],
            "destination": ["EUU", "USA"],
        }
    )
    fees = cbam.compute(rows, "eu-cbam")
    total = cbam.summarise(fees, by=[]).row(0, named=True)
    assert total["quantity_t"] == 100.0
    ave = cbam.ad_valorem_equivalents(fees, by=[]).row(0, named=True)
    assert ave["ave"] == ave["ave_before_exemptions"] == pytest.approx(total["ave"])
    assert cbam.fee_per_tonne(fees, by=[])["quantity_t"].item() == 100.0
    assert cbam.exposure(fees, by=[])["exports_eur"].item() == 55_000.0
    assert cbam.trade_response(fees, -1.0, by=[])["quantity_t"].item() == 100.0
    assert cbam.break_even_carbon_price(fees, by=[])["embedded_t"].item() == pytest.approx(254.1)
    plan = {
        "name": "back",
        "allocations": [
            {"pool": "back", "rule": "proportional_to_paid", "share": 1},
        ],
    }
    plan["allocations"][0]["basis"] = "fee_before_exemptions_eur"
    flows = cbam.recycle(fees, "eu-cbam", plan=plan).flows
    assert flows["recipient"].to_list() == ["TUR"]


def test_an_economy_table_is_keyed_as_the_rules_read_keys_and_once_each() -> None:
    fees = cbam.compute(_rows(value_eur=[55_000.0]), "eu-cbam")
    economy = pl.DataFrame({"origin": [" tur"], "gdp_eur": [1e12]})
    out = cbam.exposure(fees, by=["origin"], economy=economy)
    assert out["share_of_gdp"].item() == pytest.approx(fees["fee_eur"].sum() / 1e12)
    twice = pl.DataFrame({"origin": ["TUR", "TUR"], "gdp_eur": [1e12, 2e12]})
    with pytest.raises(ValueError, match="duplicate keys"):
        cbam.exposure(fees, by=["origin"], economy=twice)
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        cbam.exposure(fees, by=["origin"], economy=economy.with_columns(gdp_eur=pl.lit(-1.0)))


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam", "us-cca-2025"])
def test_the_actual_value_threshold_holds_for_every_linear_regime(name: str) -> None:
    # x*: actual values 1 % below it owe less than the default values, 1 % above it more.
    rows = pl.DataFrame(
        {
            "year": [2027],
            "origin": ["TUR"],
            "cn_code": ["72071111"],
            "quantity_t": [100.0],
            "value_eur": [55_000.0],
            "route": ["C"],
        }
    )
    fees = cbam.compute(rows, name)
    x = cbam.actual_value_threshold(fees, name)["actual_see_threshold_t_per_t"].item()
    assert x is not None
    default_fee = fees["fee_before_exemptions_eur"].item()
    for times, lower in ((0.99, True), (1.01, False)):
        with_actual = rows.with_columns(see_direct=pl.lit(x * times), see_indirect=pl.lit(0.0))
        fee = cbam.compute(with_actual, name)["fee_before_exemptions_eur"].item()
        assert (fee < default_fee) is lower, (name, times, fee, default_fee)


@pytest.mark.parametrize(
    "call",
    [
        lambda rows: cbam.break_even_carbon_price(rows),
        lambda rows: cbam.trade_response(rows, -1.0, by=None),
        lambda rows: cbam.trade_response(rows, -1.0),
        lambda rows: cbam.actual_value_threshold(rows),
    ],
)
def test_indicators_given_imports_instead_of_fees_say_so(call: Any) -> None:
    rows = pl.DataFrame(
        {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    )
    with pytest.raises(cbam.ScenarioError, match=r"not a cbam\.compute result"):
        call(rows)
