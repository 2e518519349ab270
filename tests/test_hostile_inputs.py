"""Hostile inputs, by kind: each is a clear error (or the right answer), never a traceback.

Issue 15, part 5. Each class is one kind of hostile input; its cases try the siblings of the
examples the issue lists, since each kind is fixed at its shared mechanism:

* overflow: ``overflow_check`` names the largest amount the fee multiplies
  (``cbam._schema.overflow_culprit``), in both engines and in lenient mode;
* oversized values: every echoed value goes through ``cbam._errors.shorten`` (200 characters)
  and every message through ``cap_message``;
* frame shapes: every function taking a frame reads it through ``cbam._interop.to_polars``;
  every CSV cbam reads goes through ``cbam._interop.read_csv``;
* ``by=``: every function taking grouping columns checks them with ``cbam._summary.grouping``;
* scenario and group files: YAML dates through the loader's timestamp constructor, group-file
  dates through ``cbam._countries.member_dates``;
* API and CLI arguments: one option parser per kind of value (``cbam.cli``), checked before
  any work;
* output paths: ``--out`` checked as it is parsed; ``.xlsx`` a real workbook;
* hints: ``CbamInputError`` offers ``on_error='flag'`` only where rows are at fault and the
  caller has such a mode; rows are 1-based in every message, CSV lines count the header.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import cbam
from cbam import cli
from cbam._errors import MAX_ECHO, MAX_MESSAGE
from cbam.cli import main

TUR = {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
OWN_RESOURCES = "eu-cbam-own-resources"  # a bundled scenario with a recycling plan


def rows(**changes: list[Any]) -> pl.DataFrame:
    return pl.DataFrame({**TUR, **changes})


def input_error(frame: Any, scenario: Any = PRICED) -> cbam.CbamInputError:
    with pytest.raises(cbam.CbamInputError) as info:
        cbam.compute(frame, scenario)
    return info.value


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CSV = "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n2027,CHN,76011090,2\n"


def cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI expecting a user error: status 2, one ``cbam: error:`` message."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "cbam: error: " in captured.err
    return captured.err


class TestOverflow:
    """A fee that overflows names the column at fault, not always quantity_t."""

    @pytest.mark.parametrize(
        ("changes", "column"),
        [
            ({"see_direct": [1e308], "see_indirect": [0.0], "route": ["C"]}, "see_direct"),
            (  # cement counts indirect emissions (steel's are left out, so cannot overflow)
                {"cn_code": ["25231000"], "see_direct": [1.0], "see_indirect": [1e308]}
                | {"route": ["A"]},
                "see_indirect",
            ),
            ({"quantity_t": [1e308]}, "quantity_t"),
            ({"quantity_t": ["1e308"]}, "quantity_t"),  # a number given as text
        ],
        ids=["see-direct", "see-indirect", "quantity", "quantity-as-text"],
    )
    def test_the_overflowing_input_column_is_named(
        self, changes: dict[str, list[Any]], column: str
    ) -> None:
        exc = input_error(rows(**changes))
        assert [p.column for p in exc.problems] == [column]
        assert f"column '{column}': too large" in str(exc)

    def test_a_certificate_price_of_1e308_is_refused_when_the_scenario_loads(self) -> None:
        # It would only make fees overflow, blamed on import rows that are not at fault.
        with pytest.raises(
            cbam.ScenarioError, match=r"certificate_price_eur: Input should be less than or equal"
        ):
            cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 1e308})

    def test_the_design_engine_names_the_column_too(self) -> None:
        frame = rows(year=[2027], see_direct=[1e308], see_indirect=[0.0])
        exc = input_error(frame, "uk-cbam")
        assert [p.column for p in exc.problems] == ["see_direct"]

    def test_lenient_mode_flags_each_row_with_its_own_column(self) -> None:
        frame = pl.DataFrame(
            {
                "year": [2026] * 3,
                "origin": ["TUR"] * 3,
                "cn_code": ["72071111"] * 3,
                "quantity_t": [1e308, 1.0, 1.0],
                "see_direct": [None, 1e308, 1.0],
                "see_indirect": [None, 0.0, 0.0],
                "route": [None, "C", "C"],
            }
        )
        flagged = cbam.compute(frame, PRICED, on_error="flag")["input_error"].to_list()
        assert flagged == [
            "quantity_t: too large: the fee or its emissions are not a finite number",
            "see_direct: too large: the fee or its emissions are not a finite number",
            None,
        ]

    def test_two_columns_overflowing_on_different_rows_are_two_problems(self) -> None:
        frame = pl.DataFrame(
            {
                "year": [2026] * 2,
                "origin": ["TUR"] * 2,
                "cn_code": ["72071111"] * 2,
                "quantity_t": [1e308, 1.0],
                "see_direct": [None, 1e308],
                "see_indirect": [None, 0.0],
                "route": [None, "C"],
            }
        )
        exc = input_error(frame)
        assert [(p.column, p.rows) for p in exc.problems] == [
            ("quantity_t", (0,)),
            ("see_direct", (1,)),
        ]

    def test_a_customs_value_too_small_for_the_ratio_has_no_ave(self) -> None:
        # EUR 9,119.58 over a customs value of 1e-320 is an infinite ratio: no ave, as
        # summarise and totals (whose exact sums count 1e-320 as 0) have none.
        frame = rows(quantity_t=[100.0], value_eur=[1e-320])
        out = cbam.compute(frame, "eu-cbam")
        assert out["fee_eur"][0] > 0 and out["ave"][0] is None
        for table in (cbam.summarise(out, by=[]), cbam.totals(frame, "eu-cbam", by=[])):
            assert table["ave"][0] is None

    @pytest.mark.parametrize("by", [[], ["origin"], ["origin", "sector"]])
    def test_rows_that_sum_past_a_float_are_an_error_not_an_infinite_total(
        self, by: list[str]
    ) -> None:
        # Each row's fee (EUR 1.6e308) is finite; three of them summed to inf in the totals.
        frame = rows(**{k: v * 3 for k, v in TUR.items()}).with_columns(quantity_t=pl.lit(1e306))
        fees = cbam.compute(frame, "eu-cbam")
        assert fees["fee_eur"].is_finite().all()
        for total in (
            lambda: cbam.summarise(fees, by=by),
            lambda: cbam.summarise(fees.lazy(), by=by).collect(),
            lambda: cbam.totals(frame, "eu-cbam", by=by),
        ):
            with pytest.raises(cbam.CbamInputError, match="sums past the largest number") as exc:
                total()
            group = ", ".join(f"{g} {fees[g][0]}" for g in by) or "all rows"
            assert f"first {group}: are the quantities in tonnes?" in str(exc.value)
        assert cbam.summarise(fees.head(1), by=by)["fee_eur"].is_finite().all()


class TestOversizedValues:
    """Every echoed value is cut to MAX_ECHO characters; every message is capped."""

    MEGABYTE = "X" * 1_000_000

    @pytest.mark.parametrize(
        "changes",
        [
            {"origin": ["X" * 1_000_000]},
            {"cn_code": ["7" * 100_000]},
            {"quantity_t": ["9" * 100_000]},
            {"value_eur": ["a" * 100_000]},
            {"route": ["Z" * 100_000]},
        ],
        ids=["origin-1MB", "cn-code", "quantity-text", "value-text", "route"],
    )
    def test_a_huge_cell_is_echoed_short(self, changes: dict[str, list[Any]]) -> None:
        message = str(input_error(rows(**changes)))
        assert len(message) < 1_000
        assert "characters)" in message  # says how long the value was

    def test_a_huge_column_name_is_echoed_short(self) -> None:
        frame = rows(**{"_c_" + "x" * 100_000: [1]})
        message = str(input_error(frame))
        assert "names starting with '_c_' are reserved" in message
        assert len(message) < 1_000

    @pytest.mark.parametrize(
        "call",
        [
            lambda: cbam.compute(rows(), engine="x" * 10_000),  # type: ignore[arg-type]
            lambda: cbam.compute(rows(), on_error="x" * 10_000),  # type: ignore[arg-type]
            lambda: cbam.load_scenario("x" * 5_000),
            lambda: cbam.load_scenario("eu-cbam", overrides={"x" * 5_000: 1}),
            lambda: cbam.compare(rows(), ["eu-cbam", "uk-cbam"], currency="x" * 1_000),
            lambda: cbam.summarise(cbam.compute(rows(), PRICED), by=["x" * 10_000]),
        ],
        ids=["engine", "on-error", "scenario-name", "override-key", "currency", "by"],
    )
    def test_a_huge_argument_is_echoed_short(self, call: Any) -> None:
        with pytest.raises((ValueError, TypeError)) as info:
            call()
        assert len(str(info.value)) < MAX_ECHO + 1_000

    def test_messages_are_capped_whatever_they_hold(self) -> None:
        error = cbam.ScenarioError("start " + "x" * 100_000 + " end")
        text = str(error)
        assert len(text) < MAX_MESSAGE + 100
        assert text.startswith("start") and text.endswith("end")

    def test_the_cli_caps_echoed_option_values(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        err = cli_error(["run", "--imports", str(imports), "--by", "y" * 5_000], capsys)
        assert len(err) < 2_000
        err = cli_error(["run", "--imports", str(imports), "--top", "9" * 5_000], capsys)
        assert len(err) < 2_000


class TestFrameShapes:
    """pandas and Arrow frames Polars cannot hold; CSV headers naming a column twice."""

    def test_pandas_object_column_mixing_text_and_numbers_is_read_as_text(self) -> None:
        # A column Arrow cannot type is read as text, as a CSV's or a Polars text column
        # would be: the rules then name the value at fault (5 is no ISO3 origin), and flag
        # mode keeps the row (changed 2026-12-07: such a frame was refused whole).
        frame = pd.DataFrame(
            {
                "year": [2026, 2026, 2026],
                "origin": ["TUR", 5, "CHN"],
                "cn_code": ["72071111"] * 3,
                "quantity_t": [1.0, 2.0, 3.0],
            }
        )
        exc = input_error(frame)
        assert [(p.column, p.rows, p.values) for p in exc.problems] == [("origin", (1,), ("5",))]
        assert "unknown ISO 3166-1 alpha-3 code" in str(exc)
        flagged = cbam.compute(frame, PRICED, on_error="flag")
        assert flagged["input_error"].notna().tolist() == [False, True, False]
        assert flagged["origin"].tolist() == ["TUR", 5, "CHN"]  # the caller's column as given

    def test_pandas_numbers_mixed_with_text_are_the_amounts_they_say(self) -> None:
        # 100.5 (float), '250' (text) and 12 (int) are amounts as in a Polars text column;
        # the fees equal those of the same numbers given as floats.
        mixed = pd.DataFrame({k: [v[0]] * 3 for k, v in TUR.items()}).assign(
            quantity_t=pd.Series([100.5, "250", 12], dtype=object)
        )
        floats = mixed.assign(quantity_t=[100.5, 250.0, 12.0])
        assert (
            cbam.compute(mixed, PRICED)["fee_eur"].tolist()
            == cbam.compute(floats, PRICED)["fee_eur"].tolist()
        )

    @pytest.mark.parametrize(
        "column",
        [
            pd.arrays.SparseArray([100.0, 50.0, 10.0]),
            pd.Series([100.0, 50, "10"], dtype=object),
        ],
    )
    def test_pandas_columns_arrow_cannot_type_are_read_not_refused(self, column: Any) -> None:
        base = {**{k: [v[0]] * 3 for k, v in TUR.items()}, "quantity_t": [100.0, 50.0, 10.0]}
        extras = {
            "big_id": pd.Series([2**64, 1, 2], dtype=object),
            "z": [1j, 2j, 3j],
            "zone": pd.arrays.SparseArray([0, 1, 0]),
        }
        plain = cbam.compute(pd.DataFrame(base), PRICED)["fee_eur"].tolist()
        frame = pd.DataFrame({**base, **extras, "quantity_t": column})
        out = cbam.compute(frame, PRICED)
        assert out["fee_eur"].tolist() == plain
        assert out["big_id"].tolist() == [2**64, 1, 2] and out["z"].tolist() == [1j, 2j, 3j]

    def test_pandas_duplicate_column_names_are_refused_by_name(self) -> None:
        frame = pd.DataFrame(
            [[2026, "TUR", "72071111", 1.0, 2.0]],
            columns=["year", "origin", "cn_code", "quantity_t", "quantity_t"],
        )
        exc = input_error(frame)
        assert [p.column for p in exc.problems] == ["quantity_t"]
        assert "appears 2 times" in str(exc)

    def test_arrow_duplicate_column_names_are_refused_by_name(self) -> None:
        table = pa.Table.from_arrays(
            [pa.array([2026]), pa.array(["TUR"]), pa.array(["72071111"]), pa.array([1.0])] * 1
            + [pa.array(["CHN"])],
            names=["year", "origin", "cn_code", "quantity_t", "origin"],
        )
        assert [p.column for p in input_error(table).problems] == ["origin"]

    def test_csv_with_a_duplicated_header_is_refused_naming_file_and_column(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(
            tmp_path,
            "dup.csv",
            "year,origin,cn_code,quantity_t,quantity_t\n2026,TUR,72071111,1,5\n",
        )
        err = cli_error(["run", "--imports", str(imports)], capsys)
        assert "dup.csv" in err and "['quantity_t'] more than once" in err

    def test_a_group_csv_with_a_duplicated_header_is_refused(self, tmp_path: Path) -> None:
        write(tmp_path, "group.csv", "iso3,iso3\nBGD,NPL\n")
        scenario = write(
            tmp_path, "s.yaml", "name: s\nextends: eu-cbam\nexemptions:\n  - group: group.csv\n"
        )
        with pytest.raises(cbam.ScenarioError, match=r"group.csv.*\['iso3'\] more than once"):
            cbam.compute(rows(), cbam.load_scenario(scenario))

    def test_a_semicolon_separated_file_is_named_as_such(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(
            tmp_path, "semi.csv", "year;origin;cn_code;quantity_t\n2026;TUR;72071111;1\n"
        )
        assert "cbam reads comma-separated files" in cli_error(
            ["run", "--imports", str(imports)], capsys
        )

    def test_every_function_taking_fees_reads_pandas(self) -> None:
        """Right answers: each function gives the same numbers for a pandas fee table."""
        fees = cbam.compute(rows(value_eur=[55_000.0]), PRICED)
        native = fees.to_pandas()
        fee = fees["fee_eur"].item()
        assert cbam.summarise(native)["fee_eur"].tolist() == [fee]
        assert cbam.ad_valorem_equivalents(native)["fee_eur"].tolist() == [fee]
        assert cbam.fee_per_tonne(native)["fee_eur"].tolist() == [fee]
        assert cbam.exposure(native)["fee_eur"].tolist() == [fee]
        assert cbam.break_even_carbon_price(native, by=["origin"])["origin"].tolist() == ["TUR"]
        assert cbam.trade_response(native, -1.0)["fee_eur"].tolist() == [fee]
        assert cbam.recycle(native, OWN_RESOURCES).total_cents == round(fee * 100)

    def test_compare_sweep_and_phase_in_read_pandas_imports(self) -> None:
        polars_table = cbam.compare(rows(year=[2027]), ["eu-cbam", "uk-cbam"])
        # A pandas panel's table comes back in pandas, with the same values.
        native_table = cbam.compare(rows(year=[2027]).to_pandas(), ["eu-cbam", "uk-cbam"])
        assert type(native_table).__module__.startswith("pandas")
        assert pl.from_pandas(native_table).to_dict(as_series=False) == polars_table.to_dict(
            as_series=False
        )
        native = rows().to_pandas()  # 2026 trade: EUR 9,688.80 at EUR 80 (see test_eu_golden)
        assert cbam.sweep(native, PRICED).totals["fee_eur"].round(2).to_list() == [9688.8]
        assert cbam.phase_in(native, PRICED, years=[2026])["fee_eur"].round(2).tolist() == [9688.8]


BY_FUNCTIONS = {
    "summarise": lambda fees, by: cbam.summarise(fees, by=by),
    "ad_valorem_equivalents": lambda fees, by: cbam.ad_valorem_equivalents(fees, by=by),
    "fee_per_tonne": lambda fees, by: cbam.fee_per_tonne(fees, by=by),
    "exposure": lambda fees, by: cbam.exposure(fees, by=by),
    "break_even_carbon_price": lambda fees, by: cbam.break_even_carbon_price(fees, by=by),
    "trade_response": lambda fees, by: cbam.trade_response(fees, -1.0, by=by),
}
IMPORT_BY_FUNCTIONS = {
    "compare": lambda imports, by: cbam.compare(imports, ["eu-cbam", "us-fpf-2025"], by=by),
    "sweep": lambda imports, by: cbam.sweep(imports, PRICED, by=by).totals,
    "phase_in": lambda imports, by: cbam.phase_in(imports, PRICED, years=[2026], by=by),
    "totals": lambda imports, by: cbam.totals(imports, PRICED, by=by),
}


class TestGroupingArguments:
    """Every ``by=`` is checked by one validator: distinct, known names; a name alone is one."""

    FEES = cbam.compute(
        pl.DataFrame(
            {
                "year": [2026, 2026],
                "origin": ["TUR", "CHN"],
                "cn_code": ["72071111", "76011090"],
                "quantity_t": [100.0, 5.0],
                "value_eur": [55_000.0, 10_000.0],
            }
        ),
        PRICED,
    )
    IMPORTS = FEES.select("year", "origin", "cn_code", "quantity_t", "value_eur")

    @pytest.mark.parametrize("name", list(BY_FUNCTIONS))
    def test_a_column_given_twice_is_refused(self, name: str) -> None:
        with pytest.raises(cbam.ScenarioError, match=r"by: \['origin'\] given more than once"):
            BY_FUNCTIONS[name](self.FEES, ["origin", "origin"])

    @pytest.mark.parametrize("name", list(IMPORT_BY_FUNCTIONS))
    def test_a_column_given_twice_is_refused_before_computing(self, name: str) -> None:
        with pytest.raises(cbam.ScenarioError, match=r"by: \['origin'\] given more than once"):
            IMPORT_BY_FUNCTIONS[name](self.IMPORTS, ["origin", "origin"])

    @pytest.mark.parametrize("name", [*BY_FUNCTIONS, *IMPORT_BY_FUNCTIONS])
    def test_an_unknown_column_is_refused_listing_the_known_ones(self, name: str) -> None:
        run = BY_FUNCTIONS.get(name) or IMPORT_BY_FUNCTIONS[name]
        frame = self.FEES if name in BY_FUNCTIONS else self.IMPORTS
        with pytest.raises(cbam.ScenarioError, match=r"unknown columns \['nope'\].*origin"):
            run(frame, ["nope"])

    @pytest.mark.parametrize(
        ("name", "column"),
        [
            *[(name, "fee_eur") for name in BY_FUNCTIONS if name != "break_even_carbon_price"],
            ("fee_per_tonne", "quantity_t"),
            ("break_even_carbon_price", "embedded_t"),
            ("summarise", "ave"),
            ("sweep", "fee_eur"),
            ("phase_in", "quantity_t"),
            ("totals", "quantity_t"),
        ],
    )
    def test_a_column_the_table_totals_is_refused_as_a_group(self, name: str, column: str) -> None:
        # Grouping by fee_eur and summing fee_eur would name two columns alike (a Polars
        # DuplicateError traceback before): refused by name, before any work.
        run = BY_FUNCTIONS.get(name) or IMPORT_BY_FUNCTIONS[name]
        frame = self.FEES if name in BY_FUNCTIONS else self.IMPORTS
        with pytest.raises(cbam.ScenarioError, match=rf"by: \['{column}'\] is a column of the"):
            run(frame, [column])

    # totals sums its keys (cbam/_totals.py) before summarise's sums: not yet order-free.
    @pytest.mark.parametrize(
        "name", [n for n in [*BY_FUNCTIONS, *IMPORT_BY_FUNCTIONS] if n != "totals"]
    )
    def test_the_table_is_the_same_in_any_row_order(self, name: str) -> None:
        # Floats summed in another order can differ in the last bit, and a sum that falls on
        # half a cent then prints another cent (cbam run on the shuffled bundled data printed
        # ARE 5,568,357.08 t or .09). Every total is summed in sorted order: bit-identical.
        q = [0.1, 0.7, 1e7 + 0.3, 0.2, 3.3, 1e-3, 12345.678, 0.9, 5e6 + 0.01, 0.4] * 4
        imports = pl.DataFrame(
            {
                "year": [2026] * len(q),
                "origin": ["TUR", "CHN"] * (len(q) // 2),
                "cn_code": ["72071111", "76011010"] * (len(q) // 2),
                "quantity_t": q,
                "value_eur": [v * 550.3 for v in q],
            }
        )
        run = BY_FUNCTIONS.get(name) or IMPORT_BY_FUNCTIONS[name]
        frame = cbam.compute(imports, PRICED) if name in BY_FUNCTIONS else imports
        first = run(frame, ["origin"])
        for order in (frame.reverse(), frame.sample(fraction=1.0, shuffle=True, seed=7)):
            assert_frame_equal(run(order, ["origin"]), first, check_exact=True)

    @pytest.mark.parametrize("name", [*BY_FUNCTIONS, *IMPORT_BY_FUNCTIONS])
    def test_a_single_name_groups_by_that_column(self, name: str) -> None:
        run = BY_FUNCTIONS.get(name) or IMPORT_BY_FUNCTIONS[name]
        frame = self.FEES if name in BY_FUNCTIONS else self.IMPORTS
        out = run(frame, "origin")  # one column, not the letters 'o', 'r', 'i', ...
        # (sweep lists only groups that owe something: CHN's aluminium row owes nothing here)
        assert "TUR" in out["origin"].to_list()
        assert set(out["origin"].to_list()) <= {"CHN", "TUR"}

    @pytest.mark.parametrize("name", list(BY_FUNCTIONS))
    def test_a_name_that_is_not_text_is_a_type_error(self, name: str) -> None:
        with pytest.raises(TypeError, match="must hold column names"):
            BY_FUNCTIONS[name](self.FEES, [1])

    def test_compare_with_no_grouping_gives_one_row_of_totals(self) -> None:
        # The two rows' fees, summed: the same as grouping by origin and adding up.
        table = cbam.compare(self.IMPORTS, ["eu-cbam", "us-fpf-2025"], by=[])
        by_origin = cbam.compare(self.IMPORTS, ["eu-cbam", "us-fpf-2025"], by=["origin"])
        assert table.height == 1
        assert table["fee_eur:eu-cbam"].item() == pytest.approx(by_origin["fee_eur:eu-cbam"].sum())

    @pytest.mark.parametrize("name", ["sweep", "phase_in"])
    def test_rules_year_in_by_is_the_grouping_these_functions_keep_anyway(self, name: str) -> None:
        out = IMPORT_BY_FUNCTIONS[name](self.IMPORTS, ["rules_year"])
        assert out["rules_year"].to_list() == [2026]

    @pytest.mark.parametrize("command", ["run", "compare"])
    def test_the_cli_refuses_a_column_given_twice_before_the_run(
        self, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        scenarios = ["eu-cbam", "us-fpf-2025"] if command == "compare" else []
        err = cli_error(
            [command, *scenarios, "--imports", str(imports), "--by", "year,year"], capsys
        )
        assert "--by: ['year'] given more than once" in err


class TestScenarioFiles:
    """Bad dates and shapes in scenario, plan and group files name file, key or line, value."""

    @pytest.mark.parametrize(
        ("block", "key", "value"),
        [
            ("exemptions:\n  - group: ldc\n    status_on: 2026-02-30\n", "status_on", "2026-02-30"),
            (
                "recycling:\n  allocations:\n    - pool: x\n      share: 1\n"
                "      rule: equal_per_country\n      group: ldc\n      status_on: 2026-13-01\n",
                "status_on",
                "2026-13-01",
            ),
        ],
        ids=["exemption-status-on", "recycling-status-on"],
    )
    def test_an_impossible_date_names_file_line_and_key(
        self, tmp_path: Path, block: str, key: str, value: str
    ) -> None:
        path = write(tmp_path, "s.yaml", "name: s\nextends: eu-cbam\n" + block)
        with pytest.raises(cbam.ScenarioError) as info:
            cbam.load_scenario(path)
        text = str(info.value)
        assert "s.yaml" in text and "at line" in text
        assert f"key '{key}': '{value}' is not a valid date" in text

    def test_the_cli_reports_an_impossible_date_without_a_traceback(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        scenario = write(
            tmp_path,
            "s.yaml",
            "name: s\nextends: eu-cbam\nexemptions:\n  - group: ldc\n    status_on: 2026-02-30\n",
        )
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        err = cli_error(["run", "--scenario", str(scenario), "--imports", str(imports)], capsys)
        assert "line 5, column 16: key 'status_on'" in err

    @pytest.mark.parametrize(
        ("name", "text", "expected"),
        [
            (
                "backwards.csv",
                "iso3,member_from,member_to\nNPL,,\nBGD,2020-01-01,2019-01-01\n",
                "line 3: member_to 2019-01-01 is before member_from 2020-01-01 (BGD)",
            ),
            (
                "bad_date.csv",
                "iso3,member_from,member_to\nBGD,2020-01-01,2020-02-30\n",
                "line 2: member_to '2020-02-30' is not a date (YYYY-MM-DD)",
            ),
            (
                "backwards.yaml",
                "members:\n  - NPL\n"
                "  - {iso3: BGD, member_from: 2021-01-01, member_to: 2020-06-01}\n",
                "members entry 2: member_to 2020-06-01 is before member_from 2021-01-01 (BGD)",
            ),
            (
                "bad_date.yaml",
                "members:\n  - iso3: BGD\n    member_from: 2026-02-30\n",
                "key 'member_from': '2026-02-30' is not a valid date",
            ),
            (
                "quoted_date.yaml",
                "members:\n  - iso3: BGD\n    member_from: '1 March 2026'\n",
                "members entry 1: member_from '1 March 2026' is not a date",
            ),
        ],
        ids=["csv-backwards", "csv-bad-date", "yaml-backwards", "yaml-bad-date", "yaml-text"],
    )
    def test_group_file_dates_are_checked(
        self, tmp_path: Path, name: str, text: str, expected: str
    ) -> None:
        write(tmp_path, name, text)
        scenario = write(
            tmp_path, "s.yaml", f"name: s\nextends: eu-cbam\nexemptions:\n  - group: {name}\n"
        )
        with pytest.raises(cbam.ScenarioError) as info:
            cbam.compute(rows(), cbam.load_scenario(scenario))
        assert name in str(info.value) and expected in str(info.value)

    @pytest.mark.parametrize("overrides", [[("rules_year", 2030)], "rules_year=2030", 2030])
    def test_overrides_that_are_not_a_mapping_are_a_type_error(self, overrides: Any) -> None:
        with pytest.raises(TypeError, match="overrides must be a mapping of dotted"):
            cbam.load_scenario("eu-cbam", overrides=overrides)

    def test_overrides_in_a_file_that_are_not_a_mapping_name_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, "s.yaml", "name: s\nextends: eu-cbam\noverrides: [1, 2]\n")
        with pytest.raises(cbam.ScenarioError, match=r"s.yaml: 'overrides' must be a mapping"):
            cbam.load_scenario(path)

    def test_an_override_keyed_by_a_number_is_read_as_its_text(self) -> None:
        with pytest.raises(cbam.ScenarioError, match="2030: Extra inputs are not permitted"):
            cbam.load_scenario("eu-cbam", overrides={2030: 5})  # type: ignore[dict-item]

    def test_a_scenario_that_is_not_a_name_or_path_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="a scenario is a Scenario, a bundled name"):
            cbam.compute(rows(), 5)  # type: ignore[call-overload]


class TestApiArguments:
    """Hostile arguments to the Python API: clear errors, or the right answer."""

    @pytest.mark.parametrize(
        "report",
        [
            lambda f: cbam.summarise(f, by=["origin"]),
            lambda f: cbam.summarise(f.lazy(), by=[]).collect(),
            cbam.ad_valorem_equivalents,
            cbam.fee_per_tonne,
        ],
        ids=["summarise", "summarise-lazy", "ave", "fee-per-tonne"],
    )
    def test_a_report_of_raw_imports_says_it_needs_a_compute_result(
        self, report: Callable[[pl.DataFrame], object]
    ) -> None:
        # It was a Polars ColumnNotFoundError with the query plan.
        with pytest.raises(cbam.ScenarioError, match=r"not a cbam\.compute result: no column") as e:
            report(rows(value_eur=[1000.0]))
        assert "columns found: ['year', 'origin', 'cn_code', 'quantity_t', 'value_eur']" in str(
            e.value
        )

    def test_recycle_refuses_a_fee_too_large_to_count_in_cents(self) -> None:
        fees = pl.DataFrame({"origin": ["TUR"], "fee_eur": [1e20]})
        with pytest.raises(cbam.CbamInputError, match="too large to count in 64-bit cents: row 1"):
            cbam.recycle(fees, OWN_RESOURCES)

    def test_recycle_refuses_a_total_too_large_to_count_in_cents(self) -> None:
        # Each fee fits in 64-bit cents (9.2e16 EUR); 200 of them do not.
        fees = pl.DataFrame({"origin": ["TUR"] * 200, "fee_eur": [9e16] * 200})
        with pytest.raises(cbam.CbamInputError, match="is too large to count in 64-bit cents"):
            cbam.recycle(fees, OWN_RESOURCES)

    @pytest.mark.parametrize(
        ("years", "error", "match"),
        [
            ([2025], cbam.ScenarioError, "rules_year must be between 2026 and 2100, not 2025"),
            (["2026"], cbam.ScenarioError, "years must be whole years, not '2026'"),
            ([2026.5], cbam.ScenarioError, "years must be whole years, not 2026.5"),
            (2025, cbam.ScenarioError, "not 2025"),  # one year alone is a list of one
            (3.5, TypeError, "years must be a list of years"),
        ],
        ids=["before-the-rules", "text", "fraction", "one-year", "not-a-list"],
    )
    def test_phase_in_years_are_checked(self, years: Any, error: type, match: str) -> None:
        with pytest.raises(error, match=match):
            cbam.phase_in(rows(), PRICED, years=years)

    def test_phase_in_takes_a_single_year_as_a_list_of_one(self) -> None:
        out = cbam.phase_in(rows(), PRICED, years=2026)
        assert out["fee_eur"].round(2).to_list() == [9688.8]

    def test_compare_refuses_a_single_scenario_name(self) -> None:
        with pytest.raises(cbam.ScenarioError, match="a list of two or more scenarios, not one"):
            cbam.compare(rows(), "eu-cbam")  # type: ignore[arg-type]

    def test_compare_reads_a_currency_in_any_case(self) -> None:
        table = cbam.compare(rows(year=[2027]), ["eu-cbam", "uk-cbam"], currency=" usd ")
        assert "fee_usd:eu-cbam" in table.columns

    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({"vary": {"cbam_factor": []}}, cbam.ScenarioError, "is empty: give values to try"),
            ({"vary": {"de_minimis": True}}, TypeError, "must be a list of values to try"),
            ({"vary": [1, 2]}, TypeError, "vary must be a mapping"),
            ({"partitions": 0}, cbam.ScenarioError, "partitions must be a whole number >= 1"),
            ({"percentiles": [150]}, cbam.ScenarioError, "percentiles must be numbers from 0"),
            (
                {"vary": {"rules_year": [2025]}},
                cbam.ScenarioError,
                "rules_year must be between 2026 and 2100",
            ),
        ],
        ids=["empty-values", "not-a-list", "vary-list", "partitions", "percentile", "invalid"],
    )
    def test_sweep_arguments_are_checked(
        self, kwargs: dict[str, Any], error: type, match: str
    ) -> None:
        with pytest.raises(error, match=match):
            cbam.sweep(rows(), PRICED, **kwargs)

    def test_recycle_refuses_origin_codes_typed_as_numbers_naming_them(self) -> None:
        # Read as text ('1', '2'), they are no ISO3 country that paid: refused, as compute
        # refuses them, not booked as payers.
        fees = pl.DataFrame({"origin": [1, 2], "fee_eur": [1.0, 3.0]})
        with pytest.raises(cbam.CbamInputError) as info:
            cbam.recycle(fees, OWN_RESOURCES)
        [problem] = info.value.problems
        assert (problem.column, problem.message) == ("origin", "unknown ISO 3166-1 alpha-3 code")
        assert problem.values == ("1", "2")

    def test_recycle_reports_a_nan_fee_once(self) -> None:
        fees = pl.DataFrame({"origin": ["TUR"], "fee_eur": [math.nan]})
        with pytest.raises(cbam.CbamInputError) as info:
            cbam.recycle(fees, OWN_RESOURCES)
        assert [p.message for p in info.value.problems] == ["not a finite number"]

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (
                lambda fees: cbam.phase_in(fees.select(list(TUR)), PRICED, years=[]),
                cbam.ScenarioError,
                "years is empty",
            ),
            (
                lambda fees: cbam.trade_response(
                    fees, pl.DataFrame({"origin": ["TUR"], "elasticity": ["x"]})
                ),
                ValueError,
                "'elasticity' column must hold numbers",
            ),
            (
                lambda fees: cbam.exposure(
                    fees, economy=pl.DataFrame({"origin": ["TUR"], "gdp_eur": ["x"]})
                ),
                ValueError,
                "cannot be read as the fee table's keys and as numbers",
            ),
            (
                lambda fees: cbam.compare(fees.select(list(TUR)), None),  # type: ignore[arg-type]
                TypeError,
                "scenarios must be a list of two or more scenarios",
            ),
        ],
        ids=["phase-in-no-years", "elasticity-text", "economy-text", "compare-none"],
    )
    def test_tables_and_lists_given_to_indicators_are_checked(
        self, call: Any, error: type, match: str
    ) -> None:
        fees = cbam.compute(rows(value_eur=[55_000.0]), PRICED)
        with pytest.raises(error, match=match):
            call(fees)

    def test_a_frame_that_is_not_a_frame_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match=r"not builtins\.dict"):
            cbam.compute(TUR)  # type: ignore[call-overload]


class TestCliArguments:
    """Options are checked as they are parsed: clear errors, exit 2, before any work."""

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (["--year", "abc"], "argument --year: not a whole number: 'abc'"),
            (["--year", ","], "argument --year: give one or more years"),
            (["--year", "2026,20x6"], "argument --year: not a whole number: '20x6'"),
            (["--top", "-1"], "argument --top: must be 0 or more, not -1"),
            (["--top", "ten"], "argument --top: not a whole number: 'ten'"),
            (["--rules-year", "0"], "argument --rules-year: not a year (such as 2026): '0'"),
            (["--rules-year", "2026.5"], "argument --rules-year: not a whole number"),
            (["--rules-year", "2101"], "--rules-year 2101: scenario 'eu-cbam' has rules for"),
            (["--on-error", "maybe"], "argument --on-error: invalid choice: 'maybe'"),
            (["--by", "nope"], "--by: unknown columns ['nope']"),
            (["--by", "origin,fee_eur"], "--by: ['fee_eur'] is a column of the totals"),
            (["--recycling", "nope"], "--recycling: invalid recycling plan"),
            (["--recycling"], "--recycling: scenario 'eu-cbam' has no recycling plan"),
        ],
        ids=[
            "year-text",
            "year-empty",
            "year-one-bad",
            "top-negative",
            "top-text",
            "rules-year-zero",
            "rules-year-fraction",
            "rules-year-beyond",
            "on-error",
            "by-unknown",
            "by-a-total",
            "recycling-unknown",
            "recycling-none",
        ],
    )
    def test_a_bad_run_option_is_one_clear_error_before_the_run(
        self,
        options: list[str],
        message: str,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        assert main(["run", "--imports", str(imports), *options]) == 2
        captured = capsys.readouterr()
        assert message in captured.err
        assert "Total fee" not in captured.out  # nothing was computed first

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["check", "eu-cbam", "--examples", "0"], "argument --examples: must be from 1"),
            (["check", "eu-cbam", "--examples", "10" * 20], "argument --examples: must be from 1"),
            (["compare", "eu-cbam"], "compare needs two or more scenarios"),
            (["compare", "eu-cbam", "uk-cbam", "--top", "-5"], "argument --top: must be 0 or more"),
            (
                ["compare", "eu-cbam", "uk-cbam", "--currency", "XX"],
                "no exchange rate for currency",
            ),
            (["run", "--unknown-option"], "unrecognized arguments: --unknown-option"),
            ([], "the following arguments are required: command"),
        ],
        ids=[
            "examples-zero",
            "examples-huge",
            "one-scenario",
            "top",
            "currency",
            "unknown",
            "none",
        ],
    )
    def test_other_commands_check_their_options(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert message in cli_error(argv, capsys)

    @pytest.mark.parametrize("argv", [["run", "--top", "-1"], ["run", "--nope"], ["nope"], []])
    def test_an_option_error_is_one_line(
        self, argv: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        # argparse printed its six-line usage block first.
        err = cli_error(argv, capsys)
        assert err.count("\n") == 1 and err.startswith("cbam: error: ")
        assert err.rstrip().endswith("--help)")

    @pytest.mark.parametrize("layout", [[], ["--format", "comext"]], ids=["cbam", "comext"])
    def test_an_import_name_is_read_as_given_never_as_a_pattern(
        self, layout: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Polars expands *, ? and [..]: 'g/*.csv' merged two files (twice the fee) and
        # 'lit[1].csv' or a folder called 'adir.csv' gave an internal Polars error.
        (tmp_path / "g").mkdir()
        for name in ("a.csv", "b.csv"):
            write(tmp_path / "g", name, GOOD_CSV)
        (tmp_path / "adir.csv").mkdir()
        run = ["run", *layout, "--imports"]
        err = cli_error([*run, str(tmp_path / "g" / "*.csv")], capsys)
        assert "*.csv: no such " in err and "not as a pattern" in err
        assert "is a folder; name a file in it" in cli_error(
            [*run, str(tmp_path / "adir.csv")], capsys
        )
        os.mkfifo(tmp_path / "pipe.csv")  # '<(cat x.csv)' was called a folder
        assert "is not a regular file" in cli_error([*run, str(tmp_path / "pipe.csv")], capsys)
        literal = write(tmp_path, "lit[1].csv", GOOD_CSV)
        if not layout:
            assert main([*run, str(literal), "--by", "origin"]) == 0
            assert "Rows: 2 computed" in capsys.readouterr().out
        else:  # read, then refused for its cbam (not comext) columns: the name was found
            assert "not a comext file" in cli_error([*run, str(literal)], capsys)

    def test_a_csv_whose_first_decimal_comes_after_line_10001_reads_whole(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Types are inferred from 10,000 lines: '1.5' on line 10,003 was "could not parse `1.5`
        # as dtype `i64`", and 'n/a' there named no line.
        lines = [
            "year,origin,cn_code,quantity_t,value_eur",
            *["2026,TUR,72071111,100,5000"] * 10_001,
        ]
        late = write(tmp_path, "late.csv", "\n".join([*lines, "2026,TUR,72071111,1.5,5000.25\n"]))
        out = tmp_path / "fees.parquet"
        assert main(["run", "--imports", str(late), "--out", str(out)]) == 0
        fees = pl.read_parquet(out)
        assert fees.schema["quantity_t"] == pl.Float64 and fees["quantity_t"][-1] == 1.5
        assert fees["quantity_t"].sum() == 1_000_101.5
        capsys.readouterr()
        bad = write(tmp_path, "bad.csv", "\n".join([*lines, "2026,TUR,72071111,n/a,5000\n"]))
        err = cli_error(["run", "--imports", str(bad)], capsys)
        assert "column 'quantity_t': missing or not a number: line 10003 (n/a)" in err
        # A year written 2026.0 there, beside a carried column whose code turns to text: one year.
        carried = [f"{line},12" for line in lines[1:]]
        text = "\n".join([lines[0] + ",firm", *carried, "2026.0,TUR,72071111,1.5,5000,A1\n"])
        odd = write(tmp_path, "odd.csv", text)
        assert main(["run", "--imports", str(odd), "--by", "origin"]) == 0
        out = capsys.readouterr().out
        assert "Total fee" in out and "import years" not in out  # one year, not 2026 and 2026.0

    def test_blank_lines_of_a_csv_are_skipped_and_said(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # A blank line was a row of nulls: four errors for a file that ends in an empty line.
        text = "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n\n2026,XYZ,72071111,1\n\n"
        imports = write(tmp_path, "blank.csv", text)
        err = cli_error(["run", "--imports", str(imports)], capsys)
        assert "column 'origin': unknown ISO 3166-1 alpha-3 code: line 4 (XYZ)" in err
        assert "missing" not in err
        fixed = write(tmp_path, "blank.csv", text.replace("XYZ", "CHN"))
        assert main(["run", "--imports", str(fixed), "--year", "2026"]) == 0
        out = capsys.readouterr().out
        assert "note: 2 empty line(s) of blank.csv skipped (line 3, 5)" in out
        assert "Rows: 2 computed" in out

    def test_out_never_overwrites_the_import_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        same = str(tmp_path / "." / "imports.csv")
        err = cli_error(["run", "--imports", str(imports), "--out", same], capsys)
        assert "is the import file; name another file" in err
        assert imports.read_text(encoding="utf-8") == GOOD_CSV

    def test_year_on_a_file_without_a_year_column_names_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "noyear.csv", "origin,cn_code,quantity_t\nTUR,72071111,1\n")
        err = cli_error(["run", "--imports", str(imports), "--year", "2026"], capsys)
        assert "noyear.csv" in err and "column 'year': required column is missing" in err

    def test_a_huge_top_shows_every_group(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        argv = ["run", "--imports", str(imports), "--top", "99999999999999999999", "--by", "origin"]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "| TUR" in out and "| CHN" in out and "top " not in out

    def test_a_year_that_keeps_no_rows_says_so(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        assert main(["run", "--imports", str(imports), "--year", "2030"]) == 0
        out = capsys.readouterr().out
        assert "note: no rows of imports.csv are in --year 2030 (its years: 2026-2027)" in out
        assert "Rows: 0 computed" in out

    def test_a_rules_year_of_zero_is_not_silently_ignored(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        assert main(["run", "--imports", str(imports), "--rules-year", "0"]) == 2
        assert "each row under its own year's rules" not in capsys.readouterr().out

    def test_recycling_after_flagging_leaves_the_flagged_rows_out(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Flagged rows have no fee; recycle refuses null fees, so the CLI recycles the computed
        # rows' revenue (the total fee it printed) and says so.
        imports = write(
            tmp_path,
            "flag.csv",
            "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n2026,XYZ,72071111,1\n",
        )
        argv = ["run", "--imports", str(imports), "--on-error", "flag"]
        assert main([*argv, "--recycling", "eu-own-resources"]) == 0
        out = capsys.readouterr().out
        assert "Rows: 1 computed, 0 exempt, 1 flagged" in out
        assert "allocated to the cent (1 flagged rows left out)" in out
        total = re.search(r"Total fee: EUR ([\d,.]+) on", out)
        assert total is not None and f"Revenue: EUR {total[1]}, allocated" in out


class TestOutputPaths:
    """``--out``: a known type, in a folder that exists, checked before the run."""

    def test_a_failed_write_leaves_the_earlier_file_and_no_partial_one(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A write that fails after the header (as a binary column once did, now refused
        # before the run) must leave a good file of the same name as it was.
        def half_written(frame: pl.DataFrame, file: Path) -> None:
            Path(file).write_text("year,origin\n", encoding="utf-8")
            raise pl.exceptions.ComputeError("the disk gave up half way")

        monkeypatch.setattr(pl.DataFrame, "write_csv", half_written)
        imports = tmp_path / "good.parquet"
        pl.DataFrame(TUR).write_parquet(imports)
        out = write(tmp_path, "keep.csv", "an earlier result\n")
        err = cli_error(["run", "--imports", str(imports), "--out", str(out)], capsys)
        assert "cannot write: the disk gave up half way" in err
        assert out.read_text(encoding="utf-8") == "an earlier result\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["good.parquet", "keep.csv"]

    def test_a_nan_kept_on_a_flagged_row_goes_into_excel(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # xlsxwriter refused NaN and inf after every table was printed, leaving half a workbook.
        imports = tmp_path / "nan.parquet"
        rows(**{k: v * 2 for k, v in TUR.items()}).with_columns(
            value_eur=pl.Series([float("nan"), 5.0])
        ).write_parquet(imports)
        out = tmp_path / "nan.xlsx"
        argv = ["run", "--imports", str(imports), "--on-error", "flag", "--out", str(out)]
        assert main(argv) == 0
        sheet = openpyxl.load_workbook(out)["rows"]
        header = [c.value for c in sheet[1]]
        values = [r[header.index("value_eur")].value for r in sheet.iter_rows(min_row=2)]
        assert values == ["=#NUM!", 5]

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("missing/fees.csv", "folder '{tmp}/missing' does not exist (create it first)"),
            ("fees.json", "unknown file type '.json' (use .csv, .parquet, .xlsx)"),
            ("fees", "unknown file type '' (use .csv, .parquet, .xlsx)"),
            (".", "is a folder; name a file in it"),
            ("x" * 300 + ".csv", "File name too long"),
        ],
        ids=["missing-folder", "json", "no-suffix", "folder", "name-too-long"],
    )
    def test_a_bad_out_fails_before_the_run(
        self, name: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        out = str(tmp_path / name)
        assert main(["run", "--imports", str(imports), "--out", out]) == 2
        captured = capsys.readouterr()
        assert message.format(tmp=tmp_path) in captured.err
        assert captured.out == ""  # failed before printing any result

    def test_xlsx_is_a_workbook_of_rows_and_totals(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        out = tmp_path / "fees.xlsx"
        assert main(["run", "--imports", str(imports), "--out", str(out), "--by", "origin"]) == 0
        assert "sheets 'rows' and 'totals'" in capsys.readouterr().out
        expected = cbam.compute(pl.read_csv(imports, schema_overrides={"cn_code": pl.String}))
        read = pl.read_excel(out, sheet_id=0, engine="openpyxl")
        assert set(read) == {"rows", "totals"}
        assert read["rows"]["origin"].to_list() == ["TUR", "CHN"]
        assert read["rows"]["fee_eur"].to_list() == pytest.approx(expected["fee_eur"].to_list())
        totals = read["totals"]
        assert totals["origin"].to_list()[-1] == "total"
        assert totals["fee_eur"][-1] == pytest.approx(expected["fee_eur"].sum())
        assert totals["fee_eur"][:-1].sum() == pytest.approx(expected["fee_eur"].sum())
        # The total row is labelled in the first text key, so a year stays a number whatever
        # the order of --by; with no text key, the first key holds the label.
        for order in ("year,origin", "origin,year"):
            argv = ["run", "--imports", str(imports), "--out", str(out), "--by", order]
            assert main(argv) == 0
            by_year = pl.read_excel(out, sheet_name="totals", engine="openpyxl")
            assert by_year["year"].to_list()[:2] == [2026, 2027]
            assert by_year["year"][-1] is None and by_year["origin"][-1] == "total"
        assert main(["run", "--imports", str(imports), "--out", str(out), "--by", "year"]) == 0
        by_year = pl.read_excel(out, sheet_name="totals", engine="openpyxl")
        assert by_year["year"].cast(pl.String).to_list() == ["2026", "2027", "total"]

    def test_xlsx_keeps_text_that_looks_like_a_formula_or_a_link(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        frame = pl.read_csv(
            write(tmp_path, "i.csv", GOOD_CSV), schema_overrides={"cn_code": pl.String}
        )
        frame = frame.with_columns(
            importer=pl.Series(["=1+1", "http://example.org"][: frame.height])
        )
        imports = tmp_path / "i.parquet"
        frame.write_parquet(imports)
        out = tmp_path / "fees.xlsx"
        assert main(["run", "--imports", str(imports), "--out", str(out)]) == 0
        sheet = openpyxl.load_workbook(out)["rows"]
        header = [c.value for c in sheet[1]]
        cells = [row[header.index("importer")] for row in sheet.iter_rows(min_row=2)]
        assert [(c.value, c.data_type, c.hyperlink) for c in cells] == [
            ("=1+1", "s", None),
            ("http://example.org", "s", None),
        ]

    def test_out_onto_a_pipe_is_refused_not_replaced(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        pipe = tmp_path / "pipe.csv"
        os.mkfifo(pipe)
        err = cli_error(["run", "--imports", str(imports), "--out", str(pipe)], capsys)
        assert "not a regular file (a pipe or a device)" in err
        assert stat.S_ISFIFO(pipe.stat().st_mode)

    @pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
    def test_csv_and_xlsx_refuse_binary_columns_by_name(
        self, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = tmp_path / "binary.parquet"
        rows(blob=[b"\x00"]).write_parquet(imports)
        out = tmp_path / f"fees{suffix}"
        err = cli_error(["run", "--imports", str(imports), "--out", str(out)], capsys)
        assert f"{suffix[1:].upper()} cannot hold the binary column(s) ['blob']" in err
        assert not out.exists()

    def test_csv_refuses_nested_columns_before_the_run(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = tmp_path / "nested.parquet"
        rows(tags=[["a", "b"]]).write_parquet(imports)
        out = tmp_path / "fees.csv"
        err = cli_error(["run", "--imports", str(imports), "--out", str(out)], capsys)
        assert "CSV cannot hold the nested column(s) ['tags']; write .parquet or .xlsx" in err
        assert not out.exists()

    def test_xlsx_refuses_more_rows_than_a_sheet_holds_before_the_run(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(cli, "_EXCEL_ROWS", 1)  # a sheet of one row stands in for 1,048,575
        imports = write(tmp_path, "imports.csv", GOOD_CSV)
        err = cli_error(
            ["run", "--imports", str(imports), "--out", str(tmp_path / "fees.xlsx")], capsys
        )
        assert "an Excel sheet holds 1 rows, this run has 2; write .csv or .parquet" in err
        assert not (tmp_path / "fees.xlsx").exists()


class TestHints:
    """Hints point the right way; row numbers are 1-based; file lines are the file's."""

    def test_a_missing_column_does_not_suggest_flagging(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        exc = input_error(rows().drop("quantity_t"))
        assert "on_error" not in str(exc)
        imports = write(tmp_path, "imports.csv", "year,origin,cn_code\n2026,TUR,72071111\n")
        err = cli_error(["run", "--imports", str(imports)], capsys)
        assert "column 'quantity_t': required column is missing" in err
        assert "--on-error" not in err

    def test_bad_rows_suggest_flagging_in_the_callers_own_terms(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert "pass on_error='flag'" in str(input_error(rows(origin=["XYZ"])))
        imports = write(
            tmp_path, "bad.csv", "year,origin,cn_code,quantity_t\n2026,XYZ,72071111,1\n"
        )
        assert "pass --on-error flag" in cli_error(["run", "--imports", str(imports)], capsys)

    @pytest.mark.parametrize(
        ("call", "hint"),
        [
            (lambda: cbam.compare(rows(origin=["XYZ"]), ["eu-cbam", "us-fpf-2025"]), "compare"),
            (lambda: cbam.sweep(rows(origin=["XYZ"]), PRICED), "sweep"),
            (lambda: cbam.phase_in(rows(origin=["XYZ"]), PRICED, years=[2026]), "phase_in"),
        ],
        ids=["compare", "sweep", "phase_in"],
    )
    def test_functions_without_a_lenient_mode_do_not_offer_one(self, call: Any, hint: str) -> None:
        with pytest.raises(cbam.CbamInputError) as info:
            call()
        text = str(info.value)
        assert "pass on_error='flag'" not in text
        assert f"{hint} computes strictly: find the rows with cbam.compute(" in text

    @pytest.mark.parametrize(
        "fees",
        [
            pl.DataFrame({"origin": ["TUR"]}),
            pl.DataFrame({"origin": ["TUR", "CHN"], "fee_eur": [1.0, -1.0]}),
            pl.DataFrame({"origin": [None, "CHN"], "fee_eur": [1.0, 1.0]}),
        ],
        ids=["missing-column", "negative", "null-origin"],
    )
    def test_recycle_does_not_offer_a_lenient_mode(self, fees: pl.DataFrame) -> None:
        with pytest.raises(cbam.CbamInputError) as info:
            cbam.recycle(fees, OWN_RESOURCES)
        assert "to keep and flag such rows" not in str(info.value)

    def test_recycle_names_the_row_of_a_null_origin(self) -> None:
        fees = pl.DataFrame({"origin": ["TUR", None], "fee_eur": [1.0, 1.0]})
        with pytest.raises(cbam.CbamInputError, match=r"column 'origin': null: row 2 \(null\)"):
            cbam.recycle(fees, OWN_RESOURCES)

    def test_api_rows_count_from_one(self) -> None:
        exc = input_error(pl.concat([rows(), rows(origin=["XYZ"])]))
        assert exc.problems[0].rows == (1,)  # the attribute: 0-based position
        assert "row 2 (XYZ)" in str(exc)  # the message: the second row

    def test_parquet_rows_count_from_one(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = tmp_path / "bad.parquet"
        pl.concat([rows(), rows(origin=["XYZ"])]).write_parquet(imports)
        assert "unknown ISO 3166-1 alpha-3 code: row 2 (XYZ)" in cli_error(
            ["run", "--imports", str(imports)], capsys
        )

    @pytest.mark.parametrize("command", ["run", "compare"])
    def test_lines_are_the_files_after_selecting_years(
        self, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Line 1 is the header; the bad 2027 row is on line 4, after a 2026 row that --year
        # leaves out: the message names line 4, not the row's place among those kept.
        imports = write(
            tmp_path,
            "bad.csv",
            "year,origin,cn_code,quantity_t\n2027,TUR,72071111,1\n2026,TUR,72071111,2\n"
            "2027,XYZ,72071111,-4\n",
        )
        scenarios = ["eu-cbam", "uk-cbam"] if command == "compare" else []
        err = cli_error([command, *scenarios, "--imports", str(imports), "--year", "2027"], capsys)
        assert "column 'quantity_t': negative: line 4 (-4)" in err
        assert "column 'origin': unknown ISO 3166-1 alpha-3 code: line 4 (XYZ)" in err
        if command == "compare":
            assert "--on-error flag" in err and "pass on_error=" not in err

    def test_a_row_whose_year_is_not_a_number_is_reported_not_dropped_by_year(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        imports = write(
            tmp_path,
            "bad.csv",
            "year,origin,cn_code,quantity_t\n2027,TUR,72071111,1\ntwenty,TUR,72071111,2\n",
        )
        err = cli_error(["run", "--imports", str(imports), "--year", "2027"], capsys)
        assert "column 'year': missing or not a whole number: line 3 (twenty)" in err


def test_out_through_a_link_writes_the_file_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imports = write(tmp_path, "imports.csv", GOOD_CSV)
    target = write(tmp_path, "target.csv", "old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert main(["run", "--imports", str(imports), "--out", str(link)]) == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("year,origin")


def test_a_value_in_another_currency_does_not_depend_on_other_rows_or_the_engine() -> None:
    # EUR 58,870.505887050014 is GBP 50,000.005 at 1.17741: Polars divides by a constant as a
    # product with its reciprocal, one unit in the last place off a true quotient, so the UK
    # threshold flipped with an unrelated importer's rows or the engine.
    uk = cbam.load_scenario("uk-cbam")
    a = {"year": 2027, "origin": "CHN", "cn_code": "72081000", "quantity_t": 100.0,
         "value_eur": 58870.505887050014, "importer": "GB1"}  # fmt: skip
    b = {"year": 2027, "origin": "TUR", "cn_code": "72081000", "quantity_t": 1.0,
         "value_eur": 10.0, "importer": "GB2"}  # fmt: skip
    seen = {
        cbam.compute(pl.DataFrame(rows), uk, engine=engine)["de_minimis"][0]
        for rows in ([a], [a, b], [a, b, b])
        for engine in ("in-memory", "streaming")
    }
    assert len(seen) == 1
    fpf = cbam.load_scenario("us-fpf-2025")
    r = {"year": 2027, "origin": "TCD", "cn_code": "73079210", "quantity_t": 1.0,
         "value_eur": 506.3395658523691}  # fmt: skip
    o = {"year": 2027, "origin": "CHN", "cn_code": "72081000", "quantity_t": 1.0,
         "value_eur": 1000.0}  # fmt: skip
    fees = {
        cbam.compute(pl.DataFrame(rows), fpf, engine=engine)["fee_eur"][0]
        for rows in ([r], [r, o])
        for engine in ("in-memory", "streaming")
    }
    assert len(fees) == 1


def test_an_ad_valorem_fee_on_emissions_past_a_float_is_flagged() -> None:
    # US FPF charges a share of customs value: the fee stayed finite while embedded_t was
    # inf on an unflagged row, and totals then refused the frame even in flag mode.
    rows = pl.DataFrame({"year": [2027], "origin": ["CHN"], "cn_code": ["72081000"],
                         "quantity_t": [1.7e308], "value_eur": [1e6]})  # fmt: skip
    out = cbam.compute(rows, "us-fpf-2025", on_error="flag")
    assert out["input_error"][0] == (
        "quantity_t: too large: the fee or its emissions are not a finite number"
    )
    assert out["fee_eur"][0] is None
    assert cbam.totals(rows, "us-fpf-2025", by=[], on_error="flag")["flagged_rows"][0] == 1


@pytest.mark.parametrize("code", ["７２０８１０００", "٧٢٠٨١٠٠٠"])
def test_a_code_of_non_ascii_digits_is_malformed_not_free(code: str) -> None:
    # Polars' \d took full-width and Arabic-Indic digits: 'not a CBAM good', fee 0, unsaid.
    frame = pl.DataFrame(
        {"year": [2027], "origin": ["CHN"], "cn_code": [code], "quantity_t": [100.0]}
    )
    with pytest.raises(cbam.CbamInputError, match="malformed CN code"):
        cbam.compute(frame, "eu-cbam")


@pytest.mark.parametrize("name", ["_t_rows", "_t_bad", "_t_valued"])
def test_columns_named_like_the_working_columns_of_totals_are_refused(name: str) -> None:
    # totals grouped by '_t_rows' raised a raw DuplicateError.
    frame = pl.DataFrame(
        {
            "year": [2027],
            "origin": ["CHN"],
            "cn_code": ["72081000"],
            "quantity_t": [1.0],
            name: [99],
        }
    )
    with pytest.raises(cbam.CbamInputError, match="'_t_' are reserved for cbam's work"):
        cbam.totals(frame, "eu-cbam", by=[name])
    assert cbam.compute(frame, "eu-cbam")[name].to_list() == [99]  # compute keeps it


def test_columns_named_like_the_working_columns_of_sweep_are_refused() -> None:
    frame = pl.DataFrame(
        {
            "year": [2027],
            "origin": ["CHN"],
            "cn_code": ["72081000"],
            "quantity_t": [1.0],
            "_s_q": [1],
        }
    )
    with pytest.raises(cbam.CbamInputError, match="'_s_' are reserved for cbam's work"):
        cbam.sweep(frame, "eu-cbam", vary={"certificate_price_eur": [80]})


def test_amounts_above_2_to_the_67_sum_without_a_raw_error() -> None:
    # order_free_sum cast every row to Int128, the rows it then left out too: a fee of 1.6e20
    # (1e18 t, which compute accepts) raised Polars' InvalidOperationError in the indicators.
    rows = pl.DataFrame(
        {
            "year": [2027, 2027],
            "origin": ["TUR", "CHN"],
            "cn_code": ["72071111"] * 2,
            "quantity_t": [1e18, 1.0],
            "value_eur": [1.0, 1.0],
        }
    )
    fees = cbam.compute(rows, "eu-cbam")
    ave = cbam.ad_valorem_equivalents(fees, by=["origin"]).sort("origin")
    assert ave["fee_eur"].to_list() == fees.sort("origin")["fee_eur"].to_list()
    assert sorted(cbam.compare(rows, ["eu-cbam", "uk-cbam"])["origin"]) == ["CHN", "TUR"]


def test_sums_of_large_amounts_are_the_same_in_any_row_order() -> None:
    # Amounts of 2^40 and more were added as floats, in row order: now whole 2^-12 units.
    i = pl.int_range(600)
    rows = pl.select(
        year=pl.lit(2027),
        origin=pl.when(i % 3 == 0).then(pl.lit("BRA")).otherwise(pl.lit("IND")),
        cn_code=pl.lit("72071111"),
        quantity_t=pl.when(i % 5 == 0).then(1e15 + i.cast(pl.Float64)).otherwise(0.1 * i),
    )
    fees = cbam.compute(rows, "eu-cbam")
    one = cbam.summarise(fees, by=["origin"])
    other = cbam.summarise(fees.reverse(), by=["origin"])
    assert one.sort("origin").equals(other.sort("origin"))


def test_a_price_path_too_large_for_the_imports_is_refused_by_sweep() -> None:
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
    )
    for name, vary, message in (
        ("uk-cbam", {"charge.price": [60.0, 1e308]}, r"path 1 \(1e\+308\).*not a finite number"),
        (
            "eu-cbam",
            {"certificate_price_eur": [80.0, 1e308]},
            r"certificate_price_eur: Input should be less than or equal to 1000000000000",
        ),
    ):
        with pytest.raises(cbam.ScenarioError, match=message):
            cbam.sweep(rows, name, vary=vary)


@pytest.mark.parametrize("column", ["year", "quarter"])
def test_a_whole_number_beyond_32_bits_is_out_of_range_not_unwhole(column: str) -> None:
    rows = pl.DataFrame(
        {"year": [2027], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [1.0]}
    ).with_columns(pl.lit(2**31, pl.Int64).alias(column))
    with pytest.raises(cbam.CbamInputError, match=rf"'{column}': a whole number out of range"):
        cbam.compute(rows, "eu-cbam")
    flagged = cbam.compute(rows, "eu-cbam", on_error="flag")
    assert "out of range" in flagged["input_error"][0]
