"""Bad input: each fault is refused with the right exception, naming column, value and rows.

Row faults raise ``cbam.CbamInputError`` (a ``ValueError``) whose ``problems`` list one
``InputProblem`` per kind of fault; ``on_error="flag"`` keeps such rows instead. Scenario faults
raise ``cbam.ScenarioError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cbam

EU = cbam.load_scenario("eu-cbam")
PRICED = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
BASE: dict[str, Any] = {"year": 2026, "origin": "TUR", "cn_code": "72071111", "quantity_t": 100.0}
GOOD_ROWS: list[dict[str, Any]] = [
    {"year": 2026, "origin": "TUR", "cn_code": "7207 11 11", "quantity_t": 100.0},
    {"year": 2027, "origin": "CHN", "cn_code": "7601 10", "quantity_t": 50.0},
    {"year": 2030, "origin": "DEU", "cn_code": "2523 29 00", "quantity_t": 10.0},
    {"year": 2026, "origin": "IND", "cn_code": "0101", "quantity_t": 1.0},
]
BAD_AT = 2  # the bad row goes between the good ones, at this index


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows to a DataFrame; a column mixing text and numbers becomes text, as from a CSV."""
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    data: dict[str, pl.Series] = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if any(isinstance(v, str) for v in values):
            values = [None if v is None else str(v) for v in values]
        elif any(isinstance(v, float) for v in values):
            values = [None if v is None else float(v) for v in values]
        data[column] = pl.Series(column, values)
    return pl.DataFrame(data)


def with_bad_row(bad: dict[str, Any]) -> pl.DataFrame:
    """The good rows with ``bad`` inserted at ``BAD_AT``."""
    return frame([*GOOD_ROWS[:BAD_AT], bad, *GOOD_ROWS[BAD_AT:]])


def input_error(
    data: pl.DataFrame | pl.LazyFrame, scenario: cbam.Scenario = EU
) -> cbam.CbamInputError:
    with pytest.raises(cbam.CbamInputError) as info:
        result = cbam.compute(data, scenario)
        if isinstance(result, pl.LazyFrame):
            result.collect()
    return info.value


# --- Columns: missing, wrong type, reserved names ----------------------------------------------


@pytest.mark.parametrize("column", ["year", "origin", "cn_code", "quantity_t"])
def test_missing_required_column(column: str) -> None:
    data = pl.DataFrame({k: [v] for k, v in BASE.items() if k != column})
    exc = input_error(data)
    assert len(exc.problems) == 1
    problem = exc.problems[0]
    assert problem.column == column
    assert "required column is missing" in problem.message
    assert f"column '{column}': required column is missing" in str(exc)


def test_all_missing_columns_are_listed_together() -> None:
    exc = input_error(pl.DataFrame({"year": [2026]}))
    assert [p.column for p in exc.problems] == ["origin", "cn_code", "quantity_t"]
    assert "3 problem(s)" in str(exc)


@pytest.mark.parametrize(
    ("column", "values", "dtype_text"),
    [
        ("quantity_t", [[100.0]], "List(Float64)"),
        ("quantity_t", [True], "Boolean"),
        ("year", [[2026]], "List(Int64)"),
        ("year", [True], "Boolean"),
        ("origin", [[1]], "List(Int64)"),
        ("origin", [1.5], "Float64"),
        ("cn_code", [72071111.0], "Float64"),
        ("cn_code", [{"a": 1}], "Struct"),
    ],
)
def test_required_column_of_unusable_dtype(column: str, values: list[Any], dtype_text: str) -> None:
    data = pl.DataFrame({k: [v] for k, v in BASE.items()}).with_columns(pl.Series(column, values))
    exc = input_error(data)
    assert len(exc.problems) == 1
    assert exc.problems[0].column == column
    assert "cannot hold it" in exc.problems[0].message
    assert f"column '{column}': has dtype {dtype_text}" in str(exc)


@pytest.mark.parametrize("column", ["fee_eur", "sector", "input_error"])
def test_input_column_named_like_an_output_column(column: str) -> None:
    data = pl.DataFrame({**{k: [v] for k, v in BASE.items()}, column: [1.0]})
    exc = input_error(data)
    assert len(exc.problems) == 1
    assert exc.problems[0].column == column
    assert f"column '{column}': is an output column; rename or drop it" in str(exc)


