"""cbam.totals: the same totals as summarise(compute(...)), summed per rule key first.

Expected values are ``summarise(compute(rows))`` of the same rows (the detailed path, itself
tested against the regulations' worked values in tests/test_eu_golden.py and
tests/test_regimes.py), except where a figure is worked out here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cbam
from cbam._summary import order_free_sum
from cbam._totals import (
    _add_sums,
    _alike,
    _binned,
    _index_of,
    _keys,
    _parts,
    _whole_sum,
    quarterly_years,
)
from tests.properties.test_totals_properties import assert_same_totals

EU = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
STEEL = "72071111"  # TUR default 2.541 t/t in 2026 (tests/test_eu_golden.py)


def panel(n: int = 4_000, first_year: int = 2026) -> pl.DataFrame:
    """Rows sharing keys: 6 origins x 5 codes x 3 years x quarters, importers, values."""
    i = pl.int_range(n)
    origins = ["TUR", "CHN", "IND", "UKR", "BGD", "NOR"]
    codes = [STEEL, "76011090", "25232900", "31021012", "7208"]
    return pl.select(
        year=(first_year + i % 3).cast(pl.Int32),
        origin=pl.lit(pl.Series(origins)).gather(i.hash(1) % len(origins)),
        cn_code=pl.lit(pl.Series(codes)).gather(i.hash(2) % len(codes)),
        quantity_t=(i.hash(3) % 10_000).cast(pl.Float64) / 1_000,
        value_eur=pl.when(i.hash(6) % 400 == 5)
        .then(None)
        .otherwise((i.hash(4) % 100_000).cast(pl.Float64)),
        quarter=(1 + i.hash(5) % 4).cast(pl.Int8),
        # Half the rows spread over many small importers (exempt), half over four large ones.
        importer=pl.format("imp-{}", pl.when(i % 2 == 0).then(i.hash(6) % 400).otherwise(i % 4)),
    )


def detailed(rows: pl.DataFrame, scenario: object, by: list[str], **kw: object) -> pl.DataFrame:
    return cbam.summarise(cbam.compute(rows, scenario, **kw), by=by)  # type: ignore[arg-type]


def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``cbam.totals``' detailed fallback raise, so that a test sees the keys priced.

    The fallback is ``summarise(compute(rows))``, the very expected value of these tests: a
    case that fell back would compare the detailed path with itself.
    """
    import cbam._totals as module

    def fallback(*args: object, **kwargs: object) -> pl.LazyFrame:
        raise AssertionError("totals fell back to summarise(compute(rows))")

    monkeypatch.setattr(module, "summarise", fallback)


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025"])
@pytest.mark.parametrize(
    "by",
    [
        ["origin", "sector"],
        ["origin", "sector", "year"],
        [],
        # Quarters priced alike were merged and labelled 'YYYY mean of quarters', which compute
        # gives no quarter row (us-cca-2025: 13 groups of summarise were 4).
        ["certificate_price_period", "origin"],
    ],
)
def test_equal_to_summarise_of_compute_on_every_regime(
    name: str, by: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = cbam.load_scenario(name)
    design = cbam.resolve(scenario).design
    rows = panel(first_year=design.first_rules_year)
    if name == "us-fpf-2025":  # an ad valorem charge needs every customs value
        rows = rows.with_columns(pl.col("value_eur").fill_null(10.0))
    with monkeypatch.context() as patch:
        no_fallback(patch)
        got = cbam.totals(rows, scenario, by=by)
    expected = detailed(rows, scenario, by)
    assert_same_totals(got, expected, by)
    # Thresholds decided on the key sums: some importers exempt, others liable, as row by row.
    fees = cbam.compute(rows, scenario)
    if name in ("eu-cbam", "uk-cbam"):
        statuses = {s.split(" ")[0] for s in fees["de_minimis"].drop_nulls().cast(pl.String)}
        assert statuses >= {"exempt", "liable"}
    assert got["rows"].sum() == rows.height


def test_a_lazyframe_and_parquet_give_the_same_totals(tmp_path: object) -> None:
    rows = panel()
    path = f"{tmp_path}/rows.parquet"
    rows.write_parquet(path)
    expected = detailed(rows, EU, ["origin", "sector"])
    assert_same_totals(cbam.totals(rows.lazy(), EU), expected, ["origin", "sector"])
    assert_same_totals(cbam.totals(pl.scan_parquet(path), EU), expected, ["origin", "sector"])
    for engine in ("in-memory", "streaming"):
        got = cbam.totals(rows, EU, engine=engine)  # type: ignore[arg-type]
        assert_same_totals(got, expected, ["origin", "sector"])


def test_pandas_in_pandas_out() -> None:
    rows = panel(200)
    got = cbam.totals(rows.to_pandas(), EU, by=["origin"])
    assert isinstance(got, pd.DataFrame)
    expected = detailed(rows, EU, ["origin"])
    assert_same_totals(pl.from_pandas(got), expected.with_columns(), ["origin"])


def test_worked_total_of_one_key() -> None:
    # 100 t + 50 t of TUR 7207 11 11 in 2026 at EUR 80: 150 x (2.541 - 1.3299) x 80 (the
    # summarise doctest: EUR 14,533.20), priced once for the key.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "TUR"],
            "cn_code": [STEEL, STEEL],
            "quantity_t": [100.0, 50.0],
        }
    )
    got = cbam.totals(rows, EU, by=["origin"])
    assert got["fee_eur"].round(2).to_list() == [14533.2]
    assert got["rows"].to_list() == [2]


