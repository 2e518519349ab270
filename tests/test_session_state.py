"""One long session: the files a scenario reads are edited, the folder changes, and each run
reads them as they are now (``cbam/_files.py``), never a copy kept from an earlier call."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import cbam

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = pl.DataFrame(
    {
        "year": [2027, 2027],
        "origin": ["CHN", "IND"],
        "cn_code": ["72081000", "25232900"],
        "quantity_t": [1000.0, 200.0],
    }
)


def reasons(scenario: cbam.Scenario) -> list[str | None]:
    return cbam.compute(IMPORTS, scenario)["exemption_reason"].to_list()


def test_an_edited_group_file_is_read_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "extends: eu-cbam\nname: mine\ndescription: x\nexemptions:\n  - group: grp.csv\n"
    )
    (tmp_path / "grp.csv").write_text("iso3\nCHN\n")
    assert reasons(cbam.load_scenario("s.yaml")) == ["grp", None]
    (tmp_path / "grp.csv").write_text("iso3\nIND\n")  # same size, within the same second
    assert reasons(cbam.load_scenario("s.yaml")) == [None, "grp"]
    (tmp_path / "grp.csv").write_text("iso3\nZZZ\n")
    with pytest.raises(cbam.ScenarioError, match=r"line 2: iso3 'ZZZ'"):
        cbam.compute(IMPORTS, cbam.load_scenario("s.yaml"))


def test_a_relative_group_path_reads_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder, code in (("a", "CHN"), ("b", "IND")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "grp.csv").write_text(f"iso3\n{code}\n")
    overrides = {"exemptions": [{"group": "grp.csv"}]}
    monkeypatch.chdir(tmp_path / "a")
    assert reasons(cbam.load_scenario("eu-cbam", overrides=overrides)) == ["grp", None]
    monkeypatch.chdir(tmp_path / "b")
    assert reasons(cbam.load_scenario("eu-cbam", overrides=overrides)) == [None, "grp"]


def test_an_edited_design_file_is_read_as_it_is_now(tmp_path: Path) -> None:
    template = (ROOT / "rates/regimes/templates/flat-border-fee.yaml").read_text()
    design = tmp_path / "my-design.yaml"
    design.write_text(template)
    steel = IMPORTS.head(1)
    before = cbam.compute(steel, str(design))["fee_eur"][0]
    design.write_text(template.replace("value: 65", "value: 130"))  # EUR 65/t -> 130/t
    assert cbam.compute(steel, str(design))["fee_eur"][0] == pytest.approx(2 * before)


def test_an_edited_weights_file_is_read_as_it_is_now(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "extends: eu-cbam\nname: w\ndescription: x\naggregation_weights: w.csv\n"
    )
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["76"], "quantity_t": [300.0]}
    )
    fees = []
    for weights in ("76011010,1\n76041010,0\n", "76011010,0\n76041010,1\n"):
        (tmp_path / "w.csv").write_text("cn_code,weight\n" + weights)
        fees.append(cbam.compute(rows, cbam.load_scenario(str(tmp_path / "s.yaml")))["fee_eur"][0])
    # All weight on one code, then on the other: the fees of those codes alone.
    alone = [
        cbam.compute(rows.with_columns(cn_code=pl.lit(c)), "eu-cbam")["fee_eur"][0]
        for c in ("76011010", "76041010")
    ]
    assert fees == pytest.approx(alone)
    assert fees[0] != pytest.approx(fees[1])


def test_a_scenario_changed_in_place_is_validated_again() -> None:
    scenario = cbam.load_scenario("eu-cbam")
    scenario.clinker_share["25232100"] = -3.0  # frozen, but its mapping is not
    with pytest.raises(cbam.ScenarioError, match=r"changed since it was loaded.*clinker_share"):
        cbam.compute(IMPORTS, scenario)


def test_a_link_pointed_at_another_file_is_read_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("iso3\nCHN\n")
    (tmp_path / "b.csv").write_text("iso3\nIND\n")
    link = tmp_path / "grp.csv"
    link.symlink_to("a.csv")
    overrides = {"exemptions": [{"group": "grp.csv"}]}
    assert reasons(cbam.load_scenario("eu-cbam", overrides=overrides)) == ["grp", None]
    link.unlink()
    link.symlink_to("b.csv")  # a.csv itself unchanged
    assert reasons(cbam.load_scenario("eu-cbam", overrides=overrides)) == [None, "grp"]


def test_a_group_file_made_beside_the_scenario_later_takes_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Looked for beside the scenario, then in the current folder: the one beside it, once
    # there, is the one read, whatever an earlier call found.
    folder = tmp_path / "sc"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "grp.csv").write_text("iso3\nIND\n")
    (folder / "s.yaml").write_text(
        "extends: eu-cbam\nname: s\ndescription: x\nexemptions:\n  - group: grp.csv\n"
    )
    scenario = cbam.load_scenario(str(folder / "s.yaml"))
    assert reasons(scenario) == [None, "grp"]
    (folder / "grp.csv").write_text("iso3\nCHN\n")
    assert reasons(scenario) == ["grp", None]


def test_a_design_named_through_a_link_follows_the_link(tmp_path: Path) -> None:
    template = (ROOT / "rates/regimes/templates/flat-border-fee.yaml").read_text()
    (tmp_path / "d65.yaml").write_text(template)
    (tmp_path / "d130.yaml").write_text(template.replace("value: 65", "value: 130"))
    link = tmp_path / "design.yaml"
    link.symlink_to("d65.yaml")
    steel = IMPORTS.head(1)
    before = cbam.compute(steel, str(link))["fee_eur"][0]
    link.unlink()
    link.symlink_to("d130.yaml")
    assert cbam.compute(steel, str(link))["fee_eur"][0] == pytest.approx(2 * before)


def test_lookups_for_many_clinker_shares_are_not_all_kept() -> None:
    from cbam import _engine

    cement = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["25232100"], "quantity_t": [10.0]}
    )
    for i in range(6):
        share = {"clinker_share.25232100": 0.5 + i / 100}
        cbam.compute(cement, cbam.load_scenario("eu-cbam", overrides=share))
    assert _engine._lookups.cache_info().currsize <= 4  # some 20 MB each
