"""The resolve step: models validate without reading files; ``cbam.resolve`` checks the rest."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import polars as pl
import pytest

import cbam
from cbam import Scenario


def test_models_validate_without_opening_a_file() -> None:
    # In a fresh interpreter: read a scenario and a design as raw mappings first, then
    # validate them with every file open refused (an audit hook) and the data readers unused.
    script = textwrap.dedent(
        """
        import sys
        import cbam
        from cbam._carbon_prices import fx_table
        from cbam._countries import iso3_codes
        from cbam._design import Design, regime_path
        from cbam._yaml import read_yaml_mapping

        uk = cbam.load_scenario("uk-cbam")
        raw = uk.model_dump()
        design = read_yaml_mapping(regime_path("uk-cbam", None))
        readers = (fx_table, iso3_codes)
        for reader in readers:
            reader.cache_clear()

        def refuse(event, args):
            if event == "open":
                raise RuntimeError(f"opened {args[0]}")

        sys.addaudithook(refuse)
        cbam.Scenario.model_validate({**raw, "clinker_share": {"99999999": 0.5}})
        Design.model_validate(design)
        assert all(r.cache_info().currsize == 0 for r in readers)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_resolve_checks_a_scenario_built_directly() -> None:
    # The model takes an unknown clinker heading (it reads no heading list); resolving names it.
    # rates/eu/clinker_share.yaml lists the cement headings 2523 21 00 ... 2523 90 00.
    scenario = Scenario(name="x", clinker_share={"72071111": 0.5})
    with pytest.raises(cbam.ScenarioError, match=r"scenario 'x': invalid scenario: clinker_share"):
        cbam.resolve(scenario)
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    )
    with pytest.raises(cbam.ScenarioError, match="clinker_share applies to the clinker-based"):
        cbam.compute(rows, scenario)


def test_resolve_gives_the_regime() -> None:
    # rates/regimes/uk-cbam.yaml: rules from 2027; rates/eu/regime.yaml: from 2026, EU27 and
    # the Annex III countries outside the EU CBAM.
    uk = cbam.resolve(Scenario(name="uk", regime="UK-CBAM"))  # a name in any case
    assert uk.design.name == "uk-cbam" and uk.design.charge.kind == "per_tonne"
    assert uk.rules_years[0] == 2027
    # The EU CBAM is a design like any other (rates/regimes/eu-cbam.yaml): the certificate
    # price file and no price of its own, rules from 2026, the 50 t de minimis of Art. 2(3a).
    eu = cbam.resolve(Scenario(name="eu"))
    assert (eu.design.name, eu.design.currency, eu.design.charge.kind) == (
        "eu-cbam",
        "EUR",
        "benchmark",
    )
    assert eu.design.charge.price is None and eu.design.charge.certificate_price is not None
    assert (eu.design.first_rules_year, eu.design.last_rules_year) == eu.rules_years == (2026, 2100)
    assert eu.design.carbon_price_relief and eu.design.threshold is not None
    assert eu.design.threshold.basis == "mass"
    assert eu.design.threshold.amount.values[0].value == 50.0
    assert list(eu.design.excluded_origin_groups) == [
        "eu27",
        "eu_customs_territory_other",
        "eu_cbam_annex_iii",
    ]
    assert eu.origin_groups == ("eu27", "eu_customs_territory_other", "eu_cbam_annex_iii")
    mine = cbam.resolve(Scenario(name="uk", regime="uk-cbam", excluded_origin_groups=["eu27"]))
    assert mine.origin_groups == ("eu27",)
    assert cbam.resolve(Scenario(name="uk", regime="uk-cbam")) is cbam.resolve(
        Scenario(name="uk", regime="uk-cbam")
    )  # once per distinct scenario


def test_resolve_refuses_what_the_regime_does_not_have() -> None:
    with pytest.raises(cbam.ScenarioError, match="rules_year must be between 2027 and"):
        cbam.resolve(Scenario(name="uk", regime="uk-cbam", rules_year=2026))
    with pytest.raises(cbam.ScenarioError, match="cbam_factor apply to the EU CBAM's charge only"):
        cbam.resolve(Scenario(name="uk", regime="uk-cbam", cbam_factor={2027: 0.5}))
    # The EU CBAM is a design too: its changes are checked as any design's.
    with pytest.raises(cbam.ScenarioError, match="no exchange rate for currency 'XXX'"):
        cbam.resolve(Scenario(name="eu", design={"currency": "XXX"}))
