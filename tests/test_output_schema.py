"""The output contract: every regime returns ``cbam.OUTPUT_SCHEMA``'s columns and types."""

from __future__ import annotations

import polars as pl
import pytest

import cbam
from cbam._schema import conform

SCENARIOS = sorted(cbam.list_scenarios())
CONTRACT = {name: dtype for name, (dtype, _) in cbam.OUTPUT_SCHEMA.items()}
# Rows whose only rule inputs are their keys, rows with per-row inputs and an importer
# (thresholds per importer), both gathering lookups per key, and the per-row rows with
# categorical origins, which join them row by row.
KEYS_ONLY = pl.DataFrame(
    {
        "year": [2026, 2027, 2030, 2027],
        "origin": ["TUR", "CHN", "FRA", "USA"],
        "cn_code": ["7207 11 11", "7601", "2523 29 00", "0101"],
        "quantity_t": [100.0, 20.0, 5.0, 1.0],
        "value_eur": [50_000.0, 60_000.0, 900.0, 10.0],
    }
)
PER_ROW = KEYS_ONLY.with_columns(
    pl.Series("importer", ["a", "b", "a", None]),
    pl.Series("route", ["C", "K", "", ""]),
    pl.Series("see_direct", [None, 8.0, None, None]),
    pl.Series("see_indirect", [None, 1.5, None, None]),
)
JOINED = PER_ROW.with_columns(pl.col("origin").cast(pl.Categorical))


def test_output_columns_are_the_contract_s_names_with_their_lines() -> None:
    assert list(cbam.OUTPUT_COLUMNS) == list(cbam.OUTPUT_SCHEMA)
    assert all(doc and "\n" not in doc for _, doc in cbam.OUTPUT_SCHEMA.values())
    assert cbam.OUTPUT_COLUMNS["fee_eur"] == cbam.OUTPUT_SCHEMA["fee_eur"][1]


def test_categorical_columns_have_a_fixed_list_or_are_labels_from_data() -> None:
    enums = {c for c, d in CONTRACT.items() if isinstance(d, pl.Enum)}
    assert enums == {
        "sector",
        "intensity_source",
        "clinker_share_source",
        "benchmark_column",
        "benchmark_route",
        "benchmark_route_source",
        "de_minimis",
    }
    assert CONTRACT["benchmark_route"].categories.to_list()[:2] == ["", "A"]  # type: ignore[attr-defined]
    labels = {c for c, d in CONTRACT.items() if d == pl.Categorical}
    assert labels == {
        "default_value_heading",
        "benchmark_period",
        "carbon_price_source",
        "certificate_price_period",
        "exemption_reason",
    }


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize(
    "rows", [KEYS_ONLY, PER_ROW, JOINED], ids=["keys-only", "per-row", "joined"]
)
def test_every_bundled_scenario_returns_exactly_the_output_schema(
    name: str, rows: pl.DataFrame
) -> None:
    scenario = cbam.load_scenario(name, overrides={"rules_year": 2027})
    expected = {**rows.schema, **CONTRACT}
    assert dict(cbam.compute(rows, scenario).schema) == expected
    assert dict(cbam.compute(rows, scenario, on_error="flag").schema) == expected
    assert dict(cbam.compute(rows.lazy(), scenario).collect_schema()) == expected


def test_conform_casts_labels_to_the_contract_and_refuses_unknown_ones() -> None:
    frame = pl.DataFrame(
        {"origin": ["TUR"], "sector": ["cement"], "exemption_reason": ["not a CBAM good"]}
    )
    out = conform(frame)
    assert out.schema["origin"] == pl.String  # not an output column: untouched
    assert out.schema["sector"] == CONTRACT["sector"]
    assert out.schema["exemption_reason"] == pl.Categorical
    assert out.row(0) == ("TUR", "cement", "not a CBAM good")
    with pytest.raises(pl.exceptions.InvalidOperationError):
        conform(pl.DataFrame({"sector": ["textiles"]}))


def test_compare_joins_regimes_on_labels_of_one_type() -> None:
    # An EU and a design scenario grouped by a label column: the groups join as they are.
    rows = PER_ROW.with_columns(pl.lit(2027).alias("year"))
    table = cbam.compare(rows, ["eu-cbam", "uk-cbam"], by=("exemption_reason", "sector"))
    assert table.schema["exemption_reason"] == pl.Categorical
    assert table.schema["sector"] == CONTRACT["sector"]
    groups = dict(zip(table["exemption_reason"], table["fee_eur:uk-cbam"], strict=True))
    assert groups["not a CBAM good"] == 0.0
