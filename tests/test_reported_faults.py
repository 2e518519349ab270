"""Faults found by review (2026-12-04), each tested at the mechanism that had it.

* lenient mode: a flagged row keeps its shared input column as a number or null
  (``cbam._pipeline``), and a row whose fee overflows is flagged before any threshold sums it
  (``cbam._engine.overflow_check`` reads ``_gross``);
* import shares count the regime's imports only (``cbam._engine._relief``);
* codes are upper-cased only where ASCII (``cbam._countries.upper_ascii``);
* overrides apply in an order of their own (``cbam._scenario._in_order``); prices are capped
  (``cbam._parameters.Price``); a design fault names the override as written, a parent's fault
  the parent file (``cbam._resolve._blamed``);
* group files of the user's in ``excluded_origin_groups``; shipped ``data/`` and
  ``country_lists/`` paths read anywhere (``cbam._interop.a_file``, ``group_members``);
* ``totals`` over importers whose amounts are not whole units, or whose key sums are huge,
  still equals ``summarise(compute(...))`` (``cbam._totals._rounds_alike``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cbam
from cbam._errors import CbamInputError, ScenarioError
from cbam._interop import misread_line
from cbam._recycling import load_plan, plans_dir
from cbam._resources import data_dir
from cbam._trade_formats import blank_lines
from cbam.cli import main


def _rows(**columns: Sequence[object]) -> pl.DataFrame:
    return pl.DataFrame({k: list(v) for k, v in columns.items()}, strict=False)


class TestLenientMode:
    def test_text_in_the_price_paid_column_is_a_flagged_row_not_a_traceback(self) -> None:
        frame = _rows(
            year=[2026, 2026, 2026],
            origin=["TUR", "XYZ", "CHN"],
            cn_code=["72071111", "72071111", "72081000"],
            quantity_t=[100.0, 10.0, 60.0],
            carbon_price_paid_eur_per_t=[None, "abc", "5"],
        )
        out = cbam.compute(frame, "eu-cbam", on_error="flag")
        assert out.height == 3
        assert out["carbon_price_paid_eur_per_t"].to_list() == [0.0, None, 5.0]
        assert "carbon_price_paid_eur_per_t: not a number" in out["input_error"][1]
        good = cbam.compute(frame.filter(pl.col("origin") != "XYZ"), "eu-cbam")
        assert out["fee_eur"].drop_nulls().to_list() == good["fee_eur"].to_list()

    def test_a_flagged_row_keeps_a_padded_price_paid_as_its_number(self) -> None:
        frame = _rows(
            year=[2026, 2026],
            origin=["TUR", "XYZ"],
            cn_code=["72071111"] * 2,
            quantity_t=[10.0, 10.0],
            carbon_price_paid_eur_per_t=[" 12 ", " 12 "],
        )
        for out in (
            cbam.compute(frame, "eu-cbam", on_error="flag"),
            cbam.compute(frame.lazy(), "eu-cbam", on_error="flag").collect(engine="streaming"),
        ):
            assert out["carbon_price_paid_eur_per_t"].to_list() == [12.0, 12.0]
            assert out["input_error"][1].startswith("origin: unknown")

    @pytest.mark.parametrize(
        "bad",
        [
            {"quantity_t": 1e308},
            {"quantity_t": 100.0, "route": "C", "see_direct": 1e307, "see_indirect": 0.0},
        ],
    )
    def test_a_row_whose_fee_overflows_counts_towards_no_importer(
        self, bad: dict[str, object]
    ) -> None:
        # Reg. 2023/956 Art. 2(3a): 20 + 10 t is under the 50 t de minimis, so both good rows
        # owe nothing once the flagged row counts nowhere (docs/guide/exemptions.md).
        row = {"route": None, "see_direct": None, "see_indirect": None, **bad}
        frame = pl.DataFrame(
            [
                {"quantity_t": 20.0, "route": None, "see_direct": None, "see_indirect": None},
                row,
                {"quantity_t": 10.0, "route": None, "see_direct": None, "see_indirect": None},
            ]
        ).with_columns(
            year=2026, origin=pl.lit("TUR"), cn_code=pl.lit("72071111"), importer=pl.lit("A")
        )
        out = cbam.compute(frame, "eu-cbam", on_error="flag")
        assert "too large" in out["input_error"][1]
        assert out["importer_annual_t"].to_list() == [30.0, None, 30.0]
        assert out["fee_eur"].to_list() == [0.0, None, 0.0]
        assert cbam.totals(frame, "eu-cbam", by=[], on_error="flag")["fee_eur"].to_list() == [0.0]


class TestImportShare:
    def test_rows_from_inside_the_regime_are_no_share_of_its_imports(self, tmp_path: Path) -> None:
        # Reg. 2023/956 Art. 2(1): goods originating in a third country. Mozambique supplies
        # all the third-country imports of this code, above a 60 % cap: charged.
        path = tmp_path / "share.yaml"
        path.write_text(
            "extends: eu-cbam\nname: share\nexemptions: [{group: ldc, max_import_share: 0.6}]\n"
        )
        frame = _rows(
            year=[2027] * 3,
            origin=["MOZ", "FRA", "NOR"],
            cn_code=["76011010"] * 3,
            quantity_t=[10.0, 10.0, 10.0],
            destination=["DEU"] * 3,
        )
        out = cbam.compute(frame, cbam.load_scenario(path))
        assert out["origin_import_share"].to_list() == [1.0, None, None]
        assert out["exemption_reason"][0] is None
        assert out["fee_eur"][0] > 0


class TestCodes:
    @pytest.mark.parametrize("origin", ["\u017fEN", "\u0131TA", "\u017fen"])
    def test_letters_upper_cased_to_ascii_are_unknown_codes(self, origin: str) -> None:
        frame = _rows(year=[2026], origin=[origin], cn_code=["76011010"], quantity_t=[100.0])
        with pytest.raises(CbamInputError, match="unknown ISO 3166-1 alpha-3"):
            cbam.compute(frame, "eu-cbam-ldc-exempt")
        out = cbam.compute(frame, "eu-cbam-ldc-exempt", on_error="flag")
        assert out["exemption_reason"][0] is None and out["fee_eur"][0] is None

    def test_ascii_codes_are_still_read_in_any_case(self) -> None:
        frame = _rows(year=[2026], origin=[" sen "], cn_code=["76011010"], quantity_t=[100.0])
        out = cbam.compute(frame, "eu-cbam-ldc-exempt")
        assert out["exemption_reason"][0] == "UN least developed country"


class TestOverrides:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"certificate_price_eur": 70, "certificate_price_eur.2030": 120},
            {"certificate_price_eur.2030": 120, "certificate_price_eur": 70},
        ],
    )
    def test_a_whole_path_and_a_year_give_one_scenario_in_either_order(
        self, overrides: dict[str, object]
    ) -> None:
        # docs/guide/scenarios.md: EUR 70, then 120 from 2030, whichever key comes first.
        frame = _rows(
            year=[2028, 2030, 2031],
            origin=["TUR"] * 3,
            cn_code=["72071111"] * 3,
            quantity_t=[1.0] * 3,
        )
        prices = cbam.compute(frame, cbam.load_scenario("eu-cbam", overrides=overrides))
        assert prices["certificate_price_eur"].to_list() == [70.0, 120.0, 120.0]

    @pytest.mark.parametrize(
        "overrides",
        [
            {"charge.price": 80, "charge.price.2029": 100},
            {"charge.price.2029": 100, "charge.price": 80},
        ],
    )
    def test_a_design_path_and_a_date_give_one_design_in_either_order(
        self, overrides: dict[str, object]
    ) -> None:
        frame = _rows(
            year=[2027, 2029], origin=["TUR"] * 2, cn_code=["72071111"] * 2, quantity_t=[1.0] * 2
        )
        out = cbam.compute(frame, cbam.load_scenario("uk-cbam", overrides=overrides))
        # GBP 80, then GBP 100 from 2029: the fee in pounds per certificate.
        assert (out["fee_local"] / out["certificates"]).round(9).to_list() == [80.0, 100.0]

    def test_a_quarter_and_its_year_give_one_schedule_in_either_order(self) -> None:
        frame = _rows(
            year=[2030, 2030, 2031],
            quarter=[1, 3, 1],
            origin=["TUR"] * 3,
            cn_code=["72071111"] * 3,
            quantity_t=[1.0] * 3,
        )
        got = set()
        for overrides in (
            {"certificate_price_eur.2030.3": 200, "certificate_price_eur": {2030: 120}},
            {"certificate_price_eur": {2030: 120}, "certificate_price_eur.2030.3": 200},
        ):
            out = cbam.compute(frame, cbam.load_scenario("eu-cbam", overrides=overrides))
            got.add(tuple(out["certificate_price_eur"].to_list()))
        assert got == {(120.0, 200.0, 120.0)}

    def test_one_cbam_factor_is_that_factor_in_every_year(self) -> None:
        frame = _rows(
            year=[2026, 2030], origin=["TUR"] * 2, cn_code=["72071111"] * 2, quantity_t=[1.0] * 2
        )
        alone = cbam.compute(frame, cbam.load_scenario("eu-cbam", overrides={"cbam_factor": 0.5}))
        # Not the reform shape {2026: 0.5}, which changes 2026 and keeps the cited 2030 factor.
        assert alone["cbam_factor"].to_list() == [0.5, 0.5]
        assert alone["free_allocation_t"][0] == alone["free_allocation_t"][1]

    @pytest.mark.parametrize(
        ("name", "overrides", "key"),
        [
            ("eu-cbam", {"certificate_price_eur.2030": 1e307}, "certificate_price_eur.2030"),
            ("uk-cbam", {"charge.price.2029": 1e308}, "charge.price.2029"),
        ],
    )
    def test_a_price_that_only_overflows_fees_is_refused_at_load(
        self, name: str, overrides: dict[str, object], key: str
    ) -> None:
        with pytest.raises(ScenarioError, match=rf"{key}: Input should be less than or equal"):
            cbam.load_scenario(name, overrides=overrides)

    def test_a_bad_design_value_names_the_key_the_user_wrote(self, tmp_path: Path) -> None:
        path = tmp_path / "neg.yaml"
        path.write_text("extends: uk-cbam\nname: n\noverrides: {threshold.amount.2028: -5}\n")
        with pytest.raises(ScenarioError) as caught:
            cbam.load_scenario(path)
        assert "threshold.amount.2028: Input should be greater than or equal to 0" in str(
            caught.value
        )
        assert "values.1" not in str(caught.value)


class TestParentFaults:
    @pytest.mark.parametrize(
        "parent",
        [
            "extends: eu-cbam\nname: p\nfoo: 1\n",
            "extends: uk-cbam\nname: p\noverrides: {charge.price.2029: -1}\n",
        ],
    )
    def test_a_fault_of_a_parent_is_named_in_the_parent(self, tmp_path: Path, parent: str) -> None:
        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "parent.yaml").write_text(parent)
        (tmp_path / "child.yaml").write_text("extends: bad/parent.yaml\nname: c\n")
        with pytest.raises(ScenarioError) as caught:
            cbam.load_scenario(tmp_path / "child.yaml")
        message = str(caught.value)
        assert message.startswith(f"{tmp_path / 'child.yaml'}: extends: ")
        assert f"{tmp_path / 'bad' / 'parent.yaml'}: invalid scenario: " in message

    def test_a_fault_of_the_child_is_named_in_the_child(self, tmp_path: Path) -> None:
        (tmp_path / "parent.yaml").write_text("extends: eu-cbam\nname: p\n")
        (tmp_path / "child.yaml").write_text("extends: parent.yaml\nname: c\nfoo: 2\n")
        with pytest.raises(ScenarioError) as caught:
            cbam.load_scenario(tmp_path / "child.yaml")
        assert str(caught.value).startswith(f"{tmp_path / 'child.yaml'}: invalid scenario: foo")


class TestGroupFiles:
    def test_an_excluded_origin_group_may_be_a_file_of_ones_own(self, tmp_path: Path) -> None:
        (tmp_path / "partners.csv").write_text("iso3\nTUR\n")
        path = tmp_path / "own.yaml"
        path.write_text("extends: uk-cbam\nname: g\nexcluded_origin_groups: [partners.csv, eu27]\n")
        frame = _rows(
            year=[2027] * 3,
            origin=["TUR", "FRA", "IND"],
            cn_code=["72071111"] * 3,
            quantity_t=[1000.0] * 3,
            value_eur=[1e6] * 3,
        )
        out = cbam.compute(frame, cbam.load_scenario(path))
        assert out["exemption_reason"].to_list() == [
            "excluded origin group 'partners'",
            "excluded origin group 'eu27'",
            None,
        ]
        assert out["fee_eur"][2] > 0

    def test_a_missing_excluded_group_file_is_told_at_load(self, tmp_path: Path) -> None:
        path = tmp_path / "own.yaml"
        path.write_text("extends: uk-cbam\nname: g\nexcluded_origin_groups: [nothere.csv]\n")
        with pytest.raises(ScenarioError, match=r"excluded_origin_groups\.0: country group file"):
            cbam.load_scenario(path)

    def test_shipped_paths_read_from_any_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # docs/guide/data-formats.md: the sample's 621 rows; an exemption of a shipped group.
        monkeypatch.chdir(tmp_path)
        rows = cbam.read_trade("data/samples/baci_sample.csv", format="baci").collect()
        assert rows.height == 621
        path = tmp_path / "sids.yaml"
        path.write_text(
            "extends: eu-cbam\nname: s\nexemptions:\n  - group: country_lists/un_sids_members.csv\n"
        )
        frame = _rows(year=[2026], origin=["FJI"], cn_code=["72071111"], quantity_t=[10.0])
        out = cbam.compute(frame, cbam.load_scenario(path))
        assert out["exempt"].to_list() == [True]


class TestTotalsOverImporters:
    @pytest.mark.parametrize(
        "quantities",
        [
            [0.1234567, 20.7654321, 40.0000001, 0.3333333],  # finer than the gram
            [3e8, 2e8, 30.0, 25.0],  # key sums too large to show they round alike
        ],
    )
    def test_totals_equal_the_rows_priced_one_by_one(self, quantities: list[float]) -> None:
        frame = _rows(
            year=[2026] * 4,
            origin=["TUR"] * 4,
            cn_code=["72071111"] * 4,
            quantity_t=quantities,
            value_eur=[1000.0] * 4,
            importer=["A", "A", "B", "B"],
        )
        for by in (["origin", "sector"], ["importer"], []):
            expected = cbam.summarise(cbam.compute(frame, "eu-cbam"), by=by)
            assert_frame_equal(cbam.totals(frame, "eu-cbam", by=by), expected)


class TestArticle9:
    def test_the_deduction_is_at_most_the_certificates_due(self) -> None:
        # Reg. 2023/956 Art. 9(1) reduces the certificates to be surrendered: 2028 grey clinker
        # from China, 180.7 t embedded less 59.94 t of free allocation leaves 120.76 t, all of it
        # relieved by a price of EUR 200 paid abroad (above the EUR 110.90 certificate price).
        frame = _rows(
            year=[2028, 2026],
            origin=["CHN", "GBR"],
            cn_code=["25231000", "72081000"],
            route=["A", None],
            quantity_t=[100.0, 10.0],
            carbon_price_paid_eur_per_t=[200.0, None],
            importer=["I1", "I2"],
        )
        out = cbam.compute(frame, "eu-cbam")
        china = out.row(0, named=True)
        assert china["deduction_t"] == pytest.approx(180.7 - 59.94)
        assert china["embedded_t"] - china["free_allocation_t"] - china["deduction_t"] == (
            pytest.approx(china["certificates"], abs=1e-9)
        )
        # The British importer's 10 t are under the 50 t de minimis: exempt, relieved of nothing.
        summary = cbam.summarise(out, by=["origin"])
        assert summary["deduction_eur"].to_list() == pytest.approx([120.76 * 110.9, 0.0])
        assert_frame_equal(cbam.totals(frame, "eu-cbam", by=["origin"]), summary)


class TestSweepDesigns:
    rows = _rows(year=[2027], origin=["TUR"], cn_code=["7601"], quantity_t=[100.0], value_eur=[3e5])

    @pytest.mark.parametrize(
        ("base", "vary"),
        [
            ("uk-cbam", {"design.charge": [{"price": 10}, {"price": 100}]}),
            ("uk-cbam", {"charge": [{"price": 10}]}),
            ("uk-cbam", {"regime": ["uk-cbam", "us-cca-2025"]}),
            ("eu-cbam", {"regime": ["eu-cbam", "uk-cbam"]}),
        ],
    )
    def test_a_design_of_another_price_or_regime_is_refused(
        self, base: str, vary: dict[str, list[object]]
    ) -> None:
        # Each was priced at the base scenario's price, unsaid (GBP 54.40 for both prices).
        with pytest.raises(ScenarioError, match="changes the regime or its price"):
            cbam.sweep(self.rows, base, vary=vary)

    @pytest.mark.parametrize(
        ("argument", "message"),
        [
            ({"percentiles": 50}, "percentiles must be a list of numbers from 0 to 100, not 50"),
            (
                {"percentiles": "50"},
                "percentiles must be a list of numbers from 0 to 100, not '50'",
            ),
            ({"scheduler": 123}, "scheduler must be None, 'local', a scheduler address"),
        ],
    )
    def test_a_bad_argument_is_one_clear_error(
        self, argument: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ScenarioError, match=message):
            cbam.sweep(self.rows, "eu-cbam", **argument)  # type: ignore[arg-type]


class TestLookAlikeCodesEverywhere:
    def test_a_recycling_plan_refuses_look_alike_countries(self) -> None:
        plan = {
            "name": "test",
            "allocations": [
                {"pool": "A", "share": 1, "rule": "equal_per_country", "countries": ["\u017fen"]}
            ],
        }
        with pytest.raises(ScenarioError, match="unknown recipient country codes"):
            load_plan(plan)

    def test_read_trade_refuses_a_look_alike_origin(self, tmp_path: Path) -> None:
        path = tmp_path / "wide.csv"
        path.write_text("cn_code,tonnes_2026\n72071111,10\n")
        with pytest.raises(ScenarioError, match="not an ISO 3166-1 alpha-3 code"):
            cbam.read_trade(path, format="wide", origin="\u017fen", destination="EUU")


def test_a_value_threshold_rounds_each_row_as_the_engine_does() -> None:
    # The UK's GBP 50,000 importer threshold (rates/regimes/uk-cbam.yaml), met exactly in whole
    # pence only if each customs value is converted as the engine converts it (a row on half a
    # penny): exempt in both.
    rows = _rows(
        year=[2027] * 3,
        origin=["TUR", "TUR", "CHN"],
        cn_code=["72071111"] * 3,
        quantity_t=[1.0] * 3,
        value_eur=[2.63151135, 100.0, 58767.8769444],
        importer=["a"] * 3,
    )
    detailed = cbam.summarise(cbam.compute(rows, "uk-cbam"), by=[])
    assert detailed["fee_eur"].to_list() == [0.0]
    assert_frame_equal(cbam.totals(rows, "uk-cbam", by=[]), detailed)


def test_a_sweep_reads_one_cbam_factor_as_every_year() -> None:
    rows = _rows(year=[2026], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0])
    swept = cbam.sweep(rows, "eu-cbam", vary={"cbam_factor": [0.5]}).totals["fee_eur"]
    computed = cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides={"cbam_factor": 0.5}))
    assert swept.to_list() == pytest.approx(computed["fee_eur"].to_list())


def test_an_aggregate_counts_each_annex_i_code_once() -> None:
    # rates/eu/aggregation.yaml: the simple mean over the Annex I CN8 codes below the prefix.
    # Annex I lists 3102 10 10 once; the CN in force from 2026 splits it into 12, 15 and 19
    # (rates/eu/cn_successors.csv), whose mean is its value: 310210 is the mean of two codes.
    rows = _rows(
        year=[2026] * 3,
        origin=["CHN"] * 3,
        cn_code=["310210", "31021010", "31021090"],
        quantity_t=[1.0] * 3,
    )
    out = cbam.compute(rows, "eu-cbam")
    heading, split, other = out["see_t_per_t"].to_list()
    assert heading == pytest.approx((split + other) / 2, abs=1e-12)
    assert out["default_value_heading"].to_list()[:2] == [
        "mean of 2 CN8 codes",
        "mean of 3 CN8 codes",
    ]


class TestDesignChanges:
    def _load(self, tmp_path: Path, text: str) -> cbam.Scenario:
        path = tmp_path / "s.yaml"
        path.write_text(text)
        return cbam.load_scenario(path)

    def test_an_unknown_excluded_group_of_a_change_names_the_change(self, tmp_path: Path) -> None:
        text = (
            "regime: uk-cbam\nname: x\ndesign:\n  excluded_origin_groups:\n"
            '    eu28: {reason: r, reference: {title: t, href: "https://e.org"}}\n'
        )
        with pytest.raises(ScenarioError, match=r"with the scenario's changes \(excluded_origin"):
            self._load(tmp_path, text)

    def test_a_design_may_exclude_a_group_file_of_ones_own(self, tmp_path: Path) -> None:
        (tmp_path / "mine.csv").write_text("iso3\nFRA\n")
        text = (
            "regime: uk-cbam\nname: x\ndesign:\n  excluded_origin_groups:\n"
            '    mine.csv: {reason: mine, reference: {title: t, href: "https://e.org"}}\n'
        )
        frame = _rows(
            year=[2027], origin=["FRA"], cn_code=["72071111"], quantity_t=[10.0], value_eur=[1e6]
        )
        out = cbam.compute(frame, self._load(tmp_path, text))
        assert out.select("exemption_reason", "fee_eur").row(0) == ("mine", 0.0)

    @pytest.mark.parametrize(
        ("text", "empty"),
        [
            ("regime: uk-cbam\nname: x\ndesign:\n  home_origins: null\n", "home_origins"),
            ("extends: eu-cbam\nname: x\ndesign:\n  threshold: {excluded_sectors: null}\n", "x"),
        ],
    )
    def test_a_null_removes_a_design_key_to_its_default(
        self, tmp_path: Path, text: str, empty: str
    ) -> None:
        # docs/guide/scenarios.md: a null removes a design key.
        design = cbam.resolve(self._load(tmp_path, text)).design
        if empty == "home_origins":
            assert design.home_origins == []
        else:
            assert design.threshold is not None and design.threshold.excluded_sectors == []

    def test_an_unknown_sector_names_its_key(self, tmp_path: Path) -> None:
        with pytest.raises(ScenarioError, match="unknown sector 'steel' in sectors"):
            self._load(tmp_path, "regime: uk-cbam\nname: x\ndesign:\n  sectors: [steel]\n")


class TestRecyclingYears:
    @staticmethod
    def _fees(*years: int) -> pl.DataFrame:
        return _rows(origin=["TUR"] * len(years), year=list(years), fee_eur=[1000.0] * len(years))

    def test_the_decarbonisation_fund_takes_2026_2027_revenue_only(self) -> None:
        # policy-facts.md 1.12: the fund supports EU producers' 2026-2027 production, from 25 %
        # of the Member States' revenue (rates/recycling/eu-decarbonisation-fund.yaml).
        in_life = cbam.recycle(self._fees(2026), "eu-cbam", plan="eu-decarbonisation-fund")
        later = cbam.recycle(self._fees(2031), "eu-cbam", plan="eu-decarbonisation-fund")
        assert in_life.pools["amount_cents"].to_list() == [25_000, 75_000]
        # The fund keeps its place (allocation 1) and takes nothing of 2031's revenue.
        assert later.pools["amount_cents"].to_list() == [0, 100_000]
        assert later.balance["paid_cents"].sum() == later.total_cents

    def test_fees_of_years_inside_and_outside_are_refused(self) -> None:
        with pytest.raises(ScenarioError, match="takes the revenue of 2026-2027 only"):
            cbam.recycle(self._fees(2027, 2028), "eu-cbam", plan="eu-decarbonisation-fund")

    @pytest.mark.parametrize(
        ("allocations", "message"),
        [
            (
                [
                    {"pool": "A", "share": 0.5, "years": [2030, 2026]},
                    {"pool": "B", "share": 1, "of": "remainder"},
                ],
                "the first is after the last",
            ),
            (
                [{"pool": "A", "share": 0.5, "years": [2026, 2027]}, {"pool": "B", "share": 0.5}],
                "needs a later allocation of 'share: 1, of: remainder'",
            ),
        ],
    )
    def test_a_dated_allocation_is_checked_when_the_plan_loads(
        self, allocations: list[dict[str, object]], message: str
    ) -> None:
        with pytest.raises(ScenarioError, match=re.escape(message)):
            load_plan({"name": "test", "allocations": allocations})


class TestFileLines:
    """Review of 2026-12-07: a quoted field over several lines is one record of several lines;
    messages, ``source_line`` and the blank-line note name the file's own lines (``cat -n``)."""

    QUOTED = (
        "year,origin,cn_code,quantity_t,note\n"
        '2026,CHN,72071111,1,"a\nb\nc"\n'  # lines 2-4
        "\n"  # line 5
        "2026,XXX,72071111,1,x\n"  # line 6
        ",,,,\n"  # line 7
        "2026,CHN,72071111,-1,y\n"  # line 8
    )

    def test_cli_errors_and_notes_name_the_file_lines(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "q.csv"
        path.write_text(self.QUOTED, encoding="utf-8")
        assert main(["run", "--imports", str(path)]) != 0
        captured = capsys.readouterr()
        assert "skipped (line 5, 7)" in captured.out
        assert "negative: line 8 (-1)" in captured.err
        assert "unknown ISO 3166-1 alpha-3 code: line 6 (XXX)" in captured.err

    def test_read_trade_source_lines_and_blank_lines_follow_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "baci.csv"
        path.write_text(
            't,i,j,k,v,q,note\n2022,156,251,720711,5,2,"x\ny"\n\n2022,999,251,720711,5,2,z\n',
            encoding="utf-8",
        )
        rows = cbam.read_trade(path, "baci", on_error="flag", keep=["note"]).collect()
        assert rows["source_line"].to_list() == [2, 5]
        assert blank_lines(path) == [4]
        with pytest.raises(CbamInputError, match=r"unknown baci country code: line 5 \(999\)"):
            cbam.read_trade(path, "baci").collect()

    def test_a_ragged_line_after_a_quoted_break_is_named_by_its_line(self, tmp_path: Path) -> None:
        path = tmp_path / "rag.csv"
        path.write_text(
            'year,origin,cn_code,quantity_t,note\n2026,CHN,72071111,1,"a\nb"\n'
            "2026,CHN,72071111,1,x,EXTRA\n",
            encoding="utf-8",
        )
        assert misread_line(path) == "; line 4 has 6 fields, the header 5"

    def test_echoed_values_show_control_characters_escaped(self) -> None:
        frame = _rows(
            year=[2026, 2026],
            origin=["CH\nN", "\x1b[31mRED"],
            cn_code=["72071111"] * 2,
            quantity_t=[1.0, 1.0],
        )
        with pytest.raises(CbamInputError) as caught:
            cbam.compute(frame)
        message = str(caught.value)
        assert r"row 1 (CH\nN), row 2 (\x1b[31mRED)" in message
        assert "\x1b" not in message and len(message.splitlines()) == 2

    def test_an_excel_output_refuses_a_cell_excel_would_cut(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "big.csv"
        path.write_text(
            "year,origin,cn_code,quantity_t,note\n2026,CHN,72071111,1," + "N" * 40_000 + "\n",
            encoding="utf-8",
        )
        out = tmp_path / "big.xlsx"
        assert main(["run", "--imports", str(path), "--out", str(out)]) != 0
        assert "column 'note', row 1, holds 40,000 characters" in capsys.readouterr().err
        assert not out.exists()


class TestDesignNotes:
    def test_a_note_says_when_the_scenario_changes_what_it_is_about(self) -> None:
        def price_note(**kwargs: object) -> str:
            notes = cbam.resolve(cbam.load_scenario("uk-cbam", **kwargs)).design.notes  # type: ignore[arg-type]
            return next(n for n in notes if n.startswith("The price is the latest UK ETS"))

        assert price_note().endswith("the quarterly average the law uses.")
        changed = price_note(overrides={"charge.price": {"2028-01-01": 70}})
        assert changed.endswith("(this scenario changes charge.price)")
        other = price_note(overrides={"threshold.amount": {"2027-01-01": 1}})
        assert other.endswith("the quarterly average the law uses.")


class TestOnePriceKey:
    """Issue 16: one override shape for every regime; the EU CBAM's price by its design path."""

    def test_the_eu_price_is_set_by_charge_price_as_every_designs_is(self) -> None:
        wanted = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur.2030": 100})
        for overrides in (
            {"charge.price.2030": 100},
            {"charge.price": {"2030-01-01": 100}},
            {"charge.certificate_price.annual.2030": 100},
            {"charge.certificate_price.annual": {"2030": 100}},
            {"design.charge.price.2030": 100},
            {"certificate_price_eur.2030-01-01": 100},
        ):
            got = cbam.load_scenario("eu-cbam", overrides=overrides)
            assert got.certificate_price_eur == wanted.certificate_price_eur, overrides
        quarter = cbam.load_scenario(
            "eu-cbam", overrides={"charge.certificate_price.quarterly.2026.3": 90}
        )
        assert quarter.certificate_price_eur[2026] == {1: 75.36, 2: 75.28, 3: 90.0, 4: 75.28}  # type: ignore[index]
        flat = cbam.load_scenario("eu-cbam", overrides={"charge.price": 80})
        assert flat.certificate_price_eur == 80.0

    def test_a_sweep_varies_charge_price_on_the_eu_as_on_designs(self) -> None:
        rows = _rows(
            year=[2027, 2027],
            origin=["TUR", "CHN"],
            cn_code=["72071111"] * 2,
            quantity_t=[100.0, 50.0],
        )
        by_design_key = cbam.sweep(rows, "eu-cbam", vary={"charge.price": [80, {2027: 100}]})
        by_eu_key = cbam.sweep(rows, "eu-cbam", vary={"certificate_price_eur": [80, {2027: 100}]})
        assert_frame_equal(by_design_key.paths, by_eu_key.paths)


def test_recycle_takes_a_plan_as_its_second_argument() -> None:
    # Issue 16: recycle(fees, plan). COM(2021) 570: 75 % to the EU budget, 25 % to the members.
    fees = _rows(origin=["TUR", "CHN"], fee_eur=[600.0, 400.0])
    plan = load_plan("eu-own-resources")
    wanted = [("EU budget", 750.0), ("Member States' budgets", 250.0)]
    for given in (
        plan,
        "eu-own-resources",
        plans_dir() / "eu-own-resources.yaml",
    ):
        flows = cbam.recycle(fees, given).flows  # type: ignore[arg-type]
        assert flows.select("recipient", "amount_eur").rows() == wanted
    with pytest.raises(TypeError, match="a plan given twice"):
        cbam.recycle(fees, plan, plan=plan)


def test_totals_of_a_pandas_frame_are_typed_as_the_summary_of_its_compute() -> None:
    pd = pytest.importorskip("pandas")
    rows = _rows(
        year=[2027] * 2, origin=["TUR"] * 2, cn_code=["72081000"] * 2, quantity_t=[1e3, 5.0]
    )
    frame = rows.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    fees = cbam.compute(frame, "eu-cbam")  # no row exempt: exemption_reason has no value
    for by in (["exemption_reason"], ["sector", "origin"]):
        fast, slow = cbam.totals(frame, "eu-cbam", by=by), cbam.summarise(fees, by=by)
        assert fast.dtypes.to_dict() == slow.dtypes.to_dict(), by
        assert fast["fee_eur"].round(2).tolist() == slow["fee_eur"].round(2).tolist()


class TestApiMisuse:
    """Review of 2026-12-07: wrong arguments get a short error of cbam's, never a raw one."""

    IMPORTS = _rows(
        year=[2027] * 3,
        origin=["TUR", "NOR", "CHN"],
        cn_code=["72071111", "72071111", "25232900"],
        quantity_t=[100.0, 50.0, 1000.0],
    )

    @pytest.mark.parametrize("charge", [5, "x", [1]])
    def test_a_design_section_that_is_no_mapping_is_named(self, charge: object) -> None:
        with pytest.raises(ScenarioError, match="charge: Input should be a mapping"):
            cbam.load_scenario("uk-cbam", overrides={"charge": charge})

    def test_a_null_price_path_is_the_scenarios_own_price_on_every_regime(self) -> None:
        own = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        swept = cbam.sweep(self.IMPORTS, own, vary={"certificate_price_eur": [None, 80]})
        fees = swept.totals.group_by("path").agg(pl.col("fee_eur").sum()).sort("path")
        assert fees["fee_eur"][0] == pytest.approx(fees["fee_eur"][1])
        assert fees["fee_eur"][0] == pytest.approx(
            cbam.totals(self.IMPORTS, own, by=[])["fee_eur"][0]
        )

    @pytest.mark.parametrize("by", [["fee_eur"], ["quantity_t"]])
    def test_compare_refuses_to_group_by_what_it_sums(self, by: list[str]) -> None:
        with pytest.raises(ScenarioError, match="not one to group by"):
            cbam.compare(self.IMPORTS, ["eu-cbam", "uk-cbam"], by=by)

    def test_break_even_price_names_the_columns_a_summary_lacks(self) -> None:
        summary = cbam.summarise(cbam.compute(self.IMPORTS))
        with pytest.raises(ScenarioError, match=r"not a cbam\.compute result"):
            cbam.break_even_carbon_price(summary)

    def test_read_trade_checks_its_arguments_types(self) -> None:
        wide = pl.DataFrame({"cn_code": ["72071111"], "tonnes_2026": [1.0], "usd_2026": [5.0]})
        with pytest.raises(TypeError, match="origin must be an ISO3 code"):
            cbam.read_trade(wide, "wide", origin=5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="eur_per_usd must map years to rates"):
            cbam.read_trade(wide, "wide", origin="TUR", eur_per_usd=[1])  # type: ignore[arg-type]
        kept = cbam.read_trade(wide, "wide", origin="TUR", keep="cn_code").collect()
        assert kept["source_cn_code"].to_list() == ["72071111"]

    def test_errors_of_validation_carry_no_pydantic_traceback(self) -> None:
        with pytest.raises(ScenarioError) as caught:
            cbam.sweep(self.IMPORTS, "eu-cbam", vary={"certificate_price_eur": [{2026: None}]})
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        with pytest.raises(ScenarioError) as caught:
            cbam.recycle(cbam.compute(self.IMPORTS), plan={})
        assert caught.value.__cause__ is None and caught.value.__suppress_context__

    def test_charts_name_what_their_input_lacks(self) -> None:
        charts = pytest.importorskip("cbam.charts")
        fees = cbam.compute(self.IMPORTS)
        with pytest.raises(ScenarioError, match=r"no column\(s\) \['input_error'\]"):
            charts.fees_by_origin(cbam.summarise(fees))
        with pytest.raises(ValueError, match="top must be a whole number"):
            charts.fees_by_origin(fees, top=-1)
        with pytest.raises(TypeError, match="a mapping of labels"):
            charts.scenario_comparison([fees])
        with pytest.raises(TypeError, match=r"the result of cbam\.recycle"):
            charts.recycling_flows(fees)


class TestQuotesAndLines:
    """Review of 2026-12-07: quotes that read two ways are refused, never rows dropped; a CSV's
    lines are the file's (``cat -n``) in every reader, a lone CR inside a cell no line end."""

    def _run(self, tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
        path = tmp_path / "rows.csv"
        path.write_text(text, encoding="utf-8", newline="")
        main(["run", "--imports", str(path)])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return captured.out + captured.err

    def test_a_quote_inside_an_unquoted_header_cell_is_refused_not_rows_dropped(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        row = "2026,TUR,72071111,10,ok\n"
        text = 'year,origin,cn_code,quantity_t,no"te\n' + row + row.replace("ok", 'a"b') + row
        out = self._run(tmp_path, text, capsys)
        assert "line 1: a double quote inside a field that is not quoted reads 2 line(s)" in out
        assert "Total fee" not in out

    def test_a_header_only_file_with_a_quoted_break_reads_as_no_rows(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = self._run(tmp_path, 'year,origin,cn_code,quantity_t,"no\nte"\n', capsys)
        assert "no rows" in out or "0 rows" in out

    def test_long_cells_and_lone_carriage_returns_keep_the_lines(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        cell = "\n".join("y" * 50 for _ in range(3000))  # 152,999 characters over 3,000 lines
        text = f'year,origin,cn_code,quantity_t,note\n2026,TUR,72071111,10,"{cell}"\n'
        out = self._run(tmp_path, text + "2026,XXX,72071111,10,bad\n", capsys)
        assert "line 3002 (XXX)" in out
        text = 'year,origin,cn_code,quantity_t,note\n2026,TUR,72071111,10,"a\rb"\n'
        out = self._run(tmp_path, text + "2026,TUR,72071111,10\n", capsys)
        assert "line 3 has 4 fields, the header 5" in out

    def test_an_odd_quote_that_breaks_the_read_names_its_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        header = "year,origin,cn_code,quantity_t,note\n"
        text = header + '2026,TUR,72071111,10,ok\n2026,TUR,72071111,10,ab"c\n'
        out = self._run(tmp_path, text, capsys)
        assert "line 3 holds an odd number of double quotes" in out

    def test_group_and_weights_files_name_the_file_lines(self, tmp_path: Path) -> None:
        group = tmp_path / "partners.csv"
        group.write_text(
            'iso3,name,member_from,member_to,note\nTUR,Türkiye,,,"two\nlines"\n'
            "IND,India,2020-13-01,,x\n",
            encoding="utf-8",
        )
        with pytest.raises(ScenarioError, match="line 4: member_from '2020-13-01'"):
            cbam.load_scenario("eu-cbam", overrides={"exemptions": [{"group": str(group)}]})
        weights = tmp_path / "weights.csv"
        weights.write_text(
            'cn_code,weight,note\n72081000,1,"two\nlines"\n72082500,-1,x\n', encoding="utf-8"
        )
        rows = _rows(year=[2026], origin=["TUR"], cn_code=["7208"], quantity_t=[1.0])
        scenario = cbam.load_scenario("eu-cbam", overrides={"aggregation_weights": str(weights)})
        with pytest.raises(ScenarioError, match=r"line 4 \('-1'\)"):
            cbam.compute(rows, scenario)


class TestDiffReview:
    """Review of 2026-12-07 of the day's own changes."""

    def test_price_overrides_in_either_spelling_apply_in_any_key_order(self) -> None:
        def price(overrides: dict[str, object]) -> object:
            return cbam.load_scenario("eu-cbam", overrides=overrides).certificate_price_eur

        wanted = {2026: 70.0, 2030: 120.0}
        assert price({"charge.price": 70, "certificate_price_eur.2030": 120}) == wanted
        assert price({"certificate_price_eur.2030": 120, "charge.price": 70}) == wanted
        with pytest.raises(ScenarioError, match=r"both set certificate_price_eur\.2030"):
            price({"charge.price.2030": 100, "certificate_price_eur.2030": 120})
        # A day that starts no quarter is refused, naming the path as written.
        with pytest.raises(ScenarioError, match=r"'charge\.price\.2030-07-02'"):
            price({"charge.price.2030-07-02": 100})

    def test_a_note_about_no_path_is_named_and_a_dropped_charge_value_noted(
        self, tmp_path: Path
    ) -> None:
        template = Path(cbam.__file__).parents[1] / "rates/regimes/templates/flat-border-fee.yaml"
        text = template.read_text("utf-8").replace("  - about: charge.price\n", "  - about: null\n")
        (tmp_path / "mine.yaml").write_text(text, "utf-8")
        (tmp_path / "s.yaml").write_text("name: s\ndescription: x\nregime: mine.yaml\n", "utf-8")
        with pytest.raises(ScenarioError, match="notes: a note is text or"):
            cbam.load_scenario(tmp_path / "s.yaml")
        benchmarks = {
            "kind": "benchmark",
            "cbam_factor": {"file": "eu/cbam_factor.yaml"},
            "cross_sectoral_correction_factor": {
                "file": "eu/cross_sectoral_correction_factor.yaml"
            },
            "benchmark_period": {"file": "eu/benchmark_period.yaml"},
        }
        scenario = cbam.load_scenario("uk-cbam", overrides={"design": {"charge": benchmarks}})
        notes = cbam.resolve(scenario).design.notes
        share = next(n for n in notes if n.startswith("Sector free-allocation percentages"))
        assert share.endswith("(this scenario changes charge.free_allocation_share)")

    def test_a_folded_description_prints_on_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "s.yaml"
        path.write_text("name: f\ndescription: >\n  Folded over\n  two lines.\nextends: eu-cbam\n")
        imports = tmp_path / "rows.csv"
        imports.write_text("year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n")
        assert main(["run", "--scenario", str(path), "--imports", str(imports)]) == 0
        assert "scenario 'f': Folded over two lines.\n" in capsys.readouterr().out

    def test_charts_take_numpy_counts_and_any_iterable_of_countries(self) -> None:
        np = pytest.importorskip("numpy")
        charts = pytest.importorskip("cbam.charts")
        rows = _rows(
            year=[2027] * 2,
            origin=["CHN", "IND"],
            cn_code=["72071111"] * 2,
            quantity_t=[10.0, 20.0],
        )
        fees = cbam.compute(rows)
        charts.fees_by_origin(fees, top=np.int64(2))
        shown = charts.recycling_flows(
            cbam.recycle(fees, "eu-cbam-ldc-return"), countries=(c for c in ["chn", "IND"])
        )
        assert sorted(t.get_text() for t in shown.axes[1].get_yticklabels()) == ["CHN", "IND"]


class TestRecyclingReview:
    """Review of 2026-12-07: recycling's total and its basis."""

    def test_the_total_is_the_exact_sum_of_the_fees_whatever_their_origins(self) -> None:
        # 0.335 + 0.1 + 1,000,000 = 1,000,000.435 (exactly 1000000.43500000000000002 as
        # floats): EUR 1,000,000.44 half to even, as summarise's order_free_sum rounds it;
        # TUR's float sum 0.335 + 1e6 (1000000.33499999996) lost the half cent.
        fees = _rows(year=[2026] * 3, origin=["TUR", "CHN", "TUR"], fee_eur=[0.335, 0.1, 1e6])
        other = fees.with_columns(pl.Series("origin", ["TUR", "CHN", "USA"]))
        for frame in (fees, other):
            assert cbam.recycle(frame, "eu-own-resources").total_eur == 1_000_000.44

    def test_origins_inside_the_territory_get_nothing_of_a_before_exemptions_basis(self) -> None:
        rows = _rows(
            year=[2026] * 4,
            origin=["MOZ", "TUR", "FRA", "GLP"],
            cn_code=["72071111"] * 4,
            quantity_t=[100.0] * 4,
        )
        scenario = cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"certificate_price_eur": 80})
        plan = {
            "name": "back",
            "allocations": [
                {
                    "pool": "back",
                    "share": 0.5,
                    "rule": "proportional_to_paid",
                    "basis": "fee_before_exemptions_eur",
                },
                {"pool": "rest", "share": 1, "of": "remainder"},
            ],
        }
        flows = cbam.recycle(cbam.compute(rows, scenario), scenario, plan=plan).flows
        assert sorted(flows.filter(pl.col("pool") == "back")["recipient"]) == ["MOZ", "TUR"]


class TestCliReview:
    """Review of 2026-12-07: the CLI as an analyst and a wheel's user meet it."""

    def test_run_recycles_year_by_year_a_plan_with_years_windows(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        rows = tmp_path / "rows.csv"
        rows.write_text(
            "year,origin,cn_code,quantity_t,value_eur\n2026,TUR,7207 11 11,100,55000\n"
            "2028,CHN,7208,100,55000\n"
        )
        args = ["run", "--imports", str(rows), "--recycling", "eu-decarbonisation-fund"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "some of its allocations take some years' revenue only" in out
        assert "Revenue recycling, 2026" in out and "Revenue recycling, 2028" in out

    def test_a_weights_typo_is_named_as_the_option_given(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        rows = tmp_path / "rows.csv"
        rows.write_text("year,origin,cn_code,quantity_t\n2026,TUR,7208,1\n")
        assert main(["run", "--imports", str(rows), "--weights", "nope"]) == 2
        assert "cbam: error: --weights: unknown bundled weights 'nope'" in capsys.readouterr().err

    def test_price_lines_come_in_one_order(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        rows = tmp_path / "rows.csv"
        rows.write_text(
            "year,origin,cn_code,quantity_t\n"
            + "".join(f"{y},TUR,72071111,1\n" for y in (2026, 2027, 2028, 2029))
        )
        printed = []
        for _ in range(3):
            assert main(["run", "--imports", str(rows)]) == 0
            out = capsys.readouterr().out
            printed.append(
                [line for line in out.splitlines() if line.startswith("certificate price")]
            )
        assert printed[0] == printed[1] == printed[2] and len(printed[0]) == 4

    def test_a_threshold_in_another_currency_hints_a_threshold_unit(self) -> None:
        with pytest.raises(ScenarioError, match="a unit such as 'EUR per importer per year'"):
            cbam.load_scenario("uk-cbam", overrides={"design": {"currency": "EUR"}})


class TestFilledInputColumns:
    """A pandas or PyArrow input gets the columns compute filled, as a Polars input does."""

    def test_pandas_and_arrow_get_the_table_price_compute_used(self) -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        given = pd.DataFrame(
            {
                "year": [2027, 2027],
                "origin": ["GBR", "KOR"],
                "cn_code": ["72071111", "72071111"],
                "quantity_t": [100.0, 100.0],
                "value_eur": [5e4, 5e4],
                "carbon_price_paid_eur_per_t": [np.nan, 5.0],
            }
        )
        expected = cbam.compute(pl.from_pandas(given), "eu-cbam")["carbon_price_paid_eur_per_t"]
        assert expected[0] is not None and expected[0] > 0  # the UK ETS table price
        from_pandas = cbam.compute(given, "eu-cbam")["carbon_price_paid_eur_per_t"].tolist()
        table = cbam.compute(pa.Table.from_pandas(given), "eu-cbam")
        from_arrow = table.column("carbon_price_paid_eur_per_t").to_pylist()
        assert from_pandas == expected.to_list() == from_arrow


class TestReviewOfDecember7:
    """Lenient-mode faults found by review on 2026-12-07, each at its mechanism."""

    @pytest.mark.parametrize("bad", ["x", 1.5, 7, "2.5"])
    @pytest.mark.parametrize("scenario", ["eu-cbam", "uk-cbam", "us-cca-2025"])
    def test_totals_over_importers_flag_a_quarter_compute_flags(
        self, bad: object, scenario: str
    ) -> None:
        # ``_totals._merged`` read a quarter that is no whole 1-4 as 'no quarter' and priced
        # it; ``compute`` flags it ('quarter: not a whole number' or 'must be 1, 2, 3 or 4').
        frame = _rows(
            year=[2027, 2027],
            origin=["TUR", "TUR"],
            cn_code=["72071111"] * 2,
            quantity_t=[100.0, 100.0],
            quarter=["1", str(bad)] if isinstance(bad, str) else [1, bad],
            importer=["A", "B"],
        )
        rows = cbam.compute(frame, scenario, on_error="flag")
        assert rows["input_error"][0] is None and "quarter" in rows["input_error"][1]
        expected = cbam.summarise(rows)
        assert_frame_equal(cbam.totals(frame, scenario, on_error="flag"), expected)
        assert expected["quantity_t"].sum() == 100.0  # the flagged row counts in none

    def test_an_allowance_that_overflows_is_flagged_not_a_zero_fee(self) -> None:
        # A precursor benchmark of 1e308 made free_allocation_t infinite and the fee 0, with
        # no error; ``overflow_check`` now reads every amount of the fee, the allowance too.
        frame = _rows(
            year=[2027, 2027],
            origin=["CHN", "CHN"],
            cn_code=["72081000"] * 2,
            quantity_t=[500.0, 500.0],
            route=["C", "C"],
            see_direct=[1.9, 1.9],
            precursor_benchmark_t_per_t=[None, 1e308],
        )
        rows = cbam.compute(frame, "eu-cbam", on_error="flag")
        assert rows["input_error"].to_list() == [
            None,
            "precursor_benchmark_t_per_t: too large: the fee or its emissions are not a finite"
            " number",
        ]
        assert rows["fee_eur"][1] is None and rows["free_allocation_t"][1] is None
        assert_frame_equal(cbam.totals(frame, "eu-cbam", on_error="flag"), cbam.summarise(rows))
        with pytest.raises(CbamInputError, match=r"precursor_benchmark_t_per_t.*row 2 \(1e\+308\)"):
            cbam.compute(frame, "eu-cbam")

    def test_an_ldc_is_one_only_from_its_year_of_inclusion(self) -> None:
        # country_lists/un_ldc.csv: South Sudan "included 2012", Mozambique "included 1988";
        # with member_from empty both were LDCs in any import year back to 1971.
        frame = _rows(
            year=[2005, 2012, 2013, 1980, 1989],
            origin=["SSD", "SSD", "SSD", "MOZ", "MOZ"],
            cn_code=["76011010"] * 5,
            quantity_t=[100.0] * 5,
        )
        scenario = cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"rules_year": 2026})
        out = cbam.compute(frame, scenario)
        assert out["exempt"].to_list() == [False, False, True, False, True]

    def test_membership_after_the_last_rules_year_is_as_in_force_in_it(self) -> None:
        # The relief table ends at the regime's last rules year (2100): a row imported in
        # 2101 found no membership and was charged, unflagged, though MOZ has no member_to.
        frame = _rows(
            year=[2100, 2101, 2300],
            origin=["MOZ"] * 3,
            cn_code=["76011010"] * 3,
            quantity_t=[100.0] * 3,
        )
        scenario = cbam.load_scenario(
            "eu-cbam-rules-2034", overrides={"exemptions": [{"group": "ldc"}]}
        )
        for rows in (frame, pl.concat([frame] * 2000)):  # joined and keyed paths
            out = cbam.compute(rows, scenario)
            assert out["exempt"].all() and out["fee_eur"].sum() == 0.0

    def test_ave_counts_every_row_without_a_value_when_the_column_is_absent(self) -> None:
        # A null literal for the absent value_eur was one value per group: TUR's two rows
        # counted 1 in rows_without_value, where an all-null column counts 2.
        rows = _rows(
            year=[2026] * 3,
            origin=["TUR", "TUR", "CHN"],
            cn_code=["72071111"] * 3,
            quantity_t=[100.0, 50.0, 10.0],
        )
        fees = cbam.compute(rows, "eu-cbam")
        by_origin = cbam.ad_valorem_equivalents(fees, by=["origin"]).sort("origin")
        assert by_origin["rows_without_value"].to_list() == [1, 2]
        assert cbam.ad_valorem_equivalents(fees, by=[])["rows_without_value"].to_list() == [3]

    @pytest.mark.parametrize("plan", ["eu-decarbonisation-fund", "eu-own-resources"])
    def test_recycling_no_fees_gives_empty_pools_for_every_plan(self, plan: str) -> None:
        # A plan with a dated allocation refused an empty frame ("the fees' years are not
        # given") though it has a year column; no fees are no revenue.
        rows = _rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0])
        none = cbam.compute(rows, "eu-cbam").filter(pl.col("year") == 2026)
        pools = cbam.recycle(none, plan).pools
        assert pools.height >= 2 and pools["amount_cents"].to_list() == [0] * pools.height


class TestReviewOfDecember7Afternoon:
    """Sweep and scenario-file faults found by review on 2026-12-07 (second session)."""

    @pytest.mark.parametrize(
        ("scenario", "path", "years"),
        [
            ("uk-cbam", {2027: 33.3, 2028: {1: 1.0, 2: 2000.0, 3: 3.0, 4: 400.0}}, [2029, 2030]),
            ("us-cca-2025", {2026: 50.0, 2027: {1: 10.0, 2: 20.0, 3: 30.0, 4: 90.0}}, [2028]),
        ],
    )
    def test_a_design_path_keeps_its_last_quarter_in_force_as_compute_does(
        self, scenario: str, path: dict[int, object], years: list[int]
    ) -> None:
        # ``_sweep`` read a design's path by the EU schedule's rules (a later year at the mean
        # of the quarters); the design's dated price keeps its last quarter's value in force.
        rows = _rows(
            year=years,
            origin=["CHN"] * len(years),
            cn_code=["72071111"] * len(years),
            quantity_t=[1000.0] * len(years),
            value_eur=[600000.0] * len(years),
        )
        cited = {"title": "test", "href": ""}
        values = []
        for year, entry in path.items():
            quarters = entry if isinstance(entry, dict) else {1: entry}
            for q, value in quarters.items():
                start = f"{year}-{(q - 1) * 3 + 1:02d}-01"
                values.append({"from": start, "value": value, "reference": cited})
        dated = cbam.load_scenario(scenario, overrides={"charge.price.values": values})
        expected = cbam.compute(rows, dated)["fee_eur"].sum()
        swept = cbam.sweep(rows, scenario, vary={"charge.price": [path]}).totals["fee_eur"][0]
        # The last quarter's price (GBP 400, USD 90) in force, not the mean of the four.
        assert swept == pytest.approx(expected, rel=1e-12)

    def test_a_nested_override_into_a_list_entry_keeps_the_dates_before_it(
        self, tmp_path: Path
    ) -> None:
        # ``_scenario._node`` did not step into lists: the nested form replaced the schedule
        # whole, so 2026-2031 became fully exempt, where the dotted form added one year.
        (tmp_path / "mine.csv").write_text("iso3\nTUR\n", encoding="utf-8")
        path = tmp_path / "g1.yaml"
        path.write_text(
            "extends: eu-cbam\nname: g1\nexemptions:\n  - group: mine.csv\n"
            "    fee_share_charged: {2026: 0.0, 2030: 0.5}\n",
            encoding="utf-8",
        )
        dotted = cbam.load_scenario(path, {"exemptions.0.fee_share_charged.2032": 1.0})
        nested = cbam.load_scenario(path, {"exemptions.0.fee_share_charged": {2032: 1.0}})
        expected = {2026: 0.0, 2030: 0.5, 2032: 1.0}
        assert dotted.exemptions[0].fee_share_charged == expected
        assert nested.exemptions[0].fee_share_charged == expected

    def test_one_origin_spelt_two_ways_is_one_price_path(self, tmp_path: Path) -> None:
        # The model reads 'tur' as TUR, but overrides and ``extends`` matched keys as written:
        # an override of TUR replaced the file's path for 'tur', and two spellings in one file
        # kept the last, unsaid.
        parent = tmp_path / "cp.yaml"
        parent.write_text(
            "extends: eu-cbam\nname: cp\ncarbon_price_abroad:\n  path:\n"
            "    tur: {values: {2026: 10, 2030: 20}}\n",
            encoding="utf-8",
        )
        for key in ("TUR", " tur"):
            s = cbam.load_scenario(parent, {f"carbon_price_abroad.path.{key}.values.2032": 30})
            assert s.carbon_price_abroad.path["TUR"].values == {2026: 10, 2030: 20, 2032: 30}
        child = tmp_path / "child.yaml"
        child.write_text(
            f"extends: {parent.name}\nname: child\ncarbon_price_abroad:\n  path:\n"
            "    TUR: {values: {2026: 50}}\n",
            encoding="utf-8",
        )
        merged = cbam.load_scenario(child).carbon_price_abroad.path
        assert merged["TUR"].values == {2026: 50, 2030: 20}
        twice = tmp_path / "twice.yaml"
        twice.write_text(
            "extends: eu-cbam\nname: twice\ncarbon_price_abroad:\n  path:\n"
            "    TUR: {values: {2026: 10}}\n    ' tur': {values: {2026: 50}}\n",
            encoding="utf-8",
        )
        with pytest.raises(ScenarioError, match="name one origin, TUR; give it once"):
            cbam.load_scenario(twice)

    @pytest.mark.parametrize(
        ("scenario", "vary", "message"),
        [
            # A factor dated after the fixed rules year: refused by load_scenario too.
            (
                "eu-cbam",
                {"rules_year": [2026], "cbam_factor": [{2026: 0.9, 2028: 0.1}]},
                "rules_year 2026 applies the 2026 rules to every row",
            ),
            (
                "eu-cbam",
                {"rules_year": [2026], "certificate_price_eur": [{2026: 80, 2028: 100}]},
                "[2028] in force in no rules year the designs read (2026;",
            ),
            (
                "eu-cbam",
                {"certificate_price_eur": [{1990: 80, 2026: 70}]},
                "[1990] in force in no rules year the designs read (2026-2100;",
            ),
            (
                "uk-cbam",
                {"rules_year": [2027], "charge.price": [{2027: 80, 2029: 100}]},
                "[2029] in force in no rules year the designs read (2027;",
            ),
        ],
    )
    def test_a_sweep_refuses_a_value_that_would_never_apply(
        self, scenario: str, vary: dict[str, list[object]], message: str
    ) -> None:
        # ``_sweep._with`` set values without the refusals of ``load_scenario``'s overrides,
        # and price paths were checked for years after the last rules year only.
        rows = _rows(year=[2027], origin=["TUR"], cn_code=["72071111"], quantity_t=[100.0])
        with pytest.raises(ScenarioError, match=re.escape(message)):
            cbam.sweep(rows, scenario, vary=vary)
        # A price path is shared by the designs: over two rules years, its later entry applies
        # to the later one, and it is accepted (a design's own factor is refused per design).
        if "rules_year" in vary and "in force" in message:
            two = {**vary, "rules_year": [vary["rules_year"][0], 2030]}
            assert cbam.sweep(rows, scenario, vary=two).totals.height == 2

    def test_a_price_path_that_starts_late_is_refused_at_load_naming_the_file(
        self, tmp_path: Path
    ) -> None:
        # The rows of the years before it failed as if the imports were at fault ("column
        # 'certificate_price_eur': the scenario gives no certificate price for this rules year").
        late = tmp_path / "late.yaml"
        late.write_text(
            "extends: eu-cbam\nname: late\ncertificate_price_eur: {2030: 100}\n", encoding="utf-8"
        )
        with pytest.raises(ScenarioError, match=r"late\.yaml: .*certificate_price_eur .* starts"):
            cbam.load_scenario(late)
        # Under a fixed rules year from which the path holds, it is read: accepted.
        assert cbam.load_scenario(late, {"rules_year": 2031}).rules_year == 2031
        design = (data_dir("rates") / "regimes/uk-cbam.yaml").read_text(encoding="utf-8")
        price_at = design.index("\n  price:")
        start = design.index("from: 2027-01-01", price_at)
        shifted = design[:start] + "from: 2027-07-01" + design[start + len("from: 2027-01-01") :]
        (tmp_path / "uk-late.yaml").write_text(shifted, encoding="utf-8")
        with pytest.raises(ScenarioError, match=r"uk-late\.yaml: .*charge\.price .* 2027-07-01"):
            cbam.load_scenario(tmp_path / "uk-late.yaml")

    @pytest.mark.parametrize(
        ("key", "text"),
        [
            ("exemptions.0.group", "exemptions:\n  - group: nosuchgroup\n"),
            ("excluded_origin_groups.1", "excluded_origin_groups: [eu27, nosuch]\n"),
        ],
    )
    def test_an_unknown_group_in_a_parent_is_named_in_the_parent(
        self, tmp_path: Path, key: str, text: str
    ) -> None:
        # ``read_raw`` checked group names after the merge, naming the child file, which
        # has no such key; values were already named in the parent (``_resolve._blamed``).
        (tmp_path / "parent.yaml").write_text(
            f"extends: eu-cbam\nname: parent\n{text}", encoding="utf-8"
        )
        (tmp_path / "child.yaml").write_text(
            "extends: parent.yaml\nname: child\n", encoding="utf-8"
        )
        with pytest.raises(ScenarioError) as caught:
            cbam.load_scenario(tmp_path / "child.yaml")
        message = str(caught.value)
        assert message.startswith(f"{tmp_path / 'child.yaml'}: extends: ")
        assert f"parent.yaml: invalid scenario: {key}: unknown country group" in message

    def test_a_clinker_share_keyed_by_an_unquoted_code_is_the_dotted_one(
        self, tmp_path: Path
    ) -> None:
        # YAML reads 25232900 as a number; the model wanted text, so the nested form and a
        # file's own unquoted key were refused where the dotted path was accepted.
        dotted = cbam.load_scenario("eu-cbam", {"clinker_share.25232900": 0.8})
        nested = cbam.load_scenario("eu-cbam", {"clinker_share": {25232900: 0.8}})
        path = tmp_path / "c.yaml"
        path.write_text(
            "extends: eu-cbam\nname: c\nclinker_share: {25232900: 0.8}\n", encoding="utf-8"
        )
        own = cbam.load_scenario(path)
        assert dotted.clinker_share == nested.clinker_share == own.clinker_share
        assert own.clinker_share == {"25232900": 0.8}

    @pytest.mark.parametrize(
        ("scenario", "overrides", "replaced_by"),
        [
            # The cited EUR 110.90 of 2028 (rates/eu/certificate_price.yaml) and the CBAM
            # factors of 2028-2030 (Art. 31) hold in 2030, whatever 2027 says.
            ("eu-cbam", {"certificate_price_eur.2027": 100}, "2028-01-01"),
            ("eu-cbam", {"charge.price.2027": 100}, "2028-01-01"),
            ("eu-cbam", {"cbam_factor.2027": 0.1}, "2028-01-01"),
            ("uk-cbam", {"charge.price": {2028: 100, 2029: 120}}, "2029-01-01"),
        ],
    )
    def test_an_override_replaced_before_a_fixed_rules_year_is_refused(
        self, scenario: str, overrides: dict[str, object], replaced_by: str
    ) -> None:
        # ``_after_rules_year`` refused values dated after the rules year only.
        with pytest.raises(ScenarioError, match=f"the value from {replaced_by} replaces it"):
            cbam.load_scenario(scenario, {"rules_year": 2030, **overrides})
        # In force in 2030 (no later value by then), the same kind of override is read.
        for kept in ({"certificate_price_eur.2029": 100}, {"cbam_factor.2030": 0.1}):
            assert cbam.load_scenario("eu-cbam", {"rules_year": 2030, **kept}).rules_year == 2030

    def test_a_misspelt_key_in_a_child_file_is_refused_though_the_parent_has_it(
        self, tmp_path: Path
    ) -> None:
        # Keys matched in any case (for origins) let ``Rules_Year`` land on the parent's
        # ``rules_year``: only country codes match so; other keys as written.
        path = tmp_path / "child.yaml"
        path.write_text("extends: eu-cbam\nname: c\nRules_Year: 2027\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match="Rules_Year: Extra inputs are not permitted"):
            cbam.load_scenario(path)

    @pytest.mark.parametrize(
        "vary",
        [
            {"certificate_price_eur": [80, {2027: 90}]},
            {"certificate_price_eur": [{2027: 90}, 80]},
            # Every design fixes a rules year from which the path holds.
            {"rules_year": [2027, 2030], "certificate_price_eur": [{2027: 75, 2028: 80}]},
            # 0.5 is the 2027 design's factor, though the 2030 design never reads it.
            {"rules_year": [2027, 2030], "cbam_factor.2027": [0.5]},
        ],
    )
    def test_a_sweep_value_some_design_reads_is_accepted_in_any_order(
        self, vary: dict[str, list[object]]
    ) -> None:
        rows = _rows(
            year=[2027, 2030],
            origin=["TUR", "TUR"],
            cn_code=["72071111"] * 2,
            quantity_t=[100.0, 100.0],
            value_eur=[55000.0, 55000.0],
        )
        result = cbam.sweep(rows, "eu-cbam", vary=vary).totals
        assert result.height == 2 and result["fee_eur"].min() > 0
        if "cbam_factor.2027" in vary:  # the 2027 design equals load_scenario's
            one = cbam.load_scenario("eu-cbam", {"rules_year": 2027, "cbam_factor.2027": 0.5})
            expected = cbam.compute(rows, one)["fee_eur"].sum()
            assert result.sort("design")["fee_eur"][0] == pytest.approx(expected, rel=1e-12)

    def test_an_eu_price_from_a_quarters_first_day_holds_from_then_on(self) -> None:
        # getting-started.md promises a full date on any regime's price; the EU schedule
        # refused every date but 1 January. EUR 110.90 is the cited 2028 price, in force in
        # 2030 (rates/eu/certificate_price.yaml).
        rows = _rows(
            year=[2030] * 4 + [2031],
            quarter=[1, 2, 3, 4, None],
            origin=["CHN"] * 5,
            cn_code=["76011010"] * 5,
            quantity_t=[1.0] * 5,
        )
        for overrides in (
            {"charge.price.2030-07-01": 100},
            {"certificate_price_eur.2030-07-01": 100},
            {"charge": {"price": {"2030-07-01": 100}}},
        ):
            s = cbam.load_scenario("eu-cbam", overrides)
            prices = cbam.compute(rows, s)["certificate_price_eur"].to_list()
            assert prices == pytest.approx([110.9, 110.9, 100.0, 100.0, 100.0])
        with pytest.raises(ScenarioError, match="or a quarter's first day"):
            cbam.load_scenario("eu-cbam", {"certificate_price_eur.2030-05-01": 100})
        # With a year or a quarter of the same year, in either key order: the narrower wins.
        pairs = [
            ({"certificate_price_eur.2030": 120}, {1: 120.0, 2: 120.0, 3: 100.0, 4: 100.0}),
            ({"certificate_price_eur.2030.4": 80}, {1: 110.9, 2: 110.9, 3: 100.0, 4: 80.0}),
        ]
        for other, expected in pairs:
            day = {"certificate_price_eur.2030-07-01": 100}
            for overrides in ({**other, **day}, {**day, **other}):
                path = cbam.load_scenario("eu-cbam", overrides).certificate_price_eur
                assert isinstance(path, dict) and path[2030] == expected and path[2031] == 100

    def test_eu_prices_from_several_days_hold_each_until_the_next_in_any_key_order(
        self,
    ) -> None:
        # Days were applied in key order, each writing the next year: 2031 kept 100 where
        # 120 (from 2030-10-01) was in force, or Q4 2030 lost its 120, with the key order.
        days = [
            ("certificate_price_eur.2030-04-01", 100),
            ("certificate_price_eur.2030-10-01", 120),
        ]
        for overrides in (dict(days), dict(reversed(days))):
            path = cbam.load_scenario("eu-cbam", overrides).certificate_price_eur
            assert isinstance(path, dict)
            assert path[2030] == {1: 110.9, 2: 100.0, 3: 100.0, 4: 120.0} and path[2031] == 120
        # A year the overrides give keeps its own price.
        given = {"certificate_price_eur.2031": 90, "certificate_price_eur.2030-07-01": 100}
        path = cbam.load_scenario("eu-cbam", given).certificate_price_eur
        assert isinstance(path, dict) and path[2031] == 90
        # The year carried on is the day's own value, not one replacing it before 2031.
        fixed = cbam.load_scenario(
            "eu-cbam", {"rules_year": 2031, "certificate_price_eur.2030-07-01": 100}
        ).certificate_price_eur
        assert isinstance(fixed, dict) and fixed[2031] == 100


class TestReviewOfDecember7Evening:
    """Reviews of 2026-12-07 (evening): recycling plans, written outputs, trade formats and
    country keys, each fault at its mechanism."""

    @staticmethod
    def _csv(path: Path, text: str) -> Path:
        path.write_text(text)
        return path

    # --- recycling: numbering, amounts, codes (cbam._recycling) ---------------------------

    def test_an_allocation_outside_the_fees_years_keeps_its_number_and_takes_nothing(
        self,
    ) -> None:
        # rates/recycling/eu-decarbonisation-fund.yaml: the fund (allocation 1) takes the
        # 2026-2027 revenue only; 2028 fees all go to allocation 2, still numbered 2.
        fees = _rows(origin=["CHN", "TUR"], fee_eur=[100.0, 50.0], year=[2028, 2028])
        pools = cbam.recycle(fees, "eu-cbam", plan="eu-decarbonisation-fund").pools
        assert pools.select("allocation", "amount_cents").rows() == [(1, 0), (2, 15_000)]
        plan = {
            "name": "y1",
            "allocations": [
                {"pool": "Fund", "share": 0.25, "years": [2026, 2026]},
                {"pool": "SIDS", "share": 0.1, "rule": "proportional_to_paid", "group": "sids"},
                {"pool": "Rest", "share": 1, "of": "remainder"},
            ],
        }
        with pytest.raises(ScenarioError, match=re.escape("allocation 2 ('SIDS'): has EUR 15.00")):
            cbam.recycle(fees, "eu-cbam", plan=plan)

    def test_a_huge_fixed_amount_is_told_in_a_short_message(self) -> None:
        fees = _rows(origin=["TUR"], fee_eur=[150.0])
        plan = {
            "name": "big",
            "allocations": [
                {"pool": "A", "amount_eur": 1e300},
                {"pool": "R", "share": 1, "of": "remainder"},
            ],
        }
        with pytest.raises(ScenarioError) as raised:
            cbam.recycle(fees, "eu-cbam", plan=plan)
        assert "takes EUR 1e+300 but only EUR 150.00" in str(raised.value)
        assert len(str(raised.value)) < 200

    def test_a_padded_recipient_code_is_the_country(self) -> None:
        fees = _rows(origin=["TUR"], fee_eur=[100.0])

        def flows(code: str) -> list[tuple[object, ...]]:
            plan = {
                "name": "eq",
                "allocations": [
                    {
                        "pool": "eq",
                        "share": 0.5,
                        "rule": "equal_per_country",
                        "countries": ["KEN", code],
                    },
                    {"pool": "rest", "share": 1, "of": "remainder"},
                ],
            }
            return (
                cbam.recycle(fees, "eu-cbam", plan=plan)
                .flows.select("recipient", "amount_cents")
                .rows()
            )

        assert flows(" moz") == flows("MOZ") == [("KEN", 2_500), ("MOZ", 2_500), ("rest", 5_000)]

    # --- cbam run --out: the files the run reads, and cells (cbam.cli) ---------------------

    def test_out_may_not_replace_the_bundled_imports(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        bundled = self._csv(
            tmp_path / "bundled.csv", "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n"
        )
        monkeypatch.setattr(cbam.cli, "bundled_imports", lambda: bundled)
        before = bundled.read_text()
        assert main(["run", "--rules-year", "2026", "--out", str(bundled)]) == 2
        assert "is the import file; name another file" in capsys.readouterr().err
        assert bundled.read_text() == before

    def test_out_may_not_replace_a_weights_file_or_an_index_table_the_run_reads(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        weights = self._csv(tmp_path / "w.csv", "cn_code,weight\n25231000,1\n25232100,1\n")
        rows = self._csv(
            tmp_path / "agg.csv", "year,origin,cn_code,quantity_t,value_eur\n2026,TUR,2523,100,1\n"
        )
        kept = weights.read_text()
        args = ["run", "--imports", str(rows), "--weights", str(weights), "--out", str(weights)]
        assert main(args) == 2
        assert "is a file this run reads" in capsys.readouterr().err
        assert weights.read_text() == kept
        index = self._csv(tmp_path / "idx.csv", "iso3,value\nTUR,1\n")
        plan = tmp_path / "plan.yaml"
        plan.write_text(
            "name: idx\nallocations:\n"
            "  - {pool: back, share: 0.5, rule: proportional_to_index, index: idx.csv}\n"
            "  - {pool: rest, share: 1, of: remainder}\n"
        )
        args = ["run", "--imports", str(rows), "--recycling", str(plan), "--out", str(index)]
        assert main(args) == 2
        assert "is a file this run reads" in capsys.readouterr().err
        assert index.read_text() == "iso3,value\nTUR,1\n"

    def test_the_workbooks_years_stay_numbers_beside_an_enum_key(self, tmp_path: Path) -> None:
        rows = self._csv(
            tmp_path / "rows.csv",
            "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n2027,CHN,25232900,2\n",
        )
        for by in ("year,sector", "sector,year"):
            out = tmp_path / f"t_{by.replace(',', '_')}.xlsx"
            assert main(["run", "--imports", str(rows), "--by", by, "--out", str(out)]) == 0
            totals = pl.read_excel(out, sheet_name="totals", engine="openpyxl")
            assert totals.schema["year"].is_numeric(), by
            assert totals["sector"].to_list()[-1] == "total"

    def test_cells_a_format_cannot_hold_are_written_as_text(self, tmp_path: Path) -> None:
        import datetime as dt

        import openpyxl

        rows = tmp_path / "id.parquet"
        pl.DataFrame(
            {
                "year": [2026],
                "origin": ["TUR"],
                "cn_code": ["25231000"],
                "quantity_t": [100.0],
                "decl_id": [12_345_678_901_234_567],
                "dwell": [dt.timedelta(hours=5)],
                "arrived": [dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)],
            }
        ).write_parquet(rows)
        csv, xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
        assert main(["run", "--imports", str(rows), "--out", str(csv)]) == 0
        assert pl.read_csv(csv, infer_schema=False)["dwell"].to_list() == ["PT5H"]
        assert main(["run", "--imports", str(rows), "--out", str(xlsx)]) == 0
        sheet = list(openpyxl.load_workbook(xlsx)["rows"].iter_rows(values_only=True))
        cells = dict(zip(sheet[0], sheet[1], strict=True))
        # Excel keeps 15 significant digits: the id comes back whole, as text.
        assert cells["decl_id"] == "12345678901234567"
        assert cells["dwell"] == "PT5H"
        assert str(cells["arrived"]).startswith("2026-01-01 05:00:00")

    def test_a_group_named_total_is_not_the_grand_total(self, tmp_path: Path) -> None:
        rows = tmp_path / "rows.parquet"
        _rows(
            year=[2026, 2026],
            origin=["TUR", "CHN"],
            cn_code=["25231000"] * 2,
            quantity_t=[100.0, 5.0],
            importer=["total", "x"],
        ).write_parquet(rows)
        out = tmp_path / "s.xlsx"
        assert main(["run", "--imports", str(rows), "--by", "importer", "--out", str(out)]) == 0
        totals = pl.read_excel(out, sheet_name="totals", engine="openpyxl")
        assert totals.select("importer", "quantity_t").rows() == [
            ("total", 100.0),
            ("x", 5.0),
            ("total (all rows)", 105.0),
        ]

    # --- trade formats: overlaps by the keys as read (cbam._trade_formats) -----------------

    @pytest.mark.parametrize(
        ("fmt", "text"),
        [
            # Greece as GR and as EL: a heading beside its own line.
            ("comext", "GR,CN,7207,1,2024,1,5000\nEL,CN,72071111,1,2024,1,5000\n"),
            # France as fr and FR: a month beside the year's total.
            ("comext", "fr,CN,72071111,1,202401,1,5000\nFR,CN,72071111,1,2024,1,5000\n"),
            # China as cn and CN: the EU as a whole beside a member state.
            ("comext", "EU27_2020,cn,72071111,1,2024,1,5000\nFR,CN,72071111,1,2024,1,5000\n"),
            # China as 0156 and 156: a heading beside its subheading.
            ("comtrade", "2024,251,M,0156,7207,2500,1000\n2024,251,M,156,720711,2500,1000\n"),
        ],
    )
    def test_one_flow_spelt_two_ways_is_refused_as_counted_twice(
        self, tmp_path: Path, fmt: str, text: str
    ) -> None:
        header = {
            "comext": "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,"
            "QUANTITY_IN_KG",
            "comtrade": "refYear,reporterCode,flowCode,partnerCode,cmdCode,netWgt,primaryValue",
        }[fmt]
        path = self._csv(tmp_path / "panel.csv", f"{header}\n{text}")
        with pytest.raises(CbamInputError, match="refused so that nothing is counted twice"):
            cbam.read_trade(path, fmt)  # type: ignore[arg-type]

    def test_a_baci_heading_beside_its_lines_is_refused(self, tmp_path: Path) -> None:
        # BACI publishes HS6 lines only (k): 7207 beside 720711 would count a flow twice, as
        # the other formats' levels checks refuse.
        path = self._csv(
            tmp_path / "baci.csv", "t,i,j,k,v,q\n2024,156,251,7207,1,5\n2024,156,251,720711,1,2\n"
        )
        with pytest.raises(CbamInputError, match=r"not an HS6 code .*: line 2 \(7207\)"):
            cbam.read_trade(path, "baci")

    @pytest.mark.parametrize("given", [{"year": 2024}, {"origin": "USA"}, {"destination": "EUU"}])
    def test_arguments_for_wide_files_are_refused_for_other_layouts(
        self, given: dict[str, object]
    ) -> None:
        sample = data_dir("data") / "samples" / "baci_sample.csv"
        with pytest.raises(ScenarioError, match="for format 'wide' only"):
            cbam.read_trade(sample, "baci", **given)  # type: ignore[arg-type]

    def test_kept_columns_named_as_the_readers_own_are_carried_apart(self, tmp_path: Path) -> None:
        path = self._csv(
            tmp_path / "kp.csv",
            "t,i,j,k,v,q,source_line,trade_error,value_eur,source_value_eur\n"
            "2024,156,251,720711,1,5,7,x,8,9\n",
        )
        read = cbam.read_trade(path, "baci", keep=["source_line", "trade_error"]).collect()
        assert read.select("source_source_line", "source_trade_error", "source_line").row(0) == (
            "7",
            "x",
            2,
        )
        with pytest.raises(ScenarioError, match="'value_eur' is carried as 'source_value_eur'"):
            cbam.read_trade(path, "baci", keep=["value_eur", "source_value_eur"])

    def test_a_missing_rate_names_the_years_the_rate_file_has(self, tmp_path: Path) -> None:
        from cbam._carbon_prices import fx_table

        path = self._csv(tmp_path / "old.csv", "t,i,j,k,v,q\n2017,156,251,720711,1,5\n")
        usd = fx_table().filter(pl.col("currency") == "USD")["year"]
        with pytest.raises(CbamInputError, match=f"has {usd.min()}-{usd.max()}, the last"):
            cbam.read_trade(path, "baci").collect()
        assert usd.max() < 2030  # the carried-forward years are not 'had'

    # --- country keys and lists ------------------------------------------------------------

    @pytest.mark.parametrize(("key", "value"), [("origin", "TR"), ("origin", "XXX")])
    def test_indicator_key_tables_refuse_a_key_no_fee_row_holds(self, key: str, value: str) -> None:
        imports = _rows(
            year=[2026],
            origin=["TUR"],
            cn_code=["72071111"],
            quantity_t=[100.0],
            value_eur=[55_000.0],
        )
        fees = cbam.compute(imports, "eu-cbam")
        with pytest.raises(ValueError, match=f"{key} \\['{value}'\\]: not"):
            cbam.exposure(fees, by=[key], economy=pl.DataFrame({key: [value], "gdp_eur": [1e6]}))
        with pytest.raises(ValueError, match=f"{key} \\['{value}'\\]: not"):
            cbam.trade_response(fees, pl.DataFrame({key: [value], "elasticity": [-1.0]}), by=[key])

    def test_senegal_is_an_ldc_from_2001(self) -> None:
        # UN News, 2001-04 ("Senegal added to UN list of least developed countries"): the
        # General Assembly added it in April 2001; the list keeps the year's last day
        # (country_lists/README.md), as for every inclusion year.
        from cbam._countries import country_group

        senegal = country_group("un_ldc").filter(pl.col("iso3") == "SEN")
        assert str(senegal["member_from"].item()) == "2001-12-31"


class TestReviewOfDecember7EveningDiff:
    """Review of the evening's own diff (2026-12-07): what its first version missed."""

    @pytest.mark.parametrize(
        "target",
        [
            ("country_lists", "un_ldc.csv"),  # read by the scenario's LDC group
            ("rates", "carbon_prices", "fx.csv"),  # read by every run
            ("data", "new-file.csv"),  # cbam's own data, read or not
        ],
    )
    def test_out_may_not_write_into_cbams_own_data(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: tuple[str, ...]
    ) -> None:
        imports = tmp_path / "imp.csv"
        imports.write_text("year,origin,cn_code,quantity_t\n2027,TUR,72071111,100\n")
        kind, *rest = target
        out = data_dir(kind).joinpath(*rest)  # type: ignore[arg-type]
        before = out.read_bytes() if out.exists() else None
        args = ["run", "--scenario", "eu-cbam-ldc-exempt", "--imports", str(imports)]
        try:
            assert main([*args, "--out", str(out)]) == 2
            assert "is in cbam's own data" in capsys.readouterr().err
        finally:  # were the refusal lost, the shipped file is put back
            written = out.read_bytes() if out.exists() else None
            if written != before:
                out.write_bytes(before) if before is not None else out.unlink()
        assert written == before

    def test_pandas_na_in_a_column_read_as_text_is_a_missing_value(self) -> None:
        import pandas as pd

        given = pd.Series([5.0, "5", pd.NA], dtype=object)
        frame = pd.DataFrame(
            {
                "year": [2027] * 3,
                "origin": ["TUR"] * 3,
                "cn_code": ["72071111"] * 3,
                "quantity_t": [100.0] * 3,
                "carbon_price_paid_eur_per_t": given,
            }
        )
        text = pl.DataFrame(
            {
                **{c: frame[c].tolist() for c in ("year", "origin", "cn_code", "quantity_t")},
                "carbon_price_paid_eur_per_t": ["5.0", "5", None],
            }
        )
        fees = cbam.compute(frame, "eu-cbam")  # no error: the third price is not given
        assert fees["fee_eur"].tolist() == cbam.compute(text, "eu-cbam")["fee_eur"].to_list()

    def test_the_grand_total_label_is_no_groups_name(self, tmp_path: Path) -> None:
        rows = tmp_path / "rows.csv"
        rows.write_text(
            "year,origin,cn_code,quantity_t,importer\n2027,TUR,72071111,100,total\n"
            "2027,CHN,72071111,100,total (all rows)\n"
        )
        out = tmp_path / "t.xlsx"
        assert main(["run", "--imports", str(rows), "--by", "importer", "--out", str(out)]) == 0
        labels = pl.read_excel(out, sheet_name="totals", engine="openpyxl")["importer"]
        assert labels.to_list()[-1] == "total (all rows)*"
        assert labels.n_unique() == labels.len()

    def test_a_long_decimal_goes_into_a_workbook_as_text(self, tmp_path: Path) -> None:
        import openpyxl

        rows = tmp_path / "d.parquet"
        pl.DataFrame(
            {
                "year": [2027],
                "origin": ["TUR"],
                "cn_code": ["72071111"],
                "quantity_t": [100.0],
                "dec": pl.Series(["1234567890123456789"]).cast(pl.Decimal(38, 0)),
                "price": pl.Series(["12.50"]).cast(pl.Decimal(10, 2)),
            }
        ).write_parquet(rows)
        out = tmp_path / "d.xlsx"
        assert main(["run", "--imports", str(rows), "--out", str(out)]) == 0
        sheet = list(openpyxl.load_workbook(out)["rows"].iter_rows(values_only=True))
        cells = dict(zip(sheet[0], sheet[1], strict=True))
        assert cells["dec"] == "1234567890123456789"
        assert cells["price"] == 12.5  # a short one stays a number


class TestReviewOfIndicators:
    """Review of 2026-12-07 (evening): the indicators read amounts as compute does, and give
    null, not inf, where a ratio overflows."""

    PRICED: ClassVar[dict[str, float]] = {"certificate_price_eur": 80}

    def test_amounts_given_as_padded_text_count_in_every_indicator(self) -> None:
        # The README's row twice, once as text: fee 9,688.80 each, wedge 9,688.80 / 55,000.
        import pandas as pd

        rows = pd.DataFrame(
            {
                "year": [2026] * 2,
                "origin": ["TUR"] * 2,
                "cn_code": ["72071111"] * 2,
                "quantity_t": [100.0, " 100"],
                "value_eur": [55_000.0, " 55000"],
            }
        )
        fees = cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides=self.PRICED))
        per_tonne = cbam.fee_per_tonne(fees, by=[])
        assert per_tonne["quantity_t"].item() == 200.0
        assert per_tonne["fee_per_t"].item() == pytest.approx(96.888)
        ave = cbam.ad_valorem_equivalents(fees, by=[])
        assert ave[["rows_without_value", "value_eur"]].iloc[0].tolist() == [0, 110_000.0]
        assert cbam.exposure(fees, by=[])["exports_eur"].item() == 110_000.0
        response = cbam.trade_response(fees, -1.0, by=[])
        # Each row's fee falls by 1 / 1.17616: 2 x 9,688.80 / 1.17616 = 16,475.31.
        assert response["fee_after_response_eur"].item() == pytest.approx(16_475.31, abs=0.01)
        assert response["rows_without_response"].item() == 0

    def test_a_ratio_that_overflows_is_null_not_inf(self) -> None:
        rows = _rows(
            year=[2026],
            origin=["TUR"],
            cn_code=["72071111"],
            quantity_t=[100.0],
            value_eur=[1e-306],
        )
        fees = cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides=self.PRICED))
        assert fees["ave"].item() is None  # as compute and summarise have it
        ave = cbam.ad_valorem_equivalents(fees, by=[])
        assert ave.select("ave", "ave_before_exemptions").row(0) == (None, None)
        assert cbam.exposure(fees, by=[])["share_of_exports"].item() is None
        economy = pl.DataFrame({"origin": ["TUR"], "gdp_eur": [1e-306]})
        assert cbam.exposure(fees, economy=economy)["share_of_gdp"].item() is None

    def test_a_chart_of_tonnes_given_as_text_sums_them(self) -> None:
        from cbam.charts import scenario_comparison

        rows = _rows(
            year=[2026, 2026],
            origin=["TUR", "TUR"],
            cn_code=["72071111"] * 2,
            quantity_t=["100", " 100"],
        )
        figure = scenario_comparison({"eu": cbam.compute(rows, "eu-cbam")}, column="quantity_t")
        assert [bar.get_width() for bar in figure.axes[0].patches] == [200.0]

    def test_a_misspelt_plan_name_in_recycles_second_slot_lists_the_plans(self) -> None:
        # Review of the installed wheel (2026-12-07): the slot takes a plan's name too.
        fees = _rows(origin=["TUR"], fee_eur=[600.0])
        with pytest.raises(ScenarioError, match="unknown scenario or recycling plan") as raised:
            cbam.recycle(fees, "eu-own-resource")
        assert "plans: " in str(raised.value) and "eu-own-resources" in str(raised.value)


class TestReviewOfActualValues:
    """Review of 2026-12-07 (evening): actual values, precursors and routes by hand."""

    def test_a_cements_precursor_benchmark_is_per_tonne_of_cement(self) -> None:
        # 100 t of Portland cement with 70 % clinker whose clinker consumed 0.666 x 0.7 t/t of
        # benchmark (IR 2025/2620: grey clinker, column A, 0.666; Portland cement's own column
        # A 0) is 70 t of that clinker: free allocation 70 x 0.666 x 0.95 (the 2027 CBAM factor)
        # = 44.289 t on both rows, and the same fee.
        rows = _rows(
            year=[2027, 2027],
            origin=["CHN", "CHN"],
            cn_code=["25232900", "25231000"],
            quantity_t=[100.0, 70.0],
            see_direct=[0.8, 0.8],
            see_indirect=[0.05, 0.05],
            route=["A", "A"],
            clinker_share=[0.7, None],
            precursor_benchmark_t_per_t=[0.666 * 0.7, None],
        )
        fees = cbam.compute(rows, "eu-cbam")
        assert fees["free_allocation_t"].to_list() == pytest.approx([44.289, 44.289])
        assert fees["fee_eur"][0] == pytest.approx(fees["fee_eur"][1])

    def test_an_aggregate_codes_assumed_route_says_so(self) -> None:
        scenario = cbam.load_scenario(
            "eu-cbam", overrides={"actual_values_route_from_default": True}
        )
        rows = _rows(
            year=[2026] * 2,
            origin=["CHN"] * 2,
            cn_code=["7601"] * 2,
            quantity_t=[100.0] * 2,
            see_direct=[8.0] * 2,
            route=[None, "L"],
        )
        sources = cbam.compute(rows, scenario)["benchmark_route_source"].cast(pl.String)
        assert sources.to_list() == ["assumed (default-value route for actual values)", "aggregate"]

    def test_a_precursor_benchmark_on_electricity_is_refused(self) -> None:
        rows = _rows(
            year=[2026],
            origin=["SRB"],
            cn_code=["27160000"],
            quantity_t=[100.0],
            see_direct=[0.5],
            precursor_benchmark_t_per_t=[0.4],
        )
        with pytest.raises(CbamInputError, match="applies only to goods with free allocation"):
            cbam.compute(rows, "eu-cbam")

    def test_a_clinker_share_too_small_for_its_precursor_is_named(self) -> None:
        # Review of the evening's diff: precursor / share overflowed and the fee's overflow
        # was blamed on the certificate price.
        rows = _rows(
            year=[2027],
            origin=["TUR"],
            cn_code=["25232900"],
            quantity_t=[100.0],
            see_direct=[0.8],
            see_indirect=[0.05],
            clinker_share=[1e-310],
            precursor_benchmark_t_per_t=[0.5],
        )
        error = cbam.compute(rows, "eu-cbam", on_error="flag")["input_error"].item()
        assert error.startswith("clinker_share: too small for the row's precursor benchmark")


class TestReviewOfSweepKeys:
    """Review of 2026-12-07 (evening): a sweep's keys are shared by every price path."""

    ROWS: ClassVar[dict[str, list[object]]] = {
        "year": [2026, 2027],
        "origin": ["TUR", "TUR"],
        "cn_code": ["72071111"] * 2,
        "quantity_t": [100.0, 100.0],
        "quarter": [1, None],
    }

    @pytest.mark.parametrize(
        "by", ["certificate_price_eur", "certificate_price_period", "fee_local"]
    )
    def test_a_column_the_price_decides_is_no_key_of_a_price_sweep(self, by: str) -> None:
        # Grouped by the base price's values, a path of EUR 40 was filed under 75.36 and 107.29.
        with pytest.raises(ScenarioError, match="the price path decides it"):
            cbam.sweep(_rows(**self.ROWS), "eu-cbam", vary={"certificate_price_eur": [40]}, by=[by])

    def test_a_totals_own_column_is_no_key_as_for_summarise(self) -> None:
        with pytest.raises(ScenarioError, match="is a column of the totals"):
            cbam.sweep(
                _rows(**self.ROWS), "eu-cbam", vary={"cbam_factor": [0.5]}, by=["certificates"]
            )

    def test_without_a_varied_price_the_price_is_a_key(self) -> None:
        # One price per design: its groups are those summarise gives (the cited 2026 Q1 and
        # 2027 prices, rates/eu/certificate_price.yaml).
        rows = _rows(**self.ROWS)
        swept = cbam.sweep(
            rows, "eu-cbam", vary={"cbam_factor": [0.5]}, by=["certificate_price_eur"]
        )
        scenario = cbam.load_scenario("eu-cbam", overrides={"cbam_factor": 0.5})
        expected = cbam.totals(rows, scenario, by=["certificate_price_eur"]).sort(
            "certificate_price_eur"
        )
        got = swept.totals.sort("certificate_price_eur")
        assert got["certificate_price_eur"].to_list() == expected["certificate_price_eur"].to_list()
        assert got["fee_eur"].to_list() == pytest.approx(expected["fee_eur"].to_list(), abs=0.005)


class TestReviewOfUserDesigns:
    """Review of 2026-12-07 (evening): designs a user writes, hostile or subtly wrong."""

    TEMPLATE = data_dir("rates") / "regimes" / "templates" / "flat-border-fee.yaml"

    def _design(self, tmp_path: Path, change: dict[str, object]) -> Path:
        import yaml

        from cbam._yaml import deep_merge, read_yaml_mapping

        design = deep_merge(read_yaml_mapping(self.TEMPLATE), change)
        path = tmp_path / "mine.yaml"
        path.write_text(yaml.safe_dump(design, sort_keys=False))
        return path

    @staticmethod
    def _dated(value: object, start: str = "2026-01-01") -> dict[str, object]:
        return {"from": start, "value": value, "reference": {"title": "mine", "href": ""}}

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"home_origins": ["USA", "USA"]}, "home_origins: ['USA'] given more than once"),
            (
                {
                    "emissions": {
                        "defaults_markup": {
                            "values": [
                                {
                                    "from": "2030-01-01",
                                    "value": 1.0,
                                    "reference": {"title": "mine", "href": ""},
                                }
                            ]
                        }
                    }
                },
                "emissions.defaults_markup of flat-border-fee starts on 2030-01-01, after 1 "
                "January of rules year 2026",
            ),
            (
                {
                    "emissions": {
                        "indirect_sectors": {
                            "description": "x",
                            "unit": "sectors",
                            "values": [
                                {
                                    "from": "2026-01-01",
                                    "value": ["cement"],
                                    "reference": {"title": "mine", "href": ""},
                                }
                            ],
                        }
                    }
                },
                "emissions.indirect_sectors: cement is no sector of the design's",
            ),
        ],
    )
    def test_a_design_mistake_is_refused_naming_it(
        self, tmp_path: Path, change: dict[str, object], message: str
    ) -> None:
        path = self._design(tmp_path, change)
        with pytest.raises(ScenarioError, match=re.escape(message)):
            cbam.load_scenario(path)

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ([0.2, 0.5], "iron_steel: two values from the same day: 2026-01-01"),
            ([True], "a number is needed, not true"),
        ],
    )
    def test_free_allocation_shares_are_checked_as_every_dated_value(
        self, tmp_path: Path, values: list[object], message: str
    ) -> None:
        shares = {
            "description": "share",
            "unit": "share",
            "sectors": {"iron_steel": [self._dated(v) for v in values]},
        }
        path = self._design(tmp_path, {"charge": {"free_allocation_share": shares}})
        with pytest.raises(ScenarioError, match=re.escape(message)):
            cbam.load_scenario(path)

    def test_a_design_files_alias_bomb_is_refused_quickly(self, tmp_path: Path) -> None:
        levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
        path = tmp_path / "bomb.yaml"
        path.write_text(
            self.TEMPLATE.read_text() + "\nx_bomb:\n" + "".join(f"  {x}\n" for x in levels)
        )
        with pytest.raises(ScenarioError, match=r"its aliases \(\*name\) expand to"):
            cbam.load_scenario(path)

    def test_an_unknown_published_defaults_column_is_named_with_its_key(
        self, tmp_path: Path
    ) -> None:
        # Was told at the first compute without the file or key: "['nonsense'] name no column".
        from cbam._yaml import read_yaml_mapping

        design = read_yaml_mapping(self.TEMPLATE)
        markup = design["emissions"].pop("defaults_markup", None)
        assert markup is not None  # the template marks up its defaults
        design["emissions"]["published_defaults"] = {
            "description": "a column",
            "unit": "column",
            "values": [self._dated("nonsense")],
        }
        import yaml

        path = tmp_path / "mine.yaml"
        path.write_text(yaml.safe_dump(design, sort_keys=False))
        with pytest.raises(ScenarioError) as raised:
            cbam.load_scenario(path)
        assert "mine.yaml" in str(raised.value)
        assert "emissions.published_defaults: 'nonsense' names no column" in str(raised.value)

    def test_a_note_about_a_key_no_design_has_is_refused(self, tmp_path: Path) -> None:
        # Its "this scenario changes ..." marker could never show.
        path = self._design(tmp_path, {"notes": [{"note": "a price", "about": "charge.pryce"}]})
        with pytest.raises(ScenarioError, match=re.escape("['charge.pryce'] names no key")):
            cbam.load_scenario(path)

    @pytest.mark.parametrize("name", ["uk-cbam", "us-cca-2025", "us-fpf-2025"])
    def test_a_scenario_may_narrow_a_bundled_designs_sectors(self, name: str) -> None:
        # The design's values for the sectors left out go unread (review of the final diff).
        scenario = cbam.load_scenario(name, overrides={"design.sectors": ["iron_steel"]})
        assert cbam.resolve(scenario).design.sectors == ["iron_steel"]


