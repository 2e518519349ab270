"""Golden cases for the deduction of carbon price paid abroad (Reg. 2023/956 Art. 9).

Figures come from rates/carbon_prices/ (each row cites its publisher): UK ETS 2026 GBP 67.25
(Dec-26 futures, Jan 2026; provisional), GBP 2026 at EUR 1.17741 (ICAP 2025 mean carried
forward), UK ETS free allocation 0.9 for iron and steel (documented assumption); South Africa's
carbon tax ZAR 308 in 2026 (signalled, provisional), free or rebated 0.9 for iron and steel,
ZAR at EUR 0.0490565; Türkiye has no priced instrument (pilot ETS, 100 % free allocation:
rates/carbon_prices/no_price.csv). Deduction = embedded x price paid / certificate price (capped
at embedded); fee = max(0, embedded - adjustment - deduction) x certificate price.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import cbam

PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})


def one(scenario: cbam.Scenario = PRICED, **row: Any) -> dict[str, Any]:
    base = {"year": 2026, "cn_code": "72071111", "quantity_t": 100.0, **row}
    return cbam.compute(pl.DataFrame([base]), scenario).row(0, named=True)


def test_country_without_a_carbon_price_gets_no_deduction() -> None:
    out = one(origin="TUR")
    assert out["carbon_price_paid_eur_per_t"] == 0.0
    assert out["carbon_price_source"] == "none found"
    assert out["deduction_t"] == 0.0 and out["fee_eur"] == pytest.approx(9688.80)


def test_uk_ets_against_the_eu_price() -> None:
    paid = 67.25 * 1.17741 * 1.0 * (1 - 0.9)
    out = one(origin="GBR")
    assert out["carbon_price_paid_eur_per_t"] == pytest.approx(paid)
    assert out["carbon_price_source"] == "table: UK_ETS 2026 provisional"
    assert out["deduction_t"] == pytest.approx(out["embedded_t"] * paid / 80)
    expected = (out["embedded_t"] - out["free_allocation_t"] - out["deduction_t"]) * 80
    assert out["fee_eur"] == pytest.approx(expected)


def test_price_above_the_eu_price_caps_the_deduction_and_zeroes_the_fee() -> None:
    scenario = cbam.load_scenario(
        "eu-cbam",
        overrides={
            "certificate_price_eur": 80,
            "carbon_price_abroad": {"path": {"GBR": {"currency": "EUR", "values": {2026: 200}}}},
        },
    )
    out = one(scenario, origin="GBR")
    assert out["carbon_price_paid_eur_per_t"] == 200.0
    # Art. 9(1) reduces the certificates to be surrendered: at most those left after the free
    # allocation adjustment (254.1 - 132.99 = 121.11 t, docs/concepts.md's worked example).
    assert out["deduction_t"] == pytest.approx(out["embedded_t"] - out["free_allocation_t"])
    assert out["deduction_t"] == pytest.approx(121.11)
    assert out["certificates"] == 0.0 and out["fee_eur"] == 0.0


def test_tax_with_large_rebates_is_worth_far_less_than_its_headline() -> None:
    headline_eur = 308 * 0.0490565
    out = one(origin="ZAF")
    assert out["carbon_price_paid_eur_per_t"] == pytest.approx(headline_eur * 0.1)
    assert out["carbon_price_paid_eur_per_t"] < 0.15 * headline_eur


def test_certified_price_on_the_row_wins_over_the_table() -> None:
    out = one(origin="GBR", carbon_price_paid_eur_per_t=20.0)
    assert out["carbon_price_source"] == "row"
    assert out["deduction_t"] == pytest.approx(out["embedded_t"] * 0.25)


def test_scenario_can_ignore_foreign_prices_or_bring_its_own_in_usd() -> None:
    gross = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "carbon_price_abroad.source": "none"}
    )
    assert one(gross, origin="GBR")["deduction_t"] == 0.0
    own = cbam.load_scenario(
        "eu-cbam",
        overrides={
            "certificate_price_eur": 80,
            "carbon_price_abroad": {
                "source": "none",
                "path": {"IND": {"currency": "USD", "values": {2026: 10}}},
            },
        },
    )
    out = one(own, origin="IND")
    assert out["carbon_price_paid_eur_per_t"] == pytest.approx(10 * 0.889055)
    assert out["carbon_price_source"] == "scenario path (USD, from 2026)"


def test_cli_prints_each_origins_deduction(capsys: pytest.CaptureFixture[str]) -> None:
    from cbam.cli import main

    assert (
        main(["run", "--scenario", "eu-cbam-rules-2026", "--year", "2025", "--by", "origin"]) == 0
    )
    out = capsys.readouterr().out
    assert "deduction_eur" in out
    gbr = next(line for line in out.splitlines() if line.startswith("| GBR"))
    assert float(gbr.split("|")[5].replace(",", "")) > 0  # deduction_t of the UK


def test_partly_filled_or_text_price_column_is_read_per_row() -> None:
    # Empty cells take the table's price; the input's own cells are checked, not the output.
    for column in (pl.Series([40.0, None]), pl.Series(["40", None])):
        rows = pl.DataFrame(
            {
                "year": [2026, 2026],
                "origin": ["GBR", "GBR"],
                "cn_code": ["72071111"] * 2,
                "quantity_t": [100.0, 100.0],
                "carbon_price_paid_eur_per_t": column,
            }
        )
        out = cbam.compute(rows, PRICED)
        assert out["carbon_price_source"].cast(pl.String).to_list() == [
            "row",
            "table: UK_ETS 2026 provisional",
        ]
        assert out["carbon_price_paid_eur_per_t"][0] == 40.0


def test_bad_price_on_a_row_names_the_input_value() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["GBR", "GBR"],
            "cn_code": ["72071111"] * 2,
            "quantity_t": [1.0, 1.0],
            "carbon_price_paid_eur_per_t": [-5.0, None],
        }
    )
    with pytest.raises(
        cbam.CbamInputError, match=r"'carbon_price_paid_eur_per_t': negative: row 1 \(-5.0\)"
    ):
        cbam.compute(rows, PRICED)


def test_gross_fee_option_ignores_row_prices_too() -> None:
    gross = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "carbon_price_abroad.source": "none"}
    )
    out = one(gross, origin="GBR", carbon_price_paid_eur_per_t=40.0)
    assert out["deduction_t"] == 0.0
    assert out["carbon_price_source"] == "none (scenario: gross fee)"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ({"XYZ": {"values": {2026: 5}}}, "unknown ISO 3166-1 alpha-3 origins"),
        ({"IND": {"currency": "INR", "values": {2026: 5}}}, "no exchange rates for 'INR'"),
        ({"IND": {"values": {2026: 5}, "sectors": ["steel"]}}, "sectors must be distinct names"),
    ],
)
def test_price_paths_are_validated_when_the_scenario_loads(
    path: dict[str, Any], message: str
) -> None:
    with pytest.raises(cbam.ScenarioError, match=message):
        cbam.load_scenario("eu-cbam", overrides={"carbon_price_abroad": {"path": path}})


def test_lowercase_path_origin_is_read_as_iso3() -> None:
    scenario = cbam.load_scenario(
        "eu-cbam",
        overrides={
            "certificate_price_eur": 80,
            "carbon_price_abroad": {"path": {"ind": {"values": {2026: 8}}}},
        },
    )
    assert one(scenario, origin="IND")["carbon_price_paid_eur_per_t"] == 8.0


@pytest.mark.parametrize("price", [49.0, 98.0, 103.0, 80.0])
def test_a_price_paid_equal_to_the_certificate_price_deducts_every_tonne_exactly(
    price: float,
) -> None:
    # Art. 9: the reduction may reach the embedded emissions. Times the reciprocal, 49 * (1/49)
    # is an ulp short of 1: 4142.999999999999 t deducted and a fee of 4e-11 EUR.
    scenario = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": price})
    rows = pl.DataFrame(
        {"year": [2036], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [1000.0]}
    ).with_columns(carbon_price_paid_eur_per_t=pl.lit(price))
    out = cbam.compute(rows, scenario).row(0, named=True)
    assert out["deduction_t"] == out["embedded_t"]
    assert out["certificates"] == 0.0 and out["fee_eur"] == 0.0