def same_error(rows: pl.DataFrame) -> str:
    """The error ``totals`` raises, asserted to be exactly the one ``compute`` raises."""
    with pytest.raises(cbam.CbamInputError) as expected:
        cbam.compute(rows, EU)
    with pytest.raises(cbam.CbamInputError) as got:
        cbam.totals(rows, EU)
    assert str(got.value) == str(expected.value)
    return str(got.value)


def test_a_bad_row_in_a_shared_key_is_named_as_compute_names_it() -> None:
    # -5 t and 10 t of one key sum to 5 t: the negative row must still be refused, by row.
    rows = panel(300).with_columns(
        pl.when(pl.int_range(pl.len()) == 17)
        .then(-5.0)
        .otherwise(pl.col("quantity_t"))
        .alias("quantity_t")
    )
    message = same_error(rows)
    assert "negative" in message and "quantity_t" in message


@pytest.mark.parametrize(
    "change",
    [
        pl.lit(float("nan")).alias("quantity_t"),
        pl.lit(None, pl.Float64).alias("quantity_t"),
        pl.lit(-1.0).alias("value_eur"),
        pl.lit("XXX").alias("origin"),
        pl.lit(9).cast(pl.Int8).alias("quarter"),
    ],
)
def test_lenient_mode_counts_flagged_rows_as_summarise_does(change: pl.Expr) -> None:
    rows = panel(300)
    bad = pl.int_range(pl.len()).is_in([3, 150])
    column = change.meta.output_name()
    rows = rows.with_columns(pl.when(bad).then(change).otherwise(pl.col(column)).alias(column))
    by = ["origin", "sector"]
    got = cbam.totals(rows, EU, by=by, on_error="flag")
    expected = detailed(rows, EU, by, on_error="flag")
    assert_same_totals(got, expected, by)
    assert got["flagged_rows"].sum() == 2
    with pytest.raises(cbam.CbamInputError) as refused:
        cbam.totals(rows, EU, by=by)
    with pytest.raises(cbam.CbamInputError) as named:
        cbam.compute(rows, EU)
    assert str(refused.value) == str(named.value)


def test_an_importer_at_exactly_the_de_minimis_threshold_stays_exempt() -> None:
    # Five shipments of one key, 50,000,000 g in all: at the 50 t threshold, exempt (not
    # exceeded, Reg. (EU) 2025/2083). As floats they sum to 50.00000000000001 t.
    parts = [1.218, 6.326, 8.124, 2.578, 31.754]
    rows = pl.DataFrame(
        {
            "year": [2026] * 5,
            "origin": ["TUR"] * 5,
            "cn_code": [STEEL] * 5,
            "quantity_t": parts,
            "importer": ["a"] * 5,
        }
    )
    got = cbam.totals(rows, EU, by=["importer"])
    assert got["exempt_rows"].to_list() == [5] and got["fee_eur"].to_list() == [0.0]
    one_gram_more = rows.with_columns(pl.col("quantity_t") + pl.Series([1e-6, 0, 0, 0, 0]))
    liable = cbam.totals(one_gram_more, EU, by=["importer"])
    assert liable["exempt_rows"].to_list() == [0] and liable["fee_eur"].item() > 0


def test_rows_below_a_gram_are_rounded_row_by_row() -> None:
    # 0.4 g counts 0 g row by row, while 3 x 0.4 g = 1.2 g would round to 1 g: such a key is
    # priced row by row, so the importer's total is the one compute shows.
    rows = pl.DataFrame(
        {
            "year": [2026] * 4,
            "origin": ["TUR"] * 4,
            "cn_code": [STEEL] * 4,
            "quantity_t": [4e-7, 4e-7, 4e-7, 50.0],
            "importer": ["a"] * 4,
        }
    )
    got = cbam.totals(rows, EU, by=["importer"])
    assert_same_totals(got, detailed(rows, EU, ["importer"]), ["importer"])
    assert got["exempt_rows"].to_list() == [4]


def test_quarters_matter_only_where_the_price_is_quarterly() -> None:
    # The EU prices 2026 by quarter (rates/eu/certificate_price.yaml) and later years by year.
    assert sorted(quarterly_years(cbam.load_scenario("eu-cbam"), range(2026, 2031))) == [2026]
    # A scenario price per year prices no quarter apart.
    flat = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
    assert sorted(quarterly_years(flat, range(2026, 2031))) == []
    # Totals by quarter keep the quarters apart.
    rows = panel(500)
    by = ["year", "quarter"]
    assert_same_totals(cbam.totals(rows, "eu-cbam", by=by), detailed(rows, "eu-cbam", by), by)


