"""What `cbam run` and `cbam compare` print: rules years, totals per year, ave in percent,
flagged rows counted apart, years in order, and input files that need a hint (issue 18).

Hand derivations used below (Reg. (EU) 2023/956, IR 2025/2621 default values and mark-ups,
IR 2025/2620 benchmarks; the regulation's worked example): 100 t of CN 7207 11 11 from Turkiye
at EUR 80 per certificate has embedded emissions 100 x 2.31 t CO2e/t x the mark-up, less the
free allocation 136.4 t x the CBAM factor:

* 2026: 254.10 - 132.99 = 121.11 certificates, EUR 9,688.80 (mark-up 10 %, factor 0.975);
* 2027: 277.20 - 129.58 = 147.62 certificates, EUR 11,809.60 (mark-up 20 %, factor 0.95).

At a customs value of EUR 55,000 the ave_pct are 9,688.80 / 55,000 x 100 = 17.62 and
11,809.60 / 55,000 x 100 = 21.47.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import cbam
from cbam.cli import main

HEADER = "year,origin,cn_code,quantity_t,value_eur\n"
TUR_2026 = "2026,TUR,72071111,100,55000\n"
TUR_2027 = "2027,TUR,72071111,100,55000\n"
CHN_2027 = "2027,CHN,72071111,10,55000\n"
BAD = "2026,XYZ,72071111,5,1000\n"  # unknown origin: an input error


@pytest.fixture
def priced(tmp_path: Path) -> Path:
    """The EU CBAM at EUR 80 per certificate, each row under its own year's rules."""
    path = tmp_path / "priced.yaml"
    path.write_text("extends: eu-cbam\nname: priced\ncertificate_price_eur: 80\n", "utf-8")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_with(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(start))


# --- cbam run ---------------------------------------------------------------------------------


def test_run_over_several_years_prints_a_total_per_year(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2026 + TUR_2027)
    assert main(["run", "--scenario", str(priced), "--imports", str(rows), "--by", "origin"]) == 0
    out = capsys.readouterr().out
    assert "2 import years 2026-2027 summed" in out  # the --by table says it sums years
    assert "Totals by import year (each row under its own year's rules)" in out
    assert "| 2026 | 100.00" in out and "| 9,688.80 " in line_with(out, "| 2026 ")
    assert "| 11,809.60 " in line_with(out, "| 2027 ")
    assert "| 17.62 " in line_with(out, "| 2026 ") and "| 21.47 " in line_with(out, "| 2027 ")
    total = line_with(out, "Total fee:")
    assert total.startswith("Total fee: EUR 21,498.40 on 200 t")
    assert total.endswith("the 2 import years 2026-2027 summed (each year above)")