class TestReviewOfTestingTools:
    """Review of 2026-12-07 (evening): cbam.testing and cbam check on valid, unusual designs."""

    TEMPLATE = data_dir("rates") / "regimes" / "templates" / "flat-border-fee.yaml"

    def _design(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "mine.yaml"
        path.write_text(text)
        return path

    def test_a_design_ending_soon_holds_every_property(self, tmp_path: Path) -> None:
        from cbam.testing import check_scenario

        text = self.TEMPLATE.read_text().replace("last_rules_year: 2100", "last_rules_year: 2027")
        assert "last_rules_year: 2027" in text
        report = check_scenario(self._design(tmp_path, text), max_examples=3)
        assert report.all_hold, [r.error for r in report.results if not r.holds]

    def test_a_euro_fee_before_fx_tables_begin_has_its_rate(self) -> None:
        from cbam._carbon_prices import fx_by_year

        euro = fx_by_year(range(2015, 2017)).filter(pl.col("currency") == "EUR")
        assert euro.select("year", "eur_per_unit").rows() == [(2015, 1.0), (2016, 1.0)]

    def test_rules_years_before_a_currencys_first_rate_are_refused(self, tmp_path: Path) -> None:
        text = (
            self.TEMPLATE.read_text()
            .replace("first_rules_year: 2026", "first_rules_year: 2015")
            .replace("from: 2026-01-01", "from: 2015-01-01")
            .replace("currency: EUR", "currency: GBP")
            .replace("EUR per t CO2e", "GBP per t CO2e")
        )
        with pytest.raises(ScenarioError, match="has no GBP rate for rules year 2015-2018"):
            cbam.load_scenario(self._design(tmp_path, text))


class TestReviewOfDecember7Night:
    """Faults found on 2026-12-07 in the night session's reviews (and carried ones)."""

    def test_pandas_output_dtypes_do_not_change_with_a_flagged_row(self) -> None:
        # A flagged row's fee came back NaN and rules_year float64 (int64 on a clean frame),
        # breaking "no fee is NaN" and any dtype check downstream.
        pd = pytest.importorskip("pandas")
        rows = pd.DataFrame(
            {
                "year": [2027, 2027],
                "origin": ["CHN", "CHN"],
                "cn_code": ["72081000", "72081000"],
                "quantity_t": [10.0, -1.0],
            }
        )
        flagged = cbam.compute(rows, "eu-cbam", on_error="flag")
        clean = cbam.compute(rows.iloc[:1], "eu-cbam", on_error="flag")
        assert flagged.dtypes.to_dict() == clean.dtypes.to_dict()
        assert str(flagged["fee_eur"].dtype) == "Float64"
        assert flagged["fee_eur"].isna().tolist() == [False, True]
        assert flagged["rules_year"].tolist()[0] == 2027
        assert str(flagged["exempt"].dtype) == "boolean"

    def test_compare_shows_a_group_one_scenario_flagged_whole_as_no_fee(self) -> None:
        # The UK has no rules for 2026: its row was flagged, yet the group read "GBP 0.00"
        # and a difference of -7,745.46, as though the UK charged nothing.
        rows = pl.DataFrame(
            {
                "year": [2026, 2027],
                "origin": ["TUR", "TUR"],
                "cn_code": ["72071111", "72071111"],
                "quantity_t": [100.0, 100.0],
                "value_eur": [55000.0, 55000.0],
            }
        )
        table = cbam.compare(
            rows, ["eu-cbam", "uk-cbam"], by=["year"], currency="EUR", on_error="flag"
        )
        eu = cbam.compute(rows, "eu-cbam")["fee_eur"].to_list()
        uk = cbam.compute(rows.filter(pl.col("year") == 2027), "uk-cbam")["fee_eur"][0]
        assert table.rows() == [
            (2026, pytest.approx(eu[0]), None, None),
            (2027, pytest.approx(eu[1]), pytest.approx(uk), pytest.approx(uk - eu[1])),
        ]
        # No rows of a scenario at all is still 0 (an empty panel).
        empty = cbam.compare(rows.clear(), ["eu-cbam", "uk-cbam"], by=[])
        assert empty.rows() == [(0.0, 0.0, 0.0)]

    def test_compares_cli_total_difference_is_that_of_the_totals(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "imports.csv"
        path.write_text(
            "year,origin,cn_code,quantity_t,value_eur\n"
            "2026,TUR,72071111,100,55000\n2027,TUR,72071111,100,55000\n"
        )
        args = ["compare", "eu-cbam", "uk-cbam", "--imports", str(path), "--on-error", "flag"]
        assert main([*args, "--by", "year"]) == 0
        grouped = capsys.readouterr().out
        assert main([*args, "--by", ""]) == 0
        whole = capsys.readouterr().out
        total = next(line for line in grouped.splitlines() if line.startswith("| total"))
        # 14,795.81 - 24,957.73, the difference of the printed fees (review "clisub13").
        assert total.split("|")[-2].strip() == "-10,161.92"
        assert "| 24,957.73       | 14,795.81       | -10,161.92        |" in whole
        assert "null: a group whose every row that scenario flagged" in grouped

    def test_compares_duplicate_name_hint_works_for_a_scenario_file(self, tmp_path: Path) -> None:
        path = tmp_path / "mine.yaml"
        path.write_text("extends: uk-cbam\noverrides:\n  charge.price.2027: 80\n")
        rows = pl.DataFrame(
            {"year": [2027], "origin": ["TUR"], "cn_code": ["7601"], "quantity_t": [1.0]}
        )
        with pytest.raises(ScenarioError, match="a line 'name: my-variant' in its scenario file"):
            cbam.compare(rows, ["uk-cbam", str(path)])

    @pytest.mark.parametrize(
        ("name", "overrides"),
        [
            ("uk-cbam", {"design": {"charge": {"price": {2030: 100}}}, "charge.price.2030": 120}),
            ("uk-cbam", {"charge": {"price": {2030: 100}}, "charge.price.2030": 120}),
            ("eu-cbam", {"charge": {"price": {2030: 100}}, "certificate_price_eur.2030": 120}),
        ],
    )
    def test_a_nested_mapping_and_a_dotted_path_setting_one_value_are_refused(
        self, name: str, overrides: dict[str, object]
    ) -> None:
        # The dotted value won and the mapping's was dropped, unsaid (GBP 120, not 100).
        with pytest.raises(ScenarioError, match=r"both set certificate_price_eur\.2030"):
            cbam.load_scenario(name, overrides=overrides)

    def test_a_nested_mapping_and_a_later_dated_value_still_add_up(self) -> None:
        scenario = cbam.load_scenario(
            "uk-cbam", overrides={"charge": {"price": {2030: 100}}, "charge.price.2031": 120}
        )
        rows = pl.DataFrame(
            {
                "year": [2030, 2031],
                "origin": ["CHN", "CHN"],
                "cn_code": ["76011010", "76011010"],
                "quantity_t": [10.0, 10.0],
                "importer": ["a", "a"],
            }
        )
        fees = cbam.compute(rows, scenario)
        assert fees["fee_local"].to_list()[0] / fees["fee_local"].to_list()[1] == pytest.approx(
            100 / 120
        )

    def test_a_phase_in_value_after_the_last_rules_year_is_refused(self) -> None:
        # exemptions.0.fee_share_charged.2300 loaded and changed nothing.
        for overrides in (
            {"exemptions.0.fee_share_charged.2300": 0.5},
            {"exemptions": [{"group": "ldc", "fee_share_charged": {2300: 0.5}}]},
        ):
            with pytest.raises(
                ScenarioError, match=r"exemptions\.0\.fee_share_charged: \[2300\] after the last"
            ):
                cbam.load_scenario("eu-cbam-ldc-exempt", overrides=overrides)

    def test_a_fixed_status_day_on_which_the_group_had_no_member_is_refused(self) -> None:
        # status_on 1800-01-01: the LDC exemption exempted no one, unsaid (Mozambique charged).
        with pytest.raises(ScenarioError, match=r"exemptions\.0\.status_on: group 'ldc' has no"):
            cbam.load_scenario(
                "eu-cbam-ldc-exempt", overrides={"exemptions.0.status_on": "1800-01-01"}
            )
        # The first LDCs were listed on 1971-12-31 (country_lists/un_ldc.csv): 1975 has members.
        kept = cbam.load_scenario(
            "eu-cbam-ldc-exempt", overrides={"exemptions.0.status_on": "1975-01-01"}
        )
        assert str(kept.exemptions[0].status_on) == "1975-01-01"

    def test_the_workbooks_years_stay_numbers_with_no_text_key(self, tmp_path: Path) -> None:
        # --by year: every year was written as text to make room for the 'total' label.
        import openpyxl

        rows = tmp_path / "rows.csv"
        rows.write_text(
            "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n2027,CHN,25232900,2\n"
        )
        out = tmp_path / "t.xlsx"
        assert main(["run", "--imports", str(rows), "--by", "year", "--out", str(out)]) == 0
        sheet = list(openpyxl.load_workbook(out)["totals"].iter_rows(values_only=True))
        expected = [("year", "quantity_t"), (2026, 1), (2027, 2), ("total", 3)]
        assert [r[:2] for r in sheet] == expected

    # --- fee tables as analysts hand them back (review "feeframes") ----------------------

    @staticmethod
    def _fees_pair() -> tuple[pl.DataFrame, pl.DataFrame]:
        rows = pl.DataFrame(
            {
                "year": [2027, 2027],
                "origin": ["TUR", "IND"],
                "cn_code": ["72071111", "25231000"],
                "quantity_t": [100.0, 1000.0],
                "value_eur": [55000.0, 60000.0],
            }
        )
        eu = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        return cbam.compute(rows, eu), cbam.compute(rows, "uk-cbam")

    def test_a_fee_table_read_back_as_text_gives_the_same_answers(self) -> None:
        # summarise raised a Polars InvalidOperationError (str * f64), trade_response and the
        # charts too, while fee_per_tonne read the same table.
        pd = pytest.importorskip("pandas")
        import io

        fees, _ = self._fees_pair()
        text = pd.read_csv(io.StringIO(fees.write_csv()), dtype=str)
        as_text = fees.with_columns(pl.col("fee_eur", "exempt").cast(pl.String))
        expected = cbam.summarise(fees, by=[])["fee_eur"].item()
        assert cbam.summarise(text, by=[])["fee_eur"].item() == pytest.approx(expected)
        assert cbam.summarise(as_text, by=[])["fee_eur"].item() == pytest.approx(expected)
        response = cbam.trade_response(as_text, -2.0, by=[])
        assert response.equals(cbam.trade_response(fees, -2.0, by=[]))
        assert cbam.recycle(as_text, "eu-own-resources").total_eur == pytest.approx(expected)

    def test_text_no_amount_reads_is_named_not_summed_as_nothing(self) -> None:
        fees, _ = self._fees_pair()
        bad = fees.with_columns(
            pl.when(pl.col("origin") == "TUR")
            .then(pl.lit("abc"))
            .otherwise(pl.col("fee_eur").cast(pl.String))
            .alias("fee_eur")
        )
        with pytest.raises(CbamInputError, match=r"column 'fee_eur': .*row 1 \(abc\)"):
            cbam.summarise(bad, by=[])

    def test_an_indicator_names_a_column_it_reads_and_the_table_lacks(self) -> None:
        fees, _ = self._fees_pair()
        with pytest.raises(ScenarioError, match=r"no column\(s\) \['embedded_t'\]"):
            cbam.fee_per_tonne(fees.drop("embedded_t"))

    def test_a_chart_of_fee_local_refuses_two_currencies_on_one_axis(self) -> None:
        from cbam import charts

        eu, uk = self._fees_pair()
        with pytest.raises(ScenarioError, match=r"'eu-cbam': EUR, 'uk-cbam': GBP"):
            charts.scenario_comparison({"eu-cbam": eu, "uk-cbam": uk}, column="fee_local")
        figure = charts.scenario_comparison({"uk-cbam": uk}, column="fee_local")
        assert figure.axes[0].get_xlabel().startswith("fee_local, GBP")

    def test_a_chart_leaves_out_rows_imported_elsewhere_as_summarise_does(self) -> None:
        from cbam import charts

        rows = pl.DataFrame(
            {
                "year": [2027, 2027],
                "origin": ["TUR", "IND"],
                "cn_code": ["72071111", "25231000"],
                "quantity_t": [100.0, 1000.0],
                "destination": ["DEU", "USA"],
            }
        )
        fees = cbam.compute(rows, "eu-cbam")
        axis = charts.scenario_comparison({"eu": fees}, column="quantity_t").axes[0]
        bars = dict(
            zip(
                [t.get_text() for t in axis.get_yticklabels()],
                [b.get_width() for b in axis.patches],
                strict=True,
            )
        )
        assert bars == {"TUR": 100.0}  # IND went to the USA: no EU import, no bar

    def test_recycle_refuses_another_regimes_revenue(self) -> None:
        # UK CBAM fees were split 75/25 between the EU budget and the Member States.
        eu, uk = self._fees_pair()
        with pytest.raises(ScenarioError, match="fees in GBP are another regime's revenue"):
            cbam.recycle(uk, "eu-cbam-own-resources")
        with pytest.raises(ScenarioError, match="fees in GBP"):
            cbam.recycle(pl.concat([eu, uk]), "eu-own-resources")
        assert cbam.recycle(eu, "eu-own-resources").total_eur == pytest.approx(99433.6)

    def test_actual_value_threshold_refuses_fees_of_other_rules(self) -> None:
        # Fees of 2030 imports under the 2026 rules got a threshold of the 2030 rules
        # (SEE 3.003, x* 2.39736), beside columns showing 2026 and SEE 2.541.
        rows = pl.DataFrame(
            {"year": [2030], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
        )
        rules_2026 = cbam.load_scenario("eu-cbam-rules-2026")
        fees = cbam.compute(rows, rules_2026)
        with pytest.raises(ScenarioError, match=r"other rules \(rules_year 2026\)"):
            cbam.actual_value_threshold(fees)
        # 2.541 - (1.364 - 0.188) x 0.975 (IR 2025/2621 TUR 7207 11 11, IR 2025/2620)
        threshold = cbam.actual_value_threshold(fees, rules_2026)
        assert threshold["actual_see_threshold_t_per_t"].item() == pytest.approx(1.3944)
        # A currency in another case is the same currency.
        lower = fees.with_columns(pl.lit("eur").alias("currency"))
        assert cbam.actual_value_threshold(lower, rules_2026).height == 1

    # --- recycling (review "recycling") --------------------------------------------------

    def test_index_shares_are_read_as_written_whatever_their_units(self) -> None:
        # 0.5/0.3/0.2 of 5 cents gave ZMB 3, AFG 1; 5/3/2 gave AFG 2, ZMB 2 (the tie, 2.5 and
        # 1.5 cents, goes to the first ISO3 code: docs/guide/recycling.md).
        fees = pl.DataFrame({"year": [2026], "origin": ["TUR"], "fee_eur": [0.05]})

        def plan(index: dict[str, float]) -> dict[str, object]:
            rule = {"pool": "I", "share": 1, "rule": "proportional_to_index", "index": index}
            return {"name": "i", "allocations": [rule]}

        for index in ({"ZMB": 0.5, "AFG": 0.3, "COD": 0.2}, {"ZMB": 5, "AFG": 3, "COD": 2}):
            flows = cbam.recycle(fees, plan(index)).flows
            assert flows.select("recipient", "amount_cents").rows() == [
                ("AFG", 2),
                ("ZMB", 2),
                ("COD", 1),
            ]

    def test_a_fixed_amount_beside_shares_of_all_the_total_is_told_as_too_much(self) -> None:
        plan = {
            "name": "x",
            "allocations": [{"pool": "F", "amount_eur": 3}, {"pool": "E", "share": 1}],
        }
        fees = pl.DataFrame({"year": [2026], "origin": ["TUR"], "fee_eur": [10.0]})
        with pytest.raises(ScenarioError, match="allocates more than the revenue"):
            cbam.recycle(fees, plan)

    def test_a_fee_row_without_a_year_is_named(self) -> None:
        fees = pl.DataFrame({"year": [None, 2026], "origin": ["TUR"] * 2, "fee_eur": [1.0, 2.0]})
        with pytest.raises(ScenarioError, match=r"1 fee row\(s\) have no year \(row\(s\) 1\)"):
            cbam.recycle(fees, "eu-decarbonisation-fund")

    # --- per-row rule inputs at their edges (review "clinker") ----------------------------

    def test_a_refused_route_is_told_once_not_as_missing_values_too(self) -> None:
        # Three lines: the route, then a false "no default value" and "no CBAM benchmark"
        # (the same code without a route has both: CHN 2523 10 00, 1.668 and 0.666).
        rows = pl.DataFrame(
            {
                "year": [2027] * 3,
                "origin": ["CHN"] * 3,
                "cn_code": ["25231000", "25239000", "25231000"],
                "quantity_t": [100.0] * 3,
                "route": ["C", "C", None],
            }
        )
        for name in ("eu-cbam", "uk-cbam", "us-cca-2025"):
            flagged = cbam.compute(rows, name, on_error="flag")["input_error"].to_list()
            assert flagged == ["route: not a production route of this good's sector"] * 2 + [
                None
            ], name

    def test_a_tiny_clinker_share_is_not_blamed_on_the_quantity(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2027],
                "origin": ["CHN"],
                "cn_code": ["25232900"],
                "quantity_t": [1000.0],
                "route": [""],
                "see_direct": [0.8],
                "see_indirect": [0.05],
                "clinker_share": [5e-324],
                "precursor_benchmark_t_per_t": [1e-10],
            }
        )
        reason = cbam.compute(rows, "eu-cbam", on_error="flag")["input_error"].item()
        assert reason.startswith("clinker_share: too small for the row's precursor benchmark")
        assert "quantity_t" not in reason

    def test_an_int64_minimum_is_written_to_a_workbook_as_text(self, tmp_path: Path) -> None:
        import openpyxl

        rows = tmp_path / "ids.parquet"
        _rows(
            year=[2027, 2027],
            origin=["CHN", "CHN"],
            cn_code=["72071111"] * 2,
            quantity_t=[1.0, 1.0],
            id=pl.Series([-(2**63), 5], dtype=pl.Int64),
        ).write_parquet(rows)
        out = tmp_path / "out.xlsx"
        assert main(["run", "--imports", str(rows), "--out", str(out)]) == 0
        sheet = list(openpyxl.load_workbook(out)["rows"].iter_rows(values_only=True))
        cells = dict(zip(sheet[0], sheet[1], strict=True))
        assert cells["id"] == "-9223372036854775808"

    def test_a_customs_value_of_minus_zero_gives_no_minus_zero_fee(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2027],
                "origin": ["CHN"],
                "cn_code": ["25232900"],
                "quantity_t": [100.0],
                "value_eur": [-0.0],
            }
        )
        fees = cbam.compute(rows, cbam.load_scenario("us-fpf-2025", overrides={"rules_year": 2027}))
        assert [str(v) for v in fees.select("fee_eur", "fee_local").row(0)] == ["0.0", "0.0"]

    def test_a_clinker_share_override_of_minus_one_is_told_the_bound_that_holds(self) -> None:
        with pytest.raises(ScenarioError, match=r"greater than 0 \(given -1\)"):
            cbam.load_scenario("eu-cbam", overrides={"clinker_share.25232900": -1})

    # --- time keys (review "time") -------------------------------------------------------

    def test_text_years_and_quarters_group_as_the_rules_read_them(self) -> None:
        # '2026', '2026.0' and ' 2026' are one year to the rules (each priced 2026-Q3), yet
        # summarise, totals, compare and sweep gave one group per spelling.
        rows = pl.DataFrame(
            {
                "year": ["2026", "2026.0", " 2026", "2026"],
                "quarter": ["3", "3.0", " 3", "03"],
                "origin": ["CHN"] * 4,
                "cn_code": ["72071111"] * 4,
                "quantity_t": [100.0] * 4,
            }
        )
        by = ["year", "quarter"]
        one = cbam.compute(rows.head(1), "eu-cbam")["fee_eur"].item()
        summed = cbam.summarise(cbam.compute(rows, "eu-cbam"), by=by)
        assert summed.select(*by, "rows").rows() == [(2026, 3, 4)]
        assert summed["fee_eur"].item() == pytest.approx(4 * one)
        totals = cbam.totals(rows, "eu-cbam", by=by)
        assert totals.select(*by, "rows").rows() == [(2026, 3, 4)]
        compared = cbam.compare(rows, ["eu-cbam", "eu-cbam-rules-2034"], by=by)
        assert compared.height == 1
        swept = cbam.sweep(rows, "eu-cbam", vary={"certificate_price_eur": [80]}, by=by)
        assert swept.totals.select(*by).rows() == [(2026, 3)]

    def test_the_cli_counts_text_years_as_the_rules_read_them(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "y.csv"
        path.write_text(
            "year,origin,cn_code,quantity_t\n2026,CHN,72071111,100\n2026.0,CHN,72071111,100\n"
            " 2026,CHN,72071111,100\n2027,CHN,72071111,100\n"
        )
        assert main(["run", "--imports", str(path)]) == 0
        out = capsys.readouterr().out
        assert "the 2 import years 2026-2027 summed" in out

    # --- sweeps (review "sweep") ---------------------------------------------------------

    @pytest.mark.parametrize(
        ("name", "vary", "unused"),
        [
            ("eu-cbam-rules-2034", {"certificate_price_eur": [{2026: 70, 2030: 150}]}, "[2026]"),
            (
                "eu-cbam",
                {
                    "rules_year": [2026, 2034],
                    "certificate_price_eur": [{2026: 70, 2028: 90, 2030: 150}],
                },
                "[2028]",
            ),
        ],
    )
    def test_a_price_entry_no_fixed_rules_year_reads_is_refused(
        self, name: str, vary: dict[str, list[object]], unused: str
    ) -> None:
        # Only a span of years was checked: an entry between the fixed years ran, unread.
        rows = pl.DataFrame(
            {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
        )
        with pytest.raises(ScenarioError, match=re.escape(f"{unused} in force in no rules year")):
            cbam.sweep(rows, name, vary=vary)

    def test_a_null_in_vary_is_a_scenario_keys_default_only(self) -> None:
        rows = pl.DataFrame(
            {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
        )
        # uk-cbam's threshold: null removed it, which load_scenario's overrides refuse.
        with pytest.raises(ScenarioError, match="'threshold': null is not a value"):
            cbam.sweep(rows, "uk-cbam", vary={"threshold": [None]})
        own_years = cbam.sweep(rows, "eu-cbam", vary={"rules_year": [None, 2030]}).totals
        assert own_years.sort("design")["fee_eur"].to_list() == pytest.approx(
            [
                cbam.compute(rows, "eu-cbam")["fee_eur"].item(),
                cbam.compute(rows, cbam.load_scenario("eu-cbam", overrides={"rules_year": 2030}))[
                    "fee_eur"
                ].item(),
            ]
        )

    def test_a_year_given_by_quarters_carries_its_last_quarters_price(self, tmp_path: Path) -> None:
        # Written by quarters, a 2031 import took 140, the 2030 quarters' mean, which no day
        # had; written as a dated value (2030-07-01: 200), 200: one path, two fees.
        rows = pl.DataFrame(
            {
                "year": [2030, 2031],
                "quarter": [4, 1],
                "origin": ["CHN"] * 2,
                "cn_code": ["72071111"] * 2,
                "quantity_t": [100.0] * 2,
            }
        )
        path = tmp_path / "quarters.yaml"  # a scenario's own path replaces the cited one whole
        path.write_text(
            "name: quarters\nextends: eu-cbam\n"
            "certificate_price_eur: {2026: 80, 2030: {1: 80, 2: 80, 3: 200, 4: 200}}\n"
        )
        by_quarters = cbam.load_scenario(path)
        by_day = cbam.load_scenario(
            "eu-cbam",
            overrides={"certificate_price_eur": 80, "certificate_price_eur.2030-07-01": 200},
        )
        quarters = cbam.compute(rows, by_quarters)
        assert quarters["certificate_price_eur"].to_list() == [200.0, 200.0]
        assert quarters["certificate_price_period"][1] == "2030-Q4 price, carried forward to 2031"
        assert quarters["fee_eur"].to_list() == cbam.compute(rows, by_day)["fee_eur"].to_list()

    # --- a pandas user's notebook (review "pandasuser") -----------------------------------

    def test_compare_gives_a_pandas_frame_back_for_a_pandas_panel(self) -> None:
        pd = pytest.importorskip("pandas")
        rows = pd.DataFrame(
            {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
        )
        table = cbam.compare(rows, ["eu-cbam", "uk-cbam"])
        assert isinstance(table, pd.DataFrame)
        assert table["fee_eur:eu-cbam"].tolist() == pytest.approx(
            cbam.compute(rows, "eu-cbam")["fee_eur"].tolist()
        )

    def test_loading_a_scenario_leaves_no_file_open(self) -> None:
        import subprocess
        import sys

        code = "import cbam; cbam.load_scenario('eu-cbam')"
        done = subprocess.run(
            [sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True, check=True
        )
        assert "ResourceWarning" not in done.stderr

    def test_charts_are_reached_from_cbam(self) -> None:
        pytest.importorskip("matplotlib")
        code = "import cbam; print(callable(cbam.charts.fees_by_origin))"
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.stdout.strip() == "True", done.stderr

    # --- this session's diff, reviewed (review "diffnight") -------------------------------

    @staticmethod
    def _fees_text_years() -> pl.DataFrame:
        rows = pl.DataFrame(
            {
                "year": ["2026", "2026.0", "2027"],
                "origin": ["TUR", "TUR", "CHN"],
                "cn_code": ["72071111", "72071111", "25232900"],
                "quantity_t": [100.0, 100.0, 1000.0],
                "value_eur": [55000.0, 55000.0, 70000.0],
            }
        )
        return cbam.compute(rows, "eu-cbam")

    def test_charts_and_elasticities_read_text_years_as_the_rules_do(self) -> None:
        from cbam import charts

        fees = self._fees_text_years()
        axis = charts.scenario_comparison({"a": fees, "b": fees}, by="year").axes[0]
        assert sorted(t.get_text() for t in axis.get_yticklabels()) == ["2026", "2027"]
        table = pl.DataFrame({"year": ["2026"], "elasticity": [-1.0]})
        response = cbam.trade_response(fees, table, by=None)
        assert response["elasticity"].to_list() == [-1.0, -1.0, None]

    def test_recycle_reads_only_its_columns_and_any_case_of_a_currency(self) -> None:
        for extra in ({"exempt": ["no"]}, {"currency": ["eur"]}, {"currency": [" EUR "]}):
            fees = pl.DataFrame({"origin": ["TUR"], "fee_eur": [100.0], **extra})
            assert cbam.recycle(fees, "eu-cbam-own-resources").total_eur == 100.0

    def test_one_fee_local_chart_needs_no_currency_column(self) -> None:
        from cbam import charts

        fees = self._fees_text_years().drop("currency")
        figure = charts.scenario_comparison({"a": fees}, column="fee_local")
        assert len(figure.axes[0].patches) == 2


class TestReviewOfDecember7LateNight:
    """Faults found on 2026-12-07, 18:45-21:45 UTC, each fixed where it arises."""

    # --- a carried item: a design's price label names the year its value is dated from ---------

    @pytest.mark.parametrize(
        ("scenario", "year", "label"),
        [
            # rates/regimes/uk-cbam.yaml: one UK ETS price, dated from 2027-01-01.
            ("uk-cbam", 2027, "2027 (assumed)"),
            ("uk-cbam", 2031, "2027 path, in force from 2027 (assumed)"),
            # rates/regimes/us-cca-2025.yaml: prices listed to 2050, held flat after.
            ("us-cca-2025", 2050, "2050 (assumed)"),
            ("us-cca-2025", 2060, "2050 path, in force from 2050 (assumed)"),
        ],
    )
    def test_a_carried_design_price_is_labelled_by_its_own_year(
        self, scenario: str, year: int, label: str
    ) -> None:
        rows = pl.DataFrame(
            {"year": [year], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [100.0]}
        )
        fees = cbam.compute(rows, scenario)
        assert fees["certificate_price_period"].cast(pl.String).to_list() == [label]

    # --- last session's diff, reviewed (review "diff13") -----------------------------------

    @staticmethod
    def _two_rows() -> pl.DataFrame:
        rows = pl.DataFrame(
            {
                "year": [2026, 2027],
                "origin": ["TUR", "TUR"],
                "cn_code": ["72071111", "72071111"],
                "quantity_t": [100.0, 100.0],
                "value_eur": [5e4, 5e4],
            }
        )
        return cbam.compute(rows, "eu-cbam")

    @pytest.mark.parametrize(
        "column",
        [
            pl.Series("rules_year", [2027.0, 2027.5]),
            pl.Series("rules_year", [2027, 2**40], dtype=pl.Int64),
        ],
    )
    def test_a_rules_year_no_rules_year_can_be_is_refused_not_made_null(
        self, column: pl.Series
    ) -> None:
        fees = self._two_rows().with_columns(column)
        with pytest.raises(CbamInputError, match=r"column 'rules_year'.*row 2"):
            cbam.summarise(fees, by=["rules_year"])

    def test_a_key_tables_text_year_is_read_whatever_the_fees_year_type(self) -> None:
        fees = self._two_rows()  # integer years
        table = pl.DataFrame({"year": ["2026.0", "2027.0"], "elasticity": [-1.0, -2.0]})
        assert cbam.trade_response(fees, table, by=None)["elasticity"].to_list() == [-1.0, -2.0]
        economy = pl.DataFrame(
            {"origin": ["TUR", "TUR"], "year": ["2026.0", "2027"], "gdp_eur": [1e6, 2e6]}
        )
        shares = cbam.exposure(fees, economy=economy)
        expected = (shares["fee_eur"] / pl.Series([1e6, 2e6])).to_list()
        assert shares["share_of_gdp"].to_list() == expected

    def test_a_misspelt_sweep_key_given_a_null_is_told_unknown(self) -> None:
        rows = pl.DataFrame(
            {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
        )
        with pytest.raises(ScenarioError, match="no such parameter"):
            cbam.sweep(rows, "eu-cbam", vary={"rules-year": [None, 2030]})

    # --- an economist's elasticities (review "cge13") ----------------------------------------

    def test_a_numpy_elasticity_is_a_number(self) -> None:
        import numpy as np

        fees = self._two_rows()
        plain = cbam.trade_response(fees, -1.5, by=None)["quantity_after_t"].to_list()
        given = cbam.trade_response(fees, np.float32(-1.5), by=None)
        assert given["quantity_after_t"].to_list() == plain
        assert cbam.trade_response(fees, np.int64(-1), by=None).height == 2

    @pytest.mark.parametrize(
        ("key", "value", "told"),
        [
            ("sector", "steel", r"sector \['steel'\]: not a sector \(cement"),
            ("cn_code", "72a", r"cn_code \['72a'\]: not a CN code"),
            # Forms compute refuses (a digit lost, a TARIC line): review "sidetables13".
            ("cn_code", "7208100", r"cn_code \['7208100'\]: not a CN code \(2, 4, 6 or 8"),
            ("cn_code", "7208100000", r"cn_code \['7208100000'\]: not a CN code"),
            ("year", "soon", r"year \['soon'\]"),
        ],
    )
    def test_an_elasticity_key_no_fee_row_holds_is_named(
        self, key: str, value: str, told: str
    ) -> None:
        table = pl.DataFrame({key: [value], "elasticity": [-1.0]})
        with pytest.raises(ValueError, match=told):
            cbam.trade_response(self._two_rows(), table, by=[])

    def test_an_elasticity_by_sector_label_and_integer_code_match(self) -> None:
        fees = self._two_rows()
        expected = cbam.trade_response(fees, -1.0, by=[])["fee_after_response_eur"].to_list()
        for table in (
            pl.DataFrame({"sector": ["iron_steel"], "elasticity": [-1.0]}),
            pl.DataFrame({"cn_code": [72071111], "elasticity": [-1.0]}),
        ):
            given = cbam.trade_response(fees, table, by=[])
            assert given["fee_after_response_eur"].to_list() == expected

    # --- trade files (review "readtrade13") --------------------------------------------------

    _FLOW_TWICE = "the same flow given twice"

    @pytest.mark.parametrize(
        ("fmt", "text"),
        [
            # An exact copy of a line.
            ("baci", "t,i,j,k,v,q\n2025,156,251,720839,100,10\n2025,156,251,720839,100,10\n"),
            # One flow in two spellings the reader reads as one (BACI codes 251 and 0251).
            ("baci", "t,i,j,k,v,q\n2025,156,251,720839,100,10\n2025,156,0251,720839,100,10\n"),
            # Comext: an SDMX month and a bulk one; EL and GR are both Greece.
            (
                "comext",
                "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
                "FR,CN,72083900,1,2025-01,1000,10000\nFR,CN,72083900,1,202501,1000,10000\n",
            ),
            (
                "comext",
                "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
                "EL,CN,72083900,1,202501,1000,10000\nGR,CN,7208 39 00,1,202501,900,9000\n",
            ),
            (
                "comtrade",
                "refYear,reporterCode,partnerCode,flowCode,cmdCode,netWgt,primaryValue\n"
                "2025,251,156,M,720839,10000,1000\n2025,0251,156,M,720839,10000,1000\n",
            ),
        ],
    )
    def test_one_flow_given_twice_is_refused_not_summed(
        self, tmp_path: Path, fmt: str, text: str
    ) -> None:
        path = tmp_path / "flows.csv"
        path.write_text(text, encoding="utf-8")
        usd = {} if fmt == "comext" else {"eur_per_usd": {2025: 0.9}}
        with pytest.raises(CbamInputError, match=rf"{self._FLOW_TWICE}.*line 2 .*line 3 "):
            cbam.read_trade(path, fmt, **usd)  # type: ignore[call-overload]
        rows = cbam.read_trade(path, fmt, on_error="flag", **usd)  # type: ignore[call-overload]
        errors = rows.collect()["trade_error"].to_list()
        assert len(errors) == 2 and all(self._FLOW_TWICE in str(e) for e in errors)

    def test_rows_a_column_cbam_does_not_read_tells_apart_are_two_flows(
        self, tmp_path: Path
    ) -> None:
        # Comext's bulk files split a flow by statistical procedure (1 normal, 2 inward
        # processing): two rows, both counted.
        path = tmp_path / "comext.csv"
        path.write_text(
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,STAT_PROCEDURE,PERIOD,VALUE_IN_EUROS,"
            "QUANTITY_IN_KG\nFR,CN,72083900,1,1,202501,1000,10000\n"
            "FR,CN,72083900,1,2,202501,1000,10000\n",
            encoding="utf-8",
        )
        rows = cbam.read_trade(path, "comext").collect()
        assert rows["quantity_t"].to_list() == [10.0, 10.0]

    def test_the_cli_takes_usd_rates_for_years_the_bundled_file_lacks(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from cbam.cli import main

        # A 2017 BACI panel: rates/carbon_prices/fx.csv starts in 2019.
        path = tmp_path / "baci2017.csv"
        path.write_text("t,i,j,k,v,q\n2017,156,251,720839,100,10\n", encoding="utf-8")
        run = ["run", "--imports", str(path), "--format", "baci", "--rules-year", "2027"]
        assert main(run) == 2
        assert "--eur-per-usd YEAR=RATE" in capsys.readouterr().err
        assert main([*run, "--eur-per-usd", "2017=0.885"]) == 0
        # 10 t x (3.824 default value - 1.370 benchmark x 0.95 CBAM factor) x EUR 107.29
        # (rates/eu/default_values.csv, benchmarks, certificate_price.yaml for 2027).
        assert "Total fee: EUR 2,706.39 on 10 t" in capsys.readouterr().out
        compare = ["compare", "eu-cbam", "uk-cbam", "--imports", str(path), "--format", "baci"]
        assert main([*compare, "--rules-year", "2027", "--eur-per-usd", "2017=0.885"]) == 0

    # --- a carried item: a fee table's fault is told as the fee table's ------------------------

    def test_a_fee_tables_fault_is_not_called_import_data(self) -> None:
        import pickle

        fees = self._two_rows().with_columns(pl.Series("fee_eur", ["12", "twelve"]))
        with pytest.raises(CbamInputError, match=r"^fees: invalid fee table \(1 problem") as caught:
            cbam.summarise(fees)
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
        with pytest.raises(CbamInputError, match="invalid fee table"):
            cbam.recycle(fees, "eu-cbam-own-resources")

    # --- the command line (reviews "clisub13", "docsfig13") ----------------------------------

    def test_a_compare_difference_is_that_of_the_printed_fees(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from cbam.cli import main

        assert main(["compare", "eu-cbam", "uk-cbam", "--currency", "usd", "--top", "5"]) == 0
        rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
        for line in rows[1:]:  # the header first
            cells = [c.strip().replace(",", "") for c in line.strip("|").split("|")]
            eu, uk, difference = (float(c) for c in cells[1:4])
            assert round(uk - eu, 2) == difference, line

    def test_a_rules_year_replaced_on_the_command_line_is_said_in_the_header(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from cbam.cli import main

        run = ["run", "--scenario", "eu-cbam-rules-2026", "--rules-year", "2030", "--top", "1"]
        assert main(run) == 0
        header = capsys.readouterr().out.splitlines()[0]
        assert header.endswith("[its rules year 2026 replaced by --rules-year 2030]")

    def test_a_trade_files_other_columns_travel_through_the_cli(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from cbam.cli import main

        # Two importers of 20 t each: under the EU's 50 t de minimis (Reg. 2023/956 Art. 2(3a),
        # as amended by Reg. 2025/2083), both exempt; without the column, charged.
        path = tmp_path / "comext.csv"
        path.write_text(
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,"
            "importer,sector\nFR,CN,72083900,1,202501,1000,20000,ACME,steel\n"
            "FR,CN,72083900,1,202502,1000,20000,BETA,steel\n",
            encoding="utf-8",
        )
        out = tmp_path / "fees.csv"
        run = ["run", "--imports", str(path), "--format", "comext", "--rules-year", "2027"]
        assert main([*run, "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "kept yours, 'sector' as 'source_sector'" in printed
        assert "Total fee: EUR 0.00 on 40 t" in printed
        fees = pl.read_csv(out)
        assert fees["importer"].to_list() == ["ACME", "BETA"]
        assert fees["source_sector"].to_list() == ["steel", "steel"]
        rows = cbam.read_trade(path, "comext", keep=True).collect()
        assert {"importer", "source_sector", "FLOW"} <= set(rows.columns)

    # --- this session's diff, reviewed (review "diffs13b") -----------------------------------

    @pytest.mark.parametrize("flows", [("", ""), ("1", "")])
    def test_an_empty_flow_is_no_import_and_is_named(
        self, tmp_path: Path, flows: tuple[str, str]
    ) -> None:
        path = tmp_path / "comext.csv"
        path.write_text(
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            + "".join(f"FR,CN,72083900,{flow},202501,1000,10000\n" for flow in flows),
            encoding="utf-8",
        )
        with pytest.raises(CbamInputError, match=r"column 'FLOW': not an import flow.*line 3"):
            cbam.read_trade(path, "comext")
        rows = cbam.read_trade(path, "comext", on_error="flag").collect()
        counted = rows.filter(pl.col("trade_error").is_null())["quantity_t"].to_list()
        assert counted == ([10.0] if flows[0] else [])


class TestReviewOfDecember7Midnight:
    """Faults found by the reviews of side tables, country groups and per-row inputs."""

    # --- aggregation weights (review "recyc14") --------------------------------------------

    def test_a_prefix_without_weights_keeps_the_simple_mean_of_annex_i_codes(self) -> None:
        # 3102 averages 12 Annex I codes, 3102 10 10's three successors (3102 10 12/15/19,
        # rates/eu/cn_successors.csv) counting once together. The bundled weights weigh USA
        # rows only, so a CHN row's means are those without weights (docs/guide/concepts.md).
        rows = pl.DataFrame(
            {
                "year": [2026] * 3,
                "origin": ["CHN"] * 3,
                "cn_code": ["31", "3102", "310210"],
                "quantity_t": [100.0] * 3,
            }
        )
        weighted = cbam.load_scenario(
            "eu-cbam", overrides={"aggregation_weights": "eu_imports_from_usa_cn8_2022_2025"}
        )
        columns = ["see_t_per_t", "fee_eur", "default_value_heading"]
        plain = cbam.compute(rows, "eu-cbam").select(columns)
        assert plain["default_value_heading"].to_list()[1] == "mean of 12 CN8 codes"
        assert_frame_equal(cbam.compute(rows, weighted).select(columns), plain)

    def test_a_weight_on_a_code_the_cn_splits_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "w.csv"
        path.write_text("cn_code,weight\n31022100,1\n31021010,1000\n", encoding="utf-8")
        scenario = cbam.load_scenario("eu-cbam", overrides={"aggregation_weights": str(path)})
        rows = pl.DataFrame(
            {"year": [2026], "origin": ["USA"], "cn_code": ["3102"], "quantity_t": [1.0]}
        )
        with pytest.raises(ScenarioError, match=r"31021010: 31021012, 31021015, 31021019.*line 3"):
            cbam.compute(rows, scenario)

    # --- recycling (review "recyc14") -------------------------------------------------------

    @pytest.mark.parametrize(
        ("fees", "column", "values"),
        [
            ({"year": [2026, 2026], "origin": ["MZ", "XXX"]}, "origin", ("MZ", "XXX")),
            ({"year": ["2026", "2O27"], "origin": ["MOZ", "BGD"]}, "year", ("2O27",)),
            ({"year": [2026.0, 2027.5], "origin": ["MOZ", "BGD"]}, "year", ("2027.5",)),
        ],
    )
    def test_recycle_refuses_keys_no_fee_row_holds(
        self, fees: dict[str, list[object]], column: str, values: tuple[str, ...]
    ) -> None:
        # ISO2 'MZ' would be booked as a payer and its fee returned to no one; a year '2O27'
        # read as none would judge membership on another day (BGD leaves the LDCs in 2026).
        frame = pl.DataFrame({**fees, "fee_eur": [200.0, 100.0]})
        with pytest.raises(CbamInputError) as info:
            cbam.recycle(frame, "eu-cbam-ldc-return")
        [problem] = info.value.problems
        assert (problem.column, problem.values) == (column, values)

    def test_recycle_reads_a_padded_lower_case_origin_and_a_text_year(self) -> None:
        fees = pl.DataFrame(
            {"year": ["2026", "2027.0"], "origin": [" moz", "BGD"], "fee_eur": [100.0, 100.0]}
        )
        flows = cbam.recycle(fees, "eu-cbam-ldc-return").flows
        assert flows.select("recipient", "amount_eur").rows() == [
            ("MOZ", 100.0),
            ("Member States' budgets", 100.0),
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("iso3,value\nMOZ,1\nMZ,3\n", r"column iso3: not an ISO3 code: line 3 \('MZ'\)"),
            (
                "iso3,value\nMOZ,1\nKEN,2\nmoz,4\n",
                r"column iso3: a country given twice.*line 2 \('MOZ'\), line 4 \('moz'\)",
            ),
            ("iso3,value\nMOZ,\nKEN,2\n", r"column value: empty: line 2"),
            ("iso3,value\nMOZ,1\nKEN,x\n", r"column value: not a finite number >= 0: line 3"),
        ],
    )
    def test_an_index_table_fault_names_its_line_and_column(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "index.csv"
        path.write_text(text, encoding="utf-8")
        plan = {
            "allocations": [
                {
                    "pool": "CF",
                    "share": 0.5,
                    "rule": "proportional_to_index",
                    "countries": ["MOZ"],
                    "index": str(path),
                },
                {"pool": "EU", "share": 1, "of": "remainder"},
            ]
        }
        fees = pl.DataFrame({"year": [2026], "origin": ["MOZ"], "fee_eur": [100.0]})
        with pytest.raises(ScenarioError, match=message):
            cbam.recycle(fees, plan)

    # --- country groups (review "groups14") -------------------------------------------------

    @staticmethod
    def _scenario(tmp_path: Path, body: str) -> Path:
        for folder, code in (("A", "TUR"), ("B", "IND")):
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / "my.csv").write_text(f"iso3\n{code}\n", encoding="utf-8")
        (tmp_path / "empty.csv").write_text("iso3\n", encoding="utf-8")
        path = tmp_path / "s.yaml"
        path.write_text(f"extends: eu-cbam\nname: s\n{body}", encoding="utf-8")
        return path

    _ROWS = pl.DataFrame(
        {
            "year": [2026] * 2,
            "origin": ["TUR", "IND"],
            "cn_code": ["76011010"] * 2,
            "quantity_t": [100.0] * 2,
        }
    )

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (
                "exemptions:\n  - group: A/my.csv\n  - group: B/my.csv\n",
                r"exemptions.1.group: group '.*B/my.csv.*' would be named 'my'.*give one a label",
            ),
            (
                "excluded_origin_groups: [eu27, A/my.csv, B/my.csv]\n",
                r"excluded_origin_groups.2: group '.*B/my.csv.*' would be named 'my'",
            ),
        ],
    )
    def test_two_groups_of_other_members_may_not_print_one_reason(
        self, tmp_path: Path, body: str, message: str
    ) -> None:
        with pytest.raises(ScenarioError, match=message):
            cbam.load_scenario(self._scenario(tmp_path, body))

    def test_groups_told_apart_by_their_labels_are_kept(self, tmp_path: Path) -> None:
        body = "exemptions:\n  - group: A/my.csv\n  - group: B/my.csv\n    label: other\n"
        fees = cbam.compute(self._ROWS, cbam.load_scenario(self._scenario(tmp_path, body)))
        assert fees["exemption_reason"].to_list() == ["my", "other"]

    @pytest.mark.parametrize(
        ("body", "idle"),
        [
            ("exemptions:\n  - group: empty.csv\n", "exemptions.0: group '.*empty.csv.*'"),
            (
                "exemptions:\n  - group: A/my.csv\n  - group: A/my.csv\n",
                "exemptions.1: group '.*A/my.csv.*'",
            ),
            # Every member of eu27 is outside the EU CBAM (an EU origin) in every rules year.
            ("exemptions:\n  - group: eu27\n", "exemptions.0: group 'eu27'"),
        ],
    )
    def test_an_exemption_that_exempts_no_one_is_refused(
        self, tmp_path: Path, body: str, idle: str
    ) -> None:
        with pytest.raises(ScenarioError, match=idle + " would exempt no one"):
            cbam.load_scenario(self._scenario(tmp_path, body))

    def test_an_exemption_of_members_left_to_it_is_kept(self, tmp_path: Path) -> None:
        body = (
            "exemptions:\n  - group: A/my.csv\n    grace_years: 3\n"
            "  - group: B/my.csv\n    label: mine too\n"
        )
        fees = cbam.compute(self._ROWS, cbam.load_scenario(self._scenario(tmp_path, body)))
        assert fees["fee_eur"].to_list() == [0.0, 0.0]

    # --- per-row inputs (review "perrow14") -------------------------------------------------

    def test_a_row_price_paid_stays_on_rows_the_regime_does_not_charge(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2027] * 2,
                "origin": ["TUR"] * 2,
                "cn_code": ["72071111", "76151010"],  # 7615: aluminium household articles
                "quantity_t": [100.0] * 2,
                "carbon_price_paid_eur_per_t": ["7", "7"],
            }
        )
        fees = cbam.compute(rows, "eu-cbam")
        assert fees["carbon_price_paid_eur_per_t"].to_list() == [7.0, 7.0]
        assert fees["carbon_price_source"].to_list() == ["row", None]

    def test_clinker_takes_no_share_but_its_own(self) -> None:
        # Cement clinker is its own functional unit (IR 2025/2547 Art. 4): share 1, fixed
        # (rates/eu/clinker_share.yaml); a share of 0.5 would halve its emissions.
        rows = pl.DataFrame(
            {
                "year": [2027] * 3,
                "origin": ["CHN"] * 3,
                "cn_code": ["25231000"] * 3,
                "quantity_t": [100.0] * 3,
                "route": ["A"] * 3,
                "clinker_share": [None, 0.5, 1.0],
            }
        )
        fees = cbam.compute(rows, "eu-cbam", on_error="flag")
        assert fees["input_error"].to_list()[0::2] == [None, None]
        assert fees["input_error"][1].startswith("clinker_share: 25231000 has no other share")
        assert fees["embedded_t"][0] == fees["embedded_t"][2]
        with pytest.raises(ScenarioError, match=r"clinker_share.25231000: 0.5 is no share"):
            cbam.load_scenario("eu-cbam", overrides={"clinker_share": {"25231000": 0.5}})

    # --- arguments of the public API (review "apifuzz14") ----------------------------------

    @pytest.mark.parametrize("scheduler", ["threads", "processes", "synchronous", "tcp://"])
    def test_sweep_refuses_a_scheduler_that_names_no_address(self, scheduler: str) -> None:
        rows = pl.DataFrame(
            {"year": [2026], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [1.0]}
        )
        with pytest.raises(ScenarioError, match=f"scheduler must be .* not '{scheduler}'"):
            cbam.sweep(rows, vary={"certificate_price_eur": [50, 80]}, scheduler=scheduler)

    @pytest.mark.parametrize("keep", [None, 5, [1]])
    def test_read_trade_names_a_bad_keep(self, keep: object) -> None:
        with pytest.raises(TypeError, match="keep must be True or the names"):
            cbam.read_trade(data_dir("data") / "samples" / "baci_sample.csv", "baci", keep=keep)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("rates", "message"),
        [
            ({2022: "x"}, r"eur_per_usd\[2022\] = 'x': a rate must be a finite number"),
            ({2022: None}, r"eur_per_usd\[2022\] = None: a rate"),
            ({2022: math.inf}, r"eur_per_usd\[2022\] = inf: a rate"),
            ({2022: True}, r"eur_per_usd\[2022\] = True: a rate"),
            ({None: 0.9}, r"eur_per_usd\[None\] = 0.9: a year must be a whole number"),
            ({"abc": 0.9}, r"eur_per_usd\['abc'\] = 0.9: a year"),
        ],
    )
    def test_read_trade_names_a_bad_usd_rate(
        self, rates: dict[object, object], message: str
    ) -> None:
        path = data_dir("data") / "samples" / "baci_sample.csv"
        with pytest.raises(ScenarioError, match=message):
            cbam.read_trade(path, "baci", eur_per_usd=rates)  # type: ignore[arg-type]

    def test_a_date_is_no_year_of_a_key_table(self) -> None:
        rows = pl.DataFrame(
            {"year": [2026], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [100.0]}
        )
        fees = cbam.compute(rows)
        day = [dt.date(2026, 1, 1)]
        economy = pl.DataFrame({"origin": ["CHN"], "year": day, "gdp_eur": [1e9]})
        with pytest.raises(ValueError, match=r"year \['2026-01-01'\]: not a value of the fees"):
            cbam.exposure(fees, by=("origin", "year"), economy=economy)
        table = pl.DataFrame({"origin": ["CHN"], "year": day, "elasticity": [-1.0]})
        with pytest.raises(ValueError, match=r"year \['2026-01-01'\]: not a value"):
            cbam.trade_response(fees, table)

    def test_actual_value_threshold_refuses_another_regimes_fees_of_one_currency(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2027],
                "origin": ["CHN"],
                "cn_code": ["72081000"],
                "quantity_t": [100.0],
                "value_eur": [60_000.0],
            }
        )
        fpf = cbam.compute(rows, "us-fpf-2025")
        with pytest.raises(ScenarioError, match="not made by scenario 'us-cca-2025'"):
            cbam.actual_value_threshold(fpf, "us-cca-2025")
        # The FPF's tiers are no line in the intensity: no threshold under its own scenario.
        out = cbam.actual_value_threshold(fpf, "us-fpf-2025")
        assert out["actual_see_threshold_t_per_t"].to_list() == [None]

    # --- files as analysts save them (review "csvquirks14") --------------------------------

    def test_cr_only_line_ends_are_refused_not_read_as_one_header(self, tmp_path: Path) -> None:
        path = tmp_path / "mac.csv"
        path.write_bytes(
            b"year,origin,cn_code,quantity_t,value_eur\r2027,TUR,72081000,100,1\r"
            b"2027,CHN,76011010,20.5,1\r"
        )
        assert main(["run", "--imports", str(path)]) == 2
        comext = tmp_path / "comext.csv"
        comext.write_bytes(
            b"DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,"
            b"DESC\rFR,TR,72081000,1,202752,50000,100000,steel\r"
        )
        with pytest.raises(ScenarioError, match="ends its lines with CR alone"):
            cbam.read_trade(comext, "comext")

    def test_a_trade_files_header_and_values_are_echoed_escaped_and_capped(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "b.csv"
        path.write_text("t,i,j,k,v,\x1b[2Jq\n2027,792,251,720810,5.6,2.1\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match=r"columns found: t, i, j, k, v, \\x1b\[2Jq"):
            cbam.read_trade(path, "baci")
        long = "TURKEY_REPUBLIC_OF_SEE_FOOTNOTE_12_AND_13_ABC"
        comext = tmp_path / "c.csv"
        comext.write_text(
            "DECLARANT_ISO,PARTNER_ISO,PRODUCT_NC,FLOW,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG\n"
            f"FR,{long},72081000,1,202752,5,1\n",
            encoding="utf-8",
        )
        with pytest.raises(CbamInputError, match=r"\(TURKEY_\w+\.\.\. \(45 characters\)\)"):
            cbam.read_trade(comext, "comext")

    def test_a_quote_closed_before_its_field_ends_is_told_by_its_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "q.csv"
        path.write_text(
            "year,origin,cn_code,quantity_t,importer\n2027,TUR,72081000,100,B\n"
            '2027,TUR,72081000,100,"ACME 12" pipes\n',
            encoding="utf-8",
        )
        assert main(["run", "--imports", str(path)]) == 2
        assert "line 3 holds a quoted field that goes on after" in capsys.readouterr().err
        # A quote left open: its cell, line breaks and all, is shown on one line.
        path.write_text(
            'year,origin,cn_code,quantity_t,importer\n2027,TUR,72081000,100,"ACME\n'
            "2027,TUR,72081000,100,B\n",
            encoding="utf-8",
        )
        assert main(["run", "--imports", str(path)]) == 2
        error = capsys.readouterr().err
        assert '`"ACME\\n2027,TUR,72081000,100,B\\n` as dtype' in error
        assert "line 2 holds an odd number of double quotes" in error

    def test_a_weights_files_blank_line_holds_no_weight(self, tmp_path: Path) -> None:
        path = tmp_path / "w.csv"
        path.write_text("cn_code,weight\n76011010,1000\n76012080,1\n\n", encoding="utf-8")
        scenario = cbam.load_scenario("eu-cbam", overrides={"aggregation_weights": str(path)})
        rows = pl.DataFrame(
            {"year": [2027], "origin": ["USA"], "cn_code": ["76"], "quantity_t": [100.0]}
        )
        heading = cbam.compute(rows, scenario)["default_value_heading"].item()
        assert heading == "weighted mean of 2 CN8 codes (weights: w)"

    def test_a_categorical_number_column_is_told_how_to_read_it(self) -> None:
        rows = pl.DataFrame(
            {"year": ["2027"], "origin": ["TUR"], "cn_code": ["72081000"], "quantity_t": [1.0]}
        ).with_columns(pl.col("year").cast(pl.Categorical))
        with pytest.raises(CbamInputError, match=r"cast\(pl.String\)"):
            cbam.compute(rows)


class TestReviewOfDiff14:
    """Faults left by the December 7 midnight fixes (review "diff14")."""

    @pytest.mark.parametrize(
        "year",
        [
            pl.Series("year", ["2026", "2027"], dtype=pl.Categorical),
            pl.Series("year", ["2026", "2027"], dtype=pl.Enum(["2026", "2027"])),
        ],
    )
    def test_recycle_reads_a_categorical_year_as_its_text(self, year: pl.Series) -> None:
        fees = pl.DataFrame({"year": year, "origin": ["MOZ", "BGD"], "fee_eur": [100.0, 100.0]})
        flows = cbam.recycle(fees, "eu-cbam-ldc-return").flows
        assert flows.select("recipient", "amount_eur").rows() == [
            ("MOZ", 100.0),
            ("Member States' budgets", 100.0),
        ]

    @pytest.mark.parametrize(
        "year",
        [
            pl.Series("year", [True, False]),
            pl.Series("year", [dt.date(2026, 1, 1)] * 2),
            pl.Series("year", [[2026], [2027]]),
            pl.Series("year", [b"2026", b"2027"]),
        ],
    )
    def test_recycle_names_a_year_column_of_no_year_type(self, year: pl.Series) -> None:
        # True was read as the year 1 (no LDC then: every fee booked to the budgets).
        fees = pl.DataFrame({"year": year, "origin": ["MOZ", "BGD"], "fee_eur": [100.0, 100.0]})
        with pytest.raises(CbamInputError) as info:
            cbam.recycle(fees, "eu-cbam-ldc-return")
        [problem] = info.value.problems
        assert problem.column == "year"
        assert "which cannot hold it" in problem.message

    def test_an_empty_label_prints_the_group_label_so_is_no_label(self, tmp_path: Path) -> None:
        body = (
            "exemptions:\n  - group: A/my.csv\n    label: ''\n  - group: B/my.csv\n    label: ''\n"
        )
        path = TestReviewOfDecember7Midnight._scenario(tmp_path, body)
        with pytest.raises(ScenarioError, match=r"exemptions.1.group: .* would be named 'my'"):
            cbam.load_scenario(path)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            # Membership judged in the rules year (2026 on): a group that ended in 2000.
            (
                "exemption_status_year: rules\nexemptions:\n  - group: old.csv\n",
                r"exemptions.0: group '.*old.csv.*' would exempt no one.* from 2026 to 2100",
            ),
            # The whole fee charged in every rules year.
            (
                "exemptions:\n  - group: ldc\n    fee_share_charged: {2026: 1.0}\n",
                r"exemptions.0: group 'ldc' would exempt no one.*share charged is below",
            ),
        ],
    )
    def test_other_exemptions_that_exempt_no_one_are_refused(
        self, tmp_path: Path, body: str, message: str
    ) -> None:
        (tmp_path / "old.csv").write_text(
            "iso3,member_from,member_to\nTUR,1990-01-01,2000-01-01\n", encoding="utf-8"
        )
        path = TestReviewOfDecember7Midnight._scenario(tmp_path, body)
        with pytest.raises(ScenarioError, match=message):
            cbam.load_scenario(path)

    def test_a_phase_in_that_relieves_in_one_year_is_kept(self, tmp_path: Path) -> None:
        body = "exemptions:\n  - group: ldc\n    fee_share_charged: {2026: 0.5, 2027: 1.0}\n"
        cbam.load_scenario(TestReviewOfDecember7Midnight._scenario(tmp_path, body))

    @pytest.mark.parametrize("regime", ["uk-cbam", "us-cca-2025"])
    def test_an_excluded_alias_and_a_file_of_its_name_may_not_print_one_reason(
        self, tmp_path: Path, regime: str
    ) -> None:
        # 'eu27' is a groups.yaml alias (label 'EU member state') but an excluded group prints
        # its name: TUR (X/eu27.csv) and FRA were both "excluded origin group 'eu27'".
        (tmp_path / "X").mkdir()
        (tmp_path / "X" / "eu27.csv").write_text("iso3\nTUR\n", encoding="utf-8")
        path = tmp_path / "s.yaml"
        path.write_text(
            f"extends: {regime}\nname: s\nexcluded_origin_groups: [eu27, X/eu27.csv]\n",
            encoding="utf-8",
        )
        with pytest.raises(ScenarioError, match=r"excluded_origin_groups.1: .* named 'eu27'"):
            cbam.load_scenario(path)

    def test_an_excluded_group_printing_the_regimes_reason_is_no_collision(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "X").mkdir()
        (tmp_path / "X" / "eu27.csv").write_text("iso3\nTUR\n", encoding="utf-8")
        path = tmp_path / "s.yaml"
        path.write_text(
            "extends: eu-cbam\nname: s\nexcluded_origin_groups: [eu27, X/eu27.csv]\n",
            encoding="utf-8",
        )
        cbam.load_scenario(path)  # 'EU origin (inside the customs union)' and the file's name


class TestReviewOfDiff14b:
    """Valid arguments the second midnight commit refused (review "diff14b")."""

    @pytest.mark.parametrize(
        "address",
        [
            "tcp://[::1]:8786",
            "[::1]:8786",
            "tls://host:8786",
            "inproc://10.0.0.1/1/2",
            "localhost:8786",
            "127.0.0.1:8786",
        ],
    )
    def test_every_kind_of_scheduler_address_goes_to_dask(self, address: str) -> None:
        from cbam._sweep import is_address

        assert is_address(address)

    def test_read_trade_keeps_columns_named_by_any_collection(self) -> None:
        path = data_dir("data") / "samples" / "baci_sample.csv"
        names = pl.read_csv(path, n_rows=1).columns
        by_list = cbam.read_trade(path, "baci", keep=["t"]).collect()
        for keep in (pl.Series(["t"]), {"t": 1}.keys()):
            assert_frame_equal(cbam.read_trade(path, "baci", keep=keep).collect(), by_list)  # type: ignore[arg-type]
        assert "t" in names

    def test_read_trade_takes_a_decimal_usd_rate(self) -> None:
        from decimal import Decimal

        path = data_dir("data") / "samples" / "baci_sample.csv"
        as_float = cbam.read_trade(path, "baci", eur_per_usd={2022: 0.95}).collect()
        as_decimal = cbam.read_trade(path, "baci", eur_per_usd={2022: Decimal("0.95")})
        assert_frame_equal(as_decimal.collect(), as_float)

    def test_actual_value_threshold_takes_fees_whose_price_paid_was_rounded(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2027],
                "origin": ["TUR"],
                "cn_code": ["72081000"],
                "quantity_t": [100.0],
                "carbon_price_paid_eur_per_t": [0.709518],
            }
        )
        fees = cbam.compute(rows, "eu-cbam")
        rounded = fees.with_columns(pl.col("carbon_price_paid_eur_per_t").round(2))
        out = cbam.actual_value_threshold(rounded, "eu-cbam")
        assert out["actual_see_threshold_t_per_t"].is_not_null().all()

    def test_the_country_lists_readme_counts_each_files_rows(self) -> None:
        # Review "countries14": the Comext codes grew by XI (Northern Ireland), the count not.
        folder = data_dir("country_lists")
        table = re.findall(
            r"^\| (`[^|]+`) \| ([\d, ]+) \|", (folder / "README.md").read_text(), re.M
        )
        assert table
        for names, counts in table:
            files = re.findall(r"`([^`]+\.csv)`", names)
            rows = [int(n) for n in counts.split(",")]
            assert len(files) == len(rows)
            for name, expected in zip(files, rows, strict=True):
                assert pl.read_csv(folder / name, infer_schema=False).height == expected, name

    def test_a_phase_in_may_reach_a_rules_year_that_relieves_no_one(self) -> None:
        # cbam.phase_in fixes each rules year in turn: in 2034 this exemption charges the
        # whole fee, which is the phase-in's end, not an exemption that exempts no one.
        exemption = {"group": "ldc", "fee_share_charged": {2026: 0.0, 2030: 0.5, 2034: 1.0}}
        scenario = cbam.load_scenario(
            "eu-cbam", overrides={"exemptions": [exemption], "rules_year": 2034}
        )
        assert scenario.rules_year == 2034

    def test_a_flagged_price_paid_quotes_the_value_the_output_replaces(self) -> None:
        # Review "perrow14": the output fills carbon_price_paid_eur_per_t, so a cell '1,5'
        # no number reads was shown nowhere; its flag now quotes it.
        rows = pl.DataFrame(
            {
                "year": [2027, 2027],
                "origin": ["TUR", "TUR"],
                "cn_code": ["72071111", "72071111"],
                "quantity_t": [100.0, 100.0],
                "carbon_price_paid_eur_per_t": ["7", "1,5"],
            }
        )
        fees = cbam.compute(rows, "eu-cbam", on_error="flag")
        assert fees["input_error"].to_list() == [
            None,
            "carbon_price_paid_eur_per_t: not a number ('1,5')",
        ]


class TestReviewOfCharts14AndDiff14c:
    """Faults found by the review of the charts and of the later midnight commits."""

    _ROWS = pl.DataFrame(
        {
            "year": [2026] * 3,
            "origin": ["TUR", "TUR", "CHN"],
            "cn_code": ["72071111", "72071111", "25232900"],
            "quantity_t": [100.0, 100.0, 1000.0],
            "value_eur": [55_000.0, 55_000.0, 70_000.0],
        }
    )

    @pytest.fixture
    def fees(self) -> pl.DataFrame:
        return cbam.compute(self._ROWS, "eu-cbam")

    def test_a_chart_refuses_a_nan_fee_as_summarise_does(self, fees: pl.DataFrame) -> None:
        from cbam import charts

        nan = fees.with_columns(
            pl.when(pl.col("origin") == "CHN").then(math.nan).otherwise("fee_eur").alias("fee_eur")
        )
        with pytest.raises(CbamInputError, match=r"'fee_eur': not a finite number: row 3"):
            charts.fees_by_origin(nan, stack_by=None)
        with pytest.raises(CbamInputError, match="not a finite number"):
            charts.scenario_comparison({"a": nan})

    @pytest.mark.parametrize("column", ["ave", "see_t_per_t", "cbam_factor", "sector", "origin"])
    def test_scenario_comparison_sums_only_amounts_that_add_up(
        self, fees: pl.DataFrame, column: str
    ) -> None:
        from cbam import charts

        # ave is a ratio (total fee over total value): two rows' ratios added are no ave.
        with pytest.raises(ScenarioError, match=f"column='{column}' is no amount that adds up"):
            charts.scenario_comparison({"a": fees}, column=column)

    def test_a_chart_is_not_stacked_by_its_own_amount(self, fees: pl.DataFrame) -> None:
        from cbam import charts

        with pytest.raises(ScenarioError, match="stack_by='fee_eur' is an amount"):
            charts.fees_by_origin(fees, stack_by="fee_eur")

    def test_a_trajectory_read_back_as_text_is_drawn_as_it_was(self) -> None:
        from cbam import charts

        scenario = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        trajectory = cbam.phase_in(self._ROWS.with_columns(year=pl.lit(2025)), scenario)
        text = trajectory.select(pl.all().cast(pl.String))
        heights = [
            [p.get_height() for p in charts.phase_in_trajectory(t).axes[0].patches]
            for t in (trajectory, text)
        ]
        assert heights[0] == heights[1]
        no_year = trajectory.with_columns(pl.lit(None, pl.Int32).alias("rules_year"))
        with pytest.raises(ScenarioError, match="rules_year is empty"):
            charts.phase_in_trajectory(no_year)

    @pytest.mark.parametrize("path", ["out/", "out", "out/fees", "", "out/fees.xyz"])
    def test_a_chart_path_must_name_a_file_of_a_format(
        self, fees: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
    ) -> None:
        from cbam import charts

        monkeypatch.chdir(tmp_path)
        (tmp_path / "out").mkdir()
        with pytest.raises(ScenarioError, match="name a file whose suffix is a format"):
            charts.fees_by_origin(fees, path=path)
        assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]  # nothing written
        with pytest.raises(ScenarioError, match=r"names \['../x'\] are no file names"):
            charts.save_all({"../x": charts.fees_by_origin(fees)}, tmp_path / "out")

    def test_a_row_without_an_origin_is_one_bar_stacked_or_not(self, fees: pl.DataFrame) -> None:
        from cbam import charts

        rows = fees.with_columns(pl.Series("origin", ["TUR", None, "CHN"]))

        def widths(stack_by: str | None) -> dict[str, float]:
            ax = charts.fees_by_origin(rows, stack_by=stack_by).axes[0]
            labels = {
                round(p, 6): t.get_text()
                for p, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
            }
            out: dict[str, float] = {}
            for bar in ax.patches:
                label = labels[round(bar.get_y() + bar.get_height() / 2, 6)]
                out[label] = out.get(label, 0.0) + bar.get_width()
            return out

        stacked = widths("sector")
        assert stacked == pytest.approx(widths(None))
        assert stacked["(no origin)"] == pytest.approx(stacked["TUR"])

    def test_a_trajectory_without_a_cbam_factor_draws_none(self) -> None:
        from cbam import charts

        rows = self._ROWS.with_columns(year=pl.lit(2027), destination=pl.lit("GBR"))
        figure = charts.phase_in_trajectory(cbam.phase_in(rows, "uk-cbam"))
        assert len(figure.axes) == 1
        assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["fee"]

    # --- review "diff14c" -------------------------------------------------------------------

    def test_actual_value_threshold_refuses_fees_of_another_cbam_factor(self) -> None:
        rows = pl.DataFrame(
            {
                "year": [2028],
                "origin": ["CHN"],
                "cn_code": ["730429"],
                "quantity_t": [100.0],
                "see_direct": [2.68],
                "route": ["C"],
            }
        )
        phaseout = cbam.compute(rows, "eu-cbam-phaseout-2038")
        with pytest.raises(ScenarioError, match=r"has cbam_factor 0\.915 where the scenario makes"):
            cbam.actual_value_threshold(phaseout, "eu-cbam")

    @pytest.mark.parametrize(
        "body",
        [
            # A member until 2028 while the whole fee is charged, gone when it is not.
            "exemption_status_year: rules\nexemptions:\n  - group: until2028.csv\n"
            "    fee_share_charged: {2026: 1.0, 2028: 0.0}\n",
            "exemptions:\n  - group: ldc\n    max_import_share: 0\n",
        ],
    )
    def test_an_exemption_relieving_no_one_in_any_year_is_refused(
        self, tmp_path: Path, body: str
    ) -> None:
        (tmp_path / "until2028.csv").write_text(
            "iso3,member_from,member_to\nTUR,,2028-01-01\n", encoding="utf-8"
        )
        path = TestReviewOfDecember7Midnight._scenario(tmp_path, body)
        with pytest.raises(ScenarioError, match="would exempt no one"):
            cbam.load_scenario(path)

    def test_read_trade_refuses_decimal_rates_no_float_holds(self) -> None:
        from decimal import Decimal

        path = data_dir("data") / "samples" / "baci_sample.csv"
        for rate in (Decimal("sNaN"), Decimal("1E-400")):
            with pytest.raises(ScenarioError, match="a rate must be a finite number above 0"):
                cbam.read_trade(path, "baci", eur_per_usd={2022: rate})  # type: ignore[dict-item]

    def test_read_trade_keeps_a_set_of_columns_in_one_order(self) -> None:
        path = data_dir("data") / "samples" / "baci_sample.csv"
        kept = cbam.read_trade(path, "baci", keep={"v", "q"}).collect().columns
        assert kept == cbam.read_trade(path, "baci", keep=["q", "v"]).collect().columns

    # --- review "diff14d" -------------------------------------------------------------------

    @pytest.mark.parametrize("scenario", ["eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025"])
    def test_actual_value_threshold_reads_fees_back_from_a_csv(self, scenario: str) -> None:
        import io

        import pandas as pd

        destination = {"uk-cbam": "GBR", "us-cca-2025": "USA", "us-fpf-2025": "USA"}
        rows = self._ROWS.with_columns(
            year=pl.lit(2027), destination=pl.lit(destination.get(scenario, "DEU"))
        )
        fees = cbam.compute(rows, scenario)
        expected = cbam.actual_value_threshold(fees, scenario)["actual_see_threshold_t_per_t"]
        text = fees.write_csv()
        for back in (pl.read_csv(io.StringIO(text)), pd.read_csv(io.StringIO(text))):
            out = cbam.actual_value_threshold(back, scenario)
            assert pl.Series(out["actual_see_threshold_t_per_t"]).to_list() == expected.to_list()

    def test_a_chart_path_that_cannot_be_written_is_named(
        self, fees: pl.DataFrame, tmp_path: Path
    ) -> None:
        from cbam import charts

        for path in (tmp_path / ("x" * 300 + ".png"), tmp_path / "f.pgf"):
            with pytest.raises(ScenarioError, match="path '"):
                charts.fees_by_origin(fees, path=path)

    def test_a_nan_fee_is_named_by_its_row_in_the_table_as_given(self, fees: pl.DataFrame) -> None:
        from cbam import charts

        # Row 2 flagged, row 3 NaN: the NaN is row 3 of the table, not of the rows drawn.
        odd = fees.with_columns(
            pl.Series("input_error", [None, "quantity_t: negative", None]),
            pl.Series("fee_eur", [1.0, None, math.nan]),
        )
        with pytest.raises(CbamInputError, match=r"row 3 \(nan\)"):
            charts.fees_by_origin(odd)


class TestReviewOfDesigns15:
    """Review of 2026-12-08: a user's own designs, and a value set twice in one file."""

    TEMPLATE = TestReviewOfUserDesigns.TEMPLATE
    _design = TestReviewOfUserDesigns._design

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            # The engine lays out a row per rules year: year 99999 crashed in a date (a traceback).
            ({"last_rules_year": 99999}, r"last_rules_year: .*less than or equal to 2200"),
            ({"first_rules_year": 0}, r"first_rules_year: .*greater than or equal to 1971"),
            # A mark-up of 1e308 overflowed every fee, blamed on the import file's value_eur.
            (
                {
                    "emissions": {
                        "defaults_markup": {"values": [TestReviewOfUserDesigns._dated(1e20)]}
                    }
                },
                r"emissions.defaults_markup.values.0.value: .*less than or equal to 10",
            ),
            (
                {
                    "threshold": {
                        "description": "t",
                        "basis": "mass",
                        "excluded_sectors": ["iron_steel", "iron_steel"],
                        "amount": {
                            "description": "t",
                            "unit": "t",
                            "values": [TestReviewOfUserDesigns._dated(50.0)],
                        },
                    }
                },
                r"threshold.excluded_sectors: \['iron_steel'\] given more than once",
            ),
            (
                {
                    "threshold": {
                        "description": "t",
                        "basis": "mass",
                        "excluded_sectors": ["cement"],
                        "amount": {
                            "description": "t",
                            "unit": "t",
                            "values": [TestReviewOfUserDesigns._dated(50.0)],
                        },
                    }
                },
                "threshold.excluded_sectors: cement is no sector of the design's",
            ),
            (
                {
                    "emissions": {
                        "indirect_sectors": {
                            "description": "s",
                            "unit": "list of sectors",
                            "values": [TestReviewOfUserDesigns._dated(["aluminium", "aluminium"])],
                        }
                    }
                },
                r"emissions.indirect_sectors from 2026-01-01: \['aluminium'\] given more than once",
            ),
            (
                {
                    "territory": {
                        "description": "EU",
                        "codes": ["EUU", "EUU"],
                        "reason": "destination outside the EU",
                        "reference": {"title": "mine", "href": ""},
                    }
                },
                r"territory.codes: \['EUU'\] given more than once",
            ),
            (
                {
                    "territory": {
                        "description": "EU",
                        "groups": ["eu29"],
                        "reason": "destination outside the EU",
                        "reference": {"title": "mine", "href": ""},
                    }
                },
                r"territory.groups: unknown country group 'eu29'",
            ),
            (
                {
                    "charge": {
                        "price": {
                            "values": [{**TestReviewOfUserDesigns._dated(0.0), "value": [100.0]}]
                        }
                    }
                },
                r"charge.price.values.0.value: Input should be a valid number \(given a list\)",
            ),
        ],
    )
    def test_a_design_names_its_fault(
        self, tmp_path: Path, change: dict[str, object], message: str
    ) -> None:
        path = self._design(tmp_path, change)
        with pytest.raises(ScenarioError, match=message):
            cbam.load_scenario(str(path))

    @pytest.mark.parametrize(
        "scenario",
        [
            # design: and overrides: in one file: the design's 80 was dropped for the 90, unsaid.
            "regime: us-cca-2025\ndesign: {charge: {price: {2028: 80}}}\n"
            "overrides: {charge.price.2028: 90}\n",
            "extends: eu-cbam\ndesign: {charge: {price: {2030: 100}}}\n"
            "overrides: {certificate_price_eur.2030: 120}\n",
            "regime: uk-cbam\ndesign: {charge: {price: {2030: 80}}}\n"
            "overrides: {charge: {price: {2030-01-01: 90}}}\n",
        ],
    )
    def test_one_file_sets_a_value_once(self, tmp_path: Path, scenario: str) -> None:
        path = tmp_path / "twice.yaml"
        path.write_text(f"name: twice\ndescription: x\n{scenario}")
        with pytest.raises(ScenarioError, match=r"both set .*; give it once"):
            cbam.load_scenario(str(path))
        # A file's own keys are the base its design: and overrides apply to, and a caller's
        # overrides apply to the file (tests/test_scenarios.py): each may change a value.
        once = scenario.replace("overrides: {charge.price.2028: 90}\n", "")
        path.write_text(f"name: twice\ndescription: x\n{once.split('overrides')[0]}")
        price = {"charge.price.2028": 95} if "us-cca" in scenario else {"charge.price.2030": 95}
        cbam.load_scenario(str(path), overrides=price)

    def test_a_misspelt_kind_is_named(self, tmp_path: Path) -> None:
        path = self._design(tmp_path, {"kind": "regim"})
        with pytest.raises(ScenarioError, match=r"kind: 'regim': the one kind is 'regime'"):
            cbam.load_scenario(str(path))

    def test_a_scenario_lists_an_excluded_group_once(self) -> None:
        # As a design refuses a group listed twice (one entry would say nothing more).
        with pytest.raises(ScenarioError, match=r"excluded_origin_groups: \['eu27'\] given more"):
            cbam.load_scenario("uk-cbam", overrides={"excluded_origin_groups": ["eu27", "EU27"]})