def test_reserved_internal_column_name() -> None:
    data = pl.DataFrame({**{k: [v] for k, v in BASE.items()}, "_c_row": [7]})
    exc = input_error(data)
    assert exc.problems[0].column == "_c_row"
    assert "reserved" in str(exc)


@pytest.mark.parametrize(
    ("column", "value"),
    [("price", 1.0), ("period", "2026Q1"), ("cscf", 0.5), ("markup_2026", 0.0), ("bm_b_1", 0.0)],
)
def test_extra_column_named_like_an_internal_column_is_not_used(column: str, value: Any) -> None:
    """An extra input column is carried through untouched: it is refused or ignored, never read."""
    plain = pl.DataFrame({k: [v] for k, v in BASE.items()})
    data = plain.with_columns(pl.lit(value).alias(column))
    try:
        out = cbam.compute(data, PRICED)
    except cbam.CbamInputError as exc:
        assert column in str(exc)
        return
    assert_frame_equal(out.drop(column), cbam.compute(plain, PRICED))


# --- Row values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad row and the single problem it must raise."""

    name: str
    row: dict[str, Any]
    column: str
    message: str
    shown: str
    marks: tuple[Any, ...] = field(default_factory=tuple)


def _row(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


ROW_CASES = [
    Case("unknown-iso3", _row(origin="XYZ"), "origin", "unknown ISO 3166-1 alpha-3 code", "XYZ"),
    Case("blank-origin", _row(origin="  "), "origin", "missing", "  "),
    Case("cn-letters", _row(cn_code="72a8"), "cn_code", "malformed CN code", "72a8"),
    Case("cn-odd-length", _row(cn_code="720"), "cn_code", "malformed CN code", "720"),
    Case("cn-nine-digits", _row(cn_code="123456789"), "cn_code", "malformed CN code", "123456789"),
    Case("cn-empty", _row(cn_code=""), "cn_code", "missing", ""),
    Case("cn-chapter-77", _row(cn_code="7701 00"), "cn_code", "malformed CN code", "7701 00"),
    Case("cn-chapter-00", _row(cn_code="00"), "cn_code", "malformed CN code", "00"),
    Case("cn-chapter-98", _row(cn_code="9801"), "cn_code", "malformed CN code", "9801"),
    Case(
        "cn-spans-sectors", _row(cn_code="28"), "cn_code", "code spans several CBAM sectors", "28"
    ),
    Case("quantity-null", _row(quantity_t=None), "quantity_t", "missing or not a number", "null"),
    Case("quantity-negative", _row(quantity_t=-1.0), "quantity_t", "negative", "-1.0"),
    Case("quantity-nan", _row(quantity_t=math.nan), "quantity_t", "not a finite number", "NaN"),
    Case("quantity-inf", _row(quantity_t=math.inf), "quantity_t", "not a finite number", "inf"),
    Case("quantity-text", _row(quantity_t="ten"), "quantity_t", "missing or not a number", "ten"),
    Case("year-no-rules", _row(year=2024), "year", "no rules for this year", "2024"),
    Case("year-fraction", _row(year=2026.5), "year", "missing or not a whole number", "2026.5"),
    Case("year-null", _row(year=None), "year", "missing or not a whole number", "null"),
    Case("year-text", _row(year="next year"), "year", "missing or not a whole number", "next year"),
    Case(
        "quarter-5",
        _row(quarter=5),
        "quarter",
        "must be 1, 2, 3 or 4",
        "5",
    ),
    Case("quarter-0", _row(quarter=0), "quarter", "must be 1, 2, 3 or 4", "0"),
    Case("quarter-fraction", _row(quarter=1.5), "quarter", "not a whole number", "1.5"),
    Case("route-unknown", _row(route="Z"), "route", "unknown production route marker", "Z"),
    Case(
        "route-other-sector",
        _row(route="K"),
        "route",
        "not a production route of this good's sector",
        "K",
    ),
    Case(
        "see-indirect-alone",
        _row(see_indirect=0.1),
        "see_indirect",
        "given without see_direct",
        "0.1",
    ),
    Case(
        "cement-direct-only",
        _row(cn_code="25231000", see_direct=0.8, route="A"),
        "see_indirect",
        "missing: this good counts indirect emissions",
        "25231000",
    ),
    Case(
        "fertiliser-direct-only",
        _row(cn_code="3102 10 90", see_direct=1.2),
        "see_indirect",
        "missing: this good counts indirect emissions",
        "3102 10 90",
    ),
    # Actual values name their route (C: blast furnace, the default value's route).
    Case(
        "see-direct-negative",
        _row(see_direct=-0.5, route="C"),
        "see_direct",
        "negative",
        "-0.5",
    ),
    Case(
        "see-direct-nan",
        _row(see_direct=math.nan, route="C"),
        "see_direct",
        "not a finite number",
        "NaN",
    ),
    Case(
        "clinker-above-one",
        _row(cn_code="25232900", clinker_share=1.5),
        "clinker_share",
        "must be above 0 and at most 1",
        "1.5",
    ),
    Case(
        "clinker-zero",
        _row(cn_code="25232900", clinker_share=0.0),
        "clinker_share",
        "must be above 0 and at most 1",
        "0.0",
    ),
    Case(
        "clinker-on-steel",
        _row(clinker_share=0.5),
        "clinker_share",
        "applies only to the clinker-based cement CN8 headings",
        "72071111",
    ),
    Case(
        "clinker-on-cement-prefix",
        _row(cn_code="2523", clinker_share=0.5),
        "clinker_share",
        "applies only to the clinker-based cement CN8 headings",
        "2523",
    ),
    Case(
        "electricity-no-actuals",
        _row(cn_code="27160000"),
        "see_direct",
        "no default value for this CN code and origin",
        "TUR 27160000",
    ),
    Case(
        "electricity-prefix-no-actuals",
        _row(cn_code="27"),
        "see_direct",
        "no default value for this CN code and origin",
        "TUR 27",
    ),
    Case("value-negative", _row(value_eur=-5.0), "value_eur", "negative", "-5.0"),
    Case("value-text", _row(value_eur="a lot"), "value_eur", "not a number", "a lot"),
    Case("value-inf", _row(value_eur=math.inf), "value_eur", "not a finite number", "inf"),
]


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(c, id=c.name, marks=c.marks) for c in cases]