def test_electricity_is_totalled_in_mwh_apart_from_the_tonnes(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Reg. 2023/956 Art. 6(2)(a): electricity is declared in MWh, other goods in tonnes. 5,000
    # MWh at an actual 0.7 t CO2e/MWh, no free allocation: 3,500 x EUR 80 = EUR 280,000.
    header = "year,origin,cn_code,quantity_t,value_eur,see_direct\n"
    text = header + "2026,TUR,72071111,100,55000,\n2026,SRB,27160000,5000,400000,0.7\n"
    rows = write(tmp_path, "rows.csv", text)
    assert main(["run", "--scenario", str(priced), "--imports", str(rows)]) == 0
    total = line_with(capsys.readouterr().out, "Total fee:")
    assert total.startswith("Total fee: EUR 289,688.80 on 100 t and 5,000 MWh of electricity")


def test_one_year_prints_no_year_table(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2026)
    assert main(["run", "--scenario", str(priced), "--imports", str(rows), "--by", "origin"]) == 0
    out = capsys.readouterr().out
    assert "Totals by import year" not in out and "summed" not in out
    header = line_with(out, "| origin ")
    assert "ave_pct" in header and "| ave " not in header
    assert "| 17.62 " in line_with(out, "| TUR ")


def test_flagged_rows_are_counted_apart_not_shown_as_zero_groups(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2026 + BAD)
    out_file = tmp_path / "fees.parquet"
    args = ["run", "--scenario", str(priced), "--imports", str(rows), "--by", "origin"]
    assert main([*args, "--on-error", "flag", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "| XYZ " not in out  # no group of zeros for the flagged row
    assert "Fees by origin (EUR" in out and "| TUR " in out
    assert "Rows: 1 computed, 0 exempt, 1 flagged (left out of totals)" in out
    flagged = line_with(out, "Flagged: ")
    assert "unknown ISO 3166-1 alpha-3 code" in flagged and "(1 row)" in flagged
    assert line_with(out, "Total fee:").startswith("Total fee: EUR 9,688.80 on 100 t")
    assert pl.read_parquet(out_file).height == 2  # nothing lost in the rows written


def test_by_year_lists_the_years_in_order_then_the_fees(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 2027's fees are larger: a sort by fee alone would list 2027 first.
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2027 + CHN_2027 + TUR_2026)
    args = ["run", "--scenario", str(priced), "--imports", str(rows), "--by", "year,origin"]
    assert main(args) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 20")]
    assert [line.split("|")[1:3] for line in lines] == [
        [" 2026 ", " TUR    "],
        [" 2027 ", " TUR    "],
        [" 2027 ", " CHN    "],
    ]
    summary = cbam.summarise(
        cbam.compute(pl.read_csv(rows, schema_overrides={"cn_code": pl.String}), priced),
        by=["origin", "year"],
    )
    assert summary["year"].to_list() == [2026, 2027, 2027]
    assert summary["ave_pct"].to_list() == pytest.approx(
        [100 * 9_688.80 / 55_000, 100 * 11_809.60 / 55_000, summary["ave_pct"][2]]
    )
    assert summary["ave_pct"][2] == pytest.approx(100 * summary["ave"][2])


def test_an_input_column_that_cbam_computes_is_kept_under_another_name(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As in the shared file of EU imports from the US by CN8: a 'sector' column of its own.
    rows = write(
        tmp_path, "rows.csv", "year,origin,cn_code,sector,quantity_t\n2026,TUR,72071111,Steel,100\n"
    )
    out_file = tmp_path / "fees.parquet"
    args = ["run", "--scenario", str(priced), "--imports", str(rows), "--out", str(out_file)]
    assert main(args) == 0
    out = capsys.readouterr().out
    note = "note: rows.csv has column(s) that cbam computes itself; kept yours, 'sector' as "
    assert note + "'source_sector'" in out
    fees = pl.read_parquet(out_file)
    assert fees["source_sector"].to_list() == ["Steel"]
    assert fees["sector"].to_list() == ["iron_steel"]
    assert fees["fee_eur"].to_list() == pytest.approx([9_688.80])


def test_the_library_refuses_an_output_column_and_lists_the_columns_found() -> None:
    rows = pl.DataFrame(
        {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    ).with_columns(pl.lit("Steel").alias("sector"))
    with pytest.raises(cbam.CbamInputError) as info:
        cbam.compute(rows, "eu-cbam")
    text = str(info.value)
    assert "column 'sector': is an output column; rename or drop it" in text
    assert "columns found: year, origin, cn_code, quantity_t, sector" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"year;origin;cn_code;quantity_t\n2026;TUR;72071111;1\n", "looks separated by ';'"),
        (b"year origin cn_code quantity_t\n2026 TUR 72071111 1\n", "encoding is UTF-8"),
        (b"year,origin,cn_code,quantity_t,note\n2026,TUR,72071111,1,C\xf4te\n", "as UTF-8 CSV"),
        ("year,origin,cn_code,quantity_t\n".encode("utf-16"), "UTF-8"),
    ],
    ids=["semicolons", "one-column", "latin-1", "utf-16"],
)
def test_a_misread_header_gets_a_hint(
    tmp_path: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "imports.csv"
    path.write_bytes(content)
    assert main(["run", "--imports", str(path)]) == 2
    err = capsys.readouterr().err
    assert "imports.csv" in err and expected in err


# --- cbam compare -----------------------------------------------------------------------------


def test_compare_prints_rules_years_and_a_total_row(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2027 + CHN_2027)
    args = ["compare", str(priced), "uk-cbam", "--imports", str(rows), "--by", "origin"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "  priced: " in out and "[each row's own year's rules]" in out
    frame = pl.read_csv(rows, schema_overrides={"cn_code": pl.String})
    table = cbam.compare(frame, [cbam.load_scenario(priced), "uk-cbam"], by=["origin"])
    eu, uk = table["fee_eur:priced"].sum(), table["fee_eur:uk-cbam"].sum()
    assert table.filter(pl.col("origin") == "TUR")["fee_eur:priced"].item() == pytest.approx(
        11_809.60
    )
    total = line_with(out, "| total ")
    assert f"| {eu:,.2f} " in total and f"| {uk:,.2f} " in total
    assert "Totals (EUR)" not in out  # one table, its total last


def test_compare_refuses_to_mix_rules_years_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2027)
    args = ["compare", "eu-cbam-rules-2026", "uk-cbam", "--imports", str(rows), "--by", "origin"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "apply different rules years (eu-cbam-rules-2026: rules year 2026" in err
    assert "uk-cbam: each row's own year's rules" in err and "--mixed-rules" in err
    assert main([*args, "--mixed-rules"]) == 0
    out = capsys.readouterr().out
    assert "note: the rules years differ (--mixed-rules)" in out
    assert main([*args, "--rules-year", "2027"]) == 0
    out = capsys.readouterr().out
    assert out.count("[rules year 2027 (applied to every row)]") == 2


def test_compare_on_bundled_data_takes_one_rules_year_for_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The EU CBAM has rules from 2026, the UK's from 2027: both take 2027, said once.
    assert main(["compare", "eu-cbam", "uk-cbam", "--year", "2025", "--by", "", "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "applying the 2027 rules to eu-cbam, uk-cbam (the first year all of them" in out
    assert out.count("[rules year 2027 (applied to every row)]") == 2


def test_compare_on_error_flag_counts_flagged_rows_apart(
    tmp_path: Path, priced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(tmp_path, "rows.csv", HEADER + TUR_2027 + "2027,XYZ,72071111,5,1000\n")
    args = ["compare", str(priced), "uk-cbam", "--imports", str(rows), "--by", "origin"]
    assert main(args) == 2
    assert "pass --on-error flag to leave such rows out" in capsys.readouterr().err
    assert main([*args, "--on-error", "flag"]) == 0
    out = capsys.readouterr().out
    assert "| XYZ " not in out
    assert "| 11,809.60 " in line_with(out, "| TUR ")
    assert "Flagged rows, left out of the fees above: priced 1, uk-cbam 1" in out


def test_the_docs_show_what_make_run_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """Getting started's `make run` excerpt is the output, line for line (``...`` skips lines)."""
    page = Path(__file__).resolve().parents[1] / "docs" / "getting-started.md"
    text = page.read_text(encoding="utf-8")
    start = text.index("The first lines of its output today:\n\n```\n")
    block = text[start:].split("```\n", 2)[1]
    # The command of the Makefile's `run` target.
    args = ["run", "--scenario", "eu-cbam-rules-2026", "--year", "2025", "--by", "origin,sector"]
    assert main([*args, "--top", "25"]) == 0
    out = capsys.readouterr().out
    first, *rest = block.split("...\n")
    assert out.startswith(first)
    for part in rest:
        assert part.strip("\n") in out


def test_a_wide_panel_without_format_is_pointed_to_the_wide_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The shape of the shared file of EU imports from the US by CN8 (no year or origin column).
    rows = write(
        tmp_path,
        "wide.csv",
        "cn_code,sector,tonnes_2022,eur_2022\n25231000,Cement,28.7,44869\n",
    )
    assert main(["run", "--imports", str(rows)]) == 2
    captured = capsys.readouterr()
    assert "kept yours, 'sector' as 'source_sector'" in captured.out
    assert "year-suffixed ones (tonnes_2022, eur_2022): a wide panel" in captured.err
    assert "--format wide" in captured.err
    assert "columns found: cn_code, source_sector, tonnes_2022, eur_2022" in captured.err


def test_compare_by_year_lists_the_years_in_order(tmp_path: Path, priced: Path) -> None:
    frame = pl.read_csv(
        write(tmp_path, "rows.csv", HEADER + TUR_2027 + TUR_2026),
        schema_overrides={"cn_code": pl.String},
    )
    dearer = {"name": "priced-100", "certificate_price_eur": 100}
    other = cbam.load_scenario(priced, overrides=dearer)
    table = cbam.compare(frame, [cbam.load_scenario(priced), other], by=["year"])
    assert table["year"].to_list() == [2026, 2027]
    # EUR 80 -> 100 scales each fee by 1.25: 9,688.80 -> 12,111.00, 11,809.60 -> 14,762.00.
    assert table["fee_eur:priced"].to_list() == pytest.approx([9_688.80, 11_809.60])
    assert table["priced-100 - priced"].to_list() == pytest.approx([2_422.20, 2_952.40])
