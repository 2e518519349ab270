"""Golden cases for the regimes as data: UK CBAM, US Clean Competition Act, US Foreign Pollution
Fee Act, the EU phase-out sensitivity, user designs, and ``compare``.

Every expected value is computed by hand from cited parameters:

* default values: ``rates/eu/default_values.csv`` (IR (EU) 2025/2621, base values without
  mark-up) - TUR 7207 11 11 direct 2.310 (no indirect value); USA 7207 11 11 direct 1.390;
  CHN 7207 11 11 direct 3.169; TUR 2814 10 00 direct 2.170, indirect 0.100; USA 2814 10 00
  direct 3.320, indirect 0.090; CHN 2523 29 00 direct 1.350, indirect 0.070; USA 2523 29 00
  direct 1.160, indirect 0.060;
* UK: GBP 54.40 per t (``rates/regimes/uk-cbam.yaml``, UK ETS auction of 15 Oct 2025),
  free-allocation share 0 (not published), GBP 50,000 threshold; EUR 1.17741 per GBP
  (``rates/carbon_prices/fx.csv``, 2025 mean carried to later years);
* US CCA: USD 60 x 1.06^(year - 2026); applicable percentage 100 % in 2026, 97.5 % in 2027
  (``rates/regimes/us-cca-2025.yaml``, assumptions); EUR 0.889055 per USD (fx.csv);
* US FPF: tiers of ``rates/regimes/us-fpf-2025.yaml`` (assumed): above a ratio of 1.10 5 %,
  1.25 10 %, 1.50 20 %, 1.75 30 %, 2.00 40 %, 2.50 60 %, 3.00 80 %.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import cbam
from cbam import _design, _engine
from cbam._design import Design
from cbam._engine import Charged, Given
from cbam.cli import main

GBP = 1.17741  # EUR per GBP, fx.csv
USD = 0.889055  # EUR per USD, fx.csv
UK_PRICE = 54.40  # GBP per t, rates/regimes/uk-cbam.yaml


def rows(**columns: list[object]) -> pl.DataFrame:
    return pl.DataFrame(columns)


def one(frame: pl.DataFrame, column: str, index: int = 0) -> object:
    return frame[column][index]


# --- UK CBAM ---------------------------------------------------------------------------------


def test_uk_steel_from_turkiye_in_2027() -> None:
    out = cbam.compute(
        rows(year=[2027], origin=["TUR"], cn_code=["7207 11 11"], quantity_t=[100.0]), "uk-cbam"
    )
    # 100 t x 2.310 (direct only until 2029) = 231 t; free-allocation share 0; no carbon price
    # in Türkiye (rates/carbon_prices/no_price.csv); 231 x GBP 54.40 = GBP 12,566.40.
    assert one(out, "embedded_t") == pytest.approx(231.0)
    assert one(out, "certificates") == pytest.approx(231.0)
    assert one(out, "fee_local") == pytest.approx(12_566.40)
    assert one(out, "currency") == "GBP"
    assert one(out, "fee_eur") == pytest.approx(12_566.40 * GBP)
    assert one(out, "certificate_price_eur") == pytest.approx(UK_PRICE * GBP)
    # One price in force all year: the year's price, not a mean of four equal quarters.
    assert one(out, "certificate_price_period") == "2027 (assumed)"
    assert one(out, "intensity_source") == "default:country"


def test_uk_counts_indirect_emissions_from_2029_only() -> None:
    panel = rows(
        year=[2027, 2029], origin=["TUR", "TUR"], cn_code=["28141000"] * 2, quantity_t=[10.0, 10.0]
    )
    out = cbam.compute(panel, "uk-cbam")
    # 2027: 10 t x 2.170 = 21.7 t; 2029: 10 t x (2.170 + 0.100) = 22.7 t (assumed from 2029).
    assert out["embedded_t"].to_list() == pytest.approx([21.7, 22.7])
    assert out["fee_local"].to_list() == pytest.approx([21.7 * UK_PRICE, 22.7 * UK_PRICE])


def test_uk_has_no_rules_before_2027() -> None:
    with pytest.raises(cbam.CbamInputError, match="uk-cbam applies from 2027"):
        cbam.compute(
            rows(year=[2026], origin=["TUR"], cn_code=["72071111"], quantity_t=[1.0]), "uk-cbam"
        )


def test_uk_threshold_of_gbp_50000_per_importer_and_year() -> None:
    # Importer a: GBP 20,000 + 20,000 = 40,000 <= 50,000: exempt. Importer b: GBP 60,000: liable.
    panel = rows(
        year=[2027, 2027, 2027],
        origin=["TUR", "TUR", "TUR"],
        cn_code=["72071111"] * 3,
        quantity_t=[10.0, 10.0, 10.0],
        value_eur=[20_000 * GBP, 20_000 * GBP, 60_000 * GBP],
        importer=["a", "a", "b"],
    )
    out = cbam.compute(panel, "uk-cbam")
    assert out["de_minimis"].cast(pl.String).to_list() == [
        "exempt (importer at or below threshold)",
        "exempt (importer at or below threshold)",
        "liable (importer above threshold)",
    ]
    assert out["fee_local"].to_list() == pytest.approx([0.0, 0.0, 23.1 * UK_PRICE])
    assert out["exempt"].to_list() == [True, True, False]
    assert str(one(out, "exemption_reason")).startswith("below the uk-cbam threshold")


def test_uk_threshold_needs_every_value_of_the_importer() -> None:
    panel = rows(
        year=[2027, 2027],
        origin=["TUR", "TUR"],
        cn_code=["72071111"] * 2,
        quantity_t=[1.0, 1.0],
        value_eur=[100.0, None],
        importer=["a", "a"],
    )
    out = cbam.compute(panel, "uk-cbam")
    assert (
        out["de_minimis"].cast(pl.String).to_list() == ["not applied (customs value missing)"] * 2
    )
    assert (out["fee_eur"] > 0).all()


def test_uk_domestic_goods_are_not_imports_and_eu_goods_are() -> None:
    panel = rows(
        year=[2027, 2027], origin=["GBR", "FRA"], cn_code=["72071111"] * 2, quantity_t=[1.0, 1.0]
    )
    out = cbam.compute(panel, "uk-cbam")
    assert out["exemption_reason"].cast(pl.String).to_list()[0] == "domestic (uk-cbam)"
    # No UK-EU linkage is in force: EU goods pay (OTHER row of the default values, 3.996).
    assert out["fee_local"][1] == pytest.approx(3.996 * UK_PRICE)


def test_a_scenario_s_excluded_origin_groups_apply_to_designs_as_to_the_eu() -> None:
    # uk-cbam lists no excluded group; a scenario excluding the EU-27 exempts France (an EU
    # member on 1 January 2027, country_lists/eu27.csv), named as the EU engine names a group
    # its regime file does not list, and leaves Turkiye and the UK's home rule as they were.
    panel = rows(
        year=[2027] * 3,
        origin=["FRA", "TUR", "GBR"],
        cn_code=["72071111"] * 3,
        quantity_t=[1.0] * 3,
    )
    base = cbam.compute(panel, "uk-cbam")
    out = cbam.compute(panel, cbam.load_scenario("uk-cbam", {"excluded_origin_groups": ["eu27"]}))
    assert out["exempt"].to_list() == [True, False, True]
    assert out["exemption_reason"].cast(pl.String).to_list() == [
        "excluded origin group 'eu27'",
        None,
        "domestic (uk-cbam)",
    ]
    assert out["fee_local"].to_list() == [0.0, base["fee_local"][1], 0.0]
    assert base["fee_local"][0] == pytest.approx(3.996 * UK_PRICE)  # charged without the group
    eu = cbam.compute(panel, cbam.load_scenario("eu-cbam", {"excluded_origin_groups": ["eu27"]}))
    assert eu["exemption_reason"][0] == "EU origin (inside the customs union)"  # regime's own


def test_uk_relief_for_carbon_price_paid_abroad() -> None:
    # Half the UK price (in EUR) paid abroad: half the embedded emissions deducted (s.150).
    paid = UK_PRICE * GBP / 2
    panel = rows(
        year=[2027],
        origin=["TUR"],
        cn_code=["72071111"],
        quantity_t=[100.0],
        carbon_price_paid_eur_per_t=[paid],
    )
    out = cbam.compute(panel, "uk-cbam")
    assert one(out, "deduction_t") == pytest.approx(115.5)
    assert one(out, "fee_local") == pytest.approx(12_566.40 / 2)
    assert one(out, "carbon_price_source") == "row"


def test_uk_electricity_is_not_covered() -> None:
    panel = rows(year=[2027], origin=["TUR"], cn_code=["27160000"], quantity_t=[5.0])
    out = cbam.compute(panel, "uk-cbam")
    assert one(out, "fee_eur") == 0.0
    assert one(out, "exemption_reason") == "sector not covered by uk-cbam"


# --- US Clean Competition Act ---------------------------------------------------------------


def test_cca_charges_intensity_above_the_declining_us_baseline() -> None:
    out = cbam.compute(
        rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0]),
        "us-cca-2025",
    )
    # Baseline 1.390 (USA) x 0.975 = 1.35525 t/t; 100 x (2.310 - 1.35525) = 95.475 t charged;
    # price 60 x 1.06 = USD 63.60: USD 6,072.21.
    assert one(out, "benchmark_t_per_t") == pytest.approx(1.35525)
    assert one(out, "free_allocation_t") == pytest.approx(135.525)
    assert one(out, "certificates") == pytest.approx(95.475)
    assert one(out, "fee_local") == pytest.approx(6_072.21)
    assert one(out, "fee_eur") == pytest.approx(6_072.21 * USD)
    assert one(out, "currency") == "USD"
    assert "EU default values for USA" in str(one(out, "reference_source"))
    assert "(assumption)" in str(one(out, "reference_source"))


def test_cca_cement_per_tonne_of_clinker_with_indirect_emissions() -> None:
    panel = rows(
        year=[2026], origin=["CHN"], cn_code=["25232900"], quantity_t=[100.0], clinker_share=[0.8]
    )
    out = cbam.compute(panel, "us-cca-2025")
    # rates/eu/default_values.csv (IR 2025/2621), where indirect emissions count, the published
    # totals: CHN 1.420 (1.350 + 0.070); the US baseline 1.210 at 100 % (its parts 1.160 +
    # 0.060 add up to 1.22: the total is rounded on its own, and a sum of parts gave USD 960);
    # 100 t x 0.8 clinker x 0.21 = 16.8 t x USD 60 = USD 1,008.
    assert one(out, "see_t_per_t") == pytest.approx(1.42, abs=1e-12)
    assert one(out, "benchmark_t_per_t") == pytest.approx(1.21, abs=1e-12)
    assert one(out, "certificates") == pytest.approx(16.8)
    assert one(out, "fee_local") == pytest.approx(1008.0)


def test_cca_cleaner_than_the_us_pays_nothing_and_us_goods_are_domestic() -> None:
    panel = rows(
        year=[2026, 2026],
        origin=["TUR", "USA"],
        cn_code=["28141000", "72071111"],
        quantity_t=[10.0, 10.0],
    )
    out = cbam.compute(panel, "us-cca-2025")
    # Ammonia: Türkiye 2.27 t/t below the US 3.41: nothing charged, yet not exempt.
    assert out["fee_eur"].to_list() == [0.0, 0.0]
    assert out["exempt"].to_list() == [False, True]
    assert out["exemption_reason"].cast(pl.String).to_list() == [None, "domestic (us-cca-2025)"]


def test_cca_design_values_can_be_changed_in_a_scenario(tmp_path: Path) -> None:
    path = tmp_path / "cca-high.yaml"
    path.write_text(
        "extends: us-cca-2025\nname: cca-flat-100\n"
        "design:\n  charge:\n    price:\n      description: flat\n      unit: USD per t\n"
        "      values:\n        - {from: 2026, value: 100.0, reference: {title: t, href: https://example.org}}\n",
        "utf-8",
    )
    out = cbam.compute(
        rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0]), str(path)
    )
    assert one(out, "fee_local") == pytest.approx(95.475 * 100.0)


@pytest.mark.parametrize("year", [2026, 2030, 2040, 2041, 2045, 2050])
def test_cca_price_keeps_rising_6_percent_a_year_after_2040(year: int) -> None:
    # S.3523: USD 60 in 2026, + 6 % a year real (American Action Forum; PolicyBrief S.3523),
    # listed as 60 x 1.06^n in 2026 dollars. The path once stopped at 2040 (USD 135.65), so
    # 2041 and later were charged the 2040 price instead of 143.79, 181.54, 242.94.
    out = cbam.compute(
        rows(year=[year], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0]),
        "us-cca-2025",
    )
    price = one(out, "fee_local") / one(out, "certificates")  # type: ignore[operator]
    assert price == pytest.approx(round(60 * 1.06 ** (year - 2026), 2))


# --- US Foreign Pollution Fee Act -----------------------------------------------------------


def test_fpf_ad_valorem_tiers_by_intensity_ratio() -> None:
    panel = rows(
        year=[2027, 2027, 2027],
        origin=["TUR", "CHN", "TUR"],
        cn_code=["72071111", "72071111", "28141000"],
        quantity_t=[100.0, 100.0, 100.0],
        value_eur=[50_000.0, 50_000.0, 50_000.0],
    )
    out = cbam.compute(panel, "us-fpf-2025")
    # TUR steel 2.310 / 1.390 = 1.66 -> 20 %; CHN 3.169 / 1.390 = 2.28 -> 40 %;
    # TUR ammonia (2.170 + 0.100) / (3.320 + 0.090) = 0.67 -> no fee.
    assert out["fee_eur"].to_list() == pytest.approx([10_000.0, 20_000.0, 0.0])
    assert out["ave"].to_list() == pytest.approx([0.2, 0.4, 0.0])
    assert out["fee_local"].to_list() == pytest.approx([10_000 / USD, 20_000 / USD, 0.0])
    assert out["certificates"].null_count() == 3


def test_fpf_needs_customs_values() -> None:
    with pytest.raises(cbam.CbamInputError, match="share of customs value"):
        cbam.compute(
            rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[1.0]),
            "us-fpf-2025",
        )


# --- EU phase-out sensitivity ---------------------------------------------------------------


def test_eu_phaseout_2038_keeps_15_percent_free_allocation_in_2034() -> None:
    panel = rows(year=[2034], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0])
    law = cbam.compute(panel, "eu-cbam")
    proposal = cbam.compute(panel, "eu-cbam-phaseout-2038")
    assert one(law, "cbam_factor") == 0.0
    assert one(proposal, "cbam_factor") == pytest.approx(0.15)
    # Same benchmark, 15 % of it still free: the difference is 0.15 x benchmark x 100 t.
    benchmark = float(one(proposal, "benchmark_t_per_t"))  # type: ignore[arg-type]
    assert one(proposal, "free_allocation_t") == pytest.approx(100 * benchmark * 0.15)
    assert one(law, "currency") == "EUR"
    assert one(law, "fee_local") == one(law, "fee_eur")


# --- User designs, validation ---------------------------------------------------------------

TEMPLATE = Path(__file__).resolve().parents[1] / "rates/regimes/templates/flat-border-fee.yaml"


def test_the_template_design_runs_as_a_scenario() -> None:
    panel = rows(
        year=[2026, 2030, 2026],
        origin=["TUR", "TUR", "FRA"],
        cn_code=["72071111"] * 3,
        quantity_t=[100.0] * 3,
    )
    out = cbam.compute(panel, str(TEMPLATE))
    # EUR 65 then EUR 100 per t on 231 t; France is inside the EU.
    assert out["fee_eur"].to_list() == pytest.approx([231 * 65.0, 231 * 100.0, 0.0])


def test_cli_runs_a_user_design_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imports = tmp_path / "imports.csv"
    rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0]).write_csv(imports)
    assert main(["run", "--scenario", str(TEMPLATE), "--imports", str(imports)]) == 0
    out = capsys.readouterr().out
    assert "regime: flat-border-fee" in out
    assert "Total fee: EUR 15,015.00" in out  # 231 t x EUR 65


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"charge": {"kind": "ad_valorem_tiers"}}, "a 'ad_valorem_tiers' charge needs tiers"),
        ({"sectors": ["steel"]}, "unknown sector 'steel'"),
        ({"currency": "XYZ"}, "no exchange rate for currency 'XYZ'"),
        ({"home_origins": ["XXX"]}, "unknown ISO3 'XXX'"),
        ({"charge": {"colour": "red"}}, "colour"),
        ({"charge": {"kind": "flat"}}, r"unknown charge kind 'flat' \(known: benchmark, per_tonne"),
    ],
)
def test_invalid_designs_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(cbam.ScenarioError, match=message):
        cbam.load_scenario("us-cca-2025", overrides={"design": change})


def test_eu_only_parameters_are_refused_for_designs() -> None:
    with pytest.raises(cbam.ScenarioError, match="certificate_price_eur apply to the EU CBAM's"):
        cbam.load_scenario("uk-cbam", overrides={"certificate_price_eur": 80})
    with pytest.raises(cbam.ScenarioError, match="unknown regime 'mars-cbam'"):
        cbam.load_scenario("eu-cbam", overrides={"regime": "mars-cbam"})


def test_unsorted_tiers_are_refused() -> None:
    tiers = [
        {
            "ratio_above": 2.0,
            "rate": 0.4,
            "reference": {"title": "t", "href": "https://example.org"},
        },
        {
            "ratio_above": 1.5,
            "rate": 0.2,
            "reference": {"title": "t", "href": "https://example.org"},
        },
    ]
    with pytest.raises(cbam.ScenarioError, match="strictly increasing"):
        cbam.load_scenario("us-fpf-2025", overrides={"design": {"charge": {"tiers": tiers}}})


def test_list_regimes() -> None:
    assert set(cbam.list_regimes()) == {"eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025"}


# --- compare --------------------------------------------------------------------------------


def test_compare_equals_the_per_scenario_runs_in_a_common_currency() -> None:
    panel = rows(
        year=[2027, 2027, 2027],
        origin=["TUR", "CHN", "TUR"],
        cn_code=["72071111", "72071111", "28141000"],
        quantity_t=[100.0, 100.0, 10.0],
        value_eur=[50_000.0, 50_000.0, 5_000.0],
    )
    names = ["eu-cbam", "uk-cbam", "us-fpf-2025"]
    table = cbam.compare(panel, names, currency="GBP")
    assert table.columns == [
        "origin",
        "fee_gbp:eu-cbam",
        "fee_gbp:uk-cbam",
        "fee_gbp:us-fpf-2025",
        "uk-cbam - eu-cbam",
        "us-fpf-2025 - eu-cbam",
    ]
    for name in names:
        fees = cbam.compute(panel, name)
        by_origin = dict(fees.group_by("origin").agg(pl.col("fee_eur").sum()).iter_rows())
        got = dict(table.select("origin", f"fee_gbp:{name}").iter_rows())
        assert got == pytest.approx({k: v / GBP for k, v in by_origin.items()})
    tur = table.row(by_predicate=pl.col("origin") == "TUR", named=True)
    # UK: TUR steel 231 t + ammonia 21.7 t at GBP 54.40.
    assert tur["fee_gbp:uk-cbam"] == pytest.approx((231 + 21.7) * UK_PRICE)
    assert tur["uk-cbam - eu-cbam"] == pytest.approx(
        tur["fee_gbp:uk-cbam"] - tur["fee_gbp:eu-cbam"]
    )


def test_compare_needs_two_distinct_scenarios() -> None:
    panel = rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[1.0])
    with pytest.raises(cbam.ScenarioError, match="two or more"):
        cbam.compare(panel, ["eu-cbam"])
    with pytest.raises(cbam.ScenarioError, match="distinct"):
        cbam.compare(panel, ["eu-cbam", "eu-cbam"])
    with pytest.raises(cbam.ScenarioError, match="currency 'XYZ'"):
        cbam.compare(panel, ["eu-cbam", "uk-cbam"], currency="XYZ")


def test_cbam_compare_command(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "compare",
        "eu-cbam",
        "uk-cbam",
        "us-cca-2025",
        "--year",
        "2025",
        "--rules-year",
        "2027",
        "--top",
        "3",
        "--currency",
        "USD",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Fees by origin (USD; top 3 of" in out
    assert "fee_usd:us-cca-2025" in out
    assert "assumed: A bill, not law." in out


def test_the_docs_design_example_runs(tmp_path: Path) -> None:
    # The docs show a user's one-file design (docs/regimes/your-own.md); it must run as printed.
    page = Path(__file__).resolve().parents[1] / "docs" / "regimes" / "your-own.md"
    text = page.read_text("utf-8")
    start = text.index("# my-border-fee.yaml")
    block = text[start : text.index("```", start)]
    path = tmp_path / "my-border-fee.yaml"
    path.write_text(block, "utf-8")
    panel = rows(
        year=[2026, 2031],
        origin=["TUR", "TUR"],
        cn_code=["72071111"] * 2,
        quantity_t=[100.0, 100.0],
    )
    out = cbam.compute(panel, str(path))
    assert out["fee_eur"].to_list() == pytest.approx([231 * 65.0, 231 * 100.0])


def test_the_readme_python_example_runs() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = readme.split("## Use it from Python")[1].split("```python")[1].split("```")[0]
    namespace: dict[str, object] = {}
    exec(block, namespace)  # the README's own code, as printed
    fees = namespace["fees"]
    assert isinstance(fees, pl.DataFrame)
    # The regulation's worked example at EUR 80 (README; doctest of cbam.compute).
    assert fees["fee_eur"][0] == pytest.approx(9_688.80)
    table = cbam.compare(namespace["imports"], namespace["designs"], currency="USD")  # type: ignore[arg-type]
    assert table.height == 3


@pytest.mark.parametrize("reverse", [False, True])
def test_uk_threshold_at_exactly_gbp_50000_is_exempt_in_any_order(reverse: bool) -> None:
    # GBP 50,000 threshold (rates/regimes/uk-cbam.yaml): at or below it nothing is owed. Ten
    # shipments of GBP 0.10 plus GBP 49,999 are GBP 50,000.00 exactly in whole pence
    # (rates/eu/exact_sums.yaml), whatever the order and the EUR-to-GBP conversion; a penny
    # more is liable.
    gbp = [0.1] * 10 + [49_999.0]
    panel = rows(
        year=[2027] * 11,
        origin=["TUR"] * 11,
        cn_code=["72071111"] * 11,
        quantity_t=[1.0] * 11,
        value_eur=[v * GBP for v in gbp],
        importer=["a"] * 11,
    )
    panel = panel.reverse() if reverse else panel
    out = cbam.compute(panel, "uk-cbam")
    assert set(out["de_minimis"].cast(pl.String)) == {"exempt (importer at or below threshold)"}
    more = panel.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("value_eur") + 0.01 * GBP)
        .otherwise(pl.col("value_eur"))
        .alias("value_eur")
    )
    liable = cbam.compute(more, "uk-cbam")
    assert set(liable["de_minimis"].cast(pl.String)) == {"liable (importer above threshold)"}


# --- Regimes mixed in YAML: every regime is a design, the EU CBAM's mechanics are blocks ------


def test_eu_cbam_with_the_uk_value_threshold(tmp_path: Path) -> None:
    scenario = tmp_path / "eu-value-threshold.yaml"
    scenario.write_text(
        """