@pytest.mark.parametrize("case", _params(ROW_CASES))
def test_bad_row_raises_one_problem_naming_column_value_and_row(case: Case) -> None:
    exc = input_error(with_bad_row(case.row))
    assert len(exc.problems) == 1, str(exc)
    problem = exc.problems[0]
    assert problem.column == case.column
    assert case.message in problem.message
    assert problem.count == 1
    assert problem.rows == (BAD_AT,)
    assert problem.values == (case.shown,)
    assert f"column '{case.column}': {case.message}" in str(exc)
    # Messages count rows from 1; InputProblem.rows holds 0-based positions.
    assert f"row {BAD_AT + 1} ({case.shown})" in str(exc)


@pytest.mark.parametrize("case", _params([c for c in ROW_CASES if not c.marks]))
def test_bad_row_raises_from_a_lazyframe_too(case: Case) -> None:
    exc = input_error(with_bad_row(case.row).lazy())
    assert [(p.column, p.rows) for p in exc.problems] == [(case.column, (BAD_AT,))]


@pytest.mark.parametrize("quarter", [5, -1])
def test_quarter_out_of_range_is_reported(quarter: int) -> None:
    exc = input_error(with_bad_row(_row(quarter=quarter)))
    quarter_problems = [p for p in exc.problems if p.column == "quarter"]
    assert len(quarter_problems) == 1
    assert quarter_problems[0].rows == (BAD_AT,)
    assert f"column 'quarter': must be 1, 2, 3 or 4: row {BAD_AT + 1} ({quarter})" in str(exc)


def test_retired_urea_code_resolves_through_its_successors() -> None:
    # rates/eu/cn_successors.csv: Annex I 3102 10 10 is split into 3102 10 12/15/19 in the 2026 CN.
    out = cbam.compute(frame([_row(cn_code="3102 10 10")]), PRICED)
    assert out["intensity_source"][0] == "default:aggregate"
    assert out["sector"][0] == "fertilisers" and out["fee_eur"][0] > 0


@pytest.mark.parametrize(
    "code",
    [
        "730410",  # HS 1992 line pipe: heading 7304 is an Annex I entry, every code of it covered
        "76011000",  # CN until 2025; the 2026 CN has 7601 10 10 and 7601 10 90
        "7299",  # no such heading, in chapter 72 (Annex I, less 7202 and 7204)
        "721000",
    ],
)
def test_a_code_under_a_wholly_covered_annex_i_entry_but_not_in_the_cn_is_refused(
    code: str,
) -> None:
    # Such codes were 'not a CBAM good' and paid nothing (a BACI HS92 panel's steel tubes).
    exc = input_error(with_bad_row(_row(cn_code=code)))
    assert [(p.column, p.rows) for p in exc.problems] == [("cn_code", (BAD_AT,))]
    assert "not a current CN code, though under a wholly covered Annex I entry" in str(exc)


