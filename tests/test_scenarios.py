"""Scenario files: bundled names, extends, overrides by dotted path."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

import cbam

REGIMES = Path(cbam.__file__).resolve().parents[1] / "rates" / "regimes"


def test_bundled_scenarios_load_and_describe_themselves() -> None:
    names = cbam.list_scenarios()
    assert {"eu-cbam", "eu-cbam-rules-2026", "eu-cbam-rules-2034"} <= set(names)
    for name, description in names.items():
        scenario = cbam.load_scenario(name)
        assert scenario.name == name and description


def test_extends_inherits_and_records_parent() -> None:
    scenario = cbam.load_scenario("eu-cbam-rules-2034")
    assert scenario.rules_year == 2034
    assert scenario.extends == "eu-cbam"
    groups = ("eu27", "eu_customs_territory_other", "eu_cbam_annex_iii")
    assert cbam.resolve(scenario).origin_groups == groups


def test_user_file_extends_a_bundled_scenario_with_dotted_overrides(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: eu-cbam\n"
        "name: mine\n"
        "certificate_price_eur: {2026: 60, 2030: 100}\n"
        "overrides:\n"
        "  certificate_price_eur.2030: 120\n"
        "  clinker_share.25232900: 0.75\n",
        encoding="utf-8",
    )
    scenario = cbam.load_scenario(path)
    assert scenario.certificate_price_eur == {2026: 60.0, 2030: 120.0}
    assert scenario.clinker_share == {"25232900": 0.75}
    assert scenario.source == str(path)


def test_keyword_overrides_apply_last() -> None:
    scenario = cbam.load_scenario(
        "eu-cbam-rules-2026", overrides={"rules_year": 2030, "certificate_price_eur": 80}
    )
    assert (scenario.rules_year, scenario.certificate_price_eur) == (2030, 80.0)


def test_cbam_factor_override_changes_only_the_free_allocation() -> None:
    # A 2038 end-point variant as a sensitivity (policy-facts.md section 1.6): factor 0.85 in 2030.
    base = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
    slower = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "cbam_factor": {2026: 0.975, 2030: 0.85}}
    )
    rows = pl.DataFrame(
        {"year": [2030], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
    )
    a, b = (
        cbam.compute(rows, base).row(0, named=True),
        cbam.compute(rows, slower).row(0, named=True),
    )
    assert a["embedded_t"] == b["embedded_t"]
    assert b["free_allocation_t"] == pytest.approx(136.4 * 0.85)
    assert a["free_allocation_t"] == pytest.approx(136.4 * 0.515)


def test_bad_scenarios_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ncertifcate_price_eur: 80\n", encoding="utf-8")
    with pytest.raises(cbam.ScenarioError, match=r"bad\.yaml.*certifcate_price_eur"):
        cbam.load_scenario(path)
    with pytest.raises(cbam.ScenarioError, match="unknown scenario 'nope'"):
        cbam.load_scenario("nope")


# --- one dotted override on any regime (issue 18) ---------------------------------------------

# 100 t of CN 7207 11 11 from Turkiye under the UK CBAM: the EU base default value without the
# mark-up (IR 2025/2621: 2.31 t CO2e/t, direct and precursor emissions) and a free-allocation
# share of 0 give 231 t CO2e charged; rows carry no importer, so the GBP 50,000 threshold is not
# applied.
UK_ROWS = pl.DataFrame(
    {
        "year": [2029, 2030, 2031],
        "origin": ["TUR"] * 3,
        "cn_code": ["72071111"] * 3,
        "quantity_t": [100.0] * 3,
    }
)


def test_a_dotted_design_override_sets_one_dated_value_and_keeps_the_earlier() -> None:
    scenario = cbam.load_scenario("uk-cbam", overrides={"charge.price.2030": 100})
    design = cbam.resolve(scenario).design
    assert design.charge.price is not None
    values = [(v.start, v.value) for v in design.charge.price.values]
    assert values == [(dt.date(2027, 1, 1), 54.40), (dt.date(2030, 1, 1), 100.0)]
    added = design.charge.price.values[1]
    assert added.reference.title.startswith("scenario override: charge.price.2030 = 100")
    assert not added.assumption
    fees = cbam.compute(UK_ROWS, scenario)
    # 231 t CO2e x GBP 54.40 before 2030 (the cited price, kept); x GBP 100 from 2030.
    assert fees["certificates"].to_list() == pytest.approx([231.0] * 3)
    assert fees["fee_local"].to_list() == pytest.approx([231 * 54.40, 231 * 100.0, 231 * 100.0])


def test_a_dated_override_keeps_the_values_listed_after_it() -> None:
    # The CCA's price path is listed year by year (USD 60 in 2026, +6 % a year): 2028 changes
    # alone, 2027 and 2029 keep their cited values.
    base = cbam.resolve(cbam.load_scenario("us-cca-2025")).design
    changed = cbam.resolve(
        cbam.load_scenario("us-cca-2025", overrides={"design.charge.price.2028": 70})
    ).design
    assert base.charge.price is not None and changed.charge.price is not None
    before = {v.start.year: v.value for v in base.charge.price.values}  # type: ignore[union-attr]
    after = {v.start.year: v.value for v in changed.charge.price.values}  # type: ignore[union-attr]
    assert after == {**before, 2028: 70.0}


def test_a_dated_override_by_day_and_in_a_sector_list(tmp_path: Path) -> None:
    path = tmp_path / "uk-half-free.yaml"
    path.write_text(
        "name: uk-half-free\nregime: UK-CBAM\noverrides:\n"
        "  charge.free_allocation_share.sectors.iron_steel.2030-01-01: 0.5\n",
        encoding="utf-8",
    )
    scenario = cbam.load_scenario(path)
    assert scenario.regime == "uk-cbam"  # matched whatever the case
    design = cbam.resolve(scenario).design
    assert design.charge.free_allocation_share is not None
    steel = design.charge.free_allocation_share.sectors["iron_steel"]
    assert [(v.start, v.value) for v in steel] == [
        (dt.date(2027, 1, 1), 0.0),
        (dt.date(2030, 1, 1), 0.5),
    ]
    assert steel[1].reference.href == path.resolve().as_uri()
    # The other sectors keep their list.
    assert len(design.charge.free_allocation_share.sectors["cement"]) == 1
    # A share is read on 1 January: from 1 July it would apply from the next year, unsaid.
    path.write_text(path.read_text().replace("2030-01-01", "2030-07-01"), encoding="utf-8")
    with pytest.raises(cbam.ScenarioError, match="2030-07-01 would take effect only on the next"):
        cbam.load_scenario(path)


def test_the_eu_schedule_takes_one_year_and_keeps_a_single_price_before_it() -> None:
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 70, "certificate_price_eur.2030": 100}
    )
    assert scenario.certificate_price_eur == {2026: 70.0, 2030: 100.0}


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        (
            "uk-cbam",
            {"charge.prise.2030": 1},
            "no key 'prise' in charge (valid: kind, price, free_allocation_share",
        ),
        ("uk-cbam", {"charge.price.20x0": 1}, "'20x0' is not a year or date such as 2030"),
        ("uk-cbam", {"charge.price.2030-02-30": 1}, "is not a year or date"),
        ("uk-cbam", {"charge.price.2030.1": 1}, "a dated value is set whole"),
        ("uk-cbam", {"chrage.price": 1}, "no such parameter (valid: name, description"),
        ("eu-cbam", {"chrage.price.2030": 1}, "no such parameter (valid: name"),
        ("eu-cbam", {"certificate_price_eur.2030-07-02": 1}, "changes by year or quarter, not on"),
        ("eu-cbam", {"certificate_price_eur.2030x": 1}, "is not a year (write"),
        ("eu-cbam", {"certificate_price_eur.2030.5": 1}, "quarter '5' is not 1-4"),
        ("eu-cbam", {"cbam_factor.2030.1": 1}, "cbam_factor is set by year"),
        (
            "uk-cbam",
            {"charge.price.2030": -1},
            "charge.price.2030: Input should be greater than or equal to 0",
        ),
    ],
)
def test_bad_dotted_overrides_say_what_is_valid(
    name: str, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(cbam.ScenarioError, match=re.escape(message)):
        cbam.load_scenario(name, overrides=overrides)


def test_names_match_whatever_the_case_and_unknown_ones_list_the_choices() -> None:
    assert cbam.load_scenario("EU-CBAM-Rules-2026").name == "eu-cbam-rules-2026"
    scenario = cbam.load_scenario("eu-cbam", overrides={"exemptions": [{"group": "LDC"}]})
    assert scenario.exemptions[0].group == "ldc"
    known = r"unknown country group 'nope' \(known: ldc, sids"
    with pytest.raises(cbam.ScenarioError, match=known):
        cbam.load_scenario("eu-cbam", overrides={"exemptions": [{"group": "nope"}]})
    with pytest.raises(cbam.ScenarioError, match=r"unknown regime 'uk' \(known: eu-cbam, uk-cbam"):
        cbam.load_scenario("eu-cbam", overrides={"regime": "uk"})
    with pytest.raises(cbam.ScenarioError, match=r"bundled: eu-cbam, .*us-fpf-2025"):
        cbam.load_scenario("eu-cbma")
    # A design's currency is an ISO code: any case.
    gbp = cbam.resolve(cbam.load_scenario("uk-cbam", overrides={"currency": "gbp"})).design
    assert gbp.currency == "GBP"


def test_unknown_scenario_keys_list_the_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nrules_yaer: 2030\n", encoding="utf-8")
    with pytest.raises(cbam.ScenarioError, match=r"rules_yaer: .*scenario keys: name, description"):
        cbam.load_scenario(path)


@pytest.mark.parametrize(
    ("dates", "bad"),
    [
        ({"2031-13-01": 0.3}, "'2031-13-01' is not a year or date"),  # no 13th month
        ({"2031-01-01": 0.3, "2032-02-30": 0.2}, "'2032-02-30' is not a year or date"),
        ({"31-01-01": 0.3}, "'31-01-01' is not a year or date"),
        ({"foo": 0.3}, "'foo' is not a year or date"),  # nor a key of charge.cbam_factor
    ],
)
def test_a_bad_date_in_a_mapping_override_is_an_error_not_ignored(
    dates: dict[str, float], bad: str
) -> None:
    # These were merged into the parameter as unread keys: the run kept the cited path.
    with pytest.raises(cbam.ScenarioError, match=re.escape(bad)):
        cbam.load_scenario("eu-cbam", overrides={"charge.cbam_factor": dates})


# The reform shape {path: {date: value}} and the dotted path.date give one scenario, for every
# dated parameter of every regime: the value holds from that date, the other dated values are
# kept. The mapping form replaced the EU schedules whole (the 2029 price became no price) and a
# nested mapping ({"charge": {"price": {...}}}) was dropped unread.
EU_REFORMS = [
    ({"certificate_price_eur": {2030: 100}}, {"certificate_price_eur.2030": 100}),
    ({"certificate_price_eur": {"2030": 100}}, {"certificate_price_eur.2030": 100}),
    ({"certificate_price_eur": {2026: {1: 80}}}, {"certificate_price_eur.2026.1": 80}),
    ({"cbam_factor": {2030: 0.5}}, {"cbam_factor.2030": 0.5}),
    (
        {"cross_sectoral_correction_factor": {2030: 0.5}},
        {"cross_sectoral_correction_factor.2030": 0.5},
    ),
]


@pytest.mark.parametrize(("reform", "dotted"), EU_REFORMS)
def test_eu_reform_mapping_equals_the_dotted_override(reform: dict, dotted: dict) -> None:
    assert cbam.load_scenario("eu-cbam", overrides=reform) == cbam.load_scenario(
        "eu-cbam", overrides=dotted
    )


def test_eu_price_reform_keeps_the_cited_path_before_and_after() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026, 2029, 2030, 2031],
            "quarter": [1, None, None, None],
            "origin": ["TUR"] * 4,
            "cn_code": ["72071111"] * 4,
            "quantity_t": [1.0] * 4,
        }
    )
    for overrides in ({"certificate_price_eur": {2030: 100}}, {"certificate_price_eur.2030": 100}):
        out = cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides=overrides))
        # rates/eu/certificate_price.yaml: Q1 2026 EUR 75.36, EUR 110.90 from 2028 (held flat).
        assert out["certificate_price_eur"].to_list() == [75.36, 110.90, 100.0, 100.0]
        assert out["cbam_factor"].to_list() == [0.975, 0.775, 0.515, 0.39]
    factor = cbam.load_scenario("eu-cbam", overrides={"cbam_factor": {2030: 0.5}})
    # rates/eu/cbam_factor.yaml: 0.775 in 2029, 0.39 from 2031 (kept around the 2030 change).
    assert cbam.compute(rows, factor)["cbam_factor"].to_list() == [0.975, 0.775, 0.5, 0.39]


@pytest.mark.parametrize(
    "overrides",
    [
        {"charge.price.2030": 100},
        {"charge.price": {2030: 100}},
        {"charge.price": {"2030-01-01": 100}},
        {"charge": {"price": {2030: 100}}},
        {"charge": {"price": {"2030": 100}}},
        {"design": {"charge": {"price": {2030: 100}}}},
        {"design.charge.price": {dt.date(2030, 1, 1): 100}},
    ],
)
def test_design_reform_in_every_spelling_adds_one_dated_value(overrides: dict) -> None:
    design = cbam.resolve(cbam.load_scenario("uk-cbam", overrides=overrides)).design
    assert design.charge.price is not None
    # rates/regimes/uk-cbam.yaml: GBP 54.40 from 2027, kept before 2030.
    assert [(v.start, v.value) for v in design.charge.price.values] == [
        (dt.date(2027, 1, 1), 54.4),
        (dt.date(2030, 1, 1), 100.0),
    ]


def test_nested_reform_with_an_unknown_key_is_an_error() -> None:
    with pytest.raises(cbam.ScenarioError, match=r"charge\.price\.foo.*'foo' is not a year"):
        cbam.load_scenario("uk-cbam", overrides={"charge": {"price": {"2030": 100, "foo": 1}}})


def test_yaml_overrides_take_the_reform_shape_as_python_does(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        "extends: eu-cbam\nname: parent\ncertificate_price_eur: {2026: 60, 2032: 150}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: parent.yaml\nname: child\noverrides:\n  certificate_price_eur: {2030: 100}\n",
        encoding="utf-8",
    )
    # The parent's own path (a scenario key: the whole path) keeps its years around 2030.
    assert cbam.load_scenario(child).certificate_price_eur == {2026: 60, 2030: 100, 2032: 150}
    bundled = tmp_path / "bundled.yaml"
    bundled.write_text(
        "extends: eu-cbam\nname: b\noverrides:\n  certificate_price_eur: {2030: 100}\n"
        "  cbam_factor: {2030: 0.5}\n",
        encoding="utf-8",
    )
    python = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur.2030": 100, "cbam_factor.2030": 0.5}
    )
    got = cbam.load_scenario(bundled)
    assert (got.certificate_price_eur, got.cbam_factor) == (
        python.certificate_price_eur,
        python.cbam_factor,
    )


@pytest.mark.parametrize("key", ["2030-01-01", "2030", "'2030'"])
def test_a_files_design_takes_the_reform_shape(tmp_path: Path, key: str) -> None:
    # YAML reads 2030-01-01 as a date and 2030 as a number ("Keys should be strings"); a
    # quoted '2030' was kept as an unread key of charge.price and the run kept GBP 54.40.
    path = tmp_path / "uk-100.yaml"
    path.write_text(
        f"extends: uk-cbam\nname: uk-100\ndesign:\n  charge:\n    price: {{{key}: 100}}\n",
        encoding="utf-8",
    )
    design = cbam.resolve(cbam.load_scenario(path)).design
    assert design.charge.price is not None
    # rates/regimes/uk-cbam.yaml: GBP 54.40 from 2027, kept before 2030.
    assert [(v.start, v.value) for v in design.charge.price.values] == [
        (dt.date(2027, 1, 1), 54.4),
        (dt.date(2030, 1, 1), 100.0),
    ]


def test_a_number_then_dated_values_replace_the_whole_path() -> None:
    # The documented way to give a whole path in overrides: a number, then the years after it.
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 70, "certificate_price_eur.2030": 120}
    )
    assert scenario.certificate_price_eur == {2026: 70.0, 2030: 120.0}


def test_a_mapping_of_good_dates_still_adds_dated_values() -> None:
    scenario = cbam.load_scenario("eu-cbam", overrides={"charge.cbam_factor": {2031: 0.3}})
    design = cbam.resolve(scenario).design
    assert design is not None and design.charge.cbam_factor is not None
    values = {v.start: v.value for v in design.charge.cbam_factor.values}
    assert values[dt.date(2031, 1, 1)] == 0.3
    assert values[dt.date(2032, 1, 1)] == 0.265


def test_a_date_on_a_parameter_the_regime_does_not_set_says_so() -> None:
    # Was "no key '2030' in charge.price (valid: description, unit, values)": as if a price
    # existed and 2030 were a key of it. (us-fpf-2025 is ad valorem: it has no price.)
    with pytest.raises(cbam.ScenarioError) as got:
        cbam.load_scenario("us-fpf-2025", overrides={"charge.price.2030": 100})
    assert "charge.price is not set by regime 'us-fpf-2025'" in str(got.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"charge.price.2030": 100},
        {"charge.price": {2030: 100}},
        {"design": {"charge": {"price": {2030: 100}}}},
    ],
)
def test_charge_price_on_the_eu_cbam_is_its_certificate_price(
    overrides: dict[str, object],
) -> None:
    # One price key for every regime (issue 16): on the EU CBAM, whose design prices by its
    # certificate price file, charge.price sets certificate_price_eur (was refused).
    wanted = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur.2030": 100})
    got = cbam.load_scenario("eu-cbam", overrides=overrides)
    assert got.certificate_price_eur == wanted.certificate_price_eur


@pytest.mark.parametrize(
    ("name", "overrides", "where"),
    [
        ("uk-cbam", {"charge.price.2030": True}, "charge.price.2030"),  # a design value
        ("eu-cbam", {"cbam_factor.2030": True}, "cbam_factor.2030"),  # a share
        ("eu-cbam", {"certificate_price_eur": False}, "certificate_price_eur"),  # read as EUR 0
        ("eu-cbam", {"certificate_price_eur.2030": True}, "certificate_price_eur.2030"),
        ("eu-cbam", {"certificate_price_eur.2026.2": True}, "certificate_price_eur.2026.2"),
        ("eu-cbam", {"cross_sectoral_correction_factor": False}, "cross_sectoral_correction_"),
        ("eu-cbam", {"clinker_share.25232900": True}, "clinker_share.25232900"),
        ("eu-cbam", {"rules_year": True}, "rules_year"),  # was "must be between ..., not 1"
        ("eu-cbam", {"exemptions": [{"group": "ldc", "grace_years": True}]}, "exemptions.0.grace_"),
        (
            "eu-cbam",
            {"carbon_price_abroad": {"path": {"CHN": {"values": {2026: True}}}}},
            "carbon_price_abroad.path.CHN.values.2026",
        ),
    ],
)
def test_true_or_false_is_no_number(name: str, overrides: dict[str, object], where: str) -> None:
    # pydantic reads True as 1.0 in lax mode; a price or share of "true" is a typo. The message
    # names the key alone: inside a union pydantic's own path named each member and its
    # validator chain ("certificate_price_eur.function-after[forbid_inf_nan_check(), ...").
    with pytest.raises(cbam.ScenarioError) as got:
        cbam.load_scenario(name, overrides=overrides)
    value = "false" if False in _leaves(overrides) else "true"
    tail = str(got.value).rsplit("invalid ", 1)[1]  # after the file(s) named
    expected = rf"(scenario|regime design): {re.escape(where)}\w*: a number is needed, not {value}"
    assert re.fullmatch(expected, tail)


def _leaves(tree: object) -> list[object]:
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, list):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


@pytest.mark.parametrize(
    ("name", "overrides", "where", "given"),
    [
        ("eu-cbam", {"de_minimis": 1}, "de_minimis", "1"),  # was read as true
        ("eu-cbam", {"de_minimis": 0}, "de_minimis", "0"),  # was read as false
        ("eu-cbam", {"de_minimis": "no"}, "de_minimis", "'no'"),  # was read as false
        ("eu-cbam", {"actual_values_route_from_default": 1}, "actual_values_route_from_", "1"),
        ("uk-cbam", {"carbon_price_relief": "yes"}, "carbon_price_relief", "'yes'"),
    ],
)
def test_a_switch_is_true_or_false_only(
    name: str, overrides: dict[str, object], where: str, given: str
) -> None:
    # pydantic reads 1, 0, "yes" and "no" as booleans in lax mode; a switch given as a number
    # or a word is a typo as likely as a meaning, so it is refused, as numbers refuse true.
    with pytest.raises(cbam.ScenarioError) as got:
        cbam.load_scenario(name, overrides=overrides)
    tail = str(got.value).rsplit("invalid ", 1)[1]
    expected = rf"(scenario|regime design): {re.escape(where)}\w*: true or false is needed, not "
    assert re.fullmatch(expected + re.escape(given), tail), tail


def test_a_yaml_false_price_is_refused_readably(tmp_path: Path) -> None:
    path = tmp_path / "free.yaml"
    path.write_text("extends: eu-cbam\nname: free\ncertificate_price_eur: false\n", "utf-8")
    with pytest.raises(cbam.ScenarioError) as got:
        cbam.load_scenario(path)
    assert str(got.value) == (
        f"{path}: invalid scenario: certificate_price_eur: a number is needed, not false"
    )


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (-1, "certificate_price_eur: Input should be greater than or equal to 0"),
        ({2030: -1}, "certificate_price_eur.2030: Input should be greater than or equal to 0"),
        ("x", "certificate_price_eur: Input should be a valid number, unable to parse string"),
    ],
)
def test_union_errors_name_the_key_not_pydantic_members(price: object, message: str) -> None:
    # Each member of the union failed: the number's message is kept, the mapping's ("Input
    # should be a valid dictionary") left out, and no member name is in the path.
    with pytest.raises(cbam.ScenarioError) as got:
        cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": price})
    text = str(got.value)
    assert text.split("invalid scenario: ", 1)[1].startswith(message)
    assert "dictionary" not in text and "constrained-float" not in text and ";" not in text


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("eu-cbam", {"certificate_price_eur.1990": 50}, "1990 is outside the years"),
        ("eu-cbam", {"certificate_price_eur.2200": 50}, "2200 is outside the years"),
        ("eu-cbam", {"certificate_price_eur": {3000: 90}}, "3000 is outside the years"),
        ("eu-cbam", {"charge.cbam_factor.2101": 0.5}, "2101 is outside the years"),
        ("uk-cbam", {"charge.price.2026": 5}, "2026 is outside the years"),
        ("uk-cbam", {"charge.price": {"2201-07-01": 5}}, "2201-07-01 is outside the years"),
    ],
)
def test_a_dated_override_outside_the_rules_years_is_refused(
    name: str, overrides: dict[str, object], message: str
) -> None:
    # A value from before the first rules year is shadowed by the regime's own first value and
    # one after the last never applies: both were accepted and changed nothing.
    first = cbam.resolve(cbam.load_scenario(name)).rules_years[0]
    with pytest.raises(cbam.ScenarioError, match=re.escape(message)) as error:
        cbam.load_scenario(name, overrides=overrides)
    assert f"rules for ({first}-2100): a value from then would never apply" in str(error.value)


def test_a_whole_schedule_or_sweep_path_after_the_last_rules_year_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late.yaml"
    path.write_text(
        "name: late\nextends: eu-cbam\ncertificate_price_eur: {2026: 80, 2200: 90}\n",
        encoding="utf-8",
    )
    late = "certificate_price_eur: [2200] after the last rules year 2100 would never apply"
    with pytest.raises(cbam.ScenarioError, match=re.escape(late)):
        cbam.load_scenario(path)
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
    )
    with pytest.raises(cbam.ScenarioError, match=re.escape("[3000] after the last rules year")):
        cbam.sweep(rows, "uk-cbam", vary={"charge.price": [50, {2027: 50, 3000: 1}]})
    # A path's first year may come before the rules (a step function): it holds from the first.
    early = cbam.sweep(rows, "eu-cbam", vary={"certificate_price_eur": [{2020: 100}, 100]})
    fees = early.totals.sort("path")["fee_eur"].to_list()
    assert fees[0] == fees[1] > 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extends": "uk-cbam"}, "'extends' cannot be overridden"),
        ({"source": "elsewhere.yaml"}, "'source' cannot be overridden"),
        ({"certificate_price_eur": None}, "'certificate_price_eur': null is not a value"),
        ({"rules_year": None}, "'rules_year': null is not a value"),
    ],
)
def test_an_override_that_would_change_nothing_is_refused(
    overrides: dict[str, object], message: str, tmp_path: Path
) -> None:
    # 'extends' in overrides was kept as a record and the parent never read; a null took the
    # regime's default without a word.
    with pytest.raises(cbam.ScenarioError, match=re.escape(f"overrides: {message}")):
        cbam.load_scenario("eu-cbam", overrides=overrides)
    (key, value), path = next(iter(overrides.items())), tmp_path / "child.yaml"
    yaml_value = "null" if value is None else value
    path.write_text(
        f"name: child\nextends: eu-cbam\noverrides:\n  {key}: {yaml_value}\n", encoding="utf-8"
    )
    with pytest.raises(cbam.ScenarioError, match=re.escape(f"child.yaml: overrides: {message}")):
        cbam.load_scenario(path)


def test_errors_name_the_file_that_made_them(tmp_path: Path) -> None:
    # The parent's error did not say which file named it; an unknown excluded group was found
    # only mid-run, without file or key; an override's error blamed the bundled file alone.
    orphan = tmp_path / "orphan.yaml"
    orphan.write_text("name: orphan\nextends: nothere.yaml\n", encoding="utf-8")
    with pytest.raises(cbam.ScenarioError, match=r"orphan\.yaml: extends: .*nothere\.yaml"):
        cbam.load_scenario(orphan)
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: typo\nextends: uk-cbam\nexcluded_origin_groups: [eu_27]\n", "utf-8")
    message = r"typo\.yaml: invalid scenario: excluded_origin_groups\.0: unknown country group"
    with pytest.raises(cbam.ScenarioError, match=message):
        cbam.load_scenario(typo)
    assert cbam.load_scenario(
        "uk-cbam", overrides={"excluded_origin_groups": ["EU27"]}
    ).excluded_origin_groups == ["eu27"]
    with pytest.raises(
        cbam.ScenarioError, match=r"eu-cbam\.yaml with the overrides given: invalid"
    ):
        cbam.load_scenario("eu-cbam", overrides={"de_minimis": 3})


def test_a_number_for_a_dated_design_parameter_is_its_whole_path() -> None:
    # charge.price: 100 gave a pydantic message naming DatedParameter[Annotated[...]] on a
    # design and a Python TypeError on the EU CBAM (whose design sets no charge.price).
    uk = cbam.resolve(cbam.load_scenario("uk-cbam", overrides={"charge.price": 100})).design
    assert [(v.start, v.value) for v in uk.charge.price.values] == [(dt.date(2027, 1, 1), 100.0)]
    assert uk.charge.price.values[0].reference.title.startswith("scenario override: charge.price")
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
    )
    swept = cbam.sweep(rows, "uk-cbam", vary={"charge.price": [100]}).totals["fee_eur"][0]
    fixed = cbam.compute(rows, cbam.load_scenario("uk-cbam", overrides={"charge.price": 100}))
    assert swept == pytest.approx(fixed["fee_eur"].sum(), rel=1e-12)
    for overrides in ({"charge.price": 60}, {"design": {"charge": {"price": 60}}}):
        eu = cbam.load_scenario("eu-cbam", overrides=overrides)  # its certificate price
        assert eu.certificate_price_eur == 60.0
    with pytest.raises(cbam.ScenarioError, match="threshold: Input should be a mapping of keys"):
        cbam.load_scenario("us-cca-2025", overrides={"design": {"threshold": 5}})


def test_a_new_regime_under_a_parents_design_changes_is_refused(tmp_path: Path) -> None:
    # The UK price list (GBP) of the parent was merged into us-cca-2025's design and read as
    # USD: EUR 40,683 for 27,429, without a word.
    (tmp_path / "uk-dearer.yaml").write_text(
        "name: uk-dearer\nextends: uk-cbam\ndesign: {charge: {price: {2028: 100}}}\n", "utf-8"
    )
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: uk-dearer.yaml\nregime: us-cca-2025\n", "utf-8")
    message = "child.yaml: regime: 'us-cca-2025' replaces 'uk-cbam' of the scenario it extends"
    with pytest.raises(cbam.ScenarioError, match=re.escape(message)):
        cbam.load_scenario(child)
    child.write_text("name: child\nextends: uk-dearer.yaml\nregime: UK-CBAM\n", "utf-8")
    assert cbam.load_scenario(child).regime == "uk-cbam"  # the same regime, however spelt
    child.write_text("name: child\nextends: uk-cbam\nregime: us-cca-2025\n", "utf-8")
    assert cbam.load_scenario(child).regime == "us-cca-2025"  # no design changes to carry


def test_one_quarter_of_a_price_path_changes_that_quarter_only() -> None:
    # 'certificate_price_eur.2026.2' after a number (or in a year the path gives by the year)
    # was refused: "give all four quarters".
    flat = {"certificate_price_eur": 70, "certificate_price_eur.2026.2": 80}
    assert cbam.load_scenario("eu-cbam", overrides=flat).certificate_price_eur == {
        2026: {1: 70.0, 2: 80.0, 3: 70.0, 4: 70.0},
        2027: 70.0,  # the later years keep the number, not the quarters' mean
    }
    path = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur.2029.3": 120})
    # EUR 110.9 from 2028 is the cited path's last step (rates/eu/certificate_price.yaml).
    assert isinstance(path.certificate_price_eur, dict)
    assert path.certificate_price_eur[2029] == {1: 110.9, 2: 110.9, 3: 120.0, 4: 110.9}
    assert path.certificate_price_eur[2030] == 110.9
    rows = pl.DataFrame(
        {
            "year": [2029] * 4 + [2031],
            "origin": ["TUR"] * 5,
            "cn_code": ["72071111"] * 5,
            "quantity_t": [1.0] * 5,
            "quarter": [1, 2, 3, 4, 1],
        }
    )
    prices = cbam.compute(rows, path)["certificate_price_eur"].to_list()
    assert prices == [110.9, 110.9, 120.0, 110.9, 110.9]


def test_an_excluded_origin_group_names_a_group_file(tmp_path: Path) -> None:
    # 'ldc' (an exemption's short name) passed load_scenario and failed mid-run with "no file
    # country_lists/ldc.csv"; a design's misspelt group loaded and failed the same way.
    with pytest.raises(
        cbam.ScenarioError, match=r"excluded_origin_groups\.0: unknown country group"
    ):
        cbam.load_scenario("eu-cbam", overrides={"excluded_origin_groups": ["ldc"]})
    uk = (Path(cbam.__file__).parents[1] / "rates/regimes/uk-cbam.yaml").read_text("utf-8")
    design = tmp_path / "mine.yaml"
    design.write_text(
        uk + "excluded_origin_groups:\n  eu_27:\n    reason: EU origin\n"
        "    reference: {title: t, href: ''}\n",
        "utf-8",
    )
    message = r"mine\.yaml: excluded_origin_groups: unknown country group\(s\) \['eu_27'\]"
    with pytest.raises(cbam.ScenarioError, match=message):
        cbam.load_scenario(design)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # A misspelt key of a dated value (or an end date, which dated values do not have) was
        # kept unread: the fee stayed as without it.
        (
            lambda price: price["values"][0].update(assumtion=True),
            "charge.price.values.0.assumtion: Extra inputs are not permitted",
        ),
        (
            lambda price: price["values"][0].update(until="2030-12-31"),
            "charge.price.values.0.until: Extra inputs are not permitted",
        ),
        (lambda price: price.update(growth_rate=0.06), "charge.price.growth_rate: Extra inputs"),
        # Two values from one day: the later silently won.
        (
            lambda price: price["values"].append(dict(price["values"][0], value=500)),
            "charge.price.values: two values from the same day: 2027-01-01; keep one",
        ),
    ],
    ids=["typo", "end-date", "parameter-key", "same-day"],
)
def test_a_dated_parameter_refuses_what_it_would_not_read(
    change: Any, message: str, tmp_path: Path
) -> None:
    design = yaml.safe_load((REGIMES / "uk-cbam.yaml").read_text("utf-8"))
    change(design["charge"]["price"])
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(design), "utf-8")
    with pytest.raises(cbam.ScenarioError, match=re.escape(message)):
        cbam.load_scenario(path)


def test_a_null_override_undoes_a_value_and_a_regime_override_is_checked(tmp_path: Path) -> None:
    # rules_year: null is how a child goes back to each row's own year: it was refused.
    assert (
        cbam.load_scenario("eu-cbam-rules-2026", overrides={"rules_year": None}).rules_year is None
    )
    # A regime set by override skipped the check a child file's regime: gets (GBP read as USD).
    parent = tmp_path / "p.yaml"
    parent.write_text("name: p\nextends: uk-cbam\ndesign: {currency: GBP}\n", "utf-8")
    with pytest.raises(cbam.ScenarioError, match="overrides: regime: 'us-cca-2025' replaces"):
        cbam.load_scenario(parent, overrides={"regime": "us-cca-2025"})
    # A three-part override of another parameter is no quarter of the price path.
    price_abroad = {"carbon_price_abroad": {"source": "table"}}
    assert cbam.load_scenario("eu-cbam", overrides=price_abroad).carbon_price_abroad.source == (
        "table"
    )


def test_a_users_rule_file_read_whole_refuses_keys_of_no_dated_parameter(tmp_path: Path) -> None:
    # Keys of an included file beside its values were dropped unread (the same key inline is
    # refused); bundled rule files keep sibling keys for {file, key} references.
    design = yaml.safe_load((REGIMES / "uk-cbam.yaml").read_text("utf-8"))
    price = dict(design["charge"]["price"], until="2030-01-01")
    (tmp_path / "price.yaml").write_text(yaml.safe_dump(price), "utf-8")
    design["charge"]["price"] = {"file": str(tmp_path / "price.yaml")}
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(design), "utf-8")
    with pytest.raises(cbam.ScenarioError, match=r"price\.yaml: keys \['until'\] are no part"):
        cbam.load_scenario(path)
    assert cbam.load_scenario("eu-cbam").regime == "eu-cbam"  # de_minimis.yaml's siblings


def test_an_override_reaches_into_a_list_entry_by_its_position() -> None:
    # 'exemptions.0.grace_years' replaced the list by a mapping ("Input should be a valid
    # list"); 'recycling.name' on a bundled plan threw the plan away.
    s = cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"exemptions.0.grace_years": 10})
    assert (s.exemptions[0].group, s.exemptions[0].grace_years) == ("ldc", 10)
    s = cbam.load_scenario(
        "eu-cbam-ldc-exempt", overrides={"exemptions.0.fee_share_charged": {2029: 0.5}}
    )
    assert s.exemptions[0].fee_share_charged == {2029: 0.5}
    with pytest.raises(
        cbam.ScenarioError, match=r"3: a list entry is named by its position, 0 to 0"
    ):
        cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"exemptions.3.label": "x"})
    plan = cbam.load_scenario("eu-cbam-own-resources", overrides={"recycling.name": "mine"})
    bundled = cbam.load_scenario("eu-cbam-own-resources")
    assert plan.recycling is not None and bundled.recycling is not None
    assert plan.recycling.name == "mine"
    assert plan.recycling.allocations == bundled.recycling.allocations


def test_numpy_numbers_in_overrides_are_numbers() -> None:
    # A design's dump raised a raw PydanticSerializationError on np.int64.
    import numpy as np

    numpy = cbam.load_scenario("uk-cbam", overrides={"charge.price.2030": np.int64(80)})
    plain = cbam.load_scenario("uk-cbam", overrides={"charge.price.2030": 80})
    assert numpy.model_dump() == plain.model_dump()


def test_an_entry_of_a_list_the_scenario_leaves_empty_is_refused_clearly() -> None:
    # 'exemptions: Input should be a valid list': the override had made it a mapping.
    with pytest.raises(cbam.ScenarioError, match=r"'exemptions.0.group': the list is empty"):
        cbam.load_scenario("eu-cbam", overrides={"exemptions.0.group": "ldc"})


def _factors(scenario: cbam.Scenario, years: list[int]) -> list[float]:
    from cbam._engine import year_table

    table = year_table(scenario).filter(pl.col("year").is_in(years)).unique("year")
    return table.sort("year")["cbam_factor"].to_list()


def test_both_spellings_of_a_cbam_factor_set_one_schedule(tmp_path: Path) -> None:
    # charge.cbam_factor.2031 on a scenario with its own cbam_factor schedule was dropped (the
    # schedule replaced the design's values whole), and cbam_factor.2030 in a child dropped a
    # parent's charge.cbam_factor.2031. Cited 2030-2032: 0.515, 0.39, 0.265 (rates/eu).
    phaseout = cbam.load_scenario(
        "eu-cbam-phaseout-2038", overrides={"charge.cbam_factor.2031": 0.2}
    )
    assert _factors(phaseout, [2030, 2031, 2032]) == [0.59, 0.2, 0.375]
    parent = tmp_path / "parent.yaml"
    parent.write_text("extends: eu-cbam\nname: p\noverrides: {charge.cbam_factor.2031: 0.3}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: c\noverrides: {cbam_factor.2030: 0.6}\n")
    assert _factors(cbam.load_scenario(child), [2030, 2031, 2032]) == [0.6, 0.3, 0.265]
    # A child's own schedule is its whole path: the parent's design values give way to it.
    whole = tmp_path / "whole.yaml"
    whole.write_text("extends: parent.yaml\nname: b\ncbam_factor: {2026: 0.975, 2030: 0.5}\n")
    assert _factors(cbam.load_scenario(whole), [2030, 2031, 2032]) == [0.5, 0.5, 0.5]


def test_a_factor_schedule_that_leaves_early_rules_years_without_one_is_refused(
    tmp_path: Path,
) -> None:
    # It loaded, then every 2026 row failed as invalid import data ('no CBAM factor').
    late = tmp_path / "late.yaml"
    late.write_text("extends: eu-cbam\nname: late\ncbam_factor: {2030: 0.3}\n")
    with pytest.raises(cbam.ScenarioError, match=r"late.yaml: cbam_factor .* starts in 2030"):
        cbam.load_scenario(late)
    late.write_text("extends: eu-cbam\nname: late\nrules_year: 2031\ncbam_factor: {2030: 0.3}\n")
    assert cbam.load_scenario(late).cbam_factor == {2030: 0.3}


def test_a_factor_dated_mid_year_is_refused_when_the_scenario_loads() -> None:
    # Refused only when fees were computed, naming the regime rather than the overrides.
    with pytest.raises(cbam.ScenarioError, match=r"overrides given.*2030-07-01 would take"):
        cbam.load_scenario("eu-cbam", overrides={"charge.cbam_factor.2030-07-01": 0.3})


@pytest.mark.parametrize(
    ("text", "overrides"),
    [
        ("certificate_price_eur: {2026: 80, 2030: 100, '2030': 120}", None),
        ("regime: uk-cbam\ndesign: {charge: {price: {2030: 100, 2030-01-01: 120}}}", None),
        ("", {"certificate_price_eur": {2030: 100, "2030": 120}}),
        ("regime: uk-cbam", {"charge.price": {2030: 100, "2030-01-01": 120}}),
    ],
)
def test_one_date_spelt_twice_in_a_mapping_is_refused(
    text: str, overrides: dict[str, object] | None, tmp_path: Path
) -> None:
    # The last spelling won (EUR 120 in 2030), unsaid.
    path = tmp_path / "twice.yaml"
    path.write_text(f"name: twice\n{text}\n", encoding="utf-8")
    with pytest.raises(cbam.ScenarioError, match=r"duplicate key|name the same key"):
        cbam.load_scenario(path, overrides=overrides)


@pytest.mark.parametrize(
    ("name", "overrides", "refused"),
    [
        (
            "us-cca-2025",
            {"carbon_price_abroad": {"path": {"CHN": {"currency": "EUR", "values": {2026: 50}}}}},
            "gives no relief for a carbon price paid abroad",
        ),
        ("us-fpf-2025", {"de_minimis": False}, "has no threshold to switch off"),
    ],
)
def test_an_option_the_regime_never_reads_is_refused(
    name: str, overrides: dict[str, object], refused: str
) -> None:
    # Accepted, and no fee changed: the CCA showed the price paid and deducted nothing.
    with pytest.raises(cbam.ScenarioError, match=refused):
        cbam.load_scenario(name, overrides=overrides)


def test_a_childs_factor_schedule_or_design_dates_meet_the_parents_other_spelling(
    tmp_path: Path,
) -> None:
    # Refused ('given both ways') though the child cannot unset what its parent set.
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        "extends: eu-cbam\nname: p\ndesign: {charge: {cbam_factor: {2026: 0.975, 2030: 0.5}}}\n"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: c\ncbam_factor: {2026: 0.9}\n")
    assert _factors(cbam.load_scenario(child), [2026, 2030, 2031]) == [0.9, 0.9, 0.9]
    dates = tmp_path / "dates.yaml"
    dates.write_text(
        "extends: eu-cbam-phaseout-2038\nname: d\ndesign: {charge: {cbam_factor: {2030: 0.4}}}\n"
    )
    # eu-cbam-phaseout-2038: 2029 0.81, 2031 0.48 kept; 2030 set.
    assert _factors(cbam.load_scenario(dates), [2029, 2030, 2031]) == [0.81, 0.4, 0.48]


@pytest.mark.parametrize(
    "mapping",
    ["design: {charge: {price: {2030: 100, 2030.0: 120}}}", "clinker_share: {true: 1, 1: 2}"],
)
def test_equal_yaml_keys_of_other_types_are_refused(mapping: str, tmp_path: Path) -> None:
    path = tmp_path / "eq.yaml"
    path.write_text(f"extends: uk-cbam\nname: eq\n{mapping}\n")
    with pytest.raises(cbam.ScenarioError, match="duplicate key"):
        cbam.load_scenario(path)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("eu-cbam", {"certificate_price_eur.2030": 100, "certificate_price_eur": {2030: 120}}),
        ("eu-cbam", {"cbam_factor.2030": 0.5, "charge.cbam_factor.2030": 0.4}),
        ("uk-cbam", {"charge.price.2030": 1, "design.charge.price.2030-01-01": 2}),
    ],
)
def test_two_overrides_of_one_value_are_refused(name: str, overrides: dict[str, object]) -> None:
    # The later replaced the earlier, unsaid (EUR 120 in 2030).
    with pytest.raises(cbam.ScenarioError, match=r"both set .*give it once"):
        cbam.load_scenario(name, overrides=overrides)


def test_a_whole_path_and_a_later_year_are_two_values() -> None:
    # The documented form: EUR 70, then 120 from 2030.
    scenario = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 70, "certificate_price_eur.2030": 120}
    )
    assert scenario.certificate_price_eur == {2026: 70.0, 2030: 120.0}


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("eu-cbam-rules-2026", {"certificate_price_eur.2030": 200}),
        ("uk-cbam", {"rules_year": 2027, "charge.price.2030": 100}),
    ],
)
def test_an_override_dated_after_a_fixed_rules_year_is_refused(
    name: str, overrides: dict[str, object]
) -> None:
    # It loaded and changed no row: every row reads the fixed year's rules.
    with pytest.raises(cbam.ScenarioError, match="it would never apply"):
        cbam.load_scenario(name, overrides=overrides)
    kept = {**overrides, "rules_year": 2030}
    assert cbam.load_scenario(name, overrides=kept).rules_year == 2030