def test_destinations_outside_the_territory_are_counted_apart() -> None:
    rows = panel(400).with_columns(
        destination=pl.when(pl.int_range(pl.len()) % 5 == 0)
        .then(pl.lit("USA"))
        .otherwise(pl.lit("DEU"))
    )
    got = cbam.totals(rows, EU, by=["origin"])
    expected = detailed(rows, EU, ["origin"])
    assert_same_totals(got, expected, ["origin"])
    # Rows to the USA are outside the EU, except those no regime covers in any case.
    assert 0 < got["outside_rows"].sum() == expected["outside_rows"].sum() <= 80


# EU members (as typed, in lower case, padded), the EU as one importer, no destination, and
# countries outside the EU and the UK; XXX is no ISO code.
DESTINATIONS = ["DEU", "FRA", "deu", " fra ", "EUU", "", None, "USA", "CHN", "GBR"]


def with_destinations(rows: pl.DataFrame, names: list[str | None]) -> pl.DataFrame:
    at = pl.int_range(pl.len()).hash(9) % len(names)
    return rows.with_columns(destination=pl.lit(pl.Series(names, dtype=pl.String)).gather(at))


def test_destinations_priced_alike_are_one_key() -> None:
    places = pl.Series([d for d in DESTINATIONS if d is not None])
    first = dict(_alike(places, [2026, 2027], EU).iter_rows())
    # Inside the EU customs territory (Reg. (EU) 2023/956 Art. 2(1)), or no destination given.
    assert {first[d] for d in ["DEU", "FRA", "deu", " fra ", "EUU", ""]} == {""}  # first in order
    assert {first[d] for d in ["USA", "CHN", "GBR"]} == {"CHN"}  # outside it
    first = dict(_alike(places, [2027, 2028], cbam.load_scenario("uk-cbam")).iter_rows())
    assert first["GBR"] == first[""] != first["DEU"] == first["USA"]  # the UK alone is inside


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam"])
@pytest.mark.parametrize("importers", [False, True])  # binned; importers merged or grouped
def test_totals_over_destinations_equal_summarise_of_compute(
    name: str, importers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cbam._totals as module

    if not importers:  # a plain panel with destinations is binned, not grouped

        def no_grouping(*args: object) -> pl.DataFrame:
            raise AssertionError("grouped: the binned path should apply")

        monkeypatch.setattr(module, "_keys", no_grouping)
    scenario = cbam.load_scenario(name)
    first_year = cbam.resolve(scenario).design.first_rules_year
    rows = panel(first_year=first_year) if importers else plain(first_year=first_year)
    rows = with_destinations(rows, DESTINATIONS)
    no_fallback(monkeypatch)
    for by in (["origin", "sector"], [], ["destination"]):
        if by == ["destination"]:  # grouped by destination: every one is a key of its own
            monkeypatch.setattr(module, "_keys", _keys)
        got = cbam.totals(rows, scenario, by=by)
        assert_same_totals(got, detailed(rows, scenario, by), by)
        assert 0 < got["outside_rows"].sum() < rows.height


def test_an_unknown_destination_is_named_as_compute_names_it() -> None:
    rows = with_destinations(plain(400), [*DESTINATIONS, "XXX"])
    with pytest.raises(cbam.CbamInputError) as expected:
        cbam.compute(rows, EU)
    with pytest.raises(cbam.CbamInputError) as got:
        cbam.totals(rows, EU)
    assert str(got.value) == str(expected.value)
    assert "XXX" in str(got.value)
    flagged = cbam.totals(rows, EU, by=["origin"], on_error="flag")
    assert_same_totals(flagged, detailed(rows, EU, ["origin"], on_error="flag"), ["origin"])
    assert flagged["flagged_rows"].sum() == rows["destination"].eq("XXX").sum()


def test_a_sum_that_overflows_is_left_to_the_rows() -> None:
    # Each row is finite, their key sum is not: the rows are priced one by one.
    rows = pl.DataFrame(
        {
            "year": [2026] * 2,
            "origin": ["TUR"] * 2,
            "cn_code": [STEEL] * 2,
            "quantity_t": [1e308, 1e308],
        }
    )
    same_error(rows)


def test_unknown_grouping_and_on_error_are_refused() -> None:
    rows = panel(10)
    with pytest.raises(cbam.ScenarioError, match="unknown columns"):
        cbam.totals(rows, EU, by=["nope"])
    with pytest.raises(ValueError, match="on_error"):
        cbam.totals(rows, EU, on_error="skip")  # type: ignore[call-overload]


# --- Rows binned by a dense key index (panels whose rule keys are origin, code, year, quarter)


def plain(n: int = 4_000, first_year: int = 2026) -> pl.DataFrame:
    """``panel`` without importers: every rule input is the dense key."""
    return panel(n, first_year).drop("importer")


def keys_of(rows: pl.DataFrame | pl.LazyFrame, by: list[str], binned: bool) -> pl.DataFrame:
    """The key sums ``totals`` prices, from the binned or the grouped path, in key order."""
    lazy = rows.lazy()
    schema = lazy.collect_schema()
    if binned:
        frame = _binned(lazy, schema, EU, by, "streaming", isinstance(rows, pl.DataFrame))
        assert frame is not None
    else:
        frame = _keys(lazy, schema, EU, by, "streaming")
    keys = [c for c in frame.columns if c in schema and c not in ("quantity_t", "value_eur")]
    keys += [c for c in frame.columns if c == "_t_valued"]
    return frame.select(sorted(frame.columns)).sort(keys, nulls_last=True)


@pytest.mark.parametrize(
    ("change", "by"),
    [
        (pl.lit(None), ["origin", "sector"]),  # the bench panel's shape, quarters collapsed
        (pl.lit(None), ["cn_code", "quarter"]),  # quarters asked for: none collapse
        (pl.col("year").replace(2027, 2031), ["year"]),  # years far apart: empty slots between
        (pl.col("value_eur").fill_null(0.0), ["origin"]),  # zero customs values apart
        # None, zero and positive customs values: each kind has its own place in the layout.
        ((pl.col("value_eur") - 20_000).clip(lower_bound=0.0), ["origin"]),
        (pl.col("value_eur").fill_null(5.0), ["origin"]),  # positive values only: one place
        (pl.col("value_eur").replace_strict({}, default=None, return_dtype=pl.Float64), []),
        (pl.col("quarter").replace(3, None), ["origin"]),  # rows without a quarter
    ],
)
def test_binned_key_sums_equal_grouped_ones(change: pl.Expr, by: list[str]) -> None:
    rows = plain()
    name = change.meta.output_name(raise_if_undetermined=False)
    if name:
        rows = rows.with_columns(change.alias(name))
    binned, grouped = keys_of(rows, by, binned=True), keys_of(rows, by, binned=False)
    assert binned.schema == grouped.schema
    assert binned.equals(grouped)  # both sum exactly: the same floats, bit for bit


def test_rows_without_a_positive_value_are_keys_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cbam._totals as module

    monkeypatch.setattr(module, "_BATCH_ROWS", 500)
    i = pl.int_range(pl.len())
    rows = plain().with_columns(  # zero and missing customs values among positive ones
        pl.when(i % 7 == 0)
        .then(0.0)
        .when(i % 11 == 0)
        .then(None)
        .otherwise("value_eur")
        .alias("value_eur")
    )
    for frame in (rows, rows.lazy()):  # one batch; several batches on the streaming engine
        binned, grouped = keys_of(frame, ["origin"], True), keys_of(frame, ["origin"], False)
        assert binned.height == grouped.height > rows["origin"].n_unique()
        assert binned.equals(grouped)


@pytest.mark.parametrize("by", [[], ["origin", "sector"], ["origin", "sector", "year"]])
def test_totals_are_the_same_in_any_row_order(by: list[str]) -> None:
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in that order and 0.6 in the reverse one: summed
    # as floats, a key's total depended on the order of its rows, and so could a cent.
    three = pl.DataFrame(
        {
            "year": [2027] * 3,
            "origin": ["TUR"] * 3,
            "cn_code": ["72071111"] * 3,
            "quantity_t": [0.1, 0.2, 0.3],
            "value_eur": [1.0] * 3,
        }
    )
    for rows in (three, plain(), panel()):  # binned; importers: grouped
        ordered = cbam.totals(rows, EU, by=by)
        for seed in (1, 2):
            shuffled = cbam.totals(rows.sample(fraction=1.0, shuffle=True, seed=seed), EU, by=by)
            assert shuffled.equals(ordered)
    assert cbam.totals(three, EU, by=[])["quantity_t"].item() == 0.6  # the exact sum, rounded


def test_plain_panels_are_binned_and_equal_summarise_of_compute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    import cbam._totals as module

    def no_grouping(*args: object) -> pl.DataFrame:
        raise AssertionError("grouped: the binned path should apply")

    monkeypatch.setattr(module, "_keys", no_grouping)
    monkeypatch.setattr(module, "_BATCH_ROWS", 700)  # a Parquet scan in several batches
    rows = plain()
    path = f"{tmp_path}/rows.parquet"
    rows.write_parquet(path)
    for by in (["origin", "sector"], ["origin", "sector", "year"], []):
        expected = detailed(rows, EU, by)
        assert_same_totals(cbam.totals(rows, EU, by=by), expected, by)
        assert_same_totals(cbam.totals(pl.scan_parquet(path), EU, by=by), expected, by)


@pytest.mark.parametrize(
    "change",
    [
        pl.col("origin").replace("TUR", None),  # a key without a value
        pl.col("quantity_t").replace(1.0, -1.0),  # an amount that fails a check
        pl.col("quarter").replace(2, 7),  # a quarter that is none
        pl.col("origin").replace("CHN", "C H N"),  # a key compute refuses
    ],
)
def test_faults_in_a_plain_panel_are_named_as_compute_names_them(change: pl.Expr) -> None:
    rows = plain(400).with_columns(pl.col("quantity_t").round(0))
    rows = rows.with_columns(change.alias(change.meta.output_name()))
    same_error(rows)


def test_a_column_of_many_codes_is_indexed_by_an_enum() -> None:
    # 3,000 distinct values need a hash table over 2^24 slots: the Enum cast serves instead.
    for count in (40, 3_000):
        values = pl.Series([f"{i:08d}" for i in range(count)])
        rows = pl.DataFrame({"c": values.sample(fraction=2.0, with_replacement=True, seed=1)})
        got = rows.select(_index_of("c", values)).to_series()
        assert got.to_list() == rows["c"].cast(pl.Int64).to_list()
        assert rows.select(_index_of("c", values.head(count - 1))).to_series().null_count() > 0


# --- Importers above every threshold merged into one (rich panels) ---------------------------


def rich(n: int = 4_000, first_year: int = 2026) -> pl.DataFrame:
    """``panel`` with routes and actual values on some steel rows."""
    i = pl.int_range(pl.len())
    actual = (i.hash(7) % 5 == 0) & (pl.col("cn_code") == STEEL)
    return panel(n, first_year).with_columns(
        see_direct=pl.when(actual).then(1.0 + (i.hash(8) % 3).cast(pl.Float64) * 0.5),
        see_indirect=pl.when(actual).then(0.1),
        route=pl.when(actual).then(pl.lit(cbam.testing.strategies.routes_of(STEEL)[0])),
    )


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam", "us-cca-2025"])
def test_importers_above_every_threshold_are_merged_and_totals_unchanged(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cbam._totals as module

    def no_grouping(*args: object) -> pl.DataFrame:
        raise AssertionError("grouped by importer: the merged path should apply")

    scenario = cbam.load_scenario(name)
    design = cbam.resolve(scenario).design
    rows = rich(first_year=2026 if design is None else design.first_rules_year)
    merged = module._merged(rows.lazy(), rows.schema, scenario, ["origin", "sector"], "streaming")
    assert merged is not None
    # The large importers share one key per rule key; the small ones keep their own, except
    # where no threshold applies (us-cca-2025): then every importer merges.
    importers = merged.keys["importer"].unique()
    assert merged.label in importers.to_list()
    if design is not None and design.threshold is None:
        assert importers.len() == 1
    else:
        assert 100 < importers.len() < 402
    for by in (["origin", "sector"], ["origin", "sector", "year"], ["exempt"], []):
        with monkeypatch.context() as patch:
            patch.setattr(module, "_keys", no_grouping)
            no_fallback(patch)
            got = cbam.totals(rows, scenario, by=by)
        assert_same_totals(got, detailed(rows, scenario, by), by)


def test_an_importer_at_the_threshold_keeps_its_own_key() -> None:
    # "a" at exactly 50 t (exempt) beside "b" far above: only "b" merges, "a" stays exempt.
    parts = [1.218, 6.326, 8.124, 2.578, 31.754]
    rows = pl.DataFrame(
        {
            "year": [2026] * 6,
            "origin": ["TUR"] * 6,
            "cn_code": [STEEL] * 6,
            "quantity_t": [*parts, 5_000.0],
            "importer": ["a"] * 5 + ["b"],
        }
    )
    import cbam._totals as module

    merged = module._merged(rows.lazy(), rows.schema, EU, ["origin"], "streaming")
    assert merged is not None and sorted(merged.keys["importer"].to_list()) == sorted(
        ["a", merged.label]
    )
    got = cbam.totals(rows, EU, by=["origin"])
    assert got["exempt_rows"].to_list() == [5]
    assert_same_totals(got, detailed(rows, EU, ["origin"]), ["origin"])


def test_a_merge_the_statuses_do_not_prove_is_left_to_the_importers() -> None:
    # Rows imported outside the territory do not count although origin and code predict it:
    # the merged keys fail the proof and the rows are keyed by importer again.
    import cbam._totals as module

    rows = rich(600).with_columns(
        destination=pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("USA")).otherwise(None)
    )
    merged = module._merged(rows.lazy(), rows.schema, EU, ["origin"], "streaming")
    assert merged is not None
    fees = cbam.compute(merged.keys, EU, on_error="flag")
    assert not merged.proven(fees)
    assert_same_totals(
        cbam.totals(rows, EU, by=["origin"]), detailed(rows, EU, ["origin"]), ["origin"]
    )


def test_counted_statuses_are_threshold_statuses() -> None:
    import cbam._totals as module
    from cbam._schema import THRESHOLD_STATUSES

    assert set(module._COUNTED) <= set(THRESHOLD_STATUSES)


def test_a_value_threshold_in_another_currency_rounds_rows_as_compute_does() -> None:
    # uk-cbam's GBP 50,000 threshold (rates/regimes/uk-cbam.yaml) sums each row's customs value
    # rounded to the penny after conversion at the year's rate: seven rows of EUR 8,410.07
    # (EUR 58,870.49 in all, GBP 49,999.99 as one sum) round to more than GBP 50,000, so the
    # importer is liable, as in compute; a key summed before rounding would be exempt.
    uk = cbam.load_scenario("uk-cbam")
    total = 58_870.49
    values = [round(total / 7, 2)] * 6
    rows = pl.DataFrame(
        {
            "year": [2027] * 7,
            "origin": ["TUR"] * 7,
            "cn_code": ["72071111"] * 7,
            "quantity_t": [1.0] * 7,
            "value_eur": [*values, round(total - sum(values), 2)],
            "importer": ["A"] * 7,
        }
    )
    expected = detailed(rows, uk, ["origin"])
    assert expected["fee_eur"][0] > 1_000  # liable: every row charged
    assert_same_totals(cbam.totals(rows, uk, by=["origin"]), expected, ["origin"])


def spelled_loosely(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with origins and codes written as users write them: the rules read them alike."""
    i = pl.int_range(pl.len())
    spaced = pl.col("cn_code").str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1 $2 $3")
    return rows.with_columns(
        origin=pl.when(i % 4 == 1)
        .then(pl.col("origin").str.to_lowercase())
        .when(i % 4 == 2)
        .then(pl.format(" {}", pl.col("origin")))
        .when(i % 4 == 3)
        .then(pl.format("{} ", pl.col("origin").str.to_titlecase()))
        .otherwise(pl.col("origin")),
        cn_code=pl.when(i % 3 == 1).then(spaced).otherwise(pl.col("cn_code")),
    )


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam"])
@pytest.mark.parametrize("make", [panel, plain, rich])  # grouped, binned, merged importers
@pytest.mark.parametrize("by", [["origin"], ["origin", "cn_code"], ["cn_code", "year"]])
def test_keys_spelled_loosely_are_one_group(
    name: str, make: object, by: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 'tur', ' TUR', 'Tur ' and 'TUR' are one origin to the rules, '7208 10 00' and '72081000'
    # one code: the totals are those of the panel written canonically (summarise and totals
    # split them into groups of their own, priced alike).
    scenario = cbam.load_scenario(name)
    clean = make(first_year=cbam.resolve(scenario).design.first_rules_year)  # type: ignore[operator]
    rows = spelled_loosely(clean)
    assert rows["origin"].n_unique() > clean["origin"].n_unique()
    expected = detailed(clean, scenario, by)
    fees = cbam.compute(rows, scenario)
    assert fees.height == rows.height  # one output row per input row, the input as given
    assert fees["origin"].to_list() == rows["origin"].to_list()
    assert_same_totals(cbam.summarise(fees, by=by), expected, by)
    no_fallback(monkeypatch)
    assert_same_totals(cbam.totals(rows, scenario, by=by), expected, by)


def test_every_grouping_reads_keys_as_the_rules_do() -> None:
    # compare, sweep, trade indicators and recycle group compute's rows too: 'bgd ' is BGD.
    clean = plain(400, first_year=2027)  # the UK CBAM starts in 2027
    rows = spelled_loosely(clean)
    by = ["origin"]
    for total in (
        lambda r: cbam.compare(r, ["eu-cbam", "uk-cbam"], by=by),
        lambda r: cbam.sweep(r, EU, by=by, progress_bar=False).totals,
        lambda r: cbam.exposure(cbam.compute(r, EU), by=by),
    ):
        # Equal but for the order of summation (a cent is 1e-2).
        assert_frame_equal(total(rows).sort(by), total(clean).sort(by), rel_tol=1e-12)
    # rates/recycling/return-to-developing-exporters.yaml: what LDC exporters paid goes back to
    # them (Tanzania is an LDC), the rest 75 % EU budget, 25 % Member States.
    fees = pl.DataFrame({"year": 2027, "origin": ["tza", " TZA", "Tur"], "fee_eur": [6.0, 4, 1]})
    flows = cbam.recycle(fees, plan="return-to-developing-exporters").flows
    assert flows.select("recipient", "amount_eur").rows() == [
        ("TZA", 10.0),
        ("EU budget", 0.75),
        ("Member States' budgets", 0.25),
    ]


def test_blank_importers_are_one_group_of_no_importer() -> None:
    # compute reads '', '  ' and null alike as no declarant ("not applied (no importer)"), so a
    # summary by importer has one such group (was two: '' with '  ', and null), and ' x' is x.
    rows = pl.DataFrame(
        {
            "year": [2027] * 5,
            "origin": ["TUR"] * 5,
            "cn_code": [STEEL] * 5,
            "quantity_t": [60.0] * 5,
            "importer": ["", "  ", None, "x", " x"],
        }
    )
    expected = detailed(rows, EU, ["importer"])
    assert sorted(expected["importer"].to_list(), key=str) == [None, "x"]
    assert expected.sort("importer")["rows"].to_list() == [3, 2]
    assert_same_totals(cbam.totals(rows, EU, by=["importer"]), expected, ["importer"])


@pytest.mark.parametrize("column", ["destination", "route"])
def test_blank_destinations_and_routes_are_one_group_of_none(column: str) -> None:
    # compute reads '', '  ' and null alike as no destination (the regime's territory) and no
    # route (the default value's), so a summary by either has one such group (was two: '' with
    # '  ', and null), and ' deu' is DEU.
    values = ["", "  ", None, "DEU", " deu"] if column == "destination" else ["", " ", None]
    rows = pl.DataFrame(
        {
            "year": [2027] * len(values),
            "origin": ["TUR"] * len(values),
            "cn_code": [STEEL] * len(values),
            "quantity_t": [60.0] * len(values),
            column: values,
        }
    )
    expected = detailed(rows, EU, [column])
    groups = [None, "DEU"] if column == "destination" else [None]
    assert set(expected[column].to_list()) == set(groups)
    assert expected.sort(column, nulls_last=False)["rows"].to_list() == [3, 2][: len(groups)]
    assert_same_totals(cbam.totals(rows, EU, by=[column]), expected, [column])


@pytest.mark.parametrize("scenario", ["eu-cbam", "uk-cbam"])
def test_a_padded_importer_is_the_same_importer_in_totals(scenario: str) -> None:
    # 'ACME' (60 t, above 50 t) and ' ACME' are one importer, as compute reads them: totals
    # counted ' ACME' as a small importer of its own and exempted its 20 t (EUR 10,373.87 for
    # 13,831.83).
    rows = pl.DataFrame(
        {
            "year": [2027, 2027],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72081000", "72081000"],
            "quantity_t": [60.0, 20.0],
            "importer": ["ACME", " ACME"],
            "value_eur": [60000.0, 30000.0],
        }
    )
    computed = cbam.compute(rows, scenario)
    assert computed["de_minimis"].to_list() == ["liable (importer above threshold)"] * 2
    expected = cbam.summarise(computed, by=[])["fee_eur"].item()
    assert cbam.totals(rows, scenario, by=[])["fee_eur"].item() == pytest.approx(
        expected, abs=0.005
    )


def test_the_customs_value_of_flagged_rows_stays_out_of_the_ave() -> None:
    # 9,688.80 / 55,000 = 17.616 %: the flagged row's EUR 1 m had made it 0.918 %, and a
    # group of flagged rows alone had an ave of 0 rather than none.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026, 2026],
            "origin": ["TUR", "TUR", "CHN"],
            "cn_code": ["72071111"] * 3,
            "quantity_t": [100.0, -1.0, -5.0],
            "value_eur": [55_000.0, 1e6, 2e5],
        }
    )
    scenario = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
    for result in (
        cbam.summarise(cbam.compute(rows, scenario, on_error="flag"), by=["origin"]),
        cbam.totals(rows, scenario, by=["origin"], on_error="flag"),
    ):
        by_origin = {r["origin"]: r for r in result.iter_rows(named=True)}
        assert by_origin["TUR"]["ave_pct"] == pytest.approx(9688.80 / 55_000 * 100, rel=1e-9)
        assert by_origin["CHN"]["ave"] is None


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("eu-cbam", {"year": [2026], "quantity_t": ["1"], "importer": ["a"]}),
        (
            "uk-cbam",
            {"year": [2027], "quantity_t": [1.0], "value_eur": ["1000"], "importer": ["a"]},
        ),
    ],
)
def test_amounts_given_as_text_with_importers_are_read_as_compute_reads_them(
    name: str, rows: dict[str, list[object]]
) -> None:
    # The rounded threshold sums were built from the raw text: InvalidOperationError.
    frame = pl.DataFrame({"origin": ["TUR"], "cn_code": ["72071111"], **rows})
    assert_frame_equal(cbam.totals(frame, name, by=[]), detailed(frame, name, []))


@pytest.mark.parametrize("by", [["value_eur"], ["fee_local"], ["origin", "value_eur"]])
def test_a_grouping_by_a_per_row_amount_groups_rows_not_keys(by: list[str]) -> None:
    # One key of two rows (10 t and 20 t, EUR 5 each) was one group of value_eur 10.0, and
    # grouped by fee_local one group where the rows make two.
    rows = pl.DataFrame(
        {
            "year": [2026] * 2,
            "origin": ["TUR"] * 2,
            "cn_code": ["72071111"] * 2,
            "quantity_t": [10.0, 20.0],
            "value_eur": [5.0, 5.0],
        }
    )
    assert_frame_equal(cbam.totals(rows, EU, by=by), detailed(rows, EU, by))


@pytest.mark.parametrize("extra", [{"quarter": [1, 2]}, {"destination": ["FRA", "DEU"]}])
def test_a_year_past_32_bits_is_flagged_as_compute_flags_it(extra: dict[str, list[int]]) -> None:
    # The probes' year column is 32-bit: TypeError building it.
    rows = pl.DataFrame(
        {
            "year": [3_000_000_000] * 2,
            "origin": ["CHN"] * 2,
            "cn_code": ["72071111"] * 2,
            "quantity_t": [1.0, 1.0],
            **extra,
        }
    )
    flagged = cbam.totals(rows, EU, by=["origin"], on_error="flag")
    assert_frame_equal(flagged, detailed(rows, EU, ["origin"], on_error="flag"))
    with pytest.raises(cbam.CbamInputError, match="year"):
        cbam.totals(rows, EU, by=["origin"])


def test_padded_text_amounts_are_summed_as_compute_reads_them() -> None:
    # summarise cast ' 100' to null: 100 t where compute charged 300 t.
    rows = pl.DataFrame(
        {
            "year": [2030] * 3,
            "origin": ["CHN"] * 3,
            "cn_code": ["72071111"] * 3,
            "quantity_t": [" 100", "100 ", "100"],
            "value_eur": ["1000", " 1000", ""],
        }
    )
    fees = cbam.compute(rows, EU)
    summary = cbam.summarise(fees, by=[])
    assert summary["quantity_t"].item() == 300.0
    assert summary["fee_eur"].item() == pytest.approx(fees["fee_eur"].sum())
    assert summary.equals(cbam.totals(rows, EU, by=[]))


def test_which_path_prices_a_key_does_not_depend_on_row_order() -> None:
    # Gram sums as floats above 2^53 depend on order: the key went one way or the other, and
    # the fee differed by a float step.
    def rows(quantities: list[float]) -> pl.DataFrame:
        return pl.DataFrame(
            {"year": 2034, "origin": "CHN", "cn_code": "72071111", "quantity_t": quantities}
        ).with_columns(importer=pl.lit("A"))

    one = cbam.totals(rows([3e11] + [1e-6] * 100), EU, by=[])
    other = cbam.totals(rows([1e-6] * 100 + [3e11]), EU, by=[])
    assert one.equals(other)
    assert one.equals(detailed(rows([3e11] + [1e-6] * 100), EU, []))


def test_a_tiny_positive_customs_value_keeps_its_row_valued() -> None:
    # Found by the property suite: 4.2e-144 EUR rounded to no 2^-60 unit, and the key's fee
    # left ave, where summarise kept it. Amounts below 2^-40 are summed as floats.
    rows = pl.DataFrame(
        {
            "year": [2027, 2026, 2026],
            "origin": ["CHN"] * 3,
            "cn_code": ["25"] * 3,
            "quantity_t": [0.0, 1000.0, 0.0],
            "value_eur": [1.0, 4.187179092655221e-144, 0.0],
        }
    )
    by = ["origin", "sector"]
    assert_same_totals(cbam.totals(rows, EU, by=by), detailed(rows, EU, by), by)


@pytest.mark.parametrize("rows", [10, 1_000])  # fewer rows than bins (add.at), more (bincount)
def test_sums_add_every_row_once_exactly(rows: int) -> None:
    where = np.arange(rows) * 7 % 50
    amount = np.arange(rows, dtype=float) / 10  # 0.1, 0.2, ...: no float sum is exact
    totals = [np.zeros(50, dtype=np.int64), *(np.zeros(50) for _ in range(4))]
    parts = pl.DataFrame({"x": amount}).select(_parts(pl.col("x"), "x"))
    _add_sums(where, [parts[c].to_numpy() for c in parts.columns], totals)
    assert totals[0].tolist() == np.bincount(where, minlength=50).tolist()
    frame = pl.DataFrame({"bin": where, "amount": amount})
    exact = frame.group_by("bin").agg(order_free_sum(pl.col("amount"))).sort("bin")
    sums = _whole_sum([t[exact["bin"].to_numpy()] for t in totals[1:]])
    assert sums.to_list() == exact["amount"].to_list()


def test_split_importer_years_beyond_the_bound_take_the_detailed_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uk-cbam rounds each row's customs value to pence in GBP: EUR values give keys whose
    # rounded sums differ from their rows, so their importer-years are priced from the rows,
    # held in memory up to a bound; beyond it the detailed path streams them, with equal totals.
    import cbam._totals as module

    scenario = cbam.load_scenario("uk-cbam")
    rows = panel(first_year=2027)
    by = ["origin", "sector"]
    expected = detailed(rows, scenario, by)
    with monkeypatch.context() as patch:
        no_fallback(patch)
        assert_same_totals(cbam.totals(rows, scenario, by=by), expected, by)
        patch.setattr(module, "_MAX_SPLIT_ROWS", 10)
        with pytest.raises(AssertionError, match="fell back"):
            cbam.totals(rows, scenario, by=by)
    monkeypatch.setattr(module, "_MAX_SPLIT_ROWS", 10)
    assert_same_totals(cbam.totals(rows, scenario, by=by), expected, by)
