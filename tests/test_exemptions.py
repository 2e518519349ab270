"""Golden cases for country-group exemptions and the de minimis rule, with their sources.

Sources: country_lists/un_ldc.csv (UN DESA LDC list; graduations: Bhutan 13 Dec 2023,
Lao PDR 24 Nov 2026), country_lists/un_sids_members.csv (UN-OHRLLS SIDS), Reg. (EU) 2023/956
Annex III (Norway, Switzerland), Reg. (EU) 2025/2083 Art. 2(3a) (de minimis 50 t per importer per
year, electricity and hydrogen never exempt). Fee figures use [2621] / [2620] values as in
test_eu_golden.py, at EUR 80.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import cbam

BASE = {"certificate_price_eur": 80}


def scenario(name: str, **overrides: Any) -> cbam.Scenario:
    return cbam.load_scenario(name, overrides={**BASE, **overrides})


def rows(*items: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{"year": 2026, "quantity_t": 100.0, **item} for item in items])


def one(s: cbam.Scenario, **row: Any) -> dict[str, Any]:
    return cbam.compute(rows(row), s).row(0, named=True)


MOZ_ALU = {"origin": "MOZ", "cn_code": "76011010"}
# [2621] MOZ 7601 = 3.518 (2026); [2620] 7601 10 10 column B route K = 1.423
MOZ_FEE = (351.8 - 142.3 * 0.975) * 80


def test_mozambique_aluminium_charged_under_eu_law_exempt_under_ldc_option() -> None:
    charged = one(scenario("eu-cbam"), **MOZ_ALU)
    assert charged["fee_eur"] == pytest.approx(MOZ_FEE) and charged["exempt"] is False
    exempt = one(scenario("eu-cbam-ldc-exempt"), **MOZ_ALU)
    assert exempt["exempt"] is True and exempt["fee_eur"] == 0.0
    assert exempt["exemption_reason"] == "UN least developed country"
    assert exempt["fee_before_exemptions_eur"] == pytest.approx(MOZ_FEE)


@pytest.mark.parametrize(
    ("year", "grace", "exempt"),
    [
        (2026, False, False),  # graduated 13 Dec 2023: charged in 2026
        (2026, True, True),  # five-year grace runs to 13 Dec 2028
        (2028, True, True),  # 1 January 2028 is inside the grace period
        (2029, True, False),  # 1 January 2029 is after it
    ],
)
def test_bhutan_graduated_2023_and_the_grace_period(year: int, grace: bool, exempt: bool) -> None:
    name = "eu-cbam-ldc-exempt-grace-5y" if grace else "eu-cbam-ldc-exempt"
    out = one(scenario(name), year=year, origin="BTN", cn_code="72024990")
    assert out["exempt"] is exempt
    if exempt:
        assert "within 5-year grace period" in out["exemption_reason"]


def test_sids_exporter_exempt_only_under_the_sids_option() -> None:
    # Trinidad and Tobago: a UN-member SIDS, not an LDC; a large ammonia exporter.
    ammonia = {"origin": "TTO", "cn_code": "28141000"}
    assert one(scenario("eu-cbam-ldc-exempt"), **ammonia)["exempt"] is False
    out = one(scenario("eu-cbam-ldc-sids-exempt"), **ammonia)
    assert out["exempt"] is True
    assert out["exemption_reason"] == "small island developing state"


@pytest.mark.parametrize(
    ("status_on", "exempt_2026"),
    [
        ("start_of_year", True),  # an LDC on 1 January 2026
        ("end_of_year", False),  # graduated on 24 November 2026
        ("any_day_of_year", True),
        ("2026-12-01", False),  # a fixed reference date after graduation
    ],
)
def test_graduation_inside_the_year_follows_the_scenario(status_on: str, exempt_2026: bool) -> None:
    s = scenario("eu-cbam", exemptions=[{"group": "ldc", "status_on": status_on}])
    out = one(s, year=2026, origin="LAO", cn_code="72071111")
    assert out["exempt"] is exempt_2026
    # No longer an LDC on any day of 2027, however membership is judged.
    assert one(s, year=2027, origin="LAO", cn_code="72071111")["exempt"] is False


@pytest.mark.parametrize(
    "name",
    [
        "eu-cbam",
        "eu-cbam-rules-2026",
        "eu-cbam-rules-2034",
        "eu-cbam-ldc-exempt",
        "eu-cbam-ldc-sids-exempt",
        "eu-cbam-ldc-exempt-grace-5y",
    ],
)
@pytest.mark.parametrize("origin", ["NOR", "CHE"])
def test_norway_and_switzerland_exempt_under_every_bundled_scenario(name: str, origin: str) -> None:
    out = one(cbam.load_scenario(name), origin=origin, cn_code="72071111")
    assert out["exempt"] is True
    assert out["exemption_reason"] == "Annex III origin (EU ETS or linked ETS applies)"


def test_phase_in_charges_a_rising_share() -> None:
    s = scenario(
        "eu-cbam",
        exemptions=[{"group": "ldc", "fee_share_charged": {2026: 0.0, 2028: 0.5, 2030: 1.0}}],
    )
    out = cbam.compute(
        rows({**MOZ_ALU, "year": 2026}, {**MOZ_ALU, "year": 2028}, {**MOZ_ALU, "year": 2030}), s
    )
    assert out["fee_share_charged"].to_list() == [0.0, 0.5, 1.0]
    assert out["exempt"].to_list() == [True, False, False]
    assert out["fee_eur"][1] == pytest.approx(0.5 * out["fee_before_exemptions_eur"][1])
    assert out["exemption_reason"][1] == "UN least developed country, 50% of fee charged (phase-in)"
    assert out["exemption_reason"][2] is None  # the whole fee: nothing relieved


def test_import_share_threshold() -> None:
    # Exempt only while the origin's share of the code's imports stays below 10 %.
    s = scenario("eu-cbam", exemptions=[{"group": "ldc", "max_import_share": 0.1}])
    small = rows({**MOZ_ALU, "quantity_t": 5.0}, {"origin": "CHN", "cn_code": "76011010"})
    large = rows({**MOZ_ALU, "quantity_t": 50.0}, {"origin": "CHN", "cn_code": "76011010"})
    out_small, out_large = cbam.compute(small, s), cbam.compute(large, s)
    assert out_small["origin_import_share"][0] == pytest.approx(5 / 105)
    assert out_small["exempt"][0] is True
    assert out_large["origin_import_share"][0] == pytest.approx(50 / 150)
    assert out_large["exempt"][0] is False and out_large["exemption_reason"][0] is None


def test_import_share_counts_only_imports_into_the_territory() -> None:
    # Mozambique ships 5 t to Germany, China 100 t to the USA: of the EU's imports of the code,
    # Mozambique's share is 5/5 (not 5/105), so its relief capped at 10 % does not apply.
    s = scenario("eu-cbam", exemptions=[{"group": "ldc", "max_import_share": 0.1}])
    panel = rows(
        {**MOZ_ALU, "quantity_t": 5.0, "destination": "DEU"},
        {"origin": "CHN", "cn_code": "76011010", "destination": "USA"},
    )
    out = cbam.compute(panel, s)
    assert out["origin_import_share"][0] == pytest.approx(1.0)
    assert out["exempt"][0] is False
    assert out["exemption_reason"][1] == "destination outside the EU customs territory"


def test_de_minimis_per_importer_and_year() -> None:
    # Art. 2(3a): 50 t per importer per calendar year across Annex I goods except electricity and
    # hydrogen; crossing the threshold makes the whole year liable.
    panel = rows(
        {"importer": "A", "origin": "TUR", "cn_code": "72071111", "quantity_t": 30.0},
        {"importer": "A", "origin": "CHN", "cn_code": "25232900", "quantity_t": 20.0},
        {"importer": "A", "origin": "DZA", "cn_code": "28041000", "quantity_t": 5.0},
        {"importer": "B", "origin": "TUR", "cn_code": "72071111", "quantity_t": 30.0},
        {"importer": "B", "origin": "CHN", "cn_code": "25232900", "quantity_t": 21.0},
        {"importer": None, "origin": "TUR", "cn_code": "72071111", "quantity_t": 1.0},
    )
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert out["importer_annual_t"].to_list()[:5] == [50.0, 50.0, 50.0, 51.0, 51.0]
    assert out["de_minimis"].cast(pl.String).to_list() == [
        "exempt (importer at or below threshold)",
        "exempt (importer at or below threshold)",
        "not covered (electricity, hydrogen)",
        "liable (importer above threshold)",
        "liable (importer above threshold)",
        "not applied (no importer)",
    ]
    assert out["exempt"].to_list() == [True, True, False, False, False, False]
    assert out["exemption_reason"][0].startswith("de minimis")
    off = cbam.compute(panel, scenario("eu-cbam", de_minimis=False))
    assert off["exempt"].to_list() == [False] * 6


def test_a_blank_importer_is_no_importer_and_padding_names_the_same_one() -> None:
    # Blank cells ('' or spaces, as a spreadsheet or fillna('') leaves them) are no declarant:
    # they are not pooled into one importer '' whose 20 t would be de minimis exempt. 'B ' and
    # 'B' are one declarant: 30 t + 21 t = 51 t, above the 50 t of Art. 2(3a), liable.
    panel = rows(
        {"importer": "", "origin": "TUR", "cn_code": "72071111", "quantity_t": 10.0},
        {"importer": "  ", "origin": "TUR", "cn_code": "72071111", "quantity_t": 10.0},
        {"importer": "B ", "origin": "TUR", "cn_code": "72071111", "quantity_t": 30.0},
        {"importer": "B", "origin": "CHN", "cn_code": "25232900", "quantity_t": 21.0},
    )
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert out["de_minimis"].cast(pl.String).to_list() == [
        "not applied (no importer)",
        "not applied (no importer)",
        "liable (importer above threshold)",
        "liable (importer above threshold)",
    ]
    assert out["importer_annual_t"].to_list() == [None, None, 51.0, 51.0]
    assert out["exempt"].to_list() == [False] * 4
    assert out["importer"].to_list() == ["", "  ", "B ", "B"]  # the input as given


def test_user_group_file(tmp_path: Path) -> None:
    group = tmp_path / "my-partners.yaml"
    group.write_text("members:\n  - TUR\n  - {iso3: CHN, member_to: 2027-01-01}\n", "utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        "extends: eu-cbam\nname: mine\ncertificate_price_eur: 80\n"
        "exemptions:\n  - {group: my-partners.yaml, label: partner}\n",
        "utf-8",
    )
    s = cbam.load_scenario(path)
    out = cbam.compute(
        rows(
            {"origin": "TUR", "cn_code": "72071111", "year": 2027},
            {"origin": "CHN", "cn_code": "72071111", "year": 2026},
            {"origin": "CHN", "cn_code": "72071111", "year": 2027},
        ),
        s,
    )
    assert out["exempt"].to_list() == [True, True, False]
    assert out["exemption_reason"][0] == "partner"


def test_unknown_code_in_a_user_group_is_an_error(tmp_path: Path) -> None:
    group = tmp_path / "bad.csv"
    group.write_text("iso3,member_to\nTUR,\nXYZ,\n,2026-01-01\n", "utf-8")
    told = r"bad\.csv: unknown or missing ISO3 codes: line 3: iso3 'XYZ', line 4: iso3 empty"
    with pytest.raises(cbam.ScenarioError, match=told):
        scenario("eu-cbam", exemptions=[{"group": str(group)}])  # told at load


def test_cli_prints_revenue_forgone_by_group(capsys: pytest.CaptureFixture[str]) -> None:
    from cbam.cli import main

    args = [
        "run",
        "--scenario",
        "eu-cbam-ldc-sids-exempt",
        "--rules-year",
        "2026",
        "--year",
        "2025",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Revenue forgone by exemption rule" in out
    assert "UN least developed country" in out and "small island developing state" in out


def test_exempt_origin_without_a_default_value_still_owes_zero_not_null() -> None:
    # Electricity from Norway: no default value, but Annex III: fee 0, never null.
    out = one(scenario("eu-cbam"), origin="NOR", cn_code="27160000")
    assert out["exempt"] is True and out["fee_eur"] == 0.0 and out["certificates"] == 0.0


def test_de_minimis_counts_only_valid_in_scope_tonnage() -> None:
    # Norway's 45 t are outside the regime (Annex III), so importer A stays at 10 t: exempt.
    panel = rows(
        {"importer": "A", "origin": "NOR", "cn_code": "72071111", "quantity_t": 45.0},
        {"importer": "A", "origin": "TUR", "cn_code": "72071111", "quantity_t": 10.0},
    )
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert out["importer_annual_t"][1] == 10.0
    assert out["exempt"][1] is True
    # Norway's steel is outside the regime, not electricity or hydrogen: no threshold status
    # (it was labelled 'not covered (electricity, hydrogen)').
    assert out["de_minimis"].cast(pl.String).to_list() == [
        None,
        "exempt (importer at or below threshold)",
    ]
    assert out["exemption_reason"][0] == "Annex III origin (EU ETS or linked ETS applies)"
    # A flagged row (negative mass) does not lower a valid importer's total.
    flagged = rows(
        {"importer": "B", "origin": "TUR", "cn_code": "72071111", "quantity_t": 60.0},
        {"importer": "B", "origin": "TUR", "cn_code": "72071111", "quantity_t": -20.0},
    )
    out = cbam.compute(flagged, scenario("eu-cbam"), on_error="flag")
    assert out["de_minimis"][0] == "liable (importer above threshold)"
    assert out["fee_eur"][0] > 0 and out["input_error"][1] == "quantity_t: negative"


def test_group_yaml_members_must_be_a_list(tmp_path: Path) -> None:
    group = tmp_path / "g.yaml"
    group.write_text("members: TUR\n", "utf-8")
    with pytest.raises(cbam.ScenarioError, match="'members:' must be a list"):
        scenario("eu-cbam", exemptions=[{"group": str(group)}])  # told at load


def test_membership_judged_in_the_import_year_or_the_rules_year() -> None:
    # Bhutan's 2023 exports under the 2026 rules: an LDC on 1 January 2023 (graduated
    # 13 December 2023), not on 1 January 2026.
    row = {"year": 2023, "origin": "BTN", "cn_code": "72071111"}
    by_import = scenario("eu-cbam-ldc-exempt", rules_year=2026)
    assert one(by_import, **row)["exempt"] is True
    by_rules = scenario("eu-cbam-ldc-exempt", rules_year=2026, exemption_status_year="rules")
    assert one(by_rules, **row)["exempt"] is False


# Thresholds decided exactly (rates/eu/exact_sums.yaml): sums in whole grams, compared exactly.
SHIPMENTS = [1.218, 6.326, 8.124, 2.578, 31.754]  # 50.000 t, whose float sum depends on order


@pytest.mark.parametrize(
    "order",
    [(0, 1, 2, 3, 4), (0, 1, 2, 4, 3), (4, 3, 2, 1, 0), (0, 1, 3, 4, 2), (2, 0, 4, 1, 3)],
)
def test_de_minimis_at_exactly_50_t_is_exempt_in_every_order(order: tuple[int, ...]) -> None:
    # Art. 2(3a) of Reg. 2023/956 (Reg. 2025/2083): exempt where the annual mass "does not
    # exceed" 50 t. 1.218 + 6.326 + 8.124 + 2.578 + 31.754 = 50.000 t exactly; summed as
    # floats, (0, 1, 3, 4, 2) gives 50.00000000000001 and made the importer liable
    # (EUR 4,559.79 at the 2026 price).
    panel = rows(
        *(
            {"importer": "A", "origin": "TUR", "cn_code": "72071111", "quantity_t": SHIPMENTS[i]}
            for i in order
        )
    )
    assert sum(panel["quantity_t"].to_list()) == pytest.approx(50.0)
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert out["importer_annual_t"].to_list() == [50.0] * 5
    assert set(out["de_minimis"].cast(pl.String)) == {"exempt (importer at or below threshold)"}
    assert out["fee_eur"].sum() == 0.0


def test_de_minimis_one_gram_above_50_t_is_liable() -> None:
    # 50.000001 t exceeds 50 t: the whole year is liable (Art. 2(3a)), TUR 7207 11 11 at EUR 80:
    # (2.541 - 1.364 x 0.975) x 50.000001 x 80 per [WE] in test_eu_golden.py.
    panel = rows(
        *(
            {"importer": "A", "origin": "TUR", "cn_code": "72071111", "quantity_t": q}
            for q in [*SHIPMENTS[:4], 31.754001]
        )
    )
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert set(out["de_minimis"].cast(pl.String)) == {"liable (importer above threshold)"}
    assert out["fee_eur"].sum() == pytest.approx((2.541 - 1.364 * 0.975) * 50.000001 * 80)


@pytest.mark.parametrize("reverse", [False, True])
def test_import_share_exactly_at_the_threshold_is_not_below_it(reverse: bool) -> None:
    # max_import_share 0.1: exempt only while the share is below 10 %. Mozambique ships
    # 0.1 t x 30 = 3 t of 30 t in all (CHN 27 t): a share of exactly 0.1, not below it, in any
    # order (as floats, 30 x 0.1 summed is 3.0000000000000013 t); 1 g less is below it.
    s = scenario("eu-cbam", exemptions=[{"group": "ldc", "max_import_share": 0.1}])
    moz = [{**MOZ_ALU, "quantity_t": 0.1} for _ in range(30)]
    chn = [{"origin": "CHN", "cn_code": "76011010", "quantity_t": 27.0}]
    panel = rows(*moz, *chn)
    panel = panel.reverse() if reverse else panel
    out = cbam.compute(panel, s).filter(pl.col("origin") == "MOZ")
    assert out["origin_import_share"].to_list() == pytest.approx([0.1] * 30, rel=1e-15)
    assert not out["exempt"].any()
    less = rows(*moz[:-1], {**MOZ_ALU, "quantity_t": 0.099999}, *chn)
    assert cbam.compute(less, s).filter(pl.col("origin") == "MOZ")["exempt"].all()


def test_de_minimis_never_covers_electricity_or_hydrogen() -> None:
    # Art. 2(3a) of Reg. 2023/956 (inserted by Reg. 2025/2083; policy-facts.md section 1.3):
    # electricity and hydrogen are not covered by the exemption. Importer A's 40 t of steel
    # stay at or below 50 t and are exempt; its electricity (actual 0.4 t/t, no free
    # allocation) and 20 t of hydrogen neither count towards the 50 t nor are exempt:
    # [2621] DZA 2804 10 00 = 11.902 (2026), [2620] column B 5.089.
    panel = rows(
        {"importer": "A", "origin": "TUR", "cn_code": "72071111", "quantity_t": 40.0},
        {
            "importer": "A",
            "origin": "SRB",
            "cn_code": "27160000",
            "quantity_t": 1000.0,
            "see_direct": 0.4,
        },
        {"importer": "A", "origin": "DZA", "cn_code": "28041000", "quantity_t": 20.0},
    )
    out = cbam.compute(panel, scenario("eu-cbam"))
    assert out["importer_annual_t"].to_list() == [40.0, 40.0, 40.0]
    assert out["de_minimis"].cast(pl.String).to_list() == [
        "exempt (importer at or below threshold)",
        "not covered (electricity, hydrogen)",
        "not covered (electricity, hydrogen)",
    ]
    assert out["exempt"].to_list() == [True, False, False]
    assert out["fee_eur"].to_list() == pytest.approx(
        [0.0, 400.0 * 80, (20 * 11.902 - 20 * 5.089 * 0.975) * 80]
    )


@pytest.mark.parametrize("importer", ["A", None])  # with an importer column, and without
def test_rows_outside_the_regime_or_flagged_have_no_threshold_status(importer: str | None) -> None:
    # Norway's electricity is outside the regime (Annex III), as is Serbia's shipped to the
    # USA (a destination outside the EU customs territory) and a flagged row: none of them has
    # a threshold status, not even 'not covered (electricity, hydrogen)' (which they carried),
    # nor 'not applied (no importer)' without an importer column (which they carried too).
    # Serbia's electricity into Germany is the threshold's own exclusion and says so.
    electricity = {"cn_code": "27160000", "quantity_t": 100.0, "see_direct": 0.4}
    panel = rows(
        {**electricity, "origin": "NOR", "destination": "DEU"},
        {**electricity, "origin": "SRB", "destination": "USA"},
        {**electricity, "origin": "SRB", "destination": "DEU", "quantity_t": -1.0},
        {**electricity, "origin": "SRB", "destination": "DEU"},
        {"origin": "TUR", "destination": "DEU", "cn_code": "72071111", "quantity_t": 10.0},
    )
    if importer is not None:
        panel = panel.with_columns(importer=pl.lit(importer))
    out = cbam.compute(panel, scenario("eu-cbam"), on_error="flag")
    assert out["input_error"].is_not_null().to_list() == [False, False, True, False, False]
    assert out["de_minimis"].cast(pl.String).to_list() == [
        None,
        None,
        None,
        "not covered (electricity, hydrogen)",
        "exempt (importer at or below threshold)" if importer else "not applied (no importer)",
    ]


@pytest.mark.parametrize(
    "fault",
    [
        {"origin": "XXX"},  # unknown origin
        {"quarter": 5},
        {"route": "Z"},  # unknown route marker
        {"quantity_t": float("nan")},
        {"cn_code": "72071"},  # malformed (five digits)
    ],
)
def test_a_flagged_row_counts_towards_no_threshold(fault: dict[str, object]) -> None:
    # Lenient mode flags the bad row alone: its 30 t are in no summary, and in no importer's
    # annual total either. Importer A's valid 30 t of steel stay at or below the 50 t of
    # Art. 2(3a) of Reg. 2023/956 (exempt); an unknown origin, a quarter of 5 or an unknown
    # route counted 60 t and charged the valid row.
    ok = {"year": 2026, "origin": "TUR", "cn_code": "72071111", "quantity_t": 30.0}
    ok |= {"importer": "A", "quarter": 1, "route": None}
    panel = pl.DataFrame([ok, {**ok, **fault}], schema_overrides={"route": pl.String})
    out = cbam.compute(panel, scenario("eu-cbam"), on_error="flag")
    assert out["input_error"].is_null().to_list() == [True, False]
    assert out.select("de_minimis", "importer_annual_t", "fee_eur").row(0) == (
        "exempt (importer at or below threshold)",
        30.0,
        0.0,
    )


def test_a_flagged_row_counts_in_no_import_share(tmp_path: Path) -> None:
    # LDC relief up to an import share of 0.5: Mozambique's 40 t of 7601 10 10 against China's
    # 30 t are 0.571 of the code's imports, so Mozambique pays. A flagged Chinese row (a
    # quarter of 5) is in no market: it made the share 0.4 and exempted Mozambique.
    s = scenario("eu-cbam", exemptions=[{"group": "ldc", "max_import_share": 0.5}])
    alu = {"year": 2026, "cn_code": "76011010", "quarter": 1}
    panel = pl.DataFrame(
        [
            {**alu, "origin": "MOZ", "quantity_t": 40.0},
            {**alu, "origin": "CHN", "quantity_t": 30.0},
            {**alu, "origin": "CHN", "quantity_t": 30.0, "quarter": 5},
        ]
    )
    out = cbam.compute(panel, s, on_error="flag")
    assert out["origin_import_share"][0] == pytest.approx(40 / 70)
    assert out["exempt"][0] is False and out["fee_eur"][0] > 0


DATES = {"member_from": pl.Date, "member_to": pl.Date}


def codes(text: str) -> set[str]:
    return set(text.split())


def _members(file: str, day: str) -> set[str]:
    group = pl.read_csv(f"country_lists/{file}.csv", schema_overrides=DATES)
    d = dt.date.fromisoformat(day)
    alive = pl.col("member_to").is_null() | (pl.col("member_to") > d)
    born = pl.col("member_from").is_null() | (pl.col("member_from") <= d)
    return set(group.filter(alive & born)["iso3"].to_list())


# policy-facts.md section 5.1: the 44 LDCs after Sao Tome and Principe's graduation (UN DESA,
# "There are now 44 countries remaining"), 32 in Africa, 8 in Asia, 3 Pacific, 1 Caribbean.
LDC_44 = codes(
    "AGO BEN BFA BDI CAF TCD COM COD DJI ERI ETH GMB GIN GNB LSO LBR MDG MWI MLI MRT MOZ NER RWA "
    "SEN SLE SOM SSD SDN TGO UGA TZA ZMB AFG BGD KHM LAO MMR NPL TLS YEM KIR SLB TUV HTI"
)


def test_ldc_list_holds_the_44_members_of_2026_and_the_dated_graduations() -> None:
    assert len(LDC_44) == 44 and _members("un_ldc", "2026-01-01") == LDC_44
    ldc = pl.read_csv("country_lists/un_ldc.csv", schema_overrides=DATES)
    ends = {k: str(v) for k, v in ldc.select("iso3", "member_to").drop_nulls().iter_rows()}
    # Graduated: Bhutan 13 Dec 2023 (Xinhua), Sao Tome and Principe 13 Dec 2024 (UN DESA),
    # Vanuatu 4 Dec 2020 (UN press GA/12313). Scheduled: Bangladesh, Lao PDR, Nepal
    # 24 Nov 2026 (GA res. 76/8); Solomon Islands 2027 (3-year extension of 25 Aug 2023);
    # Cambodia, Senegal 19 Dec 2029 (GA 19 Dec 2024).
    assert ends["BTN"] == "2023-12-13" and ends["STP"] == "2024-12-13"
    assert ends["VUT"] == "2020-12-04"
    assert {ends[c] for c in ("BGD", "LAO", "NPL")} == {"2026-11-24"}
    assert ends["SLB"].startswith("2027-")
    assert ends["KHM"] == ends["SEN"] == "2029-12-19"
    assert _members("un_ldc", "2024-01-01") == LDC_44 | {"STP"}
    assert _members("un_ldc", "2023-01-01") == LDC_44 | {"STP", "BTN"}
    assert _members("un_ldc", "2027-01-01") == LDC_44 - {"BGD", "LAO", "NPL"}
    assert _members("un_ldc", "2028-01-01") == LDC_44 - {"BGD", "LAO", "NPL", "SLB"}


@pytest.mark.parametrize(
    ("origin", "year", "exempt"),
    [
        ("STP", 2026, False),  # graduated 13 Dec 2024
        ("BGD", 2026, True),  # an LDC on 1 January 2026, graduates 24 Nov 2026
        ("BGD", 2027, False),
        ("SLB", 2027, True),  # extended to 2027
        ("SLB", 2028, False),
    ],
)
def test_ldc_option_follows_the_dated_graduations(origin: str, year: int, exempt: bool) -> None:
    out = one(scenario("eu-cbam-ldc-exempt"), year=year, origin=origin, cn_code="72071111")
    assert out["exempt"] is exempt


def test_sids_lists_and_their_overlap_with_the_ldcs() -> None:
    # policy-facts.md section 5.2: 38 UN-member SIDS incl. Bahrain (16 Caribbean, 12 Pacific,
    # 10 AIS) and 20 non-UN members; Cook Islands and Niue are not UN members.
    members = _members("un_sids_members", "2026-01-01")
    assert members == codes(
        "ATG BHS BRB BLZ CUB DMA DOM GRD GUY HTI JAM KNA LCA VCT SUR TTO FJI KIR MHL FSM NRU PLW "
        "PNG WSM SLB TON TUV VUT BHR CPV COM GNB MDV MUS STP SYC SGP TLS"
    )
    others = _members("un_sids_non_members", "2026-01-01")
    assert others == codes(
        "ASM AIA ABW BMU VGB CYM MNP COK CUW PYF GLP GUM MTQ MSR NCL NIU PRI SXM TCA VIR"
    )
    # LDC and SIDS in 2026: COM, GNB, HTI, KIR, SLB, TLS, TUV (section 5.2).
    assert members & LDC_44 == {"COM", "GNB", "HTI", "KIR", "SLB", "TLS", "TUV"}


def test_eu27_and_annex_iii_lists() -> None:
    # 27 member states since 1 Feb 2020 (the UK left on 31 Jan 2020); Reg. 2023/956 Annex III
    # point 1: Iceland, Liechtenstein, Norway, Switzerland (section 1.2).
    eu = _members("eu27", "2026-01-01")
    assert len(eu) == 27 and "GBR" not in eu and "HRV" in eu
    assert _members("eu27", "2013-06-30") == eu - {"HRV"}
    assert _members("eu_cbam_annex_iii", "2026-01-01") == {"ISL", "LIE", "NOR", "CHE"}


def test_a_phase_in_share_follows_the_rules_year_not_the_import_year(tmp_path: Path) -> None:
    # Membership is judged in the import year (the default), the share charged in the rules
    # year: a 2025 import under the 2026 rules pays the 2026 share (it paid nothing: 2025 is
    # before the schedule, read as 0).
    path = tmp_path / "half.yaml"
    path.write_text(
        "extends: eu-cbam\nname: half\ncertificate_price_eur: 80\nrules_year: 2026\n"
        "exemptions:\n  - group: ldc\n    fee_share_charged: {2026: 0.5}\n"
    )
    out = cbam.compute(rows({"year": 2025, **MOZ_ALU}, MOZ_ALU), cbam.load_scenario(path))
    assert out["fee_share_charged"].to_list() == [0.5, 0.5]
    assert out["fee_eur"].to_list() == pytest.approx([MOZ_FEE / 2] * 2)


def test_a_phase_in_reason_gives_the_share_as_scheduled_and_none_at_a_full_fee(
    tmp_path: Path,
) -> None:
    # '{share:.0%}' printed 0.5 % as '0%' and 99.9 % as '100%'; a year charging the whole fee
    # kept a reason though nothing was relieved.
    path = tmp_path / "p.yaml"
    path.write_text(
        "extends: eu-cbam\nname: p\ncertificate_price_eur: 80\nexemptions:\n  - group: ldc\n"
        "    fee_share_charged: {2028: 0.005, 2029: 0.125, 2030: 0.999, 2032: 1.0}\n"
    )
    years = [2027, 2028, 2029, 2030, 2032]
    out = cbam.compute(rows(*({"year": y, **MOZ_ALU} for y in years)), cbam.load_scenario(path))
    label = "UN least developed country"
    assert out["exemption_reason"].to_list() == [
        label,
        f"{label}, 0.5% of fee charged (phase-in)",
        f"{label}, 12.5% of fee charged (phase-in)",
        f"{label}, 99.9% of fee charged (phase-in)",
        None,
    ]
    assert out["fee_share_charged"].to_list() == [0.0, 0.005, 0.125, 0.999, 1.0]


def test_a_parents_group_file_is_read_from_the_parents_folder(tmp_path: Path) -> None:
    # b/child.yaml extends ../a/parent.yaml, whose group partners.csv lies in a/: read from b/
    # it exempted TZA (b/partners.csv) and charged KEN.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/partners.csv").write_text("iso3\nKEN\n")
    (tmp_path / "b/partners.csv").write_text("iso3\nTZA\n")
    (tmp_path / "a/parent.yaml").write_text(
        "extends: eu-cbam\nname: parent\nexemptions:\n  - group: partners.csv\n    label: partner\n"
    )
    (tmp_path / "b/child.yaml").write_text("extends: ../a/parent.yaml\nname: child\n")
    child = cbam.load_scenario(tmp_path / "b/child.yaml")
    out = cbam.compute(
        rows({"origin": "KEN", "cn_code": "76011010"}, MOZ_ALU | {"origin": "TZA"}), child
    )
    assert out["exemption_reason"].to_list() == ["partner", None]


def test_a_missing_group_file_is_told_when_the_scenario_loads(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("extends: eu-cbam\nname: g\nexemptions:\n  - group: nosuch.csv\n")
    with pytest.raises(
        cbam.ScenarioError,
        match=r"g\.yaml: invalid scenario: exemptions\.0\.group: country group file not found",
    ):
        cbam.load_scenario(path)


@pytest.mark.parametrize("day", [0, 2026])
def test_a_status_day_given_as_a_number_is_refused(day: int, tmp_path: Path) -> None:
    # 0 was read as 1970-01-01 (a Unix timestamp): every LDC graduated since was exempt.
    path = tmp_path / "s.yaml"
    path.write_text(
        f"extends: eu-cbam\nname: s\nexemptions:\n  - group: ldc\n    status_on: {day}\n"
    )
    with pytest.raises(cbam.ScenarioError, match=rf"status_on: a date .* not the number {day}"):
        cbam.load_scenario(path)


def _exempting(folder: Path, group: str, text: str | None = None) -> Path:
    """A scenario file beside a group file ``group`` (written from ``text``) that it exempts."""
    if text is not None:
        (folder / group).write_text(text)
    scenario = folder / "s.yaml"
    scenario.write_text(f"extends: eu-cbam\nname: s\nexemptions: [{{group: {group}}}]\n")
    return scenario


def test_a_group_file_with_a_misspelt_column_is_refused(tmp_path: Path) -> None:
    # 'membr_to' was ignored: Türkiye stayed in the group (exempt) for good.
    typo = _exempting(
        tmp_path, "typo.csv", "iso3,member_from,membr_to\nTUR,2026-01-01,2027-12-31\n"
    )
    with pytest.raises(cbam.ScenarioError, match=r"unknown column\(s\) \['membr_to'\]"):
        cbam.load_scenario(typo)
    # Descriptive columns, as the bundled lists have them, are read as before.
    ok = _exempting(
        tmp_path, "ok.csv", "iso3,name,member_from,member_to,source,note\nTUR,T,,,x,y\n"
    )
    assert cbam.load_scenario(ok).exemptions[0].group.endswith("ok.csv")


def test_a_missing_group_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    scenario = _exempting(tmp_path, "none.csv")
    with pytest.raises(cbam.ScenarioError, match=r"looked beside the scenario, in .*current"):
        cbam.load_scenario(scenario)


def test_a_group_yaml_that_is_a_bare_list_says_what_it_needs(tmp_path: Path) -> None:
    scenario = _exempting(tmp_path, "list.yaml", "- TUR\n- CHN\n")
    with pytest.raises(
        cbam.ScenarioError, match=r"found list \(a group YAML is a mapping: members"
    ):
        cbam.load_scenario(scenario)
