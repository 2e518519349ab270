"""Revenue recycling: golden cases with cited figures, the rounding rule, errors, the CLI.

Sources (policy-facts.md sections 1.12, 2 and 7): the Commission's own-resource proposal
COM(2021) 570 takes 75 % of CBAM revenue into the EU budget, on about EUR 1 bn a year of revenue;
the July 2025 MFF 2028-34 own-resources proposal puts the CBAM own resource at about EUR 1.4 bn a
year on average; the Temporary Decarbonisation Fund (Commission package of 17 Dec 2025) takes
25 % of the Member States' CBAM revenues, about EUR 633 m. Fee figures for Mozambique aluminium
are those of test_exemptions.py ([2621] MOZ 7601 = 3.518 in 2026; [2620] 7601 10 10 column B
route K = 1.423; EUR 80).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import cbam
from cbam._recycling import apportion, load_plan
from cbam.cli import main

BASE = {"certificate_price_eur": 80}


def fees(year: int = 2026, **by_origin: float) -> pl.DataFrame:
    """A minimal ``compute`` result: one row per origin."""
    return pl.DataFrame(
        {
            "year": [year] * len(by_origin),
            "origin": list(by_origin),
            "fee_eur": list(by_origin.values()),
        },
        schema={"year": pl.Int32, "origin": pl.String, "fee_eur": pl.Float64},
    )


def amounts(result: cbam.Recycling) -> dict[str, float]:
    return dict(zip(result.flows["recipient"], result.flows["amount_eur"], strict=True))


def plan(*allocations: dict[str, Any]) -> dict[str, Any]:
    return {"name": "test", "allocations": list(allocations)}


def conserved(result: cbam.Recycling) -> None:
    """Every cent of revenue lands somewhere, at every level."""
    assert result.pools["amount_cents"].sum() == result.total_cents
    assert result.flows["amount_cents"].sum() == result.total_cents
    assert result.balance["paid_cents"].sum() == result.total_cents
    for pool, cents in result.pools.select("allocation", "amount_cents").iter_rows():
        flows = result.flows.filter(pl.col("allocation") == pool)["amount_cents"].sum()
        assert flows == cents


# --- golden cases from published proposals -------------------------------------------------


def test_own_resource_proposal_2021_on_eur_1bn_of_revenue() -> None:
    # COM(2021) 570: 75 % of about EUR 1 bn a year to the EU budget.
    r = cbam.recycle(fees(TUR=400e6, CHN=350e6, IND=250e6), "eu-cbam-own-resources")
    assert r.plan.status == "proposal"
    assert r.total_eur == 1_000_000_000.00
    assert amounts(r) == {"EU budget": 750_000_000.00, "Member States' budgets": 250_000_000.00}
    conserved(r)


def test_own_resource_proposal_2025_eur_1_4bn_own_resource_to_the_cent() -> None:
    # MFF 2028-34 proposal: CBAM own resource about EUR 1.4 bn a year. At 75 % that is revenue
    # of EUR 1,866,666,666.67; 75 % of it is 1,400,000,000.0025 exactly: the EU budget gets
    # 1,400,000,000.00 and the Member States' exact 466,666,666.6675 rounds up to .67 (the
    # larger fractional cent takes the one cent left over).
    r = cbam.recycle(fees(CHN=1_866_666_666.67), "eu-cbam", plan="eu-own-resources")
    assert r.total_cents == 186_666_666_667
    assert r.pools["amount_cents"].to_list() == [140_000_000_000, 46_666_666_667]
    conserved(r)


def test_temporary_decarbonisation_fund_eur_633m() -> None:
    # 25 % of the Member States' CBAM revenue, about EUR 633 m: revenue of EUR 2.532 bn.
    r = cbam.recycle(fees(TUR=1_532_000_000.0, UKR=1e9), "eu-cbam", plan="eu-decarbonisation-fund")
    assert amounts(r) == {
        "EU producers in CBAM sectors": 633_000_000.00,
        "Member States' budgets": 1_899_000_000.00,
    }
    conserved(r)


def test_own_resource_and_fund_together_take_a_share_of_the_remainder() -> None:
    r = cbam.recycle(fees(TUR=1e9), "eu-cbam", plan="eu-own-resources-decarbonisation-fund")
    assert r.pools["amount_eur"].to_list() == [750e6, 62.5e6, 187.5e6]


def test_every_bundled_plan_validates_with_status_and_sources() -> None:
    plans = cbam.list_recycling_plans()
    assert {
        "eu-member-states",
        "eu-own-resources",
        "eu-decarbonisation-fund",
        "climate-finance-ldc-sids",
        "return-to-developing-exporters",
    } <= set(plans)
    for name in plans:
        p = load_plan(name)
        assert p.status in ("law", "proposal", "option") and p.sources and p.description
    assert load_plan("eu-member-states").status == "law"


# --- the rounding rule ---------------------------------------------------------------------


def test_largest_remainder_gives_the_odd_cent_to_the_earlier_country() -> None:
    # 10 cents equally among three countries: 3.33... each; the one cent left goes to the first.
    r = cbam.recycle(
        fees(TUR=0.10),
        "eu-cbam",
        plan=plan(
            {
                "pool": "equal",
                "share": 1,
                "rule": "equal_per_country",
                "countries": ["KEN", "BGD", "FJI"],
            }
        ),
    )
    assert amounts(r) == {"BGD": 0.04, "FJI": 0.03, "KEN": 0.03}
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(10, [1, 2, 2]) == [2, 4, 4]


@pytest.mark.parametrize(("fee", "cents"), [(0.125, 12), (0.375, 38), (1.0049, 100)])
def test_total_revenue_is_the_sum_rounded_half_to_even(fee: float, cents: int) -> None:
    r = cbam.recycle(fees(TUR=fee), "eu-cbam", plan="eu-member-states")
    assert r.total_cents == cents


@pytest.mark.parametrize("amount", [1e20, 1e30, 1e300])
def test_a_fixed_amount_of_any_size_is_told_against_the_revenue(amount: float) -> None:
    # Past 28 digits the Decimal rounding of the amount raised decimal.InvalidOperation.
    fixed = plan(
        {"pool": "fixed", "amount_eur": amount, "rule": "domestic"},
        {"pool": "rest", "share": 1, "of": "remainder", "rule": "domestic"},
    )
    with pytest.raises(cbam.ScenarioError, match=r"allocation 1 \('fixed'\): takes EUR 1.*,000"):
        cbam.recycle(fees(TUR=1e6), "eu-cbam", plan=fixed)


def test_paid_by_origin_sums_to_the_rounded_total() -> None:
    # Three origins paid 0.4 cent each: 1.2 cents in all round to 1 cent, which goes to the
    # first origin in ISO3 order (equal fractional parts).
    r = cbam.recycle(fees(TUR=0.004, CHN=0.004, IND=0.004), "eu-cbam", plan="eu-member-states")
    assert r.total_cents == 1
    paid = dict(zip(r.balance["origin"], r.balance["paid_cents"], strict=True))
    assert paid == {"CHN": 1, "IND": 0, "TUR": 0}


def test_shares_of_a_third_written_as_fractions_sum_exactly() -> None:
    r = cbam.recycle(
        fees(TUR=1.00),
        "eu-cbam",
        plan=plan(
            {"pool": "a", "share": "1/3"},
            {"pool": "b", "share": "1/3"},
            {"pool": "c", "share": "1/3"},
        ),
    )
    assert r.pools["amount_cents"].to_list() == [34, 33, 33]


# --- rules ---------------------------------------------------------------------------------


def test_proportional_to_paid_within_a_group() -> None:
    # BGD and MOZ are LDCs on 1 January 2026; TUR is not.
    r = cbam.recycle(
        fees(TUR=900.0, BGD=75.0, MOZ=25.0),
        "eu-cbam",
        plan=plan(
            {"pool": "LDC fund", "share": 0.1, "rule": "proportional_to_paid", "group": "ldc"},
            {"pool": "EU budget", "share": 1, "of": "remainder"},
        ),
    )
    assert amounts(r) == {"BGD": 75.0, "MOZ": 25.0, "EU budget": 900.0}
    net = dict(zip(r.balance["origin"], r.balance["net_eur"], strict=True))
    assert net == {"TUR": -900.0, "BGD": 0.0, "MOZ": 0.0}


def test_proportional_to_index_inline_and_from_a_csv_next_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "population.csv").write_text("iso3,value\nKEN,3\ntza,1\n", encoding="utf-8")
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(
        "extends: eu-cbam\nname: mine\nrecycling:\n  allocations:\n"
        "    - {pool: by population, share: 1, rule: proportional_to_index,"
        " index: population.csv}\n",
        encoding="utf-8",
    )
    r = cbam.recycle(fees(TUR=1.0), cbam.load_scenario(scenario))
    assert amounts(r) == {"KEN": 0.75, "TZA": 0.25}
    inline = plan(
        {"pool": "p", "share": 1, "rule": "proportional_to_index", "index": {"KEN": 3, "TZA": 1}}
    )
    assert amounts(cbam.recycle(fees(TUR=1.0), "eu-cbam", plan=inline)) == amounts(r)


def test_fixed_amount_then_remainder() -> None:
    r = cbam.recycle(
        fees(TUR=1000.0),
        "eu-cbam",
        plan=plan(
            {"pool": "admin", "amount_eur": 12.345}, {"pool": "rest", "share": 1, "of": "remainder"}
        ),
    )
    assert r.pools["amount_cents"].to_list() == [1234, 98766]  # 1234.5 cents: half to even


def test_lazyframe_input() -> None:
    r = cbam.recycle(fees(TUR=10.0).lazy(), "eu-cbam-own-resources")
    assert r.total_eur == 10.0


# --- LDCs: exempt them, or charge them and return the revenue --------------------------------

MOZ_ALU = {"year": 2026, "origin": "MOZ", "cn_code": "76011010", "quantity_t": 100.0}
TUR_STEEL = {"year": 2026, "origin": "TUR", "cn_code": "72071111", "quantity_t": 100.0}
MOZ_FEE = (351.8 - 142.3 * 0.975) * 80


def test_ldc_return_compared_with_ldc_exemption() -> None:
    imports = pl.DataFrame([MOZ_ALU, TUR_STEEL])
    returned = cbam.recycle(
        cbam.compute(imports, cbam.load_scenario("eu-cbam-ldc-return", overrides=BASE)),
        "eu-cbam-ldc-return",
    )
    exempt = cbam.recycle(
        cbam.compute(imports, cbam.load_scenario("eu-cbam-ldc-exempt", overrides=BASE)),
        "eu-cbam",
        plan="eu-member-states",
    )
    conserved(returned)
    moz = returned.balance.filter(pl.col("origin") == "MOZ").row(0, named=True)
    assert moz["paid_eur"] == pytest.approx(MOZ_FEE, abs=0.005)
    assert moz["received_cents"] == moz["paid_cents"] and moz["net_cents"] == 0
    assert exempt.balance.filter(pl.col("origin") == "MOZ")["paid_cents"].item() == 0
    # The Member States keep the same revenue under both designs.
    states = [
        r.flows.filter(pl.col("recipient") == "Member States' budgets")["amount_cents"].item()
        for r in (returned, exempt)
    ]
    assert states[0] == states[1]


def test_exempt_countries_still_receive_climate_finance() -> None:
    s = cbam.load_scenario("eu-cbam-ldc-sids-exempt-climate-finance", overrides=BASE)
    out = cbam.compute(pl.DataFrame([MOZ_ALU, TUR_STEEL]), s)
    r = cbam.recycle(out, s)
    moz = r.balance.filter(pl.col("origin") == "MOZ").row(0, named=True)
    assert moz["paid_cents"] == 0 and moz["received_cents"] > 0
    pool = r.pools.row(0, named=True)
    assert pool["amount_cents"] == round(r.total_cents * 0.25)
    assert (
        r.flows.filter(pl.col("allocation") == 1)["amount_cents"].max()
        - r.flows.filter(pl.col("allocation") == 1)["amount_cents"].min()
        <= 1
    )  # equal per country, to the cent
    conserved(r)


def test_return_what_exempt_countries_would_have_paid() -> None:
    s = cbam.load_scenario("eu-cbam-ldc-exempt", overrides=BASE)
    out = cbam.compute(pl.DataFrame([MOZ_ALU, TUR_STEEL]), s)
    would_have = plan(
        {
            "pool": "compensation",
            "share": 0.01,
            "rule": "proportional_to_paid",
            "basis": "fee_before_exemptions_eur",
            "group": "ldc",
        },
        {"pool": "rest", "share": 1, "of": "remainder"},
    )
    r = cbam.recycle(out, s, plan=would_have)
    assert amounts(r)["MOZ"] == pytest.approx(r.total_eur * 0.01, abs=0.01)


# --- errors name the plan entry --------------------------------------------------------------


@pytest.mark.parametrize(
    ("allocations", "message"),
    [
        (
            [{"pool": "A", "share": 0.8}, {"pool": "B", "share": 0.3}],
            "allocation 2 ('B'): takes 30 % of the total revenue, but only 20 % remains",
        ),
        ([{"pool": "A", "share": 1.2}], "allocation 1 ('A'): share 1.2 is over 100 %"),
        (
            [{"pool": "A", "share": -0.1}, {"pool": "B", "share": 1, "of": "remainder"}],
            "allocation 1 ('A'): negative share -0.1",
        ),
        (
            [{"pool": "A", "share": 0.6}, {"pool": "B", "share": 0.3}],
            "allocation 2 ('B'): the plan leaves 10 % of the revenue unallocated",
        ),
        (
            [{"pool": "A", "amount_eur": 5}, {"pool": "B", "share": 1}],
            "allocation 2 ('B'): shares of the total add up to 100 % beside a fixed amount",
        ),
        (
            [{"pool": "A", "share": 1, "rule": "equal_per_country", "group": "no_such_group"}],
            "allocation 1 ('A'): unknown recipient group",
        ),
        (
            [{"pool": "A", "share": 1, "rule": "equal_per_country", "countries": ["KEN", "XXX"]}],
            "allocation 1 ('A'): unknown recipient country codes ['XXX']",
        ),
        (
            [{"pool": "A", "share": 1, "rule": "proportional_to_index", "index": "population"}],
            "allocation 1 ('A'): unknown index table 'population'",
        ),
        (
            [{"pool": "A", "share": 1, "rule": "equal_per_country"}],
            "allocation 1 ('A'): rule equal_per_country needs a 'group' or 'countries'",
        ),
        (
            [{"pool": "A", "share": 1, "rule": "domestic", "group": "ldc"}],
            "allocation 1 ('A'): a domestic pool has one recipient",
        ),
        (
            [
                {
                    "pool": "A",
                    "share": 0.5,
                    "rule": "proportional_to_paid",
                    "group": "ldc",
                    "if_no_recipient": "carry",
                },
                {"pool": "B", "share": 0.5},
            ],
            "allocation 1 ('A'): 'if_no_recipient: carry' needs a later allocation",
        ),
        ([{"pool": "A", "share": 0.5, "amount_eur": 3}], "give either 'share' or 'amount_eur'"),
    ],
)
def test_invalid_plans_name_the_entry(allocations: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(cbam.ScenarioError, match="recycling plan 'test', ") as info:
        load_plan(plan(*allocations))
    assert message in str(info.value)
    # The same plan inside a scenario fails when the scenario loads.
    with pytest.raises(cbam.ScenarioError, match=r"recycling:.*allocation"):
        cbam.load_scenario("eu-cbam", overrides={"recycling": plan(*allocations)})


LDC_FIRST = {"pool": "LDC return", "share": 0.5, "rule": "proportional_to_paid", "group": "ldc"}


def test_pool_with_no_eligible_recipient_is_an_error() -> None:
    with pytest.raises(cbam.ScenarioError) as info:
        cbam.recycle(
            fees(TUR=100.0),
            "eu-cbam",
            plan=plan(LDC_FIRST, {"pool": "rest", "share": 1, "of": "remainder"}),
        )
    text = str(info.value)
    assert (
        "recycling plan 'test', allocation 1 ('LDC return'): has EUR 50.00 to give and no eligible"
        in text
    )
    assert "no country of ldc paid anything" in text


def test_carry_leaves_the_money_to_the_remainder() -> None:
    r = cbam.recycle(
        fees(TUR=100.0),
        "eu-cbam",
        plan=plan(
            {**LDC_FIRST, "if_no_recipient": "carry"},
            {"pool": "rest", "share": 1, "of": "remainder"},
        ),
    )
    assert r.pools["carried"].to_list() == [True, False]
    assert amounts(r) == {"rest": 100.0}


def test_a_zero_pool_needs_no_recipient() -> None:
    r = cbam.recycle(fees(TUR=0.0), "eu-cbam", plan=plan(LDC_FIRST, {"pool": "rest", "share": 0.5}))
    assert r.total_cents == 0 and r.flows["amount_cents"].sum() == 0


def test_fixed_amount_above_the_revenue() -> None:
    with pytest.raises(cbam.ScenarioError, match=r"allocation 1 \('admin'\): takes EUR 500.00 but"):
        cbam.recycle(
            fees(TUR=100.0),
            "eu-cbam",
            plan=plan(
                {"pool": "admin", "amount_eur": 500}, {"pool": "r", "share": 1, "of": "remainder"}
            ),
        )


def test_index_without_a_value_for_a_group_member() -> None:
    index_plan = plan(
        {
            "pool": "p",
            "share": 1,
            "rule": "proportional_to_index",
            "group": "ldc",
            "index": {"BGD": 1},
        }
    )
    with pytest.raises(
        cbam.ScenarioError,
        match=r"allocation 1 \('p'\): the index table has no value for \d+ eligible",
    ):
        cbam.recycle(fees(TUR=1.0), "eu-cbam", plan=index_plan)


def test_group_needs_a_year_or_a_status_date() -> None:
    ldc_all = plan({"pool": "p", "share": 1, "rule": "equal_per_country", "group": "ldc"})
    no_year = fees(TUR=1.0).drop("year")
    with pytest.raises(cbam.ScenarioError, match="set status_on"):
        cbam.recycle(no_year, "eu-cbam", plan=ldc_all)
    dated = plan({**ldc_all["allocations"][0], "status_on": "2020-01-01"})
    assert "BTN" in amounts(cbam.recycle(no_year, "eu-cbam", plan=dated))  # an LDC until 2023


def test_scenario_without_a_plan() -> None:
    with pytest.raises(cbam.ScenarioError, match="scenario 'eu-cbam' has no recycling plan"):
        cbam.recycle(fees(TUR=1.0), "eu-cbam")


def test_flagged_and_negative_fees_are_refused() -> None:
    bad = pl.DataFrame({"origin": ["TUR", "CHN", "IND"], "fee_eur": [1.0, None, -2.0]})
    with pytest.raises(cbam.CbamInputError) as info:
        cbam.recycle(bad, "eu-cbam-own-resources")
    text = str(info.value)
    assert "column 'fee_eur': null" in text and "row 2" in text  # rows count from 1
    assert "column 'fee_eur': negative: row 3 (-2.0)" in text
    assert "to keep and flag such rows" not in text  # recycle has no lenient mode to offer
    with pytest.raises(cbam.CbamInputError, match="column 'fee_eur': missing column"):
        cbam.recycle(pl.DataFrame({"origin": ["TUR"]}), "eu-cbam-own-resources")


# --- the command line ---------------------------------------------------------------------


def test_cli_prints_pools_flows_and_balance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imports = tmp_path / "imports.csv"
    pl.DataFrame([MOZ_ALU, TUR_STEEL]).write_csv(imports)
    args = ["run", "--imports", str(imports), "--scenario", "eu-cbam-ldc-return", "--recycling"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Revenue recycling: plan 'ldc-return' (option)" in out
    assert (
        "| Return to LDCs " in out
        and "Balance by country (net = received - paid; paid is the revenue" in out
    )
    assert main(["run", "--imports", str(imports), "--recycling", "eu-decarbonisation-fund"]) == 0
    assert "Temporary Decarbonisation Fund" in capsys.readouterr().out
    assert main(["run", "--imports", str(imports), "--recycling"]) == 2
    assert "has no recycling plan" in capsys.readouterr().err


def test_a_groups_members_inside_the_regimes_territory_receive_nothing() -> None:
    # Guadeloupe and Martinique are SIDS (UN non-members) and outermost regions of France:
    # EU customs territory, whose rows the EU CBAM exempts, so no EU climate finance goes to
    # them; Aruba (an overseas country of the Netherlands) is outside it and receives. Under
    # the UK CBAM they are abroad like any other SIDS.
    revenue = fees(TUR=1_000.0)
    eu = amounts(cbam.recycle(revenue, "eu-cbam", plan="climate-finance-ldc-sids"))
    assert "GLP" not in eu and "MTQ" not in eu
    assert "ABW" in eu and "MOZ" in eu
    uk = amounts(cbam.recycle(fees(2027, TUR=1_000.0), "uk-cbam", plan="climate-finance-ldc-sids"))
    assert "GLP" in uk and "MTQ" in uk
    named = plan({"pool": "p", "share": 1, "rule": "equal_per_country", "countries": ["GLP"]})
    assert amounts(cbam.recycle(revenue, "eu-cbam", plan=named)) == {"GLP": 1_000.0}


@pytest.mark.parametrize("name", ["return-to-developing-exporters", "climate-finance-ldc-sids"])
def test_no_fees_allocate_nothing_under_a_group_plan(name: str) -> None:
    result = cbam.recycle(fees(TUR=1.0).head(0), "eu-cbam", plan=name)
    assert result.total_cents == 0
    assert result.pools["amount_cents"].to_list() == [0] * result.pools.height
    conserved(result)


def test_an_inline_index_naming_a_country_twice_is_refused() -> None:
    twice = plan(
        {
            "pool": "p",
            "share": 1,
            "rule": "proportional_to_index",
            "index": {"MOZ": 1, "moz": 3, "BGD": 1},
        }
    )
    with pytest.raises(cbam.ScenarioError, match=r"a country given twice \('MOZ' and 'moz'\)"):
        cbam.recycle(fees(MOZ=10.0), "eu-cbam", plan=twice)


def test_cli_recycles_each_year_under_its_own_membership(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Bangladesh is an LDC until 24 November 2026 (country_lists/un_ldc.csv): its 2026 fee
    # comes back; a 2027 row elsewhere in the file no longer decides membership for 2026.
    path = tmp_path / "my.csv"
    path.write_text("year,origin,cn_code,quantity_t\n2026,BGD,76011010,100\n2027,TUR,72081000,1\n")
    args = ["run", "--imports", str(path), "--scenario", "eu-cbam-ldc-return", "--recycling"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Revenue recycling year by year (2026-2027)" in out
    first = out.split("Revenue recycling, 2026")[1].split("Revenue recycling, 2027")[0]
    paid_back = re.search(r"\| BGD +\| ([0-9,.]+) \| ([0-9,.]+) +\| 0\.00 ", first)
    assert paid_back is not None and paid_back[1] == paid_back[2] != "0.00"  # all it paid
