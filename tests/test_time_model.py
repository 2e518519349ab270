"""One time model: every dated or year-keyed value is looked up as in force on a day.

A year key or a year start means 1 January of that year (the EU's year-keyed schedules, e.g.
the CBAM factor path of Dir. 2023/959 Art. 10a(1a) in ``rates/eu/cbam_factor.yaml``); a dated
value applies from its day until the next one (the OpenFisca convention).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

import cbam
from cbam._design import SectorParameter
from cbam._eu import config
from cbam._parameters import DatedParameter, in_force, key_in_force, scheduled

REF = {"title": "test", "href": ""}


def _param(*starts: object) -> DatedParameter[float]:
    values = [{"from": s, "value": float(i), "reference": REF} for i, s in enumerate(starts)]
    return DatedParameter[float].model_validate({"description": "d", "unit": "u", "values": values})


def test_a_value_from_mid_year_is_not_in_force_on_1_january() -> None:
    param = _param(2026, dt.date(2027, 7, 1))
    assert param.on(dt.date(2027, 6, 30)).value == 0.0  # type: ignore[union-attr]
    assert param.on(dt.date(2027, 7, 1)).value == 1.0  # type: ignore[union-attr]
    # A year is its 1 January, for every reader: at_year, on(year), sector parameters.
    assert param.at_year(2027).value == 0.0
    assert param.on(2028).value == 1.0  # type: ignore[union-attr]
    sectors = SectorParameter.model_validate(
        {"description": "d", "unit": "u", "sectors": {"steel": _param(2026, "2027-07-01").values}}
    )
    assert sectors.at("steel", 2027).value == 0.0  # type: ignore[union-attr]
    assert sectors.at("cement", 2027) is None
    assert param.on(2025) is None


def test_values_listed_out_of_order_and_equal_starts() -> None:
    param = _param(2030, 2026)
    assert param.at_year(2029).value == 1.0
    assert param.at_year(2031).value == 0.0
    # Two values from one day (a year is its 1 January) are refused: the last listed won unseen.
    with pytest.raises(ValidationError, match="two values from the same day: 2030-01-01"):
        _param(2030, 2026, dt.date(2030, 1, 1))


def test_year_keyed_schedules_read_the_same_way() -> None:
    # cbam_factor.yaml: 0.975 in 2026, 0.95 from 2027 ... 0.0 from 2034.
    factors = config.parameter_defaults()["cbam_factor"]
    assert scheduled(factors, 2026) == 0.975
    assert scheduled(factors, 2040) == 0.0
    assert scheduled(factors, 2025) is None
    assert key_in_force({2026: 1, 2030: 2}, 2030) == 2030
    assert in_force({2026: 1}, dt.date(2026, 1, 1), int) == 2026
    assert in_force({2026: 1}, dt.date(2025, 12, 31), int) is None


def test_a_dated_value_from_a_day_the_engine_never_reads_is_refused() -> None:
    # A 2028-07-01 mark-up left 2028's rows at the old one, and a price from 15 February took
    # effect on 1 April, unsaid.
    rows = pl.DataFrame(
        {"year": [2028], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    )
    for overrides, message in (
        (
            {"design.emissions.defaults_markup.2028-07-01": 2.0},
            "emissions.defaults_markup: a value from 2028-07-01 would take effect only on the "
            "next 1 January",
        ),
        (
            {"charge.price.2030-02-15": 100},
            "charge.price: a value from 2030-02-15 would take effect only on the next first day "
            "of a quarter",
        ),
    ):
        with pytest.raises(cbam.ScenarioError, match=re.escape(message)):
            cbam.compute(rows, cbam.load_scenario("uk-cbam", overrides=overrides))
    quarterly = cbam.load_scenario("uk-cbam", overrides={"charge.price.2028-07-01": 100})
    prices = cbam.compute(rows.with_columns(quarter=pl.lit(3)), quarterly)["certificate_price_eur"]
    assert (
        prices[0]
        > cbam.compute(rows.with_columns(quarter=pl.lit(2)), quarterly)["certificate_price_eur"][0]
    )


def test_a_value_from_before_the_first_rules_year_may_start_on_any_day(tmp_path: Path) -> None:
    # A threshold from 2025-11-26 is in force on every day the UK engine reads (from 2027).
    design = (Path(cbam.__file__).parents[1] / "rates/regimes/uk-cbam.yaml").read_text("utf-8")
    path = tmp_path / "uk.yaml"
    path.write_text(design.replace("from: 2027-01-01", "from: 2025-11-26", 1), "utf-8")
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    )
    assert cbam.compute(rows, cbam.load_scenario(path))["fee_eur"][0] >= 0


def test_a_one_quarter_override_keeps_the_labels_of_the_prices_it_left() -> None:
    # rates/eu/certificate_price.yaml: EUR 110.90 from 2028 is an assumption (an analyst
    # poll). Setting 2029 Q3 fills the year's other quarters and 2030 with it: they keep its
    # label, and only Q3 says it is the scenario's own 2029 price.
    rows = pl.DataFrame(
        {
            "year": [2029, 2029, 2029, 2030, 2031],
            "origin": ["TUR"] * 5,
            "cn_code": ["72071111"] * 5,
            "quantity_t": [1.0] * 5,
            "quarter": [1, 3, None, None, None],
        }
    )
    scenario = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur.2029.3": 120})
    out = cbam.compute(rows, scenario)
    default = "2028 path, in force from 2028 (assumed)"
    assert out["certificate_price_eur"].to_list() == [
        110.9,
        120.0,
        (3 * 110.9 + 120) / 4,
        110.9,
        110.9,
    ]
    assert out["certificate_price_period"].to_list() == [
        default,
        "2029-Q3",
        "2029 mean of quarters (assumed)",  # three of its four quarters are the assumption
        default,
        default,
    ]