name: eu-value-threshold
regime: eu-cbam
design:
  threshold:
    description: EUR 50,000 of CBAM goods a year per importer
    basis: value
    reason: below EUR 50,000 a year
    not_counted: not covered (sector outside threshold)
    excluded_sectors: []
    amount:
      description: the UK's registration threshold, in EUR
      unit: EUR per importer per year
      values:
        - {from: 2026-01-01, value: 50000, reference: {title: test, href: https://example.org}}
""",
        encoding="utf-8",
    )
    imports = rows(
        year=[2027, 2027, 2027],
        origin=["TUR"] * 3,
        cn_code=["7207 11 11"] * 3,
        quantity_t=[100.0, 100.0, 100.0],
        value_eur=[20_000.0, 20_000.0, 60_000.0],
        importer=["A", "A", "B"],
    )
    out = cbam.compute(imports, cbam.load_scenario(str(scenario)))
    # Importer A: EUR 40,000 <= 50,000, exempt although its 200 t exceed the EU's 50 t.
    assert out["de_minimis"].to_list()[:2] == ["exempt (importer at or below threshold)"] * 2
    assert out["exemption_reason"].to_list()[:2] == ["below EUR 50,000 a year"] * 2
    assert out["fee_eur"].to_list()[:2] == [0.0, 0.0]
    # Importer B (EUR 60,000) pays what the EU CBAM charges the row without a threshold.
    plain = cbam.compute(imports.drop("importer"), "eu-cbam")
    assert one(out, "de_minimis", 2) == "liable (importer above threshold)"
    assert one(out, "fee_eur", 2) == pytest.approx(one(plain, "fee_eur", 2))
    assert one(out, "fee_eur", 2) > 0
    # Under the EU's own mass threshold, A (200 t > 50 t) is liable.
    eu = cbam.compute(imports, "eu-cbam")
    assert eu["de_minimis"].to_list()[:2] == ["liable (importer above threshold)"] * 2


def test_uk_cbam_with_eu_benchmarks(tmp_path: Path) -> None:
    scenario = tmp_path / "uk-eu-benchmarks.yaml"
    scenario.write_text(
        """
name: uk-eu-benchmarks
regime: uk-cbam
design:
  charge:
    kind: benchmark
    cbam_factor: {file: eu/cbam_factor.yaml}
    cross_sectoral_correction_factor: {file: eu/cross_sectoral_correction_factor.yaml}
    benchmark_period: {file: eu/benchmark_period.yaml}
""",
        encoding="utf-8",
    )
    imports = rows(year=[2027], origin=["TUR"], cn_code=["7207 11 11"], quantity_t=[100.0])
    out = cbam.compute(imports, cbam.load_scenario(str(scenario)))
    # UK emissions: 100 t x 2.310 (base default, direct only) = 231 t. EU free allocation:
    # 100 t x 1.364 (IR 2025/2620 column B, route C, 2026-2027) x 0.95 (CBAM factor 2027)
    # x 1.0 (CSCF) = 129.58 t; 101.42 t x GBP 54.40 = GBP 5,517.248.
    assert one(out, "embedded_t") == pytest.approx(231.0)
    assert one(out, "benchmark_t_per_t") == pytest.approx(1.364)
    assert (one(out, "benchmark_column"), one(out, "benchmark_route")) == ("B", "C")
    assert one(out, "free_allocation_t") == pytest.approx(129.58)
    assert one(out, "certificates") == pytest.approx(101.42)
    assert one(out, "fee_local") == pytest.approx(5_517.248)
    assert one(out, "fee_eur") == pytest.approx(5_517.248 * GBP)


def test_a_charge_kind_is_declared_once_with_its_name_needs_and_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One declaration per kind (``_engine.charge_kind`` on its rule) fills both the engine's
    # rules and the kinds ``Charge`` accepts: the four kinds, in the order declared.
    kinds = ["benchmark", "per_tonne", "baseline_intensity", "ad_valorem_tiers"]
    assert list(_engine.CHARGES) == list(_design.CHARGE_KINDS) == kinds
    assert _design.CHARGE_KINDS["benchmark"].needs[-1] == ("price", "certificate_price")
    # What the engine reads besides the rule: benchmarks (and routes), a customs value.
    reads = {k: (v.benchmarks, v.customs_value) for k, v in _design.CHARGE_KINDS.items()}
    assert reads == {
        "benchmark": (True, False),
        "per_tonne": (False, False),
        "baseline_intensity": (False, False),
        "ad_valorem_tiers": (False, True),
    }
    # A new kind, declared on its rule alone: a design names it and the engine runs it.
    monkeypatch.setattr(_engine, "CHARGES", dict(_engine.CHARGES))
    monkeypatch.setattr(_design, "CHARGE_KINDS", dict(_design.CHARGE_KINDS))

    @_engine.charge_kind("double_per_tonne", "price", ("free_allocation_share", "tiers"))
    def double(
        frame: pl.LazyFrame, scenario: cbam.Scenario, design: Design, given: Given
    ) -> Charged:
        frame, tonnes, amount = _engine.CHARGES["per_tonne"](frame, scenario, design, given)
        return frame, tonnes, amount * 2

    imports = rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0])
    uk = cbam.compute(imports, "uk-cbam")
    doubled = cbam.load_scenario("uk-cbam", overrides={"design.charge.kind": "double_per_tonne"})
    out = cbam.compute(imports, doubled)
    assert one(out, "fee_local") == pytest.approx(2 * one(uk, "fee_local"))
    assert one(out, "fee_local") == pytest.approx(2 * 231 * UK_PRICE)
    # Its needs are checked as the design is loaded, naming the kind and what is missing.
    with pytest.raises(cbam.ScenarioError, match=r"a 'double_per_tonne' charge needs price$"):
        cbam.load_scenario("us-fpf-2025", overrides={"design.charge.kind": "double_per_tonne"})
    with pytest.raises(cbam.ScenarioError, match=r"known: benchmark, .*, double_per_tonne\)"):
        cbam.load_scenario("uk-cbam", overrides={"design.charge.kind": "flat"})
    # A kind that charges a share of customs value: its liable rows must give one.
    _engine.charge_kind("doubled_by_value", "price", customs_value=True)(double)
    # (The UK's relief deducts certificates, which a share of customs value does not have.)
    with pytest.raises(cbam.ScenarioError, match="no certificates to deduct"):
        cbam.load_scenario("uk-cbam", overrides={"design.charge.kind": "doubled_by_value"})
    by_value = cbam.load_scenario(
        "uk-cbam",
        overrides={"design.charge.kind": "doubled_by_value", "carbon_price_relief": False},
    )
    with pytest.raises(cbam.CbamInputError, match="share of customs value"):
        cbam.compute(imports, by_value)
    valued = cbam.compute(imports.with_columns(value_eur=pl.lit(50_000.0)), by_value)
    assert one(valued, "fee_local") == pytest.approx(one(out, "fee_local"))
    # A kind is declared once, and only with parameters ``Charge`` has.
    with pytest.raises(ValueError, match="'double_per_tonne' is declared twice"):
        _engine.charge_kind("double_per_tonne", "price")(double)
    with pytest.raises(ValueError, match=r"'flat' reads \['colour'\]: not parameters of Charge"):
        _engine.charge_kind("flat", "price", "colour")(double)
    assert "flat" not in _engine.CHARGES and "flat" not in _design.CHARGE_KINDS


@pytest.mark.parametrize(
    ("regime", "overrides", "message"),
    [
        # Each was accepted and changed no fee.
        (
            "us-cca-2025",
            {"charge.free_allocation_share": {"description": "d", "unit": "u", "sectors": {}}},
            "a 'baseline_intensity' charge does not read free_allocation_share (it reads price, "
            "reference_intensity, applicable_percentage)",
        ),
        (
            "us-fpf-2025",
            {"carbon_price_relief": True},
            "carbon_price_relief: a 'ad_valorem_tiers' charge is a share of customs value",
        ),
    ],
    ids=["unread-parameter", "relief-without-certificates"],
)
def test_a_design_value_its_charge_never_reads_is_refused(
    regime: str, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(cbam.ScenarioError, match=re.escape(message)):
        cbam.load_scenario(regime, overrides=overrides)


def test_the_threshold_reason_quotes_no_amount_an_override_can_change() -> None:
    # The reason quoted the design's description, 'GBP 50,000 ...', after the amount was
    # overridden to GBP 100,000 (the decision itself used the new amount).
    scenario = cbam.load_scenario("uk-cbam", overrides={"threshold.amount.2028": 100_000})
    rows = pl.DataFrame(
        {
            "year": [2028],
            "origin": ["CHN"],
            "cn_code": ["72081000"],
            "quantity_t": [10.0],
            "value_eur": [80_000 * GBP],
            "importer": ["a"],
            "destination": ["GBR"],
        }
    )
    out = cbam.compute(rows, scenario)
    assert out["exempt"].item() is True
    reason = str(out["exemption_reason"].item())
    assert reason == "below the uk-cbam threshold (importer's annual customs value at or below it)"


def test_a_number_replaces_a_sectors_whole_free_allocation_path() -> None:
    # A raw TypeError (list indices must be integers) where the dated form worked.
    rows = pl.DataFrame(
        {
            "year": [2027, 2028],
            "origin": ["CHN"] * 2,
            "cn_code": ["25232900"] * 2,
            "quantity_t": [100.0] * 2,
        }
    )
    for overrides in (
        {"charge.free_allocation_share.sectors.cement": 0.3},
        {"charge.free_allocation_share.sectors": {"cement": 0.3}},
    ):
        out = cbam.compute(rows, cbam.load_scenario("uk-cbam", overrides=overrides))
        assert out["free_allocation_t"].to_list() == pytest.approx(
            [0.3 * e for e in out["embedded_t"].to_list()]
        )


def test_an_unknown_reference_origin_is_refused() -> None:
    # 'XXX' read the 'other countries' default values as the US reference, silently.
    with pytest.raises(cbam.ScenarioError, match=r"unknown ISO3 'XXX' in charge\.reference"):
        cbam.load_scenario("us-cca-2025", overrides={"charge.reference_intensity.origin": "XXX"})


def test_a_value_threshold_in_place_of_the_eu_mass_one_names_its_own_basis(tmp_path: Path) -> None:
    # The EU's reason ('... Annex I mass at or below the threshold') was inherited.
    scenario = tmp_path / "value.yaml"
    scenario.write_text(
        "extends: eu-cbam\nname: value\ndesign:\n  threshold:\n    basis: value\n"
        "    amount:\n      description: d\n      unit: EUR per importer per year\n"
        "      values: [{from: 2026-01-01, value: 57000, reference: {title: t, href: ''}}]\n"
    )
    rows = pl.DataFrame(
        {
            "year": [2026],
            "origin": ["CHN"],
            "cn_code": ["72081000"],
            "quantity_t": [100.0],
            "value_eur": [50_000.0],
            "importer": ["a"],
        }
    )
    out = cbam.compute(rows, cbam.load_scenario(scenario))
    assert out["exemption_reason"].cast(pl.String).to_list() == [
        "below the eu-cbam threshold (importer's annual customs value at or below it)"
    ]


def _scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ndescription: s\n" + text)
    return path


@pytest.mark.parametrize(
    ("text", "told"),
    [
        # GBP 54.40 charged as EUR 54.40, a GBP 50,000 threshold read as EUR 50,000.
        ("regime: uk-cbam\ndesign: {currency: EUR}\n", "unit 'GBP per t CO2e' is not in the"),
        (
            "regime: uk-cbam\ndesign:\n  threshold:\n    amount:\n      unit: EUR per importer\n",
            "threshold.amount: unit 'EUR per importer' is not in the design's currency GBP",
        ),
        (
            "regime: eu-cbam\ndesign:\n  threshold:\n    amount:\n      unit: EUR per importer\n",
            "a mass threshold is in tonnes",
        ),
        # The UK's price would be read and the EU certificate price file not.
        (
            "regime: uk-cbam\ndesign:\n  charge:\n    certificate_price: "
            "{file: eu/certificate_price.yaml}\n",
            "give price or certificate_price, not both",
        ),
    ],
)
def test_a_design_change_without_effect_or_in_another_unit_is_refused(
    tmp_path: Path, text: str, told: str
) -> None:
    with pytest.raises(cbam.ScenarioError, match=re.escape(told)) as caught:
        cbam.load_scenario(str(_scenario_file(tmp_path, text)))
    assert "with the scenario's changes" in str(caught.value)  # not the bundled file's fault


def test_null_removes_a_dated_parameter_and_dates_add_to_a_sectors_list(tmp_path: Path) -> None:
    # US CCA with the EU's published default values: the mark-up rule swapped by null.
    swapped = "regime: us-cca-2025\ndesign:\n  emissions:\n    defaults_markup: null\n"
    swapped += "    published_defaults: {file: eu/markup.yaml}\n"
    design = cbam.resolve(cbam.load_scenario(str(_scenario_file(tmp_path, swapped)))).design
    assert design.emissions.defaults_markup is None
    assert design.emissions.published_defaults is not None
    # design: {...: {sectors: {iron_steel: {2027: 0.25}}}} reads as its dotted path does.
    shares = "regime: uk-cbam\ndesign:\n  charge:\n    free_allocation_share:\n"
    shares += "      sectors:\n        iron_steel: {2027: 0.25}\n"
    scenario = cbam.load_scenario(str(_scenario_file(tmp_path, shares)))
    rows = pl.DataFrame(
        {
            "year": [2027],
            "origin": ["TUR"],
            "cn_code": ["72071111"],
            "quantity_t": [100.0],
            "destination": ["GBR"],
        }
    )
    out = cbam.compute(rows, scenario)
    assert out["free_allocation_t"][0] == pytest.approx(0.25 * out["embedded_t"][0])


@pytest.mark.parametrize(
    "reference", ["{title: '', href: 'https://example.org'}", "{title: x, href: 'see my notes'}"]
)
def test_a_value_without_a_title_or_a_link_is_refused(tmp_path: Path, reference: str) -> None:
    template = (_design.regimes_dir() / "templates/flat-border-fee.yaml").read_text()
    old = "reference: *template}"
    assert old in template
    design = tmp_path / "d.yaml"
    design.write_text(template.replace(old, f"reference: {reference}}}", 1))
    with pytest.raises(cbam.ScenarioError, match=r"reference\.(title|href)"):
        cbam.load_scenario(str(design))


@pytest.mark.parametrize("unit", ["GBP/t CO2e", "gbp per t CO2e", "£ per t CO2e"])
def test_a_unit_in_the_designs_currency_reads_however_written(tmp_path: Path, unit: str) -> None:
    text = f"regime: uk-cbam\ndesign:\n  charge:\n    price:\n      unit: {unit}\n"
    design = cbam.resolve(cbam.load_scenario(str(_scenario_file(tmp_path, text)))).design
    assert design.charge.price is not None and design.charge.price.unit == unit


def test_an_fpf_ratio_on_a_tier_edge_in_decimal_stays_on_it() -> None:
    # rates/regimes/us-fpf-2025.yaml: a ratio at or below a bound pays the lower tier. The US
    # reference of CN 7207 11 11 is 1.39 t/t; each intensity is a bound x 1.39 in decimal,
    # whose float quotient fell just above the bound for 1.25, 1.75, 2.5 and 3.
    bounds = [1.10, 1.25, 1.75, 2.00, 2.50, 3.00]
    intensities = [1.529, 1.7375, 2.4325, 2.78, 3.475, 4.17]
    rows = pl.DataFrame(
        {
            "year": [2027] * 6,
            "origin": ["CHN"] * 6,
            "cn_code": ["72071111"] * 6,
            "quantity_t": [10.0] * 6,
            "value_eur": [1000.0] * 6,
            "destination": ["USA"] * 6,
            "see_direct": intensities,
            "see_indirect": [0.0] * 6,
        }
    )
    scenario = cbam.load_scenario("us-fpf-2025")
    tiers = cbam.resolve(scenario).design.charge.tiers or []
    below = [max([t.rate for t in tiers if t.ratio_above < b], default=0.0) for b in bounds]
    fees = cbam.compute(rows, scenario)
    charged = (fees["fee_eur"] / fees["value_eur"]).to_list()
    assert charged == pytest.approx(below)