@pytest.mark.parametrize(
    "code",
    ["25070020", "720221", "310560", "31056000", "72042100", "3901", "7615"],
)
def test_codes_annex_i_leaves_out_are_no_cbam_goods(code: str) -> None:
    # Kaolin (2507 00 20), ferro-silicon (7202 21), 3105 60 00 and scrap (7204) are Annex I's
    # exceptions or lie outside its listed CN8; polyethylene and 7615 are under no entry.
    out = cbam.compute(frame([_row(cn_code=code)]), PRICED)
    assert out.select("exemption_reason", "fee_eur").row(0) == ("not a CBAM good", 0.0)


def test_urea_with_actual_values_computes() -> None:
    out = cbam.compute(
        frame([_row(cn_code="3102 10 10", see_direct=1.0, see_indirect=0.1)]), PRICED
    )
    assert out["intensity_source"][0] == "actual"
    assert out["fee_eur"][0] > 0


def test_quantity_minus_infinity_is_not_finite_and_negative() -> None:
    exc = input_error(with_bad_row(_row(quantity_t=-math.inf)))
    assert [(p.column, p.message) for p in exc.problems] == [
        ("quantity_t", "not a finite number"),
        ("quantity_t", "negative"),
    ]


def test_error_names_the_first_offending_rows_and_counts_the_rest() -> None:
    bad_rows = [1, 3, 4, 6, 8, 9, 11]
    rows = [_row(origin="XYZ") if i in bad_rows else _row() for i in range(12)]
    exc = input_error(frame(rows))
    assert len(exc.problems) == 1
    problem = exc.problems[0]
    assert problem.count == len(bad_rows)
    assert problem.rows == tuple(bad_rows[:5])
    assert problem.values == ("XYZ",) * 5
    # 0-based positions 1, 3, 4, 6, 8 are rows 2, 4, 5, 7, 9 of a 1-based message.
    assert "row 2 (XYZ), row 4 (XYZ), row 5 (XYZ), row 7 (XYZ), row 9 (XYZ) and 2 more" in str(exc)


def test_problems_count_distinct_kinds_of_fault() -> None:
    rows = [
        _row(),
        _row(origin="XYZ"),
        _row(quantity_t=-3.0),
        _row(origin="QQQ"),
        _row(cn_code="72a8"),
        _row(quantity_t=-4.0),
        _row(cn_code="720"),
    ]
    exc = input_error(frame(rows))
    assert len(exc.problems) == 3
    by_column = {p.column: p for p in exc.problems}
    assert by_column["origin"].count == 2
    assert by_column["origin"].rows == (1, 3)
    assert by_column["origin"].values == ("XYZ", "QQQ")
    assert by_column["quantity_t"].rows == (2, 5)
    assert by_column["cn_code"].rows == (4, 6)
    assert "3 problem(s)" in str(exc)


def test_one_row_with_several_faults_reports_each() -> None:
    exc = input_error(frame([_row(origin="XYZ", cn_code="72a8", quantity_t=-1.0)]))
    assert sorted(p.column for p in exc.problems) == ["cn_code", "origin", "quantity_t"]
    assert all(p.rows == (0,) for p in exc.problems)


def test_invalid_on_error_value() -> None:
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'flag', not 'ignore'"):
        cbam.compute(frame([_row()]), EU, on_error="ignore")  # type: ignore[call-overload]


def test_unknown_scenario_name_in_compute() -> None:
    with pytest.raises(cbam.ScenarioError, match="unknown scenario 'no-such-scenario'"):
        cbam.compute(frame([_row()]), "no-such-scenario")


# --- Accepted variants: the positive counterparts -----------------------------------------------


def test_lowercase_and_padded_iso3_compute_like_uppercase() -> None:
    rows = [_row(origin="TUR"), _row(origin="tur"), _row(origin=" Tur "), _row(origin="deu")]
    out = cbam.compute(frame(rows), PRICED)
    results = out.drop("origin")
    assert_frame_equal(results[1:3], pl.concat([results[:1]] * 2))
    assert out["fee_eur"][0] > 0
    assert out["exempt"][3]
    assert out["fee_eur"][3] == 0


