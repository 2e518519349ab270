"""``totals``: ``summarise(compute(...))`` over whole panels, priced once per rule key.

Every rule input of a row is a column of its key (origin, code, year, quarter, importer,
route, actual values, ...), and the fee is linear in the row's amount for a given key:
quantity for charges per tonne, customs value for ad valorem charges. So the rows are summed
per distinct key first, each key is priced once by ``compute`` as one row carrying the key's
sums, and the priced keys are summed again by ``by``.

A destination matters only through the regime's territory, so destinations priced alike by a
probe (the 27 EU members of a BACI panel, say) are summed as one.

Where the key is origin, code, year, quarter and destination (no importers, routes or actual
values), each row's key is first one integer, its position in a dense layout of the distinct
origins, codes and destinations, the years and quarters. Rows in memory are grouped by it;
streamed rows are added into an array of the layout by ``numpy.bincount``, batch by batch,
so memory is bounded by the keys, not by the rows (``benchmarks/bench_scale.py``). Other keys
are grouped by their columns. Every way sums amounts exactly (as ``order_free_sum``): totals
are the same in any row order.

Thresholds still hold: an importer's annual mass or value and an origin's share of a code's
imports are sums over rows whose importer, year, origin and code are in the key, so the key
sums add up to the same totals. They are decided on amounts rounded per row to the gram or
cent (``rates/eu/exact_sums.yaml``); where a key's rounded sum differs from the sum of its
rounded rows, the rows of its importer and year are priced one by one instead, beside the
other keys (the whole panel row by row where an import-share threshold reads them).

The quarter matters only where the price is quarterly: a probe prices one covered good per
sector in each year of the panel, quarter by quarter, and keys of the years whose results do
not differ by quarter are summed over the quarters.

Checks cost no second pass: null, negative, NaN and non-finite amounts are aggregates of the
same group-by, and the key checks run on the keys (``compute``'s own). Whenever anything
fails, ``totals`` runs the detailed path (``summarise(compute(rows))``), so a strict run's
error names the rows exactly as ``compute`` does and a lenient run accounts flagged rows as
``summarise`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import polars as pl
from narwhals.typing import IntoDataFrame, IntoDataFrameT

from cbam._countries import iso3_codes
from cbam._engine import EXEMPT, year_table
from cbam._errors import shorten
from cbam._eu import config
from cbam._interop import like, to_polars
from cbam._pipeline import Engine, OnError, compute, polars_engine
from cbam._resolve import load_scenario, resolve, scenario_key
from cbam._resources import data_dir
from cbam._scenario import Scenario
from cbam._schema import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    check_columns,
    key_as_read,
    number_as_read,
    present,
    result_columns,
    whole_as_read,
)
from cbam._summary import (
    EXACT_BELOW,
    EXACT_FROM,
    SUMMARY_COLUMNS,
    SUMMED,
    exact_total,
    exact_units,
    grouping,
    order_free_sum,
    summarise,
    summed,
)

# Amounts summed per key; every other rule input is part of the key.
ADDITIVE = ("quantity_t", "value_eur")
RULE_INPUTS = tuple(c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c not in ADDITIVE)
_ROWS = "_t_rows"  # rows summed into a key
_BAD = "_t_bad"  # a key with a failed amount (or a rounded mass unlike its rows, for shares)
_SPLIT = "_t_split"  # a key whose rounded sum is unlike its rounded rows: priced from its rows
_VALUED = "_t_valued"  # 0: no customs value, 1: zero or less, 2: positive (summarise's ave)
_BIN = "_t_bin"  # a row's position in the dense key layout
# Rule keys a dense layout covers, and its size beyond which rows are grouped instead.
_DENSE_KEYS = ("origin", "cn_code", "year", "quarter", "destination")
_MAX_BINS = 4_000_000  # a count and 8 parts of two amounts, float64 arrays: 288 MB
_BATCH_ROWS = 500_000  # per batch on the streaming engine: smaller holds less, larger runs faster
_LIMB = 25  # bits of each part of an amount in 2^-60 units (_parts)
_LIMBS = 4  # 100 bits: every amount below EXACT_BELOW (2^40)
_MAX_ROWS = 1 << (53 - _LIMB)  # rows whose parts a float64 bin adds exactly: 268 million
_MAX_YEARS = 100
_MAX_SPLIT_ROWS = 2_000_000  # rows of split importer-years priced from memory (_SPLIT)
_MAX_SLOTS = 1 << 22  # hash table of a key column's distinct values: 96 MB at most
# Columns that differ from row to row of one key (amounts, and outputs that scale with them):
# a grouping by one of them cannot be summed per key.
_PER_ROW = (*ADDITIVE, *SUMMED, "fee_local", "ave")
# The compute outputs a summary reads.
_READ = (
    *SUMMED,
    "certificate_price_eur",
    "fee_share_charged",
    "exempt",
    "exemption_reason",
    "input_error",
)


def _size(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """An amount's magnitude as summed: the customs value of a row without one counts 0."""
    return number_as_read(column, schema).abs().fill_null(0.0)


def _size_range(amounts: Sequence[str], schema: Mapping[str, pl.DataType]) -> list[pl.Expr]:
    """The largest and the smallest positive magnitude of the amounts (``most``, ``least``)."""
    sizes = [_size(a, schema) for a in amounts]
    return [
        pl.max_horizontal(size.max() for size in sizes).alias("most"),
        pl.min_horizontal(pl.when(size > 0).then(size).min() for size in sizes).alias("least"),
    ]


def _exact_in_one_column(stats: pl.DataFrame) -> bool:
    """Whether every amount is 0 or within EXACT_FROM..EXACT_BELOW (``_size_range``'s figures).

    Such amounts sum exactly as one Int128 column of ``exact_units`` each.
    """
    most, least = stats["most"][0] or 0.0, stats["least"][0]
    return bool(most < EXACT_BELOW and (least is None or least >= EXACT_FROM))


