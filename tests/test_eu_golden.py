"""Golden cases for the EU CBAM rules, each with the source of its expected value.

Sources (abbreviated below):
  [WE]   Worked example, shared reference README (100 t CN 7207 11 11 from Türkiye, 2026).
  [2621] IR (EU) 2025/2621 Annex I, default values incl. mark-up (rates/eu/default_values.csv).
  [2620] IR (EU) 2025/2620 Annex, benchmarks, column A/B (rates/eu/benchmarks.csv).
  [DIR]  Directive 2003/87/EC Art. 10a(1a): CBAM factor 0.975 (2026), 0.95, 0.90, 0.775, 0.515,
         0.39, 0.265, 0.14, 0 (2034) (rates/eu/cbam_factor.yaml).
  [2547] IR (EU) 2025/2547 recital 6 and Art. 4: cement values per tonne of clinker.
  [956]  Reg. (EU) 2023/956: Annex I goods, Annex III origins, Art. 7 emission scope.
  [PRICE] Commission CBAM certificate price Q1 2026 EUR 75.36 (rates/eu/certificate_price.yaml).
Expected figures are hand-computed from those values: quantity x SEE, quantity x benchmark x
CBAM factor x CSCF (1), certificates = max(0, difference), fee = certificates x price.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import cbam

PRICE_80 = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})


def one(**row: Any) -> dict[str, Any]:
    """Compute one 100 t row (unless given) at EUR 80 and return its output as a dict."""
    base: dict[str, Any] = {"year": 2026, "quantity_t": 100.0}
    base.update(row)
    scenario = row.pop("scenario", PRICE_80) if "scenario" in row else PRICE_80
    base.pop("scenario", None)
    return cbam.compute(pl.DataFrame([base]), scenario).row(0, named=True)


def test_worked_example_turkiye_semi_finished_steel_2026() -> None:
    # [WE]: embedded 254.100, FAA 132.990 (1.364 x 0.975), certificates 121.110, fee 9,688.80.
    out = one(origin="TUR", cn_code="7207 11 11")
    assert out["see_t_per_t"] == pytest.approx(2.541)  # [2621] TUR 7207 11 11, 2026 column
    assert out["embedded_t"] == pytest.approx(254.100)
    assert out["benchmark_t_per_t"] == pytest.approx(1.364)  # [2620] column B, route C
    assert (out["benchmark_column"], out["benchmark_route"]) == ("B", "C")
    assert out["benchmark_route_source"] == "default value"
    assert out["cbam_factor"] == pytest.approx(0.975)
    assert out["free_allocation_t"] == pytest.approx(132.990)
    assert out["certificates"] == pytest.approx(121.110)
    assert out["fee_eur"] == pytest.approx(9688.80)
    assert out["intensity_source"] == "default:country"
    assert out["deduction_t"] == 0.0
    assert out["exempt"] is False and out["exemption_reason"] is None


@pytest.mark.parametrize(
    ("year", "see", "factor", "certificates"),
    [
        # [2621] 2027 column 2.772, [DIR] 0.95: 277.2 - 129.58
        (2027, 2.772, 0.95, 277.2 - 136.4 * 0.95),
        # [2621] 2028+ column 3.003, [2620] 2028-30 period (route C has one value), [DIR] 0.90
        (2028, 3.003, 0.90, 300.3 - 136.4 * 0.90),
        (2026, 2.541, 0.975, 254.1 - 136.4 * 0.975),  # [WE]
        (2029, 3.003, 0.775, 300.3 - 136.4 * 0.775),
        (2030, 3.003, 0.515, 300.3 - 136.4 * 0.515),
        # 2031-33: the 2028-30 benchmark carried forward (assumption in benchmark_period.yaml)
        (2031, 3.003, 0.39, 300.3 - 136.4 * 0.39),
        (2032, 3.003, 0.265, 300.3 - 136.4 * 0.265),
        (2033, 3.003, 0.14, 300.3 - 136.4 * 0.14),
        # [DIR] 0 from 2034: no free-allocation adjustment left, in 2034 and every later year
        (2034, 3.003, 0.0, 300.3),
        (2040, 3.003, 0.0, 300.3),
    ],
)
def test_phase_in_by_year(year: int, see: float, factor: float, certificates: float) -> None:
    out = one(year=year, origin="TUR", cn_code="72071111")
    assert out["see_t_per_t"] == pytest.approx(see)
    assert out["cbam_factor"] == pytest.approx(factor)
    assert out["certificates"] == pytest.approx(certificates)
    assert out["fee_eur"] == pytest.approx(certificates * 80)


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2031])
def test_fertiliser_default_values_carry_a_flat_1_percent_markup(year: int) -> None:
    # [2621] Annex I, Algeria 2814 10 00 (anhydrous ammonia): direct 1.960 + indirect 0.120 =
    # total 2.080, published with mark-up as 2.101 in 2026, 2027 and 2028+ (total x 1.01 in
    # every year, not the 10/20/30 % of other goods; policy-facts.md section 1.8). Indirect
    # emissions count for fertilisers ([956] Art. 7, Annex II). [2620] column B 1.522.
    out = one(year=year, origin="DZA", cn_code="2814 10 00")
    assert out["see_t_per_t"] == pytest.approx(2.101)
    assert out["see_t_per_t"] == pytest.approx(round(2.080 * 1.01, 3))
    assert out["benchmark_t_per_t"] == pytest.approx(1.522)


@pytest.mark.parametrize(
    ("origin", "base", "marked_up"),
    [
        # [2621] Annex I CN 7208 (hot-rolled flat), direct = total, route C; published values
        # with mark-up 2026 / 2027 / 2028+ (policy-facts.md section 1.8, table of 7208):
        ("IDN", 8.230, (9.053, 9.876, 10.699)),
        ("USA", 1.400, (1.540, 1.680, 1.820)),
        # 'Other countries and territories' (policy-facts: 4.05 -> 4.45 / 4.86 / 5.26)
        ("FJI", 4.049, (4.454, 4.858, 5.263)),
    ],
)
def test_steel_markup_10_20_30_percent_by_year(
    origin: str, base: float, marked_up: tuple[float, float, float]
) -> None:
    for year, value, factor in zip((2026, 2027, 2028), marked_up, (1.1, 1.2, 1.3), strict=True):
        out = one(year=year, origin=origin, cn_code="72081000")
        assert out["see_t_per_t"] == pytest.approx(value)
        assert out["see_t_per_t"] == pytest.approx(base * factor, abs=1e-3)
    # The 2028 column applies from 2028 onwards (rates/eu/markup.yaml; policy-facts 1.8).
    assert one(year=2033, origin=origin, cn_code="72081000")["see_t_per_t"] == marked_up[2]


def test_rules_year_applies_one_years_rules_to_every_row() -> None:
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "rules_year": 2026}
    )
    out = one(year=2019, origin="TUR", cn_code="72071111", scenario=scenario)
    assert out["rules_year"] == 2026
    assert out["fee_eur"] == pytest.approx(9688.80)  # same as [WE]


def test_origin_without_own_values_uses_other_countries() -> None:
    # Fiji is not listed in [2621]: 'Other countries and territories' 7207 11 11 = 4.395 (2026).
    out = one(origin="FJI", cn_code="72071111")
    assert out["intensity_source"] == "default:other-countries"
    assert out["see_t_per_t"] == pytest.approx(4.395)
    assert out["certificates"] == pytest.approx(439.5 - 132.99)


def test_dash_falls_back_to_other_countries() -> None:
    # [2621] Albania 2814 10 00 (anhydrous ammonia) shows '-': Other countries 3.161 (2026,
    # fertiliser mark-up 1 %: 3.130 x 1.01). [2620] column B 1.522.
    out = one(origin="ALB", cn_code="28141000")
    assert out["sector"] == "fertilisers"
    assert out["intensity_source"] == "default:other-countries"
    assert out["see_t_per_t"] == pytest.approx(3.161)
    assert out["free_allocation_t"] == pytest.approx(152.2 * 0.975)


def test_fertiliser_split_code_3102_10_12_is_covered() -> None:
    # Annex I lists 3102 10 10; the 2026 CN and [2621] split it into 3102 10 12/15/19.
    # Algeria 3102 10 12: 0.475 (2026); [2620] column B 0.304.
    out = one(origin="DZA", cn_code="3102 10 12")
    assert out["sector"] == "fertilisers"
    assert out["see_t_per_t"] == pytest.approx(0.475)
    assert out["benchmark_t_per_t"] == pytest.approx(0.304)


def test_household_aluminium_7615_is_not_a_cbam_good() -> None:
    # [2621] lists 7615, but it is not in Annex I of [956].
    for code in ("76151010", "7615"):
        out = one(origin="TUN", cn_code=code)
        assert out["exempt"] is True
        assert out["exemption_reason"] == "not a CBAM good"
        assert out["fee_eur"] == 0.0 and out["sector"] is None


def test_goods_outside_annex_i_are_flagged_not_dropped() -> None:
    out = one(origin="JPN", cn_code="8703 23")
    assert (out["exempt"], out["exemption_reason"], out["fee_eur"]) == (
        True,
        "not a CBAM good",
        0.0,
    )


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("NOR", "Annex III origin (EU ETS or linked ETS applies)"),
        ("CHE", "Annex III origin (EU ETS or linked ETS applies)"),
        ("ISL", "Annex III origin (EU ETS or linked ETS applies)"),
        ("LIE", "Annex III origin (EU ETS or linked ETS applies)"),
        ("DEU", "EU origin (inside the customs union)"),
        # Union Customs Code Art. 4 (country_lists/eu_customs_territory_other.csv): Réunion
        # (French Customs Code Art. 1), the Aland Islands (Finnish Customs), Monaco (Art. 4(2)).
        ("REU", "EU customs territory (part of a member state or Monaco, not a third country)"),
        ("ALA", "EU customs territory (part of a member state or Monaco, not a third country)"),
        ("MCO", "EU customs territory (part of a member state or Monaco, not a third country)"),
    ],
)
def test_origins_outside_the_regime_are_exempt(origin: str, reason: str) -> None:
    # [956] Annex III; Norway has no own default values: Other countries 4.395 would apply.
    out = one(origin=origin, cn_code="72071111")
    assert out["exempt"] is True and out["exemption_reason"] == reason
    assert out["fee_eur"] == 0.0 and out["certificates"] == 0.0
    if origin == "NOR":
        assert out["fee_before_exemptions_eur"] == pytest.approx((439.5 - 132.99) * 80)


def test_grey_clinker_is_the_default_variant_and_says_so() -> None:
    # [2621] Albania grey clinker 0.957 (2026, route A); [2620] column B route A 0.666.
    out = one(origin="ALB", cn_code="2523 10 00")
    assert out["see_t_per_t"] == pytest.approx(0.957)
    assert out["benchmark_route"] == "A"
    assert out["benchmark_route_source"] == "assumed (default variant)"
    assert out["clinker_share_applied"] == 1.0
    assert out["certificates"] == pytest.approx(95.7 - 66.6 * 0.975)


def test_white_clinker_by_route_with_dash_fallback() -> None:
    # [2621] Albania white clinker shows '-': Other countries white clinker 1.507 (2026);
    # [2620] column B route B 0.859: the route the Other-countries white clinker row names.
    out = one(origin="ALB", cn_code="25231000", route="B")
    assert out["intensity_source"] == "default:other-countries"
    assert out["see_t_per_t"] == pytest.approx(1.507)
    assert (out["benchmark_route"], out["benchmark_route_source"]) == ("B", "default value")
    assert out["free_allocation_t"] == pytest.approx(85.9 * 0.975)


def test_cement_is_charged_per_tonne_of_clinker_contained() -> None:
    # [2547]: China grey Portland cement 2523 29 00 = 1.562 t CO2e per t clinker (2026, [2621]);
    # [2620] column B 0.666 per t clinker; default clinker share 0.95 (clinker_share.yaml).
    out = one(origin="CHN", cn_code="25232900")
    assert out["clinker_share_applied"] == pytest.approx(0.95)
    assert out["clinker_share_source"] == "scenario default"
    assert out["embedded_t"] == pytest.approx(100 * 0.95 * 1.562)
    assert out["free_allocation_t"] == pytest.approx(100 * 0.95 * 0.666 * 0.975)
    with_share = one(origin="CHN", cn_code="25232900", clinker_share=0.8)
    assert with_share["clinker_share_source"] == "row"
    assert with_share["embedded_t"] == pytest.approx(100 * 0.8 * 1.562)
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "clinker_share.25232900": 0.7}
    )
    overridden = one(origin="CHN", cn_code="25232900", scenario=scenario)
    assert overridden["embedded_t"] == pytest.approx(100 * 0.7 * 1.562)


def test_albania_white_portland_cement_reconstructed_row() -> None:
    # rates/eu/README.md data note 1: direct/indirect/total 1.230/0.140/1.370 -> 1.507 (2026).
    out = one(origin="ALB", cn_code="25232100")
    assert out["see_t_per_t"] == pytest.approx(1.507)


def test_angola_compounded_markup_kept_as_published() -> None:
    # rates/eu/README.md data note 3: Angola grey clinker 2027 value 1.525 as published.
    out = one(year=2027, origin="AGO", cn_code="25231000")
    assert out["see_t_per_t"] == pytest.approx(1.525)


def test_actual_values_cement_count_indirect_and_use_column_a() -> None:
    # [956] Art. 7: indirect emissions count for cement; [2620] column A 2523 29 00 = 0.000.
    out = one(origin="CHN", cn_code="25232900", see_direct=0.8, see_indirect=0.05)
    assert out["intensity_source"] == "actual"
    assert out["see_t_per_t"] == pytest.approx(0.85)
    assert out["benchmark_column"] == "A" and out["benchmark_t_per_t"] == 0.0
    assert out["embedded_t"] == pytest.approx(100 * 0.95 * 0.85)


def test_actual_values_steel_count_direct_only() -> None:
    # [956] Art. 7: only direct emissions for iron and steel; [2620] column A route C 0.188.
    out = one(origin="TUR", cn_code="72071111", route="C", see_direct=1.5, see_indirect=0.3)
    assert out["see_t_per_t"] == pytest.approx(1.5)
    assert out["benchmark_t_per_t"] == pytest.approx(0.188)
    assert out["certificates"] == pytest.approx(150 - 18.8 * 0.975)


def test_default_value_route_decides_the_benchmark_whatever_the_row_route() -> None:
    # [2621] TUR 7207 11 11 names route C in "underlying production route determining CBAM
    # BM": with the default value, [2620] column B route C 1.364, not E (0.066), as [WE].
    out = one(origin="TUR", cn_code="72071111", route="E")
    assert out["see_t_per_t"] == pytest.approx(2.541)
    assert (out["benchmark_route"], out["benchmark_route_source"]) == ("C", "default value")
    assert out["benchmark_t_per_t"] == pytest.approx(1.364)
    assert out["fee_eur"] == pytest.approx(9688.80)


@pytest.mark.parametrize("route", [None, "C", "E", "F", "J"])
def test_uzbekistan_sections_pay_the_same_whatever_the_row_route(route: str | None) -> None:
    # [2621] UZB 7216 = 3.852 (2027), route E; [2620] 7216 32 91 column B route E 0.066;
    # [DIR] 0.95: (385.2 - 6.6 x 0.95) x 80 = 30,314.40 with or without a row route.
    out = one(origin="UZB", cn_code="72163291", year=2027, route=route)
    assert (out["benchmark_route"], out["benchmark_route_source"]) == ("E", "default value")
    assert out["fee_eur"] == pytest.approx((385.2 - 6.6 * 0.95) * 80)


def test_row_route_decides_with_actual_values() -> None:
    # [2620] 7207 11 11 column A route E (scrap-EAF) 0.065: actual values use the row's route.
    out = one(origin="TUR", cn_code="72071111", route="E", see_direct=1.5)
    assert (out["benchmark_route"], out["benchmark_route_source"]) == ("E", "row")
    assert out["benchmark_t_per_t"] == pytest.approx(0.065)
    assert out["certificates"] == pytest.approx(150 - 6.5 * 0.975)


def test_row_route_decides_where_the_default_value_names_none() -> None:
    # [2621] CHN 7227 (bars and rods of other alloy steel) names no route; [2620] 7227 20 00
    # column B 2026-27 lists F 1.613, G 0.788, H 0.446, J 0.986. Without a row route the
    # sector's preference (C, then F) gives F; with route H the row's route decides.
    plain = one(origin="CHN", cn_code="72272000")
    assert (plain["benchmark_route"], plain["benchmark_route_source"]) == (
        "F",
        "assumed (sector preference)",
    )
    assert plain["benchmark_t_per_t"] == pytest.approx(1.613)
    routed = one(origin="CHN", cn_code="72272000", route="H")
    assert routed["benchmark_route"] == "H"
    assert routed["benchmark_route_source"] == "row (default value names no route)"
    assert routed["benchmark_t_per_t"] == pytest.approx(0.446)
    assert routed["see_t_per_t"] == plain["see_t_per_t"]


def test_low_alloy_route_resolves_to_its_carbon_steel_twin() -> None:
    # [2621] Algeria 7225 19 90 = 3.751 (2026) with route F; [2620] lists only C/D/E for it:
    # F (BF-BOF, low-alloy) -> C (BF-BOF) 1.488.
    out = one(origin="DZA", cn_code="72251990")
    assert out["see_t_per_t"] == pytest.approx(3.751)
    assert out["benchmark_route"] == "C"
    assert out["benchmark_route_source"] == "equivalent of default-value route"
    assert out["benchmark_t_per_t"] == pytest.approx(1.488)


def test_aluminium_route_from_default_and_from_row() -> None:
    # [2621] Mozambique 7601 = 3.518 (2026), route K; [2620] 7601 10 10 K 1.423, L 0.091.
    out = one(origin="MOZ", cn_code="76011010")
    assert out["see_t_per_t"] == pytest.approx(3.518)
    assert out["benchmark_t_per_t"] == pytest.approx(1.423)
    # With the default value its route K decides, whatever the row says; with actual values
    # the row's route L does (column A).
    secondary = one(origin="MOZ", cn_code="76011010", route="L")
    assert secondary["benchmark_t_per_t"] == pytest.approx(1.423)
    actual = one(origin="MOZ", cn_code="76011010", route="L", see_direct=0.5)
    assert (actual["benchmark_column"], actual["benchmark_route"]) == ("A", "L")


def test_electricity_with_actual_values_has_no_free_allocation() -> None:
    out = one(origin="SRB", cn_code="27160000", see_direct=0.4)
    assert out["sector"] == "electricity"
    assert out["free_allocation_t"] == 0.0 and out["certificates"] == pytest.approx(40.0)


def test_quarterly_price_2026() -> None:
    # [PRICE] Q1 2026 75.36; Q2-Q4 75.28 (marked assumptions); no quarter: mean of the four.
    rows = pl.DataFrame(
        {
            "year": [2026] * 3,
            "origin": ["TUR"] * 3,
            "cn_code": ["72071111"] * 3,
            "quantity_t": [100.0] * 3,
            "quarter": [1, 2, None],
        }
    )
    out = cbam.compute(rows, "eu-cbam")
    assert out["certificate_price_eur"].to_list() == pytest.approx(
        [75.36, 75.28, (75.36 + 3 * 75.28) / 4]
    )
    # Q2-Q4 are assumptions in rates/eu/certificate_price.yaml, and the labels say so.
    assert out["certificate_price_period"].cast(pl.String).to_list() == [
        "2026-Q1",
        "2026-Q2 (assumed)",
        "2026 mean of quarters (assumed)",
    ]
    assert out["fee_eur"][0] == pytest.approx(121.11 * 75.36)


def test_price_path_is_a_step_function_of_years() -> None:
    # A number replaces the whole path; the dated value then holds from 2030.
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 70, "certificate_price_eur.2030": 120}
    )
    assert scenario.certificate_price_eur == {2026: 70, 2030: 120}
    rows = pl.DataFrame(
        {
            "year": [2026, 2029, 2030, 2033],
            "origin": ["TUR"] * 4,
            "cn_code": ["72071111"] * 4,
            "quantity_t": [1.0] * 4,
        }
    )
    assert cbam.compute(rows, scenario)["certificate_price_eur"].to_list() == [70, 70, 120, 120]


def test_ave_is_fee_over_customs_value() -> None:
    out = one(origin="TUR", cn_code="72071111", value_eur=50_000.0)
    assert out["ave"] == pytest.approx(9688.80 / 50_000)
    assert one(origin="TUR", cn_code="72071111", value_eur=0.0)["ave"] is None


def test_aggregate_code_is_the_mean_over_annex_i_cn8_codes() -> None:
    # Documented method (cbam/_eu/lookup.py): simple mean, over the Annex I CN8 codes below the
    # prefix, of each code's resolved default value. Recomputed here from the CN8 results.
    goods = pl.read_csv("rates/eu/goods.csv", schema_overrides={"cn_code": pl.String})
    steel_7207 = goods.filter(pl.col("cn_code").str.starts_with("7207"))["cn_code"].to_list()
    cn8 = cbam.compute(
        pl.DataFrame({"year": 2026, "origin": "TUR", "cn_code": steel_7207, "quantity_t": 1.0}),
        PRICE_80,
    )
    out = one(origin="TUR", cn_code="7207")
    assert out["intensity_source"] == "default:aggregate"  # TUR lists 7207 at CN8 depth
    assert out["see_t_per_t"] == pytest.approx(cn8["see_t_per_t"].mean())
    assert out["benchmark_t_per_t"] == pytest.approx(cn8["benchmark_t_per_t"].mean())
    chapter = one(origin="TUR", cn_code="72")
    assert chapter["intensity_source"] == "default:aggregate"
    assert chapter["benchmark_route_source"] == "aggregate"


def test_prefix_equal_to_a_listed_heading_keeps_its_source() -> None:
    # [2621] Mozambique lists aluminium at CN4: 7601 = 3.518 (2026) for every CN8 below it.
    out = one(origin="MOZ", cn_code="7601")
    assert out["intensity_source"] == "default:country"
    assert out["see_t_per_t"] == pytest.approx(3.518)


def test_single_code_aggregate_keeps_its_source() -> None:
    # Hydrogen: 2804 holds one Annex I CN8 (2804 10 00). [2621] Algeria 11.902 (2026).
    out = one(origin="DZA", cn_code="2804")
    assert out["intensity_source"] == "default:country"
    assert out["see_t_per_t"] == pytest.approx(11.902)


def test_output_keeps_input_columns_rows_and_kind() -> None:
    rows = pl.DataFrame(
        {
            "note": ["a", "b", "c"],
            "year": [2026, 2027, 2026],
            "origin": ["TUR", "CHN", "NOR"],
            "cn_code": ["72071111", "7601", "8703"],
            "quantity_t": [1.0, 2.0, 3.0],
        }
    )
    out = cbam.compute(rows, PRICE_80)
    assert out.columns[:5] == rows.columns
    assert out.select(rows.columns).equals(rows)
    assert set(cbam.OUTPUT_COLUMNS) <= set(out.columns)
    lazy = cbam.compute(rows.lazy(), PRICE_80)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(out)


def test_summarise_reconciles_with_rows() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026] * 4,
            "origin": ["TUR", "TUR", "CHN", "NOR"],
            "cn_code": ["72071111", "25232900", "7601", "72"],
            "quantity_t": [100.0, 50.0, 20.0, 10.0],
            "value_eur": [1e5, None, 4e4, 1e4],
        }
    )
    out = cbam.compute(rows, PRICE_80)
    summary = cbam.summarise(out, by=["origin"])
    assert summary["fee_eur"].sum() == pytest.approx(out["fee_eur"].sum())
    tur = summary.filter(pl.col("origin") == "TUR").row(0, named=True)
    assert tur["rows"] == 2 and tur["fee_eur"] == pytest.approx(out["fee_eur"][:2].sum())
    assert tur["ave"] == pytest.approx(out["fee_eur"][0] / 1e5)  # only rows with a value
    nor = summary.filter(pl.col("origin") == "NOR").row(0, named=True)
    assert nor["exempt_rows"] == 1 and nor["fee_eur"] == 0.0


def test_bundled_trade_keeps_every_row_in_order() -> None:
    # Regression: prefixes above two variant headings (25, 2523) once matched two lookup rows.
    from cbam._resources import bundled_imports
    from cbam.cli import read_imports

    imports = read_imports(bundled_imports())
    scenario = cbam.load_scenario("eu-cbam-rules-2026")
    out = cbam.compute(imports, scenario)
    assert out.height == imports.height == 4414
    assert out.select(imports.columns).equals(imports)
    assert out["fee_eur"].is_null().sum() == 0 and out["fee_eur"].is_nan().sum() == 0


def test_certificates_never_negative_when_adjustment_exceeds_emissions() -> None:
    # Certificates = max(0, ...) per row (policy-facts.md section 9: floor per good is the
    # reading adopted). Actual 0.1 t/t: embedded 10 t < adjustment 18.33 t ([2620] A route C).
    out = one(origin="TUR", cn_code="72071111", route="C", see_direct=0.1)
    assert out["embedded_t"] == pytest.approx(10.0)
    assert out["free_allocation_t"] == pytest.approx(18.8 * 0.975)
    assert out["certificates"] == 0.0 and out["fee_eur"] == 0.0


def test_cross_sectoral_correction_factor_scales_the_adjustment() -> None:
    # rates/eu/cross_sectoral_correction_factor.yaml: 1 until published; a scenario may set it.
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "cross_sectoral_correction_factor": 0.9}
    )
    out = one(origin="TUR", cn_code="72071111", scenario=scenario)
    assert out["cross_sectoral_correction_factor"] == 0.9
    assert out["free_allocation_t"] == pytest.approx(132.99 * 0.9)


def test_actual_values_add_the_precursors_benchmark_from_the_row() -> None:
    # [2620]: with actual values the good's own column-A benchmark (7207 11 11 route C: 0.188)
    # applies, and each precursor's benchmark is added per tonne of good: here 1.2 t/t.
    out = one(
        origin="TUR", cn_code="72071111", route="C", see_direct=2.0, precursor_benchmark_t_per_t=1.2
    )
    assert out["benchmark_t_per_t"] == pytest.approx(0.188 + 1.2)
    assert out["free_allocation_t"] == pytest.approx(100 * 1.388 * 0.975)


def test_scenario_can_read_actual_values_as_cumulative_with_column_b() -> None:
    # Approximation for actual values without precursor data: the cumulative column-B
    # benchmark (1.364) against a cumulative actual intensity.
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "actual_values_benchmark": "B"}
    )
    out = one(origin="TUR", cn_code="72071111", route="C", see_direct=2.0, scenario=scenario)
    assert out["benchmark_column"] == "B" and out["benchmark_t_per_t"] == pytest.approx(1.364)
    assert out["certificates"] == pytest.approx(200 - 132.99)


def test_output_names_the_default_row_and_benchmark_period() -> None:
    out = one(origin="FJI", cn_code="72071111", year=2028)
    assert out["default_value_heading"] == "OTHER 7207 11 11"
    assert out["benchmark_period"] == "2028-2030"
    assert one(origin="MOZ", cn_code="76011010")["default_value_heading"] == "MOZ 7601"
    assert one(origin="TUR", cn_code="72")["default_value_heading"].startswith("mean of ")
    late = one(origin="TUR", cn_code="72071111", year=2031)
    assert late["benchmark_period"] == "2028-2030 (assumed)"


def test_scaled_cement_aggregate_is_flagged_as_aggregate() -> None:
    # 2523 90 is one CN8 (2523 90 00), but its value per tonne of good is scaled by the
    # default clinker share 0.65: not the published figure, so it says default:aggregate.
    out = one(origin="CHN", cn_code="252390")
    assert out["intensity_source"] == "default:aggregate"
    assert out["clinker_share_source"] == "aggregate (heading defaults)"
    assert out["benchmark_route_source"] == "aggregate"


def test_overflowing_quantity_is_an_error_not_an_infinite_fee() -> None:
    rows = pl.DataFrame(
        {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1e307]}
    )
    with pytest.raises(
        cbam.CbamInputError,
        match="too large: the fee or its emissions are not a finite number",
    ):
        cbam.compute(rows, PRICE_80)


def test_actual_values_without_a_route_name_the_routes_to_choose_from() -> None:
    # [2620] 7207 11 11 column A: C 0.188, D 0.065, E 0.065: with actual values no benchmark
    # is defined without the row's route.
    rows = pl.DataFrame(
        [
            {"year": 2026, "origin": "TUR", "cn_code": "72071111", "quantity_t": 10.0},
            {
                "year": 2026,
                "origin": "TUR",
                "cn_code": "7207 11 11",
                "quantity_t": 10.0,
                "see_direct": 1.5,
            },
        ]
    )
    with pytest.raises(cbam.CbamInputError, match=r"column 'route'.*row 2 .*routes: C, D, E"):
        cbam.compute(rows, PRICE_80)
    flagged = cbam.compute(rows, PRICE_80, on_error="flag")
    assert flagged["input_error"][0] is None and flagged["fee_eur"][0] is not None
    assert flagged["input_error"][1].startswith("route: missing: with actual values")
    assert flagged["fee_eur"][1] is None


def test_actual_values_without_a_route_where_the_benchmark_is_route_free() -> None:
    # [2620] 7216 32 91 column A has one route-free value 0.038: no route needed.
    out = one(origin="UZB", cn_code="72163291", see_direct=1.0)
    assert (out["benchmark_t_per_t"], out["benchmark_route_source"]) == (0.038, "route-free")


def test_scenario_option_assumes_the_default_value_route_for_actual_values() -> None:
    # actual_values_route_from_default: TUR 7207 11 11 names C ([2621]), so column A route C
    # 0.188 ([2620]), labelled as an assumption.
    scenario = cbam.load_scenario(
        "eu-cbam",
        overrides={"certificate_price_eur": 80, "actual_values_route_from_default": True},
    )
    out = one(origin="TUR", cn_code="72071111", see_direct=1.5, scenario=scenario)
    assert (out["benchmark_route"], out["benchmark_t_per_t"]) == ("C", 0.188)
    assert out["benchmark_route_source"] == "assumed (default-value route for actual values)"
    assert out["certificates"] == pytest.approx(150 - 18.8 * 0.975)
    with pytest.raises(ValueError, match="actual_values_route_from_default apply to the EU CBAM's"):
        cbam.load_scenario("uk-cbam", overrides={"actual_values_route_from_default": True})


def test_route_outside_the_sector_is_an_error_with_default_values_too() -> None:
    # rates/eu/sectors.yaml: iron and steel routes C-J; K (primary aluminium) is not one.
    rows = pl.DataFrame(
        [{"year": 2026, "origin": "TUR", "cn_code": "72071111", "quantity_t": 1.0, "route": "K"}]
    )
    with pytest.raises(cbam.CbamInputError, match="not a production route of this good's sector"):
        cbam.compute(rows, PRICE_80)
    flagged = cbam.compute(rows, PRICE_80, on_error="flag")
    assert flagged["fee_eur"][0] is None
    assert "not a production route" in flagged["input_error"][0]


def test_agglomerated_iron_ore_counts_indirect_emissions_with_actual_values() -> None:
    # [956] Annex II does not list 2601 12 00 (rates/eu/sectors.yaml, indirect_also): direct
    # 0.07 + indirect 0.02 = 0.09 t/t ([2621] AUS publishes 0.070 + 0.020 likewise); [2620]
    # column A 0.086: (9 - 8.6 x 0.975) x 80 = 49.20.
    out = one(origin="AUS", cn_code="26011200", see_direct=0.07, see_indirect=0.02)
    assert out["see_t_per_t"] == pytest.approx(0.09)
    assert out["fee_eur"] == pytest.approx((9.0 - 8.6 * 0.975) * 80)
    rows = pl.DataFrame(
        [
            {
                "year": 2026,
                "origin": "AUS",
                "cn_code": "26011200",
                "quantity_t": 100.0,
                "see_direct": 0.07,
            }
        ]
    )
    with pytest.raises(cbam.CbamInputError, match=r"see_indirect.*2601 12 00"):
        cbam.compute(rows, PRICE_80)
    # Steel proper still counts direct emissions only (Annex II lists chapter 72).
    steel = one(origin="TUR", cn_code="72071111", route="C", see_direct=1.5, see_indirect=0.3)
    assert steel["see_t_per_t"] == pytest.approx(1.5)


def test_aggregate_code_with_a_row_route_uses_it_only_below_unnamed_defaults() -> None:
    # TUR 7216 names route C ([2621]), so a row route E leaves 7216 unchanged; chapter 72 of
    # Türkiye has headings that name none (7227, 7229): there the row's route enters the mean.
    assert one(origin="TUR", cn_code="7216", route="E")["fee_eur"] == pytest.approx(
        one(origin="TUR", cn_code="7216")["fee_eur"]
    )
    plain, routed = one(origin="TUR", cn_code="72"), one(origin="TUR", cn_code="72", route="E")
    assert routed["benchmark_route_source"] == plain["benchmark_route_source"] == "aggregate"
    assert routed["benchmark_t_per_t"] < plain["benchmark_t_per_t"]  # scrap-EAF below BF-BOF
