"""``cbam.totals`` equals ``summarise(compute(...))`` to the cent, on every bundled regime.

Panels repeat some of their keys (the same origin, code, year and other rule inputs with
other quantities and values), so the per-key sums are exercised, with importers (thresholds),
quarters, customs values, routes and actual values. A panel ``compute`` refuses is refused
by ``totals`` with the same error; in lenient mode both count the same flagged rows.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbam
from tests.properties.strategies import actual_value_panels, import_panels, quantities

REGIMES = ["eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025"]
BY: list[list[str]] = [["origin", "sector"], ["origin", "sector", "year"], [], ["exempt"]]
COUNTS = ("rows", "exempt_rows", "flagged_rows", "outside_rows")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def first_year(name: str) -> int:
    return cbam.resolve(cbam.load_scenario(name)).design.first_rules_year


@st.composite
def repeated(draw: st.DrawFn, panels: st.SearchStrategy[pl.DataFrame]) -> pl.DataFrame:
    """A panel and copies of some of its rows with other amounts: keys shared by rows."""
    panel = draw(panels)
    picks = draw(st.lists(st.integers(0, panel.height - 1), max_size=3 * panel.height))
    if not picks:
        return panel
    copies = panel[picks].with_columns(
        pl.Series("quantity_t", [draw(quantities()) for _ in picks], pl.Float64)
    )
    if "value_eur" in panel.columns:
        values = [draw(st.none() | st.floats(0.0, 1e9)) for _ in picks]
        if panel["value_eur"].null_count() == 0:  # an ad valorem panel needs every value
            values = [1.0 if v is None else v for v in values]
        copies = copies.with_columns(pl.Series("value_eur", values, pl.Float64))
    return pl.concat([panel, copies])


def assert_same_totals(got: pl.DataFrame, expected: pl.DataFrame, by: list[str]) -> None:
    """Same columns, types and groups; counts equal, amounts equal to the cent."""
    assert got.schema == expected.schema
    assert got.height == expected.height
    if by:
        joined = got.join(expected, on=by, how="full", suffix="_ref", nulls_equal=True)
    else:
        joined = pl.concat([got, expected.rename(lambda c: f"{c}_ref")], how="horizontal")
    assert joined.height == got.height
    for column, dtype in got.schema.items():
        if column in by or not dtype.is_numeric():
            continue
        a, b = joined[column], joined[f"{column}_ref"]
        assert (a.is_null() == b.is_null()).all(), column
        if column in COUNTS:
            assert (a == b).all(), column
            continue
        tolerance = 0.005 if column.endswith("_eur") else 1e-6
        # Equal values pass as they are: an overflowing ratio (ave over a customs value of
        # 1e-307) is inf on both sides, and inf - inf is NaN.
        gap = (a - b).abs() - tolerance - 1e-9 * b.abs()
        gap = gap.zip_with(a != b, pl.zeros(len(a), eager=True))
        assert (gap.fill_null(0.0) <= 0).all(), (column, joined.select(by, a.name, b.name))


def check(panel: pl.DataFrame, name: str, by: list[str], on_error: Any = "raise") -> None:
    scenario = cbam.load_scenario(name)
    try:
        expected = cbam.summarise(cbam.compute(panel, scenario, on_error=on_error), by=by)
    except cbam.CbamInputError as exc:
        with pytest.raises(cbam.CbamInputError) as got:
            cbam.totals(panel, scenario, by=by, on_error=on_error)
        assert str(got.value) == str(exc)
        return
    assert_same_totals(cbam.totals(panel, scenario, by=by, on_error=on_error), expected, by)


@pytest.mark.parametrize("name", REGIMES)
@SETTINGS
@given(data=st.data())
def test_totals_equal_summarise_of_compute(name: str, data: st.DataObject) -> None:
    panel = data.draw(
        repeated(import_panels(max_rows=12, first_year=first_year(name), with_values=True))
    )
    check(panel, name, data.draw(st.sampled_from(BY)))


@pytest.mark.parametrize("name", REGIMES)
@SETTINGS
@given(data=st.data())
def test_panels_with_importers_quarters_and_missing_values(name: str, data: st.DataObject) -> None:
    panel = data.draw(repeated(import_panels(max_rows=12, first_year=first_year(name))))
    check(
        panel, name, data.draw(st.sampled_from(BY)), data.draw(st.sampled_from(["raise", "flag"]))
    )


@pytest.mark.parametrize("name", ["eu-cbam", "us-cca-2025"])
@SETTINGS
@given(data=st.data())
def test_panels_with_routes_and_actual_values(name: str, data: st.DataObject) -> None:
    panel = data.draw(repeated(actual_value_panels(max_rows=12)))
    if name != "eu-cbam":
        panel = panel.with_columns(pl.col("year").clip(lower_bound=first_year(name)))
    check(
        panel, name, data.draw(st.sampled_from(BY)), data.draw(st.sampled_from(["raise", "flag"]))
    )


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam", "us-cca-2025"])
@SETTINGS
@given(data=st.data())
def test_panels_with_importers_routes_and_actual_values(name: str, data: st.DataObject) -> None:
    # Importers far above and near the thresholds: the large ones merge into one key.
    panel = data.draw(repeated(actual_value_panels(max_rows=12)))
    panel = panel.with_columns(
        pl.Series(
            "importer",
            data.draw(
                st.lists(
                    st.sampled_from(["a", "b", "c"]), min_size=panel.height, max_size=panel.height
                )
            ),
        ),
        pl.Series(
            "value_eur",
            data.draw(st.lists(st.floats(0.0, 1e9), min_size=panel.height, max_size=panel.height)),
            pl.Float64,
        ),
    )
    if name != "eu-cbam":
        panel = panel.with_columns(pl.col("year").clip(lower_bound=first_year(name)))
    check(
        panel, name, data.draw(st.sampled_from(BY)), data.draw(st.sampled_from(["raise", "flag"]))
    )