def _bad_amount(schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """True where a summed amount fails one of ``compute``'s number checks."""
    qty = number_as_read("quantity_t", schema)
    bad = qty.is_null() | ~qty.is_finite() | (qty < 0)
    if "value_eur" in schema:
        value = number_as_read("value_eur", schema)
        bad = bad | (present("value_eur", schema) & value.is_null())
        bad = bad | ~value.is_finite().fill_null(True) | (value < 0).fill_null(False)
    return bad


def _units(amount: pl.Expr, decimals: int) -> pl.Expr:
    """An amount in whole units of 10^-decimals, as the threshold sums round it.

    As Int128, so that sums of them are exact in any row order: which path prices a key, and
    so the last bit of its fee, must not depend on the order of its rows.
    """
    return _scaled(amount, decimals).round().fill_null(0.0).cast(pl.Int128)


def _scaled(amount: pl.Expr, decimals: int) -> pl.Expr:
    """A valid amount (finite, above 0, capped) in units of 10^-decimals, unrounded; else null."""
    cap = config.exact_sums().row_cap
    valid = amount.is_finite() & (amount > 0)
    return pl.when(valid).then(amount).clip(upper_bound=cap) * float(10**decimals)


@cache
def _probe_goods() -> pl.DataFrame:
    """One CN8 code of each sector: the goods a quarter probe prices."""
    goods = pl.read_csv(
        data_dir("rates") / "eu" / "goods.csv", schema_overrides={"cn_code": pl.String}
    )
    return (
        goods.filter(pl.col("cn_code").str.len_chars() == 8)
        .sort("cn_code")
        .group_by("sector", maintain_order=True)
        .first()
        .select("cn_code")
    )


_QUARTERLY: dict[tuple[str, tuple[int, ...]], frozenset[int]] = {}
_KEEP = 64


def quarterly_years(scenario: Scenario, years: Sequence[int]) -> frozenset[int]:
    """The years among ``years`` whose results differ by quarter under the scenario.

    One covered good per sector is priced in each year with each quarter and without one;
    a year where no good is priced (no rules for it) counts as quarterly, which is safe.
    Kept per distinct scenario (by content) and years.

    Example:
        >>> import cbam
        >>> sorted(quarterly_years(cbam.load_scenario("eu-cbam"), [2026, 2027]))
        [2026]

    """
    key = (scenario_key(scenario), tuple(sorted(set(years))))
    if key not in _QUARTERLY:
        if len(_QUARTERLY) >= _KEEP:
            _QUARTERLY.pop(next(iter(_QUARTERLY)))
        _QUARTERLY[key] = _probe_quarters(scenario, key[1])
    return _QUARTERLY[key]


def _probe_quarters(scenario: Scenario, years: tuple[int, ...]) -> frozenset[int]:
    goods = _probe_goods()
    quarters = pl.DataFrame({"quarter": [None, 1, 2, 3, 4]}, schema={"quarter": pl.Int8})
    first, last = resolve(scenario).rules_years  # years without rules price no good
    probe = (
        pl.DataFrame({"year": [y for y in years if first <= y <= last]}, schema={"year": pl.Int32})
        .join(goods, how="cross")
        .join(quarters, how="cross")
        .with_columns(
            pl.lit("CHN").alias("origin"),
            pl.lit(1.0).alias("quantity_t"),
            pl.lit(1000.0).alias("value_eur"),  # ad valorem charges price the value
        )
    )
    priced = compute(probe, scenario, on_error="flag").filter(
        pl.col("input_error").is_null() & pl.col("sector").is_not_null()
    )
    per_good = priced.group_by("year", "cn_code").agg(
        pl.col("quarter").count().alias("quarters"),
        pl.struct("certificate_price_eur", "fee_eur").n_unique().alias("results"),
    )
    steady = per_good.group_by("year").agg(
        ((pl.col("quarters") == 4) & (pl.col("results") == 1)).all().alias("steady")
    )
    annual = set(steady.filter("steady")["year"].to_list())
    return frozenset(y for y in years if y not in annual)


def _valued(value: pl.Expr) -> pl.Expr:
    """A row's ``_VALUED`` kind: 0 without a customs value, 2 positive, 1 zero or less."""
    return pl.when(value.is_null()).then(0).when(value > 0).then(2).otherwise(1)


def _shares(scenario: Scenario) -> bool:
    """Whether a relief rule has an import-share threshold (an origin's share of a code)."""
    return any(rule.max_import_share is not None for rule in scenario.exemptions)


def _rounds_sums(schema: Mapping[str, pl.DataType], scenario: Scenario) -> bool:
    """Whether thresholds need each key's rounded sums: importers, or import-share relief."""
    return "importer" in schema or _shares(scenario)


def _threshold_value(
    value: pl.Expr, schema: Mapping[str, pl.DataType], scenario: Scenario
) -> pl.Expr:
    """A customs value as a value threshold sums it, so rounded sums compare as it rounds them.

    In the regime's currency at the rules year's rate, as the engine's ``_VALUE_LCU``.
    """
    threshold = resolve(scenario).design.threshold
    if threshold is None or threshold.basis != "value":
        return value
    rates = year_table(scenario).group_by("year").agg(pl.col("fx").first())
    year = (
        whole_as_read("year", schema)
        if scenario.rules_year is None
        else pl.lit(scenario.rules_year)
    )
    fx = year.replace_strict(rates["year"], rates["fx"], default=None, return_dtype=pl.Float64)
    return value * (1.0 / fx)  # as the engine's _VALUE_LCU: the last bit decides a rounding


def _rounded(column: str, schema: Mapping[str, pl.DataType], scenario: Scenario) -> pl.Expr:
    """A summed key column (an amount) as its threshold rounds it."""
    amount = pl.col(column)
    return _threshold_value(amount, schema, scenario) if column == "value_eur" else amount


def _rounded_amounts(
    amounts: Mapping[str, pl.Expr], schema: Mapping[str, pl.DataType], scenario: Scenario
) -> list[tuple[str, int, pl.Expr]]:
    """Each amount a threshold sums, its decimals and the row amount as the threshold rounds it.

    Threshold sums round each row (``rates/eu/exact_sums.yaml``); a key whose rounded sum
    differs from the rounding of its sum is priced row by row (``_tidy_keys``).
    """
    exact = config.exact_sums()
    decimals = {"quantity_t": exact.mass_decimals, "value_eur": exact.value_decimals}
    return [
        (column, decimals[column], _threshold_value(amount, schema, scenario))
        if column == "value_eur"
        else (column, decimals[column], amount)
        for column, amount in amounts.items()
    ]


def _unit_sums(rounded: Sequence[tuple[str, int, pl.Expr]]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """The rows' amounts in whole units, and their sums per key."""
    rows = [_units(amount, decimals).alias(f"_t_units_{c}") for c, decimals, amount in rounded]
    return rows, [pl.col(f"_t_units_{c}").sum() for c, _, _ in rounded]


def _off_units(rounded: Sequence[tuple[str, int, pl.Expr]]) -> list[pl.Expr]:
    """Per rounded amount, the furthest any row's scaled amount lies from whole units."""
    scaled = [(c, _scaled(amount, decimals)) for c, decimals, amount in rounded]
    return [(s - s.round()).abs().max().fill_null(0.0).alias(f"_t_off_{c}") for c, s in scaled]


def _rounds_alike(
    rounded: Sequence[tuple[str, int, pl.Expr]],
    off: Mapping[str, float],
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
) -> pl.Expr:
    """True for keys whose rounded sum is certainly the sum of their rounded rows.

    Shown without summing each row's whole units (``_unit_sums``). A key of n rows whose
    scaled amounts u_i (``_scaled``) are at most ``off`` from their whole units k_i is priced
    on its sum, rounded to a float once (each row first a whole number of 2^-60 units, off by
    2^-61 at most), which the threshold reads as T (divided by the year's rate, for a value)
    and rounds as fl(T 10^d). That differs from the sum of the k_i by at most n (off + 2^-30)
    plus a few float roundings of T 10^d, each within 2^-53 of it, bounded here by 2^-48 T
    10^d; below 1/2 in all, fl(T 10^d) rounds to the sum of the k_i. The bound also implies
    that no row reaches ``row_cap``.
    """
    rows = pl.col(_ROWS).cast(pl.Float64)
    alike = [
        rows * (off[column] + 2.0**-30)
        + 2.0**-48 * float(10**decimals) * _rounded(column, schema, scenario).fill_null(0.0).abs()
        < 0.5
        for column, decimals, _ in rounded
    ]
    return pl.all_horizontal(alike) if alike else pl.lit(True)


def _certain(schema: Mapping[str, pl.DataType], label: str | None = None) -> pl.Expr:
    """Keys whose rounded sums decide nothing: no importer, or the merged importers' ``label``.

    A key without an importer counts towards no threshold; the merged importers are above
    every threshold whatever the rounding (``_Merged.proven`` checks it).
    """
    if "importer" not in schema:
        return pl.lit(True)
    certain = key_as_read("importer", schema).is_null()
    return certain if label is None else certain | (pl.col("importer") == label)


def _tidy_keys(
    rounded: Sequence[tuple[str, int, pl.Expr]],
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    certain: pl.Expr,
) -> list[pl.Expr]:
    """A key's ``_BAD`` and ``_SPLIT`` flags and customs value, once its rows are summed.

    ``_BAD``: a failed amount. A rounded sum unlike its rounded rows (``certain`` apart) is
    ``_SPLIT``: thresholds per importer and year then read that importer-year's rows
    (``_with_rows_of_split``). It is ``_BAD`` where an import-share threshold reads it, since
    an origin's share sums every importer's rows. A key of rows without a customs value has
    none (a sum of nulls would be 0).
    """
    faulty = [~pl.col("quantity_t").is_finite()]
    unlike = [
        _units(_rounded(column, schema, scenario), decimals) != pl.col(f"_t_units_{column}")
        for column, decimals, _ in rounded
    ]
    split = pl.any_horizontal(unlike) & ~certain if unlike else pl.lit(False)
    if _shares(scenario):
        faulty += unlike
        split = pl.lit(False)
    tidy = [pl.any_horizontal(faulty).alias(_BAD), split.alias(_SPLIT)]
    if "value_eur" in schema:
        tidy.append(pl.when(pl.col(_VALUED) > 0).then(pl.col("value_eur")).alias("value_eur"))
    return tidy


def _with_rows_of_split(
    keys: pl.DataFrame, lazy: pl.LazyFrame, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """``keys`` with every importer-year that has a ``_SPLIT`` key given as its rows instead.

    Such a key's rounded sum differs from the sum of its rounded rows, so its importer's
    annual total, and threshold, would differ: the importer-year's rows are priced one by
    one, beside the other keys, in the same ``compute``. Beyond ``_MAX_SPLIT_ROWS`` such rows,
    held in memory, the whole panel takes the detailed path (``_FaultyKeyError``).
    """

    def importer_year(frame_schema: Mapping[str, pl.DataType]) -> list[pl.Expr]:
        return [
            key_as_read("importer", frame_schema).alias("_t_importer"),
            whole_as_read("year", frame_schema).alias("_t_year"),
        ]

    on = ["_t_importer", "_t_year"]
    marked = keys.with_columns(importer_year(keys.schema))
    split = marked.filter(pl.col(_SPLIT)).select(on).unique()
    kept = marked.join(split, on=on, how="anti", nulls_equal=True).drop(on)
    split_rows = int(keys[_ROWS].sum()) - int(kept[_ROWS].sum())  # rows of those importer-years
    if split_rows > _MAX_SPLIT_ROWS:
        raise _FaultyKeyError  # rows held in memory beyond the bound: the detailed path streams
    value = number_as_read("value_eur", schema) if "value_eur" in schema else None
    as_rows = {
        _ROWS: pl.lit(1),
        _BAD: pl.lit(False),
        _SPLIT: pl.lit(False),
        "quantity_t": number_as_read("quantity_t", schema),
        **({} if value is None else {"value_eur": value, _VALUED: _valued(value)}),
    }
    rows = (
        lazy.with_columns(importer_year(schema))
        .join(split.lazy(), on=on, how="semi")
        .select(as_rows.get(c, pl.col(c)).cast(dtype).alias(c) for c, dtype in kept.schema.items())
        .collect()
    )
    return pl.concat([kept, rows])


def _key_columns(schema: Mapping[str, pl.DataType], groups: Sequence[str]) -> list[str]:
    """The input columns a row's key is made of: its rule inputs and the input columns of ``by``."""
    return [c for c in schema if c in RULE_INPUTS or (c in groups and c not in ADDITIVE)]


def _by_quarter(groups: Sequence[str]) -> bool:
    """Whether the totals keep quarters apart: by quarter, or by the price period it names."""
    return "quarter" in groups or "certificate_price_period" in groups


def _keys(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
) -> pl.DataFrame:
    """The rows summed per distinct rule key, with their row count.

    A row whose amount fails a check sums as NaN into its key's ``quantity_t``, so one
    non-finite key sum says that something failed (an overflowing sum too) at the cost of no
    aggregation but the sums themselves.
    """
    keys = _key_columns(schema, groups)
    rows: list[pl.Expr] = [pl.col(c) for c in keys]
    if "quarter" in schema and not _by_quarter(groups):
        years = lazy.select(whole_as_read("year", schema).unique().drop_nulls()).collect(
            engine=run_engine
        )
        quarterly = quarterly_years(scenario, years.to_series().to_list())
        quarter = whole_as_read("quarter", schema)
        # A whole quarter of a year priced by the year is summed with the year's other rows.
        collapse = quarter.is_between(1, 4) & ~whole_as_read("year", schema).is_in(
            sorted(quarterly)
        )
        rows[keys.index("quarter")] = (
            pl.when(collapse.fill_null(False)).then(None).otherwise(pl.col("quarter"))
        ).alias("quarter")
    qty = number_as_read("quantity_t", schema)
    rows.append(pl.when(_bad_amount(schema)).then(float("nan")).otherwise(qty).alias("quantity_t"))
    sums: list[pl.Expr] = [pl.len().alias(_ROWS), order_free_sum(pl.col("quantity_t"))]
    group_keys = [*keys]
    if "value_eur" in schema:
        value = number_as_read("value_eur", schema)
        rows.append(value.alias("value_eur"))
        rows.append(_valued(value).alias(_VALUED))
        group_keys.append(_VALUED)
        sums.append(order_free_sum(pl.col("value_eur")))
    rounded = []
    if _rounds_sums(schema, scenario):
        amounts = [c for c in ADDITIVE if c in schema]
        rounded = _rounded_amounts(
            {c: number_as_read(c, schema) for c in amounts}, schema, scenario
        )
    unit_rows, unit_sums = _unit_sums(rounded)
    summed = (
        lazy.select(*rows, *unit_rows)
        .group_by(group_keys)
        .agg(*sums, *unit_sums)
        .collect(engine=run_engine)
    )
    tidy = _tidy_keys(rounded, schema, scenario, _certain(schema))
    return summed.with_columns(tidy).drop([f"_t_units_{c}" for c, _, _ in rounded])


# --- Importers merged where their threshold status is certain ---------------------------------

_BASIS = "_t_basis"  # a key's threshold basis (mass or customs value) in whole units
# Statuses of rows whose amounts count towards their importer's annual total.
_COUNTED = (EXEMPT, "liable (importer above threshold)", "not applied (customs value missing)")
_SLACK = 1e-9  # relative error allowed the float sums of whole units
_OFF = 1e-3  # the furthest from whole units rows' amounts may be for keys to skip _unit_sums
_FEW = 16  # distinct values told apart by comparisons rather than a lookup
_WORD = 1 << 62  # the largest product of key sizes one Int64 group-by column holds


class _FaultyKeyError(Exception):
    """A key at fault: the detailed path prices the rows and reports them."""


@dataclass(frozen=True)
class _Bound:
    """The largest per-importer threshold the scenario can apply, as the engine compares it.

    ``column`` is the amount the threshold sums (quantity for a mass threshold, customs value
    for a value one), rounded per row to whole units of 10^-``decimals`` as the engine rounds
    it; ``limit`` is the largest threshold of any year in those units; ``divisor`` the largest
    rate the engine divides a customs value by (the regime's currency, at least 1). ``free``:
    no threshold applies (none, or de minimis off), so importers never matter.
    """

    column: str
    decimals: int
    limit: float
    divisor: float
    free: bool

    def above(self, units: pl.Expr, rows: pl.Expr) -> pl.Expr:
        """Whether ``rows`` that count ``units`` in all are certainly above ``limit``.

        The engine rounds each row on its own (half a unit either way), a value after its
        division by the year's rate; a unit per row before and after the division covers both.
        """
        whole = units.cast(pl.Float64)
        return (whole - rows) / self.divisor - rows - _SLACK * whole > self.limit


def _bound(schema: Mapping[str, pl.DataType], scenario: Scenario) -> _Bound | None:
    """The scenario's ``_Bound``, from its resolved design; None where it cannot be told."""
    threshold = resolve(scenario).design.threshold
    exact = config.exact_sums()
    if threshold is None or not scenario.de_minimis:
        return _Bound("quantity_t", exact.mass_decimals, 0.0, 1.0, free=True)
    table = year_table(scenario)  # each rules year's threshold and rate, as the engine joins them
    limits = table["threshold"].drop_nulls().to_list()  # a year without one: none applies
    limit = max([0.0, *limits])
    if threshold.basis == "mass":
        scale = float(10**exact.mass_decimals)
        return _Bound("quantity_t", exact.mass_decimals, limit * scale, 1.0, free=False)
    rates = table["fx"]
    if "value_eur" not in schema or rates.null_count() or rates.is_empty():
        return None
    scale = float(10**exact.value_decimals)
    divisor = max([1.0, *rates.to_list()])
    return _Bound("value_eur", exact.value_decimals, limit * scale, divisor, free=False)


@dataclass(frozen=True)
class _Counts:
    """Which rows count towards their importer's annual total, as a probe predicts it.

    A probe prices every ISO origin with one good of each sector, and every code of
    ``goods.csv`` with an origin that counted: an origin counts in a year where one of its
    goods does, a code where it does with that origin; a row is predicted to count where
    both do (text as the probe spells it, years of the rules). It only predicts:
    ``_Merged.proven`` checks every merged key against the status ``compute`` gives it.
    """

    origins: pl.Series
    codes: pl.Series
    first: int
    span: int
    by_origin: pl.Series  # [origin, year] flattened
    by_code: pl.Series  # [code, year] flattened

    def of(self, origin: pl.Expr, code: pl.Expr, year: pl.Expr) -> pl.Expr:
        """True where a row of ``origin``, ``code`` and (whole) ``year`` is predicted to count."""
        y = pl.when(year.is_between(self.first, self.first + self.span - 1)).then(
            year.cast(pl.Int64) - self.first
        )
        o = _index_of(origin, self.origins)
        c = _index_of(code, self.codes)
        at_origin = pl.lit(self.by_origin).gather(o * self.span + y)
        at_code = pl.lit(self.by_code).gather(c * self.span + y)
        return (at_origin & at_code).fill_null(False)


_COUNTS: dict[str, _Counts] = {}


def _counts(scenario: Scenario) -> _Counts:
    """``_Counts`` of a scenario, kept per distinct scenario (by content)."""
    key = scenario_key(scenario)
    if key not in _COUNTS:
        if len(_COUNTS) >= _KEEP:
            _COUNTS.pop(next(iter(_COUNTS)))
        _COUNTS[key] = _probe_counts(scenario)
    return _COUNTS[key]


def _probe_counts(scenario: Scenario) -> _Counts:
    design = resolve(scenario).design
    first, last = design.first_rules_year, design.last_rules_year
    years = pl.DataFrame({"year": range(first, last + 1)}, schema={"year": pl.Int32})
    origins = pl.Series("origin", sorted(iso3_codes()), pl.String)
    goods = pl.read_csv(
        data_dir("rates") / "eu" / "goods.csv", schema_overrides={"cn_code": pl.String}
    )
    codes = goods["cn_code"].unique().sort()

    def counted(rows: pl.DataFrame) -> pl.DataFrame:
        probe = rows.with_columns(
            pl.lit(1.0).alias("quantity_t"),
            pl.lit(1000.0).alias("value_eur"),
            pl.lit("probe").alias("importer"),
        )
        fees = compute(probe, scenario, on_error="flag")
        status = fees["de_minimis"].cast(pl.String).is_in(_COUNTED).fill_null(False)
        return rows.with_columns(status.alias("counts"))

    every_origin = origins.to_frame().join(years, how="cross").join(_probe_goods(), how="cross")
    by_origin = (
        counted(every_origin)
        .group_by("origin", "year")
        .agg(pl.col("counts").any())
        .sort("origin", "year")
    )
    # An origin that counts in each year (the first in order) probes the codes.
    chosen = by_origin.filter("counts").group_by("year").agg(pl.col("origin").min())
    every_code = chosen.join(codes.to_frame(), how="cross")
    by_code = (
        codes.to_frame()
        .join(years, how="cross")
        .join(counted(every_code).drop("origin"), on=["cn_code", "year"], how="left")
        .sort("cn_code", "year")
    )
    return _Counts(
        origins,
        codes,
        first,
        last - first + 1,
        by_origin["counts"],
        by_code["counts"].fill_null(False),
    )


@dataclass(frozen=True)
class _Part:
    """One key column as a dense index: its expression over the rows, and its values by index."""

    name: str
    index: pl.Expr  # 0 to size - 1; null for a value the first read did not see
    values: pl.Series  # the value of each index


def _part(name: str, values: pl.Series) -> _Part:
    """A key column indexed by its distinct non-null ``values``, a null last.

    Text by an Enum cast, a few numbers by comparisons (cheapest), more by a search of their
    sorted values.
    """
    size = values.len()
    column = pl.col(name)
    found: pl.Expr = pl.lit(None, pl.Int64)
    if values.dtype == pl.String:
        found = _index_of(name, values)
    elif size <= _FEW:
        chain: Any = pl  # pl.when, then each further .when of the chain
        for at, value in enumerate(values):
            chain = chain.when(column == value).then(at)
        found = chain.otherwise(None) if size else found
    else:  # found where the value at the sought position is the row's
        position = pl.lit(values).search_sorted(column).cast(pl.Int64)
        hit = pl.lit(values).gather(position.clip(upper_bound=size - 1)) == column
        found = pl.when(hit).then(position)
    index = pl.when(column.is_null()).then(size).otherwise(found.cast(pl.Int64))
    return _Part(name, index, values.extend_constant(None, 1))


@dataclass(frozen=True)
class _Merged:
    """Key sums with importers merged, and what proves the merge kept every status."""

    keys: pl.DataFrame
    bound: _Bound
    counts: _Counts
    label: str  # the importer that stands for the merged ones

    def proven(self, priced: pl.DataFrame) -> bool:
        """Whether the priced keys prove that each merged importer-year kept its statuses.

        An importer-year merged was above the threshold on the rows predicted to count
        alone; so it was in fact wherever those rows count, which every merged key predicted
        to count must show (and no merged key may be exempt). Its rows were then liable
        wherever they counted, as they are here, and the merged total, no smaller, is above
        the threshold too.
        """
        if self.bound.free:
            return True
        schema = priced.schema
        predicted = self.counts.of(
            pl.col("origin"), pl.col("cn_code"), whole_as_read("year", schema)
        )
        # Each (status, prediction) once: the statuses as text only for the few distinct ones.
        seen = (
            priced.lazy()
            .filter(pl.col("importer") == self.label)
            .group_by(pl.col("de_minimis"), predicted.alias("predicted"))
            .agg()
            .with_columns(pl.col("de_minimis").cast(pl.String))
            .collect()
        )
        counts = pl.col("de_minimis").is_in(_COUNTED).fill_null(False)
        wrong = (pl.col("de_minimis") == EXEMPT).fill_null(False) | (pl.col("predicted") & ~counts)
        return not seen.select(wrong.any()).item()


def _merged(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
) -> _Merged | None:
    """``_keys``'s frame, with the importers certainly above every threshold merged into one.

    An importer matters to a row's fee only through its threshold status in the year, and a
    summary reads no output that names it. Each importer-year is summed first over the rows
    predicted to count towards its total (``_Counts``); those above the largest threshold by
    more than the rounding of their rows are merged into one importer per year (their total
    is then above too; ``_Merged.proven`` checks the prediction after pricing), and the others
    keep their own keys, so the importer leaves the key of most rows. Every key column is laid
    out as a dense index (text by an Enum, numbers by their sorted values) and the indexes
    are packed into Int64 columns, which Polars groups much faster than text and floats.
    None where nothing merges or the columns or amounts need the detailed checks: ``_keys``
    groups them.
    """
    bound = _bound(schema, scenario)
    columns = _key_columns(schema, groups)
    if (
        bound is None
        or any(schema.get(c) != pl.String for c in ("importer", "origin", "cn_code"))
        or {"importer", "de_minimis", "importer_annual_t"} & set(groups)
        or not all(
            schema[c] == pl.String or schema[c].is_integer() or schema[c].is_float()
            for c in columns
        )
        or not schema["year"].is_integer()
    ):
        return None
    quartered, valued = "quarter" in schema, "value_eur" in schema
    year = whole_as_read("year", schema)
    quarter = whole_as_read("quarter", schema) if quartered else pl.lit(None, pl.Int32)
    basis = _units(number_as_read(bound.column, schema), bound.decimals)
    counts = _counts(scenario)
    counted = counts.of(pl.col("origin"), pl.col("cn_code"), year)
    others = [c for c in columns if c not in ("year", "quarter", "importer")]
    amounts = {"quantity_t": number_as_read("quantity_t", schema)}
    if valued:
        amounts["value_eur"] = number_as_read("value_eur", schema)
    rounded = _rounded_amounts(amounts, schema, scenario)
    stats, annual, *distinct = pl.collect_all(
        [
            lazy.select(
                (
                    year.is_null().any()
                    | _bad_amount(schema).any()
                    # A quarter given but not 1-4 (1.5, 'x', 7) is flagged by the detailed path.
                    | (
                        present("quarter", schema) & ~quarter.is_between(1, 4).fill_null(False)
                    ).any()
                ).alias("fault"),
                year.min().alias("first"),
                year.max().alias("last"),
                *_size_range(list(amounts), schema),
                *_off_units(rounded),
            ),
            # Importers as given, made the rules' form (' ACME' is 'ACME') once each below.
            lazy.select(
                pl.col("importer"),
                year.alias("year"),
                pl.when(counted).then(basis).otherwise(0).alias(_BASIS),
            )
            .group_by("importer", "year")
            .agg(pl.len().alias(_ROWS), pl.col(_BASIS).sum()),
            *(lazy.select(pl.col(c).unique().drop_nulls().sort()) for c in others),
        ],
        engine=run_engine,
    )
    first, last = stats["first"][0], stats["last"][0]
    if stats["fault"][0] or first is None or last - first >= _MAX_YEARS:
        return None  # faults are reported by the detailed path
    span = last - first + 1
    given = annual["importer"].unique().drop_nulls().sort()
    annual = (
        annual.with_columns(key_as_read("importer"))
        .filter(pl.col("importer").is_not_null())
        .group_by("importer", "year")
        .agg(pl.col(_ROWS).sum(), pl.col(_BASIS).sum())
    )
    candidate = pl.lit(True) if bound.free else bound.above(pl.col(_BASIS), pl.col(_ROWS))
    annual = annual.with_columns(candidate.alias("_t_candidate"))
    importers = annual["importer"].unique().sort()
    if not annual["_t_candidate"].any() or importers.len() * span > _MAX_BINS:
        return None
    own = annual.filter(~pl.col("_t_candidate"))["importer"].unique().sort()
    label = "(importers above every threshold)"
    while label in importers:  # it stands for them, so it must be none of them
        label += "*"
    # Each importer-year's code: its importer's index among those kept apart, or the merged one.
    slots = annual.select(
        pl.col("importer").cast(pl.Enum(importers)).to_physical().cast(pl.Int64) * span
        + (pl.col("year") - first),
        pl.when(pl.col("_t_candidate"))
        .then(own.len())
        .otherwise(pl.col("importer").cast(pl.Enum(own), strict=False).to_physical())
        .cast(pl.Int64),
    ).to_numpy()
    codes = np.full(importers.len() * span, -1, dtype=np.int64)  # -1: not seen at first
    codes[slots[:, 0]] = slots[:, 1]
    # Each importer as given: the index of its rules' form among ``importers``, -1 for none.
    forms = given.to_frame().select(
        key_as_read("importer").cast(pl.Enum(importers), strict=False).to_physical()
    )
    form = pl.lit(forms.to_series().cast(pl.Int64).fill_null(-1)).gather(
        _index_of("importer", given)
    )
    y = pl.when(year.is_between(first, last)).then(year.cast(pl.Int64) - first)
    code = pl.lit(pl.Series(codes)).gather(pl.when(form >= 0).then(form) * span + y)
    parts = [
        _Part(
            "importer",
            pl.when(pl.col("importer").is_null() | (form < 0))
            .then(own.len() + 1)
            .otherwise(pl.when(code >= 0).then(code)),
            pl.concat([own, pl.Series([label, None], dtype=pl.String)]),
        ),
        _Part("year", y, pl.Series(range(first, last + 1)).cast(schema["year"])),
    ]
    if quartered:
        q = quarter.fill_null(0)
        if not _by_quarter(groups):
            # A whole quarter of a year priced by the year is summed with the year's other rows.
            quarterly = quarterly_years(scenario, range(first, last + 1))
            q = pl.when(year.is_in(sorted(quarterly))).then(q).otherwise(0)
        quarters = pl.Series([None, 1, 2, 3, 4]).cast(schema["quarter"])
        parts.append(_Part("quarter", q.cast(pl.Int64), quarters))
    if valued:
        kind = _valued(amounts["value_eur"]).cast(pl.Int64)
        parts.append(_Part(_VALUED, kind, pl.Series([0, 1, 2], dtype=pl.Int32)))
    parts += [_part(c, frame.to_series()) for c, frame in zip(others, distinct, strict=True)]
    # The indexes packed into as few Int64 columns as hold them, each a mixed radix.
    words: list[list[_Part]] = [[]]
    size = 1
    for part in parts:
        if size * part.values.len() >= _WORD:
            words.append([])
            size = 1
        words[-1].append(part)
        size *= part.values.len()
    names = [f"_t_word_{i}" for i in range(len(words))]
    packed_words = []
    for name, word in zip(names, words, strict=True):
        packed = word[0].index
        for part in word[1:]:
            packed = packed * part.values.len() + part.index
        packed_words.append(packed.alias(name))
    plain = _exact_in_one_column(stats)
    sums: list[pl.Expr] = [pl.len().alias(_ROWS)]
    rows = [*packed_words]
    for column, amount in amounts.items():
        rows.append((exact_units(amount) if plain else amount).alias(column))
        sums.append(exact_total(pl.col(column).sum()) if plain else order_free_sum(pl.col(column)))
    off = {c: stats[f"_t_off_{c}"][0] for c, _, _ in rounded}
    decoded: list[pl.Expr] = []
    for name, word in zip(names, words, strict=True):
        stride = 1
        for part in reversed(word):
            at_part = pl.col(name) // stride % part.values.len()
            decoded.append(pl.lit(part.values).gather(at_part).alias(part.name))
            stride *= part.values.len()
    order = [*columns, *([_VALUED] if valued else []), _ROWS, "quantity_t"]
    order += [*(["value_eur"] if valued else []), _BAD, _SPLIT]

    def grouped(units: Sequence[tuple[str, int, pl.Expr]]) -> pl.DataFrame | None:
        unit_rows, unit_sums = _unit_sums(units)
        query = lazy.select(*rows, *unit_rows).group_by(names).agg(*sums, *unit_sums)
        summed = query.collect(engine=run_engine)
        if any(summed[name].null_count() for name in names):
            return None  # a value that was not among the distinct ones: the input changed
        return summed.with_columns(decoded)

    # Rows a whole number of units (to float error) need not sum their units where the keys'
    # sums are shown to round alike (_rounds_alike); else the rows are grouped with them.
    # Keys of the merged importers need no proof: their status is certain (``_certain``).
    certain = _certain(schema, label) if not _shares(scenario) else pl.lit(False)
    alike = _rounds_alike(rounded, off, schema, scenario) | certain
    keys = grouped([]) if max(off.values()) <= _OFF else None
    if keys is not None and keys.select(alike.all()).item():
        keys = keys.with_columns(_tidy_keys([], schema, scenario, certain))
    else:
        keys = grouped(rounded)
        if keys is None:
            return None
        keys = keys.with_columns(_tidy_keys(rounded, schema, scenario, certain))
    keys = keys.select(order)
    return _Merged(keys, bound, counts, label)


def _merged_prices(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
    price: Callable[[pl.DataFrame, Sequence[str]], pl.DataFrame],
) -> pl.DataFrame | None:
    """The keys of ``_merged`` priced by ``price`` once proven; None: ``_keys`` groups them."""
    merged = _merged(lazy, schema, scenario, groups, run_engine)
    if merged is None:
        return None
    extra = ["importer", "origin", "cn_code", "year", "de_minimis"]
    priced = price(merged.keys, extra)
    return priced if merged.proven(priced) else None


def _alike(places: pl.Series, years: Sequence[int], scenario: Scenario) -> pl.DataFrame:
    """Each of the distinct destinations ``places`` and the first of those priced alike.

    A destination matters to a row's fee only through the regime's territory (inside or
    outside it, by rules year) and the code check: a probe prices one good of each sector to
    each destination in each of ``years``, and destinations whose results agree throughout
    are one key (a BACI panel's 27 EU importers, or its 200 others). A destination that
    fails a check fails it in its key too, and the detailed path reports the rows.
    """
    start, end = resolve(scenario).rules_years  # other years: no rules, no destination
    ruled = [y for y in years if start <= y <= end]
    if not ruled:  # each destination its own key; compute flags the rows
        return pl.DataFrame({"destination": places, "_t_first": places})
    probe = (
        pl.DataFrame({"destination": places.sort()})
        .join(pl.DataFrame({"year": ruled}, schema={"year": pl.Int32}), how="cross")
        .join(_probe_goods(), how="cross")
        .with_columns(origin=pl.lit("CHN"), quantity_t=pl.lit(1.0), value_eur=pl.lit(1000.0))
    )
    priced = compute(probe, scenario, on_error="flag").sort("destination", "year", "cn_code")
    outputs = pl.col("exemption_reason", "input_error", "fee_eur").cast(pl.String).fill_null("")
    alike = priced.group_by("destination", maintain_order=True).agg(
        pl.concat_str(outputs, separator="|").str.join("\n").alias("_t_results")
    )
    first = pl.col("destination").first().over("_t_results")
    return alike.select("destination", first.alias("_t_first"))


def _same_destinations(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    engine: Literal["in-memory", "streaming", "gpu"],
) -> pl.LazyFrame:
    """``lazy`` with each destination replaced by the first of those priced alike (``_alike``)."""
    distinct = pl.collect_all(
        [
            lazy.select(pl.col("destination").unique().drop_nulls()),
            lazy.select(whole_as_read("year", schema).unique().drop_nulls()),
        ],
        engine=engine,
    )
    places, years = (d.to_series() for d in distinct)
    if places.len() < 2 or years.is_empty():
        return lazy
    alike = _alike(places, years.to_list(), scenario)
    first = pl.col("destination").replace_strict(
        alike["destination"], alike["_t_first"], default=pl.col("destination")
    )
    return lazy.with_columns(first.alias("destination"))


def _index_of(column: str | pl.Expr, values: pl.Series) -> pl.Expr:
    """A row's position in ``values`` (its column's distinct values); null for any other value.

    Through a table of the values' hashes where a small one separates them: a seed is sought
    under which they fall into distinct slots of a table twice their count squared (birthday
    odds), so a row costs one hash and two gathers; else by an Enum cast (a string lookup).
    """
    text = pl.col(column) if isinstance(column, str) else column
    size = 1 << max(10, (2 * values.len() ** 2).bit_length())
    for seed in range(64 if size <= _MAX_SLOTS else 0):
        hashes = values.hash(seed)
        slots = hashes & (size - 1)
        if slots.n_unique() < values.len():
            continue
        index = np.full(size, values.len(), dtype=np.int64)
        index[slots.to_numpy()] = np.arange(values.len())
        expected = np.zeros(size, dtype=np.uint64)
        expected[slots.to_numpy()] = hashes.to_numpy()
        hashed = text.hash(seed)
        slot = hashed & (size - 1)
        found = pl.lit(pl.Series(expected)).gather(slot) == hashed
        return pl.when(found).then(pl.lit(pl.Series(index)).gather(slot))
    enum = text.cast(pl.Enum(values), strict=False)
    return enum.to_physical().cast(pl.Int64)


def _batches(lazy: pl.LazyFrame, run_engine: str, is_frame: bool) -> Iterator[pl.DataFrame]:
    """The rows in batches: a frame at once, a lazy query streamed in bounded memory."""
    if is_frame or run_engine != "streaming":
        yield lazy.collect(engine=run_engine)  # type: ignore[call-overload]
        return
    yield from lazy.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=False)


def _parts(amount: pl.Expr, name: str) -> list[pl.Expr]:
    """An amount as whole 2^-60 units (``exact_units``) in ``_LIMBS`` parts, highest first.

    Each part is a whole number below 2^``_LIMB`` held in a float64, so ``numpy.bincount``
    adds up to ``_MAX_ROWS`` of them per bin exactly, in any order: summed per bin and put
    together by ``_whole_sum``, they are ``order_free_sum``'s total, bit for bit.

    Example:
        >>> rows = pl.DataFrame({"x": [0.1, 2.5]}).select(_parts(pl.col("x"), "x"))
        >>> parts = [rows[c].to_numpy() for c in rows.columns]
        >>> _whole_sum(parts).to_list(), _whole_sum([p[:1] + p[1:] for p in parts]).to_list()
        ([0.1, 2.5], [2.6])

    """
    rest = (amount * 2.0**60).round()  # 0 or EXACT_FROM..EXACT_BELOW: below 2^100
    parts = []
    for k in range(_LIMBS - 1, 0, -1):
        top = (rest * 2.0 ** (-_LIMB * k)).floor()
        parts.append(top.alias(f"_t_{name}_{k}"))
        rest = rest - top * 2.0 ** (_LIMB * k)  # exact: the bits below the top part's
    return [*parts, rest.alias(f"_t_{name}_0")]


def _whole_sum(parts: Sequence[np.ndarray]) -> pl.Series:
    """Per-bin sums of ``_parts`` put together: the exact total in 2^-60 units, as a float."""
    frame = pl.DataFrame({f"p{i}": part for i, part in enumerate(parts)})
    units = pl.col("p0").cast(pl.Int128)
    for i in range(1, len(parts)):
        units = units * pl.lit(1 << _LIMB, pl.Int128) + pl.col(f"p{i}").cast(pl.Int128)
    return frame.select(exact_total(units)).to_series()


def _add_sums(where: np.ndarray, weights: list[np.ndarray], totals: list[np.ndarray]) -> None:
    """Add rows' count, then each weight's sum, per bin into ``totals``, in place.

    A batch of at least a quarter as many rows as bins is counted by ``numpy.bincount``
    (several times faster per row); a smaller one by ``numpy.add.at``, which costs a batch its
    rows only where ``bincount`` allocates, fills and adds a whole layout per measure: small
    batches then stream in less memory at no loss. Whole parts (``_parts``) add exactly.
    """
    bins = totals[0].size
    if 4 * where.size >= bins:
        totals[0] += np.bincount(where, minlength=bins)
        for total, weight in zip(totals[1:], weights, strict=True):
            total += np.bincount(where, weight, minlength=bins)
        return
    np.add.at(totals[0], where, 1)
    for total, weight in zip(totals[1:], weights, strict=True):
        np.add.at(total, where, weight)


def _binned(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
    is_frame: bool,
) -> pl.DataFrame | None:
    """``_keys``'s frame, from rows binned by a dense key index; None where that cannot apply.

    Origins, codes and destinations are laid out by their distinct values (destinations by
    those priced alike, ``_alike``, unless ``by`` names them), years by their span, quarters
    only in the years priced by quarter, and customs values by ``_VALUED`` where not all are
    positive: a row's key is then one position in a dense array. Rows in memory are grouped
    by it, their amounts summed as Int128 units; streamed rows are added into the array by
    ``numpy.bincount`` (which Polars lacks), batch by batch, in memory bounded by the layout
    rather than by the rows, their amounts as whole parts (``_parts``). Both are exact, the
    same in any row order. Keys with a null, amounts failing a check and odd quarters return
    None: ``_keys`` groups them and the detailed path reports them.
    """
    keys = _key_columns(schema, groups)
    integer = {k: schema[k].is_integer() for k in ("year", "quarter") if k in schema}
    amounts = [c for c in ADDITIVE if c in schema]
    if (
        _rounds_sums(schema, scenario)  # rounded sums are kept by ``_keys`` alone
        or not set(keys) <= set(_DENSE_KEYS)
        or schema["origin"] != pl.String
        or schema["cn_code"] != pl.String
        or schema.get("destination", pl.String) != pl.String
        or not all(integer.values())
        or not all(schema[c].is_numeric() for c in amounts)
    ):
        return None
    quartered, valued = "quarter" in schema, "value_eur" in schema
    value = pl.col("value_eur").cast(pl.Float64) if valued else pl.lit(1.0)
    odd_quarter = ~pl.col("quarter").is_between(1, 4) if quartered else pl.lit(False)
    # Queries each streamed: distinct values in a query of their own stay bounded in
    # memory, where ``unique().implode()`` beside the checks holds the whole column.
    destined = "destination" in schema
    distinct = pl.col("destination").unique().drop_nulls().sort()
    places_query = [lazy.select(distinct)] if destined else []
    stats, origins_frame, codes_frame, *destinations = pl.collect_all(
        [
            lazy.select(
                pl.any_horizontal(pl.col("origin", "cn_code", "year").is_null())
                .any()
                .alias("null_key"),
                _bad_amount(schema).any().alias("bad_amount"),
                odd_quarter.any().alias("odd_quarter"),
                *((_valued(value) == k).any().alias(f"kind{k}") for k in range(3)),
                pl.len().alias("rows"),
                pl.col("year").min().alias("first"),
                pl.col("year").max().alias("last"),
                *_size_range(amounts, schema),
            ),
            lazy.select(pl.col("origin").unique().sort()),
            lazy.select(pl.col("cn_code").unique().sort()),
            *places_query,
        ],
        engine=run_engine,
    )
    origins, codes = origins_frame.to_series(), codes_frame.to_series()
    failed = stats.select("null_key", "bad_amount", "odd_quarter").row(0)
    first, last = stats["first"][0], stats["last"][0]
    if any(failed) or first is None or last - first >= _MAX_YEARS:
        return None  # faults are reported by the detailed path; far-apart years are sparse
    # Bins: origin x code x slot x customs value kind, where a year has one slot, or five
    # where it is priced by quarter or ``by`` asks for quarters (none given, then 1-4).
    years = list(range(first, last + 1))
    by_quarter: frozenset[int] = frozenset()
    if quartered:
        whole = _by_quarter(groups)
        by_quarter = frozenset(years) if whole else quarterly_years(scenario, years)
    widths = [5 if y in by_quarter else 1 for y in years]
    # Customs value kinds: only those present take a place (most panels: positive values only).
    kinds = [k for k in range(3) if stats[f"kind{k}"][0]] if valued else [2]
    o, c = _index_of("origin", origins), _index_of("cn_code", codes)
    places = pl.concat([*(d.to_series() for d in destinations), pl.Series([None], dtype=pl.String)])
    if destined:  # an outer dimension of the origins (a null last): one index for both
        seen = places.drop_nulls()
        at_place = _index_of("destination", seen)
        if "destination" not in groups and seen.len() > 1:  # by the first priced alike
            alike = _alike(seen, years, scenario)
            firsts = seen.replace_strict(alike["destination"], alike["_t_first"])
            places = pl.concat([firsts.unique().sort(), places.tail(1)])
            first_at = firsts.cast(pl.Enum(places.drop_nulls())).to_physical().cast(pl.Int64)
            at_place = pl.lit(first_at).gather(at_place)
        null_place = pl.col("destination").is_null()
        o = pl.when(null_place).then(places.len() - 1).otherwise(at_place) * origins.len() + o
    shape = [places.len() * origins.len(), codes.len(), sum(widths), len(kinds)]
    bins = int(np.prod(shape))
    if bins > _MAX_BINS:
        return None
    y = pl.col("year").cast(pl.Int64) - first
    slot = pl.lit(pl.Series(np.cumsum([0, *widths[:-1]]), dtype=pl.Int64)).gather(y)
    if by_quarter:
        in_quarters = pl.lit(pl.Series([w == 5 for w in widths])).gather(y)
        slot = slot + pl.when(in_quarters).then(pl.col("quarter").fill_null(0)).otherwise(0)
    position = (o * shape[1] + c) * shape[2] + slot
    if shape[3] > 1:
        place = pl.Series(np.cumsum([k in kinds for k in range(3)]) - 1, dtype=pl.Int64)
        position = position * shape[3] + pl.lit(place).gather(_valued(value))
    columns = [position.alias(_BIN), number_as_read("quantity_t", schema).alias("quantity_t")]
    if valued:
        columns.append(value.fill_null(0.0).alias("value_eur"))
    # Amounts all 0 or within EXACT_FROM..EXACT_BELOW (every panel but absurd ones), and few
    # enough rows that a bin's parts add exactly (_parts); else the rows are grouped.
    if not _exact_in_one_column(stats):
        return None
    if is_frame or run_engine != "streaming":  # the rows are in memory: grouped, exactly
        grouped = (
            lazy.select(columns[0], *(exact_units(c) for c in columns[1:]))
            .group_by(_BIN)
            .agg(pl.len().alias(_ROWS), *(pl.col(a).sum() for a in amounts))
            .collect(engine=run_engine)  # in no order: the keys are priced and summed order-free
        )
        if grouped[_BIN].null_count():
            return None  # a value that was not among the distinct ones: the input changed
        filled = grouped[_BIN].to_numpy()
        sums = {_ROWS: grouped[_ROWS]}
        sums.update({a: grouped.select(exact_total(pl.col(a))).to_series() for a in amounts})
    else:  # streamed in batches, each binned into the layout: memory bounded by the layout
        if stats["rows"][0] >= _MAX_ROWS:
            return None
        parts = [p for c in columns[1:] for p in _parts(c, c.meta.output_name())]
        totals = [np.zeros(bins, dtype=np.int64), *(np.zeros(bins) for _ in parts)]
        for batch in _batches(lazy.select(columns[0], *parts), run_engine, is_frame):
            if batch[_BIN].null_count():
                return None  # a value that was not among the distinct ones: the input changed
            weights = [batch[p.meta.output_name()].to_numpy() for p in parts]
            _add_sums(batch[_BIN].to_numpy(), weights, totals)
        filled = np.flatnonzero(totals[0])
        sums = {_ROWS: pl.Series(totals[0][filled]).cast(pl.get_index_type())}
        for i, amount in enumerate(amounts):
            summed = totals[1 + i * _LIMBS : 1 + (i + 1) * _LIMBS]
            sums[amount] = _whole_sum([t[filled] for t in summed]).alias(amount)
        del totals  # the layout's arrays, before the keys' frame is built
    # Each filled bin back to its key: the layout's mixed radix, read from the right.
    slot_year = pl.Series(np.repeat(years, widths), dtype=schema["year"])
    slot_quarter = pl.Series(np.concatenate([np.arange(w) for w in widths]))
    at = pl.col(_BIN) // shape[3]
    quarter = pl.lit(slot_quarter).gather(at % shape[2])
    at_origin = at // (shape[2] * shape[1])
    key_of = {
        "origin": pl.lit(origins).gather(at_origin % origins.len()),
        "destination": pl.lit(places).gather(at_origin // origins.len()),
        "cn_code": pl.lit(codes).gather(at // shape[2] % shape[1]),
        "year": pl.lit(slot_year).gather(at % shape[2]),
        "quarter": pl.when(quarter > 0).then(quarter).cast(schema.get("quarter", pl.Int8)),
    }
    frame = pl.DataFrame({_BIN: filled}).with_columns(*(key_of[k].alias(k) for k in keys), **sums)
    tidy = [(~pl.col("quantity_t").is_finite()).alias(_BAD), pl.lit(False).alias(_SPLIT)]
    if valued:
        kind = pl.lit(pl.Series(kinds)).gather(pl.col(_BIN) % shape[3])
        tidy += [
            kind.cast(pl.Int32).alias(_VALUED),
            pl.when(kind > 0).then(pl.col("value_eur")).alias("value_eur"),
        ]
    return frame.with_columns(tidy).drop(_BIN)


@overload
def totals(
    imports: pl.DataFrame | pl.LazyFrame,
    scenario: Scenario | str | Path = ...,
    by: Sequence[str] = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> pl.DataFrame: ...
@overload
def totals(
    imports: IntoDataFrameT,
    scenario: Scenario | str | Path = ...,
    by: Sequence[str] = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> IntoDataFrameT: ...


def totals(
    imports: pl.DataFrame | pl.LazyFrame | IntoDataFrame,
    scenario: Scenario | str | Path = "eu-cbam",
    by: Sequence[str] = ("origin", "sector"),
    *,
    on_error: OnError = "raise",
    engine: Engine = "auto",
) -> pl.DataFrame | IntoDataFrame:
    """``summarise(compute(imports, scenario), by)``, summed per rule key before pricing.

    Equal to ``cbam.summarise(cbam.compute(imports, scenario, on_error=on_error), by=by)`` to
    the cent (a key is priced on its summed amount, so a total above about EUR 10^13 may
    differ in its last float bit), and many times faster on large panels, where many rows
    share a key (origin, code, year and every other rule input but the amounts).

    Args:
        imports: Import rows as for ``cbam.compute``: a DataFrame, a LazyFrame (for example
            ``pl.scan_parquet(...)``, read twice: for its distinct keys, then to sum them) or
            any frame narwhals supports.
        scenario: A ``Scenario`` or the name or path of one.
        by: Columns of ``compute``'s result to total by; empty for a grand total.
        on_error: ``"raise"`` raises ``CbamInputError`` naming the rows at fault, as
            ``compute`` does; ``"flag"`` counts such rows in ``flagged_rows``, as
            ``summarise`` does.
        engine: Polars engine, as for ``compute``.

    Returns:
        ``summarise``'s frame, collected (a Polars DataFrame, or the input's own kind for
        pandas and the like).

    Raises:
        CbamInputError: bad input, when ``on_error="raise"``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026, 2026, 2027], "origin": ["TUR", "TUR", "TUR"],
        ...     "cn_code": ["72071111"] * 3, "quantity_t": [100.0, 50.0, 10.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> cbam.totals(rows, s, by=["year"])["fee_eur"].round(2).to_list()
        [14533.2, 1180.96]

    """
    if on_error not in ("raise", "flag"):
        raise ValueError(f"on_error must be 'raise' or 'flag', not {shorten(repr(on_error))}")
    if not isinstance(imports, pl.DataFrame | pl.LazyFrame):
        polars_rows = to_polars(imports, "imports")
        result = totals(polars_rows, scenario, by, on_error=on_error, engine=engine)
        native: IntoDataFrame = like(imports, result)
        return native
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    # The group-by and the keyed rules stream faster than they run in memory (benchmarks/).
    run_engine = polars_engine(engine, "streaming")
    lazy = imports.lazy()
    schema = lazy.collect_schema()
    check_columns(schema, reserved=("_c_", "_t_"))
    groups = grouping(by, result_columns(schema.names()), results=SUMMARY_COLUMNS)

    def detailed() -> pl.DataFrame:
        fees = compute(imports, chosen, on_error=on_error, engine=engine)
        return summarise(fees.lazy(), groups).collect()

    def price(keys: pl.DataFrame, extra: Sequence[str] = ()) -> pl.DataFrame:
        """The keys priced, with the columns a summary reads and ``extra`` ones."""
        if keys[_BAD].any():
            raise _FaultyKeyError
        if keys[_SPLIT].any():
            keys = _with_rows_of_split(keys, lazy, schema)
        fees = compute(keys.lazy(), chosen, on_error="flag", engine=engine)
        names = fees.collect_schema().names()
        wanted = [*dict.fromkeys([*groups, *(c for c in _READ if c in names), _ROWS])]
        wanted += [c for c in ("value_eur", "destination", *extra) if c in names]
        priced = fees.select(*dict.fromkeys(wanted)).collect(engine=run_engine)
        if priced["input_error"].is_not_null().any():
            raise _FaultyKeyError
        return priced

    if set(groups) & set(_PER_ROW):  # no key holds one value of them: summed row by row
        return detailed()
    is_frame = isinstance(imports, pl.DataFrame)
    try:
        keys = _binned(lazy, schema, chosen, groups, run_engine, is_frame)
        priced = None
        if keys is None:
            if schema.get("destination") == pl.String and "destination" not in groups:
                lazy = _same_destinations(lazy, schema, chosen, run_engine)
            priced = _merged_prices(lazy, schema, chosen, groups, run_engine, price)
        if priced is None:
            priced = price(
                keys if keys is not None else _keys(lazy, schema, chosen, groups, run_engine)
            )
    except _FaultyKeyError:
        return detailed()
    return summed(priced.lazy(), priced.columns, groups, weight=_ROWS).collect()