def test_spaced_cn_code_computes_like_plain() -> None:
    out = cbam.compute(frame([_row(cn_code="72071111"), _row(cn_code=" 7207 11 11 ")]), PRICED)
    assert_frame_equal(out.drop("cn_code")[:1], out.drop("cn_code")[1:])


def test_year_without_rules_passes_with_a_rules_year() -> None:
    data = frame([_row(year=2024)])
    input_error(data, PRICED)
    fixed = cbam.load_scenario(
        "eu-cbam", overrides={"certificate_price_eur": 80, "rules_year": 2026}
    )
    out = cbam.compute(data, fixed)
    assert out["rules_year"].to_list() == [2026]
    reference = cbam.compute(frame([_row(year=2026)]), PRICED)
    assert out["fee_eur"][0] == pytest.approx(reference["fee_eur"][0])


def test_electricity_with_actual_values_computes() -> None:
    out = cbam.compute(frame([_row(cn_code="2716 00 00", see_direct=0.4)]), PRICED)
    assert out["sector"][0] == "electricity"
    assert out["intensity_source"][0] == "actual"
    assert out["fee_eur"][0] == pytest.approx(100.0 * 0.4 * 80)


@pytest.mark.parametrize("mode", ["raise", "flag"])
def test_empty_panel_gives_empty_result(mode: str) -> None:
    data = frame([_row()]).clear()
    out = cbam.compute(data, EU, on_error=mode)  # type: ignore[call-overload]
    assert out.height == 0
    assert out.columns == [*data.columns, *cbam.OUTPUT_COLUMNS]


def test_categorical_origin_is_accepted() -> None:
    data = frame([_row()]).with_columns(pl.col("origin").cast(pl.Categorical))
    assert cbam.compute(data, PRICED)["fee_eur"][0] == pytest.approx(9688.8)


def test_enum_origin_is_accepted_like_categorical() -> None:
    data = frame([_row()]).with_columns(pl.col("origin").cast(pl.Enum(["CHN", "TUR"])))
    assert cbam.compute(data, PRICED)["fee_eur"][0] == pytest.approx(9688.8)


def test_numbers_given_as_text_are_read() -> None:
    data = frame([_row(year="2026", quantity_t=" 100 ")])
    out = cbam.compute(data, PRICED)
    reference = cbam.compute(frame([_row()]), PRICED)
    assert out["fee_eur"][0] == pytest.approx(reference["fee_eur"][0])


# --- Lenient mode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    _params(
        [c for c in ROW_CASES if not c.marks]
        + [Case("quarter-5", _row(quarter=5), "quarter", "must be 1, 2, 3 or 4", "5")]
    ),
)
def test_flag_mode_keeps_rows_and_flags_only_the_bad_one(case: Case) -> None:
    data = with_bad_row(case.row)
    out = cbam.compute(data, EU, on_error="flag")
    assert out.height == data.height
    assert_frame_equal(out.select(data.columns), data)
    errors = out["input_error"].to_list()
    assert errors[BAD_AT] is not None
    assert f"{case.column}: {case.message}" in errors[BAD_AT]
    assert errors[:BAD_AT] + errors[BAD_AT + 1 :] == [None] * (data.height - 1)
    bad = out.row(BAD_AT, named=True)
    assert all(bad[c] is None for c in cbam.OUTPUT_COLUMNS if c != "input_error")
    good = data.with_row_index("_i").filter(pl.col("_i") != BAD_AT).drop("_i")
    strict = cbam.compute(good, EU)
    flagged_good = out.with_row_index("_i").filter(pl.col("_i") != BAD_AT).drop("_i")
    assert_frame_equal(flagged_good, strict, check_exact=True)
    assert not out["fee_eur"].is_nan().any()


def test_flag_mode_on_a_lazyframe_matches_the_dataframe() -> None:
    data = with_bad_row(_row(origin="XYZ", quantity_t=math.nan))
    lazy = cbam.compute(data.lazy(), EU, on_error="flag")
    assert isinstance(lazy, pl.LazyFrame)
    eager = cbam.compute(data, EU, on_error="flag")
    assert_frame_equal(lazy.collect(), eager)
    assert eager["input_error"][BAD_AT] == (
        "quantity_t: not a finite number; origin: unknown ISO 3166-1 alpha-3 code"
    )


