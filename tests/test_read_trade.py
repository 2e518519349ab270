"""cbam.read_trade: BACI, Comtrade, Comext and wide trade panels into the input contract.

Each golden case writes a small file in the publisher's layout into tmp_path and derives the
expected figures by hand in comments. Fees use the README's worked example rows:

* TUR 7207 11 11, 2026, EUR 80: SEE 2.541 (IR 2025/2621 Annex I, TUR 7207 11 11, 2026 mark-up),
  benchmark 1.364 (IR 2025/2620, column B, route C), CBAM factor 0.975: per tonne
  80 x (2.541 - 1.364 x 0.975) = 80 x 1.2111 = EUR 96.888; 100 t -> EUR 9,688.80.
* CHN 7601 (HS6 7601 10), 2026, EUR 80: SEE 3.300 (Annex I, CHN 7601, 2026 mark-up),
  benchmark 1.423 (IR 2025/2620, 7601 10 10/90, column B, route K): per tonne
  80 x (3.300 - 1.423 x 0.975) = 80 x 1.912575 = EUR 153.006; 12 t -> EUR 1,836.072.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import polars as pl
import pytest

import cbam
from cbam import cli
from cbam._compare import compare_counted

EUR_PER_USD = {2026: 0.9, 2027: 0.9}
PRICE = {"certificate_price_eur": 80}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def eu_fees(rows: pl.LazyFrame) -> pl.DataFrame:
    return cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides=PRICE)).collect()


# --------------------------------------------------------------------------------- BACI
BACI = """
t,i,j,k,v,q
2026,156,251,760110,1000,12
2026,490,699,760110,2.5,4
2026,842,757,720711,40,30
"""


def test_baci_golden(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "baci.csv", BACI), "baci", eur_per_usd=EUR_PER_USD)
    assert isinstance(rows, pl.LazyFrame)
    frame = rows.collect()
    # BACI's own codes: 156 China, 251 France (ISO 250), 490 'Other Asia, nes' = Taiwan,
    # 699 India (ISO 356), 842 USA (ISO 840), 757 Switzerland (ISO 756).
    assert frame["origin"].to_list() == ["CHN", "TWN", "USA"]
    assert frame["destination"].to_list() == ["FRA", "IND", "CHE"]
    assert frame["cn_code"].to_list() == ["760110", "760110", "720711"]
    # q is in tonnes: 12 + 4 + 30 = 46 t.
    assert frame["quantity_t"].sum() == pytest.approx(46.0)
    # v is thousand USD: (1,000 + 2.5 + 40) x 1,000 x 0.9 EUR/USD = EUR 938,250.
    assert frame["value_eur"].sum() == pytest.approx(938_250.0)
    assert frame["value_eur"][0] == pytest.approx(900_000.0)  # 1,000 kUSD at 0.9
    assert frame["eur_per_usd"].to_list() == [0.9, 0.9, 0.9]
    assert frame["source_line"].to_list() == [2, 3, 4]
    assert frame["trade_error"].null_count() == 3
    # CHN 7601 10, 12 t at EUR 80: 12 x 153.006 = EUR 1,836.072 (module docstring).
    fees = eu_fees(rows)
    assert fees["fee_eur"][0] == pytest.approx(1_836.072)


def test_baci_rates_from_the_bundled_table(tmp_path: Path) -> None:
    # Without eur_per_usd the year's USD rate of rates/carbon_prices/fx.csv applies
    # (2026: 0.889055 EUR/USD, carried from 2025): 1,000 kUSD -> EUR 889,055.
    frame = cbam.read_trade(write(tmp_path, "baci.csv", BACI), "baci").collect()
    assert frame["value_eur"][0] == pytest.approx(889_055.0)


def test_baci_year_without_a_rate_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "old.csv", "t,i,j,k,v,q\n2005,156,251,760110,1,1")
    with pytest.raises(cbam.CbamInputError, match=r"no USD->EUR rate.*line 2 \(2005\)"):
        cbam.read_trade(path, "baci")
    # A rate passed for the year fills the gap: 1 kUSD x 0.8 = EUR 800.
    frame = cbam.read_trade(path, "baci", eur_per_usd={2005: 0.8}).collect()
    assert frame["value_eur"].to_list() == [800.0]


def test_baci_parquet_with_numeric_columns(tmp_path: Path) -> None:
    path = tmp_path / "baci.parquet"
    pl.DataFrame(
        {"t": [2026], "i": [156], "j": [251], "k": [760110], "v": [1.0], "q": [2.0]}
    ).write_parquet(path)
    frame = cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD).collect()
    assert frame.select("origin", "destination", "cn_code", "source_line").row(0) == (
        "CHN",
        "FRA",
        "760110",
        1,
    )


def test_unmapped_code_strict_names_file_line_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bad.csv", "t,i,j,k,v,q\n2026,156,251,760110,1,1\n2026,999,251,760110,1,1"
    )
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD)
    message = str(caught.value)
    assert "bad.csv" in message
    assert "column 'i (origin)': unknown baci country code: line 3 (999)" in message


def test_a_value_that_is_not_finite_names_the_source_column(tmp_path: Path) -> None:
    # 1e400 thousand USD was told as "column 'value_eur': not a finite number (inf)" by compute.
    text = "t,i,j,k,v,q\n2026,156,251,760110,1e400,1\n2026,156,251,760110,nan,1\n"
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(write(tmp_path, "v.csv", text), "baci", eur_per_usd=EUR_PER_USD)
    assert "column 'v': not a finite number: line 2 (1e400), line 3 (nan)" in str(caught.value)


def test_unmapped_code_flag_mode_keeps_and_flags_the_row(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bad.csv", "t,i,j,k,v,q\n2026,156,251,760110,1,1\n2026,999,251,760110,1,1"
    )
    rows = cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, on_error="flag")
    frame = rows.collect()
    assert frame.height == 2  # nothing dropped
    assert frame["trade_error"].to_list() == [None, "i (origin): unknown baci country code (999)"]
    assert frame["origin"].to_list() == ["CHN", None]
    # compute in flag mode flags it too, so it never enters a total.
    scenario = cbam.load_scenario("eu-cbam", overrides=PRICE)
    fees = cbam.compute(rows, scenario, on_error="flag").collect()
    assert fees["input_error"].is_null().to_list() == [True, False]
    assert cbam.summarise(fees, by=[])["flagged_rows"].item() == 1


def test_long_values_are_capped_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", f"t,i,j,k,v,q\n2026,{'9' * 200},251,760110,1,1")
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD)
    assert "9" * 40 in str(caught.value)
    assert "9" * 41 not in str(caught.value)


def test_missing_column_lists_the_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "year,exporter,importer\n2026,156,251")
    with pytest.raises(cbam.ScenarioError, match=r"not a baci file: no column t .*found: year"):
        cbam.read_trade(path, "baci")


def test_one_column_header_hints_at_the_separator(tmp_path: Path) -> None:
    path = write(tmp_path, "semi.csv", "t;i;j;k;v;q\n2026;156;251;760110;1;1")
    with pytest.raises(cbam.ScenarioError, match="separator"):
        cbam.read_trade(path, "baci")
    frame = cbam.read_trade(path, "baci", separator=";", eur_per_usd=EUR_PER_USD).collect()
    assert frame["origin"].to_list() == ["CHN"]


def test_unknown_format_lists_the_formats(tmp_path: Path) -> None:
    with pytest.raises(cbam.ScenarioError, match="baci, comtrade, comext, wide"):
        cbam.read_trade(write(tmp_path, "b.csv", BACI), "oec")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- Comtrade
COMTRADE = """
refYear,period,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue,motCode
2026,2026,251,M,156,760110,12000,1000000,0
2026,2026,381,M,490,760110,500,2000,0
2026,2026,842,M,792,720711,30000,15000,0
"""


def test_comtrade_golden(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "ct.csv", COMTRADE), "comtrade", eur_per_usd=EUR_PER_USD)
    frame = rows.collect()
    # Reporter = importer = destination (251 France, 381 Italy, 842 USA: Comtrade's codes);
    # partner = origin (490 'Other Asia, nes' = Taiwan, 792 Turkiye).
    assert frame["destination"].to_list() == ["FRA", "ITA", "USA"]
    assert frame["origin"].to_list() == ["CHN", "TWN", "TUR"]
    # netWgt is kg: 12,000 + 500 + 30,000 kg = 42,500 kg = 42.5 t.
    assert frame["quantity_t"].to_list() == [12.0, 0.5, 30.0]
    # primaryValue is USD: (1,000,000 + 2,000 + 15,000) x 0.9 = EUR 915,300.
    assert frame["value_eur"].sum() == pytest.approx(915_300.0)
    # CHN 7601 10, 12 t at EUR 80: EUR 1,836.072, as from BACI.
    assert eu_fees(rows)["fee_eur"][0] == pytest.approx(1_836.072)


def test_comtrade_monthly_period_gives_the_quarter(tmp_path: Path) -> None:
    text = "period,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
    text += "202605,251,M,156,760110,1000,10\n202611,251,M,156,760110,1000,10"
    frame = cbam.read_trade(write(tmp_path, "m.csv", text), "comtrade").collect()
    assert frame.select("year", "quarter").rows() == [(2026, 2), (2026, 4)]


def test_comtrade_world_partner_is_refused_by_name(tmp_path: Path) -> None:
    text = COMTRADE.strip() + "\n2026,2026,251,M,0,760110,12500,1002000,0"
    path = write(tmp_path, "world.csv", text)
    with pytest.raises(cbam.CbamInputError, match=r"aggregate.*line 5 \(0 = aggregate: World\)"):
        cbam.read_trade(path, "comtrade", eur_per_usd=EUR_PER_USD)
    frame = cbam.read_trade(path, "comtrade", eur_per_usd=EUR_PER_USD, on_error="flag").collect()
    # Kept, flagged, and with no quantity: the World row is not summed on top of its parts.
    assert frame.height == 4
    assert frame["quantity_t"].sum() == pytest.approx(42.5)
    assert "World" in frame["trade_error"][3]


def test_comtrade_exports_and_breakdowns_are_refused(tmp_path: Path) -> None:
    text = COMTRADE.strip() + "\n2026,2026,251,X,156,760110,1,1,0\n2026,2026,251,M,156,760110,1,1,2"
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(write(tmp_path, "x.csv", text), "comtrade", eur_per_usd=EUR_PER_USD)
    message = str(caught.value)
    assert "column 'flowCode': not an import flow" in message and "line 5 (X)" in message
    assert "column 'motCode': a breakdown of the total" in message and "line 6 (2)" in message


# ------------------------------------------------------------------------------- Comext
COMEXT = """
DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG
FR,TR,7207111100,1,202652,55000,100000
EL,XK,72071111,1,202652,1000,2500
EU27_2020,XS,72071111,1,202652,2000,5000
"""


def test_comext_golden(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "comext.csv", COMEXT), "comext")
    frame = rows.collect()
    # TARIC 7207 11 11 00 -> CN8 7207 11 11 (its first eight digits).
    assert frame["cn_code"].to_list() == ["72071111"] * 3
    # GEO codes: TR Turkiye, XK Kosovo (XKX), XS Serbia; reporters FR, EL = Greece, EU27_2020
    # = the EU as one importer (EUU).
    assert frame["origin"].to_list() == ["TUR", "XKX", "SRB"]
    assert frame["destination"].to_list() == ["FRA", "GRC", "EUU"]
    # kg: 100,000 + 2,500 + 5,000 = 107,500 kg = 107.5 t; values are EUR already.
    assert frame["quantity_t"].sum() == pytest.approx(107.5)
    assert frame["value_eur"].sum() == pytest.approx(58_000.0)
    assert frame["year"].to_list() == [2026] * 3  # YYYY52 is the year's total
    # TUR 7207 11 11, 100 t at EUR 80: EUR 9,688.80 (the README's worked example).
    assert eu_fees(rows)["fee_eur"][0] == pytest.approx(9_688.80)


def test_comext_quantity_in_100kg(tmp_path: Path) -> None:
    text = "REPORTER,PARTNER,PRODUCT_NC,FLOW,PERIOD,VALUE_EUR,QUANTITY_IN_100KG\n"
    text += "DE,TR,72071111,1,2026,55000,1000"
    frame = cbam.read_trade(write(tmp_path, "q.csv", text), "comext").collect()
    assert frame["quantity_t"].to_list() == [100.0]  # 1,000 x 100 kg = 100 t


def test_comext_ext_and_int_aggregates_are_refused_by_name(tmp_path: Path) -> None:
    text = (
        COMEXT.strip()
        + "\nFR,EXT_EU27_2020,72071111,1,202652,1,1\nFR,INT_EU27_2020,72071111,1,202652,1,1"
    )
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(write(tmp_path, "agg.csv", text), "comext")
    message = str(caught.value)
    assert "line 5 (EXT_EU27_2020 = aggregate: Extra-EU27 (from 2020))" in message
    assert "line 6 (INT_EU27_2020 = aggregate: Intra-EU27 (from 2020))" in message


def test_comext_special_codes_and_eu_as_origin_are_refused(tmp_path: Path) -> None:
    text = COMEXT.strip() + "\nFR,QZ,72071111,1,202652,1,1\nFR,EU27_2020,72071111,1,202652,1,1"
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(write(tmp_path, "q.csv", text), "comext")
    message = str(caught.value)
    assert "line 5 (QZ = not a country: Secret countries (extra-EU))" in message
    assert "is the EU as a whole, which can only be a destination: line 6" in message


def test_comext_months_next_to_the_year_total_are_refused(tmp_path: Path) -> None:
    # The month of the same TARIC line as the year's total (a CN8 month beside it is a code
    # beside its subcodes: test_a_cn8_line_beside_its_own_taric_lines_is_refused).
    text = COMEXT.strip() + "\nFR,TR,7207111100,1,202603,1,1"
    with pytest.raises(cbam.CbamInputError, match=r"counted twice: line 5 \(202603\)"):
        cbam.read_trade(write(tmp_path, "mix.csv", text), "comext")


def test_comext_months_next_to_a_plain_yyyy_total_are_refused_in_that_year_only(
    tmp_path: Path,
) -> None:
    # A plain YYYY period is a year's total too: 202701 + 202702 + 2027 summed 15 t for 10.
    head = "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG"
    rows = ["DE,CN,72083900,1,202701,1000,5000", "DE,CN,72083900,1,202702,1000,5000"]
    text = "\n".join(
        [head, *rows, "DE,CN,72083900,1,2027,1000,10000", "DE,CN,72083900,1,202601,1,1"]
    )
    with pytest.raises(cbam.CbamInputError, match=r"counted twice: line 2 \(202701\), line 3 "):
        cbam.read_trade(write(tmp_path, "mix.csv", text), "comext").collect()
    flagged = cbam.read_trade(write(tmp_path, "mix.csv", text), "comext", on_error="flag")
    errors = flagged.collect()["trade_error"].to_list()
    assert [e is not None for e in errors] == [True, True, False, False]  # 2026's month is kept


@pytest.mark.parametrize(
    ("layout", "text", "refused"),
    [
        (  # a chapter and a heading beside their line: 9,000 t charged for 5,000
            "comtrade",
            "period,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
            "2022,842,M,156,72,5000000,4000000\n2022,842,M,156,7208,3000000,2500000\n"
            "2022,842,M,156,720851,1000000,900000\n",
            "column 'cmdCode': a product code whose subcodes the file also holds",
        ),
        (  # months beside the year's total for the same reporter and partner: 1,400 t for 1,200
            "comtrade",
            "period,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
            "2022,842,M,156,720851,1200000,900000\n202201,842,M,156,720851,100000,75000\n",
            "column 'period': a month of a year whose total",
        ),
        (  # the EU as one declarant beside a member state: each tonne counted twice
            "comext",
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            "DE,CN,72083900,1,202752,1000,1000000\nEU27_2020,CN,72083900,1,202752,1000,1000000\n",
            "column 'DECLARANT_ISO': the EU as a whole beside its member states",
        ),
        (
            "comext",
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            "DE,CN,7208,1,202752,1000,1000000\nDE,CN,72083900,1,202752,1000,1000000\n",
            "column 'PRODUCT_NC': a product code whose subcodes the file also holds",
        ),
    ],
    ids=["comtrade-levels", "comtrade-months", "comext-eu-and-member", "comext-levels"],
)
def test_an_extract_that_would_count_a_flow_twice_is_refused(
    layout: str, text: str, refused: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "extract.csv", text)
    with pytest.raises(cbam.CbamInputError, match=re.escape(refused)) as caught:
        cbam.read_trade(path, layout, eur_per_usd=EUR_PER_USD).collect()
    assert re.search(r": line [23] \(", str(caught.value))  # the file's line
    flagged = cbam.read_trade(path, layout, eur_per_usd=EUR_PER_USD, on_error="flag").collect()
    assert flagged.height == text.count("\n") - 1  # kept, flagged, not dropped


def test_totals_for_different_partners_or_reporters_are_not_refused(tmp_path: Path) -> None:
    # Months of JPN beside CHN's year total, EU rows for a partner no member state reports,
    # and months or EU rows of another code than the total or the member state's.
    text = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
        "DE,CN,72083900,1,202752,1000,1000\nDE,JP,72083900,1,202701,1000,1000\n"
        "EU27_2020,US,72083900,1,202752,1000,1000\nDE,CN,76011090,1,202701,1000,1000\n"
        "EU27_2020,CN,72071111,1,202752,1000,1000\n"
    )
    rows = cbam.read_trade(write(tmp_path, "ok.csv", text), "comext").collect()
    assert rows["destination"].to_list() == ["DEU", "DEU", "EUU", "DEU", "EUU"]


def test_levels_of_other_partners_periods_or_reporters_are_not_refused(tmp_path: Path) -> None:
    # Italy's chapter 72 from China (2025) and France's CN8 line from Turkey (2026), or one
    # partner's chapter beside another partner's line, count no tonne twice: the subcode check
    # was file-wide and refused them.
    comext = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
        "IT,CN,72,1,202552,50000,12000\nFR,TR,72071111,1,202652,50000,12000\n"
        "DE,CN,7208,1,202652,1,1000\nDE,JP,72083900,1,202652,1,1000\n"
        "DE,IN,7208,1,202601,1,1000\nDE,IN,72083900,1,202602,1,1000\n"
    )
    rows = cbam.read_trade(write(tmp_path, "cx.csv", comext), "comext").collect()
    assert rows["cn_code"].to_list() == ["72", "72071111", "7208", "72083900", "7208", "72083900"]
    comtrade = (
        "refYear,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
        "2025,381,156,M,72,12000,50000\n2026,251,792,M,720711,12000,50000\n"
        "2026,251,156,M,72,12000,50000\n"
    )
    path = write(tmp_path, "ct.csv", comtrade)
    rows = cbam.read_trade(path, "comtrade", eur_per_usd=EUR_PER_USD).collect()
    assert rows["quantity_t"].to_list() == [12.0, 12.0, 12.0]


def test_a_year_total_given_as_yyyy_and_its_subcodes_as_yyyy52_are_refused(
    tmp_path: Path,
) -> None:
    # Both periods are the year's total: the chapter and its line count the same tonnes.
    text = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
        "DE,CN,7208,1,2026,1,1000\nDE,CN,72083900,1,202652,1,1000\n"
    )
    with pytest.raises(cbam.CbamInputError, match=r"subcodes the file also holds.*: line 2 \("):
        cbam.read_trade(write(tmp_path, "cx.csv", text), "comext").collect()


def test_a_wide_file_with_a_code_beside_its_subcodes_is_refused(tmp_path: Path) -> None:
    # 72, 7207 and 72071111 from CHN were all charged: 160 t for 100.
    text = "cn_code,tonnes_2026,eur_2026\n72,100,1000\n7207,50,1000\n72071111,10,100\n"
    path = write(tmp_path, "wide.csv", text)
    with pytest.raises(cbam.CbamInputError, match=r"subcodes.*: line 2 \(72\), line 3 \(7207\)"):
        cbam.read_trade(path, "wide", origin="CHN").collect()
    # Different origins' levels are apart.
    text = "cn_code,origin,tonnes_2026\n72,CHN,100\n72071111,TUR,10\n"
    rows = cbam.read_trade(write(tmp_path, "ok.csv", text), "wide").collect()
    assert rows["cn_code"].to_list() == ["72", "72071111"]


# --------------------------------------------------------------------------------- wide


@pytest.mark.parametrize("role", ["origin", "destination"])
def test_a_wide_files_own_country_column_is_not_replaced(role: str, tmp_path: Path) -> None:
    # origin='USA' turned the file's CHN, IND, TUR rows into USA (EUR 275,996 for 498,736),
    # destination='DEU' its GBR row into an EU import.
    text = "cn_code,origin,destination,tonnes_2022\n72085120,CHN,GBR,100\n72085120,IND,FRA,100\n"
    path = write(tmp_path, "wide.csv", text)
    with pytest.raises(cbam.ScenarioError, match=rf"wide\.csv: the wide file has its own '{role}'"):
        cbam.read_trade(path, "wide", **{role: "DEU"})
    rows = cbam.read_trade(path, "wide").collect()
    assert rows.select("origin", "destination").rows() == [("CHN", "GBR"), ("IND", "FRA")]


def test_a_gzip_name_in_capitals_reads(tmp_path: Path) -> None:
    path = tmp_path / "BACI.CSV.GZ"
    path.write_bytes(gzip.compress(BACI.strip().encode()))
    assert cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD).collect().height == 3


WIDE = """
cn_code,sector,tonnes_2026,eur_2026,tonnes_2027,eur_2027
72071111,Iron and steel,100,55000,50,30000
7601,Aluminium,10,25000,0,0
"""


def test_wide_reshapes_to_one_row_per_code_and_year(tmp_path: Path) -> None:
    rows = cbam.read_trade(
        write(tmp_path, "wide.csv", WIDE), "wide", origin="TUR", destination="DEU", keep=["sector"]
    )
    frame = rows.collect().sort("year", "cn_code")
    # 2 codes x 2 years = 4 rows.
    assert frame.select("year", "cn_code", "quantity_t", "value_eur").rows() == [
        (2026, "72071111", 100.0, 55_000.0),
        (2026, "7601", 10.0, 25_000.0),
        (2027, "72071111", 50.0, 30_000.0),
        (2027, "7601", 0.0, 0.0),
    ]
    assert set(frame["origin"]) == {"TUR"} and set(frame["destination"]) == {"DEU"}
    # The file's `sector` label is carried as source_sector (cbam computes `sector` itself).
    assert "source_sector" in frame.columns and "sector" not in frame.columns
    # Totals by year: 2026 110 t, EUR 80,000; 2027 50 t, EUR 30,000.
    totals = frame.group_by("year").agg(pl.col("quantity_t", "value_eur").sum()).sort("year")
    assert totals.rows() == [(2026, 110.0, 80_000.0), (2027, 50.0, 30_000.0)]
    # TUR 7207 11 11, 100 t in 2026 at EUR 80: EUR 9,688.80.
    fees = eu_fees(rows.filter(pl.col("year") == 2026)).sort("cn_code")
    assert fees["fee_eur"][0] == pytest.approx(9_688.80)


def test_wide_kg_and_usd_columns_and_an_origin_column(tmp_path: Path) -> None:
    text = "cn_code,origin,kg_2026,usd_2026\n72071111,tur,2500,1000"
    frame = cbam.read_trade(
        write(tmp_path, "w.csv", text), "wide", eur_per_usd=EUR_PER_USD
    ).collect()
    # 2,500 kg = 2.5 t; USD 1,000 x 0.9 = EUR 900; no destination given: no column.
    assert frame.select("origin", "quantity_t", "value_eur").row(0) == ("TUR", 2.5, 900.0)
    assert "destination" not in frame.columns


def test_wide_without_origin_or_year_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(cbam.ScenarioError, match="origin"):
        cbam.read_trade(write(tmp_path, "w.csv", WIDE), "wide")
    with pytest.raises(cbam.ScenarioError, match="year-suffixed"):
        cbam.read_trade(write(tmp_path, "n.csv", "cn_code,tonnes\n7601,1"), "wide", origin="TUR")
    with pytest.raises(cbam.ScenarioError, match="not an ISO 3166-1 alpha-3 code"):
        cbam.read_trade(write(tmp_path, "w2.csv", WIDE), "wide", origin="Turkey")


# ---------------------------------------------------------------------------------- CLI
def test_cli_run_reads_a_trade_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "comext.csv", COMEXT)
    status = cli.main(["run", "--imports", str(path), "--format", "comext", "--by", "origin"])
    out = capsys.readouterr().out
    assert status == 0
    assert "comext.csv, 3 rows" in out
    assert "on 108 t" in out  # 107.5 t, printed without decimals
    assert "| TUR" in out and "| XKX" in out and "| SRB" in out


def test_cli_reports_a_refused_aggregate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "world.csv", COMTRADE.strip() + "\n2026,2026,251,M,0,760110,1,1,0")
    status = cli.main(["run", "--imports", str(path), "--format", "comtrade"])
    assert status == 2
    assert "0 = aggregate: World" in capsys.readouterr().err
    status = cli.main(["run", "--imports", str(path), "--format", "comtrade", "--on-error", "flag"])
    assert status == 0
    # The World row is flagged; the USA's import (reporter 842) lies outside the EU: not an
    # exempt import of the EU but no EU import at all, counted apart.
    out = capsys.readouterr().out
    assert "3 computed, 0 exempt, 1 flagged" in out
    assert "1 row imported outside the territory, left out of totals" in out


# ---------------------------------------------------------- destination: own imports only
# One BACI-shaped panel, China's unwrought aluminium (HS6 7601 10) to four importers; the
# 2027 rules of each regime on every row. Per tonne, by hand:
# * EU CBAM at EUR 80: SEE 3.600 (Annex I, CHN 7601, 2027 mark-up), benchmark 1.423, CBAM
#   factor 0.95: 80 x (3.600 - 1.423 x 0.95) = 80 x 2.24815 = EUR 179.852.
# * UK CBAM: EU base value 3.000 (no mark-up, rates/regimes/uk-cbam.yaml defaults_markup 1.0),
#   free-allocation share 0, UK ETS GBP 54.40: 3.000 x 54.40 = GBP 163.20.
# * US CCA: (3.000 - USA's 1.700 x applicable percentage 0.975) x USD 63.60 (2027) =
#   1.3425 x 63.60 = USD 85.383.
REGIME_PANEL = """
t,i,j,k,v,q
2024,156,251,760110,30,12
2024,156,826,760110,25,10
2024,156,842,760110,50,20
2024,156,392,760110,17.5,7
"""
OWN = {"eu-cbam": "FRA", "uk-cbam": "GBR", "us-cca-2025": "USA"}
OUTSIDE = {
    "eu-cbam": "destination outside the EU customs territory",
    "uk-cbam": "destination outside the United Kingdom",
    "us-cca-2025": "destination outside the United States",
}


def regime_scenarios() -> list[cbam.Scenario]:
    overrides: dict[str, dict[str, object]] = {
        "eu-cbam": {"rules_year": 2027, "certificate_price_eur": 80},
        "uk-cbam": {"rules_year": 2027},
        "us-cca-2025": {"rules_year": 2027},
    }
    return [cbam.load_scenario(name, overrides=o) for name, o in overrides.items()]


def test_each_regime_charges_its_own_imports(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "panel.csv", REGIME_PANEL), "baci")
    expected_local = {"eu-cbam": 12 * 179.852, "uk-cbam": 10 * 163.20, "us-cca-2025": 20 * 85.383}
    for scenario in regime_scenarios():
        fees = cbam.compute(rows, scenario).collect()
        own = fees["destination"] == OWN[scenario.name]
        assert fees.filter(own)["fee_local"].to_list() == [
            pytest.approx(expected_local[scenario.name])
        ]
        others = fees.filter(~own)
        assert others.height == 3  # kept, not dropped
        assert others["fee_eur"].to_list() == [0.0, 0.0, 0.0]
        assert others["exempt"].to_list() == [True, True, True]
        assert set(others["exemption_reason"].cast(pl.String)) == {OUTSIDE[scenario.name]}
        # The would-be fee stays visible, as for any exemption.
        assert (others["fee_before_exemptions_eur"] > 0).all()


def test_compare_by_destination_gives_each_regime_its_own_imports(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "panel.csv", REGIME_PANEL), "baci")
    table = cbam.compare(rows, regime_scenarios(), by=["destination"]).sort("destination")
    # Japan imports into no regime's territory: no regime's import, so no group of any.
    assert table["destination"].to_list() == ["FRA", "GBR", "USA"]
    eu, uk, us = (table[f"fee_eur:{n}"].to_list() for n in OWN)
    assert eu == [pytest.approx(12 * 179.852), 0.0, 0.0]  # EUR, as above
    assert [v > 0 for v in uk] == [False, True, False]
    assert [v > 0 for v in us] == [False, False, True]
    # Each regime leaves the other three importers' rows out, and counts them.
    _, flagged, outside = compare_counted(rows, regime_scenarios(), by=["destination"])
    assert outside == {"eu-cbam": 3, "uk-cbam": 3, "us-cca-2025": 3}
    assert flagged == {"eu-cbam": 0, "uk-cbam": 0, "us-cca-2025": 0}


def test_rows_imported_elsewhere_stay_out_of_summaries(tmp_path: Path) -> None:
    # EU CBAM on the panel above: only the 12 t into France (value 30 thousand USD at the
    # 2024 rate of fx.csv) are the EU's import; the 37 t into GBR, USA and JPN are counted apart.
    rows = cbam.read_trade(write(tmp_path, "panel.csv", REGIME_PANEL), "baci")
    fees = cbam.compute(rows, regime_scenarios()[0]).collect()
    total = cbam.summarise(fees, by=[]).row(0, named=True)
    fra = fees.filter(pl.col("destination") == "FRA").row(0, named=True)
    assert total["quantity_t"] == 12.0
    assert total["fee_eur"] == pytest.approx(12 * 179.852)
    assert total["fee_before_exemptions_eur"] == pytest.approx(12 * 179.852)
    assert (total["rows"], total["exempt_rows"], total["outside_rows"]) == (4, 0, 3)
    assert total["ave"] == pytest.approx(12 * 179.852 / fra["value_eur"])
    by_dest = cbam.summarise(fees, by=["destination"]).sort("destination")
    assert by_dest["quantity_t"].to_list() == [12.0, 0.0, 0.0, 0.0]
    assert by_dest["outside_rows"].to_list() == [0, 1, 1, 1]
    # Without a destination column the summary keeps its columns as before.
    plain = cbam.summarise(cbam.compute(rows.drop("destination"), regime_scenarios()[0]), by=[])
    assert "outside_rows" not in plain.collect().columns
    assert plain.collect()["quantity_t"].to_list() == [49.0]


@pytest.mark.parametrize(
    ("scenario", "first_reason"),
    [("eu-cbam", "not a CBAM good"), ("uk-cbam", "sector not covered by uk-cbam")],
)
def test_a_row_imported_elsewhere_says_so_whatever_its_good(
    scenario: str, first_reason: str
) -> None:
    # 'not a CBAM good' or 'sector not covered' came first, so reports counted the tonnes of
    # polyethylene sent to the USA (or, under a UK design of cement alone, steel sent to DEU).
    design = {"design": {"sectors": ["cement"]}} if scenario == "uk-cbam" else None
    chosen = cbam.load_scenario(scenario, overrides=design)
    home = "DEU" if scenario == "eu-cbam" else "GBR"
    good = "39011010" if scenario == "eu-cbam" else "72083900"
    rows = pl.DataFrame(
        {
            "year": [2027] * 3,
            "origin": ["CHN"] * 3,
            "cn_code": [good, good, "25232900"],
            "quantity_t": [100.0, 200.0, 10.0],
            "destination": ["USA", home, home],
        }
    )
    fees = cbam.compute(rows, chosen)
    reasons = fees["exemption_reason"].cast(pl.String).to_list()
    assert reasons[0].startswith("destination outside") and reasons[1] == first_reason
    for total in (cbam.summarise(fees, by=[]), cbam.totals(rows, chosen, by=[])):
        assert total.select("quantity_t", "outside_rows").row(0) == (210.0, 1)


def test_cli_leaves_rows_imported_elsewhere_out_of_totals_and_forgone_revenue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "panel.csv", REGIME_PANEL)
    argv = ["run", "--imports", str(path), "--format", "baci", "--rules-year", "2027"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "on 12 t" in out  # the French import only, not the 49 t of the panel
    assert "Rows: 4 computed, 0 exempt, 0 flagged" in out
    assert "3 rows imported outside the territory, left out of totals" in out
    assert "Revenue forgone" not in out
    assert "destination outside" not in out
    assert cli.main(["compare", "eu-cbam", "uk-cbam", *argv[1:]]) == 0
    assert "left out of its fees: eu-cbam 3, uk-cbam 3" in capsys.readouterr().out


def test_rows_without_a_destination_are_charged_as_before(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "panel.csv", REGIME_PANEL), "baci").collect()
    for scenario in regime_scenarios():
        with_destination = cbam.compute(rows, scenario)
        without = cbam.compute(rows.drop("destination"), scenario)
        # Same figures wherever the destination is inside; an empty cell counts as not given.
        own = with_destination["destination"] == OWN[scenario.name]
        assert (
            with_destination.filter(own)["fee_eur"].to_list()
            == without.filter(own)["fee_eur"].to_list()
        )
        blank = cbam.compute(rows.with_columns(destination=pl.lit("")), scenario)
        assert blank["fee_eur"].to_list() == without["fee_eur"].to_list()


def test_eu_as_one_destination_and_member_states_are_inside(tmp_path: Path) -> None:
    rows = cbam.read_trade(write(tmp_path, "comext.csv", COMEXT), "comext")
    fees = eu_fees(rows)  # destinations FRA, GRC and EUU: all inside the EU
    assert fees["exemption_reason"].null_count() == 3
    assert fees["fee_eur"][0] == pytest.approx(9_688.80)


def test_unknown_destination_is_refused() -> None:
    frame = pl.DataFrame(
        {
            "year": [2026],
            "origin": ["TUR"],
            "cn_code": ["72071111"],
            "quantity_t": [1.0],
            "destination": ["XYZ"],
        }
    )
    with pytest.raises(cbam.CbamInputError, match="destination"):
        cbam.compute(frame, "eu-cbam")


def test_destination_rule_same_on_keyed_and_joined_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polars.testing import assert_frame_equal

    from cbam import _engine

    rows = cbam.read_trade(write(tmp_path, "panel.csv", REGIME_PANEL), "baci").collect()
    scenario = cbam.load_scenario("eu-cbam", overrides={"rules_year": 2027})
    assert _engine.keyed_path_applies(rows.schema, scenario)
    keyed = cbam.compute(rows, scenario)
    with monkeypatch.context() as m:
        m.setattr(_engine, "keyed_path_applies", lambda *_: False)
        joined = cbam.compute(rows, scenario)
    assert_frame_equal(keyed, joined, check_exact=True)


def test_cli_compare_reads_a_trade_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "panel.csv", REGIME_PANEL)
    argv = ["compare", "eu-cbam", "uk-cbam", "us-cca-2025", "--imports", str(path)]
    status = cli.main([*argv, "--format", "baci", "--rules-year", "2027", "--by", "destination"])
    out = capsys.readouterr().out
    assert status == 0 and "panel.csv, 4 rows" in out
    # Japan is no regime's territory: no group of any, and each regime counts the three
    # rows imported outside its own.
    assert not any(line.startswith("| JPN") for line in out.splitlines())
    assert "left out of its fees: eu-cbam 3, uk-cbam 3, us-cca-2025 3" in out


def test_the_docs_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "guide" / "data-formats.md").read_text("utf-8")
    section = page.split("## Bring your own trade data")[1]
    block = section.split("```python")[1].split("```")[0]
    monkeypatch.chdir(root)
    namespace: dict[str, object] = {}
    exec(block, namespace)  # the page's own code, as printed
    fees = namespace["fees"]
    assert isinstance(fees, pl.LazyFrame)
    out = fees.collect()
    # The sample's 621 rows: the UK charges its own imports (BACI 826) and no other.
    assert out.height == 621
    charged = out.filter(pl.col("fee_eur") > 0)["destination"].unique().to_list()
    assert charged == ["GBR"]


# ---------------------------------------------------------- cbam run --format wide from the CLI
# The first rows of /work/shared/data/trade/eu27_imports_from_us_cbam_by_cn8_2022_2025.csv
# (EU27 imports from the US by CN8; Eurostat Comext, CC BY 4.0, "Source: Eurostat"), cut to
# two years: no origin or destination column, so the CLI gives them.
US_WIDE = """cn_code,sector,tonnes_2024,eur_2024,tonnes_2025,eur_2025,avg_tonnes,avg_eur
25070080,Cement,6487.241,4410229.0,3074.059,2171004.0,11525.35875,5610549.5
25231000,Cement,5.4399999999999995,15597.0,102.675,44715.0,48.58275,32268.25
"""


def test_cli_runs_the_shared_wide_file_with_origin_and_destination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "us.csv", US_WIDE)
    argv = ["run", "--imports", str(path), "--format", "wide", "--origin", "USA"]
    assert cli.main([*argv, "--destination", "EUU", "--rules-year", "2027"]) == 0
    out = capsys.readouterr().out
    # Two codes x two years; the mass is the four tonnes cells (the avg_ columns are no year).
    assert "us.csv, 4 rows, years 2024-2025" in out
    assert f"on {6487.241 + 3074.059 + 5.44 + 102.675:,.0f} t" in out
    assert "outside the territory" not in out  # EUU, the EU as one importer, is inside
    # Imported into the US itself: outside the EU, left out of the EU's totals.
    assert cli.main([*argv, "--destination", "USA", "--rules-year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "on 0 t" in out and "4 rows imported outside the territory" in out


def test_cli_origin_and_destination_are_for_wide_files_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "panel.csv", REGIME_PANEL)
    assert cli.main(["run", "--imports", str(path), "--format", "baci", "--origin", "USA"]) == 2
    assert "--origin: for --format wide only" in capsys.readouterr().err
    plain = ["compare", "eu-cbam", "uk-cbam", "--imports", str(path), "--destination", "EUU"]
    assert cli.main(plain) == 2
    assert "--destination: for --format wide only" in capsys.readouterr().err


def test_cli_errors_after_a_trade_reader_name_the_file_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each row of a wide file gives one row per year; a 2024 row has no rules of its own year,
    # and the error names the file lines it came from (2 and 3), not positions in the reshape.
    path = write(tmp_path, "us.csv", US_WIDE)
    argv = ["run", "--imports", str(path), "--format", "wide", "--origin", "USA"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "no rules for this year" in err and "line 2 (2024), line 3 (2024)" in err
    # With --year the kept rows still map back to their lines.
    assert cli.main([*argv, "--year", "2024"]) == 2
    assert "line 2 (2024), line 3 (2024)" in capsys.readouterr().err
    # A Parquet panel's rows are numbered as rows (1-based), not lines.
    parquet = tmp_path / "us.parquet"
    pl.read_csv(path, schema_overrides={"cn_code": pl.String}).write_parquet(parquet)
    assert cli.main(["run", "--imports", str(parquet), "--format", "wide", "--origin", "USA"]) == 2
    assert "row 1 (2024), row 2 (2024)" in capsys.readouterr().err


def test_a_wide_row_fault_is_told_once_not_once_per_year(tmp_path: Path) -> None:
    path = write(tmp_path, "us.csv", US_WIDE + "720711111,Iron,1,100,1,100,1,100\n")
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(path, "wide", origin="USA")
    assert [p.column for p in caught.value.problems] == ["cn_code"]
    assert "line 4 (720711111)" in str(caught.value)


# ------------------------------------------------------------- unreadable or odd files
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", r"empty\.csv: cannot read: empty CSV"),
        (b"t,i,j,k,v,q\n2026,156,251,760110,1,1,9\n", r"empty\.csv: cannot read: found more"),
    ],
)
def test_an_unreadable_file_is_an_error_naming_it(
    tmp_path: Path, text: bytes, expected: str
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(text)
    with pytest.raises(cbam.ScenarioError, match=expected):
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD)


def test_cli_names_an_empty_or_ragged_trade_file_in_flag_mode_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"t,i,j,k,v,q\n2026,156,251,760110,1,1,9\n")
    for mode in ("raise", "flag"):
        args = ["run", "--imports", str(path), "--format", "baci", "--on-error", mode]
        assert cli.main(args) == 2
        assert "ragged.csv: cannot read" in capsys.readouterr().err


def test_bytes_that_are_not_utf8_outside_the_used_columns_do_no_harm(tmp_path: Path) -> None:
    # A Latin-1 description column (0xFC is 'ü' in Latin-1, no UTF-8): the row reads as usual,
    # in both modes; the same bytes in a column carried with keep= are a fault of that row.
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"t,i,j,k,v,q,note\n2026,156,251,760110,1,12,T\xfcrkiye\n")
    for mode in ("raise", "flag"):
        rows = cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, on_error=mode).collect()
        assert rows.select("origin", "quantity_t").row(0) == ("CHN", 12.0)
    with pytest.raises(cbam.CbamInputError, match=r"column 'note': not UTF-8 text.*: line 2"):
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, keep=["note"])


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    # Polars would read the second q as q_duplicated_0 and the first would be used silently;
    # the contract reader (cli.read_imports) refuses the same.
    path = write(tmp_path, "twice.csv", "t,i,j,k,v,q,q\n2026,156,251,760110,1,12,30")
    twice = r"twice\.csv: the header names column\(s\) \['q'\]"
    with pytest.raises(cbam.ScenarioError, match=twice):
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD)
    path = write(tmp_path, "case.csv", "t,i,j,k,v,q,Q\n2026,156,251,760110,1,12,30")
    with pytest.raises(cbam.ScenarioError, match=r"case\.csv: .*columns Q and q are the same"):
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD)


def test_keep_naming_a_column_twice_carries_it_once(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", BACI)
    rows = cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, keep=["t", "t"]).collect()
    assert rows.height == 3
    assert rows["t"].to_list() == ["2026"] * 3


def test_cli_flagged_summary_gives_the_readers_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reader empties a faulty row's quantity so that compute flags it; the reason the
    # CLI prints is the reader's (the file's column and value), not compute's 'quantity_t:
    # missing' of every such row.
    path = write(
        tmp_path, "neg.csv", "t,i,j,k,v,q\n2026,156,251,760110,1,-5\n2026,999,251,760110,1,1"
    )
    args = ["run", "--imports", str(path), "--format", "baci", "--on-error", "flag"]
    assert cli.main([*args, "--rules-year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "Flagged: i (origin): unknown baci country code (999) (1 row), q: negative (-5)" in out
    assert "quantity_t: missing" not in out


@pytest.mark.parametrize("code", ["2523290", "25232", "720"])
def test_an_odd_length_code_that_no_leading_zero_can_mend_is_refused(
    code: str, tmp_path: Path
) -> None:
    # '2523290' became '02523290', a chapter-02 code no CN has, and 12,000 t of Portland
    # cement paid nothing; compute refuses the same code as malformed.
    text = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
        f"FR,CN,{code},1,202652,50000,12000000\nFR,CN,1012100,1,202652,1,1000\n"
    )
    with pytest.raises(
        cbam.CbamInputError, match=rf"a heading no HS chapter 01-09 has.*line 2 \({code}\)"
    ):
        cbam.read_trade(write(tmp_path, "cx.csv", text), "comext").collect()
    flagged = cbam.read_trade(write(tmp_path, "cx.csv", text), "comext", on_error="flag")
    kept = flagged.collect()
    assert kept["trade_error"].is_null().to_list() == [False, True]
    assert kept["cn_code"][1] == "01012100"  # a horse's code keeps its restored zero


def test_comtrade_reads_ref_year_and_month_not_ref_period_id(tmp_path: Path) -> None:
    # refPeriodId (20260101) was read ahead of refYear and refused as no whole year; refMonth
    # 52 is the year's total, 1-12 its months (each in its quarter).
    head = (
        "refPeriodId,refYear,refMonth,reporterCode,partnerCode,flowCode,cmdCode,netWgt,"
        "primaryValue\n"
    )
    annual = head + "20260101,2026,52,251,156,M,720711,12000,50000\n"
    rows = cbam.read_trade(write(tmp_path, "a.csv", annual), "comtrade", eur_per_usd=EUR_PER_USD)
    assert rows.collect().select("year", "quarter").row(0) == (2026, None)
    monthly = head + "20260401,2026,4,251,156,M,720711,12000,50000\n"
    rows = cbam.read_trade(write(tmp_path, "m.csv", monthly), "comtrade", eur_per_usd=EUR_PER_USD)
    assert rows.collect().select("year", "quarter").row(0) == (2026, 2)
    both = annual + "20260401,2026,4,251,156,M,720711,1000,5000\n"
    with pytest.raises(
        cbam.CbamInputError, match=r"column 'refMonth': a month of a year whose total"
    ):
        cbam.read_trade(
            write(tmp_path, "b.csv", both), "comtrade", eur_per_usd=EUR_PER_USD
        ).collect()


def test_a_ragged_line_is_named(tmp_path: Path) -> None:
    # Polars says only 'found more fields than defined in Schema'.
    text = "t,i,j,k,v,q\n2026,156,251,720711,1000,12\n2026,156,251,720711,1000,12,7\n"
    with pytest.raises(cbam.ScenarioError, match="line 3 has 7 fields, the header 6"):
        cbam.read_trade(write(tmp_path, "r.csv", text), "baci", eur_per_usd=EUR_PER_USD).collect()


@pytest.mark.parametrize(
    ("layout", "text", "line"),
    [
        (  # a year's chapter total beside the same year's monthly CN8 lines: 24,000 t for 12,000
            "comext",
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            "FR,CN,72,1,202652,1000,12000000\nFR,CN,72081000,1,202601,500,6000000\n"
            "FR,CN,72081000,1,202602,500,6000000\n",
            2,
        ),
        (  # a month's heading beside the year's CN8 total: the total holds that month
            "comext",
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            "FR,CN,72081000,1,202652,1000,12000000\nFR,CN,7208,1,202603,500,6000000\n",
            3,
        ),
        (  # Comtrade's year (refMonth 52) beside a month's HS6 line
            "comtrade",
            "refYear,refMonth,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
            "2026,52,251,156,M,72,12000,50000\n2026,1,251,156,M,720810,6000,25000\n",
            2,
        ),
    ],
    ids=["comext-year-chapter-months", "comext-month-heading-year", "comtrade-52-and-month"],
)
def test_a_total_beside_subcodes_of_another_period_of_its_year_is_refused(
    layout: str, text: str, line: int, tmp_path: Path
) -> None:
    # The subcode check keyed rows by their period, so a year's total never met its months.
    path = write(tmp_path, "x.csv", text)
    with pytest.raises(cbam.CbamInputError, match=rf"subcodes the file also holds.*line {line} \("):
        cbam.read_trade(path, layout, eur_per_usd=EUR_PER_USD).collect()


def test_a_month_heading_beside_another_months_lines_is_kept(tmp_path: Path) -> None:
    # Different months of one year hold different tonnes: nothing is counted twice.
    text = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
        "FR,CN,7208,1,202601,500,6000000\nFR,CN,72081000,1,202602,500,6000000\n"
    )
    rows = cbam.read_trade(write(tmp_path, "x.csv", text), "comext").collect()
    assert rows["quantity_t"].to_list() == [6000.0, 6000.0]


@pytest.mark.parametrize("month", ["13", "0", "x", "1.5"])
def test_a_comtrade_month_outside_1_to_12_or_52_is_refused(month: str, tmp_path: Path) -> None:
    # It was read as the year's total: beside a month of the year, each tonne counted twice.
    text = (
        "refYear,refMonth,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
        f"2026,{month},251,156,M,720810,6000,25000\n"
    )
    path = write(tmp_path, "m.csv", text)
    with pytest.raises(cbam.CbamInputError, match=rf"column 'refMonth': not a month.*\({month}\)"):
        cbam.read_trade(path, "comtrade", eur_per_usd=EUR_PER_USD).collect()


def test_comtrade_years_and_months_written_as_floats_are_read(tmp_path: Path) -> None:
    # pandas writes a column with a gap as floats: 2026.0 and 1.0 are 2026 and January.
    text = (
        "refYear,refMonth,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
        "2026.0,1.0,251,156,M,720810,6000,25000\n2026.0,,251,792,M,720810,1000,5000\n"
    )
    rows = cbam.read_trade(write(tmp_path, "f.csv", text), "comtrade", eur_per_usd=EUR_PER_USD)
    assert rows.collect().select("year", "quarter", "quantity_t").rows() == [
        (2026, 1, 6.0),
        (2026, None, 1.0),
    ]


def test_a_missing_year_is_not_reported_as_a_missing_fx_rate(tmp_path: Path) -> None:
    text = "t,i,j,k,v,q\n,156,251,720711,1000,12\n"
    path = write(tmp_path, "y.csv", text)
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.read_trade(path, "baci").collect()
    assert "column 't': missing or not a whole year" in str(caught.value)
    assert "USD->EUR" not in str(caught.value)


def test_a_short_line_and_a_ragged_one_are_each_named(tmp_path: Path) -> None:
    # Polars reads a short line with its missing fields null, and fails on a line's extra
    # field: the short line is named first, a ragged one where no line is short.
    text = "t,i,j,k,v,q\n2026,156,251\n2026,156,251,720711,1000,12\n2026,156,251,720711,1,12,7\n"
    with pytest.raises(cbam.ScenarioError, match="line 2 has 3 fields, the header 6"):
        cbam.read_trade(write(tmp_path, "r.csv", text), "baci", eur_per_usd=EUR_PER_USD).collect()
    text = "t,i,j,k,v,q\n2026,156,251,720711,1000,12\n2026,156,251,720711,1,12,7\n"
    with pytest.raises(cbam.ScenarioError, match="line 3 has 7 fields, the header 6"):
        cbam.read_trade(write(tmp_path, "r.csv", text), "baci", eur_per_usd=EUR_PER_USD).collect()


def test_compute_names_rows_read_trade_flagged_by_their_fault(tmp_path: Path) -> None:
    # compute named them only for a missing quantity (rows 2-4: file lines 3-5), not for the
    # partner 'World', the export flow and the empty netWgt that read_trade had found.
    text = (
        "refYear,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
        "2026,251,156,M,720711,12000,50000\n2026,251,0,M,720711,12000,50000\n"
        "2026,251,156,X,720711,12000,50000\n2026,251,156,M,720711,,50000\n"
    )
    path = write(tmp_path, "c.csv", text)
    rows = cbam.read_trade(path, "comtrade", on_error="flag", eur_per_usd=EUR_PER_USD).collect()
    with pytest.raises(cbam.CbamInputError) as caught:
        cbam.compute(rows, "eu-cbam")
    first = str(caught.value).splitlines()[1]
    assert first.startswith("  column 'trade_error': flagged by cbam.read_trade")
    assert "not an import flow (keep flowCode M" in first and "(X) (source_line 4)" in first
    fees = cbam.compute(rows, "eu-cbam", on_error="flag")
    assert fees["input_error"].str.starts_with("trade_error: flagged").to_list() == [
        None,
        True,
        True,
        True,
    ]
    assert fees["fee_eur"][0] is not None


def test_a_wide_file_without_origins_says_to_give_one(tmp_path: Path) -> None:
    # 'not a wide file: no column origin', though it was one.
    path = write(tmp_path, "wide.csv", "cn_code,tonnes_2026\n72071111,10\n")
    with pytest.raises(cbam.ScenarioError, match=r"wide.csv: the wide file has no origin column"):
        cbam.read_trade(path, "wide").collect()


def test_a_code_of_full_width_digits_is_refused_by_the_reader(tmp_path: Path) -> None:
    text = "t,i,j,k,v,q\n2026,156,251,７２０７１１,1000,12\n"
    path = write(tmp_path, "fw.csv", text)
    with pytest.raises(cbam.CbamInputError, match=r"column 'k'"):
        cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD).collect()


# ------------------------------------------------------------------ a flow counted twice
COMEXT_HEAD = "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG"


def test_a_cn8_line_beside_its_own_taric_lines_is_refused(tmp_path: Path) -> None:
    # Both cut to CN8 72071111, they would count the 5 t twice; two TARIC lines of one CN8
    # are two parts of it and add up.
    path = write(
        tmp_path,
        "e.csv",
        f"{COMEXT_HEAD}\nFR,CN,72071111,1,2025,1000,5000\nFR,CN,7207111110,1,2025,1000,5000",
    )
    beside = r"column 'PRODUCT_NC': a product code whose subcodes.*: line 2 \(72071111\)"
    with pytest.raises(cbam.CbamInputError, match=beside):
        cbam.read_trade(path, "comext")
    path = write(
        tmp_path,
        "parts.csv",
        f"{COMEXT_HEAD}\nFR,CN,7207111110,1,2025,1000,5000\nFR,CN,7207111190,1,2025,1000,3000",
    )
    rows = cbam.read_trade(path, "comext").collect()
    assert rows["cn_code"].to_list() == ["72071111", "72071111"]
    assert rows["quantity_t"].sum() == 8.0


def test_a_year_total_given_as_yyyy_and_as_yyyy52_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "e.csv",
        f"{COMEXT_HEAD}\nFR,CN,72071111,1,2025,1000,5000\nFR,CN,72071111,1,202552,1000,5000\n"
        "FR,TR,72071111,1,202552,1000,5000",
    )
    twice = r"column 'PERIOD': the year's total given twice.*: line 2 \(2025\), line 3 \(202552\)"
    with pytest.raises(cbam.CbamInputError, match=twice) as caught:
        cbam.read_trade(path, "comext")
    assert "line 4" not in str(caught.value)  # another partner's total stands alone


def test_an_sdmx_month_and_the_northern_ireland_partner(tmp_path: Path) -> None:
    # TIME_PERIOD 2025-05 (SDMX) is May, quarter 2; partner XI's trade is intra-EU under
    # the Windsor Framework: refused by name, not charged as the UK's.
    head = COMEXT_HEAD.replace("PERIOD", "TIME_PERIOD")
    path = write(tmp_path, "s.csv", f"{head}\nFR,CN,72071111,1,2025-05,1000,5000")
    assert cbam.read_trade(path, "comext").collect().select("year", "quarter").row(0) == (2025, 2)
    path = write(tmp_path, "xi.csv", f"{COMEXT_HEAD}\nIE,XI,72071111,1,2025,1000,5000")
    with pytest.raises(cbam.CbamInputError, match=r"line 2 \(XI = not a country: .*Northern Ire"):
        cbam.read_trade(path, "comext")


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("tonnes_2024,TONNES_2024", "tonnes_2024 and TONNES_2024"),
        ("tonnes_2024,kg_2024", "tonnes_2024 and kg_2024"),
        ("tonnes_2024,eur_2024,usd_2024", "eur_2024 and usd_2024"),
    ],
)
def test_a_wide_file_with_two_quantities_or_values_for_a_year_is_refused(
    tmp_path: Path, header: str, named: str
) -> None:
    values = ",".join(["10"] * len(header.split(",")))
    path = write(tmp_path, "w.csv", f"cn_code,{header}\n72071111,{values}")
    with pytest.raises(cbam.ScenarioError, match=rf"w\.csv: the wide file has {named} for 2024"):
        cbam.read_trade(path, "wide", origin="CHN")


# ----------------------------------------------------------------- what a file holds
def test_blank_lines_hold_no_row_and_keep_the_numbering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.csv"
    path.write_text("t,i,j,k,v,q\n2026,156,251,760110,1,12\n\n,,,,,\n2026,156,251,720711,1,3\n\n")
    for mode in ("raise", "flag"):
        rows = cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, on_error=mode).collect()
        assert rows.select("source_line", "quantity_t").rows() == [(2, 12.0), (5, 3.0)]
        assert rows["trade_error"].null_count() == 2
    assert cbam._trade_formats.blank_lines(path) == [3, 4, 6]
    assert cli.main(["run", "--imports", str(path), "--format", "baci"]) == 0
    assert "note: 3 empty line(s) of b.csv skipped (line 3, 4, 6)" in capsys.readouterr().out


def test_a_ragged_line_in_flag_mode_is_a_cbam_error_at_once(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"t,i,j,k,v,q\n2026,156,251,760110,1,1\n2026,156,251,760110,1,1,9\n")
    ragged = r"ragged\.csv: cannot read: .*line 3 has 7 fields, the header 6"
    with pytest.raises(cbam.ScenarioError, match=ragged):
        cbam.read_trade(path, "baci", on_error="flag")


def test_pandas_and_arrow_frames_read_and_other_objects_are_named() -> None:
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    given = {"t": [2026], "i": [156], "j": [251], "k": ["720711"], "v": [1.0], "q": [2.0]}
    for frame in (pd.DataFrame(given), pa.table(given)):
        rows = cbam.read_trade(frame, "baci", eur_per_usd=EUR_PER_USD).collect()
        assert rows.select("origin", "destination", "quantity_t", "value_eur").row(0) == (
            "CHN",
            "FRA",
            2.0,
            900.0,
        )
    with pytest.raises(cbam.ScenarioError, match=r"reads a file .* or a data frame .*, not int"):
        cbam.read_trade(42, "baci")  # type: ignore[arg-type]


def test_a_utf16_trade_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("t,i,j,k,v,q\n2026,156,251,720711,10,12\n".encode("utf-16"))
    with pytest.raises(cbam.ScenarioError, match=r"u16\.csv: .*UTF-16 or in another encoding"):
        cbam.read_trade(path, "baci")


def test_bytes_that_are_not_utf8_in_an_import_file_name_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes(
        b"year,origin,cn_code,quantity_t,desc\n2026,TUR,72071111,10,ok\n"
        b"2026,TUR,72071111,10,C\xf4te\n"
    )
    assert cli.main(["run", "--imports", str(path)]) == 2
    err = capsys.readouterr().err
    assert "l1.csv: cannot read import file" in err
    assert "line 3, column 'desc': bytes that are not UTF-8" in err


def test_a_line_with_fewer_fields_than_the_header_is_named_in_every_mode(tmp_path: Path) -> None:
    # Comtrade's breakdown columns read as null would count a breakdown as the total.
    path = tmp_path / "short.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("t,i,j,k,v,q\n2026,156,251,760110,1,12\n2026,156,251,760110,1\n")
    for mode in ("raise", "flag"):
        with pytest.raises(cbam.ScenarioError, match=r"line 3 has 5 fields, the header 6"):
            cbam.read_trade(path, "baci", eur_per_usd=EUR_PER_USD, on_error=mode)


# ------------------------------------------------- review of 2026-12-07: flows, EU, MWh
COMEXT_HEADER = "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        (  # import months beside an export's year total
            "comext",
            COMEXT_HEADER + "FR,US,72071111,1,202701,1,2000\nFR,US,72071111,1,202702,1,2000\n"
            "FR,US,72071111,2,202752,9,9000\n",
        ),
        (  # an import heading beside an export's CN8 line
            "comext",
            COMEXT_HEADER + "FR,US,7207,1,2027,1,2000\nFR,US,72071111,2,2027,9,9000\n",
        ),
        (  # the EU's imports beside a member state's exports
            "comext",
            COMEXT_HEADER + "EU27_2020,US,72071111,1,2027,1,2000\nFR,US,72071111,2,2027,9,9000\n",
        ),
        (  # Comtrade: an import month beside an export's year, a heading beside an export line
            "comtrade",
            "period,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
            "202701,251,M,842,720711,2000,1\n2027,251,X,842,720711,9000,9\n"
            "2027,251,M,842,7208,2000,1\n2027,251,X,842,720851,9000,9\n",
        ),
    ],
    ids=["comext-months", "comext-levels", "comext-eu", "comtrade"],
)
def test_exports_in_the_file_refuse_no_import(layout: str, text: str, tmp_path: Path) -> None:
    # Publishers ship both flows in one file; an export counts nothing, so it overlaps no
    # import: only the exports are flagged, and the imports keep their 2 t each.
    path = write(tmp_path, "flows.csv", text)
    rows = cbam.read_trade(path, layout, eur_per_usd=EUR_PER_USD, on_error="flag").collect()
    imports = rows.filter(pl.col("trade_error").is_null())
    assert imports["quantity_t"].to_list() == [2.0] * (rows.height // 2 + rows.height % 2)
    errors = rows["trade_error"].drop_nulls().to_list()
    assert errors and all(e.startswith(("FLOW: not an import", "flowCode: not an")) for e in errors)


@pytest.mark.parametrize(
    "rows",
    [
        "EU27_2020,US,72071111,1,2027,1,5000\nFR,US,7207111100,1,2027,1,2000\n",  # TARIC line
        "EU27_2020,US,7207,1,2027,1,5000\nFR,US,72071111,1,2027,1,2000\n",  # EU heading
        "EU27_2020,US,72071111,1,2027,1,5000\nFR,US,7207,1,2027,1,2000\n",  # member heading
        "EU27_2020,US,72071111,1,202701,1,5000\nFR,US,72071111,1,2027,1,2000\n",  # EU month
        "EU27_2020,US,72071111,1,2027,1,5000\nFR,US,72071111,1,202703,1,2000\n",  # FR month
    ],
)
def test_the_eu_beside_a_member_state_is_refused_at_any_code_level(
    rows: str, tmp_path: Path
) -> None:
    # The EU's 5 t already hold France's 2 t (docs/guide/data-formats.md): summed, France's
    # tonnes would count twice, whatever the level or period each is given at.
    path = write(tmp_path, "eu.csv", COMEXT_HEADER + rows)
    with pytest.raises(cbam.CbamInputError, match="the EU as a whole beside its member states"):
        cbam.read_trade(path, "comext").collect()


def test_the_eu_beside_a_member_state_in_other_months_or_codes_is_kept(tmp_path: Path) -> None:
    text = COMEXT_HEADER + (
        "EU27_2020,US,72071111,1,202701,1,5000\nFR,US,72071111,1,202702,1,2000\n"
        "EU27_2020,CN,7207,1,2027,1,5000\nFR,CN,7208,1,2027,1,2000\n"
        # EU27_2020 holds the 27 members since 2020 (country_lists/eu27.csv): not the UK's 2019.
        "EU27_2020,IN,72071111,1,2019,1,5000\nGB,IN,72071111,1,2019,1,2000\n"
    )
    rows = cbam.read_trade(write(tmp_path, "ok.csv", text), "comext").collect()
    assert rows["quantity_t"].to_list() == [5.0, 2.0, 5.0, 2.0, 5.0, 2.0]


def test_comext_electricity_is_read_in_mwh_from_the_supplementary_quantity(
    tmp_path: Path,
) -> None:
    # CN 2716 00 00 is declared in MWh (Reg. 2023/956 Art. 6(2)(a)); Comext gives it as the
    # supplementary unit, 1 000 kWh, and no net mass. 50,000 MWh x 0.8 t/MWh = 40,000 t CO2e,
    # no free allocation for electricity, at EUR 80: EUR 3,200,000.
    text = (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,"
        "SUPP_UNIT,SUP_QUANTITY\nDE,RS,27160000,1,202752,5000000,0,1000 kWh,50000\n"
        "DE,TR,72071111,1,202652,1000,100000,,\n"
    )
    rows = cbam.read_trade(write(tmp_path, "el.csv", text), "comext")
    assert rows.collect()["quantity_t"].to_list() == [50000.0, 100.0]
    priced = eu_fees(
        rows.with_columns(see_direct=pl.when(pl.col("cn_code") == "27160000").then(0.8))
    )
    assert priced["embedded_t"][0] == pytest.approx(40_000.0)
    assert priced["fee_eur"][0] == pytest.approx(3_200_000.0)


@pytest.mark.parametrize(
    ("layout", "text", "column"),
    [
        ("comext", COMEXT_HEADER + "DE,RS,27160000,1,202752,5000000,0\n", "QUANTITY_IN_KG"),
        ("baci", "t,i,j,k,v,q\n2026,688,276,271600,1000,12\n", "q"),
        (
            "comtrade",
            "refYear,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
            "2026,276,M,688,271600,0,1000\n",
            "netWgt",
        ),
    ],
)
def test_electricity_given_by_mass_is_refused_not_read_as_mwh(
    layout: str, text: str, column: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "el.csv", text)
    with pytest.raises(cbam.CbamInputError, match=f"column '{column}': electricity"):
        cbam.read_trade(path, layout, eur_per_usd=EUR_PER_USD).collect()


def test_a_comtrade_month_that_is_none_flags_its_own_row_only(tmp_path: Path) -> None:
    text = (
        "refYear,refMonth,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue\n"
        "2027,2,251,M,842,720712,1000,100\n2027,13,251,M,842,720712,1000,100\n"
        # Nor does it make a code beside chapter 72's month or chapter 76's year total.
        "2027,1,251,M,842,72,1000,100\n2027,13,251,M,842,7207,1000,100\n"
        "2027,,251,M,842,76,1000,100\n2027,13,251,M,842,7601,1000,100\n"
    )
    path = write(tmp_path, "ct.csv", text)
    rows = cbam.read_trade(path, "comtrade", eur_per_usd=EUR_PER_USD, on_error="flag").collect()
    assert rows["quantity_t"].to_list() == [1.0, None, 1.0, None, 1.0, None]
    errors = rows["trade_error"].to_list()
    assert errors[0::2] == [None] * 3
    assert all(e.startswith("refMonth: not a month") for e in errors[1::2])


# --- the validation pass reads a key column's distinct values (one fault in many rows) ---

_CLEAN = {
    "baci": ("t,i,j,k,v,q", "2026,156,251,720711,10,5"),
    "comtrade": (
        "refYear,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue",
        "2026,251,M,156,720711,5000,1000",
    ),
    "comext": (
        "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG",
        "FR,CN,72071111,1,2026,1000,5000",
    ),
}
# One bad field per case: (format, column position, value).
_FAULTS = [
    ("baci", 0, "20x6"),  # no year
    ("baci", 1, "58"),  # an aggregate (Belgium-Luxembourg)
    ("baci", 2, "999"),  # no country
    ("baci", 3, "7207"),  # not HS6
    ("baci", 3, "271600"),  # electricity as a mass
    ("baci", 5, "-1"),  # a negative quantity
    ("comtrade", 1, "0"),  # World
    ("comtrade", 2, "X"),  # an export
    ("comtrade", 4, "TOTAL"),
    ("comext", 1, "EU27_2020"),  # the EU as an origin
    ("comext", 2, "7207111"),  # an odd-length code
    ("comext", 4, "2026-13"),  # no period
]


@pytest.mark.parametrize(("fmt", "at", "value"), _FAULTS)
@pytest.mark.parametrize("row", [0, 517, 1_999])
def test_one_bad_value_among_many_rows_is_found_in_both_modes(
    tmp_path: Path, fmt: str, at: int, value: str, row: int
) -> None:
    # The clean rows repeat one line: each key column holds one value, the faulty row adds a
    # second, which only a pass over the distinct values (or every row) can see. A column
    # cbam does not read (a shipment number) keeps them apart: else one flow given 2,000 times.
    header, line = _CLEAN[fmt]
    fields = line.split(",")
    bad = ",".join(value if i == at else f for i, f in enumerate(fields))
    lines = [f"{bad if i == row else line},{i}" for i in range(2_000)]
    path = write(tmp_path, f"{fmt}.csv", "\n".join([f"{header},shipment", *lines]))
    with pytest.raises(cbam.CbamInputError, match=rf"line {row + 2} "):
        cbam.read_trade(path, fmt)  # type: ignore[arg-type]
    flagged = cbam.read_trade(path, fmt, on_error="flag").collect()  # type: ignore[arg-type]
    assert flagged["trade_error"].is_not_null().arg_true().to_list() == [row]
    assert flagged.height == 2_000
