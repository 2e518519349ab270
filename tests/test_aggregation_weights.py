"""CN8 trade weights for aggregate codes: the scenario's ``aggregation_weights``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cbam
from cbam import _engine, cli
from cbam._errors import ScenarioError

BUNDLED = "eu_imports_from_usa_cn8_2022_2025"

# Every-origin weights inside CN4 3102 (nitrogen fertilisers): two of its 14 CN8 codes.
EVERY_ORIGIN = """origin,cn_code,weight
,3102 21 00,3
,31023090,1
"""
# The same, plus the United States' own weights in 3102: they win for US rows of 3102.
WITH_USA = EVERY_ORIGIN + "USA,31021012,5\nUSA,31029000,0\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def weighted(path: Path | str, **overrides: object) -> cbam.Scenario:
    return cbam.load_scenario(
        "eu-cbam", overrides={"rules_year": 2027, "aggregation_weights": str(path), **overrides}
    )


def rows(origins: list[str], codes: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"year": 2027, "origin": origins, "cn_code": codes, "quantity_t": 100.0})


def test_cn4_row_takes_the_weighted_mean_of_its_two_weighted_cn8_codes(tmp_path: Path) -> None:
    # By hand from rates/eu/default_values.csv (USA rows, 2027 mark-up column markup_2027) and
    # rates/eu/benchmarks.csv (column B, default values; no period split for these codes):
    #   31022100 ammonium sulphate: SEE 1.040, benchmark B 0.414, weight 3
    #   31023090 ammonium nitrate:  SEE 2.293, benchmark B 0.767, weight 1
    # The other 12 CN8 codes of 3102 have no weight: they count 0. Normalised per prefix:
    #   SEE       = (3 x 1.040 + 1 x 2.293) / 4 = 5.413 / 4 = 1.35325 t CO2e/t
    #   benchmark = (3 x 0.414 + 1 x 0.767) / 4 = 2.009 / 4 = 0.50225 t CO2e/t
    path = write(tmp_path, "nitrogen.csv", EVERY_ORIGIN)
    fees = cbam.compute(rows(["USA"], ["3102"]), weighted(path))
    row = fees.row(0, named=True)
    assert row["see_t_per_t"] == pytest.approx(1.35325, abs=1e-12)
    assert row["benchmark_t_per_t"] == pytest.approx(0.50225, abs=1e-12)
    assert row["intensity_source"] == "default:aggregate"
    assert row["default_value_heading"] == "weighted mean of 2 CN8 codes (weights: nitrogen)"
    # Without weights: the simple mean over the 12 Annex I CN8 codes (3102 10 10 counts once).
    plain = cbam.compute(rows(["USA"], ["3102"]), "eu-cbam").row(0, named=True)
    assert plain["default_value_heading"] == "mean of 12 CN8 codes"
    assert plain["see_t_per_t"] != pytest.approx(row["see_t_per_t"])
    # The output's types stay those of the schema.
    assert fees.schema == cbam.compute(rows(["USA"], ["3102"]), "eu-cbam").schema


def test_origin_weights_win_over_every_origin_weights(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.csv", WITH_USA)
    fees = cbam.compute(
        rows(["USA", "USA", "USA", "TUR", "USA"], ["3102", "310210", "310230", "3102", "3105"]),
        weighted(path),
    )
    see, bm, heading = (
        fees[c].to_list() for c in ("see_t_per_t", "benchmark_t_per_t", "default_value_heading")
    )
    # USA 3102 and 310210: the US weights only (31021012 weight 5, 31029000 weight 0):
    # USA 31021012 SEE 0.768 (markup_2027), benchmark B 0.304.
    assert see[:2] == [pytest.approx(0.768), pytest.approx(0.768)]
    assert bm[:2] == [pytest.approx(0.304), pytest.approx(0.304)]
    assert heading[:2] == ["weighted mean of 1 CN8 codes (weights: mixed)"] * 2
    # USA 310230: no US weight below it, so the every-origin weight of 31023090 decides
    # (31023010 counts 0): SEE 2.293, benchmark 0.767.
    assert (see[2], bm[2]) == (pytest.approx(2.293), pytest.approx(0.767))
    # Turkey has no weights of its own: the every-origin 3:1 mix of its own default values.
    assert heading[3] == "weighted mean of 2 CN8 codes (weights: mixed)"
    # No weight anywhere under 3105: the simple mean, said as before.
    assert heading[4] == "mean of 9 CN8 codes"


def test_weights_need_not_sum_to_one(tmp_path: Path) -> None:
    small = write(tmp_path, "small.csv", EVERY_ORIGIN)
    large = write(
        tmp_path, "large.csv", EVERY_ORIGIN.replace(",3\n", ",3000\n").replace(",1\n", ",1000\n")
    )
    a = cbam.compute(rows(["USA"], ["3102"]), weighted(small))["see_t_per_t"]
    b = cbam.compute(rows(["USA"], ["3102"]), weighted(large))["see_t_per_t"]
    assert a.to_list() == pytest.approx(b.to_list(), abs=1e-12)


def test_keyed_path_equals_joined_path_with_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = weighted(write(tmp_path, "mixed.csv", WITH_USA))
    origins = ["USA", "TUR", "CHN", "NOR", "usa"]
    codes = ["3102", "310210", "31", "2523", "7601", "72071111", "3105"]
    n = 200
    i = pl.int_range(n)
    panel = pl.select(
        year=(2026 + i % 5).cast(pl.Int32),
        origin=pl.lit(pl.Series(origins)).gather(i % len(origins)),
        cn_code=pl.lit(pl.Series(codes)).gather(i.hash(3) % len(codes)),
        quantity_t=(1 + i % 17).cast(pl.Float64),
    )
    assert _engine.keyed_path_applies(panel.schema, scenario)
    keyed = cbam.compute(panel, scenario)
    with monkeypatch.context() as m:
        m.setattr(_engine, "keyed_path_applies", lambda *_: False)
        joined = cbam.compute(panel, scenario)
    assert_frame_equal(keyed, joined, check_exact=True)
    assert keyed["default_value_heading"].cast(pl.String).str.starts_with("weighted").any()
    # Rows naming no route (an empty route column) take the joined path's route rules: same.
    routed = cbam.compute(panel.with_columns(route=pl.lit("")), scenario).drop("route")
    assert_frame_equal(keyed, routed, check_exact=True)


def test_design_regimes_read_the_same_weighted_intensities(tmp_path: Path) -> None:
    # The UK CBAM takes the EU default values without mark-up, and in 2027 direct emissions
    # only (indirect ones deferred to 2029, rates/regimes/uk-cbam.yaml): the 3:1 mix of the
    # direct values of USA 31022100 (0.970) and 31023090 (2.190) by hand is
    # (3 x 0.970 + 2.190) / 4 = 5.100 / 4 = 1.275 t CO2e/t.
    path = write(tmp_path, "nitrogen.csv", EVERY_ORIGIN)
    uk = cbam.load_scenario(
        "uk-cbam", overrides={"rules_year": 2027, "aggregation_weights": str(path)}
    )
    fees = cbam.compute(rows(["USA"], ["3102"]), uk)
    assert fees["see_t_per_t"].item() == pytest.approx(1.275)
    heading = fees["default_value_heading"].cast(pl.String).item()
    assert heading == "weighted mean of 2 CN8 codes (weights: nitrogen)"


def test_bundled_us_weights_apply_to_us_rows_only() -> None:
    # The bundled file is the tonnage of EU imports from the US summed over 2022-2025, e.g.
    # 2507 00 80: 20,678.152 + 15,861.983 + 6,487.241 + 3,074.059 = 46,101.435 t.
    table = pl.read_csv(
        Path(cbam.__file__).parents[1]
        / "rates/eu/aggregation_weights/eu_imports_from_usa_cn8_2022_2025.csv",
        schema_overrides={"cn_code": pl.String},
    )
    assert table.filter(pl.col("cn_code") == "25070080")["weight"].item() == 46101.435
    assert set(table["origin"]) == {"USA"}
    fees = cbam.compute(rows(["USA", "CHN"], ["2523", "2523"]), weighted(BUNDLED))
    plain = cbam.compute(rows(["USA", "CHN"], ["2523", "2523"]), "eu-cbam")
    heading = fees["default_value_heading"].cast(pl.String).to_list()
    assert heading[0] == f"weighted mean of 5 CN8 codes (weights: {BUNDLED})"
    assert fees["see_t_per_t"][0] != pytest.approx(plain["see_t_per_t"][0])
    # China: no weights of its own and none for every origin: unchanged.
    assert fees.row(1) == plain.row(1)


def test_scenario_file_names_weights_relative_to_itself(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    write(folder, "nitrogen.csv", EVERY_ORIGIN)
    path = write(
        folder,
        "s.yaml",
        "name: s\nextends: eu-cbam\nrules_year: 2027\naggregation_weights: nitrogen.csv\n",
    )
    fees = cbam.compute(rows(["USA"], ["3102"]), cbam.load_scenario(path))
    assert fees["see_t_per_t"].item() == pytest.approx(1.35325)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cn_code,weight\n31022100,3\n31023090,-1\n",
            "weight is not a finite number >= 0: line 3 ('-1')",
        ),
        ("cn_code,weight\n31022100,lots\n", "line 2 ('lots')"),
        ("cn_code,weight\n31022100,inf\n", "line 2 ('inf')"),
        ("cn_code,weight\n3102,3\n", "cn_code is not an Annex I CN8 code: line 2 ('3102')"),
        ("cn_code,weight\n84713000,3\n", "line 2 ('84713000')"),
        (
            "origin,cn_code,weight\nXYZ,31022100,3\n",
            "origin is not an ISO3 code (leave it empty for every origin): line 2 ('XYZ')",
        ),
        ("cn_code,weight\n31022100,3\n31022100,4\n", "given twice: line 2 ('31022100'), line 3"),
        ("code,w\n31022100,3\n", "no column cn_code or weight (columns found: code, w"),
    ],
)
def test_bad_weights_are_named_by_file_line_and_value(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ScenarioError) as caught:
        cbam.compute(rows(["USA"], ["3102"]), weighted(path))
    assert "bad.csv" in str(caught.value)
    assert expected in str(caught.value)


def test_unknown_bundled_weights_list_the_known(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=f"bundled: {BUNDLED}"):
        cbam.compute(rows(["USA"], ["3102"]), weighted("nope"))


def test_cli_weights_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = write(tmp_path, "nitrogen.csv", EVERY_ORIGIN)
    imports = write(tmp_path, "rows.csv", "year,origin,cn_code,quantity_t\n2027,USA,3102,100\n")
    out = tmp_path / "fees.csv"
    argv = ["run", "--imports", str(imports), "--weights", str(weights), "--out", str(out)]
    assert cli.main(argv) == 0
    fees = pl.read_csv(out)
    assert fees["see_t_per_t"].item() == pytest.approx(1.35325)
    assert (
        fees["default_value_heading"].item() == "weighted mean of 2 CN8 codes (weights: nitrogen)"
    )
    capsys.readouterr()
    assert cli.main(["run", "--imports", str(imports), "--weights", "nope"]) == 2
    assert "unknown bundled weights 'nope'" in capsys.readouterr().err


def test_aggregate_lookups_are_the_same_in_every_build() -> None:
    # Means over an aggregate's CN8 codes come out of joins in no fixed row order; they are
    # rounded (lookup._MEAN_DECIMALS) so that every build gives the same tables. CN4 7307
    # and HS6 7306 30 average column-A benchmarks that are equal for every route (IR
    # 2025/2620, iron and steel: one value under every route listed), so their routes never
    # differ in column A; unrounded, the flag flipped between builds.
    from cbam._eu.config import clinker_shares
    from cbam._eu.lookup import build_lookups

    variants = {k: v.value for k, v in clinker_shares().default_variant.items()}
    builds = [build_lookups({}, variants) for _ in range(4)]
    for built in builds[1:]:
        for name in ("goods", "route_benchmarks", "aggregate_route_benchmarks"):
            a, b = getattr(builds[0], name), getattr(built, name)
            assert_frame_equal(a.sort(a.columns), b.sort(b.columns), check_exact=True)
    goods = builds[0].goods.filter(pl.col("cn_key").is_in(["7307", "730630"]))
    assert goods["routes_differ_a"].to_list() == [False, False]


def test_a_design_reference_weighs_the_rows_own_product_mix(tmp_path: Path) -> None:
    # us-fpf-2025 compares a row's intensity with the US default values (the published totals,
    # direct and indirect, of rates/eu/default_values.csv): TUR 3102 21 00 0.68, 3102 30 90
    # 2.60; USA 1.03 and 2.27. With Turkish weights 3:1 on those two codes a TUR 3102 row is
    # (3 x 0.68 + 2.60) / 4 = 1.16 and its reference (3 x 1.03 + 2.27) / 4 = 1.34; the
    # reference was the US aggregate under the US's own mix (or the simple mean) instead.
    path = write(tmp_path, "tur.csv", "origin,cn_code,weight\nTUR,3102 21 00,3\nTUR,31023090,1\n")
    scenario = cbam.load_scenario("us-fpf-2025", overrides={"aggregation_weights": str(path)})
    row = cbam.compute(rows(["TUR"], ["3102"]).with_columns(value_eur=1e4), scenario)
    assert row["see_t_per_t"].item() == pytest.approx(1.16, abs=1e-12)
    assert row["benchmark_t_per_t"].item() == pytest.approx(1.34, abs=1e-12)
    # With US weights (the bundled file), a Turkish row keeps the simple mean of both.
    bundled = cbam.load_scenario("us-fpf-2025", overrides={"aggregation_weights": BUNDLED})
    plain = cbam.load_scenario("us-fpf-2025")
    chapter = rows(["TUR"], ["72"]).with_columns(value_eur=1e3)
    columns = ["see_t_per_t", "benchmark_t_per_t", "fee_local"]
    assert_frame_equal(
        cbam.compute(chapter, bundled).select(columns), cbam.compute(chapter, plain).select(columns)
    )