class TestReviewOfDiff15:
    """Faults found by the review of this session's own diff (2026-12-08)."""

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            # The duplicate check hashed entries before their type was checked: a TypeError.
            (
                "extends: eu-cbam\nexcluded_origin_groups: [{group: un_ldc}, {group: un_ldc}]\n",
                r"excluded_origin_groups.0: Input should be a valid string \(given a mapping\)",
            ),
            # design: 5 beside overrides: an AttributeError (before this session too).
            (
                "extends: eu-cbam\ndesign: 5\noverrides: {certificate_price_eur: 80}\n",
                r"'design' must be a mapping of the design's keys to values, not int \(5\)",
            ),
            # An unknown territory group names the design it is in, as every design fault does.
            (
                "regime: uk-cbam\ndesign: {territory: {description: UK, groups: [nosuch], "
                "reason: destination outside the UK, reference: {title: t, href: ''}}}\n",
                r"uk-cbam.yaml with the scenario's changes \(territory\): invalid regime design: "
                r"territory.groups: unknown country group 'nosuch'",
            ),
            # A tier's rate of 1e20 overflowed fees, blamed on the import file (as a mark-up did).
            (
                "regime: us-fpf-2025\ndesign: {charge: {tiers: [{ratio_above: 0, rate: 1.0e20, "
                "reference: {title: t, href: ''}}]}}\n",
                r"charge.tiers.0.rate: Input should be less than or equal to 10",
            ),
            # A scenario's own list naming a sector its design does not cover was accepted
            # (only design files were checked): its value would never apply.
            (
                "regime: uk-cbam\ndesign: {threshold: {excluded_sectors: [electricity]}}\n",
                r"threshold.excluded_sectors: electricity is no sector of the design's",
            ),
        ],
    )
    def test_a_faulty_scenario_is_named(self, tmp_path: Path, body: str, message: str) -> None:
        path = tmp_path / "mine.yaml"
        path.write_text(f"name: mine\ndescription: x\n{body}")
        with pytest.raises(ScenarioError, match=message):
            cbam.load_scenario(str(path))

    def test_a_scenario_may_still_narrow_a_designs_sectors(self, tmp_path: Path) -> None:
        # The UK CBAM's values for the sectors left out stay unread, as before.
        path = tmp_path / "steel.yaml"
        path.write_text(
            "name: s\ndescription: x\nregime: uk-cbam\ndesign: {sectors: [iron_steel]}\n"
        )
        assert cbam.resolve(cbam.load_scenario(str(path))).design.sectors == ["iron_steel"]