def test_flag_mode_with_every_row_bad() -> None:
    data = frame([_row(quantity_t=-1.0), _row(quantity_t=math.nan), _row(origin="XYZ")])
    out = cbam.compute(data, EU, on_error="flag")
    assert out["input_error"].null_count() == 0
    assert out["fee_eur"].null_count() == 3
    summary = cbam.summarise(out, by=[])
    assert summary["flagged_rows"][0] == 3
    assert summary["rows"][0] == 3


def test_flag_mode_summary_counts_flagged_rows() -> None:
    out = cbam.compute(with_bad_row(_row(origin="XYZ")), PRICED, on_error="flag")
    summary = cbam.summarise(out, by=[])
    assert summary["flagged_rows"][0] == 1
    assert summary["fee_eur"][0] == pytest.approx(out["fee_eur"].sum())
    assert not math.isnan(summary["fee_eur"][0])


# --- Scenarios ----------------------------------------------------------------------------------


def _scenario_file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_unknown_scenario_name_lists_the_bundled_ones() -> None:
    with pytest.raises(cbam.ScenarioError) as info:
        cbam.load_scenario("eu-cbam-2099")
    assert "unknown scenario 'eu-cbam-2099'" in str(info.value)
    assert "eu-cbam" in str(info.value).split("bundled:")[1]


