"""Scenario files: bundled names, extends, overrides by dotted path."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import cbam


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
    assert scenario.origin_groups == ["eu27", "eu_cbam_annex_iii"]


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