def test_missing_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(cbam.ScenarioError, match="cannot read file") as info:
        cbam.load_scenario(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("name: [x\n", ["malformed YAML", "line 2"]),
        ("name: x\n  bad indent: 1\n", ["malformed YAML", "line 2"]),
        ("- name: x\n- name: y\n", ["expected a YAML mapping at the top level, found list"]),
        ("just text\n", ["expected a YAML mapping at the top level, found str"]),
        ("", ["expected a YAML mapping at the top level, found NoneType"]),
        ("name: x\nfoo: 1\n", ["invalid scenario", "foo", "Extra inputs are not permitted"]),
        ("name: x\nname: y\n", ["duplicate key 'name'", "line 2"]),
        (
            "name: x\ncertificate_price_eur: -5\n",
            ["invalid scenario", "certificate_price_eur", "greater than or equal to 0"],
        ),
        (
            "name: x\ncertificate_price_eur: {2026: 80, 2030: -1}\n",
            ["invalid scenario", "certificate_price_eur", "2030", "greater than or equal to 0"],
        ),
        ("name: x\ncertificate_price_eur: .nan\n", ["invalid scenario", "certificate_price_eur"]),
        ("name: x\nrules_year: 2020\n", ["invalid scenario", "rules_year"]),
        ("name: x\nregime: us-cbam\n", ["invalid scenario", "regime"]),
        (
            "name: x\nclinker_share: {'2523': 0.5}\n",
            ["clinker_share applies to the clinker-based cement headings", "'2523'"],
        ),
        (
            "name: x\nclinker_share: {'72071111': 0.5}\n",
            ["clinker_share applies to the clinker-based cement headings", "'72071111'"],
        ),
        (
            "name: x\ncertificate_price_eur: {2026: {1: 80}}\n",
            ["year 2026 is given by quarter: give all four quarters"],
        ),
        ("name: x\nclinker_share: {'25232900': 1.5}\n", ["invalid scenario", "clinker_share"]),
        ("name: x\ncbam_factor: {2026: 2}\n", ["invalid scenario", "cbam_factor"]),
        ("description: no name\n", ["invalid scenario", "name", "Field required"]),
        ("extends: eu-cbam\nname: x\noverrides: [1, 2]\n", ["'overrides' must be a mapping"]),
        ("extends: no-such-parent\nname: x\n", ["unknown scenario 'no-such-parent'"]),
    ],
    ids=[
        "unclosed-flow",
        "bad-indent",
        "list",
        "scalar",
        "empty",
        "unknown-key",
        "duplicate-key",
        "negative-price",
        "negative-year-price",
        "nan-price",
        "rules-year-2020",
        "unknown-regime",
        "clinker-key-cn4",
        "clinker-key-steel",
        "incomplete-quarters",
        "clinker-above-one",
        "cbam-factor-above-one",
        "no-name",
        "overrides-list",
        "unknown-parent",
    ],
)
def test_invalid_scenario_file(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = _scenario_file(tmp_path, "bad.yaml", text)
    with pytest.raises(cbam.ScenarioError) as info:
        cbam.load_scenario(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    if "unknown scenario" not in message:
        assert str(path) in message


def test_negative_price_in_overrides() -> None:
    with pytest.raises(cbam.ScenarioError, match="certificate_price_eur"):
        cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": -1})


def test_extends_cycle(tmp_path: Path) -> None:
    _scenario_file(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    _scenario_file(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    with pytest.raises(cbam.ScenarioError, match="scenario extends itself") as info:
        cbam.load_scenario(tmp_path / "a.yaml")
    assert "a.yaml -> " in str(info.value)
    assert "b.yaml -> " in str(info.value)


def test_extends_itself(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, "self.yaml", "extends: self.yaml\nname: s\n")
    with pytest.raises(cbam.ScenarioError, match="scenario extends itself"):
        cbam.load_scenario(path)


def test_yaml_python_tag_is_refused_not_executed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = _scenario_file(
        tmp_path, "evil.yaml", 'name: !!python/object/apply:os.system ["echo hi"]\n'
    )
    with pytest.raises(cbam.ScenarioError) as info:
        cbam.load_scenario(path)
    assert "python/object/apply:os.system" in str(info.value)
    assert str(path) in str(info.value)
    assert "hi" not in capfd.readouterr().out


def test_yaml_python_tag_has_no_side_effect(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _scenario_file(
        tmp_path,
        "evil.yaml",
        f'name: x\ndescription: !!python/object/apply:os.system ["touch {marker}"]\n',
    )
    with pytest.raises(cbam.ScenarioError, match="could not determine a constructor"):
        cbam.load_scenario(path)
    assert not marker.exists()


def test_scenario_not_utf8(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, "latin1.yaml", "name: café\n".encode("latin-1"))
    with pytest.raises(cbam.ScenarioError, match="cannot read file") as info:
        cbam.load_scenario(path)
    assert "utf-8" in str(info.value)
    assert str(path) in str(info.value)


def test_scenario_errors_are_value_errors() -> None:
    assert issubclass(cbam.ScenarioError, ValueError)
    assert issubclass(cbam.CbamInputError, ValueError)


@pytest.mark.parametrize(
    ("origin", "shown"),
    [
        ("\u0422UR", "\u0422UR"),  # Cyrillic capital Te, looks like T
        ("TUR\u200b", "TUR\u200b"),  # zero-width space
        ("\uff34\uff35\uff32", "\uff34\uff35\uff32"),  # fullwidth letters
    ],
    ids=["cyrillic-lookalike", "zero-width-space", "fullwidth"],
)
def test_unicode_tricks_in_origin_are_unknown_codes(origin: str, shown: str) -> None:
    rows = pl.DataFrame(
        {"year": [2026], "origin": [origin], "cn_code": ["72071111"], "quantity_t": [1.0]}
    )
    with pytest.raises(cbam.CbamInputError) as exc:
        cbam.compute(rows, PRICED)
    problem = exc.value.problems[0]
    assert (problem.column, problem.message) == ("origin", "unknown ISO 3166-1 alpha-3 code")
    assert problem.values == (shown,)


def test_yaml_anchors_and_merge_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "extends: eu-cbam\nname: anchors\n"
        "base: &ldc {group: ldc, grace_years: 2}\n"
        "exemptions:\n  - *ldc\n  - {<<: *ldc, group: sids}\n",
        encoding="utf-8",
    )
    # 'base' is not a scenario key: the anchor's carrier is refused by name, not ignored.
    with pytest.raises(cbam.ScenarioError, match="base"):
        cbam.load_scenario(path)
    path.write_text(
        "extends: eu-cbam\nname: anchors\n"
        "exemptions:\n  - &ldc {group: ldc, grace_years: 2}\n  - {<<: *ldc, group: sids}\n",
        encoding="utf-8",
    )
    scenario = cbam.load_scenario(path)
    assert [(e.group, e.grace_years) for e in scenario.exemptions] == [("ldc", 2), ("sids", 2)]


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("name: bomb\n" + "\n".join(levels) + "\ndescription: *a8\n", "utf-8")
    with pytest.raises(
        cbam.ScenarioError, match=r"its aliases \(\*name\) expand to 2,345,679,012 values"
    ):
        cbam.load_scenario(path)


def test_yaml_complex_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "complex.yaml"
    path.write_text("? [a, b]\n: 1\nname: x\n", "utf-8")
    with pytest.raises(cbam.ScenarioError, match="a key must be a plain value, not list"):
        cbam.load_scenario(path)
